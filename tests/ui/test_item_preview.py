"""Issue 14 item 3: the case window shows an agreement item as the agreement will print it (the payer once)."""

from __future__ import annotations

from desktop import cases


def test_item_preview_writes_the_payer_once(qtbot, session):
    from desktop.ui.case_window import CaseWindow

    db = session.db
    (key,) = db.conn.execute("select id from cases where deleted = 0 and status = 'mediating' limit 1").fetchone()
    win = CaseWindow(session, key)
    qtbot.addWidget(win)
    win.show()
    win.i_text.setText("被申请人支付申请人工资")  # the on-screen example
    win.i_amount.setText("10000")
    preview = win.item_preview.text()
    assert preview.startswith("协议中打印为：被申请人支付申请人工资，金额人民币壹万元整（￥10,000.00），履行期限截至")
    assert preview.count("被申请人") == 1 and preview.endswith("。") and "（含当日）" in preview
    win.i_text.setText("向申请人支付工资")
    assert "被申请人向申请人支付工资" in win.item_preview.text()
    win.i_text.setText("")
    assert win.item_preview.text() == ""
    assert cases.get_case(db, key)["status"] == "mediating"  # nothing saved by previewing
