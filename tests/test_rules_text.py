"""The case text check's fast path (printable text, line breaks in long fields) decides as the full scan does."""

from __future__ import annotations

import pytest

from desktop.cases.shape import Problems, _text
from desktop.security.text import hidden_problem, tidy_spaces


@pytest.mark.parametrize("value", [
    "申请人于2025年入职", "第一行\n第二行\r\n第三行", "甲\t乙", "全角\u3000空格", "不换\u00a0行", "\u202e反转",
    "零宽\u200b字符", "换行\n\u202e之后", "\x07响铃", "行\u2028分隔", "  前后空格  ",
])
@pytest.mark.parametrize("max_len", [100, 20000])
def test_fast_path_agrees_with_the_full_scan(value, max_len):
    p = Problems()
    got = _text({"k": value}, "k", "", p, max_len=max_len)
    hidden = hidden_problem(value, multiline=max_len >= 2000)
    if hidden:
        assert got is None and p.items == [("k", hidden)]
    else:
        assert p.items == []
        assert got == (value.strip() if max_len >= 2000 else tidy_spaces(value).strip())
