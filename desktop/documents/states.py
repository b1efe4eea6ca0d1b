"""Which documents a case's state allows (issue 14 item 1).

Each template in ``forms/`` declares ``states = [...]``: the states of a case in which that document exists on
paper (a notice issued earlier stays in the states that follow it, so that the dossier can be printed). The
renderer, the command line, the case window and batch printing all ask :func:`allowed` and refuse the rest with a
message that names the case's state.
"""

from __future__ import annotations

# A case's state for the documents: the acceptance decision, then the outcome.
STATES: dict[str, str] = {
    "registered": "待受理",
    "declined": "不予受理",
    "mediating": "调解中",
    "agreed": "已结案（调解成功）",
    "failed": "已结案（调解不成）",
    "terminated": "已结案（终止调解）",
    "expired": "已结案（逾期未达成协议）",
    "withdrawn": "已结案（申请人撤回）",
}
ACCEPTED_STATES = ("mediating", "agreed", "failed", "terminated", "expired", "withdrawn")
CLOSED_STATES = ("agreed", "failed", "terminated", "expired", "withdrawn")

# Documents printed without a case (the roster and the Jilin tables) are not gated.
CASELESS = ("roster", "jilin-org", "jilin-mediators")


def case_state(case: dict | None) -> str:
    """The case's state from its acceptance decision and outcome (not from a stored label that may lag)."""
    case = case or {}
    decision = (case.get("acceptance") or {}).get("decision")
    if decision == "declined" or case.get("status") == "declined":
        return "declined"
    kind = (case.get("outcome") or {}).get("kind")
    if kind in STATES:
        return kind
    if decision == "accepted":
        return "mediating"
    return "registered"


def state_label(state: str) -> str:
    return STATES.get(state, state)


def document_states(name: str, forms_dir=None) -> tuple[str, ...]:
    """The states a document is declared for (the dossier follows its cover)."""
    from desktop.documents.templates import get_template

    if name in CASELESS:
        return tuple(STATES)
    tpl = get_template("dossier-cover" if name == "dossier" else name, forms_dir)
    return tpl.states


def allowed(kind: str, case: dict | None, forms_dir=None) -> tuple[bool, str]:
    """(True, "") when the case's state allows the document, else (False, a Chinese reason naming the state)."""
    from desktop.documents.templates import get_common

    if kind in CASELESS:
        return True, ""
    state = case_state(case)
    if state in document_states(kind, forms_dir):
        return True, ""
    titles = get_common(forms_dir).get("titles", {})
    title = titles.get(kind, kind)
    wanted = "、".join(STATES[s] for s in document_states(kind, forms_dir))
    return False, f"本案当前状态为「{state_label(state)}」，不能制作{title}（该文书仅适用于：{wanted}）"


def allowed_kinds(case: dict | None, names=None, forms_dir=None) -> list[str]:
    """The documents (in the given order) that the case's state allows."""
    from desktop.documents.templates import DOCUMENT_NAMES

    return [n for n in (names or DOCUMENT_NAMES) if n not in CASELESS and allowed(n, case, forms_dir)[0]]
