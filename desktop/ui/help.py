"""帮助: the clerk's manual shown inside the program (resources/manual/manual.md), and 关于."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QTextBrowser, QVBoxLayout, QWidget

MANUAL = Path(__file__).resolve().parents[2] / "resources" / "manual" / "manual.md"


def manual_text() -> str:
    try:
        return MANUAL.read_text(encoding="utf-8")
    except OSError:
        return "# 使用手册\n\n未找到手册文件，请重新安装程序。"


class HelpWindow(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent, Qt.Window)
        from desktop.ui.pdf_preview import fit_to_screen

        self.setObjectName("HelpWindow")
        self.setWindowTitle("使用手册 — 调解工作台")
        v = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.find = QLineEdit()
        self.find.setPlaceholderText("在手册中查找（回车查找下一处）")
        self.find.returnPressed.connect(self.find_next)
        b = QPushButton("查找")
        b.clicked.connect(self.find_next)
        bar.addWidget(self.find, 1)
        bar.addWidget(b)
        v.addLayout(bar)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(False)
        self.browser.setMarkdown(manual_text())
        v.addWidget(self.browser, 1)
        QShortcut(QKeySequence(Qt.Key_Escape), self, activated=self.close)
        QShortcut(QKeySequence.Find, self, activated=self.find.setFocus)
        fit_to_screen(self, 820, 900)

    def find_next(self) -> bool:
        text = self.find.text().strip()
        if not text:
            return False
        if self.browser.find(text):
            return True
        cursor = self.browser.textCursor()
        cursor.movePosition(cursor.MoveOperation.Start)
        self.browser.setTextCursor(cursor)
        return self.browser.find(text)


def about_text(session) -> str:
    import sys

    from PySide6 import __version__ as qt_version

    from desktop import __version__

    path = Path(session.path)
    return (f"<h3>调解工作台 {__version__}</h3>"
            "<p>劳动人事争议调解组织的案件登记、调解记录、文书、统计和数据交换。</p>"
            f"<p>数据文件夹：{path.parent}<br>数据库文件：{path.name}<br>"
            f"自动备份文件夹：{path.parent / (path.stem + '-backups')}</p>"
            f"<p>运行环境：Python {sys.version.split()[0]}，Qt {qt_version}</p>")
