"""Windows file semantics, checked on any platform.

Two things Windows does that Linux does not are reproduced here at the os-module boundary, where
the program meets them:
- the C runtime opens files in *text mode* unless `O_BINARY` is given: `os.write` turns every
  b"\\n" into b"\\r\\n" (and `os.read` turns them back). An export written that way failed its
  own read-back check, so no bundle could ever be exported on Windows;
- a file another program holds open (a PDF viewer, WPS, an antivirus scan) cannot be replaced:
  `os.replace` raises PermissionError with a `winerror` (32, sharing violation).
Everything else is the real code on real files.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desktop import cli, db as dbm, demo, files, lock
from desktop.errors import Refused
from desktop.sync import export, hub
from tests.test_sync_support import connect, make_hub, make_station

WIN_O_BINARY = 0x8000  # its value in the Windows C runtime


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


class TextModeRuntime:
    """os.open/os.write/os.read as the Windows C runtime does them: text mode unless O_BINARY."""

    def __init__(self, monkeypatch):
        self.text_fds: set[int] = set()
        self.text_opens: list[str] = []
        real_open, real_write, real_read, real_close = os.open, os.write, os.read, os.close

        def w_open(path, flags, mode=0o777, *, dir_fd=None):
            fd = real_open(path, flags & ~WIN_O_BINARY, mode, dir_fd=dir_fd)
            if not flags & WIN_O_BINARY and not os.path.isdir(path):
                self.text_fds.add(fd)
                self.text_opens.append(os.fspath(path))
            return fd

        def w_write(fd, data):
            if fd in self.text_fds:
                real_write_all(fd, bytes(data).replace(b"\n", b"\r\n"))
                return len(data)  # the runtime reports the caller's bytes as written
            return real_write(fd, data)

        def real_write_all(fd, data):
            view = memoryview(data)
            while view:
                view = view[real_write(fd, view):]

        def w_read(fd, n):
            data = real_read(fd, n)
            return data.replace(b"\r\n", b"\n") if fd in self.text_fds else data

        def w_close(fd):
            self.text_fds.discard(fd)
            return real_close(fd)

        monkeypatch.setattr(os, "O_BINARY", WIN_O_BINARY, raising=False)
        monkeypatch.setattr(os, "open", w_open)
        monkeypatch.setattr(os, "write", w_write)
        monkeypatch.setattr(os, "read", w_read)
        monkeypatch.setattr(os, "close", w_close)


@pytest.fixture
def text_mode(monkeypatch):
    return TextModeRuntime(monkeypatch)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    return tmp_path


def test_the_text_mode_runtime_translates_like_windows(text_mode, tmp_path):
    # The emulation itself: without O_BINARY a newline grows a carriage return, with it nothing changes.
    fd = os.open(tmp_path / "t.txt", os.O_WRONLY | os.O_CREAT)
    os.write(fd, b"a\nb\n")
    os.close(fd)
    fd = os.open(tmp_path / "b.bin", os.O_WRONLY | os.O_CREAT | os.O_BINARY)
    os.write(fd, b"a\nb\n")
    os.close(fd)
    assert (tmp_path / "t.txt").read_bytes() == b"a\r\nb\r\n"
    assert (tmp_path / "b.bin").read_bytes() == b"a\nb\n"


def test_write_atomic_writes_the_bytes_it_was_given(text_mode, tmp_path):
    data = b'{"t":"cases"}\n{"t":"org"}\n' + bytes(range(256))
    out = export.write_atomic(tmp_path, "s-000001.bundle", data)
    assert out.read_bytes() == data
    assert text_mode.text_opens == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s-000001.bundle"]  # no temporary left


def test_a_whole_export_and_import_under_text_mode(text_mode, home):
    s1, a1, _ = make_station(home, "s1", n=20)
    h, hu, _ = make_hub(home)
    connect(s1, a1, h, hu)
    usb = home / "usb"
    usb.mkdir()
    b1 = export.export_bundle(s1, usb, a1)
    assert b1["counts"]["cases"] == 20
    r1 = hub.import_bundle(h, b1["path"], hu)
    assert r1["applied"]["cases"]["new"] == 20
    assert not any(p.startswith(str(usb)) for p in text_mode.text_opens)


def test_the_writer_lock_opens_its_file_in_binary_mode(text_mode, tmp_path):
    db_path = tmp_path / "station.sqlite"
    held = lock.acquire(db_path, shared_in_process=False)
    try:
        assert lock.holder(db_path) == held.info  # read back byte-exact, as another instance sees it
        with pytest.raises(lock.Locked, match="正被另一个程序写入"):
            lock.acquire(db_path, shared_in_process=False)
    finally:
        held.release()
    assert lock.holder(db_path) is None
    assert text_mode.text_opens == []


class HeldOpen:
    """os.replace as on Windows: a target another program holds open cannot be replaced."""

    def __init__(self, monkeypatch):
        self.held: dict[str, int] = {}  # path -> how many more attempts find it held (-1: until released)
        self.attempts = 0
        real_replace = os.replace

        def w_replace(src, dst):
            key = os.path.realpath(dst)
            left = self.held.get(key, 0)
            if left:
                self.attempts += 1
                self.held[key] = left - 1 if left > 0 else left
                exc = PermissionError(13, "拒绝访问。", os.fspath(dst))
                exc.winerror = 32  # ERROR_SHARING_VIOLATION
                raise exc
            return real_replace(src, dst)

        monkeypatch.setattr(os, "replace", w_replace)
        monkeypatch.setattr(files, "REPLACE_PAUSE_S", 0.001)


@pytest.fixture
def held_open(monkeypatch):
    return HeldOpen(monkeypatch)


def test_a_target_held_open_is_refused_in_chinese_and_left_as_it_was(held_open, tmp_path):
    target = tmp_path / "调解协议书.pdf"
    target.write_bytes(b"old pdf")
    held_open.held[os.path.realpath(target)] = -1
    with pytest.raises(PermissionError) as info:
        files.write_bytes_atomic(target, b"new pdf")
    assert "正被其他程序打开" in info.value.strerror
    assert held_open.attempts == files.REPLACE_TRIES
    assert target.read_bytes() == b"old pdf"
    assert [p.name for p in tmp_path.iterdir()] == ["调解协议书.pdf"]


def test_a_brief_hold_such_as_a_virus_scan_is_waited_out(held_open, tmp_path):
    target = tmp_path / "report.csv"
    target.write_bytes(b"old")
    held_open.held[os.path.realpath(target)] = 2
    files.write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"new" and held_open.attempts == 2


def test_a_posix_permission_error_is_not_retried(monkeypatch, tmp_path):
    calls = []

    def denied(src, dst):
        calls.append(dst)
        raise PermissionError(13, "Permission denied", os.fspath(dst))

    monkeypatch.setattr(os, "replace", denied)
    monkeypatch.setattr(os, "name", "posix")
    with pytest.raises(PermissionError, match="Permission denied"):
        files.write_bytes_atomic(tmp_path / "x.pdf", b"x")
    assert len(calls) == 1


def test_the_report_command_names_a_file_held_open(held_open, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    path = tmp_path / "demo.sqlite"
    d = dbm.open_database(path, create=True)
    demo.create_demo_station(d, seed=3)
    demo.fill(d, 20, seed=3)
    year = d.conn.execute("select max(closed_date) from cases").fetchone()[0][:4]
    d.conn.close()
    out = tmp_path / "统计表.csv"
    out.write_bytes(b"kept")
    held_open.held[os.path.realpath(out)] = -1
    code = cli.main(["report", "--db", str(path), "--period", year, "--format", "csv", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert "正被其他程序打开" in err and "Traceback" not in err
    assert out.read_bytes() == b"kept"


def test_export_refuses_cleanly_when_the_stick_fails_mid_write(monkeypatch, tmp_path):
    # A stick pulled out mid-write: the write fails with EIO; nothing is left, the message is Chinese.
    real_write = os.write

    def pulled(fd, data):
        if len(data) > 10:
            real_write(fd, bytes(data)[:10])
            raise OSError(5, "Input/output error")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", pulled)
    with pytest.raises(Refused, match="无法写入数据包"):
        export.write_atomic(tmp_path, "s-000002.bundle", b"x" * 100)
    assert list(Path(tmp_path).iterdir()) == []
