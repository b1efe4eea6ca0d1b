"""Exact money: amounts are integer fen (分) everywhere; floats are never accepted.

Text forms: "12000.00" (storage and contract), "￥12,000.00" (figure on documents) and the
capital amount "壹万贰仟元整" (domain.md §4.4, PBOC rules).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from desktop.validate import FieldError

MAX_YUAN = 10**12
MAX_FEN = MAX_YUAN * 100

_PLAIN = re.compile(r"\d+(\.\d+)?")
_GROUPED = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?")


def parse_amount(value: str | int | Decimal) -> int:
    """Yuan as typed ("12,000.50", 12000, Decimal("0.5")) -> fen; FieldError with a Chinese message."""
    if value.__class__ is str and _CANONICAL.fullmatch(value):
        # The stored form ("12000.00", what every bundle holds): whole fen in integers, no Decimal.
        yuan, _, cents = value.partition(".")
        fen = int(yuan) * 100 + (int(cents) * 10 if len(cents) == 1 else int(cents or 0))
        if fen > MAX_FEN:
            raise FieldError("金额超出上限（不能超过一万亿元）")
        return fen
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        if isinstance(value, float):
            # A float has already lost exactness (0.1 + 0.2); callers must pass text.
            raise FieldError("金额不能使用浮点数，请以文本形式传入（如“12000.50”）")
        raise FieldError("金额格式不正确")
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise FieldError("金额必须是有限的数值")
        amount = value
    else:
        amount = _parse_text(value)
    if amount < 0:
        raise FieldError("金额不能为负数")
    if amount > MAX_YUAN:
        raise FieldError("金额超出上限（不能超过一万亿元）")
    # Decimal("1.500") is still a whole number of fen; Decimal("1.005") is not.
    if amount != amount.quantize(Decimal("0.01")):
        raise FieldError("金额最多两位小数")
    return int(amount * 100)


_CANONICAL = re.compile(r"[0-9]{1,13}(?:\.[0-9]{1,2})?")


def _parse_text(value: str) -> Decimal:
    if _CANONICAL.fullmatch(value):  # the stored form ("12000.00"): nothing to fold or strip
        return Decimal(value)
    # NFKC folds full-width digits, comma and ￥ typed with a Chinese input method.
    s = "".join(unicodedata.normalize("NFKC", value).split())
    s = s.removeprefix("¥")
    if not s:
        raise FieldError("金额不能为空")
    if s.lower().lstrip("+-") in {"nan", "snan", "inf", "infinity"}:
        raise FieldError("金额必须是有限的数值")
    if s.startswith("-") and (_PLAIN.fullmatch(s[1:]) or _GROUPED.fullmatch(s[1:])):
        raise FieldError("金额不能为负数")
    if "," in s and not _GROUPED.fullmatch(s):
        raise FieldError("金额的千位分隔符位置不正确")
    if not (_PLAIN.fullmatch(s) or _GROUPED.fullmatch(s)):
        raise FieldError("金额格式不正确，应为数字，例如12000或12000.50")
    if "." in s and len(s.split(".", 1)[1]) > 2:
        raise FieldError("金额最多两位小数")
    try:
        return Decimal(s.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the patterns above admit only valid decimals
        raise FieldError("金额格式不正确") from None


def _check_fen(fen: int) -> None:
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError("fen must be an int")


def fen_to_text(fen: int) -> str:
    """12000_00 -> "12000.00" (the storage/contract form)."""
    if fen.__class__ is int and fen >= 0:  # every amount of every imported case
        return f"{fen // 100}.{fen % 100:02d}"
    _check_fen(fen)
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan}.{cents:02d}"


def format_figure(fen: int) -> str:
    """12345_67 -> "￥12,345.67" (the figure on documents)."""
    _check_fen(fen)
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}￥{yuan:,}.{cents:02d}"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"


def _below_10k(n: int) -> str:
    """1..9999 with 仟佰拾; inner zeros collapse to one 零, trailing zeros are dropped."""
    out = []
    pending_zero = False
    for unit_value, unit in ((1000, "仟"), (100, "佰"), (10, "拾"), (1, "")):
        digit = n // unit_value % 10
        if digit == 0:
            pending_zero = bool(out)
            continue
        if pending_zero:
            out.append("零")
            pending_zero = False
        out.append(_DIGITS[digit] + unit)
    return "".join(out)


def _integer(n: int) -> str:
    """1..10^12 in capitals.

    A 零 follows 亿/万 only when the digit right after it is 0 (壹亿零壹万, 壹拾万零壹拾);
    when it is not, the optional 零 of PBOC rule 3 is left out (壹拾万柒仟), as cn2an does.
    """
    for size, unit in ((10**8, "亿"), (10**4, "万")):
        if n >= size:
            head, tail = divmod(n, size)
            text = _integer(head) + unit
            if tail:
                text += ("零" if tail < size // 10 else "") + _integer(tail)
            return text
    return _below_10k(n)


def to_capitals(fen: int) -> str:
    """Capital amount without the 人民币 prefix.

    Conventions chosen where the PBOC rules allow two forms:
    - 整 only after 元 (12000 -> 壹万贰仟元整); never after 角 or 分 (1409.50 -> 壹仟肆佰零玖元伍角);
    - amounts under one yuan start at 角/分 (0.05 -> 伍分, 0.50 -> 伍角);
    - the optional 零 when the 元 digit is 0 but 角 is not is left out (1680.32 -> 壹仟陆佰捌拾元叁角贰分);
    - 零 before 分 when 角 is 0 is always written, as required (325.04 -> 叁佰贰拾伍元零肆分).
    """
    _check_fen(fen)
    if fen < 0:
        raise ValueError("negative amounts have no capital form")
    if fen > MAX_FEN:
        raise ValueError("amount above the supported maximum")
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    if yuan == 0 and cents == 0:
        return "零元整"
    out = _integer(yuan) + "元" if yuan else ""
    if cents == 0:
        return out + "整"
    if jiao:
        out += _DIGITS[jiao] + "角"
    elif yuan:
        out += "零"
    if fen_digit:
        out += _DIGITS[fen_digit] + "分"
    return out


def rmb(fen: int) -> str:
    """The form used in legal documents: 人民币壹万贰仟元整（￥12,000.00）."""
    return f"人民币{to_capitals(fen)}（{format_figure(fen)}）"
