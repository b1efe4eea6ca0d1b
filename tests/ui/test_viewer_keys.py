"""A viewer in the desktop program holds no key (issue 15 item 1): the case list, the case window
and the roster show the masked copies stored with each record, never a "locked" error; documents
are refused with a message; a mediator's exchange page says exporting needs an administrator."""

from __future__ import annotations

from desktop.security import accounts, keys, sensitive


def _viewer_session(session, name="look", role="viewer"):
    from desktop.ui.app import open_session

    accounts.create_user(session.db, name, "lookpass1", role, actor="demo")
    user = accounts.authenticate(session.db, name, "lookpass1")
    return open_session(session.path, user, session.db)


def test_viewer_browses_masked_and_gets_no_documents(qtbot, session, qsettings):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    from desktop.ui.case_window import MASKED_DOCUMENT_REFUSAL, CaseWindow
    from desktop.ui.mainwindow import PAGES, MainWindow

    case_no = session.db.md_test_overdue  # its worker's ID number is 330481199001011236
    viewer = _viewer_session(session)
    try:
        assert keys.unlocked(viewer.db) is None and sensitive.masked_only(viewer.db)
        case_id = viewer.db.conn.execute("select id from cases where case_no = ?", (case_no,)).fetchone()[0]
        win = CaseWindow(viewer, case_id)
        qtbot.addWidget(win)
        win.show()
        html = win.parties.toHtml()
        assert "**************1236" in html and "330481199001011236" not in html
        assert win.case["workers"][0]["id_number"] == "**************1236"
        # documents: a refusal in words, no masked print
        win.documents.setCurrentRow(0)
        assert win._refused(win.documents.currentItem().data(Qt.UserRole)) is True
        assert isinstance(win.refusal_box, QMessageBox) and win.refusal_box.text() == MASKED_DOCUMENT_REFUSAL
        win.refusal_box.close()
        main = MainWindow(viewer)  # every page opens, with no "locked" error
        qtbot.addWidget(main)
        for i in range(len(PAGES)):
            main.show_page(i)
        roster_page = main.pages["调解员名册"]
        roster_page.refresh()
        phones = [roster_page.table.item(r, 4).text() for r in range(roster_page.table.rowCount())]
        assert phones and all(p == "" or "****" in p for p in phones)
        assert {roster_page.table.item(r, 1).text() for r in range(roster_page.table.rowCount())} == {""}
        main.idle.stop()
    finally:
        viewer.ops.close()


def test_mediator_exchange_page_says_an_administrator_exports(qtbot, session, qsettings):
    from desktop.ui.exchange_page import ExchangePage

    med = _viewer_session(session, "medi", "mediator")
    try:
        page = ExchangePage(med)
        qtbot.addWidget(page)
        page.show()
        assert not page.export_button.isEnabled()
        assert page.export_note.isVisible() and "管理员" in page.export_note.text()
    finally:
        med.ops.close()
    admin_page = ExchangePage(session)
    qtbot.addWidget(admin_page)
    admin_page.show()
    assert not admin_page.export_note.isVisible()


def test_roster_page_shows_sex_to_a_user_holding_the_key(qtbot, session, qsettings):
    from desktop import roster
    from desktop.ui.roster_page import RosterPage

    with_id = [m for m in roster.list_mediators(session.db) if m.get("id_number") and m.get("sex")]
    assert with_id and roster.list_mediators(session.db, masked=True)[0]["sex"] in ("*", "")
    page = RosterPage(session)
    qtbot.addWidget(page)
    shown = {page.table.item(r, 1).text() for r in range(page.table.rowCount())}
    assert shown & {"男", "女"}


def test_sign_in_warns_of_a_long_one_time_upgrade(tmp_path, monkeypatch, qapp):
    """A file from before issue 15 at a city hub: the sign-in dialog says the one-time rewrite takes
    minutes before it starts, instead of a silent 'please wait' for a quarter of an hour."""
    import gzip
    import shutil
    from pathlib import Path

    from desktop import db as dbm
    from desktop.ui import login

    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    old = Path(__file__).resolve().parents[1] / "fixtures" / "security" / "pre_issue15.sqlite.gz"
    path = tmp_path / "old.sqlite"
    with gzip.open(old, "rb") as src, open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    h = dbm.open_database(path)
    try:
        assert login._signing_in_message(h) == "正在登录，请稍候…"  # one case: seconds, no warning
        monkeypatch.setattr(login, "UPGRADE_NOTICE_CASES", 1)
        text = login._signing_in_message(h)
        assert "一次性升级数据保护" in text and "1 件案件" in text and "请勿关闭程序" in text
    finally:
        h.conn.close()
