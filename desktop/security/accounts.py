"""Users, roles and passwords (argon2id). Permissions are checked here, in the core."""

from __future__ import annotations

import datetime as _dt
import os
import re
import time as _time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from desktop import clock
from desktop.security import audit
from desktop.codes import USER_ROLES
from desktop.errors import InputError, PermissionDenied, Refused
from desktop.clock import TZ, now
from desktop.dbtools import immediate
from desktop.security import mac as record_mac

MAX_FAILURES = 5
LOCK_MINUTES = 15

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

# What each role may do. Checked by `require` before every operation of the core. The keys back
# it (keys.KEYED_ROLES): a viewer and an auditor hold no key at all, a mediator the data key, an
# administrator also the admin key that seals the station's signing key — so exporting (signing a
# bundle) is an administrator's task (issue 15).
PERMISSIONS = {
    "admin": {"read", "write", "unmask", "admin", "audit", "export", "import"},
    "mediator": {"read", "write", "unmask"},
    "viewer": {"read"},
    "auditor": {"audit"},
}


@dataclass(frozen=True)
class User:
    name: str
    role: str
    display_name: str = ""

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, set())


SYSTEM = User("system", "admin", "系统")


def require(user: User | None, permission: str) -> None:
    if user is None or not user.can(permission):
        role = USER_ROLES.get(user.role, user.role) if user else "未登录"
        if permission == "export":
            raise PermissionDenied(f"当前用户（{role}）不能导出数据包：数据包要用本站的签名密钥签名，"
                                   "该密钥只对管理员开放，请由管理员登录后导出")
        raise PermissionDenied(f"当前用户（{role}）无权执行此操作：{_PERM_LABELS.get(permission, permission)}")


_PERM_LABELS = {"read": "查看案件", "write": "修改数据", "unmask": "查看完整敏感信息", "admin": "系统管理",
                "audit": "查看审计日志", "export": "导出数据包", "import": "导入数据包"}


def check_password_strength(password: str, *, demo: bool = False) -> None:
    if demo:
        return
    if len(password) < 8 or not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        raise InputError("密码至少8位，且必须同时包含字母和数字")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(db, name: str, password: str, role: str, *, display_name: str = "", actor: str | None = None,
                demo: bool = False) -> User:
    """Add a user. The first administrator of a new file creates the data key; every later user
    gets it wrapped under their password, which needs an administrator's unlocked key on `db`."""
    from desktop.security import settings as org
    from desktop.security import keys

    name = (name or "").strip() if isinstance(name, str) else ""
    if not re.fullmatch(r"[A-Za-z0-9_.\-\u4e00-\u9fff]{1,32}", name):
        raise InputError("用户名只能包含字母、数字、汉字、下划线、点和连字符，最长32个字符")
    if role not in USER_ROLES:
        raise InputError(f"未知角色：{role}")
    if not isinstance(password, str):
        raise InputError("密码不能为空")
    if demo and not org.is_demo(db):
        raise InputError("只有演示数据库可以使用演示密码")
    check_password_strength(password, demo=demo)
    if db.conn.execute("select 1 from users where name = ?", (name,)).fetchone():
        raise InputError(f"用户名已存在：{name}")
    enabled = keys.is_enabled(db)
    # Without an unlocked key (no administrator signed in on this handle) the account is created
    # without access to sensitive fields; an administrator's password reset grants it later.
    pending = enabled and role in keys.KEYED_ROLES and keys.unlocked(db) is None
    if not enabled and role != "admin":
        raise Refused("数据密钥尚未建立：第一个用户必须是管理员")
    ts = now()
    pw_hash = hash_password(password)
    with db.atomic():
        db.conn.execute(
            "insert into users (name, display_name, role, password_hash, created_at, updated_at)"
            " values (?,?,?,?,?,?)",
            (name, display_name or name, role, pw_hash, ts, ts),
        )
        audit.log(db, actor or name, "user.create", target="users", record_id=name,
                  detail={"role": role, **({"data_key": "pending"} if pending else {})})
        if not enabled:
            keys.setup(db, name, password, demo=demo)
        elif not pending:
            keys.grant(db, name, password, role, demo=demo)
        record_mac.seal_where(db, "user", "name = ?", (name,))  # NULL (unverifiable) without a key
    if not enabled:  # the data key was just made: every record gets its MAC (issue 15 item 2)
        from desktop.security import integrity

        integrity.upgrade(db)
    return User(name, role, display_name or name)


# Verified against for an unknown or disabled name, so every refusal costs one argon2 check and
# the answer time does not tell which names exist (5 ms against 300 ms before).
# Issue 17 (start-up): a precomputed constant — hashing it at import cost ~1 s before the first
# window. It has _hasher's parameters (m=65536,t=3,p=4); should a newer argon2-cffi change the
# defaults, _burn hashes a fresh one once so an unknown name still costs what a real user's check does.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$Nn4ex5w6ioBa47ZsbC8mgQ$CBhcq97vVe2dJWMFhWt9A6JJ4CuHWYWp705MHSkzngs"


def _burn(password: str) -> None:
    global _DUMMY_HASH
    if _hasher.check_needs_rehash(_DUMMY_HASH):
        _DUMMY_HASH = _hasher.hash("mediation-desk: no such user")
    try:
        _hasher.verify(_DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        pass


# A password check slot older than this was left by a process that will not finish it (a killed
# process's slot is freed at once: its pid is gone).
ATTEMPT_STALE_SECONDS = 600
# How long a login waits for a free check slot (other checks of the same name in progress): long,
# because on a busy PC thirty logins at once take minutes of argon2 five at a time.
ATTEMPT_WAIT_SECONDS = 600


def authenticate(db, name: str | None, password: str | None) -> User:
    """Check a credential; failures and lockouts are audited. Raises Refused.

    Lockout that parallel guesses cannot bypass: in one write transaction (BEGIN IMMEDIATE, so
    concurrent attempts queue) BEFORE argon2 runs, an attempt takes a check slot; confirmed failures
    plus checks in progress never exceed MAX_FAILURES, so a further attempt waits for a slot and, once
    five failures are confirmed, is refused as locked. 100 parallel wrong passwords: five reach argon2,
    the account locks (tests/test_security_lockout.py). Parallel right passwords (thirty read commands
    at once) each get a slot in turn: a success clears the count.
    """
    if not name or password is None:
        with db.atomic():
            audit.log(db, name, "login.failed", detail={"reason": "missing credential"})
        raise Refused("缺少登录凭据：请使用 --user 和 --password-file，或设置 MEDIATION_DESK_USER 和 MEDIATION_DESK_PASSWORD")
    row, slot = _take_slot(db, name, password)
    role, pw_hash, display = row
    try:
        _hasher.verify(pw_hash, password)
        ok = True
    except (VerificationError, InvalidHashError):
        ok = False
    current = clock.now_datetime()
    with immediate(db):
        db.conn.execute("delete from login_attempts where id = ?", (slot,))
        if not ok:
            db.conn.execute("update users set failed_count = failed_count + 1 where name = ?", (name,))
            failed = db.conn.execute("select failed_count from users where name = ?", (name,)).fetchone()[0]
            lock = None
            if failed >= MAX_FAILURES:
                lock = (current + _dt.timedelta(minutes=LOCK_MINUTES)).isoformat(timespec="seconds")
                db.conn.execute("update users set failed_count = 0, locked_until = ? where name = ?", (lock, name))
            audit.log(db, name, "login.failed", detail={"reason": "wrong password", "locked": bool(lock)})
        else:
            db.conn.execute("update users set failed_count = 0, locked_until = null where name = ?", (name,))
            if _hasher.check_needs_rehash(pw_hash):
                db.conn.execute("update users set password_hash = ? where name = ?", (hash_password(password), name))
            audit.log(db, name, "login", detail={})
    if not ok:
        raise Refused("用户名或密码错误" + ("；失败次数过多，账户已锁定15分钟" if lock else ""))
    from desktop.security import integrity, keys

    integrity.before_login(db, name, pw_hash)  # a key still on the handle checks the row first
    keys.on_login(db, name, password, role)  # unlock the data key (or create it on an older file)
    integrity.after_login(db, name, pw_hash)  # record MACs: first-time upgrade; own row's MAC checked
    return User(name, role, display or name)


def _free_dead_slots(db, name: str, current) -> None:
    """Slots of checks that will never finish: their process is gone (killed mid-check), or they are
    older than any check takes. Nothing is learnt from a killed check (the answer is only given after
    it is recorded), so a freed slot is not counted as a failure."""
    from desktop.lock import pid_alive

    stale = (current - _dt.timedelta(seconds=ATTEMPT_STALE_SECONDS)).isoformat(timespec="seconds")
    for slot, started, pid in db.conn.execute(
            "select id, started_at, pid from login_attempts where name = ?", (name,)).fetchall():
        if started < stale or (pid is not None and pid != os.getpid() and not pid_alive(pid)):
            db.conn.execute("delete from login_attempts where id = ?", (slot,))


def _take_slot(db, name: str, password: str):
    """Take a password-check slot for `name` in one write transaction, waiting while the failures
    still allowed are all being checked. Returns ((role, hash, display name), slot id); raises
    Refused (audited) for an unknown, disabled or locked name."""
    waited_since = None
    while True:
        refusal = None
        current = clock.now_datetime()
        with immediate(db):
            row = db.conn.execute(
                "select role, password_hash, active, failed_count, locked_until, display_name from users"
                " where name = ?", (name,)).fetchone()
            if row is None:
                audit.log(db, name, "login.failed", detail={"reason": "unknown user"})
                refusal = ("用户名或密码错误", True)
            else:
                role, pw_hash, active, failed, locked_until, display = row
                _free_dead_slots(db, name, current)
                pending = db.conn.execute("select count(*) from login_attempts where name = ?", (name,)).fetchone()[0]
                if not active:
                    audit.log(db, name, "login.failed", detail={"reason": "inactive"})
                    refusal = ("该账户已停用", True)
                elif locked_until and _dt.datetime.fromisoformat(locked_until) > current:
                    audit.log(db, name, "login.failed", detail={"reason": "locked"})
                    refusal = (f"登录失败次数过多，账户已锁定至 {locked_until[11:16]}", False)
                elif failed >= MAX_FAILURES:
                    lock = (current + _dt.timedelta(minutes=LOCK_MINUTES)).isoformat(timespec="seconds")
                    db.conn.execute("update users set locked_until = ?, failed_count = 0 where name = ?", (lock, name))
                    audit.log(db, name, "login.failed", detail={"reason": "locked", "locked": True})
                    refusal = (f"登录失败次数过多，账户已锁定至 {lock[11:16]}", False)
                elif failed + pending < MAX_FAILURES:
                    slot = db.conn.execute("insert into login_attempts (name, started_at, pid) values (?, ?, ?)",
                                           (name, current.isoformat(timespec="seconds"), os.getpid())).lastrowid
                    return (role, pw_hash, display), slot
        if refusal is not None:
            text, burn = refusal
            if burn:  # an unknown or disabled name costs what a wrong password costs
                _burn(password)
            raise Refused(text)
        # every failure still allowed is being checked right now: wait for one of them to finish
        if waited_since is None:
            waited_since = _time.monotonic()  # a duration, not a date: the settable clock may stand still
        elif _time.monotonic() - waited_since > ATTEMPT_WAIT_SECONDS:
            raise Refused("同一账户正在进行的登录过多，请稍后重试")
        _time.sleep(0.05)


def change_password(db, user: User, old: str, new: str) -> None:
    """A user changes their own password; the data key is re-wrapped under the new one."""
    from desktop.security import keys

    authenticate(db, user.name, old)
    check_password_strength(new)
    if new == old:
        raise InputError("新密码不能与原密码相同")
    pw_hash = hash_password(new)
    with db.atomic():
        db.conn.execute("update users set password_hash = ?, updated_at = ? where name = ?",
                        (pw_hash, now(), user.name))
        record_mac.seal_where(db, "user", "name = ?", (user.name,))
        keys.rewrap(db, user.name, new)
        audit.log(db, user.name, "user.password", target="users", record_id=user.name)


def reset_password(db, admin: User, name: str, new: str) -> None:
    """An administrator sets another user's password (and wraps the data key for it); unlocks the account."""
    from desktop.security import keys

    require(admin, "admin")
    check_password_strength(new)
    row = db.conn.execute("select role from users where name = ?", (name,)).fetchone()
    if row is None:
        raise InputError(f"用户不存在：{name}")
    if keys.is_enabled(db) and row[0] in keys.KEYED_ROLES and keys.unlocked(db) is None:
        raise Refused("需要先以管理员身份登录并解锁数据密钥，才能重置密码")
    pw_hash = hash_password(new)
    with db.atomic():
        db.conn.execute("update users set password_hash = ?, failed_count = 0, locked_until = null,"
                        " updated_at = ? where name = ?", (pw_hash, now(), name))
        record_mac.seal_where(db, "user", "name = ?", (name,))
        if keys.is_enabled(db):
            keys.grant(db, name, new, row[0])
        audit.log(db, admin.name, "user.reset_password", target="users", record_id=name)


def set_active(db, admin: User, name: str, active: bool) -> None:
    """Disable or re-enable an account (users are never deleted: the audit log names them)."""
    require(admin, "admin")
    if name == admin.name and not active:
        raise InputError("不能停用当前登录的账户")
    with db.atomic():
        cur = db.conn.execute("update users set active = ?, updated_at = ? where name = ?", (int(active), now(), name))
        if cur.rowcount == 0:
            raise InputError(f"用户不存在：{name}")
        record_mac.seal_where(db, "user", "name = ?", (name,))
        audit.log(db, admin.name, "user.enable" if active else "user.disable", target="users", record_id=name)


def list_users(db) -> list[dict]:
    return [dict(zip(("name", "display_name", "role", "active", "locked_until", "has_key"),
                     (*r[:3], bool(r[3]), r[4], bool(r[5])))) for r in db.conn.execute(
        "select u.name, u.display_name, u.role, u.active, u.locked_until, k.name is not null"
        " from users u left join user_keys k on k.name = u.name order by u.name")]
