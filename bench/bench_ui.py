"""Desktop benchmark (not part of the test run).

    python bench/bench_ui.py --db bench/out/demo100k.sqlite [--db bench/out/demo1m.sqlite] [--runs 5]

Build a database once with `python -m desktop demo --db bench/out/demo100k.sqlite --cases 100000`.
For each database it prints:
- start-up: process start to the first painted main window (demo login through the environment),
  beside a bare PySide6 QMainWindow + QTableView measured the same way in the same run (goal ≤ 1.5×);
- case list: first page (query, and model + view painted) — goal ≤ 100 ms;
- search: keystroke in the search box to the repainted list, p50 / p95 — goal p95 ≤ 50 ms;
- scrolling: one fetchMore page;
- peak RSS of the program process and of this measuring process — goal ≤ 300 MB.
The start-up run signs in (one audit entry per run); the in-process measurements only read.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BARE = r"""
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView
app = QApplication(sys.argv)
w = QMainWindow(); w.setCentralWidget(QTableView()); w.resize(1280, 800)
class F(QObject):
    def eventFilter(self, o, e):
        if e.type() == QEvent.Paint:
            print("FIRST_PAINT", flush=True); o.removeEventFilter(self); QTimer.singleShot(0, app.quit)
        return False
f = F(); w.installEventFilter(f); w.show(); app.exec()
"""


def _timed_child(cmd: list[str], env: dict) -> tuple[float, float]:
    """(seconds from spawn to FIRST_PAINT, child's peak RSS in MB)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT, text=True)
    elapsed = None
    for line in p.stdout:
        if line.startswith("FIRST_PAINT"):
            elapsed = time.perf_counter() - t0
    _pid, status, usage = os.wait4(p.pid, 0)
    if elapsed is None:
        raise SystemExit(f"no first paint from {cmd} (status {status})")
    return elapsed, usage.ru_maxrss / 1024


def startup(db: Path, runs: int) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               MEDIATION_DESK_USER="demo", MEDIATION_DESK_PASSWORD="demo")
    # An installed program runs from compiled bytecode: let the children cache it (a shell with
    # PYTHONDONTWRITEBYTECODE=1 would otherwise add ~0.8 s of compiling to every run), and warm up once.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    direct = [sys.executable, "-c", f"from desktop.ui.app import main; main({str(db)!r})"]
    via_cli = [sys.executable, "-m", "desktop", "--db", str(db)]
    cases = {"bare": ([sys.executable, "-c", BARE], {}),
             "login_cli": (via_cli, {"MEDIATION_DESK_BENCH_QUIT": "login"}),
             "login": (direct, {"MEDIATION_DESK_BENCH_QUIT": "login"}),
             "main": (direct, {"MEDIATION_DESK_BENCH_QUIT": "1"})}
    times = {k: [] for k in cases}
    rss = {k: [] for k in cases}
    for cmd, extra in cases.values():  # warm-up: bytecode written, files in the page cache
        _timed_child(cmd, dict(env, **extra))
    for _ in range(runs):  # interleaved so machine noise hits all alike
        for k, (cmd, extra) in cases.items():
            t, r = _timed_child(cmd, dict(env, **extra))
            times[k].append(t * 1000)
            rss[k].append(r)
    out = {k: statistics.median(v) for k, v in times.items()}
    out.update({f"{k}_rss": max(v) for k, v in rss.items()})
    # what the main-window path spends before it can paint: the core's open and the sign-in
    from desktop import db as dbm
    from desktop.security import accounts
    t0 = time.perf_counter()
    d = dbm.open_database(db)
    out["open_ms"] = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    accounts.authenticate(d, "demo", "demo")
    out["auth_ms"] = (time.perf_counter() - t0) * 1000
    d.conn.close()
    return out


def in_process(db_path: Path) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    from desktop import caselist, db as dbm
    from desktop.security import accounts
    from desktop.ui.app import make_app
    from desktop.ui.session import Session

    app = make_app([sys.argv[0]])
    db = dbm.open_database(db_path, readonly=True)
    session = Session(db_path, db, accounts.User("bench", "viewer", "bench"))
    n = db.conn.execute("select max(rowid) from cases").fetchone()[0]

    t0 = time.perf_counter()
    caselist.page(db)
    query_ms = (time.perf_counter() - t0) * 1000

    from desktop.ui.cases_page import CasesPage

    t0 = time.perf_counter()
    page = CasesPage(session)
    page.resize(1280, 760)
    page.show()
    app.processEvents()
    page.repaint()
    first_page_ms = (time.perf_counter() - t0) * 1000

    def press(ch: str | None) -> float:
        t = time.perf_counter()
        if ch is None:
            ev = [QKeyEvent(k, Qt.Key_Backspace, Qt.NoModifier) for k in (QEvent.KeyPress, QEvent.KeyRelease)]
        else:
            ev = [QKeyEvent(k, Qt.Key_unknown, Qt.NoModifier, ch) for k in (QEvent.KeyPress, QEvent.KeyRelease)]
        for e in ev:
            QApplication.sendEvent(page.search, e)
        page.view.viewport().repaint()  # the list as the user sees it
        return (time.perf_counter() - t) * 1000

    # What clerks type: surnames (1–2 characters), full names, employer pieces, ID digits, case numbers.
    rows = caselist.page(db, limit=50)
    probes = ["王", "李", "张伟", "陈", "刘洋", "示范", "纺织", "有限公司", "宏达", "物流", "3304", "330481199", "0012",
              rows[0].worker.split(" ")[0], rows[10].employer[2:6], rows[20].case_no]
    times = []
    slowest = []
    for q in probes:
        for ch in q:
            times.append(press(ch))
            slowest.append((times[-1], page.search.text()))
        for _ in q:
            times.append(press(None))
            slowest.append((times[-1], page.search.text()))
    times.sort()
    slowest.sort(reverse=True)
    p95 = times[int(len(times) * 0.95) - 1]

    fetch = []
    for _ in range(20):
        t = time.perf_counter()
        page.model.fetchMore()
        fetch.append((time.perf_counter() - t) * 1000)
    page.view.scrollToBottom()
    app.processEvents()
    filt = []
    for status in ("registered", "mediating", "closed", "overdue", None):
        t = time.perf_counter()
        page.status.setCurrentIndex(page.status.findData(status) if status else 0)
        page.view.viewport().repaint()
        filt.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    from desktop import dashboard
    dashboard.summary(db)
    dash_ms = (time.perf_counter() - t) * 1000
    return {"cases": n, "first_page_query_ms": query_ms, "first_page_shown_ms": first_page_ms,
            "keystroke_p50_ms": statistics.median(times), "keystroke_p95_ms": p95, "keystrokes": len(times),
            "fetch_more_ms": statistics.median(fetch), "filter_change_max_ms": max(filt), "dashboard_ms": dash_ms,
            "loaded_rows": page.model.rowCount(), "slowest": [(round(t), q) for t, q in slowest[:8]],
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", action="append", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        r = in_process(Path(args.db[0]))
        print(repr(r), flush=True)
        os._exit(0)  # skip interpreter teardown of live Qt objects
    for db in args.db:
        path = Path(db)
        print(f"== {path.name}")
        s = startup(path, args.runs)
        b = s["bare"]
        print(f"start-up to first painted window (median of {args.runs}): bare PySide6 window {b:.0f} ms")
        print(f"  sign-in dialog (the first window a user sees): {s['login']:.0f} ms = {s['login'] / b:.2f}× "
              f"(goal ≤ 1.5×); through `python -m desktop` {s['login_cli']:.0f} ms = {s['login_cli'] / b:.2f}×")
        print(f"  main window, signed in from the environment: {s['main']:.0f} ms = {s['main'] / b:.2f}×; of which "
              f"db.open_database {s['open_ms']:.0f} ms (integrity check) and argon2 sign-in {s['auth_ms']:.0f} ms")
        print(f"  peak RSS: bare {s['bare_rss']:.0f} MB, program (main window) {s['main_rss']:.0f} MB")
        # in a fresh process so RSS is this database's alone
        out = subprocess.run([sys.executable, __file__, "--child", "--db", str(path)], capture_output=True,
                             text=True, cwd=ROOT, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
        if out.returncode:
            print(out.stderr)
            return 1
        r = eval(out.stdout.strip().splitlines()[-1])  # our own repr of a dict of numbers
        print(f"cases: {r['cases']}")
        print(f"case list first page: query {r['first_page_query_ms']:.1f} ms, page built and painted "
              f"{r['first_page_shown_ms']:.1f} ms (goal ≤ 100 ms)")
        print(f"search keystroke → repainted list: p50 {r['keystroke_p50_ms']:.1f} ms, p95 {r['keystroke_p95_ms']:.1f} ms"
              f" over {r['keystrokes']} keystrokes (goal p95 ≤ 50 ms)")
        print(f"fetchMore (256 rows): {r['fetch_more_ms']:.1f} ms; filter change worst {r['filter_change_max_ms']:.1f} ms;"
              f" dashboard {r['dashboard_ms']:.1f} ms; rows loaded {r['loaded_rows']}")
        print(f"  slowest keystrokes (ms, text after the key): {r['slowest']}")
        print(f"peak RSS of the list process: {r['peak_rss_mb']:.0f} MB (goal ≤ 300 MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
