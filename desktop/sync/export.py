"""A station's next bundle (or a district hub's bundle of everything it holds, for its city hub).

The sequence number advances, and the exported rows are marked clean, in the same transaction
that writes the bundle; the file is written under a temporary name, flushed, renamed, read back
and verified before that transaction commits. A failed write (full or read-only stick) leaves no
bundle and no advanced number. Every bundle is also kept beside the database so a lost stick can
be replaced with a byte-identical copy (`export --resend N`): age encryption is randomised, so
the kept file itself — not a re-encryption — is what is re-sent.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import json
import os
import re
from pathlib import Path

import orjson

from desktop import __version__, cases, org
from desktop.security import audit
from desktop.errors import InputError, Refused
from desktop.migrations import MIGRATION_NAMES
from desktop.clock import now
from desktop.dbtools import immediate
from desktop.sync import bundle, keys

HUB_SETTING = "sync.hub"


def kept_dir(db) -> Path:
    p = Path(getattr(db, "md_path", "station.sqlite"))
    return p.parent / (p.stem + "-bundles")


# --- collecting records ---------------------------------------------------------------------------

def _reveal_people(db, rec: dict, rid: str) -> dict:
    return cases.reveal_record(db, rec, rid)


def _reveal_mediator(db, m: dict, rid: str) -> dict:
    from desktop import roster

    return roster.reveal_mediator(db, m, rid)  # drops the masked copies: they are local, not sent


def collect(db, *, full: bool) -> list[dict]:
    """The records that travel: changed since the last bundle (dirty), or every one."""
    where = "" if full else " where dirty = 1"
    out: list[dict] = []
    common = "id, station, created_at, updated_at, rev, deleted"

    def base(r):
        return {"id": r[0], "station": r[1], "created_at": r[2], "updated_at": r[3], "rev": r[4], "deleted": r[5]}

    for r in db.conn.execute(f"select {common}, profile from org{where} order by id"):
        out.append({"t": "org", **base(r), "profile": orjson.loads(r[6])})
    for r in db.conn.execute(f"select {common}, name, active, doc from mediators{where} order by id"):
        out.append({"t": "mediators", **base(r), "name": r[6], "active": r[7],
                    "doc": _reveal_mediator(db, orjson.loads(r[8]), r[0])})
    for r in db.conn.execute(f"select {common}, case_no, year, seq, archived, back_entered, doc from cases{where}"
                             " order by id"):
        out.append({"t": "cases", **base(r), "case_no": r[6], "year": r[7], "seq": r[8], "archived": r[9],
                    "back_entered": r[10], "doc": _reveal_people(db, orjson.loads(r[11]), r[0])})
    for r in db.conn.execute(f"select {common}, case_id, at, actor, action, reason, detail from case_events{where}"
                             " order by id"):
        out.append({"t": "case_events", **base(r), "case_id": r[6], "at": r[7], "actor": r[8], "action": r[9],
                    "reason": r[10], "detail": {} if r[11] == "{}" else orjson.loads(r[11])})
    for r in db.conn.execute(f"select {common}, date, is_workday, note from calendar_overrides{where} order by id"):
        out.append({"t": "calendar_overrides", **base(r), "date": r[6], "is_workday": r[7], "note": r[8]})
    if full:  # a hub reporting up: the stations' holiday overrides it holds
        for r in db.conn.execute(f"select {common}, date, is_workday, note from sync_calendar_overrides order by id"):
            out.append({"t": "calendar_overrides", **base(r), "date": r[6], "is_workday": r[7], "note": r[8]})
    return out


def _mark_clean(db) -> None:
    for table in bundle.SYNCED:
        db.conn.execute(f"update {table} set dirty = 0 where dirty = 1")


def stats_fingerprint(db, period: str, station: str) -> str | None:
    """The station's own statistics fingerprint for the period, when the statistics module offers one."""
    try:
        from desktop.stats.report import station_fingerprint  # issue: statistical reports
    except ImportError:
        return None
    return station_fingerprint(db, period, station)


# --- writing files safely ---------------------------------------------------------------------------

def _os_message(exc: OSError, where: Path) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        why = "空间已满"
    elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        why = "只读或没有写入权限"
    elif exc.errno in (errno.ENOENT, errno.ENOTDIR):
        why = "目录不存在"
    else:
        why = exc.strerror or str(exc)
    return f"无法写入数据包到 {where}：{why}"


def write_atomic(directory: Path, name: str, data: bytes) -> Path:
    """Temp name, write, fsync, rename, fsync the directory, read back and compare. All or nothing."""
    directory = Path(directory)
    final = directory / name
    tmp = directory / _temp_name(name)
    renamed = False
    try:
        _write_synced(tmp, data)
        os.replace(tmp, final)
        renamed = True
        _fsync_dir(directory)
        if final.read_bytes() != data:
            raise Refused(f"写入 {final} 后读回的内容与原文不符（U 盘可能损坏），已删除该文件")
        return final
    except OSError as exc:
        _remove(tmp)
        if renamed:
            _remove(final)
        raise Refused(_os_message(exc, directory)) from None
    except BaseException:
        _remove(tmp)
        if renamed:
            _remove(final)
        raise


def _remove(p: Path) -> None:
    with contextlib.suppress(OSError):
        p.unlink()


def _write_synced(path: Path, data: bytes) -> None:
    """Write all of data to path (created or truncated) and fsync it; OSError passes through."""
    # O_BINARY: on Windows os.open defaults to text mode and would write every \n as \r\n.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o644)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    """Make a rename in directory durable, where the file system allows it."""
    with contextlib.suppress(OSError):  # not every file system lets a directory be fsynced
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


# A bundle is published in two steps so that it never appears under its final name before the
# station has recorded it (issue 15): the bytes go to a hidden temporary file (fsynced) inside the
# export transaction; the rename to the final name happens only after COMMIT. A kill before the
# commit leaves only hidden temporaries (removed at the next export); a kill after it leaves a
# recorded bundle still under its temporary name (renamed at the next export: the same bytes).

def _temp_name(name: str) -> str:
    return f".{name}.{os.getpid()}.tmp"


def write_temp(directory: Path, name: str, data: bytes) -> Path:
    """Write data to a hidden temporary file beside `name` in directory and fsync it."""
    tmp = Path(directory) / _temp_name(name)
    try:
        _write_synced(tmp, data)
    except OSError as exc:
        _remove(tmp)
        raise Refused(_os_message(exc, Path(directory))) from None
    return tmp


def publish(tmp: Path, name: str, data: bytes) -> Path:
    """Rename a written temporary to its final name, fsync the folder, read back and compare."""
    final = tmp.parent / name
    try:
        os.replace(tmp, final)
        _fsync_dir(tmp.parent)
        with open(final, "rb") as f:
            same = f.read() == data
    except OSError as exc:
        raise Refused(_os_message(exc, tmp.parent)) from None
    if not same:
        _remove(final)
        raise Refused(f"写入 {final} 后读回的内容与原文不符（U 盘可能损坏），已删除该文件")
    return final


_LEFTOVER = re.compile(r"\.(?P<name>(?P<station>[A-Za-z0-9]{1,40})-(?P<seq>\d{6,})\.bundle)\.\d+\.tmp")


def reconcile(db, directory: Path) -> dict:
    """Clean what an interrupted export left in a folder (the kept copies, a stick): a temporary of a
    bundle the station recorded becomes that bundle (same bytes, checked by hash); every other
    temporary of this station is removed. Returns {"published": [...], "removed": [...]}."""
    out = {"published": [], "removed": []}
    directory = Path(directory)
    if not directory.is_dir():
        return out
    station = org.station_id(db)
    for f in directory.iterdir():
        m = _LEFTOVER.fullmatch(f.name)
        if not m or m.group("station") != station:
            continue
        row = db.conn.execute("select sha256 from sync_bundles_out where seq = ?", (int(m.group("seq")),)).fetchone()
        final = directory / m.group("name")
        try:
            data = f.read_bytes()
            if row and bundle.sha256(data) == row[0] and not (final.exists() and final.read_bytes() == data):
                publish(f, m.group("name"), data)
                out["published"].append(m.group("name"))
                continue
        except (OSError, Refused):
            pass
        _remove(f)
        out["removed"].append(f.name)
    return out


# --- export -------------------------------------------------------------------------------------------

def hub_of(db) -> dict | None:
    return org.get_setting(db, HUB_SETTING)


def build_bundle(records: list[dict], *, signing_key, station: str, station_name: str, role: str, seq: int,
                 prev_sha256: str | None, created: str, since: str | None, full: bool, recipient: str,
                 audit_head, calendar_version: str, stats_fingerprint: str | None,
                 package: dict | None = None, audit_checkpoint: dict | None = None) -> tuple[bytes, dict]:
    """Encrypt, describe, sign and pack records; verify the result with the hub's own reader."""
    import pyrage
    from pyrage import x25519

    lines = [bundle.canonical_json(r) for r in records]
    plain = b"\n".join(lines) + (b"\n" if lines else b"")
    ciphertext = pyrage.encrypt(plain, [x25519.Recipient.from_str(recipient)])
    counts = {t: 0 for t in bundle.SYNCED}
    tombstones = {t: 0 for t in bundle.SYNCED}
    for r in records:
        counts[r["t"]] += 1
        tombstones[r["t"]] += r["deleted"]
    manifest = {
        "format": bundle.FORMAT_NAME, "version": bundle.FORMAT_VERSION,
        "station": station, "station_name": station_name, "role": role,
        "key_id": signing_key.key_id_hex, "seq": seq, "prev_sha256": prev_sha256,
        "created_at": created, "schema_version": len(MIGRATION_NAMES), "app_version": __version__,
        "full": bool(full), "counts": counts, "tombstones": tombstones,
        "payload": {"sha256": bundle.sha256(ciphertext), "size": len(ciphertext),
                    "plain_sha256": bundle.sha256(plain), "plain_size": len(plain)},
        "recipient": recipient, "audit_head": audit_head,
        "period": {"label": created[:7], "since": since, "until": created},
        "calendar_data_version": calendar_version,
        "stats_fingerprint": stats_fingerprint,
    }
    if package:  # only once a downward package was applied, so a hub older than that key never sees it
        manifest["package"] = package
    if audit_checkpoint:
        manifest["audit_checkpoint"] = audit_checkpoint
    manifest_bytes = bundle.canonical_json(manifest)
    sig = signing_key.sign(manifest_bytes, f"timestamp:{created} file:manifest.json station:{station} seq:{seq}")
    data = bundle.build_zip([("manifest.json", manifest_bytes), ("manifest.json.minisig", sig),
                             ("payload.age", ciphertext)])
    # Verify what we are about to hand over with the same reader the hub uses.
    m_bytes, s_bytes, p_bytes = bundle.read_container(data, max_size=max(len(data), bundle.MAX_BUNDLE_BYTES))
    keys.verify_minisig(m_bytes, s_bytes, signing_key.key_id, signing_key.private.public_key())
    if bundle.parse_manifest(m_bytes)["payload"]["sha256"] != bundle.sha256(p_bytes):
        raise Refused("数据包自检失败：载荷哈希不符")
    return data, manifest


def _package_report(db, hub: dict) -> dict | None:
    """The last downward package from this hub the station applied (desktop/sync/downward.py)."""
    got = (org.get_setting(db, "downward.seqs") or {}).get(hub.get("hub"))
    return {"hub": hub["hub"], "seq": got["seq"], "sha256": got["sha256"], "applied_at": got["applied_at"]} \
        if got else None


def export_bundle(db, out_dir, actor, *, full: bool = False) -> dict:
    """Write the next bundle into out_dir. Returns {"path", "seq", "counts", "nil", "new_key"}."""
    from desktop.security.accounts import require

    require(actor, "export")
    hub = hub_of(db)
    if not hub:
        raise Refused("本数据库尚未加入汇总端：请先用 join --hub-card 安装汇总端登记卡，再导出数据包")
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise InputError(f"--out: 目录不存在：{out_dir}")
    had_key = keys.signing_key(db, create=False) is not None
    sk = keys.signing_key(db)
    station = org.station_id(db)
    profile = org.get_profile(db)
    if keys.is_hub(db):
        full = True  # a hub reports everything it holds; its rows are never "dirty" for it
    if org.get_setting(db, "sync.full_next"):
        full = True  # restored from a backup older than the last bundle: re-send everything
    keep = kept_dir(db)
    keep.mkdir(parents=True, exist_ok=True)
    for folder in (keep, out_dir):  # what an interrupted export left behind
        reconcile(db, folder)
    with immediate(db):
        last = db.conn.execute("select seq, sha256, created_at from sync_bundles_out order by seq desc limit 1").fetchone()
        seq = (last[0] if last else 0) + 1
        records = collect(db, full=full)
        created = now()
        period = created[:7]
        data, manifest = build_bundle(
            records, signing_key=sk, station=station, station_name=profile["name"][:200] or station,
            role="hub" if keys.is_hub(db) else "station", seq=seq, prev_sha256=last[1] if last else None,
            created=created, since=last[2] if last else None, full=full, recipient=hub["recipient"],
            audit_head=audit.head(db), calendar_version=cases.calendar_for(db).data_version()[:200],
            stats_fingerprint=stats_fingerprint(db, period, station), package=_package_report(db, hub),
            audit_checkpoint=audit.checkpoint(db))
        counts = manifest["counts"]
        name = bundle.file_name(station, seq)
        digest = bundle.sha256(data)
        kept_tmp = write_temp(keep, name, data)
        kept = keep / name
        try:
            out_tmp = write_temp(out_dir, name, data)
            db.conn.execute(
                "insert into sync_bundles_out (seq, sha256, prev_sha256, file_name, kept_path, created_at, period,"
                " full, counts, recipient, created_by) values (?,?,?,?,?,?,?,?,?,?,?)",
                (seq, digest, manifest["prev_sha256"], name, str(kept), created, period, int(full),
                 json.dumps(counts), hub["recipient"], actor.name))
            _mark_clean(db)
            db.conn.execute("delete from settings where key = 'sync.full_next'")
            audit.log(db, actor.name, "bundle.export", target="sync_bundles_out", record_id=str(seq),
                      detail={"file": name, "sha256": digest, "full": bool(full), "counts": counts,
                              "hub": hub.get("hub")})
        except BaseException:
            _remove(kept_tmp)
            if "out_tmp" in locals():
                _remove(out_tmp)
            raise
    # Recorded: only now do the files take their final names.
    try:
        publish(kept_tmp, name, data)
        path = publish(out_tmp, name, data)
    except Refused as exc:
        raise Refused(f"第 {seq} 号数据包已记录，但写出时出错：{exc.message}。"
                      f"请换一个 U 盘后用 export --resend {seq} 重新写出（内容与原包逐字节相同）") from None
    return {"path": str(path), "seq": seq, "sha256": digest, "counts": counts,
            "nil": not any(counts.values()), "new_key": not had_key, "full": bool(full)}


def checkpoint_problems(db) -> list[str]:
    """The audit log against the checkpoint in the last bundle this station exported (its kept copy):
    an entry cut off or rewritten since then is reported by `check`."""
    row = db.conn.execute("select seq, kept_path, sha256 from sync_bundles_out order by seq desc limit 1").fetchone()
    if row is None:
        return []
    try:
        data = Path(row[1]).read_bytes()
        if bundle.sha256(data) != row[2]:
            raise ValueError
        manifest = bundle.parse_manifest(bundle.read_container(data, max_size=max(len(data), 1))[0])
    except (OSError, ValueError, bundle.Rejected):
        return [f"本站保存的第 {row[0]} 号数据包副本缺失或已改动，无法核对审计日志（可用 export --resend 前先检查）"]
    cp = manifest.get("audit_checkpoint")
    if not cp:
        return []
    for (detail,) in db.conn.execute("select detail from audit_log where action = 'backup.restore'"):
        if row[0] in json.loads(detail).get("bundles_kept", []):
            return []  # restored from a backup older than this bundle (audited): the log was rewound on purpose
    got = db.conn.execute("select hash from audit_log where seq = ?", (cp["seq"],)).fetchone()
    if got is None:
        return [f"审计日志在第 {row[0]} 号数据包导出之后被截断：导出时已有第 {cp['seq']} 条，现在没有"]
    if got[0] != cp["hash"]:
        return [f"审计日志在第 {row[0]} 号数据包导出之后被改写：第 {cp['seq']} 条与导出时不同"]
    return []


def resend(db, seq: int, out_dir, actor) -> Path:
    """Write bundle n again, byte for byte (a lost or broken stick)."""
    from desktop.security.accounts import require

    require(actor, "export")
    row = db.conn.execute("select file_name, kept_path, sha256 from sync_bundles_out where seq = ?", (seq,)).fetchone()
    if row is None:
        raise InputError(f"--resend: 本站没有导出过第 {seq} 号数据包")
    try:
        data = Path(row[1]).read_bytes()
    except OSError as exc:
        raise Refused(f"找不到本站保存的第 {seq} 号数据包副本 {row[1]}（{exc.strerror}）") from None
    if bundle.sha256(data) != row[2]:
        raise Refused(f"本站保存的第 {seq} 号数据包副本已损坏（哈希不符），不能重发")
    path = write_atomic(Path(out_dir), row[0], data)
    with db.atomic():
        audit.log(db, actor.name, "bundle.resend", target="sync_bundles_out", record_id=str(seq),
                  detail={"file": row[0], "sha256": row[2]})
    return path


def join(db, card: dict, actor) -> dict:
    """Install the hub's card at a station. Everything is marked for the next bundle, so a new
    hub receives the station's whole record (its earlier bundles went elsewhere or nowhere)."""
    from desktop.security.accounts import require

    require(actor, "admin")
    problems = []
    if not isinstance(card, dict) or card.get("type") != keys.HUB_CARD or card.get("version") != 1:
        raise InputError("--hub-card: 不是汇总端登记卡（hub-card 生成的 JSON 文件）")
    for k in ("hub", "name", "recipient", "fingerprint"):
        if not isinstance(card.get(k), str) or not card[k]:
            problems.append(f"--hub-card: 缺少 {k}")
    if problems:
        raise InputError(problems)
    try:
        from pyrage import x25519

        x25519.Recipient.from_str(card["recipient"])
    except Exception:
        raise InputError("--hub-card: recipient 不是有效的 age 公钥") from None
    if keys.fingerprint(card["recipient"].encode()) != card["fingerprint"]:
        raise InputError("--hub-card: 指纹与公钥不符（登记卡被改动）")
    if "public_key" in card:  # the key the hub signs its downward packages with
        try:
            kid, _pub = keys.parse_public_blob(card["public_key"] if isinstance(card["public_key"], str) else "")
        except ValueError as exc:
            raise InputError(f"--hub-card: public_key {exc}") from None
        if keys.key_id_text(kid) != card.get("key_id") or \
                keys.fingerprint(base64.b64decode(card["public_key"])) != card.get("sign_fingerprint"):
            raise InputError("--hub-card: 签名公钥与 key_id 或指纹不符（登记卡被改动）")
    stored = {k: card[k] for k in ("hub", "name", "region", "recipient", "fingerprint", "public_key", "key_id",
                                   "sign_fingerprint") if k in card}
    stored["joined_at"] = now()
    before = hub_of(db) or {}
    # the same hub's newer card (e.g. now carrying its signing key) changes nothing that was sent
    same_hub = before.get("hub") == card["hub"] and before.get("recipient") == card["recipient"]
    with db.atomic():
        org.set_setting(db, HUB_SETTING, stored)
        for table in bundle.SYNCED if not same_hub else ():
            db.conn.execute(f"update {table} set dirty = 1 where dirty = 0")
        audit.log(db, actor.name, "hub.join", target="settings", record_id=HUB_SETTING,
                  detail={"hub": card["hub"], "fingerprint": card["fingerprint"]})
    return stored
