"""Record MACs and bound ciphertexts (issue 15 item 2): what they cost on the benchmarked write path.

Times `cases.import_records` (what `import-cases` runs) of N demo cases into a fresh station, with
the record MAC and the record-bound associated data, against the same run with both switched off
(MAC key None, unbound `enc1:` sealing) — the program as it wrote before this work. Same process,
same machine, alternating rounds; prints the medians and the ratio.

    .venv/bin/python bench/bench_record_macs.py --cases 3000 --rounds 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop import cases, db as dbm, demo, org, roster  # noqa: E402
from desktop.security import accounts
from desktop.cases import storage  # noqa: E402
from desktop.security import mac as record_mac  # noqa: E402

PROFILE = {"name": "海宁市示范镇劳动人事争议调解中心", "kind": "township", "region": "330481"}


def source_records(folder: Path, n: int) -> list[dict]:
    db = dbm.open_database(folder / "demo.sqlite", create=True)
    actor = demo.create_demo_station(db, seed=7)
    demo.fill(db, n, seed=7, actor=actor)
    out = [cases.record_only(cases.get_case(db, cid)) for (cid,) in db.conn.execute("select id from cases")]
    db.conn.close()
    return out


def one_round(folder: Path, name: str, records: list[dict], prepare=None, after=None) -> float:
    """One timed import into a fresh station; `prepare(db)` runs before the clock starts, `after(db)`
    after it stops (bench_row_counts.py uses both)."""
    db = dbm.open_database(folder / f"{name}.sqlite", create=True)
    org.initialize(db, PROFILE)
    admin = accounts.create_user(db, "admin", "admin12345", "admin")
    if prepare is not None:
        prepare(db)
    names = {m["name"] for r in records for m in r.get("mediators") or []}
    t0 = time.perf_counter()
    with db.atomic():
        roster.ensure_known(db, names, admin)
        cases.import_records(db, records, admin, back_entered=True)
    elapsed = time.perf_counter() - t0
    if after is not None:
        after(db)
    db.conn.close()
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        records = source_records(folder, args.cases)
        real_key, real_place = record_mac.key, storage._place
        times = {"baseline": [], "macs": []}
        for i in range(args.rounds):
            for mode in ("baseline", "macs"):
                if mode == "baseline":  # no MAC, unbound sealing: as before this work
                    record_mac.key = lambda db: None
                    storage._place = lambda rid, group, i, f: None
                try:
                    times[mode].append(one_round(folder, f"{mode}{i}", records))
                finally:
                    record_mac.key, storage._place = real_key, real_place
        base, new = statistics.median(times["baseline"]), statistics.median(times["macs"])
        print(f"import of {len(records)} cases, median of {args.rounds} rounds")
        print(f"  baseline (no MACs, unbound ciphertexts): {base:.2f} s  {[round(t, 2) for t in times['baseline']]}")
        print(f"  record MACs + bound ciphertexts:         {new:.2f} s  {[round(t, 2) for t in times['macs']]}")
        print(f"  ratio: {new / base:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
