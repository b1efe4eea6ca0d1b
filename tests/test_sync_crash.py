"""kill -9 during an import leaves the hub with all of the bundle or none of it."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time

from desktop import db as dbm
from desktop.sync import export

from tests.test_sync_support import HUB_PASSWORD, connect, make_hub, make_station, state

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WATCHED = ("cases", "case_workers", "case_items", "case_fts", "case_events", "mediators", "org", "sync_bundles_in")


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


def _watched(path):
    d = dbm.open_database(path)
    try:
        assert d.conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        counts, _ = state(d)
        return {t: counts[t] for t in WATCHED}
    finally:
        d.conn.close()


def test_kill_during_import_is_all_or_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    s1, a1, _ = make_station(tmp_path, "s1", n=300)
    h, hu, hpath = make_hub(tmp_path)
    connect(s1, a1, h, hu)
    b = export.export_bundle(s1, tmp_path, a1)
    h.conn.execute("pragma wal_checkpoint(TRUNCATE)")
    h.conn.close()
    template = tmp_path / "hub-template.sqlite"
    shutil.copyfile(hpath, template)
    none = _watched(template)
    env = dict(os.environ, MEDIATION_DESK_USER="hadmin", MEDIATION_DESK_PASSWORD=HUB_PASSWORD, PYTHONPATH=ROOT)
    rng = random.Random(5)
    outcomes = []
    # A full run first, to learn how long an import takes here and what "all of it" looks like.
    work = tmp_path / "work.sqlite"
    shutil.copyfile(template, work)
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "desktop", "import", "--db", str(work), b["path"]], env=env,
                       capture_output=True, text=True)
    took = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    full = _watched(work)
    assert full["cases"] == none["cases"] + 300 and full["sync_bundles_in"] == 1
    for _round in range(3):
        for suffix in ("", "-wal", "-shm"):
            p = work.with_name(work.name + suffix)
            if p.exists():
                p.unlink()
        shutil.copyfile(template, work)
        proc = subprocess.Popen([sys.executable, "-m", "desktop", "import", "--db", str(work), b["path"]], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 1.0) * took)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        got = _watched(work)
        assert got in (none, full), got
        outcomes.append("all" if got == full else "none")
    assert len(outcomes) == 3
