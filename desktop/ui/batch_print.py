"""Batch printing from the case list: one document kind (or the whole dossier) for each selected
case, or for every case of the current filter. PDFs are rendered on the database worker (progress,
取消); then either printed through one print dialog or left in a chosen folder.

A case whose state does not allow the document is skipped with the reason (the review application
past its 15-day window or for a labour-relationship case is refused by desktop/documents).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup, QComboBox, QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
    QRadioButton, QVBoxLayout,
)

from desktop import caselist, cases, org, roster
from desktop.security import sensitive
from desktop.ui import ops as opsmod
from desktop.ui.widgets import ErrorLabel

FILTER_CAP = 1000  # a filter over a whole year would be thousands of pages: ask for a narrower one
DOSSIER = "dossier"
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def kinds() -> list[tuple[str, str]]:
    from desktop.ui.case_window import DOCUMENT_LABELS

    return [(DOSSIER, "整套案卷（封面、目录和全部文书）")] + list(DOCUMENT_LABELS.items())


def filter_ids(db, filters, *, sort: str = "received", descending: bool = True, cap: int = FILTER_CAP) -> list[str]:
    """The ids of the cases the list shows for `filters`, in its order, at most `cap`."""
    ids: list[str] = []
    after = None
    while len(ids) < cap:
        rows = caselist.page(db, filters, sort=sort, descending=descending, after=after,
                             limit=min(caselist.PAGE_SIZE, cap - len(ids)))
        ids += [r.id for r in rows]
        if len(rows) < caselist.PAGE_SIZE:
            break
        after = rows[-1].sort_key
    return ids


def safe_name(text: str) -> str:
    return _UNSAFE.sub("_", text).strip() or "case"


def render_batch(db, task, case_ids: list[str], kind: str, out_dir) -> dict:
    """Render `kind` for each case into out_dir (runs on the worker). Cancelling removes this run's files."""
    from desktop.documents import DocumentError
    from desktop.documents import station as station_docs  # the hub's template overrides where active
    from desktop.ui.case_window import DOCUMENT_LABELS, MASKED_DOCUMENT_REFUSAL

    if sensitive.masked_only(db):
        from desktop.errors import Refused

        raise Refused(MASKED_DOCUMENT_REFUSAL)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    profile = org.get_profile(db)
    mediators = roster.list_mediators(db)
    label = "案卷" if kind == DOSSIER else DOCUMENT_LABELS.get(kind, kind)
    files: list[str] = []
    skipped: list[tuple[str, str]] = []
    try:
        for i, cid in enumerate(case_ids):
            task.report(i, len(case_ids))
            task.check()
            case = cases.get_case(db, cid)
            ok, reason = station_docs.allowed(db, "dossier" if kind == DOSSIER else kind, case)
            if not ok:  # the template's declared states: the reason names the case's state
                skipped.append((case["case_no"], reason))
                continue
            target = out / f"{safe_name(case['case_no'])}-{label}.pdf"
            try:
                if kind == DOSSIER:
                    station_docs.render_dossier(db, case, profile, target)
                else:
                    station_docs.render_document(db, kind, case, profile, target, mediators=mediators)
            except DocumentError as exc:  # refused (review window) or a missing glyph: named, not fatal
                skipped.append((case["case_no"], str(exc)))
                continue
            files.append(str(target))
        task.check()
    except BaseException:
        for f in files:
            Path(f).unlink(missing_ok=True)
        raise
    return {"files": files, "skipped": skipped, "folder": str(out)}


def print_files(paths: list[str], parent=None, printer=None) -> int:
    """Print PDFs through one print dialog (or onto `printer`); returns the pages printed."""
    from PySide6.QtCore import QPointF, QSize
    from PySide6.QtGui import QPainter
    from PySide6.QtPdf import QPdfDocument
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    if printer is None:
        printer = QPrinter(QPrinter.HighResolution)
        if QPrintDialog(printer, parent).exec() != QPrintDialog.Accepted:
            return 0
    painter = QPainter(printer)
    pages = 0
    try:
        for path in paths:
            doc = QPdfDocument()
            doc.load(str(path))
            for i in range(doc.pageCount()):
                if pages:
                    printer.newPage()
                rect = painter.viewport()
                size = doc.pagePointSize(i)
                scale = min(rect.width() / size.width(), rect.height() / size.height())
                painter.drawImage(QPointF(0, 0), doc.render(i, QSize(int(size.width() * scale), int(size.height() * scale))))
                pages += 1
            doc.close()
    finally:
        painter.end()
    return pages


class BatchPrintDialog(QDialog):
    def __init__(self, session, selected: list[str], filters, parent=None, *, sort: str = "received",
                 descending: bool = True):
        super().__init__(parent)
        self.session = session
        self.selected = list(selected)
        self.filters = filters
        self.sort, self.descending = sort, descending
        self.result_info: dict | None = None
        self.setWindowTitle("批量打印文书")
        self.setObjectName("BatchPrintDialog")
        v = QVBoxLayout(self)
        f = QFormLayout()
        self.scope_selected = QRadioButton(f"所选案件（{len(self.selected)} 件）")
        self.scope_filter = QRadioButton(f"当前筛选结果中的全部案件（最多 {FILTER_CAP} 件）")
        scope = QButtonGroup(self)
        for b in (self.scope_selected, self.scope_filter):
            scope.addButton(b)
        (self.scope_selected if self.selected else self.scope_filter).setChecked(True)
        self.scope_selected.setEnabled(bool(self.selected))
        box = QVBoxLayout()
        box.addWidget(self.scope_selected)
        box.addWidget(self.scope_filter)
        f.addRow("范围", box)
        self.kind = QComboBox()
        self.kind.setObjectName("kind")
        for key, label in kinds():
            self.kind.addItem(label, key)
        f.addRow("文书", self.kind)
        self.to_printer = QRadioButton("直接打印（生成后选择打印机）")
        self.to_folder = QRadioButton("保存 PDF 到文件夹")
        out = QButtonGroup(self)
        out.addButton(self.to_printer)
        out.addButton(self.to_folder)
        self.to_printer.setChecked(True)
        row = QHBoxLayout()
        self.folder = QLineEdit()
        self.folder.setObjectName("folder")
        pick = QPushButton("选择…")
        pick.clicked.connect(self._pick)
        row.addWidget(self.folder, 1)
        row.addWidget(pick)
        box = QVBoxLayout()
        box.addWidget(self.to_printer)
        box.addWidget(self.to_folder)
        box.addLayout(row)
        f.addRow("输出", box)
        v.addLayout(f)
        self.summary = QLabel()
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextSelectableByMouse)
        v.addWidget(self.summary)
        self.error = ErrorLabel()
        v.addWidget(self.error)
        row = QHBoxLayout()
        row.addStretch()
        self.start_button = QPushButton("开始")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        close = QPushButton("关闭")
        close.clicked.connect(self.reject)
        row.addWidget(self.start_button)
        row.addWidget(close)
        v.addLayout(row)
        self.folder.textChanged.connect(lambda t: t and self.to_folder.setChecked(True))

    def _pick(self) -> None:
        from desktop.ui.filedialogs import folder_path

        d = folder_path(self, "选择保存文件夹")
        if d:
            self.folder.setText(d)

    def case_ids(self, db=None) -> list[str]:
        if self.scope_selected.isChecked():
            return list(self.selected)
        return filter_ids(db or self.session.db, self.filters, sort=self.sort, descending=self.descending)

    def start(self) -> None:
        if self.to_folder.isChecked():
            folder = self.folder.text().strip()
            if not folder:
                self.error.show_message("请选择保存 PDF 的文件夹")
                return
            self.render_to(folder, then_print=False)
        else:
            self.render_to(tempfile.mkdtemp(prefix="md-batch-"), then_print=True)

    def render_to(self, folder: str, *, then_print: bool = False):
        kind = self.kind.currentData()
        by_filter = not self.scope_selected.isChecked()
        selected, filters, sort, desc = list(self.selected), self.filters, self.sort, self.descending
        self.error.show_message("")

        def work(db, task):
            ids = filter_ids(db, filters, sort=sort, descending=desc) if by_filter else selected
            task.total = len(ids)
            return render_batch(db, task, ids, kind, folder)

        def done(info):
            self.result_info = info
            lines = [f"已生成 {len(info['files'])} 份 PDF" + ("" if then_print else f"，保存在 {info['folder']}")]
            if info["skipped"]:
                lines.append(f"跳过 {len(info['skipped'])} 件：")
                lines += [f"　{no}：{why}" for no, why in info["skipped"][:20]]
                if len(info["skipped"]) > 20:
                    lines.append(f"　……另有 {len(info['skipped']) - 20} 件")
            self.summary.setText("\n".join(lines))
            if then_print:
                # into memory, then the temporary folder goes at once: no plaintext copies stay on disk
                import shutil

                from desktop.ui.pdf_preview import start_print

                datas = [Path(f).read_bytes() for f in info["files"]]
                shutil.rmtree(info["folder"], ignore_errors=True)
                if datas:  # printed on a helper thread with progress: the window stays usable
                    start_print(self, datas, on_done=lambda pages: self.summary.setText(
                        self.summary.text() + f"\n已送打印机 {pages} 页"))

        def failed(exc):
            self.error.show_message(opsmod.error_text(exc))
        return self.session.ops.run(work, on_done=done, on_error=failed, label="正在生成文书…")
