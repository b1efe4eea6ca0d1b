"""Standard documents as PDF (issue 4): real PDFs written and read back with poppler, pypdf and pdfplumber.

No mocks: every test renders with the bundled fonts (MEDIATION_DESK_FONTS=bundled keeps the output independent
of the fonts installed on the machine) and reads the file back.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

os.environ["MEDIATION_DESK_FONTS"] = "bundled"

from desktop.documents import (  # noqa: E402
    DOCUMENT_NAMES, DocumentError, DocumentRefused, TemplateError, dossier_documents, load_all, load_template,
    render_document, render_dossier, render_roster, write_roster_xlsx,
)
from desktop.documents import allowed, allowed_kinds, case_state, state_label  # noqa: E402
from desktop.documents.fields import COLLECTIONS, FIELDS, build_context  # noqa: E402
from desktop.documents.templates import get_common  # noqa: E402
from desktop.validate import id_check_char  # noqa: E402

FIX = Path(__file__).parent / "fixtures" / "documents"
TODAY = dt.date(2026, 10, 25)
MM = 72 / 25.4
BLOCK = (28 * MM, 37 * MM, (28 + 156) * MM, (37 + 225) * MM)  # x0, top, x1, bottom (pdfplumber: from the top)

# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


def needs_poppler(test):
    """poppler-utils is a declared dependency of the test command (installer/debian-packages.txt): fail, never skip."""
    def wrapper(*args, **kwargs):
        assert shutil.which("pdftotext") and shutil.which("pdffonts"), "poppler-utils (pdftotext, pdffonts) missing"
        return test(*args, **kwargs)
    import functools
    return functools.wraps(test)(wrapper)


# ---------------------------------------------------------------- case data

def load_json(name):
    return json.loads((FIX / name).read_text(encoding="utf-8"))


def org(**kw):
    o = load_json("org.json")
    o.update(kw)
    return o


def id_number(seq: int, *, birth="19900101", region="330481", male=True) -> str:
    order = f"{seq % 100:02d}{(1 if male else 2) + 2 * (seq % 4)}"
    first17 = region + birth + order
    return first17 + id_check_char(first17)


def agreed_case() -> dict:
    return load_json("agreed.json")


def registered_case() -> dict:
    c = agreed_case()
    for k in ("acceptance", "outcome", "agreement", "performance", "followups", "sessions", "mediation_deadline",
              "review_deadline"):
        c.pop(k, None)
    c["case_no"] = "〔2026〕海宁某镇劳调字第0020号"
    c["status"] = "registered"
    c["mediators"] = []
    return c


def declined_case() -> dict:
    c = registered_case()
    c["case_no"] = "〔2026〕海宁某镇劳调字第0021号"
    c["status"] = "declined"
    c["acceptance"] = {"decision": "declined", "decided_at": "2026-09-30", "reason": "被申请人明确表示不同意调解",
                       "reason_code": "respondent_refused"}
    c["outcome"] = None
    return c


def mediating_extended_case() -> dict:
    c = agreed_case()
    for k in ("outcome", "agreement", "performance", "followups", "review_deadline"):
        c.pop(k, None)
    c["case_no"] = "〔2026〕海宁某镇劳调字第0022号"
    c["status"] = "mediating"
    c["extensions"] = [{"agreed_at": "2026-10-20", "until": "2026-11-03", "reason": "双方需核对工资台账"}]
    c["mediation_deadline"] = "2026-11-03"
    return c


def failed_case() -> dict:
    c = mediating_extended_case()
    c["case_no"] = "〔2026〕海宁某镇劳调字第0023号"
    c["status"] = "closed"
    c["extensions"] = []
    c["mediation_deadline"] = "2026-10-26"
    c["outcome"] = {"kind": "failed", "closed_at": "2026-10-24", "reason": "双方对经济补偿金额分歧较大"}
    return c


def withdrawn_case() -> dict:
    c = failed_case()
    c["case_no"] = "〔2026〕海宁某镇劳调字第0024号"
    c["outcome"] = {"kind": "withdrawn", "closed_at": "2026-10-15", "reason": None}
    return c


def collective_case(n: int = 12) -> dict:
    c = agreed_case()
    c["case_no"] = "〔2026〕海宁某镇劳调字第0025号"
    surnames = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨"
    c["workers"] = [{"name": f"{surnames[i]}工{i + 1}", "id_number": id_number(i + 1), "phone": f"1380000{i:04d}",
                     "address": f"浙江省海宁市某镇宿舍{i + 1}号", "migrant": True, "platform": False}
                    for i in range(n)]
    c["agents"] = []
    c["worker_count"] = n
    c["collective"] = True
    return c


def rare_case() -> dict:
    c = agreed_case()
    c["case_no"] = "〔2026〕海宁某镇劳调字第0026号"
    c["workers"][0]["name"] = "王𠮷䶮"
    c["workers"].append({"name": "李堃喆赟", "id_number": id_number(7), "migrant": False, "platform": False})
    c["agents"] = [{"for": "worker:0", "name": "王大明", "authority": "special"}]
    c["worker_count"] = 2
    return c


STATES = {
    "registered": registered_case,
    "declined": declined_case,
    "mediating_extended": mediating_extended_case,
    "agreed": agreed_case,
    "failed": failed_case,
    "withdrawn": withdrawn_case,
    "collective": collective_case,
    "rare": rare_case,
}


# ---------------------------------------------------------------- reading PDFs back

def pdftext(path: Path, *, layout=False) -> str:
    args = ["pdftotext", "-enc", "UTF-8"] + (["-layout"] if layout else []) + [str(path), "-"]
    return subprocess.run(args, capture_output=True, check=True).stdout.decode("utf-8")


def flat(text: str) -> str:
    """Extracted text without line breaks and spaces (a phrase may wrap anywhere)."""
    return re.sub(r"[\s\u3000]+", "", text)


def pdffonts(path: Path) -> list[list[str]]:
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout.splitlines()
    return [line.split() for line in out[2:] if line.strip()]


def assert_fonts_embedded(path: Path):
    rows = pdffonts(path)
    assert rows, f"{path.name}: no fonts"
    for row in rows:
        # name type encoding emb sub uni object ID
        emb, sub = row[-5], row[-4]
        assert emb == "yes" and sub == "yes", f"{path.name}: font not embedded as a subset: {row}"


def page_sizes(path: Path):
    from pypdf import PdfReader

    return [(float(p.mediabox.width), float(p.mediabox.height)) for p in PdfReader(str(path)).pages]


DECORATION = re.compile(r"^(—\d+—|第\d+页共\d+页|演示数据不具法律效力|当事人（签名或捺印）：调解员：记录人：)+$")


def assert_inside_text_block(path: Path):
    """Every character lies inside the GB/T 9704 text block, except page numbers, footers and the demo mark."""
    import pdfplumber

    with pdfplumber.open(str(path)) as pdf:
        for pno, page in enumerate(pdf.pages, start=1):
            if page.width > page.height:  # landscape tables use 25 mm margins
                x0, top, x1, bottom = 25 * MM, 25 * MM, page.width - 25 * MM, page.height - 25 * MM
            else:
                x0, top, x1, bottom = BLOCK
            outside = []
            for ch in page.chars:
                if ch["text"].isspace():
                    continue
                inside = (ch["x0"] >= x0 - 0.5 and ch["x1"] <= x1 + 0.5 and ch["top"] >= top - 0.5
                          and ch["bottom"] <= bottom + 0.5)
                if not inside:
                    outside.append(ch)
            for ch in outside:
                assert ch["top"] >= bottom - 0.5 or ch["bottom"] <= top + 0.5, (
                    f"{path.name} p{pno}: 「{ch['text']}」 outside the block at the side (x0={ch['x0']:.1f}, x1={ch['x1']:.1f})")
            text = "".join(ch["text"] for ch in sorted(outside, key=lambda c: (round(c["top"]), c["x0"])))
            text = re.sub(r"[\s\u3000]+", "", text)
            if text:
                assert DECORATION.match(text), f"{path.name} p{pno}: text outside the block: {text!r}"


# ---------------------------------------------------------------- templates

def test_every_template_loads_and_validates():
    templates = load_all()
    assert set(DOCUMENT_NAMES) <= set(templates)
    assert len(DOCUMENT_NAMES) == 22
    for name, tpl in templates.items():
        assert tpl.name == name
        assert tpl.kind in ("narrative", "form", "record")
    get_common()


def _write(tmp_path, text, name="bad.toml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_unknown_field_fails_naming_template_and_field(tmp_path):
    p = _write(tmp_path, 'name = "bad"\ntitle = "X"\nkind = "narrative"\n[[blocks]]\ntype = "para"\n'
                         'text = "申请人{applicant_nmes}于{received_date}申请"\n')
    with pytest.raises(TemplateError) as exc:
        load_template(p)
    assert "bad.toml" in str(exc.value) and "applicant_nmes" in str(exc.value)


def test_unknown_block_type_key_filter_and_collection_fail(tmp_path):
    cases = {
        'type = "poem"\ntext = "x"': "poem",
        'type = "para"\ntext = "x"\ncolour = "red"': "colour",
        'type = "para"\ntext = "{received_date|roman}"': "roman",
        'type = "para"\ntext = "{case_no|figure}"': "figure",
        'type = "list"\neach = "ghosts"\ncolumns = [{ head = "a", text = "{no}" }]': "ghosts",
        'type = "list"\neach = "claims"\ncolumns = [{ head = "a", text = "{due_date}" }]': "due_date",
        'type = "para"\ntext = "[[{facts}"': "[[",
        'type = "para"\nwhen = "nonsense"\ntext = "x"': "nonsense",
    }
    for i, (block, needle) in enumerate(cases.items()):
        p = _write(tmp_path, f'name = "b{i}"\ntitle = "X"\nkind = "form"\n[[blocks]]\n{block}\n', f"b{i}.toml")
        with pytest.raises(TemplateError) as exc:
            load_template(p)
        assert f"b{i}.toml" in str(exc.value) and needle in str(exc.value), str(exc.value)


def test_context_matches_the_schema():
    common = get_common()
    for make in STATES.values():
        ctx = build_context(make(), org(), today=TODAY, common=common, mediators=[{"name": "甲", "employment": "full_time"}])
        keys = {k for k in ctx if not k.startswith("_")}
        assert keys == set(FIELDS) | set(COLLECTIONS)
        for coll, schema in COLLECTIONS.items():
            for item in ctx[coll]:
                assert {k for k in item if not k.startswith("_")} == set(schema), coll


def test_missing_optional_fields_print_blanks_not_errors(tmp_path):
    """A bare record (no ID numbers, addresses, mediators) still prints every document its state allows, with blanks
    to fill: as registered, as accepted (no date, no mediators), as closed without an agreement's details."""
    bare = {"case_no": "〔2026〕某镇劳调字第0099号", "application": {"mode": "written", "received_at": "2026-09-29T10:00:00+08:00"},
            "workers": [{"name": "张三"}], "employer": {"name": "某公司"}, "dispute_types": ["PAY"]}
    accepted = dict(bare, acceptance={"decision": "accepted"})
    agreed = dict(accepted, outcome={"kind": "agreed"})
    failed = dict(accepted, outcome={"kind": "failed"})
    printed = set()
    for case in (bare, accepted, agreed, failed):
        for name in allowed_kinds(case):
            if name == "review-application":
                continue
            r = render_document(name, case, {"name": "某镇劳动人事争议调解中心"}, tmp_path / f"{name}.pdf", today=TODAY)
            assert r.pages >= 1
            printed.add(name)
    assert printed >= set(DOCUMENT_NAMES) - {"roster", "review-application", "decline-notice"}


# ---------------------------------------------------------------- every document, every state

@needs_poppler
@pytest.mark.parametrize("state", list(STATES))
def test_every_document_in_every_state(tmp_path, state):
    case = STATES[state]()
    o = org()
    for name in DOCUMENT_NAMES:
        out = tmp_path / f"{name}.pdf"
        if name != "roster" and not allowed(name, case)[0]:
            with pytest.raises(DocumentRefused, match=state_label(case_state(case))):
                render_document(name, case, o, out, today=TODAY)
            assert not out.exists()
            continue
        if name == "review-application" and state != "agreed" and state not in ("collective", "rare"):
            with pytest.raises(DocumentRefused):
                render_document(name, case, o, out, today=TODAY)
            continue
        mediators = [{"name": "赵调解", "certificate_no": "ZJ-2024-001", "employment": "full_time"}] if name == "roster" else None
        r = render_document(name, case, o, out, today=TODAY, mediators=mediators)
        assert out.exists() and r.pages == len(page_sizes(out))
        for w, h in page_sizes(out):
            assert (round(w, 1), round(h, 1)) == (595.3, 841.9), f"{name}: not A4"
        assert_fonts_embedded(out)
        text = flat(pdftext(out))
        if name != "roster":
            assert o["name"] in text, f"{name}: organisation missing"
        if name not in ("roster", "application", "review-application"):
            assert case["case_no"] in text, f"{name}: case number missing"
        if name in ("agreement", "application", "oral-record", "review-application", "acceptance-notice",
                    "failure-notice", "decline-notice", "extension-record", "rights-notice", "registration"):
            assert case["workers"][0]["name"] in text or (len(case["workers"]) > 3 and "等" in text), name
            assert case["employer"]["name"] in text, f"{name}: employer missing"
        assert_inside_text_block(out)


@needs_poppler
def test_agreement_content(tmp_path):
    case = agreed_case()
    out = tmp_path / "agreement.pdf"
    render_document("agreement", case, org(), out, today=TODAY)
    text = flat(pdftext(out))
    # parties with details from the ID number, figures beside capitals, numbered items
    assert "申请人：王小明，男，汉族，1990年1月1日出生，公民身份号码330481199001011234" in text
    assert "委托代理人：王大明，申请人之兄（特别授权）" in text
    assert "被申请人：海宁某某纺织有限公司，统一社会信用代码91330481MA2XXXXXXX" in text
    assert "法定代表人（主要负责人）：李四，总经理" in text
    assert "人民币壹万贰仟元整（￥12,000.00）" in text
    assert "人民币伍仟元整（￥5,000.00）" in text
    assert "一、被申请人向申请人支付2026年8月至9月工资，金额人民币壹万贰仟元整（￥12,000.00），履行期限截至2026年11月15日（含当日）" in text
    assert "履行期限截至2026年11月30日（含当日）" in text
    assert "三、被申请人为申请人出具解除劳动合同证明" in text and "履行期限截至2026年10月31日（含当日）" in text
    # waiver clause (once), payment-order sentence with the eligible items, 15-day review with the commission
    assert "四、申请人放弃加班工资的请求。本协议履行完毕后，双方当事人就本争议所涉事项再无其他争议" in text
    assert text.count("再无其他") == 1 and "日前" not in text
    assert "就第一、二项，用人单位逾期不履行的，劳动者也可以持本协议书依法向人民法院申请支付令" in text
    assert "六、双方当事人可以自本协议生效之日起十五日内（即至2026年11月5日届满）共同向海宁市劳动人事争议仲裁委员会申请仲裁审查" in text
    # copies = parties + 1, signature date in Chinese numerals, seal area
    assert "一式三份" in text
    assert "二〇二六年十月二十一日" in text
    assert "（印章）" in text


@needs_poppler
def test_agreement_without_payment_order_items_and_for_lr(tmp_path):
    case = agreed_case()
    case["dispute_types"] = ["LR"]
    case["agreement"]["items"] = [{"category": "other", "text": "确认双方自2024年3月1日起存在劳动关系", "due_date": "2026-10-21"}]
    out = tmp_path / "a.pdf"
    render_document("agreement", case, org(), out, today=TODAY)
    text = flat(pdftext(out))
    assert "支付令" not in text
    assert "一方当事人逾期未履行本协议的，另一方当事人可以依法申请仲裁。" in text
    assert "仲裁审查" not in text  # not available for confirmation of a labour relationship


@needs_poppler
def test_collective_agreement_copies_and_every_worker(tmp_path):
    case = collective_case(12)
    out = tmp_path / "a.pdf"
    render_document("agreement", case, org(), out, today=TODAY)
    text = flat(pdftext(out))
    for w in case["workers"]:
        assert w["name"] in text and w["id_number"] in text
    assert "一式十四份" in text  # 12 workers + the employer + the organisation


CAPITALS = [
    ("0.05", "伍分", "￥0.05"),
    ("0.50", "伍角", "￥0.50"),
    ("10.00", "壹拾元整", "￥10.00"),
    ("100.00", "壹佰元整", "￥100.00"),
    ("1005.00", "壹仟零伍元整", "￥1,005.00"),
    ("10000.00", "壹万元整", "￥10,000.00"),
    ("100010.50", "壹拾万零壹拾元伍角", "￥100,010.50"),
    ("1000000.00", "壹佰万元整", "￥1,000,000.00"),
    ("12345.67", "壹万贰仟叁佰肆拾伍元陆角柒分", "￥12,345.67"),
]


@needs_poppler
def test_capital_amounts_in_the_rendered_agreement(tmp_path):
    case = agreed_case()
    case["agreement"]["items"] = [
        {"category": "wage_arrears", "text": f"支付第{i + 1}笔款项", "amount": amount, "due_date": "2026-11-15",
         "method": "银行转账"} for i, (amount, _, _) in enumerate(CAPITALS)]
    out = tmp_path / "caps.pdf"
    render_document("agreement", case, org(), out, today=TODAY)
    text = flat(pdftext(out))
    for i, (amount, capitals, figure) in enumerate(CAPITALS):
        assert f"支付第{i + 1}笔款项，金额人民币{capitals}（{figure}）" in text, amount


@needs_poppler
def test_failure_notice_guidance(tmp_path):
    case = failed_case()
    out = tmp_path / "f.pdf"
    render_document("failure-notice", case, org(), out, today=TODAY)
    text = flat(pdftext(out))
    o = org()
    assert "因双方对经济补偿金额分歧较大，本中心于2026年10月24日终止调解" in text
    assert "2026年9月29日收到调解申请" in text and "2026年10月9日受理" in text
    assert o["arbitration"]["name"] in text and o["arbitration"]["address"] in text and o["arbitration"]["phone"] in text
    assert "劳动合同履行地或者用人单位所在地" in text  # jurisdiction
    assert "时效期间为一年" in text and "从2026年10月24日终止调解之日起重新计算" in text
    assert "劳动关系存续期间因拖欠劳动报酬发生争议的，不受一年时效期间的限制" in text
    assert "仲裁不收费" in text and "身份证件" in text
    assert "支付令" in text  # pay dispute: the payment-order route
    assert "劳动保障监察机构投诉" in text
    assert "二〇二六年十月二十四日" in text


@needs_poppler
def test_decline_notice_reason_and_guidance(tmp_path):
    out = tmp_path / "d.pdf"
    render_document("decline-notice", declined_case(), org(), out, today=TODAY)
    text = flat(pdftext(out))
    assert "因被申请人明确表示不同意调解，本中心决定不予受理" in text
    assert "海宁市劳动人事争议仲裁委员会" in text and "重新计算" in text and "二〇二六年九月三十日" in text


@needs_poppler
def test_extension_record_and_provisional_mark(tmp_path):
    case = mediating_extended_case()
    case["provisional"] = True
    out = tmp_path / "e.pdf"
    render_document("extension-record", case, org(), out, today=TODAY)
    text = flat(pdftext(out))
    assert "调解期限至2026年10月26日届满。因双方需核对工资台账，经双方当事人协商一致，于2026年10月20日同意将本案调解期限延长至2026年11月3日届满" in text
    assert "二〇二六年十月二十日" in text  # dated the day the parties agreed
    # issue 14 item 2: the acceptance notice says what was true on the day of issue, not the later extension
    out2 = tmp_path / "n.pdf"
    render_document("acceptance-notice", case, org(), out2, today=TODAY)
    t2 = flat(pdftext(out2))
    assert "即至2026年10月26日届满" in t2 and "2026年11月3日" not in t2
    render_document("rights-notice", case, org(), out2, today=TODAY)
    t2 = flat(pdftext(out2))
    assert "本案至2026年10月26日届满" in t2 and "2026年11月3日" not in t2
    plain_case = failed_case()
    plain_case["provisional"] = True
    render_document("acceptance-notice", plain_case, org(), out2, today=TODAY)
    assert "2026年10月26日（暂定）" in flat(pdftext(out2))
    plain_case["provisional"] = False
    render_document("acceptance-notice", plain_case, org(), out2, today=TODAY)
    assert "暂定" not in flat(pdftext(out2))


@needs_poppler
def test_rare_characters_survive_the_round_trip(tmp_path):
    from pypdf import PdfReader

    case = rare_case()
    out = tmp_path / "rare.pdf"
    render_document("agreement", case, org(), out, today=TODAY)
    text = flat(pdftext(out))
    for name in ("王𠮷䶮", "李堃喆赟"):
        assert name in text
    assert "王𠮷䶮" in flat("".join(p.extract_text() for p in PdfReader(str(out)).pages))
    names = " ".join(r[0] for r in pdffonts(out))
    assert "HanaMin" in names or "WenKai" in names
    assert_fonts_embedded(out)


def test_a_character_no_font_has_is_refused(tmp_path):
    case = agreed_case()
    case["workers"][0]["name"] = "王\U00031350"  # CJK Extension G: in none of the bundled fonts
    with pytest.raises(DocumentError) as exc:
        render_document("agreement", case, org(), tmp_path / "x.pdf", today=TODAY)
    assert "U+31350" in str(exc.value) and "\U00031350" in str(exc.value)
    assert not (tmp_path / "x.pdf").exists()


@needs_poppler
def test_demo_mark_on_every_page(tmp_path):
    out = tmp_path / "demo.pdf"
    r = render_dossier(agreed_case(), org(demo=True), out, today=TODAY)
    pages = pdftext(out).split("\f")
    assert r.pages > 10
    for i in range(r.pages):
        assert "演示数据" in pages[i], f"page {i + 1}"
    out2 = tmp_path / "real.pdf"
    render_document("agreement", agreed_case(), org(demo=False), out2, today=TODAY)
    assert "演示数据" not in pdftext(out2)


@needs_poppler
def test_session_record_numbers_and_signature_line_on_every_page(tmp_path):
    case = agreed_case()
    long_record = "\n".join(f"调解员：第{i}个问题，请申请人说明当时的工作时间、工资发放方式和离职经过。\n申请人：我每天工作十小时，工资每月十五日发放。"
                            for i in range(1, 25))
    case["sessions"].append({"held_at": "2026-10-16T09:00:00+08:00", "place": "调解室", "attendees": "双方当事人",
                             "record": long_record})
    out = tmp_path / "s.pdf"
    r = render_document("session-record", case, org(), out, today=TODAY)
    pages = [flat(p) for p in pdftext(out).split("\f") if p.strip()]
    assert len(pages) == r.pages >= 3
    first_unit = pages[0]
    m = re.search(r"第1页共(\d+)页", first_unit)
    assert m, "page numbering of the first record"
    for p in pages:
        assert re.search(r"第\d+页共\d+页", p)
        assert "当事人（签名或捺印）：" in p
    # the second session's numbering restarts: one record, one count
    assert sum(1 for p in pages if "第1页共" in p) == 2
    assert_inside_text_block(out)


@needs_poppler
def test_narrative_page_numbers_odd_right_even_left(tmp_path):
    import pdfplumber

    out = tmp_path / "a.pdf"
    render_document("agreement", collective_case(12), org(), out, today=TODAY)
    with pdfplumber.open(str(out)) as pdf:
        assert len(pdf.pages) >= 3
        for n, page in enumerate(pdf.pages, start=1):
            words = [w for w in page.extract_words() if w["top"] > BLOCK[3]]
            number = [w for w in words if w["text"].strip("—") == str(n)] or \
                     [w for w in words if str(n) in w["text"]]
            assert number, f"page {n}: no page number"
            x_mid = (number[0]["x0"] + number[0]["x1"]) / 2
            if n % 2:
                assert x_mid > page.width / 2
            else:
                assert x_mid < page.width / 2


def test_review_application_refused_after_window_and_for_lr(tmp_path):
    case = agreed_case()  # effective 2026-10-21, review deadline 2026-11-05
    render_document("review-application", case, org(), tmp_path / "ok.pdf", today=dt.date(2026, 11, 5))
    with pytest.raises(DocumentRefused) as exc:
        render_document("review-application", case, org(), tmp_path / "late.pdf", today=dt.date(2026, 11, 6))
    assert "期限" in str(exc.value) and "2026年11月5日" in str(exc.value)
    assert not (tmp_path / "late.pdf").exists()
    lr = agreed_case()
    lr["dispute_types"] = ["LR", "PAY"]
    with pytest.raises(DocumentRefused) as exc:
        render_document("review-application", lr, org(), tmp_path / "lr.pdf", today=TODAY)
    assert "确认劳动关系" in str(exc.value)
    with pytest.raises(DocumentRefused):
        render_document("review-application", failed_case(), org(), tmp_path / "f.pdf", today=TODAY)


@needs_poppler
def test_review_application_names_both_parties_and_the_agreement(tmp_path):
    out = tmp_path / "r.pdf"
    render_document("review-application", agreed_case(), org(), out, today=TODAY)
    text = flat(pdftext(out))
    assert "申请人：王小明" in text and "申请人：海宁某某纺织有限公司" in text
    assert "〔2026〕海宁某镇劳调字第0012号" in text and "2026年10月21日" in text
    assert "海宁市劳动人事争议仲裁委员会" in text


# ---------------------------------------------------------------- line breaking (禁则)

CLOSING = set("，。、；：？！）」』》〕")
OPENING = set("（「『《〔")


def test_line_breaking_rules_unit():
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from desktop.documents.fonts import fontset
    from desktop.documents.layout import Span, style_chars
    from desktop.documents.linebreak import break_lines

    fs = fontset()
    size = 16.0
    width = 10 * size  # ten characters per line
    # a naive greedy breaker would start line 2 with 「，」 and end line 3 with 「（」
    text = "一二三四五六七八九十，甲乙丙丁戊己庚辛（壬癸）子丑寅卯辰巳午未申酉戌亥「天地」。"
    chars = style_chars([Span(text, "fangsong", size)], fs)
    naive = []
    line = ""
    for ch in text:
        if stringWidth(line + ch, chars[0].font, size) > width + 1e-6:
            naive.append(line)
            line = ""
        line += ch
    naive.append(line)
    assert any(l[0] in CLOSING for l in naive[1:]) and any(l[-1] in OPENING for l in naive), naive
    lines = [l.text for l in break_lines(chars, width)]
    assert "".join(lines) == text
    for l in lines[1:]:
        assert l[0] not in CLOSING, lines
    for l in lines:
        assert l[-1] not in OPENING, lines
        assert sum(stringWidth(c, chars[0].font, size) for c in l) <= width + 1e-6 or len(l) <= 2


def test_numbers_and_dashes_stay_whole():
    from desktop.documents.fonts import fontset
    from desktop.documents.layout import Span, style_chars
    from desktop.documents.linebreak import break_lines

    fs = fontset()
    text = "公民身份号码330481199001011234，电话0573-8700000，金额（￥12,345.67）——见附件……完"
    for width in range(60, 300, 7):
        broken = break_lines(style_chars([Span(text, "fangsong", 12)], fs), float(width))
        lines = [l.text for l in broken]
        for l in broken:
            assert l.natural <= width + 1e-6, (width, l.text)
        # a token, with the marks glued to it, that fits on one line must not be split
        for token, glued in (("330481199001011234", "330481199001011234，"), ("0573-8700000", "0573-8700000，"),
                             ("12,345.67", "（￥12,345.67）——"), ("——", "——"), ("……", "……完")):
            if 12 * len(glued) < width:
                assert any(token in l for l in lines), (width, token, lines)
        for l in lines[1:]:
            assert l[0] not in CLOSING and not l.startswith("—") and not l.startswith("…"), (width, lines)
        for l in lines:
            assert l[-1] not in OPENING and not l.endswith("￥"), (width, lines)


@needs_poppler
def test_no_rendered_line_breaks_the_rules(tmp_path):
    """In rendered documents no line starts with closing or ends with opening punctuation."""
    import pdfplumber

    case = agreed_case()
    case["facts"] = ("申请人于二〇二四年三月入职被申请人处，从事挡车工工作，月工资六千元（含加班费），"
                     "双方签订了劳动合同（期限三年）。" * 6)
    for name in ("agreement", "failure-notice", "rights-notice", "acceptance-notice"):
        out = tmp_path / f"{name}.pdf"
        render_document(name, case if name != "failure-notice" else failed_case(), org(), out, today=TODAY)
        with pdfplumber.open(str(out)) as pdf:
            for page in pdf.pages:
                for line in (page.extract_text() or "").splitlines():
                    s = line.strip()
                    if not s:
                        continue
                    assert s[0] not in CLOSING, f"{name}: line starts with 「{s[0]}」: {s}"
                    assert s[-1] not in OPENING, f"{name}: line ends with 「{s[-1]}」: {s}"


# ---------------------------------------------------------------- dossier and roster

@needs_poppler
def test_dossier_in_archive_order_with_index_page_numbers(tmp_path):
    case = agreed_case()
    out = tmp_path / "dossier.pdf"
    r = render_dossier(case, org(), out, today=TODAY)
    names = [d["name"] for d in r.documents]
    assert names[:2] == ["dossier-cover", "dossier-index"]
    # issue 14 item 9: the 备考表 closes the dossier, after every document
    assert names[-1] == "dossier-note" and "立卷人" in flat(pdftext(out).split("\f")[r.pages - 1])
    assert "立卷人" not in flat(pdftext(out).split("\f")[r.documents[1]["first_page"] - 1])
    names = names[:-1]
    expected = dossier_documents(case, org(), today=TODAY)
    assert [n for n in dict.fromkeys(names)] == expected
    assert "decline-notice" not in names and "failure-notice" not in names and "agreement" in names
    order = get_common()["dossier"]["order"]
    assert [order.index(n) for n in names] == sorted(order.index(n) for n in names)
    pages = pdftext(out).split("\f")
    assert len(page_sizes(out)) == r.pages
    index_pages = r.documents[1]["pages"]
    lead = 1 + index_pages
    index_rows = [re.sub(r"[\s\u3000]+", " ", line).strip()
                  for page in pdftext(out, layout=True).split("\f")[1:lead] for line in page.splitlines()]
    for k, d in enumerate(r.documents[2:-1], start=1):
        first = d["first_page"]
        assert flat(pages[first - 1]).find(flat(d["title"])) >= 0, (d, flat(pages[first - 1])[:60])
        n = first - lead
        rng = f"{n}" if d["pages"] == 1 else f"{n}–{n + d['pages'] - 1}"
        row = f"{k} {d['title']} {rng}"
        assert any(line.startswith(row) for line in index_rows), (row, index_rows)
    cover = flat(pages[0])
    assert f"本卷共{r.pages - lead - r.documents[-1]['pages']}页" in cover and "调解成功" in cover and "5年" in cover
    assert_fonts_embedded(out)


def test_dossier_for_each_state_lists_what_the_state_allows():
    o = org()
    assert "decline-notice" in dossier_documents(declined_case(), o)
    assert "acceptance-notice" not in dossier_documents(declined_case(), o)
    assert "failure-notice" in dossier_documents(failed_case(), o)
    assert "agreement" not in dossier_documents(failed_case(), o)
    assert "extension-record" in dossier_documents(mediating_extended_case(), o)
    # a withdrawal ends mediation too: the parties are told in writing, and the record is signed
    assert {"failure-notice", "termination-record"} <= set(dossier_documents(withdrawn_case(), o))
    assert "nonperformance-record" not in dossier_documents(agreed_case(), o)
    oral = agreed_case()
    oral["application"]["mode"] = "oral"
    docs = dossier_documents(oral, o)
    assert "oral-record" in docs and "application" not in docs


MEDIATORS = [
    {"name": "赵调解", "sex": "male", "id_number": "330481198001011238", "phone": "13900001111",
     "certificate_no": "ZJ-HN-2024-001", "employment": "full_time", "speciality": "劳动报酬、工伤",
     "term_start": "2024-01-01", "term_end": "2026-12-31", "role": "chair", "active": True,
     "political_status": "中共党员", "education": "大学本科", "ethnicity": "汉族", "employer": "某镇人民政府", "title": "副主任",
     "training": [{"date": "2025-05-01", "title": "调解员培训", "hours": 16}]},
    {"name": "孙䶮", "sex": "female", "phone": "13900002222", "certificate_no": "ZJ-HN-2024-002",
     "employment": "part_time", "speciality": "社会保险", "active": True},
    {"name": "已停用", "employment": "part_time", "active": False},
]


@needs_poppler
def test_public_roster_hides_id_numbers_and_phones(tmp_path):
    out = tmp_path / "roster.pdf"
    render_roster(org(), MEDIATORS, out, today=TODAY)
    text = flat(pdftext(out))
    assert "赵调解" in text and "孙䶮" in text and "ZJ-HN-2024-001" in text and "专职" in text
    assert "已停用" not in text
    assert "330481198001011238" not in text and "13900001111" not in text and "13900002222" not in text
    assert "0573-87000001" in text and "0573-87000003" in text  # the organisation's phone and complaint line
    assert_fonts_embedded(out)
    assert_inside_text_block(out)


@needs_poppler
def test_jilin_tables_as_pdf_and_xlsx(tmp_path):
    from openpyxl import load_workbook

    for table in ("jilin-org", "jilin-mediators"):
        pdf = tmp_path / f"{table}.pdf"
        render_roster(org(), MEDIATORS, pdf, today=TODAY, table=table)
        w, h = page_sizes(pdf)[0]
        assert w > h  # landscape
        text = flat(pdftext(pdf))
        assert org()["name"] in text
        xlsx = tmp_path / f"{table}.xlsx"
        write_roster_xlsx(table, org(), MEDIATORS, xlsx, today=TODAY)
        ws = load_workbook(xlsx).active
        values = [[c for c in row] for row in ws.iter_rows(values_only=True)]
        flat_values = " ".join(str(v) for row in values for v in row if v is not None)
        if table == "jilin-org":
            assert "调解组织全称" in flat_values and org()["name"] in flat_values
            assert "劳动人事争议调解组织情况表" in flat_values
        else:
            assert "调解员证号" in flat_values and "孙䶮" in flat_values and "中共党员" in flat_values
            assert "已停用" not in flat_values
            assert "1次（16学时）" in flat_values


# ---------------------------------------------------------------- command line

def command_line(tmp_path, **env):
    """`python -m desktop …` in a child process, with its own data directory, the bundled fonts and `env`."""
    import sys

    e = dict(os.environ, MEDIATION_DESK_HOME=str(tmp_path / "home"), MEDIATION_DESK_FONTS="bundled", **env)
    root = Path(__file__).resolve().parents[1]

    def run(*args):
        return subprocess.run([sys.executable, "-m", "desktop", *args], capture_output=True, text=True, env=e, cwd=root)
    return run


@needs_poppler
def test_render_command_line(tmp_path):
    """`render` through the real command line on a demo database: documents, dossier, refusal with exit 1."""
    run = command_line(tmp_path)
    db = tmp_path / "demo.sqlite"
    r = run("demo", "--db", str(db), "--cases", "12", "--seed", "5")
    assert r.returncode == 0, r.stderr
    listing = run("cases", "--db", str(db), "--json")
    assert listing.returncode == 0, listing.stderr
    cases = [json.loads(line) for line in listing.stdout.splitlines()]
    agreed = next(c for c in cases if (c.get("outcome") or {}).get("kind") == "agreed")
    out = tmp_path / "agreement.pdf"
    r = run("render", "agreement", "--db", str(db), "--case", agreed["case_no"], "--out", str(out))
    assert r.returncode == 0, r.stderr
    text = flat(pdftext(out))
    assert agreed["case_no"] in text and agreed["workers"][0]["name"] in text and "演示数据" in text
    r = run("render", "dossier", "--db", str(db), "--case", agreed["case_no"], "--out", str(tmp_path / "d.pdf"))
    assert r.returncode == 0, r.stderr
    r = run("render", "roster", "--db", str(db), "--out", str(tmp_path / "roster.pdf"))
    assert r.returncode == 0, r.stderr
    # the review window of a demo agreement has passed (or the type is LR): refused, exit 1, message in Chinese
    late = next((c for c in cases if c.get("review_deadline") and c["review_deadline"] < "2026-01-01"), agreed)
    r = run("render", "review-application", "--db", str(db), "--case", late["case_no"], "--out",
            str(tmp_path / "r.pdf"), "--today", "2099-01-01")
    assert r.returncode == 1 and ("期限" in r.stderr or "确认劳动关系" in r.stderr), r.stderr
    assert not (tmp_path / "r.pdf").exists()
    r = run("render", "agreement", "--db", str(db), "--case", "〔1999〕不存在第1号", "--out", str(tmp_path / "x.pdf"))
    assert r.returncode == 2 and "找不到案件" in r.stderr


# ---------------------------------------------------------------- font resolution

@needs_poppler
def test_configured_font_path_comes_first(tmp_path):
    from desktop.documents.fonts import FONT_DIR

    font = tmp_path / "my-fangsong.ttf"
    shutil.copy(FONT_DIR / "LXGWWenKai-Bold.ttf", font)
    out = tmp_path / "a.pdf"
    render_document("agreement", agreed_case(), org(fonts={"fangsong": str(font)}), out, today=TODAY)
    names = [r[0] for r in pdffonts(out)]
    assert not any(n.endswith("+LXGWWenKai-Regular") for n in names)  # the body font was replaced
    assert_fonts_embedded(out)
    with pytest.raises(DocumentError) as exc:
        render_document("agreement", agreed_case(), org(fonts={"fangsong": str(tmp_path / "missing.ttf")}),
                        tmp_path / "b.pdf", today=TODAY)
    assert "missing.ttf" in str(exc.value)
    otf = tmp_path / "cff.otf"
    otf.write_bytes(b"OTTO" + b"\0" * 64)
    with pytest.raises(DocumentError):
        render_document("agreement", agreed_case(), org(fonts={"fangsong": str(otf)}), tmp_path / "c.pdf", today=TODAY)


def test_bundled_fonts_cover_the_documents_and_rare_names():
    from desktop.documents.fonts import BUNDLED, fontset

    for ff in BUNDLED.values():
        assert ff.path.exists() and ff.path.stat().st_size < 30 * 1024 * 1024, ff.path
    fs = fontset()
    for ch in "〇〔〕￥，。（）「」—…·堃喆赟䶮𠮷":
        assert fs.font_for("fangsong", ch)
        assert fs.font_for("song", ch)
    licences = {p.name for p in BUNDLED["uming"].path.parent.glob("LICENSE*")}
    assert {"LICENSE-ARPHIC.txt", "LICENSE-OFL-LXGWWenKai.txt", "LICENSE-Hanazono.txt"} <= licences
