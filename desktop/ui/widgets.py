"""Small shared widgets: field error labels, date edits, read-only tables, problem-path mapping."""

from __future__ import annotations

import datetime as _dt

from PySide6.QtCore import QDate, QDateTime, QObject, QEvent, QTime, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QHeaderView, QLabel, QScrollArea, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from desktop.clock import TZ

ERROR_STYLE = "color: #b3261e;"
ERROR_BG = QColor("#fde7e9")


class ErrorLabel(QLabel):
    """The red message shown next to a field (empty and hidden while the field is fine)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setStyleSheet(ERROR_STYLE)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.hide()

    def show_message(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))


class FocusOut(QObject):
    """Calls `callback(widget)` when a watched widget loses focus (validation on leaving a field)."""

    def __init__(self, callback, parent=None):
        super().__init__(parent)
        self.callback = callback

    def eventFilter(self, obj, event):
        if event.type() == QEvent.FocusOut:
            self.callback(obj)
        return False


def date_edit(value: str | None = None, parent=None):
    """A date field that takes typed 20261130 / 2026-11-30 / 11-30 / 1130 and has a calendar pop-up."""
    from desktop.ui.datefields import DateField

    d = QDate.fromString(value, "yyyy-MM-dd") if value else None
    return DateField(d, parent)  # no value: today in China time (+08:00), not the PC's own zone


def datetime_edit(value: str | None = None, parent=None):
    """A date-and-time field (typed 2026-11-30 14:30, 1130 1430, 14:30 …, calendar pop-up)."""
    from desktop.ui.datefields import DateTimeField

    if value:
        d = _dt.datetime.fromisoformat(value).astimezone(TZ)
        return DateTimeField(QDateTime(QDate(d.year, d.month, d.day), QTime(d.hour, d.minute)), parent)
    return DateTimeField(None, parent)  # now in China time


def iso_date(w) -> str:
    return w.date().toString("yyyy-MM-dd")


def iso_datetime(w) -> str:
    dt = w.dateTime()
    d, t = dt.date(), dt.time()
    return _dt.datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), tzinfo=TZ).isoformat(timespec="seconds")


def readonly_table(headers: list[str], parent=None) -> QTableWidget:
    t = QTableWidget(0, len(headers), parent)
    t.setHorizontalHeaderLabels(headers)
    t.setEditTriggers(QAbstractItemView.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectRows)
    t.setSelectionMode(QAbstractItemView.SingleSelection)
    t.verticalHeader().setVisible(False)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    t.setAlternatingRowColors(True)
    return t


def fill_table(t: QTableWidget, rows: list[list], data: list | None = None) -> None:
    """Replace a table's rows; `data[i]` is stored on the row's first cell (Qt.UserRole)."""
    t.setRowCount(len(rows))
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            item = QTableWidgetItem("" if value is None else str(value))
            if j == 0 and data is not None:
                item.setData(Qt.UserRole, data[i])
            t.setItem(i, j, item)


def row_data(t: QTableWidget, row: int | None = None):
    row = t.currentRow() if row is None else row
    if row < 0 or t.item(row, 0) is None:
        return None
    return t.item(row, 0).data(Qt.UserRole)


def scrolling_body(outer, stretch: int = 0) -> QVBoxLayout:
    """A scroll area added to `outer`, and the layout of its contents: a page or form longer than a
    small screen scrolls instead of being cut off."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    body = QWidget()
    scroll.setWidget(body)
    outer.addWidget(scroll, stretch)
    return QVBoxLayout(body)


def section(title: str) -> QLabel:
    lab = QLabel(title)
    lab.setStyleSheet("font-weight: bold; font-size: 11pt; margin-top: 6px;")
    return lab


def days_text(days: int | None) -> str:
    if days is None:
        return ""
    if days < 0:
        return f"已逾期{-days}天"
    if days == 0:
        return "今天到期"
    return f"还剩{days}天"


def fit_window(widget, width: int | None = None, height: int | None = None, avail=None) -> None:
    """Keep a window on the screen: at most the free area less room for the title bar (1366×768 and
    1280×720 included), moved back inside when a layout saved on a bigger screen would hang off."""
    from PySide6.QtWidgets import QApplication

    screen = widget.screen() or QApplication.primaryScreen()
    w = width if width is not None else widget.width()
    h = height if height is not None else widget.height()
    if avail is None and screen is None:
        widget.resize(w, h)
        return
    avail = avail if avail is not None else screen.availableGeometry()
    w, h = min(w, avail.width() - 16), min(h, avail.height() - 48)
    widget.resize(w, h)
    x = min(max(widget.x(), avail.x()), avail.right() - w)
    y = min(max(widget.y(), avail.y()), avail.bottom() - h - 32)
    widget.move(max(avail.x(), x), max(avail.y(), y))

