"""followups_due walks the due-date index and takes each case at its last item; it must give the
answer of the plain grouping query it replaced (kept here as the reference) on varied demo data:
several items per case, equal due dates, unpaid and paid items, follow-ups already made."""

from __future__ import annotations

import datetime as _dt

from desktop import clock, dashboard
from tests import records

# The demo data is generated around this day; the answers are compared on days around it
FIXED_TODAY = "2026-11-30"

REFERENCE = (
    "select c.case_no, m.last_due, m.amount, m.paid from"
    " (select case_rowid, max(due_date) last_due, sum(amount_fen) amount, sum(paid_fen) paid from case_items"
    "  where case_rowid in (select case_rowid from case_items where due_date between ? and ?)"
    "  group by case_rowid) m join cases c on c.rowid = m.case_rowid"
    " where m.last_due <= ? and c.outcome = 'agreed' and c.deleted = 0"
    " and not exists (select 1 from case_followups f where f.case_rowid = c.rowid)"
    " order by m.last_due, c.rowid limit ?")


def _reference(db, today, limit):
    hi = (today - _dt.timedelta(days=dashboard.FOLLOWUP_AFTER_DAYS)).isoformat()
    lo = (today - _dt.timedelta(days=dashboard.ITEMS_LOOKBACK_DAYS)).isoformat()
    return [(no, due, _performance(amount or 0, paid or 0))
            for no, due, amount, paid in db.conn.execute(REFERENCE, (lo, hi, hi, limit))]


def _performance(amount, paid):
    return "已全部履行" if paid >= amount else ("部分履行" if paid else "未履行")


def _ours(db, today, limit):
    return [(r["case_no"], r["due"], r["performance"]) for r in dashboard.followups_due(db, today, limit)]


def test_the_index_walk_gives_the_grouping_querys_answer(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    clock.set_today(_dt.date(2026, 11, 30))
    db = records.demo_database(tmp_path / "demo.sqlite", 600, seed=11)
    try:
        # equal last due dates within a case, and a case whose second item falls due later
        rowids = [r[0] for r in db.conn.execute(
            "select case_rowid from case_items group by case_rowid having count(*) >= 2 limit 40")]
        assert len(rowids) >= 10
        for rid in rowids[:10]:
            db.conn.execute("update case_items set due_date = (select max(due_date) from case_items"
                            " where case_rowid = ?) where case_rowid = ?", (rid, rid))
        multi = db.conn.execute("select count(*) from (select case_rowid from case_items group by case_rowid"
                                " having count(*) >= 2 and count(distinct due_date) = 1)").fetchone()[0]
        assert multi >= 10
        compared = 0
        for offset in range(-120, 121, 6):
            today = _dt.date(2026, 11, 30) + _dt.timedelta(days=offset)
            for limit in (5, 200):
                ref = _reference(db, today, limit)
                assert _ours(db, today, limit) == ref, (today, limit)
                compared += len(ref)
        assert compared > 200  # the days compared had cases on the list, not only empty answers
    finally:
        db.conn.close()
