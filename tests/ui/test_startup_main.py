"""Issue 17 item 12: the main window is usable at once, whatever the database's size.

The window paints with 正在加载… where the figures go; the dashboard and the status bar's count are
read on the session's reader (off the UI thread) and fill in afterwards; a click works meanwhile.
No timings here: bench/bench_startup.py prints them beside a bare PySide6 window.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt

from tests.ui.driving import click

ROOT = Path(__file__).resolve().parents[2]


def _main_window(qtbot, session):
    from desktop.ui.mainwindow import MainWindow

    win = MainWindow(session)
    qtbot.addWidget(win)
    win.resize(1366, 768 - 40)
    return win


def test_the_window_paints_before_the_dashboard_is_read_and_answers_clicks_meanwhile(qtbot, session):
    statements = []
    session.db.conn.set_trace_callback(statements.append)
    session.reader.hold()  # as main() does: the reads wait for the first paint
    win = _main_window(qtbot, session)
    win.show()
    qtbot.waitExposed(win)
    dash = win.pages["工作台"]
    # painted, with placeholders: nothing read yet
    assert "正在加载" in dash.header.text()
    assert all("正在加载" in box.title() for box, _title in dash.boxes.values())
    assert all(t.rowCount() == 0 for t in dash.tables.values())
    assert win.unexported.text() == "未导出的修改：正在统计…"
    assert not dash.is_loaded and session.reader.busy
    # the UI thread's own connection read no case to build and paint the window
    session.db.conn.set_trace_callback(None)
    assert not [s for s in statements if " cases" in s or "case_items" in s], statements
    # a click while loading: the case list opens and shows its first page
    nav = win.nav
    click(qtbot, nav.viewport(), nav.visualItemRect(nav.item(1)).center())
    assert win.stack.currentIndex() == 1
    qtbot.waitUntil(lambda: win.pages["案件"].model.rowCount() > 0, timeout=20000)
    assert not dash.is_loaded
    # the window has painted: the reads run and the dashboard fills in
    session.reader.release()
    with qtbot.waitSignal(dash.loaded, timeout=20000):
        pass
    assert dash.is_loaded and "正在加载" not in dash.header.text() and "逾期" in dash.header.text()
    numbers = [dash.tables["overdue"].item(r, 0).text() for r in range(dash.tables["overdue"].rowCount())]
    assert session.db.md_test_overdue in numbers
    assert all("正在加载" not in box.title() and box.title().endswith("件") for box, _t in dash.boxes.values())
    qtbot.waitUntil(lambda: "正在统计" not in win.unexported.text(), timeout=10000)
    n = __import__("desktop.dashboard", fromlist=["x"]).unexported_changes(session.db)
    assert win.unexported.text() == f"未导出的修改：{n} 条"
    # a row opens its case (double-click)
    t = dash.tables["overdue"]
    win.show_page(0)
    row = numbers.index(session.db.md_test_overdue)
    rect = t.visualRect(t.model().index(row, 0))
    qtbot.mouseClick(t.viewport(), Qt.LeftButton, pos=rect.center())  # the press a double-click follows
    qtbot.mouseDClick(t.viewport(), Qt.LeftButton, pos=rect.center())
    assert any(w.isVisible() for w in win.case_windows.values())


def test_a_change_reads_the_dashboard_again_and_only_the_latest_read_shows(qtbot, session):
    win = _main_window(qtbot, session)
    win.show()
    dash = win.pages["工作台"]
    qtbot.waitUntil(lambda: dash.is_loaded, timeout=20000)
    before = dash.tables["overdue"].rowCount()
    from desktop import cases

    cases.delete_case(session.db, cases.get_case(session.db, session.db.md_test_overdue)["id"], session.user,
                      reason="测试作废")
    shown = []
    dash.loaded.connect(lambda: shown.append(dash.data))
    session.changed("cases")
    session.changed("cases")  # two changes in a row: the first read is superseded
    qtbot.waitUntil(lambda: dash.is_loaded and not session.reader.busy, timeout=20000)
    assert len(shown) == 1
    numbers = [dash.tables["overdue"].item(r, 0).text() for r in range(dash.tables["overdue"].rowCount())]
    assert len(numbers) == before - 1 and session.db.md_test_overdue not in numbers


def test_reader_runs_in_order_skips_superseded_requests_and_reports_failures(qtbot, session):
    from desktop.ui.reader import Reader

    reader = Reader(session.path, session.db)
    reader.hold()
    got, errors = [], []
    reader.load("a", lambda db: "old", got.append)
    reader.load("a", lambda db: db.conn.execute("select count(*) from cases").fetchone()[0], got.append)
    reader.load("b", lambda db: db.conn.execute("select x from nowhere"), got.append, errors.append)
    qtbot.wait(50)
    assert got == [] and errors == [] and reader.busy  # held: nothing ran
    reader.release()
    assert reader.wait_idle(10000)
    n = session.db.conn.execute("select count(*) from cases").fetchone()[0]
    assert got == [n]  # "old" was superseded before it ran
    assert len(errors) == 1 and "nowhere" in str(errors[0])
    # the thread and its connection end when the queue is empty; the next read starts them again
    qtbot.waitUntil(lambda: reader._thread is None, timeout=20000)
    reader.load("a", lambda db: 7, got.append)
    assert reader.wait_idle(10000) and got == [n, 7]
    reader.close()


def test_the_program_paints_the_main_window_then_fills_it_in(station, tmp_path):
    """The real start-up path (main(): sign-in from the environment, reads held until the first paint,
    the integrity check and the daily backup behind the window)."""
    path, database, _user = station
    database.conn.close()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MEDIATION_DESK_USER="demo", MEDIATION_DESK_PASSWORD="demo",
               MEDIATION_DESK_BENCH_QUIT="1", MEDIATION_DESK_HOME=str(tmp_path / "home"))
    out = subprocess.run([sys.executable, "-c", f"from desktop.ui.app import main; main({str(path)!r})"],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    events = [line.split()[0] for line in out.stdout.splitlines() if line.startswith(("FIRST_PAINT", "MAIN_"))]
    assert events == ["FIRST_PAINT", "MAIN_PAINT", "MAIN_READY", "MAIN_GAP"], out.stdout


def test_the_daily_copy_runs_beside_the_write_worker_not_on_it(qtbot, session, monkeypatch):
    """A big hub's daily copy takes minutes: a save made meanwhile must not wait for it."""
    import threading

    from desktop import backup
    from desktop.ui.app import start_daily_backup

    copying, go = threading.Event(), threading.Event()
    real = backup.daily

    def held(db, path, **kw):  # the real copy, started only when the test says
        copying.set()
        go.wait(20)
        return real(db, path, **kw)
    monkeypatch.setattr(backup, "daily", held)
    errors = []
    thread = start_daily_backup(session, on_error=errors.append)
    assert copying.wait(10)
    saved = []
    session.ops.run(lambda db, task: db.conn.execute("select count(*) from cases").fetchone()[0],
                    on_done=saved.append)
    assert session.ops.wait_idle(10000) and saved  # the worker answered while the copy was still running
    assert thread.is_alive()
    go.set()
    thread.join(30)
    assert not thread.is_alive() and errors == []
    assert [label for _f, label, _t in backup.auto_backups(session.path)] == ["daily"]


def test_the_exchange_page_counts_unexported_changes_behind_the_window(qtbot, session):
    from desktop import dashboard

    win = _main_window(qtbot, session)
    win.show()
    session.reader.hold()
    win.show_page(4)  # 数据交换
    page = win.pages["数据交换"]
    assert page.pending.text() == "正在统计尚未导出的修改…"  # the page is up; the count is still to come
    session.reader.release()
    n = dashboard.unexported_changes(session.db)
    qtbot.waitUntil(lambda: page.pending.text() == f"自上次导出以来有 {n} 条修改尚未导出", timeout=10000)


def test_a_half_written_daily_copy_from_a_closed_run_is_swept(tmp_path):
    import time

    from desktop import paths
    from desktop.ui.app import sweep_partial_copies

    db = tmp_path / "station.sqlite"
    folder = paths.backup_dir(db)
    folder.mkdir()
    old = folder / ".station-daily-20261130-093000.sqlite.4242.tmp"
    fresh = folder / ".station-daily-20261130-093000.sqlite.4343.tmp"  # a copy still being written
    other = folder / ".station-pre-migrate-20261130-093000.sqlite.4242.tmp"  # not ours to judge
    kept = folder / "station-daily-20261129-093000.sqlite"
    for f in (old, fresh, other, kept):
        f.write_bytes(b"x")
    an_hour_ago = time.time() - 3600  # a file's age in seconds, not a date
    for f in (old, other, kept):
        os.utime(f, (an_hour_ago, an_hour_ago))
    assert sweep_partial_copies(db) == [old]
    assert not old.exists() and fresh.exists() and other.exists() and kept.exists()


def test_a_check_stopped_as_the_program_closes_reports_nothing(qtbot, session):
    from desktop.ui.startup_check import IntegrityCheck

    check = IntegrityCheck(session.path)
    check.stop()  # the program closed before the check's thread got going
    check.start()
    check._thread.join(20)
    qtbot.wait(50)
    assert not check._thread.is_alive() and check.result is None
    running = IntegrityCheck(session.path).start()
    running.stop()  # interrupted, or already done: either way the thread has ended
    assert not running._thread.is_alive()
