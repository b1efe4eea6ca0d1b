"""Issue 14 item 10: 重大劳动人事争议调处情况呈报表 (DB3305/T 212 appendix F) and the 简易/一般/重大 grading."""

from __future__ import annotations

import os

import pytest

os.environ["MEDIATION_DESK_FONTS"] = "bundled"

from desktop.documents import render_document  # noqa: E402
from desktop.documents.fields import grade_case  # noqa: E402
from tests.test_documents import TODAY, collective_case, flat, org, pdftext, registered_case  # noqa: E402


@pytest.mark.parametrize("workers,amount,types,flag,grade", [
    (12, 0, 1, None, "重大"), (1, 600_000_00, 1, None, "重大"), (2, 0, 1, True, "重大"),
    (1, 12_000_00, 1, None, "简易"), (1, 12_000_00, 2, None, "一般"), (3, 12_000_00, 1, None, "一般"),
    (1, 25_000_00, 1, None, "一般"),
])
def test_grading(workers, amount, types, flag, grade):
    assert grade_case(workers, amount, types, flag)[0] == grade


def test_a_collective_dispute_is_reported_the_day_it_arrives(tmp_path):
    case = collective_case(16)
    for k in ("acceptance", "outcome", "agreement", "performance", "followups", "sessions"):
        case.pop(k, None)
    case["status"] = "registered"
    out = tmp_path / "m.pdf"
    render_document("major-dispute-report", case, org(), out, today=TODAY)
    text = flat(pdftext(out))
    assert "重大劳动人事争议调处情况呈报表" in text
    assert "案件分级重大" in text and "集体争议，涉及劳动者16人（十人以上）" in text
    assert case["employer"]["name"] in text and "16人" in text
    assert "报送时间：2026年10月25日" in text and "已采取的措施" in text and "上级部门意见" in text
    for claim in case["claims"]:
        assert claim["text"] in text


def test_a_single_workers_small_claim_is_graded_on_the_report(tmp_path):
    case = registered_case()
    case["claims"] = [{"text": "支付2026年9月工资", "amount": "6000.00"}]
    case["dispute_types"] = ["PAY"]
    out = tmp_path / "m.pdf"
    render_document("major-dispute-report", case, org(), out, today=TODAY)
    assert "案件分级简易" in flat(pdftext(out))
