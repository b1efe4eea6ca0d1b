"""The back-entry case record (contract.md) as JSON Schema (draft 2020-12), built from the record's shape.

A district that back-enters cases from its own spreadsheets can check the shape of its file with any
JSON Schema tool before `import-cases`: types, required fields, the closed vocabularies, date and
money formats, and no unknown keys. The legal rules between fields (dates in order, consent before
acceptance, the mediation period, …) are `check_record`'s and are not in the schema.

Built from `shape` and `codes`, so it cannot drift from the rules; `docs/case-record.schema.json` is
its printed form (`mediation-desk schema`), and a test keeps the two equal.
"""

from __future__ import annotations

from desktop.codes import (
    APPLICANTS, AUTHORITY, DECLINE_REASONS, DISPUTE_TYPES, FOLLOWUP_METHODS, ITEM_CATEGORIES, MEDIATOR_ROLES,
    MODES, OUTCOMES, SOURCES,
)

from . import shape

DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "description": "YYYY-MM-DD"}
DATETIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$",
            "description": "ISO 8601 with offset, e.g. 2026-09-29T10:00:00+08:00"}
AMOUNT = {"type": "string", "pattern": r"^\d{1,13}(\.\d{1,2})?$", "description": "yuan as text, e.g. \"12000.00\""}
BOOL = {"type": "boolean"}


def _text(max_len: int = 2000) -> dict:
    return {"type": "string", "maxLength": max_len}


def _enum(codes: dict, *, nullable: bool = False) -> dict:
    out = {"enum": list(codes), "description": "；".join(f"{k}={v}" for k, v in codes.items())}
    if nullable:
        out["enum"] = [*out["enum"], None]
    return out


def _obj(props: dict, keys: set, required: tuple = ()) -> dict:
    missing = keys - props.keys()
    if missing:  # every key the rules accept is described
        raise AssertionError(f"schema lacks {sorted(missing)}")
    return {"type": "object", "properties": {k: props[k] for k in sorted(keys)}, "required": list(required),
            "additionalProperties": False}


def _list(item: dict, **extra) -> dict:
    return {"type": "array", "items": item, **extra}


def record_schema() -> dict:
    """The JSON Schema of one case record as `import-cases` reads it."""
    person_phone = {"type": "string", "maxLength": 30}
    application = _obj({
        "mode": _enum(MODES), "received_at": DATETIME, "applicant": _enum(APPLICANTS),
        "recorder": _text(100), "place": _text(100),
    }, shape.APPLICATION_KEYS, ("mode", "received_at"))
    worker = _obj({
        "name": _text(50), "id_number": {"type": "string", "description": "公民身份号码（18位，GB 11643）"},
        "phone": person_phone, "address": _text(200), "migrant": BOOL, "platform": BOOL,
        "sex": {"enum": ["male", "female"]}, "birth_date": DATE, "ethnicity": _text(200), "bank_account": _text(200),
        "representative": {**BOOL, "description": "集体争议中推举的代表（劳动争议调解仲裁法第7条）"},
        "pension": {**BOOL, "description": "已享受基本养老保险待遇（最高法解释（一）第32条：提示）"},
    }, shape.WORKER_KEYS, ("name",))
    employer = _obj({
        "name": _text(100), "credit_code": {"type": "string", "description": "统一社会信用代码（18位，GB 32100）"},
        "legal_rep": _text(200), "legal_rep_title": _text(200), "address": _text(200), "phone": person_phone,
        "industry": _text(200),
    }, shape.EMPLOYER_KEYS, ("name",))
    agent = _obj({
        "for": {"type": "string", "pattern": r"^(employer|worker:\d+)$"}, "name": _text(50),
        "authority": _enum(AUTHORITY), "phone": person_phone, "id_number": {"type": "string"}, "relation": _text(50),
    }, shape.AGENT_KEYS, ("for", "name", "authority"))
    consent = _obj({"party": _enum(shape.CONSENT_PARTIES), "at": DATE, "how": _enum(shape.CONSENT_HOW)},
                   shape.CONSENT_KEYS, ("party", "at", "how"))
    acceptance = _obj({
        "decision": {"enum": ["accepted", "declined"]}, "decided_at": DATE, "reason": {"type": ["string", "null"]},
        "reason_code": _enum(DECLINE_REASONS), "respondent_agreed": BOOL,
        "consents": _list(consent, description="双方同意调解的时间和方式（《企业劳动争议协商调解规定》第22条）"),
    }, shape.ACCEPTANCE_KEYS, ("decision", "decided_at"))
    item = _obj({
        "category": _enum(ITEM_CATEGORIES), "text": _text(), "amount": {"anyOf": [AMOUNT, {"type": "null"}]},
        "due_date": DATE, "method": _text(200),
        "worker": {"type": "integer", "minimum": 0, "description": "集体协议中该项归属的劳动者序号（从0开始）"},
    }, shape.ITEM_KEYS, ("category", "text", "due_date"))
    agreement = _obj({
        "effective_at": DATE, "waiver": _text(), "items": _list(item, minItems=1),
        "judicial_confirmation": _obj({"court": _text(100), "at": DATE}, shape.JUDICIAL_KEYS, ("court", "at")),
    }, shape.AGREEMENT_KEYS, ("effective_at", "items"))
    warning = _obj({"code": _text(60), "path": _text(200), "message": _text(), "acknowledged_by": _text(50),
                    "acknowledged_at": _text(40)}, shape.WARNING_KEYS, ("code",))
    top = {
        "case_no": _text(60), "source": _enum(SOURCES), "application": application,
        "workers": _list(worker, minItems=1), "employer": employer, "agents": _list(agent),
        "dispute_types": _list(_enum(DISPUTE_TYPES), minItems=1, uniqueItems=True,
                               description="争议类型，第一个为主要类型"),
        "claims": _list(_obj({"text": _text(), "amount": AMOUNT}, shape.CLAIM_KEYS, ("text",))),
        "facts": _text(20000), "respondent_reply": _text(20000),
        "evidence": _list(_obj({"name": {}, "source": {}, "pages": {}}, shape.EVIDENCE_KEYS)),
        "acceptance": acceptance,
        "mediators": _list(_obj({"name": _text(50), "role": _enum(MEDIATOR_ROLES)}, shape.MEDIATOR_KEYS, ("name",))),
        "conflicts": _list(_obj({"mediator": _text(50), "party": _text(100), "relation": _text(200)},
                                shape.CONFLICT_KEYS, ("mediator", "relation"))),
        "recusals": _list(_obj({"mediator": _text(50), "requested_by": _text(100), "grounds": _text(),
                                "decision": _enum(shape.RECUSAL_DECISIONS), "decided_by": _text(50), "decided_at": DATE},
                               shape.RECUSAL_KEYS, ("mediator", "requested_by", "grounds"))),
        "extensions": _list(_obj({"agreed_at": DATE, "until": DATE, "reason": _text()}, shape.EXTENSION_KEYS,
                                 ("agreed_at", "until"))),
        "sessions": _list(_obj({"held_at": DATETIME, "ended_at": DATETIME, "place": _text(50000),
                                "attendees": _text(50000), "record": _text(50000), "recorder": _text(50000),
                                "result": _text(50000)}, shape.SESSION_KEYS, ("held_at",))),
        "outcome": _obj({"kind": _enum(OUTCOMES), "closed_at": DATE, "reason": {"type": ["string", "null"]}},
                        shape.OUTCOME_KEYS, ("kind", "closed_at")),
        "agreement": agreement,
        "performance": _list(_obj({"item": {"type": "integer", "minimum": 0}, "paid_at": DATE, "amount": AMOUNT,
                                   "note": _text()}, shape.PERFORMANCE_KEYS, ("item", "paid_at", "amount"))),
        "followups": _list(_obj({"at": DATE, "method": _enum(FOLLOWUP_METHODS), "note": _text(), "person": _text(),
                                 "result": _enum(shape.FOLLOWUP_RESULTS)}, shape.FOLLOWUP_KEYS, ("at",))),
        "common_claim": {**BOOL, "description": "10人以上有共同请求的为集体争议（劳动争议调解仲裁法第7条）"},
        "warnings": _list(warning, description="已确认的提示（导入时由导入人确认）"),
    }
    schema = _obj(top, shape.TOP_KEYS, ("application", "workers", "employer", "dispute_types"))
    # The computed fields of `cases --json` are accepted (and ignored) so that an export imports again.
    for key in sorted(shape.COMPUTED_KEYS):
        schema["properties"][key] = {"description": "计算字段：导入时忽略"}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "mediation-desk/case-record.schema.json",
            "title": "调解工作台 案件记录（补录导入格式）",
            "description": "import-cases 读取的每行一个案件记录（JSON Lines）。字段之间的法律规则（日期先后、受理前须经双方同意、"
                           "调解期限等）由程序检查，不在本模式中。",
            **schema}
