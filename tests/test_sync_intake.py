"""The hub's record intake: canonical lines, the split across worker processes (same result and
same refusal as one process), and holiday overrides travelling with a station's cases."""

from __future__ import annotations

import json
import sqlite3

import pytest

from desktop import cases, db as dbm, org
from desktop.security import accounts
from desktop.sync import bundle, export, hub, intake, keys

from tests import records
from tests.test_sync_support import HUB_PASSWORD, connect, forge, make_hub, make_station, state


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    return tmp_path


def twin(h, tmp, name):
    """A second handle on an identical copy of hub h (same keys), made with the backup API."""
    path = tmp / f"{name}.sqlite"
    dst = sqlite3.connect(path)
    h.conn.backup(dst)
    dst.close()
    d = dbm.open_database(path)
    return d, accounts.authenticate(d, "hadmin", HUB_PASSWORD)


def view(h) -> dict:
    """What the hub holds, independent of rowids and of the random nonces inside sealed fields."""
    ids = [r[0] for r in h.conn.execute("select id from cases order by id")]
    # the sealed document and its MAC differ by the random nonces; what they hold is compared below
    cols = [r[1] for r in h.conn.execute("pragma table_info(cases)") if r[1] not in ("doc", "mac")]
    out = {
        "cases": h.conn.execute(f"select {', '.join(cols)} from cases order by id").fetchall(),
        "records": [cases.get_case(h, i) for i in ids],
        "events": h.conn.execute("select * from case_events order by id").fetchall(),
        "mediators": h.conn.execute("select id, station, rev, name, active from mediators order by id").fetchall(),
    }
    for table in cases.DERIVED_TABLES:
        out[table] = sorted(h.conn.execute(
            f"select c.id, d.* from {table} d join cases c on c.rowid = d.case_rowid").fetchall(), key=repr)
        out[table] = [r[:1] + r[2:] for r in out[table]]  # drop the rowid itself
    for table, col in (("case_fts", "text"), ("case_ngram", "grams")):
        out[table] = sorted(h.conn.execute(
            f"select c.id, f.{col} from {table} f join cases c on c.rowid = f.rowid").fetchall())
    return out


def station_and_twin_hubs(home, *, seed: int, n: int):
    """A station joined to a hub, an identical copy of that hub, and the station's first bundle."""
    s, a, _ = make_station(home, "s", seed=seed, n=n)
    h1, u1, _ = make_hub(home, "h1")
    connect(s, a, h1, u1)
    h2, u2 = twin(h1, home, "h2")
    usb = home / "usb"
    usb.mkdir()
    return (h1, u1), (h2, u2), export.export_bundle(s, usb, a)


def test_worker_processes_give_the_same_hub_as_one_process(home):
    (h1, u1), (h2, u2), b = station_and_twin_hubs(home, seed=3, n=60)
    r1 = hub.import_bundle(h1, b["path"], u1, parallel=False)
    r2 = hub.import_bundle(h2, b["path"], u2, parallel=True)
    assert r1["applied"] == r2["applied"] and r1["applied"]["cases"]["new"] == 60
    v1, v2 = view(h1), view(h2)
    assert v1 == v2
    assert len(v1["case_workers"]) >= 60 and len(v1["case_fts"]) == 60


def test_split_refusal_names_the_lowest_bad_line_and_writes_nothing(home):
    s, a, _ = make_station(home, "s", seed=4, n=40)
    h1, u1, _ = make_hub(home, "h1")
    connect(s, a, h1, u1)
    h2, u2 = twin(h1, home, "h2")
    recs = export.collect(s, full=True)
    case_positions = [i for i, r in enumerate(recs) if r["t"] == "cases"]
    # Cases 8 and 25 fall into different slices (interleaved): the refusal must name case 8's
    # line whichever slice is checked first, and by whichever process.
    for j in (8, 25):
        recs[case_positions[j]]["doc"]["workers"][0]["id_number"] = "110101199003070135"  # bad check digit
    data = forge(s, seq=1, records=recs)
    path = home / f"{keys.org.station_id(s)}-000001.bundle"
    path.write_bytes(data)
    messages = []
    for h, u, parallel in ((h1, u1, False), (h2, u2, True)):
        before = state(h)
        with pytest.raises(hub.BundleRefused) as exc:
            hub.import_bundle(h, path, u, parallel=parallel)
        assert exc.value.check == "记录"
        assert state(h) == before
        messages.append(str(exc.value))
    assert messages[0] == messages[1]
    assert f"第{case_positions[8] + 1}条记录" in messages[0]


def test_lines_must_be_canonical_json(home):
    s, a, _ = make_station(home, "s", seed=5, n=3)
    h, u, _ = make_hub(home)
    connect(s, a, h, u)
    recs = export.collect(s, full=True)
    case = next(r for r in recs if r["t"] == "cases")
    one = {**{t: 0 for t in bundle.SYNCED}, "cases": 1}
    before = state(h)
    spaced = json.dumps(case, ensure_ascii=False, sort_keys=True).encode()  # ", " and ": "
    with pytest.raises(hub.BundleRefused) as exc:
        hub.import_bundle(h, _write(home, s, forge(s, seq=1, plain=spaced + b"\n", counts=one)), u)
    assert "不是规范的 JSON 编码" in str(exc.value)
    nul = bundle.canonical_json(case).replace(b'"case_no":"', b'"case_no":"\\u0000', 1)
    with pytest.raises(hub.BundleRefused) as exc:
        hub.import_bundle(h, _write(home, s, forge(s, seq=1, plain=nul + b"\n", counts=one)), u)
    assert "NUL" in str(exc.value)
    escaped = bundle.canonical_json(case).replace("示".encode(), b"\\u793a", 1)  # same text, other spelling
    with pytest.raises(hub.BundleRefused) as exc:
        hub.import_bundle(h, _write(home, s, forge(s, seq=1, plain=escaped + b"\n", counts=one)), u)
    assert "不是规范的 JSON 编码" in str(exc.value)
    assert state(h) == before


def _write(tmp, s, data: bytes):
    p = tmp / f"{keys.org.station_id(s)}-000001.bundle"
    p.write_bytes(data)
    return p


def test_canonical_json_is_the_format_earlier_versions_wrote(home):
    """Bundles written before orjson (json.dumps, sorted keys, no spaces) stay importable."""
    s, _a, _ = make_station(home, "s", seed=6, n=30)
    recs = export.collect(s, full=True)
    assert len(recs) > 60
    for r in recs:
        old = json.dumps(r, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
        assert bundle.canonical_json(r) == old
        assert intake.parse_line(old, 1) == r


def test_a_stations_holiday_override_reaches_the_hub_and_its_deadlines(home):
    s, a, _ = make_station(home, "s", seed=7, n=2)
    h, u, _ = make_hub(home)
    connect(s, a, h, u)
    # Received Friday 2026-11-20: accepted by 3 working days → Wednesday 25th; a local rest day
    # on Tuesday 24th moves it to Thursday 26th — at the station and, from the bundle, at the hub.
    org.set_calendar_override(s, "2026-11-24", False, "本地调休", a)
    cases.forget_calendar(s)
    made = cases.create_case(s, records.registered(received="2026-11-20T09:00:00+08:00"), a)
    at_station = cases.get_case(s, made["id"])
    assert at_station["acceptance_due"] == "2026-11-26"
    usb = home / "usb"
    usb.mkdir()
    b = export.export_bundle(s, usb, a)
    assert b["counts"]["calendar_overrides"] == 1
    r = hub.import_bundle(h, b["path"], u)
    assert r["applied"]["calendar_overrides"]["new"] == 1
    assert h.conn.execute("select date, is_workday from sync_calendar_overrides").fetchall() == [("2026-11-24", 0)]
    row = h.conn.execute("select acceptance_due from cases where id = ?", (made["id"],)).fetchone()
    assert row == ("2026-11-26",)


def test_python_m_desktop_import_uses_workers_and_returns(home):
    """`python -m desktop import` of a bundle big enough for worker processes, in a fresh process as
    a clerk runs it: the workers start, check their share and the program exits cleanly."""
    import os
    import subprocess
    import sys

    s, a, _ = make_station(home, "s", seed=8, n=intake.PARALLEL_MIN_CASES)
    h, u, hpath = make_hub(home)
    connect(s, a, h, u)
    h.conn.close()
    usb = home / "usb"
    usb.mkdir()
    b = export.export_bundle(s, usb, a)
    pw = home / "pw"
    pw.write_text(HUB_PASSWORD)
    env = dict(os.environ, MEDIATION_DESK_HOME=str(home / "home"), QT_QPA_PLATFORM="offscreen")
    run = subprocess.run([sys.executable, "-m", "desktop", "import", "--db", str(hpath), "--user", "hadmin",
                          "--password-file", str(pw), b["path"]], capture_output=True, text=True, env=env,
                         timeout=300, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert run.returncode == 0, run.stderr
    assert "已导入" in run.stdout and f"案件 {intake.PARALLEL_MIN_CASES} 件" in run.stdout
    d = dbm.open_database(hpath)
    assert d.conn.execute("select count(*) from cases").fetchone()[0] == intake.PARALLEL_MIN_CASES


def test_a_bad_holiday_override_is_refused_before_any_case_is_checked(home):
    s, a, _ = make_station(home, "s", seed=9, n=3)
    h, u, _ = make_hub(home)
    connect(s, a, h, u)
    org.set_calendar_override(s, "2026-12-07", False, "本地调休", a)
    recs = export.collect(s, full=True)
    override = next(r for r in recs if r["t"] == "calendar_overrides")
    before = state(h)
    for bad in ({"date": "2026-02-30"}, {"date": "2026-W50-1"}, {"is_workday": 2}, {"note": "长" * 201}):
        broken = [dict(r, **bad) if r is override else r for r in recs]
        with pytest.raises(hub.BundleRefused) as exc:
            hub.import_bundle(h, _write(home, s, forge(s, seq=1, records=broken)), u)
        assert exc.value.check == "记录" and "节假日调整" in str(exc.value)
    assert state(h) == before


def test_statistics_fingerprint_mismatch_is_shown_and_kept(home):
    s, a, _ = make_station(home, "s", seed=10, n=12)
    h, u, _ = make_hub(home)
    connect(s, a, h, u)
    usb = home / "usb"
    usb.mkdir()
    b = export.export_bundle(s, usb, a)
    r = hub.import_bundle(h, b["path"], u)
    theirs, ours = h.conn.execute("select stats_fingerprint, hub_fingerprint from sync_bundles_in").fetchone()
    assert theirs is not None and ours == theirs and r["warning"] is None
    assert hub.stations(h)[0]["stats_warning"] is None
    # A station whose own figures disagree with the records it sent: warned at import and in the view.
    wrong = "0" * 64 if theirs != "0" * 64 else "1" * 64
    data = forge(s, seq=2, records=[], manifest_edit=lambda m: m.update(
        stats_fingerprint=wrong, period={"label": r["imported_at"][:7], "since": None, "until": m["created_at"]}))
    p = home / f"{keys.org.station_id(s)}-000002.bundle"
    p.write_bytes(data)
    r2 = hub.import_bundle(h, p, u)
    assert r2["warning"] and "统计指纹" in r2["warning"] and wrong in r2["warning"]
    view_ = hub.stations(h)[0]
    assert view_["last_seq"] == 2 and view_["stats_warning"] == r2["warning"]


def test_prepared_case_rows_name_every_index_column_the_case_core_computes(home):
    import datetime as dt

    from desktop.workcal import WorkCalendar

    rec, problems = cases.check_record(records.agreed(), today=dt.date(2026, 11, 21), cal=WorkCalendar())
    assert not problems
    cols = cases.index_columns(rec, cases.computed(rec, WorkCalendar(), dt.date(2026, 11, 21)))
    assert tuple(cols) == intake.INDEX_COLS
    fresh = dbm.open_database(home / "fresh.sqlite", create=True)
    assert {r[1] for r in fresh.conn.execute("pragma table_info(cases)")} == {"id", *intake.CASE_COLS}


def test_a_killed_worker_process_costs_time_not_the_import(home):
    """A worker killed from outside (task manager, out of memory): the import checks its share in
    the importing process, writes the same hub, and the next import gets a fresh worker."""
    import os
    import signal
    import time

    (h1, u1), (h2, u2), b = station_and_twin_hubs(home, seed=11, n=30)
    pool = intake._pool()
    pool.submit(int, 0).result()
    for pid in list(pool._processes):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not pool._broken and time.monotonic() < deadline:  # the executor notices the death
        time.sleep(0.05)
    assert pool._broken
    hub.import_bundle(h1, b["path"], u1, parallel=True)
    assert intake._POOL is None  # dropped; a new one starts on demand
    hub.import_bundle(h2, b["path"], u2, parallel=True)
    assert intake._POOL is not None and not intake._POOL._broken
    assert view(h1) == view(h2)


def test_a_refusal_after_parts_were_written_leaves_nothing_inside_an_outer_transaction(home):
    """The program imports a batch in one outer transaction (exchange page): a bundle refused after
    its first parts were written rolls back to its own savepoint; the next bundle still lands."""
    s1, a1, _ = make_station(home, "s1", seed=13, n=30)
    s2, a2, _ = make_station(home, "s2", seed=14, n=20)
    h, u, _ = make_hub(home)
    connect(s1, a1, h, u)
    connect(s2, a2, h, u)
    recs = export.collect(s1, full=True)
    last_case = max(i for i, r in enumerate(recs) if r["t"] == "cases")
    recs[last_case]["doc"]["workers"][0]["id_number"] = "110101199003070135"
    bad = _write(home, s1, forge(s1, seq=1, records=recs))
    usb = home / "usb"
    usb.mkdir()
    good = export.export_bundle(s2, usb, a2)["path"]
    before = state(h)
    h.conn.execute("BEGIN IMMEDIATE")
    with pytest.raises(hub.BundleRefused) as exc:
        hub.import_bundle(h, bad, u, parallel=True)  # profile, roster and events are written first
    assert exc.value.check == "记录" and f"第{last_case + 1}条记录" in str(exc.value)
    assert hub.import_bundle(h, good, u, parallel=True)["status"] == "imported"
    h.conn.execute("COMMIT")
    one = keys.org.station_id(s1)
    for table in ("cases", "case_events", "mediators", "org", "sync_bundles_in"):
        assert h.conn.execute(f"select count(*) from {table} where station = ?", (one,)).fetchone()[0] == 0
    assert h.conn.execute("select count(*) from cases").fetchone()[0] == 20
    assert state(h) != before


def test_a_record_id_cannot_move_to_another_station(home):
    """A bundle of station 2 carrying a case id the hub holds for station 1 (a copied database,
    or a forger) is refused, and station 1's case is left as it was."""
    s1, a1, _ = make_station(home, "s1", seed=15, n=5)
    s2, a2, _ = make_station(home, "s2", seed=16, n=5)
    h, u, _ = make_hub(home)
    connect(s1, a1, h, u)
    connect(s2, a2, h, u)
    usb = home / "usb"
    usb.mkdir()
    hub.import_bundle(h, export.export_bundle(s1, usb, a1)["path"], u)
    taken = next(r for r in export.collect(s1, full=True) if r["t"] == "cases")
    theirs = next(r for r in export.collect(s2, full=True) if r["t"] == "cases")
    moved = dict(theirs, id=taken["id"], rev=taken["rev"] + 1)
    before = state(h)
    with pytest.raises(hub.BundleRefused) as exc:
        hub.import_bundle(h, _write(home, s2, forge(s2, seq=1, records=[moved])), u)
    assert exc.value.check == "记录" and "数据包却标为" in str(exc.value)
    assert state(h) == before
