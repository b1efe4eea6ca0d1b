"""Working-day calendar for statutory deadlines (domain.md §6).

Three sources, in order of precedence:

1. local overrides (table ``calendar_overrides``), filled by an administrator from the
   State Council notice, so that a station can follow a schedule the package does not know yet;
2. the ``chinese_calendar`` package (covers a fixed range of years and raises
   ``NotImplementedError`` outside it);
3. a Monday–Friday fallback.  Any deadline that needed the fallback is marked provisional,
   because the real holiday schedule may move it.
"""

from __future__ import annotations

import datetime
import functools
import logging
import sqlite3
from typing import Any, NamedTuple

import chinese_calendar

log = logging.getLogger(__name__)

_WEEKDAY_NAMES = "一二三四五六日"

# The package stores holidays under their English names; map them to the Chinese label.
_HOLIDAY_CN = {h.value: h.chinese for h in chinese_calendar.Holiday}


class Deadline(NamedTuple):
    date: datetime.date
    provisional: bool  # True if any day consulted fell outside the known holiday data
    rule: str  # short Chinese explanation shown next to the date


@functools.lru_cache(maxsize=8192)
def _package_is_workday(d: datetime.date) -> bool | None:
    """The package's answer, or None if it has no data for d's year."""
    try:
        return bool(chinese_calendar.is_workday(d))
    except NotImplementedError:
        return None


class WorkCalendar:
    def __init__(
        self,
        overrides: dict[datetime.date, bool] | None = None,
        *,
        notes: dict[datetime.date, str] | None = None,
    ) -> None:
        self._overrides = dict(overrides or {})
        self._notes = dict(notes or {})
        self._memo: dict[tuple, Deadline] = {}

    @classmethod
    def from_db(cls, conn: Any) -> WorkCalendar:
        """Load overrides from ``calendar_overrides``; a missing table means no overrides."""
        try:
            rows = list(conn.execute("SELECT date, is_workday, note FROM calendar_overrides"))
        except sqlite3.OperationalError as exc:
            if "no such table" not in str(exc):
                raise
            return cls()
        overrides: dict[datetime.date, bool] = {}
        notes: dict[datetime.date, str] = {}
        for raw_date, is_workday, note in rows:
            try:
                d = datetime.date.fromisoformat(str(raw_date))
            except ValueError:
                # One bad row typed by hand must not stop every deadline from being computed.
                log.warning("ignoring calendar override with invalid date %r", raw_date)
                continue
            overrides[d] = bool(is_workday)
            if note:
                notes[d] = str(note)
        return cls(overrides, notes=notes)

    @property
    def overrides(self) -> dict[datetime.date, bool]:
        return dict(self._overrides)

    def data_version(self) -> str:
        """Which calendar data produced the deadlines (goes into export bundles, §6.3)."""
        version = getattr(chinese_calendar, "__version__", "unknown")
        return f"chinese-calendar {version}; overrides {len(self._overrides)}"

    def is_covered(self, d: datetime.date) -> bool:
        return d in self._overrides or _package_is_workday(d) is not None

    def is_workday(self, d: datetime.date) -> bool:
        if d in self._overrides:
            return self._overrides[d]
        known = _package_is_workday(d)
        if known is not None:
            return known
        return d.weekday() < 5

    def rest_day_name(self, d: datetime.date) -> str | None:
        """Why d is a rest day (holiday name, override note or weekday); None on a working day."""
        if self.is_workday(d):
            return None
        if d in self._notes:
            return self._notes[d]
        if d not in self._overrides:
            try:
                on_holiday, name = chinese_calendar.get_holiday_detail(d)
            except NotImplementedError:
                on_holiday, name = False, None
            if on_holiday and name:
                return _HOLIDAY_CN.get(name, name)
        if d.weekday() >= 5:
            return "星期" + _WEEKDAY_NAMES[d.weekday()]
        return "休息日"

    def add_working_days(self, start: datetime.date, n: int, *, event: str = "") -> Deadline:
        key = ("w", start, n, event)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = self._add_working_days(start, n, event=event)
        return hit

    def period_end(self, start: datetime.date, days: int, *, event: str = "") -> Deadline:
        key = ("p", start, days, event)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = self._period_end(start, days, event=event)
        return hit

    def _add_working_days(self, start: datetime.date, n: int, *, event: str = "") -> Deadline:
        """The n-th working day after ``start`` (start not counted; adjusted weekend workdays count).

        ``event`` names the trigger in the rule text, e.g. "收到申请".
        """
        if n < 1:
            raise ValueError("n must be at least 1")
        provisional = False
        d = start
        counted = 0
        while counted < n:
            d += datetime.timedelta(days=1)
            provisional |= not self.is_covered(d)
            if self.is_workday(d):
                counted += 1
        rule = f"{event or start.isoformat()}次日起第{n}个工作日"
        return Deadline(d, provisional, rule + (_PROVISIONAL_NOTE if provisional else ""))

    def _period_end(self, start: datetime.date, days: int, *, event: str = "") -> Deadline:
        """End of a natural-day period: start + days, moved to the next working day if that is a rest day."""
        if days < 1:
            raise ValueError("days must be at least 1")
        end = start + datetime.timedelta(days=days)
        # Only the last day (and any days it is pushed through) depends on the calendar.
        provisional = not self.is_covered(end)
        reason = self.rest_day_name(end)
        d = end
        while not self.is_workday(d):
            d += datetime.timedelta(days=1)
            provisional |= not self.is_covered(d)
        origin = event or start.isoformat()
        if d == end:
            rule = f"{origin}次日起算{days}日，届满日为{end.isoformat()}"
        else:
            rule = f"{days}日期间届满日{end.isoformat()}为休息日（{reason}），顺延至下一工作日"
        return Deadline(d, provisional, rule + (_PROVISIONAL_NOTE if provisional else ""))


_PROVISIONAL_NOTE = "（暂定：部分日期超出已收录的节假日安排，按周一至周五推算）"

# A calendar with no overrides, for callers that have no database at hand.
_default = WorkCalendar()


def add_working_days(start: datetime.date, n: int, *, event: str = "") -> Deadline:
    return _default.add_working_days(start, n, event=event)


def period_end(start: datetime.date, days: int, *, event: str = "") -> Deadline:
    return _default.period_end(start, days, event=event)
