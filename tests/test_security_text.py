"""Text that hides or breaks things (issue 15, item 9): one normalisation for the index and the queries,
and control, bidi and zero-width characters refused in free text on every entry path."""

from __future__ import annotations

import json
import sqlite3

import pytest

from desktop import cases, org, roster, search
from desktop.errors import InputError
from desktop.stats.screening import screening
from desktop.sync import export, hub
from tests import records
from tests.test_cli import run
from tests.test_stats import worker_id
from tests.test_sync_support import connect, forge, make_hub, make_station, state

BAD = ["\u202e", "\u2066", "\ufeff", "\u000b", "\u0007", "\x1b[31m", "\u200b"]


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


def _case(employer="Acme Trading 有限公司", n=0, **extra):
    rec = records.registered(**extra)
    rec["employer"]["name"] = employer
    rec["workers"][0]["id_number"] = worker_id(n)
    return rec


def test_spaces_and_invisible_characters_neither_hide_nor_split_an_employer(station):
    db, admin, _ = station
    cases.import_records(db, [_case("Acme Trading", 1), _case("Acme\u00a0Trading", 2),
                              _case("Acme\u3000Trading", 3)], admin)
    for q in ("Acme Trading", "AcmeTrading", "acme trading".title(), "Ａｃｍｅ Trading", "Acme\u200bTrading",
              "Acme\u00a0Trading", "me Tra"):
        assert len(search.match_rowids(db, q)) == 3, q
    # one employer in the repeat-dispute screening, not three
    rep = screening(db, "2026")
    assert [(e["employer"], e["cases"]) for e in rep["repeat_employers"]] == [("Acme Trading", 3)]


@pytest.mark.parametrize("bad", BAD)
def test_hidden_characters_refused_in_forms_and_the_core(station, bad):
    db, admin, _ = station
    before = db.conn.execute("select count(*) from cases").fetchone()[0]
    for rec in (_case(f"Acme{bad}Trading"), _case(facts=f"事实{bad}说明"),
                _case(claims=[{"text": f"工资{bad}", "amount": "1.00"}])):
        with pytest.raises(InputError) as exc:
            cases.create_case(db, rec, admin)
        assert "控制字符" in str(exc.value)
    assert db.conn.execute("select count(*) from cases").fetchone()[0] == before
    with pytest.raises(InputError, match="控制字符"):
        roster.add_mediator(db, {"name": "赵调解", "employer": f"某{bad}单位"}, admin)
    with pytest.raises(InputError, match="控制字符"):
        org.update_profile(db, {"address": f"海宁{bad}路"}, admin)
    with pytest.raises(InputError, match="控制字符"):
        org.set_calendar_override(db, "2026-12-07", False, f"调休{bad}", admin)


def test_line_breaks_stay_allowed_where_the_field_is_long_text(station):
    db, admin, _ = station
    c = cases.create_case(db, _case(facts="第一段。\n第二段。\r\n第三段。"), admin)
    assert "第二段" in cases.get_case(db, c["id"])["facts"]
    with pytest.raises(InputError):
        cases.create_case(db, _case("Acme\nTrading"), admin)  # a name is one line


def test_hidden_characters_refused_by_import_cases_and_roster_import(tmp_path):
    pw = tmp_path / "pw"
    pw.write_text("secret123", encoding="utf-8")
    db = tmp_path / "s.sqlite"
    env = {"MEDIATION_DESK_HOME": str(tmp_path / "home")}
    assert run("init", "--db", db, "--org-name", "海宁市示范镇劳动人事争议调解中心", "--org-kind", "township",
               "--region", "330481", "--admin", "admin", "--password-file", pw, env=env).returncode == 0
    src = tmp_path / "bad.jsonl"
    src.write_text(json.dumps(_case("Acme\x1b[2JTrading"), ensure_ascii=False) + "\n", encoding="utf-8")
    r = run("import-cases", "--db", db, "--user", "admin", "--password-file", pw, src, env=env)
    assert r.returncode == 2 and "控制字符" in r.stderr and "\x1b" not in r.stderr, r.stderr
    roster_src = tmp_path / "roster.jsonl"
    roster_src.write_text(json.dumps({"name": "赵调解", "speciality": "工资\u202e"}, ensure_ascii=False) + "\n",
                          encoding="utf-8")
    r = run("roster", "--db", db, "--user", "admin", "--password-file", pw, "--import", roster_src, env=env)
    assert r.returncode == 2 and "控制字符" in r.stderr, r.stderr
    # no case and no mediator written (the whole-file hash also sees settings other work keeps at sign-in)
    conn = sqlite3.connect(db)
    assert conn.execute("select (select count(*) from cases) + (select count(*) from mediators)").fetchone()[0] == 0
    conn.close()


def test_hidden_characters_refused_in_a_bundle(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    s, a, _ = make_station(tmp_path, "s", seed=3, n=2)
    h, u, _ = make_hub(tmp_path)
    connect(s, a, h, u)
    recs = export.collect(s, full=True)
    case = next(r for r in recs if r["t"] == "cases")
    doc = json.loads(case["doc"]) if isinstance(case["doc"], str) else case["doc"]
    doc["employer"]["name"] = "正常\u202e司公限有"
    broken = [dict(r, doc=json.dumps(doc, ensure_ascii=False) if isinstance(r["doc"], str) else doc)
              if r is case else r for r in recs]
    before = state(h)
    path = tmp_path / "x.bundle"
    path.write_bytes(forge(s, seq=1, records=broken))
    with pytest.raises(hub.BundleRefused) as exc:
        hub.import_bundle(h, path, u)
    assert "控制字符" in str(exc.value)
    assert state(h) == before


def test_refused_and_duplicate_bundles_are_audited_at_the_hub(tmp_path, monkeypatch):
    from desktop.security import audit

    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    s, a, _ = make_station(tmp_path, "s", seed=4, n=2)
    h, u, _ = make_hub(tmp_path)
    connect(s, a, h, u)
    path = tmp_path / "x.bundle"
    path.write_bytes(forge(s, seq=5, records=export.collect(s, full=True)))
    with pytest.raises(hub.BundleRefused):
        hub.import_bundle(h, path, u)  # 1–4 are missing
    refused = [e for e in audit.entries(h) if e["action"] == "bundle.refused"]
    assert len(refused) == 1 and refused[0]["detail"]["check"] == "序号" and refused[0]["user"] == u.name
    path.write_bytes(forge(s, seq=1, records=export.collect(s, full=True)))
    hub.import_bundle(h, path, u)
    assert hub.import_bundle(h, path, u)["status"] == "duplicate"
    assert [e["action"] for e in audit.entries(h)][-2:] == ["bundle.import", "bundle.duplicate"]
    assert audit.verify(h) == []


def test_search_text_starting_with_a_dash_is_text_not_an_option(tmp_path):
    pw = tmp_path / "pw"
    pw.write_text("secret123", encoding="utf-8")
    db = tmp_path / "s.sqlite"
    env = {"MEDIATION_DESK_HOME": str(tmp_path / "home")}
    assert run("init", "--db", db, "--org-name", "海宁市示范镇劳动人事争议调解中心", "--org-kind", "township",
               "--region", "330481", "--admin", "admin", "--password-file", pw, env=env).returncode == 0
    src = tmp_path / "c.jsonl"
    src.write_text(json.dumps(_case("-Acme 有限公司"), ensure_ascii=False) + "\n", encoding="utf-8")
    assert run("import-cases", "--db", db, "--user", "admin", "--password-file", pw, src, env=env).returncode == 0
    r = run("cases", "--db", db, "--user", "admin", "--password-file", pw, "--json", "--search", "-Acme", env=env)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 1 and "-Acme" in r.stdout
