"""The roster (调解员名册): add, edit, activate/deactivate with history, training, workload."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QInputDialog, QLineEdit, QPushButton, QSpinBox,
    QVBoxLayout, QWidget,
)

from desktop import roster
from desktop.security import keys
from desktop.codes import EDUCATION, EMPLOYMENT, POLITICAL_STATUS, ROSTER_ROLES, SEXES
from desktop.ui import ops as opsmod
from desktop.ui.widgets import ErrorLabel, date_edit, fill_table, iso_date, readonly_table, row_data, section


class MediatorDialog(QDialog):
    """Add or edit one mediator; the core validates (age ≥ 18 from the ID, enterprise terms ≥ 1 year)."""

    def __init__(self, session, mediator: dict | None = None, parent=None):
        super().__init__(parent)
        self.session = session
        self.mediator = mediator
        self.setWindowTitle("编辑调解员" if mediator else "新增调解员")
        from desktop.ui.widgets import fit_window

        fit_window(self, 560, 640)
        v = QVBoxLayout(self)
        f = QFormLayout()
        m = mediator or {}
        self.name = QLineEdit(m.get("name", ""))
        f.addRow("姓名", self.name)
        self.id_number = QLineEdit(m.get("id_number", ""))
        f.addRow("身份证号码", self.id_number)
        self.phone = QLineEdit(m.get("phone", ""))
        f.addRow("联系电话", self.phone)
        self.employment = QComboBox()
        for k, val in EMPLOYMENT.items():
            self.employment.addItem(val, k)
        self.employment.setCurrentIndex(max(0, self.employment.findData(m.get("employment", "part_time"))))
        f.addRow("专职/兼职", self.employment)
        self.role = QComboBox()
        for k, val in ROSTER_ROLES.items():
            self.role.addItem(val, k)
        self.role.setCurrentIndex(max(0, self.role.findData(m.get("role", "mediator"))))
        f.addRow("调解职务", self.role)
        self.political = QComboBox()
        self.political.addItem("", None)
        self.political.addItems(POLITICAL_STATUS)
        self.political.setCurrentText(m.get("political_status", ""))
        f.addRow("政治面貌", self.political)
        self.education = QComboBox()
        self.education.addItem("", None)
        self.education.addItems(EDUCATION)
        self.education.setCurrentText(m.get("education", ""))
        f.addRow("学历", self.education)
        self.employer = QLineEdit(m.get("employer", ""))
        f.addRow("工作单位", self.employer)
        self.title = QLineEdit(m.get("title", ""))
        f.addRow("单位职务/职称", self.title)
        self.certificate = QLineEdit(m.get("certificate_no", ""))
        f.addRow("调解员证号", self.certificate)
        self.speciality = QLineEdit(m.get("speciality", ""))
        f.addRow("擅长领域", self.speciality)
        self.term_start = date_edit(m.get("term_start"))
        f.addRow("聘期起", self.term_start)
        self.term_end = date_edit(m.get("term_end"))
        if not m.get("term_end"):
            self.term_end.setDate(self.term_end.date().addYears(3))
        f.addRow("聘期止", self.term_end)
        v.addLayout(f)
        if mediator:
            v.addWidget(section("启用/停用记录"))
            hist = readonly_table(["日期", "状态", "原因"])
            fill_table(hist, [[h["date"], "启用" if h["active"] else "停用", h.get("reason", "")]
                              for h in mediator.get("history") or []])
            hist.setMaximumHeight(110)
            v.addWidget(hist)
            v.addWidget(section("培训记录"))
            tr = readonly_table(["日期", "培训内容", "学时", "组织单位"])
            fill_table(tr, [[t["date"], t["title"], t.get("hours", ""), t.get("organizer", "")]
                            for t in mediator.get("training") or []])
            tr.setMaximumHeight(110)
            v.addWidget(tr)
        self.error = ErrorLabel()
        v.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Save).setText("保存")
        buttons.button(QDialogButtonBox.Cancel).setText("取消")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        v.addWidget(buttons)

    def record(self) -> dict:
        r = {"name": self.name.text().strip(), "employment": self.employment.currentData(),
             "role": self.role.currentData(), "term_start": iso_date(self.term_start), "term_end": iso_date(self.term_end)}
        for k, w in (("id_number", self.id_number), ("phone", self.phone), ("employer", self.employer),
                     ("title", self.title), ("certificate_no", self.certificate), ("speciality", self.speciality)):
            if w.text().strip():
                r[k] = w.text().strip()
        for k, w in (("political_status", self.political), ("education", self.education)):
            if w.currentText():
                r[k] = w.currentText()
        return r

    def save(self) -> None:
        rec, user = self.record(), self.session.user
        if self.mediator:
            mid = self.mediator["id"]
            fn = lambda db, task: roster.update_mediator(db, mid, rec, user)  # noqa: E731
        else:
            fn = lambda db, task: roster.add_mediator(db, rec, user)  # noqa: E731
        self.session.ops.run(fn, on_done=lambda _m: (self.session.changed("roster"), self.accept()),
                             on_error=lambda exc: self.error.show_message(opsmod.error_text(exc)))


class TrainingDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("添加培训记录")
        f = QFormLayout(self)
        self.date = date_edit()
        f.addRow("日期", self.date)
        self.title = QLineEdit()
        f.addRow("培训内容", self.title)
        self.hours = QSpinBox()
        self.hours.setRange(1, 500)
        self.hours.setValue(8)
        f.addRow("学时", self.hours)
        self.organizer = QLineEdit()
        f.addRow("组织单位", self.organizer)
        b = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        b.accepted.connect(self.accept)
        b.rejected.connect(self.reject)
        f.addRow(b)

    def record(self) -> dict:
        r = {"date": iso_date(self.date), "title": self.title.text().strip(), "hours": self.hours.value()}
        if self.organizer.text().strip():
            r["organizer"] = self.organizer.text().strip()
        return r


class RosterPage(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setObjectName("RosterPage")
        v = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText("按姓名筛选")
        self.search.textChanged.connect(self.refresh)
        self.active = QComboBox()
        for label, val in (("全部", None), ("在任", True), ("已停用", False)):
            self.active.addItem(label, val)
        self.active.currentIndexChanged.connect(self.refresh)
        bar.addWidget(self.search, 2)
        bar.addWidget(self.active)
        for text, slot in (("新增…", self.add), ("编辑…", self.edit), ("启用/停用…", self.toggle),
                           ("添加培训记录…", self.training)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            bar.addWidget(b)
        v.addLayout(bar)
        self.table = readonly_table(["姓名", "性别", "职务", "专职/兼职", "联系电话", "状态", "在办案件", "调解员证号",
                                     "聘期", "培训次数"])
        self.table.setObjectName("roster_table")
        self.table.doubleClicked.connect(lambda *_: self.edit())
        v.addWidget(self.table, 1)
        self.message = ErrorLabel()
        v.addWidget(self.message)
        self.refresh()

    def refresh(self, *_) -> None:
        ms = roster.list_mediators(self.session.db, active=self.active.currentData(), masked=True,
                                   search=self.search.text().strip())
        self.mediators = ms
        # sex is sealed beside an ID number and masked in the list (issue 15); a user holding the data
        # key still sees it in this column (phones and ID numbers stay masked on screen)
        sexes = {} if keys.unlocked(self.session.db) is None else {
            m["id"]: m.get("sex") for m in roster.list_mediators(self.session.db, active=self.active.currentData(),
                                                                 search=self.search.text().strip())}
        fill_table(self.table, [[m["name"], SEXES.get(sexes.get(m["id"], m.get("sex")), ""), ROSTER_ROLES.get(m.get("role"), ""),
                                 EMPLOYMENT.get(m.get("employment"), ""), m.get("phone", ""),
                                 "在任" if m["active"] else "已停用", m["open_cases"], m.get("certificate_no", ""),
                                 f"{m.get('term_start', '')}—{m.get('term_end', '')}", len(m.get("training") or [])]
                                for m in ms], [m["id"] for m in ms])

    def _selected(self) -> dict | None:
        mid = row_data(self.table)
        return roster.get_mediator(self.session.db, mid) if mid else None

    def add(self) -> "MediatorDialog":
        d = MediatorDialog(self.session, None, self)
        d.accepted.connect(self.refresh)
        d.open()
        self.dialog = d
        return d

    def edit(self) -> None:
        m = self._selected()
        if m:
            d = MediatorDialog(self.session, m, self)
            d.accepted.connect(self.refresh)
            d.open()

    def toggle(self) -> None:
        m = self._selected()
        if not m:
            return
        verb = "停用" if m["active"] else "启用"
        reason, ok = QInputDialog.getText(self, f"{verb}调解员", f"{verb}「{m['name']}」的原因（记入启用/停用记录）：")
        if not ok:
            return
        user, active = self.session.user, not m["active"]
        self.session.ops.run(lambda db, task: roster.set_active(db, m["id"], active, user, reason=reason.strip()),
                             on_done=lambda _r: (self.session.changed("roster"), self.refresh()),
                             on_error=lambda exc: self.message.show_message(opsmod.error_text(exc)))

    def training(self) -> None:
        m = self._selected()
        if not m:
            return
        d = TrainingDialog(self)
        if d.exec() != QDialog.Accepted:
            return
        rec, user = d.record(), self.session.user
        self.session.ops.run(lambda db, task: roster.add_training(db, m["id"], rec, user),
                             on_done=lambda _r: self.refresh(),
                             on_error=lambda exc: self.message.show_message(opsmod.error_text(exc)))
