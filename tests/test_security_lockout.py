"""Attack: many wrong passwords at once must not slip past the lockout (issue 15, items 3 and 11)."""

from __future__ import annotations

import datetime
import os
import threading

import argon2
import pytest

from desktop import clock, db as dbm
from desktop.security import accounts, audit
from desktop.errors import Refused

GUESSES = 100


def _guess_in_parallel(path, name, password, n):
    """n threads, each with its own connection (as n processes would have), released together."""
    handles = [dbm.open_database(path, check=False) for _ in range(n)]
    start = threading.Barrier(n)
    outcomes = [None] * n

    def attempt(i):
        start.wait()
        try:
            accounts.authenticate(handles[i], name, password)
            outcomes[i] = "in"
        except Refused as exc:
            outcomes[i] = exc.message
        except Exception as exc:  # pragma: no cover - what the test must not see
            outcomes[i] = f"error: {exc!r}"

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for h in handles:
        h.conn.close()
    return outcomes


def test_parallel_wrong_passwords_lock_after_five(station):
    db, _, path = station
    outcomes = _guess_in_parallel(path, "admin", "wrong12345", GUESSES)
    assert not [o for o in outcomes if o == "in" or o.startswith("error")], outcomes
    entries = [e for e in audit.entries(db) if e["action"] == "login.failed"]
    assert len(entries) == GUESSES  # every guess is in the log
    checked = [e for e in entries if e["detail"]["reason"] == "wrong password"]
    assert len(checked) == accounts.MAX_FAILURES  # only five guesses ever reached argon2
    assert sum("锁定" in o for o in outcomes) >= GUESSES - accounts.MAX_FAILURES
    locked_until = db.conn.execute("select locked_until from users where name = 'admin'").fetchone()[0]
    assert locked_until
    with pytest.raises(Refused, match="锁定"):  # the right password is refused now
        accounts.authenticate(db, "admin", "admin12345")


def test_rounds_of_parallel_guesses_never_reach_the_right_password(station):
    # the original attack: rounds of 24 parallel guesses, then the right password
    db, _, path = station
    for _ in range(4):
        _guess_in_parallel(path, "admin", "wrong12345", 24)
    with pytest.raises(Refused, match="锁定"):
        accounts.authenticate(db, "admin", "admin12345")


def test_a_success_takes_its_provisional_count_back(station):
    db, _, _ = station
    for _ in range(4):
        with pytest.raises(Refused):
            accounts.authenticate(db, "admin", "wrong12345")
    accounts.authenticate(db, "admin", "admin12345")
    assert db.conn.execute("select failed_count, locked_until from users where name='admin'").fetchone() == (0, None)
    for _ in range(4):  # the count started again from zero
        with pytest.raises(Refused):
            accounts.authenticate(db, "admin", "wrong12345")
    assert accounts.authenticate(db, "admin", "admin12345").name == "admin"


def test_unknown_and_disabled_names_cost_one_full_password_check(station):
    # Equal work, hence equal time (the figures are in bench/bench_security.py, not asserted here):
    # the stand-in hash has the same argon2 parameters as a real user's.
    db, admin, _ = station
    real = db.conn.execute("select password_hash from users where name='admin'").fetchone()[0]
    assert argon2.extract_parameters(accounts._DUMMY_HASH) == argon2.extract_parameters(real)
    with pytest.raises(Refused, match="用户名或密码错误"):
        accounts.authenticate(db, "nobody", "whatever1")
    accounts.create_user(db, "m", "medi12345", "mediator", actor="admin")
    accounts.set_active(db, admin, "m", False)
    with pytest.raises(Refused, match="停用"):
        accounts.authenticate(db, "m", "medi12345")


def test_checks_killed_processes_left_do_not_block_or_lock(station):
    import subprocess
    import sys

    db, _, _ = station
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a process that has ended (as one killed mid-check)
    old = (clock.now_datetime() - datetime.timedelta(seconds=accounts.ATTEMPT_STALE_SECONDS + 5))
    with db.atomic():
        for _ in range(accounts.MAX_FAILURES):  # five checks started and never finished (kill -9)
            db.conn.execute("insert into login_attempts (name, started_at, pid) values ('admin', ?, ?)",
                            (clock.now(), dead.pid))
        db.conn.execute("insert into login_attempts (name, started_at, pid) values ('admin', ?, ?)",
                        (old.isoformat(timespec="seconds"), os.getpid()))
    assert accounts.authenticate(db, "admin", "admin12345").name == "admin"
    assert db.conn.execute("select count(*) from login_attempts").fetchone()[0] == 0
    assert db.conn.execute("select failed_count from users where name='admin'").fetchone()[0] == 0


def test_a_live_check_in_progress_holds_its_slot(station):
    # four failures and one check running right now (this process): the next guess waits for it,
    # and once it fails the account is locked without the waiting guess ever being checked
    db, _, _ = station
    for _ in range(4):
        with pytest.raises(Refused):
            accounts.authenticate(db, "admin", "wrong12345")
    with db.atomic():
        db.conn.execute("update users set failed_count = 5 where name = 'admin'")
    with pytest.raises(Refused, match="锁定"):
        accounts.authenticate(db, "admin", "admin12345")
