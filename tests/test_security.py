"""Accounts, roles, encryption at rest, audit chain, backups, writer lock, storage guards (issue 7)."""

from __future__ import annotations

import datetime as _dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from desktop import backup, cases, clock, db as dbm, demo, lock, org
from desktop.security import accounts, audit, keys, sensitive
from desktop.errors import InputError, PermissionDenied, Refused
from tests import records

ROOT = Path(__file__).resolve().parent.parent


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


def run(*args, env=None):
    e = dict(os.environ, **(env or {}))
    e.pop("MEDIATION_DESK_USER", None)
    e.pop("MEDIATION_DESK_PASSWORD", None)
    return subprocess.run([sys.executable, "-m", "desktop", *map(str, args)], cwd=ROOT, env=e,
                          capture_output=True, text=True, timeout=120)


def reopen(path):
    return dbm.open_database(path)


# --- accounts and roles -------------------------------------------------------------------------

def test_password_rules_and_no_default_password(station):
    db, admin, _ = station
    for bad in ("short1", "allletters", "12345678", ""):
        with pytest.raises(InputError):
            accounts.create_user(db, "u1", bad, "mediator", actor="admin")
    with pytest.raises(InputError):  # the demo shortcut only exists on demo databases
        accounts.create_user(db, "demo", "demo", "admin", demo=True)
    accounts.create_user(db, "u1", "abcd1234", "mediator", actor="admin")
    assert [u["name"] for u in accounts.list_users(db)] == ["admin", "u1"]


def test_lockout_after_five_failures(station):
    db, admin, _ = station
    for _ in range(4):
        with pytest.raises(Refused):
            accounts.authenticate(db, "admin", "wrong1234")
    with pytest.raises(Refused, match="锁定"):
        accounts.authenticate(db, "admin", "wrong1234")
    with pytest.raises(Refused, match="锁定"):  # even the right password is refused while locked
        accounts.authenticate(db, "admin", "admin12345")
    failed = [e for e in audit.entries(db) if e["action"] == "login.failed"]
    assert len(failed) == 6 and failed[-1]["detail"]["reason"] == "locked"
    with db.atomic():  # 15 minutes later
        past = (clock.now_datetime() - _dt.timedelta(seconds=1)).isoformat()
        db.conn.execute("update users set locked_until = ? where name = 'admin'", (past,))
    assert accounts.authenticate(db, "admin", "admin12345").role == "admin"


def test_idle_lock_setting_and_reauthentication(station):
    db, admin, _ = station
    assert keys.idle_lock_minutes(db) == 10
    keys.set_idle_lock_minutes(db, 5, admin)
    assert keys.idle_lock_minutes(db) == 5
    with pytest.raises(InputError):
        keys.set_idle_lock_minutes(db, 0, admin)
    viewer = accounts.create_user(db, "v", "view12345", "viewer", actor="admin")
    with pytest.raises(PermissionDenied):
        keys.set_idle_lock_minutes(db, 3, viewer)
    c = cases.create_case(db, records.registered(), admin)
    keys.lock(db)  # the program locks after idle minutes: the key is gone
    with pytest.raises(Refused):
        cases.get_case(db, c["id"])
    with pytest.raises(Refused):
        keys.reauthenticate(db, admin, "wrong1234")
    keys.reauthenticate(db, admin, "admin12345")
    assert cases.get_case(db, c["id"])["workers"][0]["id_number"] == records.WORKER["id_number"]


def test_each_role_through_the_core(station):
    db, admin, _ = station
    c = cases.create_case(db, records.registered(), admin)
    med = accounts.create_user(db, "m", "medi12345", "mediator", actor="admin")
    viewer = accounts.create_user(db, "v", "view12345", "viewer", actor="admin")
    auditor = accounts.create_user(db, "a", "audi12345", "auditor", actor="admin")
    cases.accept(db, c["id"], "2026-09-30", med)
    for user in (viewer, auditor):
        with pytest.raises(PermissionDenied):
            cases.create_case(db, records.registered(), user)
        with pytest.raises(PermissionDenied):
            cases.import_records(db, [records.registered()], user)
        with pytest.raises(PermissionDenied):
            org.update_profile(db, {"phone": "0573-1"}, user)
        with pytest.raises(PermissionDenied):
            accounts.reset_password(db, user, "m", "newpass123")
    with pytest.raises(PermissionDenied):
        accounts.reset_password(db, med, "v", "newpass123")
    assert viewer.can("read") and not viewer.can("unmask") and not auditor.can("read")
    assert auditor.can("audit") and not med.can("audit")
    # neither the auditor nor the viewer holds a key (issue 15: a viewer reads stored masked copies)
    by_name = {u["name"]: u for u in accounts.list_users(db)}
    assert by_name["a"]["has_key"] is False and by_name["v"]["has_key"] is False
    assert by_name["m"]["has_key"] is True and by_name["admin"]["has_key"] is True


def test_roles_through_the_command_line(tmp_path):
    pw = tmp_path / "pw"
    pw.write_text("secret123\n", encoding="utf-8")
    dbf = tmp_path / "s.sqlite"
    env = {"MEDIATION_DESK_HOME": str(tmp_path / "home")}
    assert run("init", "--db", dbf, "--org-name", "测试镇劳动人事争议调解中心", "--org-kind", "township",
               "--region", "330481", "--admin", "admin", "--password-file", pw, env=env).returncode == 0
    other = tmp_path / "o"
    other.write_text("other1234", encoding="utf-8")
    adm = ["--db", dbf, "--user", "admin", "--password-file", pw]
    for name, role in (("v", "viewer"), ("a", "auditor")):
        r = run("users", *adm, "add", name, "--role", role, "--new-password-file", other, env=env)
        assert r.returncode == 0, r.stderr
    f = tmp_path / "in.jsonl"
    f.write_text(json.dumps(records.registered(), ensure_ascii=False) + "\n", encoding="utf-8")
    as_v = ["--db", dbf, "--user", "v", "--password-file", other]
    as_a = ["--db", dbf, "--user", "a", "--password-file", other]
    r = run("import-cases", *as_v, f, env=env)
    assert r.returncode == 1 and "无权" in r.stderr
    assert run("import-cases", *adm, f, env=env).returncode == 0
    r = run("cases", *as_v, "--json", env=env)
    assert r.returncode == 0 and "**************0134" in r.stdout and records.WORKER["id_number"] not in r.stdout  # masked
    assert run("cases", *as_a, env=env).returncode == 1
    assert run("users", *as_v, "list", env=env).returncode == 1
    r = run("audit", *as_a, "--json", "--verify", env=env)
    assert r.returncode == 0, r.stderr
    actions = [json.loads(line)["action"] for line in r.stdout.splitlines()]
    assert "case.import" in actions and "login.failed" not in actions[:3]
    assert run("audit", *as_v, "--json", env=env).returncode == 1
    bad = tmp_path / "bad"
    bad.write_text("nope", encoding="utf-8")
    assert run("cases", "--db", dbf, "--user", "v", "--password-file", bad, env=env).returncode == 1
    # own password change works for every role and re-wraps the key
    new = tmp_path / "new"
    new.write_text("fresh5678", encoding="utf-8")
    assert run("users", *as_v, "passwd", "--new-password-file", new, env=env).returncode == 0
    r = run("cases", "--db", dbf, "--user", "v", "--password-file", new, "--json", env=env)
    assert r.returncode == 0 and r.stdout.count("\n") == 1


# --- encryption at rest -------------------------------------------------------------------------

def test_fields_sealed_and_keys_wrapped_per_user(station):
    db, admin, path = station
    c = cases.create_case(db, records.registered(), admin)
    doc = db.conn.execute("select doc from cases where id = ?", (c["id"],)).fetchone()[0]
    w = json.loads(doc)["workers"][0]
    assert w["id_number"].startswith("enc2:") and w["phone"].startswith("enc2:") and w["address"].startswith("enc2:")
    assert records.WORKER["id_number"] not in doc
    assert org.get_setting(db, "blind_index_key") is None  # derived from the data key now
    accounts.create_user(db, "m", "medi12345", "mediator", actor="admin")
    accounts.reset_password(db, admin, "m", "other1234")
    db.conn.close()
    # A fresh handle reveals nothing until someone logs in
    db2 = reopen(path)
    with pytest.raises(Refused):
        cases.get_case(db2, c["id"])
    with pytest.raises(Refused):
        cases.create_case(db2, records.registered(), admin)
    keys.login(db2, "m", "other1234")
    got = cases.get_case(db2, c["id"])
    assert got["workers"][0]["id_number"] == records.WORKER["id_number"]
    # exact search by full ID number goes through the blind index, no plaintext in the trigram index
    from desktop import search

    assert search.match_rowids(db2, records.WORKER["id_number"])
    fts = " ".join(r[0] for r in db2.conn.execute("select text from case_fts"))
    assert records.WORKER["id_number"] not in fts and "王小明" in fts
    # a tampered ciphertext is detected, not silently returned
    sealed = json.loads(db2.conn.execute("select doc from cases where id = ?", (c["id"],)).fetchone()[0])
    tok = sealed["workers"][0]["id_number"]
    flipped = tok[:-3] + ("A" if tok[-3] != "A" else "B") + tok[-2:]
    with pytest.raises(Refused, match="篡改"):
        db2.md_codec.reveal("id_number", flipped)
    db2.conn.close()


def test_audit_masks_id_numbers_in_details(station):
    db, admin, _ = station
    with db.atomic():
        audit.log(db, "admin", "unmask", detail={"search": "找110101199003070134的案件", "n": [{"q": "11010119900307013"}]})
    e = list(audit.entries(db))[-1]
    assert "110101199003070134" not in json.dumps(e, ensure_ascii=False)
    assert "**************0134" in e["detail"]["search"]  # the last four only (issue 15)
    assert not audit.verify(db)


def test_no_plaintext_id_number_in_any_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    env = {"MEDIATION_DESK_HOME": str(tmp_path / "home")}
    dbf = tmp_path / "demo.sqlite"
    r = run("demo", "--db", dbf, "--cases", "100", "--seed", "7", env=env)
    assert r.returncode == 0, r.stderr
    r = run("cases", "--db", dbf, "--search", "王", "--json", env=env)  # a session: daily backup, unmask audit
    assert r.returncode == 0
    assert run("backup", "--db", dbf, "--out", tmp_path / "usb", env=env).returncode == 0
    d = reopen(dbf)  # a demo database opens unlocked with its public login
    actor = keys.login(d, "demo", "demo")
    demo.fill(d, 60, seed=8, actor=actor)  # written while we look: the WAL holds these pages
    c = cases.create_case(d, records.agreed(), actor)
    cases.update_case(d, c["id"], {"facts": "补充事实"}, actor)
    ids = set()
    for (cid,) in d.conn.execute("select id from cases"):
        got = cases.get_case(d, cid)
        ids |= {p["id_number"] for p in got["workers"] + got.get("agents", []) if p.get("id_number")}
    from desktop import roster

    ids |= {m["id_number"] for m in roster.list_mediators(d) if m.get("id_number")}
    phones = {w["phone"] for (cid,) in d.conn.execute("select id from cases limit 50")
              for w in cases.get_case(d, cid)["workers"] if w.get("phone")}
    assert len(ids) > 160 and records.WORKER["id_number"] in ids

    def scan():
        files = [p for p in tmp_path.rglob("*") if p.is_file()]
        for p in files:
            data = p.read_bytes()
            leaked = [i for i in ids | phones if i.encode() in data]
            assert not leaked, f"{p.name}: {leaked[:3]}"
        return files

    files = scan()
    assert any(p.name.endswith("-wal") and p.stat().st_size > 100_000 for p in files)
    assert any(p.parent.name == "usb" for p in files) and any(p.parent.name.endswith("-backups") for p in files)
    d.conn.close()
    scan()


def test_legacy_plaintext_file_is_sealed_at_first_admin_login(station):
    db, admin, path = station
    c = cases.create_case(db, records.registered(), admin)
    # Make the file look like one written before encryption: plaintext doc, no key rows.
    rec = json.loads(db.conn.execute("select doc from cases").fetchone()[0])
    rec = db.md_codec and cases._reveal(db, rec, c["id"])
    with db.atomic():
        db.conn.execute("update cases set doc = ?", (json.dumps(rec, ensure_ascii=False),))
        db.conn.execute("delete from user_keys")
        db.conn.execute("delete from settings where key = 'encryption'")
        # nor record MACs (issue 15 item 2): none stored, no upgrade done
        for t in ("cases", "mediators", "users", "org", "calendar_overrides", "settings"):
            db.conn.execute(f"update {t} set mac = null")
        db.conn.execute("delete from settings where key = 'record_mac_since'")
        db.conn.execute("drop trigger audit_log_no_delete")
        db.conn.execute("delete from audit_log where action = 'records.mac_upgrade'")
    db.conn.close()
    db2 = reopen(path)
    assert not keys.is_enabled(db2)
    keys.login(db2, "admin", "admin12345")
    doc = db2.conn.execute("select doc from cases").fetchone()[0]
    assert records.WORKER["id_number"] not in doc and keys.is_enabled(db2)
    assert cases.get_case(db2, c["id"])["workers"][0]["id_number"] == records.WORKER["id_number"]
    assert "key.setup" in [e["action"] for e in audit.entries(db2)]
    assert '"enc2:' in doc and '"enc1:' not in doc  # bound to its record at the same sign-in
    db2.conn.close()


# --- audit chain --------------------------------------------------------------------------------

def test_audit_log_is_append_only_and_tampering_is_detected(station):
    db, admin, path = station
    for i in range(3):
        cases.create_case(db, records.registered(f"2026-09-2{i}T10:00:00+08:00"), admin)
    assert audit.verify(db) == []
    with pytest.raises(sqlite3.DatabaseError, match="只能追加"):
        db.conn.execute("update audit_log set user = 'x' where seq = 2")
    with pytest.raises(sqlite3.DatabaseError, match="只能追加"):
        db.conn.execute("delete from audit_log where seq = 2")
    db.conn.close()

    def attack(sql):
        raw = sqlite3.connect(path)
        raw.execute("drop trigger if exists audit_log_no_update")
        raw.execute("drop trigger if exists audit_log_no_delete")
        raw.execute(sql)
        raw.commit()
        raw.close()
        d = reopen(path)  # the triggers come back at the next open
        assert d.conn.execute("select count(*) from sqlite_master where name like 'audit_log_no_%'").fetchone()[0] == 2
        problems = audit.verify(d)
        d.conn.close()
        return problems

    base = path.with_name("base.sqlite")
    backup.snapshot(path, base)
    for sql in ("update audit_log set detail = '{}' where seq = 3",
                "update audit_log set user = 'mallory' where seq = 2",
                "delete from audit_log where seq = 4",
                "delete from audit_log where seq = (select max(seq) from audit_log)"):
        import shutil

        shutil.copy(base, path)
        for suffix in ("-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        problems = attack(sql)
        assert problems, sql
    shutil.copy(base, path)
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    d = reopen(path)
    assert audit.verify(d) == []
    d.conn.close()


# --- backups ------------------------------------------------------------------------------------

def test_backup_rotation_keeps_7_daily_4_weekly_12_monthly(station):
    db, admin, path = station
    start = _dt.datetime(2025, 1, 1, 9, 0)
    for day in range(400):
        folder = Path(path).parent / (Path(path).stem + "-backups")
        folder.mkdir(exist_ok=True)
        t = start + _dt.timedelta(days=day)
        (folder / f"{Path(path).stem}-daily-{t.strftime('%Y%m%d-%H%M%S-%f')}.sqlite").write_bytes(b"x")
    for i in range(15):
        backup.auto_backup(db, path, "pre-import", when=start + _dt.timedelta(days=399, minutes=i))
    kept = backup.auto_backups(path)
    daily = [t for _f, label, t in kept if label == "daily"]
    assert len([t for _f, label, t in kept if label == "pre-import"]) == backup.KEEP_PRE
    last = start + _dt.timedelta(days=399)
    assert sum(1 for t in daily if (last - t).days < 7) == 7
    months = {(t.year, t.month) for t in daily}
    assert len(months) == 12 and len(daily) <= 7 + 4 + 12
    assert backup.daily(db, path, when=last + _dt.timedelta(hours=1)) is None  # already one today
    assert backup.daily(db, path, when=last + _dt.timedelta(days=1)) is not None


def test_backup_and_restore_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    dbf = tmp_path / "s.sqlite"
    r = run("demo", "--db", dbf, "--cases", "30", "--seed", "2")
    assert r.returncode == 0
    r = run("backup", "--db", dbf, "--out", tmp_path / "usb")
    assert r.returncode == 0, r.stderr
    saved = Path(r.stdout.strip())
    assert saved.parent == tmp_path / "usb" and not list((tmp_path / "usb").glob(".*tmp"))
    before = backup.describe(saved)
    assert before["cases"] == 30 and before["org"] and before["latest_case"]["case_no"]
    r = run("demo", "--db", dbf, "--cases", "5", "--seed", "3")  # more work after the backup
    assert backup.describe(dbf)["cases"] == 35
    r = run("restore", "--db", dbf, "--from", saved)  # not confirmed: shows, changes nothing
    assert r.returncode == 1 and "案件 30 件" in r.stdout and "--yes" in r.stderr
    assert backup.describe(dbf)["cases"] == 35
    r = run("restore", "--db", dbf, "--from", saved, "--yes")
    assert r.returncode == 0, r.stderr
    assert backup.describe(dbf)["cases"] == 30
    pre = [f for f, label, _t in backup.auto_backups(dbf) if label == "pre-restore"]
    assert len(pre) == 1 and backup.describe(pre[0])["cases"] == 35
    d = reopen(dbf)
    assert d.conn.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert audit.verify(d) == [] and list(audit.entries(d))[-1]["action"] == "backup.restore"
    some = d.conn.execute("select id from cases limit 1").fetchone()[0]
    assert cases.get_case(d, some)["workers"][0]["id_number"]
    d.conn.close()
    bogus = tmp_path / "bogus.sqlite"
    bogus.write_bytes(b"not a database at all" * 100)
    r = run("restore", "--db", dbf, "--from", bogus, "--yes")
    assert r.returncode == 1 and backup.describe(dbf)["cases"] == 30


def test_migration_backup_goes_through_the_backup_module(station):
    db, admin, path = station
    target = dbm.backup_copy(db, path, "pre-migrate")
    assert target.parent == Path(path).parent / "station-backups"
    assert sqlite3.connect(target).execute("pragma integrity_check").fetchone()[0] == "ok"
    assert not Path(str(target) + "-wal").exists()


# --- one writer, crash safety guards --------------------------------------------------------------

HOLDER = """
import sys, time
from desktop import lock
lk = lock.acquire(sys.argv[1])
print("held", flush=True)
time.sleep(60)
"""


def test_writer_lock_second_instance_and_stale_recovery(station):
    db, admin, path = station
    p = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "held"
        with pytest.raises(lock.Locked, match="另一个程序") as exc:
            lock.acquire(path, shared_in_process=False)
        assert exc.value.holder["pid"] == p.pid
        assert lock.holder(path)["pid"] == p.pid
    finally:
        p.kill()
        p.wait()
        p.stdout.close()
    lk = lock.acquire(path, shared_in_process=False)  # the killed holder's lock is recovered
    assert lk.recovered and lk.recovered["pid"] == p.pid
    lk.release()
    # a lock file left by a dead process without any OS lock (e.g. copied from elsewhere)
    lock.lock_path(path).write_text(json.dumps({"pid": 999999, "host": "x", "started": "2026-01-01"}))
    lk = lock.acquire(path, shared_in_process=False)
    assert lk.recovered["pid"] == 999999 and lock.holder(path)
    lk.release()
    assert lock.holder(path) is None


def test_network_and_removable_storage_refused(tmp_path):
    mounts = ("/dev/vda / ext4 rw 0 0\n"
              "//server/share /mnt/share cifs rw 0 0\n"
              "host:/export /srv/nfs nfs4 rw 0 0\n"
              "me@h:/x /home/u/remote fuse.sshfs rw 0 0\n"
              "/dev/sdz1 /media/u/USB vfat rw 0 0\n"
              "/dev/sdy1 /run/media/u/STICK exfat rw 0 0\n")
    assert "网络" in dbm.storage_problem("/mnt/share/a/station.sqlite", mounts=mounts)
    assert "网络" in dbm.storage_problem("/srv/nfs/station.sqlite", mounts=mounts)
    assert "网络" in dbm.storage_problem("/home/u/remote/station.sqlite", mounts=mounts)
    assert "可移动" in dbm.storage_problem("/media/u/USB/station.sqlite", mounts=mounts)
    assert "可移动" in dbm.storage_problem("/run/media/u/STICK/s.sqlite", mounts=mounts)
    assert dbm.storage_problem("/home/u/station.sqlite", mounts=mounts) is None
    assert dbm.storage_problem(tmp_path / "s.sqlite") is None  # the real mounts of this machine


def test_pragmas_quick_check_and_corruption_refused(station):
    db, admin, path = station
    assert db.conn.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert db.conn.execute("pragma synchronous").fetchone()[0] == 2
    cases.create_case(db, records.registered(), admin)
    db.conn.execute("pragma wal_checkpoint(TRUNCATE)")
    db.conn.close()
    data = bytearray(path.read_bytes())
    size = 4096
    for page in range(2, len(data) // size):  # scribble over the middle of every page past the schema
        data[page * size + 100: page * size + 400] = b"\xff" * 300
    path.write_bytes(bytes(data))
    with pytest.raises(Refused, match="损坏|恢复"):
        dbm.open_database(path)


def test_demo_database_unlocks_itself_and_only_it(tmp_path):
    d = dbm.open_database(tmp_path / "d.sqlite", create=True)
    demo.create_demo_station(d, seed=1)
    demo.fill(d, 20, seed=1)
    d.conn.close()
    d = reopen(tmp_path / "d.sqlite")
    cid = d.conn.execute("select id from cases limit 1").fetchone()[0]
    assert len(cases.get_case(d, cid)["workers"][0]["id_number"]) == 18
    assert sensitive.codec(d).name == "aes-gcm"
    d.conn.close()
