"""Issue 17: a township clerk's whole first day on a new database at 1366×768, through the real
widgets — typing and clicking, never setting values: set-up wizard → add a mediator from the
first-day panel → register an application → accept → a session → an agreement with two items →
close (confirmed) → preview, zoom, save as PDF, print → join the hub and export a bundle."""

from __future__ import annotations

import datetime as _dt
import subprocess
import tempfile
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox, QWizard

from desktop import cases, clock, db as dbm
from desktop.security import accounts
from desktop.validate import id_check_char
from tests.ui.driving import (
    answer_file_dialog, answer_message_box, choose, click, click_tab, click_text, current_editor, edit_cell, fill,
    scan, type_into_editor,
)

DAY = _dt.datetime(2026, 11, 30, 9, 30, tzinfo=clock.TZ)  # a Monday


def valid_id(first17: str) -> str:
    return first17 + id_check_char(first17)


def md_doc_dirs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("md-doc-*")}


@pytest.fixture
def chinese_qt(qapp):
    from desktop.ui.app import install_chinese

    assert install_chinese(qapp)
    return qapp


def run_wizard(qtbot, path: Path):
    from desktop.ui.setup_wizard import SetupWizard

    wiz = SetupWizard(path)
    qtbot.addWidget(wiz)
    wiz.show()
    qtbot.waitExposed(wiz)
    assert wiz.width() <= 1366 and wiz.height() <= 768 - 40
    fill(qtbot, wiz.name, "测试镇劳动人事争议调解中心")
    fill(qtbot, wiz.region, "330481")
    fill(qtbot, wiz.abbr, "测试")
    # the case-number format is fields with a live example, never the raw {year} template
    assert "〔2026〕测试劳调字第0001号" in wiz.preview.text()
    fill(qtbot, wiz.template.digits.lineEdit(), "3")
    assert "〔2026〕测试劳调字第001号" in wiz.preview.text()
    fill(qtbot, wiz.template.digits.lineEdit(), "4")
    assert not scan(wiz), scan(wiz)
    click(qtbot, wiz.button(QWizard.NextButton))
    fill(qtbot, wiz.arb_name, "测试市劳动人事争议仲裁委员会")
    click(qtbot, wiz.button(QWizard.NextButton))
    fill(qtbot, wiz.admin, "lihua")
    fill(qtbot, wiz.display, "李华")
    fill(qtbot, wiz.password, "short")
    fill(qtbot, wiz.password2, "short")
    click(qtbot, wiz.button(QWizard.FinishButton))
    page = wiz.currentPage()
    assert page.error.isVisible() and "密码" in page.error.text()
    fill(qtbot, wiz.password, "abc12345")
    assert not page.error.isVisible()  # the message goes as soon as the field is changed
    fill(qtbot, wiz.password2, "abc12345")
    click(qtbot, wiz.button(QWizard.FinishButton))
    qtbot.waitUntil(lambda: wiz.user is not None, timeout=10000)
    return wiz


def test_first_day_of_a_township_clerk(qtbot, tmp_path, qsettings, chinese_qt, monkeypatch):
    from desktop.sync import hub as sync_hub, keys as sync_keys
    from desktop.ui.app import open_session
    from desktop.ui.case_window import CaseWindow
    from desktop.ui.mainwindow import MainWindow
    from desktop.ui.registration import RegistrationForm

    clock.set_now(DAY)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # Documents / last folder: the test's own
    temp_before = md_doc_dirs()

    path = tmp_path / "station.sqlite"
    wiz = run_wizard(qtbot, path)
    session = open_session(path, wiz.user, wiz.db)
    try:
        win = MainWindow(session)
        qtbot.addWidget(win)
        win.resize(1366, 768 - 40)  # the screen less the title bar
        win.show()
        qtbot.waitExposed(win)
        assert "李华" in win.user_label.text() and "lihua" not in win.user_label.text()
        assert "本站编号" in win.station.toolTip()
        dash = win.pages["工作台"]
        panel = dash.first_day
        from desktop.sync import keys as sk
        from desktop.ui.first_day import progress

        try:
            qtbot.waitUntil(panel.isVisible, timeout=10000)  # filled in after the first paint
        except Exception:
            raise AssertionError(f"first-day panel hidden: {progress(session.db)}, hub {sk.is_hub(session.db)}, "
                                 f"page shown {dash.isVisible()}") from None
        assert not scan(win), scan(win)

        # 1. first-day panel → add a mediator (the roster's dialog)
        click(qtbot, panel.buttons["roster"])
        dlg = win.pages["调解员名册"].dialog
        qtbot.waitExposed(dlg)
        fill(qtbot, dlg.name, "张调解")
        fill(qtbot, dlg.id_number, valid_id("33048119800101123"))
        fill(qtbot, dlg.phone, "13800000000")
        assert not scan(dlg), scan(dlg)
        click(qtbot, dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.Save))
        qtbot.waitUntil(lambda: win.pages["调解员名册"].table.rowCount() == 1, timeout=10000)
        win.show_page(0)
        qtbot.waitUntil(lambda: panel.labels["roster"].text().count("已完成") == 1, timeout=20000)

        # 2. register an application
        click(qtbot, panel.buttons["register"])
        form = win.findChild(RegistrationForm)
        qtbot.waitExposed(form)
        form.resize(980, 768 - 48)
        # typed date-time (item 5)
        fill(qtbot, form.received, "1130 0900")
        qtbot.keyClick(form.received, Qt.Key_Return)
        assert form.received.text() == "2026-11-30 09:00"
        edit_cell(qtbot, form.workers, 0, 0, "王小明")
        scroll = form.findChild(__import__("PySide6.QtWidgets", fromlist=["QScrollArea"]).QScrollArea)
        before = scroll.verticalScrollBar().value()
        edit_cell(qtbot, form.workers, 0, 1, "330481199001011236")
        assert form.workers.item(0, 2).text() == "1990-01-01" and form.workers.item(0, 3).text() == "男"
        # read-only derived cells are no tab stops
        assert not form.workers.item(0, 2).flags() & Qt.ItemIsEnabled
        fill(qtbot, form.employer_name, "示范测试纺织有限公司")
        assert scroll.verticalScrollBar().value() == before  # the form did not move under the mouse
        assert form.employer_name.text() == "示范测试纺织有限公司"
        choose(qtbot, form.primary_type, "PAY")
        edit_cell(qtbot, form.claims, 0, 0, "支付2026年9月至10月工资")
        edit_cell(qtbot, form.claims, 0, 1, "12000")
        click_text(qtbot, form, "添加请求事项")
        editor = current_editor(form.claims)
        assert editor is not None and form.claims.currentRow() == 1  # typing goes to the new row
        type_into_editor(qtbot, editor, "支付经济补偿")
        edit_cell(qtbot, form.claims, 1, 1, "3000")
        assert "壹万伍仟元整" in form.claims_total.text()
        click(qtbot, form.facts)
        from tests.ui.driving import type_text

        type_text(form.facts, "拖欠工资两个月。")
        assert not scan(form), scan(form)
        saved = []
        form.saved.connect(saved.append)
        click(qtbot, form.save_button)
        qtbot.waitUntil(lambda: bool(saved), timeout=10000)
        case_id = saved[0]["id"]
        qtbot.waitUntil(lambda: case_id in win.case_windows, timeout=20000)
        cw: CaseWindow = win.case_windows[case_id]
        cw.resize(1000, 720 - 48)
        qtbot.waitExposed(cw)
        assert cw.case["case_no"] == "〔2026〕测试劳调字第0001号"
        assert "1990-01-01" in cw.parties.toPlainText() and "男" in cw.parties.toPlainText()

        # 3. accept: a typed decision date, the mediator chosen, the recusal question asked
        click_tab(qtbot, cw.tabs, "受理与调解员")
        assert not cw.no_mediators.isVisible()
        fill(qtbot, cw.decided_at, "20261130")
        qtbot.keyClick(cw.decided_at, Qt.Key_Tab)
        assert cw.decided_at.text() == "2026-11-30"
        choose(qtbot, cw.lead, "张调解")
        click(qtbot, cw.accept_button)
        assert "回避" in cw.message.text()
        click(qtbot, cw.recusal_asked)
        assert cw.recusal_asked.isChecked() and not cw.message.isVisible()  # fixed: the message goes
        click(qtbot, cw.accept_button)
        qtbot.waitUntil(lambda: cw.case["status"] == "mediating", timeout=10000)
        assert cw.reassign_button.isVisible() and cw.reassign_button.isEnabled()

        # 4. a session: typed start, the end follows (+1 h); the form clears after adding
        click_tab(qtbot, cw.tabs, "调解笔录")
        fill(qtbot, cw.s_held, "2026-11-30 14:30")
        qtbot.keyClick(cw.s_held, Qt.Key_Return)
        assert cw.s_ended.text() == "2026-11-30 15:30"
        fill(qtbot, cw.s_attendees, "申请人王小明，被申请人代理人李四")
        click(qtbot, cw.s_record)
        from tests.ui.driving import type_text as tt

        tt(cw.s_record, "双方陈述意见，同意调解。")
        click(qtbot, cw.s_add)
        qtbot.waitUntil(lambda: len(cw.case.get("sessions") or []) == 1, timeout=10000)
        assert cw.s_record.toPlainText() == "" and cw.s_attendees.text() == ""
        stored = cases.get_case(session.db, case_id)["sessions"][0]
        assert stored["held_at"].startswith("2026-11-30T14:30") and stored["ended_at"].startswith("2026-11-30T15:30")

        # 5. the agreement: two items, then 结案 asks first with the amounts
        click_tab(qtbot, cw.tabs, "结案与协议")
        choose(qtbot, cw.o_kind, "agreed")
        for text, amount, due in (("被申请人支付申请人工资", "10000", "12-15"), ("被申请人支付申请人经济补偿", "2000.5", "20261231")):
            fill(qtbot, cw.i_text, text)
            fill(qtbot, cw.i_amount, amount)
            fill(qtbot, cw.i_due, due)
            qtbot.keyClick(cw.i_due, Qt.Key_Tab)
            click_text(qtbot, cw, "加入协议")
        assert cw.items.rowCount() == 2 and cw.i_text.text() == ""
        assert cw.draft_items[0]["due_date"] == "2026-12-15" and cw.draft_items[1]["due_date"] == "2026-12-31"
        click(qtbot, cw.close_button)
        box = cw.confirm_box
        assert box.isVisible() and "壹万贰仟元伍角" in box.text() and "2026-11-30" in box.text()
        assert box.button(QMessageBox.No).text() == "返回修改"
        assert not scan(box), scan(box)
        click(qtbot, box.button(QMessageBox.Yes))
        qtbot.waitUntil(lambda: cw.case["status"] == "closed", timeout=10000)
        history = [cw.history.item(r, c).text() for r in range(cw.history.rowCount()) for c in range(5)]
        assert "李华" in history and "lihua" not in history
        assert not scan(cw), scan(cw)

        # 6. the agreement: preview (fits the screen), zoom, pages, save as PDF (our vector file), print
        click_tab(qtbot, cw.tabs, "文书")
        labels = [cw.documents.item(i).text() for i in range(cw.documents.count())]
        row = labels.index("调解协议书")
        cw.documents.scrollToItem(cw.documents.item(row))
        click(qtbot, cw.documents.viewport(), cw.documents.visualItemRect(cw.documents.item(row)).center())
        click(qtbot, cw.preview_button)
        qtbot.waitUntil(lambda: getattr(cw, "preview_window", None) is not None and cw.preview_window.isVisible(),
                        timeout=20000)
        pv = cw.preview_window
        screen = pv.screen().availableGeometry()  # offscreen: 800×800
        assert pv.height() <= screen.height() - 40 and pv.width() <= 1280
        assert pv.minimumSizeHint().width() <= 1280 and pv.minimumSizeHint().height() <= 720 - 40
        assert md_doc_dirs() <= temp_before  # nothing of the document left in the temp folder
        z = pv._effective_zoom()
        click(qtbot, pv.zoom_in)
        assert pv.zoom() > z
        assert pv.doc.pageCount() >= 1 and pv.page_box.suffix().endswith(f"共 {pv.doc.pageCount()} 页")
        assert not scan(pv), scan(pv)
        target = tmp_path / "usb" / "协议.pdf"
        target.parent.mkdir()
        answer_file_dialog(target)
        click(qtbot, pv.save_button)
        qtbot.waitUntil(target.exists, timeout=10000)
        assert target.read_bytes() == pv.data
        text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, check=True).stdout.decode("utf-8")
        assert "调解协议书" in text.replace(" ", "") and "王小明" in text  # vector text, not page images

        from PySide6.QtPrintSupport import QPrinter

        printer = QPrinter(QPrinter.PrinterResolution)
        printer.setOutputFormat(QPrinter.PdfFormat)
        printer.setOutputFileName(str(tmp_path / "printed.pdf"))
        printed = []
        # a real (raster) print job, off the UI thread; watched from before it starts (a short job can end first)
        pv.print_document(printer, vector_copy=False, watch=lambda job: job.succeeded.connect(printed.append))
        qtbot.waitUntil(lambda: bool(printed), timeout=60000)
        assert printed == [pv.doc.pageCount()]
        pv.close()
        qtbot.waitUntil(lambda: md_doc_dirs() <= temp_before, timeout=20000)

        # 7. join the hub and export the first bundle to the USB stick
        hub_path = tmp_path / "hub.sqlite"
        sync_hub.hub_init(hub_path, "测试区劳动人事争议调解数据汇总", "330481", "hubadmin", "hubpass123")
        hub_db = dbm.open_database(hub_path)
        accounts.authenticate(hub_db, "hubadmin", "hubpass123")  # unlocks the hub's keys
        card = tmp_path / "usb" / "汇总端登记卡.json"
        sync_keys.write_card(sync_keys.hub_card(hub_db), card)
        hub_db.conn.close()
        win.show_page(0)
        click(qtbot, panel.buttons["join"])
        ex = win.pages["数据交换"]
        assert win.stack.currentWidget().isAncestorOf(ex)
        assert "安装汇总端登记卡" in ex.hub_status.text() and not ex.export_button.isEnabled()
        assert not ex.resend_button.isEnabled()  # nothing to resend before the first bundle
        assert not scan(win), scan(win)
        answer_file_dialog(card)
        asked: list[str] = []
        answer_message_box(QMessageBox.Yes, asked)
        click(qtbot, ex.join_button)
        qtbot.waitUntil(lambda: ex.export_button.isEnabled(), timeout=10000)
        assert asked and "指纹" in asked[0]
        fill(qtbot, ex.folder, str(tmp_path / "usb"))
        click(qtbot, ex.export_button)
        qtbot.waitUntil(lambda: ex.out_table.rowCount() == 1, timeout=20000)
        assert ex.out_table.item(0, 3).text() == "完整"  # the first bundle holds everything
        assert list((tmp_path / "usb").glob("*.bundle"))
        assert ex.resend_button.isEnabled()
        session.ops.wait_idle()
        win.show_page(0)
        qtbot.waitUntil(lambda: not panel.isVisible(), timeout=20000)  # the three steps are done
        assert not scan(win), scan(win)
        win.close()
    finally:
        session.ops.close()
