"""`calendar`: the holiday calendar behind every deadline (domain.md §6).

    calendar show --db F --year 2027 [--json]          how the year is known, its holidays and overrides
    calendar notice --db F --year 2027 --file N.txt    enter the State Council notice (text as published)
                    [--check] [--allow-unbalanced]     --check: only say whether it is complete
    calendar recompute --db F                          recompute every stored deadline

Entering a notice checks that the year is complete (every statutory holiday a day off, working days
on weekends, days off and working days in balance), replaces that year's overrides and recomputes
every stored deadline, in one transaction.
"""

from __future__ import annotations

import json
from pathlib import Path

from desktop import holidays, workcal
from desktop.commands.common import credential_arguments, db_argument, open_session
from desktop.errors import InputError

STATUS_TEXT = {"package": "已收录（节假日数据包）", "notice": "已录入国务院放假通知", "law": "仅按法定节假日推算（调休未定，期限为暂定）"}


def register(sub) -> None:
    p = sub.add_parser("calendar", help="节假日日历：查看、录入国务院放假通知、重新计算期限")
    csub = p.add_subparsers(dest="calendar_command", metavar="ACTION", required=True)

    s = csub.add_parser("show", help="查看某年的节假日安排及其来源")
    db_argument(s)
    credential_arguments(s)
    s.add_argument("--year", type=int, required=True)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_show)

    n = csub.add_parser("notice", help="录入某年的国务院放假通知（按原文粘贴的文本文件）")
    db_argument(n)
    credential_arguments(n)
    n.add_argument("--year", type=int, required=True)
    n.add_argument("--file", required=True, help="通知原文（UTF-8 文本）")
    n.add_argument("--check", action="store_true", help="只检查是否完整，不录入")
    n.add_argument("--allow-unbalanced", action="store_true",
                   help="放假与调休天数不平衡时仍然录入（仅用于有特别放假安排的年份）")
    n.set_defaults(func=cmd_notice)

    r = csub.add_parser("recompute", help="按当前日历重新计算全部案件的期限")
    db_argument(r)
    credential_arguments(r)
    r.set_defaults(func=cmd_recompute)


def _year(value: int) -> int:
    if not holidays.FIRST_LAW_YEAR <= value <= 2100:
        raise InputError(f"--year: 年份应在 {holidays.FIRST_LAW_YEAR} 至 2100 之间")
    return value


def read_notice(path: str, year: int) -> holidays.Notice:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"--file: 无法读取文件：{exc.strerror}") from None
    if len(data) > 1024 * 1024:
        raise InputError("--file: 文件过大（放假通知应为一页文字）")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("--file: 文件不是 UTF-8 文本") from None
    return holidays.parse_notice(text, year)


def cmd_show(args) -> int:
    year = _year(args.year)
    s = open_session(args)
    from desktop import cases

    cal = cases.calendar_for(s.db)
    status = workcal.year_status(cal, year)
    stat = holidays.statutory_holidays(year)
    overrides = {d: v for d, v in cal.overrides.items() if d.year == year}
    out = {
        "year": year,
        "status": status,
        "statutory": {d.isoformat(): name for d, name in sorted(stat.items())},
        "overrides": {d.isoformat(): ("work" if v else "rest") for d, v in sorted(overrides.items())},
        "assumed_makeup": ({d.isoformat(): name for d, name in sorted(holidays.assumed_makeup_days(year).items())}
                           if status == "law" else {}),
        "data_version": cal.data_version(),
    }
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return 0
    print(f"{year}年：{STATUS_TEXT[status]}")
    print("法定节假日：" + "、".join(f"{d[5:]}（{n}）" for d, n in out["statutory"].items()))
    if out["assumed_makeup"]:
        print("推定补休：" + "、".join(f"{d[5:]}" for d in out["assumed_makeup"]))
    if overrides:
        print("本地录入：" + "、".join(f"{d.isoformat()[5:]}{'上班' if v else '休息'}" for d, v in sorted(overrides.items())))
    return 0


def cmd_notice(args) -> int:
    year = _year(args.year)
    notice = read_notice(args.file, year)  # bad input is refused before any login or lock
    problems = holidays.notice_problems(notice, allow_unbalanced=args.allow_unbalanced)
    if problems:
        raise InputError([f"{year}年放假安排不完整，未录入：", *problems])
    if args.check:
        print(f"{notice.summary()}；安排完整")
        return 0
    s = open_session(args, write=True, permission="admin")
    result = workcal.enter_notice(s.db, notice, s.user, allow_unbalanced=args.allow_unbalanced)
    print(f"{notice.summary()}；已录入，移除旧的本年调整{result['removed']}条，"
          f"{result['recomputed']}件案件的期限已按新安排重新计算")
    return 0


def cmd_recompute(args) -> int:
    s = open_session(args, write=True)
    from desktop import cases

    n = cases.recompute_deadlines(s.db)
    print(f"{n}件案件的期限已更新")
    return 0
