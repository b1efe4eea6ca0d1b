"""The fast paths of the per-case check (issue 13 item 4: the hub import must not get slower) give
exactly the answers of the full computation they skip: check characters by whole-number arithmetic,
stored-form ID numbers, phones and amounts, the unknown-key test, and whole records."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import random

import pytest

from desktop import demo, money, validate
from desktop.cases import check_record
from desktop.cases.shape import Problems, _unknown
from desktop.workcal import WorkCalendar

RNG_SEED = 13


# --- check characters: the textbook weighted sums as the reference ------------------------------

# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


def _ref_id_check(first17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2))) % 11]


def _ref_credit_check(first17: str) -> str:
    alphabet = validate._USCC_ALPHABET
    total = sum(alphabet.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return alphabet[(31 - total % 31) % 31]


def _ref_org_ok(code9: str) -> bool:
    value = {**{str(d): d for d in range(10)}, **{chr(o): o - ord("A") + 10 for o in range(ord("A"), ord("Z") + 1)}}
    c = 11 - sum(value[ch] * w for ch, w in zip(code9[:8], (3, 7, 9, 10, 5, 8, 4, 2))) % 11
    return code9[8] == {10: "X", 11: "0"}.get(c, str(c))


def test_id_check_char_matches_the_weighted_sum():
    rng = random.Random(RNG_SEED)
    samples = ["0" * 17, "9" * 17] + ["".join(rng.choice("0123456789") for _ in range(17)) for _ in range(20000)]
    for first17 in samples:
        assert validate.id_check_char(first17) == _ref_id_check(first17), first17


def test_credit_and_org_checks_match_the_weighted_sums():
    rng = random.Random(RNG_SEED)
    alphabet = validate._USCC_ALPHABET
    samples = ["0" * 17, "Y" * 17] + ["".join(rng.choice(alphabet) for _ in range(17)) for _ in range(20000)]
    for first17 in samples:
        assert validate.credit_check_char(first17) == _ref_credit_check(first17), first17
        code9 = first17[8:17]
        assert validate._org_code_ok(code9) == _ref_org_ok(code9), code9
        # and the inner check character itself, for both a passing and a failing code
        for last in "0X5":
            assert validate._org_code_ok(code9[:8] + last) == _ref_org_ok(code9[:8] + last)


# --- stored-form fast paths against the same value through the full path ------------------------

def _outcome(fn, value):
    try:
        return ("ok", fn(value))
    except validate.FieldError as exc:
        return ("error", str(exc))


def _id_samples(rng: random.Random) -> list[str]:
    out = []
    for _ in range(3000):
        first17 = "".join(rng.choice("0123456789") for _ in range(6)) + rng.choice(
            ["19750125", "20100231", "18991231", "20301010", "20120601", "00000000"]) + "".join(
            rng.choice("0123456789") for _ in range(3))
        right = _ref_id_check(first17)
        out += [first17 + right, first17 + rng.choice("0123456789X"), first17 + "x"]
    return out


@pytest.mark.parametrize("on", [dt.date(2026, 11, 30), dt.date(2024, 1, 1)])
def test_stored_id_numbers_as_through_the_full_path(on):
    rng = random.Random(RNG_SEED)
    for value in _id_samples(rng):
        for min_age in (None, 16, 18):
            check = functools.partial(validate.check_id_number, on=on, min_age=min_age)
            # a space in front forces the fold-and-strip path, which must answer the same
            assert _outcome(check, value) == _outcome(check, " " + value), value


def test_stored_phones_as_through_the_full_path():
    rng = random.Random(RNG_SEED)
    samples = ["13812345678", "12812345678", "0573-87576697", "010-1234567", "0086-1381234-5678",
               "0571-123456789", "021-12345678", "0573-8757669-12", "138123456789", "１３８１２３４５６７８",
               "+8613812345678", "8613812345678", "057387576697", "01012345678"]
    for _ in range(5000):
        if rng.random() < 0.5:
            samples.append("1" + "".join(rng.choice("0123456789") for _ in range(rng.randint(9, 11))))
        else:
            samples.append("0" + "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 4))) + rng.choice(("-", ""))
                           + "".join(rng.choice("0123456789") for _ in range(rng.randint(6, 9)))
                           + rng.choice(("", "", "-1", "-123456", "-1234567")))
    for value in samples:
        assert _outcome(validate.check_phone, value) == _outcome(validate.check_phone, " " + value), value


def test_stored_amounts_as_decimal():
    rng = random.Random(RNG_SEED)
    samples = ["0", "0.0", "0.00", "12000.00", "12000.5", "007.10", "1000000000000", "1000000000000.00",
               "1000000000000.01", "9999999999999.99", "1.005", "12,000.00"]
    samples += [f"{rng.randint(0, 10**13)}.{rng.randint(0, 99):0{rng.choice((1, 2))}d}" for _ in range(5000)]
    samples += [str(rng.randint(0, 10**13)) for _ in range(1000)]
    for value in samples:
        # a space in front goes through the Decimal path
        assert _outcome(money.parse_amount, value) == _outcome(money.parse_amount, " " + value), value
    for fen in [0, 1, 99, 100, 12000_00, -1, -12000_50, money.MAX_FEN] + [rng.randint(0, 10**15) for _ in range(2000)]:
        sign = "-" if fen < 0 else ""
        assert money.fen_to_text(fen) == f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"
    with pytest.raises(TypeError):
        money.fen_to_text(True)


def test_unknown_keys_reported_in_order():
    p = Problems()
    _unknown({"name": 1, "zzz": 2, "phone": 3, "aaa": 4}, {"name", "phone"}, "workers[0]", p)
    assert p.items == [("workers[0].zzz", "未知字段"), ("workers[0].aaa", "未知字段")]
    p = Problems()
    _unknown({"name": 1}, {"name", "phone"}, "workers[0]", p)
    assert p.items == []


# --- whole records: stored form and the same record typed loosely give the same check -----------

def _loosen(rec: dict) -> dict:
    """The same case as a clerk might type it: spaces in ID numbers, phones, credit codes and
    amounts, which the fast paths do not take."""
    rec = copy.deepcopy(rec)
    for w in rec.get("workers") or []:
        for k in ("id_number", "phone"):
            if isinstance(w.get(k), str):
                w[k] = " " + w[k]
    emp = rec.get("employer") or {}
    for k in ("credit_code", "phone"):
        if isinstance(emp.get(k), str):
            emp[k] = " " + emp[k]
    for c in rec.get("claims") or []:
        if isinstance(c.get("amount"), str):
            c["amount"] = " " + c["amount"]
    for it in (rec.get("agreement") or {}).get("items") or []:
        if isinstance(it.get("amount"), str):
            it["amount"] = " " + it["amount"]
    for e in rec.get("performance") or []:
        if isinstance(e.get("amount"), str):
            e["amount"] = " " + e["amount"]
    return rec


def test_records_checked_alike_through_fast_and_full_paths():
    today = dt.date(2026, 11, 30)
    gen = demo._Gen(1, today, 720)
    gen.cal = WorkCalendar()
    gen.total = 400
    records = [gen.case(i) for i in range(400)]
    # some broken ones too: a wrong check character, a bad phone, an amount with three decimals
    broken = copy.deepcopy(records[:40])
    for i, rec in enumerate(broken):
        w = rec["workers"][0]
        if i % 3 == 0 and w.get("id_number"):
            w["id_number"] = w["id_number"][:17] + ("0" if w["id_number"][17] != "0" else "1")
        elif i % 3 == 1:
            w["phone"] = "1281234567"
        else:
            rec["employer"]["credit_code"] = "91330481M2WTYRBKB8"
            rec.setdefault("claims", []).append({"text": "工资", "amount": "1.005"})
    cal = WorkCalendar()
    n_problems = 0
    for rec in records + broken:
        fast, p_fast = check_record(rec, today=today, cal=cal)
        full, p_full = check_record(_loosen(rec), today=today, cal=cal)
        assert fast == full
        assert p_fast.items == p_full.items
        assert p_fast.warnings == p_full.warnings
        n_problems += bool(p_fast)
    assert n_problems >= 40  # the broken ones were refused, on both paths
