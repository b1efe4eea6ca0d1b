"""The legal rules a case record must satisfy: one set for every entry path (form, import, hub).

`check_record` reads the record part by part, in the order a case is lived (application, parties,
claims, acceptance, mediators, mediation, outcome, agreement, follow-up). Each part reads its keys
into the normalised record; the legal rules are small functions named after what they require,
each beside the statute it cites. Errors refuse the record; warnings (`Problems.warn`) do not: the
record is taken and the warning is stored on it with who acknowledged it (see lifecycle).

Abbreviations as in domain.md §0: LDMAL 劳动争议调解仲裁法, EMR 企业劳动争议协商调解规定,
AR2017 劳动人事争议仲裁办案规则, SPC-I 最高法劳动争议解释（一）, LL 劳动法.
"""

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

from .shape import (
    ACCEPTANCE_KEYS, AGENT_KEYS, AGREEMENT_KEYS, APPLICATION_KEYS, CLAIM_KEYS, COLLECTIVE_MIN, COMPUTED_KEYS, MEDIATION_DAYS,
    CONFLICT_KEYS, CONSENT_HOW, CONSENT_KEYS, CONSENT_PARTIES, EMPLOYER_KEYS, EVIDENCE_KEYS, EXTENSION_KEYS,
    FOLLOWUP_KEYS, FOLLOWUP_RESULTS, ITEM_KEYS, JUDICIAL_KEYS, MEDIATOR_KEYS, OUTCOME_KEYS, PERFORMANCE_KEYS,
    RECUSAL_DECISIONS, RECUSAL_KEYS, SESSION_KEYS, TOP_KEYS, WARNING_KEYS, WORKER_KEYS, WORKER_MIN_AGE, Problems,
    local_date,
)
from .shape import _amount, _bool, _date, _datetime, _entries, _enum, _list, _obj, _text, _unknown

_TOP_AND_COMPUTED = frozenset(TOP_KEYS | COMPUTED_KEYS)


class _Ctx:
    """What the parts learn about the case and later parts need (dates, decisions)."""

    __slots__ = ("raw", "rec", "p", "today", "cal", "stored", "received_date", "workers_raw", "workers", "claims",
                 "decided", "accepted", "deadline", "extended", "kind", "closed", "effective", "items")

    def __init__(self, raw: dict, p: Problems, today: _dt.date, cal: WorkCalendar | None, stored: bool = False):
        self.raw, self.p, self.today, self.cal, self.stored = raw, p, today, cal, stored
        self.rec: dict = {}
        self.received_date = self.decided = self.deadline = self.closed = self.effective = None
        self.workers_raw: list = []
        self.workers: list = []
        self.claims: list = []
        self.items: list = []
        self.accepted = self.extended = False
        self.kind = None

    def newer_rule(self, path: str, code: str, message: str) -> None:
        """A rule added after records were first stored (issue 13): it refuses new entries, but a
        record already stored (a station's bundle at the hub) is taken with a warning, so one old case
        does not stop a whole bundle."""
        if self.stored:
            self.p.warn(path, code, message)
        else:
            self.p.add(path, message)

    def calendar(self) -> WorkCalendar:
        if self.cal is None:
            self.cal = WorkCalendar()
        return self.cal


def check_record(raw, *, today: _dt.date | None = None, cal: WorkCalendar | None = None,
                 stored: bool = False) -> tuple[dict, Problems]:
    """Validate a case record and return it normalised. One set of rules for every entry path.

    `stored`: the record was stored before (a bundle at the hub): rules newer than the record's
    program version warn instead of refusing (`_Ctx.newer_rule`).
    """
    problems = Problems()
    if not isinstance(raw, dict):
        problems.add("", "案件记录应为 JSON 对象")
        return {}, problems
    ctx = _Ctx(raw, problems, today or _today(), cal, stored)
    if not raw.keys() <= _TOP_AND_COMPUTED:
        for key in raw:
            if key not in _TOP_AND_COMPUTED:
                problems.add(key, "未知字段")
    _case_head(ctx)
    _application(ctx)
    _workers(ctx)
    _employer(ctx)
    _agents(ctx)
    _claims(ctx)
    _acceptance(ctx)
    _mediators(ctx)
    _extensions(ctx)
    _outcome(ctx)
    _sessions(ctx)
    _agreement(ctx)
    _performance(ctx)
    _followups(ctx)
    _collective(ctx)
    _acknowledged_warnings(ctx)
    return ctx.rec, problems


# --- application (LDMAL Art. 12; EMR Art. 21) ---------------------------------------------------

def _case_head(ctx: _Ctx) -> None:
    raw, rec, p = ctx.raw, ctx.rec, ctx.p
    if raw.get("case_no") not in (None, ""):
        case_no = _text(raw, "case_no", "", p, max_len=60)
        if case_no:
            rec["case_no"] = case_no
    rec["source"] = _enum(raw, "source", SOURCES, "", p, default="application")


def _application(ctx: _Ctx) -> None:
    raw, p = ctx.raw, ctx.p
    app = _obj(raw.get("application"), "application", p) or {}
    if "application" not in raw:
        p.add("application", "缺少申请信息")
    _unknown(app, APPLICATION_KEYS, "application", p)
    received = _datetime(app, "received_at", "application", p, required=True)
    rec_app = {
        "mode": _enum(app, "mode", MODES, "application", p, required=True, default="written"),
        "received_at": app.get("received_at"),
        "applicant": _enum(app, "applicant", APPLICANTS, "application", p, default="worker"),
    }
    for k in ("recorder", "place"):
        v = _text(app, k, "application", p, max_len=100)
        if v:
            rec_app[k] = v
    ctx.received_date = local_date(received) if received else None
    if received and ctx.received_date > ctx.today:
        p.add("application.received_at", "收到申请的时间不能晚于今天")
    ctx.rec["application"] = rec_app


def rule_oral_application_recorded(ctx: _Ctx) -> None:
    """LDMAL Art. 12: an oral application is written down on the spot with the applicant's details,
    the matters, the reasons and the time; the recorder signs it."""
    rec, p = ctx.rec, ctx.p
    if rec["application"]["mode"] != "oral":
        return
    if not rec["application"].get("recorder"):
        p.add("application.recorder", "口头申请须填写记录人")
    if not ctx.claims:
        p.add("claims", "口头申请须记录申请事项")
    if not rec.get("facts"):
        p.add("facts", "口头申请须记录事实和理由")
    workers = ctx.workers
    if rec["application"]["applicant"] == "worker" and workers and not (workers[0].get("id_number")
                                                                        or workers[0].get("phone")):
        p.add("workers[0]", "口头申请须记录申请人的基本情况（身份证号码或联系电话）")


# --- parties (LDMAL Arts. 4–7, 22–25) -----------------------------------------------------------

def warn_minor_worker(ctx: _Ctx, path: str, birth: _dt.date) -> None:
    """LL Art. 15: no one under 16 may be employed. The child's wage claim still arrives: take it,
    warn, and note it for the labour inspectorate."""
    on = ctx.received_date or ctx.today
    if on.year - birth.year > WORKER_MIN_AGE:
        return  # the common case, without the exact age
    age = validate.age_on(birth, on)
    if age < WORKER_MIN_AGE:
        ctx.p.warn(path, "minor_worker",
                   f"劳动者未满{WORKER_MIN_AGE}周岁（{age}周岁），属于非法使用童工；仍受理其劳动报酬等请求，"
                   "并请将情况告知劳动保障监察机构（《劳动法》第15条）")


def warn_pension_drawer(ctx: _Ctx, path: str) -> None:
    """SPC-I Art. 32: a worker already drawing a basic pension is in a service relationship (劳务关系)."""
    ctx.p.warn(path, "pension_drawer", "劳动者已享受基本养老保险待遇，与用人单位之间一般按劳务关系处理，"
                                       "可能不属于劳动争议（最高法劳动争议解释（一）第32条）")


def _workers(ctx: _Ctx) -> None:
    p, today = ctx.p, ctx.today
    workers_raw = ctx.workers_raw = _list(ctx.raw.get("workers"), "workers", p)
    if not workers_raw:
        p.add("workers", "至少需要一名劳动者")
    workers = ctx.workers
    for path, w in _entries(workers_raw, "workers", WORKER_KEYS, p):
        out = {}
        name = w.get("name")
        try:
            out["name"] = validate.check_name(name if isinstance(name, str) else "")
        except validate.FieldError as exc:
            p.add(f"{path}.name", str(exc))
        if w.get("id_number"):
            if not isinstance(w["id_number"], str):
                p.add(f"{path}.id_number", "应为文字")
            else:
                try:
                    info = validate.check_id_number(w["id_number"], on=ctx.received_date or today)
                    out["id_number"] = info.normalized
                    warn_minor_worker(ctx, f"{path}.id_number", info.birth_date)
                    if w.get("sex") not in (None, "", info.sex):
                        p.add(f"{path}.sex", "性别与身份证号码不符")
                    if w.get("birth_date") not in (None, "", info.birth_date.isoformat()):
                        p.add(f"{path}.birth_date", "出生日期与身份证号码不符")
                    # Sex and birth date follow from the ID number; store them only if given, so a
                    # record reads back exactly as it was entered.
                    for k in ("sex", "birth_date"):
                        if w.get(k):
                            out[k] = w[k]
                except validate.FieldError as exc:
                    p.add(f"{path}.id_number", str(exc))
        else:
            if w.get("sex") not in (None, ""):
                out["sex"] = _enum(w, "sex", {"male": 1, "female": 1}, path, p)
            bd = _date(w, "birth_date", path, p)
            if bd:
                if bd > today:
                    p.add(f"{path}.birth_date", "出生日期不能晚于今天")
                else:
                    warn_minor_worker(ctx, f"{path}.birth_date", bd)
                out["birth_date"] = bd.isoformat()
        if w.get("phone"):
            try:
                out["phone"] = validate.check_phone(w["phone"] if isinstance(w["phone"], str) else "")
            except validate.FieldError as exc:
                p.add(f"{path}.phone", str(exc))
        for key in ("address", "ethnicity", "bank_account"):
            v = _text(w, key, path, p, max_len=200)
            if v:
                out[key] = v
        out["migrant"] = _bool(w, "migrant", path, p)
        out["platform"] = _bool(w, "platform", path, p)
        if w.get("representative"):
            out["representative"] = _bool(w, "representative", path, p)
        if w.get("pension"):
            out["pension"] = _bool(w, "pension", path, p)
            if out["pension"]:
                warn_pension_drawer(ctx, f"{path}.pension")
        workers.append(out)
    ctx.rec["workers"] = workers


def _employer(ctx: _Ctx) -> None:
    raw, p = ctx.raw, ctx.p
    emp = _obj(raw.get("employer"), "employer", p) or {}
    if "employer" not in raw:
        p.add("employer", "缺少用人单位信息")
    _unknown(emp, EMPLOYER_KEYS, "employer", p)
    e_out = {"name": _text(emp, "name", "employer", p, required=True, max_len=100) or ""}
    if emp.get("credit_code"):
        try:
            e_out["credit_code"], _w = validate.check_credit_code(
                emp["credit_code"] if isinstance(emp["credit_code"], str) else "")
        except validate.FieldError as exc:
            p.add("employer.credit_code", str(exc))
    if emp.get("phone"):
        try:
            e_out["phone"] = validate.check_phone(emp["phone"] if isinstance(emp["phone"], str) else "")
        except validate.FieldError as exc:
            p.add("employer.phone", str(exc))
    for key in ("legal_rep", "legal_rep_title", "address", "industry"):
        v = _text(emp, key, "employer", p, max_len=200)
        if v:
            e_out[key] = v
    ctx.rec["employer"] = e_out


def _agents(ctx: _Ctx) -> None:
    """LDMAL Art. 24 (by practice in mediation): an agent acts for one named party."""
    p = ctx.p
    agents = []
    for path, a in _entries(ctx.raw.get("agents"), "agents", AGENT_KEYS, p):
        out = {"for": a.get("for"), "name": _text(a, "name", path, p, required=True, max_len=50) or ""}
        target = a.get("for")
        m = re.fullmatch(r"worker:(\d+)", target) if isinstance(target, str) else None
        if target != "employer" and not (m and int(m.group(1)) < len(ctx.workers_raw)):
            p.add(f"{path}.for", "应为 \"employer\" 或 \"worker:序号\"（序号须对应已登记的劳动者）")
        out["authority"] = _enum(a, "authority", AUTHORITY, path, p, required=True, default="general")
        if a.get("phone"):
            try:
                out["phone"] = validate.check_phone(a["phone"] if isinstance(a["phone"], str) else "")
            except validate.FieldError as exc:
                p.add(f"{path}.phone", str(exc))
        if a.get("id_number"):
            try:
                out["id_number"] = validate.check_id_number(str(a["id_number"]), min_age=18, on=ctx.today).normalized
            except validate.FieldError as exc:
                p.add(f"{path}.id_number", str(exc))
        v = _text(a, "relation", path, p, max_len=50)
        if v:
            out["relation"] = v
        agents.append(out)
    if agents:
        ctx.rec["agents"] = agents


# --- dispute types and claims (LDMAL Art. 2; SPC-I Art. 2) ---------------------------------------

# SPC-I Art. 2: matters that are not labour disputes, and words that name them in a claim or the
# facts (plain substrings: every import scans every claim, so no regular expression).
_OUT_OF_SCOPE = {
    "社会保险经办机构": "向社会保险经办机构主张社会保险待遇", "社保经办机构": "向社会保险经办机构主张社会保险待遇",
    "伤残等级": "对伤残等级鉴定或职业病诊断有异议", "劳动能力鉴定": "对伤残等级鉴定或职业病诊断有异议",
    "职业病诊断": "对伤残等级鉴定或职业病诊断有异议",
    "家政": "家庭或个人与家政服务人员之间的纠纷", "保姆": "家庭或个人与家政服务人员之间的纠纷",
    "家庭雇佣": "家庭或个人与家政服务人员之间的纠纷",
    "个体工匠": "个体工匠与帮工、学徒之间的纠纷", "帮工": "个体工匠与帮工、学徒之间的纠纷",
    "农村承包经营户": "农村承包经营户与受雇人之间的纠纷",
    "房改": "公有住房转让纠纷", "公有住房转让": "公有住房转让纠纷",
}


def warn_outside_labour_dispute(ctx: _Ctx, path: str, text: str) -> bool:
    """SPC-I Art. 2: some claims look like labour disputes but are not; warn before accepting."""
    for word, what in _OUT_OF_SCOPE.items():
        if word in text:
            ctx.p.warn(path, "outside_scope", f"请求可能不属于劳动争议调解范围：{what}（最高法劳动争议解释（一）第2条）；"
                                              "受理前请核实，必要时告知当事人向有关部门主张")
            return True
    return False


def _claims(ctx: _Ctx) -> None:
    raw, rec, p = ctx.raw, ctx.rec, ctx.p
    types = _list(raw.get("dispute_types"), "dispute_types", p)
    if not types:
        p.add("dispute_types", "至少需要一个争议类型（第一个为主要类型）")
    seen = set()
    for i, t in enumerate(types):
        if not isinstance(t, str) or t not in DISPUTE_TYPES:
            p.add(f"dispute_types[{i}]", f"未知争议类型「{t}」")
        elif t in seen:
            p.add(f"dispute_types[{i}]", f"争议类型「{t}」重复")
        else:
            seen.add(t)
    rec["dispute_types"] = [t for t in types if isinstance(t, str)]
    claims = ctx.claims
    outside = False
    for path, c in _entries(raw.get("claims"), "claims", CLAIM_KEYS, p):
        out = {"text": _text(c, "text", path, p, required=True) or ""}
        outside = warn_outside_labour_dispute(ctx, f"{path}.text", out["text"]) or outside
        fen = _amount(c, "amount", path, p)
        if fen is not None:
            out["amount"] = money.fen_to_text(fen)
        claims.append(out)
    rec["claims"] = claims
    for key in ("facts", "respondent_reply"):
        v = _text(raw, key, "", p, max_len=20000)
        if v:
            rec[key] = v
    if rec.get("facts") and not outside:
        warn_outside_labour_dispute(ctx, "facts", rec["facts"])
    evidence = []
    for path, e in _entries(raw.get("evidence"), "evidence", EVIDENCE_KEYS, p):
        evidence.append({k: e[k] for k in EVIDENCE_KEYS if e.get(k) not in (None, "")})
    if evidence:
        rec["evidence"] = evidence
    rule_oral_application_recorded(ctx)


# --- acceptance (EMR Arts. 22–23) ---------------------------------------------------------------

def rule_consent_before_acceptance(ctx: _Ctx, acc: dict) -> None:
    """EMR Art. 22: accept only if the dispute is in scope and both parties agree to mediate; the
    respondent is asked first. EMR Art. 23: mediating on the organisation's own initiative needs
    both parties' consent."""
    if not ctx.accepted:
        return
    p = ctx.p
    if acc.get("respondent_agreed") is False:
        ctx.newer_rule("acceptance.respondent_agreed", "accepted_without_consent",
                       "被申请人不同意调解的，不能受理，应书面告知申请人（《企业劳动争议协商调解规定》第22条）")
    consents = acc.get("consents")
    if consents is None:
        return  # older records: consent not itemised
    parties = {c["party"] for c in consents}
    if "respondent" not in parties:
        p.add("acceptance.consents", "受理前须记录被申请人同意调解的时间和方式（《企业劳动争议协商调解规定》第22条）")
    if ctx.rec.get("source") == "own_initiative" and "applicant" not in parties:
        p.add("acceptance.consents", "主动调解须经双方当事人同意，请记录申请人同意的时间和方式（第23条）")
    for i, c in enumerate(consents):
        at = c.get("at")
        if at and ctx.decided and at > ctx.decided.isoformat():
            p.add(f"acceptance.consents[{i}].at", "同意调解的日期晚于受理日期：须先征得同意再受理（第22条）")


def _consents(ctx: _Ctx, acc_raw: dict) -> list[dict]:
    p, out = ctx.p, []
    for path, c in _entries(acc_raw.get("consents"), "acceptance.consents", CONSENT_KEYS, p):
        at = _date(c, "at", path, p, required=True)
        if at and ctx.received_date and at < ctx.received_date:
            p.add(f"{path}.at", "同意调解的日期早于收到申请日期")
        if at and at > ctx.today:
            p.add(f"{path}.at", "同意调解的日期不能晚于今天")
        out.append({"party": _enum(c, "party", CONSENT_PARTIES, path, p, required=True, default="respondent"),
                    "at": at.isoformat() if at else c.get("at"),
                    "how": _enum(c, "how", CONSENT_HOW, path, p, required=True, default="written")})
    return out


def _acceptance(ctx: _Ctx) -> None:
    p = ctx.p
    acc_raw = _obj(ctx.raw.get("acceptance"), "acceptance", p)
    if not acc_raw:
        return
    _unknown(acc_raw, ACCEPTANCE_KEYS, "acceptance", p)
    decision = _enum(acc_raw, "decision", {"accepted": 1, "declined": 1}, "acceptance", p, required=True)
    decided = ctx.decided = _date(acc_raw, "decided_at", "acceptance", p, required=True)
    acc = {"decision": decision, "decided_at": decided.isoformat() if decided else acc_raw.get("decided_at")}
    reason = _text(acc_raw, "reason", "acceptance", p, max_len=2000)
    acc["reason"] = reason or None
    if decision == "declined":
        if not reason:
            p.add("acceptance.reason", "不予受理必须说明理由")
        acc["reason_code"] = _enum(acc_raw, "reason_code", DECLINE_REASONS, "acceptance", p, default="other")
    if "respondent_agreed" in acc_raw:
        acc["respondent_agreed"] = _bool(acc_raw, "respondent_agreed", "acceptance", p)
    if "consents" in acc_raw:
        acc["consents"] = _consents(ctx, acc_raw)
    if decided and ctx.received_date and decided < ctx.received_date:
        p.add("acceptance.decided_at", "受理决定日期早于收到申请日期")
    if decided and decided > ctx.today:
        p.add("acceptance.decided_at", "受理决定日期不能晚于今天")
    ctx.accepted = decision == "accepted"
    rule_consent_before_acceptance(ctx, acc)
    ctx.rec["acceptance"] = acc


# --- mediators, conflicts and recusal (by analogy with LDMAL Art. 33 / AR2017 Arts. 11–12) ------

def _mediators(ctx: _Ctx) -> None:
    raw, rec, p = ctx.raw, ctx.rec, ctx.p
    blocked: dict[str, str] = {}
    conflicts = []
    for path, c in _entries(raw.get("conflicts"), "conflicts", CONFLICT_KEYS, p):
        out = {"mediator": _text(c, "mediator", path, p, required=True, max_len=50) or "",
               "party": _text(c, "party", path, p, max_len=100) or "",
               "relation": _text(c, "relation", path, p, required=True, max_len=200) or ""}
        blocked[out["mediator"]] = f"与当事人存在关系（{out['relation']}）"
        conflicts.append(out)
    if conflicts:
        rec["conflicts"] = conflicts
    recusals = []
    for path, r in _entries(raw.get("recusals"), "recusals", RECUSAL_KEYS, p):
        out = {"mediator": _text(r, "mediator", path, p, required=True, max_len=50) or "",
               "requested_by": _text(r, "requested_by", path, p, required=True, max_len=100) or "",
               "grounds": _text(r, "grounds", path, p, required=True) or "",
               "decision": _enum(r, "decision", RECUSAL_DECISIONS, path, p, default="pending")}
        v = _text(r, "decided_by", path, p, max_len=50)
        if v:
            out["decided_by"] = v
        d = _date(r, "decided_at", path, p)
        if d:
            out["decided_at"] = d.isoformat()
        if out["decision"] == "granted":
            blocked[out["mediator"]] = "已决定回避"
        recusals.append(out)
    if recusals:
        rec["recusals"] = recusals
    mediators = []
    for path, m in _entries(raw.get("mediators"), "mediators", MEDIATOR_KEYS, p):
        out = {"name": _text(m, "name", path, p, required=True, max_len=50) or "",
               "role": _enum(m, "role", MEDIATOR_ROLES, path, p, default="member")}
        if out["name"] in blocked:
            p.add(f"{path}.name", f"调解员「{out['name']}」{blocked[out['name']]}，不能指派")
        if any(x["name"] == out["name"] for x in mediators):
            p.add(f"{path}.name", f"调解员「{out['name']}」重复指派")
        mediators.append(out)
    if mediators:
        if not ctx.accepted:
            p.add("mediators", "案件受理后才能指派调解员")
        rec["mediators"] = mediators


# --- the mediation period and its extensions (EMR Art. 29; LDMAL Art. 14) -----------------------

def warn_extension_on_rest_day(ctx: _Ctx, path: str, until: _dt.date) -> None:
    """The time-period rule moves a period's last day off a rest day; an agreed date is the parties'
    own and stands, but the clerk may want to agree a working day instead."""
    name = ctx.calendar().rest_day_name(until)
    if name:
        ctx.p.warn(path, "extension_rest_day", f"延期后的期限{until.isoformat()}是休息日（{name}），双方约定的日期仍然有效；"
                                               "如需要，可另行约定一个工作日")


def _extensions(ctx: _Ctx) -> None:
    p = ctx.p
    deadline = None
    if ctx.accepted and ctx.decided:
        deadline = ctx.calendar().period_end(ctx.decided, MEDIATION_DAYS).date
    extensions = []
    for path, x in _entries(ctx.raw.get("extensions"), "extensions", EXTENSION_KEYS, p):
        # EMR Art. 29: an extension exists only with both parties' agreement; agreed_at is that date.
        agreed = _date(x, "agreed_at", path, p, required=True)
        until = _date(x, "until", path, p, required=True)
        if not ctx.accepted:
            p.add(path, "案件受理后才能延期")
        if agreed and ctx.decided and agreed < ctx.decided:
            p.add(f"{path}.agreed_at", "延期日期早于受理日期")
        if agreed and deadline and agreed > deadline:
            p.add(f"{path}.agreed_at", f"调解期限已于{deadline.isoformat()}届满，不能再延期")
        if agreed and until and until <= agreed:
            p.add(f"{path}.until", "延期后的期限应晚于双方同意延期的日期")
        if until and deadline and until <= deadline:
            p.add(f"{path}.until", f"延期后的期限应晚于原期限{deadline.isoformat()}")
        if until:
            warn_extension_on_rest_day(ctx, f"{path}.until", until)
        out = {"agreed_at": agreed.isoformat() if agreed else x.get("agreed_at"),
               "until": until.isoformat() if until else x.get("until")}
        v = _text(x, "reason", path, p)
        if v:
            out["reason"] = v
        if until:
            deadline = until
            ctx.extended = True
        extensions.append(out)
    ctx.deadline = deadline
    if extensions:
        ctx.rec["extensions"] = extensions


def _sessions(ctx: _Ctx) -> None:
    p = ctx.p
    sessions = []
    for path, s in _entries(ctx.raw.get("sessions"), "sessions", SESSION_KEYS, p):
        held = _datetime(s, "held_at", path, p, required=True)
        ended = _datetime(s, "ended_at", path, p)
        if not ctx.accepted:
            p.add(path, "案件受理后才能记录调解笔录")
        if held:
            hd = local_date(held)
            if ctx.decided and hd < ctx.decided:
                p.add(f"{path}.held_at", "调解时间早于受理日期")
            if ctx.closed and hd > ctx.closed:
                p.add(f"{path}.held_at", "调解时间晚于结案日期")
            if hd > ctx.today:
                p.add(f"{path}.held_at", "调解时间不能晚于今天")
        if held and ended and ended < held:
            p.add(f"{path}.ended_at", "结束时间早于开始时间")
        out = {"held_at": s.get("held_at")}
        for k in ("ended_at", "place", "attendees", "record", "recorder", "result"):
            v = s.get(k) if k == "ended_at" else _text(s, k, path, p, max_len=50000)
            if v:
                out[k] = v
        sessions.append(out)
    if sessions:
        ctx.rec["sessions"] = sessions


# --- outcome (EMR Arts. 29–31) ------------------------------------------------------------------

def rule_expiry_after_the_period(ctx: _Ctx) -> None:
    """EMR Art. 29: a case is 逾期未达成协议 (deemed failed) only once the mediation period, with any
    agreed extension, has run out: it cannot be closed as expired on or before its last day."""
    if ctx.kind == "expired" and ctx.closed and ctx.deadline and ctx.closed <= ctx.deadline:
        ctx.newer_rule("outcome.closed_at", "expired_early",
                       f"调解期限{'（含延期）' if ctx.extended else ''}至{ctx.deadline.isoformat()}届满，"
                       "届满前不能以「逾期未达成协议」结案（《企业劳动争议协商调解规定》第29条）")


def _outcome(ctx: _Ctx) -> None:
    p = ctx.p
    out_raw = _obj(ctx.raw.get("outcome"), "outcome", p)
    if not out_raw:
        return
    _unknown(out_raw, OUTCOME_KEYS, "outcome", p)
    kind = ctx.kind = _enum(out_raw, "kind", OUTCOMES, "outcome", p, required=True)
    closed = ctx.closed = _date(out_raw, "closed_at", "outcome", p, required=True)
    if not ctx.accepted:
        p.add("outcome", "未受理的案件不能结案（须先受理）")
    if closed and ctx.decided and closed < ctx.decided:
        p.add("outcome.closed_at", "结案日期早于受理日期")
    if closed and closed > ctx.today:
        p.add("outcome.closed_at", "结案日期不能晚于今天")
    reason = _text(out_raw, "reason", "outcome", p)
    if kind in ("failed", "terminated", "withdrawn") and not reason:
        p.add("outcome.reason", f"{OUTCOMES[kind]}须说明原因")
    rule_expiry_after_the_period(ctx)
    ctx.rec["outcome"] = {"kind": kind, "closed_at": closed.isoformat() if closed else out_raw.get("closed_at"),
                          "reason": reason or None}


# --- the agreement (LDMAL Arts. 14–16; EMR Arts. 26–29; AR2017 Art. 75) -------------------------

def rule_agreement_within_the_period(ctx: _Ctx) -> None:
    """EMR Art. 29: with no agreement within the period mediation is deemed failed; only an
    extension both parties agreed to keeps it open."""
    if ctx.effective and ctx.deadline and ctx.effective > ctx.deadline:
        if ctx.extended:
            msg = f"协议生效日期晚于延期后的调解期限{ctx.deadline.isoformat()}"
        else:
            msg = f"协议生效日期晚于调解期限{ctx.deadline.isoformat()}，且没有记录双方同意的延期"
        ctx.newer_rule("agreement.effective_at", "agreement_after_period",
                       msg + "（《企业劳动争议协商调解规定》第29条：期满未达成协议的，视为调解不成）")


def review_refusal(rec: dict) -> str | None:
    """Why the arbitration commission would not accept a review of this case's agreement, or None.

    AR2017 Art. 75: not accepted when (4) the agreement confirms a labour relationship (any of the
    case's dispute types, not only the first) or (5) a court has already confirmed it.
    """
    if "LR" in (rec.get("dispute_types") or ()):
        return "协议涉及确认劳动关系，仲裁委员会不受理仲裁审查申请（《劳动人事争议仲裁办案规则》第75条第4项）"
    if (rec.get("agreement") or {}).get("judicial_confirmation"):
        return "协议已经人民法院司法确认，仲裁委员会不受理仲裁审查申请（《劳动人事争议仲裁办案规则》第75条第5项）"
    return None


def _judicial_confirmation(ctx: _Ctx, ag_raw: dict) -> dict | None:
    """CPL 2023 Art. 205 / SPC-I Art. 52: a court's confirmation of the agreement (court, date)."""
    p = ctx.p
    jc = _obj(ag_raw.get("judicial_confirmation"), "agreement.judicial_confirmation", p)
    if not jc:
        return None
    path = "agreement.judicial_confirmation"
    _unknown(jc, JUDICIAL_KEYS, path, p)
    court = _text(jc, "court", path, p, required=True, max_len=100) or ""
    at = _date(jc, "at", path, p, required=True)
    if at and ctx.effective and at < ctx.effective:
        p.add(f"{path}.at", "司法确认日期早于协议生效日期")
    if at and at > ctx.today:
        p.add(f"{path}.at", "司法确认日期不能晚于今天")
    return {"court": court, "at": at.isoformat() if at else jc.get("at")}


def _agreement(ctx: _Ctx) -> None:
    p, kind = ctx.p, ctx.kind
    ag_raw = _obj(ctx.raw.get("agreement"), "agreement", p)
    if kind == "agreed" and not ag_raw:
        p.add("agreement", "调解成功的案件必须有调解协议")
    if ag_raw and kind != "agreed":
        p.add("agreement", "只有调解成功（agreed）的案件才有调解协议")
    if not ag_raw:
        return
    _unknown(ag_raw, AGREEMENT_KEYS, "agreement", p)
    effective = ctx.effective = _date(ag_raw, "effective_at", "agreement", p, required=True)
    if effective and ctx.decided and effective < ctx.decided:
        p.add("agreement.effective_at", "协议生效日期早于受理日期")
    if effective and ctx.closed and effective > ctx.closed:
        p.add("agreement.effective_at", "协议生效日期晚于结案日期")
    rule_agreement_within_the_period(ctx)
    items_raw = _list(ag_raw.get("items"), "agreement.items", p)
    if not items_raw:
        p.add("agreement.items", "调解协议至少需要一项协议内容")
    items = ctx.items
    for path, it in _entries(items_raw, "agreement.items", ITEM_KEYS, p):
        out = {"category": _enum(it, "category", ITEM_CATEGORIES, path, p, required=True, default="other"),
               "text": _text(it, "text", path, p, required=True) or ""}
        fen = _amount(it, "amount", path, p)
        out["amount"] = money.fen_to_text(fen) if fen is not None else None
        # LDMAL Art. 15–16: non-performance "within the agreed period" needs a due date.
        due = _date(it, "due_date", path, p, required=True)
        if due and effective and due < effective:
            p.add(f"{path}.due_date", "履行期限早于协议生效日期")
        out["due_date"] = due.isoformat() if due else it.get("due_date")
        v = _text(it, "method", path, p, max_len=200)
        if v:
            out["method"] = v
        if "worker" in it:
            # LDMAL Art. 16: a payment order is personal, so in a collective agreement each worker's
            # money is an item of its own, owed to the worker with this index
            w = it["worker"]
            if type(w) is not int or not 0 <= w < len(ctx.workers_raw):
                p.add(f"{path}.worker", "应为劳动者的序号（从0开始，须对应已登记的劳动者）")
            out["worker"] = w
        items.append(out)
    agreement = {"effective_at": effective.isoformat() if effective else ag_raw.get("effective_at"),
                 "waiver": _text(ag_raw, "waiver", "agreement", p) or "", "items": items}
    jc = _judicial_confirmation(ctx, ag_raw)
    if jc:
        agreement["judicial_confirmation"] = jc
    ctx.rec["agreement"] = agreement


# --- follow-up: performance and visits (LDMAL Arts. 15–16; EMR Arts. 16–17) ---------------------

def _performance(ctx: _Ctx) -> None:
    p = ctx.p
    perf = []
    for path, e in _entries(ctx.raw.get("performance"), "performance", PERFORMANCE_KEYS, p):
        idx = e.get("item")
        if not isinstance(idx, int) or isinstance(idx, bool) or not (0 <= idx < len(ctx.items)):
            p.add(f"{path}.item", "应为协议项目的序号（从0开始）")
        paid = _date(e, "paid_at", path, p, required=True)
        if paid and ctx.effective and paid < ctx.effective:
            p.add(f"{path}.paid_at", "履行日期早于协议生效日期")
        if paid and paid > ctx.today:
            p.add(f"{path}.paid_at", "履行日期不能晚于今天")
        fen = _amount(e, "amount", path, p, required=True)
        out = {"item": idx, "paid_at": paid.isoformat() if paid else e.get("paid_at"),
               "amount": money.fen_to_text(fen) if fen is not None else None}
        v = _text(e, "note", path, p)
        if v:
            out["note"] = v
        perf.append(out)
    if perf:
        if ctx.kind != "agreed":
            p.add("performance", "只有调解成功的案件才有履行记录")
        ctx.rec["performance"] = perf


def _followups(ctx: _Ctx) -> None:
    p = ctx.p
    fus = []
    for path, f in _entries(ctx.raw.get("followups"), "followups", FOLLOWUP_KEYS, p):
        at = _date(f, "at", path, p, required=True)
        if at and ctx.received_date and at < ctx.received_date:
            p.add(f"{path}.at", "回访日期早于收到申请日期")
        out = {"at": at.isoformat() if at else f.get("at"),
               "method": _enum(f, "method", FOLLOWUP_METHODS, path, p, default="phone")}
        for k in ("note", "person"):
            v = _text(f, k, path, p)
            if v:
                out[k] = v
        if f.get("result") not in (None, ""):
            out["result"] = _enum(f, "result", FOLLOWUP_RESULTS, path, p)
        fus.append(out)
    if fus:
        ctx.rec["followups"] = fus


# --- collective disputes (LDMAL Art. 7; AR2017 Arts. 62–63) -------------------------------------

def is_collective(rec: dict) -> bool:
    """LDMAL Art. 7: ten or more workers with a common claim; the count alone is not enough."""
    return len(rec.get("workers") or ()) >= COLLECTIVE_MIN and rec.get("common_claim") is True


def _collective(ctx: _Ctx) -> None:
    p, rec = ctx.p, ctx.rec
    if "common_claim" in ctx.raw:
        rec["common_claim"] = _bool(ctx.raw, "common_claim", "", p)
    common = rec.get("common_claim") is True
    n = len(ctx.workers)
    reps = [i for i, w in enumerate(ctx.workers) if w.get("representative")]
    if common and n < COLLECTIVE_MIN:
        p.warn("common_claim", "collective_size", f"共同请求的劳动者为{n}人，不足{COLLECTIVE_MIN}人，不属于集体争议"
                                                  "（《劳动争议调解仲裁法》第7条），按普通案件处理")
    elif not common and n >= COLLECTIVE_MIN:
        p.warn("common_claim", "collective_unset", f"劳动者{n}人，但没有注明是否有共同请求：10人以上且有共同请求的"
                                                   "才是集体争议（《劳动争议调解仲裁法》第7条）")
    if reps and not common:
        p.warn(f"workers[{reps[0]}].representative", "representative_without_common_claim",
               "只有有共同请求的劳动者才推举代表（《劳动争议调解仲裁法》第7条）")
    elif common and n >= COLLECTIVE_MIN and not 3 <= len(reps) <= 5:
        p.warn("workers", "representatives_count", f"集体争议一般推举3至5名代表（《劳动人事争议仲裁办案规则》第63条），"
                                                   f"现记录{len(reps)}名")


# --- warnings acknowledged on the record --------------------------------------------------------

def _acknowledged_warnings(ctx: _Ctx) -> None:
    """The record keeps the warnings that apply to it with who acknowledged each. Earlier
    acknowledgements carry over (same code and field); new warnings are acknowledged when the
    record is stored (lifecycle). A warning that no longer applies is dropped."""
    p = ctx.p
    earlier: dict[tuple, dict] = {}
    for path, w in _entries(ctx.raw.get("warnings"), "warnings", WARNING_KEYS, p):
        code = _text(w, "code", path, p, required=True, max_len=60)
        wpath = _text(w, "path", path, p, max_len=200) or ""
        by = _text(w, "acknowledged_by", path, p, max_len=50)
        at = _text(w, "acknowledged_at", path, p, max_len=40)
        if code and by:
            earlier[(code, wpath)] = {"acknowledged_by": by, "acknowledged_at": at}
    if not p.warnings:
        return
    out = []
    for path, code, message in p.warnings:
        entry = {"code": code, "path": path, "message": message}
        entry.update(earlier.get((code, path), {}))
        out.append(entry)
    ctx.rec["warnings"] = out
