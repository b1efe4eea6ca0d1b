"""Writing output files so that a failed or interrupted write never replaces a good file."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import time
from pathlib import Path

# Windows refuses to replace a file another program holds open (a PDF viewer, WPS, an antivirus
# scan that lasts a moment): a few short retries cover the scanner, then the user is told why.
REPLACE_TRIES = 5
REPLACE_PAUSE_S = 0.1
IN_USE_MESSAGE = "目标文件正被其他程序打开（例如 PDF 阅读器、WPS 或 Excel），请关闭该文件后重试"


def replace(src: str | os.PathLike, dst: str | os.PathLike) -> None:
    """os.replace that waits out a brief lock and names a lasting one in Chinese (PermissionError)."""
    for attempt in range(REPLACE_TRIES):
        try:
            os.replace(src, dst)
            return
        except PermissionError as exc:
            if os.name != "nt" and not getattr(exc, "winerror", None):
                raise  # POSIX: a real permission problem, not a file in use
            if attempt == REPLACE_TRIES - 1:
                raise PermissionError(errno.EACCES, IN_USE_MESSAGE, str(dst)) from None
            time.sleep(REPLACE_PAUSE_S * (attempt + 1))


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike):
    """Yield a temporary path beside `target`; on success it is renamed over `target`, on failure removed."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=target.suffix, dir=str(target.parent))
    os.close(fd)
    try:
        yield Path(tmp)
        replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_bytes_atomic(target: str | os.PathLike, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
