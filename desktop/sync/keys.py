"""Keys: the signing key (Ed25519, written in minisign's formats), the hub's age identity, cards,
and how private keys are kept at rest.

Private keys are stored AES-256-GCM sealed under a key-wrapping key (KEK) derived (HKDF) from the
database's admin key (desktop/security/keys.py: the admin key is wrapped under each administrator's
password with argon2id, and only there — a mediator's, viewer's or auditor's password opens no
private key, issue 15). So neither a copied database file nor a non-administrator's login gives
away the signing key or the hub's age identity. Keys sealed by earlier versions (under the data
key, or under a random local KEK in a file made before encryption at rest) are re-sealed under the
admin key at the first administrator sign-in (keys.upgrade) or at their first use by one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from desktop import org
from desktop.errors import Refused
from desktop.clock import now

SIG_ALG_PREHASHED = b"ED"  # minisign: Ed25519 over BLAKE2b-512 of the file
SIG_ALG_LEGACY = b"Ed"  # minisign: Ed25519 over the file itself (accepted when verifying)
KEY_ALG = b"Ed"


# --- keys at rest -------------------------------------------------------------------------------

def _local_kek(db, *, create: bool) -> bytes | None:
    secret = org.get_setting(db, "sync.local_kek")
    if secret is None:
        if not create:
            return None
        secret = os.urandom(32).hex()
        org.set_setting(db, "sync.local_kek", secret)
    return bytes.fromhex(secret)


def _admin_kek(admin_key: bytes) -> bytes:
    hk = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"mediation-desk/sync/kek", info=b"sync keys v2 admin")
    return hk.derive(admin_key)


def _legacy_data_kek(db) -> bytes | None:
    """The KEK of earlier versions, derived from the data key (which mediators and viewers held)."""
    from desktop.security import keys as atrest

    codec = atrest.unlocked(db)
    if codec is None:
        return None
    hk = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"mediation-desk/sync/kek", info=b"sync keys v1")
    return hk.derive(codec.index_key)


def _kek(db) -> tuple[bytes, str]:
    """(KEK, label). Under encryption at rest: derived from the admin key, which only an
    administrator's password unwraps (issue 15): a mediator, a viewer or an auditor cannot sign."""
    from desktop.security import keys as atrest

    admin_key = atrest.admin_key(db)
    if admin_key is not None:
        return _admin_kek(admin_key), f"admin-key:{atrest.key_id(admin_key)}"
    if atrest.is_enabled(db):
        atrest.require_admin_key(db)  # raises the Chinese refusal
    return _local_kek(db, create=True), "local"


def _seal_secret(db, purpose: str, secret: bytes) -> str:
    kek, label = _kek(db)
    nonce = os.urandom(12)
    ct = AESGCM(kek).encrypt(nonce, secret, f"sync_keys:{purpose}".encode())
    return json.dumps({"alg": "AES-256-GCM", "kek": label, "nonce": base64.b64encode(nonce).decode(),
                       "ct": base64.b64encode(ct).decode()})


def _open(kek: bytes, purpose: str, box: dict) -> bytes:
    return AESGCM(kek).decrypt(base64.b64decode(box["nonce"]), base64.b64decode(box["ct"]),
                               f"sync_keys:{purpose}".encode())


def _open_legacy(db, purpose: str, box: dict) -> bytes:
    """A box sealed by an earlier version: under the local KEK or under the data key's KEK."""
    kek = _local_kek(db, create=False) if box["kek"] == "local" else _legacy_data_kek(db)
    if kek is None:
        raise ValueError("legacy KEK missing")
    return _open(kek, purpose, box)


def reseal_for_admins(db) -> int:
    """Re-seal every private key an earlier version left under the local or the data key's KEK
    under the admin key (keys.upgrade calls this inside its transaction). Returns how many."""
    n = 0
    for purpose, sealed in db.conn.execute("select purpose, sealed from sync_keys").fetchall():
        box = json.loads(sealed)
        if str(box.get("kek", "")).startswith("admin-key:"):
            continue
        try:
            secret = _open_legacy(db, purpose, box)
        except Exception:
            raise Refused("无法解开本机保存的私钥（密钥保护方式不符或数据库已损坏），升级未进行") from None
        db.conn.execute("update sync_keys set sealed = ? where purpose = ?", (_seal_secret(db, purpose, secret), purpose))
        n += 1
    db.conn.execute("delete from settings where key = 'sync.local_kek'")
    return n


def _unseal_secret(db, purpose: str, sealed: str) -> bytes:
    box = json.loads(sealed)
    kek, label = _kek(db)
    try:
        if box["kek"] != label and not str(box["kek"]).startswith("admin-key:"):
            # Sealed by an earlier version (local KEK, or the data key's): open it, re-seal under the admin key.
            secret = _open_legacy(db, purpose, box)
            with db.atomic():
                db.conn.execute("update sync_keys set sealed = ? where purpose = ?",
                                (_seal_secret(db, purpose, secret), purpose))
                if db.conn.execute("select count(*) from sync_keys where sealed like '%\"kek\": \"local\"%'"
                                   ).fetchone()[0] == 0:
                    db.conn.execute("delete from settings where key = 'sync.local_kek'")
            return secret
        return _open(kek, purpose, box)
    except Exception:
        raise Refused("无法解开本机保存的私钥（密钥保护方式不符或数据库已损坏）") from None


# --- signing key (Ed25519, minisign) ---------------------------------------------------------------

class SigningKey:
    def __init__(self, private: Ed25519PrivateKey, key_id: bytes):
        self.private = private
        self.key_id = key_id  # 8 bytes, as minisign stores it

    @property
    def public_raw(self) -> bytes:
        return self.private.public_key().public_bytes_raw()

    @property
    def key_id_hex(self) -> str:
        return key_id_text(self.key_id)

    def public_blob(self) -> str:
        return base64.b64encode(KEY_ALG + self.key_id + self.public_raw).decode()

    def minisign_public_key(self) -> str:
        return minisign_public_key_file(self.public_blob())

    def sign(self, data: bytes, trusted_comment: str, untrusted_comment: str = "signature from MediationDesk") -> bytes:
        """A minisign signature file (prehashed 'ED' algorithm), verifiable with `minisign -Vm`."""
        digest = hashlib.blake2b(data, digest_size=64).digest()
        sig = self.private.sign(digest)
        tc = trusted_comment.encode("utf-8")
        global_sig = self.private.sign(sig + tc)
        return (f"untrusted comment: {untrusted_comment}\n"
                f"{base64.b64encode(SIG_ALG_PREHASHED + self.key_id + sig).decode()}\n"
                f"trusted comment: {trusted_comment}\n"
                f"{base64.b64encode(global_sig).decode()}\n").encode("utf-8")


def key_id_text(key_id: bytes) -> str:
    """minisign prints the 8-byte key id as a little-endian 64-bit number in hex."""
    return f"{int.from_bytes(key_id, 'little'):016X}"


def minisign_public_key_file(blob: str) -> str:
    raw = base64.b64decode(blob)
    return f"untrusted comment: minisign public key {key_id_text(raw[2:10])}\n{blob}\n"


def fingerprint(public_material: bytes) -> str:
    """Short fingerprint for paper confirmation: AB12-CD34-EF56 (48 bits of SHA-256)."""
    h = hashlib.sha256(public_material).hexdigest()[:12].upper()
    return f"{h[0:4]}-{h[4:8]}-{h[8:12]}"


def parse_public_blob(blob: str) -> tuple[bytes, Ed25519PublicKey]:
    """(key id, public key) from the base64 line of a minisign public key."""
    try:
        raw = base64.b64decode(blob, validate=True)
    except (ValueError, TypeError):
        raise ValueError("公钥不是有效的 base64") from None
    if len(raw) != 42 or raw[:2] != KEY_ALG:
        raise ValueError("公钥格式不是 minisign Ed25519 公钥")
    return raw[2:10], Ed25519PublicKey.from_public_bytes(raw[10:])


class SignatureError(Exception):
    pass


def signature_key_id(sig_file: bytes) -> bytes:
    """The 8-byte key id inside a minisign signature file (its second line), read without trusting
    anything else: the hub finds the signer's registered key with it before parsing the manifest."""
    try:
        lines = sig_file.decode("utf-8", errors="strict").split("\n")
        raw = base64.b64decode(lines[1], validate=True) if len(lines) == 5 else b""
    except (UnicodeDecodeError, ValueError, TypeError):
        raise SignatureError("签名文件格式不符（应为 minisign 格式的四行）") from None
    if len(raw) != 74:
        raise SignatureError("签名文件格式不符（应为 minisign 格式的四行）")
    return raw[2:10]


def verify_minisig(data: bytes, sig_file: bytes, key_id: bytes, public: Ed25519PublicKey) -> str:
    """Check a minisign signature file over data; returns the trusted comment. Strict layout."""
    try:
        text = sig_file.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        raise SignatureError("签名文件不是 UTF-8 文本") from None
    lines = text.split("\n")
    if len(lines) != 5 or lines[4] != "" or not lines[0].startswith("untrusted comment: ") \
            or not lines[2].startswith("trusted comment: "):
        raise SignatureError("签名文件格式不符（应为 minisign 格式的四行）")
    try:
        sig_raw = base64.b64decode(lines[1], validate=True)
        global_sig = base64.b64decode(lines[3], validate=True)
    except (ValueError, TypeError):
        raise SignatureError("签名不是有效的 base64") from None
    if len(sig_raw) != 74 or len(global_sig) != 64:
        raise SignatureError("签名长度不符")
    alg, kid, sig = sig_raw[:2], sig_raw[2:10], sig_raw[10:]
    if kid != key_id:
        raise SignatureError(f"签名所用密钥（{key_id_text(kid)}）不是登记的站点密钥（{key_id_text(key_id)}）")
    if alg == SIG_ALG_PREHASHED:
        message = hashlib.blake2b(data, digest_size=64).digest()
    elif alg == SIG_ALG_LEGACY:
        message = data
    else:
        raise SignatureError("未知的签名算法")
    trusted = lines[2][len("trusted comment: "):]
    try:
        public.verify(sig, message)
        public.verify(global_sig, sig + trusted.encode("utf-8"))
    except InvalidSignature:
        raise SignatureError("签名验证失败（文件被改动或不是该站点签发）") from None
    return trusted


def signing_key(db, *, create: bool = True) -> SigningKey | None:
    """This database's signing key; made on first need (station-card or first export)."""
    row = db.conn.execute("select sealed, key_id from sync_keys where purpose = 'sign'").fetchone()
    if row is None:
        if not create:
            return None
        private = Ed25519PrivateKey.generate()
        key_id = os.urandom(8)
        sk = SigningKey(private, key_id)
        with db.atomic():
            db.conn.execute(
                "insert into sync_keys (purpose, public, key_id, sealed, created_at) values ('sign', ?, ?, ?, ?)",
                (sk.public_blob(), sk.key_id_hex, _seal_secret(db, "sign", private.private_bytes_raw()), now()))
        db.md_sync_new_key = True
        return sk
    secret = _unseal_secret(db, "sign", row[0])
    pub = db.conn.execute("select public from sync_keys where purpose = 'sign'").fetchone()[0]
    key_id, _public = parse_public_blob(pub)
    return SigningKey(Ed25519PrivateKey.from_private_bytes(secret), key_id)


def signing_public(db) -> tuple[str, str]:
    """(public key blob, key id) of the signing key, read without opening the private key, so a
    mediator can still hand out the station card; the key is made (by an administrator) on first need."""
    row = db.conn.execute("select public, key_id from sync_keys where purpose = 'sign'").fetchone()
    if row is None:
        sk = signing_key(db)
        return sk.public_blob(), sk.key_id_hex
    return row[0], row[1]


# --- the hub's age identity ---------------------------------------------------------------------

def create_age_identity(db) -> str:
    from pyrage import x25519

    ident = x25519.Identity.generate()
    recipient = str(ident.to_public())
    with db.atomic():
        db.conn.execute(
            "insert into sync_keys (purpose, public, key_id, sealed, created_at) values ('age', ?, '', ?, ?)",
            (recipient, _seal_secret(db, "age", str(ident).encode()), now()))
    return recipient


def age_recipient(db) -> str | None:
    row = db.conn.execute("select public from sync_keys where purpose = 'age'").fetchone()
    return row[0] if row else None


def age_identity(db):
    from pyrage import x25519

    row = db.conn.execute("select sealed from sync_keys where purpose = 'age'").fetchone()
    if row is None:
        raise Refused("本数据库不是汇总端（没有汇总端密钥），不能导入数据包；请用 hub-init 创建汇总端")
    return x25519.Identity.from_str(_unseal_secret(db, "age", row[0]).decode())


# --- cards ----------------------------------------------------------------------------------------

STATION_CARD = "mediation-desk-station-card"
HUB_CARD = "mediation-desk-hub-card"


def is_hub(db) -> bool:
    return org.get_setting(db, "role") == "hub"


def parse_card(data: bytes) -> dict:
    """A card file, read as strictly as a bundle manifest (it arrives on the same sticks)."""
    from desktop.sync.bundle import strict_loads

    return strict_loads(data, max_bytes=64 * 1024, max_depth=4)


def station_card(db) -> dict:
    public, kid = signing_public(db)
    profile = org.get_profile(db)
    last = db.conn.execute("select max(seq) from sync_bundles_out").fetchone()[0] or 0
    return {
        "type": STATION_CARD, "version": 1,
        "station": org.station_id(db), "role": "hub" if is_hub(db) else "station",
        "name": profile["name"], "region": profile.get("region", ""), "kind": profile.get("kind", ""),
        "public_key": public, "key_id": kid,
        "fingerprint": fingerprint(base64.b64decode(public)),
        "last_seq": last, "created_at": now(),
    }


def hub_card(db) -> dict:
    recipient = age_recipient(db)
    if not recipient:
        raise Refused("本数据库不是汇总端（没有汇总端密钥）；请用 hub-init 创建汇总端")
    profile = org.get_profile(db)
    public, kid = signing_public(db)  # signs the hub's downward packages (desktop/sync/downward.py)
    return {
        "type": HUB_CARD, "version": 1,
        "hub": org.station_id(db), "name": profile["name"], "region": profile.get("region", ""),
        "recipient": recipient, "fingerprint": fingerprint(recipient.encode()),
        "public_key": public, "key_id": kid,
        "sign_fingerprint": fingerprint(base64.b64decode(public)),
        "created_at": now(),
    }


def write_card(card: dict, path) -> None:
    from pathlib import Path

    Path(path).write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")



# Creating or installing the admin key re-seals the station's private keys (desktop.security.keys).
from desktop.security import records as _records  # noqa: E402

_records.on_admin_key(reseal_for_admins)
