"""`report`: the statistical report of a period (contract.md) as json, csv, xlsx or pdf.

On a hub database the report covers every station (with a per-station table and the completeness line), or one
station with --station. The output file is written to a temporary name and renamed, so a failed run leaves
nothing behind.
"""

from __future__ import annotations

import sys
from pathlib import Path

from desktop.commands.common import credential_arguments, db_argument, open_session
from desktop.errors import InputError
from desktop.stats import formula as fm
from desktop.stats import report as rpt, screening as scr
from desktop.stats.export import write_report
from desktop.stats.periods import parse_period

FORMATS = ("json", "xlsx", "csv", "pdf")


def register(sub) -> None:
    p = sub.add_parser("report", help="统计报表：年度（2026）、季度（2026-Q3）或月度（2026-09）")
    db_argument(p)
    credential_arguments(p)
    p.add_argument("--period", help="统计期间：2026、2026-Q3 或 2026-09（默认：按本站报送周期的本年、本季度或本月）")
    p.add_argument("--format", default="json", help="输出格式：json、xlsx、csv、pdf（默认 json）")
    p.add_argument("--out", required=True, help="输出文件")
    p.add_argument("--station", help="汇总端：只统计该站点")
    p.add_argument("--formula", help=f"调解成功率口径（默认取组织设置）：{'；'.join(fm.FORMULAS)}")
    p.set_defaults(func=cmd_report)


def cmd_report(args) -> int:
    # Check the arguments before opening anything: bad input changes nothing and needs no login.
    period = parse_period(args.period) if args.period is not None else None
    fmt = (args.format or "").lower()
    if fmt not in FORMATS:
        raise InputError(f"--format: 不支持的格式「{args.format}」（可选 {'、'.join(FORMATS)}）")
    if args.formula:
        fm.check(args.formula)
    out = Path(args.out)
    if out.is_dir():
        raise InputError(f"--out: 是一个目录，请给出文件名：{out}")
    if not out.parent.exists():
        raise InputError(f"--out: 目录不存在：{out.parent}")

    session = open_session(args, permission="read")
    db = session.db
    try:
        if period is None:  # the reporting period the hub set (or the station's own, where advisory)
            from desktop.sync.downward import default_period

            period = default_period(db)
            if period is None:
                raise InputError("--period: 请指定统计期间（本站未设定报送周期）")
        hub = rpt.is_hub(db)
        if hub and not args.station:
            report = rpt.hub_report(db, period)
        else:
            report = rpt.period_report(db, period, station=args.station, success_formula=args.formula)
        screening = scr.screening(db, period, station=args.station) if fmt != "csv" else None
        monthly = None
        if fmt == "xlsx" and period.kind != "month":
            monthly = rpt.monthly_series(db, period.start.year, station=args.station, success_formula=args.formula)
        write_report(db, session.user, report, period, fmt, out, station=args.station, screening=screening,
                     monthly=monthly)
    finally:
        db.conn.close()
    print(f"{period.title}统计报表已写入 {out}（受理 {report['accepted']}，结案 {report['closed']}，"
          f"调解成功率 {fm.percent(report['success_rate'])}）", file=sys.stderr)
    print(str(out))
    return 0

