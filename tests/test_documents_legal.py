"""Issue 14 items 2 and 5: the legal text of the notices, read back from the rendered PDFs with pdftotext."""

from __future__ import annotations

import os
import re

import pytest

os.environ["MEDIATION_DESK_FONTS"] = "bundled"

from desktop.documents import render_document, render_roster  # noqa: E402
from tests.test_documents import (  # noqa: E402
    TODAY, agreed_case, declined_case, failed_case, flat, mediating_extended_case, org, pdftext, registered_case,
    withdrawn_case,
)

PAYMENT_ORDER_ON_AGREEMENT = "持调解协议书依法向人民法院申请支付令"


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


def text_of(tmp_path, name, case, o=None, today=TODAY) -> str:
    out = tmp_path / f"{name}.pdf"
    render_document(name, case, o or org(), out, today=today)
    return flat(pdftext(out))


@pytest.mark.parametrize("make", [failed_case, withdrawn_case])
def test_failure_notice_has_no_agreement_payment_order_and_points_wage_cases_to_lcl_30(tmp_path, make):
    case = make()
    assert "PAY" in case["dispute_types"]
    t = text_of(tmp_path, "failure-notice", case)
    assert PAYMENT_ORDER_ON_AGREEMENT not in t
    assert "用人单位拖欠或者未足额支付劳动报酬的，劳动者可以依法向当地人民法院申请支付令（《中华人民共和国劳动合同法》第三十条第二款）" in t
    case["dispute_types"] = ["CT-END"]
    t = text_of(tmp_path, "failure-notice", case)
    assert "支付令" not in t


def test_termination_record_signed_by_both_parties(tmp_path):
    t = text_of(tmp_path, "termination-record", failed_case())
    assert "终止调解记录" in t and "因双方对经济补偿金额分歧较大" in t and "于2026年10月24日终止调解" in t
    assert "申请人（签名并捺印）" in t and "被申请人（盖章）" in t and "见证人（签名）" in t


def test_nonperformance_record_and_the_arbitration_route(tmp_path):
    case = agreed_case()
    late = TODAY.replace(year=2027)  # every item past its term, none paid
    case.pop("performance", None)
    t = text_of(tmp_path, "nonperformance-record", case, today=late)
    assert "调解协议第一、二、三项约定的履行期限已经届满" not in t  # item three has no amount: not a money item
    assert "调解协议第一、二项约定的履行期限已经届满" in t
    assert "依照《中华人民共和国劳动争议调解仲裁法》第十五条" in t and "另一方当事人可以依法申请仲裁" in t
    assert "调解协议第一、二项属于支付拖欠劳动报酬、工伤医疗费、经济补偿或者赔偿金事项" in t and PAYMENT_ORDER_ON_AGREEMENT in t
    assert "申请人（签名并捺印）" in t and "被申请人（盖章）" in t
    # the agreement's own clause keeps the payment-order route: an agreement exists there
    assert "持本协议书依法向人民法院申请支付令" in text_of(tmp_path, "agreement", agreed_case())


def test_decline_notice_route_follows_the_reason(tmp_path):
    refused = declined_case()
    t = text_of(tmp_path, "decline-notice", refused)
    assert "申请仲裁" in t and "从本通知送达之日起" not in t
    assert "从中断时起，仲裁时效期间重新计算" in t
    not_labour = declined_case()
    not_labour["acceptance"].update(reason_code="not_labour_dispute", reason="申请事项为对社会保险经办机构发放待遇的异议")
    t = text_of(tmp_path, "decline-notice", not_labour)
    assert "不属于劳动人事争议仲裁委员会的受理范围" in t
    assert "申请仲裁" not in t and "仲裁时效" not in t


def test_rights_notice_wording(tmp_path):
    t = text_of(tmp_path, "rights-notice", failed_case())
    assert "平等、自愿、合法、公正、及时的原则" in t
    assert "调解一般不公开进行" in t
    assert "符合条件的，也可以依法自调解协议生效之日起三十日内共同向人民法院申请司法确认" in t
    assert "即至2026年10月13日届满" in t or "届满）未达成调解协议" in t
    assert not re.search(r"\d日前", t)


@pytest.mark.parametrize("name,make", [("agreement", agreed_case), ("review-application", agreed_case),
                                       ("acceptance-notice", failed_case), ("rights-notice", failed_case)])
def test_no_deadline_written_as_before(tmp_path, name, make):
    """Civil Code Art. 1259 defines 以上/以下/以内/届满, not 前: deadlines are 至…届满 or 截至…（含当日）."""
    t = text_of(tmp_path, name, make(), today=TODAY.replace(day=22))
    assert not re.search(r"\d日前", t), t
    assert "届满" in t or "（含当日）" in t


def test_roster_says_who_chooses_the_mediator_by_organisation_kind(tmp_path):
    mediators = [{"name": "赵调解", "certificate_no": "ZJ-1", "employment": "full_time", "active": True}]
    out = tmp_path / "r.pdf"
    render_roster(org(kind="township"), mediators, out, today=TODAY)
    t = flat(pdftext(out))
    assert "调解员由本中心指派" in t and "选择调解员" not in t
    render_roster(org(kind="people_mediation"), mediators, out, today=TODAY)
    t = flat(pdftext(out))
    assert "当事人可以在调解员名册中选择调解员" in t


def test_respondent_notice_asks_consent_before_acceptance(tmp_path):
    t = text_of(tmp_path, "respondent-notice", registered_case())
    assert "受理" not in t.split("调解通知书")[1].split("受理后")[0]
    assert "告知本中心是否同意调解" in t and "三日内" not in t
    assert "二〇二六年十月二十五日" in t  # a registered case: issued today
    t = text_of(tmp_path, "respondent-notice", registered_case(), org(respondent_reply_days=5))
    assert "请你（单位）自收到本通知之日起五日内告知本中心是否同意调解" in t
    # printed later for the dossier: dated the day the application came in, never the acceptance day
    t = text_of(tmp_path, "respondent-notice", failed_case())
    assert "二〇二六年九月二十九日" in t or "已于" not in t


def test_extension_is_its_own_record_per_extension(tmp_path):
    case = mediating_extended_case()
    case["extensions"].append({"agreed_at": "2026-11-01", "until": "2026-11-10", "reason": "等待社保核算"})
    case["mediation_deadline"] = "2026-11-10"
    out = tmp_path / "e.pdf"
    r = render_document("extension-record", case, org(), out, today=TODAY.replace(month=11, day=2))
    t = flat(pdftext(out))
    assert r.pages == 2 and t.count("延长调解期限确认书") == 2
    assert "调解期限至2026年10月26日届满。因双方需核对工资台账" in t
    assert "调解期限至2026年11月3日届满。因等待社保核算" in t and "延长至2026年11月10日届满" in t


# ---------------------------------------------------------------- issue 14 item 4: collective agreements

def _collective(n=12, *, per_worker=True, reps=(0, 1, 2)):
    from tests.test_documents import collective_case

    case = collective_case(n)
    for i in reps:
        case["workers"][i]["representative"] = True
    if per_worker:
        case["agreement"]["items"] = [
            {"category": "wage_arrears", "text": "向申请人支付2026年8月至9月工资", "amount": f"{5000 + 100 * i}.00",
             "due_date": "2026-11-15", "worker": i} for i in range(n)
        ] + [{"category": "other", "text": "为申请人出具工资清单", "due_date": "2026-10-31"}]
    return case


def test_collective_agreement_names_each_workers_money_in_a_schedule(tmp_path):
    case = _collective()
    out = tmp_path / "c.pdf"
    r = render_document("agreement", case, org(), out, today=TODAY)
    pages = pdftext(out).split("\f")
    text = flat("".join(pages))
    assert "附表：申请人个人款项明细表" in text
    for i, w in enumerate(case["workers"]):
        amount = f"{5000 + 100 * i:,}.00"
        assert re.search(re.escape(w["name"]) + r".{0,40}" + re.escape(amount), text), (w["name"], amount)
    assert "合计人民币" in text and "分别向附表所列各申请人支付" in text
    assert "该申请人可以就本人款项依法申请仲裁，也可以持本协议书依法向人民法院申请支付令" in text
    # the representatives sign the agreement for the group, every worker signs his own row
    assert all(f"代表人{w['name']}（签名捺印）" in text for w in case["workers"][:3]) and "代表人由全体申请人推举" in text
    assert "本人签名（捺印）" in text
    # no signature page without body text: every page before the schedule has running text
    schedule_page = next(i for i, p in enumerate(pages) if "附表" in flat(p))
    for p in pages[:schedule_page]:
        assert "。" in p, p[:80]
    assert r.pages == len([p for p in pages if p.strip()])


def test_collective_without_representatives_every_worker_signs_the_schedule(tmp_path):
    case = _collective(reps=())
    out = tmp_path / "c.pdf"
    render_document("agreement", case, org(), out, today=TODAY)
    text = flat(pdftext(out))
    assert "申请人（在附表中逐一签名）" in text and "申请人代表人" not in text


def test_collective_lump_sum_gets_a_schedule_to_fill_and_a_single_case_none(tmp_path):
    case = _collective(per_worker=False)
    out = tmp_path / "c.pdf"
    render_document("agreement", case, org(), out, today=TODAY)
    text = flat(pdftext(out))
    assert "附表：申请人个人款项明细表" in text and "金额为空的，由调解员会同双方当事人当场填写" in text
    out2 = tmp_path / "s.pdf"
    render_document("agreement", agreed_case(), org(), out2, today=TODAY)
    assert "附表" not in flat(pdftext(out2))
