"""Reads for the pages, off the UI thread (issue 17 item 12: the main window is usable at once at any size).

`session.reader.load(key, fn, on_done)`: `fn(db)` runs on the reader's thread with a read-only
connection of its own; `on_done(result)` runs on the UI thread. A newer request under the same key
supersedes an older one: the older is skipped if it has not started, and its result is dropped if it
has. Writes never come here (they go through `ops`, the one writing worker).

The connection mirrors the main connection's data-key state before every read (signed in, locked).
The thread and its connection end whenever the queue runs empty (the next request starts them again),
so no file handle or thread outlives the work (Windows: a restore or a test's clean-up can replace
the file).
"""

from __future__ import annotations

import itertools
import queue
import threading
import weakref
from typing import Any, Callable

from PySide6.QtCore import QObject, Qt, Signal

_STALE = object()
_readers: "weakref.WeakSet[Reader]" = weakref.WeakSet()


def settle(timeout_ms: int = 30000) -> bool:
    """Process events until every reader has answered and every page has filled in what it read
    (screenshots and scripts that grab a window: it is then as the user sees it a moment later)."""
    from PySide6.QtCore import QDeadlineTimer, QEventLoop, QThread
    from PySide6.QtWidgets import QApplication

    deadline = QDeadlineTimer(timeout_ms)
    while not deadline.hasExpired():
        QApplication.processEvents(QEventLoop.AllEvents, 20)
        filling = [w for w in QApplication.allWidgets() if getattr(w, "is_loaded", True) is False]
        if not filling and not any(r.busy for r in list(_readers)):
            return True
        QThread.msleep(2)
    return False


class Reader(QObject):
    _done = Signal(int, object)
    _failed = Signal(int, object)
    idle = Signal()  # every request has called back

    def __init__(self, path, source=None, parent=None):
        super().__init__(parent)
        self.path = path
        self.source = source  # the main thread's connection: its key state is copied before each read
        self._ids = itertools.count(1)
        self._latest: dict[Any, int] = {}
        self._pending: dict[int, tuple] = {}
        self._queue: queue.Queue = queue.Queue()
        self._go = threading.Event()  # cleared by hold(): requests wait until release()
        self._go.set()
        self._lock = threading.Lock()  # the queue's last item and the thread's end are decided together
        self._thread: threading.Thread | None = None
        self._db = None  # the thread's connection while it has one (close() interrupts its read)
        self._done.connect(self._on_done, Qt.QueuedConnection)
        self._failed.connect(self._on_failed, Qt.QueuedConnection)
        _readers.add(self)

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def hold(self) -> None:
        """Queue requests without running them (start-up: the UI thread builds and paints the window
        first — a reader holding the GIL between its rows would slow that down)."""
        self._go.clear()

    def release(self) -> None:
        self._go.set()

    def load(self, key, fn: Callable[[Any], Any], on_done: Callable[[Any], None],
             on_error: Callable[[BaseException], None] | None = None) -> int:
        rid = next(self._ids)
        self._latest[key] = rid
        self._pending[rid] = (key, on_done, on_error)
        with self._lock:
            self._queue.put((rid, key, fn))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="page-reader", daemon=True)
                self._thread.start()
        return rid

    # --- the reader's thread ------------------------------------------------------------------
    def _connect(self):
        from desktop import db as dbm

        return dbm.open_database(self.path, readonly=True, migrate=False, check=False)

    def _mirror_key(self, db) -> None:
        from desktop.ui.idle import KEY_ATTRS

        for attr in KEY_ATTRS:
            if attr != "md_admin_key":  # reads only: an administrator's signing key is not needed here
                setattr(db, attr, getattr(self.source, attr, None))

    def _run(self) -> None:
        db = None
        try:
            while True:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None  # load() starts a new one for the next request
                        return
                    rid, key, fn = self._queue.get()
                self._go.wait()
                if self._latest.get(key) != rid:  # a newer request for the same thing is queued
                    self._done.emit(rid, _STALE)
                    continue
                try:
                    if db is None:
                        db = self._db = self._connect()
                    if self.source is not None:
                        self._mirror_key(db)
                    result = fn(db)
                except BaseException as exc:  # every failure goes back to the UI thread
                    self._failed.emit(rid, exc)
                else:
                    self._done.emit(rid, result)
        finally:
            self._db = None
            if db is not None:
                db.conn.close()

    # --- the UI thread ------------------------------------------------------------------------
    def _finish(self, rid: int):
        entry = self._pending.pop(rid, None)
        fresh = entry is not None and self._latest.get(entry[0]) == rid
        if fresh:
            del self._latest[entry[0]]
        return entry if fresh else None

    def _settled(self) -> None:
        if not self._pending:
            self.idle.emit()

    def _on_done(self, rid: int, result) -> None:
        entry = self._finish(rid)
        if entry is not None and result is not _STALE:
            entry[1](result)
        self._settled()

    def _on_failed(self, rid: int, exc: BaseException) -> None:
        entry = self._finish(rid)
        if entry is not None:
            if entry[2] is not None:
                entry[2](exc)
            else:
                from desktop import faults

                faults.log_exception(exc, "page-reader")
        self._settled()

    def wait_idle(self, timeout_ms: int = 30000) -> bool:
        """Process events until every request has called back (tests, shutdown)."""
        from PySide6.QtCore import QDeadlineTimer, QEventLoop, QThread
        from PySide6.QtWidgets import QApplication

        deadline = QDeadlineTimer(timeout_ms)
        while self._pending and not deadline.hasExpired():
            QApplication.processEvents(QEventLoop.AllEvents, 50)
            QThread.msleep(2)
        return not self._pending

    def close(self) -> None:
        """Let queued reads finish (their results are no longer delivered) and the thread end."""
        self._go.set()
        self._pending.clear()
        self._latest.clear()  # queued requests are skipped as stale
        db = self._db
        if db is not None:
            try:
                db.conn.interrupt()  # a long count on a big hub need not finish: nobody will see it
            except Exception:  # noqa: BLE001 - closed meanwhile
                pass
        thread = self._thread
        if thread is not None:
            thread.join(10)
