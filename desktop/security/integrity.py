"""Tampering detected (issue 15 item 2): the glue between the record MACs (desktop/security/mac.py)
and the case and roster code — the one-time upgrade at the first sign-in with the data key, the
check of a user's own row at sign-in, and what `check` and `restore` verify.

What is verified, with the data key unlocked:
- every covered record's MAC (cases, mediators, users, organisation profile, holiday overrides, the
  settings that matter), records the audit log says were created but are gone, and tables holding
  fewer rows than the program wrote (counts.py);
- every sensitive field decrypts under its record and field (a ciphertext swapped between two cases
  or two fields does not);
- every case's index columns (status, amounts, dates, names) agree with its verified document;
- the audit chain and its MACs (desktop/security/audit.py).
"""

from __future__ import annotations

import json
import sqlite3

from desktop.dbtools import paged
from desktop.security import audit, counts, keys, records
from desktop.errors import Refused
from desktop.security import mac as record_mac

# Index columns compared with the document. Deadlines are left out: they follow the holiday
# calendar, which an update of the program may change before they are settled (deadlines.py).
_DEADLINE_COLS = {"acceptance_due", "statutory_deadline", "mediation_deadline", "review_deadline", "provisional"}


def reseal(db) -> int:
    """Re-seal every case's and mediator's sensitive values bound to their record and field (old
    `enc1:` values had the field kind only as associated data). Content is unchanged."""
    n = 0
    for rowid, cid, doc in paged(db.conn, "cases", "id, doc"):
        case = records.kind("case")  # looked up only when there is a case (a new station has none)
        rec = case.reveal(db, json.loads(doc), cid)
        db.conn.execute("update cases set doc = ? where rowid = ?",
                        (json.dumps(case.seal(db, rec, cid), ensure_ascii=False, separators=(",", ":")),
                         rowid))
        n += 1
    for _rowid, mid, doc in paged(db.conn, "mediators", "id, doc"):
        mediator = records.kind("mediator")
        m = mediator.reveal(db, json.loads(doc), mid)
        db.conn.execute("update mediators set doc = ? where id = ?",
                        (json.dumps(mediator.seal(db, m, mid), ensure_ascii=False), mid))
    return n


def upgrade(db, actor: str | None = None) -> bool:
    """Bind and MAC every record, once, when the data key is unlocked (see mac.upgrade), and start
    counting rows (counts.start). Returns whether the MAC upgrade ran."""
    ran = record_mac.upgrade(db, reseal, actor, audit.log)
    counts.start(db, actor, audit.log)
    return ran


def _refuse_row(db, name: str):
    keys.lock(db)
    with db.atomic():
        audit.log(db, name, "login.failed", detail={"reason": "user record MAC mismatch"})
    return Refused(f"用户 {name} 的账户记录校验不符：角色、状态或密码在程序之外被修改过，已拒绝登录。"
                   "请另一位管理员登录后运行 check 查看，并从备份恢复或重置该账户")


def before_login(db, name: str, verified_hash: str) -> None:
    """Called by accounts.authenticate after the password check, before the user's own key is
    unlocked: a data key still on the handle (an honest user's session in the same program, e.g. a
    change of user without closing) verifies the row of the user signing in — which matters for a
    user who holds no key of their own (a viewer promoted with sqlite3)."""
    if keys.unlocked(db) is None:
        return
    try:
        record_mac.check_user(db, name, verified_hash)
    except record_mac.UserRowRefused:
        raise _refuse_row(db, name) from None


def _role_in_log(db, name: str) -> str | None:
    """The role the audit log says the user was created with (the program never changes a role)."""
    row = db.conn.execute("select detail from audit_log where action = 'user.create' and record_id = ?"
                          " order by seq limit 1", (name,)).fetchone()
    try:
        return json.loads(row[0]).get("role") if row else None
    except (ValueError, AttributeError):
        return None


def after_login(db, name: str, verified_hash: str) -> None:
    """Called by accounts.authenticate once the password is checked and the key (if any) unlocked."""
    if keys.unlocked(db) is None:
        # A session without a key cannot verify a MAC (docs/security.md, residual risk). A keyless
        # sign-in with a privileged role is held against the audit log: a viewer whose row was
        # promoted with sqlite3 must also have rewritten the log's chain to pass (which the MACs
        # then show to the next check).
        row = db.conn.execute("select role from users where name = ?", (name,)).fetchone()
        logged = _role_in_log(db, name)
        if row and row[0] in ("admin", "mediator") and logged is not None and logged != row[0]:
            raise _refuse_row(db, name)
        return
    try:
        upgrade(db, name)
    except (sqlite3.OperationalError, Refused):
        # a read-only file, or an old ciphertext that no longer decrypts (rolled back, nothing
        # written): the sign-in goes on, and check says what could not be verified or read
        pass
    try:
        record_mac.check_user(db, name, verified_hash)
    except record_mac.UserRowRefused:
        raise _refuse_row(db, name) from None


def _case_fields(rec: dict):
    from desktop.security import sensitive

    for group, fields in sensitive.CASE_FIELDS.items():
        for i, person in enumerate(rec.get(group) or []):
            for f in sensitive.person_fields(person, fields):
                if person.get(f):
                    yield group, i, f


def case_problems(db, cid: str, case_no: str, doc: str, columns: dict | None, cal) -> tuple[dict | None, list[str]]:
    """One case: its sensitive fields decrypt under their record and field, its index columns agree
    with the document. Returns (the revealed record or None, problems)."""
    from desktop.security import sensitive

    rec = json.loads(doc)
    rec.pop(sensitive.MASKED_KEY, None)
    problems = []
    bad = []
    for group, i, f in _case_fields(rec):
        try:
            rec[group][i][f] = sensitive.reveal(db, f, rec[group][i][f], sensitive.place("case", cid, f"{group}[{i}].{f}"))
        except Refused:
            bad.append(f"{group}[{i}].{f}")
    if bad:
        problems.append(f"案件 {case_no}：敏感信息无法解密（密文被改动或从别的案件、字段移来）：{'、'.join(bad[:5])}")
        return None, problems
    if columns is not None:
        index_columns = records.kind("case").index_columns  # outside the try: a missing owner is no bad document
        try:
            expected = index_columns(rec, cal)
        except Exception:  # a document the rules refuse: check_record names it
            return rec, problems
        differ = [k for k, v in expected.items() if k not in _DEADLINE_COLS and k in columns and columns[k] != v]
        if differ:
            problems.append(f"案件 {case_no}：索引字段与案件内容不符（{'、'.join(differ[:5])}），报表会给出错误数字")
    return rec, problems


def mediator_problems(db) -> list[str]:
    from desktop.security import sensitive

    out = []
    for mid, name, doc in db.conn.execute("select id, name, doc from mediators"):
        m = json.loads(doc)
        bad = []
        for f in sensitive.person_fields(m, sensitive.MEDIATOR_FIELDS):
            if m.get(f):
                try:
                    sensitive.reveal(db, f, m[f], sensitive.place("mediator", mid, f))
                except Refused:
                    bad.append(f)
        if bad:
            out.append(f"调解员 {name}：敏感信息无法解密（密文被改动或从别处移来）：{'、'.join(bad)}")
    return out


def record_problems(db) -> tuple[list[str], list[str]]:
    """(problems, notes): record MACs, deletions, unbound ciphertexts and the mediators' fields.
    Without the data key only a note says that nothing of this could be verified."""
    tampered, unverified = record_mac.verify(db)
    if keys.unlocked(db) is None:
        return [], unverified
    if not record_mac.active(db) and not tampered:
        return [], unverified
    return (tampered + unverified + counts.problems(db) + record_mac.unbound_ciphertexts(db)
            + mediator_problems(db)), []


def verify_file(db) -> list[str]:
    """Everything `check` verifies about tampering (no business rules): used by restore on the
    backup before it replaces anything."""
    problems = audit.verify(db)
    found, notes = record_problems(db)
    problems += found
    if keys.unlocked(db) is None:
        return problems + notes
    cal = records.kind("case").calendar(db)
    names = index_names(db)
    for row in db.conn.execute(f"select id, case_no, doc, {', '.join(names)} from cases where deleted = 0"):
        _rec, p = case_problems(db, row[0], row[1], row[2], dict(zip(names, row[3:])), cal)
        problems += p
    return problems


# The index columns rebuilt from the document at every write (storage._columns), deadlines aside.
COMPARED_COLS = ("status", "source", "received_at", "received_date", "decision", "decided_date", "decline_reason",
                 "outcome", "closed_date", "primary_type", "worker_count", "collective", "migrant", "platform",
                 "employer_name", "first_worker", "mediator_names", "amount_claimed_fen", "amount_agreed_fen")


def index_names(db) -> list[str]:
    have = {r[1] for r in db.conn.execute("pragma table_info(cases)")}
    return [c for c in COMPARED_COLS if c in have]
