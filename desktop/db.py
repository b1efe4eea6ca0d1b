"""Opening a station or hub database: durable pragmas, the migration chain, and its guards."""

from __future__ import annotations

import datetime as _dt
import os
import sqlite3
from pathlib import Path

import sqlite_utils

from desktop import paths
from desktop.errors import Refused
from desktop.migrations import MIGRATION_NAMES, migrations

BUSY_TIMEOUT_MS = 5000


def _configure(conn: sqlite3.Connection, readonly: bool) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    if not readonly:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise Refused(f"无法启用预写日志（WAL）模式（当前为 {mode}），为防止断电丢失数据，程序拒绝运行。")
    # FULL: a committed case survives a power cut (WAL + NORMAL may lose the last commits).
    conn.execute("PRAGMA synchronous = FULL")
    if conn.execute("PRAGMA synchronous").fetchone()[0] != 2:
        raise Refused("无法设置 synchronous=FULL，程序拒绝运行。")


def schema_state(db: sqlite_utils.Database) -> tuple[list[str], list[str]]:
    """(applied migration names, names unknown to this version)."""
    applied = [m.name for m in migrations.applied(db)]
    unknown = [n for n in applied if n not in MIGRATION_NAMES]
    return applied, unknown


def backup_copy(db: sqlite_utils.Database, path: str | os.PathLike, label: str) -> Path:
    """A consistent copy through the SQLite backup API, beside the database."""
    target_dir = paths.backup_dir(path)
    target_dir.mkdir(parents=True, exist_ok=True)
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = target_dir / f"{Path(path).stem}-{label}-{stamp}.sqlite"
    dest = sqlite3.connect(target)
    try:
        db.conn.backup(dest)
    finally:
        dest.close()
    return target


def open_database(path: str | os.PathLike, *, create: bool = False, readonly: bool = False,
                  migrate: bool = True) -> sqlite_utils.Database:
    """Open (or with create=True, make) a database and bring its schema up to date.

    A file written by a newer version is refused; an older one is backed up, then migrated.
    """
    p = Path(path)
    if not create and not p.exists():
        raise Refused(f"数据库文件不存在：{p}")
    if create:
        p.parent.mkdir(parents=True, exist_ok=True)
    if readonly:
        conn = sqlite3.connect(f"file:{p}?mode=ro", uri=True, check_same_thread=False)
    else:
        conn = sqlite3.connect(p, check_same_thread=False)
    try:
        _configure(conn, readonly)
        db = sqlite_utils.Database(conn)
        applied, unknown = schema_state(db)
        if unknown:
            raise Refused(
                f"数据库文件 {p.name} 由更新版本的调解工作台写入（架构 {unknown[-1]}），"
                "本程序无法安全打开。请升级调解工作台后再试。"
            )
        pending = [n for n in MIGRATION_NAMES if n not in applied]
        if pending and migrate and not readonly:
            if applied:  # an existing file: keep a copy from before the upgrade
                backup_copy(db, p, "pre-migrate")
            migrations.apply(db)
            conn.execute(f"PRAGMA user_version = {len(MIGRATION_NAMES)}")
        elif pending:
            raise Refused(f"数据库文件 {p.name} 需要升级（待执行 {len(pending)} 个迁移），只读模式下无法打开。")
    except BaseException:
        conn.close()
        raise
    db.md_path = p
    return db


def is_database(path: str | os.PathLike) -> bool:
    p = Path(path)
    if not p.exists() or p.stat().st_size == 0:
        return False
    try:
        conn = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
        try:
            return conn.execute(
                "select count(*) from sqlite_master where name = 'settings'"
            ).fetchone()[0] == 1
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return False
