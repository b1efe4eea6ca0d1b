"""The downward package through the data-exchange pages: the hub clerk enters the 2027 notice
(an incomplete one is refused next to the field), writes a package; the station checks it, sees
what will change, applies it; a tampered copy is refused with nothing changed."""

from __future__ import annotations

import datetime as _dt

from desktop import clock
from desktop.sync import export as sx, hub as sh, keys as sk

from tests.downward_support import NOTICE_2027_TEXT, TITLE_2027


def test_hub_writes_the_notice_and_station_applies_it(qtbot, session, hub_session, tmp_path):
    from desktop.ui.exchange_page import ExchangePage

    clock.set_today(_dt.date(2026, 12, 30))
    st, hb = session, hub_session
    sh.enrol(hb.db, sk.station_card(st.db), hb.user)
    sx.join(st.db, sk.hub_card(hb.db), st.user)
    usb = tmp_path / "usb"
    usb.mkdir()

    hp = ExchangePage(hb)
    qtbot.addWidget(hp)
    box = hp.hub_package_box
    box.year.setValue(2027)
    box.title.setText(TITLE_2027)
    box.notice_date.setText("2026-11-10")
    box.notice_text.setPlainText(NOTICE_2027_TEXT.replace("五、端午节：6月9日（周三）放假，共1天。\n", ""))
    box.save_notice()
    assert hb.ops.wait_idle()
    assert "端午节" in box.notice_error.text() and box.years.count() == 0
    box.notice_text.setPlainText(NOTICE_2027_TEXT)
    box.save_notice()
    assert hb.ops.wait_idle()
    assert "全年安排完整" in box.notice_error.text() and box.years.count() == 1
    # nothing chosen yet: a message, no file
    box.with_stations.setChecked(False)
    box.folder.setText(str(usb))
    box.write_package()
    assert hb.ops.wait_idle()
    assert "至少选择一项" in box.message.text() and not list(usb.iterdir())
    from PySide6.QtCore import Qt
    box.years.item(0).setCheckState(Qt.Checked)
    box.note.setText("2027年放假安排已下发")
    box.write_package()
    assert hb.ops.wait_idle()
    packages = list(usb.glob("*.package"))
    assert len(packages) == 1 and "第 1 号下发数据包" in box.message.text()
    assert box.sent.rowCount() == 1

    sp = ExchangePage(st)
    qtbot.addWidget(sp)
    pb = sp.package_box
    assert "尚未应用" in pb.status.text()
    # a tampered copy: refused, nothing written
    bad = tmp_path / packages[0].name
    data = bytearray(packages[0].read_bytes())
    data[len(data) // 3] ^= 0x20
    bad.write_bytes(bytes(data))
    pb.apply_file(str(bad))
    assert st.ops.wait_idle()
    assert "被拒绝" in pb.message.text()
    assert st.db.conn.execute("select count(*) from calendar_overrides").fetchone()[0] == 0
    # the good one: what will change, then applied
    pb.check_file(str(packages[0]))
    assert st.ops.wait_idle()
    assert "2027 年" in pb.message.text() and pb.last_preview["calendar_days"] == 34
    pb.apply_file(str(packages[0]))
    assert st.ops.wait_idle()
    assert "已应用" in pb.message.text()
    assert "第 1 号数据包" in pb.status.text() and "2027年放假安排已下发" in pb.note.text()
    assert st.db.conn.execute("select count(*) from calendar_overrides where date like '2027-%'").fetchone()[0] == 34
    # the hub's note: on the dashboard once
    from desktop.sync import downward
    from desktop.ui.dashboard_page import DashboardPage

    dash = DashboardPage(st)
    qtbot.addWidget(dash)
    assert "汇总端通知" in dash.header.text() and "2027年放假安排已下发" in dash.header.text()
    assert st.ops.wait_idle()
    assert downward.pending_note(st.db) is None
    again = DashboardPage(st)
    qtbot.addWidget(again)
    assert "汇总端通知" not in again.header.text()
