"""The audit log against someone with the file (issue 15, item 2, audit part): deleting entries and
re-hashing the chain — which plain SHA-256 could not reveal — fails the keyed MACs."""

from __future__ import annotations

import hashlib
import json
import sqlite3

from desktop import cases, db as dbm
from desktop.security import accounts, audit
from tests import records


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


def _rehash_without(path, seq_to_delete):
    """The attacker's sqlite3 session: drop the guard triggers, delete one entry, renumber and
    re-hash every later entry, fix sqlite_sequence."""
    conn = sqlite3.connect(path)
    conn.execute("drop trigger audit_log_no_delete")
    conn.execute("drop trigger audit_log_no_update")
    conn.execute("delete from audit_log where seq = ?", (seq_to_delete,))
    rows = conn.execute("select seq, at, user, action, target, record_id, detail from audit_log"
                        " where seq > ? order by seq", (seq_to_delete,)).fetchall()
    prev = conn.execute("select hash from audit_log where seq = ?", (seq_to_delete - 1,)).fetchone()[0]
    for seq, at, user, action, target, record_id, detail in rows:
        canonical = json.dumps([prev, at, user, action, target, record_id, detail], ensure_ascii=False,
                               separators=(",", ":"))
        h = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        conn.execute("update audit_log set seq = ?, prev_hash = ?, hash = ? where seq = ?", (seq - 1, prev, h, seq))
        prev = h
    conn.execute("update sqlite_sequence set seq = seq - 1 where name = 'audit_log'")
    conn.commit()
    conn.close()


def test_deleting_and_rehashing_is_found_by_the_keyed_macs(station):
    db, admin, path = station
    for _ in range(3):
        cases.create_case(db, records.registered(), admin)
    assert audit.verify(db) == []
    victim = next(e["seq"] for e in audit.entries(db) if e["action"] == "case.create")
    db.conn.close()
    _rehash_without(path, victim)
    again = dbm.open_database(path)
    try:
        assert audit.verify(again) == []  # the plain chain is whole again: what the attack achieved before
        accounts.authenticate(again, "admin", "admin12345")  # signed in with the data key
        problems = audit.verify(again)
        assert any("密钥校验不符" in p for p in problems), problems
    finally:
        again.conn.close()


def test_stripping_the_macs_or_their_start_mark_is_found(station):
    db, admin, path = station
    cases.create_case(db, records.registered(), admin)
    db.conn.close()
    conn = sqlite3.connect(path)
    conn.execute("drop trigger audit_log_no_update")
    conn.execute("update audit_log set mac = null")
    conn.commit()
    conn.close()
    again = dbm.open_database(path)
    try:
        accounts.authenticate(again, "admin", "admin12345")
        assert any("缺少密钥校验" in p for p in audit.verify(again))
        with again.atomic():
            again.conn.execute("delete from settings where key = 'audit_mac_since'")
        assert any("起点缺失" in p for p in audit.verify(again))
    finally:
        again.conn.close()


def test_an_older_file_gets_the_mac_column_and_verifies(station):
    db, admin, path = station
    cases.create_case(db, records.registered(), admin)
    db.conn.close()
    conn = sqlite3.connect(path)  # as written by the previous version: no mac column, no mark
    conn.execute("alter table audit_log drop column mac")
    conn.execute("delete from settings where key = 'audit_mac_since'")
    conn.commit()
    conn.close()
    again = dbm.open_database(path)
    try:
        accounts.authenticate(again, "admin", "admin12345")
        cases.create_case(again, records.registered(), admin)
        assert audit.verify(again) == []
        last = again.conn.execute("select mac from audit_log order by seq desc limit 1").fetchone()[0]
        assert last is not None
    finally:
        again.conn.close()


def test_a_log_cut_after_an_export_is_reported_by_check_and_at_the_hub(tmp_path, monkeypatch):
    from desktop.commands.station import run_checks
    from desktop.sync import export, hub
    from tests.test_sync_support import connect, make_hub, make_station

    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    s, a, spath = make_station(tmp_path, "s", seed=6, n=2)
    h, u, _ = make_hub(tmp_path)
    connect(s, a, h, u)
    usb = tmp_path / "usb"
    usb.mkdir()
    first = export.export_bundle(s, usb, a)
    assert hub.import_bundle(h, first["path"], u)["warning"] is None
    assert export.checkpoint_problems(s) == []
    s.conn.close()
    conn = sqlite3.connect(spath)  # the attacker cuts the log's tail and fixes sqlite_sequence
    conn.execute("drop trigger audit_log_no_delete")
    keep = conn.execute("select max(seq) from audit_log").fetchone()[0] - 12
    conn.execute("delete from audit_log where seq > ?", (keep,))
    conn.execute("update sqlite_sequence set seq = ? where name = 'audit_log'", (keep,))
    conn.commit()
    conn.close()
    s = dbm.open_database(spath)
    a = accounts.authenticate(s, "demo", "demo")
    problems = run_checks(s)
    assert any("截断" in p for p in problems), problems
    second = export.export_bundle(s, usb, a)
    r = hub.import_bundle(h, second["path"], u)
    assert "审计日志比上一个数据包时更短" in (r["warning"] or "")
    assert [e["action"] for e in audit.entries(h)][-1] == "bundle.audit_rewound"
    s.conn.close()
