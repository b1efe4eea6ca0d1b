"""Bundle and hub commands (contract.md): station-card, hub-init, hub-card, join, enrol, export,
import, stations."""

from __future__ import annotations

import sys
from pathlib import Path

from desktop.commands.common import (
    credential_arguments, db_argument, db_path, open_session, read_password_file, write_jsonl,
)
from desktop.errors import InputError, Refused


def register(sub) -> None:
    p = sub.add_parser("station-card", help="生成本站（或区县汇总端）的登记卡，交上级汇总端登记")
    db_argument(p)
    credential_arguments(p)
    p.add_argument("--out", required=True, help="登记卡文件（JSON）")
    p.set_defaults(func=cmd_station_card)

    p = sub.add_parser("hub-init", help="创建汇总端数据库（含汇总端密钥和第一个管理员）")
    db_argument(p)
    p.add_argument("--name", required=True, help="汇总端名称，如 某区劳动人事争议调解数据汇总")
    p.add_argument("--region", required=True, help="行政区划代码（6位）")
    p.add_argument("--admin", required=True)
    p.add_argument("--password-file", required=True)
    p.set_defaults(func=cmd_hub_init)

    p = sub.add_parser("hub-card", help="生成汇总端登记卡，交各站点安装（join）")
    db_argument(p)
    credential_arguments(p)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_hub_card)

    p = sub.add_parser("join", help="在站点安装汇总端登记卡")
    db_argument(p)
    credential_arguments(p)
    p.add_argument("--hub-card", required=True)
    p.set_defaults(func=cmd_join)

    p = sub.add_parser("enrol", help="在汇总端登记站点")
    db_argument(p)
    credential_arguments(p)
    p.add_argument("--card", required=True)
    p.add_argument("--fingerprint", help="纸质登记表上的指纹（如 AB12-CD34-EF56）；不符则拒绝")
    p.add_argument("--replace-key", action="store_true", help="站点更换了密钥（须核对纸质登记表）")
    p.set_defaults(func=cmd_enrol)

    p = sub.add_parser("export", help="把本站的下一个数据包写入目录（如 U 盘）")
    db_argument(p)
    credential_arguments(p)
    p.add_argument("--out", required=True, help="目标目录")
    p.add_argument("--full", action="store_true", help="完整数据包（全部记录，而非自上次以来的变动）")
    p.add_argument("--resend", type=int, metavar="N", help="重新写出第 N 号数据包（与原文件逐字节相同）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", help="在汇总端验证并合并数据包")
    db_argument(p)
    credential_arguments(p)
    p.add_argument("bundles", nargs="+", metavar="BUNDLE")
    p.add_argument("--max-size", type=int, help="单个数据包大小上限（字节，默认 1 GiB）")
    p.add_argument("--rebaseline", action="store_true",
                   help="已与站点核实：接受跳过序号的完整数据包，并以其序号为该站点的新基线")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("stations", help="汇总端：已登记站点、最新序号、缺失的数据包、本期是否上报")
    db_argument(p)
    credential_arguments(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stations)


def _read_card(path: str) -> dict:
    from desktop.sync.bundle import JSONProblem
    from desktop.sync.keys import parse_card

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: 无法读取登记卡（{exc.strerror}）") from None
    try:
        return parse_card(data)
    except JSONProblem as exc:
        raise InputError(f"{path}: 登记卡 {exc}") from None


def cmd_station_card(args) -> int:
    from desktop.sync import keys

    s = open_session(args, permission="admin")
    had = keys.signing_key(s.db, create=False) is not None
    card = keys.station_card(s.db)
    keys.write_card(card, args.out)
    if not had:
        print(f"已为本站生成签名密钥（指纹 {card['fingerprint']}）", file=sys.stderr)
    print(f"登记卡已写入 {args.out}；指纹 {card['fingerprint']}——请抄在盖章的纸质登记表上，与登记卡一并交汇总端",
          file=sys.stderr)
    print(card["fingerprint"])
    return 0


def cmd_hub_init(args) -> int:
    from desktop.sync import hub

    info = hub.hub_init(db_path(args), args.name, args.region, args.admin, read_password_file(args.password_file))
    print(info["hub"])
    print(f"汇总端已创建；汇总端密钥指纹 {info['fingerprint']}", file=sys.stderr)
    return 0


def cmd_hub_card(args) -> int:
    from desktop.sync import keys

    s = open_session(args)
    card = keys.hub_card(s.db)
    keys.write_card(card, args.out)
    print(card["fingerprint"])
    print(f"汇总端登记卡已写入 {args.out}；指纹 {card['fingerprint']}", file=sys.stderr)
    return 0


def cmd_join(args) -> int:
    from desktop.sync import export

    s = open_session(args, permission="admin")
    stored = export.join(s.db, _read_card(args.hub_card), s.user)
    print(f"已加入汇总端「{stored['name']}」（指纹 {stored['fingerprint']}，请与汇总端的纸质登记表核对）；"
          "下一个数据包将包含本站全部记录", file=sys.stderr)
    print(stored["hub"])
    return 0


def cmd_enrol(args) -> int:
    from desktop.sync import hub

    s = open_session(args, permission="admin")
    r = hub.enrol(s.db, _read_card(args.card), s.user, expect_fingerprint=args.fingerprint,
                  replace_key=args.replace_key)
    text = {"enrolled": "已登记", "unchanged": "已登记过（密钥相同，未作更改）", "key-replaced": "已更换密钥"}[r["status"]]
    print(f"站点 {r['station']}「{r['name']}」{text}；指纹 {r['fingerprint']}——请与盖章的纸质登记表核对",
          file=sys.stderr)
    print(r["station"])
    return 0


def cmd_export(args) -> int:
    from desktop.sync import export

    s = open_session(args, write=True, permission="export")
    if args.resend is not None:
        if args.full:
            raise InputError("--resend 与 --full 不能同时使用")
        path = export.resend(s.db, args.resend, args.out, s.user)
        print(f"已重新写出第 {args.resend} 号数据包（与原文件逐字节相同）", file=sys.stderr)
        print(path)
        return 0
    r = export.export_bundle(s.db, args.out, s.user, full=args.full)
    if r["new_key"]:
        print("本站此前没有签名密钥，已自动生成；请用 station-card 生成登记卡交汇总端登记，否则汇总端无法验证本数据包",
              file=sys.stderr)
    if r["nil"]:
        print(f"第 {r['seq']} 号数据包：零上报（自上次导出以来没有变动）", file=sys.stderr)
    else:
        c = r["counts"]
        print(f"第 {r['seq']} 号数据包{'（完整）' if r['full'] else ''}：案件 {c['cases']} 件，调解员 {c['mediators']} 条，"
              f"案件经过 {c['case_events']} 条", file=sys.stderr)
    if args.json:
        write_jsonl([r])
    else:
        print(r["path"])
    return 0


def cmd_import(args) -> int:
    from desktop.sync import bundle, hub

    s = open_session(args, write=True, permission="import")
    failed = 0
    results = []
    for b in args.bundles:
        try:
            r = hub.import_bundle(s.db, b, s.user, max_size=args.max_size or bundle.MAX_BUNDLE_BYTES,
                                  rebaseline=args.rebaseline)
        except Refused as exc:
            failed += 1
            print(exc.message, file=sys.stderr)
            results.append({"file": Path(b).name, "status": "refused", "message": exc.message})
            continue
        results.append({k: v for k, v in r.items()})
        if r.get("warning"):
            print(r["warning"], file=sys.stderr)
        if not args.json:
            print(r["message"])
    if args.json:
        write_jsonl(results)
    return 1 if failed else 0


def cmd_stations(args) -> int:
    from desktop.sync import hub, keys

    s = open_session(args)
    if not keys.is_hub(s.db):
        raise Refused("本数据库不是汇总端")
    rows = hub.stations(s.db)
    if args.json:
        write_jsonl(rows)
        return 0
    for r in rows:
        gaps = f"缺少 {', '.join(r['gaps'])}" if r["gaps"] else "无缺号"
        period = "本期已上报" if r["bundle_this_period"] else "本期未上报"
        print(f"{r['station']}\t{r['name']}\t最新第{r['last_seq'] or 0}号\t{r['last_bundle_at'] or '从未上报'}\t{gaps}\t"
              f"{period}\t案件{r['counts']['cases']}件")
        if r["stats_warning"]:
            print(r["stats_warning"], file=sys.stderr)
    return 0
