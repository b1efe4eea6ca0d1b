"""The period report (domain.md §3.1, contract.md "The period report"): one function for the station and the hub.

Every figure is an SQL aggregate over the indexed columns of `cases` and the derived tables; nothing loads case
documents except the few declined cases (their reason code lives only in the document). Amounts are integer fen
summed in SQLite and printed with money.fen_to_text, so 0.01 + 0.02 is 0.03.

Counting rules: a case counts once whatever its number of workers; `received` by the receipt date, `accepted`
and `declined` by the decision date, `closed` by the closing date, all within the period; voided (deleted)
cases never count. `pending_end` = `carried_over` + `accepted` − `closed`, checked against a direct count of
cases accepted by the period end and not closed by it; a mismatch is reported in `checks` and raised by
`verify()`.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from decimal import ROUND_HALF_UP, Decimal

from desktop import money, org
from desktop.codes import DECLINE_REASONS, DISPUTE_TYPES, OUTCOMES, PAYMENT_ORDER_CATEGORIES, SOURCES
from desktop.errors import InputError
from desktop.stats import formula as fm, indexes
from desktop.stats.periods import Period, parse_period, year as year_period

# IN lists over the closed vocabularies (check_record admits no other code): with the proposed indexes the
# rows then arrive grouped by decision/outcome and type, and GROUP BY needs no sort.
TYPES_IN = ",".join(f"'{t}'" for t in DISPUTE_TYPES)
OUTCOMES_IN = ",".join(f"'{o}'" for o in OUTCOMES)

# Mediator roles that count a case for the mediator (a recorder takes the minutes; he does not mediate).
MEDIATING_ROLES = ("lead", "member")


class ReconciliationError(Exception):
    """pending_end computed two ways disagrees: the data breaks an invariant (e.g. a closing before acceptance)."""


# --- scope -------------------------------------------------------------------------------------------------

def known_stations(db) -> list[str]:
    """Stations with cases or an organization record, found by index seeks (no scan of the cases table)."""
    found = set()
    last = ""
    while True:
        row = db.conn.execute("select min(station) from cases where station > ?", (last,)).fetchone()
        if row[0] is None:
            break
        found.add(row[0])
        last = row[0]
    found.update(r[0] for r in db.conn.execute("select station from org where deleted = 0"))
    return sorted(found)


def is_hub(db) -> bool:
    return org.get_setting(db, "role") == "hub"


class Scope:
    """The WHERE fragment that selects the counted cases (alias `c`) and, for the derived tables, their rowids."""

    def __init__(self, db, station: str | None, stations: list[str] | None):
        known = known_stations(db)
        wanted = [station] if station is not None else (sorted(set(stations)) if stations is not None else known)
        subset = set(wanted) != set(known)
        self.indexed = indexes.present(db)
        self.params: list = []
        self.where = "c.deleted = 0"
        if self.indexed:
            # the station-led partial indexes: an IN list on their first column is one range scan per station
            self.where += f" and c.station in ({','.join('?' * len(wanted))})" if wanted else " and 0"
            self.params = list(wanted)
        elif subset:
            # unary + keeps the planner off cases_case_no(station, ...), which would read every case of the station
            self.where += f" and +c.station in ({','.join('?' * len(wanted))})" if wanted else " and 0"
            self.params = list(wanted)
        # Derived rows of voided cases are deleted with them (cases.delete_case); a hub or a subset still
        # filters them through the cases they belong to.
        self.derived_filter = subset or is_hub(db)

    def derived(self, alias: str) -> tuple[str, list]:
        if not self.derived_filter:
            return "1", []
        return f"{alias}.case_rowid in (select c.rowid from cases c where {self.where})", list(self.params)


def station_profile(db, station: str | None) -> dict:
    """The organization profile that governs a report: the station's own record when one station is reported
    (its name, formula and target travel in its bundles), otherwise this database's profile."""
    base = org.get_profile(db)
    if station is None or station == base.get("station"):
        return base
    row = db.conn.execute("select profile from org where station = ? and deleted = 0", (station,)).fetchone()
    merged = json.loads(json.dumps(org.PROFILE_KEYS))
    if row:
        merged.update(json.loads(row[0]))
    else:
        merged["name"] = station
    merged["station"] = station
    merged["demo"] = base.get("demo", False)
    return merged


# --- the report --------------------------------------------------------------------------------------------

def _q(db, sql: str, params) -> list:
    return db.conn.execute(sql, params).fetchall()


def _fen(n) -> int:
    return int(n or 0)


def period_report(db, period: str | Period, *, station: str | None = None, stations: list[str] | None = None,
                  today: _dt.date | None = None, success_formula: str | None = None) -> dict:
    """The statistical report of one period. `station` limits it to one station (hub or station database),
    `stations` to several; neither: every case in the database. `today` is accepted for callers that pin the
    clock; no figure depends on it (a report of a past period never changes)."""
    p = period if isinstance(period, Period) else parse_period(period)
    if station is not None and station not in known_stations(db):
        raise InputError(f"--station: 未知的站点「{station}」")
    profile = station_profile(db, station)
    formula_name = fm.check(success_formula or profile.get("success_formula"))
    sc = Scope(db, station, stations)
    where, wp = sc.where, sc.params
    s, e = p.start_text, p.end_text

    received = _q(db, f"select count(*) from cases c where c.received_date between ? and ? and {where}",
                  [s, e, *wp])[0][0]

    # Decided in the period: one grouped pass over the decision-date index.
    accepted = declined = collective = workers = workers_coll = migrant = platform = 0
    claimed_fen = 0
    by_source: dict[str, int] = {}
    by_type: dict[str, dict[str, int]] = {}
    # Grouped by two columns only: SQLite sorts every row for GROUP BY, and the sort is the cost at scale.
    src = list(SOURCES)
    src_sums = ", ".join(f"sum(c.source = '{k}')" for k in src)
    for row in _q(db, f"""
            select c.decision, c.primary_type, count(*), sum(c.worker_count), sum(c.amount_claimed_fen),
                   sum(c.collective), sum(c.collective * c.worker_count), sum(c.migrant), sum(c.platform),
                   sum(c.source not in ({','.join(f"'{k}'" for k in src)})), {src_sums}
            from cases c where c.decision in ('accepted', 'declined') and c.primary_type in ({TYPES_IN})
              and c.decided_date between ? and ? and {where}
            group by 1, 2""", [s, e, *wp]):
        decision, ptype, n, w, fen, coll, wcoll, mig, plat, other_src, *per_src = row
        if decision == "declined":
            declined += n
            continue
        if decision != "accepted":
            continue
        accepted += n
        workers += w
        claimed_fen += _fen(fen)
        collective += coll
        workers_coll += wcoll
        migrant += mig
        platform += plat
        for k, v in zip(src, per_src):
            by_source[k] = by_source.get(k, 0) + v
        if other_src:
            by_source["other"] = by_source.get("other", 0) + other_src
        by_type.setdefault(ptype, {"accepted": 0, "closed": 0, "agreed": 0})["accepted"] += n

    declined_by_reason: dict[str, int] = {}
    if declined:
        for code, n in _q(db, f"""
                select coalesce(c.decline_reason, 'other'), count(*)
                from cases c where c.decided_date between ? and ? and c.decision = 'declined' and {where}
                group by 1""", [s, e, *wp]):
            declined_by_reason[code] = n

    # Closed in the period: outcome, type, agreed amount, on time, days from acceptance to closing.
    closed = on_time = review_eligible = 0
    agreed_fen = 0
    by_outcome = {k: 0 for k in OUTCOMES}
    for outcome, ptype, n, fen, in_time, eligible in _q(db, f"""
            select c.outcome, c.primary_type, count(*), sum(c.amount_agreed_fen),
                   sum(c.closed_date <= coalesce(c.mediation_deadline, '')), sum(c.primary_type != 'LR')
            from cases c where c.outcome in ({OUTCOMES_IN}) and c.primary_type in ({TYPES_IN})
              and c.closed_date between ? and ? and {where}
            group by 1, 2""", [s, e, *wp]):
        if outcome is None:
            continue
        closed += n
        on_time += in_time
        by_outcome[outcome] = by_outcome.get(outcome, 0) + n
        t = by_type.setdefault(ptype, {"accepted": 0, "closed": 0, "agreed": 0})
        t["closed"] += n
        if outcome == "agreed":
            t["agreed"] += n
            agreed_fen += _fen(fen)
            review_eligible += eligible

    # Accepted by a day and not closed by it, counted directly (open cases, and cases closed later).
    def open_at(day: str, inclusive: bool) -> int:
        op = "<=" if inclusive else "<"
        later = ">" if inclusive else ">="
        return _q(db, f"""
            select (select count(*) from cases c where c.outcome is null and c.primary_type in ({TYPES_IN})
                        and c.closed_date is null and +c.decision = 'accepted' and +c.decided_date {op} ?
                        and {where})
                 + (select count(*) from cases c where c.outcome in ({OUTCOMES_IN})
                        and c.primary_type in ({TYPES_IN}) and c.closed_date {later} ?
                        and +c.decision = 'accepted' and +c.decided_date {op} ? and {where})""",
                  [day, *wp, day, day, *wp])[0][0]

    carried = open_at(s, inclusive=False)
    pending_direct = open_at(e, inclusive=True)
    pending = carried + accepted - closed

    dcond, dp = sc.derived("pay")
    paid_fen = _q(db, f"select sum(pay.amount_fen) from case_payments pay where pay.paid_at between ? and ?"
                      f" and {dcond}", [s, e, *dp])[0][0]
    dcond, dp = sc.derived("f")
    followups = _q(db, f"select count(*) from case_followups f where f.at between ? and ? and {dcond}",
                   [s, e, *dp])[0][0]
    cats = sorted(PAYMENT_ORDER_CATEGORIES)
    dcond, dp = sc.derived("i")
    payment_order = _q(db, f"""
        select count(distinct i.case_rowid) from case_items i
        where i.due_date between ? and ? and i.paid_fen < i.amount_fen
          and i.category in ({','.join('?' * len(cats))}) and {dcond}""", [s, e, *cats, *dp])[0][0]

    by_mediator: dict[str, dict] = {}
    roles = ",".join(f"'{r}'" for r in MEDIATING_ROLES)
    # case_mediators carries copies of station, outcome and dates (cases._derived): one covering index
    m_where = where.replace("c.deleted = 0", "1").replace("c.station", "m.station")
    for name, n, agreed_n, days in _q(db, f"""
            select m.name, count(*), sum(m.outcome = 'agreed'),
                   sum(julianday(m.closed_date) - julianday(m.decided_date))
            from case_mediators m
            where m.closed_date between ? and ? and m.role in ({roles}) and m.outcome in ({OUTCOMES_IN})
              and {m_where}
            group by m.name""", [s, e, *wp]):
        by_mediator[name] = {"closed": n, "agreed": agreed_n,
                             "avg_days_to_close": _avg(int(round(days or 0)), n)}

    success_n = fm.successes(formula_name, by_outcome)
    success_rate = fm.ratio(success_n, closed)
    target = str(profile.get("target_success_rate") or "0.60")
    report = {
        "period": p.label,
        "org": profile.get("name", ""),
        "formula": formula_name,
        "received": received,
        "accepted": accepted,
        "declined": declined,
        "carried_over": carried,
        "collective_accepted": collective,
        "workers_involved": workers,
        "migrant_cases": migrant,
        "platform_cases": platform,
        "closed": closed,
        "closed_by_outcome": by_outcome,
        "pending_end": pending,
        "success_rate": success_rate,
        "on_time_rate": fm.ratio(on_time, closed),
        "amount_claimed": money.fen_to_text(claimed_fen),
        "amount_agreed": money.fen_to_text(agreed_fen),
        "amount_paid": money.fen_to_text(_fen(paid_fen)),
        "by_type": dict(sorted(by_type.items())),
        "by_mediator": dict(sorted(by_mediator.items())),
        # extensions
        "period_start": s,
        "period_end": e,
        "station": station,
        "formula_text": fm.text(formula_name),
        "workers_in_collective": workers_coll,
        "accepted_by_source": {k: by_source.get(k, 0) for k in SOURCES} | by_source,
        "declined_by_reason": {k: declined_by_reason.get(k, 0) for k in DECLINE_REASONS} | declined_by_reason,
        "successes": success_n,
        "closed_on_time": on_time,
        "target_success_rate": target,
        "target_met": None if success_rate is None else Decimal(repr(success_rate)) >= Decimal(target),
        "review_eligible": review_eligible,
        "payment_order_candidates": payment_order,
        "followups": followups,
        "checks": {"pending_direct": pending_direct, "reconciled": pending_direct == pending},
        "demo": bool(profile.get("demo")),
    }
    return report


def _avg(total: int, n: int) -> float | None:
    if not n:
        return None
    return float((Decimal(total) / Decimal(n)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def verify(report: dict) -> None:
    """Raise when the report does not reconcile (carry-over + accepted − closed ≠ pending by direct count)."""
    c = report["checks"]
    if not c["reconciled"]:
        raise ReconciliationError(
            f"{report['period']} 期末未结案件数不平衡：上期未结 {report['carried_over']} + 当期受理 {report['accepted']}"
            f" − 当期结案 {report['closed']} = {report['pending_end']}，但直接统计为 {c['pending_direct']}")


# --- monthly series for charts -----------------------------------------------------------------------------

def monthly_series(db, year: int, *, station: str | None = None, stations: list[str] | None = None,
                   success_formula: str | None = None) -> list[dict]:
    """Per month of `year`: received, accepted, closed, successes and success rate (for the charts)."""
    profile = station_profile(db, station)
    formula_name = fm.check(success_formula or profile.get("success_formula"))
    wins = fm.FORMULAS[formula_name][0]
    sc = Scope(db, station, stations)
    where, wp = sc.where, sc.params
    p = year_period(year)
    s, e = p.start_text, p.end_text
    rows = {m.label: {"month": m.label, "received": 0, "accepted": 0, "closed": 0, "successes": 0}
            for m in p.months()}
    for mon, n in _q(db, f"select substr(c.received_date, 1, 7), count(*) from cases c"
                         f" where c.received_date between ? and ? and {where} group by 1", [s, e, *wp]):
        rows[mon]["received"] = n
    for mon, n in _q(db, f"select substr(c.decided_date, 1, 7), count(*) from cases c"
                         f" where c.decided_date between ? and ? and c.decision = 'accepted' and {where} group by 1",
                     [s, e, *wp]):
        rows[mon]["accepted"] = n
    marks = ",".join("?" * len(wins))
    for mon, n, won in _q(db, f"select substr(c.closed_date, 1, 7), count(*), sum(c.outcome in ({marks}))"
                              f" from cases c where c.closed_date between ? and ?"
                              f" and {where} group by 1", [*wins, s, e, *wp]):
        rows[mon]["closed"] = n
        rows[mon]["successes"] = won
    out = list(rows.values())
    for r in out:
        r["success_rate"] = fm.ratio(r["successes"], r["closed"])
    return out


# --- determinism -------------------------------------------------------------------------------------------

# Fields that describe the run, not the data: left out of the fingerprint.
VOLATILE = frozenset({"generated_at", "generated_by", "fingerprint", "screening", "monthly", "stations",
                      "completeness", "sum_check", "elapsed_ms", "demo"})


def canonical_json(report: dict) -> bytes:
    """Sorted keys, no whitespace, UTF-8 (ensure_ascii off), volatile fields removed."""
    body = {k: v for k, v in report.items() if k not in VOLATILE}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def fingerprint(report: dict) -> str:
    return hashlib.sha256(canonical_json(report)).hexdigest()


def station_fingerprint(db, period: str | Period, station: str) -> str:
    """What a station writes into its bundle manifest and what the hub recomputes from the merged records."""
    return fingerprint(period_report(db, period, station=station))


# --- the hub -----------------------------------------------------------------------------------------------

ADDITIVE = ("received", "accepted", "declined", "carried_over", "collective_accepted", "workers_involved",
            "migrant_cases", "platform_cases", "closed", "pending_end", "workers_in_collective", "successes",
            "closed_on_time", "review_eligible", "payment_order_candidates", "followups")
ADDITIVE_MONEY = ("amount_claimed", "amount_agreed", "amount_paid")
ADDITIVE_MAPS = ("closed_by_outcome", "accepted_by_source", "declined_by_reason")


def expected_stations(db) -> tuple[list[str], str]:
    """Stations the hub expects reports from, and where that list came from.

    The enrolment table of the bundle exchange is read when it exists (any table of schema_sync with a
    `station` or `station_id` column whose name says it lists stations); otherwise the stations that have
    an organization record or cases here."""
    own = org.get_setting(db, "station_id")
    for (name,) in db.conn.execute("select name from sqlite_master where type = 'table' and name like '%station%'"
                                   " order by name"):
        cols = {r[1] for r in db.conn.execute(f"pragma table_info('{name}')")}
        col = "station" if "station" in cols else ("station_id" if "station_id" in cols else None)
        if col:
            ids = sorted({r[0] for r in db.conn.execute(f"select {col} from \"{name}\"") if r[0] and r[0] != own})
            if ids:
                return ids, f"登记表 {name}"
    ids = [s for s in known_stations(db) if s != own or not is_hub(db)]
    return ids, "库中有组织记录或案件的站点（未找到站点登记表）"


def hub_report(db, period: str | Period) -> dict:
    """The report over every station, each station's own report, and the completeness line.

    A station counts as reporting for the period when its records have arrived here (it has an organization
    record or cases); one with no case in the period is a nil report and still counts."""
    p = period if isinstance(period, Period) else parse_period(period)
    expected, source = expected_stations(db)
    present = set(known_stations(db))
    per_station = {sid: period_report(db, p, station=sid) for sid in expected if sid in present}
    total = period_report(db, p, stations=expected)
    for sid, rep in per_station.items():
        rep["fingerprint"] = fingerprint(rep)
        # the kind of organisation, for the MA1 breakdown; added after the fingerprint, which stations compute too
        rep["org_kind"] = station_profile(db, sid).get("kind") or ""
    reporting = [sid for sid in expected if sid in per_station]
    nil = [sid for sid, rep in per_station.items() if not any(rep[k] for k in ("received", "accepted", "declined",
                                                                                "closed", "carried_over"))]
    total["stations"] = per_station
    total["completeness"] = {
        "expected": len(expected), "reporting": len(reporting), "nil_reports": len(nil),
        "missing": [sid for sid in expected if sid not in per_station], "source": source,
        "text": f"应报站点 {len(expected)} 个，已报 {len(reporting)} 个（其中零报告 {len(nil)} 个）",
    }
    total["sum_check"] = sum_mismatches(total, list(per_station.values()))
    return total


def sum_mismatches(total: dict, parts: list[dict]) -> list[str]:
    """Additive figures where the total differs from the sum of the parts (empty when they agree)."""
    bad = []
    for k in ADDITIVE:
        if total[k] != sum(r[k] for r in parts):
            bad.append(k)
    for k in ADDITIVE_MONEY:
        if money.parse_amount(total[k]) != sum(money.parse_amount(r[k]) for r in parts):
            bad.append(k)
    for k in ADDITIVE_MAPS:
        keys = set(total[k]).union(*(r[k] for r in parts))
        for sub in keys:
            if total[k].get(sub, 0) != sum(r[k].get(sub, 0) for r in parts):
                bad.append(f"{k}.{sub}")
    for t in set(total["by_type"]).union(*(r["by_type"] for r in parts)):
        for f in ("accepted", "closed", "agreed"):
            if total["by_type"].get(t, {}).get(f, 0) != sum(r["by_type"].get(t, {}).get(f, 0) for r in parts):
                bad.append(f"by_type.{t}.{f}")
    return bad
