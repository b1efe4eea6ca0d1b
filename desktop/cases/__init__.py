"""The case record (contract.md): shape, legal rules, deadlines, storage and lifecycle.

A case is one record: the contract's JSON object, stored whole in `cases.doc` with its sensitive
fields sealed, plus indexed columns and derived tables (workers, items, payments, search) that are
rebuilt from it on every write.

Module map:
- `shape`      the record's keys, field readers and the Problems list they fill;
- `rules`      `check_record`: the legal rules, one small function per part of the record;
- `deadlines`  computed fields and deadlines from the work calendar; `recompute_deadlines`;
- `storage`    sealing, index columns, derived tables, events, reading a stored case;
- `lifecycle`  registration, back-entry import, edits and the transitions of domain.md §7.

Callers use the names re-exported here; the submodules are an implementation detail.
"""

from __future__ import annotations

from .deadlines import (
    ACCEPTANCE_WORKING_DAYS, MEDIATION_DAYS, REVIEW_DAYS, calendar_for, computed, forget_calendar,
    recompute_deadlines,
)
from .lifecycle import (
    accept, acknowledge_warnings, add_followup, add_performance, add_session, assign_mediators, close, create_case, decline,
    delete_case, edit_session, extend, import_records, record_recusal, reopen, set_archived, update_case,
)
from .rules import check_record, is_collective, review_refusal
from .shape import (
    ACCEPTANCE_KEYS, AGENT_KEYS, AGREEMENT_KEYS, APPLICATION_KEYS, CLAIM_KEYS, COLLECTIVE_MIN, COMPUTED_KEYS,
    CONFLICT_KEYS, EMPLOYER_KEYS, EVIDENCE_KEYS, EXTENSION_KEYS, FOLLOWUP_KEYS, FOLLOWUP_RESULTS, ITEM_KEYS,
    MEDIATOR_KEYS, OUTCOME_KEYS, PERFORMANCE_KEYS, RECUSAL_DECISIONS, RECUSAL_KEYS, SESSION_KEYS, TOP_KEYS,
    WORKER_KEYS, WORKER_MIN_AGE, Problems, local_date, CONSENT_HOW, CONSENT_PARTIES,
)
from .storage import (
    DERIVED_INSERT, DERIVED_TABLES, _columns, _derived, _reveal, _seal, clear_derived, comp_year, derived_rows,
    employers, get_case, history, insert_derived, ngrams, open_cases_for, record_only,
)

# Public names for the parts other modules (bundles at the hub, key set-up, checks) reuse.
seal_record = _seal
reveal_record = _reveal
index_columns = _columns
rebuild_derived = _derived

# The protection code re-seals and verifies cases through these (it never imports this package).
from desktop.security import records as _records  # noqa: E402

_records.register("case", table="cases", reveal=reveal_record, seal=seal_record, rebuild=rebuild_derived,
                  index_columns=lambda rec, cal: index_columns(rec, computed(rec, cal)), calendar=calendar_for)
