"""Ordinary faults answered in words: a full disk, a read-only file or folder, a busy database, a closed
pipe. `message(exc)` gives the Chinese sentence (what happened, what to do) for an exception the
program did not raise on purpose; `log_exception` keeps the details in a rotating log file in the
data folder (``logs/mediation-desk.log``), so a fault is never silent and never a traceback on screen.
"""

from __future__ import annotations

import errno
import logging
import logging.handlers
import sqlite3
import traceback

LOG_NAME = "mediation-desk.log"
LOG_BYTES = 1_000_000
LOG_COPIES = 5

NOTHING_CHANGED = "本次操作的更改未保存，已有数据不受影响。"


def message(exc: BaseException) -> str:
    """The Chinese message for an unexpected fault (not an InputError or Refused)."""
    if isinstance(exc, BrokenPipeError):
        return "输出被提前关闭（例如接在 head 之后），其余内容未输出。"
    if isinstance(exc, MemoryError):
        return "内存不足，操作未完成。" + NOTHING_CHANGED + "请关闭其他程序后重试。"
    if isinstance(exc, sqlite3.Error):
        text = str(exc).lower()
        if "disk is full" in text or "database or disk is full" in text:
            return "磁盘空间已满，无法写入数据库。" + NOTHING_CHANGED + "请清理磁盘空间（删除不需要的文件）后重试。"
        if "readonly" in text or "read-only" in text:
            return ("数据库文件或其所在的文件夹是只读的，无法写入。" + NOTHING_CHANGED +
                    "请在文件属性中取消“只读”，或把数据库放到可以写入的文件夹。")
        if "locked" in text or "busy" in text:
            return ("数据库正忙：另一个程序（或另一个窗口）正在写入，等待超时。" + NOTHING_CHANGED +
                    "请等对方完成后重试。")
        if "unable to open" in text:
            return "无法打开数据库文件：文件夹不存在或没有写入权限。请检查数据库所在文件夹的权限。"
        if "disk i/o" in text or "ioerr" in text:
            return ("读写磁盘出错：磁盘空间可能已满，或磁盘已拔出、损坏。" + NOTHING_CHANGED +
                    "请清理磁盘空间、检查磁盘后重试。")
        if "malformed" in text or "not a database" in text or "corrupt" in text:
            return "数据库文件已损坏或不是数据库，请从备份恢复（restore）。"
        return f"数据库操作失败（{exc}）。" + NOTHING_CHANGED
    if isinstance(exc, OSError):
        name = f"：{exc.filename}" if getattr(exc, "filename", None) else ""
        if exc.errno in (errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", -1)):
            return f"磁盘空间已满，文件无法写入{name}。" + NOTHING_CHANGED + "请清理磁盘空间后重试。"
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return f"没有写入权限或磁盘只读{name}。请检查文件和文件夹的权限，或换一个可写的位置。"
        if exc.errno == errno.ENOENT:
            return f"文件或文件夹不存在{name}。"
        return f"读写文件出错{name}（{exc.strerror or exc}）。请检查磁盘后重试。"
    return ("程序遇到意外错误。" + NOTHING_CHANGED +
            "详细信息已写入数据文件夹中的日志（logs/mediation-desk.log），请联系技术支持。")


_folder = None


def log_path():
    from desktop import paths

    return paths.home() / "logs" / LOG_NAME


def logger() -> logging.Logger:
    """The program's log: a rotating file in the data folder (5 × 1 MB)."""
    global _folder
    log = logging.getLogger("mediation_desk")
    target = log_path()
    if _folder != target:  # first use, or the data folder changed (tests, portable installs)
        for h in list(log.handlers):
            log.removeHandler(h)
            h.close()
        log.setLevel(logging.INFO)
        log.propagate = False
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handler = logging.handlers.RotatingFileHandler(target, maxBytes=LOG_BYTES, backupCount=LOG_COPIES,
                                                           encoding="utf-8")
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
            log.addHandler(handler)
        except OSError:  # no writable data folder: the message on screen still says what happened
            log.addHandler(logging.NullHandler())
        _folder = target
    return log


def log_exception(exc: BaseException, where: str = "") -> None:
    try:
        logger().error("%s%s", f"{where}: " if where else "",
                       "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip())
    except Exception:  # noqa: BLE001 - logging must never turn one fault into two
        pass
