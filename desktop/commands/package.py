"""Downward-package commands (issue 16): the hub clerk's side (package-notice, package-commissions,
package-settings, package-template, package-export, package-pass-on, package-status), the
station's (package-apply, with --preview), and the keys as standard-tool files (export-keys)."""

from __future__ import annotations

import sys
from pathlib import Path

from desktop.commands.common import credential_arguments, db_argument, open_session, write_jsonl
from desktop.errors import InputError


def _command(sub, name: str, func, help: str):
    """A subcommand with the database and credential options every package command takes."""
    p = sub.add_parser(name, help=help)
    db_argument(p)
    credential_arguments(p)
    p.set_defaults(func=func)
    return p


def register(sub) -> None:
    p = _command(sub, "package-notice", cmd_notice, "汇总端：录入某年的国务院放假通知以便下发（整年，检查是否完整）")
    p.add_argument("--file", required=True,
                   help="通知原文（UTF-8 文本，需 --year、--title、--notice-date），或 .json（下发数据包中的格式）")
    p.add_argument("--year", type=int)
    p.add_argument("--title", help="通知标题，如 国务院办公厅关于2027年部分节假日安排的通知")
    p.add_argument("--notice-date", help="通知日期 YYYY-MM-DD")
    p.add_argument("--allow-unbalanced", action="store_true", help="放假与调休天数不平衡时仍然录入（特别放假安排）")

    p = _command(sub, "package-commissions", cmd_commissions, "汇总端：设定下发的仲裁委员会（名称、地址、电话、办公时间）")
    p.add_argument("--file", required=True, help="JSON 列表，每项含 name、address、phone、hours")

    p = _command(sub, "package-settings", cmd_settings, "汇总端：设定下发给站点的设定（成功率目标、报送周期）")
    p.add_argument("--target-rate", help="调解成功率目标，如 0.65")
    p.add_argument("--reporting-period", choices=("monthly", "quarterly", "yearly"), help="报送周期")
    p.add_argument("--advisory", action="store_true", help="仅为建议：站点已有自己的设定时以站点为准")

    p = _command(sub, "package-template", cmd_template, "汇总端：保存要下发的文书模板（与随程序的模板同样校验）")
    p.add_argument("--name", required=True, help="文书名，如 failure-notice")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--file", help="模板文件（TOML）")
    g.add_argument("--remove", action="store_true", help="不再下发该模板")

    p = _command(sub, "package-export", cmd_export, "汇总端：把下一个下发数据包写入目录（如 U 盘）")
    p.add_argument("--out", required=True, help="目标目录")
    p.add_argument("--year", type=int, action="append", default=[], help="下发该年的节假日安排（可重复）")
    p.add_argument("--commissions", action="store_true", help="下发仲裁委员会")
    p.add_argument("--settings", action="store_true", help="下发汇总端设定")
    p.add_argument("--template", action="append", default=[], help="下发该文书模板（可重复）")
    p.add_argument("--note", help="给各站点的通知（在首页显示一次）")
    p.add_argument("--stations", action="store_true", help="附上汇总端看到的各站点上报情况")
    p.add_argument("--json", action="store_true")

    p = _command(sub, "package-pass-on", cmd_pass_on, "区县汇总端：把上级（市）汇总端的数据包转发给本区站点（重新签名）")
    p.add_argument("package", metavar="PACKAGE")
    p.add_argument("--out", required=True)

    p = _command(sub, "package-apply", cmd_apply, "站点：验证并应用汇总端下发的数据包")
    p.add_argument("package", metavar="PACKAGE")
    p.add_argument("--preview", action="store_true", help="只验证并列出将要发生的变化，不应用")
    p.add_argument("--json", action="store_true")

    p = _command(sub, "package-status", cmd_status, "汇总端：已下发的数据包及各站点已应用到第几号；站点：最近应用的数据包")
    p.add_argument("--json", action="store_true")

    p = _command(sub, "export-keys", cmd_export_keys, "导出公钥（供 minisign -Vm 核验），或汇总端解密私钥（供 age -d -i）")
    p.add_argument("--out", required=True, help="公钥：目标目录；--age-identity：私钥文件名")
    p.add_argument("--age-identity", action="store_true", help="导出汇总端解密私钥（高度敏感，记入审计日志）")


def _read_file(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"--file: 无法读取{what}（{exc.strerror}）") from None


def _read_text(path: str, what: str) -> str:
    try:
        return _read_file(path, what).decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"--file: {what}不是 UTF-8 文本") from None


def _read_json(path: str, what: str):
    from desktop.sync.bundle import JSONProblem, strict_loads

    data = _read_file(path, what)
    try:
        return strict_loads(data, max_bytes=4 * 1024 * 1024, max_depth=8)
    except JSONProblem as exc:
        raise InputError(f"--file: {what} {exc}") from None


def cmd_notice(args) -> int:
    from desktop.sync import downward

    if args.file.lower().endswith(".json"):
        notice = _read_json(args.file, "节假日安排")
    else:
        missing = [o for o, v in (("--year", args.year), ("--title", args.title), ("--notice-date", args.notice_date))
                   if not v]
        if missing:
            raise InputError(f"录入通知原文时须给出 {'、'.join(missing)}")
        text = _read_text(args.file, "通知原文")
        from desktop import holidays

        notice = downward.from_notice(holidays.parse_notice(text, args.year), title=args.title,
                                      notice_date=args.notice_date, allow_unbalanced=args.allow_unbalanced)
    s = open_session(args, write=True, permission="admin")
    n = downward.set_notice(s.db, notice, s.user)
    print(f"已保存 {n['year']} 年放假通知（{n['title']}）：放假 {len(n['holidays'])} 天，调休上班 {len(n['workdays'])} 天")
    return 0


def cmd_commissions(args) -> int:
    from desktop.sync import downward

    items = _read_json(args.file, "仲裁委员会列表")
    s = open_session(args, write=True, permission="admin")
    downward.set_commissions(s.db, items, s.user)
    print(f"已保存 {len(items)} 个仲裁委员会")
    return 0


def cmd_settings(args) -> int:
    from desktop.sync import downward

    values = {}
    if args.target_rate is not None:
        values["target_success_rate"] = {"value": args.target_rate, "advisory": args.advisory}
    if args.reporting_period is not None:
        values["reporting_period"] = {"value": args.reporting_period, "advisory": args.advisory}
    if not values:
        raise InputError("请至少给出 --target-rate 或 --reporting-period")
    s = open_session(args, write=True, permission="admin")
    downward.set_hub_settings(s.db, values, s.user)
    print("已保存下发设定")
    return 0


def cmd_template(args) -> int:
    from desktop.sync import downward

    text = None
    if args.file:
        text = _read_text(args.file, "模板")
    s = open_session(args, write=True, permission="admin")
    downward.set_hub_template(s.db, args.name, text, s.user)
    print(f"已{'删除' if text is None else '保存'}文书模板 {args.name}")
    return 0


def cmd_export(args) -> int:
    from desktop.sync import downward

    s = open_session(args, write=True, permission="admin")
    r = downward.build_package(s.db, s.user, args.out, years=args.year, commissions_=args.commissions,
                               settings_=args.settings, templates=args.template, note=args.note,
                               stations=args.stations)
    if args.json:
        write_jsonl([r])
    else:
        print(r["path"])
        print(f"已写出第 {r['seq']} 号下发数据包（{r['size']} 字节）："
              + "、".join(downward.SECTION_NAMES[x] for x in r["sections"]), file=sys.stderr)
    return 0


def cmd_pass_on(args) -> int:
    from desktop.sync import downward

    s = open_session(args, write=True, permission="admin")
    r = downward.pass_on(s.db, args.package, s.user, args.out)
    print(r["path"])
    print(f"已转发为本端第 {r['seq']} 号数据包（上级第 {r['origin']['seq']} 号）", file=sys.stderr)
    return 0


def cmd_apply(args) -> int:
    from desktop.sync import downward

    if args.preview:
        s = open_session(args, permission="admin")
        shown = downward.preview(s.db, downward.verify(s.db, args.package))
        if args.json:
            write_jsonl([shown])
        else:
            print(shown["title"])
            for line in shown["lines"]:
                print(f"  {line}")
        return 0
    s = open_session(args, write=True, permission="admin")
    r = downward.apply_package(s.db, args.package, s.user)
    if args.json:
        write_jsonl([r])
    else:
        print(r["message"])
    return 0


def cmd_status(args) -> int:
    from desktop.sync import downward, keys

    s = open_session(args)
    if keys.is_hub(s.db):
        rows = {"sent": downward.sent(s.db), "stations": downward.station_view(s.db)}
    else:
        rows = {"applied": downward.applied(s.db)}
    if args.json:
        write_jsonl([rows])
        return 0
    if "sent" in rows:
        for e in rows["sent"]:
            print(f"第 {e['seq']} 号  {e['created_at'][:16]}  {'、'.join(downward.SECTION_NAMES[x] for x in e['sections'])}"
                  + (f"  （转发上级第 {e['origin']['seq']} 号）" if e.get("origin") else ""))
        for v in rows["stations"]:
            got = v["package_applied"]
            print(f"{v['station']}  {v['name']}  已应用：{'第 %d 号' % got if got else '未报告'}")
    else:
        a = rows["applied"]
        print(f"最近应用：{a['hub_name']} 第 {a['seq']} 号（{a['applied_at'][:16]}）" if a else "尚未应用过汇总端数据包")
    return 0


def cmd_export_keys(args) -> int:
    from desktop.sync import keyfiles

    if args.age_identity:
        s = open_session(args, write=True, permission="admin")
        path = keyfiles.export_age_identity(s.db, args.out, s.user)
        print(keyfiles.AGE_WARNING, file=sys.stderr)
        print(path)
        return 0
    s = open_session(args, permission="admin")
    for p in keyfiles.export_public_keys(s.db, args.out):
        print(p)
    return 0
