"""Encryption at rest: one random data key per database, wrapped for each user under their password.

- Sensitive fields (ID numbers, phones, addresses, bank accounts) are sealed one by one with
  AES-256-GCM under the data key (`AesCodec`, attached to the handle as `db.md_codec`).
- The data key never touches the disk in the clear: `user_keys` holds it wrapped (AES-GCM) under a
  key derived from each user's password with argon2id (`argon2.low_level.hash_secret_raw`).
- The blind-index key (exact search by ID number) is derived from the data key with HKDF, so it is
  as safe as the data key and needs no storage of its own.
- argon2 runs once per login, never per record; sealing a field costs microseconds.

Entry points for the desktop program:
- `login(db, name, password) -> User`: authenticate AND unlock (what the login dialog calls);
- `lock(db)`: forget the key (idle lock); `reauthenticate(db, user, password)` to resume;
- `idle_lock_minutes(db)` / `set_idle_lock_minutes(db, minutes, actor)`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import sqlite3

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from desktop.errors import InputError, Refused
from desktop.clock import now
from desktop.dbtools import paged
from desktop.security import records

PREFIX = "enc1:"
PREFIX2 = "enc2:"  # bound to record and field (associated data), issue 15 item 2
_FROM_URLSAFE = str.maketrans("-_", "+/")
SCHEME = "aes-256-gcm+argon2id"
# argon2id parameters for wrapping keys: RFC 9106's second recommendation (64 MiB, t=3, p=4).
KDF_PARAMS = {"t": 3, "m": 65536, "p": 4}
# The demo login is public (demo/demo): a costly derivation would protect nothing, so keep it cheap.
DEMO_KDF_PARAMS = {"t": 1, "m": 1024, "p": 1}
IDLE_LOCK_DEFAULT = 10


class AesCodec:
    """Seals each sensitive value with AES-256-GCM under the data key.

    `enc2:` + base64url(nonce ‖ ciphertext ‖ tag), associated data = field kind + the place the
    value belongs to (`case:<id>:workers[0].id_number`): a ciphertext copied into another case or
    another field no longer decrypts, and is reported as tampering (issue 15 item 2). `enc1:` values
    (kind only as associated data) were written before that; they stay readable and are re-sealed at
    the first sign-in with the data key (desktop.security.mac.upgrade).
    """

    name = "aes-gcm"

    def __init__(self, data_key: bytes):
        if len(data_key) != 32:
            raise ValueError("data key must be 32 bytes")
        self._key = data_key
        self._aead = AESGCM(data_key)
        self.key_id = key_id(data_key)
        self.index_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                              info=b"mediation-desk blind index v1").derive(data_key)
        # the audit log's MAC key (issue 15): only a signed-in user with the data key can extend or
        # re-seal the log, so a chain rewritten with sqlite3 no longer verifies
        self.audit_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                              info=b"mediation-desk audit mac v1").derive(data_key)
        # the stored records' MAC key (cases, mediators, users, protected settings): its own label,
        # so a MAC of one kind can never stand in for another (desktop/security/mac.py)
        self.record_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                               info=b"mediation-desk record mac v1").derive(data_key)

    def seal(self, kind: str, value: str, ad: str | None = None) -> str:
        nonce = os.urandom(12)
        if ad is None:  # unbound (a caller that does not know the record yet): the old form
            ct = self._aead.encrypt(nonce, value.encode("utf-8"), kind.encode("ascii"))
            return PREFIX + base64.urlsafe_b64encode(nonce + ct).rstrip(b"=").decode("ascii")
        ct = self._aead.encrypt(nonce, value.encode("utf-8"), f"{kind}\x1f{ad}".encode("utf-8"))
        return PREFIX2 + base64.urlsafe_b64encode(nonce + ct).rstrip(b"=").decode("ascii")

    def reveal(self, kind: str, stored: str, ad: str | None = None) -> str:
        if not isinstance(stored, str):
            return stored
        if stored.startswith(PREFIX2):
            body, aad = stored[len(PREFIX2):], f"{kind}\x1f{ad}".encode("utf-8")
        elif stored.startswith(PREFIX):
            body, aad = stored[len(PREFIX):], kind.encode("ascii")
        else:
            return stored  # written before encryption was set up (converted at the first admin login)
        try:
            # binascii directly: base64.urlsafe_b64decode's Python wrappers cost more than the
            # decryption itself when a bundle reveals tens of thousands of fields
            raw = binascii.a2b_base64((body + "=" * (-len(body) % 4)).translate(_FROM_URLSAFE), strict_mode=True)
            return self._aead.decrypt(raw[:12], raw[12:], aad).decode("utf-8")
        except (InvalidTag, ValueError, binascii.Error):
            raise Refused(TAMPERED_MESSAGE + (f"（{ad}）" if ad else "")) from None


TAMPERED_MESSAGE = "敏感信息无法解密：数据已损坏或被篡改（密文被改动或从别处移来），或不属于本数据库的密钥"


LOCKED_MESSAGE = ("敏感信息已加密保存，当前没有解锁的数据密钥：请先登录；"
                  "若已登录，说明本账户尚未获得授权，请管理员重置本账户的密码")
MASKED_ONLY_MESSAGE = ("本账户（查看员或审计员）不持有数据密钥，只能查看遮蔽后的信息；"
                       "查看完整的身份证号码、电话、地址或打印文书，请由调解员或管理员登录")


class LockedCodec:
    """Attached when the database is encrypted but no key is unlocked: nothing sensitive passes."""

    name = "locked"
    message = LOCKED_MESSAGE

    def seal(self, kind: str, value: str, ad: str | None = None) -> str:
        raise Refused(self.message)

    def reveal(self, kind: str, stored: str, ad: str | None = None) -> str:
        if isinstance(stored, str) and stored.startswith((PREFIX, PREFIX2)):
            raise Refused(self.message)
        return stored


LOCKED = LockedCodec()


class MaskedOnlyCodec(LockedCodec):
    """Attached for a signed-in user whose role holds no key (viewer, auditor): records are read
    from the masked copies stored beside their sealed values; nothing sealed opens, nothing seals."""

    name = "masked"
    message = MASKED_ONLY_MESSAGE


MASKED_ONLY = MaskedOnlyCodec()

# Which roles hold which keys (issue 15): the data key opens sensitive fields; the admin key opens
# the station's private keys (bundle signing key, the hub's age identity). A viewer's or an
# auditor's password unlocks nothing: they have no row in user_keys.
KEYED_ROLES = {"admin": ("data", "admin"), "mediator": ("data",)}
ADMIN_KEY_SETTING = "admin_key"
ADMIN_KEY_MESSAGE = ("本站的签名密钥只对管理员开放：请由管理员登录后再操作"
                     "（导出数据包、制作站点卡片、汇总端导入都用到它）")
ADMIN_KEY_PENDING_MESSAGE = ("本管理员账户尚未获得管理员密钥（本数据库升级时由另一位管理员完成）："
                             "请另一位管理员在“用户管理”中重置本账户的密码，之后用新密码登录")


def key_id(data_key: bytes) -> str:
    return hashlib.sha256(b"mediation-desk key id:" + data_key).hexdigest()[:16]


def is_enabled(db) -> bool:
    if getattr(db, "md_encrypted", False):
        return True
    try:
        row = db.conn.execute("select 1 from settings where key = 'encryption'").fetchone()
    except Exception:  # a file without the settings table (not ours): nothing to protect
        return False
    if row:
        try:
            db.md_encrypted = True
        except AttributeError:
            pass
    return bool(row)


def _derive(password: str, salt: bytes, params: dict) -> bytes:
    return hash_secret_raw(password.encode("utf-8"), salt, time_cost=params["t"], memory_cost=params["m"],
                           parallelism=params["p"], hash_len=32, type=Type.ID)


def _wrap_for(db, name: str, data_key: bytes, password: str, *, demo: bool = False,
              admin_key: bytes | None = None) -> None:
    """One row per keyed user: the data key, followed for an administrator by the admin key (one
    AES-GCM box, 32 or 64 bytes of plaintext), under a key derived from the user's password."""
    params = DEMO_KDF_PARAMS if demo else KDF_PARAMS
    salt = os.urandom(16)
    nonce = os.urandom(12)
    wrapped = AESGCM(_derive(password, salt, params)).encrypt(nonce, data_key + (admin_key or b""),
                                                             f"user-key:{name}".encode())
    db.conn.execute(
        "insert into user_keys (name, kdf, salt, nonce, wrapped, key_id, updated_at) values (?,?,?,?,?,?,?)"
        " on conflict(name) do update set kdf = excluded.kdf, salt = excluded.salt, nonce = excluded.nonce,"
        " wrapped = excluded.wrapped, key_id = excluded.key_id, updated_at = excluded.updated_at",
        (name, json.dumps(dict(params, alg="argon2id")), salt, nonce, wrapped, key_id(data_key), now()))


def attach(db, data_key: bytes, admin_key: bytes | None = None) -> AesCodec:
    codec = AesCodec(data_key)
    db.md_codec = codec
    db.md_index_key = codec.index_key
    db.md_admin_key = admin_key
    db.md_encrypted = True
    return codec


def lock(db) -> None:
    """Forget the unlocked key (idle lock, logout). Reading sensitive fields then needs a login."""
    db.md_codec = LOCKED if is_enabled(db) else None
    db.md_index_key = None
    db.md_admin_key = None


def admin_key(db) -> bytes | None:
    """The unlocked admin key (an administrator is signed in on this handle), else None."""
    return getattr(db, "md_admin_key", None) if unlocked(db) is not None else None


def require_admin_key(db) -> bytes:
    """The admin key, or a Chinese refusal saying an administrator must sign in."""
    key = admin_key(db)
    if key is not None:
        return key
    if unlocked(db) is not None and getattr(db, "md_user_role", None) == "admin":
        raise Refused(ADMIN_KEY_PENDING_MESSAGE)
    raise Refused(ADMIN_KEY_MESSAGE)


def unlocked(db) -> AesCodec | None:
    c = getattr(db, "md_codec", None)
    return c if isinstance(c, AesCodec) else None


def setup(db, name: str, password: str, *, demo: bool = False) -> AesCodec:
    """Create the data key (first administrator) and wrap it for `name`. Call inside a transaction.

    A database that already holds plaintext sensitive values (made before encryption existed) has
    them sealed here, in the same transaction.
    """
    from desktop.security import settings as org
    from desktop.security import audit

    if is_enabled(db):
        raise Refused("数据密钥已存在")
    data_key = AESGCM.generate_key(bit_length=256)
    admin = AESGCM.generate_key(bit_length=256)
    _wrap_for(db, name, data_key, password, demo=demo, admin_key=admin)
    codec = attach(db, data_key, admin)
    org.set_setting(db, "encryption", {"scheme": SCHEME, "key_id": codec.key_id})
    org.set_setting(db, ADMIN_KEY_SETTING, {"key_id": key_id(admin)})
    # The old plaintext blind-index key goes: the index key is now derived from the data key.
    db.conn.execute("delete from settings where key = 'blind_index_key'")
    converted = _seal_existing(db)
    records.admin_key_ready(db)  # private keys under a local KEK (a file from before encryption): desktop.sync.keys
    audit.log(db, name, "key.setup", target="user_keys", record_id=name,
              detail={"scheme": SCHEME, "converted_cases": converted})
    return codec


def _seal_existing(db) -> int:
    """Seal plaintext values left by an older version and rebuild the derived index rows."""
    n = 0
    for rowid, doc in paged(db.conn, "cases", "doc"):
        case = records.kind("case")  # only needed when there is a case (a new station has none)
        rec = json.loads(doc)
        db.conn.execute("update cases set doc = ? where rowid = ?",
                        (json.dumps(case.seal(db, rec), ensure_ascii=False, separators=(",", ":")), rowid))
        case.rebuild(db, rowid, rec, fresh=False)
        n += 1
    for _rowid, mid, doc in paged(db.conn, "mediators", "id, doc"):
        db.conn.execute("update mediators set doc = ? where id = ?",
                        (json.dumps(records.kind("mediator").seal(db, json.loads(doc)), ensure_ascii=False), mid))
    return n


def _rewrite_masked(db) -> tuple[int, int]:
    """Re-seal every case and mediator so each carries its masked copy, and sex and birth date
    beside an ID number are sealed (files made before issue 15). Content, revision and sync state
    are unchanged: the same record, stored the new way. A row whose record MAC verified before gets
    its MAC recomputed; an unverifiable or tampered one stays so (never blessed here)."""
    from desktop.security import mac as record_mac

    counts = []
    for kind, table in (("case", "cases"), ("mediator", "mediators")):
        _t, idcol, cols = record_mac.COVER[kind]
        has_mac = "mac" in {r[1] for r in db.conn.execute(f"pragma table_info({table})")}
        mac_key = record_mac.key(db) if has_mac else None
        n = 0
        for row in paged(db.conn, table, f"id, doc, {', '.join(cols)}{', mac' if has_mac else ''}"):
            rowid, rid, doc = row[0], row[1], row[2]
            values = list(row[3:3 + len(cols)])
            owner = records.kind(kind)  # registered by desktop.cases / desktop.roster
            new_doc = json.dumps(owner.seal(db, owner.reveal(db, json.loads(doc), rid), rid), ensure_ascii=False,
                                 **({"separators": (",", ":")} if kind == "case" else {}))
            db.conn.execute(f"update {table} set doc = ? where rowid = ?", (new_doc, rowid))
            if mac_key is not None and row[-1] is not None \
                    and hmac.compare_digest(row[-1], record_mac.compute(mac_key, kind, rid, values)):
                values[cols.index("doc")] = new_doc
                db.conn.execute(f"update {table} set mac = ? where rowid = ?",
                                (record_mac.compute(mac_key, kind, rid, values), rowid))
            n += 1
        counts.append(n)
    return counts[0], counts[1]


def key_status(db, name: str, role: str) -> str:
    """What a user's password unlocks, in words (the users page and `users list`)."""
    if role not in KEYED_ROLES:
        return "无需（只看遮蔽后的信息）"
    row = db.conn.execute("select length(wrapped) from user_keys where name = ?", (name,)).fetchone()
    if row is None:
        return "待管理员重置密码"
    if role == "admin" and row[0] <= 48 and not needs_upgrade(db):  # the data key alone: 32 bytes + tag
        return "签名密钥待管理员重置密码"
    return "已授权"


def needs_upgrade(db) -> bool:
    """A file from before roles were backed by keys (issue 15): no admin key yet."""
    from desktop.security import settings as org

    return is_enabled(db) and org.get_setting(db, ADMIN_KEY_SETTING) is None


def upgrade_pending_cases(db) -> int:
    """How many cases a one-time upgrade at the next keyed sign-in will rewrite (0: none pending) —
    about 1 ms a case, so a city hub's million takes minutes and the sign-in says so beforehand."""
    from desktop.security import mac as record_mac

    try:
        pending = needs_upgrade(db) or (is_enabled(db) and not record_mac.active(db)
                                        and not record_mac.upgraded_before(db))
        return db.conn.execute("select count(*) from cases").fetchone()[0] if pending else 0
    except sqlite3.Error:  # a file the open has not checked yet: the sign-in says what is wrong
        return 0


def upgrade(db, name: str, password: str) -> dict:
    """At the first administrator sign-in on an older file, in one transaction: create the admin
    key and wrap it for this administrator; delete the viewers' and auditors' key rows; re-seal the
    station's private keys under the admin key; write masked copies for every case and mediator.
    Other administrators receive the admin key when an administrator resets their password."""
    from desktop.security import settings as org
    from desktop.security import audit

    codec = unlocked(db)
    if codec is None:
        raise Refused(LOCKED_MESSAGE)
    admin = AESGCM.generate_key(bit_length=256)
    try:
        with db.atomic():
            if org.get_setting(db, ADMIN_KEY_SETTING) is not None:  # another process was first
                return {}
            if db.conn.execute("select 1 from sync_keys where sealed like '%admin-key:%'").fetchone():
                # private keys already sealed under an admin key: the setting was removed by hand;
                # a new admin key would lock them out for good, so nothing is done
                return {}
            db.md_admin_key = admin
            _wrap_for(db, name, codec._key, password, demo=org.is_demo(db) and name == "demo", admin_key=admin)
            keyless = [r[0] for r in db.conn.execute(
                "select k.name from user_keys k left join users u on u.name = k.name"
                " where u.role is null or u.role not in ('admin', 'mediator') order by k.name")]
            db.conn.executemany("delete from user_keys where name = ?", [(n,) for n in keyless])
            resealed = records.admin_key_ready(db)
            n_cases, n_mediators = _rewrite_masked(db)
            org.set_setting(db, ADMIN_KEY_SETTING, {"key_id": key_id(admin)})
            detail = {"removed_keys": keyless, "resealed_private_keys": resealed,
                      "masked_cases": n_cases, "masked_mediators": n_mediators}
            audit.log(db, name, "key.upgrade", target="user_keys", record_id=name, detail=detail)
    except BaseException:
        db.md_admin_key = None
        raise
    return detail


def grant(db, name: str, password: str, role: str, *, demo: bool = False) -> None:
    """Wrap the unlocked keys for a user (new user, reset password). Call inside a transaction.

    An administrator gets the data key and the admin key, a mediator the data key only, a viewer or
    an auditor nothing (any old row is deleted)."""
    if role not in KEYED_ROLES:
        db.conn.execute("delete from user_keys where name = ?", (name,))
        return
    codec = unlocked(db)
    if codec is None:
        raise Refused("需要先以管理员身份登录并解锁数据密钥，才能为其他用户授权")
    _wrap_for(db, name, codec._key, password, demo=demo, admin_key=admin_key(db) if role == "admin" else None)


def unlock(db, name: str, password: str) -> bool:
    """Unwrap the data key with a user's password and attach the codec. False if the user has no key.

    The password must already have been checked (accounts.authenticate does both).
    """
    if not is_enabled(db):
        return False
    row = db.conn.execute("select kdf, salt, nonce, wrapped from user_keys where name = ?", (name,)).fetchone()
    if row is None:
        return False
    params = json.loads(row[0])
    try:
        opened = AESGCM(_derive(password, row[1], params)).decrypt(row[2], row[3], f"user-key:{name}".encode())
    except InvalidTag:
        raise Refused(f"用户 {name} 的数据密钥无法解开（密钥记录与密码不符），请管理员重置该用户的密码") from None
    attach(db, opened[:32], opened[32:64] or None)
    return True


def on_login(db, name: str, password: str, role: str) -> None:
    """After a successful password check: unlock, or on a file without a data key, create it (admin)."""
    db.md_user_role = role
    if is_enabled(db):
        if role not in KEYED_ROLES:
            # a viewer or auditor holds no key, even where an older version left one: masked copies only
            lock(db)
            db.md_codec = MASKED_ONLY
            return
        if not unlock(db, name, password):
            lock(db)
        elif role == "admin" and needs_upgrade(db):
            try:
                upgrade(db, name, password)
            except sqlite3.OperationalError:
                pass  # a read-only or full file: the upgrade waits for the next administrator sign-in
        return
    if role == "admin":
        from desktop.security import settings as org

        with db.atomic():
            setup(db, name, password, demo=org.is_demo(db) and name == "demo")


def rewrap(db, name: str, password: str) -> None:
    """Re-wrap the unlocked key under a user's new password (own password change)."""
    if not is_enabled(db):
        return
    if db.conn.execute("select 1 from user_keys where name = ?", (name,)).fetchone() is None:
        return
    role = (db.conn.execute("select role from users where name = ?", (name,)).fetchone() or (None,))[0]
    if role not in KEYED_ROLES:  # a row an older version left: nothing to keep
        db.conn.execute("delete from user_keys where name = ?", (name,))
        return
    codec = unlocked(db)
    if codec is None:
        raise Refused("数据密钥未解锁，无法更改密码")
    _wrap_for(db, name, codec._key, password, admin_key=admin_key(db) if role == "admin" else None)


def login(db, name: str, password: str):
    """Authenticate AND unlock the data key: what the login dialog and the command line call."""
    from desktop.security import accounts

    return accounts.authenticate(db, name, password)


def reauthenticate(db, user, password: str):
    """After an idle lock: the same user types the password again (failures count towards lockout)."""
    from desktop.security import accounts

    again = accounts.authenticate(db, user.name, password)
    return again


def auto_unlock_demo(db) -> bool:
    """A demo database opens unlocked with its documented login (demo/demo); no other database does."""
    from desktop.security import settings as org

    try:
        if not is_enabled(db) or not org.is_demo(db) or unlocked(db):
            return bool(unlocked(db))
    except Exception:
        return False
    try:
        return unlock(db, "demo", "demo")
    except Refused:
        return False


def idle_lock_minutes(db) -> int:
    from desktop.security import settings as org

    value = org.get_setting(db, "idle_lock_minutes", IDLE_LOCK_DEFAULT)
    return value if isinstance(value, int) and value > 0 else IDLE_LOCK_DEFAULT


def set_idle_lock_minutes(db, minutes, actor) -> None:
    from desktop.security import settings as org
    from desktop.security import accounts, audit

    accounts.require(actor, "admin")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 240:
        raise InputError("空闲锁定时间应为 1 到 240 分钟之间的整数")
    with db.atomic():
        old = idle_lock_minutes(db)
        org.set_setting(db, "idle_lock_minutes", minutes)
        audit.log(db, actor.name, "settings.update", target="settings", record_id="idle_lock_minutes",
                  detail={"old": old, "new": minutes})
