"""Years the calendar package does not cover (issue 13 item 1): holidays by law, provisional deadlines,
and entering the State Council notice as one command."""

from __future__ import annotations

import datetime as dt
import json

import chinese_calendar
import pytest

from desktop import cases, cli, clock, holidays, workcal
from desktop.errors import InputError
from desktop.workcal import WorkCalendar
from tests import records
from tests.downward_support import NOTICE_2027_TEXT

D = dt.date

# The 2026 notice in the published wording (国办发明电〔2025〕7号; dates as in domain.md §6.2).
NOTICE_2026 = """国务院办公厅关于2026年部分节假日安排的通知
经国务院批准，现将2026年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
三、清明节：4月4日（周六）至6日（周一）放假，共3天。
四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。
五、端午节：6月19日（周五）至21日（周日）放假，共3天。
六、中秋节：9月25日（周五）至27日（周日）放假，共3天。
七、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。
"""

# A 2027 notice of the usual shape (the real one had not been published when this was written).
NOTICE_2027 = NOTICE_2027_TEXT


def _package_notice(year: int) -> holidays.Notice:
    """The package's schedule for a year, in the shape of a notice."""
    n = holidays.Notice(year)
    d = D(year, 1, 1)
    while d.year == year:
        on, name = chinese_calendar.get_holiday_detail(d)
        if not chinese_calendar.is_workday(d) and (d.weekday() < 5 or name):
            n.rest[d] = name or "?"
        if d.weekday() >= 5 and chinese_calendar.is_workday(d):
            n.work[d] = "?"
        d += dt.timedelta(days=1)
    return n


@pytest.mark.parametrize("year", range(2008, 2027))
def test_statutory_holidays_by_law_are_rest_days_in_the_package(year):
    # Lunar dates and the Qingming term from lunar-python, checked against 19 years of published notices.
    stat = holidays.statutory_holidays(year)
    assert len(stat) >= 10
    assert [d for d in stat if chinese_calendar.is_workday(d)] == []


def test_2027_statutory_holidays_are_the_ones_the_law_gives():
    stat = holidays.statutory_holidays(2027)
    assert sorted(d.isoformat() for d in stat) == [
        "2027-01-01", "2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08", "2027-04-05", "2027-05-01",
        "2027-05-02", "2027-06-09", "2027-09-15", "2027-10-01", "2027-10-02", "2027-10-03"]
    assert stat[D(2027, 2, 5)] == "春节" and stat[D(2027, 4, 5)] == "清明节"
    # 初一/初二, May 1–2 and Oct 2–3 fall on weekends: six make-up days are owed.
    assert holidays.makeup_needed(2027) == 6


@pytest.mark.parametrize("year", [2016, 2017, 2018, 2019, 2021, 2022, 2023, 2024, 2025, 2026])
def test_every_published_year_passes_the_completeness_check(year):
    assert holidays.notice_problems(_package_notice(year)) == []


def test_the_2026_notice_text_reads_as_the_package_has_it():
    notice = holidays.parse_notice(NOTICE_2026, 2026)
    assert holidays.notice_problems(notice) == []
    assert len(notice.rest) == 33 and len(notice.work) == 6
    d = D(2026, 1, 1)
    while d.year == 2026:
        by_notice = d in notice.work or (d not in notice.rest and d.weekday() < 5)
        assert by_notice == chinese_calendar.is_workday(d), d
        d += dt.timedelta(days=1)
    assert notice.rest[D(2026, 2, 15)] == "春节" and notice.work[D(2026, 9, 20)] == "国庆节"


def test_an_incomplete_notice_says_what_is_missing():
    without_national_day = NOTICE_2027.split("七、")[0]
    problems = holidays.notice_problems(holidays.parse_notice(without_national_day, 2027))
    assert any("2027年10月1日（国庆节）" in p and "未列为放假日" in p for p in problems)
    one_working_day_short = NOTICE_2027.replace("1月31日（周日）、", "")
    problems = holidays.notice_problems(holidays.parse_notice(one_working_day_short, 2027))
    assert len(problems) == 1 and "不平衡" in problems[0] and "漏录" in problems[0]
    assert holidays.notice_problems(holidays.parse_notice(one_working_day_short, 2027), allow_unbalanced=True) == []
    weekday_work = NOTICE_2027.replace("5月8日（周六）上班", "5月7日（周五）上班")
    problems = holidays.notice_problems(holidays.parse_notice(weekday_work, 2027))
    assert any("调休上班日应为周六或周日" in p for p in problems)


def test_a_notice_that_does_not_read_is_refused_with_the_sentence():
    with pytest.raises(InputError) as exc:
        holidays.parse_notice("一、元旦：1月1日至3日放假，共4天。", 2027)
    assert "共4天" in exc.value.messages[0] and "3天" in exc.value.messages[0]
    with pytest.raises(InputError):
        holidays.parse_notice("  ", 2027)
    with pytest.raises(InputError):
        holidays.parse_notice("二、春节：2月30日至3月2日放假。", 2027)


def test_uncovered_year_rests_on_statutory_holidays_and_is_provisional_only_near_them():
    cal = WorkCalendar()
    assert not cal.is_workday(D(2027, 1, 1)) and cal.rest_day_name(D(2027, 1, 1)) == "元旦"
    assert not cal.is_workday(D(2027, 6, 9)) and cal.is_covered(D(2027, 6, 9))  # 端午, fixed by law
    assert cal.rest_day_name(D(2027, 2, 9)) == "春节补休（推定）"
    assert not cal.is_covered(D(2027, 2, 12))  # near Spring Festival: the notice may move it
    d = cal.add_working_days(D(2027, 3, 10), 3)  # far from any holiday: nothing can move it
    assert d == workcal.Deadline(D(2027, 3, 15), False, "2027-03-10次日起第3个工作日")
    assert workcal.year_status(cal, 2027) == "law" and workcal.year_status(cal, 2026) == "package"


def _import(tmp_path, capsys, db_path, pw, recs):
    f = tmp_path / "in.jsonl"
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in recs) + "\n", encoding="utf-8")
    code = cli.main(["import-cases", "--db", str(db_path), "--user", "admin", "--password-file", str(pw), str(f)])
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out.split()


def _cli(capsys, *args):
    code = cli.main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def _stored(db, case_no):
    return db.conn.execute("select acceptance_due, statutory_deadline, provisional from cases where case_no = ?",
                           (case_no,)).fetchone()


def test_2027_scenarios_before_and_after_the_notice(station, tmp_path, capsys):
    db, _admin, path = station
    pw = tmp_path / "pw.txt"
    pw.write_text("admin12345\n", encoding="utf-8")
    clock.set_today(D(2027, 2, 13))
    numbers = _import(tmp_path, capsys, path, pw, [
        records.registered("2026-12-29T09:00:00+08:00"),
        records.registered("2026-12-31T09:00:00+08:00"),
        records.registered("2027-02-03T09:00:00+08:00"),
    ])
    first, second, third = numbers
    # Before the notice: New Year's Day and the Spring Festival are rest days by law; provisional.
    assert _stored(db, first) == ("2027-01-04", "2027-01-13", 1)
    assert _stored(db, second) == ("2027-01-06", "2027-01-15", 1)
    assert _stored(db, third) == ("2027-02-12", "2027-02-18", 1)
    case = cases.get_case(db, first, today=D(2027, 1, 4))
    assert case["acceptance_due"] == "2027-01-04" and case["overdue"] is False and case["provisional"] is True
    assert "暂定" in case["deadline_rules"]["acceptance_due"]
    code, out, _ = _cli(capsys, "cases", "--db", path, "--user", "admin", "--password-file", pw,
                        "--status", "overdue", "--json")
    assert code == 0 and third in out  # on 2027-02-13, with 02-12 as its assumed due date

    # The notice arrives: one command, checked, every stored deadline recomputed.
    notice = tmp_path / "2027.txt"
    notice.write_text(NOTICE_2027, encoding="utf-8")
    code, out, err = _cli(capsys, "calendar", "notice", "--db", path, "--user", "admin", "--password-file", pw,
                          "--year", 2027, "--file", notice)
    assert code == 0, err
    assert "放假29天" in out and "调休上班5天" in out
    assert _stored(db, first) == ("2027-01-04", "2027-01-13", 0)
    assert _stored(db, second) == ("2027-01-06", "2027-01-15", 0)
    assert _stored(db, third) == ("2027-02-16", "2027-02-18", 0)  # 02-05…13 off; 02-15, 02-16
    case = cases.get_case(db, third)
    assert case["provisional"] is False and "暂定" not in case["deadline_rules"]["acceptance_due"]
    code, out, _ = _cli(capsys, "cases", "--db", path, "--user", "admin", "--password-file", pw,
                        "--status", "overdue", "--json")
    assert third not in out
    code, out, _ = _cli(capsys, "calendar", "show", "--db", path, "--user", "admin", "--password-file", pw,
                        "--year", 2027, "--json")
    shown = json.loads(out)
    assert shown["status"] == "notice" and shown["overrides"]["2027-01-31"] == "work"
    assert "notices 2027" in shown["data_version"]


def test_incomplete_notice_is_refused_and_changes_nothing(station, tmp_path, capsys):
    db, admin, path = station
    pw = tmp_path / "pw.txt"
    pw.write_text("admin12345\n", encoding="utf-8")
    notice = tmp_path / "2027.txt"
    notice.write_text(NOTICE_2027.replace("五、端午节：6月9日（周三）放假，共1天。\n", ""), encoding="utf-8")
    code, out, err = _cli(capsys, "calendar", "notice", "--db", path, "--user", "admin", "--password-file", pw,
                          "--year", 2027, "--file", notice)
    assert code == 2 and "2027年6月9日（端午节）" in err and "未录入" in err
    assert db.conn.execute("select count(*) from calendar_overrides").fetchone()[0] == 0
    code, out, err = _cli(capsys, "calendar", "notice", "--db", path, "--year", 2027, "--file", notice, "--check")
    assert code == 2
    notice.write_text(NOTICE_2027, encoding="utf-8")
    code, out, err = _cli(capsys, "calendar", "notice", "--db", path, "--year", 2027, "--file", notice, "--check")
    assert code == 0 and "安排完整" in out
    assert db.conn.execute("select count(*) from calendar_overrides").fetchone()[0] == 0


def test_entering_a_corrected_notice_replaces_the_year(station):
    db, admin, _path = station
    case = cases.create_case(db, records.registered("2027-04-28T09:00:00+08:00"), admin, today=D(2027, 4, 28))
    # 04-29, 04-30; May 1–2 by law and 05-03/04 assumed make-up days; then 05-05
    assert case["acceptance_due"] == "2027-05-05" and case["provisional"] is True
    with pytest.raises(InputError):  # one festival is not a year
        workcal.enter_notice(db, holidays.parse_notice("一、元旦：1月1日放假，共1天。", 2027), admin)
    assert db.conn.execute("select count(*) from calendar_overrides").fetchone()[0] == 0
    first = holidays.parse_notice(NOTICE_2027.replace("5月1日（周六）至5日（周三）放假调休，共5天。5月8日（周六）上班。",
                                                      "5月1日（周六）至3日（周一）放假，共3天。5月9日（周日）上班。"), 2027)
    with pytest.raises(InputError):
        workcal.enter_notice(db, first, admin)  # one make-up day short of the balance
    workcal.enter_notice(db, first, admin, allow_unbalanced=True)
    assert cases.get_case(db, case["id"])["acceptance_due"] == "2027-05-04"
    result = workcal.enter_notice(db, holidays.parse_notice(NOTICE_2027, 2027), admin)
    assert result["removed"] == 1 and result["recomputed"] == 1  # 05-09 is no longer a working day
    got = cases.get_case(db, case["id"])
    assert got["acceptance_due"] == "2027-05-06" and got["provisional"] is False
    assert db.conn.execute("select acceptance_due, provisional from cases").fetchone() == ("2027-05-06", 0)
    assert db.conn.execute("select count(*) from audit_log where action = 'calendar.notice'").fetchone()[0] == 2


def test_only_provisional_refresh_writes_nothing_when_nothing_moved(station):
    db, admin, _path = station
    cases.create_case(db, records.registered("2026-12-30T09:00:00+08:00"), admin, today=D(2026, 12, 30))
    cases.create_case(db, records.registered("2026-11-02T09:00:00+08:00"), admin, today=D(2026, 12, 30))
    assert cases.recompute_deadlines(db, only_provisional=True) == 0
    # A stale stored deadline (as after a newer calendar package) is put right; the settled one is left alone.
    db.conn.execute("update cases set acceptance_due = '2000-01-01' where received_date = '2026-12-30'")
    assert cases.recompute_deadlines(db, only_provisional=True) == 1
    assert db.conn.execute("select acceptance_due from cases where received_date = '2026-12-30'").fetchone()[0] == \
        "2027-01-05"


NOTICE_2025 = """国务院办公厅关于2025年部分节假日安排的通知
一、元旦：1月1日（周三）放假1天，不调休。
二、春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。1月26日（周日）、2月8日（周六）上班。
三、清明节：4月4日（周五）至6日（周日）放假，共3天。
四、劳动节：5月1日（周四）至5日（周一）放假调休，共5天。4月27日（周日）上班。
五、端午节：5月31日（周六）至6月2日（周一）放假，共3天。
六、国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，共8天。9月28日（周日）、10月11日（周六）上班。
节假日期间，各地区、各部门要妥善安排好值班和安全、保卫等工作。
"""


def test_the_2025_wording_reads_too_one_day_without_swap_and_two_festivals_in_one_block():
    notice = holidays.parse_notice(NOTICE_2025, 2025)
    assert holidays.notice_problems(notice) == []
    assert notice.rest[D(2025, 10, 6)] == "中秋节" and notice.rest[D(2025, 10, 1)] == "国庆节"
    d = D(2025, 1, 1)
    while d.year == 2025:
        assert (d in notice.work or (d not in notice.rest and d.weekday() < 5)) == chinese_calendar.is_workday(d), d
        d += dt.timedelta(days=1)
