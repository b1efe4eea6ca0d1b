"""What command-line commands share: opening the database and acting as a user."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from desktop import db as dbm, org, paths
from desktop.security import accounts
# Signing in may re-seal cases and mediators and the station's private keys (desktop.security.records):
# their owners register with the security package when imported.
from desktop import cases, roster  # noqa: F401,E402
from desktop.sync import keys as _sync_keys  # noqa: F401
from desktop.errors import InputError, Refused


def db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="数据库文件（默认：用户数据目录下的 station.sqlite）")


def credential_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", help="用户名（或环境变量 MEDIATION_DESK_USER）")
    parser.add_argument("--password-file", help="存放密码的文件（或环境变量 MEDIATION_DESK_PASSWORD）")


def db_path(args) -> Path:
    return Path(args.db) if getattr(args, "db", None) else paths.default_db()


def read_password_file(path: str) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--password-file: 无法读取密码文件：{exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError("--password-file: 密码文件不是 UTF-8 文本") from None
    return text.rstrip("\r\n")


def credentials(args) -> tuple[str | None, str | None]:
    user = getattr(args, "user", None) or os.environ.get("MEDIATION_DESK_USER")
    pw_file = getattr(args, "password_file", None)
    password = read_password_file(pw_file) if pw_file else os.environ.get("MEDIATION_DESK_PASSWORD")
    return user, password


@dataclass
class Session:
    db: object
    user: accounts.User
    path: Path
    lock: object = None  # the writer lock (desktop.lock.WriterLock) of a writing session


# Commands that bring data in: a copy is taken first, so a wrong import can be undone by restore.
PRE_IMPORT_COMMANDS = {"import-cases": "pre-import", "import": "pre-import", "restore": None}


def open_session(args, *, write: bool = False, permission: str | None = None) -> Session:
    """Open the database named by --db, authenticate the user and unlock the data key.

    A writing session first takes the writer lock (one writer per database). The first session of
    the day makes the daily backup; an import makes a backup before it writes.
    """
    from desktop import backup, lock

    path = db_path(args)
    problem = dbm.access_problem(path) if path.exists() else None
    if problem:  # before is_database: a read-only folder would read as "not a database"
        raise Refused(problem)
    if not dbm.is_database(path):
        raise Refused(f"不是调解工作台数据库或文件不存在：{path}")
    writer = lock.acquire(path) if write else None
    database = dbm.open_database(path, check=write)
    user, password = credentials(args)
    if user is None and password is None and org.is_demo(database):
        user, password = "demo", "demo"  # demo databases only: the documented demo login
    u = accounts.authenticate(database, user, password)  # also unlocks the data key (keys.on_login)
    accounts.require(u, permission or ("write" if write else "read"))
    try:
        backup.daily(database, path)
    except Refused as exc:
        print(f"警告：每日自动备份失败：{exc.message}", file=sys.stderr)
    command = getattr(args, "command", None)
    if write and command not in PRE_IMPORT_COMMANDS and not getattr(args, "import_file", None):
        # A program update may have brought next year's holiday notice: settle provisional
        # deadlines. Not before an import, which must leave the file untouched when refused.
        from desktop.cases.deadlines import settle_after_calendar_update

        settle_after_calendar_update(database)
    label = PRE_IMPORT_COMMANDS.get(getattr(args, "command", None))
    if label is None and getattr(args, "import_file", None):
        label = "pre-import"
    if label and write:  # no import without a copy to go back to
        backup.auto_backup(database, path, label)
    return Session(database, u, path, writer)


def write_jsonl(rows) -> None:
    out = sys.stdout
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")


def read_jsonl(path: str, *, max_bytes: int = 512 * 1024 * 1024) -> list:
    """Strict JSON Lines: UTF-8, one object per line; problems name the line."""
    p = Path(path)
    try:
        if p.stat().st_size > max_bytes:
            raise InputError(f"{path}: 文件过大（上限 {max_bytes // 1024 // 1024} MB）")
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: 无法读取文件：{exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_no = data[:exc.start].count(b"\n") + 1
        raise InputError(f"{path}: 第{line_no}行不是有效的 UTF-8 编码") from None
    records, problems = [], []

    def no_dupes(pairs):
        keys = [k for k, _ in pairs]
        dup = {k for k in keys if keys.count(k) > 1}
        if dup:
            raise ValueError(f"重复的键：{', '.join(sorted(dup))}")
        return dict(pairs)

    def no_constants(name):
        raise ValueError(f"不允许的数值 {name}")

    def finite(text):
        value = float(text)
        if value in (float("inf"), float("-inf")):
            raise ValueError(f"数值超出范围 {text[:20]}")
        return value

    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line, object_pairs_hook=no_dupes, parse_constant=no_constants, parse_float=finite)
        except RecursionError:
            problems.append(f"第{n}条: JSON 嵌套过深")
            continue
        except ValueError as exc:
            problems.append(f"第{n}条: JSON 格式错误：{exc}")
            continue
        if _has_lone_surrogate(value):
            problems.append(f"第{n}条: 含有无效的 Unicode 字符（孤立代理项）")
            continue
        records.append(value)
    if problems:
        raise InputError(problems)
    return records


def _has_lone_surrogate(value) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False
