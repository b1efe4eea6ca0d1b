"""The headless command line, driven as a user would: subprocesses on real files."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests import records

ROOT = Path(__file__).resolve().parents[1]


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


def run(*args, env=None, input=None):
    e = dict(os.environ)
    e.update(env or {})
    e.pop("MEDIATION_DESK_USER", None) if "MEDIATION_DESK_USER" not in (env or {}) else None
    return subprocess.run([sys.executable, "-m", "desktop", *map(str, args)], cwd=ROOT, env=e,
                          capture_output=True, text=True, input=input, timeout=120)


@pytest.fixture
def station_file(tmp_path):
    pw = tmp_path / "pw.txt"
    pw.write_text("secret123\n", encoding="utf-8")
    db = tmp_path / "s.sqlite"
    r = run("init", "--db", db, "--org-name", "海宁市示范镇劳动人事争议调解中心", "--org-kind", "township",
            "--region", "330481", "--admin", "admin", "--password-file", pw,
            env={"MEDIATION_DESK_HOME": str(tmp_path / "home")})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().startswith("S")
    return db, pw, tmp_path


def cred(pw):
    return ["--user", "admin", "--password-file", pw]


def content_hash(db: Path) -> str:
    """A digest of every row of every table, to prove that nothing was written."""
    conn = sqlite3.connect(db)
    h = hashlib.sha256()
    for (name,) in conn.execute("select name from sqlite_master where type='table' and name not like 'sqlite_%'"
                                " and name not like '%_fts_%' and name not like '%_ngram_%' and name != 'audit_log' order by name"):
        for row in conn.execute(f'select * from "{name}" order by 1'):
            h.update(repr(row).encode())
    conn.close()
    return h.hexdigest()


def test_init_refuses_to_overwrite(station_file):
    db, pw, tmp = station_file
    r = run("init", "--db", db, "--org-name", "x", "--org-kind", "township", "--region", "330481",
            "--admin", "a", "--password-file", pw)
    assert r.returncode == 2 and "拒绝覆盖" in r.stderr


def test_init_rejects_weak_password_and_writes_nothing(tmp_path):
    pw = tmp_path / "pw"
    pw.write_text("short")
    r = run("init", "--db", tmp_path / "x.sqlite", "--org-name", "某中心", "--org-kind", "township",
            "--region", "330481", "--admin", "a", "--password-file", pw)
    assert r.returncode == 2 and "密码至少8位" in r.stderr
    assert not (tmp_path / "x.sqlite").exists()


def test_import_then_cases_round_trip(station_file):
    db, pw, tmp = station_file
    src = tmp / "in.jsonl"
    rec = records.agreed()
    rec["case_no"] = "〔2026〕海宁市示范镇劳调字第0012号"
    src.write_text(json.dumps(rec, ensure_ascii=False) + "\n" + json.dumps(records.registered(), ensure_ascii=False) + "\n",
                   encoding="utf-8")
    r = run("import-cases", "--db", db, *cred(pw), src)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["〔2026〕海宁市示范镇劳调字第0012号", "〔2026〕海宁市示范镇劳调字第0013号"]
    assert "赵调解" in r.stderr  # not on the roster: added as an inactive back-entered mediator, with a warning
    out = run("cases", "--db", db, *cred(pw), "--json", "--search", "王小明")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    got = next(r for r in rows if r["case_no"] == rec["case_no"])
    for key, value in rec.items():
        assert got[key] == value, key
    assert got["status"] == "closed" and got["back_entered"] is True and got["collective"] is False
    assert got["acceptance_due"] == "2026-10-09" and got["review_deadline"] == "2026-11-05"
    assert got["mediation_deadline"] == "2026-10-30" and got["provisional"] is False
    assert len(got["id"]) == 36 and got["station"].startswith("S")
    # re-importing the exported record (computed fields included) is accepted as input shape
    again = tmp / "again.jsonl"
    got.pop("case_no")
    again.write_text(json.dumps(got, ensure_ascii=False) + "\n", encoding="utf-8")
    assert run("import-cases", "--db", db, *cred(pw), again).returncode == 0
    masked = run("cases", "--db", db, *cred(pw), "--json", "--masked", "--limit", "1")
    assert "**************0134" in masked.stdout and "110101199003070134" not in masked.stdout


@pytest.mark.parametrize("content, expected", [
    ('{"application": 1}\n', "第2条 application"),
    ("not json\n", "JSON"),
    (b"\xff\xfe\n", "UTF-8"),
    ('{"a": 1, "a": 2}\n', "重复"),
    ('{"x": NaN}\n', "NaN"),
    ('{"x": "\\ud800"}\n', "代理"),
    ("[" * 5000 + "]" * 5000 + "\n", "嵌套"),
])
def test_bad_input_exits_2_and_writes_nothing(station_file, content, expected):
    db, pw, tmp = station_file
    good = json.dumps(records.registered(), ensure_ascii=False) + "\n"
    f = tmp / "bad.jsonl"
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    f.write_bytes(good.encode("utf-8") + data)
    before = content_hash(db)
    r = run("import-cases", "--db", db, *cred(pw), f)
    assert r.returncode == 2, r.stderr
    assert expected in r.stderr, r.stderr
    assert content_hash(db) == before


def test_wrong_credentials_exit_1_and_are_audited(station_file):
    db, pw, tmp = station_file
    bad = tmp / "bad.txt"
    bad.write_text("wrong")
    r = run("cases", "--db", db, "--user", "admin", "--password-file", bad)
    assert r.returncode == 1 and "用户名或密码错误" in r.stderr
    r = run("cases", "--db", db)
    assert r.returncode == 1 and "凭据" in r.stderr
    conn = sqlite3.connect(db)
    actions = [a for (a,) in conn.execute("select action from audit_log")]
    assert actions.count("login.failed") == 2
    conn.close()
    ok = run("cases", "--db", db, env={"MEDIATION_DESK_USER": "admin", "MEDIATION_DESK_PASSWORD": "secret123"})
    assert ok.returncode == 0, ok.stderr


def test_roster_import_and_list(station_file):
    db, pw, tmp = station_file
    f = tmp / "roster.jsonl"
    f.write_text(json.dumps({"name": "钱秀英", "id_number": "110101199003070134", "phone": "13900000000",
                             "employment": "full_time", "certificate_no": "浙调证0001", "term_start": "2025-01-01",
                             "term_end": "2027-12-31", "training": [{"date": "2025-06-01", "title": "业务培训", "hours": 8}]},
                            ensure_ascii=False) + "\n", encoding="utf-8")
    r = run("roster", "--db", db, *cred(pw), "--import", f)
    assert r.returncode == 0, r.stderr
    out = run("roster", "--db", db, *cred(pw), "--json", "--masked")
    m = json.loads(out.stdout.splitlines()[0])
    assert m["name"] == "钱秀英" and m["sex"] == "*" and m["id_number"] == "**************0134"  # issue 15
    assert m["active"] is True and m["open_cases"] == 0 and m["training"][0]["hours"] == 8
    f.write_text('{"name": "", "phone": "x"}\n')
    bad = run("roster", "--db", db, *cred(pw), "--import", f)
    assert bad.returncode == 2 and "第1条 name" in bad.stderr and "第1条 phone" in bad.stderr


def test_demo_check_and_search(tmp_path):
    db = tmp_path / "demo.sqlite"
    r = run("demo", "--db", db, "--cases", "300", "--seed", "7")
    assert r.returncode == 0, r.stderr
    again = tmp_path / "demo2.sqlite"
    run("demo", "--db", again, "--cases", "300", "--seed", "7")
    volatile = {"id", "station", "created_at", "updated_at"}

    def content(p):
        rows = [json.loads(line) for line in run("cases", "--db", p, "--json").stdout.splitlines()]
        return sorted((json.dumps({k: v for k, v in r.items() if k not in volatile}, ensure_ascii=False, sort_keys=True)
                       for r in rows))

    first = content(db)
    assert len(first) == 300 and first == content(again)  # deterministic for a seed
    assert run("check", "--db", db).returncode == 0
    statuses = {json.loads(line)["status"] for line in run("cases", "--db", db, "--json").stdout.splitlines()}
    assert statuses == {"registered", "declined", "mediating", "closed"}
    one = run("cases", "--db", db, "--json", "--search", "王", "--limit", "5")
    rows = [json.loads(line) for line in one.stdout.splitlines()]
    assert rows and all("王" in " ".join(w["name"] for w in r["workers"]) + r["employer"]["name"] for r in rows)


def test_viewer_cannot_write_through_the_command_line(station_file):
    db, pw, tmp = station_file
    sys.path.insert(0, str(ROOT))
    from desktop import db as dbm
    from desktop.security import accounts

    d = dbm.open_database(db)
    accounts.authenticate(d, "admin", "secret123")  # unlocks the data key, so the viewer gets a copy
    accounts.create_user(d, "guest", "guest12345", "viewer", actor="admin")
    d.conn.close()
    gpw = tmp / "g.txt"
    gpw.write_text("guest12345")
    f = tmp / "in.jsonl"
    f.write_text(json.dumps(records.registered(), ensure_ascii=False) + "\n", encoding="utf-8")
    r = run("import-cases", "--db", db, "--user", "guest", "--password-file", gpw, f)
    assert r.returncode == 1 and "无权" in r.stderr
    listing = run("cases", "--db", db, "--user", "guest", "--password-file", gpw, "--json")
    assert listing.returncode == 0, listing.stderr
