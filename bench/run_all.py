"""Run every benchmark in turn (not part of the test run).

    python bench/run_all.py [--cases 1000000] [--quick]

Builds (or reuses) one large demo database in bench/out/ and points the database benchmarks at it.
`--quick` uses 20,000 cases and fewer rounds, to check that the scripts work.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> int:
    print(f"\n=== {' '.join(args)}", flush=True)
    return subprocess.run([sys.executable, *args], cwd=ROOT).returncode


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n = 20_000 if args.quick else args.cases
    db = ROOT / "bench" / "out" / f"bench-{n}.sqlite"
    failures = 0
    failures += run("bench/bench_foundation.py", "--cases", str(n), "--db", str(db), "--reuse") != 0
    failures += run("bench/bench_report.py", "--db", str(db)) != 0
    failures += run("bench/bench_ui.py", "--db", str(db), "--runs", "3" if args.quick else "5") != 0
    failures += run("bench/bench_documents.py") != 0
    failures += run("bench/bench_sync.py", *(["--export-cases", "2000", "--bundles", "2", "--cases", "1000"]
                                            if args.quick else [])) != 0
    failures += run("bench/bench_crash.py", "--rounds", "20" if args.quick else "1000") != 0
    print(f"\n{failures} benchmark script(s) failed" if failures else "\nall benchmark scripts ran")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
