"""`report`: the statistical report of a period (contract.md) as json, csv, xlsx or pdf.

On a hub database the report covers every station (with a per-station table and the completeness line), or one
station with --station. The output file is written to a temporary name and renamed, so a failed run leaves
nothing behind.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from desktop import audit
from desktop.commands.common import credential_arguments, db_argument, open_session
from desktop.errors import InputError, Refused
from desktop.records import now
from desktop.stats import formula as fm
from desktop.stats import outputs, report as rpt, screening as scr
from desktop.stats.periods import parse_period

FORMATS = ("json", "xlsx", "csv", "pdf")


def register(sub) -> None:
    p = sub.add_parser("report", help="统计报表：年度（2026）、季度（2026-Q3）或月度（2026-09）")
    db_argument(p)
    credential_arguments(p)
    p.add_argument("--period", required=True, help="统计期间：2026、2026-Q3 或 2026-09")
    p.add_argument("--format", default="json", help="输出格式：json、xlsx、csv、pdf（默认 json）")
    p.add_argument("--out", required=True, help="输出文件")
    p.add_argument("--station", help="汇总端：只统计该站点")
    p.add_argument("--formula", help=f"调解成功率口径（默认取组织设置）：{'；'.join(fm.FORMULAS)}")
    p.set_defaults(func=cmd_report)


def cmd_report(args) -> int:
    # Check the arguments before opening anything: bad input changes nothing and needs no login.
    period = parse_period(args.period)
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
        hub = rpt.is_hub(db)
        if hub and not args.station:
            report = rpt.hub_report(db, period)
        else:
            report = rpt.period_report(db, period, station=args.station, success_formula=args.formula)
        try:
            rpt.verify(report)
        except rpt.ReconciliationError as exc:
            raise Refused(f"{exc}。数据存在矛盾（如结案日期早于受理日期），未生成报表，请先运行 check 检查。") from None
        report["generated_at"] = now()
        report["generated_by"] = session.user.name
        report["fingerprint"] = rpt.fingerprint(report)
        report["demo"] = bool(report.get("demo"))
        screening = None
        if fmt != "csv":
            screening = scr.screening(db, period, station=args.station)
        if fmt == "json":
            report["screening"] = screening
        monthly = None
        if fmt == "xlsx" and period.kind != "month":
            monthly = [m for m in rpt.monthly_series(db, period.start.year, station=args.station,
                                                     success_formula=args.formula)
                       if period.start_text[:7] <= m["month"] <= period.end_text[:7]]
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        try:
            outputs.write(report, fmt, tmp, screening=screening, monthly=monthly)
            os.replace(tmp, out)
        finally:
            if tmp.exists():
                tmp.unlink()
        with db.atomic():
            audit.log(db, session.user.name, "report.export", target="report",
                      detail={"period": period.label, "format": fmt, "station": args.station,
                              "fingerprint": report["fingerprint"]})
    finally:
        db.conn.close()
    print(f"{period.title}统计报表已写入 {out}（受理 {report['accepted']}，结案 {report['closed']}，"
          f"调解成功率 {fm.percent(report['success_rate'])}）", file=sys.stderr)
    print(str(out))
    return 0

