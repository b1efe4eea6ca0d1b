"""The hub: set-up, enrolment of stations, the fail-closed import, and what the hub can tell.

Import checks run in the issue's order — size, ZIP structure, manifest, known station and key,
signature, sequence, payload hash, decryption, every record — reading the database only. Then
one transaction upserts by record id keeping the highest revision, applies tombstones, rebuilds
the derived rows and writes the import-log row. Any failure writes nothing.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import re
import sqlite3
from pathlib import Path

from desktop import accounts, audit, cases, db as dbm, org, roster, sensitive
from desktop.errors import InputError, Refused
from desktop.migrations import MIGRATION_NAMES
from desktop.records import now, today as _today
from desktop.sync import bundle, keys
from desktop.sync.bundle import Rejected
from desktop.sync.export import immediate, stats_fingerprint
from desktop.workcal import WorkCalendar

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
STATION_RE = re.compile(r"[A-Za-z0-9]{1,40}")


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

COMMON_KEYS = {"t", "id", "station", "created_at", "updated_at", "rev", "deleted"}
TABLE_KEYS = {
    "org": {"profile"},
    "mediators": {"name", "active", "doc"},
    "cases": {"case_no", "year", "seq", "archived", "back_entered", "doc"},
    "case_events": {"case_id", "at", "actor", "action", "reason", "detail"},
    "calendar_overrides": {"date", "is_workday", "note"},
}


def _flag(v) -> bool:
    return v in (0, 1) and not isinstance(v, bool)


def _short_str(v, n=40) -> bool:
    return isinstance(v, str) and 0 < len(v) <= n


class _Plan:
    """Checked records, ready to write; built without writing anything."""

    def __init__(self):
        self.rows: dict[str, list[dict]] = {t: [] for t in bundle.SYNCED}
        self.counts = {t: 0 for t in bundle.SYNCED}
        self.tombstones = {t: 0 for t in bundle.SYNCED}


def _station_calendar(db, station: str, incoming: list[dict]) -> WorkCalendar:
    overrides: dict[str, tuple[int, int, int]] = {}  # date -> (rev, deleted, is_workday)
    if station == org.station_id(db):
        src = "calendar_overrides"
    else:
        src = "sync_calendar_overrides"
    for d, rev, deleted, wd in db.conn.execute(
            f"select date, rev, deleted, is_workday from {src} where station = ?", (station,)):
        overrides[d] = (rev, deleted, wd)
    for r in incoming:
        if r["station"] == station:
            cur = overrides.get(r["date"])
            if cur is None or r["rev"] > cur[0]:
                overrides[r["date"]] = (r["rev"], r["deleted"], r["is_workday"])
    return WorkCalendar({_dt.date.fromisoformat(d): bool(v[2]) for d, v in overrides.items() if not v[1]})


def _check_records(db, plain: bytes, manifest: dict, fail) -> _Plan:
    plan = _Plan()
    sender = manifest["station"]
    own = org.station_id(db)
    direct = {r[0] for r in db.conn.execute("select station from sync_stations")}
    origins = dict(db.conn.execute("select station, via from sync_origins").fetchall())
    lines = plain.split(b"\n") if plain else []
    if lines and lines[-1] == b"":
        lines.pop()
    parsed = []
    for n, line in enumerate(lines, start=1):
        try:
            r = bundle.strict_loads(line, max_bytes=bundle.MAX_LINE_BYTES, max_depth=None)
        except bundle.JSONProblem as exc:
            fail("记录", f"第{n}条记录 {exc}")
        if not isinstance(r, dict) or r.get("t") not in TABLE_KEYS:
            fail("记录", f"第{n}条记录不是已知表的记录")
        t = r["t"]
        if set(r) != COMMON_KEYS | TABLE_KEYS[t]:
            fail("记录", f"第{n}条记录（{t}）字段不符")
        if not (isinstance(r["id"], str) and UUID_RE.fullmatch(r["id"]) and isinstance(r["station"], str)
                and STATION_RE.fullmatch(r["station"]) and _short_str(r["created_at"]) and _short_str(r["updated_at"])
                and isinstance(r["rev"], int) and not isinstance(r["rev"], bool) and 1 <= r["rev"] < 2**53
                and _flag(r["deleted"])):
            fail("记录", f"第{n}条记录（{t}）的标识、站点、时间、版本或删除标记无效")
        st = r["station"]
        if manifest["role"] == "station":
            if st != sender:
                fail("记录", f"第{n}条记录属于站点 {st}，不是数据包的发出站点（站点只能上报自己的记录）")
        elif st != sender and (st == own or st in direct or origins.get(st, sender) != sender):
            fail("记录", f"第{n}条记录属于站点 {st}，该站点已直接登记在本汇总端或经其他汇总端上报")
        parsed.append((n, r))
        plan.counts[t] += 1
        plan.tombstones[t] += r["deleted"]
    if plan.counts != manifest["counts"] or plan.tombstones != manifest["tombstones"]:
        fail("记录", f"各表记录数与清单不符（清单 {manifest['counts']}，实有 {plan.counts}）")
    overrides = [r for _n, r in parsed if r["t"] == "calendar_overrides"]
    for n, r in (x for x in parsed if x[1]["t"] == "calendar_overrides"):
        try:
            _dt.date.fromisoformat(r["date"]) if isinstance(r["date"], str) and len(r["date"]) == 10 else 1 / 0
        except (ValueError, ZeroDivisionError):
            fail("记录", f"第{n}条记录（节假日调整）日期无效")
        if not _flag(r["is_workday"]) or not isinstance(r["note"], str) or len(r["note"]) > 200:
            fail("记录", f"第{n}条记录（节假日调整）字段无效")
    cals: dict[str, WorkCalendar] = {}
    check_today = _today() + _dt.timedelta(days=1)  # a station's clock may run a little ahead
    for n, r in parsed:
        t = r["t"]
        if t == "cases":
            if not (_short_str(r["case_no"], 60) and isinstance(r["year"], int) and not isinstance(r["year"], bool)
                    and (r["seq"] is None or (isinstance(r["seq"], int) and not isinstance(r["seq"], bool)))
                    and _flag(r["archived"]) and _flag(r["back_entered"])):
                fail("记录", f"第{n}条记录（案件 {str(r['case_no'])[:60]}）字段无效")
            cal = cals.get(r["station"])
            if cal is None:
                cal = cals[r["station"]] = _station_calendar(db, r["station"], overrides)
            rec, problems = cases.check_record(r["doc"], today=check_today, cal=cal)
            if problems:
                fail("记录", f"第{n}条记录（案件 {r['case_no']}）未通过案件规则检查：{'；'.join(problems.messages()[:3])}")
            if rec.get("case_no") != r["case_no"]:
                fail("记录", f"第{n}条记录（案件 {r['case_no']}）案号与记录内容不符")
            if cases.comp_year(rec) != r["year"]:
                fail("记录", f"第{n}条记录（案件 {r['case_no']}）年份与收到申请的日期不符")
            r["doc"] = rec
            r["_cal"] = cal
        elif t == "mediators":
            if not (isinstance(r["name"], str) and _flag(r["active"]) and isinstance(r["doc"], dict)):
                fail("记录", f"第{n}条记录（调解员）字段无效")
            try:
                m = roster.check_mediator(r["doc"])
            except InputError as exc:
                fail("记录", f"第{n}条记录（调解员 {r['name'][:20]}）未通过名册规则检查：{'；'.join(exc.messages[:3])}")
            if m["name"] != r["name"]:
                fail("记录", f"第{n}条记录（调解员）姓名与记录内容不符")
            r["doc"] = m
        elif t == "org":
            prof = r["profile"]
            if not isinstance(prof, dict):
                fail("记录", f"第{n}条记录（组织信息）应为对象")
            try:
                org.validate_profile({k: v for k, v in prof.items() if k not in ("demo", "station")})
            except InputError as exc:
                fail("记录", f"第{n}条记录（组织信息）{'；'.join(exc.messages[:3])}")
        elif t == "case_events":
            if not (isinstance(r["case_id"], str) and UUID_RE.fullmatch(r["case_id"]) and _short_str(r["at"])
                    and _short_str(r["actor"], 100) and _short_str(r["action"], 60)
                    and (r["reason"] is None or (isinstance(r["reason"], str) and len(r["reason"]) <= 4000))
                    and isinstance(r["detail"], dict) and len(json.dumps(r["detail"])) <= 64 * 1024):
                fail("记录", f"第{n}条记录（案件经过）字段无效")
        plan.rows[t].append(r)
    # An id may never move between stations (a station cannot overwrite another's records).
    for t, rows in plan.rows.items():
        table = "sync_calendar_overrides" if t == "calendar_overrides" else t
        for i in range(0, len(rows), 500):
            chunk = rows[i:i + 500]
            existing = dict(db.conn.execute(
                f"select id, station from {table} where id in ({','.join('?' * len(chunk))})",
                [r["id"] for r in chunk]).fetchall())
            for r in chunk:
                if r["id"] in existing and existing[r["id"]] != r["station"]:
                    fail("记录", f"记录 {r['id']} 在本汇总端属于站点 {existing[r['id']]}，数据包却标为 {r['station']}")
    return plan


def _apply(db, plan: _Plan) -> dict:
    applied = {t: {"new": 0, "updated": 0, "unchanged": 0} for t in bundle.SYNCED}
    c = db.conn

    def existing(table, rows):
        out = {}
        for i in range(0, len(rows), 500):
            chunk = rows[i:i + 500]
            out.update({r[0]: (r[1], r[2]) for r in c.execute(
                f"select id, rowid, rev from {table} where id in ({','.join('?' * len(chunk))})",
                [r["id"] for r in chunk])})
        return out

    def simple(table, rows, cols, values):
        have = existing(table, rows)
        keys_ = ["id", "station", "created_at", "updated_at", "rev", "deleted", *cols, "dirty"]
        ins = f"insert into {table} ({', '.join(keys_)}) values ({', '.join('?' * len(keys_))})"
        upd = f"update {table} set {', '.join(k + ' = ?' for k in keys_[1:])} where id = ?"
        stat = applied["calendar_overrides" if table == "sync_calendar_overrides" else table]
        for r in rows:
            vals = [r["station"], r["created_at"], r["updated_at"], r["rev"], r["deleted"], *values(r), 0]
            old = have.get(r["id"])
            if old is None:
                c.execute(ins, [r["id"], *vals])
                stat["new"] += 1
                have[r["id"]] = (None, r["rev"])
            elif r["rev"] > old[1]:
                c.execute(upd, [*vals, r["id"]])
                stat["updated"] += 1
                have[r["id"]] = (old[0], r["rev"])
            else:
                stat["unchanged"] += 1

    simple("org", plan.rows["org"], ["profile"], lambda r: [json.dumps(r["profile"], ensure_ascii=False)])
    simple("mediators", plan.rows["mediators"], ["name", "active", "doc"],
           lambda r: [r["name"], r["active"], json.dumps(_seal_mediator(db, r["doc"]), ensure_ascii=False)])
    simple("case_events", plan.rows["case_events"], ["case_id", "at", "actor", "action", "reason", "detail"],
           lambda r: [r["case_id"], r["at"], r["actor"], r["action"], r["reason"],
                      json.dumps(r["detail"], ensure_ascii=False)])
    simple("sync_calendar_overrides", plan.rows["calendar_overrides"], ["date", "is_workday", "note"],
           lambda r: [r["date"], r["is_workday"], r["note"]])

    rows = plan.rows["cases"]
    have = existing("cases", rows)
    today = _today()
    stat = applied["cases"]
    for r in rows:
        old = have.get(r["id"])
        if old is not None and r["rev"] <= old[1]:
            stat["unchanged"] += 1
            continue
        rec = r["doc"]
        comp = cases.computed(rec, r["_cal"], today)
        cols = cases.index_columns(rec, comp)
        row = {"station": r["station"], "created_at": r["created_at"], "updated_at": r["updated_at"],
               "rev": r["rev"], "deleted": r["deleted"], "dirty": 0, "case_no": r["case_no"], "year": r["year"],
               "seq": r["seq"], "doc": json.dumps(cases.seal_record(db, rec), ensure_ascii=False, separators=(",", ":")),
               "back_entered": r["back_entered"], "archived": r["archived"], **cols}
        if old is None:
            keys_ = ["id", *row]
            rowid = c.execute(f"insert into cases ({', '.join(keys_)}) values ({', '.join('?' * len(keys_))})",
                              [r["id"], *row.values()]).lastrowid
            fresh = True
            stat["new"] += 1
        else:
            rowid = old[0]
            c.execute(f"update cases set {', '.join(k + ' = ?' for k in row)} where rowid = ?", [*row.values(), rowid])
            fresh = False
            stat["updated"] += 1
        have[r["id"]] = (rowid, r["rev"])
        if r["deleted"]:
            if not fresh:
                cases.clear_derived(db, rowid)
        else:
            cases.rebuild_derived(db, rowid, rec, fresh=fresh)
    return applied


def _seal_mediator(db, m: dict) -> dict:
    m = dict(m)
    for f in sensitive.MEDIATOR_FIELDS:
        if m.get(f):
            m[f] = sensitive.seal(db, f, m[f])
    return m


def import_bundle(db, path, actor, *, max_size: int = bundle.MAX_BUNDLE_BYTES) -> dict:
    """Verify and merge one bundle. Returns a summary; raises BundleRefused (nothing written)."""
    accounts.require(actor, "import")
    path = Path(path)
    name = path.name
    m = bundle.FILE_RE.fullmatch(name)
    ctx = {"station": m.group("station") if m else "未知", "seq": str(int(m.group("seq"))) if m else "未知"}

    def fail(check, detail):
        raise BundleRefused(f"数据包 {name}（站点 {ctx['station']}，序号 {ctx['seq']}）未导入——{check}检查：{detail}",
                            check)

    if not keys.is_hub(db):
        fail("汇总端", "本数据库不是汇总端（请用 hub-init 创建的汇总端数据库导入）")
    try:
        size = path.stat().st_size
        if size > max_size:
            fail("大小", f"文件 {size} 字节，超过上限 {max_size} 字节")
        data = path.read_bytes()
    except OSError as exc:
        fail("读取", f"无法读取文件（{exc.strerror}）")
    try:
        m_bytes, s_bytes, payload = bundle.read_container(data, max_size=max_size)
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
    if manifest["key_id"] != srow[1]:
        fail("密钥", f"数据包的签名密钥 {manifest['key_id']} 不是该站点登记的密钥 {srow[1]}")
    if manifest["role"] != srow[3]:
        fail("站点", "数据包的发出方类型与登记不符")
    kid, public = keys.parse_public_blob(srow[0])
    try:
        keys.verify_minisig(m_bytes, s_bytes, kid, public)
    except keys.SignatureError as exc:
        fail("签名", str(exc))
    digest = bundle.sha256(data)
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
    if seq > last + 1 and not manifest["full"]:
        missing = f"{last + 1}" if seq == last + 2 else f"{last + 1}…{seq - 1}"
        fail("序号", f"缺少数据包 {missing}，请先导入缺少的数据包（或请站点导出完整数据包 export --full）")
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
    plan = _check_records(db, plain, manifest, fail)
    imported_at = now()
    try:
        with immediate(db):
            if db.conn.execute("select 1 from sync_bundles_in where station = ? and seq = ?", (station, seq)).fetchone():
                fail("序号", "另一导入进程刚刚导入了同一序号的数据包")
            applied = _apply(db, plan)
            if manifest["role"] == "hub":
                db.conn.executemany("insert or ignore into sync_origins (station, via) values (?, ?)",
                                    [(s, station) for s in {r["station"] for rows in plan.rows.values() for r in rows}
                                     if s != station])
            db.conn.execute(
                "insert into sync_bundles_in (station, seq, sha256, file_name, created_at, period, full, imported_at,"
                " imported_by, counts, applied, stats_fingerprint, manifest) values (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (station, seq, digest, name, manifest["created_at"], manifest["period"]["label"], int(manifest["full"]),
                 imported_at, actor.name, json.dumps(manifest["counts"]), json.dumps(applied),
                 manifest["stats_fingerprint"], m_bytes.decode("utf-8")))
            audit.log(db, actor.name, "bundle.import", target="sync_bundles_in", record_id=f"{station}-{seq}",
                      detail={"file": name, "sha256": digest, "counts": manifest["counts"]})
    except sqlite3.IntegrityError as exc:
        fail("写入", f"记录与本汇总端已有数据冲突（{exc}），未写入任何数据")
    warning = fingerprint_warning(db, station, manifest["period"]["label"], manifest["stats_fingerprint"])
    n_cases = manifest["counts"]["cases"]
    nil = not any(manifest["counts"].values())
    msg = (f"{name}：已导入（站点 {srow[4]}，第 {seq} 号{'，完整数据包' if manifest['full'] else ''}）"
           + ("零上报（本期无变动）" if nil else
              f"案件 {n_cases} 件（新增 {applied['cases']['new']}，更新 {applied['cases']['updated']}，"
              f"作废 {manifest['tombstones']['cases']}），调解员 {manifest['counts']['mediators']} 条，"
              f"案件经过 {manifest['counts']['case_events']} 条"))
    return {"file": name, "station": station, "seq": seq, "status": "imported", "imported_at": imported_at,
            "counts": manifest["counts"], "applied": applied, "nil": nil, "warning": warning, "message": msg}


def fingerprint_warning(db, station: str, period: str, theirs: str | None) -> str | None:
    """The station's own statistics fingerprint against what the hub computes from its data."""
    if theirs is None:
        return None
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
            "select seq, created_at, imported_at, period, stats_fingerprint from sync_bundles_in where station = ?"
            " order by seq desc limit 1", (st,)).fetchone()
        have = set(seqs)
        missing = [n for n in range(base + 1, (max(seqs) if seqs else base) + 1) if n not in have]
        this_period = db.conn.execute("select count(*) from sync_bundles_in where station = ? and period = ?",
                                      (st, period)).fetchone()[0]
        owned = [st] + [r[0] for r in db.conn.execute("select station from sync_origins where via = ?", (st,))]
        marks = ",".join("?" * len(owned))
        counts = {
            "cases": db.conn.execute(f"select count(*) from cases where station in ({marks}) and deleted = 0", owned).fetchone()[0],
            "voided": db.conn.execute(f"select count(*) from cases where station in ({marks}) and deleted = 1", owned).fetchone()[0],
            "mediators": db.conn.execute(f"select count(*) from mediators where station in ({marks}) and deleted = 0", owned).fetchone()[0],
            "case_events": db.conn.execute(f"select count(*) from case_events where station in ({marks})", owned).fetchone()[0],
        }
        warning = fingerprint_warning(db, st, last[3], last[4]) if last else None
        out.append({
            "station": st, "name": name, "region": region, "kind": kind, "role": role, "fingerprint": fp,
            "enrolled_at": enrolled, "last_seq": last[0] if last else None,
            "last_bundle_at": last[1] if last else None, "last_imported_at": last[2] if last else None,
            "bundles": len(seqs), "gaps": _ranges(missing), "current_period": period,
            "bundle_this_period": this_period > 0, "counts": counts,
            "via_stations": owned[1:], "stats_warning": warning,
        })
    return out

