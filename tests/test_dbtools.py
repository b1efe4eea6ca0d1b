"""dbtools.paged: whole-table passes (key upgrades, re-sealing, checks) read a page at a time and
visit every row exactly once even while they rewrite the rows they read."""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace

from desktop.dbtools import paged


def _table(n: int) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("create table t (id text, doc text, kind text)")
    conn.executemany("insert into t (id, doc, kind) values (?, ?, ?)",
                     [(f"r{i}", "x" * (i % 7), "a" if i % 3 else "b") for i in range(n)])
    conn.execute("delete from t where id in ('r5', 'r6', 'r700')")  # gaps in the rowids
    return conn


def test_every_row_once_across_pages_while_rewriting():
    conn = _table(1001)
    seen = []
    for rowid, rid, doc in paged(conn, "t", "id, doc", size=64):
        seen.append(rid)
        conn.execute("update t set doc = ? where rowid = ?", (doc + "!", rowid))  # as the upgrade does
    assert len(seen) == len(set(seen)) == 998
    assert seen == [r[0] for r in conn.execute("select id from t order by rowid")]
    assert conn.execute("select count(*) from t where doc not like '%!'").fetchone()[0] == 0


def test_where_and_params_and_small_tables():
    conn = _table(50)
    got = [r[1] for r in paged(conn, "t", "id", "kind = ?", ("b",), size=4)]
    assert got == [r[0] for r in conn.execute("select id from t where kind = 'b' order by rowid")]
    assert list(paged(_table(0), "t", "id")) == []
    db = SimpleNamespace(conn=conn)
    assert len(list(paged(db.conn, "t", "id", size=1000))) == 48
