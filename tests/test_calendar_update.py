"""A program update that brings a newer calendar package settles provisional deadlines by itself."""

from __future__ import annotations

import datetime as _dt
import json

from desktop import clock, org
from desktop.cases import deadlines


def test_a_newer_package_year_recomputes_provisional_deadlines_once(station, monkeypatch):
    db, admin, _ = station
    # A case whose stored deadlines say provisional although the calendar now settles them
    # (as after an update of the calendar package): the stored columns are what the UI shows.
    from desktop import cases

    clock.set_today(_dt.date(2026, 11, 2))
    assert deadlines.settle_after_calendar_update(db) == 0  # no provisional case: nothing written
    assert org.get_setting(db, deadlines.CALENDAR_SEEN_KEY) is None
    rec = {"application": {"mode": "written", "received_at": "2026-11-02T10:00:00+08:00"},
           "workers": [{"name": "张三", "id_number": "330481199001011236"}],
           "employer": {"name": "某某公司"}, "dispute_types": ["PAY"],
           "claims": [{"text": "支付工资", "amount": "5000.00"}]}
    c = cases.create_case(db, rec, admin)
    with db.atomic():
        db.conn.execute("update cases set provisional = 1, acceptance_due = '2026-11-30' where id = ?", (c["id"],))
    calls = []
    real = deadlines.recompute_deadlines
    monkeypatch.setattr(deadlines, "recompute_deadlines", lambda *a, **k: calls.append(k) or real(*a, **k))

    assert deadlines.settle_after_calendar_update(db) == 1
    row = db.conn.execute("select provisional, acceptance_due from cases where id = ?", (c["id"],)).fetchone()
    assert row == (0, "2026-11-05")  # Mon 11-02 + 3 working days
    assert org.get_setting(db, deadlines.CALENDAR_SEEN_KEY) == deadlines.package_last_year()
    # the same package again: nothing is recomputed (a hub is not walked on every command)
    assert deadlines.settle_after_calendar_update(db) == 0
    assert calls == [{"only_provisional": True}]
    # a later package year (simulated by forgetting what was seen) recomputes again
    with db.atomic():
        db.conn.execute("update settings set value = ? where key = ?",
                        (json.dumps(deadlines.package_last_year() - 1), deadlines.CALENDAR_SEEN_KEY))
        db.conn.execute("update cases set provisional = 1 where id = ?", (c["id"],))
    assert deadlines.settle_after_calendar_update(db) == 1 and len(calls) == 2
    assert db.conn.execute("select provisional from cases where id = ?", (c["id"],)).fetchone() == (0,)
