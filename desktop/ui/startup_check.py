"""The start-up integrity check (PRAGMA quick_check, ≈ 5 s at 1,000,000 cases) runs behind the
open main window on a connection of its own; only a fault it finds stops writing: the session
becomes read-only (the core then refuses every change) and the user is told what to do."""

from __future__ import annotations

import sqlite3
import threading

from PySide6.QtCore import QObject, Qt, Signal

FAULT_TEXT = ("启动时的数据库检查发现文件已损坏：{detail}\n\n为防止损坏扩大，本次已停止写入，只能查看。"
              "请关闭程序，从备份恢复数据库（见“帮助 → 使用手册”中的“备份”和“出了问题怎么办”），"
              "或联系技术支持。")


class IntegrityCheck(QObject):
    finished = Signal(list)  # [] when the file is sound, else quick_check's first lines

    def __init__(self, path, parent=None):
        super().__init__(parent)
        self.path = str(path)
        self.result: list[str] | None = None
        self._conn = None
        self._stopped = False
        self.finished.connect(self._keep, Qt.QueuedConnection)
        self._thread = threading.Thread(target=self._run, name="quick-check", daemon=True)

    def start(self) -> "IntegrityCheck":
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            conn = self._conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            try:
                rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
            finally:
                self._conn = None
                conn.close()
            bad = [] if rows == ["ok"] else rows[:3]
        except sqlite3.DatabaseError as exc:
            bad = [str(exc)]
        if not self._stopped:  # the program is closing: nothing to report, nobody to tell
            self.finished.emit(bad)

    def stop(self, timeout_s: float = 5) -> None:
        """The program closes: interrupt a check still running (minutes on a big hub) and let its
        thread end before the interpreter does."""
        self._stopped = True
        conn = self._conn
        if conn is not None:
            try:
                conn.interrupt()
            except sqlite3.Error:
                pass
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _keep(self, bad: list) -> None:
        self.result = bad


def start(session, window) -> IntegrityCheck:
    """Check behind `window`; on a fault: read-only session, a red note in the status bar, a message."""
    from desktop.security import accounts

    check = IntegrityCheck(session.path, window)

    def done(bad: list) -> None:
        if not bad:
            return
        u = session.user
        session.user = accounts.User(u.name, "viewer", u.display_name)  # the core refuses every change
        session.readonly = True
        label = getattr(window, "mode_label", None)
        if label is not None:
            label.setText("数据库已损坏：已停止写入")
            label.setVisible(True)
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(QMessageBox.Critical, "数据库检查发现问题", FAULT_TEXT.format(detail=bad[0]),
                          QMessageBox.Ok, window)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()
        window.integrity_box = box
    check.finished.connect(done, Qt.QueuedConnection)
    window.integrity_check = check
    return check.start()
