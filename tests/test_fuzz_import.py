"""Bad input on the import path: random JSON shapes, huge strings, invalid UTF-8, lone surrogates, NUL,
SQL- and HTML-looking text. Only InputError (with a message) may come out, and a refused import writes nothing;
accepted text is stored and read back literally."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

from hypothesis import HealthCheck, given, settings, strategies as st

from desktop import cases
from desktop.commands.common import read_jsonl
from desktop.errors import InputError
from tests import records

ROOT = Path(__file__).resolve().parent.parent
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))

HOSTILE = st.sampled_from([
    "'; DROP TABLE cases; --", "\" OR 1=1 --", "<script>alert(1)</script>", "<b>王</b>&amp;", "\x00", "a\x00b",
    "\u202e反转", "\ufeff", "𠮷𠮷", "\\u0000", "%s%n", "{{7*7}}", "王" * 5000, "\r\n\t", "NaN", "null",
])
TEXT = st.one_of(st.text(max_size=40), HOSTILE)
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)
KEYS = ["case_no", "source", "application", "workers", "employer", "agents", "dispute_types", "claims", "facts",
        "acceptance", "mediators", "extensions", "sessions", "outcome", "agreement", "performance", "followups"]


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


def _counts(db):
    return tuple(db.conn.execute(f"select count(*) from {t}").fetchone()[0]
                 for t in ("cases", "case_events", "case_workers", "mediators", "audit_log"))


def _mutated(data):
    """A valid record with one part replaced by something random."""
    rec = records.agreed()
    key, value = data.draw(st.sampled_from(KEYS)), data.draw(JSON)
    if data.draw(st.booleans()):
        rec[key] = value
    else:  # deeper: inside the first worker or the agreement
        target = rec["workers"][0] if data.draw(st.booleans()) else rec["agreement"]
        target[data.draw(st.sampled_from(sorted(target) + ["extra"]))] = value
    return rec


def _known_bug(exc: BaseException) -> bool:
    """cases.check_record tests a list/dict value for membership in a code table (unhashable →
    TypeError instead of InputError); pinned by test_unhashable_code_values_are_input_errors."""
    last = traceback.extract_tb(exc.__traceback__)[-1]
    return last.filename.endswith("cases.py") and " not in " in (last.line or "")


def _attempt(db, admin, tmp_path, payload: bytes):
    f = tmp_path / "in.jsonl"
    f.write_bytes(payload)
    before = _counts(db)
    try:
        recs = read_jsonl(str(f))
        numbers = cases.import_records(db, recs, admin)
    except InputError as exc:
        assert exc.messages and all(isinstance(m, str) and m for m in exc.messages)
        assert _counts(db) == before  # all or nothing
        return None
    except TypeError as exc:
        if not _known_bug(exc):
            raise
        assert _counts(db) == before
        return None
    assert len(numbers) == len(recs)
    return numbers


def test_random_json_shapes_never_crash(station, tmp_path):
    db, admin, _ = station

    @FUZZ
    @given(st.data())
    def run(data):
        kind = data.draw(st.sampled_from(["record", "any", "lines"]))
        if kind == "record":
            rows = [_mutated(data)]
        elif kind == "any":
            rows = [data.draw(JSON)]
        else:
            rows = [records.registered(), _mutated(data)]
        payload = "\n".join(json.dumps(r, ensure_ascii=data.draw(st.booleans())) for r in rows).encode("utf-8",
                                                                                                         "surrogatepass")
        _attempt(db, admin, tmp_path, payload)

    run()


@pytest.mark.parametrize("rec", [dict(records.registered(), source=[]), dict(records.registered(), dispute_types=[{}]),
                                 dict(records.registered(), application={"mode": {}, "received_at": "2026-09-29T10:00:00+08:00"})])
def test_unhashable_code_values_are_input_errors(station, rec):
    db, admin, _ = station
    try:
        cases.import_records(db, [rec], admin)
    except InputError as exc:
        assert exc.messages
    else:
        raise AssertionError("accepted")


def test_raw_bytes_invalid_utf8_and_surrogates(station, tmp_path):
    db, admin, _ = station
    good = json.dumps(records.registered(), ensure_ascii=False).encode()

    @FUZZ
    @given(st.binary(max_size=300), st.integers(0, 3))
    def run(noise, where):
        payload = [noise, good + b"\n" + noise, noise + b"\n" + good, good[:len(good) // 2] + noise][where]
        _attempt(db, admin, tmp_path, payload)

    run()
    for payload, needle in ((good + b"\n\xff\xfe\n", "第2行不是有效的 UTF-8"),
                            (good.replace("王小明".encode(), b'\\ud800') + b"\n", "孤立代理项"),
                            (b'{"facts": 1e999999}\n', "第1条"), (b"[" * 100000 + b"\n", "第1条")):
        f = tmp_path / "x.jsonl"
        f.write_bytes(payload)
        try:
            read_jsonl(str(f))
            raise AssertionError("accepted")
        except InputError as exc:
            assert any(needle in m for m in exc.messages), exc.messages


def test_hostile_text_is_stored_and_printed_literally(station, tmp_path):
    db, admin, _ = station

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(HOSTILE, st.text(max_size=200))
    def run(hostile, more):
        rec = records.registered()
        rec["facts"] = hostile + more
        rec["claims"][0]["text"] = "<i>" + hostile[:50]
        numbers = _attempt(db, admin, tmp_path, (json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8",
                                                                                                  "surrogatepass"))
        if numbers:
            got = cases.get_case(db, numbers[0])
            # stored as typed (the core trims surrounding whitespace only), never escaped or interpreted
            assert got.get("facts", "") == rec["facts"].strip()
            assert got["claims"][0]["text"] == rec["claims"][0]["text"].strip()

    run()
    assert db.conn.execute("select count(*) from sqlite_master where name = 'cases'").fetchone()[0] == 1


def test_import_cases_command_names_the_problem_and_writes_nothing(tmp_path):
    env = dict(os.environ, MEDIATION_DESK_HOME=str(tmp_path / "home"))
    dbf = tmp_path / "d.sqlite"
    run = lambda *a: subprocess.run([sys.executable, "-m", "desktop", *map(str, a)], cwd=ROOT, env=env,
                                    capture_output=True, text=True, timeout=120)
    assert run("demo", "--db", dbf, "--cases", "0").returncode == 0
    f = tmp_path / "in.jsonl"
    ok = json.dumps(records.registered(), ensure_ascii=False)
    bad = dict(records.registered(), facts="<script>'; DROP TABLE cases; --</script>")
    bad["workers"] = [dict(records.WORKER, id_number="110101199003070135")]  # wrong check digit
    f.write_text(ok + "\n" + json.dumps(bad, ensure_ascii=False) + "\n", encoding="utf-8")
    r = run("import-cases", "--db", dbf, f)
    assert r.returncode == 2 and "第2条" in r.stderr and "id_number" in r.stderr
    r = run("cases", "--db", dbf, "--json")
    assert r.returncode == 0 and r.stdout == ""
    f.write_bytes(ok.encode() + b"\n\x80\n")
    r = run("import-cases", "--db", dbf, f)
    assert r.returncode == 2 and "第2行" in r.stderr
    f.write_text(json.dumps(dict(records.registered(), facts="<script>'; DROP TABLE cases; --</script>"),
                            ensure_ascii=False) + "\n", encoding="utf-8")
    assert run("import-cases", "--db", dbf, f).returncode == 0
    r = run("cases", "--db", dbf, "--json")
    assert "<script>'; DROP TABLE cases; --</script>" in r.stdout
