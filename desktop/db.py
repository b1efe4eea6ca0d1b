"""Opening a station or hub database: durable pragmas, the migration chain, and its guards."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import sys
from pathlib import Path

import sqlite_utils

from desktop.errors import Refused
from desktop.migrations import MIGRATION_NAMES, migrations
from desktop.dbtools import immediate, quick_check  # noqa: F401  (db.immediate, db.quick_check)

# Readers and writers wait this long for another connection's write (a long hub import, a burst
# of logins) before the command says, in words, that the database is busy.
BUSY_TIMEOUT_MS = 30000


class Database(sqlite_utils.Database):
    """sqlite_utils' Database whose outermost `atomic()` is BEGIN IMMEDIATE.

    Every transaction of the program writes, and most read first (the audit head, a failure
    count): a deferred transaction that read an older snapshot cannot wait for a concurrent writer
    — SQLite answers "database is locked" at once, busy timeout or not (14 of 30 parallel read
    commands failed so). Taking the write lock at BEGIN makes them queue for the busy timeout.
    """

    @contextlib.contextmanager
    def atomic(self):
        if self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        with immediate(self):  # BEGIN IMMEDIATE ... the row counts ... COMMIT (dbtools)
            yield self


def _configure(conn: sqlite3.Connection, readonly: bool) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    # Deleted row content is zeroed inside the pages being written anyway (no extra I/O).
    conn.execute("PRAGMA secure_delete = FAST")
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
    """A verified copy through the SQLite backup API into the backup folder beside the database."""
    from desktop import backup

    return backup.auto_backup(db, path, label)


NETWORK_FS = {"nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "ncpfs", "afs", "9p", "davfs", "sshfs",
              "glusterfs", "ceph", "lustre", "gpfs", "ocfs2", "gfs2", "coda"}


def _unescape_mount(field: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def storage_problem(path: str | os.PathLike, *, mounts: str | None = None) -> str | None:
    """Why a database may not live at `path` (network share, removable drive), or None.

    SQLite's locking and fsync are unreliable over network file systems, and a removable drive
    may be pulled out mid-write: both lose cases. Set MEDIATION_DESK_ALLOW_ANY_STORAGE=1 to override.
    """
    if os.environ.get("MEDIATION_DESK_ALLOW_ANY_STORAGE") == "1":
        return None
    p = Path(path)
    try:
        real = Path(os.path.realpath(p.parent if not p.exists() else p))
    except OSError:
        real = p
    text = str(real)
    if sys.platform == "win32":
        return _windows_storage_problem(text)
    if mounts is None:
        try:
            mounts = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    best = None
    for line in mounts.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        source, point, fstype = _unescape_mount(parts[0]), _unescape_mount(parts[1]), parts[2]
        if text == point or text.startswith(point.rstrip("/") + "/") or point == "/":
            if best is None or len(point) >= len(best[1]):
                best = (source, point, fstype)
    if best is None:
        return None
    source, point, fstype = best
    base = fstype.split(".")[0]
    sub = fstype.split(".", 1)[1] if "." in fstype else ""
    if base in NETWORK_FS or sub in NETWORK_FS or source.startswith("//") or (
            base == "fuse" and sub not in ("", "fuse-overlayfs", "lxcfs", "portal")):
        return f"数据库位于网络共享（{fstype}，{point}）上，为防止数据损坏拒绝使用；请把数据库放在本机硬盘上"
    if point.startswith(("/media/", "/run/media/")) or _removable_device(source):
        return f"数据库位于可移动磁盘（{point}）上，为防止拔出时数据损坏拒绝使用；请把数据库放在本机硬盘上（可移动磁盘可用于备份）"
    return None


def _removable_device(source: str) -> bool:
    if not source.startswith("/dev/"):
        return False
    name = Path(os.path.realpath(source)).name
    sysdir = Path("/sys/class/block") / name
    try:
        node = Path(os.path.realpath(sysdir))
        disk = node.parent if (node / "partition").exists() else node
        return (disk / "removable").read_text().strip() == "1"
    except OSError:
        return False


def _windows_storage_problem(text: str) -> str | None:  # pragma: no cover - Windows only
    if text.startswith("\\\\"):
        return "数据库位于网络共享上，为防止数据损坏拒绝使用；请把数据库放在本机硬盘上"
    import ctypes

    drive = os.path.splitdrive(text)[0] + "\\"
    kind = ctypes.windll.kernel32.GetDriveTypeW(ctypes.c_wchar_p(drive))
    if kind == 4:  # DRIVE_REMOTE
        return f"数据库位于网络驱动器 {drive} 上，为防止数据损坏拒绝使用；请把数据库放在本机硬盘上"
    if kind == 2:  # DRIVE_REMOVABLE
        return f"数据库位于可移动磁盘 {drive} 上，为防止拔出时数据损坏拒绝使用；请把数据库放在本机硬盘上"
    return None


def _read_only(path: Path) -> bool:
    # no write bit at all is a read-only file (Windows' read-only attribute shows so too); os.access
    # answers for this user (but not for root on POSIX, hence both)
    try:
        return not (path.stat().st_mode & 0o222) or not os.access(path, os.W_OK)
    except OSError:
        return False


def access_problem(path: str | os.PathLike) -> str | None:
    """Why the program could not write the database at `path` (read-only file or folder), or None.

    Login writes (the failure count, the audit log), and SQLite writes -wal and -shm files beside the
    database, so even listing cases needs both writable: say so in words before SQLite answers
    "attempt to write a readonly database" or "not a database".
    """
    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    if p.exists() and _read_only(p):
        return (f"数据库文件 {p.name} 是只读的，程序无法写入（登录也需要写入审计记录）。未做任何更改。"
                "请在文件属性中取消“只读”，或把数据库复制到可以写入的文件夹后再打开。")
    for suffix in ("-wal", "-shm"):
        q = p.with_name(p.name + suffix)
        if q.exists() and _read_only(q):
            return (f"数据库的日志文件 {q.name} 是只读的，程序无法写入。未做任何更改。"
                    "请取消该文件的“只读”属性后再打开。")
    if folder.is_dir() and _read_only(folder) and sys.platform != "win32":
        return (f"数据库所在的文件夹 {folder} 不可写入（程序需要在数据库旁写入日志文件）。未做任何更改。"
                "请把数据库放到可以写入的文件夹，或请管理员开放该文件夹的写入权限。")
    return None


def open_database(path: str | os.PathLike, *, create: bool = False, readonly: bool = False,
                  migrate: bool = True, check: bool = True) -> sqlite_utils.Database:
    """Open (or with create=True, make) a database and bring its schema up to date.

    A file written by a newer version is refused; an older one is backed up, then migrated.
    `check` runs PRAGMA quick_check first (≈ 0.6 s per 100,000 cases): the program's start and every
    writing command do it; a second connection of the same process and read-only listings skip it.
    """
    p = Path(path)
    if not create and not p.exists():
        raise Refused(f"数据库文件不存在：{p}")
    if create:
        p.parent.mkdir(parents=True, exist_ok=True)
    if not readonly:
        problem = storage_problem(p) or access_problem(p)
        if problem:
            raise Refused(problem)
    existed = p.exists() and p.stat().st_size > 0
    if readonly:
        conn = sqlite3.connect(f"file:{p}?mode=ro", uri=True, check_same_thread=False)
    else:
        conn = sqlite3.connect(p, check_same_thread=False)
    try:
        _configure(conn, readonly)
        if existed and check:
            bad = quick_check(conn)
            if bad:
                raise Refused(f"数据库文件 {p.name} 已损坏（{bad[0]}），请从备份恢复（restore）")
        db = Database(conn)
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
        if not readonly and applied:
            from desktop import schema_security

            schema_security.ensure(db)
        if not readonly:
            from desktop.security import counts

            counts.install(db)  # rows are counted at each commit (deletions with sqlite3 show)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise Refused(f"无法打开数据库文件 {p.name}：{exc}（文件已损坏或不是数据库，请从备份恢复）") from None
    except BaseException:
        conn.close()
        raise
    db.md_path = p
    return db


def remove_files(path: str | os.PathLike) -> None:
    """Remove a database file with its WAL and shared-memory files (a creation that failed half-way)."""
    p = Path(path)
    for suffix in ("", "-wal", "-shm"):
        q = p.with_name(p.name + suffix)
        if q.exists():
            q.unlink()


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


