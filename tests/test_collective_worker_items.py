"""Issue 14 item 4: a collective agreement names each worker's money — items owed to one worker
(`"worker": index`) come in through `import-cases`, a wrong index is refused with a Chinese message and nothing
is written, and the demo's collective agreements print each worker's own amount in the annex, whose total is
the sum of the rows."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest

os.environ["MEDIATION_DESK_FONTS"] = "bundled"

from desktop import cases, clock, db as dbm, demo, money, org as orgm, roster, validate  # noqa: E402
from desktop.documents import render_document  # noqa: E402
from tests import records  # noqa: E402
from tests.test_documents import flat, pdftext  # noqa: E402


def _worker(i: int) -> dict:
    first17 = f"33048119850203{i:03d}"
    return {"name": f"职工{'甲乙丙丁戊己庚辛壬癸'[i]}", "id_number": first17 + validate.id_check_char(first17)}


def _per_worker_record(n: int = 3) -> dict:
    rec = records.agreed()
    rec["workers"] = [_worker(i) for i in range(n)]
    rec["agents"] = []
    base = rec["agreement"]["items"][0]
    rec["agreement"]["items"] = [dict(base, amount=f"{3000 + 250 * i}.00", worker=i) for i in range(n)]
    rec["performance"] = []
    return rec



def test_import_takes_items_owed_to_each_worker(imp):
    code, out, err = imp(_per_worker_record())
    assert code == 0, err
    stored = cases.get_case(imp.db, out[0])
    assert [(it["worker"], it["amount"]) for it in stored["agreement"]["items"]] == [
        (0, "3000.00"), (1, "3250.00"), (2, "3500.00")]


@pytest.mark.parametrize("bad", [3, -1, "1", 1.0, True])
def test_import_refuses_an_index_that_names_no_worker(imp, bad):
    before = imp.db.conn.execute("select count(*) from cases").fetchone()[0]
    rec = _per_worker_record()
    rec["agreement"]["items"][2]["worker"] = bad
    code, out, err = imp(rec)
    assert code == 2 and out == []
    assert "agreement.items[2].worker" in err and "须对应已登记的劳动者" in err
    assert "Traceback" not in err
    assert imp.db.conn.execute("select count(*) from cases").fetchone()[0] == before


def test_demo_collective_agreement_prints_each_workers_own_amount(tmp_path):
    day = dt.date(2026, 3, 20)
    clock.set_today(day)
    database = dbm.open_database(tmp_path / "demo.sqlite", create=True)
    demo.create_demo_station(database, seed=11)
    demo.fill(database, 120, seed=11)
    collective = []
    for (key,) in database.execute("select case_no from cases where deleted = 0 order by case_no").fetchall():
        case = cases.get_case(database, key, today=day)
        if len(case["workers"]) >= 10 and case.get("agreement"):
            collective.append(case)
    assert collective, "the demo has no collective agreement"
    case = collective[0]
    items = case["agreement"]["items"]
    # every item owed to one worker, every worker owed something (no lump sum left for the group)
    assert all(isinstance(it.get("worker"), int) for it in items)
    assert {it["worker"] for it in items} == set(range(len(case["workers"])))
    out = tmp_path / "agreement.pdf"
    render_document("agreement", case, orgm.get_profile(database), out, today=day,
                    mediators=roster.list_mediators(database))
    annex = flat(pdftext(out).split("附表：申请人个人款项明细表", 1)[1])
    fen = [0] * len(case["workers"])
    for it in items:
        fen[it["worker"]] += money.parse_amount(it["amount"])
    for w, own in zip(case["workers"], fen):
        figure = money.format_figure(own)
        assert re.search(re.escape(w["id_number"]) + re.escape(figure), annex), (w["name"], figure)
        assert re.search(re.escape(w["name"]) + r"\d{17}[\dX]" + re.escape(figure), annex), (w["name"], figure)
    printed = [money.parse_amount(m.replace(",", "")) for m in re.findall(r"￥([\d,]+\.\d\d)", annex.split("合计")[0])]
    assert printed == fen
    assert f"合计：{money.rmb(sum(fen))}" in annex
