"""How a case is stored: the sealed document, its index columns, derived tables and events."""

from __future__ import annotations

import copy
import datetime as _dt
import json
import re
from typing import Iterable

from desktop import money, org, validate
from desktop.security import sensitive
from desktop.errors import InputError
from desktop.records import new_record
from desktop.security import mac as record_mac
from desktop.security.text import search_key

from .deadlines import calendar_for, computed
from .shape import TOP_KEYS, local_date


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")


def ngrams(texts: Iterable[str]) -> str:
    """1- and 2-character pieces of the Chinese runs, space separated, for short queries."""
    grams: list[str] = []
    seen = set()
    for text in texts:
        for run in _CJK.findall(text or ""):
            for i, ch in enumerate(run):
                for g in (ch, run[i:i + 2] if i + 1 < len(run) else None):
                    if g and g not in seen:
                        seen.add(g)
                        grams.append(g)
    return " ".join(grams)


def _place(rid, group: str, i: int, f: str):
    """Where a sealed value belongs (AES-GCM associated data, issue 15 item 2); None: unbound."""
    return None if rid is None else sensitive.place("case", rid, f"{group}[{i}].{f}")


def _seal(db, rec: dict, rid: str | None = None) -> dict:
    """The stored form: sensitive values sealed, and beside them (MASKED_KEY) their masked copies,
    written now, so a viewer who holds no key can browse the case (issue 15)."""
    sealed = dict(rec)  # only the people lists change; copy those, share the rest
    masked = {}
    for group, fields in sensitive.CASE_FIELDS.items():
        if group not in rec:
            continue
        people, copies = [], []
        for i, person in enumerate(rec[group]):
            person = dict(person)
            copies.append(sensitive.masked_copy(person, fields))
            for f in sensitive.person_fields(person, fields):
                if person.get(f):
                    person[f] = sensitive.seal(db, f, person[f], _place(rid, group, i, f))
            people.append(person)
        sealed[group] = people
        masked[group] = copies
    sealed.pop(sensitive.MASKED_KEY, None)
    if masked:
        sealed[sensitive.MASKED_KEY] = masked
    return sealed


def _reveal(db, rec: dict, rid: str | None = None) -> dict:
    """The record from its stored form. A session without a key (viewer) gets the masked copies."""
    if sensitive.masked_only(db):
        return _masked(db, rec, rid)
    rec.pop(sensitive.MASKED_KEY, None)
    for group, fields in sensitive.CASE_FIELDS.items():
        for i, person in enumerate(rec.get(group) or []):
            for f in sensitive.person_fields(person, fields):
                if person.get(f):
                    person[f] = sensitive.reveal(db, f, person[f], _place(rid, group, i, f))
    return rec


def _masked(db, rec: dict, rid: str | None = None) -> dict:
    """The record with every sensitive value replaced by its stored masked copy (no decryption; a
    value without a copy, in a file not yet upgraded, is masked from its revealed value if a key is
    unlocked, else shown as a placeholder)."""
    copies = rec.pop(sensitive.MASKED_KEY, None) or {}
    can_reveal = getattr(sensitive.codec(db), "name", "") not in ("masked", "locked")
    for group, fields in sensitive.CASE_FIELDS.items():
        group_copies = copies.get(group) or []
        for i, person in enumerate(rec.get(group) or []):
            reveal = (lambda f, v, i=i, g=group: sensitive.reveal(db, f, v, _place(rid, g, i, f))) if can_reveal else None
            sensitive.apply_masked(person, fields, group_copies[i] if i < len(group_copies) else None, reveal)
    return rec


def _columns(rec: dict, comp: dict) -> dict:
    app = rec["application"]
    acc = rec.get("acceptance") or {}
    outcome = rec.get("outcome") or {}
    received = local_date(validate.check_datetime(app["received_at"]))
    agreed_fen = sum(money.parse_amount(i["amount"]) for i in (rec.get("agreement") or {}).get("items", [])
                     if i.get("amount")) if outcome.get("kind") == "agreed" else 0
    workers = rec.get("workers") or []
    return {
        "status": comp["status"],
        "source": rec.get("source", "application"),
        "received_at": app["received_at"],
        "received_date": received.isoformat(),
        "decision": acc.get("decision"),
        "decided_date": acc.get("decided_at"),
        "decline_reason": (acc.get("reason_code") or "other") if acc.get("decision") == "declined" else None,
        "outcome": outcome.get("kind"),
        "closed_date": outcome.get("closed_at"),
        "primary_type": rec["dispute_types"][0],
        "worker_count": comp["worker_count"],
        "collective": int(comp["collective"]),
        "migrant": int(any(w.get("migrant") for w in workers)),
        "platform": int(any(w.get("platform") for w in workers)),
        "employer_name": rec["employer"]["name"],
        "first_worker": workers[0]["name"] if workers else "",
        "mediator_names": "、".join(m["name"] for m in rec.get("mediators") or []),
        "amount_claimed_fen": sum(money.parse_amount(c["amount"]) for c in rec.get("claims") or [] if c.get("amount")),
        "amount_agreed_fen": agreed_fen,
        "acceptance_due": comp["acceptance_due"],
        "statutory_deadline": comp["statutory_deadline"],
        "mediation_deadline": comp["mediation_deadline"],
        "review_deadline": comp["review_deadline"],
        "provisional": int(comp["provisional"]),
    }


DERIVED_TABLES = ("case_workers", "case_mediators", "case_items", "case_payments", "case_followups")


def clear_derived(db, rowid: int) -> None:
    """Remove one case's derived rows (before a rebuild, or when the case becomes a tombstone)."""
    for table in DERIVED_TABLES:
        db.conn.execute(f"delete from {table} where case_rowid = ?", (rowid,))
    db.conn.execute("delete from case_fts where rowid = ?", (rowid,))
    db.conn.execute("delete from case_ngram where rowid = ?", (rowid,))


def derived_rows(db, rec: dict, station: str) -> dict:
    """One case's derived index rows, without the case rowid (which the caller puts in front).

    Shared by single-case writes (`_derived`) and the hub's batched import, so both index alike.
    """
    workers = rec.get("workers") or []
    acc, out = rec.get("acceptance") or {}, rec.get("outcome") or {}
    items = (rec.get("agreement") or {}).get("items") or []
    paid = [0] * len(items)
    payments = []
    for i, p in enumerate(rec.get("performance") or []):
        fen = money.parse_amount(p["amount"])
        if 0 <= p["item"] < len(paid):
            paid[p["item"]] += fen
        payments.append((i, p["paid_at"], fen))
    # the same normalisation as queries (no spaces, zero-width or full-width forms): "Acme Trading" is found
    names = [search_key(w["name"]) for w in workers] + [search_key(rec["employer"]["name"])]
    ids = [sensitive.search_text(db, "id_number", w.get("id_number") or "") for w in workers]
    return {
        "case_workers": [(i, w["name"], sensitive.blind_index(db, "id_number", w.get("id_number") or ""))
                         for i, w in enumerate(workers)],
        # copies of the case's station and dates let the by-mediator report read one index
        "case_mediators": [(m["name"], m["role"], station, out.get("closed_at"), out.get("kind"),
                            acc.get("decided_at")) for m in rec.get("mediators") or []],
        "case_items": [(i, it["category"], money.parse_amount(it["amount"]) if it.get("amount") else 0,
                        it.get("due_date"), paid[i]) for i, it in enumerate(items)],
        "case_payments": payments,
        "case_followups": [(i, f["at"]) for i, f in enumerate(rec.get("followups") or [])],
        "case_fts": [(" ".join(names + [i for i in ids if i]),)],
        "case_ngram": [(ngrams(names),)],
    }


DERIVED_INSERT = {
    "case_workers": "insert into case_workers (case_rowid, idx, name, id_key) values (?,?,?,?)",
    "case_mediators": "insert or ignore into case_mediators (case_rowid, name, role, station, closed_date, outcome,"
                      " decided_date) values (?,?,?,?,?,?,?)",
    "case_items": "insert into case_items (case_rowid, idx, category, amount_fen, due_date, paid_fen)"
                  " values (?,?,?,?,?,?)",
    "case_payments": "insert into case_payments (case_rowid, idx, paid_at, amount_fen) values (?,?,?,?)",
    "case_followups": "insert into case_followups (case_rowid, idx, at) values (?,?,?)",
    "case_fts": "insert into case_fts (rowid, text) values (?, ?)",
    "case_ngram": "insert into case_ngram (rowid, grams) values (?, ?)",
}


def insert_derived(db, batch: Iterable[tuple[int, dict]]) -> None:
    """Insert derived rows for (rowid, derived_rows(...)) pairs, one statement per table."""
    per_table: dict[str, list] = {t: [] for t in DERIVED_INSERT}
    for rowid, rows in batch:
        for table, table_rows in rows.items():
            per_table[table].extend((rowid, *r) for r in table_rows)
    for table, rows in per_table.items():
        if rows:
            db.conn.executemany(DERIVED_INSERT[table], rows)


def _derived(db, rowid: int, rec: dict, *, fresh: bool) -> None:
    """Rebuild the derived index rows of one case (workers, mediators, items, payments, search)."""
    if not fresh:
        clear_derived(db, rowid)
    station = db.conn.execute("select station from cases where rowid = ?", (rowid,)).fetchone()[0]
    insert_derived(db, [(rowid, derived_rows(db, rec, station))])


def _event(db, station: str, case_id: str, actor: str, action: str, *, at: str | None = None,
           reason: str | None = None, detail: dict | None = None) -> None:
    ev = new_record(station)
    at = at or ev["created_at"]
    detail_text = json.dumps(detail or {}, ensure_ascii=False)
    db.conn.execute(
        "insert into case_events (id, station, created_at, updated_at, rev, deleted, case_id, at, actor, action,"
        " reason, detail, mac) values (?,?,?,?,1,0,?,?,?,?,?,?,?)",
        (ev["id"], station, ev["created_at"], ev["updated_at"], case_id, at, actor, action, reason, detail_text,
         record_mac.for_row(db, "event", ev["id"], (station, 0, case_id, at, actor, action, reason, detail_text))),
    )


_INSERT_COLS = None


def _insert(db, rec: dict, comp: dict, *, station: str, profile: dict, back_entered: bool) -> tuple[str, int, str]:
    received_year = int(comp_year(rec))
    if rec.get("case_no"):
        case_no = rec["case_no"]
        if db.conn.execute("select 1 from cases where case_no = ? and station = ?", (case_no, station)).fetchone():
            raise InputError(f"case_no: 案号已存在「{case_no}」")
        seq = org.note_used_case_no(db, case_no, received_year, profile)
    else:
        case_no, seq = org.next_case_no(db, received_year, profile)
        rec["case_no"] = case_no
    base = new_record(station)
    cols = _columns(rec, comp)
    doc = json.dumps(_seal(db, rec, base["id"]), ensure_ascii=False, separators=(",", ":"))
    row = {**base, "case_no": case_no, "year": received_year, "seq": seq, "doc": doc,
           "back_entered": int(back_entered), **cols,
           "mac": record_mac.for_row(db, "case", base["id"], (station, case_no, base.get("deleted", 0), 0, doc))}
    keys = list(row)
    cur = db.conn.execute(f"insert into cases ({', '.join(keys)}) values ({', '.join('?' * len(keys))})",
                          [row[k] for k in keys])
    rowid = cur.lastrowid
    _derived(db, rowid, rec, fresh=True)
    return base["id"], rowid, case_no


def comp_year(rec: dict) -> int:
    return local_date(validate.check_datetime(rec["application"]["received_at"])).year


def _prefix(index: int | None) -> str:
    return f"第{index}条 " if index is not None else ""

def _load_row(db, key: str):
    row = db.conn.execute(
        "select rowid, id, station, case_no, doc, rev, created_at, updated_at, back_entered, archived, deleted"
        " from cases where (id = ? or case_no = ?) and deleted = 0", (key, key)).fetchone()
    return row


def _row_to_record(db, row, *, today=None, masked=False) -> dict:
    rowid, cid, station, case_no, doc, rev, created, updated, back, archived, _deleted = row
    # masked: read the masked copies written with the record (no decryption needed)
    rec = _masked(db, json.loads(doc), cid) if masked else _reveal(db, json.loads(doc), cid)
    comp = computed(rec, calendar_for(db), today)
    out = {"id": cid, "station": station, **rec, **comp, "back_entered": bool(back), "archived": bool(archived),
           "rev": rev, "created_at": created, "updated_at": updated}
    out["case_no"] = case_no
    return out


def get_case(db, key: str, *, today: _dt.date | None = None, masked: bool = False) -> dict | None:
    """A case by id or case number: the contract record plus computed fields."""
    row = _load_row(db, key)
    return _row_to_record(db, row, today=today, masked=masked) if row else None


def record_only(case: dict) -> dict:
    """The editable contract record of a stored case (computed fields dropped)."""
    return {k: copy.deepcopy(v) for k, v in case.items() if k in TOP_KEYS}



def history(db, key: str) -> list[dict]:
    row = _load_row(db, key)
    if row is None:
        return []
    return [{"at": r[0], "actor": r[1], "action": r[2], "reason": r[3], "detail": json.loads(r[4])}
            for r in db.conn.execute("select at, actor, action, reason, detail from case_events where case_id = ?"
                                     " and deleted = 0 order by created_at, rowid", (row[1],))]


def open_cases_for(db, worker_id_number: str | None, employer_name: str, *, exclude: str | None = None) -> list[str]:
    """Case numbers of open cases with the same worker (by blind index of the ID) and employer."""
    if not worker_id_number:
        return []
    key = sensitive.blind_index(db, "id_number", worker_id_number)
    rows = db.conn.execute(
        "select c.case_no from case_workers w join cases c on c.rowid = w.case_rowid"
        " where w.id_key = ? and c.employer_name = ? and c.status in ('registered','mediating') and c.deleted = 0",
        (key, employer_name)).fetchall()
    return [r[0] for r in rows if r[0] != exclude]


def employers(db, prefix: str, limit: int = 20) -> list[dict]:
    """Employer lookup from earlier cases (newest details first)."""
    out = []
    for (doc,) in db.conn.execute(
        "select doc from cases where employer_name >= ? and employer_name < ? and deleted = 0"
        " group by employer_name order by employer_name limit ?", (prefix, prefix + "\U0010ffff", limit)):
        out.append(json.loads(doc)["employer"])
    return out
