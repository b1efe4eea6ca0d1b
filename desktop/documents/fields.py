"""The fields a template may use, and how they are computed from a case record and the organisation profile.

``FIELDS`` and ``COLLECTIONS`` are the schema the template loader checks every ``{placeholder}`` against;
:func:`build_context` produces exactly these names (a test keeps the two in step). Values are typed
(:class:`~desktop.documents.values.Money`, ``date``, ``datetime``, :class:`~desktop.documents.values.Deadline`,
``str``, ``int``, ``bool``) and printed by the template engine. Missing data is ``None`` and prints as a
blank to fill in by hand; nothing here raises on a missing optional field.
"""

from __future__ import annotations

import datetime as _dt

from desktop.documents.values import Deadline, Money, cn_number, parse_date, parse_datetime
from desktop.documents.wording import item_action, waiver_text

try:  # the lead's enumerations; the fallbacks keep this package usable on its own
    from desktop import codes as _codes
except ImportError:  # pragma: no cover
    _codes = None


def _code_map(name: str, fallback: dict) -> dict:
    return dict(getattr(_codes, name, None) or fallback)


DISPUTE_TYPES = _code_map("DISPUTE_TYPES", {
    "LR": "确认劳动关系", "CT-SIGN": "订立劳动合同", "CT-PERF": "履行、变更劳动合同", "CT-END": "解除、终止劳动合同",
    "DISM": "除名、辞退、辞职、离职", "HOURS": "工作时间、休息休假", "PAY": "劳动报酬", "SI": "社会保险",
    "INJ": "工伤（工伤保险待遇、工伤医疗费）", "WELF": "福利、培训、劳动保护", "COMP": "经济补偿或赔偿金",
    "PERS": "人事争议", "CC": "履行集体合同", "OTHER": "其他",
})
SOURCES = _code_map("SOURCES", {"application": "当事人申请", "own_initiative": "主动调解", "entrusted_arbitration": "仲裁委托",
                                "entrusted_court": "法院委托", "referred": "其他部门移交"})
MODES = _code_map("MODES", {"written": "书面申请", "oral": "口头申请"})
DECLINE_REASONS = _code_map("DECLINE_REASONS", {"not_labour_dispute": "不属于劳动人事争议", "out_of_scope": "不属于调解受理范围",
                                                "respondent_refused": "被申请人不同意调解", "duplicate": "重复申请", "other": "其他"})
OUTCOMES = _code_map("OUTCOMES", {"agreed": "调解成功", "failed": "调解不成", "withdrawn": "撤回", "terminated": "终止调解",
                                  "expired": "逾期未达成协议"})
STATUSES = _code_map("STATUSES", {"registered": "待受理", "declined": "不予受理", "mediating": "调解中", "closed": "已结案"})
ITEM_CATEGORIES = _code_map("ITEM_CATEGORIES", {"wage_arrears": "拖欠劳动报酬", "injury_medical": "工伤医疗费",
                                                "econ_comp": "经济补偿", "damages": "赔偿金", "other": "其他"})
PAYMENT_ORDER_CATEGORIES = frozenset(getattr(_codes, "PAYMENT_ORDER_CATEGORIES", None)
                                     or {"wage_arrears", "injury_medical", "econ_comp", "damages"})
AUTHORITY = _code_map("AUTHORITY", {"general": "一般授权", "special": "特别授权"})
MEDIATOR_ROLES = _code_map("MEDIATOR_ROLES", {"lead": "首席调解员", "member": "调解员", "recorder": "记录人"})
FOLLOWUP_METHODS = _code_map("FOLLOWUP_METHODS", {"phone": "电话回访", "visit": "上门回访", "other": "其他"})
SEXES = _code_map("SEXES", {"male": "男", "female": "女"})
EMPLOYMENT = _code_map("EMPLOYMENT", {"full_time": "专职", "part_time": "兼职"})
ORG_KINDS = _code_map("ORG_KINDS", {"township": "乡镇劳动人事争议调解组织", "subdistrict": "街道劳动人事争议调解组织",
                                    "enterprise": "企业劳动争议调解委员会", "sector": "行业性调解组织",
                                    "regional": "区域性调解组织", "chamber": "商（协）会调解组织", "other": "其他调解组织"})
ROSTER_ROLES = _code_map("ROSTER_ROLES", {"chair": "主任", "vice_chair": "副主任", "mediator": "调解员", "secretary": "秘书"})

# Primary dispute type for which arbitration review is not available (AR2017 Art. 75).
NO_REVIEW_TYPE = "LR"
# Dispute types for which the payment-order route (LDMAL Art. 16) may be relevant in a failure notice.
PAYMENT_ORDER_TYPES = frozenset({"PAY", "INJ", "COMP", "CT-END"})

T_TEXT, T_INT, T_BOOL, T_DATE, T_DATETIME, T_MONEY, T_DEADLINE = "text", "int", "bool", "date", "datetime", "money", "deadline"

_ORG = {f"org.{k}": T_TEXT for k in ("name", "kind", "kind_code", "region", "credit_code", "address", "phone", "abbr", "head",
                                     "hours", "complaint_phone", "postcode", "self")}
_ARB = {f"arbitration.{k}": T_TEXT for k in ("name", "address", "phone")}

FIELDS: dict[str, str] = {
    **_ORG, **_ARB,
    "demo": T_BOOL,
    "today": T_DATE,
    "doc_date": T_DATE,
    "case_no": T_TEXT,
    "status": T_TEXT,
    "source": T_TEXT,
    "source_code": T_TEXT,
    "application_mode": T_TEXT,
    "oral_application": T_BOOL,
    "received_at": T_DATETIME,
    "received_date": T_DATE,
    "application_place": T_TEXT,
    "application_recorder": T_TEXT,
    "applicant_side": T_TEXT,
    "applicant_names": T_TEXT,
    "respondent_names": T_TEXT,
    "party_names": T_TEXT,
    "worker_names": T_TEXT,
    "worker_count": T_INT,
    "collective": T_BOOL,
    "parties_count": T_INT,
    "copies": T_INT,
    "employer.name": T_TEXT,
    "employer.credit_code": T_TEXT,
    "employer.legal_rep": T_TEXT,
    "employer.legal_rep_title": T_TEXT,
    "employer.address": T_TEXT,
    "employer.phone": T_TEXT,
    "dispute_type": T_TEXT,
    "dispute_types": T_TEXT,
    "dispute_summary": T_TEXT,
    "claims_total": T_MONEY,
    "facts": T_TEXT,
    "respondent_reply": T_TEXT,
    "decision": T_TEXT,
    "decided_at": T_DATE,
    "accepted_at": T_DATE,
    "accepted": T_BOOL,
    "declined": T_BOOL,
    "decline_reason": T_TEXT,
    "respondent_agreed": T_BOOL,
    "mediator_names": T_TEXT,
    "lead_mediator": T_TEXT,
    "recorder": T_TEXT,
    "acceptance_due": T_DEADLINE,
    "statutory_deadline": T_DEADLINE,
    "mediation_deadline": T_DEADLINE,
    "initial_mediation_deadline": T_DEADLINE,
    "review_deadline": T_DEADLINE,
    "wage_case": T_BOOL,
    "decline_code": T_TEXT,
    "decline_labour": T_BOOL,
    "respondent_notice_date": T_DATE,
    "reply_days": T_INT,
    "unperformed_items": T_TEXT,
    "has_unperformed": T_BOOL,
    "unperformed_payment_order_items": T_TEXT,
    "overdue": T_BOOL,
    "first_session.held_at": T_DATETIME,
    "first_session.place": T_TEXT,
    "extended": T_BOOL,
    "extension.agreed_at": T_DATE,
    "extension.until": T_DATE,
    "extension.previous": T_DEADLINE,
    "extension.reason": T_TEXT,
    "outcome": T_TEXT,
    "outcome_code": T_TEXT,
    "closed_at": T_DATE,
    "finished_at": T_DATE,
    "termination_reason": T_TEXT,
    "agreed": T_BOOL,
    "effective_at": T_DATE,
    "waiver": T_TEXT,
    "agreement_total": T_MONEY,
    "payment_order_items": T_TEXT,
    "grade": T_TEXT,
    "grade_reason": T_TEXT,
    "grade_major": T_BOOL,
    "has_schedule": T_BOOL,
    "schedule_total": T_MONEY,
    "schedule_due": T_DATE,
    "has_representatives": T_BOOL,
    "sign_individually": T_BOOL,
    "has_payment_order_items": T_BOOL,
    "payment_order_relevant": T_BOOL,
    "review_available": T_BOOL,
    "paid_total": T_MONEY,
    "performance_status": T_TEXT,
    "last_followup.at": T_DATE,
    "last_followup.method": T_TEXT,
    "last_followup.person": T_TEXT,
    "last_followup.note": T_TEXT,
    "archived_at": T_DATE,
    "archive_no": T_TEXT,
    "retention": T_TEXT,
    "dossier_pages": T_INT,
    "mediator_count": T_INT,
    "full_time_count": T_INT,
    "part_time_count": T_INT,
}

_PARTY = {
    "kind": T_TEXT, "role": T_TEXT, "name": T_TEXT, "sex": T_TEXT, "ethnicity": T_TEXT, "birth_date": T_DATE,
    "id_number": T_TEXT, "address": T_TEXT, "phone": T_TEXT, "credit_code": T_TEXT, "legal_rep": T_TEXT,
    "legal_rep_title": T_TEXT, "sign_how": T_TEXT, "is_worker": T_BOOL, "is_employer": T_BOOL,
}
_AGENT = {
    "name": T_TEXT, "authority": T_TEXT, "special": T_BOOL, "relation": T_TEXT, "phone": T_TEXT,
    "id_number": T_TEXT, "sex": T_TEXT, "principal": T_TEXT, "principal_role": T_TEXT,
    "principal_is_employer": T_BOOL, "principal_legal_rep": T_TEXT, "counterparty": T_TEXT,
}

COLLECTIONS: dict[str, dict[str, str]] = {
    "applicants": _PARTY,
    "respondents": _PARTY,
    "parties": _PARTY,
    "workers": {"no": T_INT, "name": T_TEXT, "sex": T_TEXT, "ethnicity": T_TEXT, "birth_date": T_DATE,
                "id_number": T_TEXT, "address": T_TEXT, "phone": T_TEXT, "migrant": T_BOOL, "platform": T_BOOL},
    "agents": _AGENT,
    "claims": {"no": T_INT, "text": T_TEXT, "amount": T_MONEY},
    "evidence": {"no": T_INT, "name": T_TEXT, "source": T_TEXT, "pages": T_TEXT},
    "mediators": {"no": T_INT, "name": T_TEXT, "role": T_TEXT},
    "sessions": {"no": T_INT, "held_at": T_DATETIME, "ended_at": T_DATETIME, "place": T_TEXT, "attendees": T_TEXT,
                 "record": T_TEXT, "recorder": T_TEXT, "result": T_TEXT, "mediator_names": T_TEXT},
    "extensions": {"no": T_INT, "agreed_at": T_DATE, "until": T_DATE, "reason": T_TEXT, "previous": T_DEADLINE},
    "agreement_items": {"no": T_INT, "text": T_TEXT, "action": T_TEXT, "worker": T_TEXT, "amount": T_MONEY, "due_date": T_DATE, "method": T_TEXT,
                        "category": T_TEXT, "obligor": T_TEXT, "obligee": T_TEXT, "payment_order": T_BOOL,
                        "paid_amount": T_MONEY, "paid_at": T_DATE, "performance": T_TEXT},
    "performance": {"no": T_INT, "item_no": T_INT, "paid_at": T_DATE, "amount": T_MONEY, "note": T_TEXT},
    # issue 14 item 4: a collective agreement's schedule, one row per worker with his own money
    "schedule": {"no": T_INT, "name": T_TEXT, "id_number": T_TEXT, "amount": T_MONEY, "due_date": T_DATE,
                 "items": T_TEXT},
    "representatives": {"no": T_INT, "name": T_TEXT},
    "followups": {"no": T_INT, "at": T_DATE, "method": T_TEXT, "person": T_TEXT, "note": T_TEXT, "result": T_TEXT},
    "services": {"no": T_INT, "doc_title": T_TEXT, "recipient": T_TEXT, "address": T_TEXT, "phone": T_TEXT},
    "documents": {"no": T_INT, "title": T_TEXT, "pages": T_INT, "page_range": T_TEXT, "remarks": T_TEXT},
    "organizations": {"no": T_INT, "county": T_TEXT, "township": T_TEXT, "name": T_TEXT, "kind": T_TEXT,
                      "host": T_TEXT, "host_credit_code": T_TEXT, "established": T_DATE, "address": T_TEXT,
                      "postcode": T_TEXT, "phone": T_TEXT, "head": T_TEXT, "head_title": T_TEXT, "head_phone": T_TEXT,
                      "full_time": T_INT, "part_time": T_INT, "premises": T_TEXT, "union": T_TEXT,
                      "employees": T_TEXT, "posted": T_TEXT, "cases_accepted": T_TEXT, "cases_agreed": T_TEXT,
                      "remarks": T_TEXT},
    "roster": {"no": T_INT, "name": T_TEXT, "sex": T_TEXT, "birth_date": T_DATE, "ethnicity": T_TEXT,
               "political_status": T_TEXT, "education": T_TEXT, "major": T_TEXT, "employer": T_TEXT, "title": T_TEXT,
               "role": T_TEXT, "employment": T_TEXT, "appointed_at": T_DATE, "term_start": T_DATE, "term_end": T_DATE,
               "certificate_no": T_TEXT, "training": T_TEXT, "phone": T_TEXT, "speciality": T_TEXT, "note": T_TEXT},
}


def _s(v) -> str | None:
    if v is None:
        return None
    v = str(v).strip()
    return v or None


def _money(v) -> Money | None:
    if v in (None, ""):
        return None
    if isinstance(v, Money):
        return v
    from desktop.money import parse_amount

    return Money(parse_amount(v if isinstance(v, (str, int)) else str(v)))


def _sex(person: dict) -> str | None:
    s = person.get("sex")
    if s in SEXES:
        return SEXES[s]
    if s in ("男", "女"):
        return s
    idn = _s(person.get("id_number"))
    if idn and len(idn) == 18 and idn[:17].isdigit():
        return "男" if int(idn[16]) % 2 else "女"
    return None


def _birth(person: dict) -> _dt.date | None:
    d = parse_date(person.get("birth_date"))
    if d:
        return d
    idn = _s(person.get("id_number"))
    if idn and len(idn) == 18 and idn[:17].isdigit():
        try:
            return _dt.date(int(idn[6:10]), int(idn[10:12]), int(idn[12:14]))
        except ValueError:
            return None
    return None


def org_self(name: str | None, common: dict) -> str:
    """How the organisation refers to itself in its documents (本中心 / 本委员会 / 本组织)."""
    table = common.get("org_self", {})
    for suffix, word in table.items():
        if suffix != "default" and name and name.endswith(suffix):
            return word
    return table.get("default", "本组织")


def _deadline(value, provisional, name: str) -> Deadline | None:
    d = parse_date(value)
    if d is None:
        return None
    if isinstance(provisional, (list, tuple, set, dict)):
        prov = name in provisional
    else:
        prov = bool(provisional)
    return Deadline(d, prov)


def _party_from_worker(w: dict, role: str, common: dict) -> dict:
    return {
        "kind": "worker", "role": role, "name": _s(w.get("name")), "sex": _sex(w), "ethnicity": _s(w.get("ethnicity")),
        "birth_date": _birth(w), "id_number": _s(w.get("id_number")), "address": _s(w.get("address")),
        "phone": _s(w.get("phone")), "credit_code": None, "legal_rep": None, "legal_rep_title": None,
        "sign_how": common.get("party", {}).get("sign_worker"), "is_worker": True, "is_employer": False,
    }


def _party_from_employer(e: dict, role: str, common: dict) -> dict:
    return {
        "kind": "employer", "role": role, "name": _s(e.get("name")), "sex": None, "ethnicity": None, "birth_date": None,
        "id_number": None, "address": _s(e.get("address")), "phone": _s(e.get("phone")),
        "credit_code": _s(e.get("credit_code")), "legal_rep": _s(e.get("legal_rep")),
        "legal_rep_title": _s(e.get("legal_rep_title")),
        "sign_how": common.get("party", {}).get("sign_employer"), "is_worker": False, "is_employer": True,
    }


def _names(parties: list[dict]) -> str | None:
    names = [p["name"] for p in parties if p.get("name")]
    if not names:
        return None
    if len(names) > 3:
        return f"{names[0]}等{len(names)}人"
    return "、".join(names)


def _cn_list(numbers: list[int]) -> str:
    return "、".join(cn_number(n) for n in numbers)


def build_context(case: dict, org: dict, *, today: _dt.date, common: dict, mediators: list[dict] | None = None,
                  documents: list[dict] | None = None, dossier_pages: int | None = None) -> dict:
    """All template fields for one case (``case`` may be ``{}`` for documents that need no case)."""
    case = case or {}
    org = org or {}
    labels = common.get("labels", {})
    ctx: dict = {}

    # organisation
    for k in ("name", "region", "credit_code", "address", "phone", "abbr", "head", "hours", "complaint_phone", "postcode"):
        ctx[f"org.{k}"] = _s(org.get(k))
    ctx["org.kind"] = ORG_KINDS.get(org.get("kind"), _s(org.get("kind")))
    ctx["org.kind_code"] = _s(org.get("kind"))
    # the respondent's reply period is the organisation's setting (no statute fixes it)
    rd = org.get("respondent_reply_days")
    ctx["reply_days"] = int(rd) if isinstance(rd, int) or (isinstance(rd, str) and rd.isdigit()) else None
    ctx["org.self"] = org_self(ctx["org.name"], common)
    arb = org.get("arbitration") or {}
    for k in ("name", "address", "phone"):
        ctx[f"arbitration.{k}"] = _s(arb.get(k))
    ctx["demo"] = bool(org.get("demo"))
    ctx["today"] = today
    ctx["doc_date"] = today

    ctx["case_no"] = _s(case.get("case_no"))
    ctx["status"] = STATUSES.get(case.get("status"), _s(case.get("status")))
    ctx["source"] = SOURCES.get(case.get("source"), _s(case.get("source")))
    ctx["source_code"] = case.get("source") or "application"
    app = case.get("application") or {}
    ctx["application_mode"] = MODES.get(app.get("mode"), _s(app.get("mode")))
    ctx["oral_application"] = app.get("mode") == "oral"
    received = parse_datetime(app.get("received_at"))
    ctx["received_at"] = received
    ctx["received_date"] = received.date() if received else None
    ctx["application_place"] = _s(app.get("place"))
    ctx["application_recorder"] = _s(app.get("recorder"))
    side = app.get("applicant") or "worker"
    ctx["applicant_side"] = labels.get(side, side)

    # parties
    party_labels = common.get("party", {})
    a_label, r_label = party_labels.get("applicant", "申请人"), party_labels.get("respondent", "被申请人")
    workers = [w for w in (case.get("workers") or []) if isinstance(w, dict)]
    employer = case.get("employer") or {}
    w_role, e_role = (a_label, r_label) if side != "employer" else (r_label, a_label)
    worker_parties = [_party_from_worker(w, w_role, common) for w in workers]
    employer_party = _party_from_employer(employer, e_role, common) if employer else None
    emp_list = [employer_party] if employer_party else []
    applicants, respondents = (worker_parties, emp_list) if side != "employer" else (emp_list, worker_parties)
    ctx["applicants"] = applicants
    ctx["respondents"] = respondents
    ctx["parties"] = applicants + respondents
    ctx["applicant_names"] = _names(applicants)
    ctx["respondent_names"] = _names(respondents)
    ctx["party_names"] = _names(applicants + respondents) if len(applicants) <= 3 else \
        f"{ctx['applicant_names']}、{ctx['respondent_names'] or ''}".rstrip("、")
    ctx["worker_names"] = _names(worker_parties)
    n_workers = case.get("worker_count") or len(workers)
    ctx["worker_count"] = n_workers
    ctx["collective"] = bool(case.get("collective", n_workers >= 10))
    ctx["parties_count"] = len(applicants) + len(respondents)
    ctx["copies"] = ctx["parties_count"] + 1
    for k in ("name", "credit_code", "legal_rep", "legal_rep_title", "address", "phone"):
        ctx[f"employer.{k}"] = _s(employer.get(k))
    ctx["workers"] = [
        {"no": i + 1, "name": p["name"], "sex": p["sex"], "ethnicity": p["ethnicity"], "birth_date": p["birth_date"],
         "id_number": p["id_number"], "address": p["address"], "phone": p["phone"],
         "migrant": bool(workers[i].get("migrant")), "platform": bool(workers[i].get("platform"))}
        for i, p in enumerate(worker_parties)
    ]

    # agents
    agents = []
    for a in case.get("agents") or []:
        target = a.get("for") or ""
        if target == "employer":
            principal = employer_party
            counter = worker_parties
        else:
            try:
                principal = worker_parties[int(str(target).split(":")[1])]
            except (IndexError, ValueError):
                principal = None
            counter = emp_list
        authority = a.get("authority") or "general"
        agents.append({
            "name": _s(a.get("name")), "authority": AUTHORITY.get(authority, _s(authority)),
            "special": authority == "special", "relation": _s(a.get("relation")), "phone": _s(a.get("phone")),
            "id_number": _s(a.get("id_number")), "sex": _sex(a),
            "principal": principal["name"] if principal else None,
            "principal_role": principal["role"] if principal else None,
            "principal_is_employer": bool(principal and principal["kind"] == "employer"),
            "principal_legal_rep": principal.get("legal_rep") if principal else None,
            "counterparty": _names(counter),
            "_principal": principal,
        })
    ctx["agents"] = agents

    # dispute
    types = [t for t in (case.get("dispute_types") or []) if t]
    names = [DISPUTE_TYPES.get(t, t) for t in types]
    ctx["dispute_type"] = names[0] if names else None
    ctx["dispute_types"] = "、".join(names) if names else None
    ctx["dispute_summary"] = labels.get("dispute_join", "及").join(names) if names else None
    claims = []
    total = 0
    any_amount = False
    for i, c in enumerate(case.get("claims") or []):
        amt = _money(c.get("amount"))
        if amt is not None:
            total += amt.fen
            any_amount = True
        claims.append({"no": i + 1, "text": _s(c.get("text")), "amount": amt})
    ctx["claims"] = claims
    ctx["claims_total"] = Money(total) if any_amount else None
    ctx["grade"], ctx["grade_reason"] = grade_case(n_workers, total if any_amount else 0, len(types), case.get("major"))
    ctx["grade_major"] = ctx["grade"] == GRADES["major"]
    ctx["facts"] = _s(case.get("facts"))
    ctx["respondent_reply"] = _s(case.get("respondent_reply"))
    ctx["evidence"] = [{"no": i + 1, "name": _s(e.get("name")), "source": _s(e.get("source")),
                        "pages": _s(e.get("pages"))} for i, e in enumerate(case.get("evidence") or [])]

    # acceptance
    acc = case.get("acceptance") or {}
    decision = acc.get("decision")
    ctx["decision"] = labels.get(f"decision_{decision}") if decision else None
    ctx["decided_at"] = parse_date(acc.get("decided_at"))
    ctx["accepted"] = decision == "accepted"
    ctx["declined"] = decision == "declined"
    ctx["accepted_at"] = ctx["decided_at"] if decision == "accepted" else None
    reason = _s(acc.get("reason"))
    code = acc.get("reason_code")
    if reason in DECLINE_REASONS:
        reason = DECLINE_REASONS[reason]
    if not reason and code and code != "other":
        reason = DECLINE_REASONS.get(code)
    ctx["decline_reason"] = reason if decision == "declined" else None
    ctx["decline_code"] = (code or "other") if decision == "declined" else None
    # not a labour dispute (SPC Interpretation I Art. 2): arbitration is not the route
    ctx["decline_labour"] = decision == "declined" and code != "not_labour_dispute"
    # the respondent is asked for consent before acceptance: the notice goes out with the application
    ctx["respondent_notice_date"] = ctx["received_date"] if decision else today
    ra = acc.get("respondent_agreed")
    ctx["respondent_agreed"] = None if ra is None and decision != "accepted" else bool(ra if ra is not None else True)

    # mediators of the case
    meds = [m for m in (case.get("mediators") or []) if isinstance(m, dict)]
    ctx["mediators"] = [{"no": i + 1, "name": _s(m.get("name")), "role": MEDIATOR_ROLES.get(m.get("role"), _s(m.get("role")))}
                        for i, m in enumerate(meds)]
    deciders = [m for m in meds if m.get("role") != "recorder"]
    ctx["mediator_names"] = "、".join(m["name"] for m in deciders if m.get("name")) or None
    lead = next((m for m in meds if m.get("role") == "lead"), deciders[0] if deciders else None)
    ctx["lead_mediator"] = _s(lead.get("name")) if lead else None
    rec = next((m for m in meds if m.get("role") == "recorder"), None)
    ctx["recorder"] = _s(rec.get("name")) if rec else None

    # deadlines
    prov = case.get("provisional")
    for name in ("acceptance_due", "statutory_deadline", "mediation_deadline", "review_deadline"):
        ctx[name] = _deadline(case.get(name), prov, name)
    ctx["overdue"] = bool(case.get("overdue"))
    # what the acceptance and rights notices said on the day of issue: the deadline before any extension
    ctx["initial_mediation_deadline"] = _initial_deadline(case, ctx, prov)

    # sessions
    sessions = []
    for i, s in enumerate(case.get("sessions") or []):
        sessions.append({
            "no": i + 1, "held_at": parse_datetime(s.get("held_at")), "ended_at": parse_datetime(s.get("ended_at")),
            "place": _s(s.get("place")), "attendees": _s(s.get("attendees")), "record": _s(s.get("record")),
            "recorder": _s(s.get("recorder")) or ctx["recorder"], "result": _s(s.get("result")),
            "mediator_names": ctx["mediator_names"],
        })
    ctx["sessions"] = sessions
    ctx["first_session.held_at"] = sessions[0]["held_at"] if sessions else None
    ctx["first_session.place"] = sessions[0]["place"] if sessions else None

    # extensions
    exts = [e for e in (case.get("extensions") or []) if isinstance(e, dict)]
    ctx["extensions"] = [{"no": i + 1, "agreed_at": parse_date(e.get("agreed_at")), "until": parse_date(e.get("until")),
                          "reason": _s(e.get("reason"))} for i, e in enumerate(exts)]
    ctx["extended"] = bool(exts)
    last = ctx["extensions"][-1] if exts else {}
    ctx["extension.agreed_at"] = last.get("agreed_at")
    ctx["extension.until"] = last.get("until")
    ctx["extension.reason"] = last.get("reason")
    ctx["extension.previous"] = _previous_deadline(ctx, case, prov)
    # each extension is its own record: the deadline it replaced is the one before it
    for i, e in enumerate(ctx["extensions"]):
        e["previous"] = (Deadline(ctx["extensions"][i - 1]["until"], False) if i and ctx["extensions"][i - 1]["until"]
                         else None)
    if ctx["extensions"]:
        ctx["extensions"][0]["previous"] = ctx["initial_mediation_deadline"]

    # outcome
    outcome = case.get("outcome") or {}
    kind = outcome.get("kind")
    ctx["outcome_code"] = kind
    ctx["outcome"] = OUTCOMES.get(kind, _s(kind)) if kind else (labels.get("outcome_declined") if decision == "declined" else None)
    ctx["closed_at"] = parse_date(outcome.get("closed_at"))
    ctx["finished_at"] = ctx["closed_at"] or (ctx["decided_at"] if decision == "declined" else None)
    ctx["termination_reason"] = _s(outcome.get("reason")) or (common.get("termination_reasons", {}).get(kind) if kind else None)
    ctx["agreed"] = kind == "agreed"

    # agreement and performance
    ag = case.get("agreement") or {}
    ctx["effective_at"] = parse_date(ag.get("effective_at"))
    ctx["waiver"] = waiver_text(_s(ag.get("waiver")))
    obligor = employer_party["role"] if employer_party else r_label
    obligee = worker_parties[0]["role"] if worker_parties else a_label
    perf = [p for p in (case.get("performance") or []) if isinstance(p, dict)]
    party_words = [p["name"] for p in applicants + respondents if p.get("name")]
    items = []
    a_total = 0
    a_any = False
    po_numbers = []
    for i, it in enumerate(ag.get("items") or []):
        amt = _money(it.get("amount"))
        if amt is not None:
            a_total += amt.fen
            a_any = True
        cat = it.get("category") or "other"
        paid_entries = [p for p in perf if p.get("item") == i]
        paid = sum(_money(p.get("amount")).fen for p in paid_entries if _money(p.get("amount")))
        paid_at = max((parse_date(p.get("paid_at")) for p in paid_entries if parse_date(p.get("paid_at"))), default=None)
        pl = common.get("performance", {})
        if amt is None:
            status = pl.get("full") if paid_entries else None
        elif paid >= amt.fen and amt.fen > 0:
            status = pl.get("full")
        elif paid > 0:
            status = pl.get("partial")
        else:
            status = pl.get("none")
        po = cat in PAYMENT_ORDER_CATEGORIES and amt is not None
        if po:
            po_numbers.append(i + 1)
        # the payer is written once, whether or not the clerk typed it in front of the item
        who, action = item_action(_s(it.get("text")) or "", obligor, party_words)
        wi = it.get("worker")
        owed_to = worker_parties[wi]["name"] if isinstance(wi, int) and 0 <= wi < len(worker_parties) else None
        items.append({"no": i + 1, "text": _s(it.get("text")), "action": _s(action), "worker": owed_to,
                      "amount": amt, "due_date": parse_date(it.get("due_date")),
                      "method": _s(it.get("method")), "category": ITEM_CATEGORIES.get(cat, cat), "obligor": who,
                      "obligee": obligee, "payment_order": po,
                      "paid_amount": Money(paid) if paid_entries else None, "paid_at": paid_at, "performance": status})
    # items owed to one worker go to the schedule; the body keeps the others
    ctx["agreement_items"] = [it for it in items if not it["worker"]]
    for k, it in enumerate(ctx["agreement_items"]):
        it["no"] = k + 1  # numbered as the agreement prints them
    po_numbers = [it["no"] for it in ctx["agreement_items"] if it["payment_order"]]
    _schedule(ctx, items, worker_parties, workers)
    ctx["agreement_total"] = Money(a_total) if a_any else None
    ctx["has_payment_order_items"] = bool(po_numbers)
    ctx["payment_order_items"] = _cn_list(po_numbers) if po_numbers else None
    ctx["payment_order_relevant"] = bool(po_numbers) or any(t in PAYMENT_ORDER_TYPES for t in types)
    ctx["wage_case"] = "PAY" in types
    # items due, past their term and not (fully) paid: the record of non-performance (LDMAL Art. 15)
    unperformed = [it for it in items if it["due_date"] and it["due_date"] < today and it["amount"] is not None
                   and it["performance"] != common.get("performance", {}).get("full")]
    ctx["has_unperformed"] = bool(unperformed)
    ctx["unperformed_items"] = _cn_list([it["no"] for it in unperformed]) if unperformed else None
    upo = [it["no"] for it in unperformed if it["payment_order"]]
    ctx["unperformed_payment_order_items"] = _cn_list(upo) if upo else None
    from desktop.cases.rules import review_refusal  # AR2017 Art. 75(4)(5): any LR type, or confirmed by a court

    ctx["review_available"] = bool(ctx["agreed"] and review_refusal(case) is None)
    ctx["performance"] = [{"no": i + 1, "item_no": (p.get("item") + 1) if isinstance(p.get("item"), int) else None,
                           "paid_at": parse_date(p.get("paid_at")), "amount": _money(p.get("amount")),
                           "note": _s(p.get("note"))} for i, p in enumerate(perf)]
    paid_total = sum(p["amount"].fen for p in ctx["performance"] if p["amount"])
    ctx["paid_total"] = Money(paid_total) if perf else None
    if items:
        statuses = {it["performance"] for it in items if it["amount"] is not None}
        pl = common.get("performance", {})
        if statuses == {pl.get("full")}:
            ctx["performance_status"] = pl.get("full")
        elif statuses <= {pl.get("none")}:
            ctx["performance_status"] = pl.get("none")
        else:
            ctx["performance_status"] = pl.get("partial")
    else:
        ctx["performance_status"] = None

    fus = [f for f in (case.get("followups") or []) if isinstance(f, dict)]
    result_labels = common.get("followup_results", {})
    ctx["followups"] = [{"no": i + 1, "at": parse_date(f.get("at")), "method": FOLLOWUP_METHODS.get(f.get("method"), _s(f.get("method"))),
                         "person": _s(f.get("person")), "note": _s(f.get("note")),
                         "result": result_labels.get(f.get("result"), _s(f.get("result")))} for i, f in enumerate(fus)]
    lf = ctx["followups"][-1] if fus else {}
    for k in ("at", "method", "person", "note"):
        ctx[f"last_followup.{k}"] = lf.get(k)

    # services: every party-facing document of the case's state, for every party it goes to
    ctx["services"] = _services(ctx, case, common)

    # dossier
    ctx["archived_at"] = parse_date(case.get("archived_at"))
    ctx["archive_no"] = _s(case.get("archive_no"))
    years = org.get("retention_years")
    ctx["retention"] = f"{years}{labels.get('years', '年')}" if years else None
    ctx["documents"] = documents or []
    ctx["dossier_pages"] = dossier_pages

    # roster
    roster = []
    for m in mediators or []:
        if m.get("active") is False:
            continue
        training = m.get("training")
        if isinstance(training, list):
            hours = sum(float(t.get("hours") or 0) for t in training if isinstance(t, dict))
            training = f"{len(training)}{labels.get('times', '次')}" + (f"（{hours:g}{labels.get('hours', '学时')}）" if hours else "") if training else None
        roster.append({
            "no": len(roster) + 1, "name": _s(m.get("name")), "sex": _sex(m), "birth_date": _birth(m),
            "ethnicity": _s(m.get("ethnicity")), "political_status": _s(m.get("political_status")),
            "education": _s(m.get("education")), "major": _s(m.get("major")), "employer": _s(m.get("employer")),
            "title": _s(m.get("title")), "role": ROSTER_ROLES.get(m.get("role"), _s(m.get("role"))),
            "employment": EMPLOYMENT.get(m.get("employment"), _s(m.get("employment"))),
            "appointed_at": parse_date(m.get("appointed_at")), "term_start": parse_date(m.get("term_start")),
            "term_end": parse_date(m.get("term_end")), "certificate_no": _s(m.get("certificate_no")),
            "training": _s(training), "phone": _s(m.get("phone")), "speciality": _s(m.get("speciality")),
            "note": _s(m.get("note")),
        })
    ctx["roster"] = roster
    ctx["mediator_count"] = len(roster)
    ctx["full_time_count"] = sum(1 for m in mediators or [] if m.get("active") is not False and m.get("employment") == "full_time")
    ctx["part_time_count"] = len(roster) - ctx["full_time_count"]
    ctx["organizations"] = [_org_row(org, ctx, common)] if org else []
    return ctx


def _yes_no(v, common: dict) -> str | None:
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        marks = common.get("marks", {})
        return marks.get("yes", "是") if v else marks.get("no", "否")
    return _s(v)


def _org_row(org: dict, ctx: dict, common: dict) -> dict:
    """The organisation as one row of the Jilin 劳动人事争议调解组织情况表 (optional keys of the profile)."""
    from desktop.regions import county_of

    premises = _yes_no(org.get("premises"), common)
    if org.get("premises_area"):
        premises = f"{premises or ''}（{org.get('premises_area')}㎡）"
    township = _s(org.get("township"))
    if not township and org.get("kind") in ("township", "subdistrict") and ctx["org.name"]:
        # a township centre is named after its township (Norms-2014 naming): 「某镇劳动人事争议调解中心」
        import re

        m = re.match(r"^(.+?(?:镇|乡|街道))", ctx["org.name"])
        township = m.group(1) if m else None
    return {
        # the stored county, else the one its region code or address names (issue 14 item 9)
        "no": 1, "county": _s(org.get("county")) or county_of(org), "township": township, "name": ctx["org.name"],
        "kind": ctx["org.kind"], "host": _s(org.get("host")),
        "host_credit_code": _s(org.get("host_credit_code")) or ctx["org.credit_code"],
        "established": parse_date(org.get("established")), "address": ctx["org.address"], "postcode": ctx["org.postcode"],
        "phone": ctx["org.phone"], "head": ctx["org.head"], "head_title": _s(org.get("head_title")),
        "head_phone": _s(org.get("head_phone")), "full_time": ctx["full_time_count"], "part_time": ctx["part_time_count"],
        "premises": premises, "union": _yes_no(org.get("union"), common), "employees": _s(org.get("employees")),
        "posted": _yes_no(org.get("posted"), common), "cases_accepted": _s(org.get("cases_accepted")),
        "cases_agreed": _s(org.get("cases_agreed")), "remarks": _s(org.get("remarks")),
    }


# DB3305/T 212-2021: cases are graded 简易 / 一般 / 重大 (issue 14 item 10).
GRADES = {"simple": "简易", "ordinary": "一般", "major": "重大"}
MAJOR_WORKERS = 10  # a collective dispute (LDMAL Art. 7)
MAJOR_AMOUNT_FEN = 500_000 * 100
SIMPLE_AMOUNT_FEN = 20_000 * 100


def grade_case(workers: int, amount_fen: int, n_types: int, flagged=None) -> tuple[str, str]:
    """(grade, the reason printed on the report)."""
    if flagged:
        return GRADES["major"], "经调解组织研判可能引发群体性事件或者社会影响较大"
    if workers >= MAJOR_WORKERS:
        return GRADES["major"], f"集体争议，涉及劳动者{workers}人（十人以上）"
    if amount_fen >= MAJOR_AMOUNT_FEN:
        return GRADES["major"], "涉及金额五十万元以上"
    if workers <= 1 and amount_fen <= SIMPLE_AMOUNT_FEN and n_types <= 1:
        return GRADES["simple"], "涉及一名劳动者、单一争议、金额二万元以下"
    return GRADES["ordinary"], "不属于简易或者重大情形"


def _schedule(ctx: dict, items: list[dict], worker_parties: list[dict], workers: list[dict]) -> None:
    """A collective agreement names each worker's money (LDMAL Art. 16: each can apply for a payment order alone):
    one schedule row per worker, with the sum of the items owed to him and the latest of their terms. The
    representatives (LDMAL Art. 7) sign the agreement for the group; every worker signs his own row."""
    collective = bool(ctx.get("collective")) or len(worker_parties) >= 10
    rows = []
    for i, p in enumerate(worker_parties):
        own = [it for it in items if it["worker"] == p["name"]]
        amounts = [it["amount"].fen for it in own if it["amount"] is not None]
        dues = [it["due_date"] for it in own if it["due_date"]]
        rows.append({"no": i + 1, "name": p["name"], "id_number": p["id_number"],
                     "amount": Money(sum(amounts)) if amounts else None, "due_date": max(dues) if dues else None,
                     "items": "；".join(f"{it['action']}" for it in own if it["action"]) or None})
    per_worker = any(it["worker"] for it in items)
    ctx["has_schedule"] = bool(worker_parties) and (per_worker or (collective and ctx.get("agreed")))
    ctx["schedule"] = rows if ctx["has_schedule"] else []
    total = [r["amount"].fen for r in rows if r["amount"] is not None]
    ctx["schedule_total"] = Money(sum(total)) if total else None
    dues = [r["due_date"] for r in rows if r["due_date"]]
    ctx["schedule_due"] = max(dues) if dues else None
    reps = [{"no": k + 1, "name": worker_parties[i]["name"]} for k, i in
            enumerate(i for i, w in enumerate(workers) if w.get("representative"))]
    ctx["representatives"] = reps
    ctx["has_representatives"] = bool(reps)
    # without representatives every applicant signs the agreement itself; with a schedule, each also signs his row
    ctx["sign_individually"] = not (ctx["has_schedule"] and (reps or collective))


def _initial_deadline(case: dict, ctx: dict, prov) -> Deadline | None:
    """The mediation deadline as it stood on acceptance (15 days), before any extension the parties agreed later."""
    exts = [e for e in (case.get("extensions") or []) if isinstance(e, dict)]
    if not exts:
        return ctx.get("mediation_deadline")
    if case.get("original_deadline"):
        return _deadline(case.get("original_deadline"), prov, "mediation_deadline")
    start = ctx.get("accepted_at")
    if start is None:
        return None
    try:
        from desktop import workcal

        d = workcal.period_end(start, 15)
        return Deadline(d.date, bool(d.provisional))
    except Exception:  # noqa: BLE001 - without the calendar, plain 15 days, marked provisional
        return Deadline(start + _dt.timedelta(days=15), True)


def _previous_deadline(ctx: dict, case: dict, prov) -> Deadline | None:
    """The mediation deadline before the last extension."""
    exts = ctx["extensions"]
    if not exts:
        return None
    if len(exts) >= 2 and exts[-2]["until"]:
        return Deadline(exts[-2]["until"], False)
    if case.get("original_deadline"):
        return _deadline(case.get("original_deadline"), prov, "mediation_deadline")
    start = ctx["accepted_at"]
    if start is None:
        return None
    try:
        from desktop import workcal

        d = workcal.period_end(start, 15)
        return Deadline(d.date, bool(d.provisional))
    except Exception:  # noqa: BLE001 - without the calendar, fall back to plain 15 days, marked provisional
        return Deadline(start + _dt.timedelta(days=15), True)


# Which party-facing documents a case's state calls for (each needs a proof of service).
def served_documents(ctx: dict) -> list[tuple[str, str]]:
    """(document name, recipients: 'applicants' | 'respondents' | 'parties')."""
    docs: list[tuple[str, str]] = []
    if ctx["declined"]:
        docs.append(("decline-notice", "applicants"))
    if ctx["accepted"]:
        docs.append(("acceptance-notice", "applicants"))
        docs.append(("respondent-notice", "respondents"))
    if ctx["agreed"]:
        docs.append(("agreement", "parties"))
    if ctx["outcome_code"] in ("failed", "terminated", "expired", "withdrawn"):
        docs.append(("failure-notice", "parties"))
    if ctx["agreed"] and ctx["has_unperformed"]:
        docs.append(("nonperformance-record", "parties"))
    return docs


def _services(ctx: dict, case: dict, common: dict) -> list[dict]:
    titles = common.get("titles", {})
    out = []
    for name, who in served_documents(ctx):
        for p in ctx[who]:
            out.append({"no": len(out) + 1, "doc_title": titles.get(name, name), "recipient": p.get("name"),
                        "address": p.get("address"), "phone": p.get("phone")})
    return out
