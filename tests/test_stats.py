"""The period report on hand-built cases with known answers, demo-data reconciliation, hub sums, fingerprints."""

from __future__ import annotations

import copy
import json

import pytest

from desktop import cases, db as dbm, org
from desktop.security import accounts
from desktop.errors import InputError
from desktop.money import fen_to_text, parse_amount
from desktop.stats import formula as fm
from desktop.stats import report as rpt
from desktop.stats.periods import parse_period, quarter, month
from desktop.stats.screening import screening
from desktop.validate import id_check_char
from tests import records


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


def worker_id(n: int) -> str:
    first17 = f"110101199003{n % 28 + 1:02d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


def case(received, *, decided=None, decision="accepted", reason_code=None, closed=None, kind=None,
         claim="100.00", agreed_items=(), payments=(), workers=1, ptype="PAY", mediators=True, employer=None,
         followups=()):
    rec = records.registered(f"{received}T09:00:00+08:00")
    rec["dispute_types"] = [ptype]
    rec["claims"] = [{"text": "支付工资", "amount": claim}]
    rec["workers"] = []
    for i in range(workers):
        w = copy.deepcopy(records.WORKER)
        w["name"] = f"劳动者{i}"
        w["id_number"] = worker_id(i + 7 * hash(received) % 500)
        w["migrant"] = i == 0
        w["platform"] = False
        rec["workers"].append(w)
    if workers >= 10:
        rec["common_claim"] = True  # LDMAL Art. 7: collective means a common claim, not the count alone
    if employer:
        rec["employer"]["name"] = employer
    if decided:
        rec["acceptance"] = {"decision": decision, "decided_at": decided,
                             "reason": None if decision == "accepted" else "被申请人不同意调解"}
        if reason_code:
            rec["acceptance"]["reason_code"] = reason_code
    if decision == "accepted" and decided and mediators:
        rec["mediators"] = [{"name": "赵调解", "role": "lead"}, {"name": "钱记录", "role": "recorder"}]
    if closed:
        rec["outcome"] = {"kind": kind, "closed_at": closed, "reason": None if kind == "agreed" else "双方分歧较大"}
        if kind == "agreed":
            rec["agreement"] = {"effective_at": closed, "waiver": "申请人放弃其他请求",
                                "items": [{"category": "wage_arrears", "text": "支付工资", "amount": a,
                                           "due_date": closed, "method": "银行转账"} for a in agreed_items]}
            if payments:
                rec["performance"] = [{"item": 0, "paid_at": d, "amount": a} for d, a in payments]
    if followups:
        rec["followups"] = [{"at": d, "method": "phone", "note": "已履行"} for d in followups]
    return rec


@pytest.fixture
def known(station):
    """Six cases around 2026-Q3 (see the expected figures in the tests)."""
    db, admin, _path = station
    recs = [
        # A: accepted in Q3, closed in Q4 as agreed (0.01), paid in Q4
        case("2026-09-28", decided="2026-09-29", closed="2026-10-10", kind="agreed", claim="0.01",
             agreed_items=["0.01"], payments=[("2026-10-12", "0.01")], followups=["2026-10-20"]),
        # B: declined in Q3, not part of "accepted"
        case("2026-09-01", decided="2026-09-02", decision="declined", reason_code="respondent_refused"),
        # C: a collective case with 12 workers, withdrawn in Q3
        case("2026-08-03", decided="2026-08-04", closed="2026-08-10", kind="withdrawn", claim="0.02", workers=12,
             ptype="CT-END", employer="海宁某某电子有限公司"),
        # D: accepted and closed as agreed in Q3 (0.02)
        case("2026-07-10", decided="2026-07-10", closed="2026-07-20", kind="agreed", claim="100.00",
             agreed_items=["0.02"], payments=[("2026-07-25", "0.02")]),
        # E: received in Q3, no decision yet
        case("2026-09-30"),
        # F: accepted in Q2, closed as failed in Q3: the carry-over
        case("2026-06-19", decided="2026-06-20", closed="2026-07-05", kind="failed", claim="5.00"),
    ]
    cases.import_records(db, recs, admin)
    return db, admin


def test_case_accepted_in_one_quarter_closed_in_the_next(known):
    db, _ = known
    q3 = rpt.period_report(db, "2026-Q3")
    assert (q3["received"], q3["accepted"], q3["declined"], q3["carried_over"]) == (5, 3, 1, 1)
    assert q3["closed"] == 3
    assert q3["closed_by_outcome"] == {"agreed": 1, "failed": 1, "withdrawn": 1, "terminated": 0, "expired": 0}
    assert q3["pending_end"] == 1 and q3["checks"] == {"pending_direct": 1, "reconciled": True}
    q4 = rpt.period_report(db, "2026-Q4")
    assert (q4["carried_over"], q4["accepted"], q4["closed"], q4["pending_end"]) == (1, 0, 1, 0)
    assert q4["closed_by_outcome"]["agreed"] == 1
    q2 = rpt.period_report(db, "2026-Q2")
    assert (q2["received"], q2["accepted"], q2["closed"], q2["pending_end"]) == (1, 1, 0, 1)


def test_declined_cases_are_outside_accepted(known):
    db, _ = known
    r = rpt.period_report(db, "2026-09")
    assert r["accepted"] == 1 and r["declined"] == 1
    assert r["declined_by_reason"]["respondent_refused"] == 1
    assert sum(r["declined_by_reason"].values()) == 1
    assert sum(t["accepted"] for t in r["by_type"].values()) == r["accepted"]


def test_collective_case_counts_once_with_its_workers(known):
    db, _ = known
    r = rpt.period_report(db, "2026-08")
    assert r["accepted"] == 1 and r["collective_accepted"] == 1
    assert r["workers_involved"] == 12 and r["workers_in_collective"] == 12
    assert r["migrant_cases"] == 1  # one case, though one of its workers is a migrant
    q3 = rpt.period_report(db, "2026-Q3")
    assert q3["workers_involved"] == 1 + 12 + 1
    assert q3["by_type"]["CT-END"] == {"accepted": 1, "closed": 1, "agreed": 0}


def test_amounts_exact_to_the_fen(known):
    db, _ = known
    q3 = rpt.period_report(db, "2026-Q3")
    assert q3["amount_claimed"] == "100.03"  # 0.01 + 0.02 + 100.00
    assert q3["amount_agreed"] == "0.02"
    assert q3["amount_paid"] == "0.02"
    y = rpt.period_report(db, "2026")
    assert y["amount_agreed"] == "0.03"  # 0.01 + 0.02, not 0.030000000000000002
    assert y["amount_paid"] == "0.03"
    assert y["amount_claimed"] == "105.03"


def test_success_rate_formula_is_a_named_setting(known):
    db, admin = known
    q3 = rpt.period_report(db, "2026-Q3")
    assert q3["formula"] == "agreed / closed" and q3["success_rate"] == 0.3333
    assert "调解成功" in q3["formula_text"]
    assert q3["target_success_rate"] == "0.60" and q3["target_met"] is False
    alt = rpt.period_report(db, "2026-Q3", success_formula="(agreed + withdrawn) / closed")
    assert alt["success_rate"] == 0.6667 and alt["successes"] == 2
    org.update_profile(db, {"success_formula": "(agreed + withdrawn) / closed", "target_success_rate": "0.65"}, admin)
    q3b = rpt.period_report(db, "2026-Q3")
    assert q3b["formula"] == "(agreed + withdrawn) / closed" and q3b["target_met"] is True
    with pytest.raises(InputError, match="未知的调解成功率口径"):
        rpt.period_report(db, "2026-Q3", success_formula="agreed / received")
    empty = rpt.period_report(db, "2025")
    assert empty["closed"] == 0 and empty["success_rate"] is None and empty["on_time_rate"] is None


def test_on_time_mediators_followups(known):
    db, _ = known
    q3 = rpt.period_report(db, "2026-Q3")
    assert q3["on_time_rate"] == 1.0 and q3["closed_on_time"] == 3
    # recorders do not count; D and F were closed in Q3 with 赵调解 as lead (C had no mediators? it has)
    assert "钱记录" not in q3["by_mediator"]
    assert q3["by_mediator"]["赵调解"]["closed"] == 3
    assert q3["by_mediator"]["赵调解"]["agreed"] == 1
    assert q3["by_mediator"]["赵调解"]["avg_days_to_close"] == round((15 + 6 + 10) / 3, 1)
    q4 = rpt.period_report(db, "2026-Q4")
    assert q4["followups"] == 1 and q4["review_eligible"] == 1


def test_back_entered_case_counts_by_its_dates(known):
    db, admin = known
    before = rpt.period_report(db, "2026-Q1")
    q3_before = rpt.period_report(db, "2026-Q3")
    cases.import_records(db, [case("2026-03-02", decided="2026-03-03", closed="2026-03-10", kind="agreed",
                                   agreed_items=["50.00"])], admin, back_entered=True)
    after = rpt.period_report(db, "2026-Q1")
    assert after["accepted"] == before["accepted"] + 1 and after["closed"] == before["closed"] + 1
    assert after["amount_agreed"] == "50.00"
    assert rpt.period_report(db, "2026-Q3") == q3_before  # other periods untouched


def test_voided_case_does_not_count(known):
    db, admin = known
    before = rpt.period_report(db, "2026-Q3")
    d_no = db.conn.execute("select case_no from cases where received_date = '2026-07-10'").fetchone()[0]
    cases.delete_case(db, d_no, admin, reason="重复录入")
    after = rpt.period_report(db, "2026-Q3")
    assert after["received"] == before["received"] - 1
    assert after["accepted"] == before["accepted"] - 1 and after["closed"] == before["closed"] - 1
    assert after["amount_paid"] == "0.00" and after["amount_agreed"] == "0.00"
    assert after["checks"]["reconciled"]


def test_reconciliation_mismatch_is_reported(known):
    db, _ = known
    # Corrupt one row behind the core's back: a closing before its acceptance breaks the identity.
    with db.atomic():
        db.conn.execute("update cases set closed_date = '2026-06-01' where received_date = '2026-09-28'")
    r = rpt.period_report(db, "2026-Q2")
    assert not r["checks"]["reconciled"]
    with pytest.raises(rpt.ReconciliationError, match="不平衡"):
        rpt.verify(r)


def test_periods():
    assert parse_period("2026-Q3") == quarter(2026, 3)
    assert parse_period("2026-q1").start.isoformat() == "2026-01-01"
    assert parse_period("2024-02").end.isoformat() == "2024-02-29"
    assert parse_period("2026").end.isoformat() == "2026-12-31"
    assert month(2026, 9).title == "2026年9月" and quarter(2026, 3).title == "2026年第三季度"
    for bad in ("2026-13", "2026-Q5", "26", "2026/09", "", "2026-9-1", "0999"):
        with pytest.raises(InputError, match="--period"):
            parse_period(bad)


def test_formula_ratio_is_decimal_half_up():
    assert fm.ratio(2, 3) == 0.6667 and fm.ratio(1, 8) == 0.125 and fm.ratio(0, 0) is None
    assert fm.ratio(6735, 10000) == 0.6735
    assert fm.percent(0.6735) == "67.35%"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    db = records.demo_database(tmp_path_factory.mktemp("demo") / "d.sqlite", 500, seed=3)
    yield db
    db.conn.close()


def test_reconciliation_holds_on_demo_data_every_month_and_quarter(demo_db):
    db = demo_db
    years = [y for (y,) in db.conn.execute("select distinct substr(received_date,1,4) from cases order by 1")]
    assert years
    for y in years:
        y = int(y)
        periods = [f"{y}"] + [f"{y}-Q{q}" for q in range(1, 5)] + [f"{y}-{m:02d}" for m in range(1, 13)]
        for p in periods:
            r = rpt.period_report(db, p)
            rpt.verify(r)
            assert r["pending_end"] >= 0
        # the months add up to the year
        yr = rpt.period_report(db, f"{y}")
        months = [rpt.period_report(db, f"{y}-{m:02d}") for m in range(1, 13)]
        for k in ("received", "accepted", "declined", "closed", "workers_involved"):
            assert yr[k] == sum(m[k] for m in months), k
        assert months[0]["carried_over"] == yr["carried_over"]
        assert months[-1]["pending_end"] == yr["pending_end"]
        for a, b in zip(months, months[1:]):
            assert a["pending_end"] == b["carried_over"]


def test_report_matches_a_naive_count_over_the_documents(demo_db):
    """The SQL aggregates against a count in Python over every case document."""
    db = demo_db
    p = parse_period(db.conn.execute("select max(decided_date) from cases").fetchone()[0][:4])
    s, e = p.start_text, p.end_text
    docs = [cases.get_case(db, cid) for (cid,) in db.conn.execute("select id from cases where deleted = 0")]
    acc = [d for d in docs if (d.get("acceptance") or {}).get("decision") == "accepted"
           and s <= d["acceptance"]["decided_at"] <= e]
    closed = [d for d in docs if d.get("outcome") and s <= d["outcome"]["closed_at"] <= e]
    r = rpt.period_report(db, p)
    assert r["accepted"] == len(acc)
    assert r["workers_involved"] == sum(len(d["workers"]) for d in acc)
    assert r["closed"] == len(closed)
    agreed_fen = sum(parse_amount(i["amount"]) for d in closed if d["outcome"]["kind"] == "agreed"
                     for i in d["agreement"]["items"] if i.get("amount"))
    assert r["amount_agreed"] == fen_to_text(agreed_fen)
    paid = sum(parse_amount(x["amount"]) for d in docs for x in d.get("performance") or [] if s <= x["paid_at"] <= e)
    assert r["amount_paid"] == fen_to_text(paid)
    assert r["migrant_cases"] == sum(1 for d in acc if any(w.get("migrant") for w in d["workers"]))


def test_monthly_series(demo_db):
    db = demo_db
    y = int(db.conn.execute("select max(closed_date) from cases").fetchone()[0][:4])
    series = rpt.monthly_series(db, y)
    assert [m["month"] for m in series] == [f"{y}-{i:02d}" for i in range(1, 13)]
    yr = rpt.period_report(db, f"{y}")
    assert sum(m["received"] for m in series) == yr["received"]
    assert sum(m["closed"] for m in series) == yr["closed"]
    assert sum(m["successes"] for m in series) == yr["successes"]
    for m in series:
        assert m["success_rate"] == fm.ratio(m["successes"], m["closed"])


def test_screening_flags_repeat_and_collective_employers(known):
    db, admin = known
    cases.import_records(db, [case("2026-05-01", employer="海宁某某纺织有限公司")], admin)
    s = screening(db, "2026-Q3")
    flagged = {e["employer"]: e for e in s["repeat_employers"]}
    assert flagged["海宁某某纺织有限公司"]["cases"] == 6  # A B D E F + the May case
    assert flagged["海宁某某电子有限公司"]["collective"] == 1 and flagged["海宁某某电子有限公司"]["cases"] == 1
    assert s["window_start"] == "2025-10-01" and s["window_end"] == "2026-09-30"
    assert sum(e["cases"] for e in s["top_employers"]) == 5  # received in the quarter itself


def test_fingerprint_is_canonical_and_ignores_volatile_fields(known):
    db, _ = known
    a = rpt.period_report(db, "2026-Q3")
    b = json.loads(json.dumps(a))
    b["generated_at"] = "2030-01-01T00:00:00+08:00"
    b = dict(reversed(list(b.items())))  # key order does not matter
    assert rpt.fingerprint(a) == rpt.fingerprint(b)
    assert len(rpt.fingerprint(a)) == 64
    c = json.loads(json.dumps(a))
    c["accepted"] += 1
    assert rpt.fingerprint(c) != rpt.fingerprint(a)
    assert rpt.canonical_json(a).decode("utf-8").startswith('{"accepted":')
    assert "调解成功" in rpt.canonical_json(a).decode("utf-8")  # not \\u escapes


def _copy_to_hub(src, hub) -> None:
    """What the bundle import will do: the station's records land in the hub, derived rows rebuilt there."""
    cols = [r[1] for r in src.conn.execute("pragma table_info(cases)")]
    with hub.atomic():
        for (profile, st) in src.conn.execute("select profile, station from org"):
            hub.conn.execute("insert into org (id, station, created_at, updated_at, profile) values (?,?,?,?,?)",
                             (f"org-{st}", st, "2026-01-01", "2026-01-01", profile))
        for row in src.conn.execute(f"select {','.join(cols)} from cases"):
            rec = dict(zip(cols, row))
            cur = hub.conn.execute(f"insert into cases ({','.join(cols)}) values ({','.join('?' * len(cols))})", row)
            if not rec["deleted"]:
                cases._derived(hub, cur.lastrowid, json.loads(rec["doc"]), fresh=True)


def test_hub_totals_equal_the_sum_of_stations_and_fingerprints_match(tmp_path, known):
    s1, admin1 = known
    p2 = tmp_path / "s2.sqlite"
    s2 = dbm.open_database(p2, create=True)
    org.initialize(s2, {"name": "海宁市示范街道劳动人事争议调解中心", "kind": "subdistrict", "region": "330481"})
    admin2 = accounts.create_user(s2, "admin", "admin12345", "admin")
    cases.import_records(s2, [case("2026-07-01", decided="2026-07-02", closed="2026-07-09", kind="agreed",
                                   agreed_items=["7.77"], workers=3),
                              case("2026-08-20", decided="2026-08-21")], admin2)
    hub = dbm.open_database(tmp_path / "hub.sqlite", create=True)
    org.initialize(hub, {"name": "海宁市劳动人事争议调解汇总", "kind": "other", "region": "330481"})
    org.set_setting(hub, "role", "hub")
    _copy_to_hub(s1, hub)
    _copy_to_hub(s2, hub)
    # a third enrolled station that has sent its organization record but no case: a nil report
    hub.conn.execute("insert into org (id, station, created_at, updated_at, profile) values (?,?,?,?,?)",
                     ("org-S3", "SNIL000000", "2026-01-01", "2026-01-01", json.dumps({"name": "某企业调委会"})))
    id1, id2 = org.station_id(s1), org.station_id(s2)
    for period in ("2026-Q3", "2026", "2026-07"):
        h = rpt.hub_report(hub, period)
        assert h["sum_check"] == []
        assert set(h["stations"]) == {id1, id2, "SNIL000000"}
        assert h["accepted"] == h["stations"][id1]["accepted"] + h["stations"][id2]["accepted"]
        assert h["amount_agreed"] != "0.00" or period == "2026-07"
        assert h["completeness"]["expected"] == 3 and h["completeness"]["reporting"] == 3
        assert h["completeness"]["nil_reports"] == 1
        # the same code gives the same numbers at the station and at the hub
        assert rpt.station_fingerprint(s1, period, id1) == rpt.station_fingerprint(hub, period, id1)
        assert rpt.station_fingerprint(s2, period, id2) == rpt.station_fingerprint(hub, period, id2)
        assert h["stations"][id1]["fingerprint"] == rpt.station_fingerprint(s1, period, id1)
    q3 = rpt.hub_report(hub, "2026-Q3")
    assert q3["amount_agreed"] == "7.79"  # 0.02 + 7.77
    assert q3["stations"][id2]["org"] == "海宁市示范街道劳动人事争议调解中心"
    # a station whose records differ from what it reported is detectable
    with hub.atomic():
        hub.conn.execute("update cases set deleted = 1 where station = ? and received_date = '2026-08-20'", (id2,))
    assert rpt.station_fingerprint(s2, "2026-Q3", id2) != rpt.station_fingerprint(hub, "2026-Q3", id2)
    with pytest.raises(InputError, match="未知的站点"):
        rpt.period_report(hub, "2026-Q3", station="SNOPE")
    s2.conn.close()
    hub.conn.close()
