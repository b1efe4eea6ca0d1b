"""Ordinary faults answered in words (issue 15, item 8): a full disk, a read-only file or folder, many
readers at once and a long writer, a closed pipe, a NUL in a search. Each ends in a Chinese message
that says what to do, exit 1, no traceback, and nothing lost."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from desktop import cases, db as dbm, faults, search
from desktop.security import accounts, audit
from desktop.commands.common import open_session
from tests import records
from tests.test_cli import content_hash, run
from tests.test_stats import worker_id

ROOT = Path(__file__).resolve().parents[1]


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


@pytest.fixture
def station_file(tmp_path):
    pw = tmp_path / "pw.txt"
    pw.write_text("secret123\n", encoding="utf-8")
    db = tmp_path / "data" / "s.sqlite"
    db.parent.mkdir()
    env = {"MEDIATION_DESK_HOME": str(tmp_path / "home")}
    r = run("init", "--db", db, "--org-name", "海宁市示范镇劳动人事争议调解中心", "--org-kind", "township",
            "--region", "330481", "--admin", "admin", "--password-file", pw, env=env)
    assert r.returncode == 0, r.stderr
    return db, pw, env


def _jsonl(path, n, *, facts=""):
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            r = records.registered()
            r["workers"][0]["id_number"] = worker_id(i)
            if facts:
                r["facts"] = facts
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


def _case_count(db):
    conn = sqlite3.connect(db)
    try:
        return conn.execute("select count(*) from cases").fetchone()[0]
    finally:
        conn.close()


def _no_traceback(r):
    assert "Traceback" not in r.stderr and "Error" not in r.stderr, r.stderr


def test_full_database_during_import_changes_nothing(station):
    # PRAGMA max_page_count: the database cannot grow, as on a full disk
    db, admin, _ = station
    cases.import_records(db, [records.registered()], admin)
    before = db.conn.execute("select count(*) from cases").fetchone()[0]
    audit_before = db.conn.execute("select count(*) from audit_log").fetchone()[0]
    pages = db.conn.execute("pragma page_count").fetchone()[0]
    db.conn.execute(f"pragma max_page_count = {pages + 2}")
    recs = [dict(records.registered(), facts="事实" * 300) for _ in range(200)]
    for i, r in enumerate(recs):
        r["workers"][0]["id_number"] = worker_id(i + 1)
    with pytest.raises(sqlite3.OperationalError) as caught:
        cases.import_records(db, recs, admin)
    msg = faults.message(caught.value)
    assert "磁盘空间已满" in msg and "未保存" in msg
    assert not db.conn.in_transaction
    assert db.conn.execute("select count(*) from cases").fetchone()[0] == before
    assert db.conn.execute("select count(*) from audit_log").fetchone()[0] == audit_before
    assert audit.verify(db) == [] and dbm.quick_check(db.conn) == []
    db.conn.execute(f"pragma max_page_count = {2 ** 30}")  # space freed: the same import now lands
    cases.import_records(db, recs[:3], admin)
    assert db.conn.execute("select count(*) from cases").fetchone()[0] == before + 3


def _limited(max_bytes):
    def apply():
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))
    return apply


def _run_limited(max_bytes, *args, env):
    e = dict(os.environ, **env)
    return subprocess.run([sys.executable, "-m", "desktop", *map(str, args)], cwd=ROOT, env=e,
                          capture_output=True, text=True, timeout=120, preexec_fn=_limited(max_bytes))


def test_command_line_disk_full_during_import_and_its_backup(station_file, tmp_path):
    db, pw, env = station_file
    src = _jsonl(tmp_path / "many.jsonl", 300, facts="事实" * 200)
    before, count = content_hash(db), _case_count(db)
    # room for the pre-import copy, not for the import
    r = _run_limited(db.stat().st_size + 150_000, "import-cases", "--db", db, "--user", "admin",
                     "--password-file", pw, src, env=env)
    assert r.returncode == 1, r.stderr
    _no_traceback(r)
    assert "磁盘" in r.stderr and "清理磁盘空间" in r.stderr
    assert content_hash(db) == before and _case_count(db) == count
    # no room even for the pre-import copy: the same words, still nothing changed
    r = _run_limited(db.stat().st_size // 2, "import-cases", "--db", db, "--user", "admin",
                     "--password-file", pw, src, env=env)
    assert r.returncode == 1 and "磁盘" in r.stderr, r.stderr
    _no_traceback(r)
    assert content_hash(db) == before
    # the details are in the log in the data folder
    log = Path(env["MEDIATION_DESK_HOME"]) / "logs" / faults.LOG_NAME
    assert "import-cases" in log.read_text(encoding="utf-8")
    r = run("import-cases", "--db", db, "--user", "admin", "--password-file", pw, src, env=env)
    assert r.returncode == 0, r.stderr
    assert _case_count(db) == count + 300


def test_read_only_file_and_folder(station_file):
    db, pw, env = station_file
    before = content_hash(db)
    mode = db.stat().st_mode
    os.chmod(db, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    try:
        for command in (["cases"], ["check"]):
            r = run(*command, "--db", db, "--user", "admin", "--password-file", pw, env=env)
            assert r.returncode == 1, r.stderr
            _no_traceback(r)
            assert "只读" in r.stderr and "取消" in r.stderr, r.stderr
    finally:
        os.chmod(db, mode)
    folder_mode = db.parent.stat().st_mode
    os.chmod(db.parent, stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
    try:
        r = run("cases", "--db", db, "--user", "admin", "--password-file", pw, env=env)
        assert r.returncode == 1, r.stderr
        _no_traceback(r)
        assert "文件夹" in r.stderr and "不可写入" in r.stderr and "不是调解工作台数据库" not in r.stderr
    finally:
        os.chmod(db.parent, folder_mode)
    assert content_hash(db) == before
    assert run("cases", "--db", db, "--user", "admin", "--password-file", pw, env=env).returncode == 0


def test_closed_pipe_ends_quietly(station_file, tmp_path):
    db, pw, env = station_file
    assert run("import-cases", "--db", db, "--user", "admin", "--password-file", pw,
               _jsonl(tmp_path / "some.jsonl", 40), env=env).returncode == 0
    proc = subprocess.Popen([sys.executable, "-m", "desktop", "cases", "--db", str(db), "--user", "admin",
                             "--password-file", str(pw), "--json"], cwd=ROOT, env=dict(os.environ, **env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # `| head -0`: the reader is gone before the first line
    err = proc.stderr.read().decode("utf-8")
    proc.stderr.close()
    assert proc.wait(timeout=120) == 1
    assert "Traceback" not in err and "BrokenPipe" not in err and "输出被提前关闭" in err, err


def test_readers_wait_for_a_long_writer(station, tmp_path):
    db, admin, path = station
    pw = tmp_path / "pw"
    pw.write_text("admin12345", encoding="utf-8")
    cases.import_records(db, [records.registered()], admin)
    args = argparse.Namespace(db=str(path), user="admin", password_file=str(pw), command="cases")
    writer = dbm.open_database(path, check=False)
    writer.conn.execute("BEGIN IMMEDIATE")  # a long hub import holds the write lock
    writer.conn.execute("update settings set value = value where key = 'encryption'")
    results, ready = [], threading.Barrier(31)

    def reader():
        ready.wait()
        try:
            s = open_session(args)
            results.append(s.db.conn.execute("select count(*) from cases").fetchone()[0])
            s.db.conn.close()
        except Exception as exc:  # noqa: BLE001 - what must not happen
            results.append(repr(exc))

    threads = [threading.Thread(target=reader) for _ in range(30)]
    for t in threads:
        t.start()
    ready.wait()
    # release the writer only once every reader has had to wait for it (each is inside open_session)
    deadline_checks = 0
    while writer.conn.in_transaction and deadline_checks < 1:
        for t in threads:
            t.join(timeout=0.5)
        deadline_checks += 1
        writer.conn.commit()
    for t in threads:
        t.join()
    writer.conn.close()
    assert results == [1] * 30, results
    logins = [e for e in audit.entries(db) if e["action"] == "login"]
    assert len(logins) >= 30


def test_nul_and_hidden_characters_in_a_search(station):
    db, admin, _ = station
    rec = records.registered()
    rec["employer"]["name"] = "Acme Trading 有限公司"
    cases.import_records(db, [rec], admin)
    for q in ("\x00", "Acme\x00", "\u200b", "Acme Trading", "Ａｃｍｅ\u00a0Trading", "Acme\u200bTrad"):
        ids = search.match_rowids(db, q)
        assert ids is None or isinstance(ids, list)
    assert search.match_rowids(db, "\x00") is None  # nothing left to look for: no filter, no error
    assert len(search.match_rowids(db, "Acme Trading")) == 1
    assert len(search.match_rowids(db, "Ａｃｍｅ\u00a0Trading")) == 1
    assert len(search.match_rowids(db, "Acme\u200bTrad\x00ing")) == 1
