"""The flows clerks click: register (invalid, then valid), accept, add a session, close with an
agreement; the dashboard's overdue list; the case list model; first start and sign-in."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QApplication, QTableWidgetItem

from desktop import cases, db as dbm
from desktop.security import accounts


def leave(widget) -> None:
    """The focus-out a Tab press sends (offscreen windows never become active, so send it directly)."""
    QApplication.sendEvent(widget, QFocusEvent(QEvent.FocusOut, Qt.TabFocusReason))


def type_text(widget, text: str) -> None:
    """Key presses carrying Chinese text (QTest.keyClicks only handles ASCII)."""
    for ch in text:
        for kind in (QEvent.KeyPress, QEvent.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key_unknown, Qt.NoModifier, ch))


def _count(db) -> int:
    return db.conn.execute("select count(*) from cases").fetchone()[0]


def test_register_accept_session_close(qtbot, session):
    from desktop.ui.case_window import CaseWindow
    from desktop.ui.registration import RegistrationForm

    db = session.db
    before = _count(db)
    form = RegistrationForm(session)
    qtbot.addWidget(form)
    with qtbot.waitActive(form):  # shortcuts (Ctrl+S) need the active window
        form.show()
        form.activateWindow()
    # invalid: a wrong check digit, no employer
    form.workers.setItem(0, 0, QTableWidgetItem("王小明"))
    form.workers.setItem(0, 1, QTableWidgetItem("330481199001011234"))
    leave(form.employer_name)  # leaving the employer field shows its problem next to it
    assert "不能为空" in form._errors["employer.name"].text()
    assert form._errors["employer.name"].isVisible()
    assert "校验位" in form._errors["workers"].text()
    qtbot.keyClick(form, Qt.Key_S, Qt.ControlModifier)  # Ctrl+S
    assert "未保存" in form.general_error.text()
    assert "争议类型" in form._errors["dispute_types"].text() or form._errors["dispute_types"].text()
    form.session.ops.wait_idle()
    assert _count(db) == before  # nothing written

    # valid: fix the ID (fills birth date and sex), employer, type, claim with running total
    form.workers.item(0, 1).setText("330481199001011236")
    assert form.workers.item(0, 2).text() == "1990-01-01" and form.workers.item(0, 3).text() == "男"
    type_text(form.employer_name, "示范测试纺织有限公司")
    form.primary_type.setCurrentIndex(form.primary_type.findData("PAY"))
    form.claims.setItem(0, 0, QTableWidgetItem("支付2026年工资"))
    form.claims.setItem(0, 1, QTableWidgetItem("12000"))
    assert "壹万贰仟元整" in form.claims_total.text()
    form.facts.setPlainText("拖欠工资两个月。")
    saved = []
    form.saved.connect(saved.append)
    qtbot.keyClick(form, Qt.Key_S, Qt.ControlModifier)
    qtbot.waitUntil(lambda: bool(saved), timeout=10000)
    assert _count(db) == before + 1
    case = cases.get_case(db, saved[0]["id"])
    assert case["workers"][0]["id_number"] == "330481199001011236" and case["status"] == "registered"
    assert case["claims"][0]["amount"] == "12000.00"

    win = CaseWindow(session, case["id"])
    qtbot.addWidget(win)
    win.show()
    # accept: the recusal question must be asked first
    win.lead.setCurrentIndex(1)
    win.accept_button.click()
    assert "回避" in win.message.text()
    session.ops.wait_idle()
    assert cases.get_case(db, case["id"])["status"] == "registered"
    win.recusal_asked.setChecked(True)
    win.recorder_combo.setCurrentIndex(2)
    win.accept_button.click()
    qtbot.waitUntil(lambda: win.case["status"] == "mediating", timeout=10000)
    assert len(win.case["mediators"]) == 2

    # a session record
    win.s_attendees.setText("申请人王小明，被申请人代理人李四")
    win.s_record.setPlainText("双方陈述意见。")
    win.s_ended.setDateTime(win.s_held.dateTime())
    win.s_add.click()
    qtbot.waitUntil(lambda: len(win.case.get("sessions") or []) == 1, timeout=10000)
    assert win.sessions.rowCount() == 1

    # close with an agreement; the capitals follow the typing
    win.o_kind.setCurrentIndex(win.o_kind.findData("agreed"))
    win.i_text.setText("被申请人支付申请人工资")
    qtbot.keyClicks(win.i_amount, "10000.5")
    assert win.capitals.text() == "大写：壹万元伍角"
    win._add_item()
    assert win.items.rowCount() == 1
    win.close_button.click()
    from PySide6.QtWidgets import QMessageBox

    assert "壹万元伍角" in win.confirm_box.text()  # closing asks first, showing the amounts
    win.confirm_box.button(QMessageBox.Yes).click()
    qtbot.waitUntil(lambda: win.case["status"] == "closed", timeout=10000)
    stored = cases.get_case(db, case["id"])
    assert stored["outcome"]["kind"] == "agreed"
    assert stored["agreement"]["items"][0]["amount"] == "10000.50"
    assert [h["action"] for h in cases.history(db, case["id"])] == ["register", "accept", "session", "close"]
    assert win.history.rowCount() == 4
    docs = [win.documents.item(i).data(Qt.UserRole) for i in range(win.documents.count())]
    assert "agreement" in docs and "decline-notice" not in docs


def test_dashboard_shows_overdue_case(qtbot, session):
    from desktop.ui.dashboard_page import DashboardPage

    page = DashboardPage(session)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.is_loaded, timeout=10000)  # read on the session's reader (issue 17 item 12)
    t = page.tables["overdue"]
    numbers = [t.item(r, 0).text() for r in range(t.rowCount())]
    assert session.db.md_test_overdue in numbers
    row = numbers.index(session.db.md_test_overdue)
    assert "已逾期" in t.item(row, 5).text()
    opened = []
    page.open_case.connect(opened.append)
    page._open(t, row)
    assert opened == [cases.get_case(session.db, session.db.md_test_overdue)["id"]]


def test_case_list_model(qtbot, qtmodeltester, session):
    from desktop.ui.cases_page import CaseTableModel, CasesPage

    model = CaseTableModel(session.db, page_size=16)
    assert model.rowCount() == 16 and model.canFetchMore()
    qtmodeltester.check(model)
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == _count(session.db)
    page = CasesPage(session)
    qtbot.addWidget(page)
    type_text(page.search, "逾期")  # two Chinese characters
    assert page.model.rowCount() == 1
    assert page.model.data(page.model.index(0, 4)) == "**************1236"  # last four only (issue 15)
    page.search.clear()
    page.status.setCurrentIndex(page.status.findData("overdue"))
    assert page.model.rowCount() >= 1
    assert all("逾期" in page.model.data(page.model.index(r, 1)) for r in range(page.model.rowCount()))


def test_main_window_title_status_and_pages(qtbot, session):
    from desktop.ui.mainwindow import PAGES, MainWindow

    win = MainWindow(session)
    qtbot.addWidget(win)
    win.show()
    assert "演示数据" in win.windowTitle()
    assert "未导出的修改" in win.unexported.text()
    for i in range(len(PAGES)):
        win.show_page(i)
        assert win.stack.currentIndex() == i
    assert win.page("调解员名册").table.rowCount() == 8
    cw = win.open_case(cases.get_case(session.db, session.db.md_test_overdue)["id"])
    assert win.open_case(cw.case_id) is cw  # one window per case
    cw.close()


def test_first_start_wizard_and_login(qtbot, tmp_path, qsettings):
    from desktop.ui.login import LoginDialog
    from desktop.ui.setup_wizard import SetupWizard

    path = tmp_path / "new.sqlite"
    wiz = SetupWizard(path)
    qtbot.addWidget(wiz)
    wiz.name.setText("测试镇劳动人事争议调解中心")
    wiz.region.setText("330481")
    wiz.arb_name.setText("测试市劳动人事争议仲裁委员会")
    wiz.admin.setText("admin")
    wiz.password.setText("short")
    wiz.password2.setText("short")
    try:
        wiz._check_admin()
        raise AssertionError("weak password accepted")
    except Exception as exc:
        assert "密码至少8位" in str(exc.messages[0])
    wiz.password.setText("abc12345")
    wiz.password2.setText("abc12345")
    wiz.create()
    db = dbm.open_database(path)
    assert accounts.authenticate(db, "admin", "abc12345").role == "admin"
    dlg = LoginDialog(db)
    qtbot.addWidget(dlg)
    dlg.name.setText("admin")
    dlg.password.setText("wrong-pass1")
    dlg.try_login()
    assert dlg.error.text() == "用户名或密码错误" and dlg.user is None
    dlg.password.setText("abc12345")
    dlg.try_login()
    assert dlg.user is not None and dlg.user.name == "admin"
