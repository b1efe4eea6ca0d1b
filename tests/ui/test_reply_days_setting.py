"""Issue 14 item 5: the respondent notice's reply period is an organisation setting (1–30 days) set on the
settings page: a bad number is refused beside the field and nothing is saved; a good one prints on the notice."""

from __future__ import annotations

import datetime as dt
import re
import subprocess

from desktop import cases, clock, org
from tests.ui.driving import click, fill

TODAY = dt.date(2026, 11, 10)


def _page(qtbot, session):
    from desktop.ui.settings_page import SettingsPage

    page = SettingsPage(session)
    qtbot.addWidget(page)
    page.show()
    return page


def test_reply_days_set_on_the_settings_page_print_on_the_notice(qtbot, session, tmp_path, monkeypatch):
    clock.set_today(TODAY)
    page = _page(qtbot, session)
    assert page.reply_days.isVisible() and page.reply_days.text() == ""
    before = org.get_profile(session.db)
    for bad in ("45", "0", "三"):
        fill(qtbot, page.reply_days, bad)
        click(qtbot, page.save_button)
        assert page.reply_days_error.text() == "被申请人答复期限应为1至30之间的整数（天），或留空不写期限"
        assert page.reply_days_error.isVisible()
    session.ops.wait_idle()
    assert org.get_profile(session.db) == before  # nothing saved
    fill(qtbot, page.reply_days, "7")
    assert page.reply_days_error.text() == ""  # typing again clears the message
    click(qtbot, page.save_button)
    qtbot.waitUntil(lambda: org.get_profile(session.db)["respondent_reply_days"] == 7, timeout=10000)
    assert _page(qtbot, session).reply_days.text() == "7"  # shown again when the page opens

    monkeypatch.setenv("MEDIATION_DESK_FONTS", "bundled")
    from desktop.documents import render_document

    case = cases.create_case(session.db, {
        "application": {"mode": "written", "received_at": "2026-11-09T09:00:00+08:00"},
        "workers": [{"name": "郑期限", "id_number": "330481199001011236"}],
        "employer": {"name": "期限测试有限公司"}, "dispute_types": ["PAY"],
        "claims": [{"text": "支付工资", "amount": "3000.00"}]}, session.user, today=TODAY)
    out = tmp_path / "notice.pdf"
    render_document("respondent-notice", cases.get_case(session.db, case["id"]), org.get_profile(session.db), out,
                    today=TODAY)
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", "-enc", "UTF-8", str(out), "-"], capture_output=True,
                                             check=True).stdout.decode("utf-8"))
    assert "自收到本通知之日起七日内告知本中心是否同意调解" in text
    assert "三日内" not in text
