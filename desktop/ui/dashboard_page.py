"""The 工作台: what is due today and soon. Every row opens its case (double-click or Enter)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from desktop import dashboard, org
from desktop.ui.widgets import days_text, fill_table, readonly_table

RED = QBrush(QColor("#b3261e"))


def _due(row: dict, key: str = "due") -> str:
    d = row.get(key) or ""
    return d + ("（暂定）" if d and row.get("provisional") else "")


class DashboardPage(QWidget):
    open_case = Signal(str)

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
            t.doubleClicked.connect(lambda idx, t=t: self._open(t, idx.row()))
            t.activated.connect(lambda idx, t=t: self._open(t, idx.row()))
            v.addWidget(t)
            grid.addWidget(box, i // 2, i % 2)
            self.tables[key] = t
            self.boxes[key] = (box, title)
        self.refresh()

    def _refresh_first_day(self) -> None:
        try:
            self.first_day.refresh()
        except RuntimeError:  # the page was closed before the timer fired
            pass

    def _open(self, table, row: int) -> None:
        item = table.item(row, 0)
        if item is not None and item.data(Qt.UserRole):
            self.open_case.emit(item.data(Qt.UserRole))

    def refresh(self) -> None:
        s = dashboard.summary(self.session.db)
        self.data = s
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, self._refresh_first_day)  # after the window has painted: start-up stays fast
        text = f"今天 {s['today']}：逾期 {len(s['overdue'])} 件，待受理 {len(s['awaiting'])} 件，调解中 {len(s['mediating'])} 件"
        if s["provisional"]:
            text += f"；{s['provisional']} 件未结案件的期限为暂定（超出节假日日历年份）"
        # downward.pending_note's test, read here so the sync package (and its crypto) loads only
        # when there is a note: start-up stays fast (issue 17)
        note = org.get_setting(self.session.db, "downward.note")
        if note and not note.get("shown"):  # issue 16: the hub's note is shown once (here until the program closes)
            from desktop.sync import downward

            self.hub_note = f"汇总端通知（{note['hub_name']}）：{note['text']}"
            self.session.ops.run(lambda db, task: downward.mark_note_shown(db))
        if getattr(self, "hub_note", None):
            text += "\n" + self.hub_note
        self.header.setText(text)
        rows = {
            "overdue": [[r["case_no"], r["worker"], r["employer"], r["what"], _due(r), days_text(r["days_left"])]
                        for r in s["overdue"]],
            "awaiting": [[r["case_no"], r["worker"], r["employer"], r["received_date"], _due(r),
                          days_text(r["days_left"])] for r in s["awaiting"]],
            "mediating": [[r["case_no"], r["worker"], r["employer"], r["mediators"], _due(r),
                           days_text(r["days_left"])] for r in s["mediating"]],
            "items": [[r["case_no"], r["worker"], r["category_label"], r["unpaid"], _due(r),
                       days_text(r["days_left"]), r["hint"]] for r in s["items"]],
            "reviews": [[r["case_no"], r["worker"], r["employer"], _due(r), days_text(r["days_left"])]
                        for r in s["reviews"]],
            "followups": [[r["case_no"], r["worker"], r["employer"], _due(r), r["performance"]]
                          for r in s["followups"]],
        }
        for key, table in self.tables.items():
            fill_table(table, rows[key], [r["id"] for r in s[key]])
            for i, r in enumerate(s[key]):
                if r.get("days_left") is not None and r["days_left"] < 0:
                    for c in range(table.columnCount()):
                        table.item(i, c).setForeground(RED)
            box, title = self.boxes[key]
            box.setTitle(f"{title} — {len(s[key])}{'+' if len(s[key]) >= dashboard.LIMIT else ''} 件")
