"""Issue 14 item 6: tables keep numbers whole and labels readable; no line is stretched beyond a set pitch.

Checked on the layout engine's own lines (desktop.documents.render.layout_lines) for every document of every
state, of a 26-worker collective case, of a rare-character case and of the demo station's cases; and, for the
documents the issue named, on the text pdftotext reads back.
"""

from __future__ import annotations

import os
import re

import pytest

os.environ["MEDIATION_DESK_FONTS"] = "bundled"

from desktop.documents import DOCUMENT_NAMES, allowed_kinds, render_document  # noqa: E402
from desktop.documents.linebreak import MAX_STRETCH, char_width, spacing  # noqa: E402
from desktop.documents.render import layout_lines  # noqa: E402
from tests.test_documents import TODAY, collective_case, org, pdftext, rare_case  # noqa: E402
from tests.test_documents_state import STATES, case_in  # noqa: E402
from tests.test_documents_text import DEMO_DAY, demo_docs  # noqa: E402,F401

NUMERIC = re.compile(r"[0-9A-Za-z]")
MAX_PITCH = 1.1  # of the type size: the widest a justified CJK character may be set


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


def _cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\U00020000" <= ch <= "\U0003134f"


def problems_in(entries, label: str) -> list[str]:
    out = []
    for e in entries:
        lines = [ln for ln in e["lines"] if ln.runs]
        for a, b in zip(lines, lines[1:]):
            ta, tb = a.text.rstrip(), b.text.lstrip()
            if ta and tb and NUMERIC.match(ta[-1]) and (NUMERIC.match(tb[0]) or tb[0] in ".,-:"):
                out.append(f"{label}: 数字跨行「{ta[-8:]}⏎{tb[:8]}」")
            if ta and tb and ta[-1] in ".," and NUMERIC.match(tb[0]):
                out.append(f"{label}: 数字跨行「{ta[-8:]}⏎{tb[:8]}」")
        if e["where"] == "cell":
            text = e["text"].strip("\u3000 ")
            if len(lines) > 1 and len(text) <= 8 and any(len(re.sub(r"[\W_]", "", ln.text)) == 1 for ln in lines):
                out.append(f"{label}: 标签折行「{'⏎'.join(ln.text for ln in lines)}」")
        for ln in lines:
            sp = spacing(ln, e["width"], justify=e["justify"], tracking=e["tracking"])
            for r in ln.runs:
                for ch in r.text:
                    if _cjk(ch):
                        pitch = char_width(ch, r.font, r.size) + sp.tracking + sp.extra
                        if pitch > MAX_PITCH * r.size + 1e-6:
                            out.append(f"{label}: 字距过大 {pitch / r.size:.2f}「{ln.text}」")
                        break
    return out


def test_the_stretch_limit_is_below_the_pitch_limit():
    # 16 pt on the 28-character grid (tracking −0.23 pt) plus the widest justification stays under 1.1 × size
    assert 16 + (155.7 / 25.4 * 72 / 28 - 16) + MAX_STRETCH * 16 <= MAX_PITCH * 16


CASES = {**{s: (lambda s=s: case_in(s)) for s in STATES}, "collective": lambda: collective_case(16), "rare": rare_case}


@pytest.mark.parametrize("which", list(CASES))
def test_every_document_keeps_numbers_whole_and_lines_unstretched(which):
    case = CASES[which]()
    case["employer"]["phone"] = "0573-87000000"  # the landline the issue saw cut as 0573-8⏎700000⏎0
    problems = []
    for name in allowed_kinds(case):
        problems += problems_in(layout_lines(name, case, org(), today=TODAY), f"{name}（{which}）")
    assert not problems, "\n".join(problems[:30])


def test_roster_tables_keep_numbers_whole():
    mediators = [{"name": f"调解员{i}", "certificate_no": f"ZJ-HN-2024-{i:04d}", "employment": "full_time",
                  "phone": "0573-87000000", "term_start": "2024-01-01", "term_end": "2026-12-31", "active": True}
                 for i in range(12)]
    o = org(credit_code="12330481MB1234567X", phone="0573-87000000", cases_accepted=909, cases_agreed=612)
    problems = []
    for name in ("roster", "jilin-org", "jilin-mediators"):
        problems += problems_in(layout_lines(name, {}, o, today=TODAY, mediators=mediators), name)
    assert not problems, "\n".join(problems[:30])


def test_demo_documents_keep_numbers_whole(demo_docs):  # noqa: F811
    problems = []
    for case in demo_docs["cases"]:
        for name in allowed_kinds(case):
            problems += problems_in(layout_lines(name, case, demo_docs["profile"], today=DEMO_DAY,
                                                 mediators=demo_docs["mediators"]), f"{name}（{case['case_no']}）")
    assert not problems, "\n".join(problems[:30])


def test_pdftotext_reads_money_and_phone_whole(tmp_path):
    """The follow-up record's narrow money column and the Jilin table's phone, read back from the PDF."""
    from desktop.documents import render_roster

    case = case_in("agreed")
    case["agreement"]["items"][0]["amount"] = "7804.00"
    for name in ("followup-record", "agreement", "service-proof"):
        out = tmp_path / f"{name}.pdf"
        render_document(name, case, org(), out, today=TODAY)
        text = pdftext(out)
        assert not re.search(r"[0-9][.,]?\n[0-9.,]", text), (name, text)
        if name == "followup-record":
            assert "￥7,804.00" in text
    out = tmp_path / "jilin.pdf"
    render_roster(org(phone="0573-87000000"), [], out, today=TODAY, table="jilin-org")
    text = pdftext(out)
    assert not re.search(r"[0-9]\n[0-9]", text)
    assert "0573-87000000" in text or "0573-\n87000000" in text


# ---------------------------------------------------------------- issue 14 item 7: typefaces

def test_one_song_face_without_the_pcs_fonts(tmp_path):
    """Bundled fonts only: body, titles and tables print in AR PL UMing; 楷 (WenKai) no longer mixes in."""
    import subprocess

    from desktop.documents.fonts import describe

    faces = describe()
    assert {face for _, face, _ in faces} == {"文鼎ＰＬ细上海宋（开源宋体）"}, faces
    assert [label for label, _, _ in faces][:2] == ["正文（仿宋）", "标题（小标宋）"]
    for name in ("agreement", "failure-notice", "registration"):
        out = tmp_path / f"{name}.pdf"
        render_document(name, case_in("agreed" if name != "failure-notice" else "failed"), org(), out, today=TODAY)
        fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
        assert "UMing" in fonts and "WenKai" not in fonts, fonts


def test_describe_names_a_configured_face(tmp_path):
    from desktop.documents.fonts import FONT_DIR, describe

    faces = dict((label, (face, source)) for label, face, source in describe({"fangsong": str(FONT_DIR / "LXGWWenKai-Regular.ttf")}))
    assert faces["正文（仿宋）"] == ("霞鹜文楷", "设置的字体文件") or faces["正文（仿宋）"][1] == "设置的字体文件"
    assert faces["标题（小标宋）"][0] == "文鼎ＰＬ细上海宋（开源宋体）"
