"""Security commands: backup, restore, audit, users (contract.md)."""

from __future__ import annotations

import sys

from desktop import backup, db as dbm
from desktop.security import accounts, audit, keys
from desktop.codes import USER_ROLES
from desktop.commands.common import (
    credential_arguments, credentials, db_argument, db_path, open_session, read_password_file, write_jsonl,
)
from desktop.errors import InputError, Refused


def register(sub) -> None:
    p = sub.add_parser("backup", help="把数据库备份到指定文件夹（如U盘）")
    db_argument(p)
    credential_arguments(p)
    p.add_argument("--out", required=True, help="备份文件夹")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="从备份恢复（先显示备份内容，并先备份当前数据）")
    db_argument(p)
    credential_arguments(p)
    p.add_argument("--from", dest="source", required=True, metavar="BACKUP", help="备份文件")
    p.add_argument("--yes", action="store_true", help="不再询问，直接恢复")
    p.add_argument("--other-station", action="store_true", help="确认恢复另一个站点的备份（本数据库将成为该站点）")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("audit", help="审计日志；--verify 检查是否被篡改")
    db_argument(p)
    credential_arguments(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("--verify", action="store_true")
    p.add_argument("--limit", type=int, help="只显示最近 N 条")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("users", help="用户管理：list / add / reset / passwd / disable / enable / idle-lock")
    db_argument(p)
    credential_arguments(p)
    p.add_argument("action", choices=["list", "add", "reset", "passwd", "disable", "enable", "idle-lock"])
    p.add_argument("name", nargs="?", help="用户名（add/reset/disable/enable），或 idle-lock 的分钟数")
    p.add_argument("--role", choices=list(USER_ROLES), help="角色（add）")
    p.add_argument("--display-name", default="")
    p.add_argument("--new-password-file", help="新密码文件（add/reset/passwd）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_users)


def cmd_backup(args) -> int:
    s = open_session(args, permission="write")
    target = backup.manual(s.db, args.out, s.path)
    with s.db.atomic():
        audit.log(s.db, s.user.name, "backup.manual", target="database", detail={"file": target.name})
    print(target)
    return 0


def cmd_restore(args) -> int:
    s = open_session(args, write=True, permission="admin")
    info = backup.describe(args.source)
    for line in backup.describe_text(info):
        print(line)
    current = backup.describe(s.path)
    print(f"当前数据：案件 {current['cases']} 件，审计记录 {current['audit_entries']} 条（恢复前将自动备份）")
    for note in backup.restore_notes(s.db, info):
        print(note, file=sys.stderr)
    if info["station"] != current["station"] and not args.other_station:
        raise Refused("该备份属于另一个站点：如确需恢复，请加 --other-station 重新运行（未做任何更改）")
    if not args.yes:
        if not sys.stdin.isatty():
            raise Refused("未确认恢复：确认无误后请加 --yes 重新运行（未做任何更改）")
        answer = input("确认用该备份替换当前数据？请输入 yes：").strip().lower()
        if answer != "yes":
            raise Refused("已取消恢复（未做任何更改）")
    result = backup.restore(s.db, s.path, args.source, s.user, other_station=args.other_station)
    print(f"已恢复。恢复前的数据已备份到：{result['saved']}")
    return 0


def cmd_audit(args) -> int:
    s = open_session(args, permission="audit")
    problems = audit.verify(s.db) if args.verify else []
    rows = list(audit.entries(s.db))
    if args.limit:
        rows = rows[-args.limit:]
    if args.json:
        write_jsonl(rows)
    else:
        for r in rows:
            print(f"{r['seq']}\t{r['at']}\t{r['user'] or ''}\t{r['action']}\t{r['record_id'] or ''}")
    with s.db.atomic():
        audit.log(s.db, s.user.name, "audit.read", target="audit_log", detail={"verify": bool(args.verify)})
    if args.verify:
        for p in problems:
            print(p, file=sys.stderr)
        if problems:
            return 1
        print("审计日志完整，未发现篡改", file=sys.stderr)
    return 0


def _new_password(args) -> str:
    if not args.new_password_file:
        raise InputError("--new-password-file: 请提供新密码文件")
    return read_password_file(args.new_password_file)


def cmd_users(args) -> int:
    if args.action == "passwd":  # any role changes its own password
        path = db_path(args)
        if not dbm.is_database(path):
            raise Refused(f"不是调解工作台数据库或文件不存在：{path}")
        from desktop import lock

        lock.acquire(path)
        database = dbm.open_database(path)
        name, old = credentials(args)
        user = accounts.authenticate(database, name, old)
        accounts.change_password(database, user, old, _new_password(args))
        print(f"已更改用户 {user.name} 的密码", file=sys.stderr)
        return 0
    if args.action == "list":
        s = open_session(args, permission="admin")
        users = accounts.list_users(s.db)
        if args.json:
            write_jsonl(users)
        else:
            for u in users:
                status = keys.key_status(s.db, u["name"], u["role"])
                note = "" if status == "已授权" else f"\t（{status}）"
                print(f"{u['name']}\t{USER_ROLES.get(u['role'], u['role'])}\t{'启用' if u['active'] else '停用'}{note}")
        return 0
    s = open_session(args, write=True, permission="admin")
    if args.action == "idle-lock":
        try:
            minutes = int(args.name or "")
        except ValueError:
            raise InputError("idle-lock: 请给出分钟数（1 到 240）") from None
        keys.set_idle_lock_minutes(s.db, minutes, s.user)
        return 0
    if not args.name:
        raise InputError(f"{args.action}: 请给出用户名")
    if args.action == "add":
        if not args.role:
            raise InputError("--role: 请指定角色（admin、mediator、viewer、auditor）")
        accounts.create_user(s.db, args.name, _new_password(args), args.role, display_name=args.display_name,
                             actor=s.user.name)
    elif args.action == "reset":
        accounts.reset_password(s.db, s.user, args.name, _new_password(args))
    else:
        accounts.set_active(s.db, s.user, args.name, args.action == "enable")
    print(f"完成：{args.action} {args.name}", file=sys.stderr)
    return 0
