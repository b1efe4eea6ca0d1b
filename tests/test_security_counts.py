"""Row counts (desktop/security/counts.py): rows deleted with sqlite3 that no per-record audit entry
names — demo batches, cases merged at a hub, history events — are found by `check`, and the
program's own writes keep the counts true."""

from __future__ import annotations

import json
import sqlite3

import pytest

from desktop import backup, cases, db as dbm, demo, roster
from desktop.security import accounts, counts
from tests import records

# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


def _recorded(path) -> dict:
    conn = sqlite3.connect(path)
    try:
        return {t: json.loads(conn.execute("select value from settings where key = ?", (f"rows.{t}",)).fetchone()[0])["n"]
                for t in counts.COUNTED}
    finally:
        conn.close()


def _actual(path) -> dict:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in counts.COUNTED}
    finally:
        conn.close()


def _delete_case(path, case_id):
    """What someone with sqlite3 does to make a case vanish: the case, its derived rows and its history."""
    records.edit_file(path, *[(f"delete from {t} where case_rowid = (select rowid from cases where id = ?)", (case_id,))
                  for t in cases.DERIVED_TABLES],
          *[(f"delete from {t} where rowid = (select rowid from cases where id = ?)", (case_id,))
            for t in ("case_fts", "case_ngram")],
          ("delete from case_events where case_id = ?", (case_id,)),
          ("delete from cases where id = ?", (case_id,)))


def _write_as_admin(path):
    """The program's next write (a new case), in a handle of its own."""
    db = dbm.open_database(path)
    try:
        cases.create_case(db, records.agreed(), accounts.authenticate(db, "admin", "admin12345"))
    finally:
        db.conn.close()


@pytest.fixture
def demo_station(tmp_path, monkeypatch):
    """A demo station (demo/demo) with 30 demo cases, made in one batch; the file closed."""
    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    path = tmp_path / "demo.sqlite"
    db = records.demo_database(path, 30, seed=3)
    db.conn.close()
    return path


def test_the_counts_follow_every_write_and_a_clean_file_checks_clean(station):
    db, admin, path = station
    cases.create_case(db, records.agreed(), admin)
    case = cases.create_case(db, records.agreed(), admin)
    cases.add_followup(db, case["case_no"], {"at": "2026-11-25", "method": "phone", "note": "回访"}, admin)
    roster.add_mediator(db, {"name": "赵调解", "id_number": "110101198001010010", "phone": "13900000000"}, admin)
    demo.fill(db, 5, seed=2)
    db.conn.close()
    assert _recorded(path) == _actual(path)
    assert _actual(path)["cases"] == 7 and _actual(path)["mediators"] >= 1
    assert records.checked(path) == ([], [])


def test_a_case_deleted_from_a_demo_batch_is_found(demo_station):
    path = demo_station
    conn = sqlite3.connect(path)
    (case_id,) = conn.execute("select id from cases order by rowid desc limit 1").fetchone()
    # demo cases are audited in one batch entry: no per-record creation entry names them
    assert conn.execute("select count(*) from audit_log where record_id = ?", (case_id,)).fetchone()[0] == 0
    conn.close()
    before = _recorded(demo_station)
    _delete_case(path, case_id)
    problems, _ = records.checked(path, "demo", "demo")
    assert any(p.startswith(f"案件：程序写入过 {before['cases']} 件") and "1 件在程序之外被删除" in p
               for p in problems), problems
    assert any(p.startswith("案件经过记录：") and "在程序之外被删除" in p for p in problems), problems


def test_a_deleted_history_event_is_found(station):
    db, admin, path = station
    case = cases.create_case(db, records.agreed(), admin)
    db.conn.close()
    records.edit_file(path, ("delete from case_events where id = (select id from case_events where case_id = ? limit 1)",
                 (case["id"],)))
    problems, _ = records.checked(path)
    assert any(p.startswith("案件经过记录：") and "1 条在程序之外被删除" in p for p in problems), problems


def test_lowering_the_count_by_hand_breaks_its_mac_and_deleting_it_is_named(station):
    db, admin, path = station
    cases.create_case(db, records.agreed(), admin)
    case = cases.create_case(db, records.agreed(), admin)
    db.conn.close()
    _delete_case(path, case["id"])
    conn = sqlite3.connect(path)
    state = json.loads(conn.execute("select value from settings where key = 'rows.cases'").fetchone()[0])
    conn.close()
    state["n"] = _actual(path)["cases"]
    records.edit_file(path, ("update settings set value = ? where key = 'rows.cases'", (json.dumps(state),)))
    problems, _ = records.checked(path)
    assert any(p.startswith("设置 rows.cases：校验码不符") for p in problems), problems
    # a write by the program does not bless the lowered count
    _write_as_admin(path)
    problems, _ = records.checked(path)
    assert any(p.startswith("设置 rows.cases：校验码不符") for p in problems), problems
    records.edit_file(path, ("delete from settings where key = 'rows.cases'", ()))
    problems, _ = records.checked(path)
    assert any(p.startswith("设置 rows.cases：缺失") for p in problems), problems


def test_the_newest_case_deleted_and_its_rowid_taken_by_a_new_one_is_found(station):
    """Without AUTOINCREMENT SQLite gives the next row the deleted newest row's rowid: the count
    alone would come out even again."""
    db, admin, path = station
    cases.create_case(db, records.agreed(), admin)
    newest = cases.create_case(db, records.agreed(), admin)
    db.conn.close()
    _delete_case(path, newest["id"])
    _write_as_admin(path)
    assert _actual(path)["cases"] == 2
    problems, _ = records.checked(path)
    assert any(p.startswith("案件：程序最后记下的一件已不在原处") for p in problems), problems


def test_the_counting_lives_in_the_program_not_in_the_file(station):
    """Nothing of it is in the file for sqlite3 to see or switch off; a row written from outside is
    counted at the program's next commit, and is named by its own missing MAC."""
    db, admin, path = station
    cases.create_case(db, records.agreed(), admin)
    db.conn.close()
    conn = sqlite3.connect(path)
    assert conn.execute("select count(*) from sqlite_master where type = 'trigger' and name like 'md_rows_%'"
                        ).fetchone()[0] == 0
    conn.execute("insert into case_events (id, station, created_at, updated_at, rev, deleted, case_id, at, actor, action)"
                 " select 'forged', station, created_at, updated_at, rev, deleted, case_id, at, actor, action"
                 " from case_events limit 1")
    conn.commit()
    conn.close()
    assert _actual(path)["case_events"] == _recorded(path)["case_events"] + 1
    problems, _ = records.checked(path)
    assert not any("在程序之外被删除" in p for p in problems), problems
    assert any("经过记录" in p and ("未能校验" in p or "校验码不符" in p) for p in problems), problems
    _write_as_admin(path)  # the program's next write counts it
    assert _recorded(path) == _actual(path)


def test_a_handle_without_the_key_leaves_the_counts_alone(station):
    db, admin, path = station
    cases.create_case(db, records.agreed(), admin)
    accounts.create_user(db, "viewer1", "viewer12345", "viewer", actor="admin")
    db.conn.close()
    before = _recorded(path)
    db = dbm.open_database(path)
    try:
        accounts.authenticate(db, "viewer1", "viewer12345")
        db.conn.execute("insert into case_events (id, station, created_at, updated_at, rev, deleted, case_id, at,"
                        " actor, action) select 'x1', station, created_at, updated_at, rev, deleted, case_id, at,"
                        " actor, action from case_events limit 1")
        db.conn.commit()
    finally:
        db.conn.close()
    assert _recorded(path) == before  # no MAC could be written: the count is left as it was, not blessed


def test_an_older_file_starts_counting_at_the_first_sign_in_with_the_key(station):
    db, admin, path = station
    cases.create_case(db, records.agreed(), admin)
    db.conn.close()
    # as a file from before this work: no counts, no start entry (the audit log cannot lose an entry,
    # so the start entry is made absent by the file never having had one: drop both from a copy)
    conn = sqlite3.connect(path)
    conn.execute("drop trigger if exists audit_log_no_delete")
    conn.execute(f"delete from audit_log where action = '{counts.START_ACTION}'")
    conn.execute("delete from settings where key like 'rows.%'")
    conn.commit()
    conn.close()
    db = dbm.open_database(path)
    try:
        assert not counts.started(db)
        accounts.authenticate(db, "admin", "admin12345")
        assert counts.started(db)
        assert db.conn.execute("select count(*) from audit_log where action = ?",
                               (counts.START_ACTION,)).fetchone()[0] == 1
    finally:
        db.conn.close()
    assert _recorded(path) == _actual(path)


def test_a_hub_finds_a_merged_case_deleted_with_sqlite3(tmp_path, monkeypatch):
    from desktop.security import integrity
    from tests.test_sync_support import merged_hub

    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    _s, h, _u, station = merged_hub(tmp_path)
    merged = h.conn.execute("select count(*) from cases where station = ?", (station,)).fetchone()[0]
    assert merged == 12
    assert integrity.record_problems(h)[0] == []
    (case_id,) = h.conn.execute("select id from cases where station = ? limit 1", (station,)).fetchone()
    # deleted through another connection, as sqlite3 would: the handle's triggers do not fire there
    _delete_case(h.md_path, case_id)
    problems = integrity.record_problems(h)[0]
    assert any(p.startswith("案件：") and "1 件在程序之外被删除" in p for p in problems), problems


def test_after_a_restore_the_counts_still_follow_the_writes(station, tmp_path):
    db, admin, path = station
    cases.create_case(db, records.agreed(), admin)
    saved = backup.manual(db, tmp_path / "bk", path)
    cases.create_case(db, records.agreed(), admin)
    backup.restore(db, path, saved, admin)
    cases.create_case(db, records.agreed(), admin)
    db.conn.commit()
    assert _recorded(path) == _actual(path)
    assert _actual(path)["cases"] == 2
