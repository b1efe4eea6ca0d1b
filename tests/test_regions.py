"""Issue 14 item 9: the Jilin organisation table's 县 column, from the region code (the vendored GB/T 2260
county table) or from the address or name when they name a county; blank when nothing names one."""

from __future__ import annotations

import csv
import datetime as dt
import os
import re

import pytest

os.environ["MEDIATION_DESK_FONTS"] = "bundled"

from desktop import regions  # noqa: E402
from desktop.documents import render_roster  # noqa: E402
from tests.test_documents import flat, org, pdftext  # noqa: E402


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


def test_the_vendored_table_is_well_formed():
    with open(regions.TABLE, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes)) > 100
    for r in rows:
        assert re.fullmatch(r"(22|33)\d{4}", r["code"]) and r["code"][4] != "7", r
        assert r["name"].endswith(("县", "区", "市", "旗")), r
    assert {"330481": "海宁市", "330424": "海盐县", "220102": "南关区", "222401": "延吉市"}.items() <= \
        {r["code"]: r["name"] for r in rows}.items()


@pytest.mark.parametrize("code,name", [("330481", "海宁市"), ("330481101", "海宁市"), ("220623", "长白朝鲜族自治县"),
                                       ("110101", None), ("3304", None), ("", None), (None, None)])
def test_county_by_code(code, name):
    assert regions.county_by_code(code) == name


@pytest.mark.parametrize("text,county", [
    ("浙江省嘉兴市海宁市示范镇人民路1号", "海宁市"),
    ("吉林省长春市南关区人民大街1号", "南关区"),
    ("延边朝鲜族自治州延吉市河南街道光明街5号", "延吉市"),
    ("内蒙古自治区呼和浩特市土默特左旗察素齐镇", "土默特左旗"),
    ("海宁市示范镇人民路88号", "海宁市"),
    ("示范市示范县示范镇劳动人事争议调解中心", "示范县"),
    ("示范镇人民路88号便民服务中心三楼", None),
    ("示范镇工业区8号", None),  # an industrial park is no district
    ("长春市人民大街", None),  # a prefecture alone names no county
    ("海宁市劳动人事争议调解中心", None),
    ("", None),
])
def test_county_in_text(text, county):
    assert regions.county_in_text(text) == county


def _county_column(tmp_path, profile) -> str:
    out = tmp_path / "j.pdf"
    render_roster(profile, [], out, today=dt.date(2026, 3, 20), table="jilin-org")
    text = flat(pdftext(out))
    # the row reads: …类型｜县（市、区）｜乡镇（街道）｜全称…
    return text.split("类型", 1)[1].split(profile["name"], 1)[0]


def test_jilin_table_county_from_code_address_or_nothing(tmp_path):
    base = org(kind="township", name="示范镇劳动人事争议调解中心", address="示范镇人民路88号", county="")
    assert _county_column(tmp_path, dict(base, region="330481")) == "海宁市示范镇"
    assert _county_column(tmp_path, dict(base, region="", address="吉林省长春市南关区人民大街1号")) == "南关区示范镇"
    assert _county_column(tmp_path, dict(base, region="")) == "示范镇"  # nothing names it: blank
    # what the organisation entered wins
    assert _county_column(tmp_path, dict(base, region="330481", county="海盐县")) == "海盐县示范镇"
