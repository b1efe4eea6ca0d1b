"""Text that hides or breaks things (issue 15, item 9).

- `search_key`: the ONE normalisation of indexed text and of queries: NFKC (full-width letters and
  digits, compatibility forms), then every kind of space, every zero-width/format character and
  every control character removed. "Acme Trading", "Ａｃｍｅ\u00a0Trading" and "Acme\u200bTrading"
  index and search alike; a NUL pasted into the search box is simply gone.
- `hidden_problem`: why a free-text value must be refused (control characters, bidirectional
  overrides and isolates, zero-width characters, BOM) — they make a case unprintable, reorder what a
  reader sees, or carry terminal escape sequences. Line breaks are allowed where the field is
  multi-line (facts, records).
"""

from __future__ import annotations

import unicodedata

_LINE_BREAKS = {"\n", "\r"}


def search_key(text: str | None) -> str:
    if not text:
        return ""
    s = unicodedata.normalize("NFKC", text)
    return "".join(c for c in s if not (c.isspace() or unicodedata.category(c) in ("Cc", "Cf", "Zs", "Zl", "Zp")))


def _bad(c: str, multiline: bool) -> bool:
    if multiline and c in _LINE_BREAKS:
        return False
    if c == "\t" and multiline:
        return False
    return unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp")


def hidden_problem(text: str, *, multiline: bool = False) -> str | None:
    """A Chinese message naming the first hidden or control character, or None when the text is clean."""
    if not isinstance(text, str) or text.isprintable():
        return None
    for c in text:
        if _bad(c, multiline):
            return f"不能包含控制字符或不可见的格式字符（U+{ord(c):04X}）"
    return None


def tidy_spaces(text: str) -> str:
    """Every kind of space (no-break, en/em, ideographic inside a name) becomes one ordinary space, so
    one employer is one name in screening and search."""
    return "".join(" " if unicodedata.category(c) == "Zs" else c for c in text)


def hidden_in(value, path: str = "") -> list[str]:
    """Problems ("path: message") for every string inside a JSON-like value with a hidden or control
    character; line breaks are allowed (the caller's own rules limit single-line fields)."""
    out: list[str] = []
    if isinstance(value, str):
        problem = hidden_problem(value, multiline=True)
        if problem:
            out.append(f"{path}: {problem}" if path else problem)
    elif isinstance(value, dict):
        for k, v in value.items():
            out += hidden_in(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            out += hidden_in(v, f"{path}[{i}]")
    return out
