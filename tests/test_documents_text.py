"""Issue 14: the text of every rendered demo document, read back with pdftotext, as a clerk reads it.

A demo station is generated; for one case of each state (and a collective case) every document the state allows is
rendered, and the extracted text is scanned for doubled punctuation, a party named twice in one clause, empty
「」 or （）, and the wordings the issue found wrong.
"""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest

os.environ["MEDIATION_DESK_FONTS"] = "bundled"

from desktop import clock, db as dbm, demo, org as orgm, roster  # noqa: E402
from desktop.documents import allowed_kinds, case_state, render_document, render_dossier  # noqa: E402
from desktop.documents.wording import item_sentence, split_obligor, waiver_text  # noqa: E402
from tests.test_documents import flat, pdftext  # noqa: E402

DEMO_DAY = dt.date(2026, 3, 20)


def joined(text: str) -> str:
    """Line breaks taken out, but a blank to fill in by hand (ideographic spaces) kept: 「：＿＿。」 is no error."""
    return re.sub(r"[ \t\r\n\f\v]+", "", text)


@pytest.fixture(scope="module")
def demo_docs(tmp_path_factory):
    """{(case_no, state, document): extracted text} for one case per state and one collective case."""
    from desktop import cases

    root = tmp_path_factory.mktemp("demo-docs")
    clock.set_today(DEMO_DAY)
    try:
        database = dbm.open_database(root / "demo.sqlite", create=True)
        demo.create_demo_station(database, seed=11)
        demo.fill(database, 120, seed=11)
        profile = orgm.get_profile(database)
        mediators = roster.list_mediators(database)
        picked: dict[str, dict] = {}
        collective = None
        for (key,) in database.execute("select case_no from cases where deleted = 0 order by case_no").fetchall():
            case = cases.get_case(database, key, today=DEMO_DAY)
            st = case_state(case)
            if len(case.get("workers") or []) >= 10 and st == "agreed" and collective is None:
                collective = case
            elif st not in picked:
                picked[st] = case
        chosen = list(picked.values()) + ([collective] if collective else [])
        texts = {}
        for case in chosen:
            st = case_state(case)
            for name in allowed_kinds(case):
                if name == "review-application":
                    continue
                out = root / f"{len(texts)}.pdf"
                if name in ("dossier-cover", "dossier-index"):
                    render_dossier(case, profile, out, today=DEMO_DAY, only=name)
                else:
                    render_document(name, case, profile, out, today=DEMO_DAY, mediators=mediators)
                texts[(case["case_no"], st, name)] = pdftext(out)
        return {"texts": texts, "states": {case_state(c) for c in chosen}, "collective": collective,
                "cases": chosen, "profile": profile, "mediators": mediators}
    finally:
        clock.reset()


def test_the_demo_covers_the_states(demo_docs):
    assert {"registered", "declined", "mediating", "agreed", "failed"} <= demo_docs["states"]
    assert ("agreement" in {k[2] for k in demo_docs["texts"]})


DOUBLED = re.compile(r"([。，；：、！？])\1|[，；：、][。]|[。][，；：、]")
EMPTY = re.compile(r"「」|（）|\(\)")
CLAUSE = re.compile(r"[^，。；：！？\n]+")


def _party_twice(clause: str) -> str | None:
    """The same party label twice in one clause (被申请人…被申请人), 申请人 not counted inside 被申请人."""
    resp = clause.count("被申请人")
    appl = len(re.findall(r"(?<!被)申请人", clause))
    if resp >= 2:
        return "被申请人"
    if appl >= 2:
        return "申请人"
    return None


def test_no_doubled_punctuation_no_party_twice_no_empty_brackets(demo_docs):
    problems = []
    for (case_no, state, name), text in demo_docs["texts"].items():
        t = joined(text)
        for m in DOUBLED.finditer(t):
            problems.append(f"{name}（{state}）: 标点重复「{t[max(0, m.start() - 12):m.end() + 4]}」")
        for m in EMPTY.finditer(t):
            problems.append(f"{name}（{state}）: 空括号「{t[max(0, m.start() - 12):m.end() + 4]}」")
        # clauses of running text only: a table's cells are joined without punctuation by the flattening
        if name in ("agreement", "acceptance-notice", "respondent-notice", "decline-notice", "failure-notice",
                    "rights-notice", "extension-record"):
            for para in text.split("\n\n"):
                for clause in CLAUSE.findall(flat(para)):
                    who = _party_twice(clause)
                    if who:
                        problems.append(f"{name}（{state}）: 一句中两次出现{who}「{clause}」")
    assert not problems, "\n".join(problems[:30])


def test_agreement_writes_the_payer_once_and_the_waiver_once(demo_docs):
    agreements = [t for (_, _, n), t in demo_docs["texts"].items() if n == "agreement"]
    assert agreements
    for text in agreements:
        t = flat(text)
        assert not re.search(r"被申请人于[^，。；]*前被申请人", t), t
        assert t.count("再无其他") == 1, t
        assert "。。" not in t
        # the term in the body, or (every item owed to one worker, issue 14 item 4) in the schedule's column
        assert ("履行期限截至" in t and "（含当日）" in t) or ("按本协议附表所列金额和期限" in t and "履行期限（截至当日）" in t)


@pytest.mark.parametrize("typed,expected", [
    ("被申请人支付申请人工资", "被申请人支付申请人工资，履行期限截至2026年3月11日（含当日）。"),
    ("支付申请人工资", "被申请人支付申请人工资，履行期限截至2026年3月11日（含当日）。"),
    ("被申请人向申请人支付工资。", "被申请人向申请人支付工资，履行期限截至2026年3月11日（含当日）。"),
    ("向申请人支付工资", "被申请人向申请人支付工资，履行期限截至2026年3月11日（含当日）。"),
    ("申请人返还工作证", "申请人返还工作证，履行期限截至2026年3月11日（含当日）。"),
    ("某某有限公司支付张三工资", "某某有限公司支付张三工资，履行期限截至2026年3月11日（含当日）。"),
])
def test_item_sentence_whatever_the_clerk_types(typed, expected):
    assert item_sentence(typed, obligor="被申请人", parties=("某某有限公司", "张三"), due="2026年3月11日") == expected
    who, _ = split_obligor(typed, ("某某有限公司", "张三"))
    assert who != "申请人" or typed.startswith("申请人")


@pytest.mark.parametrize("typed,expected", [
    ("申请人放弃其余请求事项，本协议履行完毕后双方再无其他劳动争议。", "其余请求事项"),
    ("放弃加班费请求", "加班费请求"),
    ("加班费。", "加班费"),
    ("无", None),
    ("本协议履行完毕后双方再无其他争议。", None),
])
def test_waiver_text(typed, expected):
    assert waiver_text(typed) == expected


def test_demo_wording_issue_14_item_9(demo_docs):
    """Demo data as printed: no 「1月至1月」, the legal representative not called an agent, addresses with a county,
    sessions on working days."""
    from desktop.workcal import WorkCalendar

    cal = WorkCalendar()  # the national calendar (2024-04-07, a Sunday, was a working day)
    texts = demo_docs["texts"]
    for (_no, _state, name), text in texts.items():
        t = flat(text)
        assert not re.search(r"(\d+)月至\1月", t), name
        assert "被申请人委托代理人" not in t or name == "power-of-attorney", name
    for case in demo_docs["cases"]:
        for w in case["workers"]:
            assert re.search(r"(县|市|区)", w["address"].split("省", 1)[-1]), w["address"]
        assert "县" in case["employer"]["address"]
        for s in case.get("sessions") or []:
            day = dt.date.fromisoformat(s["held_at"][:10])
            assert cal.is_workday(day), s["held_at"]
