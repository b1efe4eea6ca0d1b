"""One writer per database: a lock file beside it (`station.sqlite.lock`) naming the holder.

The file holds pid, host and start time for the message a second instance shows. The lock itself
is an OS lock on that file (flock on POSIX, msvcrt on Windows), which the OS drops when the holder
dies however it dies, so a lock left by a killed process is recovered without guessing. Where no
OS lock is available the pid is checked instead.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as _dt
import json
import os
import socket
from pathlib import Path

from desktop import clock
from desktop.errors import Refused

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None
try:
    import msvcrt
except ImportError:
    msvcrt = None

_WIN_LOCK_OFFSET = 1 << 20  # lock a byte beyond the text so others can still read who holds it


def _binary() -> int:
    """O_BINARY where the C runtime has text mode (Windows), else 0: the holder's text is read back byte-exact."""
    return getattr(os, "O_BINARY", 0)


class Locked(Refused):
    """Another live process holds the writer lock."""

    def __init__(self, message: str, holder: dict):
        super().__init__(message)
        self.holder = holder


def lock_path(db_path) -> Path:
    p = Path(db_path)
    return p.with_name(p.name + ".lock")


def _read(fd) -> dict:
    os.lseek(fd, 0, os.SEEK_SET)
    data = b""
    while True:
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
        if len(data) > 65536:
            break
    try:
        info = json.loads(data.split(b"\0", 1)[0].decode("utf-8") or "{}")
        return info if isinstance(info, dict) else {}
    except (UnicodeDecodeError, ValueError):
        return {}


def pid_alive(pid) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    if os.name == "nt":  # pragma: no cover
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        ctypes.windll.kernel32.CloseHandle(handle)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def describe_holder(info: dict) -> str:
    return f"主机 {info.get('host', '?')} 上的进程 {info.get('pid', '?')}（自 {str(info.get('started', '?'))[:19]} 起）"


class WriterLock:
    def __init__(self, path: Path, fd: int, info: dict, recovered: dict | None):
        self.path = path
        self._fd = fd
        self.info = info
        self.recovered = recovered  # what a dead holder had left, if anything

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            try:
                if Path(self.path).exists() and os.stat(self.path).st_ino == os.fstat(self._fd).st_ino:
                    os.unlink(self.path)
            except OSError:
                pass
            _os_unlock(self._fd)
        finally:
            os.close(self._fd)
            self._fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def _try_os_lock(fd) -> bool | None:
    """True: locked; False: held by someone else; None: no OS lock on this platform."""
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except (BlockingIOError, PermissionError):
            return False
        except OSError:
            return None
    if msvcrt is not None:  # pragma: no cover - Windows
        os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    return None


def _os_unlock(fd) -> None:
    """Unlock before close: Windows drops a closed file's locks only 'when resources allow', so a
    program restarted at once could find its own old lock still held."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    elif msvcrt is not None:  # pragma: no cover - Windows
        with contextlib.suppress(OSError):
            os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


_held: dict[str, WriterLock] = {}


def acquire(db_path, *, shared_in_process: bool = True) -> WriterLock:
    """Take the writer lock of a database or raise Locked naming the live holder.

    Within one process the lock is shared (the desktop program and its commands are one writer);
    `shared_in_process=False` takes a separate lock, as a second instance would.
    """
    path = lock_path(db_path)
    key = os.path.realpath(path)
    mine = _held.get(key)
    if shared_in_process and mine is not None and mine._fd is not None:
        return mine
    lk = _acquire(path)
    if shared_in_process:
        _held[key] = lk
    return lk


@atexit.register
def _release_all() -> None:
    for lk in list(_held.values()):
        lk.release()
    _held.clear()


def _acquire(path: Path) -> WriterLock:
    for _attempt in range(5):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | _binary(), 0o644)
        except OSError as exc:
            raise Refused(f"无法创建锁文件 {path}：{exc.strerror}") from None
        got = _try_os_lock(fd)
        old = _read(fd)
        if got is False or (got is None and old and old.get("host") == socket.gethostname()
                            and old.get("pid") != os.getpid() and pid_alive(old.get("pid"))):
            os.close(fd)
            raise Locked(f"数据库正被另一个程序写入：{describe_holder(old)}。请先关闭它，或以只读方式打开。", old)
        # Someone may have released and unlinked the file between our open and our lock: retry.
        try:
            if os.stat(path).st_ino != os.fstat(fd).st_ino:
                os.close(fd)
                continue
        except FileNotFoundError:
            os.close(fd)
            continue
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "started": clock.now()}
        data = json.dumps(info).encode()
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, data)
        os.fsync(fd)
        return WriterLock(path, fd, info, old or None)
    raise Refused(f"无法获得数据库写入锁：{path}")


def holder(db_path) -> dict | None:
    """Who holds the writer lock now (None if nobody does)."""
    path = lock_path(db_path)
    try:
        fd = os.open(path, os.O_RDWR | _binary())
    except OSError:
        return None
    try:
        got = _try_os_lock(fd)
        info = _read(fd)
        if got is True:
            _os_unlock(fd)
            return None
        if got is None and not pid_alive(info.get("pid")):
            return None
        return info
    finally:
        os.close(fd)
