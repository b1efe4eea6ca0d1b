"""Date and date-time fields a clerk can type into: 20261130, 2026-11-30, 2026/11/30, 2026年11月30日,
11-30, 1130 (this year), and for times 14:30 or 1430 — plus a calendar pop-up (the ▾ button, F4 or
Alt+↓). Clicking in selects everything, so typing replaces; ↑/↓ move a day. What cannot be read
is put back to the last good value with a message at the field, never guessed.

They keep the QDateEdit/QDateTimeEdit calls the forms use: date()/setDate()/dateChanged and
dateTime()/setDateTime()/dateTimeChanged.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QDate, QDateTime, QEvent, QPoint, QTime, QTimer, Qt, Signal
from PySide6.QtWidgets import QCalendarWidget, QLineEdit, QStyle, QToolTip, QVBoxLayout, QWidget

from desktop import clock

HINT = "可输入 20261130、2026-11-30、11-30 或 1130，也可点右侧按钮选日期"
TIME_HINT = "时间可输入 14:30 或 1430"
_SEP = r"[-/.年月日\s]*"


def parse_date(text: str, year: int | None = None) -> QDate | None:
    """A typed date, or None. Month-day without a year takes `year` (this year in China time)."""
    t = text.strip()
    if not t:
        return None
    if year is None:
        year = clock.today().year
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", t)  # 20261130
    if not m:
        m = re.fullmatch(r"(\d{4})[-/.年]\s*(\d{1,2})[-/.月]\s*(\d{1,2})日?", t)  # 2026-11-30, 2026年11月30日
    if m:
        d = QDate(int(m[1]), int(m[2]), int(m[3]))
        return d if d.isValid() else None
    m = re.fullmatch(r"(\d{1,2})[-/.月]\s*(\d{1,2})日?", t) or re.fullmatch(r"(\d{2})(\d{2})", t)  # 11-30, 1130
    if m:
        d = QDate(year, int(m[1]), int(m[2]))
        return d if d.isValid() else None
    return None


def parse_time(text: str) -> QTime | None:
    t = text.strip()
    m = re.fullmatch(r"(\d{1,2})[:：时点](\d{1,2})分?", t) or re.fullmatch(r"(\d{2})(\d{2})", t) \
        or re.fullmatch(r"(\d{1,2})[时点]?", t)
    if not m:
        return None
    h, mi = int(m[1]), int(m[2]) if m.lastindex and m.lastindex >= 2 else 0
    tm = QTime(h, mi)
    return tm if tm.isValid() else None


def parse_datetime(text: str, base: QDateTime | None = None) -> QDateTime | None:
    """`2026-11-30 14:30`, `20261130 1430`, `202611301430`, `11-30 14:30`, `1130 1430`, or a time
    alone (`14:30`, keeps base's date)."""
    t = re.sub(r"\s+", " ", text.strip().replace("T", " "))
    if not t:
        return None
    m = re.fullmatch(r"(\d{8})(\d{4})", t)
    if m:
        t = f"{m[1]} {m[2]}"
    if " " in t:
        dpart, tpart = t.rsplit(" ", 1)
        d, tm = parse_date(dpart), parse_time(tpart)
        if d is None or tm is None:
            # "2026年11月30日 14:30" has no space issue; "11 30"? not a date
            return None
        return QDateTime(d, tm)
    if ":" in t or "：" in t:
        tm = parse_time(t)
        if tm is None or base is None:
            return None
        return QDateTime(base.date(), tm)
    d = parse_date(t)
    if d is None:
        return None
    return QDateTime(d, base.time() if base is not None else QTime(9, 0))


class _CalendarPopup(QWidget):
    def __init__(self, field: "_Field", date: QDate):
        super().__init__(field, Qt.Popup)
        self.field = field
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.calendar = QCalendarWidget()
        self.calendar.setGridVisible(True)
        self.calendar.setVerticalHeaderFormat(QCalendarWidget.NoVerticalHeader)
        self.calendar.setSelectedDate(date)
        self.calendar.clicked.connect(self._picked)
        self.calendar.activated.connect(self._picked)
        lay.addWidget(self.calendar)

    def _picked(self, d: QDate) -> None:
        self.field.setDate(d)
        self.close()
        self.field.setFocus()


class _Field(QLineEdit):
    """Shared part: typing, select-all on click, the calendar button, restoring bad input."""

    FORMAT = "yyyy-MM-dd"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.problem = ""
        self.popup: _CalendarPopup | None = None
        icon = self.style().standardIcon(QStyle.SP_ArrowDown)
        self.calendar_action = self.addAction(icon, QLineEdit.TrailingPosition)
        self.calendar_action.setToolTip("选择日期")
        self.calendar_action.triggered.connect(self.show_calendar)
        self.editingFinished.connect(self.commit)
        self.setToolTip(HINT)
        w = self.fontMetrics().horizontalAdvance("2026-11-30 14:30" if self.FORMAT.endswith("mm") else "2026-11-30")
        self.setMinimumWidth(w + 44)

    # --- value plumbing (subclasses) --------------------------------------------------------
    def _parse(self, text: str):
        raise NotImplementedError

    def _show(self) -> None:
        raise NotImplementedError

    def _accept(self, value) -> None:
        raise NotImplementedError

    # --- behaviour --------------------------------------------------------------------------
    def commit(self) -> bool:
        """Read what was typed; put back the last good value (and say so) when it is not a date."""
        text = self.text()
        if not self.isModified() and self.problem:
            return False  # nothing typed since the value was put back (Enter, then editingFinished)
        value = self._parse(text)
        if value is None:
            self._show()
            if text.strip() and text.strip() != self.text():
                self.problem = f"无法识别「{text.strip()}」，已恢复为 {self.text()}。{HINT}"
                if self.isVisible():
                    QToolTip.showText(self.mapToGlobal(QPoint(0, self.height())), self.problem, self)
            return False
        self.problem = ""
        self._accept(value)
        return True

    def focusInEvent(self, event) -> None:
        super().focusInEvent(event)
        QTimer.singleShot(0, self.selectAll)  # after the click placed the cursor: typing replaces

    def mousePressEvent(self, event) -> None:
        had_focus = self.hasFocus()
        super().mousePressEvent(event)
        if not had_focus:
            QTimer.singleShot(0, self.selectAll)

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key == Qt.Key_F4 or (key == Qt.Key_Down and event.modifiers() & Qt.AltModifier):
            self.show_calendar()
            return
        if key in (Qt.Key_Up, Qt.Key_Down) and not event.modifiers():
            self.commit()
            self.step_days(1 if key == Qt.Key_Up else -1)
            self.selectAll()
            return
        if key in (Qt.Key_Return, Qt.Key_Enter):
            self.commit()
            self.selectAll()
        super().keyPressEvent(event)

    def event(self, e) -> bool:
        if e.type() == QEvent.ShortcutOverride and e.key() in (Qt.Key_Up, Qt.Key_Down):
            e.accept()
        return super().event(e)

    def show_calendar(self) -> None:
        self.commit()
        self.popup = _CalendarPopup(self, self.date())
        self.popup.move(self.mapToGlobal(QPoint(0, self.height())))
        self.popup.show()
        self.popup.calendar.setFocus()

    # compatibility with QDateEdit
    def setCalendarPopup(self, _on: bool) -> None:
        pass

    def setDisplayFormat(self, _fmt: str) -> None:
        pass


class DateField(_Field):
    dateChanged = Signal(QDate)

    def __init__(self, date: QDate | None = None, parent=None):
        super().__init__(parent)
        if date is None or not date.isValid():
            t = clock.today()
            date = QDate(t.year, t.month, t.day)
        self._date = date
        self._show()

    def date(self) -> QDate:
        if self.hasFocus() or self.isModified():
            self.commit()  # a value typed but not yet confirmed (Enter/Tab) still counts
        return QDate(self._date)

    def setDate(self, d: QDate) -> None:
        if d.isValid():
            self._accept(d)

    def step_days(self, n: int) -> None:
        self.setDate(self._date.addDays(n))

    def _parse(self, text):
        return parse_date(text)

    def _show(self) -> None:
        self.setText(self._date.toString(self.FORMAT))
        self.setModified(False)

    def _accept(self, d: QDate) -> None:
        changed = d != self._date
        self._date = QDate(d)
        self._show()
        if changed:
            self.dateChanged.emit(QDate(d))


class DateTimeField(_Field):
    FORMAT = "yyyy-MM-dd HH:mm"
    dateTimeChanged = Signal(QDateTime)
    dateChanged = Signal(QDate)

    def __init__(self, value: QDateTime | None = None, parent=None):
        super().__init__(parent)
        self.setToolTip(HINT + "；" + TIME_HINT)
        if value is None or not value.isValid():
            n = clock.now_datetime()
            value = QDateTime(QDate(n.year, n.month, n.day), QTime(n.hour, n.minute))
        self._value = value
        self._show()

    def dateTime(self) -> QDateTime:
        if self.hasFocus() or self.isModified():
            self.commit()
        return QDateTime(self._value)

    def setDateTime(self, v: QDateTime) -> None:
        if v.isValid():
            self._accept(v)

    def date(self) -> QDate:
        return self.dateTime().date()

    def setDate(self, d: QDate) -> None:
        if d.isValid():
            self._accept(QDateTime(d, self._value.time()))

    def step_days(self, n: int) -> None:
        self.setDateTime(self._value.addDays(n))

    def _parse(self, text):
        return parse_datetime(text, self._value)

    def _show(self) -> None:
        self.setText(self._value.toString(self.FORMAT))
        self.setModified(False)

    def _accept(self, v: QDateTime) -> None:
        v = QDateTime(v.date(), QTime(v.time().hour(), v.time().minute()))
        changed = v != self._value
        day_changed = v.date() != self._value.date()
        self._value = v
        self._show()
        if changed:
            self.dateTimeChanged.emit(QDateTime(v))
        if day_changed:
            self.dateChanged.emit(v.date())
