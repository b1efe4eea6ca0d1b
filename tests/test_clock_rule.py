"""One clock: only desktop/clock.py reads the system's date and time.

Every deadline the program shows depends on "today"; if a module read the PC's clock itself,
a test (or CI's hard-date run) could not move it, and a PC in another zone would disagree.
"""

from __future__ import annotations

import ast
import datetime as _dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop import clock

ROOT = Path(__file__).resolve().parents[1]

# Calls that read the system clock as a calendar date or wall time.
_BANNED_ATTRS = {
    "today": {"date", "datetime"},
    "now": {"datetime"},
    "utcnow": {"datetime"},
    "time": {"time"},
    "localtime": {"time"},
    "gmtime": {"time"},
    "ctime": {"time"},
    "currentDate": {"QDate"},
    "currentDateTime": {"QDateTime"},
    "currentDateTimeUtc": {"QDateTime"},
    "currentTime": {"QTime"},
    "currentSecsSinceEpoch": {"QDateTime"},
    "currentMSecsSinceEpoch": {"QDateTime"},
}
_BANNED_SQL = ("'now'", '"now"', "current_date", "current_timestamp", "current_time")


def _owner_name(node: ast.AST) -> str | None:
    """The last name of what an attribute is read from: `_dt.datetime.now` -> 'datetime'."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def clock_reads(source: str) -> list[tuple[int, str]]:
    """Each clock read in `source`; a line that says "not a date" in its comment is exempt (the
    age of a file in seconds, say, must follow the real clock even when tests move the calendar)."""
    found = []
    lines = source.splitlines()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owners = _BANNED_ATTRS.get(node.func.attr)
            owner = _owner_name(node.func.value)
            if owners and owner in owners:
                # time.localtime(x)/time.gmtime(x)/time.ctime(x) convert a given instant: allowed
                if node.func.attr in {"localtime", "gmtime", "ctime"} and node.args:
                    continue
                found.append((node.lineno, f"{owner}.{node.func.attr}()"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            low = node.value.lower()
            if any(word in low for word in _BANNED_SQL) and ("select" in low or "date(" in low
                                                             or "default" in low or "datetime(" in low):
                found.append((node.lineno, "SQL reads the clock"))
    return [(n, what) for n, what in found if "not a date" not in lines[n - 1].partition("#")[2]]


def _python_files(*dirs: str):
    for d in dirs:
        for p in sorted((ROOT / d).rglob("*.py")):
            yield p


def test_the_rule_itself_finds_each_kind_of_clock_read():
    src = """
import datetime as _dt, time
from datetime import date, datetime
from PySide6.QtCore import QDate, QDateTime
a = date.today(); b = datetime.now(); c = _dt.datetime.now(tz); d = _dt.date.today()
e = time.time(); f = QDate.currentDate(); g = QDateTime.currentDateTime(); h = time.localtime()
i = "select date('now')"
ok1 = time.perf_counter(); ok2 = time.monotonic(); ok3 = time.localtime(12)
age = time.time() - mtime  # seconds since the file was written, not a date
"""
    assert [what for _, what in clock_reads(src)] == [
        "date.today()", "datetime.now()", "datetime.now()", "date.today()",
        "time.time()", "QDate.currentDate()", "QDateTime.currentDateTime()", "time.localtime()",
        "SQL reads the clock",
    ]


def test_no_module_but_the_clock_reads_the_system_date():
    offenders = []
    for p in _python_files("desktop", "tests", "bench"):
        rel = p.relative_to(ROOT).as_posix()
        if rel in {"desktop/clock.py", "tests/test_clock_rule.py"}:
            continue
        offenders += [f"{rel}:{line}: {what}" for line, what in clock_reads(p.read_text(encoding="utf-8"))]
    assert offenders == [], "read the date through desktop.clock instead:\n" + "\n".join(offenders)


def test_set_today_moves_every_reader():
    from desktop import validate
    from desktop.validate import FieldError, id_check_char

    first17 = "11010120101231001"
    number = first17 + id_check_char(first17)  # born 2010-12-31
    clock.set_today(_dt.date(2026, 12, 30))
    with pytest.raises(FieldError, match="未满16周岁"):
        validate.check_id_number(number, min_age=16)
    clock.set_today(_dt.date(2026, 12, 31))  # the 16th birthday: the default "today" follows the clock
    assert clock.today() == _dt.date(2026, 12, 31) and clock.now().startswith("2026-12-31T10:00")
    assert validate.check_id_number(number, min_age=16).birth_date == _dt.date(2010, 12, 31)


def test_frozen_clock_stands_still_and_reset_returns():
    moment = _dt.datetime(2028, 2, 29, 23, 59, 59, tzinfo=clock.TZ)
    clock.set_now(moment, frozen=True)
    assert clock.now_datetime() == moment and clock.now_datetime() == moment
    clock.reset()
    assert abs((clock.now_datetime() - _dt.datetime.now(_dt.timezone.utc)).total_seconds()) < 5 or \
        os.environ.get(clock.ENV_TODAY) or os.environ.get(clock.ENV_NOW)


@pytest.mark.parametrize("day", ["2026-09-30", "2026-02-18", "2026-12-31", "2028-02-29"])
def test_environment_moves_a_fresh_process(day):
    env = dict(os.environ, **{clock.ENV_TODAY: day})
    env.pop(clock.ENV_NOW, None)
    r = subprocess.run([sys.executable, "-c", "from desktop import clock; print(clock.today(), clock.now())"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    shown_day, shown_now = r.stdout.split()
    assert shown_day == day and shown_now.startswith(day + "T") and shown_now.endswith("+08:00")


def test_a_mistyped_environment_date_is_a_clear_refusal():
    env = dict(os.environ, **{clock.ENV_TODAY: "2026-13-01"})
    env.pop(clock.ENV_NOW, None)
    r = subprocess.run([sys.executable, "-c", "from desktop import clock"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "YYYY-MM-DD" in r.stderr and "Traceback" not in r.stderr
