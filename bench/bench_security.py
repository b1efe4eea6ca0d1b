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

from desktop import db as dbm, org  # noqa: E402
from desktop.security import accounts, audit
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


_CHILD = r"""
import resource, sys
sys.path.insert(0, sys.argv[1])
from desktop import db as dbm
from desktop.security import accounts
from desktop.sync import hub
h = dbm.open_database(sys.argv[2], check=False)
u = accounts.authenticate(h, "hadmin", "hubpass123")
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    hub.import_bundle(h, sys.argv[3], u, max_size=int(sys.argv[4]))
    outcome = "imported"
except hub.BundleRefused as exc:
    outcome = exc.check.replace(" ", "")
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(outcome, base, peak)
"""


def memory(folder: Path, mb: int) -> None:
    """Peak memory of a hub import of a junk file and of a zip bomb, each `mb` MB, cap = the size."""
    import subprocess
    import zipfile

    from desktop.sync import hub

    hub_path = folder / "hub.sqlite"
    hub.hub_init(hub_path, "测试汇总", "330481", "hadmin", "hubpass123")
    size = mb * 1024 * 1024
    junk = folder / "S0000000001-000001.bundle"
    with open(junk, "wb") as f:
        block = bytes(range(256)) * 4096
        for _ in range(size // len(block)):
            f.write(block)
    bomb = folder / "S0000000001-000002.bundle"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", b"{}")
        zf.writestr("manifest.json.minisig", b"x")
        with zf.open("payload.age", "w", force_zip64=True) as dest:
            zero = bytes(1 << 20)
            for _ in range(mb * 8):  # 8x the cap once inflated
                dest.write(zero)
    shaped = folder / "S0000000001-000003.bundle"  # the canonical ZIP layout around a junk payload
    from desktop.sync import bundle as bmod

    with zipfile.ZipFile(shaped, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, data in (("manifest.json", b"{}"), ("manifest.json.minisig", b"x"), ("payload.age", None)):
            zi = zipfile.ZipInfo(name, date_time=bmod.ZIP_TIME)
            zi.create_system, zi.external_attr = 3, 0o100644 << 16
            if data is not None:
                zf.writestr(zi, data)
                continue
            with zf.open(zi, "w") as dest:
                block = bytes(range(256)) * 4096
                for _ in range((size - 4096) // len(block)):
                    dest.write(block)
    for label, f in (("junk", junk), ("zip bomb", bomb), ("canonical zip, junk payload", shaped)):
        out = subprocess.run([sys.executable, "-c", _CHILD, str(ROOT), str(hub_path), str(f), str(size)],
                             capture_output=True, text=True, check=True).stdout.split()
        check, base, peak = out[0], int(out[1]) / 1024, int(out[2]) / 1024
        print(f"{label}: {f.stat().st_size / 2**20:.0f} MB file, refused at {check}; peak RSS {peak:.0f} MB "
              f"({peak - base:.0f} MB over the {base:.0f} MB before the import = {(peak - base) / mb:.2f}x the file)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--guesses", type=int, default=100)
    ap.add_argument("--memory-mb", type=int, default=0, help="also measure hub memory on a junk file of this size")
    args = ap.parse_args()
    if args.memory_mb:
        with tempfile.TemporaryDirectory() as tmp:
            memory(Path(tmp), args.memory_mb)
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
