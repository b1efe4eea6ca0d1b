"""Shared fixtures: real SQLite files under tmp_path, real users, no mocks of our own parts."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def pytest_collection_modifyitems(config, items):
    # Tests that use a QApplication are marked `gui` so the core suite can run alone (-m "not gui").
    for item in items:
        if {"qtbot", "qapp", "qtmodeltester"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.gui)


@pytest.fixture(autouse=True)
def _clock_put_back():
    """Every test starts and ends on the environment's clock (MEDIATION_DESK_TODAY in CI's hard-date
    runs, else the system's); a test that needs a given day calls clock.set_today() itself."""
    from desktop import clock

    clock.reset()
    yield clock
    clock.reset()


@pytest.fixture
def station(tmp_path, monkeypatch):
    """A fresh station database with an administrator; returns (db, admin user, path)."""
    from desktop import accounts, db as dbm, org

    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    path = tmp_path / "station.sqlite"
    database = dbm.open_database(path, create=True)
    org.initialize(database, {
        "name": "海宁市示范镇劳动人事争议调解中心", "kind": "township", "region": "330481",
        "arbitration": {"name": "海宁市劳动人事争议仲裁委员会", "address": "海宁市文化路1号", "phone": "0573-87000000"},
    })
    admin = accounts.create_user(database, "admin", "admin12345", "admin")
    yield database, admin, path
    database.conn.close()
