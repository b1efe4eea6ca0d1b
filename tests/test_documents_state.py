"""Issue 14 item 1: a document exists only where the case's state allows it.

Every case document × every case state is rendered (or refused) and the PDF read back with pdftotext; the
refusal names the case's state, and nothing is written. The command line refuses with exit 1.
"""

from __future__ import annotations

import os

import pytest

os.environ["MEDIATION_DESK_FONTS"] = "bundled"

from desktop.documents import (  # noqa: E402
    DOCUMENT_NAMES, STATES, DocumentRefused, allowed, case_state, load_all, render_document, state_label,
)
from tests.test_documents import TODAY, agreed_case, command_line, flat, org, pdftext  # noqa: E402

CASE_KINDS = [n for n in DOCUMENT_NAMES if n != "roster"] + ["dossier"]


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


def case_in(state: str) -> dict:
    """The demo agreed case moved to each state (the acceptance decision, then the outcome)."""
    c = agreed_case()
    if state in ("registered", "declined"):
        for k in ("outcome", "agreement", "performance", "followups", "sessions", "mediation_deadline",
                  "review_deadline", "extensions"):
            c.pop(k, None)
        c["mediators"] = []
        c["acceptance"] = None
        c["status"] = "registered"
        if state == "declined":
            c["status"] = "declined"
            c["acceptance"] = {"decision": "declined", "decided_at": "2026-09-30", "reason_code": "respondent_refused",
                               "reason": "被申请人明确表示不同意调解"}
        return c
    if state == "mediating":
        for k in ("outcome", "agreement", "performance", "followups", "review_deadline"):
            c.pop(k, None)
        c["status"] = "mediating"
        return c
    if state != "agreed":
        for k in ("agreement", "performance", "followups", "review_deadline"):
            c.pop(k, None)
        c["outcome"] = {"kind": state, "closed_at": "2026-10-20", "reason": None}
    c["status"] = "closed"
    return c


def test_every_template_declares_its_states():
    for name, tpl in load_all().items():
        assert tpl.states, name
        assert set(tpl.states) <= set(STATES), name


def test_case_state_reads_the_decision_and_the_outcome():
    assert [case_state(case_in(s)) for s in STATES] == list(STATES)


# What the issue saw printed although the state forbids it: each must now be refused.
FORBIDDEN = [
    ("decline-notice", "agreed"), ("failure-notice", "agreed"), ("agreement", "declined"),
    ("acceptance-notice", "declined"), ("agreement", "failed"), ("decline-notice", "mediating"),
    ("rights-notice", "declined"), ("followup-record", "withdrawn"), ("dossier", "mediating"),
]


@pytest.mark.parametrize("kind,state", FORBIDDEN)
def test_the_documents_the_issue_found_are_refused(tmp_path, kind, state):
    out = tmp_path / "x.pdf"
    with pytest.raises(DocumentRefused) as exc:
        render_document(kind, case_in(state), org(), out, today=TODAY)
    assert f"「{state_label(state)}」" in str(exc.value)
    assert not out.exists()


@pytest.mark.parametrize("state", list(STATES))
def test_every_kind_in_every_state(tmp_path, state):
    """Rendered where declared, refused elsewhere; what prints does not contradict the state."""
    case = case_in(state)
    printed = []
    for kind in CASE_KINDS:
        out = tmp_path / f"{kind}.pdf"
        ok, reason = allowed(kind, case)
        if not ok:
            assert state_label(state) in reason and "不能制作" in reason
            with pytest.raises(DocumentRefused, match=state_label(state)):
                render_document(kind, case, org(), out, today=TODAY)
            assert not out.exists(), kind
            continue
        if kind == "review-application":
            continue  # its own window check (test_documents); the state check came first
        render_document(kind, case, org(), out, today=TODAY)
        text = flat(pdftext(out))
        printed.append(kind)
        if state != "agreed":
            assert "达成如下协议" not in text, kind
        if state != "declined":
            assert "决定不予受理" not in text, kind
        if state in ("registered", "declined"):
            assert "予以受理" not in text and "终止调解" not in text, kind
    expected = {
        "registered": {"application", "registration", "respondent-notice", "power-of-attorney"},
        "declined": {"decline-notice", "dossier"},
        "mediating": {"acceptance-notice", "rights-notice", "session-record"},
        "agreed": {"agreement", "followup-record", "dossier"},
        "failed": {"failure-notice", "dossier"},
        "withdrawn": {"failure-notice"},
    }.get(state, {"failure-notice"})
    assert expected <= set(printed), (state, printed)


def test_the_failure_notice_of_a_closed_case_says_when_mediation_ended(tmp_path):
    out = tmp_path / "f.pdf"
    render_document("failure-notice", case_in("failed"), org(), out, today=TODAY)
    assert "于2026年10月20日终止调解" in flat(pdftext(out))


def test_render_command_refuses_a_document_the_state_does_not_allow(tmp_path):
    run = command_line(tmp_path, MEDIATION_DESK_TODAY="2026-10-25")
    db = tmp_path / "demo.sqlite"
    r = run("demo", "--db", str(db), "--cases", "30", "--seed", "5")
    assert r.returncode == 0, r.stderr
    import json

    listing = run("cases", "--db", str(db), "--json")
    cases = [json.loads(line) for line in listing.stdout.splitlines()]
    agreed = next(c for c in cases if (c.get("outcome") or {}).get("kind") == "agreed")
    out = tmp_path / "d.pdf"
    r = run("render", "decline-notice", "--db", str(db), "--case", agreed["case_no"], "--out", str(out))
    assert r.returncode == 1 and "已结案（调解成功）" in r.stderr and "不予受理通知书" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and not out.exists()
    r = run("render", "failure-notice", "--db", str(db), "--case", agreed["case_no"], "--out", str(out))
    assert r.returncode == 1 and not out.exists()
    r = run("render", "agreement", "--db", str(db), "--case", agreed["case_no"], "--out", str(out))
    assert r.returncode == 0 and out.exists(), r.stderr
