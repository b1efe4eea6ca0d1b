"""Lifecycle of a case (domain.md §7): registration, back-entry, edits and transitions.

Every change bumps `rev`, marks the row dirty for the next bundle, writes a `case_events` row
(who, when, what, why) and an audit entry.
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
from typing import Callable, Iterable

from desktop import org
from desktop.security import audit, sensitive
from desktop.security.accounts import User, require
from desktop.clock import now, today as _today
from desktop.errors import InputError
from desktop.security import mac as record_mac

from .deadlines import calendar_for, computed
from .rules import check_record
from .storage import (
    _columns, _derived, _event, _insert, _load_row, _row_to_record, _seal, clear_derived, get_case, record_only,
)


def _prefix(index: int | None) -> str:
    return f"第{index}条 " if index is not None else ""


def acknowledge_warnings(rec: dict, actor_name: str, at: str | None = None) -> list[dict]:
    """Mark the record's unacknowledged warnings as acknowledged by `actor_name` now; returns them.

    A warning does not stop a record: storing it with a warning is the acknowledgement (the form
    shows it beside the field, import-cases prints it), and who did so stays on the case.
    """
    fresh = [w for w in rec.get("warnings") or () if not w.get("acknowledged_by")]
    if fresh:
        at = at or now()
        for w in fresh:
            w["acknowledged_by"] = actor_name
            w["acknowledged_at"] = at
    return fresh


def _warning_event(db, station: str, case_id: str, actor: str, fresh: list[dict], *, at: str | None = None) -> None:
    """The case history shows each acknowledged warning (LL Art. 15 cases are noted for the inspectorate)."""
    if fresh:  # the messages go in the reason column, which the history shows as it is
        _event(db, station, case_id, actor, "warning", at=at, reason="；".join(w["message"] for w in fresh),
               detail={"warnings": [{"code": w["code"], "path": w["path"]} for w in fresh]})


def _check_or_raise(raw, *, cal, today, index=None) -> dict:
    rec, problems = check_record(raw, today=today, cal=cal)
    if problems:
        raise InputError(problems.messages(_prefix(index)))
    return rec


def _back_entry_events(db, station: str, case_id: str, rec: dict, actor: str, *, back_entered: bool = True) -> None:
    """History for a back-entered case: its transitions at the dates written on paper."""
    flag = {"back_entered": True} if back_entered else {}
    _event(db, station, case_id, actor, "register", at=rec["application"]["received_at"], detail=dict(flag))
    acc = rec.get("acceptance")
    if acc:
        _event(db, station, case_id, actor, "accept" if acc["decision"] == "accepted" else "decline",
               at=acc["decided_at"], reason=acc.get("reason"), detail=dict(flag))
    for x in rec.get("extensions") or []:
        _event(db, station, case_id, actor, "extend", at=x["agreed_at"], detail={"until": x["until"], **flag})
    for s in rec.get("sessions") or []:
        _event(db, station, case_id, actor, "session", at=s["held_at"], detail=dict(flag))
    if rec.get("outcome"):
        _event(db, station, case_id, actor, "close", at=rec["outcome"]["closed_at"], reason=rec["outcome"].get("reason"),
               detail={"kind": rec["outcome"]["kind"], **flag})


def import_records(db, records: Iterable, actor: User, *, today: _dt.date | None = None,
                   back_entered: bool = True, audit_action: str = "case.import",
                   progress: Callable[[int], bool] | None = None, batch_audit: bool = False,
                   full_history: bool = False, warnings_out: list[str] | None = None) -> list[str]:
    """Store many case records in one transaction: all or nothing. Returns the case numbers.

    Every record is checked first; any problem in any record raises InputError listing them all
    and nothing is written. `progress(n)` returning False cancels (nothing written). Warnings do
    not stop the import: they are acknowledged by `actor`, stored on the case, written to its
    history, and (as 「第N条 path: 提示：…」 lines) appended to `warnings_out` when given.
    """
    require(actor, "write")
    cal = calendar_for(db)
    today = today or _today()
    checked = []
    all_problems: list[str] = []
    seen_numbers: dict[str, int] = {}
    for i, raw in enumerate(records, start=1):
        rec, problems = check_record(raw, today=today, cal=cal)
        if problems:
            all_problems.extend(problems.messages(_prefix(i)))
            continue
        if warnings_out is not None and problems.warnings:
            warnings_out.extend(problems.warning_messages(_prefix(i)))
        if rec.get("case_no"):
            if rec["case_no"] in seen_numbers:
                all_problems.append(f"第{i}条 case_no: 与第{seen_numbers[rec['case_no']]}条案号重复")
            seen_numbers[rec["case_no"]] = i
        checked.append((i, rec))
    if all_problems:
        raise InputError(all_problems)
    station = org.station_id(db)
    profile = org.get_profile(db)
    numbers = []
    with db.atomic():
        for n, (i, rec) in enumerate(checked, start=1):
            comp = computed(rec, cal, today)
            fresh = acknowledge_warnings(rec, actor.name)
            try:
                case_id, _rowid, case_no = _insert(db, rec, comp, station=station, profile=profile,
                                                   back_entered=back_entered)
            except InputError as exc:
                raise InputError([f"第{i}条 {m}" for m in exc.messages]) from None
            if back_entered or full_history:
                _back_entry_events(db, station, case_id, rec, actor.name, back_entered=back_entered)
            else:
                _event(db, station, case_id, actor.name, "register", at=rec["application"]["received_at"])
            _warning_event(db, station, case_id, actor.name, fresh)
            if not batch_audit:
                audit.log(db, actor.name, audit_action, target="cases", record_id=case_id, detail={"case_no": case_no})
            numbers.append(case_no)
            if progress and n % 1000 == 0 and progress(n) is False:
                raise InputError("操作已取消，未写入任何数据")
        if batch_audit:
            audit.log(db, actor.name, audit_action, target="cases", detail={"count": len(numbers)})
    return numbers


def create_case(db, raw: dict, actor: User, *, today: _dt.date | None = None) -> dict:
    """Register one application (the registration form). Returns the stored record with computed fields."""
    require(actor, "write")
    cal = calendar_for(db)
    today = today or _today()
    rec = _check_or_raise(raw, cal=cal, today=today)
    station = org.station_id(db)
    with db.atomic():
        comp = computed(rec, cal, today)
        fresh = acknowledge_warnings(rec, actor.name)
        case_id, _rowid, case_no = _insert(db, rec, comp, station=station, profile=org.get_profile(db),
                                           back_entered=False)
        _event(db, station, case_id, actor.name, "register", detail={"mode": rec["application"]["mode"]})
        _warning_event(db, station, case_id, actor.name, fresh)
        audit.log(db, actor.name, "case.create", target="cases", record_id=case_id, detail={"case_no": case_no})
    return get_case(db, case_id, today=today)


def _diff_fields(old: dict, new: dict) -> list[str]:
    keys = sorted(set(old) | set(new))
    return [k for k in keys if old.get(k) != new.get(k)]


def update_case(db, key: str, change: Callable[[dict], None] | dict, actor: User, *, action: str = "edit",
                reason: str | None = None, detail: dict | None = None, today: _dt.date | None = None) -> dict:
    """Apply a change to a case's record, validate the whole result, store it as a new revision.

    `change` is a function that edits the record in place, or a dict of top-level keys to replace.
    """
    require(actor, "write")
    cal = calendar_for(db)
    today = today or _today()
    with db.atomic():
        row = _load_row(db, key)
        if row is None:
            raise InputError(f"案件不存在：{key}")
        rowid, cid, station = row[0], row[1], row[2]
        if row[9]:
            raise InputError("案件已归档，须先重新启用（撤销归档）才能修改")
        if station != org.station_id(db):
            raise InputError("该案件属于其他站点，汇总端只能查看")
        old = record_only(_row_to_record(db, row, today=today))
        new = copy.deepcopy(old)
        if callable(change):
            change(new)
        else:
            for k, v in change.items():
                if v is None:
                    new.pop(k, None)
                else:
                    new[k] = v
        new["case_no"] = old["case_no"]
        rec = _check_or_raise(new, cal=cal, today=today)
        fresh = acknowledge_warnings(rec, actor.name)
        comp = computed(rec, cal, today)
        cols = _columns(rec, comp)
        sets = ", ".join(f"{k} = ?" for k in cols)
        doc = json.dumps(_seal(db, rec, cid), ensure_ascii=False, separators=(",", ":"))
        db.conn.execute(
            f"update cases set doc = ?, rev = rev + 1, updated_at = ?, dirty = 1, {sets}, mac = ? where rowid = ?",
            [doc, now(), *cols.values(),
             record_mac.for_row(db, "case", cid, (station, old["case_no"], 0, row[9], doc)), rowid],
        )
        _derived(db, rowid, rec, fresh=False)
        fields = _diff_fields(old, rec)
        _event(db, station, cid, actor.name, action, reason=reason, detail={"fields": fields, **(detail or {})})
        _warning_event(db, station, cid, actor.name, fresh)
        audit.log(db, actor.name, f"case.{action}", target="cases", record_id=cid,
                  detail={"case_no": old["case_no"], "fields": fields, **_audit_changes(old, rec, fields)})
    return get_case(db, cid, today=today)


def _audit_changes(old: dict, new: dict, fields: list[str]) -> dict:
    """old → new for non-sensitive top-level scalars and small objects (sensitive groups: names only)."""
    changes = {}
    for f in fields:
        if f in sensitive.CASE_FIELDS:
            continue
        o, n = old.get(f), new.get(f)
        if len(json.dumps([o, n], ensure_ascii=False)) <= 2000:
            changes[f] = [o, n]
    return {"changes": changes} if changes else {}


# --- lifecycle transitions (each stores who, when and why) -------------------------------------

def accept(db, key: str, decided_at: str, actor: User, *, mediators: list[dict] | None = None,
           respondent_agreed: bool = True, reason: str | None = None, consents: list[dict] | None = None) -> dict:
    """Accept a case (EMR Art. 22). `consents`: when and how each party agreed to mediate
    ([{"party": "respondent", "at": "YYYY-MM-DD", "how": "written"}]), recorded before acceptance."""
    def change(rec):
        if rec.get("acceptance"):
            raise InputError("acceptance: 该案件已作出受理决定")
        rec["acceptance"] = {"decision": "accepted", "decided_at": decided_at, "reason": reason,
                             "respondent_agreed": respondent_agreed}
        if consents is not None:
            rec["acceptance"]["consents"] = consents
        if mediators:
            rec["mediators"] = mediators
    return update_case(db, key, change, actor, action="accept", reason=reason)


def decline(db, key: str, decided_at: str, reason: str, actor: User, *, reason_code: str = "other") -> dict:
    def change(rec):
        if rec.get("acceptance"):
            raise InputError("acceptance: 该案件已作出受理决定")
        rec["acceptance"] = {"decision": "declined", "decided_at": decided_at, "reason": reason,
                             "reason_code": reason_code}
    return update_case(db, key, change, actor, action="decline", reason=reason)


def assign_mediators(db, key: str, mediators: list[dict], actor: User, *, reason: str | None = None) -> dict:
    return update_case(db, key, {"mediators": mediators}, actor, action="assign", reason=reason)


def record_recusal(db, key: str, recusal: dict, actor: User) -> dict:
    def change(rec):
        rec.setdefault("recusals", []).append(recusal)
        if recusal.get("decision") == "granted":
            rec["mediators"] = [m for m in rec.get("mediators") or [] if m["name"] != recusal.get("mediator")]
    return update_case(db, key, change, actor, action="recusal", reason=recusal.get("grounds"))


def extend(db, key: str, agreed_at: str, until: str, actor: User, *, reason: str | None = None) -> dict:
    def change(rec):
        x = {"agreed_at": agreed_at, "until": until}
        if reason:
            x["reason"] = reason
        rec.setdefault("extensions", []).append(x)
    return update_case(db, key, change, actor, action="extend", reason=reason, detail={"until": until})


def add_session(db, key: str, session: dict, actor: User) -> dict:
    return update_case(db, key, lambda rec: rec.setdefault("sessions", []).append(session), actor, action="session")


def edit_session(db, key: str, index: int, session: dict, actor: User) -> dict:
    def change(rec):
        sessions = rec.get("sessions") or []
        if not 0 <= index < len(sessions):
            raise InputError(f"sessions[{index}]: 调解笔录不存在")
        sessions[index] = session
    return update_case(db, key, change, actor, action="session.edit")


def close(db, key: str, kind: str, closed_at: str, actor: User, *, reason: str | None = None,
          agreement: dict | None = None) -> dict:
    def change(rec):
        if rec.get("outcome"):
            raise InputError("outcome: 该案件已结案")
        rec["outcome"] = {"kind": kind, "closed_at": closed_at, "reason": reason}
        if agreement is not None:
            rec["agreement"] = agreement
    return update_case(db, key, change, actor, action="close", reason=reason, detail={"kind": kind})


def reopen(db, key: str, actor: User, reason: str) -> dict:
    """Undo a closing (e.g. entered by mistake); the reason is required and recorded."""
    if not reason:
        raise InputError("reason: 重新开启案件必须说明理由")

    def change(rec):
        rec.pop("outcome", None)
        rec.pop("agreement", None)
        rec.pop("performance", None)
    return update_case(db, key, change, actor, action="reopen", reason=reason)


def add_performance(db, key: str, entry: dict, actor: User) -> dict:
    return update_case(db, key, lambda rec: rec.setdefault("performance", []).append(entry), actor,
                       action="performance")


def add_followup(db, key: str, entry: dict, actor: User) -> dict:
    return update_case(db, key, lambda rec: rec.setdefault("followups", []).append(entry), actor, action="followup")


def set_archived(db, key: str, archived: bool, actor: User, *, reason: str | None = None) -> None:
    """Archiving locks a closed case; reopening the archive is recorded with its reason."""
    require(actor, "write")
    with db.atomic():
        row = _load_row(db, key)
        if row is None:
            raise InputError(f"案件不存在：{key}")
        case = _row_to_record(db, row)
        if archived and case["status"] not in ("closed", "declined"):
            raise InputError("只有已结案或不予受理的案件才能归档")
        if not archived and not reason:
            raise InputError("reason: 撤销归档必须说明理由")
        db.conn.execute("update cases set archived = ?, rev = rev + 1, updated_at = ?, dirty = 1, mac = ?"
                        " where rowid = ?",
                        (int(archived), now(),
                         record_mac.for_row(db, "case", row[1], (row[2], row[3], row[10], int(archived), row[4])),
                         row[0]))
        _event(db, row[2], row[1], actor.name, "archive" if archived else "unarchive", reason=reason)
        audit.log(db, actor.name, "case.archive" if archived else "case.unarchive", target="cases", record_id=row[1],
                  detail={"reason": reason} if reason else {})


def delete_case(db, key: str, actor: User, reason: str) -> None:
    """Void a case: a tombstone, never a hard delete; its number is not reused."""
    require(actor, "write")
    if not reason:
        raise InputError("reason: 作废案件必须说明理由")
    with db.atomic():
        row = _load_row(db, key)
        if row is None:
            raise InputError(f"案件不存在：{key}")
        rowid = row[0]
        db.conn.execute("update cases set deleted = 1, rev = rev + 1, updated_at = ?, dirty = 1, mac = ? where rowid = ?",
                        (now(), record_mac.for_row(db, "case", row[1], (row[2], row[3], 1, row[9], row[4])), rowid))
        clear_derived(db, rowid)
        _event(db, row[2], row[1], actor.name, "void", reason=reason)
        audit.log(db, actor.name, "case.void", target="cases", record_id=row[1], detail={"reason": reason})

