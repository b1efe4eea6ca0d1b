"""Record MACs (issue 15 item 2): every stored record carries an HMAC-SHA256 under a key derived from
the data key (keys.AesCodec.record_key), so a record edited with sqlite3 no longer verifies.

What a MAC covers (COVER): the record's kind, its id and the columns that say what the record is —
the JSON document and the flags that change its meaning (voided, archived, role, active). Index
columns that are rebuilt from the document (status, amounts, deadlines) are not covered: `check`
recomputes them from the verified document and names any that differ. Login counters
(failed_count, locked_until) are not covered either: a failed login, which has no key, writes them.

A write without the data key (a session that holds none, e.g. a user being created while no
administrator is signed in on the handle, or a password re-hash at a keyless user's login) cannot
compute the MAC: it stores NULL — the record is then "未能校验" (unverifiable), which `check` reports
and counts as a problem until a signed-in user with the key writes it again. NULL is never filled in
silently, or deleting a MAC would be a way to have a tampered record blessed; the one exception is
the first sign-in with the key after this upgrade (no MAC anywhere yet and no RECORD_MAC_SINCE).

Nothing here imports the case, roster, org or sync code: they call these functions.
"""

from __future__ import annotations

import hmac
import json

from desktop.dbtools import paged

# kind -> (table, id column, covered columns, label for messages)
COVER = {
    "case": ("cases", "id", ("station", "case_no", "deleted", "archived", "doc")),
    # a case's history (a forged "close" in it would show in the case's history and documents)
    "event": ("case_events", "id", ("station", "deleted", "case_id", "at", "actor", "action", "reason", "detail")),
    "mediator": ("mediators", "id", ("station", "deleted", "name", "active", "doc")),
    "org": ("org", "id", ("station", "deleted", "profile")),
    "holiday": ("calendar_overrides", "id", ("station", "deleted", "date", "is_workday", "note")),
    "user": ("users", "name", ("role", "active", "password_hash", "display_name")),
    "setting": ("settings", "key", ("value",)),
}
TABLES = {table for table, _id, _cols in COVER.values()}

# The settings that matter: who this file is (station id, station or hub, demo), whether and how it
# is encrypted, the idle lock, where the audit and record MACs start, and what the hub told the
# station (targets, reporting period, calendar, settings). The organisation profile (name, case-
# number template, target rate) and the holiday overrides are records of their own (org,
# calendar_overrides). Not protected: bookkeeping rewritten by keyless sessions or on every write
# session (sync.*, calendar.package_last_year, downward.seqs/applied/notes), whose edit changes
# nothing a report or a permission depends on.
RECORD_MAC_SINCE = "record_mac_since"
PROTECTED_SETTINGS = frozenset({
    "station_id", "role", "demo", "encryption", "admin_key", "idle_lock_minutes", "audit_mac_since", RECORD_MAC_SINCE,
    "downward.hub_target", "downward.reporting_period", "downward.calendar", "downward.hub_settings",
    "downward.commissions", "downward.templates",
    # how many rows the program wrote (desktop/security/counts.py)
    "rows.cases", "rows.case_events", "rows.mediators",
})

REQUIRED_SETTINGS = ("station_id", "role", RECORD_MAC_SINCE)

# Audit actions that record a record's creation, with the record's id in record_id: a record the
# log says was created and that is no longer in its table was deleted with sqlite3.
CREATED_BY = {"case.create": "case", "case.import": "case", "mediator.create": "mediator",
              "user.create": "user"}

KIND_CN = {"case": "案件", "event": "案件经过", "mediator": "调解员", "org": "组织信息", "holiday": "节假日调整", "user": "用户",
           "setting": "设置"}


def key(db) -> bytes | None:
    """The record MAC key of the unlocked data key, or None (locked, keyless role, plaintext file)."""
    return getattr(getattr(db, "md_codec", None), "record_key", None)


def _part(v) -> bytes:
    if v is None:
        return b"-"
    if isinstance(v, bool):
        v = int(v)
    b = v if isinstance(v, bytes) else str(v).encode("utf-8")
    return b"%d:" % len(b) + b


def compute(k: bytes, kind: str, rid, values) -> str:
    """HMAC-SHA256 over kind, id and the covered values, each length-prefixed (no ambiguity)."""
    msg = b"|".join([kind.encode("ascii"), _part(rid), *map(_part, values)])
    return hmac.digest(k, msg, "sha256").hex()


def for_row(db, kind: str, rid, values) -> str | None:
    """The MAC a write stores with its row (None without the key: the row is then unverifiable)."""
    k = key(db)
    return compute(k, kind, rid, values) if k is not None else None


def setting_mac(db, name: str, value_text: str) -> str | None:
    return for_row(db, "setting", name, (value_text,)) if name in PROTECTED_SETTINGS else None


def seal_where(db, kind: str, where: str, params: tuple = ()) -> int:
    """Recompute the MAC of the rows matching `where` from what is stored (rare writes: users, the
    organisation profile, holiday overrides, the roster). NULL without the key."""
    table, idcol, cols = COVER[kind]
    k = key(db)
    rows = db.conn.execute(f"select rowid, {idcol}, {', '.join(cols)} from {table} where {where}", params).fetchall()
    for r in rows:
        db.conn.execute(f"update {table} set mac = ? where rowid = ?",
                        (compute(k, kind, r[1], r[2:]) if k is not None else None, r[0]))
    return len(rows)


def _scope(kind: str) -> tuple[str, tuple]:
    """The rows of a kind's table that carry MACs: all, except for settings (the protected ones)."""
    if kind == "setting":
        return f"key in ({','.join('?' * len(PROTECTED_SETTINGS))})", tuple(sorted(PROTECTED_SETTINGS))
    return "", ()


def _label(kind: str, rid, row_values: dict, db=None) -> str:
    if kind == "case":
        return f"案件 {row_values.get('case_no') or rid}"
    if kind == "event":
        row = db.conn.execute("select case_no from cases where id = ?", (row_values.get("case_id"),)).fetchone() \
            if db is not None else None
        return f"案件 {row[0] if row else row_values.get('case_id')} 的经过记录（{row_values.get('action')}，{row_values.get('at')}）"
    if kind == "mediator":
        return f"调解员 {row_values.get('name') or rid}"
    if kind == "user":
        return f"用户 {rid}"
    if kind == "setting":
        return f"设置 {rid}"
    if kind == "holiday":
        return f"节假日调整 {row_values.get('date') or rid}"
    return f"组织信息（站点 {row_values.get('station') or rid}）"


def _has_column(db, table: str) -> bool:
    return "mac" in {r[1] for r in db.conn.execute(f"pragma table_info({table})")}


def active(db) -> bool:
    """Whether this file's records carry MACs (the upgrade at the first sign-in with the key ran)."""
    return db.conn.execute("select 1 from settings where key = ?", (RECORD_MAC_SINCE,)).fetchone() is not None


UPGRADE_ACTION = "records.mac_upgrade"


def upgraded_before(db) -> bool:
    """The audit log (keyed, append-only) remembers the upgrade: deleting RECORD_MAC_SINCE cannot
    make the program bless the records again."""
    return db.conn.execute("select 1 from audit_log where action = ? limit 1", (UPGRADE_ACTION,)).fetchone() is not None


def verify(db, *, limit: int = 200) -> tuple[list[str], list[str]]:
    """(tampered, unverifiable): every covered row's MAC recomputed with the unlocked key.

    Raises nothing; without the key returns ([], [message]) — only a signed-in user with the data
    key can verify (docs/security.md)."""
    k = key(db)
    if k is None:
        return [], ["未能校验记录：当前登录的账户没有数据密钥（请以管理员或调解员身份登录后运行 check）"]
    if not active(db):
        if upgraded_before(db):
            return ["记录校验起点（设置 record_mac_since）缺失：设置被删除，记录可能被改写"], []
        return [], ["未能校验记录：本数据库的记录尚未加上校验码（以有数据密钥的账户登录一次即可完成）"]
    tampered: list[str] = []
    unverified: list[str] = []
    for kind, (table, idcol, cols) in COVER.items():
        where, params = _scope(kind)
        for r in db.conn.execute(f"select {idcol}, mac, {', '.join(cols)} from {table}"
                                 f"{' where ' + where if where else ''}", params):
            rid, stored, values = r[0], r[1], r[2:]
            if stored is None:
                if len(unverified) < limit:
                    unverified.append(f"{_label(kind, rid, dict(zip(cols, values)), db)}：未能校验（写入时没有数据密钥，缺少校验码）")
                continue
            if not hmac.compare_digest(stored, compute(k, kind, rid, values)):
                if len(tampered) < limit:
                    tampered.append(f"{_label(kind, rid, dict(zip(cols, values)), db)}：校验码不符（记录在程序之外被修改）")
    for name in REQUIRED_SETTINGS:  # present in every file: deleting one is an edit too
        if db.conn.execute("select 1 from settings where key = ?", (name,)).fetchone() is None:
            tampered.append(f"设置 {name}：缺失（被删除）")
    tampered += deletions(db, limit=limit)
    return tampered, unverified


def deletions(db, *, limit: int = 200) -> list[str]:
    """Records the audit log says were created that are no longer in their table (deleted with
    sqlite3; the program only ever voids). Creations audited in one batch entry (demo data, a hub's
    bundle import) name no record and are not covered here."""
    out: list[str] = []
    actions = tuple(CREATED_BY)
    seen: set = set()
    for action, rid, detail in db.conn.execute(
            f"select action, record_id, detail from audit_log where action in ({','.join('?' * len(actions))})"
            " and record_id is not null", actions):
        kind = CREATED_BY[action]
        if (kind, rid) in seen:
            continue
        seen.add((kind, rid))
        table, idcol, _cols = COVER[kind]
        if db.conn.execute(f"select 1 from {table} where {idcol} = ?", (rid,)).fetchone() is None:
            try:
                d = json.loads(detail)
            except ValueError:
                d = {}
            name = d.get("case_no") or d.get("name") or rid
            out.append(f"{KIND_CN[kind]} {name}：审计日志记录了它的建立，数据库中却已没有这条记录（被删除）")
            if len(out) >= limit:
                break
    return out


def upgrade(db, reseal, actor: str | None, log) -> bool:
    """At the first sign-in with the data key on a file whose records carry no MACs yet: re-seal the
    sensitive fields bound to their record (`reseal(db)`, given by the caller so this module needs
    no case or roster code) and write every MAC, in one transaction. Never runs again once it
    happened (the audit log keeps its entry; a deleted RECORD_MAC_SINCE is reported, not repaired).
    `log(db, actor, action, ...)` is audit.log. Returns whether it ran."""
    k = key(db)
    if k is None or active(db) or upgraded_before(db) or not all(_has_column(db, t) for t in TABLES):
        return False
    with db.atomic():
        resealed = reseal(db)
        log(db, actor, UPGRADE_ACTION, target="settings", record_id=RECORD_MAC_SINCE,
            detail={"resealed": resealed})
        db.conn.execute("insert into settings (key, value) values (?, ?) on conflict(key) do update"
                        " set value = excluded.value", (RECORD_MAC_SINCE, json.dumps(1)))
        for kind, (table, idcol, cols) in COVER.items():
            where, params = _scope(kind)
            for r in paged(db.conn, table, f"{idcol}, {', '.join(cols)}", where, params):
                db.conn.execute(f"update {table} set mac = ? where rowid = ?", (compute(k, kind, r[1], r[2:]), r[0]))
    return True


class UserRowRefused(Exception):
    pass


def check_user(db, name: str, verified_hash: str) -> None:
    """At sign-in, once the key is unlocked: the user's own row (role, active flag, password hash)
    must carry a valid MAC, or the sign-in is refused — a viewer promoted to admin with sqlite3 gets
    no admin rights from a session that can check. `verified_hash` is the hash the password was
    checked against (the row may have been re-hashed since, in this login); the row is re-sealed
    with its current content afterwards. Without the key nothing can be checked (docs/security.md)."""
    k = key(db)
    if k is None or not active(db):
        return
    row = db.conn.execute("select role, active, password_hash, display_name, mac from users where name = ?",
                          (name,)).fetchone()
    if row is None:
        return
    role, act, current_hash, display, stored = row
    expected = compute(k, "user", name, (role, act, verified_hash, display))
    if stored is None or not hmac.compare_digest(stored, expected):
        raise UserRowRefused(name)
    if current_hash != verified_hash:
        with db.atomic():
            seal_where(db, "user", "name = ?", (name,))


def unbound_ciphertexts(db, *, limit: int = 50) -> list[str]:
    """Sealed values still in the old unbound form (enc1:) in a file whose records carry MACs: the
    upgrade re-sealed all of them, so one now was put there from an older copy of the file."""
    if not active(db):
        return []
    out = []
    for case_no, in db.conn.execute("select case_no from cases where instr(doc, '\"enc1:') > 0 limit ?", (limit,)):
        out.append(f"案件 {case_no}：含有未绑定记录的旧式密文（从旧副本移入）")
    for name, in db.conn.execute("select name from mediators where instr(doc, '\"enc1:') > 0 limit ?", (limit,)):
        out.append(f"调解员 {name}：含有未绑定记录的旧式密文（从旧副本移入）")
    return out
