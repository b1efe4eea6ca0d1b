"""Issue 17 item 12: the main window does not wait for PRAGMA quick_check; the check runs behind
it and only a fault stops writing."""

from __future__ import annotations

import pytest

from desktop import cases
from desktop.errors import PermissionDenied


def _window(qtbot, session):
    from desktop.ui.mainwindow import MainWindow

    win = MainWindow(session)
    qtbot.addWidget(win)
    win.show()
    return win


def test_a_sound_file_changes_nothing(qtbot, session):
    from desktop.ui import startup_check

    win = _window(qtbot, session)
    check = startup_check.start(session, win)
    qtbot.waitUntil(lambda: check.result is not None, timeout=20000)
    assert check.result == [] and session.user.can("write") and not win.mode_label.isVisible()


def test_a_fault_found_behind_the_window_stops_writing(qtbot, session):
    from desktop.ui import startup_check

    win = _window(qtbot, session)
    conn = session.db.conn
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    assert pages > 10
    with open(session.path, "r+b") as f:  # damage a page in the middle (an index or table leaf)
        f.seek(page_size * (pages // 2))
        f.write(b"\xff" * page_size)
    check = startup_check.start(session, win)
    qtbot.waitUntil(lambda: check.result is not None, timeout=20000)
    assert check.result, "quick_check found nothing in a damaged file"
    qtbot.waitUntil(lambda: getattr(session, "readonly", False), timeout=20000)
    assert not session.user.can("write")
    assert win.mode_label.isVisible() and "停止写入" in win.mode_label.text()
    assert "备份" in win.integrity_box.text()
    win.integrity_box.close()
    with pytest.raises(PermissionDenied):
        cases.create_case(session.db, {"application": {"mode": "written"}}, session.user)
