"""Idle lock and passwords in the program (issue 7).

- `IdleWatcher`: an event filter on the QApplication; every key, mouse or wheel input restarts a
  single-shot QTimer; when it fires (keys.idle_lock_minutes, default 10) the main window locks.
- `LockScreen`: what the main window shows instead of its content while locked. Locking forgets
  the data key on both connections (keys.lock); the password typed here is checked by the core
  (keys.reauthenticate on the worker, failures count towards the lockout) and the key comes back.
- `ChangePasswordDialog`: a user changes their own password (accounts.change_password).
- `share_key`: the worker's connection gets the data key the sign-in unlocked on the main one.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget,
)

from desktop.security import accounts, keys
from desktop.ui import ops as opsmod
from desktop.ui.widgets import ErrorLabel

# md_admin_key: an administrator's export and station card run on the worker connection (issue 15)
KEY_ATTRS = ("md_codec", "md_index_key", "md_encrypted", "md_admin_key", "md_user_role")
INPUT_EVENTS = frozenset({
    QEvent.KeyPress, QEvent.MouseButtonPress, QEvent.MouseButtonDblClick, QEvent.MouseMove, QEvent.Wheel,
    QEvent.TouchBegin, QEvent.TabletPress,
})


def share_key(src, dst) -> None:
    """Give `dst` the unlocked data key of `src` (both connections of one signed-in session)."""
    for attr in KEY_ATTRS:
        value = getattr(src, attr, None)
        if value is not None:
            setattr(dst, attr, value)


def key_state(db) -> dict:
    return {attr: getattr(db, attr, None) for attr in KEY_ATTRS}


class IdleWatcher(QObject):
    """Emits `idle` after `minutes` without user input anywhere in the application."""

    idle = Signal()

    def __init__(self, app, minutes: int, parent=None):
        super().__init__(parent)
        self.app = app
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.idle)
        self.set_minutes(minutes)
        app.installEventFilter(self)
        self.timer.start()

    def set_minutes(self, minutes: int) -> None:
        self.set_interval_ms(max(1, int(minutes)) * 60_000)

    def set_interval_ms(self, ms: int) -> None:
        self.timer.setInterval(ms)
        if self.timer.isActive():
            self.timer.start()

    def eventFilter(self, obj, event):
        if event.type() in INPUT_EVENTS and self.timer.isActive():
            self.timer.start()  # restart: the countdown begins again from the last input
        return False

    def pause(self) -> None:
        self.timer.stop()

    def resume(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self.app.removeEventFilter(self)


class LockScreen(QWidget):
    """The password prompt that covers the main window while it is locked."""

    unlocked = Signal()

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setObjectName("LockScreen")
        v = QVBoxLayout(self)
        v.addStretch(2)
        u = session.user
        title = QLabel(f"<h2>已锁定</h2><p>{session.profile['name']}</p>"
                       f"<p>程序已锁定（无操作超时或手动锁定），数据密钥已停用，敏感信息暂不可查看。请 {u.display_name or u.name} 输入密码继续。</p>")
        title.setAlignment(Qt.AlignCenter)
        title.setWordWrap(True)
        v.addWidget(title)
        row = QHBoxLayout()
        row.addStretch(1)
        self.password = QLineEdit()
        self.password.setObjectName("unlock_password")
        self.password.setEchoMode(QLineEdit.Password)
        self.password.setPlaceholderText("密码")
        self.password.setMinimumWidth(260)
        self.password.returnPressed.connect(self.try_unlock)
        row.addWidget(self.password)
        self.button = QPushButton("解锁")
        self.button.clicked.connect(self.try_unlock)
        row.addWidget(self.button)
        row.addStretch(1)
        v.addLayout(row)
        self.error = ErrorLabel()
        self.error.setObjectName("unlock_error")
        self.error.setAlignment(Qt.AlignCenter)
        v.addWidget(self.error)
        v.addStretch(3)

    def try_unlock(self) -> None:
        pw = self.password.text()
        self.password.clear()
        if not pw:
            self.error.show_message("请输入密码")
            return
        user = self.session.user
        self.button.setEnabled(False)

        def work(db, task):
            keys.reauthenticate(db, user, pw)  # argon2 off the UI thread; unlocks the worker's key
            return key_state(db)

        def done(state):
            self.button.setEnabled(True)
            for attr, value in state.items():
                if value is not None:
                    setattr(self.session.db, attr, value)
            self.error.show_message("")
            self.unlocked.emit()

        def failed(exc):
            self.button.setEnabled(True)
            self.error.show_message(opsmod.error_text(exc))
            self.password.setFocus()
        self.session.ops.run(work, on_done=done, on_error=failed)


class ChangePasswordDialog(QDialog):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("修改密码")
        f = QFormLayout(self)
        f.addRow(QLabel(f"用户：{session.user.display_name or session.user.name}"))
        self.old, self.new, self.again = QLineEdit(), QLineEdit(), QLineEdit()
        for label, e in (("原密码", self.old), ("新密码", self.new), ("再次输入新密码", self.again)):
            e.setEchoMode(QLineEdit.Password)
            f.addRow(label, e)
        f.addRow(QLabel("密码至少8位，且必须同时包含字母和数字。"))
        self.error = ErrorLabel()
        f.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("修改")
        buttons.button(QDialogButtonBox.Cancel).setText("取消")
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        f.addRow(buttons)

    def submit(self) -> None:
        old, new = self.old.text(), self.new.text()
        if new != self.again.text():
            self.error.show_message("两次输入的新密码不一致")
            return
        user = self.session.user

        def done(_):
            self.accept()

        def failed(exc):
            self.error.show_message(opsmod.error_text(exc))
        self.session.ops.run(lambda db, task: accounts.change_password(db, user, old, new), on_done=done,
                             on_error=failed)
