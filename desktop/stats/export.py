"""Writing a period report to a file: the one path the `report` command and the statistics page share."""

from __future__ import annotations

from pathlib import Path

from desktop.security import audit
from desktop.errors import Refused
from desktop.files import atomic_path
from desktop.clock import now
from desktop.stats import outputs, report as rpt
from desktop.stats.periods import Period


def write_report(db, user, report: dict, period: Period, fmt: str, out: Path, *, station: str | None,
                 screening: dict | None, monthly: list[dict] | None) -> dict:
    """Check the report reconciles, stamp it, write it atomically and audit the export.

    `monthly` is the year's series; only the months of the period go into the xlsx.
    """
    try:
        rpt.verify(report)
    except rpt.ReconciliationError as exc:
        raise Refused(f"{exc}。数据存在矛盾（如结案日期早于受理日期），未生成报表，请先运行 check 检查。") from None
    report["generated_at"] = now()
    report["generated_by"] = user.name
    report["fingerprint"] = rpt.fingerprint(report)
    report["demo"] = bool(report.get("demo"))
    if fmt == "csv":
        screening = None
    if fmt == "json":
        report["screening"] = screening
    months = None
    if fmt == "xlsx" and period.kind != "month" and monthly is not None:
        months = [m for m in monthly if period.start_text[:7] <= m["month"] <= period.end_text[:7]]
    try:
        with atomic_path(out) as tmp:
            outputs.write(report, fmt, tmp, screening=screening, monthly=months)
    except OSError as exc:
        raise Refused(f"无法写入 {out}：{exc.strerror or exc}") from None
    with db.atomic():
        audit.log(db, user.name, "report.export", target="report",
                  detail={"period": period.label, "format": fmt, "station": station,
                          "fingerprint": report["fingerprint"]})
    return report
