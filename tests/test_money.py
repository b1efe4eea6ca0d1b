import random
import re
from decimal import Decimal

import pytest

from desktop.money import MAX_FEN, fen_to_text, format_figure, parse_amount, rmb, to_capitals
from desktop.validate import FieldError

# --- parse_amount -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "fen"),
    [
        ("12000", 1_200_000),
        ("12000.5", 1_200_050),
        ("12000.50", 1_200_050),
        ("12,000.00", 1_200_000),
        ("1,234,567.89", 123_456_789),
        (" 0.05 ", 5),
        ("0", 0),
        ("￥12,345.67", 1_234_567),
        ("１２０００．５０", 1_200_050),  # full-width input
        (12000, 1_200_000),
        (0, 0),
        (Decimal("0.1"), 10),
        (Decimal("1.500"), 150),
        ("1000000000000", 10**14),
    ],
)
def test_parse_amount_valid(raw, fen):
    assert parse_amount(raw) == fen


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (1.5, "浮点数"),
        (0.1 + 0.2, "浮点数"),
        ("-5", "金额不能为负数"),
        ("-1,000.00", "金额不能为负数"),
        (-5, "金额不能为负数"),
        (Decimal("-0.01"), "金额不能为负数"),
        ("1.234", "金额最多两位小数"),
        ("12000.500", "金额最多两位小数"),
        (Decimal("1.005"), "金额最多两位小数"),
        ("abc", "金额格式不正确"),
        ("12000.", "金额格式不正确"),
        ("1e3", "金额格式不正确"),
        ("12 000 元", "金额格式不正确"),
        ("1,2345", "千位分隔符"),
        ("12,00.00", "千位分隔符"),
        ("nan", "有限"),
        ("NaN", "有限"),
        ("inf", "有限"),
        ("-Infinity", "有限"),
        (Decimal("NaN"), "有限"),
        (Decimal("Infinity"), "有限"),
        ("1000000000000.01", "超出上限"),
        (10**12 + 1, "超出上限"),
        ("", "不能为空"),
        (True, "格式不正确"),
        (None, "格式不正确"),
    ],
)
def test_parse_amount_invalid(raw, message):
    with pytest.raises(FieldError, match=message):
        parse_amount(raw)


# --- text and figure ----------------------------------------------------------------------


def test_fen_to_text():
    assert fen_to_text(1_200_000) == "12000.00"
    assert fen_to_text(5) == "0.05"
    assert fen_to_text(0) == "0.00"
    assert fen_to_text(1_234_567) == "12345.67"
    assert fen_to_text(-150) == "-1.50"


def test_format_figure():
    assert format_figure(1_234_567) == "￥12,345.67"
    assert format_figure(1_200_000) == "￥12,000.00"
    assert format_figure(5) == "￥0.05"
    assert format_figure(100_000_000_000) == "￥1,000,000,000.00"
    assert format_figure(1_234_567)[0] == "\uffe5"


def test_float_fen_rejected():
    with pytest.raises(TypeError):
        fen_to_text(12.5)
    with pytest.raises(TypeError):
        to_capitals(12.5)


# --- capitals -----------------------------------------------------------------------------

CAPITAL_CASES = [
    ("0", "零元整"),
    ("0.05", "伍分"),
    ("0.50", "伍角"),
    ("0.55", "伍角伍分"),
    ("325.04", "叁佰贰拾伍元零肆分"),
    ("16,409.02", "壹万陆仟肆佰零玖元零贰分"),
    ("6,007.14", "陆仟零柒元壹角肆分"),
    ("1,409.50", "壹仟肆佰零玖元伍角"),
    ("100,010,000", "壹亿零壹万元整"),
    ("12,000", "壹万贰仟元整"),
    ("12,345.67", "壹万贰仟叁佰肆拾伍元陆角柒分"),
    ("100,010.50", "壹拾万零壹拾元伍角"),
    ("1,005.00", "壹仟零伍元整"),
    ("10.00", "壹拾元整"),
    ("15", "壹拾伍元整"),
    ("100.00", "壹佰元整"),
    ("10,000.00", "壹万元整"),
    ("1,000,000.00", "壹佰万元整"),
    ("150,000", "壹拾伍万元整"),
    # optional 零 of PBOC rule 3 left out, as cn2an does
    ("1,680.32", "壹仟陆佰捌拾元叁角贰分"),
    ("107,000.53", "壹拾万柒仟元伍角叁分"),
    ("1,000.50", "壹仟元伍角"),
    # a whole 万 section of zeros is always marked
    ("100,001,000", "壹亿零壹仟元整"),
    ("100,000,001", "壹亿零壹元整"),
    ("1,000,000,000,000", "壹万亿元整"),
]


@pytest.mark.parametrize(("amount", "capitals"), CAPITAL_CASES)
def test_to_capitals(amount, capitals):
    assert to_capitals(parse_amount(amount)) == capitals


def test_to_capitals_rejects_out_of_range():
    with pytest.raises(ValueError):
        to_capitals(-1)
    with pytest.raises(ValueError):
        to_capitals(MAX_FEN + 1)


def test_rmb():
    assert rmb(1_200_000) == "人民币壹万贰仟元整（￥12,000.00）"
    assert rmb(32_504) == "人民币叁佰贰拾伍元零肆分（￥325.04）"


# A reader for capital amounts, written independently of the converter, for the round trip.
_DIGIT = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
_SMALL_UNIT = {"拾": 10, "佰": 100, "仟": 1000}


def _read_small(text: str) -> int:
    total, digit = 0, 0
    for ch in text:
        if ch in _DIGIT:
            digit = _DIGIT[ch]
        else:
            assert digit, f"unit {ch} without a digit in {text}"  # 拾 alone (not 壹拾) is invalid
            total += digit * _SMALL_UNIT[ch]
            digit = 0
    return total + digit


def _read_integer(text: str) -> int:
    if "亿" in text:
        high, low = text.split("亿")
        return _read_integer(high) * 10**8 + _read_integer(low)
    if "万" in text:
        high, low = text.split("万")
        return _read_small(high) * 10**4 + _read_small(low)
    return _read_small(text)


def capitals_to_fen(text: str) -> int:
    if text == "零元整":
        return 0
    m = re.fullmatch(r"(?:(.+)元)?(?:零?([壹贰叁肆伍陆柒捌玖])角)?(?:零?([壹贰叁肆伍陆柒捌玖])分)?(整)?", text)
    assert m, text
    yuan_text, jiao, fen, zheng = m.groups()
    yuan = _read_integer(yuan_text) if yuan_text else 0
    return yuan * 100 + (_DIGIT[jiao] * 10 if jiao else 0) + (_DIGIT[fen] if fen else 0)


def _sample_amounts():
    rng = random.Random(20260929)
    yield from range(0, 2001)  # every fen/jiao pattern and small yuan amounts
    digits = "0000123456789"  # zero-heavy, to exercise the 零 rules
    for _ in range(4000):
        length = rng.randint(1, 14)
        yield min(int("".join(rng.choice(digits) for _ in range(length))), MAX_FEN)
    for exp in range(2, 15):
        for mult in (1, 10, 11, 101, 1001, 10001):
            yield min(mult * 10**exp, MAX_FEN)


def _expected_inner_zeros(yuan: int) -> int:
    """How many 零 the integer part needs: one per run of zeros between non-zero digits,
    except a run of at most three zeros ending at the 万 or 亿 digit (optional 零, left out)."""
    digits = str(yuan)
    count = 0
    for m in re.finditer(r"(?<=[1-9])0+(?=[1-9])", digits):
        last_exponent = len(digits) - m.end()  # the power of ten of the run's last zero
        if last_exponent in (4, 8) and len(m.group()) <= 3:
            continue
        count += 1
    return count


def test_capitals_round_trip_and_form():
    allowed = set("零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整")
    for fen in _sample_amounts():
        text = to_capitals(fen)
        assert set(text) <= allowed, text
        assert capitals_to_fen(text) == fen, (fen, text)
        if fen == 0:
            assert text == "零元整"
            continue
        assert "零零" not in text, text
        assert not re.search(r"零[拾佰仟万亿元角分整]", text), text  # 零 is never a counted digit
        assert not text.endswith("分整"), text  # never 整 after 分
        assert text.endswith("整") == (fen % 100 == 0), text  # 整 exactly for whole yuan
        assert not text.startswith("拾"), text  # 10-19 written 壹拾
        if fen % 100 and fen // 100:
            assert ("元零" in text) == (fen % 100 < 10), text  # 零 after 元 iff 角 = 0 and 分 ≠ 0
        assert not text.startswith("零"), text
        if fen >= 100:
            assert text.split("元")[0].count("零") == _expected_inner_zeros(fen // 100), text


def test_capitals_reader_sanity():
    # The reader in this test must itself be right, or the round trip proves nothing.
    assert capitals_to_fen("壹万贰仟叁佰肆拾伍元陆角柒分") == 1_234_567
    assert capitals_to_fen("壹亿零壹万元整") == 10_001_000_000
    assert capitals_to_fen("叁佰贰拾伍元零肆分") == 32_504
    assert capitals_to_fen("伍分") == 5
    assert _expected_inner_zeros(100_010_000) == 1  # 壹亿零壹万
    assert _expected_inner_zeros(107_000) == 0  # 壹拾万柒仟
    assert _expected_inner_zeros(100_001_000) == 1  # 壹亿零壹仟
    assert _expected_inner_zeros(100_010) == 1  # 壹拾万零壹拾
    assert _expected_inner_zeros(1_010_101) == 3  # 壹佰零壹万零壹佰零壹
