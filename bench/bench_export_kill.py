"""Kill test for the export (issue 15, item 5): a station exporting bundles in a loop is killed
(SIGKILL on POSIX, TerminateProcess on Windows) at random moments. After every kill:

- every file under a bundle's final name (on the stick and among the kept copies) is a bundle the
  station recorded in sync_bundles_out, byte for byte (sha256): a hub can never receive a bundle
  the station does not know;
- the next export cleans what the killed one left: no hidden temporary remains, a recorded bundle
  left under its temporary name takes its final name, and numbering goes on without a gap.

    python bench/bench_export_kill.py --rounds 100
The test suite runs a few rounds through `run_rounds`.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

_CHILD = r"""
import sys
sys.path.insert(0, sys.argv[1])
from desktop import db as dbm
from desktop.security import keys
from desktop.sync import export
d = dbm.open_database(sys.argv[2], check=False)
actor = keys.login(d, "demo", "demo")
stick = sys.argv[3]
n = 0
while True:
    n += 1
    if n % 2:  # a change now and then, so bundles carry records, not only nil reports
        row = d.conn.execute("select id from cases where deleted = 0 order by random() limit 1").fetchone()
        if row:
            with d.atomic():
                d.conn.execute("update cases set dirty = 1 where id = ?", (row[0],))
    r = export.export_bundle(d, stick, actor)
    sys.stdout.write(f"{r['seq']}\n")
    sys.stdout.flush()
"""


def setup(folder: Path) -> tuple[Path, Path]:
    from desktop import db as dbm, demo
    from desktop.security import accounts
    from desktop.sync import export, hub, keys

    station = folder / "station.sqlite"
    d = dbm.open_database(station, create=True)
    actor = demo.create_demo_station(d, seed=3)
    demo.fill(d, 20, seed=3, actor=actor)
    hub_path = folder / "hub.sqlite"
    hub.hub_init(hub_path, "测试汇总", "330481", "hadmin", "hubpass123")
    h = dbm.open_database(hub_path)
    hu = accounts.authenticate(h, "hadmin", "hubpass123")
    hub.enrol(h, keys.station_card(d), hu)
    export.join(d, keys.hub_card(h), actor)
    h.conn.close()
    d.conn.close()
    stick = folder / "stick"
    stick.mkdir()
    return station, stick


def check(station: Path, stick: Path) -> list[str]:
    """Problems after a kill (empty: all good), then the next export's clean-up is checked too."""
    from desktop import db as dbm
    from desktop.security import keys
    from desktop.sync import export

    problems = []
    d = dbm.open_database(station, check=False)
    try:
        recorded = {r[0]: r[1] for r in d.conn.execute("select file_name, sha256 from sync_bundles_out")}
        kept = export.kept_dir(d)
        for folder in (stick, kept):
            for f in folder.glob("*.bundle"):
                digest = hashlib.sha256(f.read_bytes()).hexdigest()
                if f.name not in recorded:
                    problems.append(f"{folder.name}/{f.name}: a bundle the station never recorded")
                elif recorded[f.name] != digest:
                    problems.append(f"{folder.name}/{f.name}: differs from the recorded bundle")
        actor = keys.login(d, "demo", "demo")
        r = export.export_bundle(d, stick, actor)  # the next export cleans up and carries on
        seqs = [s for (s,) in d.conn.execute("select seq from sync_bundles_out order by seq")]
        if seqs != list(range(1, len(seqs) + 1)) or r["seq"] != seqs[-1]:
            problems.append(f"numbering broken: {seqs[-5:]}")
        for folder in (stick, kept):
            left = [f.name for f in folder.iterdir() if f.name.endswith(".tmp")]
            if left:
                problems.append(f"{folder.name}: temporaries left after the next export: {left}")
        for name in recorded:
            if not (kept / name).exists():
                problems.append(f"kept copy of recorded {name} missing after the next export")
    finally:
        d.conn.close()
    return problems


def run_rounds(rounds: int, *, seed: int = 1, folder: Path | None = None, min_delay: float = 0.0,
               max_delay: float = 1.0) -> dict:
    rng = random.Random(seed)
    own = folder is None
    tmp = tempfile.TemporaryDirectory() if own else None
    work = Path(tmp.name) if own else folder
    try:
        station, stick = setup(work)
        problems, exported, killed_mid = [], 0, 0
        for _ in range(rounds):
            proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(ROOT), str(station), str(stick)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            # wait for the first acknowledged export (start-up takes seconds, more on a busy machine),
            # then kill at a random moment among the next ones (about 50 ms each)
            first = proc.stdout.readline()
            time.sleep(rng.uniform(min_delay, max_delay))
            proc.kill()
            out, err = proc.communicate()
            exported += len((first + out).split())
            if any(p.name.endswith(".tmp") for p in stick.iterdir()):
                killed_mid += 1
            if err.strip() and "Traceback" in err and "KeyboardInterrupt" not in err:
                problems.append(f"child failed: {err.strip().splitlines()[-1]}")
            problems += check(station, stick)
        return {"rounds": rounds, "exports_acknowledged": exported, "killed_with_temporary_on_stick": killed_mid,
                "problems": problems}
    finally:
        if own:
            tmp.cleanup()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    start = time.perf_counter()
    r = run_rounds(args.rounds, seed=args.seed)
    print(f"{r['rounds']} kills, {r['exports_acknowledged']} exports acknowledged before the kills, "
          f"{r['killed_with_temporary_on_stick']} kills left a temporary on the stick, "
          f"{len(r['problems'])} problems, {time.perf_counter() - start:.0f} s")
    for p in r["problems"][:20]:
        print("  ", p)
    sys.exit(1 if r["problems"] else 0)


if __name__ == "__main__":
    main()
