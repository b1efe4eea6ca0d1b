"""Issue 17 item 4: no English, no raw codes on screen — every page, every case-window tab, the
dialogs, the preview and the help; Qt's own standard buttons read 是/否/取消; history details and
the statistics footnote in words. Also item 11: every window fits 1366×768 and 1280×720."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from desktop import cases
from tests.ui.driving import problems_in, scan


@pytest.fixture
def chinese_qt(qapp):
    from desktop.ui.app import install_chinese

    assert install_chinese(qapp)
    return qapp


def test_the_scan_finds_what_it_should():
    assert problems_in("模式：mode=written") == ["mode", "written"]
    assert problems_in("〔{year}〕{abbr}劳调字第{seq:04d}号")[:1] == ["{year}"]
    assert problems_in("口径名称：agreed / closed") == ["agreed", "closed"]
    assert problems_in("acceptance、mediators") == ["acceptance", "mediators"]
    assert problems_in("（hub-card）") == ["hub", "card"]
    assert problems_in("用户：lihua") == ["lihua"]
    # data and wording that are fine: numbers with digits, file names, shortcuts, U 盘, PDF
    assert problems_in("被申请人 某某公司（统一社会信用代码 91330481NNYLLFUXTN）") == []  # a random demo code
    assert problems_in("代码91330481MA2ABCDE0X") == [] and problems_in("Acme 91330481MA2ABCDE0X") == ["Acme"]
    assert problems_in("本站编号 S5A9C61DF26；已写入 S5A9C61DF26-000001.bundle；保存（Ctrl+S）；U 盘；另存为PDF") == []


def test_qt_standard_buttons_are_chinese(qtbot, chinese_qt):
    box = QDialogButtonBox(QDialogButtonBox.Yes | QDialogButtonBox.No | QDialogButtonBox.Cancel)
    qtbot.addWidget(box)
    texts = [b.text().split("(")[0] for b in box.buttons()]
    assert sorted(texts) == sorted(["是", "否", "取消"])
    m = QMessageBox(QMessageBox.Question, "问", "确定？", QMessageBox.Yes | QMessageBox.No)
    qtbot.addWidget(m)
    assert m.button(QMessageBox.Yes).text().startswith("是")


def test_every_page_and_dialog_is_chinese(qtbot, session, chinese_qt):
    from desktop.ui.help import HelpWindow
    from desktop.ui.mainwindow import PAGES, MainWindow
    from desktop.ui.reassign import ReassignDialog
    from desktop.ui.roster_page import MediatorDialog

    from desktop.security import accounts

    logins = [u["name"] for u in accounts.list_users(session.db)]
    win = MainWindow(session)
    qtbot.addWidget(win)
    win.resize(1366, 728)
    win.show()
    bad = []
    for i, name in enumerate(PAGES):
        win.show_page(i)
        session.ops.wait_idle()
        page = win.pages[name]
        tabs = getattr(page, "tabs", None)
        for t in range(tabs.count() if tabs is not None and hasattr(tabs, "count") else 1):
            if tabs is not None and hasattr(tabs, "setCurrentIndex"):
                tabs.setCurrentIndex(t)
                session.ops.wait_idle()
            # the users table's 用户名 column is the login name itself (what one types to sign in)
            bad += [f"{name}: {p}" for p in scan(win) if not (p.startswith("QTableWidget(users)") and
                                                               any(f"'{u}'" in p for u in logins))]
    # a closed case with an agreement, and a mediating one: every tab
    for status in ("closed", "mediating"):
        cid = session.db.conn.execute("select id from cases where status = ? and deleted = 0 order by rowid desc"
                                      " limit 1", (status,)).fetchone()[0]
        cw = win.open_case(cid)
        assert cw.history.rowCount() >= 1
        for t in range(cw.tabs.count()):
            cw.tabs.setCurrentIndex(t)
            bad += [f"案件窗口/{cw.tabs.tabText(t)}: {p}" for p in scan(cw)]
        if status == "mediating":
            rd = ReassignDialog(session, cw.case.get("mediators") or [], cw)
            rd.show()
            bad += [f"调整调解员: {p}" for p in scan(rd)]
            rd.close()
        cw.close()
    form = win.register_new()
    bad += [f"登记: {p}" for p in scan(form)]
    form.dirty = False
    form.close()
    md = MediatorDialog(session, None, win)
    qtbot.addWidget(md)
    md.show()
    bad += [f"调解员: {p}" for p in scan(md)]
    hw = HelpWindow(win)
    qtbot.addWidget(hw)
    hw.show()
    bad += [f"手册: {p}" for p in scan(hw)]
    about = win.show_about()
    bad += [f"关于: {p}" for p in scan(about) if "Python" not in p]
    assert "数据文件夹" in about.text() and str(session.path.parent) in about.text()
    about.close()  # a message box left open would be found by other tests' look-ups
    assert not bad, "\n".join(bad)


def test_history_details_in_words(qtbot, session):
    from desktop.ui.case_window import CaseWindow
    from desktop.ui.texts import history_detail

    assert history_detail({"mode": "written"}) == "申请方式：书面申请"
    assert history_detail({"fields": ["acceptance", "mediators"]}) == "涉及：受理决定、调解员"
    assert history_detail({"kind": "agreed", "fields": ["agreement", "outcome"]}) == \
        "结案方式：调解成功；涉及：调解协议、结案结果"
    cid = session.db.conn.execute("select id from cases where status = 'closed' and deleted = 0 limit 1").fetchone()[0]
    cw = CaseWindow(session, cid)
    qtbot.addWidget(cw)
    details = [cw.history.item(r, 4).text() for r in range(cw.history.rowCount())]
    assert len(details) == len(cases.history(session.db, cid))
    assert all(not problems_in(d) for d in details), details


def test_windows_fit_small_screens(qtbot, session):
    """1366×768 and 1280×720 less a 40 px taskbar: the main window (maximised when 1280×800 does
    not fit) and every other window, by its size and by its minimum size."""
    from desktop.ui.case_window import CaseWindow
    from desktop.ui.help import HelpWindow
    from desktop.ui.mainwindow import MainWindow
    from desktop.ui.pdf_preview import PdfPreview, render_bytes
    from desktop.ui.registration import RegistrationForm
    from desktop.ui.roster_page import MediatorDialog
    from desktop.ui.widgets import fit_window

    cid = session.db.conn.execute("select id from cases where status = 'closed' and deleted = 0 limit 1").fetchone()[0]
    case = cases.get_case(session.db, cid)
    data = render_bytes("registration", case, session.profile)
    for w_, h_ in ((1366, 728), (1280, 680)):
        avail = QRect(0, 0, w_, h_)
        win = MainWindow(session)
        qtbot.addWidget(win)
        win.place_on_screen(None, avail)
        assert win.width() <= w_ and win.height() + 40 <= h_ + 40
        assert win.minimumSizeHint().width() <= w_ and win.minimumSizeHint().height() <= h_ - 30
        windows = [CaseWindow(session, cid), RegistrationForm(session), MediatorDialog(session, None),
                   HelpWindow(), PdfPreview(data, "案件登记表")]
        for w in windows:
            qtbot.addWidget(w)
            fit_window(w, 1400, 1100, avail=avail)
            assert w.width() <= w_ and w.height() + 32 <= h_, (type(w).__name__, w.size())
            hint = w.minimumSizeHint()
            assert hint.width() <= w_ and hint.height() + 32 <= h_, (type(w).__name__, hint)
            assert w.geometry().right() <= w_ and w.geometry().bottom() <= h_
