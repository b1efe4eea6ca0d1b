"""The hub: set-up, enrolment of stations, the fail-closed import, and what the hub can tell.

Import checks run in the issue's order — size, ZIP structure, manifest, known station and key,
signature, sequence, payload hash, decryption — reading the database only. Then one transaction
checks every record (in parts, on every core: `intake`), upserts each clean part by record id
keeping the highest revision, applies tombstones, rebuilds the derived rows and writes the
import-log row; any failed check rolls the whole transaction back, so a failure writes nothing.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import os
import sqlite3
import stat
from pathlib import Path

from desktop import cases, db as dbm, org
from desktop.security import accounts, audit
from desktop.errors import InputError, Refused
from desktop.migrations import MIGRATION_NAMES
from desktop.clock import now, today as _today
from desktop.sync import bundle, intake, keys
from desktop.sync.bundle import Rejected
from desktop.dbtools import immediate
from desktop.sync.export import stats_fingerprint

STATION_RE = intake.STATION_RE


class BundleRefused(Refused):
    def __init__(self, message: str, check: str):
        super().__init__(message)
        self.check = check


# --- set-up -------------------------------------------------------------------------------------------

def hub_init(path, name: str, region: str, admin: str, password: str) -> dict:
    path = Path(path)
    if path.exists() and path.stat().st_size > 0:
        raise InputError(f"--db: 文件已存在，拒绝覆盖：{path}")
    accounts.check_password_strength(password)
    profile = {"name": name, "kind": "other", "region": region}
    org.validate_profile(profile)
    database = dbm.open_database(path, create=True)
    try:
        hub_id = org.initialize(database, profile)
        with database.atomic():
            org.set_setting(database, "role", "hub")
        accounts.create_user(database, admin, password, "admin")
        keys.create_age_identity(database)
        card = keys.hub_card(database)
    except BaseException:
        database.conn.close()
        dbm.remove_files(path)
        raise
    database.conn.close()
    return {"hub": hub_id, "fingerprint": card["fingerprint"], "recipient": card["recipient"]}


def check_station_card(card) -> dict:
    if not isinstance(card, dict) or card.get("type") != keys.STATION_CARD or card.get("version") != 1:
        raise InputError("--card: 不是站点登记卡（station-card 生成的 JSON 文件）")
    problems = []
    if not isinstance(card.get("station"), str) or not STATION_RE.fullmatch(card["station"]):
        problems.append("--card: station 站点标识无效")
    if card.get("role") not in ("station", "hub"):
        problems.append("--card: role 应为 station 或 hub")
    if not isinstance(card.get("name"), str) or not card["name"].strip() or len(card["name"]) > 200:
        problems.append("--card: name 组织名称无效")
    last = card.get("last_seq", 0)
    if not isinstance(last, int) or isinstance(last, bool) or last < 0:
        problems.append("--card: last_seq 无效")
    try:
        kid, _pub = keys.parse_public_blob(card.get("public_key") or "")
        if keys.key_id_text(kid) != card.get("key_id"):
            problems.append("--card: key_id 与公钥不符")
        if keys.fingerprint(base64.b64decode(card["public_key"])) != card.get("fingerprint"):
            problems.append("--card: 指纹与公钥不符（登记卡被改动）")
    except (ValueError, TypeError) as exc:
        problems.append(f"--card: public_key {exc}")
    if problems:
        raise InputError(problems)
    return card


def enrol(db, card: dict, actor, *, expect_fingerprint: str | None = None, replace_key: bool = False) -> dict:
    """Register a station (or a district hub reporting to this one) from its card."""
    accounts.require(actor, "admin")
    if not keys.is_hub(db):
        raise Refused("本数据库不是汇总端，不能登记站点")
    card = check_station_card(card)
    if expect_fingerprint and expect_fingerprint.strip().upper() != card["fingerprint"]:
        raise Refused(f"登记卡指纹 {card['fingerprint']} 与纸质登记表上的 {expect_fingerprint} 不符，拒绝登记")
    if card["station"] == org.station_id(db):
        raise InputError("--card: 这是本汇总端自己的登记卡")
    row = db.conn.execute("select key_id, fingerprint from sync_stations where station = ?", (card["station"],)).fetchone()
    status = "enrolled"
    with db.atomic():
        if row is not None:
            if row[0] == card["key_id"]:
                status = "unchanged"
            elif not replace_key:
                raise Refused(f"站点 {card['station']} 已用另一把密钥（指纹 {row[1]}）登记；如确需更换密钥，"
                              "请核对纸质登记表后使用 --replace-key")
            else:
                db.conn.execute("update sync_stations set public_key = ?, key_id = ?, fingerprint = ?, name = ?"
                                " where station = ?", (card["public_key"], card["key_id"], card["fingerprint"],
                                                       card["name"], card["station"]))
                status = "key-replaced"
        else:
            db.conn.execute(
                "insert into sync_stations (station, name, region, kind, role, public_key, key_id, fingerprint,"
                " base_seq, enrolled_at, enrolled_by) values (?,?,?,?,?,?,?,?,?,?,?)",
                (card["station"], card["name"].strip(), str(card.get("region") or ""), str(card.get("kind") or ""),
                 card["role"], card["public_key"], card["key_id"], card["fingerprint"], card.get("last_seq", 0),
                 now(), actor.name))
        if status != "unchanged":
            audit.log(db, actor.name, "station.enrol", target="sync_stations", record_id=card["station"],
                      detail={"fingerprint": card["fingerprint"], "status": status, "role": card["role"]})
    return {"station": card["station"], "name": card["name"], "fingerprint": card["fingerprint"], "status": status}


# --- import -----------------------------------------------------------------------------------------------

def _context(db, manifest: dict, calendar_records: list[tuple[int, dict]]) -> intake.Context:
    sender = manifest["station"]
    origins = dict(db.conn.execute("select station, via from sync_origins").fetchall())
    # Holiday overrides per station: what the hub holds, with the bundle's own overrides applied
    # (highest revision wins), so the case checks compute deadlines as the station did.
    stations = {sender} | {s for s, via in origins.items() if via == sender} | {r["station"] for _n, r in calendar_records}
    state: dict[str, dict[str, tuple[int, int, int]]] = {s: {} for s in stations}
    marks = ",".join("?" * len(stations))
    for st, d, rev, deleted, wd in db.conn.execute(
            f"select station, date, rev, deleted, is_workday from sync_calendar_overrides where station in ({marks})",
            sorted(stations)):
        state[st][d] = (rev, deleted, wd)
    for n, r in calendar_records:
        intake.check_calendar_override(r, n)
        cur = state[r["station"]].get(r["date"])
        if cur is None or r["rev"] > cur[0]:
            state[r["station"]][r["date"]] = (r["rev"], r["deleted"], r["is_workday"])
    data_key, index_key = intake.sealing_handle(db)
    return intake.Context(
        sender=sender, role=manifest["role"], own=org.station_id(db),
        direct=frozenset(r[0] for r in db.conn.execute("select station from sync_stations")), origins=origins,
        overrides={s: {d: v[2] for d, v in o.items() if not v[1]} for s, o in state.items()},
        check_today=_today() + _dt.timedelta(days=1), today=_today(), data_key=data_key, index_key=index_key)


def _payload_lines(plain: bytes) -> list[bytes]:
    lines = plain.split(b"\n") if plain else []
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def _table(t: str) -> str:
    """Where a record type is kept at the hub (stations' holiday overrides apart from its own)."""
    return "sync_calendar_overrides" if t == "calendar_overrides" else t


def _held(c, part: intake.Prepared) -> dict:
    """What the hub already holds for a part's ids: table -> {id: (rowid, rev, station)}. One
    look-up serves both the ownership check and the insert-or-update split."""
    held = {}
    for t, rows in (("cases", part.cases), *part.simple.items()):
        ids = [r[0] for r in rows]
        out = held[t] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            out.update({r[0]: r[1:] for r in c.execute(
                f"select id, rowid, rev, station from {_table(t)} where id in ({','.join('?' * len(chunk))})",
                chunk)})
    return held


def _check_ids(part: intake.Prepared, held: dict, seen: dict, fail) -> None:
    """One record per id and table in a bundle; an id may never move between stations (a station
    cannot overwrite another's records)."""
    for t, rows in (("cases", part.cases), *part.simple.items()):
        ids = seen.setdefault(t, set())
        before = len(ids)
        ids.update(r[0] for r in rows)
        if len(ids) - before != len(rows):
            fail("记录", f"同一数据包中{_TABLE_CN[t]}记录的标识重复")
        for r in rows:
            old = held[t].get(r[0])
            if old is not None and old[2] != r[1]:
                fail("记录", f"记录 {r[0]} 在本汇总端属于站点 {old[2]}，数据包却标为 {r[1]}")


def _check_and_apply(db, lines: list[bytes], ctx: intake.Context, manifest: dict, fail,
                     *, parallel: bool | None = None) -> tuple[dict, set]:
    """Inside the import transaction: check the records part by part, writing each clean part
    while the next is still being checked. Any problem raises, and the caller's transaction is
    rolled back, so a bundle is written whole or not at all."""
    applied = {t: {"new": 0, "updated": 0, "unchanged": 0} for t in bundle.SYNCED}
    counts = {t: 0 for t in bundle.SYNCED}
    tombstones = {t: 0 for t in bundle.SYNCED}
    seen: dict[str, set] = {}
    stations: set[str] = set()
    try:
        for part in intake.prepare_parts(lines, ctx, db, parallel=parallel):
            held = _held(db.conn, part)
            _check_ids(part, held, seen, fail)
            for t in bundle.SYNCED:
                counts[t] += part.counts[t]
                tombstones[t] += part.tombstones[t]
            stations.update(r[1] for rows in (part.cases, *part.simple.values()) for r in rows)
            for t, stat in _apply(db, part, held).items():
                for k, v in stat.items():
                    applied[t][k] += v
    except intake.RecordProblem as exc:
        fail("记录", exc.message)
    _check_event_owners(db, sorted(seen.get("case_events", ())), fail)
    if counts != manifest["counts"] or tombstones != manifest["tombstones"]:
        fail("记录", f"各表记录数与清单不符（清单 {manifest['counts']}，实有 {counts}）")
    return applied, stations


def _check_event_owners(db, event_ids: list[str], fail) -> None:
    """A history event may only be sent by the station that owns its case: otherwise a station could
    put a forged "close" into another station's history. Checked on the written rows, so a case
    that arrives in the same bundle counts."""
    for i in range(0, len(event_ids), 500):
        chunk = event_ids[i:i + 500]
        bad = db.conn.execute(
            "select e.id, e.station, c.station, c.case_no from case_events e join cases c on c.id = e.case_id"
            f" where e.id in ({','.join('?' * len(chunk))}) and c.station != e.station limit 1", chunk).fetchone()
        if bad:
            fail("记录", f"案件经过记录 {bad[0]} 属于站点 {bad[1]}，其案件 {bad[3]} 却属于站点 {bad[2]}"
                         "（站点只能记录自己案件的经过）")


_TABLE_CN = {"org": "组织信息", "mediators": "调解员", "cases": "案件", "case_events": "案件经过",
             "calendar_overrides": "节假日调整"}


def _apply(db, plan: intake.Prepared, held: dict) -> dict:
    """Write the checked rows: new ones inserted, higher revisions replace, the rest left alone.

    One statement per table and kind (executemany); new cases get their rowids assigned here,
    inside the write transaction, so their derived rows can be written in bulk too."""
    applied = {t: {"new": 0, "updated": 0, "unchanged": 0} for t in bundle.SYNCED}
    c = db.conn

    def split(t, rows):
        have = held[t]
        new, upd = [], []
        for r in rows:
            old = have.get(r[0])
            if old is None:
                new.append(r)
            elif r[2] > old[1]:
                upd.append((old[0], r))
        return new, upd

    for t, rows in plan.simple.items():
        table = _table(t)
        cols = intake.SIMPLE_COLS[t]
        new, upd = split(t, rows)
        c.executemany(f"insert into {table} (id, {', '.join(cols)}) values ({', '.join('?' * (len(cols) + 1))})",
                      [(r[0], *r[3]) for r in new])
        c.executemany(f"update {table} set {', '.join(k + ' = ?' for k in cols)} where rowid = ?",
                      [(*r[3], rowid) for rowid, r in upd])
        applied[t].update(new=len(new), updated=len(upd), unchanged=len(rows) - len(new) - len(upd))

    cols = intake.CASE_COLS
    new, upd = split("cases", plan.cases)
    first = (c.execute("select max(rowid) from cases").fetchone()[0] or 0) + 1
    c.executemany(f"insert into cases (rowid, id, {', '.join(cols)}) values ({', '.join('?' * (len(cols) + 2))})",
                  [(first + i, r[0], *r[3]) for i, r in enumerate(new)])
    c.executemany(f"update cases set {', '.join(k + ' = ?' for k in cols)} where rowid = ?",
                  [(*r[3], rowid) for rowid, r in upd])
    if upd:  # replaced (or voided) cases lose their old derived rows
        old = [(rowid,) for rowid, _r in upd]
        for table in cases.DERIVED_TABLES:
            c.executemany(f"delete from {table} where case_rowid = ?", old)
        c.executemany("delete from case_fts where rowid = ?", old)
        c.executemany("delete from case_ngram where rowid = ?", old)
    cases.insert_derived(db, [(first + i, r[4]) for i, r in enumerate(new) if r[4] is not None]
                         + [(rowid, r[4]) for rowid, r in upd if r[4] is not None])
    applied["cases"].update(new=len(new), updated=len(upd), unchanged=len(plan.cases) - len(new) - len(upd))
    return applied


def import_bundle(db, path, actor, *, max_size: int = bundle.MAX_BUNDLE_BYTES,
                  parallel: bool | None = None, rebaseline: bool = False) -> dict:
    """Verify and merge one bundle. Returns a summary; raises BundleRefused (nothing written).

    A refused or duplicate bundle leaves an audit entry too (after the refusal's rollback), so the
    hub's log shows every bundle that was offered, not only those merged.
    """
    accounts.require(actor, "import")
    try:
        result = _import_bundle(db, path, actor, max_size=max_size, parallel=parallel, rebaseline=rebaseline)
    except BundleRefused as exc:
        _audit_offer(db, actor, "bundle.refused", Path(path).name, {"check": exc.check, "message": exc.message})
        raise
    if result.get("status") == "duplicate":
        _audit_offer(db, actor, "bundle.duplicate", result["file"],
                     {"station": result["station"], "seq": result["seq"]})
    return result


def _audit_offer(db, actor, action: str, name: str, detail: dict) -> None:
    try:
        with db.atomic():
            audit.log(db, actor.name, action, target="sync_bundles_in", record_id=name[:80], detail=detail)
    except sqlite3.Error:  # the audit entry must not hide the refusal itself (e.g. a full disk)
        pass


MAX_REBASELINE_JUMP = 10_000


def _read_regular(path: Path, max_size: int, fail) -> bytes:
    """The bytes of a regular file of at most max_size bytes. A symlink, device, pipe or folder is
    refused before anything is read (`ln -s /dev/zero X-000005.bundle` passed a stat-based cap),
    and at most max_size + 1 bytes are ever read (a file growing while read is refused too)."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        fail("读取", f"无法读取文件（{exc.strerror}）")
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
        fail("读取", "不是普通文件（符号链接、设备或文件夹不能作为数据包导入）")
    if st.st_size > max_size:
        fail("大小", f"文件 {st.st_size} 字节，超过上限 {max_size} 字节")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        fail("读取", f"无法读取文件（{exc.strerror}）")
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            fail("读取", "不是普通文件")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(max_size + 1)
    except OSError as exc:
        fail("读取", f"无法读取文件（{exc.strerror}）")
    finally:
        os.close(fd)
    if len(data) > max_size:
        fail("大小", f"文件超过上限 {max_size} 字节")
    return data


def _import_bundle(db, path, actor, *, max_size: int, parallel: bool | None, rebaseline: bool = False) -> dict:
    path = Path(path)
    name = path.name
    m = bundle.FILE_RE.fullmatch(name)
    ctx = {"station": m.group("station") if m else "未知", "seq": str(int(m.group("seq"))) if m else "未知"}

    def fail(check, detail):
        raise BundleRefused(f"数据包 {name}（站点 {ctx['station']}，序号 {ctx['seq']}）未导入——{check}检查：{detail}",
                            check)

    if not keys.is_hub(db):
        fail("汇总端", "本数据库不是汇总端（请用 hub-init 创建的汇总端数据库导入）")
    data = _read_regular(path, max_size, fail)
    try:
        m_bytes, s_bytes, payload = bundle.read_container(data, max_size=max_size)
    except Rejected as exc:
        fail(exc.check, exc.detail)
    digest = bundle.sha256(data)
    del data  # from here on only the payload is held: memory stays under twice the file
    # The signature is checked before the manifest is parsed: the key is found by the key id the
    # signature carries (fixed layout, no JSON), so unsigned bytes never reach the JSON parser.
    try:
        sig_kid = keys.signature_key_id(s_bytes)
    except keys.SignatureError as exc:
        fail("签名", str(exc))
    signers = db.conn.execute("select station, public_key, key_id, base_seq, role, name from sync_stations"
                              " where key_id = ?", (keys.key_id_text(sig_kid),)).fetchall()
    hinted = [r for r in signers if r[0] == (m.group("station") if m else None)]
    signer = (hinted or signers or [None])[0]
    if signer is None:
        if m and db.conn.execute("select 1 from sync_stations where station = ?", (m.group("station"),)).fetchone():
            fail("密钥", f"数据包的签名密钥 {keys.key_id_text(sig_kid)} 不是该站点登记的密钥")
        fail("站点", f"签名密钥 {keys.key_id_text(sig_kid)} 未在本汇总端登记：该站点未在本汇总端登记"
                     "（请先用 enrol 登记其登记卡）")
    kid, public = keys.parse_public_blob(signer[1])
    try:
        keys.verify_minisig(m_bytes, s_bytes, kid, public)
    except keys.SignatureError as exc:
        fail("签名", str(exc))
    try:
        manifest = bundle.parse_manifest(m_bytes)
    except Rejected as exc:
        fail(exc.check, exc.detail)
    ctx["station"], ctx["seq"] = manifest["station"], str(manifest["seq"])
    station, seq = manifest["station"], manifest["seq"]
    if manifest["schema_version"] > len(MIGRATION_NAMES):
        fail("版本", f"数据包来自更新版本的调解工作台（架构 {manifest['schema_version']}），请先升级汇总端")
    srow = db.conn.execute("select public_key, key_id, base_seq, role, name from sync_stations where station = ?",
                           (station,)).fetchone()
    if srow is None:
        fail("站点", "该站点未在本汇总端登记（请先用 enrol 登记其登记卡）")
    if manifest["key_id"] != srow[1] or signer[0] != station:
        fail("密钥", f"数据包的签名密钥 {manifest['key_id']} 不是该站点登记的密钥 {srow[1]}")
    if manifest["role"] != srow[3]:
        fail("站点", "数据包的发出方类型与登记不符")
    same = db.conn.execute("select sha256, imported_at from sync_bundles_in where station = ? and seq = ?",
                           (station, seq)).fetchone()
    if same is not None:
        if same[0] == digest:
            return {"file": name, "station": station, "seq": seq, "status": "duplicate", "imported_at": same[1],
                    "message": f"{name}：已于 {same[1][:10]} 导入（站点 {srow[4]}，第 {seq} 号），本次未作任何更改"}
        fail("序号", f"与已于 {same[1][:10]} 导入的第 {seq} 号数据包内容不同——序号冲突，请联系该站点核实"
                     "（可能是数据库被恢复到旧备份后重复编号，或文件被伪造）")
    last = db.conn.execute("select max(seq) from sync_bundles_in where station = ?", (station,)).fetchone()[0]
    last = max(last or 0, srow[2])
    if seq <= srow[2]:
        fail("序号", f"第 {seq} 号早于登记时该站点已发出的序号（{srow[2]}），不属于本汇总端")
    rebased = False
    if seq > last + 1:
        missing = f"{last + 1}" if seq == last + 2 else f"{last + 1}…{seq - 1}"
        if not manifest["full"]:
            fail("序号", f"缺少数据包 {missing}，请先导入缺少的数据包（或请站点导出完整数据包 export --full）")
        if not rebaseline:
            # a full bundle may not jump ahead unasked: "number 1,000,000,000" would make every later
            # number look missing (the stations view needed > 4 GB)
            fail("序号", f"完整数据包第 {seq} 号跳过了第 {missing} 号。完整数据包应为下一个序号（第 {last + 1} 号）；"
                         "若已与站点核实其序号确已跳过（如站点从备份恢复），请确认后重新建立基线再导入"
                         "（import --rebaseline）")
        if seq - last > MAX_REBASELINE_JUMP:
            fail("序号", f"完整数据包第 {seq} 号比已导入的第 {last} 号超前过多（上限 {MAX_REBASELINE_JUMP}），不能作为新基线")
        rebased = True
    if seq == last + 1 and last > srow[2]:
        prev = db.conn.execute("select sha256 from sync_bundles_in where station = ? and seq = ?",
                               (station, last)).fetchone()
        if prev and manifest["prev_sha256"] != prev[0]:
            fail("序号", f"数据包记录的上一号（第 {last} 号）哈希与本汇总端导入的不符——站点数据可能被恢复或篡改")
    if manifest["recipient"] != keys.age_recipient(db):
        fail("收件方", "数据包不是加密给本汇总端的（请确认站点安装的是本汇总端的登记卡）")
    if len(payload) != manifest["payload"]["size"] or bundle.sha256(payload) != manifest["payload"]["sha256"]:
        fail("载荷哈希", "payload.age 与清单中的哈希或大小不符")
    import pyrage

    try:
        plain = pyrage.decrypt(payload, [keys.age_identity(db)])
    except pyrage.DecryptError:
        fail("解密", "无法用本汇总端的密钥解密 payload.age")
    if len(plain) != manifest["payload"]["plain_size"] or bundle.sha256(plain) != manifest["payload"]["plain_sha256"]:
        fail("解密", "解密后的内容与清单中的明文哈希或大小不符")
    del payload  # the decrypted text replaces it (memory < 2x the file)
    lines = _payload_lines(plain)
    try:
        calendar_records = intake.calendar_lines(lines)
        for n, r in calendar_records:  # shape only here; whose records they may be: in prepare()
            intake.check_common(r, n, intake.Context(sender=station, role="hub", own=""))
        context = _context(db, manifest, calendar_records)
    except intake.RecordProblem as exc:
        fail("记录", exc.message)
    prev_manifest = db.conn.execute("select manifest from sync_bundles_in where station = ? order by seq desc limit 1",
                                    (station,)).fetchone()
    previous_cp = json.loads(prev_manifest[0]).get("audit_checkpoint") if prev_manifest and prev_manifest[0] else None
    imported_at = now()
    try:
        with immediate(db):
            if db.conn.execute("select 1 from sync_bundles_in where station = ? and seq = ?", (station, seq)).fetchone():
                fail("序号", "另一导入进程刚刚导入了同一序号的数据包")
            applied, senders = _check_and_apply(db, lines, context, manifest, fail, parallel=parallel)
            if rebased:  # the clerk confirmed: numbers before this one are no longer expected
                db.conn.execute("update sync_stations set base_seq = ? where station = ?", (seq - 1, station))
                audit.log(db, actor.name, "station.rebaseline", target="sync_stations", record_id=station,
                          detail={"from": last, "to": seq})
            if manifest["role"] == "hub":
                db.conn.executemany("insert or ignore into sync_origins (station, via) values (?, ?)",
                                    [(s, station) for s in senders if s != station])
            # what the hub's data says for the bundle's period, kept for the stations view
            ours = stats_fingerprint(db, manifest["period"]["label"], station)
            db.conn.execute(
                "insert into sync_bundles_in (station, seq, sha256, file_name, created_at, period, full, imported_at,"
                " imported_by, counts, applied, stats_fingerprint, manifest, hub_fingerprint)"
                " values (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (station, seq, digest, name, manifest["created_at"], manifest["period"]["label"], int(manifest["full"]),
                 imported_at, actor.name, json.dumps(manifest["counts"]), json.dumps(applied),
                 manifest["stats_fingerprint"], m_bytes.decode("utf-8"), ours))
            audit.log(db, actor.name, "bundle.import", target="sync_bundles_in", record_id=f"{station}-{seq}",
                      detail={"file": name, "sha256": digest, "counts": manifest["counts"]})
    except sqlite3.IntegrityError as exc:
        fail("写入", f"记录与本汇总端已有数据冲突（{exc}），未写入任何数据")
    warning = fingerprint_warning(db, station, manifest["period"]["label"], manifest["stats_fingerprint"], ours=ours)
    cut = checkpoint_warning(previous_cp, manifest.get("audit_checkpoint"), srow[4])
    if cut:
        warning = f"{warning}；{cut}" if warning else cut
        with db.atomic():
            audit.log(db, actor.name, "bundle.audit_rewound", target="sync_bundles_in", record_id=f"{station}-{seq}",
                      detail={"previous": previous_cp, "now": manifest.get("audit_checkpoint")})
    n_cases = manifest["counts"]["cases"]
    nil = not any(manifest["counts"].values())
    msg = (f"{name}：已导入（站点 {srow[4]}，第 {seq} 号{'，完整数据包' if manifest['full'] else ''}）"
           + ("零上报（本期无变动）" if nil else
              f"案件 {n_cases} 件（新增 {applied['cases']['new']}，更新 {applied['cases']['updated']}，"
              f"作废 {manifest['tombstones']['cases']}），调解员 {manifest['counts']['mediators']} 条，"
              f"案件经过 {manifest['counts']['case_events']} 条"))
    return {"file": name, "station": station, "seq": seq, "status": "imported", "imported_at": imported_at,
            "counts": manifest["counts"], "applied": applied, "nil": nil, "warning": warning, "message": msg}


def checkpoint_warning(previous: dict | None, current: dict | None, name: str) -> str | None:
    """A station's audit log that went backwards between two bundles: cut, or rewritten and shorter
    (the hub keeps every bundle's checkpoint; it cannot read the log itself)."""
    if not previous or not current:
        return None
    if current["seq"] < previous["seq"] or (current["seq"] == previous["seq"] and current["hash"] != previous["hash"]):
        return (f"注意：站点 {name} 的审计日志比上一个数据包时更短或已改写（上次第 {previous['seq']} 条，"
                f"本次第 {current['seq']} 条）：日志可能被截断，或站点从旧备份恢复过，请与站点核实")
    return None


def fingerprint_warning(db, station: str, period: str, theirs: str | None, *, ours: str | None = None) -> str | None:
    """The station's own statistics fingerprint against what the hub computes from its data."""
    if theirs is None:
        return None
    if ours is None:
        ours = stats_fingerprint(db, period, station)
    if ours is None or ours == theirs:
        return None
    return f"警告：站点 {station} {period} 的统计指纹与汇总端按已收数据计算的不一致（站点 {theirs}，汇总端 {ours}）"


# --- the hub's view ------------------------------------------------------------------------------------

def _ranges(missing: list[int]) -> list[str]:
    out = []
    for n in missing:
        if out and out[-1][1] == n - 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return [f"{a}" if a == b else f"{a}…{b}" for a, b in out]


def stations(db) -> list[dict]:
    period = now()[:7]
    out = []
    for st, name, region, kind, role, fp, base, enrolled in db.conn.execute(
            "select station, name, region, kind, role, fingerprint, base_seq, enrolled_at from sync_stations"
            " order by region, name"):
        seqs = [r[0] for r in db.conn.execute("select seq from sync_bundles_in where station = ? order by seq", (st,))]
        last = db.conn.execute(
            "select seq, created_at, imported_at, period, stats_fingerprint, hub_fingerprint from sync_bundles_in"
            " where station = ? order by seq desc limit 1", (st,)).fetchone()
        have = set(seqs)
        missing = [n for n in range(base + 1, (max(seqs) if seqs else base) + 1) if n not in have]
        this_period = db.conn.execute("select count(*) from sync_bundles_in where station = ? and period = ?",
                                      (st, period)).fetchone()[0]
        owned = [st] + [r[0] for r in db.conn.execute("select station from sync_origins where via = ?", (st,))]
        marks = ",".join("?" * len(owned))
        active = db.conn.execute(f"select count(*) from cases where station in ({marks}) and deleted = 0",
                                 owned).fetchone()[0]
        held = db.conn.execute(f"select count(*) from cases where station in ({marks})", owned).fetchone()[0]
        counts = {  # every count reads an index only (voided = all − active: no table rows are visited)
            "cases": active,
            "voided": held - active,
            "mediators": db.conn.execute(f"select count(*) from mediators where station in ({marks}) and deleted = 0", owned).fetchone()[0],
            "case_events": db.conn.execute(f"select count(*) from case_events where station in ({marks})", owned).fetchone()[0],
        }
        # the hub's side was computed when that bundle was imported (bundles before m0008: now)
        warning = fingerprint_warning(db, st, last[3], last[4], ours=last[5]) if last else None
        out.append({
            "station": st, "name": name, "region": region, "kind": kind, "role": role, "fingerprint": fp,
            "enrolled_at": enrolled, "last_seq": last[0] if last else None,
            "last_bundle_at": last[1] if last else None, "last_imported_at": last[2] if last else None,
            "bundles": len(seqs), "gaps": _ranges(missing), "current_period": period,
            "bundle_this_period": this_period > 0, "counts": counts,
            "via_stations": owned[1:], "stats_warning": warning,
        })
    return out

