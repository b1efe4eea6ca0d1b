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
import json
import os

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from desktop.errors import InputError, Refused
from desktop.clock import now

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


class LockedCodec:
    """Attached when the database is encrypted but no key is unlocked: nothing sensitive passes."""

    name = "locked"

    def seal(self, kind: str, value: str, ad: str | None = None) -> str:
        raise Refused(LOCKED_MESSAGE)

    def reveal(self, kind: str, stored: str, ad: str | None = None) -> str:
        if isinstance(stored, str) and stored.startswith((PREFIX, PREFIX2)):
            raise Refused(LOCKED_MESSAGE)
        return stored


LOCKED_MESSAGE = ("敏感信息已加密保存，当前没有解锁的数据密钥：请先登录；"
                  "若已登录，说明本账户尚未获得授权，请管理员重置本账户的密码")


LOCKED = LockedCodec()


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


def _wrap_for(db, name: str, data_key: bytes, password: str, *, demo: bool = False) -> None:
    params = DEMO_KDF_PARAMS if demo else KDF_PARAMS
    salt = os.urandom(16)
    nonce = os.urandom(12)
    wrapped = AESGCM(_derive(password, salt, params)).encrypt(nonce, data_key, f"user-key:{name}".encode())
    db.conn.execute(
        "insert into user_keys (name, kdf, salt, nonce, wrapped, key_id, updated_at) values (?,?,?,?,?,?,?)"
        " on conflict(name) do update set kdf = excluded.kdf, salt = excluded.salt, nonce = excluded.nonce,"
        " wrapped = excluded.wrapped, key_id = excluded.key_id, updated_at = excluded.updated_at",
        (name, json.dumps(dict(params, alg="argon2id")), salt, nonce, wrapped, key_id(data_key), now()))


def attach(db, data_key: bytes) -> AesCodec:
    codec = AesCodec(data_key)
    db.md_codec = codec
    db.md_index_key = codec.index_key
    db.md_encrypted = True
    return codec


def lock(db) -> None:
    """Forget the unlocked key (idle lock, logout). Reading sensitive fields then needs a login."""
    db.md_codec = LOCKED if is_enabled(db) else None
    db.md_index_key = None


def unlocked(db) -> AesCodec | None:
    c = getattr(db, "md_codec", None)
    return c if isinstance(c, AesCodec) else None


def setup(db, name: str, password: str, *, demo: bool = False) -> AesCodec:
    """Create the data key (first administrator) and wrap it for `name`. Call inside a transaction.

    A database that already holds plaintext sensitive values (made before encryption existed) has
    them sealed here, in the same transaction.
    """
    from desktop import audit, org

    if is_enabled(db):
        raise Refused("数据密钥已存在")
    data_key = AESGCM.generate_key(bit_length=256)
    _wrap_for(db, name, data_key, password, demo=demo)
    codec = attach(db, data_key)
    org.set_setting(db, "encryption", {"scheme": SCHEME, "key_id": codec.key_id})
    # The old plaintext blind-index key goes: the index key is now derived from the data key.
    db.conn.execute("delete from settings where key = 'blind_index_key'")
    converted = _seal_existing(db)
    audit.log(db, name, "key.setup", target="user_keys", record_id=name,
              detail={"scheme": SCHEME, "converted_cases": converted})
    return codec


def _seal_existing(db) -> int:
    """Seal plaintext values left by an older version and rebuild the derived index rows."""
    from desktop import cases, roster

    n = 0
    for rowid, doc in db.conn.execute("select rowid, doc from cases").fetchall():
        rec = json.loads(doc)
        db.conn.execute("update cases set doc = ? where rowid = ?",
                        (json.dumps(cases.seal_record(db, rec), ensure_ascii=False, separators=(",", ":")), rowid))
        cases.rebuild_derived(db, rowid, rec, fresh=False)
        n += 1
    for mid, doc in db.conn.execute("select id, doc from mediators").fetchall():
        db.conn.execute("update mediators set doc = ? where id = ?",
                        (json.dumps(roster._seal(db, json.loads(doc)), ensure_ascii=False), mid))
    return n


def grant(db, name: str, password: str, role: str, *, demo: bool = False) -> None:
    """Wrap the unlocked data key for a user (new user, reset password). Call inside a transaction."""
    if role == "auditor":  # reads the audit log only: no access to personal data
        db.conn.execute("delete from user_keys where name = ?", (name,))
        return
    codec = unlocked(db)
    if codec is None:
        raise Refused("需要先以管理员身份登录并解锁数据密钥，才能为其他用户授权")
    _wrap_for(db, name, codec._key, password, demo=demo)


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
        data_key = AESGCM(_derive(password, row[1], params)).decrypt(row[2], row[3], f"user-key:{name}".encode())
    except InvalidTag:
        raise Refused(f"用户 {name} 的数据密钥无法解开（密钥记录与密码不符），请管理员重置该用户的密码") from None
    attach(db, data_key)
    return True


def on_login(db, name: str, password: str, role: str) -> None:
    """After a successful password check: unlock, or on a file without a data key, create it (admin)."""
    if is_enabled(db):
        if not unlock(db, name, password):
            lock(db)
        return
    if role == "admin":
        from desktop import org

        with db.atomic():
            setup(db, name, password, demo=org.is_demo(db) and name == "demo")


def rewrap(db, name: str, password: str) -> None:
    """Re-wrap the unlocked key under a user's new password (own password change)."""
    if not is_enabled(db):
        return
    if db.conn.execute("select 1 from user_keys where name = ?", (name,)).fetchone() is None:
        return
    codec = unlocked(db)
    if codec is None:
        raise Refused("数据密钥未解锁，无法更改密码")
    _wrap_for(db, name, codec._key, password)


def login(db, name: str, password: str):
    """Authenticate AND unlock the data key: what the login dialog and the command line call."""
    from desktop import accounts

    return accounts.authenticate(db, name, password)


def reauthenticate(db, user, password: str):
    """After an idle lock: the same user types the password again (failures count towards lockout)."""
    from desktop import accounts

    again = accounts.authenticate(db, user.name, password)
    return again


def auto_unlock_demo(db) -> bool:
    """A demo database opens unlocked with its documented login (demo/demo); no other database does."""
    from desktop import org

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
    from desktop import org

    value = org.get_setting(db, "idle_lock_minutes", IDLE_LOCK_DEFAULT)
    return value if isinstance(value, int) and value > 0 else IDLE_LOCK_DEFAULT


def set_idle_lock_minutes(db, minutes, actor) -> None:
    from desktop import accounts, audit, org

    accounts.require(actor, "admin")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 240:
        raise InputError("空闲锁定时间应为 1 到 240 分钟之间的整数")
    with db.atomic():
        old = idle_lock_minutes(db)
        org.set_setting(db, "idle_lock_minutes", minutes)
        audit.log(db, actor.name, "settings.update", target="settings", record_id="idle_lock_minutes",
                  detail={"old": old, "new": minutes})
