"""SIGTERM (session logout, shutdown) ends the program through the normal way out of the event loop,
so the code after app.exec() — closing the reader, the check and the write worker — runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
from PySide6.QtCore import QTimer
from desktop.ui.app import make_app, quit_on_terminate
app = make_app()
quit_on_terminate(app)
QTimer.singleShot(0, lambda: print("READY", flush=True))
code = app.exec()
print("LEFT THE LOOP", code, flush=True)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is delivered this way on POSIX only")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_terminate_signal_leaves_the_event_loop(sig, tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MEDIATION_DESK_HOME=str(tmp_path / "home"))
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT, env=env)
    try:
        assert proc.stdout.readline().strip() == "READY"
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "LEFT THE LOOP 0" in out


def test_main_installs_it():
    import inspect

    from desktop.ui import app

    src = inspect.getsource(app.main)
    assert src.index("quit_on_terminate(app)") < src.index("app.exec()")
