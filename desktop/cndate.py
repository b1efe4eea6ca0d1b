"""Dates as printed on documents (domain.md §4.5)."""

from __future__ import annotations

import datetime

# 〇 is U+3007 IDEOGRAPHIC NUMBER ZERO (GB/T 15835-2011), not 零 and not ○ (U+25CB).
_YEAR_DIGITS = "〇一二三四五六七八九"
_NUMERALS = "零一二三四五六七八九"


def _month_or_day(n: int) -> str:
    """1..31 the way they are read: 十, 十一, 二十, 三十一 (never 一十)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _NUMERALS[tens] + "十")
    return head + (_NUMERALS[ones] if ones else "")


def cn_date(d: datetime.date) -> str:
    """2026-11-21 -> 二〇二六年十一月二十一日 (signature dates of mediation documents)."""
    year = "".join(_YEAR_DIGITS[int(c)] for c in str(d.year))
    return f"{year}年{_month_or_day(d.month)}月{_month_or_day(d.day)}日"


def arabic_date(d: datetime.date) -> str:
    """2026-01-05 -> 2026年1月5日 (GB/T 9704 style, no leading zeros)."""
    return f"{d.year}年{d.month}月{d.day}日"
