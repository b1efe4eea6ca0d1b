"""The case record (contract.md): validation, storage, lifecycle transitions and computed fields.

A case is one record: the contract's JSON object, stored whole in `cases.doc` with its sensitive
fields sealed, plus indexed columns and derived tables (workers, items, payments, search) that are
rebuilt from it on every write. Every change bumps `rev`, marks the row dirty for the next bundle,
writes a `case_events` row (who, when, what, why) and an audit entry.
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
import re
from typing import Callable, Iterable

from desktop import audit, money, org, sensitive, validate
from desktop.accounts import User, require
from desktop.codes import (
    APPLICANTS, AUTHORITY, DECLINE_REASONS, DISPUTE_TYPES, FOLLOWUP_METHODS, ITEM_CATEGORIES,
    MEDIATOR_ROLES, MODES, OUTCOMES, SOURCES,
)
from desktop.errors import InputError
from desktop.clock import TZ, now, today as _today
from desktop.records import new_record
from desktop.workcal import WorkCalendar

COLLECTIVE_MIN = 10  # LDMAL Art. 7: ten or more workers with a common request
WORKER_MIN_AGE = 16
MEDIATION_DAYS = 15
ACCEPTANCE_WORKING_DAYS = 3
REVIEW_DAYS = 15

# --- the shape of a case record ------------------------------------------------------------

TOP_KEYS = {
    "case_no", "source", "application", "workers", "employer", "agents", "dispute_types", "claims", "facts",
    "respondent_reply", "evidence", "acceptance", "mediators", "conflicts", "recusals", "extensions",
    "sessions", "outcome", "agreement", "performance", "followups",
}
# Computed fields of `cases --json` output; accepted (and ignored) on input so that an exported
# record can be imported again.
COMPUTED_KEYS = {
    "id", "station", "status", "worker_count", "collective", "acceptance_due", "statutory_deadline",
    "mediation_deadline", "overdue", "review_deadline", "provisional", "back_entered", "rev",
    "created_at", "updated_at", "archived", "deadline_rules",
}
APPLICATION_KEYS = {"mode", "received_at", "applicant", "recorder", "place"}
WORKER_KEYS = {"name", "id_number", "phone", "address", "migrant", "platform", "sex", "birth_date", "ethnicity",
               "bank_account", "representative"}
EMPLOYER_KEYS = {"name", "credit_code", "legal_rep", "legal_rep_title", "address", "phone", "industry"}
AGENT_KEYS = {"for", "name", "authority", "phone", "id_number", "relation"}
CLAIM_KEYS = {"text", "amount"}
EVIDENCE_KEYS = {"name", "source", "pages"}
ACCEPTANCE_KEYS = {"decision", "decided_at", "reason", "reason_code", "respondent_agreed"}
MEDIATOR_KEYS = {"name", "role"}
CONFLICT_KEYS = {"mediator", "party", "relation"}
RECUSAL_KEYS = {"mediator", "requested_by", "grounds", "decision", "decided_by", "decided_at"}
EXTENSION_KEYS = {"agreed_at", "until", "reason"}
SESSION_KEYS = {"held_at", "ended_at", "place", "attendees", "record", "recorder", "result"}
OUTCOME_KEYS = {"kind", "closed_at", "reason"}
AGREEMENT_KEYS = {"effective_at", "waiver", "items"}
ITEM_KEYS = {"category", "text", "amount", "due_date", "method"}
PERFORMANCE_KEYS = {"item", "paid_at", "amount", "note"}
FOLLOWUP_KEYS = {"at", "method", "note", "person", "result"}
FOLLOWUP_RESULTS = {"full": "已全部履行", "partial": "部分履行", "none": "未履行"}
RECUSAL_DECISIONS = {"granted": "准许回避", "refused": "驳回", "pending": "待决定"}


class Problems:
    """Collects (path, message) pairs while a record is checked."""

    def __init__(self):
        self.items: list[tuple[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.items.append((path, message))

    def __bool__(self):
        return bool(self.items)

    def messages(self, prefix: str = "") -> list[str]:
        return [f"{prefix}{path}: {msg}" if path else f"{prefix}{msg}" for path, msg in self.items]


def _unknown(obj, allowed: set, path: str, problems: Problems) -> None:
    for key in obj:
        if key not in allowed:
            problems.add(f"{path}.{key}" if path else key, "未知字段")


def _obj(value, path: str, problems: Problems) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.add(path, "应为对象")
        return None
    return value


def _list(value, path: str, problems: Problems) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(path, "应为列表")
        return []
    return value


def _text(obj: dict, key: str, path: str, problems: Problems, *, required=False, max_len=2000) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            problems.add(f"{path}.{key}" if path else key, "不能为空")
        return None if value is None else ""
    if not isinstance(value, str):
        problems.add(f"{path}.{key}" if path else key, "应为文字")
        return None
    if "\x00" in value:
        problems.add(f"{path}.{key}" if path else key, "含有非法字符（NUL）")
        return None
    if len(value) > max_len:
        problems.add(f"{path}.{key}" if path else key, f"过长（最多{max_len}字）")
        return None
    return value.strip()


def _bool(obj: dict, key: str, path: str, problems: Problems) -> bool:
    value = obj.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        problems.add(f"{path}.{key}", "应为 true 或 false")
        return False
    return value


def _date(obj: dict, key: str, path: str, problems: Problems, *, required=False) -> _dt.date | None:
    value = obj.get(key)
    p = f"{path}.{key}" if path else key
    if value in (None, ""):
        if required:
            problems.add(p, "日期不能为空")
        return None
    if not isinstance(value, str):
        problems.add(p, "日期应为 YYYY-MM-DD 文字")
        return None
    try:
        return validate.check_date(value)
    except validate.FieldError as exc:
        problems.add(p, str(exc))
        return None


def _datetime(obj: dict, key: str, path: str, problems: Problems, *, required=False) -> _dt.datetime | None:
    value = obj.get(key)
    p = f"{path}.{key}"
    if value in (None, ""):
        if required:
            problems.add(p, "时间不能为空")
        return None
    if not isinstance(value, str):
        problems.add(p, "时间应为 ISO 8601 文字（如 2026-09-29T10:00:00+08:00）")
        return None
    try:
        return validate.check_datetime(value)
    except validate.FieldError as exc:
        problems.add(p, str(exc))
        return None


def _amount(obj: dict, key: str, path: str, problems: Problems, *, required=False) -> int | None:
    value = obj.get(key)
    p = f"{path}.{key}"
    if value in (None, ""):
        if required:
            problems.add(p, "金额不能为空")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        problems.add(p, "金额应写成文字，如 \"12000.00\"（不接受浮点数）")
        return None
    try:
        return money.parse_amount(value)
    except (validate.FieldError, ValueError, TypeError) as exc:
        problems.add(p, str(exc))
        return None


def _enum(obj: dict, key: str, allowed: dict, path: str, problems: Problems, *, required=False, default=None):
    value = obj.get(key, default)
    p = f"{path}.{key}" if path else key
    if value in (None, ""):
        if required:
            problems.add(p, "不能为空")
        return default
    if not isinstance(value, str) or value not in allowed:
        problems.add(p, f"取值无效「{value}」（可选：{'、'.join(allowed)}）")
        return default
    return value


def local_date(ts: _dt.datetime) -> _dt.date:
    return ts.astimezone(TZ).date()


def check_record(raw, *, today: _dt.date | None = None, cal: WorkCalendar | None = None) -> tuple[dict, Problems]:
    """Validate a case record and return it normalised. One set of rules for every entry path."""
    problems = Problems()
    today = today or _today()
    if not isinstance(raw, dict):
        problems.add("", "案件记录应为 JSON 对象")
        return {}, problems
    _unknown(raw, TOP_KEYS | COMPUTED_KEYS, "", problems)
    rec: dict = {}

    if raw.get("case_no") not in (None, ""):
        case_no = _text(raw, "case_no", "", problems, max_len=60)
        if case_no:
            rec["case_no"] = case_no
    rec["source"] = _enum(raw, "source", SOURCES, "", problems, default="application")

    # application
    app = _obj(raw.get("application"), "application", problems) or {}
    if "application" not in raw:
        problems.add("application", "缺少申请信息")
    _unknown(app, APPLICATION_KEYS, "application", problems)
    received = _datetime(app, "received_at", "application", problems, required=True)
    rec_app = {
        "mode": _enum(app, "mode", MODES, "application", problems, required=True, default="written"),
        "received_at": app.get("received_at") if received else app.get("received_at"),
        "applicant": _enum(app, "applicant", APPLICANTS, "application", problems, default="worker"),
    }
    for k in ("recorder", "place"):
        v = _text(app, k, "application", problems, max_len=100)
        if v:
            rec_app[k] = v
    received_date = local_date(received) if received else None
    if received and received_date > today:
        problems.add("application.received_at", "收到申请的时间不能晚于今天")
    rec["application"] = rec_app

    # workers
    workers_raw = _list(raw.get("workers"), "workers", problems)
    if not workers_raw:
        problems.add("workers", "至少需要一名劳动者")
    workers = []
    for i, w in enumerate(workers_raw):
        path = f"workers[{i}]"
        w = _obj(w, path, problems)
        if w is None:
            continue
        _unknown(w, WORKER_KEYS, path, problems)
        out = {}
        name = w.get("name")
        try:
            out["name"] = validate.check_name(name if isinstance(name, str) else "")
        except validate.FieldError as exc:
            problems.add(f"{path}.name", str(exc))
        if w.get("id_number"):
            if not isinstance(w["id_number"], str):
                problems.add(f"{path}.id_number", "应为文字")
            else:
                try:
                    info = validate.check_id_number(w["id_number"], min_age=WORKER_MIN_AGE, on=received_date or today)
                    out["id_number"] = info.normalized
                    if w.get("sex") not in (None, "", info.sex):
                        problems.add(f"{path}.sex", "性别与身份证号码不符")
                    if w.get("birth_date") not in (None, "", info.birth_date.isoformat()):
                        problems.add(f"{path}.birth_date", "出生日期与身份证号码不符")
                    # Sex and birth date follow from the ID number; store them only if given, so a
                    # record reads back exactly as it was entered.
                    for k in ("sex", "birth_date"):
                        if w.get(k):
                            out[k] = w[k]
                except validate.FieldError as exc:
                    problems.add(f"{path}.id_number", str(exc))
        else:
            if w.get("sex") not in (None, ""):
                out["sex"] = _enum(w, "sex", {"male": 1, "female": 1}, path, problems)
            bd = _date(w, "birth_date", path, problems)
            if bd:
                if bd > today:
                    problems.add(f"{path}.birth_date", "出生日期不能晚于今天")
                out["birth_date"] = bd.isoformat()
        for key in ("phone",):
            if w.get(key):
                try:
                    out[key] = validate.check_phone(w[key] if isinstance(w[key], str) else "")
                except validate.FieldError as exc:
                    problems.add(f"{path}.{key}", str(exc))
        for key in ("address", "ethnicity", "bank_account"):
            v = _text(w, key, path, problems, max_len=200)
            if v:
                out[key] = v
        out["migrant"] = _bool(w, "migrant", path, problems)
        out["platform"] = _bool(w, "platform", path, problems)
        if w.get("representative"):
            out["representative"] = _bool(w, "representative", path, problems)
        workers.append(out)
    rec["workers"] = workers

    # employer
    emp = _obj(raw.get("employer"), "employer", problems) or {}
    if "employer" not in raw:
        problems.add("employer", "缺少用人单位信息")
    _unknown(emp, EMPLOYER_KEYS, "employer", problems)
    e_out = {"name": _text(emp, "name", "employer", problems, required=True, max_len=100) or ""}
    if emp.get("credit_code"):
        try:
            e_out["credit_code"], _w = validate.check_credit_code(emp["credit_code"] if isinstance(emp["credit_code"], str) else "")
        except validate.FieldError as exc:
            problems.add("employer.credit_code", str(exc))
    if emp.get("phone"):
        try:
            e_out["phone"] = validate.check_phone(emp["phone"] if isinstance(emp["phone"], str) else "")
        except validate.FieldError as exc:
            problems.add("employer.phone", str(exc))
    for key in ("legal_rep", "legal_rep_title", "address", "industry"):
        v = _text(emp, key, "employer", problems, max_len=200)
        if v:
            e_out[key] = v
    rec["employer"] = e_out

    # agents
    agents = []
    for i, a in enumerate(_list(raw.get("agents"), "agents", problems)):
        path = f"agents[{i}]"
        a = _obj(a, path, problems)
        if a is None:
            continue
        _unknown(a, AGENT_KEYS, path, problems)
        out = {"for": a.get("for"), "name": _text(a, "name", path, problems, required=True, max_len=50) or ""}
        target = a.get("for")
        m = re.fullmatch(r"worker:(\d+)", target) if isinstance(target, str) else None
        if target != "employer" and not (m and int(m.group(1)) < len(workers_raw)):
            problems.add(f"{path}.for", "应为 \"employer\" 或 \"worker:序号\"（序号须对应已登记的劳动者）")
        out["authority"] = _enum(a, "authority", AUTHORITY, path, problems, required=True, default="general")
        if a.get("phone"):
            try:
                out["phone"] = validate.check_phone(a["phone"] if isinstance(a["phone"], str) else "")
            except validate.FieldError as exc:
                problems.add(f"{path}.phone", str(exc))
        if a.get("id_number"):
            try:
                out["id_number"] = validate.check_id_number(str(a["id_number"]), min_age=18, on=today).normalized
            except validate.FieldError as exc:
                problems.add(f"{path}.id_number", str(exc))
        v = _text(a, "relation", path, problems, max_len=50)
        if v:
            out["relation"] = v
        agents.append(out)
    if agents:
        rec["agents"] = agents

    # dispute types
    types = _list(raw.get("dispute_types"), "dispute_types", problems)
    if not types:
        problems.add("dispute_types", "至少需要一个争议类型（第一个为主要类型）")
    seen = set()
    for i, t in enumerate(types):
        if not isinstance(t, str) or t not in DISPUTE_TYPES:
            problems.add(f"dispute_types[{i}]", f"未知争议类型「{t}」")
        elif t in seen:
            problems.add(f"dispute_types[{i}]", f"争议类型「{t}」重复")
        else:
            seen.add(t)
    rec["dispute_types"] = [t for t in types if isinstance(t, str)]

    claims = []
    for i, c in enumerate(_list(raw.get("claims"), "claims", problems)):
        path = f"claims[{i}]"
        c = _obj(c, path, problems)
        if c is None:
            continue
        _unknown(c, CLAIM_KEYS, path, problems)
        out = {"text": _text(c, "text", path, problems, required=True) or ""}
        fen = _amount(c, "amount", path, problems)
        if fen is not None:
            out["amount"] = money.fen_to_text(fen)
        claims.append(out)
    rec["claims"] = claims
    for key in ("facts", "respondent_reply"):
        v = _text(raw, key, "", problems, max_len=20000)
        if v:
            rec[key] = v
    evidence = []
    for i, e in enumerate(_list(raw.get("evidence"), "evidence", problems)):
        path = f"evidence[{i}]"
        e = _obj(e, path, problems)
        if e is None:
            continue
        _unknown(e, EVIDENCE_KEYS, path, problems)
        evidence.append({k: e[k] for k in EVIDENCE_KEYS if e.get(k) not in (None, "")})
    if evidence:
        rec["evidence"] = evidence

    if rec_app["mode"] == "oral":
        # LDMAL Art. 12: an oral application is written down on the spot with the applicant's
        # details, the matters, the reasons and the time; the recorder signs it.
        if not rec_app.get("recorder"):
            problems.add("application.recorder", "口头申请须填写记录人")
        if not claims:
            problems.add("claims", "口头申请须记录申请事项")
        if not rec.get("facts"):
            problems.add("facts", "口头申请须记录事实和理由")
        if rec_app["applicant"] == "worker" and workers and not (workers[0].get("id_number") or workers[0].get("phone")):
            problems.add("workers[0]", "口头申请须记录申请人的基本情况（身份证号码或联系电话）")

    # acceptance
    acc_raw = _obj(raw.get("acceptance"), "acceptance", problems)
    decided = None
    accepted = False
    if acc_raw:
        _unknown(acc_raw, ACCEPTANCE_KEYS, "acceptance", problems)
        decision = _enum(acc_raw, "decision", {"accepted": 1, "declined": 1}, "acceptance", problems, required=True)
        decided = _date(acc_raw, "decided_at", "acceptance", problems, required=True)
        acc = {"decision": decision, "decided_at": decided.isoformat() if decided else acc_raw.get("decided_at")}
        reason = _text(acc_raw, "reason", "acceptance", problems, max_len=2000)
        acc["reason"] = reason or None
        if decision == "declined":
            if not reason:
                problems.add("acceptance.reason", "不予受理必须说明理由")
            acc["reason_code"] = _enum(acc_raw, "reason_code", DECLINE_REASONS, "acceptance", problems, default="other")
        if "respondent_agreed" in acc_raw:
            acc["respondent_agreed"] = _bool(acc_raw, "respondent_agreed", "acceptance", problems)
        if decided and received_date and decided < received_date:
            problems.add("acceptance.decided_at", "受理决定日期早于收到申请日期")
        if decided and decided > today:
            problems.add("acceptance.decided_at", "受理决定日期不能晚于今天")
        accepted = decision == "accepted"
        rec["acceptance"] = acc

    # conflicts and recusals, then mediators (a related mediator cannot be assigned)
    blocked: dict[str, str] = {}
    conflicts = []
    for i, c in enumerate(_list(raw.get("conflicts"), "conflicts", problems)):
        path = f"conflicts[{i}]"
        c = _obj(c, path, problems)
        if c is None:
            continue
        _unknown(c, CONFLICT_KEYS, path, problems)
        out = {"mediator": _text(c, "mediator", path, problems, required=True, max_len=50) or "",
               "party": _text(c, "party", path, problems, max_len=100) or "",
               "relation": _text(c, "relation", path, problems, required=True, max_len=200) or ""}
        blocked[out["mediator"]] = f"与当事人存在关系（{out['relation']}）"
        conflicts.append(out)
    if conflicts:
        rec["conflicts"] = conflicts
    recusals = []
    for i, r in enumerate(_list(raw.get("recusals"), "recusals", problems)):
        path = f"recusals[{i}]"
        r = _obj(r, path, problems)
        if r is None:
            continue
        _unknown(r, RECUSAL_KEYS, path, problems)
        out = {"mediator": _text(r, "mediator", path, problems, required=True, max_len=50) or "",
               "requested_by": _text(r, "requested_by", path, problems, required=True, max_len=100) or "",
               "grounds": _text(r, "grounds", path, problems, required=True) or "",
               "decision": _enum(r, "decision", RECUSAL_DECISIONS, path, problems, default="pending")}
        for k in ("decided_by",):
            v = _text(r, k, path, problems, max_len=50)
            if v:
                out[k] = v
        d = _date(r, "decided_at", path, problems)
        if d:
            out["decided_at"] = d.isoformat()
        if out["decision"] == "granted":
            blocked[out["mediator"]] = "已决定回避"
        recusals.append(out)
    if recusals:
        rec["recusals"] = recusals
    mediators = []
    for i, m in enumerate(_list(raw.get("mediators"), "mediators", problems)):
        path = f"mediators[{i}]"
        m = _obj(m, path, problems)
        if m is None:
            continue
        _unknown(m, MEDIATOR_KEYS, path, problems)
        out = {"name": _text(m, "name", path, problems, required=True, max_len=50) or "",
               "role": _enum(m, "role", MEDIATOR_ROLES, path, problems, default="member")}
        if out["name"] in blocked:
            problems.add(f"{path}.name", f"调解员「{out['name']}」{blocked[out['name']]}，不能指派")
        if any(x["name"] == out["name"] for x in mediators):
            problems.add(f"{path}.name", f"调解员「{out['name']}」重复指派")
        mediators.append(out)
    if mediators:
        if not accepted:
            problems.add("mediators", "案件受理后才能指派调解员")
        rec["mediators"] = mediators

    cal = cal or WorkCalendar()
    deadline = None
    if accepted and decided:
        deadline = cal.period_end(decided, MEDIATION_DAYS).date
    extensions = []
    for i, x in enumerate(_list(raw.get("extensions"), "extensions", problems)):
        path = f"extensions[{i}]"
        x = _obj(x, path, problems)
        if x is None:
            continue
        _unknown(x, EXTENSION_KEYS, path, problems)
        # EMR Art. 29: an extension exists only with both parties' agreement; agreed_at is that date.
        agreed = _date(x, "agreed_at", path, problems, required=True)
        until = _date(x, "until", path, problems, required=True)
        if not accepted:
            problems.add(path, "案件受理后才能延期")
        if agreed and decided and agreed < decided:
            problems.add(f"{path}.agreed_at", "延期日期早于受理日期")
        if agreed and deadline and agreed > deadline:
            problems.add(f"{path}.agreed_at", f"调解期限已于{deadline.isoformat()}届满，不能再延期")
        if agreed and until and until <= agreed:
            problems.add(f"{path}.until", "延期后的期限应晚于双方同意延期的日期")
        if until and deadline and until <= deadline:
            problems.add(f"{path}.until", f"延期后的期限应晚于原期限{deadline.isoformat()}")
        out = {"agreed_at": agreed.isoformat() if agreed else x.get("agreed_at"),
               "until": until.isoformat() if until else x.get("until")}
        v = _text(x, "reason", path, problems)
        if v:
            out["reason"] = v
        if until:
            deadline = until
        extensions.append(out)
    if extensions:
        rec["extensions"] = extensions

    # outcome
    out_raw = _obj(raw.get("outcome"), "outcome", problems)
    closed = None
    kind = None
    if out_raw:
        _unknown(out_raw, OUTCOME_KEYS, "outcome", problems)
        kind = _enum(out_raw, "kind", OUTCOMES, "outcome", problems, required=True)
        closed = _date(out_raw, "closed_at", "outcome", problems, required=True)
        if not accepted:
            problems.add("outcome", "未受理的案件不能结案（须先受理）")
        if closed and decided and closed < decided:
            problems.add("outcome.closed_at", "结案日期早于受理日期")
        if closed and closed > today:
            problems.add("outcome.closed_at", "结案日期不能晚于今天")
        reason = _text(out_raw, "reason", "outcome", problems)
        if kind in ("failed", "terminated", "withdrawn") and not reason:
            problems.add("outcome.reason", f"{OUTCOMES[kind]}须说明原因")
        rec["outcome"] = {"kind": kind, "closed_at": closed.isoformat() if closed else out_raw.get("closed_at"),
                          "reason": reason or None}

    sessions = []
    for i, s in enumerate(_list(raw.get("sessions"), "sessions", problems)):
        path = f"sessions[{i}]"
        s = _obj(s, path, problems)
        if s is None:
            continue
        _unknown(s, SESSION_KEYS, path, problems)
        held = _datetime(s, "held_at", path, problems, required=True)
        ended = _datetime(s, "ended_at", path, problems)
        if not accepted:
            problems.add(path, "案件受理后才能记录调解笔录")
        if held:
            hd = local_date(held)
            if decided and hd < decided:
                problems.add(f"{path}.held_at", "调解时间早于受理日期")
            if closed and hd > closed:
                problems.add(f"{path}.held_at", "调解时间晚于结案日期")
            if hd > today:
                problems.add(f"{path}.held_at", "调解时间不能晚于今天")
        if held and ended and ended < held:
            problems.add(f"{path}.ended_at", "结束时间早于开始时间")
        out = {"held_at": s.get("held_at")}
        for k in ("ended_at", "place", "attendees", "record", "recorder", "result"):
            v = s.get(k) if k == "ended_at" else _text(s, k, path, problems, max_len=50000)
            if v:
                out[k] = v
        sessions.append(out)
    if sessions:
        rec["sessions"] = sessions

    ag_raw = _obj(raw.get("agreement"), "agreement", problems)
    effective = None
    items = []
    if kind == "agreed" and not ag_raw:
        problems.add("agreement", "调解成功的案件必须有调解协议")
    if ag_raw and kind != "agreed":
        problems.add("agreement", "只有调解成功（agreed）的案件才有调解协议")
    if ag_raw:
        _unknown(ag_raw, AGREEMENT_KEYS, "agreement", problems)
        effective = _date(ag_raw, "effective_at", "agreement", problems, required=True)
        if effective and decided and effective < decided:
            problems.add("agreement.effective_at", "协议生效日期早于受理日期")
        if effective and closed and effective > closed:
            problems.add("agreement.effective_at", "协议生效日期晚于结案日期")
        items_raw = _list(ag_raw.get("items"), "agreement.items", problems)
        if not items_raw:
            problems.add("agreement.items", "调解协议至少需要一项协议内容")
        for i, it in enumerate(items_raw):
            path = f"agreement.items[{i}]"
            it = _obj(it, path, problems)
            if it is None:
                continue
            _unknown(it, ITEM_KEYS, path, problems)
            out = {"category": _enum(it, "category", ITEM_CATEGORIES, path, problems, required=True, default="other"),
                   "text": _text(it, "text", path, problems, required=True) or ""}
            fen = _amount(it, "amount", path, problems)
            out["amount"] = money.fen_to_text(fen) if fen is not None else None
            # LDMAL Art. 15–16: non-performance "within the agreed period" needs a due date.
            due = _date(it, "due_date", path, problems, required=True)
            if due and effective and due < effective:
                problems.add(f"{path}.due_date", "履行期限早于协议生效日期")
            out["due_date"] = due.isoformat() if due else it.get("due_date")
            v = _text(it, "method", path, problems, max_len=200)
            if v:
                out["method"] = v
            items.append(out)
        rec["agreement"] = {"effective_at": effective.isoformat() if effective else ag_raw.get("effective_at"),
                            "waiver": _text(ag_raw, "waiver", "agreement", problems) or "", "items": items}

    perf = []
    for i, p in enumerate(_list(raw.get("performance"), "performance", problems)):
        path = f"performance[{i}]"
        p = _obj(p, path, problems)
        if p is None:
            continue
        _unknown(p, PERFORMANCE_KEYS, path, problems)
        idx = p.get("item")
        if not isinstance(idx, int) or isinstance(idx, bool) or not (0 <= idx < len(items)):
            problems.add(f"{path}.item", "应为协议项目的序号（从0开始）")
        paid = _date(p, "paid_at", path, problems, required=True)
        if paid and effective and paid < effective:
            problems.add(f"{path}.paid_at", "履行日期早于协议生效日期")
        if paid and paid > today:
            problems.add(f"{path}.paid_at", "履行日期不能晚于今天")
        fen = _amount(p, "amount", path, problems, required=True)
        out = {"item": idx, "paid_at": paid.isoformat() if paid else p.get("paid_at"),
               "amount": money.fen_to_text(fen) if fen is not None else None}
        v = _text(p, "note", path, problems)
        if v:
            out["note"] = v
        perf.append(out)
    if perf:
        if kind != "agreed":
            problems.add("performance", "只有调解成功的案件才有履行记录")
        rec["performance"] = perf

    fus = []
    for i, f in enumerate(_list(raw.get("followups"), "followups", problems)):
        path = f"followups[{i}]"
        f = _obj(f, path, problems)
        if f is None:
            continue
        _unknown(f, FOLLOWUP_KEYS, path, problems)
        at = _date(f, "at", path, problems, required=True)
        if at and received_date and at < received_date:
            problems.add(f"{path}.at", "回访日期早于收到申请日期")
        out = {"at": at.isoformat() if at else f.get("at"),
               "method": _enum(f, "method", FOLLOWUP_METHODS, path, problems, default="phone")}
        for k in ("note", "person"):
            v = _text(f, k, path, problems)
            if v:
                out[k] = v
        if f.get("result") not in (None, ""):
            out["result"] = _enum(f, "result", FOLLOWUP_RESULTS, path, problems)
        fus.append(out)
    if fus:
        rec["followups"] = fus
    return rec, problems


# --- computed fields -------------------------------------------------------------------------

def computed(rec: dict, cal: WorkCalendar, today: _dt.date | None = None) -> dict:
    """contract.md computed fields, from the record and the work calendar."""
    today = today or _today()
    received = local_date(validate.check_datetime(rec["application"]["received_at"]))
    acc = rec.get("acceptance") or {}
    outcome = rec.get("outcome")
    provisional = False
    rules = {}
    a_due = cal.add_working_days(received, ACCEPTANCE_WORKING_DAYS)
    stat = cal.period_end(received, MEDIATION_DAYS)
    provisional |= a_due.provisional or stat.provisional
    rules["acceptance_due"] = a_due.rule
    rules["statutory_deadline"] = stat.rule
    med = None
    if acc.get("decision") == "accepted":
        decided = _dt.date.fromisoformat(acc["decided_at"])
        if rec.get("extensions"):
            med_date = _dt.date.fromisoformat(rec["extensions"][-1]["until"])
            rules["mediation_deadline"] = "双方同意延期至该日"
        else:
            d = cal.period_end(decided, MEDIATION_DAYS)
            med_date = d.date
            provisional |= d.provisional
            rules["mediation_deadline"] = d.rule
        med = med_date
    review = None
    if rec.get("agreement") and rec["agreement"].get("effective_at"):
        r = cal.period_end(_dt.date.fromisoformat(rec["agreement"]["effective_at"]), REVIEW_DAYS)
        review = r.date
        provisional |= r.provisional
        rules["review_deadline"] = r.rule
    if acc.get("decision") == "declined":
        status = "declined"
    elif acc.get("decision") == "accepted":
        status = "closed" if outcome else "mediating"
    else:
        status = "registered"
    overdue = (status == "registered" and today > a_due.date) or (status == "mediating" and med is not None and today > med)
    n = len(rec.get("workers") or [])
    return {
        "status": status,
        "worker_count": n,
        "collective": n >= COLLECTIVE_MIN,
        "acceptance_due": a_due.date.isoformat(),
        "statutory_deadline": stat.date.isoformat(),
        "mediation_deadline": med.isoformat() if med else None,
        "overdue": bool(overdue),
        "review_deadline": review.isoformat() if review else None,
        "provisional": bool(provisional),
        "deadline_rules": rules,
    }


def calendar_for(db) -> WorkCalendar:
    cal = getattr(db, "md_calendar", None)
    if cal is None:
        overrides = {_dt.date.fromisoformat(o["date"]): o["is_workday"] for o in org.calendar_overrides(db)}
        cal = WorkCalendar(overrides)
        try:
            db.md_calendar = cal
        except AttributeError:
            pass
    return cal


def forget_calendar(db) -> None:
    if hasattr(db, "md_calendar"):
        del db.md_calendar


# --- storage ---------------------------------------------------------------------------------

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")


def ngrams(texts: Iterable[str]) -> str:
    """1- and 2-character pieces of the Chinese runs, space separated, for short queries."""
    grams: list[str] = []
    seen = set()
    for text in texts:
        for run in _CJK.findall(text or ""):
            for i, ch in enumerate(run):
                for g in (ch, run[i:i + 2] if i + 1 < len(run) else None):
                    if g and g not in seen:
                        seen.add(g)
                        grams.append(g)
    return " ".join(grams)


def _seal(db, rec: dict) -> dict:
    sealed = dict(rec)  # only the people lists change; copy those, share the rest
    for group, fields in sensitive.CASE_FIELDS.items():
        if group not in rec:
            continue
        people = []
        for person in rec[group]:
            person = dict(person)
            for f in fields:
                if person.get(f):
                    person[f] = sensitive.seal(db, f, person[f])
            people.append(person)
        sealed[group] = people
    return sealed


def _reveal(db, rec: dict) -> dict:
    for group, fields in sensitive.CASE_FIELDS.items():
        for person in rec.get(group) or []:
            for f in fields:
                if person.get(f):
                    person[f] = sensitive.reveal(db, f, person[f])
    return rec


def _columns(rec: dict, comp: dict) -> dict:
    app = rec["application"]
    acc = rec.get("acceptance") or {}
    outcome = rec.get("outcome") or {}
    received = local_date(validate.check_datetime(app["received_at"]))
    agreed_fen = sum(money.parse_amount(i["amount"]) for i in (rec.get("agreement") or {}).get("items", [])
                     if i.get("amount")) if outcome.get("kind") == "agreed" else 0
    workers = rec.get("workers") or []
    return {
        "status": comp["status"],
        "source": rec.get("source", "application"),
        "received_at": app["received_at"],
        "received_date": received.isoformat(),
        "decision": acc.get("decision"),
        "decided_date": acc.get("decided_at"),
        "decline_reason": (acc.get("reason_code") or "other") if acc.get("decision") == "declined" else None,
        "outcome": outcome.get("kind"),
        "closed_date": outcome.get("closed_at"),
        "primary_type": rec["dispute_types"][0],
        "worker_count": comp["worker_count"],
        "collective": int(comp["collective"]),
        "migrant": int(any(w.get("migrant") for w in workers)),
        "platform": int(any(w.get("platform") for w in workers)),
        "employer_name": rec["employer"]["name"],
        "first_worker": workers[0]["name"] if workers else "",
        "mediator_names": "、".join(m["name"] for m in rec.get("mediators") or []),
        "amount_claimed_fen": sum(money.parse_amount(c["amount"]) for c in rec.get("claims") or [] if c.get("amount")),
        "amount_agreed_fen": agreed_fen,
        "acceptance_due": comp["acceptance_due"],
        "statutory_deadline": comp["statutory_deadline"],
        "mediation_deadline": comp["mediation_deadline"],
        "review_deadline": comp["review_deadline"],
        "provisional": int(comp["provisional"]),
    }


DERIVED_TABLES = ("case_workers", "case_mediators", "case_items", "case_payments", "case_followups")


def clear_derived(db, rowid: int) -> None:
    """Remove one case's derived rows (before a rebuild, or when the case becomes a tombstone)."""
    for table in DERIVED_TABLES:
        db.conn.execute(f"delete from {table} where case_rowid = ?", (rowid,))
    db.conn.execute("delete from case_fts where rowid = ?", (rowid,))
    db.conn.execute("delete from case_ngram where rowid = ?", (rowid,))


def derived_rows(db, rec: dict, station: str) -> dict:
    """One case's derived index rows, without the case rowid (which the caller puts in front).

    Shared by single-case writes (`_derived`) and the hub's batched import, so both index alike.
    """
    workers = rec.get("workers") or []
    acc, out = rec.get("acceptance") or {}, rec.get("outcome") or {}
    items = (rec.get("agreement") or {}).get("items") or []
    paid = [0] * len(items)
    payments = []
    for i, p in enumerate(rec.get("performance") or []):
        fen = money.parse_amount(p["amount"])
        if 0 <= p["item"] < len(paid):
            paid[p["item"]] += fen
        payments.append((i, p["paid_at"], fen))
    names = [w["name"] for w in workers] + [rec["employer"]["name"]]
    ids = [sensitive.search_text(db, "id_number", w.get("id_number") or "") for w in workers]
    return {
        "case_workers": [(i, w["name"], sensitive.blind_index(db, "id_number", w.get("id_number") or ""))
                         for i, w in enumerate(workers)],
        # copies of the case's station and dates let the by-mediator report read one index
        "case_mediators": [(m["name"], m["role"], station, out.get("closed_at"), out.get("kind"),
                            acc.get("decided_at")) for m in rec.get("mediators") or []],
        "case_items": [(i, it["category"], money.parse_amount(it["amount"]) if it.get("amount") else 0,
                        it.get("due_date"), paid[i]) for i, it in enumerate(items)],
        "case_payments": payments,
        "case_followups": [(i, f["at"]) for i, f in enumerate(rec.get("followups") or [])],
        "case_fts": [(" ".join(names + [i for i in ids if i]),)],
        "case_ngram": [(ngrams(names),)],
    }


DERIVED_INSERT = {
    "case_workers": "insert into case_workers (case_rowid, idx, name, id_key) values (?,?,?,?)",
    "case_mediators": "insert or ignore into case_mediators (case_rowid, name, role, station, closed_date, outcome,"
                      " decided_date) values (?,?,?,?,?,?,?)",
    "case_items": "insert into case_items (case_rowid, idx, category, amount_fen, due_date, paid_fen)"
                  " values (?,?,?,?,?,?)",
    "case_payments": "insert into case_payments (case_rowid, idx, paid_at, amount_fen) values (?,?,?,?)",
    "case_followups": "insert into case_followups (case_rowid, idx, at) values (?,?,?)",
    "case_fts": "insert into case_fts (rowid, text) values (?, ?)",
    "case_ngram": "insert into case_ngram (rowid, grams) values (?, ?)",
}


def insert_derived(db, batch: Iterable[tuple[int, dict]]) -> None:
    """Insert derived rows for (rowid, derived_rows(...)) pairs, one statement per table."""
    per_table: dict[str, list] = {t: [] for t in DERIVED_INSERT}
    for rowid, rows in batch:
        for table, table_rows in rows.items():
            per_table[table].extend((rowid, *r) for r in table_rows)
    for table, rows in per_table.items():
        if rows:
            db.conn.executemany(DERIVED_INSERT[table], rows)


def _derived(db, rowid: int, rec: dict, *, fresh: bool) -> None:
    """Rebuild the derived index rows of one case (workers, mediators, items, payments, search)."""
    if not fresh:
        clear_derived(db, rowid)
    station = db.conn.execute("select station from cases where rowid = ?", (rowid,)).fetchone()[0]
    insert_derived(db, [(rowid, derived_rows(db, rec, station))])


def _event(db, station: str, case_id: str, actor: str, action: str, *, at: str | None = None,
           reason: str | None = None, detail: dict | None = None) -> None:
    ev = new_record(station)
    db.conn.execute(
        "insert into case_events (id, station, created_at, updated_at, rev, deleted, case_id, at, actor, action,"
        " reason, detail) values (?,?,?,?,1,0,?,?,?,?,?,?)",
        (ev["id"], station, ev["created_at"], ev["updated_at"], case_id, at or ev["created_at"], actor, action,
         reason, json.dumps(detail or {}, ensure_ascii=False)),
    )


_INSERT_COLS = None


def _insert(db, rec: dict, comp: dict, *, station: str, profile: dict, back_entered: bool) -> tuple[str, int, str]:
    received_year = int(comp_year(rec))
    if rec.get("case_no"):
        case_no = rec["case_no"]
        if db.conn.execute("select 1 from cases where case_no = ? and station = ?", (case_no, station)).fetchone():
            raise InputError(f"case_no: 案号已存在「{case_no}」")
        seq = org.note_used_case_no(db, case_no, received_year, profile)
    else:
        case_no, seq = org.next_case_no(db, received_year, profile)
        rec["case_no"] = case_no
    base = new_record(station)
    cols = _columns(rec, comp)
    row = {**base, "case_no": case_no, "year": received_year, "seq": seq,
           "doc": json.dumps(_seal(db, rec), ensure_ascii=False, separators=(",", ":")),
           "back_entered": int(back_entered), **cols}
    keys = list(row)
    cur = db.conn.execute(f"insert into cases ({', '.join(keys)}) values ({', '.join('?' * len(keys))})",
                          [row[k] for k in keys])
    rowid = cur.lastrowid
    _derived(db, rowid, rec, fresh=True)
    return base["id"], rowid, case_no


def comp_year(rec: dict) -> int:
    return local_date(validate.check_datetime(rec["application"]["received_at"])).year


def _prefix(index: int | None) -> str:
    return f"第{index}条 " if index is not None else ""


def _check_or_raise(raw, *, cal, today, index=None) -> dict:
    rec, problems = check_record(raw, today=today, cal=cal)
    if problems:
        raise InputError(problems.messages(_prefix(index)))
    return rec


def _back_entry_events(db, station: str, case_id: str, rec: dict, actor: str, *, back_entered: bool = True) -> None:
    """History for a back-entered case: its transitions at the dates written on paper."""
    flag = {"back_entered": True} if back_entered else {}
    _event(db, station, case_id, actor, "register", at=rec["application"]["received_at"], detail=dict(flag))
    acc = rec.get("acceptance")
    if acc:
        _event(db, station, case_id, actor, "accept" if acc["decision"] == "accepted" else "decline",
               at=acc["decided_at"], reason=acc.get("reason"), detail=dict(flag))
    for x in rec.get("extensions") or []:
        _event(db, station, case_id, actor, "extend", at=x["agreed_at"], detail={"until": x["until"], **flag})
    for s in rec.get("sessions") or []:
        _event(db, station, case_id, actor, "session", at=s["held_at"], detail=dict(flag))
    if rec.get("outcome"):
        _event(db, station, case_id, actor, "close", at=rec["outcome"]["closed_at"], reason=rec["outcome"].get("reason"),
               detail={"kind": rec["outcome"]["kind"], **flag})


def import_records(db, records: Iterable, actor: User, *, today: _dt.date | None = None,
                   back_entered: bool = True, audit_action: str = "case.import",
                   progress: Callable[[int], bool] | None = None, batch_audit: bool = False,
                   full_history: bool = False) -> list[str]:
    """Store many case records in one transaction: all or nothing. Returns the case numbers.

    Every record is checked first; any problem in any record raises InputError listing them all
    and nothing is written. `progress(n)` returning False cancels (nothing written).
    """
    require(actor, "write")
    cal = calendar_for(db)
    today = today or _today()
    checked = []
    all_problems: list[str] = []
    seen_numbers: dict[str, int] = {}
    for i, raw in enumerate(records, start=1):
        rec, problems = check_record(raw, today=today, cal=cal)
        if problems:
            all_problems.extend(problems.messages(_prefix(i)))
            continue
        if rec.get("case_no"):
            if rec["case_no"] in seen_numbers:
                all_problems.append(f"第{i}条 case_no: 与第{seen_numbers[rec['case_no']]}条案号重复")
            seen_numbers[rec["case_no"]] = i
        checked.append((i, rec))
    if all_problems:
        raise InputError(all_problems)
    station = org.station_id(db)
    profile = org.get_profile(db)
    numbers = []
    with db.atomic():
        for n, (i, rec) in enumerate(checked, start=1):
            comp = computed(rec, cal, today)
            try:
                case_id, _rowid, case_no = _insert(db, rec, comp, station=station, profile=profile,
                                                   back_entered=back_entered)
            except InputError as exc:
                raise InputError([f"第{i}条 {m}" for m in exc.messages]) from None
            if back_entered or full_history:
                _back_entry_events(db, station, case_id, rec, actor.name, back_entered=back_entered)
            else:
                _event(db, station, case_id, actor.name, "register", at=rec["application"]["received_at"])
            if not batch_audit:
                audit.log(db, actor.name, audit_action, target="cases", record_id=case_id, detail={"case_no": case_no})
            numbers.append(case_no)
            if progress and n % 1000 == 0 and progress(n) is False:
                raise InputError("操作已取消，未写入任何数据")
        if batch_audit:
            audit.log(db, actor.name, audit_action, target="cases", detail={"count": len(numbers)})
    return numbers


def create_case(db, raw: dict, actor: User, *, today: _dt.date | None = None) -> dict:
    """Register one application (the registration form). Returns the stored record with computed fields."""
    require(actor, "write")
    cal = calendar_for(db)
    today = today or _today()
    rec = _check_or_raise(raw, cal=cal, today=today)
    station = org.station_id(db)
    with db.atomic():
        comp = computed(rec, cal, today)
        case_id, _rowid, case_no = _insert(db, rec, comp, station=station, profile=org.get_profile(db),
                                           back_entered=False)
        _event(db, station, case_id, actor.name, "register", detail={"mode": rec["application"]["mode"]})
        audit.log(db, actor.name, "case.create", target="cases", record_id=case_id, detail={"case_no": case_no})
    return get_case(db, case_id, today=today)


def _load_row(db, key: str):
    row = db.conn.execute(
        "select rowid, id, station, case_no, doc, rev, created_at, updated_at, back_entered, archived, deleted"
        " from cases where (id = ? or case_no = ?) and deleted = 0", (key, key)).fetchone()
    return row


def _row_to_record(db, row, *, today=None, masked=False) -> dict:
    rowid, cid, station, case_no, doc, rev, created, updated, back, archived, _deleted = row
    rec = _reveal(db, json.loads(doc))
    comp = computed(rec, calendar_for(db), today)
    out = {"id": cid, "station": station, **rec, **comp, "back_entered": bool(back), "archived": bool(archived),
           "rev": rev, "created_at": created, "updated_at": updated}
    out["case_no"] = case_no
    return sensitive.mask_case(out) if masked else out


def get_case(db, key: str, *, today: _dt.date | None = None, masked: bool = False) -> dict | None:
    """A case by id or case number: the contract record plus computed fields."""
    row = _load_row(db, key)
    return _row_to_record(db, row, today=today, masked=masked) if row else None


def record_only(case: dict) -> dict:
    """The editable contract record of a stored case (computed fields dropped)."""
    return {k: copy.deepcopy(v) for k, v in case.items() if k in TOP_KEYS}


def _diff_fields(old: dict, new: dict) -> list[str]:
    keys = sorted(set(old) | set(new))
    return [k for k in keys if old.get(k) != new.get(k)]


def update_case(db, key: str, change: Callable[[dict], None] | dict, actor: User, *, action: str = "edit",
                reason: str | None = None, detail: dict | None = None, today: _dt.date | None = None) -> dict:
    """Apply a change to a case's record, validate the whole result, store it as a new revision.

    `change` is a function that edits the record in place, or a dict of top-level keys to replace.
    """
    require(actor, "write")
    cal = calendar_for(db)
    today = today or _today()
    with db.atomic():
        row = _load_row(db, key)
        if row is None:
            raise InputError(f"案件不存在：{key}")
        rowid, cid, station = row[0], row[1], row[2]
        if row[9]:
            raise InputError("案件已归档，须先重新启用（撤销归档）才能修改")
        if station != org.station_id(db):
            raise InputError("该案件属于其他站点，汇总端只能查看")
        old = record_only(_row_to_record(db, row, today=today))
        new = copy.deepcopy(old)
        if callable(change):
            change(new)
        else:
            for k, v in change.items():
                if v is None:
                    new.pop(k, None)
                else:
                    new[k] = v
        new["case_no"] = old["case_no"]
        rec = _check_or_raise(new, cal=cal, today=today)
        comp = computed(rec, cal, today)
        cols = _columns(rec, comp)
        sets = ", ".join(f"{k} = ?" for k in cols)
        db.conn.execute(
            f"update cases set doc = ?, rev = rev + 1, updated_at = ?, dirty = 1, {sets} where rowid = ?",
            [json.dumps(_seal(db, rec), ensure_ascii=False, separators=(",", ":")), now(), *cols.values(), rowid],
        )
        _derived(db, rowid, rec, fresh=False)
        fields = _diff_fields(old, rec)
        _event(db, station, cid, actor.name, action, reason=reason, detail={"fields": fields, **(detail or {})})
        audit.log(db, actor.name, f"case.{action}", target="cases", record_id=cid,
                  detail={"case_no": old["case_no"], "fields": fields, **_audit_changes(old, rec, fields)})
    return get_case(db, cid, today=today)


def _audit_changes(old: dict, new: dict, fields: list[str]) -> dict:
    """old → new for non-sensitive top-level scalars and small objects (sensitive groups: names only)."""
    changes = {}
    for f in fields:
        if f in sensitive.CASE_FIELDS:
            continue
        o, n = old.get(f), new.get(f)
        if len(json.dumps([o, n], ensure_ascii=False)) <= 2000:
            changes[f] = [o, n]
    return {"changes": changes} if changes else {}


# --- lifecycle transitions (each stores who, when and why) -------------------------------------

def accept(db, key: str, decided_at: str, actor: User, *, mediators: list[dict] | None = None,
           respondent_agreed: bool = True, reason: str | None = None) -> dict:
    def change(rec):
        if rec.get("acceptance"):
            raise InputError("acceptance: 该案件已作出受理决定")
        rec["acceptance"] = {"decision": "accepted", "decided_at": decided_at, "reason": reason,
                             "respondent_agreed": respondent_agreed}
        if mediators:
            rec["mediators"] = mediators
    return update_case(db, key, change, actor, action="accept", reason=reason)


def decline(db, key: str, decided_at: str, reason: str, actor: User, *, reason_code: str = "other") -> dict:
    def change(rec):
        if rec.get("acceptance"):
            raise InputError("acceptance: 该案件已作出受理决定")
        rec["acceptance"] = {"decision": "declined", "decided_at": decided_at, "reason": reason,
                             "reason_code": reason_code}
    return update_case(db, key, change, actor, action="decline", reason=reason)


def assign_mediators(db, key: str, mediators: list[dict], actor: User, *, reason: str | None = None) -> dict:
    return update_case(db, key, {"mediators": mediators}, actor, action="assign", reason=reason)


def record_recusal(db, key: str, recusal: dict, actor: User) -> dict:
    def change(rec):
        rec.setdefault("recusals", []).append(recusal)
        if recusal.get("decision") == "granted":
            rec["mediators"] = [m for m in rec.get("mediators") or [] if m["name"] != recusal.get("mediator")]
    return update_case(db, key, change, actor, action="recusal", reason=recusal.get("grounds"))


def extend(db, key: str, agreed_at: str, until: str, actor: User, *, reason: str | None = None) -> dict:
    def change(rec):
        x = {"agreed_at": agreed_at, "until": until}
        if reason:
            x["reason"] = reason
        rec.setdefault("extensions", []).append(x)
    return update_case(db, key, change, actor, action="extend", reason=reason, detail={"until": until})


def add_session(db, key: str, session: dict, actor: User) -> dict:
    return update_case(db, key, lambda rec: rec.setdefault("sessions", []).append(session), actor, action="session")


def edit_session(db, key: str, index: int, session: dict, actor: User) -> dict:
    def change(rec):
        sessions = rec.get("sessions") or []
        if not 0 <= index < len(sessions):
            raise InputError(f"sessions[{index}]: 调解笔录不存在")
        sessions[index] = session
    return update_case(db, key, change, actor, action="session.edit")


def close(db, key: str, kind: str, closed_at: str, actor: User, *, reason: str | None = None,
          agreement: dict | None = None) -> dict:
    def change(rec):
        if rec.get("outcome"):
            raise InputError("outcome: 该案件已结案")
        rec["outcome"] = {"kind": kind, "closed_at": closed_at, "reason": reason}
        if agreement is not None:
            rec["agreement"] = agreement
    return update_case(db, key, change, actor, action="close", reason=reason, detail={"kind": kind})


def reopen(db, key: str, actor: User, reason: str) -> dict:
    """Undo a closing (e.g. entered by mistake); the reason is required and recorded."""
    if not reason:
        raise InputError("reason: 重新开启案件必须说明理由")

    def change(rec):
        rec.pop("outcome", None)
        rec.pop("agreement", None)
        rec.pop("performance", None)
    return update_case(db, key, change, actor, action="reopen", reason=reason)


def add_performance(db, key: str, entry: dict, actor: User) -> dict:
    return update_case(db, key, lambda rec: rec.setdefault("performance", []).append(entry), actor,
                       action="performance")


def add_followup(db, key: str, entry: dict, actor: User) -> dict:
    return update_case(db, key, lambda rec: rec.setdefault("followups", []).append(entry), actor, action="followup")


def set_archived(db, key: str, archived: bool, actor: User, *, reason: str | None = None) -> None:
    """Archiving locks a closed case; reopening the archive is recorded with its reason."""
    require(actor, "write")
    with db.atomic():
        row = _load_row(db, key)
        if row is None:
            raise InputError(f"案件不存在：{key}")
        case = _row_to_record(db, row)
        if archived and case["status"] not in ("closed", "declined"):
            raise InputError("只有已结案或不予受理的案件才能归档")
        if not archived and not reason:
            raise InputError("reason: 撤销归档必须说明理由")
        db.conn.execute("update cases set archived = ?, rev = rev + 1, updated_at = ?, dirty = 1 where rowid = ?",
                        (int(archived), now(), row[0]))
        _event(db, row[2], row[1], actor.name, "archive" if archived else "unarchive", reason=reason)
        audit.log(db, actor.name, "case.archive" if archived else "case.unarchive", target="cases", record_id=row[1],
                  detail={"reason": reason} if reason else {})


def delete_case(db, key: str, actor: User, reason: str) -> None:
    """Void a case: a tombstone, never a hard delete; its number is not reused."""
    require(actor, "write")
    if not reason:
        raise InputError("reason: 作废案件必须说明理由")
    with db.atomic():
        row = _load_row(db, key)
        if row is None:
            raise InputError(f"案件不存在：{key}")
        rowid = row[0]
        db.conn.execute("update cases set deleted = 1, rev = rev + 1, updated_at = ?, dirty = 1 where rowid = ?",
                        (now(), rowid))
        clear_derived(db, rowid)
        _event(db, row[2], row[1], actor.name, "void", reason=reason)
        audit.log(db, actor.name, "case.void", target="cases", record_id=row[1], detail={"reason": reason})


def history(db, key: str) -> list[dict]:
    row = _load_row(db, key)
    if row is None:
        return []
    return [{"at": r[0], "actor": r[1], "action": r[2], "reason": r[3], "detail": json.loads(r[4])}
            for r in db.conn.execute("select at, actor, action, reason, detail from case_events where case_id = ?"
                                     " and deleted = 0 order by created_at, rowid", (row[1],))]


def open_cases_for(db, worker_id_number: str | None, employer_name: str, *, exclude: str | None = None) -> list[str]:
    """Case numbers of open cases with the same worker (by blind index of the ID) and employer."""
    if not worker_id_number:
        return []
    key = sensitive.blind_index(db, "id_number", worker_id_number)
    rows = db.conn.execute(
        "select c.case_no from case_workers w join cases c on c.rowid = w.case_rowid"
        " where w.id_key = ? and c.employer_name = ? and c.status in ('registered','mediating') and c.deleted = 0",
        (key, employer_name)).fetchall()
    return [r[0] for r in rows if r[0] != exclude]


def employers(db, prefix: str, limit: int = 20) -> list[dict]:
    """Employer lookup from earlier cases (newest details first)."""
    out = []
    for (doc,) in db.conn.execute(
        "select doc from cases where employer_name >= ? and employer_name < ? and deleted = 0"
        " group by employer_name order by employer_name limit ?", (prefix, prefix + "\U0010ffff", limit)):
        out.append(json.loads(doc)["employer"])
    return out


def recompute_deadlines(db) -> int:
    """After the holiday calendar changes, refresh the stored deadline columns of open cases."""
    forget_calendar(db)
    cal = calendar_for(db)
    n = 0
    with db.atomic():
        for rowid, doc in db.conn.execute(
                "select rowid, doc from cases where deleted = 0 and (status in ('registered','mediating') or provisional = 1)"
        ).fetchall():
            rec = json.loads(doc)
            comp = computed(rec, cal)
            db.conn.execute(
                "update cases set acceptance_due = ?, statutory_deadline = ?, mediation_deadline = ?,"
                " review_deadline = ?, provisional = ? where rowid = ?",
                (comp["acceptance_due"], comp["statutory_deadline"], comp["mediation_deadline"],
                 comp["review_deadline"], int(comp["provisional"]), rowid))
            n += 1
    return n


# Public names for the parts other modules (bundles at the hub, checks) reuse.
seal_record = _seal
reveal_record = _reveal
index_columns = _columns
rebuild_derived = _derived
