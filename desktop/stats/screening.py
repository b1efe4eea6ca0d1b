"""Dispute screening (争议排查): employers with repeated or collective disputes, and disputes by industry.

The early-warning rule: two or more disputes received in the twelve months ending at the period end, or any
collective dispute (10 or more workers) in that window. Every received, non-voided case counts as a dispute,
whether accepted, declined or still undecided (a declined application is still a dispute at that employer).
"""

from __future__ import annotations

import datetime as _dt

from desktop.stats.periods import Period, parse_period
from desktop.stats.report import Scope

RULE_TEXT = "预警规则：截至期末的十二个月内同一用人单位发生两起以上争议，或发生集体争议（劳动者10人以上）"
UNRECORDED = "未登记行业"


def window_start(end: _dt.date) -> _dt.date:
    """The day after the same date a year earlier: twelve whole months ending at `end`."""
    try:
        prior = end.replace(year=end.year - 1)
    except ValueError:  # 29 February
        prior = end.replace(year=end.year - 1, day=28)
    return prior + _dt.timedelta(days=1)


def screening(db, period: str | Period, *, station: str | None = None, stations: list[str] | None = None,
              top: int = 30) -> dict:
    p = period if isinstance(period, Period) else parse_period(period)
    sc = Scope(db, station, stations)
    ws, we = window_start(p.end).isoformat(), p.end_text
    rows = db.conn.execute(f"""
        select c.employer_name, count(*), sum(c.collective), sum(c.worker_count),
               sum(c.status in ('registered', 'mediating')), max(c.received_date),
               sum(c.received_date >= ?)
        from cases c where c.received_date between ? and ? and {sc.where}
        group by c.employer_name""", [p.start_text, ws, we, *sc.params]).fetchall()
    industry = {}
    for (name, *_rest) in rows:
        industry[name] = _industry(db, sc, name)
    repeat = []
    for name, n, coll, workers, open_n, last, _in_period in rows:
        reasons = []
        if n >= 2:
            reasons.append(f"十二个月内{n}起争议")
        if coll:
            reasons.append(f"集体争议{coll}起")
        if reasons:
            repeat.append({"employer": name, "industry": industry[name] or UNRECORDED, "cases": n,
                           "collective": coll, "workers": workers, "open": open_n, "last_received": last,
                           "reasons": "；".join(reasons)})
    repeat.sort(key=lambda r: (-r["collective"], -r["cases"], r["employer"]))
    in_period = [(name, k, coll, w) for name, _n, coll, w, _o, _l, k in rows if k]
    by_employer = sorted(({"employer": name, "cases": k} for name, k, _c, _w in in_period),
                         key=lambda r: (-r["cases"], r["employer"]))[:top]
    by_industry: dict[str, dict[str, int]] = {}
    for name, k, _c, _w in in_period:
        ind = industry[name] or UNRECORDED
        slot = by_industry.setdefault(ind, {"cases": 0, "employers": 0})
        slot["cases"] += k
        slot["employers"] += 1
    return {"period": p.label, "window_start": ws, "window_end": we, "rule": RULE_TEXT,
            "repeat_employers": repeat, "top_employers": by_employer,
            "by_industry": dict(sorted(by_industry.items(), key=lambda kv: (-kv[1]["cases"], kv[0])))}


def _industry(db, sc: Scope, name: str) -> str | None:
    """The industry written on the employer's latest case (employer.industry), when recorded."""
    row = db.conn.execute(f"""
        select json_extract(c.doc, '$.employer.industry') from cases c
        where c.employer_name = ? and {sc.where} and json_extract(c.doc, '$.employer.industry') is not null
        order by c.received_date desc limit 1""", [name, *sc.params]).fetchone()
    return row[0] if row and row[0] else None
