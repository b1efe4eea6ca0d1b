"""Benchmark: the year report over a large demo database, beside a naive baseline in the same run.

    python bench/bench_report.py [--db bench/out/1m.sqlite] [--year 2025] [--runs 5]

Build the database once: `python -m desktop demo --db bench/out/1m.sqlite --cases 1000000` (bench/out is
git-ignored). Without --db the largest of bench/out/1m.sqlite and bench/out/demo100k.sqlite is used.

Three measurements over the same data:
  1. period_report as the schema ships (m0001's covering indexes lack deleted/station/migrant/…: row lookups);
  2. period_report with the station-led partial indexes proposed in desktop/stats/indexes.py, created inside a
     transaction that is rolled back (the file is left as it was);
  3. the naive baseline: read every case document and count in Python.
Figures are medians; the 1,000,000-case figure is extrapolated linearly in the cases of the year when the
database is smaller (and printed as such).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desktop import db as dbm  # noqa: E402
from desktop.money import fen_to_text, parse_amount  # noqa: E402
from desktop.stats import indexes, report as rpt  # noqa: E402


def timed(fn, runs):
    times = []
    out = None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def naive(db, year: str) -> dict:
    s, e = f"{year}-01-01", f"{year}-12-31"
    n_acc = n_closed = agreed = workers = 0
    agreed_fen = 0
    for (doc,) in db.conn.execute("select doc from cases where deleted = 0"):
        rec = json.loads(doc)
        acc = rec.get("acceptance") or {}
        if acc.get("decision") == "accepted" and s <= acc["decided_at"] <= e:
            n_acc += 1
            workers += len(rec["workers"])
        out = rec.get("outcome")
        if out and s <= out["closed_at"] <= e:
            n_closed += 1
            if out["kind"] == "agreed":
                agreed += 1
                agreed_fen += sum(parse_amount(i["amount"]) for i in rec["agreement"]["items"] if i.get("amount"))
    return {"accepted": n_acc, "closed": n_closed, "agreed": agreed, "workers_involved": workers,
            "amount_agreed": fen_to_text(agreed_fen)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db")
    ap.add_argument("--year", default="2025")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--skip-naive", action="store_true")
    args = ap.parse_args()
    path = Path(args.db) if args.db else next(
        (p for p in (ROOT / "bench/out/1m.sqlite", ROOT / "bench/out/demo100k.sqlite") if p.exists()), None)
    if path is None or not path.exists():
        print("no database: build one with python -m desktop demo --db bench/out/1m.sqlite --cases 1000000")
        return 2
    db = dbm.open_database(path)
    total = db.conn.execute("select count(*) from cases").fetchone()[0]
    in_year = db.conn.execute("select count(*) from cases where decided_date between ? and ?",
                              (f"{args.year}-01-01", f"{args.year}-12-31")).fetchone()[0]
    print(f"database {path.name}: {total:,} cases, {in_year:,} decided in {args.year}")

    rpt.period_report(db, args.year)  # warm the page cache
    t_ship, r_ship = timed(lambda: rpt.period_report(db, args.year), args.runs)
    print(f"1. period_report {args.year}, schema as shipped:        {t_ship * 1000:8.1f} ms")

    db.conn.execute("begin")
    try:
        t = time.perf_counter()
        indexes.create_in_transaction(db)
        t_build = time.perf_counter() - t
        rpt.period_report(db, args.year)
        t_idx, r_idx = timed(lambda: rpt.period_report(db, args.year), args.runs)
        # where the time goes, with the proposed indexes
        q_t, _ = timed(lambda: rpt.monthly_series(db, int(args.year)), args.runs)
    finally:
        db.conn.execute("rollback")
    print(f"2. period_report {args.year}, proposed indexes:        {t_idx * 1000:8.1f} ms"
          f"  (index build {t_build:.1f} s, rolled back; monthly_series {q_t * 1000:.1f} ms)")
    assert rpt.fingerprint(r_ship) == rpt.fingerprint(r_idx), "the indexes changed a figure"

    if not args.skip_naive:
        t_naive, r_naive = timed(lambda: naive(db, args.year), 1)
        print(f"3. naive baseline (every document in Python):     {t_naive * 1000:8.1f} ms")
        for k, v in r_naive.items():
            ours = r_ship["closed_by_outcome"]["agreed"] if k == "agreed" else r_ship[k]
            assert ours == v, (k, ours, v)
        print(f"   same figures as the report; report/naive: shipped {t_naive / t_ship:.1f}x faster,"
              f" with indexes {t_naive / t_idx:.1f}x faster")
    if total < 1_000_000:
        scale = 1_000_000 / total
        print(f"extrapolated to 1,000,000 cases (x{scale:.1f}, linear in the year's cases):"
              f" shipped ≈ {t_ship * scale:.2f} s, proposed indexes ≈ {t_idx * scale:.2f} s")
    print(f"reconciled: {r_ship['checks']['reconciled']}; accepted {r_ship['accepted']:,},"
          f" closed {r_ship['closed']:,}, success rate {r_ship['success_rate']}")
    db.conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
