"""The hub's and the station's exchange commands and the safety net (issue 15, item 7): `import` and
`export` take the one-writer lock, and `import` makes a copy to go back to before it writes."""

from __future__ import annotations

from desktop import backup, lock
from tests.test_cli import run
from tests.test_sync_support import HUB_PASSWORD, connect, make_hub, make_station


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


def test_import_and_export_take_the_writer_lock_and_import_backs_up_first(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("MEDIATION_DESK_HOME", str(home))
    env = {"MEDIATION_DESK_HOME": str(home)}
    s, a, spath = make_station(tmp_path, "s", seed=2, n=3)
    h, u, hpath = make_hub(tmp_path)
    connect(s, a, h, u)
    s.conn.close()
    h.conn.close()
    out = tmp_path / "stick"
    out.mkdir()
    pw = tmp_path / "hubpw"
    pw.write_text(HUB_PASSWORD, encoding="utf-8")
    # another writer (the desktop program) has the station open: export waits its turn
    held = lock.acquire(spath, shared_in_process=False)
    try:
        r = run("export", "--db", spath, "--out", out, env=env)
        assert r.returncode == 1 and "写入" in r.stderr, r.stderr
        assert list(out.iterdir()) == []
    finally:
        held.release()
    r = run("export", "--db", spath, "--out", out, env=env)
    assert r.returncode == 0, r.stderr
    bundle_file = next(out.glob("*.bundle"))
    hub_args = ["--db", hpath, "--user", "hadmin", "--password-file", pw]
    held = lock.acquire(hpath, shared_in_process=False)
    try:
        r = run("import", *hub_args, bundle_file, env=env)
        assert r.returncode == 1 and "写入" in r.stderr, r.stderr
    finally:
        held.release()
    before = {f for f, _label, _t in backup.auto_backups(hpath)}
    r = run("import", *hub_args, bundle_file, env=env)
    assert r.returncode == 0, r.stderr
    copies = [(f, label) for f, label, _t in backup.auto_backups(hpath) if f not in before]
    assert any(label == "pre-import" for _f, label in copies), copies


import os  # noqa: E402

import pytest  # noqa: E402

from desktop.security import audit  # noqa: E402
from desktop.sync import export, hub, keys  # noqa: E402
from tests.test_sync_support import forge, state  # noqa: E402


@pytest.fixture
def two_stations(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    s1, a1, _ = make_station(tmp_path, "s1", seed=11, n=3)
    s2, a2, _ = make_station(tmp_path, "s2", seed=12, n=3)
    h, u, _ = make_hub(tmp_path)
    connect(s1, a1, h, u)
    connect(s2, a2, h, u)
    usb = tmp_path / "usb"
    usb.mkdir()
    hub.import_bundle(h, export.export_bundle(s1, usb, a1)["path"], u)
    return {"s1": s1, "s2": s2, "a2": a2, "h": h, "u": u, "tmp": tmp_path}


def _write(w, station_db, seq, data):
    p = w["tmp"] / f"{keys.org.station_id(station_db)}-{seq:06d}.bundle"
    p.write_bytes(data)
    return p


def test_a_station_cannot_add_events_to_another_stations_case(two_stations):
    w = two_stations
    s1, s2, h = w["s1"], w["s2"], w["h"]
    victim = s1.conn.execute("select id, case_no from cases limit 1").fetchone()
    recs = export.collect(s2, full=True)
    event = next(r for r in recs if r["t"] == "case_events")
    forged = [dict(r, case_id=victim[0], action="close") if r is event else r for r in recs]
    before = state(h)
    with pytest.raises(hub.BundleRefused) as exc:
        hub.import_bundle(h, _write(w, s2, 1, forge(s2, seq=1, records=forged)), w["u"])
    assert exc.value.check == "记录" and victim[1] in exc.value.message and "自己案件" in exc.value.message
    assert state(h) == before
    # the same bundle without the forged event goes in
    hub.import_bundle(h, _write(w, s2, 1, forge(s2, seq=1, records=recs)), w["u"])


def test_a_full_bundle_cannot_jump_its_sequence_without_the_clerks_confirmation(two_stations):
    w = two_stations
    s1, h, u = w["s1"], w["h"], w["u"]
    recs = export.collect(s1, full=True)
    before = state(h)
    huge = _write(w, s1, 1_000_000_000, forge(s1, seq=1_000_000_000, records=recs,
                                              manifest_edit=lambda m: m.update(full=True)))
    with pytest.raises(hub.BundleRefused, match="--rebaseline"):
        hub.import_bundle(h, huge, u)
    with pytest.raises(hub.BundleRefused, match="超前过多"):
        hub.import_bundle(h, huge, u, rebaseline=True)
    assert state(h)[0] == before[0]
    # a moderate, confirmed re-baseline: accepted, and the stations view expects nothing before it
    seq = 40
    rebased = _write(w, s1, seq, forge(s1, seq=seq, records=recs, manifest_edit=lambda m: m.update(full=True)))
    hub.import_bundle(h, rebased, u, rebaseline=True)
    sid = keys.org.station_id(s1)
    view = next(st for st in hub.stations(h) if st["station"] == sid)
    assert view["gaps"] == []  # numbers 2…39 are not "missing": the clerk re-based the station
    assert h.conn.execute("select base_seq from sync_stations where station = ?", (sid,)).fetchone()[0] == seq - 1
    assert [e["action"] for e in audit.entries(h)][-2:] == ["station.rebaseline", "bundle.import"]


def test_only_regular_files_up_to_the_cap_are_read(two_stations):
    w = two_stations
    h, u, tmp = w["h"], w["u"], w["tmp"]
    real = next((tmp / "usb").glob("*.bundle"))
    zero = tmp / "S0000000001-000005.bundle"
    os.symlink("/dev/zero", zero)
    with pytest.raises(hub.BundleRefused, match="不是普通文件"):
        hub.import_bundle(h, zero, u)
    link = tmp / "link.bundle"
    os.symlink(real, link)  # even a link to a real bundle: the file itself must be given
    with pytest.raises(hub.BundleRefused, match="不是普通文件"):
        hub.import_bundle(h, link, u)
    with pytest.raises(hub.BundleRefused, match="不是普通文件"):
        hub.import_bundle(h, tmp, u)  # a folder
    junk = tmp / "junk.bundle"
    junk.write_bytes(os.urandom(1000) * 3000)
    with pytest.raises(hub.BundleRefused) as exc:
        hub.import_bundle(h, junk, u, max_size=2_000_000)
    assert exc.value.check == "大小"
    with pytest.raises(hub.BundleRefused) as exc:
        hub.import_bundle(h, junk, u)
    assert exc.value.check == "ZIP 结构"
