"""County-level names for the organisation tables (issue 14 item 9: the Jilin table's 县 column).

The name comes from the region code (GB/T 2260 county-level codes, `resources/regions/counties.csv`, which
holds the provinces this program is used in so far; see the README there for its source), and otherwise from
the organisation's address or name when it names a county (「…县」「…区」「…旗」, or a county-level
「…市」: written after its prefecture, or with a township right after it). Nothing is guessed: without either, the column stays blank.
"""

from __future__ import annotations

import csv
import functools
import re
from pathlib import Path

TABLE = Path(__file__).resolve().parents[1] / "resources" / "regions" / "counties.csv"

# One administrative unit at the start of an address: a few Han characters and the unit's word. 镇/乡/街道
# and street words are not units here, so 「示范镇工业区」 is not read as a district.
_UNIT = re.compile(r"([\u4e00-\u9fff]{1,9}?(?:特别行政区|自治区|自治州|自治县|自治旗|地区|省|市|州|盟|县|区|旗))")
_NOT_IN_UNIT = re.compile(r"[镇乡村路街道巷号楼园]")
_PREFECTURE = ("市", "州", "盟", "地区", "自治州")
_TOWNSHIP = re.compile(r"[\u4e00-\u9fff]{1,6}?(?:镇|乡|街道)")


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    with open(TABLE, encoding="utf-8", newline="") as f:
        return {row["code"]: row["name"] for row in csv.DictReader(f)}


def county_by_code(region) -> str | None:
    """「海宁市」 for 330481 (a 9-digit township code is read by its first six digits)."""
    code = str(region or "").strip()
    if not re.fullmatch(r"\d{6}(\d{3})?", code):
        return None
    return _table().get(code[:6])


def county_in_text(text) -> str | None:
    """The county named at the start of an address (after any province and prefecture), else None."""
    text = re.sub(r"\s+", "", str(text or ""))
    units = []
    pos = 0
    while True:
        m = _UNIT.match(text, pos)
        if not m or _NOT_IN_UNIT.search(m.group(1)):
            break
        units.append(m.group(1))
        pos = m.end()
    county = None
    for i, unit in enumerate(units):
        if unit.endswith(("县", "区", "旗", "自治县", "自治旗")) and not unit.endswith(("自治区", "地区")):
            county = unit
        elif unit.endswith("市") and i > 0 and units[i - 1].endswith(_PREFECTURE):
            county = unit  # a county-level city written after its prefecture: 「嘉兴市海宁市」
    if county is None and units and units[-1].endswith("市") and _TOWNSHIP.match(text, pos):
        county = units[-1]  # a city with its township right after it governs the township: 「海宁市示范镇」
    return county


def county_of(profile: dict) -> str | None:
    """The organisation's county: its region code, else its address, else its name."""
    return (county_by_code(profile.get("region")) or county_in_text(profile.get("address"))
            or county_in_text(profile.get("name")))
