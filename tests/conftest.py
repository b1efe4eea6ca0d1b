"""Shared fixtures: real SQLite files under tmp_path, real users, no mocks of our own parts."""

from __future__ import annotations

import contextlib
import datetime as _dt
import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# As the program's entry points do: the record owners register with desktop.security before any sign-in.
import desktop.cases  # noqa: E402,F401
import desktop.roster  # noqa: E402,F401
import desktop.sync.keys  # noqa: E402,F401


def pytest_collection_modifyitems(config, items):
    # Tests that use a QApplication are marked `gui` so the core suite can run alone (-m "not gui").
    for item in items:
        if {"qtbot", "qapp", "qtmodeltester"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.gui)


def _fixed_today(request):
    day = getattr(request.module, "FIXED_TODAY", None)
    return _dt.date.fromisoformat(day) if isinstance(day, str) else day


@contextlib.contextmanager
def _pinned_env(day):
    """The clock on `day` (None: the environment's), for this process and the commands it starts."""
    from desktop import clock

    old = os.environ.get(clock.ENV_TODAY)
    if day is not None:
        os.environ[clock.ENV_TODAY] = day.isoformat()
    clock.reset()
    try:
        yield
    finally:
        if day is not None:
            if old is None:
                os.environ.pop(clock.ENV_TODAY, None)
            else:
                os.environ[clock.ENV_TODAY] = old
        clock.reset()


@pytest.fixture(autouse=True, scope="module")
def _module_day(request):
    """A module whose records carry fixed dates says which day it is written for (FIXED_TODAY), so
    its module-scoped fixtures are built on that day whatever the real or CI's date."""
    day = _fixed_today(request)
    with _pinned_env(day):
        yield


@pytest.fixture(autouse=True)
def _clock_put_back(request):
    """Every test starts on its module's FIXED_TODAY if it has one, else on the environment's clock
    (MEDIATION_DESK_TODAY in CI's hard-date runs, else the system's), and ends on the environment's;
    a test that needs another day calls clock.set_today() itself."""
    from desktop import clock

    with _pinned_env(_fixed_today(request)):
        yield clock


@pytest.fixture
def station(tmp_path, monkeypatch):
    """A fresh station database with an administrator; returns (db, admin user, path)."""
    from desktop import db as dbm, org
    from desktop.security import accounts

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


@pytest.fixture
def imp(station, tmp_path, capsys):
    """import-cases on the `station` database in this process (the clock set by the test holds; it
    starts on 2026-11-30): imp(*records) → (exit code, stdout lines, stderr); imp.db is the database."""
    import json

    from desktop import cli, clock

    db, _admin, path = station
    pw = tmp_path / "pw.txt"
    pw.write_text("admin12345\n", encoding="utf-8")
    clock.set_today(_dt.date(2026, 11, 30))
    count = [0]

    def run(*recs):
        count[0] += 1
        f = tmp_path / f"in{count[0]}.jsonl"
        f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in recs) + "\n", encoding="utf-8")
        code = cli.main(["import-cases", "--db", str(path), "--user", "admin", "--password-file", str(pw), str(f)])
        out = capsys.readouterr()
        return code, out.out.split(), out.err
    run.db = db
    return run
