"""Settings → 录入全年放假通知: paste, see the check, enter; deadlines follow (issue 13 item 1)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt

from desktop import cases
from tests.test_calendar_uncovered import NOTICE_2027


def test_pasting_and_entering_the_2027_notice(qtbot, session):
    from desktop.ui.holiday_notice import HolidayNoticeDialog
    from desktop.ui.settings_page import SettingsPage

    db, admin = session.db, session.user
    case = cases.create_case(db, {
        "application": {"mode": "written", "received_at": "2026-12-31T09:00:00+08:00"},
        "workers": [{"name": "跨年甲", "id_number": "330481199001011236"}],
        "employer": {"name": "跨年测试有限公司"}, "dispute_types": ["PAY"]}, admin, today=dt.date(2026, 12, 31))
    assert case["provisional"] is True

    page = SettingsPage(session)
    qtbot.addWidget(page)
    page.show()
    dialog = page.enter_notice()
    assert isinstance(dialog, HolidayNoticeDialog)
    dialog.year.setValue(2027)
    enter = dialog.enter_button
    dialog.text.setPlainText(NOTICE_2027.split("七、")[0])  # National Day missing
    assert not enter.isEnabled()
    assert "2027年10月1日（国庆节）" in dialog.result.text() and "不完整" in dialog.result.text()

    dialog.text.setPlainText(NOTICE_2027)
    assert enter.isEnabled() and "全年安排完整" in dialog.result.text()
    qtbot.mouseClick(enter, Qt.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10000)
    qtbot.waitUntil(lambda: "2027年放假安排已录入" in page.message.text(), timeout=20000)
    assert page.overrides.rowCount() == 34  # 29 days off + 5 working days
    got = cases.get_case(db, case["id"])
    assert got["provisional"] is False and got["acceptance_due"] == "2027-01-06"
    assert db.conn.execute("select provisional from cases where id = ?", (case["id"],)).fetchone()[0] == 0
