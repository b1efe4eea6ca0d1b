"""The shape of a case record (contract.md): its keys, and the readers that check one field each.

Every reader adds (path, Chinese message) to a Problems list instead of raising, so that one pass
reports everything wrong with a record.
"""

from __future__ import annotations

import datetime as _dt

from desktop import money, validate
from desktop.clock import TZ
from desktop.security.text import hidden_problem, tidy_spaces

COLLECTIVE_MIN = 10  # LDMAL Art. 7: ten or more workers with a common request
WORKER_MIN_AGE = 16  # LL Art. 15
MEDIATION_DAYS = 15  # LDMAL Art. 14, EMR Art. 29 (natural days)
ACCEPTANCE_WORKING_DAYS = 3  # EMR Art. 22
REVIEW_DAYS = 15  # AR2017 Art. 74

# --- the shape of a case record ------------------------------------------------------------

TOP_KEYS = {
    "case_no", "source", "application", "workers", "employer", "agents", "dispute_types", "claims", "facts",
    "respondent_reply", "evidence", "acceptance", "mediators", "conflicts", "recusals", "extensions",
    "sessions", "outcome", "agreement", "performance", "followups", "common_claim", "warnings",
}
# Computed fields of `cases --json` output; accepted (and ignored) on input so that an exported
# record can be imported again.
COMPUTED_KEYS = {
    "id", "station", "status", "worker_count", "collective", "acceptance_due", "statutory_deadline",
    "mediation_deadline", "overdue", "review_deadline", "provisional", "back_entered", "rev",
    "created_at", "updated_at", "archived", "deadline_rules", "review_excluded",
}
APPLICATION_KEYS = {"mode", "received_at", "applicant", "recorder", "place"}
WORKER_KEYS = {"name", "id_number", "phone", "address", "migrant", "platform", "sex", "birth_date", "ethnicity",
               "bank_account", "representative", "pension"}
EMPLOYER_KEYS = {"name", "credit_code", "legal_rep", "legal_rep_title", "address", "phone", "industry"}
AGENT_KEYS = {"for", "name", "authority", "phone", "id_number", "relation"}
CLAIM_KEYS = {"text", "amount"}
EVIDENCE_KEYS = {"name", "source", "pages"}
ACCEPTANCE_KEYS = {"decision", "decided_at", "reason", "reason_code", "respondent_agreed", "consents"}
CONSENT_KEYS = {"party", "at", "how"}
CONSENT_PARTIES = {"applicant": "申请人", "respondent": "被申请人"}
CONSENT_HOW = {"written": "书面", "oral": "口头", "phone": "电话", "in_person": "当面"}
MEDIATOR_KEYS = {"name", "role"}
CONFLICT_KEYS = {"mediator", "party", "relation"}
RECUSAL_KEYS = {"mediator", "requested_by", "grounds", "decision", "decided_by", "decided_at"}
EXTENSION_KEYS = {"agreed_at", "until", "reason"}
SESSION_KEYS = {"held_at", "ended_at", "place", "attendees", "record", "recorder", "result"}
OUTCOME_KEYS = {"kind", "closed_at", "reason"}
AGREEMENT_KEYS = {"effective_at", "waiver", "items", "judicial_confirmation"}
JUDICIAL_KEYS = {"court", "at"}
WARNING_KEYS = {"code", "path", "message", "acknowledged_by", "acknowledged_at"}
ITEM_KEYS = {"category", "text", "amount", "due_date", "method", "worker"}
PERFORMANCE_KEYS = {"item", "paid_at", "amount", "note"}
FOLLOWUP_KEYS = {"at", "method", "note", "person", "result"}
FOLLOWUP_RESULTS = {"full": "已全部履行", "partial": "部分履行", "none": "未履行"}
RECUSAL_DECISIONS = {"granted": "准许回避", "refused": "驳回", "pending": "待决定"}


class Problems:
    """Collects what a check finds: errors (path, message), which refuse the record, and warnings
    (path, code, message), which do not: the record is taken and the warning is stored on it with
    who acknowledged it. Truthiness is the errors only."""

    def __init__(self):
        self.items: list[tuple[str, str]] = []
        self.warnings: list[tuple[str, str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.items.append((path, message))

    def warn(self, path: str, code: str, message: str) -> None:
        self.warnings.append((path, code, message))

    def __bool__(self):
        return bool(self.items)

    def messages(self, prefix: str = "") -> list[str]:
        return [f"{prefix}{path}: {msg}" if path else f"{prefix}{msg}" for path, msg in self.items]

    def warning_messages(self, prefix: str = "") -> list[str]:
        return [f"{prefix}{path}: 提示：{msg}" if path else f"{prefix}提示：{msg}" for path, _c, msg in self.warnings]


def _unknown(obj, allowed: set, path: str, problems: Problems) -> None:
    if obj.keys() <= allowed:
        return  # decided in C: the usual record has no unknown key
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


def _entries(value, path: str, allowed: set, problems: Problems):
    """The objects of a list field with their paths (`path[i]`): a value that is not a list and an
    entry that is not an object are reported and skipped; each entry's unknown keys are reported."""
    for i, entry in enumerate(_list(value, path, problems)):
        entry_path = f"{path}[{i}]"
        entry = _obj(entry, entry_path, problems)
        if entry is None:
            continue
        _unknown(entry, allowed, entry_path, problems)
        yield entry_path, entry


_LINE_BREAKS_AND_TABS = str.maketrans("", "", "\n\r\t")


def _text(obj: dict, key: str, path: str, problems: Problems, *, required=False, max_len=2000) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            problems.add(f"{path}.{key}" if path else key, "不能为空")
        return None if value is None else ""
    if not isinstance(value, str):
        problems.add(f"{path}.{key}" if path else key, "应为文字")
        return None
    if value.isprintable() or (max_len >= 2000 and value.translate(_LINE_BREAKS_AND_TABS).isprintable()):
        # The common case, decided in C: no control, format or separator character other than the
        # ASCII space (and, in a long text, line breaks and tabs), so nothing hidden and no odd space
        # to tidy (this runs ~30 times per record).
        if len(value) > max_len:
            problems.add(f"{path}.{key}" if path else key, f"过长（最多{max_len}字）")
            return None
        return value.strip()
    # control, bidi and zero-width characters hide or reorder text, break printing and carry terminal
    # escapes: refused on every path (forms, import-cases, bundles); line breaks only in long texts
    hidden = hidden_problem(value, multiline=max_len >= 2000)
    if hidden:
        problems.add(f"{path}.{key}" if path else key, hidden)
        return None
    if len(value) > max_len:
        problems.add(f"{path}.{key}" if path else key, f"过长（最多{max_len}字）")
        return None
    return value.strip() if max_len >= 2000 else tidy_spaces(value).strip()


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


_LOCAL_DATES: dict[_dt.datetime, _dt.date] = {}


def local_date(ts: _dt.datetime) -> _dt.date:
    """The China-time day of a timestamp (remembered: astimezone is the costly part of a session check)."""
    hit = _LOCAL_DATES.get(ts)
    if hit is None:
        if len(_LOCAL_DATES) > 20000:
            _LOCAL_DATES.clear()
        hit = _LOCAL_DATES[ts] = ts.astimezone(TZ).date()
    return hit

