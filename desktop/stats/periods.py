"""Report periods: a year `2026`, a quarter `2026-Q3` or a month `2026-09` (contract.md `report --period`)."""

from __future__ import annotations

import calendar
import datetime as _dt
import re
from dataclasses import dataclass

from desktop.errors import InputError

_YEAR = re.compile(r"(\d{4})")
_QUARTER = re.compile(r"(\d{4})-[Qq]([1-4])")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True)
class Period:
    label: str  # canonical text, e.g. "2026-Q3"
    kind: str  # year / quarter / month
    start: _dt.date
    end: _dt.date  # inclusive

    @property
    def start_text(self) -> str:
        return self.start.isoformat()

    @property
    def end_text(self) -> str:
        return self.end.isoformat()

    @property
    def title(self) -> str:
        """The period as printed on the report: 2026年第三季度."""
        y = self.start.year
        if self.kind == "year":
            return f"{y}年"
        if self.kind == "quarter":
            return f"{y}年第{'一二三四'[(self.start.month - 1) // 3]}季度"
        return f"{y}年{self.start.month}月"

    def months(self) -> list["Period"]:
        return [month(self.start.year, m) for m in range(self.start.month, self.end.month + 1)]


def month(year: int, m: int) -> Period:
    return Period(f"{year:04d}-{m:02d}", "month", _dt.date(year, m, 1),
                  _dt.date(year, m, calendar.monthrange(year, m)[1]))


def quarter(year: int, q: int) -> Period:
    first = 3 * (q - 1) + 1
    return Period(f"{year:04d}-Q{q}", "quarter", _dt.date(year, first, 1),
                  _dt.date(year, first + 2, calendar.monthrange(year, first + 2)[1]))


def year(y: int) -> Period:
    return Period(f"{y:04d}", "year", _dt.date(y, 1, 1), _dt.date(y, 12, 31))


def parse_period(text) -> Period:
    """Parse the --period value; a clear Chinese message for anything else."""
    s = str(text or "").strip()
    bad = f"--period: 统计期间格式不正确「{s}」，应为年份（2026）、季度（2026-Q3）或月份（2026-09）"
    for pattern, make in ((_YEAR, lambda m: year(int(m[1]))),
                          (_QUARTER, lambda m: quarter(int(m[1]), int(m[2]))),
                          (_MONTH, lambda m: month(int(m[1]), int(m[2])))):
        m = pattern.fullmatch(s)
        if m:
            y = int(m[1])
            if not 1990 <= y <= 2200:
                raise InputError(f"--period: 年份超出范围「{s}」（1990–2200）")
            if pattern is _MONTH and not 1 <= int(m[2]) <= 12:
                raise InputError(bad)
            return make(m)
    raise InputError(bad)
