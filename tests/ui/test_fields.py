"""Issue 17 items 5 and 6: date fields take what a clerk types and have a calendar; messages go
once the problem is fixed."""

from __future__ import annotations

import datetime as _dt

from PySide6.QtCore import QDate, Qt

from desktop import clock
from tests.ui.driving import click, fill


def test_date_field_typing_and_calendar(qtbot, qsettings):
    from desktop.ui.widgets import date_edit, datetime_edit, iso_date, iso_datetime

    clock.set_today(_dt.date(2026, 11, 30))
    d = date_edit()
    qtbot.addWidget(d)
    d.show()
    for typed in ("20261130", "2026-11-30", "11-30", "1130", "2026年11月30日", "2026/11/30"):
        fill(qtbot, d, "20260101")
        qtbot.keyClick(d, Qt.Key_Return)
        assert iso_date(d) == "2026-01-01"
        fill(qtbot, d, typed)
        qtbot.keyClick(d, Qt.Key_Return)
        assert iso_date(d) == "2026-11-30", typed
    fill(qtbot, d, "1332")  # not a date: the last good one stays, and the field says why
    qtbot.keyClick(d, Qt.Key_Return)
    assert iso_date(d) == "2026-11-30" and "无法识别" in d.problem
    qtbot.keyClick(d, Qt.Key_Up)
    assert iso_date(d) == "2026-12-01"
    qtbot.keyClick(d, Qt.Key_F4)  # the calendar pop-up
    cal = d.popup.calendar
    qtbot.waitUntil(cal.isVisible, timeout=20000)
    cal.setSelectedDate(QDate(2026, 12, 24))
    cal.activated.emit(QDate(2026, 12, 24))  # Enter on the chosen day
    assert iso_date(d) == "2026-12-24" and not d.popup.isVisible()

    t = datetime_edit()
    qtbot.addWidget(t)
    t.show()
    fill(qtbot, t, "20261130 1430")
    qtbot.keyClick(t, Qt.Key_Return)
    assert iso_datetime(t).startswith("2026-11-30T14:30")
    fill(qtbot, t, "9:05")  # a time alone keeps the day
    qtbot.keyClick(t, Qt.Key_Return)
    assert iso_datetime(t).startswith("2026-11-30T09:05")


def test_export_message_goes_when_a_folder_is_chosen(qtbot, session):
    from desktop.ui.exchange_page import ExchangePage

    page = ExchangePage(session)
    qtbot.addWidget(page)
    page.show()
    page.export_to("")
    assert page.message.isVisible() and "导出目录" in page.message.text()
    fill(qtbot, page.folder, "/tmp")
    assert not page.message.isVisible()


def test_reassign_mediators_with_a_reason(qtbot, session):
    from PySide6.QtWidgets import QDialogButtonBox

    from desktop import cases
    from desktop.ui.case_window import CaseWindow

    cid = session.db.conn.execute("select id from cases where status = 'mediating' and deleted = 0 and archived = 0"
                                  " limit 1").fetchone()[0]
    cw = CaseWindow(session, cid)
    qtbot.addWidget(cw)
    cw.show()
    cw.tabs.setCurrentIndex(1)
    click(qtbot, cw.reassign_button)
    dlg = cw.reassign_dialog
    before = {m["name"] for m in cw.case["mediators"]}
    lead = dlg.combos["lead"]
    other = next(i for i in range(1, lead.count()) if lead.itemData(i) not in before)
    lead.setCurrentIndex(other)
    chosen = lead.itemData(other)
    ok = dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok)
    click(qtbot, ok)
    assert dlg.isVisible() and "理由" in dlg.error.text()  # a reason is required
    fill(qtbot, dlg.reason, "原首席调解员长期病假")
    assert not dlg.error.isVisible()
    click(qtbot, ok)
    qtbot.waitUntil(lambda: any(m["role"] == "lead" and m["name"] == chosen
                                for m in cw.case["mediators"]), timeout=10000)
    h = cases.history(session.db, cid)[-1]
    assert h["action"] == "assign" and h["reason"] == "原首席调解员长期病假"
    assert cw.history.item(cw.history.rowCount() - 1, 2).text() == "指派调解员"
