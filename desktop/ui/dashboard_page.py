"""The 工作台: what is due today and soon. Every row opens its case (double-click or Enter)."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QGridLayout, QGroupBox, QHeaderView, QLabel, QTableWidgetItem, QVBoxLayout, QWidget,
)

from desktop import dashboard, org
from desktop.ui.widgets import days_text, readonly_table

RED = QBrush(QColor("#b3261e"))


def load(db) -> dict:
    """Everything the page shows, read on the reader's thread: the summary and the first-day steps."""
    from desktop.ui import first_day

    return {"summary": dashboard.summary(db), "first_day": first_day.state(db)}


def _due(row: dict, key: str = "due") -> str:
    d = row.get(key) or ""
    return d + ("（暂定）" if d and row.get("provisional") else "")


class DashboardPage(QWidget):
    """Shown at once with 正在加载… in place of the figures; the data is read on the session's reader
    (off the UI thread) and the tables fill in one per event-loop turn, so the window answers clicks
    all the while, whatever the database's size (issue 17 item 12)."""

    open_case = Signal(str)
    loaded = Signal()  # the header, the first-day panel and every table show the latest data

    SECTIONS = [
        ("overdue", "逾期案件", ["案号", "申请人", "用人单位", "事项", "期限", "逾期"]),
        ("awaiting", "待作出受理决定（3个工作日内）", ["案号", "申请人", "用人单位", "收到日期", "受理期限", "剩余"]),
        ("mediating", "调解中（按期限先后）", ["案号", "申请人", "用人单位", "调解员", "调解期限", "剩余"]),
        ("items", "协议履行到期/逾期", ["案号", "申请人", "项目", "未付金额", "履行期限", "状态", "提示"]),
        ("reviews", "仲裁审查申请期即将届满（15日）", ["案号", "申请人", "用人单位", "截止日期", "剩余"]),
        ("followups", "待回访", ["案号", "申请人", "用人单位", "最后履行期限", "履行情况"]),
    ]

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setObjectName("DashboardPage")
        lay = QVBoxLayout(self)
        self.header = QLabel()
        self.header.setObjectName("dashboard_header")
        self.header.setStyleSheet("font-size: 13pt; font-weight: bold;")
        lay.addWidget(self.header)
        from desktop.ui.first_day import FirstDayPanel

        self.first_day = FirstDayPanel(session)
        lay.addWidget(self.first_day)
        grid = QGridLayout()
        lay.addLayout(grid, 1)
        self.tables = {}
        self.boxes = {}
        for i, (key, title, headers) in enumerate(self.SECTIONS):
            box = QGroupBox(title)
            v = QVBoxLayout(box)
            t = readonly_table(headers)
            t.setObjectName(f"dash_{key}")
            # column widths from the first rows only: up to 200 rows per table, measured on every layout
            t.horizontalHeader().setResizeContentsPrecision(30)
            t.doubleClicked.connect(lambda idx, t=t: self._open(t, idx.row()))
            t.activated.connect(lambda idx, t=t: self._open(t, idx.row()))
            v.addWidget(t)
            grid.addWidget(box, i // 2, i % 2)
            self.tables[key] = t
            self.boxes[key] = (box, title)
            box.setTitle(f"{title} — 正在加载…")
        self.data = None
        self.is_loaded = False
        self._fill_gen = 0
        self.refresh()

    def _open(self, table, row: int) -> None:
        item = table.item(row, 0)
        if item is not None and item.data(Qt.UserRole):
            self.open_case.emit(item.data(Qt.UserRole))

    def refresh(self) -> None:
        """Read again (after a change): on the reader when the session has one, else at once."""
        self.is_loaded = False
        self._show_header()
        reader = getattr(self.session, "reader", None)
        if reader is None:
            return self._show(load(self.session.db))
        reader.load(("dashboard", id(self)), load, self._show, self._failed)

    def _show_header(self) -> None:
        s = self.data["summary"] if self.data else None
        if s is None:
            from desktop import clock

            text = f"今天 {clock.today().isoformat()}：正在加载…"
        else:
            text = f"今天 {s['today']}：逾期 {len(s['overdue'])} 件，待受理 {len(s['awaiting'])} 件，" \
                   f"调解中 {len(s['mediating'])} 件"
            if s["provisional"]:
                text += f"；{s['provisional']} 件未结案件的期限为暂定（超出节假日日历年份）"
        # downward.pending_note's test, read here so the sync package (and its crypto) loads only
        # when there is a note: start-up stays fast (issue 17); one settings row, read at once
        note = org.get_setting(self.session.db, "downward.note")
        if note and not note.get("shown"):  # issue 16: the hub's note is shown once (here until the program closes)
            from desktop.sync import downward

            self.hub_note = f"汇总端通知（{note['hub_name']}）：{note['text']}"
            self.session.ops.run(lambda db, task: downward.mark_note_shown(db))
        if getattr(self, "hub_note", None):
            text += "\n" + self.hub_note
        self.header.setText(text)

    def _failed(self, exc: BaseException) -> None:
        from desktop import faults

        if not shiboken6.isValid(self):  # closed before the read came back
            return

        faults.log_exception(exc, "dashboard")
        self.header.setText(f"工作台数据读取失败：{faults.message(exc)}")
        self.is_loaded = True  # nothing more will come (the next change reads again)

    FIRST_ROWS = 25  # what a table shows without scrolling, filled first in every table
    STEP_ROWS = 50  # then the rest, this many rows per event-loop turn

    def _show(self, data: dict) -> None:
        """The header and the first-day panel now; the tables in small steps, one per event-loop turn
        (the first rows of every table, then the rest), so a click is answered between two steps."""
        if not shiboken6.isValid(self):  # closed before the read came back
            return
        self.data = data
        s = data["summary"]
        self._show_header()
        self.first_day.apply(data["first_day"])
        self._fill_gen += 1
        gen = self._fill_gen
        steps = []
        for key, _title, _headers in self.SECTIONS:
            steps.append((key, 0, self.FIRST_ROWS))
        for key, _title, _headers in self.SECTIONS:
            steps += [(key, a, a + self.STEP_ROWS) for a in range(self.FIRST_ROWS, len(s[key]), self.STEP_ROWS)]
        QTimer.singleShot(0, lambda: self._fill_next(gen, steps, s))

    def _fill_next(self, gen: int, steps: list, s: dict) -> None:
        if gen != self._fill_gen or not shiboken6.isValid(self):  # newer data (its own chain), or closed
            return
        self._fill(s, *steps[0])
        if steps[1:]:
            QTimer.singleShot(0, lambda: self._fill_next(gen, steps[1:], s))
        else:
            self.is_loaded = True
            self.loaded.emit()

    def _fill(self, s: dict, key: str, start: int, end: int) -> None:
        """Rows start..end of one table (start 0: the table's row count and title too)."""
        records = s[key][start:end]
        rows = [{
            "overdue": lambda r: [r["case_no"], r["worker"], r["employer"], r["what"], _due(r),
                                  days_text(r["days_left"])],
            "awaiting": lambda r: [r["case_no"], r["worker"], r["employer"], r["received_date"], _due(r),
                                   days_text(r["days_left"])],
            "mediating": lambda r: [r["case_no"], r["worker"], r["employer"], r["mediators"], _due(r),
                                    days_text(r["days_left"])],
            "items": lambda r: [r["case_no"], r["worker"], r["category_label"], r["unpaid"], _due(r),
                                days_text(r["days_left"]), r["hint"]],
            "reviews": lambda r: [r["case_no"], r["worker"], r["employer"], _due(r), days_text(r["days_left"])],
            "followups": lambda r: [r["case_no"], r["worker"], r["employer"], _due(r), r["performance"]],
        }[key](r) for r in records]
        table = self.tables[key]
        header = table.horizontalHeader()
        # sized to the contents once per step, not on every cell (which costs ~1.5 ms a cell)
        header.setSectionResizeMode(QHeaderView.Interactive)
        table.setUpdatesEnabled(False)
        try:
            if start == 0:
                table.clearContents()
                table.setRowCount(len(s[key]))
            for i, (row, r) in enumerate(zip(rows, records), start):
                late = r.get("days_left") is not None and r["days_left"] < 0
                for j, value in enumerate(row):
                    item = QTableWidgetItem("" if value is None else str(value))
                    if j == 0:
                        item.setData(Qt.UserRole, r["id"])
                    if late:
                        item.setForeground(RED)
                    table.setItem(i, j, item)
        finally:
            header.setSectionResizeMode(QHeaderView.ResizeToContents)
            header.setStretchLastSection(True)
            table.setUpdatesEnabled(True)
        if start == 0:
            n = len(s[key])
            box, title = self.boxes[key]
            box.setTitle(f"{title} — {n}{'+' if n >= dashboard.LIMIT else ''} 件")
