"""Substring search: 1, 2 and 3+ character Chinese queries, ID numbers and case numbers."""

from __future__ import annotations

import copy

from desktop import cases, search
from tests import records


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


def add(db, admin, name, employer, idn="110101199003070134"):
    rec = records.registered()
    rec["workers"][0].update(name=name, id_number=idn)
    rec["employer"] = dict(copy.deepcopy(records.EMPLOYER), name=employer)
    return cases.create_case(db, rec, admin)


def nos(db, q):
    rowids = search.match_rowids(db, q) or []
    if not rowids:
        return set()
    return {r[0] for r in db.conn.execute(
        f"select case_no from cases where rowid in ({','.join('?' * len(rowids))})", rowids)}


def test_short_and_long_chinese_queries(station):
    db, admin, _ = station
    a = add(db, admin, "王小明", "海宁宏达纺织有限公司")
    b = add(db, admin, "李明", "示范恒盛物流有限公司", "11010519491231002X")
    c = add(db, admin, "张堃", "海宁新星电子厂", "360426199101010071")
    assert nos(db, "明") == {a["case_no"], b["case_no"]}  # one character
    assert nos(db, "小明") == {a["case_no"]}  # two characters (a trigram index alone returns nothing)
    assert nos(db, "堃") == {c["case_no"]}  # a rare character
    assert nos(db, "有限公司") == {a["case_no"], b["case_no"]}
    assert nos(db, "宏达纺") == {a["case_no"]}
    assert nos(db, "11010519491231002x") == {b["case_no"]}  # exact ID through the blind index
    assert nos(db, "1") == {a["case_no"]}  # the yearly sequence number
    assert nos(db, c["case_no"]) == {c["case_no"]}
    assert nos(db, "没有的人") == set()
    assert search.match_rowids(db, "  ") is None


def test_search_follows_edits_and_voids(station):
    db, admin, _ = station
    a = add(db, admin, "王小明", "海宁宏达纺织有限公司")
    cases.update_case(db, a["id"], lambda r: r["workers"][0].update(name="赵大勇"), admin)
    assert nos(db, "小明") == set() and nos(db, "大勇") == {a["case_no"]}
    cases.delete_case(db, a["id"], admin, "重复登记")
    assert nos(db, "大勇") == set()
