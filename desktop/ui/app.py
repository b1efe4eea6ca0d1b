"""Entry point of the desktop program: `python -m desktop [--db F]` → `main(db_path)`.

First start (no database yet) runs the set-up wizard; afterwards a sign-in dialog. The
environment variables MEDIATION_DESK_USER / MEDIATION_DESK_PASSWORD (contract.md) sign in
without the dialog, for kiosk set-ups and the start-up benchmark.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def make_app(argv=None):
    """The QApplication with HiDPI, organization names for QSettings and the shipped CJK fonts."""
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from desktop.ui import fonts

    app = QApplication.instance()
    if app is None:
        # Fractional scaling (125 %, 150 % on office PCs) without rounding blur.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(list(argv or sys.argv))
    QCoreApplication.setOrganizationName("MediationDesk")
    QCoreApplication.setApplicationName("调解工作台")
    fonts.apply(app)
    install_chinese(app)
    return app


def quit_on_terminate(app) -> None:
    """SIGTERM (a Linux session logging out, a shutdown, `kill`) and SIGHUP leave the event loop the
    normal way, so main() closes the reader, the check and the write worker (a save in progress
    finishes) instead of dying inside Qt's teardown — an installed build segfaulted there when
    stopped. Python runs signal handlers only between bytecodes, so a timer wakes it while Qt waits."""
    import signal

    from PySide6.QtCore import QTimer

    def leave(signum, frame):  # noqa: ARG001 - the signal module's signature
        app.quit()
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)  # Windows has no SIGHUP
        if sig is not None:
            signal.signal(sig, leave)
    timer = QTimer(app)
    timer.setInterval(250)
    timer.timeout.connect(lambda: None)
    timer.start()
    app._terminate_timer = timer


def install_exception_hook(app) -> None:
    """Any exception that escapes a slot or event handler becomes a Chinese dialog and a log entry
    (desktop/faults.py: logs/mediation-desk.log in the data folder), never a silent failure."""
    import threading

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    from desktop import faults

    boxes = []

    def hook(kind, exc, tb):
        if issubclass(kind, KeyboardInterrupt):
            return sys.__excepthook__(kind, exc, tb)
        exc.__traceback__ = tb
        faults.log_exception(exc, "desktop")
        if threading.current_thread() is not threading.main_thread():
            return  # a worker thread: logged; its own error signal shows the message
        box = QMessageBox(QMessageBox.Critical, "出错了", faults.message(exc), QMessageBox.Ok,
                          app.activeWindow())
        box.setObjectName("unexpected_error")
        box.setAttribute(Qt.WA_DeleteOnClose)
        boxes.append(box)  # kept alive until closed (a parentless box would be collected at once)
        box.finished.connect(lambda *_: boxes.remove(box) if box in boxes else None)
        box.open()  # not exec(): a nested event loop inside a failing slot could fail again

    sys.excepthook = hook
    threading.excepthook = lambda args: faults.log_exception(args.exc_value, f"thread {args.thread.name}") \
        if args.exc_value is not None else None


def install_chinese(app) -> bool:
    """Qt's own dialogs (file, print, message-box buttons 是/否/取消, calendars) in Simplified Chinese:
    the qtbase translations PySide6 ships, and a Chinese default locale. Idempotent."""
    from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator

    QLocale.setDefault(QLocale(QLocale.Chinese, QLocale.China))
    if getattr(app, "_md_translator", None) is not None:
        return True
    tr = QTranslator(app)
    if tr.load(QLocale(QLocale.Chinese, QLocale.China), "qtbase", "_",
               QLibraryInfo.path(QLibraryInfo.TranslationsPath)):
        app.installTranslator(tr)
        app._md_translator = tr
        return True
    return False


def peek_profile(path: Path) -> dict:
    """The organization's name and demo flag, read without the full open (for the sign-in dialog)."""
    import json
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        sid = json.loads(conn.execute("select value from settings where key = 'station_id'").fetchone()[0])
        profile = json.loads(conn.execute("select profile from org where station = ? and deleted = 0",
                                          (sid,)).fetchone()[0])
        row = conn.execute("select value from settings where key = 'demo'").fetchone()
        profile["demo"] = bool(row and json.loads(row[0]))
        return profile
    finally:
        conn.close()


class DatabaseOpener:
    """`db.open_database` (integrity check, migrations) on a helper thread while the user signs in.

    The connection is handed to the main thread only after the opener has finished with it
    (open_database connects with check_same_thread=False); it is never used by two threads at once.
    """

    def __init__(self, path: Path):
        import threading

        self._db = None
        self._exc = None

        def work():
            try:
                from desktop import db as dbm

                # quick_check runs behind the main window (startup_check): opening stays fast at any size
                self._db = dbm.open_database(path, check=False)
            except BaseException as exc:  # re-raised on the main thread
                self._exc = exc
        self._thread = threading.Thread(target=work, name="open-database", daemon=True)
        self._thread.start()

    def result(self):
        from PySide6.QtCore import QEventLoop
        from PySide6.QtWidgets import QApplication

        while self._thread.is_alive():
            QApplication.processEvents(QEventLoop.ExcludeUserInputEvents, 20)
            self._thread.join(0.02)
        if self._exc is not None:
            raise self._exc
        return self._db


class InThread:
    """`fn()` on a helper thread; `result()` waits for it while the window keeps painting (user input is
    held back meanwhile, so nothing can be clicked twice). Used for the argon2 password check (~1 s):
    it releases the GIL, so the main window's modules load on the UI thread at the same time."""

    def __init__(self, fn, name: str = "helper"):
        import threading

        self._value = None
        self._exc = None

        def work():
            try:
                self._value = fn()
            except BaseException as exc:  # re-raised on the main thread
                self._exc = exc
        self._thread = threading.Thread(target=work, name=name, daemon=True)
        self._thread.start()

    def result(self):
        from PySide6.QtCore import QEventLoop
        from PySide6.QtWidgets import QApplication

        while self._thread.is_alive():
            QApplication.processEvents(QEventLoop.ExcludeUserInputEvents, 20)
            self._thread.join(0.02)
        if self._exc is not None:
            raise self._exc
        return self._value


def sign_in(database, name: str, password: str):
    """accounts.authenticate on a helper thread, loading the main window's modules meanwhile.
    The connection is used by the helper alone until it has finished (check_same_thread=False)."""
    from desktop.security import accounts

    def check():
        # the owners of the records a sign-in may re-seal register with desktop.security (on this
        # thread, alongside preload_main_window, which needs them too)
        from desktop import cases, roster  # noqa: F401
        from desktop.sync import keys as _sync_keys  # noqa: F401

        return accounts.authenticate(database, name, password)

    job = InThread(check, "sign-in")
    preload_main_window()
    return job.result()


def preload_main_window() -> None:
    """Import what the main window and its first page need (≈0.3 s) — while argon2 runs, not after."""
    import desktop.ui.dashboard_page  # noqa: F401
    import desktop.ui.mainwindow  # noqa: F401
    import desktop.ui.reader  # noqa: F401
    import desktop.ui.session  # noqa: F401
    from desktop.ui.widgets import readonly_table

    # PySide6 builds each Qt enum's Python class on first use (~0.1–0.3 s for the item views'):
    # a throw-away table builds them here, so the main window does not pay for it after the sign-in
    readonly_table(["x"]).deleteLater()


def open_session(path: Path, user=None, db=None, *, readonly: bool = False):
    """The signed-in session. The worker's connection gets the data key the sign-in unlocked on the
    main one (keys.login = accounts.authenticate, which unlocks), so it can seal and reveal too.

    `readonly` (another instance holds the writer lock): the user acts as a viewer for this session,
    so the core refuses every change with its PermissionDenied message."""
    from desktop import db as dbm
    from desktop.security import accounts
    from desktop.ui.idle import share_key
    from desktop.ui.ops import Ops
    from desktop.ui.reader import Reader
    from desktop.ui.session import Session

    database = db or dbm.open_database(path)
    if readonly and user is not None and user.can("write"):
        user = accounts.User(user.name, "viewer", user.display_name)
    session = Session(Path(path), database, user)
    session.readonly = readonly
    session.ops = Ops(path, setup=lambda wdb: share_key(database, wdb))
    session.reader = Reader(path, database)  # the pages' reads, off the UI thread: start-up never waits
    return session


def take_writer_lock(path: Path, parent=None, *, ask=None):
    """The writer lock, or "readonly", or None (exit). `ask(message) -> "readonly" | "exit"` decides
    when another instance holds it (default: a message box naming the holder)."""
    from desktop import lock

    try:
        return lock.acquire(path)
    except lock.Locked as exc:
        text = (f"{exc.message}\n\n占用者：{lock.describe_holder(exc.holder)}\n\n"
                "可以以只读方式打开（只能查看，不能修改），或退出。")
        if ask is None:
            ask = lambda message: _ask_readonly(parent, message)  # noqa: E731
        return "readonly" if ask(text) == "readonly" else None


def _ask_readonly(parent, text: str) -> str:
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Warning, "数据库正在被另一个程序使用", text, QMessageBox.NoButton, parent)
    ro = box.addButton("只读打开", QMessageBox.AcceptRole)
    box.addButton("退出", QMessageBox.RejectRole)
    box.exec()
    return "readonly" if box.clickedButton() is ro else "exit"


def sweep_partial_copies(db_path, idle_s: float = 600) -> list[Path]:
    """Remove daily copies a closed or crashed run left half-written (`.NAME-daily-….sqlite.PID.tmp`;
    closing the program ends the copy's thread). Only the writer makes daily copies, and a copy in
    progress writes its file all the time: one untouched for `idle_s` is nobody's."""
    import time

    from desktop import paths

    folder = paths.backup_dir(db_path)
    removed = []
    if folder.is_dir():
        for f in folder.glob(f".{Path(db_path).stem}-daily-*.tmp"):
            try:
                if time.time() - f.stat().st_mtime > idle_s:  # the file's age in seconds, not a date
                    f.unlink()
                    removed.append(f)
            except OSError:
                pass  # another process's file, or already gone
    return removed


def start_daily_backup(session, on_error=None):
    """The first start of each day copies the database (backup.daily) on a thread of its own, reading
    through a connection of its own: the copy and its verification take ~10 s at 100,000 cases and
    minutes on a big hub, and the write worker stays free meanwhile (saving never waits for the copy).
    A newer calendar package settles provisional deadlines on the worker (a write)."""
    import threading

    from PySide6.QtCore import QObject, Qt, Signal

    from desktop import backup, faults

    path = session.path

    class _Bridge(QObject):
        failed = Signal(object)

    bridge = _Bridge()
    session.backup_bridge = bridge  # kept alive while the copy runs
    if on_error is not None:
        bridge.failed.connect(on_error, Qt.QueuedConnection)

    def copy():
        try:
            sweep_partial_copies(path)
            backup.daily(str(path), path)  # a path: snapshot opens its own read-only connection
        except Exception as exc:  # noqa: BLE001 - reported in the status bar, logged
            faults.log_exception(exc, "daily backup")
            bridge.failed.emit(exc)
    thread = threading.Thread(target=copy, name="daily-backup", daemon=True)
    thread.start()
    session.backup_thread = thread

    def settle(db, task):
        if not getattr(session, "readonly", False) and session.user.can("write"):  # a newer calendar package
            from desktop.cases.deadlines import settle_after_calendar_update

            settle_after_calendar_update(db)
    session.ops.run(settle, on_error=on_error)
    return thread


def after_first_paint(widget, fn, fallback_ms: int = 1000) -> None:
    """`fn()` once, right after the widget's first paint (or after `fallback_ms`, should no paint come):
    start-up work that would compete with building and painting the window waits for it."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    state = {"done": False}

    def run() -> None:
        if not state["done"]:
            state["done"] = True
            fn()

    class _Painted(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Paint:
                obj.removeEventFilter(self)
                QTimer.singleShot(0, run)  # after this paint has reached the screen
            return False
    widget._after_paint = _Painted(widget)
    widget.installEventFilter(widget._after_paint)
    QTimer.singleShot(fallback_ms, run)


def _quit_on_first_paint(app, widget, signed_in: float | None = None) -> None:
    """Start-up benchmark: print when the widget first paints, then leave the event loop.

    For the main window (`signed_in`: perf_counter when the sign-in was accepted) it also prints the
    milliseconds from the sign-in to the first paint (MAIN_PAINT) and to the dashboard filled in
    (MAIN_READY), and the longest the event loop did not turn in between (MAIN_GAP: how long a click
    would have waited), then quits."""
    import time

    from PySide6.QtCore import QEvent, QObject, QTimer

    def ms() -> str:
        return f"{(time.perf_counter() - signed_in) * 1000:.1f}"

    ticks = {"last": None, "gap": 0.0}

    def tick() -> None:
        now = time.perf_counter()
        if ticks["last"] is not None:
            ticks["gap"] = max(ticks["gap"], now - ticks["last"])
        ticks["last"] = now

    timer = QTimer(widget)
    timer.setInterval(5)
    timer.timeout.connect(tick)

    def ready() -> None:
        tick()
        timer.stop()
        print("MAIN_READY", ms(), flush=True)
        print("MAIN_GAP", f"{ticks['gap'] * 1000:.1f}", flush=True)
        app.quit()

    class _FirstPaint(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Paint:
                print("FIRST_PAINT", flush=True)
                obj.removeEventFilter(self)
                if signed_in is None:
                    QTimer.singleShot(0, widget.reject if hasattr(widget, "reject") else app.quit)
                    return False
                print("MAIN_PAINT", ms(), flush=True)
                tick()
                timer.start()
                dash = widget.pages.get("工作台")
                if dash is None or dash.is_loaded:
                    QTimer.singleShot(0, ready)
                else:
                    dash.loaded.connect(ready)
            return False
    widget._first_paint = _FirstPaint(widget)
    widget.installEventFilter(widget._first_paint)


def main(db_path: str | None = None) -> int:
    from PySide6.QtWidgets import QDialog, QMessageBox

    from desktop import paths
    from desktop.errors import Refused
    from desktop.ui.login import LoginDialog

    # Only what the sign-in dialog needs is imported before it shows; the rest loads behind it.
    app = make_app()
    install_exception_hook(app)
    quit_on_terminate(app)
    from desktop.ui.pdf_preview import sweep_temp

    sweep_temp(older_than_s=60)  # previews a crashed run left behind (another running copy's are younger)
    path = Path(db_path) if db_path else paths.default_db()
    database = None
    user = None
    readonly = False
    if path.exists() and path.stat().st_size > 0:
        # One writer per database: a second instance may only look (or leave).
        writer_lock = take_writer_lock(path)
        if writer_lock is None:
            return 1
        readonly = writer_lock == "readonly"
    if not (path.exists() and path.stat().st_size > 0):
        from desktop.ui.setup_wizard import SetupWizard

        wizard = SetupWizard(path)
        if wizard.exec() != QDialog.Accepted or wizard.user is None:
            return 1
        database, user = wizard.db, wizard.user
        if take_writer_lock(path) is None:
            return 1
    else:
        bench = os.environ.get("MEDIATION_DESK_BENCH_QUIT")
        try:
            profile = peek_profile(path)
        except Exception:  # noqa: BLE001 - a damaged file: the full open below says what is wrong
            profile = None
        opener = DatabaseOpener(path)  # the integrity check runs while the user types the password
        name, password = os.environ.get("MEDIATION_DESK_USER"), os.environ.get("MEDIATION_DESK_PASSWORD")
        if name and password is not None and bench != "login":
            try:
                database = opener.result()
                user = sign_in(database, name, password)
            except Refused as exc:
                if database is None:
                    QMessageBox.critical(None, "无法打开数据库", exc.message)
                    return 1
                user = None
        if user is None:
            if profile is None:
                try:
                    database = opener.result()
                except Refused as exc:
                    QMessageBox.critical(None, "无法打开数据库", exc.message)
                    return 1
            dlg = LoginDialog(database or opener, profile=profile)
            if bench == "login":
                _quit_on_first_paint(app, dlg)
            try:
                if dlg.exec() != QDialog.Accepted:
                    return 1
            except Refused as exc:
                QMessageBox.critical(None, "无法打开数据库", exc.message)
                return 1
            user, database = dlg.user, dlg.db
    import time

    signed_in = time.perf_counter()  # the benchmark's zero: sign-in accepted
    from desktop.ui.mainwindow import MainWindow

    session = open_session(path, user, database, readonly=readonly)
    session.reader.hold()  # the pages' reads start once the window has painted
    win = MainWindow(session)

    def behind_the_window() -> None:
        from desktop.ui import startup_check

        session.reader.release()
        startup_check.start(session, win)  # only a fault it finds stops writing
        if not readonly:
            start_daily_backup(session, on_error=lambda exc: win.statusBar().showMessage(
                f"今日自动备份失败：{getattr(exc, 'message', exc)}", 15000))
    after_first_paint(win, behind_the_window)
    if os.environ.get("MEDIATION_DESK_BENCH_QUIT"):
        _quit_on_first_paint(app, win, signed_in)
    win.show()
    code = app.exec()
    # threads that read end before the interpreter does (a check still running at 1M cases is interrupted)
    check = getattr(win, "integrity_check", None)
    if check is not None:
        check.stop()
    session.reader.close()
    session.ops.close()
    return code
