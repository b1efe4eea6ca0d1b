"""Screenshots of a clerk's first day on a new database (issue 17), one PNG per step:
`python -m desktop.ui.screenshots` calls `shoot(out, app, tmp)`; run under `xvfb-run -a -s "-screen 0 1366x768x24"`.

Values are set directly here (the pytest test tests/ui/test_first_day.py types them); the windows
are the program's own, at the size the screen gives them.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path


def shoot(out: Path, app, tmp: Path) -> list[Path]:
    from PySide6.QtCore import QDate, QDateTime, QTime
    from PySide6.QtWidgets import QTableWidgetItem

    from desktop import clock, db as dbm
    from desktop.security import accounts
    from desktop.sync import hub as sync_hub, keys as sync_keys
    from desktop.ui.app import open_session
    from desktop.ui.mainwindow import MainWindow
    from desktop.ui.setup_wizard import SetupWizard

    clock.set_now(_dt.datetime(2026, 11, 30, 9, 30, tzinfo=clock.TZ))
    written: list[Path] = []
    n = [0]

    def shot(widget, name):
        from desktop.ui.reader import settle

        settle()  # the pages read behind the window: grab them filled in
        for _ in range(8):
            app.processEvents()
        n[0] += 1
        file = out / f"first-day-{n[0]:02d}-{name}.png"
        widget.grab().save(str(file))
        written.append(file)

    path = tmp / "first-day.sqlite"
    wiz = SetupWizard(path)
    wiz.show()
    wiz.name.setText("城关镇劳动人事争议调解中心")
    wiz.region.setText("330481")
    wiz.abbr.setText("城关")
    shot(wiz, "wizard")
    wiz.arb_name.setText("示范市劳动人事争议仲裁委员会")
    wiz.admin.setText("lihua")
    wiz.display.setText("李华")
    wiz.password.setText("abc12345")
    wiz.password2.setText("abc12345")
    wiz.create()
    wiz.hide()
    session = open_session(path, wiz.user, wiz.db)
    win = MainWindow(session)
    win.show()
    shot(win, "dashboard-first-day")

    dlg = win.first_day_step("roster")
    dlg.name.setText("张建国")
    from desktop.validate import id_check_char

    dlg.id_number.setText("33048119800101123" + id_check_char("33048119800101123"))
    dlg.phone.setText("13800000000")
    shot(dlg, "add-mediator")
    dlg.save()
    session.ops.wait_idle()

    form = win.first_day_step("register")
    form.received.setDateTime(QDateTime(QDate(2026, 11, 30), QTime(9, 0)))
    form.workers.setItem(0, 0, QTableWidgetItem("王小明"))
    form.workers.setItem(0, 1, QTableWidgetItem("330481199001011236"))
    form.employer_name.setText("示范长安宏达纺织有限公司")
    form.primary_type.setCurrentIndex(form.primary_type.findData("PAY"))
    form.claims.setItem(0, 0, QTableWidgetItem("支付2026年9月至10月工资"))
    form.claims.setItem(0, 1, QTableWidgetItem("12000"))
    form.facts.setPlainText("拖欠工资两个月。")
    shot(form, "registration")
    saved = []
    form.saved.connect(saved.append)
    form.save()
    session.ops.wait_idle()
    for _ in range(5):
        app.processEvents()
    cw = win.case_windows[saved[0]["id"]]
    cw.tabs.setCurrentIndex(1)
    cw.lead.setCurrentIndex(1)
    cw.recusal_asked.setChecked(True)
    shot(cw, "acceptance")
    cw._accept()
    session.ops.wait_idle()
    cw.tabs.setCurrentIndex(2)
    cw.s_held.setDateTime(QDateTime(QDate(2026, 11, 30), QTime(14, 30)))
    cw.s_attendees.setText("申请人王小明，被申请人代理人李四")
    cw.s_record.setPlainText("双方陈述意见，同意调解。")
    shot(cw, "session")
    cw._add_session()
    session.ops.wait_idle()
    cw.tabs.setCurrentIndex(3)
    cw.o_kind.setCurrentIndex(cw.o_kind.findData("agreed"))
    for text, amount, due in (("被申请人支付申请人2026年9月至10月工资", "10000", QDate(2026, 12, 15)),
                              ("被申请人支付申请人经济补偿", "2000.50", QDate(2026, 12, 31))):
        cw.i_text.setText(text)
        cw.i_amount.setText(amount)
        cw.i_due.setDate(due)
        cw._add_item()
    shot(cw, "agreement")
    cw._close()
    shot(cw.confirm_box, "confirm-close")
    from PySide6.QtWidgets import QMessageBox

    cw.confirm_box.button(QMessageBox.Yes).click()
    session.ops.wait_idle()
    cw.tabs.setCurrentIndex(5)
    labels = [cw.documents.item(i).text() for i in range(cw.documents.count())]
    cw.documents.setCurrentRow(labels.index("调解协议书"))
    shot(cw, "documents")
    cw._preview(cw.documents.currentItem())
    session.ops.wait_idle()
    from PySide6.QtCore import QThread

    for _ in range(60):  # QPdfView renders its pages on a thread of its own
        app.processEvents()
        QThread.msleep(20)
    shot(cw.preview_window, "preview")
    cw.preview_window.close()
    cw.tabs.setCurrentIndex(6)
    shot(cw, "history")
    cw.close()

    hub_path = tmp / "first-day-hub.sqlite"
    sync_hub.hub_init(hub_path, "示范区劳动人事争议调解数据汇总", "330481", "hubadmin", "hubpass123")
    hub_db = dbm.open_database(hub_path)
    accounts.authenticate(hub_db, "hubadmin", "hubpass123")
    sync_keys.write_card(sync_keys.hub_card(hub_db), tmp / "hub-card.json")
    hub_db.conn.close()
    ex = win.first_day_step("join")
    shot(win, "exchange-not-joined")
    ex.join_card(str(tmp / "hub-card.json"))
    session.ops.wait_idle()
    usb = tmp / "first-day-usb"
    usb.mkdir(exist_ok=True)
    ex.folder.setText(str(usb))
    ex.export_to(str(usb))
    session.ops.wait_idle()
    shot(win, "exchange-exported")
    win.show_page(0)
    shot(win, "dashboard-after")
    hw = win.show_manual()
    shot(hw, "manual")
    hw.close()
    about = win.show_about()
    shot(about, "about")
    about.close()
    win.close()
    session.ops.close()
    clock.reset()
    return written
