"""录入全年放假通知: paste the State Council's holiday notice for a year, see at once whether it reads
as a complete year, and enter it (every stored deadline is then recomputed).

The reading and the completeness check are the core's (`desktop.holidays`); entering is
`workcal.enter_notice`, run on the program's worker thread.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox, QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QPlainTextEdit, QSpinBox, QVBoxLayout,
)

from desktop import clock, holidays, workcal
from desktop.errors import InputError
from desktop.ui import ops as opsmod
from desktop.ui.widgets import ErrorLabel


class HolidayNoticeDialog(QDialog):
    def __init__(self, session, parent=None, *, on_entered=None):
        super().__init__(parent)
        self.session = session
        self.on_entered = on_entered
        self.notice: holidays.Notice | None = None
        self.setWindowTitle("录入全年放假通知")
        v = QVBoxLayout(self)
        v.addWidget(QLabel("将国务院办公厅《关于××年部分节假日安排的通知》原文粘贴到下面，"
                           "程序会读出放假日和调休上班日，并检查全年安排是否完整。"))
        row = QHBoxLayout()
        row.addWidget(QLabel("年份"))
        self.year = QSpinBox()
        self.year.setObjectName("noticeYear")
        self.year.setRange(holidays.FIRST_LAW_YEAR, 2100)
        today = clock.today()
        self.year.setValue(today.year + 1 if today.month >= 10 else today.year)  # notices come out in autumn
        row.addWidget(self.year)
        row.addStretch(1)
        v.addLayout(row)
        self.text = QPlainTextEdit()
        self.text.setObjectName("noticeText")
        self.text.setPlaceholderText("一、元旦：1月1日（周五）至3日（周日）放假，共3天。\n二、春节：……")
        v.addWidget(self.text)
        self.special = QCheckBox("本年有特别放假安排（放假与调休天数不平衡时仍录入）")
        self.special.setObjectName("noticeSpecial")
        v.addWidget(self.special)
        self.result = ErrorLabel()
        self.result.setObjectName("noticeResult")
        self.result.setWordWrap(True)
        v.addWidget(self.result)
        buttons = QDialogButtonBox()
        self.enter_button = buttons.addButton("录入并重新计算期限", QDialogButtonBox.AcceptRole)
        self.enter_button.setObjectName("noticeEnter")
        buttons.addButton("取消", QDialogButtonBox.RejectRole)
        buttons.accepted.connect(self.enter)
        buttons.rejected.connect(self.reject)
        v.addWidget(buttons)
        self.text.textChanged.connect(self.check)
        self.year.valueChanged.connect(self.check)
        self.special.toggled.connect(self.check)
        self.check()

    def check(self) -> None:
        """Read and check the pasted text as it is typed; only a complete year can be entered."""
        self.notice = None
        self.enter_button.setEnabled(False)
        text = self.text.toPlainText()
        if not text.strip():
            self.result.setStyleSheet("")
            self.result.setText("")
            return
        try:
            notice = holidays.parse_notice(text, self.year.value())
        except InputError as exc:
            self._show(False, "\n".join(exc.messages))
            return
        problems = holidays.notice_problems(notice, allow_unbalanced=self.special.isChecked())
        if problems:
            self._show(False, f"{notice.summary()}；安排不完整：\n" + "\n".join(problems))
            return
        self.notice = notice
        self.enter_button.setEnabled(True)
        self._show(True, f"{notice.summary()}；全年安排完整，可以录入")

    def _show(self, ok: bool, text: str) -> None:
        self.result.setStyleSheet("color: #1b5e20;" if ok else "color: #b3261e;")
        self.result.setText(text)

    def enter(self) -> None:
        if self.notice is None:
            return
        notice, user, special = self.notice, self.session.user, self.special.isChecked()
        self.enter_button.setEnabled(False)

        def done(result):
            self.session.changed("calendar")
            if self.on_entered:
                self.on_entered(result)
            self.accept()

        def failed(exc):
            self._show(False, opsmod.error_text(exc))
            self.enter_button.setEnabled(True)
        self.session.ops.run(lambda db, task: workcal.enter_notice(db, notice, user, allow_unbalanced=special),
                             on_done=done, on_error=failed, label="正在录入放假安排并重新计算期限…")
