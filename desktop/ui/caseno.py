"""The case-number format as fields (前缀、年份、简称、字号、序号位数、结尾), never as the raw
`{year}`/`{seq:04d}` template the core stores. `text()` gives that template; `textChanged` follows."""

from __future__ import annotations

import re

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QLineEdit, QSpinBox, QWidget

_SHAPE = re.compile(r"^(?P<before>[^{}]*)\{year\}(?P<after>[^{}]*?)(?P<abbr>\{abbr\})?(?P<word>[^{}]*)"
                    r"\{seq(?::0?(?P<digits>\d+)d)?\}(?P<end>[^{}]*)$", re.S)


def _brace_free(text: str) -> str:
    return text.replace("{", "").replace("}", "")


class CaseNoTemplateEdit(QWidget):
    textChanged = Signal(str)

    def __init__(self, template: str = "", parent=None):
        super().__init__(parent)
        self.setObjectName("case_no_template")
        h = QHBoxLayout(self)
        h.setContentsMargins(0, 0, 0, 0)
        h.setSpacing(4)
        self.before = QLineEdit()
        self.before.setToolTip("年份前的符号，如〔")
        self.after = QLineEdit()
        self.after.setToolTip("年份后的符号，如〕")
        self.abbr = QCheckBox("简称")
        self.abbr.setToolTip("案号中写入组织简称（在“案号简称”中填写）")
        self.word = QLineEdit()
        self.word.setToolTip("字号，如“劳调字第”")
        self.digits = QSpinBox()
        self.digits.setRange(1, 6)
        self.digits.setSuffix(" 位")
        self.digits.setToolTip("序号位数，不足时前面补0")
        self.end = QLineEdit()
        self.end.setToolTip("结尾，如“号”")
        for e, w in ((self.before, 3), (self.after, 3), (self.end, 3), (self.word, 7)):
            e.setMaximumWidth(self.fontMetrics().horizontalAdvance("字") * w + 16)
        for w in (self.before, QLabel("年份"), self.after, self.abbr, self.word, QLabel("序号"), self.digits, self.end):
            h.addWidget(w)
        h.addStretch()
        self._custom: str | None = None
        for e in (self.before, self.after, self.word, self.end):
            e.textEdited.connect(self._edited)
        self.abbr.toggled.connect(self._edited)
        self.digits.valueChanged.connect(self._edited)
        self.setText(template)

    def setText(self, template: str) -> None:
        m = _SHAPE.match(template or "")
        widgets = (self.before, self.after, self.abbr, self.word, self.digits, self.end)
        for w in widgets:
            w.blockSignals(True)
        if m:
            self._custom = None
            self.before.setText(m["before"])
            self.after.setText(m["after"])
            self.abbr.setChecked(bool(m["abbr"]))
            self.word.setText(m["word"])
            self.digits.setValue(int(m["digits"] or 1))
            self.end.setText(m["end"])
        else:  # a format these fields cannot show: kept as it is until a field is changed
            self._custom = template
        for w in widgets:
            w.blockSignals(False)
        self.textChanged.emit(self.text())

    def text(self) -> str:
        if self._custom is not None:
            return self._custom
        seq = "{seq}" if self.digits.value() == 1 else f"{{seq:0{self.digits.value()}d}}"
        return (_brace_free(self.before.text()) + "{year}" + _brace_free(self.after.text())
                + ("{abbr}" if self.abbr.isChecked() else "") + _brace_free(self.word.text()) + seq
                + _brace_free(self.end.text()))

    def _edited(self, *_) -> None:
        self._custom = None
        self.textChanged.emit(self.text())
