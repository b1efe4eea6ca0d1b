"""The case list (案件): a lazily loaded table model over desktop/caselist.py, filters and instant search.

The model holds only the pages the view has asked for: `fetchMore` reads the next 256-row keyset
page when the user scrolls near the end, so 1,000,000 cases cost what a few hundred cost.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton,
    QTableView, QVBoxLayout, QWidget,
)

from desktop import caselist
from desktop.caselist import COLUMNS, Filters
from desktop.codes import DISPUTE_TYPES, STATUSES
from desktop.ui.widgets import date_edit, iso_date

OVERDUE = QBrush(QColor("#b3261e"))
PROVISIONAL = QBrush(QColor("#7a5c00"))


class CaseTableModel(QAbstractTableModel):
    def __init__(self, db, parent=None, page_size: int = caselist.PAGE_SIZE):
        super().__init__(parent)
        self.db = db
        self.page_size = page_size
        self.filters = Filters()
        self.sort_name = "received"
        self.descending = True
        self.rows: list[caselist.Row] = []
        self.exhausted = False
        self.reload()

    # --- loading --------------------------------------------------------------------------
    def _page(self, after=None) -> list[caselist.Row]:
        return caselist.page(self.db, self.filters, sort=self.sort_name, descending=self.descending,
                             after=after, limit=self.page_size)

    def reload(self) -> None:
        self.beginResetModel()
        self.rows = self._page()
        self.exhausted = len(self.rows) < self.page_size
        self.endResetModel()

    def set_filters(self, filters: Filters) -> None:
        self.filters = filters
        self.reload()

    def canFetchMore(self, parent=QModelIndex()) -> bool:
        return not parent.isValid() and not self.exhausted

    def fetchMore(self, parent=QModelIndex()) -> None:
        if parent.isValid() or self.exhausted:
            return
        more = self._page(self.rows[-1].sort_key if self.rows else None)
        self.exhausted = len(more) < self.page_size
        if more:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(more) - 1)
            self.rows.extend(more)
            self.endInsertRows()

    # --- Qt model API ---------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self.rows)) or not (0 <= index.column() < len(COLUMNS)):
            return None
        row = self.rows[index.row()]
        key = COLUMNS[index.column()][0]
        if role == Qt.DisplayRole:
            return row.cell(key)
        if role == Qt.ForegroundRole:
            if key in ("deadline", "status") and row.overdue:
                return OVERDUE
            if key == "deadline" and row.provisional:
                return PROVISIONAL
        if role == Qt.ToolTipRole and key == "deadline" and row.provisional:
            return "该期限超出节假日日历覆盖的年份，按周一至周五工作日暂定计算"
        if role == Qt.UserRole:
            return row.id
        return None

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == Qt.DisplayRole and orientation == Qt.Horizontal and 0 <= section < len(COLUMNS):
            return COLUMNS[section][1]
        if role == Qt.ToolTipRole and orientation == Qt.Horizontal and 0 <= section < len(COLUMNS):
            return "点击排序" if COLUMNS[section][2] else "此列不能排序"
        return None

    def sortable(self, column: int) -> bool:
        return 0 <= column < len(COLUMNS) and COLUMNS[column][2] is not None

    def sort(self, column, order=Qt.AscendingOrder) -> None:
        if not self.sortable(column):
            return  # only index-backed sorts stay fast at 1M rows
        self.sort_name = COLUMNS[column][2]
        self.descending = order == Qt.DescendingOrder
        self.reload()

    def sort_column(self) -> int:
        return next(i for i, c in enumerate(COLUMNS) if c[2] == self.sort_name)


class CasesPage(QWidget):
    open_case = Signal(str)
    register_new = Signal()

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setObjectName("CasesPage")
        lay = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText("搜索：姓名、身份证号码、用人单位、案号（输入即查）")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.apply_filters)
        bar.addWidget(self.search, 3)
        self.status = QComboBox()
        self.status.addItem("全部状态", None)
        for k, v in STATUSES.items():
            self.status.addItem(v, k)
        self.status.addItem("逾期", "overdue")
        bar.addWidget(self.status)
        self.type = QComboBox()
        self.type.addItem("全部争议类型", None)
        for k, v in DISPUTE_TYPES.items():
            self.type.addItem(v, k)
        bar.addWidget(self.type)
        self.mediator = QComboBox()
        self.mediator.addItem("全部调解员", None)
        for name in caselist.mediator_names(session.db):
            self.mediator.addItem(name, name)
        bar.addWidget(self.mediator)
        self.new_button = QPushButton("登记新申请…")
        self.new_button.clicked.connect(self.register_new)
        self.new_button.setVisible(session.user.can("write"))
        bar.addWidget(self.new_button)
        self.print_button = QPushButton("批量打印…")
        self.print_button.setObjectName("batch_print")
        self.print_button.setToolTip("为所选案件（按住 Ctrl 或 Shift 多选）或当前筛选的全部案件打印文书")
        self.print_button.clicked.connect(self.batch_print)
        bar.addWidget(self.print_button)
        lay.addLayout(bar)
        bar2 = QHBoxLayout()
        self.use_dates = QCheckBox("收到日期")
        self.date_from = date_edit()
        self.date_from.setDate(self.date_from.date().addMonths(-3))
        self.date_to = date_edit()
        bar2.addWidget(self.use_dates)
        bar2.addWidget(self.date_from)
        bar2.addWidget(QLabel("至"))
        bar2.addWidget(self.date_to)
        self.collective = QCheckBox("集体争议")
        self.migrant = QCheckBox("农民工")
        bar2.addWidget(self.collective)
        bar2.addWidget(self.migrant)
        bar2.addStretch()
        self.count_label = QLabel()
        self.count_label.setObjectName("count")
        bar2.addWidget(self.count_label)
        lay.addLayout(bar2)
        for w in (self.status, self.type, self.mediator):
            w.currentIndexChanged.connect(self.apply_filters)
        for w in (self.use_dates, self.collective, self.migrant):
            w.toggled.connect(self.apply_filters)
        for w in (self.date_from, self.date_to):
            w.dateChanged.connect(lambda *_: self.use_dates.isChecked() and self.apply_filters())

        self.model = CaseTableModel(session.db, self)
        self.view = QTableView()
        self.view.setObjectName("case_table")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.ExtendedSelection)  # several cases for batch printing
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        vh = self.view.verticalHeader()
        vh.setVisible(False)
        vh.setSectionResizeMode(QHeaderView.Fixed)  # uniform rows: no per-row measuring
        vh.setDefaultSectionSize(self.fontMetrics().height() + 8)
        hh = self.view.horizontalHeader()
        hh.setSectionsMovable(True)
        hh.setStretchLastSection(True)
        for col, width in enumerate((230, 90, 95, 120, 150, 230, 130, 130, 160, 100, 90)):
            self.view.setColumnWidth(col, width)
        self.view.setSortingEnabled(True)
        hh.setSortIndicator(self.model.sort_column(), Qt.DescendingOrder)
        hh.sortIndicatorChanged.connect(self._sort_changed)
        self.view.doubleClicked.connect(self._activated)
        self.view.activated.connect(self._activated)
        lay.addWidget(self.view, 1)
        state = QSettings().value("cases/header")
        if state is not None:
            hh.restoreState(state)
        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(150)  # counting waits until typing pauses
        self._count_timer.timeout.connect(self.update_count)
        self.update_count()

    def save_layout(self) -> None:
        QSettings().setValue("cases/header", self.view.horizontalHeader().saveState())

    def filters(self) -> Filters:
        status = self.status.currentData()
        f = Filters(status=status if status != "overdue" else None, overdue=status == "overdue",
                    dispute_type=self.type.currentData(), mediator=self.mediator.currentData(),
                    collective=self.collective.isChecked(), migrant=self.migrant.isChecked(),
                    search=self.search.text())
        if self.use_dates.isChecked():
            f.date_from, f.date_to = iso_date(self.date_from), iso_date(self.date_to)
        return f

    def apply_filters(self, *_) -> None:
        self.model.set_filters(self.filters())
        self._count_timer.start()

    def update_count(self) -> None:
        n, capped = caselist.count(self.session.db, self.model.filters)
        self.count_label.setText(f"共 {n}{'+' if capped else ''} 件")

    def refresh(self) -> None:
        self.model.reload()
        self._count_timer.start()

    def _sort_changed(self, column: int, order) -> None:
        if not self.model.sortable(column):
            hh = self.view.horizontalHeader()
            hh.blockSignals(True)
            hh.setSortIndicator(self.model.sort_column(),
                                Qt.DescendingOrder if self.model.descending else Qt.AscendingOrder)
            hh.blockSignals(False)

    def selected_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        return [self.model.rows[r].id for r in rows if r < len(self.model.rows)]

    def batch_print(self):
        from desktop.ui.batch_print import BatchPrintDialog

        dlg = BatchPrintDialog(self.session, self.selected_ids(), self.model.filters, self,
                               sort=self.model.sort_name, descending=self.model.descending)
        dlg.setAttribute(Qt.WA_DeleteOnClose)
        dlg.open()
        return dlg

    def _activated(self, index) -> None:
        cid = self.model.data(index, Qt.UserRole)
        if cid:
            self.open_case.emit(cid)
