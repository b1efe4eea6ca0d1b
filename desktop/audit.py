"""Append-only audit log with a hash chain: each entry's hash covers the previous entry's hash."""

from __future__ import annotations

import hashlib
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
        return _ID_LIKE.sub(lambda m: (m.group(1) or m.group(3))[:4] + "**********" + (m.group(2) or m.group(4))[-4:],
                            value)
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
    db.conn.execute(
        "insert into audit_log (at, user, action, target, record_id, detail, prev_hash, hash)"
        " values (?,?,?,?,?,?,?,?)",
        (at, user, action, target, record_id, detail_text, prev, h),
    )


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
    return problems


def head(db) -> str:
    row = db.conn.execute("select hash from audit_log order by seq desc limit 1").fetchone()
    return row[0] if row else GENESIS
