"""Issue 16 at a station's screens: the statistics page opens on the reporting period, the settings
page offers the arbitration commissions the hub sent."""

from __future__ import annotations

import datetime as _dt

from desktop import clock
from desktop.sync import downward


def test_stats_page_opens_on_the_reporting_period(qtbot, session):
    from desktop.ui.stats_page import StatsPage

    clock.set_today(_dt.date(2026, 8, 14))
    page = StatsPage(session)
    qtbot.addWidget(page)
    assert session.ops.wait_idle()
    assert page.period().label == "2026"  # no reporting period: the year, as before

    downward.set_own_reporting_period(session.db, "quarterly", session.user)
    page = StatsPage(session)
    qtbot.addWidget(page)
    assert session.ops.wait_idle()
    assert page.kind.currentData() == "quarter" and page.period().label == "2026-Q3"
    # the clerk can still pick another period by hand
    page.kind.setCurrentIndex(page.kind.findData("month"))
    assert page.period().label == "2026-08"

    downward.set_own_reporting_period(session.db, "monthly", session.user)
    page = StatsPage(session)
    qtbot.addWidget(page)
    assert session.ops.wait_idle()
    assert page.period().label == "2026-08"


COMMISSIONS = [
    {"name": "示范市劳动人事争议仲裁委员会", "address": "示范市新华路8号", "phone": "0573-87000001",
     "hours": "工作日 8:30–17:00"},
    {"name": "示范县劳动人事争议仲裁委员会", "address": "示范县人民路2号", "phone": "0573-87000002",
     "hours": "工作日 9:00–17:30"},
]


def test_settings_page_chooses_among_the_commissions_received(qtbot, session, tmp_path):
    from PySide6.QtCore import Qt

    from desktop import org
    from desktop.ui.settings_page import SettingsPage

    from tests.test_sync_support import connect, make_hub

    page = SettingsPage(session)
    qtbot.addWidget(page)
    page.show()
    assert not page.commission_choice.isVisible()  # nothing received: no choice to offer

    # The hub sends two commissions; the station already has its own, so nothing is chosen for it.
    org.update_profile(session.db, {"arbitration": {"name": "原仲裁委", "address": "原地址", "phone": ""}},
                       session.user)
    hub_db, hub_user, _ = make_hub(tmp_path, "hub")
    try:
        connect(session.db, session.user, hub_db, hub_user)
        downward.set_commissions(hub_db, COMMISSIONS, hub_user)
        (tmp_path / "usb").mkdir()
        pkg = downward.build_package(hub_db, hub_user, tmp_path / "usb", commissions_=True)
    finally:
        hub_db.conn.close()
    downward.apply_package(session.db, pkg["path"], session.user)
    assert org.get_profile(session.db)["arbitration"]["name"] == "原仲裁委"

    page = SettingsPage(session)
    qtbot.addWidget(page)
    page.show()
    choice = page.commission_choice
    assert choice.isVisible()
    assert [choice.itemText(i) for i in range(choice.count())] == ["（自行填写）"] + [c["name"] for c in COMMISSIONS]
    assert page.fields["arbitration.name"].text() == "原仲裁委"

    # The clerk picks the second commission with the keyboard: the four fields are filled.
    choice.setFocus()
    qtbot.keyClick(choice, Qt.Key_Down)
    qtbot.keyClick(choice, Qt.Key_Down)
    assert choice.currentText() == COMMISSIONS[1]["name"]
    for k in ("name", "address", "phone", "hours"):
        assert page.fields[f"arbitration.{k}"].text() == COMMISSIONS[1][k]
    # ...corrects the hours by hand and saves.
    hours = page.fields["arbitration.hours"]
    hours.setFocus()
    qtbot.keyClick(hours, Qt.Key_End)
    for _ in range(5):
        qtbot.keyClick(hours, Qt.Key_Backspace)
    qtbot.keyClicks(hours, "17:00")
    qtbot.mouseClick(page.save_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: "已保存" in page.message.text(), timeout=10000)
    arb = org.get_profile(session.db)["arbitration"]
    assert arb == {"name": COMMISSIONS[1]["name"], "address": COMMISSIONS[1]["address"],
                   "phone": COMMISSIONS[1]["phone"], "hours": "工作日 9:00–17:00"}

    # Reopened, the page shows the commission in use; "自行填写" leaves the fields as they are.
    page = SettingsPage(session)
    qtbot.addWidget(page)
    page.show()
    assert page.commission_choice.currentText() == COMMISSIONS[1]["name"]
    qtbot.keyClick(page.commission_choice, Qt.Key_Home)
    assert page.commission_choice.currentIndex() == 0
    assert page.fields["arbitration.name"].text() == COMMISSIONS[1]["name"]


def test_case_window_offers_documents_by_the_states_of_the_hubs_template(qtbot, session, tmp_path, monkeypatch):
    """A hub's template that drops a case state: the case window stops offering that document for a case
    in the state (printing refuses it too), and offers it again once the station goes back to the
    shipped template."""
    import pytest
    from PySide6.QtCore import Qt

    from desktop import cases
    from desktop.documents import DocumentRefused
    from desktop.documents.templates import FORMS_DIR
    from desktop.ui.case_window import CaseWindow
    from desktop.ui.pdf_preview import render_bytes

    from tests.test_sync_support import connect, make_hub

    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))  # where the override folder is made
    db = session.db
    (key,) = db.conn.execute("select id from cases where deleted = 0 and status = 'mediating' limit 1").fetchone()

    def window() -> CaseWindow:
        win = CaseWindow(session, key)
        qtbot.addWidget(win)
        return win

    def offered(win) -> list[str]:
        return [win.documents.item(i).data(Qt.UserRole) for i in range(win.documents.count())]

    before = window()
    shipped = offered(before)
    assert "acceptance-notice" in shipped

    # The hub sends the acceptance notice declared for every state but 调解中; the station applies it.
    text = (FORMS_DIR / "acceptance-notice.toml").read_text(encoding="utf-8")
    states = 'states = ["mediating", "agreed", "failed", "terminated", "expired", "withdrawn"]'
    assert text.count(states) == 1
    hub_db, hub_user, _ = make_hub(tmp_path, "hub")
    try:
        connect(db, session.user, hub_db, hub_user)
        downward.set_hub_template(hub_db, "acceptance-notice",
                                  text.replace(states, states.replace('"mediating", ', "")), hub_user)
        (tmp_path / "usb").mkdir()
        pkg = downward.build_package(hub_db, hub_user, tmp_path / "usb", templates=["acceptance-notice"])
    finally:
        hub_db.conn.close()
    downward.apply_package(db, pkg["path"], session.user)

    assert offered(window()) == [n for n in shipped if n != "acceptance-notice"]  # only that one goes
    case = cases.get_case(db, key)
    with pytest.raises(DocumentRefused, match="调解中"):
        render_bytes("acceptance-notice", case, session.profile, db=db)  # printing says the same
    # A window opened before the package still lists it: choosing it now names the case's state.
    before.documents.setCurrentRow(shipped.index("acceptance-notice"))
    before._print()
    assert before.refusal_box is not None and "调解中" in before.refusal_box.text()
    before.refusal_box.close()

    downward.revert_template(db, "acceptance-notice", session.user)
    assert offered(window()) == shipped
