"""Tampering with the file is found (issue 15 item 2): record MACs, ciphertexts bound to their record
and field, and `check` naming what was changed. Each attack is the attacker's sqlite3 session on the
closed file; the check then runs signed in with the data key."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from desktop import cases, db as dbm, org, roster
from desktop.security import accounts, keys
from desktop.commands.station import run_checks
from desktop.errors import Refused
from desktop.security import mac as record_mac
from tests import records

ROOT = Path(__file__).resolve().parents[1]

# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


@pytest.fixture
def filled(station):
    """A station with two agreed cases, a viewer and a mediator on the roster; the file closed."""
    db, admin, path = station
    a = cases.create_case(db, records.agreed(), admin)
    b_rec = records.agreed()
    b_rec["workers"][0].update(name="李小红", id_number="110101199205080023")
    b = cases.create_case(db, b_rec, admin)
    accounts.create_user(db, "viewer1", "viewer12345", "viewer", actor="admin")
    roster.add_mediator(db, {"name": "赵调解", "id_number": "110101198001010010", "phone": "13900000000"}, admin)
    keys.set_idle_lock_minutes(db, 12, admin)
    db.conn.close()
    return path, a["case_no"], b["case_no"], a["id"], b["id"]


def test_a_clean_file_checks_complete_and_every_record_carries_a_mac(filled):
    path = filled[0]
    problems, notes = records.checked(path)
    assert problems == [] and notes == []
    conn = sqlite3.connect(path)
    for table in ("cases", "mediators", "users", "org"):
        assert conn.execute(f"select count(*) from {table} where mac is null").fetchone()[0] == 0, table
    assert conn.execute("select count(*) from cases where doc like '%enc1:%'").fetchone()[0] == 0
    assert conn.execute("select count(*) from cases where doc like '%enc2:%'").fetchone()[0] == 2
    conn.close()


def test_agreed_amount_changed_in_the_json_is_named(filled):
    path, no_a, _no_b, id_a, _ = filled
    conn = sqlite3.connect(path)
    doc = json.loads(conn.execute("select doc from cases where id = ?", (id_a,)).fetchone()[0])
    conn.close()
    doc["agreement"]["items"][0]["amount"] = "1.00"
    records.edit_file(path, ("update cases set doc = ? where id = ?",
                 (json.dumps(doc, ensure_ascii=False, separators=(",", ":")), id_a)))
    problems, _ = records.checked(path)
    assert any(p.startswith(f"案件 {no_a}：校验码不符") for p in problems), problems
    # the report's column still says 10000.50: named as a column that disagrees with the document
    assert any(no_a in p and "amount_agreed_fen" in p for p in problems), problems


def test_a_deleted_case_is_named(filled):
    path, _no_a, no_b, _id_a, id_b = filled
    records.edit_file(path, ("delete from case_workers where case_rowid = (select rowid from cases where id = ?)", (id_b,)),
          ("delete from cases where id = ?", (id_b,)))
    problems, _ = records.checked(path)
    assert any(p.startswith(f"案件 {no_b}：") and "被删除" in p for p in problems), problems


def test_a_viewer_made_admin_is_named_and_refused_at_sign_in(filled):
    path = filled[0]
    records.edit_file(path, ("update users set role = 'admin' where name = 'viewer1'", ()))
    problems, _ = records.checked(path)
    assert any(p.startswith("用户 viewer1：校验码不符") for p in problems), problems
    # the promoted viewer signs in: no key of their own, but the role disagrees with the audit log
    db = dbm.open_database(path)
    try:
        with pytest.raises(Refused) as exc:
            accounts.authenticate(db, "viewer1", "viewer12345")
        assert "账户记录校验不符" in exc.value.message
        # on a handle where an honest administrator's key is still unlocked, the row's MAC decides
        accounts.authenticate(db, "admin", "admin12345")
        with pytest.raises(Refused):
            accounts.authenticate(db, "viewer1", "viewer12345")
        assert keys.unlocked(db) is None  # the refused sign-in leaves no key behind
        assert db.conn.execute("select count(*) from audit_log where action = 'login.failed'"
                               " and detail like '%MAC mismatch%'").fetchone()[0] == 2
    finally:
        db.conn.close()


def test_the_mac_check_of_a_user_row(filled):
    path = filled[0]
    records.edit_file(path, ("update users set role = 'mediator' where name = 'viewer1'", ()))
    db = dbm.open_database(path)
    try:
        accounts.authenticate(db, "admin", "admin12345")
        pw_hash = db.conn.execute("select password_hash from users where name = 'viewer1'").fetchone()[0]
        with pytest.raises(record_mac.UserRowRefused):
            record_mac.check_user(db, "viewer1", pw_hash)
        record_mac.check_user(db, "admin", db.conn.execute(
            "select password_hash from users where name = 'admin'").fetchone()[0])  # the honest row passes
    finally:
        db.conn.close()


def test_an_admin_row_edited_refuses_that_admins_sign_in(filled):
    path = filled[0]
    records.edit_file(path, ("update users set display_name = '别人' where name = 'admin'", ()))
    db = dbm.open_database(path)
    try:
        with pytest.raises(Refused) as exc:
            accounts.authenticate(db, "admin", "admin12345")
        assert "账户记录校验不符" in exc.value.message
        assert getattr(db, "md_codec", None) is None or getattr(db.md_codec, "name", "") != "aes-gcm"
    finally:
        db.conn.close()


def test_id_numbers_swapped_between_two_cases_fail_to_decrypt(filled):
    path, no_a, no_b, id_a, id_b = filled
    conn = sqlite3.connect(path)
    da = json.loads(conn.execute("select doc from cases where id = ?", (id_a,)).fetchone()[0])
    db_ = json.loads(conn.execute("select doc from cases where id = ?", (id_b,)).fetchone()[0])
    conn.close()
    da["workers"][0]["id_number"], db_["workers"][0]["id_number"] = \
        db_["workers"][0]["id_number"], da["workers"][0]["id_number"]
    records.edit_file(path, ("update cases set doc = ? where id = ?", (json.dumps(da, ensure_ascii=False), id_a)),
          ("update cases set doc = ? where id = ?", (json.dumps(db_, ensure_ascii=False), id_b)))
    problems, _ = records.checked(path)
    for no in (no_a, no_b):
        assert any(p.startswith(f"案件 {no}：敏感信息无法解密") and "workers[0].id_number" in p
                   for p in problems), problems
    # reading the case is refused with a message, not a traceback
    db = dbm.open_database(path)
    try:
        accounts.authenticate(db, "admin", "admin12345")
        with pytest.raises(Refused) as exc:
            cases.get_case(db, no_a)
        assert "被篡改" in exc.value.message
    finally:
        db.conn.close()


def test_a_ciphertext_moved_between_fields_fails_to_decrypt(filled):
    path, no_a, _no_b, id_a, _ = filled
    conn = sqlite3.connect(path)
    da = json.loads(conn.execute("select doc from cases where id = ?", (id_a,)).fetchone()[0])
    conn.close()
    w = da["workers"][0]
    w["phone"] = w["id_number"]  # same kind check aside: the place differs
    records.edit_file(path, ("update cases set doc = ? where id = ?", (json.dumps(da, ensure_ascii=False), id_a)))
    problems, _ = records.checked(path)
    assert any(p.startswith(f"案件 {no_a}：敏感信息无法解密") and "phone" in p for p in problems), problems


def test_an_edited_setting_a_mediator_and_a_history_event_are_named(filled):
    path, no_a, _no_b, id_a, _ = filled
    records.edit_file(path, ("update settings set value = '240' where key = 'idle_lock_minutes'", ()),
          ("update mediators set active = 0 where name = '赵调解'", ()),
          ("update case_events set actor = 'someone' where case_id = ?", (id_a,)))
    problems, _ = records.checked(path)
    assert any(p.startswith(f"案件 {no_a} 的经过记录") and "校验码不符" in p for p in problems), problems
    assert any(p.startswith("设置 idle_lock_minutes：校验码不符") for p in problems), problems
    assert any(p.startswith("调解员 赵调解：校验码不符") for p in problems), problems


def test_a_deleted_mac_is_unverifiable_and_the_start_mark_is_required(filled):
    path, no_a, _no_b, id_a, _ = filled
    records.edit_file(path, ("update cases set mac = null where id = ?", (id_a,)),
          ("delete from settings where key = 'record_mac_since'", ()))
    problems, _ = records.checked(path)  # the sign-in does not bless the records again
    assert any("record_mac_since" in p for p in problems), problems
    conn = sqlite3.connect(path)
    assert conn.execute("select mac from cases where id = ?", (id_a,)).fetchone()[0] is None
    assert conn.execute("select count(*) from audit_log where action = 'records.mac_upgrade'").fetchone()[0] == 1
    conn.close()


def test_writes_keep_the_macs_valid(filled):
    path, no_a, _no_b, _id_a, _ = filled
    db = dbm.open_database(path)
    try:
        admin = accounts.authenticate(db, "admin", "admin12345")
        cases.add_followup(db, no_a, {"at": "2026-11-25", "method": "phone", "note": "再次回访"}, admin)
        cases.set_archived(db, no_a, True, admin)
        roster.update_mediator(db, "赵调解", {"phone": "13900000001"}, admin)
        accounts.set_active(db, admin, "viewer1", False)
        accounts.reset_password(db, admin, "viewer1", "viewer54321")
        org.set_calendar_override(db, "2026-12-31", False, "测试", admin)
        org.update_profile(db, {"abbr": "示范"}, admin)
        notes: list = []
        assert run_checks(db, notes) == [] and notes == []
    finally:
        db.conn.close()


def test_an_older_file_is_bound_and_maced_at_the_first_sign_in(filled):
    """A file from before this work: no MACs, unbound (enc1:) ciphertexts, no upgrade entry."""
    path, no_a, _no_b, id_a, _ = filled
    db = dbm.open_database(path)
    try:
        accounts.authenticate(db, "admin", "admin12345")
        # rewrite as the older version stored it: fields sealed with the kind only, no MACs
        rec = cases.reveal_record(db, json.loads(db.conn.execute(
            "select doc from cases where id = ?", (id_a,)).fetchone()[0]), id_a)
        old_doc = json.dumps(cases.seal_record(db, rec), ensure_ascii=False)
    finally:
        db.conn.close()
    assert '"enc1:' in old_doc
    conn = sqlite3.connect(path)
    conn.execute("drop trigger audit_log_no_delete")
    conn.execute("delete from audit_log where action = 'records.mac_upgrade'")
    conn.execute("update cases set doc = ? where id = ?", (old_doc, id_a))
    for t in ("cases", "mediators", "users", "org", "calendar_overrides", "settings"):
        conn.execute(f"update {t} set mac = null")
    conn.execute("delete from settings where key = 'record_mac_since'")
    conn.commit()
    conn.close()
    db = dbm.open_database(path)
    try:
        accounts.authenticate(db, "admin", "admin12345")
        assert db.conn.execute("select count(*) from cases where doc like '%enc1:%'").fetchone()[0] == 0
        assert db.conn.execute("select count(*) from cases where mac is null").fetchone()[0] == 0
        assert cases.get_case(db, no_a)["workers"][0]["id_number"] == records.WORKER["id_number"]
    finally:
        db.conn.close()


def _cli(*args, home):
    e = dict(os.environ, MEDIATION_DESK_HOME=str(home))
    e.pop("MEDIATION_DESK_USER", None)
    return subprocess.run([sys.executable, "-m", "desktop", *map(str, args)], cwd=ROOT, env=e,
                          capture_output=True, text=True, timeout=120)


def test_check_command_names_the_tampered_case_and_exits_1(filled, tmp_path):
    path, no_a, _no_b, id_a, _ = filled
    pw = tmp_path / "pw.txt"
    pw.write_text("admin12345\n", encoding="utf-8")
    r = _cli("check", "--db", path, "--user", "admin", "--password-file", pw, home=tmp_path / "home")
    assert r.returncode == 0, r.stderr
    assert "完整" in r.stderr
    records.edit_file(path, ("update cases set doc = replace(doc, '10000.50', '1.00') where id = ?", (id_a,)))
    r = _cli("check", "--db", path, "--user", "admin", "--password-file", pw, home=tmp_path / "home")
    assert r.returncode == 1
    assert f"案件 {no_a}：校验码不符" in r.stderr and "Traceback" not in r.stderr


def test_restore_refuses_a_backup_edited_with_sqlite3_naming_the_change(filled, tmp_path):
    from desktop import backup

    path, no_a, _no_b, id_a, _ = filled
    db = dbm.open_database(path)
    try:
        admin = accounts.authenticate(db, "admin", "admin12345")
        copy = backup.manual(db, tmp_path / "usb", path)
        good = backup.verify_backup(copy, keys.unlocked(db))
        assert good == [], good
        records.edit_file(copy, ("update cases set doc = replace(doc, '10000.50', '1.00') where id = ?", (id_a,)),
              ("update users set role = 'admin' where name = 'viewer1'", ()))
        before = db.conn.execute("select count(*), max(rev) from cases").fetchone()
        with pytest.raises(Refused) as exc:
            backup.restore(db, path, copy, admin)
        assert f"案件 {no_a}：校验码不符" in exc.value.message and "用户 viewer1" in exc.value.message
        assert "拒绝恢复" in exc.value.message
        assert db.conn.execute("select count(*), max(rev) from cases").fetchone() == before
    finally:
        db.conn.close()


def test_a_hub_import_stores_verifiable_macs_and_finds_an_edit(tmp_path, monkeypatch):
    from tests.test_sync_support import merged_hub

    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    _s, h, _u, station = merged_hub(tmp_path)
    # every merged case and mediator carries a MAC under the hub's own key, and they verify
    assert h.conn.execute("select count(*) from cases where station = ? and mac is null", (station,)).fetchone()[0] == 0
    assert record_mac.verify(h) == ([], [])
    case_no = h.conn.execute("select case_no from cases where station = ? limit 1", (station,)).fetchone()[0]
    h.conn.execute("update cases set doc = replace(doc, '\"facts\":\"', '\"facts\":\"x') where case_no = ?", (case_no,))
    tampered, _ = record_mac.verify(h)
    assert any(p.startswith(f"案件 {case_no}：校验码不符") for p in tampered), tampered


def test_a_write_without_the_key_leaves_the_record_unverifiable_not_blessed(filled):
    path = filled[0]
    db = dbm.open_database(path)
    try:
        # no one signed in on this handle: the account is made, its row cannot carry a MAC
        accounts.create_user(db, "viewer2", "viewer12345", "viewer", actor="admin")
        assert db.conn.execute("select mac from users where name = 'viewer2'").fetchone()[0] is None
    finally:
        db.conn.close()
    problems, _ = records.checked(path)
    assert any(p.startswith("用户 viewer2：未能校验") for p in problems), problems
    conn = sqlite3.connect(path)  # the administrator's sign-in did not fill it in
    assert conn.execute("select mac from users where name = 'viewer2'").fetchone()[0] is None
    conn.close()


def test_a_viewer_check_says_records_could_not_be_verified(filled):
    path = filled[0]
    records.edit_file(path, ("update settings set value = '240' where key = 'idle_lock_minutes'", ()))
    problems, notes = records.checked(path, "viewer1", "viewer12345")
    assert not any("idle_lock_minutes" in p for p in problems)  # a viewer holds no key: cannot tell
    assert any("没有数据密钥" in n for n in notes), notes
