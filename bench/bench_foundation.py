"""Foundation benchmark: build a large demo database and time substring search against a LIKE scan.

    python bench/bench_foundation.py --cases 1000000 [--db bench/out/1m.sqlite] [--reuse]

Prints build time, file size, and p50/p95 of search for 1-, 2- and 3-character Chinese name
pieces and employer pieces, beside a plain LIKE scan of the same data in the same run.
Goal (issue 2): p95 ≤ 50 ms and ≥ 20× faster than the scan.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def timed(fn, reps):
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--db", default=str(ROOT / "bench" / "out" / "foundation.sqlite"))
    ap.add_argument("--reuse", action="store_true", help="use an existing database instead of building")
    ap.add_argument("--queries", type=int, default=40)
    args = ap.parse_args()
    db_path = Path(args.db)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    if not (args.reuse and db_path.exists()):
        for suffix in ("", "-wal", "-shm"):
            Path(str(db_path) + suffix).unlink(missing_ok=True)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "desktop", "demo", "--db", str(db_path), "--cases", str(args.cases),
                        "--seed", "1"], cwd=ROOT, check=True)
        build = time.perf_counter() - t
        print(f"build: {args.cases} cases in {build:.1f} s ({args.cases / build:,.0f} cases/s)")
    from desktop import db as dbm, search

    db = dbm.open_database(db_path)
    db.conn.execute("pragma wal_checkpoint(TRUNCATE)")
    n = db.conn.execute("select count(*) from cases").fetchone()[0]
    size = sum(Path(str(db_path) + s).stat().st_size for s in ("", "-wal") if Path(str(db_path) + s).exists())
    print(f"database: {n:,} cases, {size / 1e6:,.0f} MB ({size / max(n, 1):,.0f} bytes/case)")

    rng = random.Random(5)
    names = [r[0] for r in db.conn.execute("select name from case_workers where rowid in "
                                           "(select rowid from case_workers order by random() limit 2000)")] \
        if False else [r[0] for r in db.conn.execute("select name from case_workers limit 200000")]
    employers = [r[0] for r in db.conn.execute("select distinct employer_name from cases limit 400")]
    names = [x for x in names if len(x) >= 3]
    q1 = [rng.choice(names)[rng.randrange(0, 3)] for _ in range(args.queries)]
    q2 = [x[1:3] for x in (rng.choice(names) for _ in range(args.queries))]
    q3 = [rng.choice(names)[:3] for _ in range(args.queries)]
    qe = []
    for _ in range(args.queries):
        e = rng.choice(employers)
        i = rng.randrange(2, len(e) - 4)
        qe.append(e[i:i + rng.choice((2, 3, 4))])
    groups = {"name 1 char": q1, "name 2 chars": q2, "name 3 chars": q3, "employer 2-4 chars": qe}

    def via_index(q):
        ids = search.match_rowids(db, q, limit=200) or []
        if ids:
            db.conn.execute(f"select case_no, first_worker, employer_name from cases where rowid in "
                            f"({','.join('?' * len(ids))})", ids).fetchall()

    def via_scan(q):
        # the same data scanned with LIKE: every worker name and every employer
        db.conn.execute("select distinct case_rowid from case_workers where name like ? union "
                        "select rowid from cases where employer_name like ?", (f"%{q}%", f"%{q}%")).fetchall()

    print(f"{'query':<20}{'index p50':>11}{'index p95':>11}{'scan p50':>10}{'scan p95':>10}{'ratio p50':>11}")
    worst_p95 = 0.0
    worst_ratio = float("inf")
    for label, qs in groups.items():
        idx = [timed(lambda q=q: via_index(q), 1)[0] for q in qs]
        scan = [timed(lambda q=q: via_scan(q), 1)[0] for q in qs[: max(5, len(qs) // 4)]]
        r = statistics.median(scan) / max(statistics.median(idx), 1e-6)
        worst_p95 = max(worst_p95, pct(idx, 95))
        worst_ratio = min(worst_ratio, r)
        print(f"{label:<20}{statistics.median(idx):>9.2f}ms{pct(idx, 95):>9.2f}ms{statistics.median(scan):>8.0f}ms"
              f"{pct(scan, 95):>8.0f}ms{r:>10.0f}×")
    print(f"worst index p95 {worst_p95:.2f} ms (goal ≤ 50 ms); smallest speed-up over the scan {worst_ratio:.0f}× (goal ≥ 20×)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
