"""The case core: validation messages, lifecycle, deadlines, numbering, recusal."""

from __future__ import annotations

import datetime as dt

import pytest

from desktop import cases, org
from desktop.security import audit
from desktop.errors import InputError
from desktop.workcal import WorkCalendar
from tests import records


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


def with_check(first17: str) -> str:
    from desktop.validate import id_check_char

    return first17 + id_check_char(first17)


def messages(raw, **kw):
    _rec, problems = cases.check_record(raw, today=kw.pop("today", dt.date(2026, 11, 21)), cal=WorkCalendar())
    return problems.messages()


def test_valid_record_has_no_problems():
    assert messages(records.agreed()) == []


@pytest.mark.parametrize("mutate, path, text", [
    (lambda r: r["workers"][0].update(id_number="110101199003070135"), "workers[0].id_number", "校验位"),
    (lambda r: r["employer"].update(credit_code="91110000600037341A"), "employer.credit_code", ""),
    (lambda r: r["workers"][0].update(phone="12345"), "workers[0].phone", "电话"),
    (lambda r: r["claims"][0].update(amount="-1.00"), "claims[0].amount", "负"),
    (lambda r: r["claims"][0].update(amount="1.005"), "claims[0].amount", "两位"),
    (lambda r: r.update(dispute_types=["NOPE"]), "dispute_types[0]", "未知"),
    (lambda r: r.update(surprise=1), "surprise", "未知字段"),
    (lambda r: r["workers"][0].update(favourite="x"), "workers[0].favourite", "未知字段"),
    (lambda r: r.update(workers=[]), "workers", "至少"),
    (lambda r: r["application"].update(received_at="2026-09-29 10:00"), "application.received_at", ""),
    (lambda r: r["application"].update(received_at="2027-09-29T10:00:00+08:00"), "application.received_at", "晚于今天"),
])
def test_field_rules_name_the_field(mutate, path, text):
    rec = records.registered()
    mutate(rec)
    msgs = messages(rec)
    assert any(m.startswith(path + ":") and text in m for m in msgs), msgs


def test_dates_must_be_in_order():
    rec = records.agreed()
    rec["acceptance"]["decided_at"] = "2026-09-28"  # before receipt
    assert any("acceptance.decided_at" in m for m in messages(rec))
    rec = records.agreed()
    rec["sessions"][0]["held_at"] = "2026-10-25T10:00:00+08:00"  # after closing
    assert any("sessions[0].held_at" in m for m in messages(rec))
    rec = records.agreed()
    rec["agreement"]["items"][0]["due_date"] = "2026-10-01"  # before the agreement took effect
    assert any("agreement.items[0].due_date" in m for m in messages(rec))


def test_state_requirements():
    rec = records.agreed()
    del rec["agreement"]
    assert any(m.startswith("agreement:") and "必须" in m for m in messages(rec))
    rec = records.agreed()
    rec["agreement"]["items"][0].pop("due_date")
    assert any("agreement.items[0].due_date" in m for m in messages(rec))
    rec = records.agreed()
    rec["agreement"]["items"] = []
    assert any("agreement.items" in m for m in messages(rec))
    rec = records.registered(acceptance={"decision": "declined", "decided_at": "2026-09-30", "reason": None})
    assert any("acceptance.reason" in m for m in messages(rec))
    rec = records.registered(outcome={"kind": "failed", "closed_at": "2026-10-01", "reason": "x"})
    assert any(m.startswith("outcome:") and "受理" in m for m in messages(rec))


def test_oral_application_needs_what_article_12_requires():
    rec = records.registered()
    rec["application"]["mode"] = "oral"
    rec.pop("facts")
    msgs = messages(rec)
    assert any("application.recorder" in m for m in msgs)
    assert any(m.startswith("facts:") for m in msgs)
    rec["application"]["recorder"] = "赵调解"
    rec["facts"] = "口述：拖欠工资两个月。"
    assert messages(rec) == []


def test_related_mediator_cannot_be_assigned():
    rec = records.agreed()
    rec["conflicts"] = [{"mediator": "赵调解", "party": "海宁某某纺织有限公司", "relation": "系被申请人股东的配偶"}]
    assert any("mediators[0].name" in m and "不能指派" in m for m in messages(rec))
    rec = records.agreed()
    rec["recusals"] = [{"mediator": "赵调解", "requested_by": "申请人", "grounds": "与被申请人负责人系亲属",
                        "decision": "granted", "decided_by": "主任", "decided_at": "2026-09-30"}]
    assert any("mediators[0].name" in m for m in messages(rec))


def test_extension_needs_acceptance_and_a_later_deadline():
    rec = records.agreed()
    rec["extensions"][0]["until"] = "2026-10-10"
    assert any("extensions[0].until" in m for m in messages(rec))
    rec = records.agreed()
    rec["extensions"][0]["agreed_at"] = "2026-10-20"  # the 15 days ended on 2026-10-15
    assert any("extensions[0].agreed_at" in m and "届满" in m for m in messages(rec))


def test_computed_fields_follow_the_calendar():
    rec, problems = cases.check_record(records.agreed(), today=dt.date(2026, 11, 21), cal=WorkCalendar())
    assert not problems
    comp = cases.computed(rec, WorkCalendar(), dt.date(2026, 11, 21))
    # received 2026-09-29: 3 working days skip the National Day block → 2026-10-09 (Sat 10-10 is a workday too)
    assert comp["acceptance_due"] == "2026-10-09"
    assert comp["statutory_deadline"] == "2026-10-14"
    assert comp["mediation_deadline"] == "2026-10-30"  # the extension
    assert comp["review_deadline"] == "2026-11-05"
    assert comp["status"] == "closed" and comp["provisional"] is False and comp["overdue"] is False


def test_december_case_gets_provisional_2027_deadlines_without_crashing():
    rec = records.registered("2026-12-28T09:00:00+08:00")
    rec["acceptance"] = {"decision": "accepted", "decided_at": "2026-12-29", "reason": None}
    checked, problems = cases.check_record(rec, today=dt.date(2026, 12, 30), cal=WorkCalendar())
    assert not problems
    comp = cases.computed(checked, WorkCalendar(), dt.date(2026, 12, 30))
    assert comp["provisional"] is True
    assert comp["mediation_deadline"] == "2027-01-13"
    # The administrator types in a 2027 rest day: the override wins.
    cal = WorkCalendar({dt.date(2027, 1, 13): False})
    assert cases.computed(checked, cal, dt.date(2026, 12, 30))["mediation_deadline"] == "2027-01-14"


def test_override_table_reaches_stored_deadlines(station):
    db, admin, _ = station
    case = cases.create_case(db, records.registered("2026-11-20T09:00:00+08:00"), admin, today=dt.date(2026, 11, 21))
    assert case["acceptance_due"] == "2026-11-25"
    org.set_calendar_override(db, "2026-11-24", False, "测试：临时休息日", admin)
    cases.recompute_deadlines(db)
    assert db.conn.execute("select acceptance_due from cases").fetchone()[0] == "2026-11-26"
    assert cases.get_case(db, case["id"], today=dt.date(2026, 11, 21))["acceptance_due"] == "2026-11-26"


def test_lifecycle_through_the_core(station):
    db, admin, _ = station
    today = dt.date(2026, 11, 21)
    case = cases.create_case(db, records.registered("2026-11-02T09:30:00+08:00"), admin, today=today)
    assert case["status"] == "registered" and case["case_no"] == "〔2026〕海宁市示范镇劳调字第0001号"
    case = cases.accept(db, case["id"], "2026-11-03", admin, mediators=[{"name": "赵调解", "role": "lead"}])
    assert case["status"] == "mediating" and case["mediation_deadline"] == "2026-11-18"
    case = cases.add_session(db, case["id"], {"held_at": "2026-11-05T14:00:00+08:00", "place": "调解室",
                                               "record": "双方陈述"}, admin)
    case = cases.extend(db, case["id"], "2026-11-10", "2026-12-03", admin, reason="核对工资表")
    assert case["mediation_deadline"] == "2026-12-03"
    with pytest.raises(InputError):
        cases.close(db, case["id"], "agreed", "2026-11-20", admin)  # no agreement
    agreement = {"effective_at": "2026-11-20", "waiver": "", "items": [
        {"category": "wage_arrears", "text": "支付工资", "amount": "8000.00", "due_date": "2026-11-30", "method": "转账"}]}
    case = cases.close(db, case["id"], "agreed", "2026-11-20", admin, agreement=agreement)
    assert case["status"] == "closed"
    case = cases.add_performance(db, case["id"], {"item": 0, "paid_at": "2026-11-21", "amount": "8000.00"}, admin)
    actions = [h["action"] for h in cases.history(db, case["id"])]
    assert actions == ["register", "accept", "session", "extend", "close", "performance"]
    assert all(h["actor"] == "admin" for h in cases.history(db, case["id"]))
    assert audit.verify(db) == []


def test_case_numbers_restart_each_year_and_survive_back_entry(station):
    db, admin, _ = station
    a = cases.create_case(db, records.registered("2025-12-30T09:00:00+08:00"), admin)
    b = cases.create_case(db, records.registered("2026-01-05T09:00:00+08:00"), admin)
    assert a["case_no"].endswith("第0001号") and a["case_no"].startswith("〔2025〕")
    assert b["case_no"] == "〔2026〕海宁市示范镇劳调字第0001号"
    cases.import_records(db, [dict(records.registered(), case_no="〔2026〕海宁市示范镇劳调字第0041号")], admin)
    c = cases.create_case(db, records.registered("2026-02-05T09:00:00+08:00"), admin)
    assert c["case_no"] == "〔2026〕海宁市示范镇劳调字第0042号"
    with pytest.raises(InputError):
        cases.import_records(db, [dict(records.registered(), case_no=c["case_no"])], admin)


def test_import_is_all_or_nothing(station):
    db, admin, _ = station
    good = records.registered()
    bad = records.registered()
    bad["workers"][0]["id_number"] = "110101199003070135"
    before = db.conn.execute("select count(*) from cases").fetchone()[0]
    with pytest.raises(InputError) as exc:
        cases.import_records(db, [good, bad, good], admin)
    assert exc.value.messages == ["第2条 workers[0].id_number: 身份证号码校验位错误，请核对是否输错"]
    assert db.conn.execute("select count(*) from cases").fetchone()[0] == before
    assert db.conn.execute("select count(*) from case_fts").fetchone()[0] == 0


def test_same_worker_and_employer_open_case_is_found(station):
    db, admin, _ = station
    first = cases.create_case(db, records.registered(), admin)
    assert cases.open_cases_for(db, "110101199003070134", "海宁某某纺织有限公司") == [first["case_no"]]
    assert cases.open_cases_for(db, "110101199003070134", "别的公司") == []


def test_viewer_cannot_write(station):
    from desktop.security import accounts
    from desktop.errors import PermissionDenied

    db, admin, _ = station
    viewer = accounts.create_user(db, "guest", "guest12345", "viewer", actor="admin")
    with pytest.raises(PermissionDenied):
        cases.create_case(db, records.registered(), viewer)
    assert db.conn.execute("select count(*) from cases").fetchone()[0] == 0


def test_archiving_locks_a_case_until_reopened_with_a_reason(station):
    db, admin, _ = station
    case = cases.import_records(db, [records.agreed()], admin)[0]
    cases.set_archived(db, case, True, admin)
    with pytest.raises(InputError) as exc:
        cases.add_followup(db, case, {"at": "2026-11-21", "method": "phone"}, admin)
    assert "归档" in exc.value.messages[0]
    with pytest.raises(InputError):
        cases.set_archived(db, case, False, admin)  # no reason
    cases.set_archived(db, case, False, admin, reason="补充回访记录")
    assert [h["action"] for h in cases.history(db, case)][-2:] == ["archive", "unarchive"]
    assert cases.history(db, case)[-1]["reason"] == "补充回访记录"
    updated = cases.add_followup(db, case, {"at": "2026-11-20", "method": "visit", "note": "再次回访"}, admin)
    assert len(updated["followups"]) == 2
