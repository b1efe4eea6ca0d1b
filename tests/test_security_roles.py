"""Roles backed by keys; masking that cannot be reversed (issue 15 item 1).

Each test does what an attacker would: a script with the .sqlite file and a viewer's, an auditor's
or a mediator's password, using the program's own modules and plain sqlite3.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from desktop import cases, db as dbm, roster, search
from desktop.security import accounts, audit, keys, sensitive
from desktop.errors import PermissionDenied, Refused
from desktop.security import mac as record_mac
from desktop.sync import keys as sync_keys
from tests import records

ROOT = Path(__file__).resolve().parent.parent
OLD_FILE = ROOT / "tests" / "fixtures" / "security" / "pre_issue15.sqlite.gz"  # make_pre_issue15.py

# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"

PASSWORDS = {"admin": "admin12345", "med": "medi12345", "view": "view12345", "audi": "audi12345"}
MEDIATOR = {"name": "陈调解", "id_number": "330481197512010017", "phone": "13700000002",
            "address": "浙江省海宁市示范镇文苑路3号"}


def _worker():
    w = dict(records.WORKER, sex="male", birth_date="1990-03-07", bank_account="6222020200112233445")
    return w


@pytest.fixture
def filled(station):
    """A station with a mediator, a viewer and an auditor, a case, a roster entry and a signing key."""
    db, admin, path = station
    for name, role in (("med", "mediator"), ("view", "viewer"), ("audi", "auditor")):
        accounts.create_user(db, name, PASSWORDS[name], role, actor="admin")
    rec = records.registered()
    rec["workers"] = [_worker()]
    rec["agents"] = [{"for": "worker:0", "name": "钱代理", "authority": "special", "id_number": "33048119880512002X",
                      "phone": "13900000001"}]
    case = cases.create_case(db, rec, admin)
    roster.add_mediator(db, dict(MEDIATOR), admin)
    sync_keys.station_card(db)  # an administrator makes the signing key
    db.conn.execute("pragma wal_checkpoint(truncate)")
    return db, admin, path, case


def _every_wrapped_blob(path: Path):
    """Every AES-GCM box in the file that could hold a key: user_keys rows and sealed private keys."""
    con = sqlite3.connect(path)
    try:
        users = con.execute("select name, kdf, salt, nonce, wrapped from user_keys").fetchall()
        boxes = [(p, json.loads(s)) for p, s in con.execute("select purpose, sealed from sync_keys")]
        names = [r[0] for r in con.execute("select name from users")]
    finally:
        con.close()
    return users, boxes, names


def _try_password(users, names, password):
    """What the attacker tries: the password against every user_keys row, under every user's label."""
    opened = []
    for owner, kdf, salt, nonce, wrapped in users:
        derived = keys._derive(password, salt, json.loads(kdf))
        for label in set(names) | {owner}:
            try:
                opened.append(AESGCM(derived).decrypt(nonce, wrapped, f"user-key:{label}".encode()))
            except InvalidTag:
                pass
    return opened


def test_viewer_and_auditor_passwords_open_no_key(filled):
    db, _admin, path, _case = filled
    db.conn.close()
    users, boxes, names = _every_wrapped_blob(path)
    assert {u[0] for u in users} == {"admin", "med"}  # no row at all for the viewer or the auditor
    assert {p for p, _ in boxes} == {"sign"} and all(b["kek"].startswith("admin-key:") for _, b in boxes)
    for who in ("view", "audi"):
        assert _try_password(users, names, PASSWORDS[who]) == []
    # the mediator's password opens the data key, and nothing that opens the signing key
    opened = _try_password(users, names, PASSWORDS["med"])
    assert len(opened) == 1 and len(opened[0]) == 32
    data_key = opened[0]
    index_key = keys.AesCodec(data_key).index_key
    candidates = [data_key, index_key,
                  HKDF(algorithm=hashes.SHA256(), length=32, salt=b"mediation-desk/sync/kek",
                       info=b"sync keys v1").derive(index_key),
                  HKDF(algorithm=hashes.SHA256(), length=32, salt=b"mediation-desk/sync/kek",
                       info=b"sync keys v2 admin").derive(data_key)]
    for purpose, box in boxes:
        for kek in candidates:
            with pytest.raises(InvalidTag):
                AESGCM(kek).decrypt(base64.b64decode(box["nonce"]), base64.b64decode(box["ct"]),
                                    f"sync_keys:{purpose}".encode())
    # the administrator's password opens both keys: data key ‖ admin key
    opened = _try_password(users, names, PASSWORDS["admin"])
    assert len(opened) == 1 and len(opened[0]) == 64


def test_through_the_program_only_an_administrator_signs(filled):
    db, _admin, path, case = filled
    db.conn.close()
    for who in ("view", "audi", "med"):
        h = dbm.open_database(path)
        try:
            keys.login(h, who, PASSWORDS[who])
            assert keys.admin_key(h) is None
            with pytest.raises(Refused, match="管理员"):
                sync_keys.signing_key(h, create=False)
            if who == "med":
                assert keys.unlocked(h) is not None  # the data key, for the mediator's own work
            else:
                assert keys.unlocked(h) is None
                sealed = json.loads(h.conn.execute("select doc from cases").fetchone()[0])["workers"][0]["id_number"]
                with pytest.raises(Refused, match="不持有数据密钥"):
                    sensitive.reveal(h, "id_number", sealed)
        finally:
            h.conn.close()
    h = dbm.open_database(path)
    try:
        keys.login(h, "admin", PASSWORDS["admin"])
        assert sync_keys.signing_key(h, create=False).public_blob() == sync_keys.signing_public(h)[0]
        # a mediator (on this handle, after the admin) still hands out the station card: public part only
        keys.login(h, "med", PASSWORDS["med"])
        assert sync_keys.station_card(h)["public_key"] == sync_keys.signing_public(h)[0]
    finally:
        h.conn.close()


def test_viewer_browses_masked_copies(filled):
    db, _admin, path, case = filled
    db.conn.close()
    h = dbm.open_database(path)
    try:
        viewer = keys.login(h, "view", PASSWORDS["view"])
        got = cases.get_case(h, case["id"])  # the case window's call: no "locked" error
        w, a = got["workers"][0], got["agents"][0]
        assert w["id_number"] == "**************0134" and w["phone"] == "138****0000"
        assert w["address"] == "浙江省海宁市……" and w["bank_account"] == "***************3445"
        assert w["sex"] == "*" and w["birth_date"] == "****-**-**"
        assert a["id_number"] == "**************002X"
        assert cases.get_case(h, case["id"], masked=True)["workers"][0] == w
        m = roster.list_mediators(h, masked=True)[0]
        assert m["id_number"] == "**************0017" and m["sex"] == "*" and m["birth_date"] == "****-**-**"
        assert roster.get_mediator(h, m["id"])["phone"] == "137****0002"
        # search: names work; a full ID number finds nothing for a keyless user (no blind-index oracle)
        rowid = h.conn.execute("select rowid from cases where id = ?", (case["id"],)).fetchone()[0]
        assert search.match_rowids(h, "王小明") == [rowid]
        assert search.match_rowids(h, records.WORKER["id_number"]) == []
        with pytest.raises(PermissionDenied):
            cases.create_case(h, records.registered(), viewer)
    finally:
        h.conn.close()


def _digits(text: str) -> int:
    return sum(ch.isdigit() or ch == "X" for ch in text)


def test_masking_cannot_be_reversed(filled):
    """From everything a viewer can read, the ID number is one of millions: ≤ 4 characters shown,
    and no birth date or sex of a person with an ID number anywhere in the file in plaintext."""
    db, _admin, path, case = filled
    db.conn.close()
    raw = path.read_bytes() + (Path(str(path) + "-wal").read_bytes() if Path(str(path) + "-wal").exists() else b"")
    for id_number in (records.WORKER["id_number"], MEDIATOR["id_number"], "33048119880512002X"):
        birth = id_number[6:14]
        assert id_number.encode() not in raw and id_number[:14].encode() not in raw
        assert f"{birth[:4]}-{birth[4:6]}-{birth[6:]}".encode() not in raw and birth.encode() not in raw
    con = sqlite3.connect(path)
    try:
        docs = [json.loads(d) for (d,) in con.execute("select doc from cases union all select doc from mediators")]
    finally:
        con.close()
    people = [p for d in docs for g in ("workers", "agents") for p in d.get(g, [])] + [d for d in docs if "role" in d]
    assert people
    for p in people:  # every person with an ID: sex and birth date sealed too
        if p.get("id_number"):
            assert all(sensitive.is_sealed(p[k]) for k in ("id_number", "sex", "birth_date") if p.get(k))
    masked_ids = [c["id_number"] for d in docs for group in d.get("_masked", {}).values() for c in group
                  if "id_number" in c] + [d["_masked"]["id_number"] for d in docs if "role" in d]
    assert len(masked_ids) == 3
    for m in masked_ids:
        assert _digits(m) <= 4 and re.fullmatch(r"\*{14}[0-9X]{4}", m)
    # The attacker's count, even granting the region (the masked address shows its first 6
    # characters, often the county of the ID): every birth date of a working age (16–70) with the
    # visible sequence and check character. Before issue 15 (first 4 + last 4 + plaintext birth date) it was 9.
    assert _candidates(masked_ids[0], region=records.WORKER["id_number"][:6]) > 1000


def _candidates(masked: str, region: str) -> int:
    import datetime as _dt

    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    seq, check = masked[-4:-1], masked[-1]
    day, last, n = _dt.date(1956, 12, 1), _dt.date(2010, 11, 30), 0
    while day <= last:
        body = region + day.strftime("%Y%m%d") + seq
        n += "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11] == check
        day += _dt.timedelta(days=1)
    return n


def test_export_is_for_administrators(filled, tmp_path):
    from desktop.sync import export as sync_export

    db, admin, path, _case = filled
    med = accounts.User("med", "mediator", "med")
    (tmp_path / "out").mkdir()
    with pytest.raises(PermissionDenied, match="管理员登录后导出"):
        sync_export.export_bundle(db, tmp_path / "out", med)
    assert admin.can("export") and not med.can("export")
    db.conn.close()
    pw = tmp_path / "pw"
    pw.write_text(PASSWORDS["med"], encoding="utf-8")
    env = dict(os.environ, MEDIATION_DESK_HOME=str(tmp_path / "home"))
    env.pop("MEDIATION_DESK_USER", None)
    env.pop("MEDIATION_DESK_PASSWORD", None)
    r = subprocess.run([sys.executable, "-m", "desktop", "export", "--db", str(path), "--user", "med",
                        "--password-file", str(pw), "--out", str(tmp_path / "out")],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "管理员" in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_grant_per_role_and_password_changes(filled):
    db, admin, path, _case = filled
    lengths = dict(db.conn.execute("select name, length(wrapped) from user_keys"))
    assert lengths == {"admin": 80, "med": 48}  # 64 / 32 bytes of keys + the GCM tag
    accounts.create_user(db, "admin2", "admin23456", "admin", actor="admin")
    accounts.reset_password(db, admin, "view", "view54321")
    accounts.reset_password(db, admin, "med", "medi54321")
    lengths = dict(db.conn.execute("select name, length(wrapped) from user_keys"))
    assert lengths == {"admin": 80, "admin2": 80, "med": 48}
    db.conn.close()
    h = dbm.open_database(path)
    try:
        u = keys.login(h, "admin2", "admin23456")
        assert sync_keys.signing_key(h, create=False) is not None
        accounts.change_password(h, u, "admin23456", "admin2new99")
        v = keys.login(h, "view", "view54321")
        accounts.change_password(h, v, "view54321", "view99999a")  # works without any key
        assert h.conn.execute("select count(*) from user_keys where name = 'view'").fetchone()[0] == 0
    finally:
        h.conn.close()
    h = dbm.open_database(path)
    try:
        keys.login(h, "admin2", "admin2new99")
        assert keys.admin_key(h) is not None and sync_keys.signing_key(h, create=False) is not None
        keys.login(h, "med", "medi54321")
        assert keys.unlocked(h) is not None and keys.admin_key(h) is None
    finally:
        h.conn.close()


# --- a file made by the previous version --------------------------------------------------------

@pytest.fixture
def old_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    path = tmp_path / "old.sqlite"
    with gzip.open(OLD_FILE, "rb") as src, open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


def test_old_file_before_upgrade_nothing_breaks(old_file):
    h = dbm.open_database(old_file)
    try:
        # the viewer still has the old version's key row, and does not use it: masked values only
        assert h.conn.execute("select count(*) from user_keys where name = 'view'").fetchone()[0] == 1
        keys.login(h, "view", PASSWORDS["view"])
        assert keys.unlocked(h) is None
        w = cases.get_case(h, "〔2026〕海宁市示范镇劳调字第0001号")["workers"][0]
        # sealed values with no masked copy yet show a placeholder; the plaintext sex and birth date are masked
        assert w["id_number"] == sensitive.SEALED_PLACEHOLDER and w["sex"] == "*" and w["birth_date"] == "****-**-**"
        assert roster.list_mediators(h, masked=True)[0]["birth_date"] == "****-**-**"
        # a mediator signing in does not upgrade (only an administrator can re-seal the signing key)
        keys.login(h, "med", PASSWORDS["med"])
        assert keys.needs_upgrade(h)
        assert cases.get_case(h, "〔2026〕海宁市示范镇劳调字第0001号", masked=True)["workers"][0]["id_number"] \
            == "**************0134"  # masked from the revealed value while the key is unlocked
        # the mediator's sign-in gave the records their MACs (item 2); the administrator's upgrade,
        # which re-writes every case and mediator, keeps them valid
        keys.login(h, "admin", PASSWORDS["admin"])
        assert not keys.needs_upgrade(h)
        assert record_mac.verify(h) == ([], [])
    finally:
        h.conn.close()


def test_old_file_upgrades_at_first_administrator_sign_in(old_file):
    h = dbm.open_database(old_file)
    try:
        # the sign-in dialog warns of the one-time rewrite before it starts (minutes at a city hub)
        assert keys.upgrade_pending_cases(h) == h.conn.execute("select count(*) from cases").fetchone()[0] == 1
        public_before = sync_keys.signing_public(h)[0]
        keys.login(h, "admin", PASSWORDS["admin"])
        assert not keys.needs_upgrade(h)
        assert keys.upgrade_pending_cases(h) == 0
        rows = dict(h.conn.execute("select name, length(wrapped) from user_keys"))
        # the viewer's and auditor's rows are gone; admin2 keeps the data key until an admin resets
        # its password (the admin key can only be wrapped with a password we know)
        assert rows == {"admin": 80, "admin2": 48, "med": 48}
        assert record_mac.verify(h) == ([], [])  # item 2's MACs, written at the same sign-in, agree
        # what the users page and `users list` say
        assert keys.key_status(h, "admin2", "admin") == "签名密钥待管理员重置密码"
        assert keys.key_status(h, "view", "viewer").startswith("无需") and keys.key_status(h, "med", "mediator") == "已授权"
        assert sync_keys.signing_key(h, create=False).public_blob() == public_before
        entry = [e for e in audit.entries(h) if e["action"] == "key.upgrade"]
        assert entry and entry[-1]["detail"]["removed_keys"] == ["view"]  # the old version gave auditors none
        assert entry[-1]["detail"]["masked_cases"] == 1 and entry[-1]["detail"]["masked_mediators"] == 1
        case = cases.get_case(h, "〔2026〕海宁市示范镇劳调字第0001号")
        assert case["workers"][0]["id_number"] == records.WORKER["id_number"]
        assert case["workers"][0]["birth_date"] == "1990-03-07"  # still there, now sealed
    finally:
        h.conn.close()
    users, boxes, names = _every_wrapped_blob(old_file)
    assert all(b["kek"].startswith("admin-key:") for _, b in boxes)
    for who in ("view", "audi"):
        assert _try_password(users, names, PASSWORDS[who]) == []
    raw = old_file.read_bytes()
    assert b"1990-03-07" not in raw and b"1975-12-01" not in raw
    h = dbm.open_database(old_file)
    try:
        keys.login(h, "view", PASSWORDS["view"])
        w = cases.get_case(h, "〔2026〕海宁市示范镇劳调字第0001号")["workers"][0]
        assert w["id_number"] == "**************0134" and w["birth_date"] == "****-**-**"
        # the other administrator: data key yes, signing key not until a reset
        keys.login(h, "admin2", "admin23456")
        with pytest.raises(Refused, match="重置本账户的密码"):
            sync_keys.signing_key(h, create=False)
        admin = keys.login(h, "admin", PASSWORDS["admin"])
        accounts.reset_password(h, admin, "admin2", "admin2new99")
        assert keys.key_status(h, "admin2", "admin") == "已授权"
        keys.login(h, "admin2", "admin2new99")
        assert sync_keys.signing_key(h, create=False).public_blob() == public_before
    finally:
        h.conn.close()


def test_a_private_key_under_a_local_kek_is_resealed_for_administrators(tmp_path, monkeypatch):
    """A file from before encryption at rest kept its signing key under a random KEK in its own
    settings; the first administrator (who creates the data and admin keys) re-seals it at once."""
    from desktop import org

    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    path = tmp_path / "s.sqlite"
    db = dbm.open_database(path, create=True)
    org.initialize(db, {"name": "海宁市示范镇劳动人事争议调解中心", "kind": "township", "region": "330481"})
    public = sync_keys.signing_key(db).public_blob()  # no encryption yet: the local KEK
    assert db.conn.execute("select 1 from settings where key = 'sync.local_kek'").fetchone()
    accounts.create_user(db, "admin", PASSWORDS["admin"], "admin")
    assert db.conn.execute("select 1 from settings where key = 'sync.local_kek'").fetchone() is None
    box = json.loads(db.conn.execute("select sealed from sync_keys where purpose = 'sign'").fetchone()[0])
    assert box["kek"].startswith("admin-key:")
    accounts.create_user(db, "med", PASSWORDS["med"], "mediator", actor="admin")
    db.conn.close()
    h = dbm.open_database(path)
    try:
        keys.login(h, "med", PASSWORDS["med"])
        with pytest.raises(Refused, match="管理员"):
            sync_keys.signing_key(h, create=False)
        keys.login(h, "admin", PASSWORDS["admin"])
        assert sync_keys.signing_key(h, create=False).public_blob() == public
    finally:
        h.conn.close()
