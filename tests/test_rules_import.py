"""The checks and warnings of issue 13 (items 2 and 3), each through `import-cases` (back-entry).

Errors: exit 2, the record and field named on stderr, nothing written. Warnings: exit 0, 「提示」 on
stderr, stored on the case with who acknowledged them, and in the case history.
"""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from desktop import cases, validate
from tests import records


def idn(first17: str) -> str:
    return first17 + validate.id_check_char(first17)



def _accepted(decided="2026-10-09", **acc):
    rec = records.registered("2026-10-08T09:00:00+08:00")
    rec["acceptance"] = {"decision": "accepted", "decided_at": decided, "reason": None, **acc}
    return rec


def _count(db) -> int:
    return db.conn.execute("select count(*) from cases").fetchone()[0]


# --- errors (item 2) -------------------------------------------------------------------------------

def test_expired_only_after_the_mediation_period(imp):
    early = _accepted()  # period: 10-09 + 15 = Sat 10-24 → Mon 10-26
    early["outcome"] = {"kind": "expired", "closed_at": "2026-10-26", "reason": None}
    code, out, err = imp(early)
    assert code == 2 and out == []
    assert "第1条 outcome.closed_at" in err and "2026-10-26届满" in err and "第29条" in err
    assert _count(imp.db) == 0
    late = copy.deepcopy(early)
    late["outcome"]["closed_at"] = "2026-10-27"
    code, out, err = imp(late)
    assert code == 0 and len(out) == 1 and err == ""


def test_expiry_counts_the_agreed_extension(imp):
    rec = _accepted()
    rec["extensions"] = [{"agreed_at": "2026-10-20", "until": "2026-11-06"}]
    rec["outcome"] = {"kind": "expired", "closed_at": "2026-11-02", "reason": None}
    code, _out, err = imp(rec)
    assert code == 2 and "（含延期）至2026-11-06届满" in err


def test_agreement_after_the_period_needs_an_extension(imp):
    rec = records.agreed()  # accepted 09-30: period ends 10-15; agreement effective 10-21
    rec.pop("extensions")
    code, _out, err = imp(rec)
    assert code == 2
    assert "agreement.effective_at" in err and "晚于调解期限2026-10-15，且没有记录双方同意的延期" in err
    code, out, err = imp(records.agreed())  # with the extension to 10-30 it stands
    assert code == 0 and len(out) == 1


def test_acceptance_needs_the_respondents_consent_first(imp):
    code, _out, err = imp(_accepted(respondent_agreed=False))
    assert code == 2 and "acceptance.respondent_agreed" in err and "第22条" in err
    late = _accepted(consents=[{"party": "respondent", "at": "2026-10-10", "how": "phone"}])
    code, _out, err = imp(late)
    assert code == 2 and "acceptance.consents[0].at" in err and "须先征得同意再受理" in err
    applicant_only = _accepted(consents=[{"party": "applicant", "at": "2026-10-08", "how": "written"}])
    code, _out, err = imp(applicant_only)
    assert code == 2 and "被申请人同意调解的时间和方式" in err
    own = _accepted(consents=[{"party": "respondent", "at": "2026-10-09", "how": "in_person"}])
    own["source"] = "own_initiative"
    code, _out, err = imp(own)
    assert code == 2 and "主动调解须经双方当事人同意" in err
    assert _count(imp.db) == 0
    good = _accepted(consents=[{"party": "respondent", "at": "2026-10-09", "how": "phone"}])
    code, out, _err = imp(good)
    assert code == 0
    assert cases.get_case(imp.db, out[0])["acceptance"]["consents"] == [
        {"party": "respondent", "at": "2026-10-09", "how": "phone"}]


def test_review_excluded_for_any_labour_relationship_type_or_a_confirmed_agreement(imp):
    lr_second = records.agreed()
    lr_second["dispute_types"] = ["PAY", "LR"]
    confirmed = records.agreed()
    confirmed["agreement"]["judicial_confirmation"] = {"court": "海宁市人民法院", "at": "2026-10-28"}
    code, out, _err = imp(lr_second, confirmed, records.agreed())
    assert code == 0
    assert "第75条第4项" in cases.get_case(imp.db, out[0])["review_excluded"]
    got = cases.get_case(imp.db, out[1])
    assert "第75条第5项" in got["review_excluded"]
    assert got["agreement"]["judicial_confirmation"] == {"court": "海宁市人民法院", "at": "2026-10-28"}
    assert cases.get_case(imp.db, out[2])["review_excluded"] is None
    early = records.agreed()
    early["agreement"]["judicial_confirmation"] = {"court": "海宁市人民法院", "at": "2026-10-20"}
    code, _out, err = imp(early)
    assert code == 2 and "司法确认日期早于协议生效日期" in err


def _workers(n: int) -> list[dict]:
    return [{"name": f"劳动者{i}", "id_number": idn(f"11010119900101{i:03d}")} for i in range(n)]


def test_collective_needs_a_common_claim_not_only_ten_workers(imp):
    common = records.registered("2026-10-08T09:00:00+08:00", workers=_workers(12), common_claim=True)
    for w in common["workers"][:3]:
        w["representative"] = True
    count_only = records.registered("2026-10-08T10:00:00+08:00", workers=_workers(12))
    code, out, err = imp(common, count_only)
    assert code == 0
    assert cases.get_case(imp.db, out[0])["collective"] is True
    assert cases.get_case(imp.db, out[1])["collective"] is False
    assert "第2条 common_claim: 提示：" in err and "没有注明是否有共同请求" in err and "第1条" not in err
    few = records.registered("2026-10-08T11:00:00+08:00", workers=_workers(3), common_claim=True)
    code, out, err = imp(few)
    assert code == 0 and "不足10人" in err and cases.get_case(imp.db, out[0])["collective"] is False


# --- warnings (item 3) and the extension on a rest day (item 2) -----------------------------------

def _stored_warnings(db, case_no):
    return cases.get_case(db, case_no).get("warnings") or []


def test_extension_to_a_rest_day_is_taken_with_a_warning(imp):
    rec = _accepted()
    rec["extensions"] = [{"agreed_at": "2026-10-20", "until": "2026-10-31"}]  # a Saturday
    code, out, err = imp(rec)
    assert code == 0 and len(out) == 1
    assert "第1条 extensions[0].until: 提示：延期后的期限2026-10-31是休息日（星期六）" in err
    got = cases.get_case(imp.db, out[0])
    assert got["mediation_deadline"] == "2026-10-31"  # the agreed date stands
    (w,) = got["warnings"]
    assert w["code"] == "extension_rest_day" and w["acknowledged_by"] == "admin" and w["acknowledged_at"]


def test_worker_under_16_is_taken_warned_and_noted(imp):
    child = records.registered("2026-10-08T09:00:00+08:00")
    child["workers"][0]["id_number"] = idn("11010120120507013")  # 14 years old
    code, out, err = imp(child)
    assert code == 0 and len(out) == 1
    assert "workers[0].id_number: 提示：劳动者未满16周岁（14周岁）" in err and "劳动保障监察机构" in err
    (w,) = _stored_warnings(imp.db, out[0])
    assert w["code"] == "minor_worker" and w["path"] == "workers[0].id_number" and w["acknowledged_by"] == "admin"
    events = [h for h in cases.history(imp.db, out[0]) if h["action"] == "warning"]
    assert len(events) == 1 and "童工" in events[0]["reason"] and events[0]["actor"] == "admin"


def test_claim_outside_labour_disputes_and_pension_drawer_are_warnings(imp):
    agency = records.registered("2026-10-08T09:00:00+08:00")
    agency["claims"] = [{"text": "要求社会保险经办机构支付工伤保险待遇", "amount": "5000.00"}]
    pensioner = records.registered("2026-10-08T10:00:00+08:00")
    pensioner["workers"][0]["pension"] = True
    domestic = records.registered("2026-10-08T11:00:00+08:00", facts="申请人在被申请人家中做保姆，被拖欠工资。")
    code, out, err = imp(agency, pensioner, domestic)
    assert code == 0 and len(out) == 3
    assert "第1条 claims[0].text: 提示：请求可能不属于劳动争议调解范围" in err
    assert "第2条 workers[0].pension: 提示：劳动者已享受基本养老保险待遇" in err and "第32条" in err
    assert "第3条 facts: 提示：" in err and "家政服务人员" in err
    assert [w["code"] for w in _stored_warnings(imp.db, out[1])] == ["pension_drawer"]
    assert cases.get_case(imp.db, out[1])["workers"][0]["pension"] is True


def test_acknowledgement_survives_an_edit_and_a_fixed_warning_goes(imp):
    child = records.registered("2026-10-08T09:00:00+08:00")
    child["workers"][0]["id_number"] = idn("11010120120507013")
    _code, out, _err = imp(child)
    db = imp.db
    from desktop.security import accounts

    clerk = accounts.create_user(db, "clerk", "clerk12345", "mediator")
    before = _stored_warnings(db, out[0])
    cases.update_case(db, out[0], {"facts": "补充事实"}, clerk)
    assert _stored_warnings(db, out[0]) == before  # still acknowledged by admin, not again by the clerk
    fixed = records.WORKER
    cases.update_case(db, out[0], {"workers": [dict(fixed)]}, clerk)
    assert _stored_warnings(db, out[0]) == []
    assert len([h for h in cases.history(db, out[0]) if h["action"] == "warning"]) == 1


def test_collective_agreement_items_name_the_worker_they_are_owed_to(imp):
    rec = records.agreed()
    rec["workers"] = _workers(2)
    rec["agents"] = []
    rec["agreement"]["items"] = [dict(rec["agreement"]["items"][0], worker=i) for i in (0, 1)]
    rec["performance"] = []
    code, out, _err = imp(rec)
    assert code == 0
    assert [it["worker"] for it in cases.get_case(imp.db, out[0])["agreement"]["items"]] == [0, 1]
    rec["agreement"]["items"][1]["worker"] = 2
    code, _out, err = imp(rec)
    assert code == 2 and "agreement.items[1].worker" in err


def test_review_application_refused_for_a_second_lr_type_or_a_confirmed_agreement(tmp_path):
    from desktop.documents.errors import DocumentRefused
    from desktop.documents.render import check_review_allowed

    lr_second = records.agreed()
    lr_second["dispute_types"] = ["PAY", "LR"]
    with pytest.raises(DocumentRefused) as exc:
        check_review_allowed(lr_second, dt.date(2026, 10, 25))
    assert "第75条第4项" in str(exc.value)
    confirmed = records.agreed()
    confirmed["agreement"]["judicial_confirmation"] = {"court": "海宁市人民法院", "at": "2026-10-28"}
    with pytest.raises(DocumentRefused) as exc:
        check_review_allowed(confirmed, dt.date(2026, 10, 25))
    assert "第75条第5项" in str(exc.value)
    check_review_allowed(records.agreed(), dt.date(2026, 10, 25))  # PAY and CT-END: allowed


def test_a_case_stored_before_the_newer_rules_is_taken_at_the_hub_with_a_warning():
    # What a station stored under an earlier version (closed as expired on the period's last day)
    # must not stop its whole bundle at the hub; a new entry is refused as before.
    rec = _accepted()
    rec["outcome"] = {"kind": "expired", "closed_at": "2026-10-26", "reason": None}
    today = dt.date(2026, 11, 30)
    _r, fresh = cases.check_record(rec, today=today)
    assert fresh.messages() and not fresh.warnings
    checked, stored = cases.check_record(rec, today=today, stored=True)
    assert not stored and [w[1] for w in stored.warnings] == ["expired_early"]
    assert checked["warnings"][0]["code"] == "expired_early"
    bad = _accepted()
    bad["outcome"] = {"kind": "unknown", "closed_at": "2026-10-27", "reason": None}
    assert cases.check_record(bad, today=today, stored=True)[1]  # the shape is never relaxed
