"""Document preview (QtPdf) with 打印 / 另存为PDF / zoom / page navigation, and printing off the UI thread.

The document lives in memory only (the PDF's bytes in a QBuffer): a preview leaves no plaintext
copy of a worker's ID number on disk. 另存为PDF writes those same bytes — the program's vector
PDF, not a re-rendered image. Printing rasterises page by page at no more than 300 dpi on a
helper thread (QPainter on a QPrinter is allowed outside the GUI thread), with progress and 取消;
"print to file" (PDF) gets the vector file too.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRect, QSize, Qt, QThread, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QMessageBox, QProgressDialog, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from desktop.files import write_bytes_atomic

TEMP_PREFIX = "md-doc-"
PRINT_DPI = 300  # enough for text on paper; 1200 dpi pages were ~500 MB each
BAND_PX = 200  # rows rendered per call while printing: the UI thread can be held up for one call
# (QtPdf's one lock) — 400 rows stalled the event loop ~200 ms on a loaded machine, 200 rows ~80 ms
ZOOM_STEPS = [0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0]


def sweep_temp(older_than_s: float = 0.0) -> int:
    """Remove `md-doc-*` / `md-batch-*` folders a crashed earlier run left in the temp directory."""
    removed = 0
    base = Path(tempfile.gettempdir())
    try:
        candidates = list(base.glob(TEMP_PREFIX + "*")) + list(base.glob("md-batch-*"))
    except OSError:
        return 0
    now = time.time()  # file ages only, not a date
    for p in candidates:
        try:
            if now - p.stat().st_mtime < older_than_s:
                continue
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink()
            removed += 1
        except OSError:
            continue
    return removed


def render_bytes(name: str, case: dict, profile: dict, *, mediators=None, db=None) -> bytes:
    """A document's PDF as bytes. The renderer writes a file: it lives in a private folder for the
    few milliseconds of rendering and is removed at once (sweep_temp removes it after a crash).
    With `db`, the station's templates (the hub's overrides where active)."""
    from desktop.documents.render import render_document
    from desktop.documents.station import forms_dir

    folder = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX))
    try:
        out = folder / "doc.pdf"
        render_document(name, case, profile, out, mediators=mediators,
                        forms_dir=forms_dir(db) if db is not None else None)
        return out.read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _load(doc, data: bytes) -> QBuffer:
    buf = QBuffer()
    buf.setData(QByteArray(data))
    buf.open(QIODevice.ReadOnly)
    doc.load(buf)
    return buf  # the document reads from it: keep it alive as long as the document


def fit_to_screen(widget, width: int, height: int) -> None:
    """Resize to fit the screen's free area with its title bar (1366×768 and 1280×720 included)."""
    from desktop.ui.widgets import fit_window

    fit_window(widget, width, height)


class PrintJob(QThread):
    """Prints PDFs (bytes) onto a configured QPrinter page by page; `progress(done, total)`."""

    progress = Signal(int, int)
    succeeded = Signal(int)
    failed = Signal(str)

    def __init__(self, documents: list[bytes], printer, *, vector_copy: bool | None = None, parent=None):
        super().__init__(parent)
        from PySide6.QtPrintSupport import QPrinter

        self.documents = documents
        self.printer = printer
        if vector_copy is None:
            vector_copy = printer.outputFormat() == QPrinter.PdfFormat and bool(printer.outputFileName())
        self.vector_copy = vector_copy
        self.pages = 0

    def run(self) -> None:
        try:
            if self.vector_copy:
                self._copy()
            else:
                self._raster()
        except Exception as exc:  # noqa: BLE001 - reported in Chinese on the main thread
            self.failed.emit(f"打印失败：{exc}")
            return
        if self.isInterruptionRequested():
            self.failed.emit("打印已取消")
        else:
            self.succeeded.emit(self.pages)

    def _copy(self) -> None:
        """“Print to file”: our own vector PDF (one document; several are joined with pypdf)."""
        target = self.printer.outputFileName()
        if len(self.documents) == 1:
            data = self.documents[0]
        else:
            import io

            from pypdf import PdfReader, PdfWriter

            w = PdfWriter()
            for d in self.documents:
                w.append(PdfReader(io.BytesIO(d)))
            out = io.BytesIO()
            w.write(out)
            data = out.getvalue()
        write_bytes_atomic(target, data)
        from pypdf import PdfReader
        import io

        self.pages = len(PdfReader(io.BytesIO(data)).pages)
        self.progress.emit(self.pages, self.pages)

    def _raster(self) -> None:
        from PySide6.QtCore import QRectF
        from PySide6.QtGui import QPainter
        from PySide6.QtPdf import QPdfDocument, QPdfDocumentRenderOptions

        docs = []
        for data in self.documents:
            doc = QPdfDocument()
            buf = _load(doc, data)
            docs.append((doc, buf))
        total = sum(d.pageCount() for d, _ in docs)
        painter = QPainter()
        if not painter.begin(self.printer):
            raise RuntimeError("打印机无法开始打印，请检查打印机是否连接")
        try:
            for doc, _buf in docs:
                for i in range(doc.pageCount()):
                    if self.isInterruptionRequested():
                        self.printer.abort()
                        return
                    if self.pages:
                        self.printer.newPage()
                    rect = painter.viewport()
                    size = doc.pagePointSize(i)  # points (1/72 inch)
                    scale = min(rect.width() / size.width(), rect.height() / size.height())
                    dpi_scale = min(scale, PRINT_DPI / 72.0)
                    w, h = int(size.width() * dpi_scale), int(size.height() * dpi_scale)
                    # In bands: QtPdf renders under one lock for every document, so a whole page at
                    # 300 dpi (~150 ms) would stall the preview painting on the UI thread meanwhile.
                    for y in range(0, h, BAND_PX):
                        bh = min(BAND_PX, h - y)
                        opts = QPdfDocumentRenderOptions()
                        opts.setScaledSize(QSize(w, h))
                        opts.setScaledClipRect(QRect(0, y, w, bh))
                        img = doc.render(i, QSize(w, bh), opts)
                        target = QRectF(0, y * scale / dpi_scale, w * scale / dpi_scale, bh * scale / dpi_scale)
                        painter.drawImage(target, img)
                        del img
                    self.pages += 1
                    self.progress.emit(self.pages, total)
        finally:
            painter.end()
            for doc, buf in docs:
                doc.close()
                buf.close()


def start_print(parent, documents: list[bytes], printer=None, *, vector_copy: bool | None = None,
                on_done=None, watch=None) -> PrintJob | None:
    """Ask for the printer (unless given), then print on a helper thread with a progress window.
    `watch(job)` is called before the thread starts: a signal emitted by a job that has already
    finished is lost to anything connected later (a short job can end before start() returns)."""
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    if printer is None:
        printer = QPrinter(QPrinter.PrinterResolution)
        from PySide6.QtGui import QPageSize

        printer.setPageSize(QPageSize(QPageSize.A4))
        dlg = QPrintDialog(printer, parent)
        dlg.setWindowTitle("打印")
        if dlg.exec() != QPrintDialog.Accepted:
            return None
    job = PrintJob(documents, printer, vector_copy=vector_copy, parent=parent)
    progress = QProgressDialog("正在准备打印…", "取消", 0, 0, parent)
    progress.setWindowTitle("正在打印")
    progress.setMinimumDuration(300)
    progress.setAutoClose(False)
    progress.setAutoReset(False)
    progress.canceled.connect(job.requestInterruption)

    def step(done, total):
        progress.setMaximum(total)
        progress.setValue(done)
        progress.setLabelText(f"正在打印：第 {done} 页，共 {total} 页")

    def finish(*_):
        progress.close()
        progress.deleteLater()
    job.progress.connect(step)
    job.finished.connect(job.deleteLater)  # QThread.finished: run() has returned (succeeded comes just before)
    job.succeeded.connect(finish)
    job.failed.connect(finish)
    job.failed.connect(lambda text: text != "打印已取消" and QMessageBox.warning(parent, "打印", text))
    if on_done is not None:
        job.succeeded.connect(on_done)
    job.progress_dialog = progress
    if parent is not None:
        parent._print_job = job  # kept alive while printing
    if watch is not None:
        watch(job)
    job.start()
    return job


class PdfPreview(QWidget):
    """The preview window: the document fits the screen; toolbar 打印… 另存为PDF… zoom, pages."""

    def __init__(self, data: bytes, title: str, parent=None, *, file_name: str | None = None):
        super().__init__(parent, Qt.Window)
        from PySide6.QtPdf import QPdfDocument
        from PySide6.QtPdfWidgets import QPdfView

        if isinstance(data, (str, Path)):  # a path (older callers): read it, keep nothing of it
            data = Path(data).read_bytes()
        self.data = bytes(data)
        self.title = title
        self.file_name = file_name or f"{title}.pdf"
        self.setObjectName("PdfPreview")
        self.setAttribute(Qt.WA_DeleteOnClose)
        self.setWindowTitle(f"预览 — {title}")
        self.doc = QPdfDocument(self)
        self._buffer = _load(self.doc, self.data)
        self.view = QPdfView(self)
        self.view.setDocument(self.doc)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitInView)

        bar = QHBoxLayout()
        self.print_button = QPushButton("打印…")
        self.print_button.setShortcut(QKeySequence.Print)
        self.print_button.clicked.connect(lambda: self.print_document())
        self.save_button = QPushButton("另存为PDF…")
        self.save_button.setShortcut(QKeySequence.Save)
        self.save_button.clicked.connect(lambda: self.save_pdf())
        self.prev_button = QPushButton("上一页")
        self.prev_button.clicked.connect(lambda: self.go_page(self.page() - 1))
        self.page_box = QSpinBox()
        self.page_box.setRange(1, max(1, self.doc.pageCount()))
        self.page_box.setPrefix("第 ")
        self.page_box.setSuffix(f" 页，共 {self.doc.pageCount()} 页")
        self.page_box.valueChanged.connect(lambda n: self.go_page(n - 1))
        self.next_button = QPushButton("下一页")
        self.next_button.clicked.connect(lambda: self.go_page(self.page() + 1))
        self.zoom_out = QPushButton("缩小")
        self.zoom_out.setShortcut(QKeySequence.ZoomOut)
        self.zoom_out.clicked.connect(lambda: self.step_zoom(-1))
        self.zoom_label = QLabel()
        self.zoom_in = QPushButton("放大")
        self.zoom_in.setShortcut(QKeySequence.ZoomIn)
        self.zoom_in.clicked.connect(lambda: self.step_zoom(1))
        self.fit_page = QPushButton("整页")
        self.fit_page.clicked.connect(lambda: self.set_fit(QPdfView.ZoomMode.FitInView))
        self.fit_width = QPushButton("适合宽度")
        self.fit_width.clicked.connect(lambda: self.set_fit(QPdfView.ZoomMode.FitToWidth))
        self.close_button = QPushButton("关闭")
        self.close_button.clicked.connect(self.close)
        for w in (self.print_button, self.save_button):
            bar.addWidget(w)
        bar.addSpacing(16)
        for w in (self.prev_button, self.page_box, self.next_button):
            bar.addWidget(w)
        bar.addSpacing(16)
        for w in (self.zoom_out, self.zoom_label, self.zoom_in, self.fit_page, self.fit_width):
            bar.addWidget(w)
        bar.addStretch()
        bar.addWidget(self.close_button)
        self.status = QLabel()
        self.status.setObjectName("preview_status")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(bar)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.status)
        QShortcut(QKeySequence(Qt.Key_Escape), self, activated=self.close)
        QShortcut(QKeySequence(Qt.Key_PageDown), self, activated=lambda: self.go_page(self.page() + 1))
        QShortcut(QKeySequence(Qt.Key_PageUp), self, activated=lambda: self.go_page(self.page() - 1))
        self.view.pageNavigator().currentPageChanged.connect(self._page_changed)
        self.view.zoomFactorChanged.connect(lambda *_: self._show_zoom())
        self.view.zoomModeChanged.connect(lambda *_: self._show_zoom())
        fit_to_screen(self, 900, 1100)
        self._page_changed(0)
        self._show_zoom()

    # --- pages and zoom ---------------------------------------------------------------------
    def page(self) -> int:
        return self.view.pageNavigator().currentPage()

    def go_page(self, n: int) -> None:
        n = max(0, min(n, self.doc.pageCount() - 1))
        if n != self.page():
            self.view.pageNavigator().jump(n, QPointF(), self.view.pageNavigator().currentZoom())
        self._page_changed(n)

    def _page_changed(self, n: int) -> None:
        self.page_box.blockSignals(True)
        self.page_box.setValue(n + 1)
        self.page_box.blockSignals(False)
        self.prev_button.setEnabled(n > 0)
        self.next_button.setEnabled(n < self.doc.pageCount() - 1)

    def zoom(self) -> float:
        return self.view.zoomFactor()

    def set_fit(self, mode) -> None:
        self.view.setZoomMode(mode)
        self._show_zoom()

    def step_zoom(self, direction: int) -> None:
        from PySide6.QtPdfWidgets import QPdfView

        current = self._effective_zoom()
        if direction > 0:
            nxt = next((z for z in ZOOM_STEPS if z > current + 0.01), ZOOM_STEPS[-1])
        else:
            nxt = next((z for z in reversed(ZOOM_STEPS) if z < current - 0.01), ZOOM_STEPS[0])
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(nxt)
        self._show_zoom()

    def _effective_zoom(self) -> float:
        from PySide6.QtPdfWidgets import QPdfView

        if self.view.zoomMode() == QPdfView.ZoomMode.Custom or self.doc.pageCount() == 0:
            return self.view.zoomFactor()
        # fitted: the factor the view uses, from the page's size in pixels at 100 % (72 pt = 1 inch)
        size = self.doc.pagePointSize(0)
        dpi = self.logicalDpiX() / 72.0
        vp = self.view.viewport().size()
        wf = (vp.width() - 12) / (size.width() * dpi)
        hf = (vp.height() - 12) / (size.height() * dpi)
        return wf if self.view.zoomMode() == QPdfView.ZoomMode.FitToWidth else min(wf, hf)

    def _show_zoom(self) -> None:
        self.zoom_label.setText(f"{round(self._effective_zoom() * 100)}%")

    # --- save and print ---------------------------------------------------------------------
    def save_pdf(self, path: str | None = None) -> str | None:
        """Write the program's own PDF (vector, searchable) where the user chooses."""
        if path is None:
            from desktop.ui.filedialogs import save_path

            path = save_path(self, "另存为PDF", self.file_name, "PDF 文件 (*.pdf)")
            if not path:
                return None
        if not path.lower().endswith(".pdf"):
            path += ".pdf"
        try:
            write_bytes_atomic(path, self.data)
        except OSError as exc:
            QMessageBox.warning(self, "另存为PDF", f"无法保存到 {path}：{exc.strerror or exc}")
            return None
        self.status.setText(f"已保存：{path}")
        return path

    def print_document(self, printer=None, *, vector_copy: bool | None = None, watch=None):
        job = start_print(self, [self.data], printer, vector_copy=vector_copy, watch=watch,
                          on_done=lambda pages: self.status.setText(f"已送打印机：{pages} 页"))
        if job is not None:
            self.status.setText("正在打印…")
        return job

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._show_zoom()  # a fitted zoom changes with the window

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._show_zoom()

    def closeEvent(self, event) -> None:
        job = getattr(self, "_print_job", None)
        if job is not None:
            try:
                if job.isRunning():
                    job.wait()  # finish the pages already sent; the printer owns the rest
            except RuntimeError:  # already deleted
                pass
        self.doc.close()
        self._buffer.close()
        super().closeEvent(event)


def print_pdf(path, parent=None) -> bool:
    """Print a PDF file through the system print dialog, off the UI thread."""
    return start_print(parent, [Path(path).read_bytes()]) is not None
