"""The checks and warnings of issue 13 through the forms: warnings beside the field (saving goes on and
acknowledges them), errors shown and nothing changed."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QMessageBox, QTableWidgetItem

from desktop import cases, clock, validate

TODAY = dt.date(2026, 11, 30)


def idn(first17: str) -> str:
    return first17 + validate.id_check_char(first17)


def _form(qtbot, session):
    from desktop.ui.registration import RegistrationForm

    form = RegistrationForm(session)
    qtbot.addWidget(form)
    form.show()
    form.employer_name.setText("示范测试纺织有限公司")
    form.primary_type.setCurrentIndex(form.primary_type.findData("PAY"))
    return form


def _save(qtbot, form) -> dict:
    saved = []
    form.saved.connect(saved.append)
    form.save()
    qtbot.waitUntil(lambda: bool(saved), timeout=10000)
    return saved[0]


def test_registration_shows_warnings_beside_the_fields_and_saves(qtbot, session):
    clock.set_today(TODAY)
    form = _form(qtbot, session)
    form.workers.setItem(0, 0, QTableWidgetItem("王小童"))
    form.workers.setItem(0, 1, QTableWidgetItem(idn("33048120120507013")))  # 14 years old
    form.workers.item(0, 8).setCheckState(Qt.Checked)  # 已领养老金
    form.claims.setItem(0, 0, QTableWidgetItem("要求社会保险经办机构支付工伤保险待遇"))
    problems = form._validate(everything=True)
    assert problems == []  # warnings do not stop saving
    workers_text = form._errors["workers"].text()
    assert "提示：劳动者未满16周岁（14周岁）" in workers_text and "已享受基本养老保险待遇" in workers_text
    assert "提示：请求可能不属于劳动争议调解范围" in form._errors["claims"].text()
    case = _save(qtbot, form)
    stored = cases.get_case(session.db, case["id"])
    assert sorted(w["code"] for w in stored["warnings"]) == ["minor_worker", "outside_scope", "pension_drawer"]
    assert {w["acknowledged_by"] for w in stored["warnings"]} == {session.user.name}
    assert [h["action"] for h in cases.history(session.db, case["id"])] == ["register", "warning"]


def test_registration_common_claim_makes_a_collective_case(qtbot, session):
    clock.set_today(TODAY)
    form = _form(qtbot, session)
    form.workers.setRowCount(0)
    for i in range(12):
        form.add_worker(f"劳动者{i}", idn(f"33048119900101{i:03d}"))
    form.claims.setItem(0, 0, QTableWidgetItem("支付2026年10月工资"))
    form._validate(everything=True)
    assert "没有注明是否有共同请求" in form._errors["common_claim"].text()
    form.common_claim.setChecked(True)
    assert form._errors["common_claim"].text() == ""
    case = _save(qtbot, form)
    assert cases.get_case(session.db, case["id"])["collective"] is True


def _registered(session, received="2026-11-02T09:00:00+08:00") -> dict:
    return cases.create_case(session.db, {
        "application": {"mode": "written", "received_at": received},
        "workers": [{"name": "王测试", "id_number": "330481199001011236"}],
        "employer": {"name": "规则测试有限公司"}, "dispute_types": ["PAY"],
        "claims": [{"text": "支付工资", "amount": "3000.00"}]}, session.user, today=TODAY)


def _window(qtbot, session, case):
    from desktop.ui.case_window import CaseWindow

    win = CaseWindow(session, case["id"])
    qtbot.addWidget(win)
    win.show()
    return win


def _outcome(win, kind: str, closed: QDate) -> None:
    win.o_kind.setCurrentIndex(win.o_kind.findData(kind))
    win.o_closed.setDate(closed)


def _close_confirmed(win) -> None:
    """结案, answered 是 in the confirmation."""
    win.close_button.click()
    win.confirm_box.button(QMessageBox.Yes).click()


def test_accepting_without_the_respondents_consent_is_refused(qtbot, session):
    clock.set_today(TODAY)
    case = _registered(session)
    win = _window(qtbot, session, case)
    win.decided_at.setDate(QDate(2026, 11, 3))
    win.lead.setCurrentIndex(1)
    win.recusal_asked.setChecked(True)
    win.respondent_agreed.setChecked(False)
    win.accept_button.click()
    qtbot.waitUntil(lambda: "第22条" in win.message.text(), timeout=10000)
    assert cases.get_case(session.db, case["id"])["status"] == "registered"
    win.respondent_agreed.setChecked(True)
    win.consent_at.setDate(QDate(2026, 11, 4))  # after the decision: consent must come first
    win.accept_button.click()
    qtbot.waitUntil(lambda: "须先征得同意再受理" in win.message.text(), timeout=10000)
    win.consent_at.setDate(QDate(2026, 11, 3))
    win.consent_how.setCurrentIndex(win.consent_how.findData("phone"))
    win.accept_button.click()
    qtbot.waitUntil(lambda: win.case["status"] == "mediating", timeout=10000)
    assert win.case["acceptance"]["consents"] == [{"party": "respondent", "at": "2026-11-03", "how": "phone"}]


def test_extension_to_a_rest_day_is_warned_beside_the_date_and_kept(qtbot, session):
    clock.set_today(TODAY)
    case = _registered(session)
    cases.accept(session.db, case["id"], "2026-11-03", session.user, mediators=[{"name": "赵建国", "role": "lead"}])
    win = _window(qtbot, session, case)
    win.ext_agreed.setDate(QDate(2026, 11, 10))
    win.ext_until.setDate(QDate(2026, 11, 27))
    assert win.ext_until_warning.text() == ""
    win.ext_until.setDate(QDate(2026, 11, 28))  # a Saturday
    assert "2026-11-28是休息日（星期六）" in win.ext_until_warning.text()
    win._extend()
    qtbot.waitUntil(lambda: bool(win.case.get("extensions")), timeout=10000)
    assert win.case["mediation_deadline"] == "2026-11-28"
    (w,) = win.case["warnings"]
    assert w["code"] == "extension_rest_day" and w["acknowledged_by"] == session.user.name
    assert any(win.history.item(r, 2).text() == "提示（已确认）" for r in range(win.history.rowCount()))


def test_closing_as_expired_before_the_period_ends_or_agreeing_after_it_is_refused(qtbot, session):
    clock.set_today(TODAY)
    case = _registered(session)
    cases.accept(session.db, case["id"], "2026-11-03", session.user, mediators=[{"name": "赵建国", "role": "lead"}])
    win = _window(qtbot, session, case)
    assert win.case["mediation_deadline"] == "2026-11-18"
    _outcome(win, "expired", QDate(2026, 11, 18))
    _close_confirmed(win)
    qtbot.waitUntil(lambda: "届满前不能" in win.message.text(), timeout=10000)
    assert cases.get_case(session.db, case["id"])["status"] == "mediating"

    _outcome(win, "agreed", QDate(2026, 11, 20))
    win.a_effective.setDate(QDate(2026, 11, 20))
    win.i_text.setText("被申请人支付申请人工资")
    win.i_amount.setText("3000")
    win._add_item()
    _close_confirmed(win)
    qtbot.waitUntil(lambda: "没有记录双方同意的延期" in win.message.text(), timeout=10000)
    assert cases.get_case(session.db, case["id"])["status"] == "mediating"

    _outcome(win, "expired", QDate(2026, 11, 19))
    _close_confirmed(win)
    qtbot.waitUntil(lambda: win.case["status"] == "closed", timeout=10000)


def test_review_application_is_refused_in_the_case_window_for_a_second_lr_type(qtbot, session):
    from tests import records

    clock.set_today(TODAY)
    rec = records.agreed()
    rec["dispute_types"] = ["PAY", "LR"]
    (case_no,) = cases.import_records(session.db, [rec], session.user)
    win = _window(qtbot, session, cases.get_case(session.db, case_no))
    assert win._refused("review-application") is True
    assert "第75条第4项" in win.refusal_box.text()


def test_judicial_confirmation_is_recorded_in_the_case_window_and_closes_the_review_route(qtbot, session):
    from tests import records

    clock.set_today(TODAY)
    (case_no,) = cases.import_records(session.db, [records.agreed()], session.user)
    win = _window(qtbot, session, cases.get_case(session.db, case_no))
    win.j_date.setDate(QDate(2026, 10, 28))
    win.j_button.click()  # no court named
    qtbot.waitUntil(lambda: "judicial_confirmation.court" in win.message.text(), timeout=10000)
    win.j_court.setText("海宁市人民法院")
    win.j_button.click()
    qtbot.waitUntil(lambda: bool(win.case["agreement"].get("judicial_confirmation")), timeout=10000)
    assert win.case["agreement"]["judicial_confirmation"] == {"court": "海宁市人民法院", "at": "2026-10-28"}
    assert "第75条第5项" in win.case["review_excluded"]
    assert win._refused("review-application") is True and "第75条第5项" in win.refusal_box.text()
