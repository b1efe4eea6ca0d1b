"""The organization profile, station settings, the case-number template and its yearly sequence."""

from __future__ import annotations

import json
import os
import re
import string

from desktop import validate
from desktop.security import audit
from desktop.codes import ORG_KINDS
from desktop.errors import InputError
from desktop.clock import now
from desktop.records import new_record
from desktop.security import mac as record_mac
from desktop.security.settings import get_setting, is_demo, set_setting  # noqa: F401  (org.get_setting etc.)
from desktop.security.text import hidden_in, hidden_problem

DEFAULT_CASE_NO_TEMPLATE = "〔{year}〕{abbr}劳调字第{seq:04d}号"

PROFILE_KEYS = {
    "name": "", "kind": "township", "region": "", "credit_code": "", "abbr": "", "address": "", "phone": "",
    "head": "", "hours": "", "complaint_phone": "", "postcode": "",
    "case_no_template": DEFAULT_CASE_NO_TEMPLATE,
    "arbitration": {"name": "", "address": "", "phone": ""},
    "target_success_rate": "0.60",
    "success_formula": "agreed / closed",
    "mediation_extension_days": 15,
    "retention_years": 5,
    # the respondent notice's reply period in days (issue 14 item 5): no statute fixes one, so the organisation
    # chooses it; None prints the notice without a period
    "respondent_reply_days": None,
    "fonts": {},
    # Extra columns of the Jilin organization table (domain.md §2.17, UNVERIFIED columns).
    "county": "", "township": "", "host": "", "host_credit_code": "", "established": "", "head_title": "",
    "head_phone": "", "premises": "", "premises_area": "", "union": "", "employees": "", "posted": "",
    "cases_accepted": "", "cases_agreed": "", "remarks": "",
}


def station_id(db) -> str:
    sid = get_setting(db, "station_id")
    if not sid:
        raise InputError("数据库尚未初始化（缺少站点标识），请先运行 init")
    return sid


def check_template(template: str) -> None:
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f}
        template.format(year=2026, abbr="某", seq=1)
    except (ValueError, KeyError, IndexError) as exc:
        raise InputError(f"案号模板格式错误：{exc}") from None
    unknown = fields - {"year", "abbr", "seq"}
    if unknown:
        raise InputError(f"案号模板含未知字段：{', '.join(sorted(unknown))}（可用 year、abbr、seq）")
    if "year" not in fields or "seq" not in fields:
        raise InputError("案号模板必须包含 {year} 和 {seq}")


REPLY_DAYS_RANGE = (1, 30)


def check_reply_days(value) -> int | None:
    """The respondent's reply period: empty, or a whole number of days from 1 to 30 (digits as text too)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    lo, hi = REPLY_DAYS_RANGE
    if type(value) is not int or not lo <= value <= hi:
        raise InputError(f"被申请人答复期限应为{lo}至{hi}之间的整数（天），或留空不写期限")
    return value


def validate_profile(profile: dict) -> dict:
    unknown = set(profile) - set(PROFILE_KEYS)
    if unknown:
        raise InputError([f"组织信息 {k}: 未知字段" for k in sorted(unknown)])
    merged = json.loads(json.dumps(PROFILE_KEYS))
    merged.update({k: v for k, v in profile.items() if v is not None})
    problems = [f"组织信息 {m}" for m in hidden_in(merged)]  # control, bidi, zero-width characters
    if not str(merged["name"]).strip():
        problems.append("组织信息 name: 组织全称不能为空")
    if merged["kind"] not in ORG_KINDS:
        problems.append(f"组织信息 kind: 未知组织类型 {merged['kind']}（可选 {', '.join(ORG_KINDS)}）")
    if merged["region"] and not re.fullmatch(r"\d{6}(\d{3})?", str(merged["region"])):
        problems.append("组织信息 region: 行政区划代码应为6位（或9位）数字")
    if merged["credit_code"]:
        try:
            merged["credit_code"], _ = validate.check_credit_code(merged["credit_code"])
        except validate.FieldError as exc:
            problems.append(f"组织信息 credit_code: {exc}")
    for key in ("phone", "complaint_phone"):
        if merged[key]:
            try:
                merged[key] = validate.check_phone(merged[key])
            except validate.FieldError as exc:
                problems.append(f"组织信息 {key}: {exc}")
    try:
        merged["respondent_reply_days"] = check_reply_days(merged["respondent_reply_days"])
    except InputError as exc:
        problems.extend(f"组织信息 respondent_reply_days: {m}" for m in exc.messages)
    try:
        check_template(merged["case_no_template"])
    except InputError as exc:
        problems.extend(f"组织信息 case_no_template: {m}" for m in exc.messages)
    if not merged["abbr"]:
        merged["abbr"] = default_abbr(merged["name"])
    if problems:
        raise InputError(problems)
    return merged


def default_abbr(name: str) -> str:
    """A short name for case numbers: the name up to its 劳动/调解 suffix."""
    for suffix in ("劳动人事争议调解中心", "劳动人事争议调解委员会", "劳动争议调解委员会", "劳动争议调解中心", "调解中心", "调解委员会"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name[:8]


def initialize(db, profile: dict, *, demo: bool = False) -> str:
    """Give a new database its station id, blind-index key and organization profile."""
    profile = validate_profile(profile)
    if get_setting(db, "station_id"):
        raise InputError("该数据库已初始化，拒绝覆盖")
    sid = "S" + os.urandom(5).hex().upper()
    rec = new_record(sid, profile=json.dumps(profile, ensure_ascii=False))
    with db.atomic():
        set_setting(db, "station_id", sid)
        set_setting(db, "role", "station")
        set_setting(db, "demo", demo)
        set_setting(db, "blind_index_key", os.urandom(32).hex())
        db.conn.execute(
            "insert into org (id, station, created_at, updated_at, rev, deleted, profile) values (?,?,?,?,?,?,?)",
            (rec["id"], sid, rec["created_at"], rec["updated_at"], 1, 0, rec["profile"]),
        )
        record_mac.seal_where(db, "org", "id = ?", (rec["id"],))
    return sid


def get_profile(db) -> dict:
    row = db.conn.execute("select profile from org where station = ? and deleted = 0", (station_id(db),)).fetchone()
    profile = json.loads(row[0]) if row else {}
    merged = json.loads(json.dumps(PROFILE_KEYS))
    merged.update(profile)
    merged["demo"] = is_demo(db)
    merged["station"] = station_id(db)
    return merged


def update_profile(db, changes: dict, actor) -> dict:
    from desktop.security.accounts import require

    require(actor, "admin")
    current = {k: v for k, v in get_profile(db).items() if k in PROFILE_KEYS}
    current.update(changes)
    profile = validate_profile(current)
    with db.atomic():
        db.conn.execute(
            "update org set profile = ?, rev = rev + 1, updated_at = ?, dirty = 1 where station = ?",
            (json.dumps(profile, ensure_ascii=False), now(), station_id(db)),
        )
        record_mac.seal_where(db, "org", "station = ?", (station_id(db),))
        audit.log(db, actor.name, "org.update", target="org", detail={"fields": sorted(changes)})
    return profile


def format_case_no(profile: dict, year: int, seq: int) -> str:
    return profile["case_no_template"].format(year=year, abbr=profile.get("abbr", ""), seq=seq)


def next_case_no(db, year: int, profile: dict | None = None) -> tuple[str, int]:
    """Take the next number of the year. Call inside the transaction that stores the case:
    a number, once taken, is never reused (voided cases keep theirs)."""
    profile = profile or get_profile(db)
    row = db.conn.execute("select last from case_no_seq where year = ?", (year,)).fetchone()
    seq = (row[0] if row else 0) + 1
    while True:
        case_no = format_case_no(profile, year, seq)
        if not db.conn.execute("select 1 from cases where case_no = ?", (case_no,)).fetchone():
            break
        seq += 1
    db.conn.execute("insert into case_no_seq (year, last) values (?, ?) on conflict(year) do update set last = excluded.last",
                    (year, seq))
    return case_no, seq


def note_used_case_no(db, case_no: str, year: int, profile: dict) -> int | None:
    """A back-entered case brings its own number; keep the sequence past it so it is never reissued."""
    for seq_guess in re.findall(r"\d+", case_no)[::-1]:
        seq = int(seq_guess)
        if format_case_no(profile, year, seq) == case_no:
            db.conn.execute(
                "insert into case_no_seq (year, last) values (?, ?)"
                " on conflict(year) do update set last = max(last, excluded.last)", (year, seq))
            return seq
    return None


# --- calendar overrides (the administrator types in next year's State Council schedule) ---

def set_calendar_override(db, date_text: str, is_workday: bool, note: str, actor) -> None:
    from desktop.security.accounts import require

    require(actor, "admin")
    validate.check_date(date_text)
    if not isinstance(note, str) or len(note) > 200 or hidden_problem(note):
        raise InputError("备注应为200字以内的文字，不能包含控制字符或不可见的格式字符")
    sid = station_id(db)
    rec = new_record(sid)
    with db.atomic():
        db.conn.execute(
            "insert into calendar_overrides (id, station, created_at, updated_at, rev, deleted, date, is_workday, note)"
            " values (?,?,?,?,1,0,?,?,?) on conflict(date) do update set is_workday = excluded.is_workday,"
            " note = excluded.note, rev = rev + 1, deleted = 0, updated_at = excluded.updated_at, dirty = 1",
            (rec["id"], sid, rec["created_at"], rec["updated_at"], date_text, int(is_workday), note),
        )
        record_mac.seal_where(db, "holiday", "date = ?", (date_text,))
        audit.log(db, actor.name, "calendar.override", target="calendar_overrides", record_id=date_text,
                  detail={"is_workday": bool(is_workday), "note": note})


def remove_calendar_override(db, date_text: str, actor) -> None:
    from desktop.security.accounts import require

    require(actor, "admin")
    with db.atomic():
        db.conn.execute("update calendar_overrides set deleted = 1, rev = rev + 1, updated_at = ?, dirty = 1"
                        " where date = ?", (now(), date_text))
        record_mac.seal_where(db, "holiday", "date = ?", (date_text,))
        audit.log(db, actor.name, "calendar.override.remove", target="calendar_overrides", record_id=date_text)


def calendar_overrides(db) -> list[dict]:
    return [{"date": r[0], "is_workday": bool(r[1]), "note": r[2]} for r in db.conn.execute(
        "select date, is_workday, note from calendar_overrides where deleted = 0 order by date")]
