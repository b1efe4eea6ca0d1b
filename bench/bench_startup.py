"""Start-up benchmark for issue 17 item 12 (not part of the test run): the main window is usable
within 1 s whatever the database's size.

    python bench/bench_startup.py --db /work/bench-data/1k.sqlite --db /work/bench-data/1m.sqlite [--runs 5]

Build the databases once with `python -m desktop demo --db FILE --cases N` (1,000,000 cases ≈ 6 GB).
In one run, interleaved so machine noise hits all alike, it starts as separate processes:
- a bare PySide6 QMainWindow + QTableView: process start → first paint (the baseline);
- the program (`desktop.ui.app.main`, demo sign-in from the environment) per database, and prints
  - sign-in accepted → main window first painted (MAIN_PAINT), the figure the goal is about;
  - sign-in accepted → the dashboard filled in (MAIN_READY; read behind the window);
  - the longest the event loop did not turn between the two (MAIN_GAP: what a click waited at worst);
  - process start → main window painted (includes the argon2 password check, ~0.7 s by design).
Medians; the ratio is against the bare window of the same run. Each run signs in (an audit entry).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ui import BARE  # noqa: E402  the same bare window as bench_ui


def child(cmd: list[str], env: dict) -> dict:
    """Seconds from spawn to FIRST_PAINT, and the MAIN_* figures the program printed (ms)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT, text=True)
    out = {}
    for line in p.stdout:
        if line.startswith("FIRST_PAINT"):
            out["spawn_to_paint"] = (time.perf_counter() - t0) * 1000
        elif line.startswith("MAIN_"):
            name, value = line.split()
            out[name.lower()] = float(value)
    err = p.stderr.read()
    if p.wait() != 0 or "spawn_to_paint" not in out:
        raise SystemExit(f"no first paint from {cmd[-1][:80]}: {err[-2000:]}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", action="append", required=True)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               MEDIATION_DESK_USER="demo", MEDIATION_DESK_PASSWORD="demo", MEDIATION_DESK_BENCH_QUIT="1")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed program runs from compiled bytecode
    procs = {"bare": [sys.executable, "-c", BARE]}
    for db in args.db:
        procs[db] = [sys.executable, "-c", f"from desktop.ui.app import main; main({str(Path(db))!r})"]
    # The day's first start also copies the database (on a thread of its own); the program quits before
    # a big copy ends, so every run would start it again: make today's copy here, as a day's first start would.
    sys.path.insert(0, str(ROOT))
    from desktop import backup

    for db in args.db:
        t0 = time.perf_counter()
        made = backup.daily(str(db), db)
        if made:
            print(f"today's daily copy of {Path(db).name} (the day's first start, beside the write worker): "
                  f"{time.perf_counter() - t0:.1f} s")
    for cmd in procs.values():  # warm-up: bytecode written, files in the page cache
        child(cmd, env)
    results = {k: [] for k in procs}
    for _ in range(args.runs):
        for k, cmd in procs.items():
            results[k].append(child(cmd, env))
    med = {k: {m: statistics.median(r[m] for r in runs) for m in runs[0]} for k, runs in results.items()}
    bare = med["bare"]["spawn_to_paint"]
    print(f"medians of {args.runs} runs, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"bare PySide6 window, process start → first paint: {bare:.0f} ms")
    for db in args.db:
        m = med[db]
        import sqlite3

        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        n = conn.execute("select count(*) from cases").fetchone()[0]
        conn.close()
        print(f"== {Path(db).name}: {n:,} cases, {Path(db).stat().st_size / 1e6:,.0f} MB")
        print(f"  sign-in accepted → main window painted: {m['main_paint']:.0f} ms = {m['main_paint'] / bare:.2f}× bare"
              f" (goal ≤ 1000 ms); worst of runs {max(r['main_paint'] for r in results[db]):.0f} ms")
        print(f"  sign-in accepted → dashboard filled in: {m['main_ready']:.0f} ms"
              f" (worst {max(r['main_ready'] for r in results[db]):.0f} ms)")
        print(f"  longest event-loop stall while it filled in: {m['main_gap']:.0f} ms"
              f" (worst {max(r['main_gap'] for r in results[db]):.0f} ms)")
        print(f"  process start → main window painted (argon2 included): {m['spawn_to_paint']:.0f} ms"
              f" = {m['spawn_to_paint'] / bare:.2f}× bare")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
