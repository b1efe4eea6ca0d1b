"""Helpers for the downward-package tests (no tests here): a complete 2027 holiday notice (test
data shaped like a State Council notice, not the published one), and a city → district → township
chain of real databases."""

from __future__ import annotations

import copy
import datetime as _dt
import shutil
from pathlib import Path

from desktop import accounts, cases, clock, db as dbm
from desktop.sync import export, hub, keys

from tests.records import registered
from tests.test_sync_support import HUB_PASSWORD, make_hub, make_station


def _days(first: str, last: str, name: str) -> list[dict]:
    d, end = _dt.date.fromisoformat(first), _dt.date.fromisoformat(last)
    out = []
    while d <= end:
        out.append({"date": d.isoformat(), "name": name})
        d += _dt.timedelta(days=1)
    return out


NOTICE_2027 = {
    "year": 2027,
    "title": "国务院办公厅关于2027年部分节假日安排的通知（测试数据）",
    "notice_date": "2026-11-10",
    "holidays": (_days("2027-01-01", "2027-01-03", "元旦") + _days("2027-02-05", "2027-02-13", "春节")
                 + _days("2027-04-03", "2027-04-05", "清明节") + _days("2027-05-01", "2027-05-05", "劳动节")
                 + _days("2027-06-09", "2027-06-11", "端午节") + _days("2027-09-15", "2027-09-17", "中秋节")
                 + _days("2027-10-01", "2027-10-07", "国庆节")),
    "workdays": [{"date": "2027-02-20", "name": "春节调休上班"}, {"date": "2027-04-25", "name": "劳动节调休上班"},
                 {"date": "2027-06-12", "name": "端午节调休上班"}, {"date": "2027-09-26", "name": "国庆节调休上班"},
                 {"date": "2027-10-09", "name": "国庆节调休上班"}],
}


def notice_2027() -> dict:
    return copy.deepcopy(NOTICE_2027)


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
