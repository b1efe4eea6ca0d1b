"""A crash during export (issue 15, item 5): a bundle appears under its final name only once the
station has recorded it, and the next export cleans up what a killed one left."""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

from desktop import db as dbm
from desktop.security import keys
from desktop.sync import export

ROOT = Path(__file__).resolve().parents[1]


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_export_kill", ROOT / "bench" / "bench_export_kill.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_exports_killed_at_random_moments_never_leave_an_unrecorded_bundle(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    result = _bench().run_rounds(3, seed=5, folder=tmp_path)
    assert result["problems"] == []
    assert result["exports_acknowledged"] > 0  # the kills landed while exports were running


def test_leftovers_of_a_killed_export_are_reconciled(tmp_path, monkeypatch):
    # the two moments a kill can hit, made by hand: before the commit (an unrecorded temporary) and
    # after it (a recorded bundle still under its temporary name, on the stick and among the kept copies)
    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    station, stick = _bench().setup(tmp_path)
    d = dbm.open_database(station, check=False)
    actor = keys.login(d, "demo", "demo")
    first = export.export_bundle(d, stick, actor)
    name1 = Path(first["path"]).name
    kept = export.kept_dir(d)
    station_id = name1.split("-")[0]
    # after the commit: the final names are missing, the temporaries hold the recorded bytes
    data = Path(first["path"]).read_bytes()
    for folder in (stick, kept):
        os.replace(folder / name1, folder / f".{name1}.99999.tmp")
    # before the commit: a partial temporary of the next number, never recorded
    unrecorded = f"{station_id}-000002.bundle"
    (stick / f".{unrecorded}.88888.tmp").write_bytes(data[:1000])
    (kept / f".{unrecorded}.88888.tmp").write_bytes(data[:1000])
    other = stick / ".S999-000001.bundle.1.tmp"  # another station's file is left alone
    other.write_bytes(b"x")
    second = export.export_bundle(d, stick, actor)
    assert second["seq"] == 2
    for folder in (stick, kept):
        assert (folder / name1).read_bytes() == data  # published: the same bytes the station recorded
        assert hashlib.sha256((folder / unrecorded).read_bytes()).hexdigest() == second["sha256"]
        assert not [f for f in folder.iterdir() if f.name.endswith(".tmp") and f != other]
    assert other.exists()
    d.conn.close()
