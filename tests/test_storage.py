"""Storage: durable pragmas, the migration chain, newer files refused, record bookkeeping."""

from __future__ import annotations

import sqlite3

import pytest

from desktop import cases, db as dbm, migrations, org
from desktop.errors import InputError, Refused
from tests import records


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


def schema(path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return sorted(conn.execute("select type, name, tbl_name, sql from sqlite_master where name not like 'sqlite_%'"))
    finally:
        conn.close()


def test_pragmas_are_durable(station):
    db, _admin, _path = station
    assert db.conn.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert db.conn.execute("pragma synchronous").fetchone()[0] == 2  # FULL
    assert db.conn.execute("pragma foreign_keys").fetchone()[0] == 1
    assert db.conn.execute("pragma busy_timeout").fetchone()[0] >= 1000


def test_new_file_runs_the_whole_chain(tmp_path):
    db = dbm.open_database(tmp_path / "a.sqlite", create=True)
    applied = [m.name for m in migrations.migrations.applied(db)]
    assert applied == migrations.MIGRATION_NAMES
    assert db.conn.execute("pragma user_version").fetchone()[0] == len(migrations.MIGRATION_NAMES)


def test_old_file_upgrades_to_exactly_a_new_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    old = tmp_path / "old.sqlite"
    import sqlite_utils

    raw = sqlite_utils.Database(old)
    # An older program knew only the first migration.
    migrations.migrations.apply(raw, stop_before=migrations.MIGRATION_NAMES[1])
    raw.conn.execute("insert into settings (key, value) values ('marker', '1')")
    raw.conn.commit()
    raw.conn.close()
    dbm.open_database(old).conn.close()
    dbm.open_database(tmp_path / "new.sqlite", create=True).conn.close()
    assert schema(old) == schema(tmp_path / "new.sqlite")
    backups = list((tmp_path / "old-backups").glob("*pre-migrate*.sqlite"))
    assert len(backups) == 1
    conn = sqlite3.connect(backups[0])
    assert conn.execute("select value from settings where key='marker'").fetchone() == ("1",)
    assert conn.execute("select count(*) from _sqlite_migrations").fetchone()[0] == 1
    conn.close()


def test_newer_file_is_refused(tmp_path):
    path = tmp_path / "newer.sqlite"
    dbm.open_database(path, create=True).conn.close()
    conn = sqlite3.connect(path)
    conn.execute("insert into _sqlite_migrations (migration_set, name, applied_at) values ('mediation_desk', 'm9999_future', '2030-01-01')")
    conn.commit()
    conn.close()
    with pytest.raises(Refused) as exc:
        dbm.open_database(path)
    assert "更新版本" in exc.value.message


def test_records_carry_uuid_revision_station_and_tombstones(station):
    db, admin, _ = station
    case = cases.create_case(db, records.registered(), admin)
    row = db.conn.execute("select id, station, rev, deleted, dirty, created_at, updated_at from cases").fetchone()
    assert row[0] == case["id"] and len(row[0]) == 36 and row[0][14] == "7"  # UUID version 7
    assert row[1] == org.station_id(db) and row[2] == 1 and row[3] == 0 and row[4] == 1
    cases.accept(db, case["id"], "2026-09-30", admin)
    assert db.conn.execute("select rev from cases").fetchone()[0] == 2
    cases.delete_case(db, case["id"], admin, "登记错误")
    rev, deleted = db.conn.execute("select rev, deleted from cases").fetchone()
    assert (rev, deleted) == (3, 1)
    assert cases.get_case(db, case["id"]) is None
    # the number is not reused
    again = cases.create_case(db, records.registered(), admin)
    assert again["case_no"] != case["case_no"]


def test_money_is_stored_exactly(station):
    db, admin, _ = station
    rec = records.registered()
    rec["claims"] = [{"text": "a", "amount": "0.10"}, {"text": "b", "amount": "0.20"}]
    case = cases.create_case(db, rec, admin)
    assert db.conn.execute("select amount_claimed_fen from cases").fetchone()[0] == 30
    assert [c["amount"] for c in case["claims"]] == ["0.10", "0.20"]
    bad = records.registered()
    bad["claims"] = [{"text": "a", "amount": 0.1}]
    with pytest.raises(InputError) as exc:
        cases.create_case(db, bad, admin)
    assert "claims[0].amount" in exc.value.messages[0]
