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
    return app


def open_session(path: Path, user=None, db=None):
    from desktop import db as dbm
    from desktop.ui.ops import Ops
    from desktop.ui.session import Session

    database = db or dbm.open_database(path)
    session = Session(Path(path), database, user)
    session.ops = Ops(path)
    return session


def main(db_path: str | None = None) -> int:
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QDialog, QMessageBox

    from desktop import accounts, db as dbm, paths
    from desktop.errors import Refused
    from desktop.ui.login import LoginDialog
    from desktop.ui.mainwindow import MainWindow
    from desktop.ui.setup_wizard import SetupWizard

    app = make_app()
    path = Path(db_path) if db_path else paths.default_db()
    database = None
    user = None
    if not dbm.is_database(path):
        wizard = SetupWizard(path)
        if wizard.exec() != QDialog.Accepted or wizard.user is None:
            return 1
        database, user = wizard.db, wizard.user
    else:
        try:
            database = dbm.open_database(path)
        except Refused as exc:
            QMessageBox.critical(None, "无法打开数据库", exc.message)
            return 1
        name, password = os.environ.get("MEDIATION_DESK_USER"), os.environ.get("MEDIATION_DESK_PASSWORD")
        if name and password is not None:
            try:
                user = accounts.authenticate(database, name, password)
            except Refused:
                user = None
        if user is None:
            dlg = LoginDialog(database)
            if dlg.exec() != QDialog.Accepted:
                return 1
            user = dlg.user
    session = open_session(path, user, database)
    win = MainWindow(session)
    if os.environ.get("MEDIATION_DESK_BENCH_QUIT"):
        # Start-up benchmark: report the first paint of the main window, then quit.
        class _FirstPaint(QObject):
            def eventFilter(self, obj, event):
                if event.type() == QEvent.Paint:
                    print("FIRST_PAINT", flush=True)
                    obj.removeEventFilter(self)
                    QTimer.singleShot(0, app.quit)
                return False
        painter = _FirstPaint(win)
        win.installEventFilter(painter)
    win.show()
    code = app.exec()
    session.ops.close()
    return code
