"""The first administrator sign-in on a file made before issue 15 (roles backed by keys): how long the
one-transaction upgrade takes (admin key, viewer rows removed, private keys re-sealed, masked copies
written for every case and mediator), beside a normal administrator sign-in on the same file (baseline,
same run). Also the time a viewer's case list page takes (masked copies, no decryption).

The old file is made with the program as it was at commit c3953e1 (needs this repository's history):

    .venv/bin/python bench/bench_key_upgrade.py --cases 2000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OLD_COMMIT = "c3953e1"

MAKE_OLD = """
import datetime as _dt, sys
sys.path.insert(0, ".")
from desktop import clock, db as dbm, demo
from desktop.security import accounts
from desktop.sync import keys as sync_keys
clock.set_today(_dt.date(2026, 11, 30))
db = dbm.open_database(sys.argv[1], create=True)
user = demo.create_demo_station(db, seed=5)
demo.fill(db, int(sys.argv[2]), seed=5)
accounts.create_user(db, "admin", "admin12345", "admin", actor="demo")
accounts.create_user(db, "view", "view12345", "viewer", actor="demo")
sync_keys.station_card(db)
db.conn.execute("pragma wal_checkpoint(truncate)")
db.conn.close()
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=2000)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from desktop import caselist, clock, db as dbm
    from desktop.security import keys

    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        old.mkdir()
        archive = subprocess.run(["git", "archive", OLD_COMMIT, "desktop"], cwd=ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
        path = Path(tmp) / "station.sqlite"
        env = dict(os.environ, MEDIATION_DESK_HOME=str(Path(tmp) / "home"))
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", MAKE_OLD, str(path), str(args.cases)], cwd=old, env=env, check=True)
        print(f"old file with {args.cases} cases made in {time.perf_counter() - t:.1f} s (commit {OLD_COMMIT})")
        os.environ["MEDIATION_DESK_HOME"] = env["MEDIATION_DESK_HOME"]
        clock.set_today(__import__("datetime").date(2026, 11, 30))
        db = dbm.open_database(path)
        t = time.perf_counter()
        keys.login(db, "admin", "admin12345")
        upgrade = time.perf_counter() - t
        assert not keys.needs_upgrade(db)
        db.conn.close()
        db = dbm.open_database(path)
        t = time.perf_counter()
        keys.login(db, "admin", "admin12345")
        baseline = time.perf_counter() - t
        keys.login(db, "view", "view12345")
        t = time.perf_counter()
        rows = caselist.page(db, limit=200)
        viewer_page = time.perf_counter() - t
        db.conn.close()
        print(f"first administrator sign-in with the upgrade: {upgrade:.2f} s")
        print(f"baseline, the next administrator sign-in (same file, same run): {baseline:.2f} s")
        print(f"upgrade cost: {upgrade - baseline:.2f} s for {args.cases} cases")
        print(f"viewer's case list, first 200 rows from masked copies: {viewer_page * 1000:.0f} ms "
              f"({sum('*' in r.id_number for r in rows)} masked IDs)")


if __name__ == "__main__":
    main()
