"""The mediator roster: people, training records and active/inactive history (one record each)."""

from __future__ import annotations

import copy
import json

from desktop import org, validate
from desktop.security import audit, sensitive
from desktop.security.accounts import User, require
from desktop.codes import EDUCATION, EMPLOYMENT, POLITICAL_STATUS, ROSTER_ROLES
from desktop.errors import InputError
from desktop.clock import now, today as _today
from desktop.records import new_record
from desktop.security import mac as record_mac
from desktop.security.text import hidden_in, hidden_problem

KEYS = {"name", "sex", "birth_date", "id_number", "phone", "address", "ethnicity", "political_status", "education",
        "major", "employer", "title", "employment", "role", "appointed_at", "term_start", "term_end",
        "certificate_no", "speciality", "training", "history", "active", "back_entered", "note"}
OUTPUT_KEYS = {"id", "station", "rev", "created_at", "updated_at", "open_cases"}
TRAINING_KEYS = {"date", "title", "hours", "organizer"}
HISTORY_KEYS = {"date", "active", "reason"}
MEDIATOR_MIN_AGE = 18  # LDMAL Art. 11: an adult citizen


def check_mediator(raw, *, enterprise: bool = False, prefix: str = "") -> dict:
    p: list[str] = []
    if not isinstance(raw, dict):
        raise InputError(f"{prefix}调解员记录应为 JSON 对象")
    for k in raw:
        if k not in KEYS | OUTPUT_KEYS:
            p.append(f"{prefix}{k}: 未知字段")
    out: dict = {}
    try:
        out["name"] = validate.check_name(raw.get("name") if isinstance(raw.get("name"), str) else "")
    except validate.FieldError as exc:
        p.append(f"{prefix}name: {exc}")
    if raw.get("id_number"):
        try:
            info = validate.check_id_number(str(raw["id_number"]), min_age=MEDIATOR_MIN_AGE, on=_today())
            out["id_number"] = info.normalized
            out["sex"] = info.sex
            out["birth_date"] = info.birth_date.isoformat()
            if raw.get("sex") not in (None, "", info.sex):
                p.append(f"{prefix}sex: 性别与身份证号码不符")
        except validate.FieldError as exc:
            p.append(f"{prefix}id_number: {exc}")
    else:
        if raw.get("sex") not in (None, ""):
            if raw["sex"] not in ("male", "female"):
                p.append(f"{prefix}sex: 应为 male 或 female")
            out["sex"] = raw["sex"]
        if raw.get("birth_date"):
            try:
                out["birth_date"] = validate.check_date(raw["birth_date"]).isoformat()
            except validate.FieldError as exc:
                p.append(f"{prefix}birth_date: {exc}")
    if raw.get("phone"):
        try:
            out["phone"] = validate.check_phone(str(raw["phone"]))
        except validate.FieldError as exc:
            p.append(f"{prefix}phone: {exc}")
    for k in ("address", "ethnicity", "major", "employer", "title", "certificate_no", "speciality", "note"):
        v = raw.get(k)
        if v not in (None, ""):
            if not isinstance(v, str) or len(v) > 200:
                p.append(f"{prefix}{k}: 应为200字以内的文字")
            elif hidden_problem(v):  # control, bidi, zero-width: as names already are
                p.append(f"{prefix}{k}: {hidden_problem(v)}")
            else:
                out[k] = v.strip()
    for k, allowed in (("political_status", POLITICAL_STATUS), ("education", EDUCATION)):
        if raw.get(k) not in (None, ""):
            if raw[k] not in allowed:
                p.append(f"{prefix}{k}: 取值无效「{raw[k]}」（可选：{'、'.join(allowed)}）")
            out[k] = raw[k]
    out["employment"] = raw.get("employment") or "part_time"
    if out["employment"] not in EMPLOYMENT:
        p.append(f"{prefix}employment: 应为 full_time 或 part_time")
    out["role"] = raw.get("role") or "mediator"
    if out["role"] not in ROSTER_ROLES:
        p.append(f"{prefix}role: 取值无效（可选：{'、'.join(ROSTER_ROLES)}）")
    dates = {}
    for k in ("appointed_at", "term_start", "term_end"):
        if raw.get(k):
            try:
                dates[k] = validate.check_date(raw[k])
                out[k] = dates[k].isoformat()
            except validate.FieldError as exc:
                p.append(f"{prefix}{k}: {exc}")
    if "term_start" in dates and "term_end" in dates:
        if dates["term_end"] <= dates["term_start"]:
            p.append(f"{prefix}term_end: 聘任期满日期应晚于起始日期")
        elif enterprise:
            # EMR Arts. 18–19: an enterprise mediator's term is at least one year.
            start = dates["term_start"]
            try:
                one_year = start.replace(year=start.year + 1)
            except ValueError:
                one_year = start.replace(year=start.year + 1, day=28)
            if dates["term_end"] < one_year:
                p.append(f"{prefix}term_end: 企业调解员聘期不少于一年")
    training = []
    for i, t in enumerate(raw.get("training") or []):
        if not isinstance(t, dict) or set(t) - TRAINING_KEYS or not t.get("date") or not t.get("title"):
            p.append(f"{prefix}training[{i}]: 培训记录需要 date 和 title（可选 hours、organizer）")
            continue
        try:
            validate.check_date(t["date"])
        except validate.FieldError as exc:
            p.append(f"{prefix}training[{i}].date: {exc}")
        training.append(dict(t))
    out["training"] = training
    history = []
    for i, h in enumerate(raw.get("history") or []):
        if not isinstance(h, dict) or set(h) - HISTORY_KEYS or "active" not in h or not h.get("date"):
            p.append(f"{prefix}history[{i}]: 启用/停用记录需要 date 和 active")
            continue
        history.append(dict(h))
    out["history"] = history
    p.extend(f"{prefix}{m}" for m in hidden_in({"training": training, "history": history}))
    out["active"] = bool(raw.get("active", True))
    out["back_entered"] = bool(raw.get("back_entered", False))
    if p:
        raise InputError(p)
    return out


def _place(rid, f: str):
    """Where a sealed value belongs (AES-GCM associated data, issue 15 item 2); None: unbound."""
    return None if rid is None else sensitive.place("mediator", rid, f)


def seal_mediator(db, m: dict, rid: str | None = None) -> dict:
    """The stored form of a mediator: ID number, phone and address sealed (sex and birth date too
    when an ID number gives them), and their masked copies beside them for a viewer (issue 15)."""
    m = copy.deepcopy(m)
    m.pop(sensitive.MASKED_KEY, None)
    masked = sensitive.masked_copy(m, sensitive.MEDIATOR_FIELDS)
    for f in sensitive.person_fields(m, sensitive.MEDIATOR_FIELDS):
        if m.get(f):
            m[f] = sensitive.seal(db, f, m[f], _place(rid, f))
    if masked:
        m[sensitive.MASKED_KEY] = masked
    return m


def reveal_mediator(db, m: dict, rid: str | None = None, *, masked: bool = False) -> dict:
    """A mediator from its stored form; masked (or a session holding no key): the masked copies."""
    copies = m.pop(sensitive.MASKED_KEY, None)
    if masked or sensitive.masked_only(db):
        codec = sensitive.codec(db)
        reveal = None if getattr(codec, "name", "") in ("masked", "locked") else (
            lambda f, v: sensitive.reveal(db, f, v, _place(rid, f)))
        return sensitive.apply_masked(m, sensitive.MEDIATOR_FIELDS, copies, reveal)
    for f in sensitive.person_fields(m, sensitive.MEDIATOR_FIELDS):
        if m.get(f):
            m[f] = sensitive.reveal(db, f, m[f], _place(rid, f))
    return m


def _is_enterprise(db) -> bool:
    return org.get_profile(db).get("kind") == "enterprise"


def add_mediator(db, raw: dict, actor: User, *, _in_tx: bool = False) -> dict:
    require(actor, "write")
    m = check_mediator(raw, enterprise=_is_enterprise(db))
    if not m["history"]:
        m["history"] = [{"date": m.get("appointed_at") or _today().isoformat(), "active": m["active"],
                         "reason": "补录" if m["back_entered"] else "聘任"}]
    rec = new_record(org.station_id(db))
    with db.atomic():
        db.conn.execute(
            "insert into mediators (id, station, created_at, updated_at, rev, deleted, name, active, doc)"
            " values (?,?,?,?,1,0,?,?,?)",
            (rec["id"], rec["station"], rec["created_at"], rec["updated_at"], m["name"], int(m["active"]),
             json.dumps(seal_mediator(db, m, rec["id"]), ensure_ascii=False)))
        record_mac.seal_where(db, "mediator", "id = ?", (rec["id"],))
        audit.log(db, actor.name, "mediator.create", target="mediators", record_id=rec["id"], detail={"name": m["name"]})
    return {"id": rec["id"], **m}


def _row(db, key: str):
    return db.conn.execute("select id, station, rev, created_at, updated_at, doc from mediators where (id = ? or name = ?)"
                           " and deleted = 0 order by active desc limit 1", (key, key)).fetchone()


def get_mediator(db, key: str, *, masked: bool = False) -> dict | None:
    r = _row(db, key)
    if not r:
        return None
    m = reveal_mediator(db, json.loads(r[5]), r[0], masked=masked)
    return {"id": r[0], "station": r[1], "rev": r[2], "created_at": r[3], "updated_at": r[4], **m}


def update_mediator(db, key: str, changes: dict, actor: User) -> dict:
    require(actor, "write")
    with db.atomic():
        current = get_mediator(db, key)
        if current is None:
            raise InputError(f"调解员不存在：{key}")
        merged = {k: v for k, v in current.items() if k in KEYS}
        merged.update(changes)
        m = check_mediator(merged, enterprise=_is_enterprise(db))
        db.conn.execute("update mediators set name = ?, active = ?, doc = ?, rev = rev + 1, updated_at = ?, dirty = 1"
                        " where id = ?", (m["name"], int(m["active"]), json.dumps(seal_mediator(db, m, current["id"]), ensure_ascii=False),
                                          now(), current["id"]))
        record_mac.seal_where(db, "mediator", "id = ?", (current["id"],))
        audit.log(db, actor.name, "mediator.update", target="mediators", record_id=current["id"],
                  detail={"fields": sorted(changes)})
    return get_mediator(db, current["id"])


def set_active(db, key: str, active: bool, actor: User, *, date: str | None = None, reason: str = "") -> dict:
    """Activate or deactivate, keeping the history of both."""
    current = get_mediator(db, key)
    if current is None:
        raise InputError(f"调解员不存在：{key}")
    history = list(current.get("history") or [])
    history.append({"date": date or _today().isoformat(), "active": bool(active), "reason": reason})
    return update_mediator(db, current["id"], {"active": bool(active), "history": history}, actor)


def add_training(db, key: str, training: dict, actor: User) -> dict:
    current = get_mediator(db, key)
    if current is None:
        raise InputError(f"调解员不存在：{key}")
    return update_mediator(db, current["id"], {"training": list(current.get("training") or []) + [training]}, actor)


def workload(db) -> dict[str, int]:
    """Open cases per mediator name."""
    return {r[0]: r[1] for r in db.conn.execute(
        "select m.name, count(*) from case_mediators m join cases c on c.rowid = m.case_rowid"
        " where c.status = 'mediating' and c.deleted = 0 group by m.name")}


def list_mediators(db, *, active: bool | None = None, masked: bool = False, search: str = "") -> list[dict]:
    sql = "select id from mediators where deleted = 0"
    args: list = []
    if active is not None:
        sql += " and active = ?"
        args.append(int(active))
    if search:
        sql += " and name like ?"
        args.append(f"%{search}%")
    loads = workload(db)
    out = []
    for (mid,) in db.conn.execute(sql + " order by active desc, name", args).fetchall():
        m = get_mediator(db, mid, masked=masked)
        m["open_cases"] = loads.get(m["name"], 0)
        out.append(m)
    return out


def ensure_known(db, names: set[str], actor: User) -> list[str]:
    """Back-entry: names not on the roster are added as inactive, back-entered mediators."""
    known = {r[0] for r in db.conn.execute("select name from mediators where deleted = 0")}
    added = []
    for name in sorted(names - known):
        add_mediator(db, {"name": name, "active": False, "back_entered": True,
                          "history": [{"date": _today().isoformat(), "active": False, "reason": "补录案件时自动添加"}]},
                     actor)
        added.append(name)
    return added


def import_mediators(db, records: list, actor: User) -> list[str]:
    require(actor, "write")
    enterprise = _is_enterprise(db)
    problems = []
    for i, raw in enumerate(records, start=1):
        try:
            check_mediator(raw, enterprise=enterprise, prefix=f"第{i}条 ")
        except InputError as exc:
            problems.extend(exc.messages)
    if problems:
        raise InputError(problems)
    names = []
    with db.atomic():
        for raw in records:
            names.append(add_mediator(db, {k: v for k, v in raw.items() if k in KEYS}, actor)["name"])
    return names


# The protection code re-seals and verifies mediators through these (it never imports this module).
from desktop.security import records as _records  # noqa: E402

_records.register("mediator", table="mediators", reveal=reveal_mediator, seal=seal_mediator)
