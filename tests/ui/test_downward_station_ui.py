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
