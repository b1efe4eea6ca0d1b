"""The case list's keyset paging, filters, sorting and masking (desktop/caselist.py)."""

from __future__ import annotations


import pytest

from desktop.clock import today as china_today
from desktop import caselist, cases
from desktop.caselist import Filters
from desktop.errors import InputError
from tests import records


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    return records.demo_database(tmp_path_factory.mktemp("cl") / "demo.sqlite", 200, seed=3)


def _all(db, f=None, sort="received", descending=True, size=37):
    rows, after = [], None
    while True:
        page = caselist.page(db, f, sort=sort, descending=descending, after=after, limit=size)
        rows += page
        if len(page) < size:
            return rows
        after = page[-1].sort_key


def test_keyset_pages_cover_every_case_once_in_order(demo_db):
    rows = _all(demo_db)
    assert len(rows) == 200
    assert len({r.rowid for r in rows}) == 200
    keys = [(r.received_date, r.rowid) for r in rows]
    assert keys == sorted(keys, reverse=True)
    asc = _all(demo_db, sort="case_no", descending=False)
    assert [r.case_no for r in asc] == sorted(r.case_no for r in rows)
    emp = _all(demo_db, sort="employer", descending=False)
    assert [r.employer for r in emp] == sorted(r.employer for r in rows)


def test_id_numbers_are_masked(demo_db):
    rows = caselist.page(demo_db, limit=50)
    full = cases.get_case(demo_db, rows[0].id)["workers"][0]["id_number"]
    assert rows[0].id_number == "*" * 14 + full[-4:]  # the last four only (issue 15)
    assert all("*" in r.id_number for r in rows if r.id_number)


def test_filters_match_a_plain_scan(demo_db):
    today = china_today()
    everything = _all(demo_db)
    mediating = _all(demo_db, Filters(status="mediating"))
    assert mediating and all(r.status == "mediating" for r in mediating)
    assert len(mediating) == sum(r.status == "mediating" for r in everything)
    over = _all(demo_db, Filters(overdue=True, today=today))
    assert {r.rowid for r in over} == {r.rowid for r in everything if r.overdue}
    pay = _all(demo_db, Filters(dispute_type="PAY"))
    assert pay and all(r.primary_type == "PAY" for r in pay)
    coll = _all(demo_db, Filters(collective=True))
    assert all(r.collective for r in coll) and len(coll) == sum(r.collective for r in everything)
    mig = _all(demo_db, Filters(migrant=True))
    assert all(r.migrant for r in mig)
    lo, hi = sorted(r.received_date for r in everything)[50], sorted(r.received_date for r in everything)[150]
    rng = _all(demo_db, Filters(date_from=lo, date_to=hi))
    assert rng and all(lo <= r.received_date <= hi for r in rng)
    name = next(r.mediators.split("、")[0] for r in everything if r.mediators)
    med = _all(demo_db, Filters(mediator=name))
    assert med and all(name in r.mediators for r in med)
    n, capped = caselist.count(demo_db, Filters(status="mediating"))
    assert (n, capped) == (len(mediating), False)
    assert caselist.count(demo_db, cap=10) == (10, True)


def test_search_by_short_chinese_name_employer_and_case_no(demo_db):
    rows = _all(demo_db)
    target = rows[17]
    surname = target.worker[0]
    hits = _all(demo_db, Filters(search=surname))
    assert target.rowid in {r.rowid for r in hits}
    assert all(surname in cases.get_case(demo_db, r.id)["employer"]["name"] or
               any(surname in w["name"] for w in cases.get_case(demo_db, r.id)["workers"]) for r in hits)
    assert target.rowid in {r.rowid for r in _all(demo_db, Filters(search=target.employer[2:6]))}
    assert [r.rowid for r in _all(demo_db, Filters(search=target.case_no))] == [target.rowid]
    prefix = _all(demo_db, Filters(search=target.case_no[:-3]))  # typed up to the last digits
    assert target.rowid in {r.rowid for r in prefix} and all(r.case_no.startswith(target.case_no[:-3]) for r in prefix)
    full_id = cases.get_case(demo_db, target.id)["workers"][0]["id_number"]
    assert target.rowid in {r.rowid for r in _all(demo_db, Filters(search=full_id))}
    assert _all(demo_db, Filters(search="不存在的名字啊")) == []


def test_bad_sort_or_status_is_refused(demo_db):
    with pytest.raises(InputError):
        caselist.page(demo_db, sort="amount")
    with pytest.raises(InputError):
        caselist.page(demo_db, Filters(status="nonsense"))
