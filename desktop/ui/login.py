"""Sign in (accounts.authenticate): wrong passwords and lockouts are audited by the core."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit

from desktop.errors import Refused
from desktop.ui.widgets import ErrorLabel


class LoginDialog(QDialog):
    """`source` is an open database, or a DatabaseOpener still checking the file in the background."""

    def __init__(self, source, parent=None, profile: dict | None = None):
        super().__init__(parent)
        self.source = source
        self.db = None if hasattr(source, "result") else source
        self.user = None
        if profile is None:
            from desktop import org

            profile = org.get_profile(self.db)
        self.setWindowTitle(f"登录 — {profile['name']}" + ("（演示数据）" if profile.get("demo") else ""))
        # wide enough for the whole title (the organization's full name) on the title bar
        self.setMinimumWidth(min(900, self.fontMetrics().horizontalAdvance(self.windowTitle()) + 160))
        f = QFormLayout(self)
        f.addRow(QLabel(f"<b>{profile['name']}</b>"))
        self.name = QLineEdit()
        f.addRow("用户名", self.name)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.Password)
        f.addRow("密码", self.password)
        if profile.get("demo"):
            f.addRow(QLabel("演示数据库：用户名 demo，密码 demo"))
            self.name.setText("demo")
        self.error = ErrorLabel()
        self.error.setObjectName("login_error")
        f.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("登录")
        buttons.button(QDialogButtonBox.Cancel).setText("退出")
        self.buttons = buttons
        buttons.accepted.connect(self.try_login)
        buttons.rejected.connect(self.reject)
        f.addRow(buttons)
        (self.password if self.name.text() else self.name).setFocus()

    def try_login(self) -> None:
        # argon2 loads at the first attempt, not before the dialog shows; the check (~1 s) runs on a
        # helper thread (app.sign_in) so the dialog keeps painting its message meanwhile
        from desktop.ui.app import sign_in

        self.buttons.setEnabled(False)
        try:
            if self.db is None:
                self.error.show_message("正在检查数据库文件，请稍候…")
                self.db = self.source.result()  # usually done long before the password is typed
            self.error.show_message(_signing_in_message(self.db))
            self.user = sign_in(self.db, self.name.text().strip(), self.password.text())
            self.error.show_message("")
        except Refused as exc:
            self.error.show_message(exc.message)  # includes the lockout time after 5 failures
            self.password.clear()
            self.password.setFocus()
            return
        finally:
            self.buttons.setEnabled(True)
        self.accept()


UPGRADE_NOTICE_CASES = 5000  # below this the one-time upgrade takes seconds: no need to warn


def _signing_in_message(db) -> str:
    from desktop.security import keys

    n = keys.upgrade_pending_cases(db)
    if n < UPGRADE_NOTICE_CASES:
        return "正在登录，请稍候…"
    minutes = max(1, round(n * 0.0011 / 60))  # measured: 1M cases in 1,081 s on a 2-core machine
    return (f"正在登录，请稍候…\n本数据库需要一次性升级数据保护，涉及 {n} 件案件，约需 {minutes} 分钟；"
            "升级期间请勿关闭程序。")
