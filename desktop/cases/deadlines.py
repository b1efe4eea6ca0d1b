"""Deadlines of a case (domain.md §1.6, §1.7, §1.12, §6) and the computed fields of `cases --json`."""

from __future__ import annotations

import datetime as _dt
import json

from desktop import org, validate
from desktop.clock import today as _today
from desktop.workcal import WorkCalendar

from .shape import COLLECTIVE_MIN, local_date

MEDIATION_DAYS = 15
ACCEPTANCE_WORKING_DAYS = 3
REVIEW_DAYS = 15


def computed(rec: dict, cal: WorkCalendar, today: _dt.date | None = None) -> dict:
    """contract.md computed fields, from the record and the work calendar."""
    today = today or _today()
    received = local_date(validate.check_datetime(rec["application"]["received_at"]))
    acc = rec.get("acceptance") or {}
    outcome = rec.get("outcome")
    provisional = False
    rules = {}
    a_due = cal.add_working_days(received, ACCEPTANCE_WORKING_DAYS)
    stat = cal.period_end(received, MEDIATION_DAYS)
    provisional |= a_due.provisional or stat.provisional
    rules["acceptance_due"] = a_due.rule
    rules["statutory_deadline"] = stat.rule
    med = None
    if acc.get("decision") == "accepted":
        decided = _dt.date.fromisoformat(acc["decided_at"])
        if rec.get("extensions"):
            med_date = _dt.date.fromisoformat(rec["extensions"][-1]["until"])
            rules["mediation_deadline"] = "双方同意延期至该日"
        else:
            d = cal.period_end(decided, MEDIATION_DAYS)
            med_date = d.date
            provisional |= d.provisional
            rules["mediation_deadline"] = d.rule
        med = med_date
    review = None
    if rec.get("agreement") and rec["agreement"].get("effective_at"):
        r = cal.period_end(_dt.date.fromisoformat(rec["agreement"]["effective_at"]), REVIEW_DAYS)
        review = r.date
        provisional |= r.provisional
        rules["review_deadline"] = r.rule
    if acc.get("decision") == "declined":
        status = "declined"
    elif acc.get("decision") == "accepted":
        status = "closed" if outcome else "mediating"
    else:
        status = "registered"
    overdue = (status == "registered" and today > a_due.date) or (status == "mediating" and med is not None and today > med)
    n = len(rec.get("workers") or [])
    return {
        "status": status,
        "worker_count": n,
        "collective": n >= COLLECTIVE_MIN,
        "acceptance_due": a_due.date.isoformat(),
        "statutory_deadline": stat.date.isoformat(),
        "mediation_deadline": med.isoformat() if med else None,
        "overdue": bool(overdue),
        "review_deadline": review.isoformat() if review else None,
        "provisional": bool(provisional),
        "deadline_rules": rules,
    }


def calendar_for(db) -> WorkCalendar:
    cal = getattr(db, "md_calendar", None)
    if cal is None:
        overrides = {_dt.date.fromisoformat(o["date"]): o["is_workday"] for o in org.calendar_overrides(db)}
        cal = WorkCalendar(overrides)
        try:
            db.md_calendar = cal
        except AttributeError:
            pass
    return cal


def forget_calendar(db) -> None:
    if hasattr(db, "md_calendar"):
        del db.md_calendar


def recompute_deadlines(db) -> int:
    """After the holiday calendar changes, refresh the stored deadline columns of open cases."""
    forget_calendar(db)
    cal = calendar_for(db)
    n = 0
    with db.atomic():
        for rowid, doc in db.conn.execute(
                "select rowid, doc from cases where deleted = 0 and (status in ('registered','mediating') or provisional = 1)"
        ).fetchall():
            rec = json.loads(doc)
            comp = computed(rec, cal)
            db.conn.execute(
                "update cases set acceptance_due = ?, statutory_deadline = ?, mediation_deadline = ?,"
                " review_deadline = ?, provisional = ? where rowid = ?",
                (comp["acceptance_due"], comp["statutory_deadline"], comp["mediation_deadline"],
                 comp["review_deadline"], int(comp["provisional"]), rowid))
            n += 1
    return n
