"""Security figures (issue 15): parallel guesses against the lockout, answer time for known and
unknown user names.

    python bench/bench_security.py [--guesses 100]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from desktop import accounts, audit, db as dbm, org  # noqa: E402
from desktop.errors import Refused  # noqa: E402


def _station(folder: Path):
    path = folder / "station.sqlite"
    db = dbm.open_database(path, create=True)
    org.initialize(db, {"name": "测试镇劳动人事争议调解中心", "kind": "township", "region": "330481",
                        "arbitration": {"name": "海宁市劳动人事争议仲裁委员会", "address": "x", "phone": "1"}})
    accounts.create_user(db, "admin", "admin12345", "admin")
    return db, path


def timing(db, rounds: int = 10) -> dict:
    def t(name):
        out = []
        for _ in range(rounds):
            start = time.perf_counter()
            try:
                accounts.authenticate(db, name, "wrong12345")
            except Refused:
                pass
            out.append(time.perf_counter() - start)
            db.conn.execute("update users set failed_count = 0, locked_until = null")
            db.conn.commit()
        return statistics.median(out) * 1000

    return {"known_ms": round(t("admin"), 1), "unknown_ms": round(t("nobody"), 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--guesses", type=int, default=100)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    from tests.test_security_lockout import _guess_in_parallel

    with tempfile.TemporaryDirectory() as tmp:
        db, path = _station(Path(tmp))
        print("wrong password, median of 10:", timing(db))
        before = sum(1 for e in audit.entries(db) if e["detail"].get("reason") == "wrong password")
        start = time.perf_counter()
        _guess_in_parallel(path, "admin", "wrong12345", args.guesses)
        took = time.perf_counter() - start
        checked = sum(1 for e in audit.entries(db) if e["detail"].get("reason") == "wrong password") - before
        locked = db.conn.execute("select locked_until from users where name='admin'").fetchone()[0]
        print(f"{args.guesses} parallel guesses: {checked} reached argon2, locked until {locked}, {took:.1f} s")
        db.conn.close()


if __name__ == "__main__":
    main()
