"""Issue 14 item 4 through the case window: with several workers each agreement item can be owed to one of
them (the 归属申请人 choice), the clerk types worker after worker, and the agreement's annex prints each
worker's own amount."""

from __future__ import annotations

import datetime as dt
import re
import subprocess

from PySide6.QtWidgets import QMessageBox

from desktop import cases, clock, money, org as orgm, validate
from tests.ui.driving import choose, click, click_tab, click_text, fill

TODAY = dt.date(2026, 11, 10)
NAMES = ["钱多多", "孙小雨", "李铁柱"]
AMOUNTS = ["4200", "3850.5", "5100"]


def _case(session, names) -> dict:
    workers = []
    for i, name in enumerate(names):
        first17 = f"33048119880304{i:03d}"
        workers.append({"name": name, "id_number": first17 + validate.id_check_char(first17)})
    case = cases.create_case(session.db, {
        "application": {"mode": "written", "received_at": "2026-11-02T09:00:00+08:00"},
        "workers": workers, "employer": {"name": "逐人测试制衣有限公司"}, "dispute_types": ["PAY"],
        "claims": [{"text": "支付2026年10月工资", "amount": "15000.00"}]}, session.user, today=TODAY)
    cases.accept(session.db, case["id"], "2026-11-03", session.user, mediators=[{"name": "赵建国", "role": "lead"}])
    return case


def _window(qtbot, session, case):
    from desktop.ui.case_window import CaseWindow

    win = CaseWindow(session, case["id"])
    qtbot.addWidget(win)
    win.show()
    click_tab(qtbot, win.tabs, "结案与协议")
    choose(qtbot, win.o_kind, "agreed")
    return win


def test_one_worker_no_choice(qtbot, session):
    clock.set_today(TODAY)
    win = _window(qtbot, session, _case(session, ["周单人"]))
    assert not win.i_worker.isVisible() and win.items.isColumnHidden(6)


def test_items_worker_by_worker_and_the_annex(qtbot, session, tmp_path, monkeypatch):
    clock.set_today(TODAY)
    case = _case(session, NAMES)
    win = _window(qtbot, session, case)
    assert win.i_worker.isVisible() and not win.items.isColumnHidden(6)
    assert [win.i_worker.itemText(i) for i in range(win.i_worker.count())] == ["全体申请人", *NAMES]
    choose(qtbot, win.i_cat, "wage_arrears")
    choose(qtbot, win.i_worker, text=NAMES[0])
    fill(qtbot, win.i_text, "支付2026年10月工资")
    assert "归属申请人钱多多" in win.item_preview.text()
    for i, amount in enumerate(AMOUNTS):
        assert win.i_worker.currentText() == NAMES[i]  # moved on by itself after each 加入协议
        assert win.i_text.text() == "支付2026年10月工资"  # the same text, only the amount to type
        fill(qtbot, win.i_amount, amount)
        click_text(qtbot, win.agreement_box, "加入协议")
    assert win.items.rowCount() == 3
    assert [win.items.item(r, 6).text() for r in range(3)] == NAMES
    assert win.i_text.text() == ""  # after the last worker the form is clear for the next item
    assert "壹万叁仟壹佰伍拾元伍角" in win.items_total.text()

    click(qtbot, win.close_button)
    qtbot.waitUntil(lambda: win.confirm_box is not None and win.confirm_box.isVisible(), timeout=20000)
    assert all(f"（{n}）" in win.confirm_box.text() for n in NAMES)
    click(qtbot, win.confirm_box.button(QMessageBox.Yes))
    qtbot.waitUntil(lambda: win.case["status"] == "closed", timeout=10000)
    items = cases.get_case(session.db, case["id"])["agreement"]["items"]
    assert [(it["worker"], it["amount"]) for it in items] == [(0, "4200.00"), (1, "3850.50"), (2, "5100.00")]

    monkeypatch.setenv("MEDIATION_DESK_FONTS", "bundled")
    from desktop.documents import render_document

    out = tmp_path / "agreement.pdf"
    render_document("agreement", cases.get_case(session.db, case["id"]), orgm.get_profile(session.db), out,
                    today=TODAY)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(out), "-"], capture_output=True,
                          check=True).stdout.decode("utf-8")
    annex = re.sub(r"\s+", "", text.split("附表：申请人个人款项明细表", 1)[1])
    for name, amount in zip(NAMES, ("￥4,200.00", "￥3,850.50", "￥5,100.00")):
        assert re.search(name + r"\d{17}[\dX]" + re.escape(amount), annex), (name, amount)
    assert "合计：" + money.rmb(1315050) in annex
