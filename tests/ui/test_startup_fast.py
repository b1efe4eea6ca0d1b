"""Issue 17 item 12: start-up does only what the first window needs (figures: bench/bench_ui.py).

No timings are asserted here: the sign-in's argon2 check runs off the UI thread (the event loop keeps
turning while it runs), and the sign-in dialog's process loads neither the documents, the sync package,
reportlab, openpyxl nor QtPdf.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_password_check_does_not_stop_the_event_loop(qtbot, station, qsettings):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QDialog

    from desktop.ui.login import LoginDialog

    _path, db, _user = station
    dlg = LoginDialog(db)
    qtbot.addWidget(dlg)
    dlg.show()
    seen = []
    ticks = QTimer()
    ticks.setInterval(5)
    # what the user sees while argon2 runs: the dialog's message, its buttons held back
    ticks.timeout.connect(lambda: seen.append((dlg.error.text(), dlg.buttons.isEnabled())))
    ticks.start()
    dlg.name.setText("demo")
    dlg.password.setText("wrong-pass1")
    dlg.try_login()
    assert dlg.user is None and dlg.error.text() == "用户名或密码错误"
    assert ("正在登录，请稍候…", False) in seen  # the timer fired during the check: the UI thread was free
    assert dlg.buttons.isEnabled()
    seen.clear()
    dlg.password.setText("demo")
    dlg.try_login()
    ticks.stop()
    assert dlg.user is not None and dlg.user.name == "demo" and dlg.result() == QDialog.Accepted
    assert ("正在登录，请稍候…", False) in seen


def test_the_sign_in_dialog_loads_no_heavy_modules(tmp_path):
    # the modules main() loads before the sign-in dialog shows, and the dialog itself
    code = r"""
import sys
from desktop.ui.app import make_app, install_exception_hook, peek_profile, DatabaseOpener
from desktop.ui.login import LoginDialog
from desktop.ui.pdf_preview import sweep_temp
import desktop.security.accounts
app = make_app(["x"])
dlg = LoginDialog(object(), profile={"name": "测试调解委员会"})
dlg.show()
app.processEvents()
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("reportlab", "openpyxl", "pypdf")
               or m.startswith(("desktop.documents", "desktop.sync", "desktop.stats", "PySide6.QtPdf",
                                "PySide6.QtPrint")))
print("HEAVY", heavy)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"}, timeout=120)
    assert out.returncode == 0, out.stderr
    line = [s for s in out.stdout.splitlines() if s.startswith("HEAVY")][0]
    assert line == "HEAVY []", line


def test_the_precomputed_stand_in_hash_has_the_hashers_parameters():
    # accounts imports without an argon2 hash (it cost ~1 s before the first window); the stand-in
    # it uses for unknown names has the hasher's current parameters (equal timing: test_security_lockout)
    from desktop.security import accounts

    assert accounts._DUMMY_HASH.startswith("$argon2id$")
    assert not accounts._hasher.check_needs_rehash(accounts._DUMMY_HASH)
