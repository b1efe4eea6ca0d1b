"""Long and writing work off the UI thread (Anki's CollectionOp / TaskManager pattern).

One worker thread owns every database write: it opens its own connection (sqlite connections
never cross threads) and runs tasks one after another, so writes are serialised and the window
never freezes. Success and failure callbacks run on the main thread. A progress dialog appears
only when a task runs longer than ~600 ms, and it can cancel.
"""

from __future__ import annotations

import itertools
import queue
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog, QWidget

from desktop import db as dbm
from desktop.errors import InputError, Refused

PROGRESS_DELAY_MS = 600
BUSY_CURSOR_MS = 300


class Cancelled(Exception):
    """Raised inside a task when the user pressed 取消."""


class Task:
    _ids = itertools.count(1)

    def __init__(self, fn, on_done, on_error, label, total):
        self.id = next(self._ids)
        self.fn = fn
        self.on_done = on_done
        self.on_error = on_error
        self.label = label
        self.total = total
        self.cancelled = False
        self._bridge: _Bridge | None = None

    def report(self, done: int, total: int | None = None) -> bool:
        """Called from the task: progress so far. Returns False once cancelled."""
        if self._bridge is not None:
            self._bridge.progress.emit(self.id, int(done), int(total or self.total or 0))
        return not self.cancelled

    def check(self) -> None:
        if self.cancelled:
            raise Cancelled()


class _Bridge(QObject):
    done = Signal(int, object)
    failed = Signal(int, object, str)
    progress = Signal(int, int, int)


class _Worker(QThread):
    def __init__(self, path, bridge: _Bridge, tasks: "queue.Queue[Task | None]", setup: Callable | None):
        super().__init__()
        self.path = path
        self.bridge = bridge
        self.tasks = tasks
        self.setup = setup

    def run(self) -> None:
        db = None
        try:  # open at once (integrity check, off the UI thread) so the first save does not wait
            db = dbm.open_database(self.path, check=False)
            if self.setup:
                self.setup(db)
        except BaseException:  # reported with the first task below
            db = None
        while True:
            task = self.tasks.get()
            if task is None:
                break
            try:
                if db is None:
                    db = dbm.open_database(self.path, check=False)
                    if self.setup:
                        self.setup(db)
                result = task.fn(db, task)
            except BaseException as exc:  # every failure goes back to the main thread
                self.bridge.failed.emit(task.id, exc, traceback.format_exc())
            else:
                self.bridge.done.emit(task.id, result)
        if db is not None:
            db.conn.close()


class Ops(QObject):
    """Queue work for the database worker: `ops.run(fn, on_done=...)`, fn(db, task) on the worker."""

    finished_any = Signal()

    def __init__(self, path, parent: QWidget | None = None, setup: Callable | None = None):
        super().__init__(parent)
        self.parent_widget = parent
        self._bridge = _Bridge()
        self._bridge.done.connect(self._on_done, Qt.QueuedConnection)
        self._bridge.failed.connect(self._on_failed, Qt.QueuedConnection)
        self._bridge.progress.connect(self._on_progress, Qt.QueuedConnection)
        self._queue: queue.Queue = queue.Queue()
        self._pending: dict[int, Task] = {}
        self._dialogs: dict[int, QProgressDialog] = {}
        self._worker = _Worker(path, self._bridge, self._queue, setup)
        self._worker.start()

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def run(self, fn: Callable[[Any, Task], Any], *, on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None, label: str | None = None,
            total: int | None = None) -> Task:
        task = Task(fn, on_done, on_error, label, total)
        task._bridge = self._bridge
        self._pending[task.id] = task
        if label:
            self._schedule_progress(task)
        self._queue.put(task)
        return task

    def _schedule_progress(self, task: Task) -> None:
        dlg = QProgressDialog(task.label, "取消", 0, task.total or 0, self.parent_widget)
        dlg.setWindowTitle("请稍候")
        dlg.setWindowModality(Qt.WindowModal)
        dlg.setMinimumDuration(PROGRESS_DELAY_MS)  # never flickers for short work
        dlg.setAutoClose(False)
        dlg.setAutoReset(False)
        dlg.canceled.connect(lambda: setattr(task, "cancelled", True))
        dlg.setValue(0)
        self._dialogs[task.id] = dlg
        QTimer.singleShot(BUSY_CURSOR_MS, lambda: self._busy_cursor(task.id))

    def _busy_cursor(self, task_id: int) -> None:
        if task_id in self._pending:
            QApplication.setOverrideCursor(Qt.BusyCursor)
            self._pending[task_id].busy_cursor = True

    def _on_progress(self, task_id: int, done: int, total: int) -> None:
        dlg = self._dialogs.get(task_id)
        task = self._pending.get(task_id)
        if dlg is not None and task is not None and not dlg.wasCanceled():
            # Label first: setValue() on a modal dialog processes events, and the task may finish
            # (and leave _pending) inside that call.
            if total:
                dlg.setLabelText(f"{task.label}（{done}/{total}）")
                if dlg.maximum() != total:
                    dlg.setMaximum(total)
            dlg.setValue(min(done, total) if total else 0)

    def _finish(self, task_id: int) -> Task | None:
        task = self._pending.pop(task_id, None)
        dlg = self._dialogs.pop(task_id, None)
        if dlg is not None:
            dlg.close()
            dlg.deleteLater()
        if task is not None and getattr(task, "busy_cursor", False):
            QApplication.restoreOverrideCursor()
        return task

    def _on_done(self, task_id: int, result) -> None:
        task = self._finish(task_id)
        if task and task.on_done:
            task.on_done(result)
        self.finished_any.emit()

    def _on_failed(self, task_id: int, exc: BaseException, tb: str) -> None:
        task = self._finish(task_id)
        if task is None:
            return
        if isinstance(exc, Cancelled) or (task.cancelled and isinstance(exc, InputError)):
            show_message(self.parent_widget, "已取消", "操作已取消，未写入任何数据。")
        elif task.on_error:
            task.on_error(exc)
        else:
            show_error(self.parent_widget, exc, tb)
        self.finished_any.emit()

    def wait_idle(self, timeout_ms: int = 30000) -> bool:
        """Process events until every queued task has called back (tests, shutdown)."""
        from PySide6.QtCore import QDeadlineTimer, QEventLoop

        deadline = QDeadlineTimer(timeout_ms)
        while self._pending and not deadline.hasExpired():
            QApplication.processEvents(QEventLoop.AllEvents, 50)
            QThread.msleep(5)
        return not self._pending

    def close(self) -> None:
        self.wait_idle()
        self._queue.put(None)
        self._worker.wait(10000)


def error_text(exc: BaseException) -> str:
    if isinstance(exc, InputError):
        return "\n".join(exc.messages)
    if isinstance(exc, Refused):
        return exc.message
    return f"发生意外错误：{type(exc).__name__}: {exc}"


def show_error(parent, exc: BaseException, tb: str = "") -> QMessageBox:
    box = QMessageBox(QMessageBox.Warning, "无法完成操作", error_text(exc), QMessageBox.Ok, parent)
    if tb and not isinstance(exc, (InputError, Refused)):
        box.setDetailedText(tb)
    box.setAttribute(Qt.WA_DeleteOnClose)
    box.open()  # not exec(): the window stays alive while the message shows
    return box


def show_message(parent, title: str, text: str) -> QMessageBox:
    box = QMessageBox(QMessageBox.Information, title, text, QMessageBox.Ok, parent)
    box.setAttribute(Qt.WA_DeleteOnClose)
    box.open()
    return box
