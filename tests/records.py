"""Hand-built case records in the contract.md format, for tests."""

from __future__ import annotations

import copy

WORKER = {"name": "王小明", "id_number": "110101199003070134", "phone": "13800000000",
          "address": "浙江省海宁市示范镇人民路1号", "migrant": True, "platform": False}
EMPLOYER = {"name": "海宁某某纺织有限公司", "credit_code": "91110000600037341L", "legal_rep": "李四",
            "address": "海宁市示范镇工业园区8号", "phone": "0573-87000001"}


def registered(received="2026-09-29T10:00:00+08:00", **extra) -> dict:
    rec = {
        "source": "application",
        "application": {"mode": "written", "received_at": received, "applicant": "worker"},
        "workers": [copy.deepcopy(WORKER)],
        "employer": copy.deepcopy(EMPLOYER),
        "dispute_types": ["PAY", "CT-END"],
        "claims": [{"text": "支付2026年8月至9月工资", "amount": "12000.00"}],
        "facts": "申请人在被申请人处工作，被拖欠工资。",
    }
    rec.update(extra)
    return rec


def agreed(received="2026-09-29T10:00:00+08:00") -> dict:
    rec = registered(received)
    rec.update({
        "agents": [{"for": "worker:0", "name": "王大明", "authority": "special"}],
        "acceptance": {"decision": "accepted", "decided_at": "2026-09-30", "reason": None},
        "mediators": [{"name": "赵调解", "role": "lead"}],
        "extensions": [{"agreed_at": "2026-10-12", "until": "2026-10-30"}],
        "sessions": [{"held_at": "2026-10-12T14:00:00+08:00", "place": "调解室", "attendees": "双方", "record": "……"}],
        "outcome": {"kind": "agreed", "closed_at": "2026-10-21", "reason": None},
        "agreement": {"effective_at": "2026-10-21", "waiver": "申请人放弃其他请求",
                      "items": [{"category": "wage_arrears", "text": "支付工资", "amount": "10000.50",
                                 "due_date": "2026-11-15", "method": "银行转账"}]},
        "performance": [{"item": 0, "paid_at": "2026-11-10", "amount": "10000.50"}],
        "followups": [{"at": "2026-11-20", "method": "phone", "note": "已全部履行"}],
    })
    return rec


def demo_database(path, cases: int, *, seed: int):
    """A demo station (organisation, roster, demo login) at `path` filled with `cases` demo cases."""
    from desktop import db as dbm, demo

    database = dbm.open_database(path, create=True)
    demo.create_demo_station(database, seed=seed)
    demo.fill(database, cases, seed=seed)
    return database


def checked(path, user="admin", password="admin12345"):
    """`check`'s findings on the file at `path`, signed in as `user`: (problems, notes)."""
    from desktop import db as dbm
    from desktop.commands.station import run_checks
    from desktop.security import accounts

    db = dbm.open_database(path)
    try:
        accounts.authenticate(db, user, password)
        notes: list = []
        return run_checks(db, notes), notes
    finally:
        db.conn.close()


def edit_file(path, *statements):
    """What someone with sqlite3 does: (sql, params) pairs run on the file and committed."""
    import sqlite3

    conn = sqlite3.connect(path)
    for sql, params in statements:
        conn.execute(sql, params)
    conn.commit()
    conn.close()
