"""Preview (QtPdf) and print (QPrinter) of a rendered document."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QSize, Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget


class PdfPreview(QWidget):
    def __init__(self, path, title: str, parent=None):
        super().__init__(parent, Qt.Window)
        from PySide6.QtPdf import QPdfDocument
        from PySide6.QtPdfWidgets import QPdfView

        self.setWindowTitle(f"预览 — {title}")
        self.resize(800, 1000)
        self.doc = QPdfDocument(self)
        self.doc.load(str(path))
        view = QPdfView(self)
        view.setDocument(self.doc)
        view.setPageMode(QPdfView.PageMode.MultiPage)
        view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        QVBoxLayout(self).addWidget(view)


def print_pdf(path, parent=None) -> bool:
    """Print every page through the system print dialog; each page rendered at the printer's resolution."""
    from PySide6.QtGui import QPainter
    from PySide6.QtPdf import QPdfDocument
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    doc = QPdfDocument()
    doc.load(str(path))
    printer = QPrinter(QPrinter.HighResolution)
    if QPrintDialog(printer, parent).exec() != QPrintDialog.Accepted:
        return False
    painter = QPainter(printer)
    try:
        for i in range(doc.pageCount()):
            if i:
                printer.newPage()
            rect = painter.viewport()
            size = doc.pagePointSize(i)
            scale = min(rect.width() / size.width(), rect.height() / size.height())
            img = doc.render(i, QSize(int(size.width() * scale), int(size.height() * scale)))
            painter.drawImage(QPointF(0, 0), img)
    finally:
        painter.end()
    return True
