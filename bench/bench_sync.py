"""Bundle benchmarks (issue 5), each beside a baseline measured in the same run.

1. Export of N changed cases (goal: 10,000 in ≤ 2 s).
2. Hub import of B bundles × C cases (goal: 200 × 5,000) beside a raw SQLite upsert of the same
   rows (id-keyed INSERT … ON CONFLICT into a bare table; goal ≤ 3×).

    .venv/bin/python bench/bench_sync.py [--export-cases 10000] [--bundles 200] [--cases 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--export-cases", type=int, default=10000)
    ap.add_argument("--bundles", type=int, default=200)
    ap.add_argument("--cases", type=int, default=5000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    os.environ["MEDIATION_DESK_HOME"] = str(tmp / "home")
    from desktop import accounts, db as dbm, demo
    from desktop.sync import bundle, export, hub, keys

    # --- export ---------------------------------------------------------------------------------------
    st = dbm.open_database(tmp / "station.sqlite", create=True)
    actor = demo.create_demo_station(st, seed=1)
    t = time.perf_counter()
    demo.fill(st, args.export_cases, seed=1, actor=actor)
    fill_s = time.perf_counter() - t
    hub.hub_init(tmp / "hub.sqlite", "基准汇总端", "330481", "hadmin", "hubpass123")
    h = dbm.open_database(tmp / "hub.sqlite")
    hu = accounts.authenticate(h, "hadmin", "hubpass123")
    hub.enrol(h, keys.station_card(st), hu)
    export.join(st, keys.hub_card(h), actor)
    out = tmp / "usb"
    out.mkdir()
    t = time.perf_counter()
    r = export.export_bundle(st, out, actor)
    export_s = time.perf_counter() - t
    size = os.path.getsize(r["path"])
    # baseline: the same rows read and written as JSON Lines, nothing else
    t = time.perf_counter()
    with open(tmp / "plain.jsonl", "wb") as f:
        for row in st.conn.execute("select id, doc from cases"):
            f.write(json.dumps({"id": row[0], "doc": json.loads(row[1])}, ensure_ascii=False).encode() + b"\n")
    plain_s = time.perf_counter() - t
    print(f"export: {r['counts']['cases']} cases + {r['counts']['case_events']} events in {export_s:.2f} s "
          f"({size / 1e6:.1f} MB bundle; goal ≤ 2 s) — plain JSON Lines dump of the cases {plain_s:.2f} s "
          f"(×{export_s / plain_s:.1f}); demo fill {fill_s:.1f} s")

    # --- hub import -----------------------------------------------------------------------------------
    # One station's cases are re-sent as B bundles of C cases each: the station edits a slice, exports.
    src = dbm.open_database(tmp / "src.sqlite", create=True)
    sa = demo.create_demo_station(src, seed=2)
    demo.fill(src, args.cases, seed=2, actor=sa)
    hub.enrol(h, keys.station_card(src), hu)
    export.join(src, keys.hub_card(h), sa)
    paths = []
    t = time.perf_counter()
    for i in range(args.bundles):
        if i:  # every bundle after the first carries C changed cases (revisions grow)
            src.conn.execute("update cases set rev = rev + 1, dirty = 1")
            src.conn.commit()
        paths.append(export.export_bundle(src, out, sa)["path"])
    print(f"prepared {args.bundles} bundles × {args.cases} cases in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    for p in paths:
        hub.import_bundle(h, p, hu, max_size=bundle.MAX_BUNDLE_BYTES)
    import_s = time.perf_counter() - t
    rows = args.bundles * args.cases

    # baseline: the same case rows upserted by id into a bare table, one transaction per bundle
    rawdb = sqlite3.connect(tmp / "raw.sqlite")
    rawdb.execute("pragma journal_mode=wal")
    rawdb.execute("pragma synchronous=full")
    rawdb.execute("create table cases (id text primary key, station text, rev integer, doc text)")
    docs = [(r[0], r[1], r[2], r[3]) for r in src.conn.execute("select id, station, rev, doc from cases")]
    t = time.perf_counter()
    for i in range(args.bundles):
        with rawdb:
            rawdb.executemany(
                "insert into cases (id, station, rev, doc) values (?,?,?,?) on conflict(id) do update set"
                " rev = excluded.rev, doc = excluded.doc where excluded.rev > cases.rev",
                [(a, b, c + i, d) for a, b, c, d in docs])
    raw_s = time.perf_counter() - t
    print(f"hub import: {args.bundles} × {args.cases} = {rows} case rows (+ their events) in {import_s:.1f} s "
          f"({rows / import_s:,.0f} cases/s) — raw SQLite upsert of the same rows {raw_s:.2f} s "
          f"({rows / raw_s:,.0f}/s): ×{import_s / raw_s:.1f} (goal ≤ 3×)")


if __name__ == "__main__":
    main()
