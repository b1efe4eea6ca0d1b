import sqlite3
from datetime import date

import pytest

from desktop.workcal import Deadline, WorkCalendar, add_working_days, period_end

# domain.md §6.2: trigger, +3 working days, +15 natural days (adjusted)
WORKED_EXAMPLES = [
    (date(2026, 9, 18), date(2026, 9, 22), date(2026, 10, 8)),
    (date(2026, 9, 30), date(2026, 10, 10), date(2026, 10, 15)),
    (date(2026, 2, 13), date(2026, 2, 25), date(2026, 2, 28)),
    (date(2026, 1, 1), date(2026, 1, 6), date(2026, 1, 16)),
    (date(2026, 4, 30), date(2026, 5, 8), date(2026, 5, 15)),
    (date(2026, 11, 20), date(2026, 11, 25), date(2026, 12, 7)),
]


@pytest.mark.parametrize(("start", "plus3", "plus15"), WORKED_EXAMPLES)
def test_worked_examples(start, plus3, plus15):
    cal = WorkCalendar()
    d3 = cal.add_working_days(start, 3)
    assert d3 == Deadline(plus3, False, d3.rule)
    assert "第3个工作日" in d3.rule
    d15 = cal.period_end(start, 15)
    assert d15.date == plus15
    assert d15.provisional is False


def test_rule_texts():
    cal = WorkCalendar()
    assert cal.add_working_days(date(2026, 9, 18), 3, event="收到申请").rule == "收到申请次日起第3个工作日"
    moved = cal.period_end(date(2026, 9, 18), 15)
    assert "届满日2026-10-03为休息日（国庆节）" in moved.rule
    assert "顺延至下一工作日" in moved.rule
    plain = cal.period_end(date(2026, 9, 30), 15)
    assert "顺延" not in plain.rule and "2026-10-15" in plain.rule


def test_module_level_helpers_match_calendar():
    assert add_working_days(date(2026, 9, 18), 3).date == date(2026, 9, 22)
    assert period_end(date(2026, 11, 20), 15).date == date(2026, 12, 7)


def test_adjusted_weekend_counts_and_holidays_do_not():
    cal = WorkCalendar()
    assert cal.is_workday(date(2026, 9, 20))  # Sunday, adjusted working day
    assert not cal.is_workday(date(2026, 10, 5))  # Monday in the National Day block
    assert cal.rest_day_name(date(2026, 10, 5)) == "国庆节"
    assert cal.rest_day_name(date(2026, 11, 21)) == "星期六"
    assert cal.rest_day_name(date(2026, 9, 20)) is None


def test_uncovered_year_falls_back_and_is_provisional():
    cal = WorkCalendar()
    assert not cal.is_covered(date(2027, 1, 4))
    assert cal.is_covered(date(2026, 12, 31))
    # 2026-12-31 Thu (covered workday); 2027-01-01 Fri is New Year's Day by law (issue 13: the old
    # Monday–Friday fallback counted it as a working day); then Mon 01-04 and Tue 01-05
    d = cal.add_working_days(date(2026, 12, 30), 3)
    assert d.date == date(2027, 1, 5)
    assert d.provisional is True
    assert "暂定" in d.rule


def test_period_end_into_uncovered_year():
    cal = WorkCalendar()
    d = cal.period_end(date(2026, 12, 20), 15)  # 2027-01-04, a Monday
    assert d.date == date(2027, 1, 4)
    assert d.provisional is True
    # Falls on Saturday 2027-01-02 under the fallback: moved to Monday
    d = cal.period_end(date(2026, 12, 18), 15)
    assert d.date == date(2027, 1, 4)
    assert d.provisional


def test_deadline_within_covered_range_is_not_provisional_even_near_year_end():
    cal = WorkCalendar()
    d = cal.add_working_days(date(2026, 12, 24), 3)
    assert d.date == date(2026, 12, 29)
    assert d.provisional is False


def test_override_rest_day_in_uncovered_year_changes_result():
    cal = WorkCalendar({date(2027, 1, 4): False})
    d = cal.add_working_days(date(2026, 12, 30), 3)
    # 12-31 counts; 01-01 is New Year's Day by law; 01-04 rest by override; then 01-05 and 01-06
    assert d.date == date(2027, 1, 6)
    assert d.provisional is True  # 01-05 and 01-06 lie near New Year: the notice may still move them


def test_override_working_saturday_in_uncovered_year():
    cal = WorkCalendar({date(2027, 1, 2): True})
    # New Year's Day (Fri) is a holiday by law; the overridden Saturday is the first working day after it
    d = cal.add_working_days(date(2026, 12, 31), 1)
    assert d.date == date(2027, 1, 2)


def test_override_beats_package_in_covered_year():
    cal = WorkCalendar({date(2026, 9, 21): False, date(2026, 10, 3): True})
    assert not cal.is_workday(date(2026, 9, 21))
    assert cal.add_working_days(date(2026, 9, 18), 3).date == date(2026, 9, 23)
    assert cal.period_end(date(2026, 9, 18), 15).date == date(2026, 10, 3)


def test_override_makes_uncovered_date_not_provisional():
    cal = WorkCalendar({date(2027, 1, 4): True})
    assert cal.is_covered(date(2027, 1, 4))
    d = cal.period_end(date(2026, 12, 20), 15)
    assert d == Deadline(date(2027, 1, 4), False, d.rule)
    # A full set of overrides for the days consulted removes the provisional mark too.
    cal = WorkCalendar({date(2027, 1, 1): False, date(2027, 1, 2): False, date(2027, 1, 3): False, date(2027, 1, 4): True, date(2027, 1, 5): True})
    d = cal.add_working_days(date(2026, 12, 30), 3)
    assert d.date == date(2027, 1, 5)
    assert d.provisional is False


def test_year_before_package_range_does_not_crash():
    cal = WorkCalendar()
    d = cal.add_working_days(date(2003, 5, 1), 1)
    assert d.date == date(2003, 5, 2)
    assert d.provisional


def test_invalid_counts_rejected():
    cal = WorkCalendar()
    with pytest.raises(ValueError):
        cal.add_working_days(date(2026, 1, 1), 0)
    with pytest.raises(ValueError):
        cal.period_end(date(2026, 1, 1), 0)


def test_from_db_reads_overrides(tmp_path):
    path = tmp_path / "station.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE calendar_overrides (date TEXT PRIMARY KEY, is_workday INTEGER, note TEXT)")
    conn.executemany(
        "INSERT INTO calendar_overrides VALUES (?, ?, ?)",
        [("2027-01-04", 0, "元旦调休"), ("2027-01-09", 1, "调休上班"), ("not-a-date", 0, None)],
    )
    conn.commit()
    conn.close()

    conn = sqlite3.connect(path)
    cal = WorkCalendar.from_db(conn)
    conn.close()
    assert cal.overrides == {date(2027, 1, 4): False, date(2027, 1, 9): True}
    assert cal.rest_day_name(date(2027, 1, 4)) == "元旦调休"
    assert cal.is_workday(date(2027, 1, 9))  # a Saturday
    # 12-31, then (01-01 New Year's Day by law, 01-04 overridden rest) 01-05, 01-06
    assert cal.add_working_days(date(2026, 12, 30), 3).date == date(2027, 1, 6)
    assert "overrides 2" in cal.data_version()


def test_from_db_without_table(tmp_path):
    conn = sqlite3.connect(tmp_path / "empty.db")
    cal = WorkCalendar.from_db(conn)
    conn.close()
    assert cal.overrides == {}
    assert cal.add_working_days(date(2026, 9, 18), 3).date == date(2026, 9, 22)
