"""Backups: automatic (daily, before migrations, imports and restores), manual, and restore.

Every copy goes through the SQLite backup API (consistent even while the program writes), is
verified with integrity_check, and is written atomically (temporary file, fsync, rename, fsync of
the folder), so a power cut leaves either the old state or a complete, checked copy. Sensitive
fields are stored sealed, so backups hold no plaintext ID numbers either.

Automatic copies live in `paths.backup_dir(db)` beside the database and are rotated: the newest
daily copy of each of the last 7 days, of each of the last 4 weeks and of each of the last 12
months are kept; of the copies taken before an operation, the 10 newest of each kind.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import sqlite3
from pathlib import Path

import sqlite_utils

from desktop import clock, paths
from desktop.errors import InputError, Refused
from desktop.clock import TZ


def _now() -> _dt.datetime:
    """Station-local wall time (China Standard Time), naive: names files and decides 'today'."""
    return clock.now_datetime().replace(tzinfo=None)

KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY, KEEP_PRE = 7, 4, 12, 10
_STAMP = "%Y%m%d-%H%M%S-%f"


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _source_conn(source) -> sqlite3.Connection:
    return source.conn if hasattr(source, "conn") else source


def snapshot(source, target: str | os.PathLike) -> Path:
    """Copy a database (a Database, a connection or a path) to `target` atomically, verified."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    own = None
    if isinstance(source, (str, os.PathLike)):
        own = sqlite3.connect(f"file:{Path(source)}?mode=ro", uri=True)
        src = own
    else:
        src = _source_conn(source)
    try:
        dest = sqlite3.connect(tmp)
        try:
            src.backup(dest)
            # The copy stands alone: one file, no -wal beside it.
            dest.execute("PRAGMA journal_mode = DELETE")
            check = [r[0] for r in dest.execute("PRAGMA integrity_check").fetchall()]
            if check != ["ok"]:
                raise Refused(f"备份校验失败（{check[0]}），未保存备份")
        finally:
            dest.close()
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except OSError as exc:
        raise Refused(f"无法写入备份 {target}：{exc.strerror or exc}") from None
    finally:
        if own is not None:
            own.close()
        for leftover in (tmp, tmp.with_name(tmp.name + "-journal")):
            if leftover.exists():
                leftover.unlink()
    return target


def _name_re(stem: str) -> re.Pattern:
    return re.compile(rf"^{re.escape(stem)}-(?P<label>[a-z][a-z-]*?)-(?P<stamp>\d{{8}}-\d{{6}}-\d{{6}})\.sqlite$")


def auto_backups(db_path) -> list[tuple[Path, str, _dt.datetime]]:
    """(file, label, time) of the automatic copies of a database, oldest first."""
    folder = paths.backup_dir(db_path)
    if not folder.is_dir():
        return []
    pat = _name_re(Path(db_path).stem)
    out = []
    for f in folder.iterdir():
        m = pat.match(f.name)
        if m:
            out.append((f, m.group("label"), _dt.datetime.strptime(m.group("stamp"), _STAMP)))
    return sorted(out, key=lambda t: t[2])


def auto_backup(db, db_path, label: str, *, when: _dt.datetime | None = None) -> Path:
    """A verified copy into the backup folder beside the database, then rotation."""
    when = when or _now()
    target = paths.backup_dir(db_path) / f"{Path(db_path).stem}-{label}-{when.strftime(_STAMP)}.sqlite"
    snapshot(db, target)
    rotate(db_path, today=when.date())
    return target


def daily(db, db_path, *, when: _dt.datetime | None = None) -> Path | None:
    """The first start of each day makes a copy (the desktop program and open_session call this)."""
    when = when or _now()
    if any(label == "daily" and t.date() == when.date() for _f, label, t in auto_backups(db_path)):
        return None
    return auto_backup(db, db_path, "daily", when=when)


def rotate(db_path, *, today: _dt.date | None = None) -> list[Path]:
    """Delete automatic copies the schedule no longer needs. Returns the deleted files."""
    files = auto_backups(db_path)
    keep: set[Path] = set()
    dailies = [(f, t) for f, label, t in files if label == "daily"]
    for period, count in (((lambda t: t.date()), KEEP_DAILY), ((lambda t: t.isocalendar()[:2]), KEEP_WEEKLY),
                          ((lambda t: (t.year, t.month)), KEEP_MONTHLY)):
        newest: dict = {}
        for f, t in dailies:  # oldest first, so the last one of each period wins
            newest[period(t)] = f
        for key in sorted(newest, reverse=True)[:count]:
            keep.add(newest[key])
    by_label: dict[str, list[Path]] = {}
    for f, label, _t in files:
        if label != "daily":
            by_label.setdefault(label, []).append(f)
    for group in by_label.values():
        keep.update(group[-KEEP_PRE:])
    removed = []
    for f, _label, _t in files:
        if f not in keep:
            try:
                f.unlink()
                removed.append(f)
            except OSError:
                pass
    return removed


def manual(db, out_dir: str | os.PathLike, db_path) -> Path:
    """A backup to a chosen folder (e.g. a USB stick), written atomically."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out: 不是文件夹：{out}")
    stamp = _now().strftime("%Y%m%d-%H%M%S")
    target = out / f"{Path(db_path).stem}-backup-{stamp}.sqlite"
    n = 1
    while target.exists():
        n += 1
        target = out / f"{Path(db_path).stem}-backup-{stamp}-{n}.sqlite"
    return snapshot(db, target)


def describe(path: str | os.PathLike) -> dict:
    """What a backup holds, read without changing it: refuses files that are not station databases."""
    from desktop.migrations import MIGRATION_NAMES

    p = Path(path)
    if not p.is_file():
        raise InputError(f"--from: 备份文件不存在：{p}")
    try:
        conn = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise Refused(f"无法打开备份文件 {p.name}：{exc}") from None
    try:
        try:
            check = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
            tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise Refused(f"备份文件 {p.name} 不是有效的数据库：{exc}") from None
        if check != ["ok"]:
            raise Refused(f"备份文件 {p.name} 已损坏：{check[0]}")
        if not {"settings", "cases", "users", "audit_log"} <= tables:
            raise Refused(f"{p.name} 不是调解工作台的数据库备份")

        def setting(key):
            row = conn.execute("select value from settings where key = ?", (key,)).fetchone()
            return json.loads(row[0]) if row else None

        station = setting("station_id")
        org_row = conn.execute("select profile from org where station = ? and deleted = 0", (station,)).fetchone() \
            if "org" in tables else None
        applied = [r[0] for r in conn.execute("select name from _sqlite_migrations")] \
            if "_sqlite_migrations" in tables else []
        latest = conn.execute("select case_no, received_at, updated_at from cases where deleted = 0"
                              " order by received_at desc, rowid desc limit 1").fetchone()
        last_change = conn.execute("select max(at) from audit_log").fetchone()[0]
        return {
            "file": str(p), "size": p.stat().st_size,
            "written": _dt.datetime.fromtimestamp(p.stat().st_mtime, TZ).isoformat(timespec="seconds"),
            "station": station, "org": json.loads(org_row[0]).get("name", "") if org_row else "",
            "demo": bool(setting("demo")),
            "cases": conn.execute("select count(*) from cases where deleted = 0").fetchone()[0],
            "mediators": conn.execute("select count(*) from mediators where deleted = 0").fetchone()[0]
            if "mediators" in tables else 0,
            "users": conn.execute("select count(*) from users").fetchone()[0],
            "audit_entries": conn.execute("select count(*) from audit_log").fetchone()[0],
            "latest_case": {"case_no": latest[0], "received_at": latest[1]} if latest else None,
            "last_change": last_change,
            "schema": len(applied), "newer": any(n not in MIGRATION_NAMES for n in applied),
            "last_bundle": conn.execute("select max(seq) from sync_bundles_out").fetchone()[0] or 0
            if "sync_bundles_out" in tables else 0,
        }
    finally:
        conn.close()


def describe_text(info: dict) -> list[str]:
    latest = info["latest_case"]
    return [
        f"备份文件：{info['file']}（{info['size'] // 1024} KB，写入于 {info['written']}）",
        f"调解组织：{info['org'] or '（未知）'}，站点 {info['station'] or '（未知）'}" + ("（演示数据）" if info["demo"] else ""),
        f"案件 {info['cases']} 件，调解员 {info['mediators']} 人，用户 {info['users']} 个，审计记录 {info['audit_entries']} 条",
        f"最近的案件：{latest['case_no']}（收件 {latest['received_at'][:10]}）" if latest else "最近的案件：无",
        f"最后一次操作：{info['last_change'] or '无'}",
    ]


def last_bundle(db) -> int:
    try:
        return db.conn.execute("select max(seq) from sync_bundles_out").fetchone()[0] or 0
    except sqlite3.Error:
        return 0


def restore_notes(db, info: dict) -> list[str]:
    """What restoring `info` (describe of a backup) over `db` will do beyond replacing the data:
    shown before the confirmation."""
    from desktop import org

    notes = []
    current = last_bundle(db)
    if info["station"] != org.station_id(db):
        notes.append(f"注意：该备份属于另一个站点（{info['station']}，{info['org'] or '未知组织'}），当前站点为 "
                     f"{org.station_id(db)}：恢复后本数据库将成为那个站点（站点标识、用户、签名密钥都随之替换）")
    if info["last_bundle"] < current:
        notes.append(f"注意：该备份早于本站已导出的第 {current} 号数据包（备份中最后一个为第 {info['last_bundle']} 号）："
                     f"其后的修改将在本站丢失，但汇总端已收到的数据不受影响；恢复后本站的编号从第 {current + 1} 号继续，"
                     "下一次导出为完整数据包，汇总端按正常顺序接收")
    return notes


def verify_backup(path, codec=None) -> list[str]:
    """Problems in a backup's own protection, found before it replaces anything (issue 15 item 10).

    With the signed-in administrator's data key (`codec`) and a backup sealed under the same key
    (this station's): everything `check` verifies about tampering — the audit chain and its MACs,
    every record MAC, records the log says were created but are gone, every sensitive field bound
    to its record. A backup under another key (another station's) can only have its plain chain
    verified: its MACs need that station's key (docs/security.md)."""
    from desktop.security import audit, integrity

    conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
    try:
        handle = sqlite_utils.Database(conn)
        row = conn.execute("select value from settings where key = 'encryption'").fetchone()
        key_id = json.loads(row[0]).get("key_id") if row else None
        if codec is None or key_id is None or getattr(codec, "key_id", None) != key_id:
            return audit.verify(handle)
        handle.md_codec, handle.md_index_key, handle.md_encrypted = codec, codec.index_key, True
        return integrity.verify_file(handle)
    finally:
        conn.close()


def restore(db, db_path, backup_path, actor, *, other_station: bool = False) -> dict:
    """Replace the open database's content with a backup's. The caller has shown `describe` and
    holds the writer lock. Returns {"info", "saved"} (saved: the copy of what was replaced).

    Guards (issue 15): another station's backup needs other_station=True; the backup's audit chain
    is verified first; a backup from before the last exported bundle keeps the record of exported
    bundles, so numbering goes on, and the next export is a full bundle the hub accepts in order.
    """
    from desktop import dbtools, org
    from desktop.security import accounts, audit

    accounts.require(actor, "admin")
    info = describe(backup_path)
    if info["newer"]:
        raise Refused("该备份由更新版本的调解工作台写入，请先升级本程序")
    if Path(backup_path).resolve() == Path(db_path).resolve():
        raise InputError("--from: 不能用数据库文件本身作为备份")
    if info["station"] != org.station_id(db) and not other_station:
        raise Refused(f"该备份属于另一个站点（{info['station']}，{info['org'] or '未知组织'}），恢复后本数据库将成为"
                      "那个站点（站点标识、用户、签名密钥都随之替换）。如确需如此，请加 --other-station 重新运行"
                      "（未做任何更改）")
    from desktop.security import keys

    problems = verify_backup(backup_path, keys.unlocked(db))
    if problems:
        what = "审计日志" if all(p.startswith("审计日志") for p in problems) else "记录"
        shown = "；".join(problems[:5]) + (f"；等共 {len(problems)} 处" if len(problems) > 5 else "")
        raise Refused(f"备份文件 {Path(backup_path).name} 的{what}校验失败（{shown}）：备份可能被改动过，"
                      "拒绝恢复（未做任何更改）。请换一个备份")
    exported = []
    if info["station"] == org.station_id(db) and info["last_bundle"] < last_bundle(db):
        cols = [r[1] for r in db.conn.execute("pragma table_info(sync_bundles_out)")]
        exported = [dict(zip(cols, r)) for r in db.conn.execute(
            "select * from sync_bundles_out where seq > ? order by seq", (info["last_bundle"],))]
    saved = auto_backup(db, db_path, "pre-restore")
    src = sqlite3.connect(f"file:{Path(backup_path)}?mode=ro", uri=True)
    try:
        src.backup(db.conn)
    finally:
        src.close()
    # The copied header carries the backup's journal mode; put the live file back into WAL.
    mode = db.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode.lower() != "wal":
        raise Refused("恢复后无法启用预写日志（WAL）模式")
    bad = dbtools.quick_check(db.conn)
    if bad:
        raise Refused(f"恢复后的数据库校验失败：{bad[0]}；原数据的备份在 {saved}")
    codec = getattr(db, "md_codec", None)
    for attr in ("md_codec", "md_index_key", "md_encrypted", "md_audit_mac"):
        if hasattr(db, attr):
            setattr(db, attr, None)
    from desktop.migrations import migrations

    migrations.apply(db)  # an older backup is brought up to date, as at any open
    from desktop import schema_security

    schema_security.ensure(db)
    enc = db.conn.execute("select value from settings where key = 'encryption'").fetchone()
    if enc and getattr(codec, "key_id", None) == json.loads(enc[0]).get("key_id"):
        db.md_codec, db.md_index_key, db.md_encrypted = codec, codec.index_key, True  # the same key: stay signed in
    with db.atomic():
        if exported:  # the hub has these: keep their record so numbering goes on, and re-send everything
            cols = [c for c in exported[0] if c in {r[1] for r in db.conn.execute("pragma table_info(sync_bundles_out)")}]
            db.conn.executemany(
                f"insert or replace into sync_bundles_out ({','.join(cols)}) values ({','.join('?' * len(cols))})",
                [[row[c] for c in cols] for row in exported])
            org.set_setting(db, "sync.full_next", True)
        audit.log(db, actor.name, "backup.restore", target="database",
                  detail={"from": Path(backup_path).name, "cases": info["cases"], "saved": saved.name,
                          **({"bundles_kept": [r["seq"] for r in exported]} if exported else {})})
    from desktop.security import counts

    counts.start(db, actor.name, audit.log)  # a backup from before the counts: they start now
    return {"info": info, "saved": saved}
