"""Crash safety (small): SIGKILL a writer mid-stream; every acknowledged case survives, none half-written."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _bench():
    spec = importlib.util.spec_from_file_location("bench_crash", ROOT / "bench" / "bench_crash.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_killed_writer_loses_nothing_acknowledged(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    bench = _bench()
    paths, results = bench.run_rounds(4, seed=7, workdir=tmp_path, max_delay=2.5)
    assert [p for _n, p in results if p] == []
    assert len(results) == 4
    assert sum(n for n, _ in results) > 0  # the writer did get cases acknowledged before dying


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_check_notices_a_lost_case(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    bench = _bench()
    path = tmp_path / "c.sqlite"
    bench.make_station(path)
    n, problems = bench.one_round(path, random.Random(3), max_delay=1.0)
    assert problems == []
    assert bench.check(path, ["〔2099〕不存在第0001号"]) == ["acknowledged case lost: 〔2099〕不存在第0001号"]
