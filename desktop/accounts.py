"""Users, roles and passwords (argon2id). Permissions are checked here, in the core."""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from desktop import audit
from desktop.codes import USER_ROLES
from desktop.errors import InputError, PermissionDenied, Refused
from desktop.records import TZ, now

MAX_FAILURES = 5
LOCK_MINUTES = 15

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

# What each role may do. Checked by `require` before every operation of the core.
PERMISSIONS = {
    "admin": {"read", "write", "unmask", "admin", "audit", "export", "import"},
    "mediator": {"read", "write", "unmask", "export"},
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
    name = (name or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9_.\-\u4e00-\u9fff]{1,32}", name):
        raise InputError("用户名只能包含字母、数字、汉字、下划线、点和连字符，最长32个字符")
    if role not in USER_ROLES:
        raise InputError(f"未知角色：{role}")
    check_password_strength(password, demo=demo)
    if db.conn.execute("select 1 from users where name = ?", (name,)).fetchone():
        raise InputError(f"用户名已存在：{name}")
    ts = now()
    with db.atomic():
        db.conn.execute(
            "insert into users (name, display_name, role, password_hash, created_at, updated_at)"
            " values (?,?,?,?,?,?)",
            (name, display_name or name, role, hash_password(password), ts, ts),
        )
        audit.log(db, actor or name, "user.create", target="users", record_id=name, detail={"role": role})
    return User(name, role, display_name or name)


def authenticate(db, name: str | None, password: str | None) -> User:
    """Check a credential; failures and lockouts are audited. Raises Refused."""
    if not name or password is None:
        with db.atomic():
            audit.log(db, name, "login.failed", detail={"reason": "missing credential"})
        raise Refused("缺少登录凭据：请使用 --user 和 --password-file，或设置 MEDIATION_DESK_USER 和 MEDIATION_DESK_PASSWORD")
    row = db.conn.execute(
        "select role, password_hash, active, failed_count, locked_until, display_name from users where name = ?",
        (name,),
    ).fetchone()
    current = _dt.datetime.now(TZ)
    if row is None:
        with db.atomic():
            audit.log(db, name, "login.failed", detail={"reason": "unknown user"})
        raise Refused("用户名或密码错误")
    role, pw_hash, active, failed, locked_until, display = row
    if not active:
        with db.atomic():
            audit.log(db, name, "login.failed", detail={"reason": "inactive"})
        raise Refused("该账户已停用")
    if locked_until and _dt.datetime.fromisoformat(locked_until) > current:
        with db.atomic():
            audit.log(db, name, "login.failed", detail={"reason": "locked"})
        raise Refused(f"登录失败次数过多，账户已锁定至 {locked_until[11:16]}")
    try:
        _hasher.verify(pw_hash, password)
    except (VerificationError, InvalidHashError):
        failed += 1
        lock = None
        if failed >= MAX_FAILURES:
            lock = (current + _dt.timedelta(minutes=LOCK_MINUTES)).isoformat(timespec="seconds")
            failed = 0
        with db.atomic():
            db.conn.execute("update users set failed_count = ?, locked_until = ? where name = ?",
                            (failed, lock, name))
            audit.log(db, name, "login.failed", detail={"reason": "wrong password", "locked": bool(lock)})
        raise Refused("用户名或密码错误" + ("；失败次数过多，账户已锁定15分钟" if lock else ""))
    with db.atomic():
        db.conn.execute("update users set failed_count = 0, locked_until = null where name = ?", (name,))
        if _hasher.check_needs_rehash(pw_hash):
            db.conn.execute("update users set password_hash = ? where name = ?", (hash_password(password), name))
        audit.log(db, name, "login", detail={})
    return User(name, role, display or name)


def change_password(db, user: User, old: str, new: str) -> None:
    authenticate(db, user.name, old)
    check_password_strength(new)
    with db.atomic():
        db.conn.execute("update users set password_hash = ?, updated_at = ? where name = ?",
                        (hash_password(new), now(), user.name))
        audit.log(db, user.name, "user.password", target="users", record_id=user.name)


def reset_password(db, admin: User, name: str, new: str) -> None:
    require(admin, "admin")
    check_password_strength(new)
    with db.atomic():
        cur = db.conn.execute("update users set password_hash = ?, failed_count = 0, locked_until = null,"
                              " updated_at = ? where name = ?", (hash_password(new), now(), name))
        if cur.rowcount == 0:
            raise InputError(f"用户不存在：{name}")
        audit.log(db, admin.name, "user.reset_password", target="users", record_id=name)


def list_users(db) -> list[dict]:
    return [dict(zip(("name", "display_name", "role", "active", "locked_until"), r)) for r in db.conn.execute(
        "select name, display_name, role, active, locked_until from users order by name")]
