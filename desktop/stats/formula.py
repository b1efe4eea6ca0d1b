"""The success-rate formula: a named, configurable setting printed under every table (domain.md §3.3)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from desktop.errors import InputError

DEFAULT = "agreed / closed"

# name -> (outcomes counted as successes, the sentence printed under the tables)
FORMULAS: dict[str, tuple[tuple[str, ...], str]] = {
    "agreed / closed": (
        ("agreed",),
        "调解成功率 = 调解成功（达成调解协议）案件数 ÷ 调解结案数 × 100%；"
        "调解结案数含调解成功、撤回、调解不成、终止调解、逾期未达成协议，不含未结和不予受理案件",
    ),
    "(agreed + withdrawn) / closed": (
        ("agreed", "withdrawn"),
        "调解成功率 = （调解成功案件数 + 撤回/和解案件数）÷ 调解结案数 × 100%；"
        "调解结案数含调解成功、撤回、调解不成、终止调解、逾期未达成协议，不含未结和不予受理案件",
    ),
}

ON_TIME_TEXT = "按期结案率 = 在调解期限（含延期）内结案的案件数 ÷ 调解结案数 × 100%"

PLACES = Decimal("0.0001")


def check(name: str | None) -> str:
    name = (name or DEFAULT).strip()
    if name not in FORMULAS:
        raise InputError(f"success_formula: 未知的调解成功率口径「{name}」，可选：{'；'.join(FORMULAS)}")
    return name


def successes(name: str, closed_by_outcome: dict[str, int]) -> int:
    return sum(closed_by_outcome.get(k, 0) for k in FORMULAS[check(name)][0])


def text(name: str) -> str:
    return FORMULAS[check(name)][1]


def ratio(numerator: int, denominator: int) -> float | None:
    """4 decimals, half up, computed in Decimal; None when nothing was closed (no rate, not 0%)."""
    if not denominator:
        return None
    return float((Decimal(numerator) / Decimal(denominator)).quantize(PLACES, rounding=ROUND_HALF_UP))


def percent(rate: float | None) -> str:
    if rate is None:
        return "—"
    return f"{(Decimal(repr(rate)) * 100).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"
