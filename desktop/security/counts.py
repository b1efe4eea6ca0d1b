"""Row counts: deletions that no per-record audit entry can name (issue 15 item 2's gap).

The program never deletes a case, a history event or a mediator (it voids them), so each of those
tables only grows, and new rows get rowids above all earlier ones. The audit log names the records
created one by one; demo batches, cases merged at a hub and history events have no entry of their
own. For them each table has a protected setting rows.<table> = {"n": rows the program counted,
"last": the highest rowid counted, "id": that row's id}, MAC'd like the other settings that matter.
Before each commit of a keyed handle (db.atomic / dbtools.immediate call db.md_before_commit)
`flush` adds the rows above "last" — an index range, no per-row cost. `check` then reports a table
holding fewer rows than counted, or whose last counted row is gone or replaced (the newest row
deleted and its rowid given to a new one).

Rows written outside the keyed paths (a keyless handle, sqlite3) are counted at the next keyed
commit: a lag never reports a deletion that did not happen, and rows forged with sqlite3 carry no
valid MAC of their own. A count that fails its MAC, or whose last row is gone, is no longer
advanced, so the next write cannot bless a deletion. Residual: someone holding an older copy of the
file can put back that copy's count (with its valid MAC) while deleting the rows made since; cases
created one by one are still named through their creation entries (mac.deletions).
"""

from __future__ import annotations

import hmac
import json
import weakref

from desktop.security import mac as record_mac

COUNTED = {"cases": "案件", "case_events": "案件经过记录", "mediators": "调解员"}
UNIT = {"cases": "件", "case_events": "条", "mediators": "名"}
START_ACTION = "records.count_start"


def setting_name(table: str) -> str:
    return f"rows.{table}"


def install(db) -> None:
    """Count on every commit of this writable handle."""
    ref = weakref.ref(db)

    def before_commit() -> None:
        d = ref()
        if d is not None:
            flush(d)

    db.md_before_commit = before_commit


def _id_at(db, table: str, rowid: int):
    row = db.conn.execute(f"select id from {table} where rowid = ?", (rowid,)).fetchone()
    return row[0] if row else None


def _store(db, k: bytes, table: str, state: dict) -> None:
    name, text = setting_name(table), json.dumps(state, sort_keys=True)
    db.conn.execute("insert into settings (key, value, mac) values (?, ?, ?) on conflict(key) do update"
                    " set value = excluded.value, mac = excluded.mac",
                    (name, text, record_mac.compute(k, "setting", name, (text,))))


def _state(db, k: bytes | None, table: str) -> tuple[dict | None, str | None]:
    """(the stored count, None) or (None, what is wrong with it)."""
    name = setting_name(table)
    row = db.conn.execute("select value, mac from settings where key = ?", (name,)).fetchone()
    if row is None:
        return None, f"设置 {name}：缺失（被删除）"
    if k is not None and (row[1] is None or not hmac.compare_digest(
            row[1], record_mac.compute(k, "setting", name, (row[0],)))):
        return None, f"设置 {name}：校验码不符"  # (mac.verify names it too)
    try:
        state = json.loads(row[0])
        return {"n": int(state["n"]), "last": int(state["last"]), "id": state["id"]}, None
    except (TypeError, ValueError, KeyError):
        return None, f"设置 {name}：内容无法识别（在程序之外被修改）"


def flush(db) -> None:
    """Add the rows above each table's last counted rowid, inside the transaction about to commit."""
    k = record_mac.key(db)
    if k is None:
        return
    # remembered on the handle: the audit log has no index on its action, and a station's log grows
    # with every write (a restore that brings back a file without counts finds them missing: skipped)
    if not getattr(db, "md_rows_started", False):
        if not started(db):
            return
        db.md_rows_started = True
    for table in COUNTED:
        state, _wrong = _state(db, k, table)
        if state is None or (state["last"] and _id_at(db, table, state["last"]) != state["id"]):
            continue  # tampered: left for check to report, never advanced over
        new, top = db.conn.execute(f"select count(*), max(rowid) from {table} where rowid > ?",
                                   (state["last"],)).fetchone()
        if new:
            _store(db, k, table, {"n": state["n"] + new, "last": top, "id": _id_at(db, table, top)})


def started(db) -> bool:
    """Whether counting has begun on this file (the keyed, append-only audit log remembers it, so
    deleting a count is reported, not started again)."""
    return db.conn.execute("select 1 from audit_log where action = ? limit 1", (START_ACTION,)).fetchone() is not None


def start(db, actor: str | None, log) -> bool:
    """At the first sign-in with the data key on a file whose records carry MACs: each count set to
    the rows present, audited once. `log` is audit.log (this module imports none of its callers)."""
    k = record_mac.key(db)
    if k is None or not record_mac.active(db) or started(db):
        return False
    with db.atomic():
        now = {}
        for table in COUNTED:
            n, top = db.conn.execute(f"select count(*), coalesce(max(rowid), 0) from {table}").fetchone()
            now[table] = n
            _store(db, k, table, {"n": n, "last": top, "id": _id_at(db, table, top) if top else None})
        log(db, actor, START_ACTION, target="settings", detail=now)
    return True


def problems(db) -> list[str]:
    """Tables holding fewer rows than the program counted, or whose last counted row is gone or
    replaced. A count's MAC is verified with the other protected settings (mac.verify)."""
    if not started(db):
        return []
    out = []
    for table, label in COUNTED.items():
        state, wrong = _state(db, None, table)
        if state is None:
            out.append(wrong)
            continue
        u = UNIT[table]
        have = db.conn.execute(f"select count(*) from {table}").fetchone()[0]
        if have < state["n"]:
            out.append(f"{label}：程序写入过 {state['n']} {u}，数据库中只有 {have} {u}，"
                       f"{state['n'] - have} {u}在程序之外被删除")
        elif state["last"] and _id_at(db, table, state["last"]) != state["id"]:
            out.append(f"{label}：程序最后记下的一{u}已不在原处（在程序之外被删除或替换）")
    return out
