"""Small SQLite helpers that import none of the program's modules: the protection code (the login
failure count) and the backup code use them without importing desktop.db, which imports both."""

from __future__ import annotations

import contextlib
import sqlite3


def run_script(db, script: str) -> None:
    """Statement by statement: executescript() would COMMIT the migration's transaction."""
    for stmt in script.split(";\n"):
        if stmt.strip():
            db.conn.execute(stmt)


def paged(conn: sqlite3.Connection, table: str, columns: str, where: str = "", params: tuple = (),
          size: int = 2000):
    """Yield (rowid, *columns) of every row of `table`, a page at a time in rowid order.

    For passes that rewrite a whole table (key upgrades, re-sealing, checks): fetchall() on a city
    hub's million cases held 7.7 GB at once; a page keeps memory flat, and rows updated behind the
    page do not move (an UPDATE keeps the rowid), so none is visited twice or skipped."""
    cond = f"({where}) and " if where else ""
    last = None
    while True:
        rows = conn.execute(
            f"select rowid, {columns} from {table} where {cond}rowid > ? order by rowid limit {int(size)}",
            (*params, last if last is not None else -(2 ** 63))).fetchall()
        if not rows:
            return
        yield from rows
        last = rows[-1][0]


def quick_check(conn: sqlite3.Connection) -> list[str]:
    rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
    return [] if rows == ["ok"] else rows


@contextlib.contextmanager
def immediate(db):
    """A write transaction that takes the write lock at BEGIN (BEGIN IMMEDIATE).

    A deferred transaction that reads first and writes later cannot wait for another writer (its
    snapshot is stale, SQLite answers "database is locked" at once); an immediate one waits up to
    the busy timeout, so a read-modify-write (the login failure count) is serialised. Nested use
    becomes a savepoint of the surrounding transaction. The program's every outermost write
    transaction comes through here (db.Database.atomic too): last inside it runs the handle's
    md_before_commit (the row counts, desktop/security/counts.py, on writable handles).
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
        hook = getattr(db, "md_before_commit", None)
        if hook is not None:
            hook()
    except BaseException:
        db.conn.rollback()
        raise
    else:
        db.conn.commit()
