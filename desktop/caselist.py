"""The case list: keyset-paged queries over `cases` with filters, fast at 1,000,000 cases.

Qt-free; the desktop's table model (desktop/ui/cases_page.py) asks for one page at a time.
Paging is by keyset (the last row's sort key), never OFFSET, so page 4,000 costs what page 1
costs; sorting is offered only on columns an index can walk (measured.md: 256-row keyset
pages paint in 50 ms at 1M rows). ID numbers leave this module masked.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from desktop import money, search
from desktop.security import sensitive
from desktop.codes import DISPUTE_TYPES, STATUSES
from desktop.errors import InputError
from desktop.clock import today as _today

PAGE_SIZE = 256
SEARCH_LIMIT = 2000  # a search shows at most this many rows, newest first
COUNT_CAP = 10000  # counting stops here ("10000+"): an exact count of 1M rows costs more than it says

# Sort keys an index can walk: name -> (column expressions, with the index that serves them).
SORTS = {
    "received": ("received_date", "rowid"),  # cases_received (rowid is implicit in the index)
    "case_no": ("station", "case_no"),  # cases_case_no (unique, so no tie-breaker needed)
    "employer": ("employer_name", "rowid"),  # cases_employer
}
SORT_INDEX = {"received": "cases_received", "case_no": "cases_case_no", "employer": "cases_employer"}

# (key, heading, sort name or None)
COLUMNS = [
    ("case_no", "案号", "case_no"),
    ("status", "状态", None),
    ("received_date", "收到日期", "received"),
    ("worker", "申请人（劳动者）", None),
    ("id_number", "身份证号码", None),
    ("employer", "用人单位", "employer"),
    ("type", "争议类型", None),
    ("mediators", "调解员", None),
    ("deadline", "期限", None),
    ("amount", "请求金额", None),
    ("flags", "标记", None),
]

_SELECT = ("select rowid, id, case_no, status, received_date, first_worker, worker_count,"
           # the masked copy stored with the record (issue 15): no decryption per row, and a viewer
           # (no key) sees the same column; the sealed value only in a file not yet upgraded
           " coalesce(json_extract(doc, '$._masked.workers[0].id_number'), json_extract(doc, '$.workers[0].id_number')),"
           " employer_name, primary_type, mediator_names,"
           " acceptance_due, mediation_deadline, outcome, amount_claimed_fen, collective, migrant, provisional,"
           " station, back_entered from cases")


@dataclass
class Filters:
    status: str | None = None  # registered / declined / mediating / closed
    overdue: bool = False
    dispute_type: str | None = None  # primary type code
    mediator: str | None = None
    date_from: str | None = None  # received_date, ISO
    date_to: str | None = None
    collective: bool = False
    migrant: bool = False
    search: str = ""
    today: _dt.date | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class Row:
    rowid: int
    id: str
    case_no: str
    status: str
    received_date: str
    worker: str
    id_number: str  # masked
    employer: str
    primary_type: str
    mediators: str
    deadline: str | None
    deadline_kind: str
    overdue: bool
    provisional: bool
    amount_fen: int
    collective: bool
    migrant: bool
    outcome: str | None
    sort_key: tuple

    def cell(self, key: str) -> str:
        if key == "case_no":
            return self.case_no
        if key == "status":
            s = STATUSES.get(self.status, self.status)
            return s + "（逾期）" if self.overdue else s
        if key == "received_date":
            return self.received_date
        if key == "worker":
            return self.worker
        if key == "id_number":
            return self.id_number
        if key == "employer":
            return self.employer
        if key == "type":
            return DISPUTE_TYPES.get(self.primary_type, self.primary_type)
        if key == "mediators":
            return self.mediators
        if key == "deadline":
            if not self.deadline:
                return ""
            return f"{self.deadline_kind} {self.deadline}" + ("（暂定）" if self.provisional else "")
        if key == "amount":
            return money.format_figure(self.amount_fen) if self.amount_fen else ""
        if key == "flags":
            return "、".join(f for f, on in (("集体", self.collective), ("农民工", self.migrant)) if on)
        raise KeyError(key)


def where_clause(db, f: Filters) -> tuple[str, list]:
    """The SQL condition of the filters (alias-free, on `cases`)."""
    today = (f.today or _today()).isoformat()
    conds = ["deleted = 0"]
    args: list = []
    if f.status:
        if f.status not in STATUSES:
            raise InputError(f"status: 未知状态 {f.status}")
        conds.append("status = ?")
        args.append(f.status)
    if f.overdue:
        conds.append("((status = 'registered' and acceptance_due < ?) or"
                     " (status = 'mediating' and mediation_deadline < ?))")
        args += [today, today]
    if f.dispute_type:
        conds.append("primary_type = ?")
        args.append(f.dispute_type)
    if f.mediator:
        conds.append("rowid in (select case_rowid from case_mediators where name = ?)")
        args.append(f.mediator)
    if f.date_from:
        conds.append("received_date >= ?")
        args.append(f.date_from)
    if f.date_to:
        conds.append("received_date <= ?")
        args.append(f.date_to)
    if f.collective:
        conds.append("collective = 1")
    if f.migrant:
        conds.append("migrant = 1")
    q = search.normalize(f.search)
    if q and any(ch in q for ch in "〔〕[]［］第号字"):
        # A case number, typed from its start: a prefix range on the (station, case_no) index.
        # (search.match_rowids compares case_no unindexed: 170 ms at 100k cases per keystroke.)
        conds.append("rowid in (select rowid from cases indexed by cases_case_no where station in"
                     " (select station from org) and case_no >= ? and case_no < ? limit ?)")
        args += [q, q + "\U0010ffff", SEARCH_LIMIT]
    elif q:
        cond, params = search.search_sql(db, f.search, SEARCH_LIMIT)
        conds.append(cond)
        args += params
    return " and ".join(conds), args


def _to_row(db, r, sort: str, today: str) -> Row:
    (rowid, cid, case_no, status, received, worker, n, idn, employer, ptype, mediators, acc_due, med_due,
     outcome, amount, collective, migrant, provisional, station, _back) = r
    if status == "registered":
        deadline, kind = acc_due, "受理"
    elif status == "mediating":
        deadline, kind = med_due, "调解"
    else:
        deadline, kind = None, ""
    overdue = bool(deadline and deadline < today)
    if idn and not idn.startswith("*"):  # not a stored masked copy: a file from before issue 15
        can_reveal = getattr(sensitive.codec(db), "name", "") not in ("masked", "locked")
        idn = sensitive.apply_masked({"id_number": idn}, ("id_number",), None, (
            lambda f, v: sensitive.reveal(db, f, v, sensitive.place("case", cid, "workers[0].id_number")))
            if can_reveal else None)["id_number"]
    idn = idn or ""
    cols = SORTS[sort]
    values = {"received_date": received, "rowid": rowid, "station": station, "case_no": case_no,
              "employer_name": employer}
    return Row(rowid, cid, case_no, status, received, worker + (f" 等{n}人" if n > 1 else ""), idn, employer,
               ptype, mediators, deadline, kind, overdue, bool(provisional), amount or 0, bool(collective),
               bool(migrant), outcome, tuple(values[c] for c in cols))


def page(db, filters: Filters | None = None, *, sort: str = "received", descending: bool = True,
         after: tuple | None = None, limit: int = PAGE_SIZE) -> list[Row]:
    """One page of the list; pass the last row's `sort_key` as `after` for the next page."""
    f = filters or Filters()
    if sort not in SORTS:
        raise InputError(f"sort: 不能按 {sort} 排序（可选：{'、'.join(SORTS)}）")
    cond, args = where_clause(db, f)
    cols = SORTS[sort]
    if after is not None:
        op = "<" if descending else ">"
        cond += f" and ({', '.join(cols)}) {op} ({', '.join('?' * len(cols))})"
        args = args + list(after)
    direction = "desc" if descending else "asc"
    # A selective filter (a search's rowid list, open statuses, overdue) leaves a few thousand rows
    # at most: look those up and sort them ("+col" keeps the planner off the sort index). Otherwise
    # walk the sort index (INDEXED BY): without statistics the planner would pick the status index
    # and sort 800,000 closed cases to show 256 (measured at 100k: 540 ms → a few ms).
    selective = bool(f.search.strip()) or f.status in ("registered", "mediating") or f.overdue
    plus = "+" if selective else ""
    hint = "" if selective else f" indexed by {SORT_INDEX[sort]}"
    order = ", ".join(f"{plus}{c} {direction}" for c in cols)
    outer = ", ".join(f"{c} {direction}" for c in cols)
    # Choose the page's rowids on the narrow columns first, then read the 256 rows (the JSON
    # extraction of the masked ID only for those).
    sql = (f"{_SELECT} where rowid in (select rowid from cases{hint} where {cond} order by {order} limit ?)"
           f" order by {outer}")
    today = (f.today or _today()).isoformat()
    return [_to_row(db, r, sort, today) for r in db.conn.execute(sql, args + [limit])]


def count(db, filters: Filters | None = None, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """(number of matching cases, capped): counting stops at `cap`."""
    cond, args = where_clause(db, filters or Filters())
    n = db.conn.execute(f"select count(*) from (select 1 from cases where {cond} limit ?)", args + [cap + 1]
                        ).fetchone()[0]
    return (min(n, cap), n > cap)


def mediator_names(db) -> list[str]:
    return [r[0] for r in db.conn.execute("select name from mediators where deleted = 0 order by active desc, name")]
