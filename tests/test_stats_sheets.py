"""Issue 14 item 8: the statistics table a township submits — one page per table, Chinese only, signed; at the
hub a breakdown by kind of organisation (the ministry's MA1 form). Read back with openpyxl and pdftotext."""

from __future__ import annotations

import datetime as dt
import re
import subprocess

import openpyxl
import pytest

from desktop import clock
from desktop.codes import DISPUTE_TYPES
from desktop.stats import outputs, report as rpt
from desktop.stats.layout import CLOSED_SUM_NOTE, FIRST_TYPE_NOTE, MA1_KINDS, SIGNATURE_LINE
from tests import records


@pytest.fixture(scope="module")
def station_report(tmp_path_factory):
    clock.set_today(dt.date(2026, 3, 20))
    try:
        database = records.demo_database(tmp_path_factory.mktemp("st") / "d.sqlite", 200, seed=5)
        return rpt.period_report(database, "2025")
    finally:
        clock.reset()


def _texts(ws) -> list[str]:
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


def test_every_sheet_fits_one_page_chinese_only_and_signed(station_report, tmp_path):
    out = tmp_path / "r.xlsx"
    outputs.write_xlsx(station_report, out, monthly=[], screening={"window_start": "2025-01-01", "window_end": "2025-12-31", "repeat_employers": [], "rule": "同一用人单位12个月内发生2起以上争议的列入预警。", "by_industry": {}})
    wb = openpyxl.load_workbook(out)
    for ws in wb.worksheets:
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 1), ws.title
        assert str(ws.page_setup.paperSize) == str(ws.PAPERSIZE_A4)
        texts = _texts(ws)
        assert any(t == SIGNATURE_LINE for t in texts), ws.title
        english = [t for t in texts if re.search(r"[A-Za-z_]{3,}", t)]
        assert not english, (ws.title, english)
        assert sum("调解成功率 =" in t for t in texts) <= 1, ws.title
        widths = [ws.column_dimensions[c].width for c in "ABCDEFGHIJ" if ws.column_dimensions[c].width]
        assert max(widths) <= 60, ws.title  # no 100-character columns
    assert any(FIRST_TYPE_NOTE in t for t in _texts(wb["按争议类型"]))


def test_the_pdf_report_is_signed_and_says_the_formula_once(station_report, tmp_path):
    out = tmp_path / "r.pdf"
    outputs.write_pdf(station_report, out)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(out), "-"], capture_output=True, check=True
                          ).stdout.decode("utf-8")
    flat = re.sub(r"\s+", "", text)
    for word in ("单位负责人", "填表人", "报出日期", "（盖章）"):
        assert word in flat
    assert flat.count("调解成功率=") == 1
    assert "agreed/closed" not in flat and "按申请时列在第一位的争议类型统计一次" in flat


def test_hub_breaks_down_by_kind_of_organisation(station_report, tmp_path):
    hub = dict(station_report)
    hub["stations"] = {"S-ENT": dict(station_report, org_kind="enterprise"),
                       "S-TWN": dict(station_report, org_kind="subdistrict"),
                       "S-OTH": dict(station_report, org_kind="chamber")}
    hub["completeness"] = {"text": "应报站点 3 个，已报 3 个（其中零报告 0 个）"}
    kinds = outputs.ma1_table(hub)
    for key, st in (("enterprise", station_report), ("township", station_report), ("other", station_report)):
        k = kinds[key]
        assert k["closed"] == k["agreed"] + k["withdrawn"] + k["failed"] == st["closed"]
        assert k["by_type"] == {c: {f: t[f] for f in ("accepted", "closed", "agreed")} for c, t in st["by_type"].items()}
    assert kinds["public"]["closed"] == 0 and kinds["arbitration"]["closed"] == 0
    out = tmp_path / "hub.xlsx"
    outputs.write_xlsx(hub, out)
    ws = openpyxl.load_workbook(out)["按组织类型"]
    texts = _texts(ws)
    for _key, label, _codes in MA1_KINDS:
        assert label in texts
    assert CLOSED_SUM_NOTE in " ".join(texts) and SIGNATURE_LINE in texts
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
    # the enterprise committees' 劳动报酬 row: accepted, closed, agreed as the station reported them
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == DISPUTE_TYPES["PAY"])
    pay = station_report["by_type"]["PAY"]
    assert [ws.cell(row, c).value for c in (2, 3, 4)] == [pay["accepted"], pay["closed"], pay["agreed"]]
    split = [r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == MA1_KINDS[0][1]][-1]
    closed, agreed, withdrawn, failed = (ws.cell(split, c).value for c in (2, 3, 4, 5))
    assert closed == station_report["closed"] == agreed + withdrawn + failed
