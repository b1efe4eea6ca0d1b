"""Change a case's mediators after acceptance, with a reason (recorded in the case history)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit

from desktop import roster
from desktop.ui.widgets import ErrorLabel


class ReassignDialog(QDialog):
    def __init__(self, session, current: list[dict], parent=None):
        super().__init__(parent)
        self.setWindowTitle("调整调解员")
        f = QFormLayout(self)
        f.addRow(QLabel("调整后的调解员将写入案件历史。因当事人申请回避而更换的，请用“记录回避申请”。"))
        ms = roster.list_mediators(session.db, active=True, masked=True)
        now = {m["role"]: m["name"] for m in current}
        self.combos = {}
        for role, label, blank in (("lead", "首席调解员", "（请选择）"), ("member", "调解员", "（不指派）"),
                                   ("recorder", "记录人", "（不指派）")):
            cb = QComboBox()
            cb.addItem(blank, None)
            names = [m["name"] for m in ms]
            for m in ms:
                cb.addItem(f"{m['name']}（在办{m['open_cases']}件）", m["name"])
            if now.get(role) and now[role] not in names:  # a mediator since deactivated stays choosable
                cb.addItem(now[role], now[role])
            cb.setCurrentIndex(max(0, cb.findData(now.get(role))))
            f.addRow(label, cb)
            self.combos[role] = cb
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("如：原首席调解员长期病假")
        f.addRow("调整理由", self.reason)
        self.error = ErrorLabel()
        f.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("调整")
        buttons.button(QDialogButtonBox.Cancel).setText("取消")
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        f.addRow(buttons)
        self.reason.textEdited.connect(lambda *_: self.error.show_message(""))
        for cb in self.combos.values():
            cb.currentIndexChanged.connect(lambda *_: self.error.show_message(""))

    def team(self) -> list[dict]:
        team: list[dict] = []
        for role, cb in self.combos.items():
            name = cb.currentData()
            if name and all(m["name"] != name for m in team):
                team.append({"name": name, "role": role})
        return team

    def reason_text(self) -> str:
        return self.reason.text().strip()

    def _check(self) -> None:
        if not self.combos["lead"].currentData():
            self.error.show_message("请选择首席调解员")
            return
        if not self.reason_text():
            self.error.show_message("请填写调整理由（将记入案件历史）")
            return
        self.accept()
