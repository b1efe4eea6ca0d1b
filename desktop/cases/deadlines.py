"""Deadlines of a case (domain.md §1.6, §1.7, §1.12, §6) and the computed fields of `cases --json`."""

from __future__ import annotations

import datetime as _dt
import json
import sqlite3

from desktop import org, validate
from desktop.clock import today as _today
from desktop.workcal import WorkCalendar, on_calendar_change

from .rules import is_collective, review_refusal
from .shape import ACCEPTANCE_WORKING_DAYS, MEDIATION_DAYS, REVIEW_DAYS, local_date


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
        "collective": is_collective(rec),
        "acceptance_due": a_due.date.isoformat(),
        "statutory_deadline": stat.date.isoformat(),
        "mediation_deadline": med.isoformat() if med else None,
        "overdue": bool(overdue),
        "review_deadline": review.isoformat() if review else None,
        "review_excluded": review_refusal(rec) if review else None,
        "provisional": bool(provisional),
        "deadline_rules": rules,
    }


def _overrides_key(db) -> tuple:
    return tuple(db.conn.execute("select count(*), coalesce(sum(rev), 0), max(updated_at) from calendar_overrides"
                                 " where deleted = 0").fetchone())


def calendar_for(db) -> WorkCalendar:
    """The station's work calendar (package + its overrides), kept on the db object.

    Another connection (the command line, a worker thread) may enter a notice meanwhile: SQLite's
    data_version says when another connection committed, and the overrides are then re-read if
    they changed.
    """
    cal = getattr(db, "md_calendar", None)
    version = db.conn.execute("pragma data_version").fetchone()[0]
    if cal is not None and getattr(db, "md_calendar_seen", None) != version:
        if _overrides_key(db) != getattr(db, "md_calendar_key", None):
            cal = None
        else:
            db.md_calendar_seen = version
    if cal is None:
        rows = org.calendar_overrides(db)
        cal = WorkCalendar({_dt.date.fromisoformat(o["date"]): o["is_workday"] for o in rows},
                           notes={_dt.date.fromisoformat(o["date"]): o["note"] for o in rows if o["note"]})
        try:
            db.md_calendar = cal
            db.md_calendar_key = _overrides_key(db)
            db.md_calendar_seen = version
        except AttributeError:
            pass
    return cal


def forget_calendar(db) -> None:
    if hasattr(db, "md_calendar"):
        del db.md_calendar


def _station_calendars(db) -> dict[str, WorkCalendar]:
    """At a hub: each station's calendar from the overrides it sent (as the import computes them)."""
    try:
        rows = db.conn.execute("select station, date, is_workday from sync_calendar_overrides where deleted = 0").fetchall()
    except sqlite3.OperationalError:  # a station database: no synced overrides
        return {}
    per: dict[str, dict] = {}
    for station, d, workday in rows:
        try:
            per.setdefault(station, {})[_dt.date.fromisoformat(d)] = bool(workday)
        except ValueError:
            continue
    return {st: WorkCalendar(o) for st, o in per.items()}


_DEADLINE_COLS = ("acceptance_due", "statutory_deadline", "mediation_deadline", "review_deadline", "provisional")


def recompute_deadlines(db, *, since: _dt.date | None = None, only_provisional: bool = False) -> int:
    """Recompute the stored deadline columns of every case from the current holiday calendar.

    Call it whenever the calendar changes (an override, a whole notice, a newer calendar package).
    `since` limits the work to cases that are provisional or have a stored deadline on or after
    that day (the only ones a notice for a later year can move). `only_provisional` takes just the
    provisional ones: cheap enough to run whenever a database is opened for writing, so that a
    newer calendar package settles them (a row is written only when its deadlines change). At a hub each station's cases use
    that station's overrides. The columns are local index data: rows are not marked for export.
    Returns the number of cases whose stored deadlines changed.
    """
    forget_calendar(db)
    own = calendar_for(db)
    per_station = _station_calendars(db)
    where = "deleted = 0"
    params: list = []
    if only_provisional:
        where += " and provisional = 1"
    if since is not None:
        s = since.isoformat()
        where += (" and (provisional = 1 or acceptance_due >= ? or statutory_deadline >= ?"
                  " or mediation_deadline >= ? or review_deadline >= ?)")
        params = [s, s, s, s]
    cols = ", ".join(_DEADLINE_COLS)
    changed = 0
    with db.atomic():
        for row in db.conn.execute(f"select rowid, station, doc, {cols} from cases where {where}", params).fetchall():
            rowid, station, doc, old = row[0], row[1], row[2], tuple(row[3:])
            comp = computed(json.loads(doc), per_station.get(station, own))
            new = (comp["acceptance_due"], comp["statutory_deadline"], comp["mediation_deadline"],
                   comp["review_deadline"], int(comp["provisional"]))
            if new != old:
                db.conn.execute(f"update cases set {', '.join(c + ' = ?' for c in _DEADLINE_COLS)} where rowid = ?",
                                (*new, rowid))
                changed += 1
    return changed


CALENDAR_SEEN_KEY = "calendar.package_last_year"


def package_last_year() -> int:
    """The last year the installed chinese-calendar package knows (grows with a program update)."""
    from chinese_calendar.constants import holidays as known

    return max(known).year


def settle_after_calendar_update(db) -> int:
    """Recompute the provisional deadlines once when the installed calendar package covers a later
    year than this database last saw (an update of the program brought the State Council's notice).

    Called when a database is opened for writing; it costs one settings read on every other open,
    so a hub with many provisional December cases is not recomputed on each command. Returns the
    number of cases whose deadlines changed.
    """
    latest = package_last_year()
    if org.get_setting(db, CALENDAR_SEEN_KEY) == latest:
        return 0
    if db.conn.execute("select 1 from cases where provisional = 1 and deleted = 0 limit 1").fetchone() is None:
        return 0  # nothing to settle: write nothing (the next provisional case will be settled then)
    with db.atomic():
        changed = recompute_deadlines(db, only_provisional=True)
        org.set_setting(db, CALENDAR_SEEN_KEY, latest)
    return changed


on_calendar_change(recompute_deadlines)  # workcal.enter_notice recomputes through this
