from datetime import date, timedelta

import pytest

from desktop.cndate import arabic_date, cn_date


@pytest.mark.parametrize(
    ("d", "text"),
    [
        (date(2026, 11, 21), "二〇二六年十一月二十一日"),
        (date(2030, 1, 10), "二〇三〇年一月十日"),
        (date(2026, 10, 20), "二〇二六年十月二十日"),
        (date(2026, 12, 31), "二〇二六年十二月三十一日"),
        (date(2026, 2, 1), "二〇二六年二月一日"),
        (date(2026, 9, 19), "二〇二六年九月十九日"),
        (date(2000, 1, 30), "二〇〇〇年一月三十日"),
    ],
)
def test_cn_date(d, text):
    assert cn_date(d) == text


def test_cn_date_uses_ideographic_zero_only():
    text = cn_date(date(2030, 1, 10))
    assert "\u3007" in text
    assert "零" not in text and "\u25cb" not in text and "O" not in text


def test_cn_date_every_day_of_a_year():
    numerals = set("一二三四五六七八九十")
    d = date(2028, 1, 1)  # a leap year
    while d.year == 2028:
        text = cn_date(d)
        month_day = text[len("二〇二八年") :]
        assert set(month_day) <= numerals | {"月", "日"}, text
        assert "一十" not in text and "零" not in text, text
        d += timedelta(days=1)


@pytest.mark.parametrize(
    ("d", "text"),
    [
        (date(2026, 11, 21), "2026年11月21日"),
        (date(2026, 1, 5), "2026年1月5日"),
        (date(2030, 10, 1), "2030年10月1日"),
    ],
)
def test_arabic_date(d, text):
    assert arabic_date(d) == text
