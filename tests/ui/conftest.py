"""GUI tests: auto-marked `gui`, offscreen, QSettings in a temporary directory, one small station each."""

from __future__ import annotations

import datetime as _dt

from desktop.clock import today as china_today
import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The offscreen platform plugin says these about windows and popups; they are not our warnings.
OFFSCREEN_NOISE = r"^This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/ui/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.gui)
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.fixture
def qsettings(tmp_path, qapp):
    from PySide6.QtCore import QCoreApplication, QSettings

    QCoreApplication.setOrganizationName("MediationDeskTest")
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    from desktop.ui import fonts

    fonts.apply(qapp)
    return tmp_path / "settings"


@pytest.fixture
def station(tmp_path):
    """A demo station (roster, demo login) with a handful of cases, one of them overdue."""
    from desktop import cases, db as dbm, demo
    from desktop.security import accounts

    path = tmp_path / "station.sqlite"
    database = dbm.open_database(path, create=True)
    user = demo.create_demo_station(database, seed=5)
    demo.fill(database, 40, seed=5)
    received = (china_today() - _dt.timedelta(days=30)).isoformat()
    late = cases.create_case(database, {
        "application": {"mode": "written", "received_at": f"{received}T09:30:00+08:00"},
        "workers": [{"name": "逾期甲", "id_number": "330481199001011236"}],
        "employer": {"name": "逾期测试有限公司"}, "dispute_types": ["PAY"],
        "claims": [{"text": "支付工资", "amount": "3000.00"}]}, user)
    database.md_test_overdue = late["case_no"]
    return path, database, accounts.authenticate(database, "demo", "demo")


@pytest.fixture
def session(station, qsettings):
    from desktop.ui.app import open_session

    path, database, user = station
    s = open_session(path, user, database)
    yield s
    s.ops.close()


@pytest.fixture
def hub_session(tmp_path, qsettings):
    """A hub (示范区) open in the program as its administrator."""
    from desktop import db as dbm
    from desktop.security import accounts
    from desktop.sync import hub as sh
    from desktop.ui.app import open_session

    path = tmp_path / "hub.sqlite"
    sh.hub_init(path, "示范区劳动人事争议调解数据汇总", "330481", "hubadmin", "hubpass123")
    database = dbm.open_database(path)
    s = open_session(path, accounts.authenticate(database, "hubadmin", "hubpass123"), database)
    yield s
    s.ops.close()
