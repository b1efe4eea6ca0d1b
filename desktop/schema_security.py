"""Schema for accounts, keys and encryption at rest (migration 0003). Owned by the security work (issue 7).

`ensure(db)` repeats the same idempotent statements at every open, so a file that recorded the
(then empty) m0003 slot during development still gets the tables and triggers.
"""

STATEMENTS = (
    # One row per user who may read sensitive fields: the data key wrapped (AES-GCM) under a key
    # derived from that user's password with argon2id. Auditors get no row (least privilege).
    """CREATE TABLE IF NOT EXISTS user_keys (
        name TEXT PRIMARY KEY REFERENCES users(name) ON DELETE CASCADE,
        kdf TEXT NOT NULL,
        salt BLOB NOT NULL,
        nonce BLOB NOT NULL,
        wrapped BLOB NOT NULL,
        key_id TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    # The audit log is append-only: the database itself refuses edits and deletions. Entries are
    # never purged (domain.md asks for at least 180 days; keeping all keeps the chain whole).
    """CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, '审计日志只能追加，不能修改'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
       BEGIN SELECT RAISE(ABORT, '审计日志只能追加，不能删除'); END""",
    # Password checks in progress (issue 15): a slot is taken in a write transaction before argon2
    # runs, so parallel guesses can never outnumber the failures still allowed. A slot whose process
    # is gone (killed mid-check) or that is older than a check can take is freed.
    """CREATE TABLE IF NOT EXISTS login_attempts (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        started_at TEXT NOT NULL,
        pid INTEGER
    )""",
)


def apply(db) -> None:
    """Create the tables the security work needs. Runs inside the migration's transaction."""
    for stmt in STATEMENTS:
        db.conn.execute(stmt)
    if db.conn.execute("select 1 from sqlite_master where name = 'audit_log'").fetchone() \
            and db.conn.execute("select 1 from sqlite_master where name = 'settings'").fetchone():
        add_audit_mac(db)


def missing(db) -> bool:
    names = {r[0] for r in db.conn.execute(
        "select name from sqlite_master where name in"
        " ('user_keys','audit_log_no_update','audit_log_no_delete','login_attempts')")}
    return len(names) < 4


def _pid_missing(db) -> bool:
    cols = {r[1] for r in db.conn.execute("pragma table_info(login_attempts)")}
    return bool(cols) and "pid" not in cols


def _mac_missing(db) -> bool:
    return "mac" not in {r[1] for r in db.conn.execute("pragma table_info(audit_log)")}


def add_audit_mac(db) -> None:
    """The audit log's keyed MAC column (issue 15), and the mark from which entries must carry it:
    entries written before the upgrade have none. Idempotent; runs inside a transaction."""
    if _mac_missing(db):
        db.conn.execute("ALTER TABLE audit_log ADD COLUMN mac TEXT")
        last = db.conn.execute("select coalesce(max(seq), 0) from audit_log").fetchone()[0]
        db.conn.execute("insert or ignore into settings (key, value) values ('audit_mac_since', ?)", (str(last),))


def ensure(db) -> None:
    if missing(db) or _mac_missing(db) or _pid_missing(db):
        with db.atomic():
            apply(db)
            add_audit_mac(db)
            if _pid_missing(db):  # made by a development build of this work
                db.conn.execute("ALTER TABLE login_attempts ADD COLUMN pid INTEGER")
