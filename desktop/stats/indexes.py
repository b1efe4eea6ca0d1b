"""Indexes the period report needs at 1,000,000 cases, proposed for a migration of the core (not created here).

The covering indexes of m0001 (cases_stat_decided, cases_stat_closed) lack `deleted`, `station`, `migrant`,
`platform`, `mediation_deadline` and, for closed cases, `decided_date`, so every counted case costs a lookup
in the wide `cases` row (≈ 18 µs each: a year of 450,000 cases ≈ 8 s). These partial indexes hold every column
the report reads, lead with `station` (a hub reports one station with a range scan, several with an IN list)
and leave out voided cases. `report.py` detects them and uses them; without them the same SQL runs, slower.
"""

from __future__ import annotations

STATS_INDEXES = {
    "cases_stat2_received": "CREATE INDEX IF NOT EXISTS cases_stat2_received ON cases(station, received_date,"
                            " employer_name, collective, worker_count, status) WHERE deleted = 0",
    # decision and type right after station: with IN lists on them the rows arrive grouped, no sort
    "cases_stat2_decided": "CREATE INDEX IF NOT EXISTS cases_stat2_decided ON cases(station, decision, primary_type,"
                           " decided_date, source, collective, migrant, platform, worker_count, amount_claimed_fen)"
                           " WHERE deleted = 0",
    "cases_stat2_closed": "CREATE INDEX IF NOT EXISTS cases_stat2_closed ON cases(station, outcome, primary_type,"
                          " closed_date, amount_agreed_fen, mediation_deadline, decided_date, decision)"
                          " WHERE deleted = 0",
}


def present(db) -> bool:
    names = {r[0] for r in db.conn.execute("select name from sqlite_master where type = 'index' and tbl_name = 'cases'")}
    return set(STATS_INDEXES) <= names


def create_in_transaction(db) -> None:
    """For the benchmark only: create them inside the caller's transaction (rolled back afterwards)."""
    for sql in STATS_INDEXES.values():
        db.conn.execute(sql)
