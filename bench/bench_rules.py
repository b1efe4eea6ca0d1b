"""Per-case cost of the case rules (`check_record`), the step every import and hub bundle runs.

    python bench/bench_rules.py [--cases 5000] [--reps 9] [--save F.json | --records F.json]

Generates demo records (fixed seed and day) — or reads them from --records, so that two checkouts
time the very same input — and times check_record over all of them `reps` times. CPU time of this
process (time.process_time) is used: the machine is shared, and wall-clock time mostly measures
the neighbours. Prints the minimum and the median µs per case.

Before/after on one machine: `git worktree add /tmp/before <commit>`, copy this file into its
bench/, then run it there and here with the same --records file.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=5000)
    ap.add_argument("--reps", type=int, default=9)
    ap.add_argument("--save", help="write the generated records to this JSON file")
    ap.add_argument("--records", help="time these records (a JSON list) instead of generating")
    args = ap.parse_args()

    from desktop import cases, clock, demo
    from desktop.workcal import WorkCalendar

    today = _dt.date(2026, 11, 30)
    clock.set_today(today)
    if args.records:
        records = json.loads(Path(args.records).read_text(encoding="utf-8"))
        # keys this checkout's rules do not know would be errors: time what it can read
        records = [{k: v for k, v in r.items() if k in cases.TOP_KEYS} for r in records]
    else:
        gen = demo._Gen(1, today, 720)
        gen.cal = WorkCalendar()
        gen.total = args.cases
        records = [gen.case(i) for i in range(args.cases)]
    if args.save:
        Path(args.save).write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    bad = sum(1 for r in records if cases.check_record(r, today=today, cal=WorkCalendar())[1])
    runs = []
    for _ in range(args.reps):
        cal = WorkCalendar()
        for r in records[:200]:
            cases.check_record(r, today=today, cal=cal)  # warm the calendar memo
        t = time.process_time()
        for r in records:
            cases.check_record(r, today=today, cal=cal)
        runs.append((time.process_time() - t) / len(records) * 1e6)
    print(f"{ROOT}: check_record min {min(runs):.1f} µs/case, median {statistics.median(runs):.1f} "
          f"({args.reps} runs × {len(records)} cases, {bad} with problems)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
