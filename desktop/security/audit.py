"""Append-only audit log with a hash chain: each entry's hash covers the previous entry's hash."""

from __future__ import annotations

import hashlib
import hmac
import json
import re

from desktop.clock import now

GENESIS = "0" * 64


def _entry_hash(prev_hash: str, at: str, user, action: str, target, record_id, detail: str) -> str:
    canonical = json.dumps([prev_hash, at, user, action, target, record_id, detail],
                           ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# Anything shaped like a resident ID number (18 or 15 characters) — e.g. a search term a caller
# put in `detail` — is masked before it is written: the log is plaintext and kept for years.
_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])([0-9]{6})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9A-Za-z])|(?<![0-9A-Za-z])([0-9]{6})[0-9]{5}([0-9]{4})(?![0-9A-Za-z])")


def _mask_ids(value):
    if isinstance(value, str):
        # as sensitive.mask: the last four characters only (issue 15), the region gives nothing away
        return _ID_LIKE.sub(lambda m: "*" * (len(m.group(0)) - 4) + m.group(0)[-4:], value)
    if isinstance(value, dict):
        return {k: _mask_ids(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask_ids(v) for v in value]
    return value


def log(db, user: str | None, action: str, *, target: str | None = None, record_id: str | None = None,
        detail: dict | None = None) -> None:
    """Append one entry. Call inside the transaction of the change it records."""
    row = db.conn.execute("select hash from audit_log order by seq desc limit 1").fetchone()
    prev = row[0] if row else GENESIS
    at = now()
    detail_text = json.dumps(_mask_ids(detail or {}), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    h = _entry_hash(prev, at, user, action, target, record_id, detail_text)
    if _has_mac(db):
        key = _mac_key(db)
        db.conn.execute(
            "insert into audit_log (at, user, action, target, record_id, detail, prev_hash, hash, mac)"
            " values (?,?,?,?,?,?,?,?,?)",
            (at, user, action, target, record_id, detail_text, prev, h, _mac(key, h) if key else None),
        )
        return
    db.conn.execute(
        "insert into audit_log (at, user, action, target, record_id, detail, prev_hash, hash)"
        " values (?,?,?,?,?,?,?,?)",
        (at, user, action, target, record_id, detail_text, prev, h),
    )


# Entries written before anyone signed in (a failed or a successful login, the first administrator
# being created) cannot carry the MAC; every other entry is written in a session with the data key.
UNKEYED_ACTIONS = {"login", "login.failed", "user.create", "key.setup"}


def _mac_key(db):
    return getattr(getattr(db, "md_codec", None), "audit_key", None)


def _mac(key: bytes, entry_hash: str) -> str:
    return hmac.new(key, b"audit:" + entry_hash.encode("ascii"), hashlib.sha256).hexdigest()


def _has_mac(db) -> bool:
    cached = getattr(db, "md_audit_mac", None)
    if cached is None:
        cached = "mac" in {r[1] for r in db.conn.execute("pragma table_info(audit_log)")}
        try:
            db.md_audit_mac = cached
        except AttributeError:
            pass
    return cached


def verify_macs(db) -> list[str]:
    """With the data key unlocked: every entry's MAC (which covers its hash, hence the chain up to it)
    must verify, and every entry since the upgrade whose action needs a signed-in session must carry
    one. Deleting entries and re-hashing, or editing one, breaks the MACs after it; only someone with
    the data key could re-seal them. Without the key (an auditor) nothing more is checked here."""
    key = _mac_key(db)
    if key is None or not _has_mac(db):
        return []
    row = db.conn.execute("select value from settings where key = 'audit_mac_since'").fetchone()
    if row is None:
        return ["审计日志的密钥校验起点缺失（设置被删除）：日志可能被改写"]
    since = int(json.loads(row[0]))
    # whose sessions had the data key: users holding a wrapped key since before the entry
    keyed_since = dict(db.conn.execute("select name, updated_at from user_keys"))
    problems = []
    for seq, at, user, action, h, mac in db.conn.execute(
            "select seq, at, user, action, hash, mac from audit_log order by seq"):
        if mac is not None:
            if not hmac.compare_digest(mac, _mac(key, h)):
                problems.append(f"审计日志第{seq}条：密钥校验不符（日志被改写或重新计算了哈希）")
        elif seq > since and action not in UNKEYED_ACTIONS and user in keyed_since \
                and keyed_since[user] <= at:
            problems.append(f"审计日志第{seq}条：缺少密钥校验（日志被改写）")
        if len(problems) >= 20:
            break
    return problems


def entries(db, limit: int | None = None):
    sql = "select seq, at, user, action, target, record_id, detail, prev_hash, hash from audit_log order by seq"
    if limit:
        sql += f" limit {int(limit)}"
    for r in db.conn.execute(sql):
        yield {"seq": r[0], "at": r[1], "user": r[2], "action": r[3], "target": r[4],
               "record_id": r[5], "detail": json.loads(r[6]), "prev_hash": r[7], "hash": r[8]}


def verify(db) -> list[str]:
    """Problems found in the chain (empty when intact). Detects edited, deleted or reordered entries."""
    problems = []
    prev = GENESIS
    last_seq = 0
    for r in db.conn.execute(
        "select seq, at, user, action, target, record_id, detail, prev_hash, hash from audit_log order by seq"
    ):
        seq = r[0]
        if r[7] != prev:
            problems.append(f"审计日志第{seq}条：与前一条的链接不符（前面的记录被删除或修改）")
        if _entry_hash(r[7], r[1], r[2], r[3], r[4], r[5], r[6]) != r[8]:
            problems.append(f"审计日志第{seq}条：内容与其哈希不符（记录被修改）")
        if seq != last_seq + 1 and last_seq:
            problems.append(f"审计日志第{last_seq + 1}至{seq - 1}条缺失")
        prev = r[8]
        last_seq = seq
    # AUTOINCREMENT remembers the highest number ever given out: entries cut off the end show here.
    row = db.conn.execute("select seq from sqlite_sequence where name = 'audit_log'").fetchone()
    if row and row[0] > last_seq:
        problems.append(f"审计日志第{last_seq + 1}至{row[0]}条缺失（末尾的记录被删除）")
    return problems + verify_macs(db)


def checkpoint(db) -> dict | None:
    """The log's head as a bundle carries it: sequence, chain hash and MAC (None without a key)."""
    row = db.conn.execute("select seq, hash from audit_log order by seq desc limit 1").fetchone()
    if row is None:
        return None
    mac = None
    if _has_mac(db):
        mac = db.conn.execute("select mac from audit_log where seq = ?", (row[0],)).fetchone()[0]
    return {"seq": row[0], "hash": row[1], "mac": mac}


def head(db) -> str:
    row = db.conn.execute("select hash from audit_log order by seq desc limit 1").fetchone()
    return row[0] if row else GENESIS
