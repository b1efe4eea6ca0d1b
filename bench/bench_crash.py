"""Crash test: kill a writing process at random moments (SIGKILL) and check nothing acknowledged is lost.

A child process takes the writer lock and creates cases one by one through cases.create_case,
printing each case number only after its transaction committed. The parent kills it at a random
moment, then checks: every acknowledged case is present; every stored case passes check_record;
derived rows agree with the documents (workers, search index, register event, audit entry);
integrity_check is ok, the audit chain verifies, and the dead writer's lock is recovered.

    python bench/bench_crash.py --rounds 1000
The test suite runs a few rounds through `run_rounds`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def make_station(path: Path) -> None:
    from desktop import db as dbm, demo

    d = dbm.open_database(path, create=True)
    demo.create_demo_station(d, seed=1)  # demo/demo: the child unlocks cheaply; fields still sealed
    d.conn.close()


def child(path: str, seed: int) -> None:
    from desktop import cases, db as dbm, demo, lock
    from desktop.security import keys
    from desktop.clock import today

    lock.acquire(path)
    d = dbm.open_database(path)
    actor = keys.login(d, "demo", "demo")
    rng = random.Random(seed)
    t = today()
    n = 0
    while True:
        n += 1
        birth = f"19{rng.randrange(60, 99)}0{rng.randrange(1, 9)}1{rng.randrange(0, 9)}"
        import datetime as _dt

        first17 = f"330481{birth}{rng.randrange(0, 1000):03d}"
        from desktop import validate

        idn = first17 + validate.id_check_char(first17)
        workers = [{"name": f"{rng.choice(demo.SURNAMES)}{rng.choice('伟芳娜敏静')}", "id_number": idn,
                    "phone": "13" + "".join(rng.choice("0123456789") for _ in range(9))}
                   for _ in range(rng.choice((1, 1, 2, 3)))]
        received = (t - _dt.timedelta(days=rng.randrange(0, 30))).isoformat() + "T10:00:00+08:00"
        raw = {"application": {"mode": "written", "received_at": received, "applicant": "worker"},
               "workers": workers, "employer": {"name": f"示范{rng.choice(demo.EMP_WORDS)}有限公司"},
               "dispute_types": ["PAY"], "claims": [{"text": "支付工资", "amount": f"{rng.randrange(100, 99999)}.00"}],
               "facts": "x" * rng.randrange(10, 3000)}
        c = cases.create_case(d, raw, actor)
        sys.stdout.write(f"{c['case_no']}\t{idn}\n")
        sys.stdout.flush()


def check(path: Path, acknowledged: list[str], *, since_rowid: int = 0) -> list[str]:
    """Problems found (empty: all good). Rows up to since_rowid were checked in earlier rounds."""
    from desktop import cases, db as dbm, lock
    from desktop.security import audit, keys

    problems = []
    lk = lock.acquire(path, shared_in_process=False)
    lk.release()
    d = dbm.open_database(path)
    try:
        keys.login(d, "demo", "demo")
        ic = d.conn.execute("pragma integrity_check").fetchall()
        if ic != [("ok",)]:
            problems.append(f"integrity_check: {ic[:3]}")
        problems += audit.verify(d)
        stored = {r[0]: r[1] for r in d.conn.execute("select case_no, id from cases")}
        for no in acknowledged:
            if no not in stored:
                problems.append(f"acknowledged case lost: {no}")
        created = {e["record_id"] for e in audit.entries(d) if e["action"] == "case.create"}
        registered = {r[0] for r in d.conn.execute("select case_id from case_events where action = 'register'")}
        for rowid, cid, case_no, doc in d.conn.execute("select rowid, id, case_no, doc from cases where rowid > ?",
                                                        (since_rowid,)):
            rec = cases.reveal_record(d, json.loads(doc), cid)  # bound to its record (issue 15 item 2)
            _r, p = cases.check_record(rec, cal=cases.calendar_for(d))
            problems += p.messages(f"{case_no} ")
            nw = d.conn.execute("select count(*) from case_workers where case_rowid = ?", (rowid,)).fetchone()[0]
            if nw != len(rec["workers"]):
                problems.append(f"{case_no}: {nw} worker rows for {len(rec['workers'])} workers")
            if not d.conn.execute("select 1 from case_fts where rowid = ?", (rowid,)).fetchone():
                problems.append(f"{case_no}: missing from the search index")
            if cid not in created or cid not in registered:
                problems.append(f"{case_no}: no audit entry or register event")
    finally:
        d.conn.close()
    return problems


def max_rowid(path: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return conn.execute("select coalesce(max(rowid), 0) from cases").fetchone()[0]
    finally:
        conn.close()


def one_round(path: Path, rng: random.Random, *, max_delay: float = 1.5) -> tuple[int, list[str]]:
    since = max_rowid(path)
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--child", str(path),
                             "--seed", str(rng.randrange(1 << 30))],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(rng.uniform(0.05, max_delay))
    os.kill(proc.pid, signal.SIGKILL)
    out, err = proc.communicate()
    acknowledged = [line.split("\t")[0] for line in out.splitlines() if line.count("\t") == 1]
    problems = check(path, acknowledged, since_rowid=since)
    if err and "Traceback" in err:
        problems.append("child failed: " + err.strip().splitlines()[-1])
    return len(acknowledged), problems


FRESH_EVERY = 25  # a new database every N rounds keeps each round's full check (integrity, audit chain) bounded


def run_rounds(rounds: int, *, seed: int = 1, workdir: Path | None = None, max_delay: float = 1.5,
               report=None):
    rng = random.Random(seed)
    tmp = Path(workdir or tempfile.mkdtemp(prefix="crash-"))
    paths: list[Path] = []
    results = []
    for i in range(rounds):
        if i % FRESH_EVERY == 0:
            paths.append(tmp / f"crash-{i // FRESH_EVERY:03d}.sqlite")
            make_station(paths[-1])
        n, problems = one_round(paths[-1], rng, max_delay=max_delay)
        results.append((n, problems))
        if report:
            report(i + 1, results, paths)
        if problems:
            break
    return paths, results


def stored_cases(paths: list[Path]) -> int:
    import sqlite3

    total = 0
    for p in paths:
        conn = sqlite3.connect(p)
        try:
            total += conn.execute("select count(*) from cases").fetchone()[0]
        finally:
            conn.close()
    return total


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=1000)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.seed)
        return 0
    os.environ.setdefault("MEDIATION_DESK_HOME", tempfile.mkdtemp(prefix="crash-home-"))
    t0 = time.perf_counter()

    def summary(done, results, paths):
        elapsed = time.perf_counter() - t0
        total = stored_cases(paths)
        acked = sum(n for n, _ in results)
        failed = [i for i, (_n, p) in enumerate(results) if p]
        print(f"rounds: {done}  acknowledged cases: {acked}  stored cases: {total}  "
              f"(stored - acknowledged = {total - acked}: committed but killed before printing); "
              f"rounds with a lost or half-written case, or a failed check: {len(failed)}; "
              f"{elapsed:.1f} s ({elapsed / max(1, done):.2f} s per round incl. start-up and full check)", flush=True)

    def progress(done, results, paths):
        if done % 50 == 0 or results[-1][1]:
            summary(done, results, paths)

    paths, results = run_rounds(args.rounds, seed=args.seed, report=progress)
    if len(results) % 50:
        summary(len(results), results, paths)
    failed = [(i, p) for i, (_n, p) in enumerate(results) if p]
    for i, p in failed[:3]:
        print(f"round {i}: {p[:5]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
