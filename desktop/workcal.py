"""Working-day calendar for statutory deadlines (domain.md §6).

Three sources, in order of precedence:

1. local overrides (table ``calendar_overrides``), filled by an administrator from the
   State Council notice (``enter_notice`` takes a whole year at once), so that a station can
   follow a schedule the package does not know yet;
2. the ``chinese_calendar`` package (covers a fixed range of years and raises
   ``NotImplementedError`` outside it);
3. for other years, the law: the statutory holidays (``desktop.holidays``, computed from the
   lunar calendar and solar terms) are rest days, a holiday on a weekend is assumed to be made up
   on the next weekdays, and other days follow Monday–Friday.  A deadline is provisional when a day
   it depends on lies near a holiday, where the year's notice (调休) may still move it; a year is
   covered, and nothing in it provisional, once the package or a whole notice in the overrides
   covers it.

Public functions other modules rely on (keep their signatures): ``WorkCalendar``,
``add_working_days``, ``period_end``, ``enter_notice``, ``year_status``.
"""

from __future__ import annotations

import datetime
import functools
import logging
import sqlite3
from typing import Any, NamedTuple

import chinese_calendar

from desktop import holidays

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
        self._notice_years: dict[int, bool] = {}

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
        years = sorted({d.year for d in self._overrides if self.notice_covers(d.year)})
        notices = f"; notices {','.join(map(str, years))}" if years else ""
        return f"chinese-calendar {version}; overrides {len(self._overrides)}{notices}"

    def notice_covers(self, year: int) -> bool:
        """True when the overrides hold a whole notice for `year`: every statutory holiday is entered as a day off."""
        hit = self._notice_years.get(year)
        if hit is None:
            stat = holidays.statutory_holidays(year)
            hit = self._notice_years[year] = bool(stat) and all(self._overrides.get(d) is False for d in stat)
        return hit

    def year_covered(self, year: int) -> bool:
        """The package or a whole entered notice knows this year's schedule."""
        return _package_is_workday(datetime.date(year, 7, 1)) is not None or self.notice_covers(year)

    def is_covered(self, d: datetime.date) -> bool:
        """Whether the day's status is settled (False: the year's notice may still change it)."""
        if d in self._overrides or _package_is_workday(d) is not None or self.notice_covers(d.year):
            return True
        if d.year < holidays.FIRST_LAW_YEAR:
            return False  # no holiday data of any kind
        if d in holidays.statutory_holidays(d.year):
            return True  # fixed by law whatever the notice says
        return not any(d in holidays.uncertain_days(y) and not self.year_covered(y)
                       for y in (d.year - 1, d.year, d.year + 1))

    def is_workday(self, d: datetime.date) -> bool:
        if d in self._overrides:
            return self._overrides[d]
        known = _package_is_workday(d)
        if known is not None:
            return known
        if not self.notice_covers(d.year) and (d in holidays.statutory_holidays(d.year)
                                               or d in holidays.assumed_makeup_days(d.year)):
            return False
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
            if _package_is_workday(d) is None:
                name = holidays.statutory_holidays(d.year).get(d) or holidays.assumed_makeup_days(d.year).get(d)
                if name:
                    return name
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


_PROVISIONAL_NOTE = "（暂定：该年国务院放假安排尚未收录，已按法定节假日推算，调休可能改变此日期）"

# A calendar with no overrides, for callers that have no database at hand.
_default = WorkCalendar()


def add_working_days(start: datetime.date, n: int, *, event: str = "") -> Deadline:
    return _default.add_working_days(start, n, event=event)


def period_end(start: datetime.date, days: int, *, event: str = "") -> Deadline:
    return _default.period_end(start, days, event=event)


# --- the year's notice and whether a year is known ---------------------------------------------

def year_status(cal: WorkCalendar, year: int) -> str:
    """How `cal` knows `year`: "package", "notice" (entered overrides), or "law" (statutory holidays only)."""
    if _package_is_workday(datetime.date(year, 7, 1)) is not None:
        return "package"
    return "notice" if cal.notice_covers(year) else "law"


# Called with (db, since=date) after a notice changes the calendar: desktop.cases.deadlines registers its
# recompute_deadlines (the case code depends on this module, so this module must not import it).
_calendar_hooks: list = []


def on_calendar_change(hook) -> None:
    if hook not in _calendar_hooks:
        _calendar_hooks.append(hook)


def enter_notice(db, notice: holidays.Notice, actor, *, allow_unbalanced: bool = False) -> dict:
    """Enter a whole State Council notice as the year's overrides, then recompute every stored deadline.

    Checks the notice is complete first (``holidays.notice_problems``) and raises InputError with
    the reasons, changing nothing. Overrides of that year that the notice does not list are removed,
    so entering a corrected notice again leaves exactly the new one. One transaction; audited.
    Returns {"year", "rest", "work", "removed", "recomputed"}.
    """
    from desktop import org
    from desktop.security import audit
    from desktop.security.accounts import require
    from desktop.errors import InputError

    require(actor, "admin")
    problems = holidays.notice_problems(notice, allow_unbalanced=allow_unbalanced)
    if problems:
        raise InputError(problems)
    wanted: dict[datetime.date, tuple[bool, str]] = {d: (False, name) for d, name in notice.rest.items()}
    wanted.update({d: (True, f"{name}调休上班" if name else "调休上班") for d, name in notice.work.items()})
    removed = 0
    with db.atomic():
        for o in org.calendar_overrides(db):
            d = datetime.date.fromisoformat(o["date"])
            if d.year == notice.year and d not in wanted:
                org.remove_calendar_override(db, o["date"], actor)
                removed += 1
        current = {o["date"]: (o["is_workday"], o["note"]) for o in org.calendar_overrides(db)}
        for d, (workday, note) in sorted(wanted.items()):
            if current.get(d.isoformat()) != (workday, note):
                org.set_calendar_override(db, d.isoformat(), workday, note, actor)
        audit.log(db, actor.name, "calendar.notice", target="calendar_overrides", record_id=str(notice.year),
                  detail={"rest": len(notice.rest), "work": len(notice.work), "removed": removed,
                          "unbalanced_allowed": bool(allow_unbalanced)})
        if not _calendar_hooks:
            raise RuntimeError("no deadline recomputation registered: import desktop.cases first")
        since = datetime.date(notice.year - 1, 12, 1)
        recomputed = sum(hook(db, since=since) for hook in _calendar_hooks)
    return {"year": notice.year, "rest": len(notice.rest), "work": len(notice.work), "removed": removed,
            "recomputed": recomputed}
