"""Restore guards (issue 15, item 10): another station's backup needs an explicit option, a backup whose
audit chain was edited is refused before it replaces anything, and restoring behind the last exported
bundle keeps the numbering so the hub takes the next (full) bundle."""

from __future__ import annotations

import sqlite3

import pytest

from desktop import backup, cases, org
from desktop.security import audit
from desktop.errors import Refused
from desktop.sync import export, hub
from tests import records
from tests.test_sync_support import connect, make_hub, make_station, state


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    return tmp_path


def test_another_stations_backup_needs_the_explicit_option(home):
    a, admin_a, path_a = make_station(home, "a", seed=1, n=2)
    b, _admin_b, path_b = make_station(home, "b", seed=2, n=2)
    other = backup.manual(b, home / "usb", path_b)
    before = state(a)
    assert any("另一个站点" in n for n in backup.restore_notes(a, backup.describe(other)))
    with pytest.raises(Refused, match="--other-station"):
        backup.restore(a, path_a, other, admin_a)
    assert state(a) == before
    backup.restore(a, path_a, other, admin_a, other_station=True)
    assert org.station_id(a) == org.station_id(b)


def test_a_backup_with_an_edited_audit_log_is_refused(home):
    s, admin, path = make_station(home, "s", seed=3, n=2)
    copy = backup.manual(s, home / "usb", path)
    conn = sqlite3.connect(copy)  # the attacker's sqlite3 session: triggers dropped, an entry deleted
    conn.execute("drop trigger audit_log_no_delete")
    conn.execute("delete from audit_log where seq = 2")
    conn.commit()
    conn.close()
    before = state(s)
    with pytest.raises(Refused, match="审计日志校验失败"):
        backup.restore(s, path, copy, admin)
    assert state(s) == before


def test_restoring_behind_the_last_exported_bundle_keeps_numbering_and_the_hub_takes_the_next(home):
    s, admin, path = make_station(home, "s", seed=4, n=3)
    h, u, _ = make_hub(home)
    connect(s, admin, h, u)
    old = backup.manual(s, home / "usb", path)  # before any bundle
    usb = home / "stick"
    usb.mkdir()
    hub.import_bundle(h, export.export_bundle(s, usb, admin)["path"], u)
    cases.create_case(s, records.registered(), admin)
    hub.import_bundle(h, export.export_bundle(s, usb, admin)["path"], u)
    notes = backup.restore_notes(s, backup.describe(old))
    assert any("第 2 号" in n and "完整数据包" in n for n in notes), notes
    backup.restore(s, path, old, admin)
    assert backup.last_bundle(s) == 2
    r = export.export_bundle(s, usb, admin)
    assert r["seq"] == 3 and r["full"]
    assert hub.import_bundle(h, r["path"], u)["status"] == "imported"
    assert not org.get_setting(s, "sync.full_next")
    assert audit.verify(s) == []
