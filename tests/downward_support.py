"""Helpers for the downward-package tests (no tests here): a complete 2027 holiday notice (test
data shaped like a State Council notice, not the published one), and a city → district → township
chain of real databases, with its fixtures (a test module imports `home, made, three`)."""

from __future__ import annotations

import datetime as _dt
import shutil
from pathlib import Path

import pytest

from desktop import cases, clock, db as dbm
from desktop.security import accounts
from desktop.sync import export, hub, keys

from tests.records import registered
from tests.test_sync_support import HUB_PASSWORD, make_hub, make_station


# A 2027 notice of the usual shape, as published text (test data: the real one was not out yet).
NOTICE_2027_TEXT = """一、元旦：1月1日（周五）至3日（周日）放假，共3天。
二、春节：2月5日（农历除夕、周五）至13日（周六）放假调休，共9天。1月31日（周日）、2月20日（周六）上班。
三、清明节：4月3日（周六）至5日（周一）放假，共3天。
四、劳动节：5月1日（周六）至5日（周三）放假调休，共5天。5月8日（周六）上班。
五、端午节：6月9日（周三）放假，共1天。
六、中秋节：9月15日（周三）放假，共1天。
七、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）、10月9日（周六）上班。
"""
TITLE_2027 = "国务院办公厅关于2027年部分节假日安排的通知（测试数据）"


def notice_2027() -> dict:
    from desktop import holidays
    from desktop.sync import downward

    return downward.from_notice(holidays.parse_notice(NOTICE_2027_TEXT, 2027), title=TITLE_2027,
                                notice_date="2026-11-10")


def december_cases(db, actor, n: int = 3) -> list[str]:
    """Cases received in late December 2026: their deadlines fall in 2027, which the calendar
    package does not cover, so they are provisional."""
    ids = []
    for i in range(n):
        rec = registered(received=f"2026-12-{28 + i % 3}T10:00:00+08:00")
        ids.append(cases.create_case(db, rec, actor)["id"])
    return ids


CHAIN = ("city", "district", "township")


def chain(tmp, *, template: Path | None = None):
    """(city, district, township) as (db, user) pairs: the township reports to the district, the
    district to the city; each has joined its hub's card. With `template` (a directory where a
    chain was made before), the three files are copied from there instead (set-up is slow)."""
    clock.set_today(_dt.date(2026, 12, 30))
    tmp = Path(tmp)
    tmp.mkdir(parents=True, exist_ok=True)
    if template is not None:
        for name in CHAIN:
            shutil.copyfile(Path(template) / f"{name}.sqlite", tmp / f"{name}.sqlite")
        out = []
        for name in CHAIN:
            database = dbm.open_database(tmp / f"{name}.sqlite")
            user, password = ("demo", "demo") if name == "township" else ("hadmin", HUB_PASSWORD)
            out.append((database, accounts.authenticate(database, user, password)))
        return tuple(out)
    city = make_hub(tmp, "city", title="某市调解数据汇总")[:2]
    district = make_hub(tmp, "district", title="某区调解数据汇总")[:2]
    township = make_station(tmp, "township", n=5)[:2]
    hub.enrol(city[0], keys.station_card(district[0]), city[1])
    export.join(district[0], keys.hub_card(city[0]), district[1])
    hub.enrol(district[0], keys.station_card(township[0]), district[1])
    export.join(township[0], keys.hub_card(district[0]), township[1])
    return city, district, township


@pytest.fixture
def home(tmp_path, monkeypatch):
    """The test's own data directory, and a folder `usb` beside it to carry packages."""
    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    (tmp_path / "usb").mkdir()
    return tmp_path


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """One city → district → township chain made once a module; each test works on copies of its files."""
    where = tmp_path_factory.mktemp("chain")
    for database, _user in chain(where):
        database.conn.close()
    return where


@pytest.fixture
def three(home, made):
    """The chain as (db, user) pairs on fresh copies in the test's `home`; closed afterwards."""
    dbs = chain(home, template=made)
    yield dbs
    for database, _user in dbs:
        database.conn.close()
