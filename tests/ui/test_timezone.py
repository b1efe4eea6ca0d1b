"""Dates follow China time (+08:00, contract.md) whatever the PC's own time zone: a form's default
date that came from the PC's clock put acceptance 'before' registration for eight hours a day on
a machine set to UTC."""

from __future__ import annotations

import time

import pytest

from desktop import clock


@pytest.fixture
def far_west(monkeypatch):
    # UTC−12: the local date differs from China's for 20 hours of every day
    monkeypatch.setenv("TZ", "Etc/GMT+12")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_default_dates_are_china_dates(qtbot, far_west):
    from desktop.ui.widgets import date_edit, datetime_edit

    today = clock.today()
    d = date_edit()
    assert d.date().toString("yyyy-MM-dd") == today.isoformat()
    dt = datetime_edit()
    assert dt.dateTime().date().toString("yyyy-MM-dd") == today.isoformat()
