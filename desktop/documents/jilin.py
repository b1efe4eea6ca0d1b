"""Figures of the Jilin organisation table that the database already holds (issue 14 item 9)."""

from __future__ import annotations

import datetime as _dt


def last_year_counts(db, today: _dt.date) -> tuple[int, int]:
    """(cases accepted, cases closed by agreement) in the calendar year before ``today``'s."""
    start, end = f"{today.year - 1}-01-01", f"{today.year - 1}-12-31"
    accepted = db.conn.execute(
        "select count(*) from cases where deleted = 0 and decision = 'accepted' and decided_date between ? and ?",
        (start, end)).fetchone()[0]
    agreed = db.conn.execute(
        "select count(*) from cases where deleted = 0 and outcome = 'agreed' and closed_date between ? and ?",
        (start, end)).fetchone()[0]
    return int(accepted), int(agreed)


def with_last_year(db, profile: dict, today: _dt.date) -> dict:
    """The profile with 上年受理/调解成功 filled from the cases where the clerk left them empty."""
    p = dict(profile or {})
    if not str(p.get("cases_accepted") or "").strip() or not str(p.get("cases_agreed") or "").strip():
        accepted, agreed = last_year_counts(db, today)
        p["cases_accepted"] = p.get("cases_accepted") or str(accepted)
        p["cases_agreed"] = p.get("cases_agreed") or str(agreed)
    return p
