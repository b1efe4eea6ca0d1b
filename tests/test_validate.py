from datetime import date, datetime, timedelta, timezone

import pytest

from desktop.validate import (
    FieldError,
    age_on,
    check_credit_code,
    check_date,
    check_datetime,
    check_id_number,
    check_name,
    check_phone,
    credit_check_char,
    id_check_char,
)

ON = date(2026, 9, 29)


# --- ID numbers ---------------------------------------------------------------------------


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


@pytest.mark.parametrize(
    ("number", "birth", "sex"),
    [
        ("11010519491231002X", date(1949, 12, 31), "female"),
        ("110101199003070134", date(1990, 3, 7), "male"),
        ("360426199101010071", date(1991, 1, 1), "male"),
    ],
)
def test_known_valid_id_numbers(number, birth, sex):
    info = check_id_number(number, on=ON)
    assert info.normalized == number
    assert info.birth_date == birth
    assert info.sex == sex
    assert info.warnings == []


def test_id_check_char():
    assert id_check_char("11010519491231002") == "X"
    assert id_check_char("11010119900307013") == "4"
    assert id_check_char("36042619910101007") == "1"
    with pytest.raises(ValueError):
        id_check_char("1234")


def test_id_lower_x_spaces_and_full_width_are_normalised():
    assert check_id_number(" 110105 19491231 002x ", on=ON).normalized == "11010519491231002X"
    assert check_id_number("１１０１０１１９９００３０７０１３４", on=ON).normalized == "110101199003070134"


def test_id_wrong_check_char():
    with pytest.raises(FieldError, match="身份证号码校验位错误"):
        check_id_number("110101199003070135", on=ON)
    with pytest.raises(FieldError, match="校验位错误"):
        check_id_number("110105194912310021", on=ON)


@pytest.mark.parametrize("number", ["", "   ", "1101011990030701", "1101011990030701345"])
def test_id_wrong_length(number):
    with pytest.raises(FieldError, match="不能为空|应为18位"):
        check_id_number(number, on=ON)


@pytest.mark.parametrize("number", ["11010119900307013A", "1101011990030X0134", "11010119900307-134"])
def test_id_bad_characters(number):
    with pytest.raises(FieldError, match="只能由数字组成"):
        check_id_number(number, on=ON)


def _with_check(first17: str) -> str:
    return first17 + id_check_char(first17)


@pytest.mark.parametrize("birth", ["19900230", "19901301", "19900000", "18991231"])
def test_id_bad_birth_date(birth):
    with pytest.raises(FieldError, match="出生日期无效"):
        check_id_number(_with_check("110101" + birth + "013"), on=ON)


def test_id_birth_date_in_future():
    number = _with_check("110101" + "20260930" + "013")
    with pytest.raises(FieldError, match="晚于当前日期"):
        check_id_number(number, on=ON)
    assert check_id_number(number, on=date(2026, 9, 30)).birth_date == date(2026, 9, 30)


def test_id_min_age():
    number = _with_check("110101" + "20100930" + "012")  # 16 on 2026-09-30
    with pytest.raises(FieldError, match="未满16周岁"):
        check_id_number(number, min_age=16, on=ON)
    assert check_id_number(number, min_age=16, on=date(2026, 9, 30)).sex == "female"
    with pytest.raises(FieldError, match="未满18周岁"):
        check_id_number(number, min_age=18, on=date(2026, 9, 30))
    assert check_id_number(number, on=ON).birth_date == date(2010, 9, 30)  # no min_age: no check


def test_age_on_birthday_boundaries():
    assert age_on(date(2000, 2, 29), date(2018, 2, 28)) == 17
    assert age_on(date(2000, 2, 29), date(2018, 3, 1)) == 18
    assert age_on(date(1990, 3, 7), date(2026, 3, 7)) == 36


def test_id_legacy_15_digits_converted_with_warning():
    info = check_id_number("110105491231002", on=ON)
    assert info.normalized == "11010519491231002X"
    assert info.birth_date == date(1949, 12, 31)
    assert len(info.warnings) == 1 and "15位" in info.warnings[0]
    with pytest.raises(FieldError, match="15位"):
        check_id_number("11010549123100X", on=ON)


def test_id_default_on_is_today():
    from desktop.clock import today  # China's date (+08:00), not the test machine's

    tomorrow = today() + timedelta(days=1)
    number = _with_check("110101" + tomorrow.strftime("%Y%m%d") + "013")
    with pytest.raises(FieldError, match="晚于当前日期"):
        check_id_number(number)


# --- credit codes -------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["91110000600037341L", "91350100M000100Y43"])
def test_known_valid_credit_codes(code):
    assert check_credit_code(code) == (code, [])
    assert credit_check_char(code[:17]) == code[17]


def test_credit_code_normalisation():
    assert check_credit_code(" 9135-0100-m000 100y43 ")[0] == "91350100M000100Y43"


def test_credit_code_wrong_check_char():
    with pytest.raises(FieldError, match="校验位错误"):
        check_credit_code("91110000600037341M")


def test_credit_code_wrong_length():
    with pytest.raises(FieldError, match="应为18位"):
        check_credit_code("9111000060003734")


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_credit_code_excluded_letters(letter):
    code = "9111000060003734" + letter + "L"
    with pytest.raises(FieldError, match="无效字符"):
        check_credit_code(code)


def test_credit_code_letter_o_hint():
    with pytest.raises(FieldError, match="字母O是否应为数字0"):
        check_credit_code("91110000600O37341L")


def test_credit_code_inner_org_check_only_warns():
    first17 = "91110000600037342"  # inner org code 600037342 has the wrong check digit (1)
    code = first17 + credit_check_char(first17)
    normalized, warnings = check_credit_code(code)
    assert normalized == code
    assert len(warnings) == 1 and "组织机构代码" in warnings[0]


def test_credit_check_char_rejects_bad_input():
    with pytest.raises(ValueError):
        credit_check_char("9111000060003734I")


# --- phones -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("008613800138000", "13800138000"),
        ("8619912345678", "19912345678"),
        ("010-12345678", "010-12345678"),
        ("01012345678", "010-12345678"),
        ("021 62345678", "021-62345678"),
        ("0755-1234567", "0755-1234567"),
        ("075512345678", "0755-12345678"),
        ("0755-12345678-801", "0755-12345678-801"),
        ("０１０－１２３４５６７８", "010-12345678"),
    ],
)
def test_valid_phones(raw, expected):
    assert check_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["12800138000", "1380013800", "138001380001", "+1 13800138000", "010-123456", "10-12345678", "abc", "0755-123456789"],
)
def test_invalid_phones(raw):
    with pytest.raises(FieldError, match="电话号码格式不正确"):
        check_phone(raw)


def test_empty_phone():
    with pytest.raises(FieldError, match="不能为空"):
        check_phone("  ")


# --- names --------------------------------------------------------------------------------


def test_names_trimmed_and_middle_dot_allowed():
    assert check_name("\u3000张三 ") == "张三"
    assert check_name("阿不都热合曼·艾力") == "阿不都热合曼·艾力"
    assert check_name("阿不都热合曼・艾力") == "阿不都热合曼·艾力"  # katakana dot folded to U+00B7
    assert check_name("某某市建筑工程有限公司") == "某某市建筑工程有限公司"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "不能为空"),
        ("\u3000 ", "不能为空"),
        ("12345", "全部为数字"),
        ("１２３", "全部为数字"),
        ("张" * 51, "不能超过50个字符"),
        ("张\n三", "控制字符"),
        ("···", "必须包含文字"),
    ],
)
def test_invalid_names(raw, message):
    with pytest.raises(FieldError, match=message):
        check_name(raw)


def test_name_of_exactly_50_characters_is_allowed():
    assert len(check_name("张" * 50)) == 50


# --- dates and times ----------------------------------------------------------------------


def test_check_date():
    assert check_date("2026-09-29") == date(2026, 9, 29)
    assert check_date(" 2028-02-29 ") == date(2028, 2, 29)
    with pytest.raises(FieldError, match="日期不存在"):
        check_date("2026-02-29")
    for bad in ("20260929", "2026-9-29", "2026/09/29", "2026-09-29T10:00", ""):
        with pytest.raises(FieldError, match="YYYY-MM-DD"):
            check_date(bad)


def test_check_datetime():
    dt = check_datetime("2026-09-29T10:00:00+08:00")
    assert dt == datetime(2026, 9, 29, 2, 0, tzinfo=timezone.utc)
    assert dt.utcoffset() == timedelta(hours=8)
    assert check_datetime("2026-09-29T02:00:00Z").utcoffset() == timedelta(0)
    with pytest.raises(FieldError, match="带时区"):
        check_datetime("2026-09-29T10:00:00")
    with pytest.raises(FieldError, match="带时区"):
        check_datetime("2026-09-29 10:00:00+08:00")
    with pytest.raises(FieldError, match="时间不存在"):
        check_datetime("2026-09-29T25:00:00+08:00")


def test_field_error_is_value_error():
    assert issubclass(FieldError, ValueError)
