"""Issue 17 items 1 and 10: the UI thread keeps turning while a document prints and while a bundle
is exported — a 10 ms timer on the UI thread records the longest gap between its ticks; the issue
sets the bound at 200 ms. Also: 'print to file' writes our vector PDF, not page images."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QTimer

from desktop import accounts, cases, db as dbm

GAP_LIMIT_S = 0.200  # issue 17: "the UI thread never blocks more than 200 ms during printing and export"


class GapMeter:
    """Longest interval between ticks of a 10 ms timer on the UI thread (perf_counter: an interval, not a date)."""

    def __init__(self):
        self.last = None
        self.longest = 0.0
        self.ticks = 0
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)

    def _tick(self):
        now = time.perf_counter()
        if self.last is not None:
            self.longest = max(self.longest, now - self.last)
        self.last = now
        self.ticks += 1

    def start(self):
        self.last = time.perf_counter()
        self.timer.start()

    def stop(self):
        self.timer.stop()
        self._tick()


@pytest.fixture
def dossier(session):
    from desktop.documents import render_dossier

    cid = session.db.conn.execute("select id from cases where status = 'closed' and outcome = 'agreed'"
                                  " and deleted = 0 limit 1").fetchone()[0]
    case = cases.get_case(session.db, cid)
    out = session.path.parent / "dossier.pdf"
    render_dossier(case, session.profile, out)
    return out.read_bytes()


def test_printing_keeps_the_ui_thread_free(qtbot, session, dossier, tmp_path):
    from pypdf import PdfReader
    from PySide6.QtPrintSupport import QPrinter

    from desktop.ui.pdf_preview import PdfPreview

    pv = PdfPreview(dossier, "案卷")
    qtbot.addWidget(pv)
    import os
    if not os.environ.get("NOSHOW"):
        pv.show()
    pages = pv.doc.pageCount()
    assert pages >= 5
    printer = QPrinter(QPrinter.PrinterResolution)
    printer.setOutputFormat(QPrinter.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "raster.pdf"))
    meter = GapMeter()
    meter.start()
    job = pv.print_document(printer, vector_copy=False)  # rasterised like a real printer, on a helper thread
    progress = []
    job.progress.connect(lambda done, total: progress.append((done, total)))
    with qtbot.waitSignal(job.succeeded, timeout=120000):
        pass
    meter.stop()
    assert progress[-1] == (pages, pages) and len(progress) == pages  # progress page by page
    assert len(PdfReader(str(tmp_path / "raster.pdf")).pages) == pages
    assert meter.ticks > 3
    print(f"printing {pages} pages: longest UI-thread gap {meter.longest * 1000:.0f} ms")
    assert meter.longest < GAP_LIMIT_S, f"UI thread blocked {meter.longest * 1000:.0f} ms while printing"


def test_print_to_file_writes_our_vector_pdf(qtbot, session, dossier, tmp_path):
    from PySide6.QtPrintSupport import QPrinter

    from desktop.ui.pdf_preview import PdfPreview

    pv = PdfPreview(dossier, "案卷")
    qtbot.addWidget(pv)
    printer = QPrinter(QPrinter.PrinterResolution)
    printer.setOutputFormat(QPrinter.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "to-file.pdf"))
    job = pv.print_document(printer)  # what the print dialog's 打印到文件 gives
    with qtbot.waitSignal(job.succeeded, timeout=30000):
        pass
    assert (tmp_path / "to-file.pdf").read_bytes() == dossier


def test_export_keeps_the_ui_thread_free(qtbot, session, tmp_path):
    from desktop.sync import hub as sync_hub, keys as sync_keys
    from desktop.ui.exchange_page import ExchangePage

    hub_path = tmp_path / "hub.sqlite"
    sync_hub.hub_init(hub_path, "测试区汇总", "330481", "hubadmin", "hubpass123")
    hub_db = dbm.open_database(hub_path)
    accounts.authenticate(hub_db, "hubadmin", "hubpass123")
    sync_keys.write_card(sync_keys.hub_card(hub_db), tmp_path / "hub-card.json")
    hub_db.conn.close()
    page = ExchangePage(session)
    qtbot.addWidget(page)
    page.show()
    page.join_card(str(tmp_path / "hub-card.json"))
    qtbot.waitUntil(lambda: page.export_button.isEnabled(), timeout=20000)
    usb = tmp_path / "usb"
    usb.mkdir()
    meter = GapMeter()
    meter.start()
    page.export_to(str(usb))
    qtbot.waitUntil(lambda: page.out_table.rowCount() == 1, timeout=60000)
    meter.stop()
    assert list(usb.glob("*.bundle"))
    assert meter.ticks > 3
    print(f"export: longest UI-thread gap {meter.longest * 1000:.0f} ms")
    assert meter.longest < GAP_LIMIT_S, f"UI thread blocked {meter.longest * 1000:.0f} ms while exporting"
