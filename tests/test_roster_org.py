"""Roster and organization profile: history, training, term rules, case-number template."""

from __future__ import annotations

import pytest

from desktop import cases, org, roster
from desktop.errors import InputError
from tests import records


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


def test_mediator_lifecycle_keeps_history_and_training(station):
    db, admin, _ = station
    m = roster.add_mediator(db, {"name": "钱秀英", "id_number": "11010519491231002X", "employment": "full_time",
                                 "certificate_no": "浙调证0001", "appointed_at": "2024-01-01"}, admin)
    assert m["sex"] == "female" and m["birth_date"] == "1949-12-31"
    roster.add_training(db, m["id"], {"date": "2025-06-18", "title": "调解业务培训", "hours": 16}, admin)
    roster.set_active(db, m["id"], False, admin, date="2026-01-01", reason="退休")
    got = roster.get_mediator(db, m["id"])
    assert got["active"] is False and got["rev"] == 3
    assert [h["active"] for h in got["history"]] == [True, False]
    assert got["history"][-1]["reason"] == "退休"
    assert got["training"][0]["hours"] == 16
    assert [x["name"] for x in roster.list_mediators(db, active=False)] == ["钱秀英"]
    assert roster.list_mediators(db, active=True) == []


def test_mediator_must_be_adult_and_enterprise_term_at_least_a_year(station):
    db, admin, _ = station
    from desktop.validate import id_check_char

    young = "11010120100101001"
    with pytest.raises(InputError) as exc:
        roster.add_mediator(db, {"name": "小刘", "id_number": young + id_check_char(young)}, admin)
    assert "18" in exc.value.messages[0]
    org.update_profile(db, {"kind": "enterprise"}, admin)
    with pytest.raises(InputError) as exc:
        roster.add_mediator(db, {"name": "老张", "term_start": "2026-01-01", "term_end": "2026-06-30"}, admin)
    assert "一年" in exc.value.messages[0]
    roster.add_mediator(db, {"name": "老张", "term_start": "2026-01-01", "term_end": "2027-01-01"}, admin)


def test_workload_counts_open_cases(station):
    db, admin, _ = station
    roster.add_mediator(db, {"name": "赵调解"}, admin)
    c = cases.create_case(db, records.registered(), admin)
    cases.accept(db, c["id"], "2026-09-30", admin, mediators=[{"name": "赵调解", "role": "lead"}])
    assert roster.list_mediators(db)[0]["open_cases"] == 1


def test_case_number_template_is_checked_and_used(station):
    db, admin, _ = station
    with pytest.raises(InputError):
        org.update_profile(db, {"case_no_template": "{year}-{nope}"}, admin)
    with pytest.raises(InputError):
        org.update_profile(db, {"case_no_template": "第{seq}号"}, admin)  # no year
    org.update_profile(db, {"case_no_template": "（{year}）{abbr}劳调字第{seq}号", "abbr": "示范"}, admin)
    c = cases.create_case(db, records.registered(), admin)
    assert c["case_no"] == "（2026）示范劳调字第1号"


def test_profile_validation_names_fields(station):
    db, admin, _ = station
    with pytest.raises(InputError) as exc:
        org.update_profile(db, {"kind": "castle", "credit_code": "123", "region": "33"}, admin)
    text = "\n".join(exc.value.messages)
    assert "kind" in text and "credit_code" in text and "region" in text
    assert org.get_profile(db)["kind"] == "township"
