"""Regenerate the sample pages of docs/documents/ (issue 14): `python docs/documents/render_samples.py`.

Renders the hand-built cases of the tests with the bundled fonts, and the statistics workbook of a demo station
printed through LibreOffice (`soffice --headless --convert-to pdf`), then turns pages into PNG with pdftoppm.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ["MEDIATION_DESK_FONTS"] = "bundled"
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from desktop import clock, db as dbm, demo  # noqa: E402
from desktop.documents import render_document, render_roster  # noqa: E402
from desktop.stats import outputs, report as rpt  # noqa: E402
from tests.test_documents import TODAY, org  # noqa: E402
from tests.test_documents_legal import _collective  # noqa: E402
from tests.test_documents_state import case_in  # noqa: E402

OUT = Path(__file__).resolve().parent


def png(pdf: Path, page: int, name: str, dpi: int = 60) -> None:
    prefix = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-f", str(page), "-l", str(page), "-singlefile", str(pdf),
                    str(prefix)], check=True)
    shutil.move(str(prefix) + ".png", OUT / name)


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="md-samples-"))
    ag = tmp / "agreement.pdf"
    r = render_document("agreement", case_in("agreed"), org(), ag, today=TODAY)
    png(ag, 1, "agreement-p1.png")
    png(ag, 2, "agreement-p2-items.png")
    png(ag, r.pages, "agreement-p3-signatures-seal.png")
    col = tmp / "collective.pdf"
    render_document("agreement", _collective(16), org(), col, today=TODAY)
    pages = subprocess.run(["pdftotext", "-enc", "UTF-8", str(col), "-"], capture_output=True, check=True
                           ).stdout.decode("utf-8").split("\f")
    first = next(i for i, t in enumerate(pages) if "附表：申请人个人款项明细表" in t) + 1
    png(col, first - 1, "collective-agreement-signatures.png")
    png(col, first, "collective-agreement-schedule.png")
    fn = tmp / "failure.pdf"
    render_document("failure-notice", case_in("failed"), org(), fn, today=TODAY)
    png(fn, 1, "failure-notice-p1.png")
    nr = tmp / "nonperformance.pdf"
    render_document("nonperformance-record", case_in("agreed"), org(), nr, today=TODAY.replace(year=2027))
    png(nr, 1, "nonperformance-record-p1.png")
    for name, state in (("registration", "agreed"), ("session-record", "agreed")):
        f = tmp / f"{name}.pdf"
        render_document(name, case_in(state), org(), f, today=TODAY)
        png(f, 1, f"{name}{'-p1' if name == 'session-record' else ''}.png")
    di = tmp / "dossier-index.pdf"
    render_document("dossier-index", case_in("agreed"), org(), di, today=TODAY)
    png(di, 1, "dossier-index.png")
    from tests.test_documents import MEDIATORS

    for table in ("roster", "jilin-mediators"):
        f = tmp / f"{table}.pdf"
        render_roster(org(), MEDIATORS, f, today=TODAY, table=table)
        png(f, 1, f"{table}.png")
    jo = tmp / "jilin-org.pdf"
    render_roster(org(phone="0573-87000000", credit_code="12330481MB1234567X", cases_accepted="909",
                      cases_agreed="612", county="海宁市"), [], jo, today=TODAY, table="jilin-org")
    png(jo, 1, "jilin-org.png")

    # the statistics workbook of a demo station, printed through LibreOffice
    clock.set_today(dt.date(2026, 3, 20))
    database = dbm.open_database(tmp / "demo.sqlite", create=True)
    demo.create_demo_station(database, seed=5)
    demo.fill(database, 300, seed=5)
    rep = rpt.period_report(database, "2025")
    hub = dict(rep, stations={"S1": dict(rep, org_kind="enterprise"), "S2": dict(rep, org_kind="township")},
               completeness={"text": "应报站点 2 个，已报 2 个（其中零报告 0 个）"})
    for name, data in (("statistics", rep), ("statistics-hub", hub)):
        xl = tmp / f"{name}.xlsx"
        outputs.write_xlsx(data, xl)
        subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp), str(xl)], check=True,
                       capture_output=True, timeout=300)
        pdf = tmp / f"{name}.pdf"
        pages = int(next(line.split()[-1] for line in subprocess.run(["pdfinfo", str(pdf)], capture_output=True,
                                                                       text=True).stdout.splitlines()
                         if line.startswith("Pages:")))
        print(f"{name}.xlsx through LibreOffice: {pages} pages for {len(outputs_sheetnames(xl))} sheets")
        if name == "statistics":
            png(pdf, 1, "statistics-table-libreoffice.png", 70)
        else:
            png(pdf, pages, "statistics-by-organisation-kind-libreoffice.png", 70)
    clock.reset()


def outputs_sheetnames(path: Path) -> list[str]:
    import openpyxl

    return openpyxl.load_workbook(path, read_only=True).sheetnames


if __name__ == "__main__":
    main()
