"""Typed values bound into templates, and how each type is printed."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Money:
    fen: int


@dataclass(frozen=True)
class Deadline:
    date: _dt.date
    provisional: bool = False


_CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """Small counts in Chinese numerals: 3 → 三, 10 → 十, 12 → 十二, 21 → 二十一, 105 → 一百零五."""
    if n < 0:
        raise ValueError("negative count")
    if n < 10:
        return _CN_DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        if rest == 0:
            return _CN_DIGITS[hundreds] + "百"
        mid = "零" if rest < 10 else ""
        tail = cn_number(rest) if rest >= 10 else _CN_DIGITS[rest]
        if 10 <= rest < 20:
            tail = "一" + tail
        return _CN_DIGITS[hundreds] + "百" + mid + tail
    return str(n)


def parse_date(value) -> _dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def parse_datetime(value) -> _dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, _dt.datetime):
        return value
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day)
    try:
        return _dt.datetime.fromisoformat(str(value))
    except ValueError:
        d = parse_date(value)
        return _dt.datetime(d.year, d.month, d.day) if d else None
