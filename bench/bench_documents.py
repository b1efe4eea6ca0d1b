"""Benchmark of the document renderer (issue 4). Not part of the test run.

    python bench/bench_documents.py [--runs N]

Targets: one agreement ≤ 100 ms warm and ≤ 200 KB; a 20-document dossier ≤ 2 s.
Prints medians over N runs (default 7) after one warm-up render (fonts loaded, templates parsed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MEDIATION_DESK_FONTS", "bundled")

from desktop.documents import render_document, render_dossier  # noqa: E402
from desktop.validate import id_check_char  # noqa: E402

FIX = ROOT / "tests" / "fixtures" / "documents"
TODAY = dt.date(2026, 10, 25)


def dossier_case() -> dict:
    """An agreed case whose dossier has at least 20 documents (several parties, agents, sessions)."""
    case = json.loads((FIX / "agreed.json").read_text(encoding="utf-8"))
    workers = []
    for i in range(4):
        first17 = f"33048119{88 + i}0101{i:02d}{1 + 2 * i % 9}"
        workers.append({"name": f"申请人{i + 1}", "id_number": first17 + id_check_char(first17), "phone": f"1380000000{i}",
                        "address": f"浙江省海宁市某镇某村{i + 1}号", "migrant": True, "platform": False})
    case["workers"] = workers
    case["agents"] = [{"for": f"worker:{i}", "name": f"代理人{i + 1}", "authority": "special"} for i in range(2)] + \
                     [{"for": "employer", "name": "张经理", "authority": "special", "relation": "人力资源部经理"}]
    session = case["sessions"][0]
    case["sessions"] = [dict(session, held_at=f"2026-10-{12 + i}T14:00:00+08:00") for i in range(3)]
    case["extensions"] = [{"agreed_at": "2026-10-20", "until": "2026-11-03", "reason": "双方需核对工资台账"}]
    case["worker_count"] = len(workers)
    return case


def median_time(fn, runs: int) -> tuple[float, object]:
    times = []
    result = None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args(argv)
    org = json.loads((FIX / "org.json").read_text(encoding="utf-8"))
    case = json.loads((FIX / "agreed.json").read_text(encoding="utf-8"))
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "agreement.pdf"
        t0 = time.perf_counter()
        render_document("agreement", case, org, out, today=TODAY)
        cold = time.perf_counter() - t0
        warm, r = median_time(lambda: render_document("agreement", case, org, out, today=TODAY), args.runs)
        size = out.stat().st_size
        print(f"agreement: cold {cold * 1000:.0f} ms (fonts loaded), warm median {warm * 1000:.1f} ms, "
              f"{size / 1024:.0f} KB, {r.pages} pages")
        ok &= warm <= 0.100 and size <= 200 * 1024

        dcase = dossier_case()
        dout = Path(tmp) / "dossier.pdf"
        render_dossier(dcase, org, dout, today=TODAY)
        dtime, dr = median_time(lambda: render_dossier(dcase, org, dout, today=TODAY), max(3, args.runs // 2))
        ndocs = len(dr.documents)
        print(f"dossier: {ndocs} documents, {dr.pages} pages, median {dtime * 1000:.0f} ms, "
              f"{dout.stat().st_size / 1024:.0f} KB")
        ok &= dtime <= 2.0 and ndocs >= 20
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
