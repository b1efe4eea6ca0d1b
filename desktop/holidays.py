"""Statutory holidays fixed by law, and the State Council's yearly notice (domain.md §6, §9).

The holidays themselves are fixed by 《全国年节及纪念日放假办法》 (2024 revision, in force 2025-01-01:
元旦 1 day, 春节 除夕 to 初三, 清明 on the Qingming solar term, 劳动节 May 1–2, 端午, 中秋, 国庆 Oct 1–3)
and are computed here from the lunar calendar and the solar terms (the `lunar_python` package).
Only the 调休 arrangement (weekend working days, and which weekdays are merged into a holiday block)
waits for the State Council's notice. Art. 6 says a holiday that falls on a weekend is made up on a
working day (补休); without the notice we assume the weekdays right after the holiday's block.

This module is pure: no database. `workcal` uses it for the years the calendar package does not
cover; `parse_notice` and `notice_problems` turn a pasted notice into dates and say whether it is
complete.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from dataclasses import dataclass, field

from desktop.errors import InputError

_D = _dt.timedelta

# Years whose holidays we can compute: the 2007 revision (in force 2008) onwards. Older years fall
# back to Monday–Friday (and are covered by the calendar package anyway).
FIRST_LAW_YEAR = 2008

# 调休 days observed 2008–2026 lie at most 10 days from a statutory holiday (2015's one-off
# anniversary holiday aside); days farther than this cannot be moved by next year's notice.
UNCERTAIN_WINDOW = 14

FESTIVALS = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")


def _lunar(year: int, month: int, day: int) -> _dt.date:
    from lunar_python import Lunar  # imported when first needed: most runs never leave the package's years

    s = Lunar.fromYmd(year, month, day).getSolar()
    return _dt.date(s.getYear(), s.getMonth(), s.getDay())


def _qingming(year: int) -> _dt.date:
    from lunar_python import Lunar

    for name, s in Lunar.fromYmd(year, 3, 1).getJieQiTable().items():
        if name == "清明" and s.getYear() == year:
            return _dt.date(s.getYear(), s.getMonth(), s.getDay())
    raise ValueError(f"no Qingming term found for {year}")  # cannot happen for 1900–2100


@functools.lru_cache(maxsize=64)
def entitlements(year: int) -> tuple[tuple[_dt.date, str], ...]:
    """Each statutory holiday day of the year as (date, festival), in law order.

    A date can appear twice (e.g. 中秋 on 10-01): each day of entitlement is one day off, so a
    coincidence is made up like a weekend.
    """
    if year < FIRST_LAW_YEAR:
        return ()
    new_year = _lunar(year, 1, 1)
    if year >= 2025:  # 2024 revision: 除夕 to 初三
        spring = [new_year + _D(i) for i in (-1, 0, 1, 2)]
    elif year >= 2014:  # 2013 revision: 初一 to 初三
        spring = [new_year + _D(i) for i in (0, 1, 2)]
    else:  # 2007 revision: 除夕 to 初二
        spring = [new_year + _D(i) for i in (-1, 0, 1)]
    days = [(_dt.date(year, 1, 1), "元旦")]
    days += [(d, "春节") for d in spring]
    days.append((_qingming(year), "清明节"))
    days.append((_dt.date(year, 5, 1), "劳动节"))
    if year >= 2025:
        days.append((_dt.date(year, 5, 2), "劳动节"))
    days.append((_lunar(year, 5, 5), "端午节"))
    days.append((_lunar(year, 8, 15), "中秋节"))
    days += [(_dt.date(year, 10, d), "国庆节") for d in (1, 2, 3)]
    return tuple(days)


@functools.lru_cache(maxsize=64)
def statutory_holidays(year: int) -> dict[_dt.date, str]:
    """The rest days the law fixes for `year`: date → festival name (Chinese)."""
    out: dict[_dt.date, str] = {}
    for d, name in entitlements(year):
        out.setdefault(d, name)
    return out


def makeup_needed(year: int) -> int:
    """Days of entitlement that fall on a weekend or on another holiday: each is made up on a working day."""
    ents = entitlements(year)
    distinct = {d for d, _ in ents}
    return sum(1 for d in distinct if d.weekday() >= 5) + (len(ents) - len(distinct))


@functools.lru_cache(maxsize=64)
def assumed_makeup_days(year: int) -> dict[_dt.date, str]:
    """Our guess at the 补休 days before the notice: the weekdays right after each holiday's block."""
    stat = statutory_holidays(year)
    out: dict[_dt.date, str] = {}
    per_festival: dict[str, list[_dt.date]] = {}
    for d, name in entitlements(year):
        per_festival.setdefault(name, []).append(d)
    for name, days in per_festival.items():
        distinct = sorted(set(days))
        owed = sum(1 for d in distinct if d.weekday() >= 5) + (len(days) - len(distinct))
        d = max(distinct)
        while owed:
            d += _D(1)
            if d.weekday() < 5 and d not in stat and d not in out:
                out[d] = f"{name}补休（推定）"
                owed -= 1
    return out


@functools.lru_cache(maxsize=64)
def uncertain_days(year: int) -> frozenset[_dt.date]:
    """Days near the year's statutory holidays that the notice may still change (the holidays excluded)."""
    stat = statutory_holidays(year)
    near = set()
    for h in stat:
        for k in range(-UNCERTAIN_WINDOW, UNCERTAIN_WINDOW + 1):
            near.add(h + _D(k))
    return frozenset(near - set(stat))


# --- the State Council notice --------------------------------------------------------------------

@dataclass
class Notice:
    """One year's State Council holiday arrangement: days off and weekend working days."""

    year: int
    rest: dict[_dt.date, str] = field(default_factory=dict)  # date → festival
    work: dict[_dt.date, str] = field(default_factory=dict)  # 调休上班 date → festival

    def summary(self) -> str:
        return f"{self.year}年：放假{len(self.rest)}天，调休上班{len(self.work)}天"


_FESTIVAL_RE = re.compile(r"(元旦|春节|清明节?|劳动节|五一|端午节?|中秋节?|国庆节?)")
_DATE = r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日"
_RANGE_RE = re.compile(_DATE + r"(?:[（(][^）)]*[）)])?\s*(?:至|到|—|－|-|~|～)\s*(?:(?:(\d{4})年)?(\d{1,2})月)?(\d{1,2})日")
_ONE_RE = re.compile(_DATE)
_COUNT_RE = re.compile(r"共(\d+|[一二三四五六七八九十]+)天")
_CN_NUM = {c: i for i, c in enumerate("零一二三四五六七八九十")}


def _cn_count(text: str) -> int:
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _CN_NUM[text[1]]
    if text.endswith("十"):
        return _CN_NUM[text[0]] * 10
    if "十" in text:
        return _CN_NUM[text[0]] * 10 + _CN_NUM[text[2]]
    return _CN_NUM[text]


def _festival(name: str) -> str:
    return {"清明": "清明节", "五一": "劳动节", "端午": "端午节", "中秋": "中秋节", "国庆": "国庆节"}.get(name, name)


def _mkdate(year_text, month: str, day: str, default_year: int, where: str) -> _dt.date:
    try:
        return _dt.date(int(year_text) if year_text else default_year, int(month), int(day))
    except ValueError:
        raise InputError(f"{where}: 日期无效「{month}月{day}日」") from None


def parse_notice(text: str, year: int) -> Notice:
    """Read the notice as published (「一、元旦：1月1日（周五）至3日（周日）放假调休，共3天。…上班。」).

    Each sentence that says 放假 gives a range (or one day) of days off, checked against its 共N天;
    each sentence that says 上班 lists weekend working days. The festival is the last one named.
    Raises InputError naming the sentence when a date or a count does not read.
    """
    if not isinstance(text, str) or not text.strip():
        raise InputError("放假安排: 内容为空")
    notice = Notice(year)
    problems: list[str] = []
    festival = None
    for sentence in re.split(r"[。；;\n]+", text):
        s = sentence.strip()
        if not s:
            continue
        named = _FESTIVAL_RE.findall(s.split("：")[0] if "：" in s else s)
        if named:
            festival = _festival(named[-1])
        where = f"「{s[:30]}」"
        if "放假" in s and festival:
            m = _RANGE_RE.search(s)
            try:
                if m:
                    start = _mkdate(m.group(1), m.group(2), m.group(3), year, where)
                    end = _mkdate(m.group(4) or m.group(1), m.group(5) or m.group(2), m.group(6), year, where)
                    if end < start:
                        raise InputError(f"{where}: 结束日期早于开始日期")
                    days = [start + _D(i) for i in range((end - start).days + 1)]
                else:
                    one = _ONE_RE.search(s)
                    if not one:  # e.g. the notice's opening sentence, which names every festival
                        continue
                    days = [_mkdate(one.group(1), one.group(2), one.group(3), year, where)]
            except InputError as exc:
                problems.extend(exc.messages)
                continue
            count = _COUNT_RE.search(s)
            if count and _cn_count(count.group(1)) != len(days):
                problems.append(f"{where}: 写明共{count.group(1)}天，但日期范围是{len(days)}天")
            for d in days:  # a holiday inside another's block (中秋 in 国庆) keeps its own name
                notice.rest[d] = statutory_holidays(d.year).get(d, festival)
        elif "上班" in s:
            dates = _ONE_RE.findall(s)
            if not dates:
                problems.append(f"{where}: 没有读到上班日期")
            for y, mo, da in dates:
                try:
                    notice.work[_mkdate(y, mo, da, year, where)] = festival or ""
                except InputError as exc:
                    problems.extend(exc.messages)
        elif "放假" in s and _ONE_RE.search(s):
            problems.append(f"{where}: 没有写明是哪个节日")
    if problems:
        raise InputError(problems)
    if not notice.rest:
        raise InputError("放假安排: 没有读到任何放假日期（应按通知原文粘贴，如「一、元旦：1月1日至3日放假调休，共3天。」）")
    return notice


def _cn_date(d: _dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def notice_problems(notice: Notice, *, allow_unbalanced: bool = False) -> list[str]:
    """Why a notice is not a complete year (empty when it is).

    Complete means: every statutory holiday of the year is a day off; working days are weekend
    days and not also days off; every date is in the year or within a month of it; and the days off
    on weekdays that are not holidays equal the weekend working days plus the make-up days owed for
    holidays on a weekend (the balance every notice since 2013 keeps, one-off holidays aside —
    `allow_unbalanced` lets such a year through).
    """
    year = notice.year
    stat = statutory_holidays(year)
    if not stat:
        return [f"年份 {year}: 只能录入 {FIRST_LAW_YEAR} 年以后的放假安排"]
    out = []
    lo, hi = _dt.date(year - 1, 12, 1), _dt.date(year + 1, 1, 31)
    for d in sorted(set(notice.rest) | set(notice.work)):
        if not lo <= d <= hi:
            out.append(f"{_cn_date(d)}: 不在{year}年的放假安排范围内")
    for d in sorted(set(notice.rest) & set(notice.work)):
        out.append(f"{_cn_date(d)}: 同时列为放假日和上班日")
    for d in sorted(notice.work):
        if d.weekday() < 5:
            out.append(f"{_cn_date(d)}: 调休上班日应为周六或周日（该日为星期{'一二三四五六日'[d.weekday()]}）")
    missing = [d for d in sorted(stat) if d not in notice.rest]
    for d in missing:
        out.append(f"{_cn_date(d)}（{stat[d]}）: 法定节假日未列为放假日，安排不完整")
    if not out and not allow_unbalanced:
        extra = sum(1 for d in notice.rest if d.weekday() < 5 and d not in stat)
        work = sum(1 for d in notice.work if d.weekday() >= 5)
        owed = makeup_needed(year)
        if extra != work + owed:
            out.append(f"放假与调休不平衡：工作日放假（法定假日以外）{extra}天，应等于周末上班{work}天加法定假日逢周末补休"
                       f"{owed}天，共{work + owed}天；请核对是否漏录了调休上班日或放假日")
    return out
