"""The program's one clock: every "today" and "now" in the core and the UI comes from here.

Dates are China's (+08:00, no DST) whatever the PC's zone, because deadlines are counted in
China's working days (contract.md).

The clock can be moved, for tests and for trying a hard day by hand:
- ``MEDIATION_DESK_TODAY=2026-12-31`` (environment) makes the program believe that date; the
  time of day keeps running, so every process started with the same variable agrees on the day.
  ``MEDIATION_DESK_NOW=2026-12-31T16:30:00`` also fixes the time of day at start (it then runs on).
- ``set_now(dt)`` / ``set_today(d)`` move it inside one process (tests); ``reset()`` puts it back.

A test (tests/test_clock_rule.py) fails when any other module reads the system date itself.
"""

from __future__ import annotations

import datetime as _dt
import os
import time as _time

TZ = _dt.timezone(_dt.timedelta(hours=8))  # China Standard Time

ENV_TODAY = "MEDIATION_DESK_TODAY"
ENV_NOW = "MEDIATION_DESK_NOW"

# The clock is the system's, shifted by _offset seconds; tests may also freeze it (_frozen).
_offset: float = 0.0
_frozen: _dt.datetime | None = None


def _system_now() -> _dt.datetime:
    return _dt.datetime.fromtimestamp(_time.time(), TZ)


def _offset_from_env() -> float:
    raw_now = os.environ.get(ENV_NOW, "").strip()
    raw_today = os.environ.get(ENV_TODAY, "").strip()
    real = _system_now()
    if raw_now:
        target = _dt.datetime.fromisoformat(raw_now)
        if target.tzinfo is None:
            target = target.replace(tzinfo=TZ)
        return (target - real).total_seconds()
    if raw_today:
        # Whole days only, so that processes started at different moments agree on the day.
        target_day = _dt.date.fromisoformat(raw_today)
        return float((target_day - real.date()).days * 86400)
    return 0.0


def reset() -> None:
    """Back to the system clock (or the date the environment asks for)."""
    global _offset, _frozen
    _frozen = None
    try:
        _offset = _offset_from_env()
    except ValueError as exc:  # a mistyped variable must not start the program on a wrong day
        raise SystemExit(f"环境变量 {ENV_TODAY}/{ENV_NOW} 的日期格式不对（应为 YYYY-MM-DD）：{exc}") from None


def now_datetime() -> _dt.datetime:
    """The current moment, aware, in China time."""
    if _frozen is not None:
        return _frozen
    return _dt.datetime.fromtimestamp(_time.time() + _offset, TZ)


def now() -> str:
    """The current moment as ISO 8601 with the +08:00 offset (contract.md)."""
    return now_datetime().isoformat(timespec="seconds")


def today() -> _dt.date:
    """China's date today."""
    return now_datetime().date()


def set_now(moment: _dt.datetime, *, frozen: bool = False) -> None:
    """Move the clock so that it now reads ``moment`` (naive means China time); it keeps running
    unless ``frozen``."""
    global _offset, _frozen
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TZ)
    if frozen:
        _frozen = moment.astimezone(TZ)
    else:
        _frozen = None
        _offset = moment.timestamp() - _time.time()


def set_today(day: _dt.date, at: _dt.time = _dt.time(10, 0)) -> None:
    """Move the clock to ``day`` at ``at`` (10:00 by default, inside office hours), running."""
    set_now(_dt.datetime.combine(day, at))


def is_moved() -> bool:
    return _frozen is not None or _offset != 0.0


reset()
