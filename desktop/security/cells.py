"""Every text cell the program writes into an xlsx or csv is inert text, never a formula.

A mediator, employer or organisation named ``=HYPERLINK("http://x","click")`` (typed at a station,
or arriving in a station's bundle at the hub) must reach the spreadsheet as those characters.
- xlsx: openpyxl stores a string starting with "=" as a formula; `inert_workbook` turns every string
  cell back into a text cell (shared string) and marks risky ones with Excel's quote prefix, so even
  editing the cell in Excel or WPS keeps it text.
- csv: a csv has no cell types, so a cell starting with = + - @ tab or CR gets a leading apostrophe
  (the OWASP rule); `csv_value` takes it off again when the program reads its own csv back.
"""

from __future__ import annotations

import re

RISKY_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?\Z")  # a plain signed number ("-12.50") is data, not a formula


def is_risky(text: str) -> bool:
    return isinstance(text, str) and text.startswith(RISKY_START) and not _NUMBER.match(text)


def csv_cell(value):
    """The value to hand to csv.writer: risky text gets a leading apostrophe; numbers pass."""
    if isinstance(value, str) and is_risky(value):
        return "'" + value
    return value


def csv_row(values) -> list:
    return [csv_cell(v) for v in values]


def csv_value(text: str) -> str:
    """Undo `csv_cell` for a cell read back from a csv this program wrote."""
    if isinstance(text, str) and text.startswith("'") and is_risky(text[1:]):
        return text[1:]
    return text


def inert_workbook(wb) -> int:
    """Make every string cell of an openpyxl workbook plain text. Call just before saving.
    Returns how many cells would otherwise have been formulas (for tests and logs)."""
    fixed = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                value = c.value
                if not isinstance(value, str):
                    continue
                if c.data_type == "f":
                    fixed += 1
                c.data_type = "s"
                if is_risky(value):
                    c.quotePrefix = True
    return fixed
