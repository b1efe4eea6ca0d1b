"""Field validators (domain.md §4): each returns the normalised value or raises FieldError.

Messages are Chinese because they are shown to the user as they are.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from typing import NamedTuple

from desktop import clock




class FieldError(ValueError):
    """Invalid user input; ``str(exc)`` is a Chinese message fit for the user."""


def _nfkc(value: str) -> str:
    # Input methods often produce full-width digits and letters (１２３Ｘ); fold them to ASCII.
    # ASCII text is already in NFKC: skip the call (these checks run for every imported record).
    return value if value.isascii() else unicodedata.normalize("NFKC", value)


def _no_space(value: str) -> str:
    """Remove all whitespace: str.split() uses the same Unicode whitespace test as regex \\s."""
    return "".join(value.split())


# --- resident ID number, GB 11643-1999 (§4.1) -------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_STORED = re.compile(r"[0-9]{17}[0-9X]")


class IdInfo(NamedTuple):
    normalized: str
    birth_date: datetime.date
    sex: str  # 'male' | 'female'
    warnings: list[str]


def id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("first17 must be 17 ASCII digits")
    return _id_check(first17)


def _id_check(first17: str) -> str:
    """id_check_char for 17 ASCII digits already checked.

    Every imported worker's number is checked, so the weighted sum is one int() in C: the weights
    are 2**k mod 11 (k = 17 for the first digit down to 1), and 13 ≡ 2 (mod 11), so the digits read
    as a base-13 number, doubled, give the same sum modulo 11.
    """
    return _ID_CHECK[2 * int(first17, 13) % 11]


def age_on(birth: datetime.date, on: datetime.date) -> int:
    """Age in full years on the given day."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def check_id_number(
    value: str, *, min_age: int | None = None, on: datetime.date | None = None
) -> IdInfo:
    on = on or clock.today()  # the contract's +08:00, whatever the PC's zone
    if value.__class__ is str and _ID_STORED.fullmatch(value):
        s = value  # the stored form (every number in a bundle): nothing to fold or check character by character
    else:
        s = _no_space(_nfkc(value or "")).upper()
    if not s:
        raise FieldError("身份证号码不能为空")
    warnings: list[str] = []
    if len(s) == 15:
        if not s.isdigit():
            raise FieldError("15位旧身份证号码只能由数字组成")
        # Legacy numbers have a two-digit year and no check character (all born in the 1900s).
        first17 = s[:6] + "19" + s[6:]
        s = first17 + id_check_char(first17)
        warnings.append(f"15位旧身份证号码已转换为18位：{s}，请核对")
    elif len(s) != 18:
        raise FieldError(f"身份证号码应为18位，当前为{len(s)}位")
    elif not (s[:17].isascii() and s[:17].isdigit() and (s[17].isdigit() or s[17] == "X")):
        raise FieldError("身份证号码只能由数字组成，最后一位可以是X")
    try:
        ymd = int(s[6:14])  # digits checked above: one int() instead of three
        birth = datetime.date(ymd // 10000, ymd // 100 % 100, ymd % 100)
    except ValueError:
        raise FieldError("身份证号码中的出生日期无效") from None
    if birth.year < 1900:
        raise FieldError("身份证号码中的出生日期无效")
    if birth > on:
        raise FieldError("身份证号码中的出生日期晚于当前日期")
    if s[17] != _id_check(s[:17]):
        raise FieldError("身份证号码校验位错误，请核对是否输错")
    if min_age is not None:
        age = age_on(birth, on)
        if age < min_age:
            raise FieldError(f"年龄未满{min_age}周岁（按身份证号码计算为{age}周岁）")
    sex = "male" if int(s[16]) % 2 else "female"
    return IdInfo(s, birth, sex, warnings)


# --- unified social credit code, GB 32100-2015 (§4.2) -----------------------------------

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, Z, S, V
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_VALUE = {**{str(d): d for d in range(10)}, **{chr(o): o - ord("A") + 10 for o in range(ord("A"), ord("Z") + 1)}}


def credit_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    if len(first17) != 17 or not _USCC_VALUE.keys() >= set(first17):
        raise ValueError("first17 must be 17 characters of the credit-code alphabet")
    return _credit_check(first17)


# Every employer's code is checked, so the weighted sums run in C (str.translate, int()) instead of
# a dict look-up and int.__mul__ per character.
_USCC_BASE34 = str.maketrans({c: "0123456789abcdefghijklmnopqrstuvwx"[i] for c, i in _USCC_VALUE.items()})
_USCC_FULL = re.compile(f"[{_USCC_ALPHABET}]{{18}}")
_ORG_CHECK = {10: "X", 11: "0"}


def _credit_check(first17: str) -> str:
    """credit_check_char for 17 characters already known to be of the alphabet.

    The weights are 3**i mod 31 (i = 0 for the first character), and 34 ≡ 3 (mod 31): the values
    written as base-34 digits, last character first, read as one number have the same sum mod 31.
    """
    total = int(first17.translate(_USCC_BASE34)[::-1], 34)
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def _org_code_ok(code9: str) -> bool:
    """GB 11714 check on the 9-character organisation code inside the credit code.

    Its characters are of the credit-code alphabet (checked before; no Z), so each one's value
    (0-9, A=10 … Y=34) is its digit in base 35; the weights are 2·2**k mod 11 (k = 7 for the first
    character down to 0) and 35 ≡ 2 (mod 11): the sum is twice the base-35 number, modulo 11.
    """

    c = 11 - 2 * int(code9[:8], 35) % 11
    expected = _ORG_CHECK.get(c) or str(c)
    return code9[8] == expected


def check_credit_code(value: str) -> tuple[str, list[str]]:
    s = _no_space(_nfkc(value or "")).replace("-", "").upper()
    if not s:
        raise FieldError("统一社会信用代码不能为空")
    if len(s) != 18:
        raise FieldError(f"统一社会信用代码应为18位，当前为{len(s)}位")
    bad = None if _USCC_FULL.fullmatch(s) else sorted(set(s) - _USCC_VALUE.keys())
    if bad:
        hint = "（字母O是否应为数字0？）" if "O" in bad else ""
        raise FieldError(
            f"统一社会信用代码含有无效字符：{'、'.join(bad)}；代码不使用字母I、O、Z、S、V{hint}"
        )
    if s[17] != _credit_check(s[:17]):
        raise FieldError("统一社会信用代码校验位错误，请核对是否输错")
    warnings: list[str] = []
    # Some older codes carry an inner organisation code that fails its own check: warn only.
    if not _org_code_ok(s[8:17]):
        warnings.append("统一社会信用代码第9至17位（组织机构代码）校验不符，请核对")
    return s, warnings


# --- phone numbers (§4.3) ---------------------------------------------------------------

_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"(0\d{2,3})-?(\d{7,8})(-\d{1,6})?")
_LANDLINE_STORED = re.compile(r"0[0-9]{2,3}-[0-9]{7,8}")


def check_phone(value: str) -> str:
    """A mobile number as 11 digits, or a landline as AREA-NUMBER[-EXT]."""
    if value.__class__ is str and value.isascii() and (_MOBILE.fullmatch(value) or _LANDLINE_STORED.fullmatch(value)):
        # Already the stored form (most numbers): nothing to fold, strip or cut. A landline without
        # an extension has at most 12 digits, so it cannot be a +86/0086-prefixed mobile below.
        return value
    s = _no_space(_nfkc(value or ""))
    if not s:
        raise FieldError("电话号码不能为空")
    mobile = s.replace("-", "")
    for prefix in ("+86", "0086", "86"):
        if mobile.startswith(prefix) and len(mobile) == len(prefix) + 11:
            mobile = mobile[len(prefix) :]
            break
    if _MOBILE.fullmatch(mobile):
        return mobile
    m = _LANDLINE.fullmatch(s)
    if m:
        area, number, ext = m.group(1), m.group(2), m.group(3) or ""
        if "-" not in s[: len(area) + 1]:
            # Without a hyphen the split is ambiguous: 010 and 02x are the only 3-digit area codes.
            digits = area + number
            cut = 3 if digits.startswith(("010", "02")) else 4
            area, number = digits[:cut], digits[cut:]
            if not 7 <= len(number) <= 8:
                raise FieldError("电话号码格式不正确：固定电话号码应为7至8位")
        return f"{area}-{number}{ext}"
    raise FieldError("电话号码格式不正确：请填写11位手机号码，或“区号-号码”形式的固定电话")


# --- names (§4.6) -----------------------------------------------------------------------

# Look-alikes of the middle dot (U+00B7) that input methods produce in minority and foreign names.
_DOT_VARIANTS = str.maketrans({"\u30fb": "·", "\uff65": "·", "\u2022": "·", "\u2027": "·", "\u2219": "·"})
_NAME_MAX = 50


def check_name(value: str) -> str:
    """A person's or organisation's name: trimmed (incl. full-width spaces), middle dot normalised."""
    s = (value or "").strip().translate(_DOT_VARIANTS)  # str.strip() also removes U+3000
    if not s:
        raise FieldError("姓名或名称不能为空")
    # isprintable() is False for every category C* character (and for some separators, which
    # the full scan then allows), so printable names skip the scan.
    if not s.isprintable() and any(unicodedata.category(c).startswith("C") for c in s):
        raise FieldError("姓名或名称不能包含换行或控制字符")
    if _nfkc(s).isdigit():
        raise FieldError("姓名或名称不能全部为数字")
    if not any(c.isalpha() for c in s):  # isalpha() is exactly the categories L*
        raise FieldError("姓名或名称必须包含文字")
    if len(s) > _NAME_MAX:
        raise FieldError(f"姓名或名称不能超过{_NAME_MAX}个字符")
    return s


# --- dates and times (contract.md) ------------------------------------------------------

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})")


# Parsed dates and times by their text: a bundle of thousands of cases repeats the same few hundred
# days, and every record holds a dozen of them. Only valid values are kept; dates are immutable.
_PARSED: dict[str, object] = {}


def _remember(s: str, value):
    if len(_PARSED) > 20000:
        _PARSED.clear()
    _PARSED[s] = value
    return value


def check_date(value: str) -> datetime.date:
    hit = _PARSED.get(value) if isinstance(value, str) else None
    if type(hit) is datetime.date:
        return hit
    s = (value or "").strip()
    # fromisoformat alone would also accept 20260929 and week dates; the contract wants YYYY-MM-DD.
    if not _DATE.fullmatch(s):
        raise FieldError(f"日期格式应为YYYY-MM-DD（例如2026-09-29），当前为“{s}”")
    try:
        return _remember(value, datetime.date.fromisoformat(s))
    except ValueError:
        raise FieldError(f"日期不存在：{s}") from None


def check_datetime(value: str) -> datetime.datetime:
    hit = _PARSED.get(value) if isinstance(value, str) else None
    if type(hit) is datetime.datetime:
        return hit
    s = (value or "").strip()
    if not _DATETIME.fullmatch(s):
        raise FieldError(
            f"时间格式应为带时区的ISO 8601格式（例如2026-09-29T10:00:00+08:00），当前为“{s}”"
        )
    try:
        return _remember(value, datetime.datetime.fromisoformat(s))
    except ValueError:
        raise FieldError(f"时间不存在：{s}") from None
