"""The 工作台 queries (desktop/dashboard.py) on hand-built cases with known dates."""

from __future__ import annotations

import datetime as _dt

import pytest

import chinese_calendar

from desktop import cases, clock, dashboard, db as dbm, org
from desktop.security import accounts

# The day each test runs on: the environment's (CI repeats the suite at hard dates through
# MEDIATION_DESK_TODAY), and fixed days whose answers were worked out by hand.
TODAY: _dt.date


@pytest.fixture(autouse=True, params=["environment", "2026-11-30", "2026-11-25", "2026-09-30", "2026-02-18"])
def today(request):
    global TODAY
    if request.param != "environment":
        clock.set_today(_dt.date.fromisoformat(request.param))
    TODAY = clock.today()
    return TODAY


def d(days: int) -> str:
    return (TODAY + _dt.timedelta(days=days)).isoformat()


def rest_day(day: _dt.date) -> bool:
    """Independent of desktop.workcal: the package where it knows the year, else weekends and
    the fixed-date statutory holidays (New Year, May Day, National Day)."""
    try:
        return not chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() >= 5 or (day.month, day.day) in {(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)}


def review_window_end(effective: _dt.date) -> _dt.date:
    """AR2017 Art. 75: 15 days from the agreement's taking effect; a last day that is a rest day
    moves to the next working day (Civil Procedure Law Art. 85)."""
    end = effective + _dt.timedelta(days=15)
    while rest_day(end):
        end += _dt.timedelta(days=1)
    return end


def raw(name, received_days_ago, id_number="330481199001011236"):
    return {"application": {"mode": "written", "received_at": f"{d(-received_days_ago)}T10:00:00+08:00"},
            "workers": [{"name": name, "id_number": id_number}],
            "employer": {"name": f"{name}所在公司"}, "dispute_types": ["PAY"],
            "claims": [{"text": "支付工资", "amount": "5000.00"}]}


@pytest.fixture
def station(tmp_path):
    database = dbm.open_database(tmp_path / "s.sqlite", create=True)
    org.initialize(database, {"name": "测试镇劳动人事争议调解中心", "kind": "township"})
    admin = accounts.create_user(database, "admin", "abc12345", "admin")
    return database, admin


def test_dashboard_lists(station):
    db, admin = station
    fresh = cases.create_case(db, raw("张三", 0), admin)
    late = cases.create_case(db, raw("李四", 30), admin)  # never decided: overdue acceptance
    med = cases.create_case(db, raw("王五", 40), admin)
    cases.accept(db, med["id"], d(-39), admin)  # 15-day deadline long past
    ok = cases.create_case(db, raw("赵六", 2), admin)
    cases.accept(db, ok["id"], d(-1), admin)
    paid = cases.create_case(db, raw("钱七", 25), admin)
    cases.accept(db, paid["id"], d(-24), admin)
    agreement = {"effective_at": d(-10), "waiver": "",
                 "items": [{"category": "wage_arrears", "text": "支付工资", "amount": "4000.00", "due_date": d(-5)},
                           {"category": "other", "text": "出具离职证明", "amount": "1.00", "due_date": d(3)}]}
    cases.close(db, paid["id"], "agreed", d(-10), admin, agreement=agreement)

    s = dashboard.summary(db, TODAY)
    awaiting = {r["case_no"]: r for r in s["awaiting"]}
    assert set(awaiting) == {fresh["case_no"], late["case_no"]}
    assert awaiting[fresh["case_no"]]["days_left"] >= 3
    assert awaiting[fresh["case_no"]]["due"] == fresh["acceptance_due"]
    assert [r["case_no"] for r in s["mediating"]] == [med["case_no"], ok["case_no"]]  # nearest deadline first
    overdue = {r["case_no"]: r["kind"] for r in s["overdue"]}
    assert overdue == {late["case_no"]: "acceptance", med["case_no"]: "mediation"}
    items = s["items"]
    assert [(r["case_no"], r["item"]) for r in items] == [(paid["case_no"], 0), (paid["case_no"], 1)]
    assert items[0]["overdue"] and items[0]["payment_order"] and "支付令" in items[0]["hint"]
    assert not items[1]["overdue"] and not items[1]["payment_order"]
    # Effective 10 days ago, the window closes in 5 days unless its last day is a rest day: on
    # 2026-11-30 it ends Sat 12-05, moves to Mon 12-07 and is 7 days away, off the 5-day list.
    closes_in = (review_window_end(TODAY - _dt.timedelta(days=10)) - TODAY).days
    # 2026-02-18: ends 02-23, the last day of the Spring Festival holiday, so 02-24.
    expected = {"2026-11-30": False, "2026-11-25": True, "2026-09-30": False, "2026-02-18": False}
    if TODAY.isoformat() in expected:
        assert (closes_in <= dashboard.REVIEW_SOON_DAYS) is expected[TODAY.isoformat()]
    on_list = [r["case_no"] for r in s["reviews"]]
    assert on_list == ([paid["case_no"]] if closes_in <= dashboard.REVIEW_SOON_DAYS else [])
    if on_list:
        assert s["reviews"][0]["days_left"] == closes_in
    assert s["followups"] == []  # item 1 not yet due
    assert dashboard.unexported_changes(db) > 0


def test_followup_due_then_done_and_payment_clears_item(station):
    db, admin = station
    c = cases.create_case(db, raw("孙八", 60), admin)
    cases.accept(db, c["id"], d(-59), admin)
    cases.close(db, c["id"], "agreed", d(-50), admin, agreement={
        "effective_at": d(-50), "waiver": "",
        "items": [{"category": "econ_comp", "text": "经济补偿", "amount": "9000.00", "due_date": d(-20)}]})
    s = dashboard.summary(db, TODAY)
    assert [r["case_no"] for r in s["followups"]] == [c["case_no"]]
    assert s["followups"][0]["performance"] == "未履行"
    assert s["items"][0]["payment_order"]
    assert s["reviews"] == []
    cases.add_performance(db, c["id"], {"item": 0, "paid_at": d(-19), "amount": "9000.00"}, admin)
    cases.add_followup(db, c["id"], {"at": d(-1), "method": "phone", "note": "已履行"}, admin)
    s = dashboard.summary(db, TODAY)
    assert s["items"] == [] and s["followups"] == []
