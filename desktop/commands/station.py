"""Station commands: init, demo, import-cases, cases, roster, check (contract.md)."""

from __future__ import annotations

import json
import sys

from desktop import cases, db as dbm, org, roster, search
from desktop.security import accounts, audit
from desktop.codes import ORG_KINDS
from desktop.commands.common import (
    credential_arguments, credentials, db_argument, db_path, open_session, read_jsonl, write_jsonl,
)
from desktop.errors import InputError, Refused


def register(sub) -> None:
    p = sub.add_parser("init", help="创建站点数据库")
    db_argument(p)
    p.add_argument("--org-name", required=True, help="调解组织全称")
    p.add_argument("--org-kind", required=True, choices=list(ORG_KINDS))
    p.add_argument("--region", required=True, help="行政区划代码（6位）")
    p.add_argument("--admin", required=True, help="第一个管理员的用户名")
    p.add_argument("--password-file", required=True, help="管理员密码文件")
    p.add_argument("--credit-code", help="统一社会信用代码")
    p.add_argument("--abbr", help="案号中的组织简称")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("demo", help="创建并填充演示数据库")
    db_argument(p)
    credential_arguments(p)
    p.add_argument("--cases", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--year", type=int, help="案件集中的年份（默认：当年及上一年）")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("import-cases", help="补录：导入案件记录（JSON Lines），全部成功或全部不写入")
    db_argument(p)
    credential_arguments(p)
    p.add_argument("file")
    p.set_defaults(func=cmd_import_cases)

    p = sub.add_parser("cases", help="列出案件")
    db_argument(p)
    credential_arguments(p)
    p.add_argument("--search", help="按姓名、身份证号码、用人单位、案号查找")
    p.add_argument("--status", choices=["registered", "declined", "mediating", "closed", "overdue"])
    p.add_argument("--limit", type=int)
    p.add_argument("--masked", action="store_true", help="隐藏敏感信息")
    p.add_argument("--json", action="store_true", help="输出 JSON Lines")
    p.set_defaults(func=cmd_cases)

    p = sub.add_parser("roster", help="调解员名册：列出或导入")
    db_argument(p)
    credential_arguments(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("--import", dest="import_file", metavar="F.jsonl")
    p.add_argument("--masked", action="store_true")
    p.set_defaults(func=cmd_roster)

    p = sub.add_parser("archive", help="归档案件（归档后锁定，修改须先撤销归档）")
    db_argument(p)
    credential_arguments(p)
    p.add_argument("--case", required=True, help="案号或案件标识")
    p.add_argument("--undo", action="store_true", help="撤销归档（须说明理由）")
    p.add_argument("--reason", help="理由")
    p.set_defaults(func=cmd_archive)

    p = sub.add_parser("check", help="检查数据库完整性、审计日志和业务规则")
    db_argument(p)
    credential_arguments(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_check)


def cmd_init(args) -> int:
    from desktop.commands.common import read_password_file

    path = db_path(args)
    if path.exists() and path.stat().st_size > 0:
        raise InputError(f"--db: 文件已存在，拒绝覆盖：{path}")
    password = read_password_file(args.password_file)
    accounts.check_password_strength(password)
    profile = {"name": args.org_name, "kind": args.org_kind, "region": args.region,
               "credit_code": args.credit_code or "", "abbr": args.abbr or ""}
    org.validate_profile(profile)
    database = dbm.open_database(path, create=True)
    try:
        sid = org.initialize(database, profile)
        accounts.create_user(database, args.admin, password, "admin")
    except BaseException:
        database.conn.close()
        dbm.remove_files(path)
        raise
    print(sid)
    return 0


def cmd_demo(args) -> int:
    from desktop import demo

    if args.cases < 0 or args.cases > 5_000_000:
        raise InputError("--cases: 应在 0 到 5000000 之间")
    path = db_path(args)
    if dbm.is_database(path):
        database = dbm.open_database(path)
        if not org.is_demo(database):
            raise Refused("拒绝向非演示数据库写入演示数据")
        user, password = credentials(args)
        actor = accounts.authenticate(database, user or "demo", password if user else (password or "demo"))
    else:
        if path.exists() and path.stat().st_size > 0:
            raise InputError(f"--db: 文件存在但不是调解工作台数据库：{path}")
        database = dbm.open_database(path, create=True)
        actor = demo.create_demo_station(database, seed=args.seed)
    n = demo.fill(database, args.cases, seed=args.seed, year=args.year, actor=actor,
                  progress=lambda done: print(f"已生成 {done} 件", file=sys.stderr) if done % 100000 == 0 else None)
    print(f"演示数据库 {path}：新增 {n} 件案件（登录：demo / demo）", file=sys.stderr)
    return 0


def cmd_import_cases(args) -> int:
    s = open_session(args, write=True)
    records = read_jsonl(args.file)
    if not records:
        raise InputError(f"{args.file}: 文件中没有案件记录")
    names = set()
    for r in records:
        if isinstance(r, dict) and isinstance(r.get("mediators"), list):
            names |= {m.get("name") for m in r["mediators"] if isinstance(m, dict) and isinstance(m.get("name"), str)}
    # Validate everything before anything is written (mediators are added in the same transaction).
    _check_all(s.db, records)
    warnings: list[str] = []  # taken, acknowledged by this user and stored on the case (exit 0)
    with s.db.atomic():
        added = roster.ensure_known(s.db, {n for n in names if n}, s.user)
        numbers = cases.import_records(s.db, records, s.user, back_entered=True, warnings_out=warnings)
    for name in added:
        print(f"警告：调解员「{name}」不在名册中，已作为补录的停用调解员加入名册", file=sys.stderr)
    for line in warnings:
        print(line, file=sys.stderr)
    for n in numbers:
        print(n)
    return 0


def _check_all(database, records) -> None:
    problems = []
    cal = cases.calendar_for(database)
    for i, raw in enumerate(records, start=1):
        _rec, p = cases.check_record(raw, cal=cal)
        problems.extend(p.messages(f"第{i}条 "))
    if problems:
        raise InputError(problems)


def cmd_cases(args) -> int:
    s = open_session(args)
    masked = args.masked or not s.user.can("unmask")
    where = ["deleted = 0"]
    params: list = []
    if args.status == "overdue":
        from desktop.clock import today
        t = today().isoformat()
        where.append("((status = 'registered' and acceptance_due < ?) or (status = 'mediating' and mediation_deadline < ?))")
        params += [t, t]
    elif args.status:
        where.append("status = ?")
        params.append(args.status)
    if args.search:
        cond, ids = search.search_sql(s.db, args.search, limit=args.limit or 10000)
        where.append(cond)
        params += ids
    sql = f"select id from cases where {' and '.join(where)} order by received_at desc, rowid desc"
    if args.limit:
        sql += f" limit {int(args.limit)}"
    elif not args.json:
        sql += " limit 100"
    ids = [r[0] for r in s.db.conn.execute(sql, params)]
    rows = (cases.get_case(s.db, cid, masked=masked) for cid in ids)
    if not masked and ids:
        with s.db.atomic():
            audit.log(s.db, s.user.name, "unmask", target="cases",
                      detail={"command": "cases", "count": len(ids), "search": args.search or ""})
    if args.json:
        write_jsonl(rows)
    else:
        from desktop.codes import STATUSES
        for c in rows:
            flag = "（逾期）" if c["overdue"] else ""
            print(f"{c['case_no']}\t{STATUSES[c['status']]}{flag}\t{c['workers'][0]['name']}"
                  f"{'等' + str(c['worker_count']) + '人' if c['worker_count'] > 1 else ''}\t{c['employer']['name']}")
    return 0


def cmd_roster(args) -> int:
    if args.import_file:
        s = open_session(args, write=True)
        records = read_jsonl(args.import_file)
        for name in roster.import_mediators(s.db, records, s.user):
            print(name)
        return 0
    s = open_session(args)
    masked = args.masked or not s.user.can("unmask")
    people = roster.list_mediators(s.db, masked=masked)
    if not masked and people:
        with s.db.atomic():
            audit.log(s.db, s.user.name, "unmask", target="mediators", detail={"command": "roster", "count": len(people)})
    if args.json:
        write_jsonl(people)
    else:
        for m in people:
            print(f"{m['name']}\t{'在职' if m['active'] else '停用'}\t{m.get('certificate_no', '')}\t在办{m['open_cases']}件")
    return 0


def cmd_archive(args) -> int:
    s = open_session(args, write=True)
    cases.set_archived(s.db, args.case, not args.undo, s.user, reason=args.reason)
    print(("已撤销归档：" if args.undo else "已归档：") + args.case, file=sys.stderr)
    return 0


def run_checks(database, notes: list | None = None) -> list[str]:
    """Problems found (exit 1). `notes` receives what could not be verified without the data key."""
    from desktop.security import integrity, keys

    problems = []
    ic = database.conn.execute("pragma integrity_check").fetchall()
    if ic != [("ok",)]:
        problems += [f"数据库完整性检查：{r[0]}" for r in ic[:20]]
    fk = database.conn.execute("pragma foreign_key_check").fetchall()
    if fk:
        problems.append(f"外键检查：{len(fk)} 处不一致")
    problems += audit.verify(database)
    from desktop.sync.export import checkpoint_problems

    problems += checkpoint_problems(database)  # the log against the last exported bundle's checkpoint
    # record MACs, deleted records, ciphertexts bound to their record (issue 15 item 2)
    found, unverified = integrity.record_problems(database)
    problems += found
    if notes is not None:
        notes += unverified
    keyed = keys.unlocked(database) is not None
    cal = cases.calendar_for(database)
    names = integrity.index_names(database)
    for row in database.conn.execute(f"select id, case_no, doc, {', '.join(names)} from cases where deleted = 0"):
        cid, case_no, doc = row[0], row[1], row[2]
        if keyed:  # every field decrypts under its record and field; index columns agree with the document
            rec, p = integrity.case_problems(database, cid, case_no, doc, dict(zip(names, row[3:])), cal)
            problems += p
            if rec is None:
                continue
        else:
            rec = cases.reveal_record(database, json.loads(doc), cid)
        _r, p = cases.check_record(rec, cal=cal)
        problems += p.messages(f"案件 {case_no} ")
    return problems


def cmd_check(args) -> int:
    s = open_session(args)
    notes: list[str] = []
    problems = run_checks(s.db, notes)
    if args.json:
        write_jsonl([{"ok": not problems, "problems": problems, "unverified": notes}])
    for p in problems:
        print(p, file=sys.stderr)
    for n in notes:
        print("注意：" + n, file=sys.stderr)
    if problems:
        print(f"检查发现 {len(problems)} 处问题：以上记录可能在程序之外被修改（篡改）或已损坏，"
              "请从备份恢复或联系管理员", file=sys.stderr)
    elif notes:
        print("检查通过（部分内容未能校验，见上）：数据库完整、审计日志未被篡改、全部案件符合业务规则", file=sys.stderr)
    else:
        print("检查通过：数据库完整、记录校验码全部相符、审计日志未被篡改、全部案件符合业务规则", file=sys.stderr)
    return 1 if problems else 0
