"""The legal rules a case record must satisfy: one set for every entry path (form, import, hub)."""

from __future__ import annotations

import datetime as _dt
import re

from desktop import money, validate
from desktop.clock import today as _today
from desktop.codes import (
    APPLICANTS, AUTHORITY, DECLINE_REASONS, DISPUTE_TYPES, FOLLOWUP_METHODS, ITEM_CATEGORIES,
    MEDIATOR_ROLES, MODES, OUTCOMES, SOURCES,
)
from desktop.workcal import WorkCalendar

from .deadlines import MEDIATION_DAYS
from .shape import (
    ACCEPTANCE_KEYS, AGENT_KEYS, AGREEMENT_KEYS, APPLICATION_KEYS, CLAIM_KEYS, CONFLICT_KEYS, COMPUTED_KEYS,
    EMPLOYER_KEYS, EVIDENCE_KEYS, EXTENSION_KEYS, FOLLOWUP_KEYS, FOLLOWUP_RESULTS, ITEM_KEYS, MEDIATOR_KEYS,
    OUTCOME_KEYS, PERFORMANCE_KEYS, RECUSAL_DECISIONS, RECUSAL_KEYS, SESSION_KEYS, TOP_KEYS, WORKER_KEYS,
    WORKER_MIN_AGE, Problems, local_date,
)
from .shape import (
    _amount, _bool, _date, _datetime, _enum, _list, _obj, _text, _unknown,
)


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

