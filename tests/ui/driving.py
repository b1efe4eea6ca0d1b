"""Driving real widgets the way a clerk does: typing (Chinese too), mouse clicks, combo pop-ups,
table cells, and answering modal dialogs that block inside exec() — plus the visible-text scan."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton, QApplication, QComboBox, QGroupBox, QHeaderView, QLabel, QLineEdit, QListWidget, QMenu,
    QMessageBox, QPlainTextEdit, QTabWidget, QTableView, QTableWidget, QTextBrowser, QWidget,
)


def type_text(widget, text: str) -> None:
    """Key presses carrying the text (QTest.keyClicks only handles ASCII)."""
    for ch in text:
        for kind in (QEvent.KeyPress, QEvent.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key_unknown, Qt.NoModifier, ch))


def click(qtbot, widget, pos: QPoint | None = None) -> None:
    from PySide6.QtWidgets import QCheckBox, QRadioButton

    assert widget.isVisible() and widget.isEnabled(), f"cannot click {widget}"
    if pos is None and isinstance(widget, (QCheckBox, QRadioButton)):
        pos = QPoint(8, widget.height() // 2)  # on the box itself (a form row may be wider than its label)
    qtbot.mouseClick(widget, Qt.LeftButton, pos=pos if pos is not None else widget.rect().center())


def click_text(qtbot, parent, text: str) -> None:
    """Click the visible button of `parent` whose label is `text`."""
    for b in parent.findChildren(QAbstractButton):
        if b.text() == text and b.isVisible():
            click(qtbot, b)
            return
    raise AssertionError(f"no visible button 「{text}」")


def fill(qtbot, line_edit, text: str) -> None:
    """Click into a field, select what is there and type over it."""
    click(qtbot, line_edit)
    line_edit.selectAll()
    if text.isascii():
        qtbot.keyClicks(line_edit, text)
    else:
        type_text(line_edit, text)


def choose(qtbot, combo: QComboBox, data=None, text: str | None = None) -> None:
    """Open the combo's pop-up and click the entry (by its data or its text)."""
    idx = combo.findData(data) if text is None else combo.findText(text, Qt.MatchContains)
    assert idx >= 0, f"{combo} has no {data or text}"
    combo.showPopup()
    view = combo.view()
    qtbot.waitUntil(lambda: view.isVisible(), timeout=20000)
    index = view.model().index(idx, combo.modelColumn())
    view.scrollTo(index)
    rect = view.visualRect(index)
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: combo.currentIndex() == idx, timeout=20000)


def edit_cell(qtbot, table: QTableWidget, row: int, col: int, text: str) -> None:
    """Double-click a cell, type into its editor, Enter."""
    table.scrollTo(table.model().index(row, col))
    rect = table.visualRect(table.model().index(row, col))
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=rect.center())  # the press a double-click follows
    qtbot.mouseDClick(table.viewport(), Qt.LeftButton, pos=rect.center())
    editor = current_editor(table, rect.center())
    assert editor is not None, "no cell editor opened"
    type_into_editor(qtbot, editor, text)


def current_editor(table, at: QPoint | None = None) -> QLineEdit | None:
    """The open cell editor (at the given cell); a closed one may linger until deleteLater runs."""
    if at is None:
        idx = table.currentIndex()
        at = table.visualRect(idx).center()
    eds = [e for e in table.viewport().findChildren(QLineEdit) if e.isVisible() and e.geometry().contains(at)]
    return eds[-1] if eds else None


def type_into_editor(qtbot, editor, text: str) -> None:
    editor.selectAll()
    if text.isascii():
        qtbot.keyClicks(editor, text)
    else:
        type_text(editor, text)
    qtbot.keyClick(editor, Qt.Key_Return)
    from shiboken6 import isValid

    # the delegate commits on the next loop (and may delete the editor)
    qtbot.waitUntil(lambda: not isValid(editor) or not editor.isVisible(), timeout=20000)


def click_tab(qtbot, tabs: QTabWidget, title: str) -> None:
    for i in range(tabs.count()):
        if tabs.tabText(i) == title:
            bar = tabs.tabBar()
            qtbot.mouseClick(bar, Qt.LeftButton, pos=bar.tabRect(i).center())
            assert tabs.currentIndex() == i
            return
    raise AssertionError(f"no tab {title}")


def when_shown(cls, action, *, exclude=()):
    """Run `action(widget)` once a new visible top-level `cls` appears (a modal dialog's exec()
    blocks the caller, so the answer is queued on the event loop before the click that opens it)."""
    before = set(id(w) for w in exclude)
    done = []

    def poll():
        for w in QApplication.topLevelWidgets():
            if isinstance(w, cls) and w.isVisible() and id(w) not in before:
                done.append(w)
                action(w)
                return
        QTimer.singleShot(20, poll)
    QTimer.singleShot(0, poll)
    return done


def answer_file_dialog(path):
    """Type a path into Qt's file dialog and press Enter (what a user does in the 文件名 field)."""
    from PySide6.QtWidgets import QFileDialog

    def act(dlg):
        from PySide6.QtWidgets import QDialogButtonBox

        dlg.setDirectory(str(Path(path).parent))  # the user goes to the folder (the USB stick)…
        edit = dlg.findChild(QLineEdit, "fileNameEdit")
        edit.selectAll()
        type_text(edit, Path(path).name)  # the dialog opens in the folder; the name is what is typed
        if edit.completer() is not None:
            edit.completer().popup().hide()  # the completion list would take the click
        box = dlg.findChild(QDialogButtonBox)
        ok = next(b for b in box.buttons() if box.buttonRole(b) == QDialogButtonBox.AcceptRole)
        ok.click()  # (a synthetic mouse click on it is swallowed by the completer's popup filter)
    return when_shown(QFileDialog, act)


def answer_message_box(button=QMessageBox.Yes, seen: list | None = None):
    def act(box):
        if seen is not None:
            seen.append(box.text())
        QTest.mouseClick(box.button(button), Qt.LeftButton)
    return when_shown(QMessageBox, act)


# --- what is on screen ---------------------------------------------------------------------------
ALLOWED = {
    "PDF", "WPS", "Excel", "CSV", "JSON", "Ctrl", "Shift", "Alt", "Tab", "Esc", "Enter", "PageUp", "PageDown",
    "Qt", "Python", "U", "F", "TrueType", "Lines", "Y", "N",  # U 盘; JSON Lines; Qt's 是(&Y)/否(&N) mnemonics
}
FILE_NAME = re.compile(r"[\w.\-]+\.(?:bundle|json|pdf|xlsx|csv|sqlite|ttf|ttc|jsonl|card)\b", re.I)
PATH = re.compile(r"(?:[A-Za-z]:)?[/\\][^\s，。；：、（）()]*")
ID_LIKE = re.compile(r"[\d*]{14,17}[\dXx]")  # ID numbers (masked too) end in X
# Unified social credit codes (GB 32100: 18 characters, digits and capitals without I O Z S V), e.g.
# 91330481NNYLLFUXTN — data: the demo draws them at random, so a letter run in one is not wording.
CREDIT_CODE = re.compile(r"(?<![0-9A-Z])[0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{9}[0-9A-HJ-NP-RTUW-Y*](?![0-9A-Z])")
MNEMONIC = re.compile(r"&(?=\w)")
EXTENSION = re.compile(r"\*?\.(?:bundle|json|pdf|xlsx|csv|sqlite|ttf|ttc|jsonl|card)\b", re.I)
SHORTCUT = re.compile(r"(?:(?:Ctrl|Shift|Alt)\+)+(?:\w+|[-+=])|\bF\d{1,2}\b")


def _plain(text: str) -> str:
    if "<" in text and ">" in text:
        from PySide6.QtGui import QTextDocumentFragment

        text = QTextDocumentFragment.fromHtml(text).toPlainText()
    return text


def problems_in(text: str) -> list[str]:
    """ASCII identifiers on screen: {placeholders}, snake_case, English words (codes with digits —
    ID numbers, station numbers, fingerprints — and file names are data, not wording)."""
    t = _plain(text or "")
    found = [m.group(0) for m in re.finditer(r"\{[^}]*\}", t)]
    t = CREDIT_CODE.sub(" ", ID_LIKE.sub(" ", t))
    t = EXTENSION.sub(" ", SHORTCUT.sub(" ", FILE_NAME.sub(" ", PATH.sub(" ", MNEMONIC.sub("", t)))))
    for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", t):
        if "_" in w:
            found.append(w)
        elif w.isalpha() and w not in ALLOWED:
            found.append(w)
    return found


def visible_texts(top: QWidget) -> list[tuple[str, str]]:
    """(where, text) for every piece of wording a user can see in `top` as it is now."""
    out = [("窗口标题", top.windowTitle())]

    def shown(w):
        return w is top or w.isVisibleTo(top)
    for w in [top] + top.findChildren(QWidget):
        if not shown(w):
            continue
        name = f"{type(w).__name__}({w.objectName()})"
        if w.toolTip():
            out.append((name + ".toolTip", w.toolTip()))
        if isinstance(w, QLabel):
            out.append((name, w.text()))
        elif isinstance(w, QAbstractButton):
            out.append((name, w.text()))
        elif isinstance(w, QGroupBox):
            out.append((name, w.title()))
        elif isinstance(w, QLineEdit):
            out.append((name + ".placeholder", w.placeholderText()))
        elif isinstance(w, QPlainTextEdit):
            out.append((name + ".placeholder", w.placeholderText()))
        elif isinstance(w, QComboBox):
            out += [(name, w.itemText(i)) for i in range(w.count())]
        elif isinstance(w, QTabWidget):
            out += [(name, w.tabText(i)) for i in range(w.count())]
        elif isinstance(w, QTextBrowser):
            out.append((name, w.toPlainText()))
        elif isinstance(w, QListWidget):
            out += [(name, w.item(i).text()) for i in range(w.count())]
        elif isinstance(w, QTableWidget):
            for c in range(w.columnCount()):
                h = w.horizontalHeaderItem(c)
                if h is not None:
                    out.append((name + ".header", h.text()))
            for r in range(w.rowCount()):
                for c in range(w.columnCount()):
                    it = w.item(r, c)
                    if it is not None:
                        out.append((name, it.text()))
        elif isinstance(w, QTableView) and w.model() is not None:
            m = w.model()
            for r in range(min(m.rowCount(), 30)):
                for c in range(m.columnCount()):
                    if not w.isColumnHidden(c):
                        out.append((name, str(m.data(m.index(r, c)) or "")))
        elif isinstance(w, QHeaderView):
            m = w.model()
            if m is not None:
                out += [(name, str(m.headerData(i, w.orientation()) or "")) for i in range(m.columnCount()
                        if w.orientation() == Qt.Horizontal else 0)]
    if hasattr(top, "menuBar") and callable(top.menuBar):
        for menu in top.menuBar().findChildren(QMenu):
            out.append(("菜单", menu.title()))
            out += [("菜单项", a.text()) for a in menu.actions()]
    if isinstance(top, QMessageBox):
        out.append(("消息", top.text()))
    return out


def scan(top: QWidget) -> list[str]:
    bad = []
    for where, text in visible_texts(top):
        for p in problems_in(text):
            bad.append(f"{where}: {p!r} in {text[:80]!r}")
    return bad
