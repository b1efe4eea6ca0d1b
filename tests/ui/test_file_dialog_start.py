"""Issue 17 item 10: file dialogs open in the user's Documents folder, or on a USB stick when one is
plugged in and the file is meant to travel — never in the program's own folder.

The dialogs are opened by the real buttons and methods; a timer inside the dialog's own event loop
reads the folder it shows and cancels it.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]  # the program's own folder (the checkout)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A user with a Documents folder, no USB stick, and the program started from its own folder."""
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    (tmp_path / "xdg").mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))  # no user-dirs.dirs: Documents = ~/Documents
    monkeypatch.setenv("USER", "clerk")
    from desktop.ui import filedialogs

    monkeypatch.setattr(filedialogs, "MOUNT_ROOTS", (str(tmp_path / "media" / "{user}"),))
    monkeypatch.chdir(ROOT)
    return home


def shown_folder(qtbot, open_it) -> Path:
    """Run `open_it` (which opens a file dialog and waits for it); the folder the dialog showed."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QFileDialog

    seen: list[Path] = []

    def look():
        w = QApplication.activeModalWidget()
        if isinstance(w, QFileDialog) and w.isVisible():
            seen.append(Path(w.directory().absolutePath()))
            timer.stop()
            w.reject()
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(look)
    timer.start()
    open_it()
    timer.stop()
    assert len(seen) == 1, "no file dialog opened"
    return seen[0]


def _not_program_folder(folder: Path) -> None:
    assert ROOT.resolve() not in [folder.resolve(), *folder.resolve().parents]
    assert folder.resolve() != Path.cwd().resolve()


def _pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(100, 700, "x")
    c.save()
    return buf.getvalue()


def test_dialogs_start_in_documents_without_a_stick(qtbot, session, home):
    from desktop.ui.exchange_page import ExchangePage
    from desktop.ui.pdf_preview import PdfPreview
    from desktop.ui.settings_page import SettingsPage
    from desktop.ui.stats_page import StatsPage

    docs = home / "Documents"
    ex = ExchangePage(session)
    qtbot.addWidget(ex)
    settings = SettingsPage(session)
    qtbot.addWidget(settings)
    stats = StatsPage(session)
    qtbot.addWidget(stats)
    preview = PdfPreview(_pdf(), "调解协议书", file_name="调解协议书.pdf")
    qtbot.addWidget(preview)
    openers = {
        "save station card": ex.card_button.click,
        "open hub card": ex.join_button.click,
        "backup folder": settings.ask_backup,
        "statistics export": lambda: stats.ask_export("xlsx"),
        "save as PDF": preview.save_button.click,
    }
    for what, open_it in openers.items():
        folder = shown_folder(qtbot, open_it)
        assert folder == docs, what
        _not_program_folder(folder)
    assert not list(docs.iterdir())  # cancelled: nothing written


def test_files_meant_to_travel_start_on_a_usb_stick(qtbot, session, home, tmp_path):
    from desktop.ui.exchange_page import ExchangePage
    from desktop.ui.pdf_preview import PdfPreview

    stick = tmp_path / "media" / "clerk" / "U盘"
    stick.mkdir(parents=True)
    ex = ExchangePage(session)
    qtbot.addWidget(ex)
    assert shown_folder(qtbot, ex.card_button.click) == stick
    assert shown_folder(qtbot, ex.join_button.click) == stick
    # a document saved as PDF stays on the computer: Documents, stick or not
    preview = PdfPreview(_pdf(), "调解协议书", file_name="调解协议书.pdf")
    qtbot.addWidget(preview)
    assert shown_folder(qtbot, preview.save_button.click) == home / "Documents"


def test_every_file_dialog_goes_through_the_helper():
    # the start folder is decided in one place: no other UI module opens a QFileDialog itself
    ui = ROOT / "desktop" / "ui"
    direct = [p.name for p in ui.glob("*.py")
              if p.name != "filedialogs.py" and "QFileDialog" in p.read_text(encoding="utf-8")]
    assert direct == []
    assert os.path.exists(ui / "filedialogs.py")
