"""Entry point of the desktop program (a minimal window until the desktop-program issue lands)."""

from __future__ import annotations

import sys


def main(db_path: str | None = None) -> int:
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    from desktop import db as dbm, org, paths

    app = QApplication.instance() or QApplication(sys.argv)
    path = db_path or str(paths.default_db())
    title = "调解工作台"
    text = f"数据库：{path}"
    if dbm.is_database(path):
        database = dbm.open_database(path)
        profile = org.get_profile(database)
        title = f"{profile['name']} — 调解工作台" + ("（演示数据）" if profile.get("demo") else "")
        n = database.conn.execute("select count(*) from cases where deleted = 0").fetchone()[0]
        text += f"\n案件：{n} 件"
    win = QMainWindow()
    win.setWindowTitle(title)
    win.setCentralWidget(QLabel(text))
    win.resize(900, 600)
    win.show()
    return app.exec()
