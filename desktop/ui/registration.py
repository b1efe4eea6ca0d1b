"""The registration form (登记): a new application, or editing a case's application and parties.

Keyboard first: fields in reading order, Ctrl+S saves, Esc cancels. Validation comes from the
core (`cases.check_record`): each problem path (`workers[0].id_number`) is shown next to the
widget it belongs to as soon as the user leaves that field, and a save with problems writes
nothing. Unsaved changes are guarded.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication, QButtonGroup, QCheckBox, QComboBox, QCompleter, QDialog, QFormLayout, QHBoxLayout, QHeaderView,
    QLabel, QLineEdit, QListWidget, QListWidgetItem, QMessageBox, QPlainTextEdit, QPushButton, QRadioButton,
    QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from desktop import cases, money, validate
from desktop.codes import APPLICANTS, DISPUTE_TYPES, SEXES, SOURCES
from desktop.ui import ops as opsmod
from desktop.ui.widgets import ERROR_BG, ErrorLabel, FocusOut, datetime_edit, iso_datetime, scrolling_body, section

# Worker table columns: (record key, heading)
WORKER_COLS = [("name", "姓名"), ("id_number", "身份证号码"), ("birth_date", "出生日期"), ("sex", "性别"),
               ("phone", "联系电话"), ("address", "住址"), ("migrant", "农民工"), ("platform", "新就业形态"),
               ("pension", "已领养老金")]
W = {k: i for i, (k, _) in enumerate(WORKER_COLS)}
CLAIM_COLS = [("text", "请求事项"), ("amount", "金额（元）")]


class RegistrationForm(QDialog):
    saved = Signal(dict)  # the stored case
    _warnings: list[tuple[str, str]] = []  # (path, message) of the last check's warnings

    def __init__(self, session, case: dict | None = None, parent=None):
        super().__init__(parent)
        self.session = session
        self.case = case
        self.setWindowTitle("修改登记信息" if case else "登记调解申请")
        self.setObjectName("RegistrationForm")
        from desktop.ui.widgets import fit_window

        fit_window(self, 980, 760)
        self.touched: set[str] = set()  # problem paths of fields the user has left at least once
        self.dirty = False
        self.saving = False
        self._errors: dict[str, ErrorLabel] = {}
        self._focus = FocusOut(self._left_field, self)
        self._build()
        if case:
            self.load(case)
        self.dirty = False

    # --- building -------------------------------------------------------------------------
    def _err(self, key: str) -> ErrorLabel:
        lab = ErrorLabel()
        lab.setObjectName(f"error:{key}")
        self._errors[key] = lab
        return lab

    def _watch(self, widget, key: str) -> None:
        widget.setProperty("problem_key", key)
        widget.installEventFilter(self._focus)

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        self.general_error = ErrorLabel()
        self.general_error.setObjectName("error:general")
        outer.addWidget(self.general_error)
        lay = scrolling_body(outer, 1)

        # application
        lay.addWidget(section("申请方式"))
        form = QFormLayout()
        mode_row = QHBoxLayout()
        self.written = QRadioButton("书面申请")
        self.oral = QRadioButton("口头申请（当场记录）")
        self.written.setChecked(True)
        self.mode_group = QButtonGroup(self)
        self.mode_group.addButton(self.written)
        self.mode_group.addButton(self.oral)
        mode_row.addWidget(self.written)
        mode_row.addWidget(self.oral)
        mode_row.addStretch()
        form.addRow("申请方式", mode_row)
        self.received = datetime_edit()
        self._watch(self.received, "application.received_at")
        form.addRow("收到申请时间", self._with_error(self.received, "application.received_at"))
        self.applicant = QComboBox()
        for k, v in APPLICANTS.items():
            self.applicant.addItem(v, k)
        form.addRow("申请人", self.applicant)
        self.source = QComboBox()
        for k, v in SOURCES.items():
            self.source.addItem(v, k)
        form.addRow("案件来源", self.source)
        self.recorder = QLineEdit()
        self.recorder.setPlaceholderText("口头申请必填：当场记录的工作人员")
        self._watch(self.recorder, "application.recorder")
        form.addRow("记录人", self._with_error(self.recorder, "application.recorder"))
        self.place = QLineEdit()
        form.addRow("记录地点", self.place)
        self.oral_hint = QLabel("口头申请须当场记录申请人基本情况、申请事项、事实和理由及申请时间，并由申请人签名或捺印"
                                "（《劳动争议调解仲裁法》第十二条）。")
        self.oral_hint.setWordWrap(True)
        self.oral_hint.setStyleSheet("color: #5f4b00;")
        form.addRow("", self.oral_hint)
        lay.addLayout(form)
        self.oral.toggled.connect(self._mode_changed)
        self._mode_changed()

        # workers
        lay.addWidget(section("劳动者（申请人）"))
        self.workers = QTableWidget(0, len(WORKER_COLS))
        self.workers.setObjectName("workers")
        self.workers.setHorizontalHeaderLabels([h for _, h in WORKER_COLS])
        self.workers.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
        for col, width in ((0, 90), (1, 170), (2, 90), (3, 50), (4, 120), (5, 200), (6, 60), (7, 90), (8, 80)):
            self.workers.setColumnWidth(col, width)
        self.workers.setMinimumHeight(130)
        self.workers.itemChanged.connect(self._worker_changed)
        self.workers.currentCellChanged.connect(self._worker_cell_left)
        lay.addWidget(self.workers)
        row = QHBoxLayout()
        add = QPushButton("添加劳动者")
        add.clicked.connect(lambda: self.add_worker())
        rem = QPushButton("删除所选")
        rem.clicked.connect(self.remove_worker)
        paste = QPushButton("从表格粘贴名单…")
        paste.setToolTip("从电子表格复制三列（姓名、身份证号码、联系电话），集体争议可一次粘贴多人")
        paste.clicked.connect(self.paste_workers)
        self.worker_count = QLabel()
        for b in (add, rem, paste):
            row.addWidget(b)
        row.addStretch()
        # LDMAL Art. 7: collective = ten or more workers with a common claim (the count alone is not enough)
        self.common_claim = QCheckBox("有共同请求（10人以上为集体争议）")
        self.common_claim.setObjectName("common_claim")
        self.common_claim.toggled.connect(lambda *_: self._changed_field("common_claim"))
        row.addWidget(self.common_claim)
        row.addWidget(self.worker_count)
        lay.addLayout(row)
        lay.addWidget(self._err("workers"))
        lay.addWidget(self._err("common_claim"))
        self.duplicate_warning = ErrorLabel()
        self.duplicate_warning.setObjectName("duplicate_warning")
        self.duplicate_warning.setStyleSheet("color: #8a5300;")
        lay.addWidget(self.duplicate_warning)
        paste_sc = QShortcut(QKeySequence.Paste, self.workers)
        paste_sc.setContext(Qt.WidgetShortcut)
        paste_sc.activated.connect(self.paste_workers)

        # employer
        lay.addWidget(section("用人单位（被申请人）"))
        eform = QFormLayout()
        self.employer_name = QLineEdit()
        self.employer_name.setObjectName("employer.name")
        self._emp_model = QStringListModel(self)
        self._emp_found: dict[str, dict] = {}
        comp = QCompleter(self._emp_model, self)
        comp.setCaseSensitivity(Qt.CaseInsensitive)
        comp.setFilterMode(Qt.MatchStartsWith)
        comp.activated.connect(self._employer_chosen)
        self.employer_name.setCompleter(comp)
        self.employer_name.textEdited.connect(self._employer_typed)
        self._watch(self.employer_name, "employer.name")
        eform.addRow("单位名称", self._with_error(self.employer_name, "employer.name"))
        self.credit_code = QLineEdit()
        self._watch(self.credit_code, "employer.credit_code")
        eform.addRow("统一社会信用代码", self._with_error(self.credit_code, "employer.credit_code"))
        self.legal_rep = QLineEdit()
        eform.addRow("法定代表人/主要负责人", self.legal_rep)
        self.emp_address = QLineEdit()
        eform.addRow("单位地址", self.emp_address)
        self.emp_phone = QLineEdit()
        self._watch(self.emp_phone, "employer.phone")
        eform.addRow("单位电话", self._with_error(self.emp_phone, "employer.phone"))
        lay.addLayout(eform)

        # dispute types
        lay.addWidget(section("争议类型与请求事项"))
        tform = QFormLayout()
        self.primary_type = QComboBox()
        self.primary_type.addItem("（请选择）", None)
        for k, v in DISPUTE_TYPES.items():
            self.primary_type.addItem(v, k)
        self._watch(self.primary_type, "dispute_types")
        tform.addRow("主要争议类型", self._with_error(self.primary_type, "dispute_types"))
        self.other_types = QListWidget()
        self.other_types.setMaximumHeight(90)
        self.other_types.setFlow(QListWidget.LeftToRight)
        self.other_types.setWrapping(True)
        for k, v in DISPUTE_TYPES.items():
            it = QListWidgetItem(v)
            it.setData(Qt.UserRole, k)
            it.setFlags(it.flags() | Qt.ItemIsUserCheckable)
            it.setCheckState(Qt.Unchecked)
            self.other_types.addItem(it)
        tform.addRow("其他争议类型", self.other_types)
        lay.addLayout(tform)
        self.claims = QTableWidget(0, 2)
        self.claims.setObjectName("claims")
        self.claims.setHorizontalHeaderLabels([h for _, h in CLAIM_COLS])
        self.claims.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.claims.setColumnWidth(1, 140)
        self.claims.setMinimumHeight(110)
        self.claims.itemChanged.connect(self._claims_changed)
        lay.addWidget(self.claims)
        crow = QHBoxLayout()
        cadd = QPushButton("添加请求事项")
        cadd.clicked.connect(self._add_claim_clicked)
        crem = QPushButton("删除所选")
        crem.clicked.connect(lambda: self._remove_row(self.claims))
        self.claims_total = QLabel("合计：￥0.00")
        self.claims_total.setObjectName("claims_total")
        crow.addWidget(cadd)
        crow.addWidget(crem)
        crow.addStretch()
        crow.addWidget(self.claims_total)
        lay.addLayout(crow)
        lay.addWidget(self._err("claims"))
        lay.addWidget(QLabel("事实和理由"))
        self.facts = QPlainTextEdit()
        self.facts.setMinimumHeight(90)
        self.facts.setTabChangesFocus(True)
        self._watch(self.facts, "facts")
        lay.addWidget(self.facts)
        lay.addWidget(self._err("facts"))

        buttons = QHBoxLayout()
        buttons.addStretch()
        self.save_button = QPushButton("保存（Ctrl+S）")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.cancel_button = QPushButton("取消（Esc）")
        self.cancel_button.clicked.connect(self.reject)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.cancel_button)
        outer.addLayout(buttons)
        QShortcut(QKeySequence.Save, self, activated=self.save)

        for w in (self.recorder, self.place, self.employer_name, self.credit_code, self.legal_rep,
                  self.emp_address, self.emp_phone):
            w.textChanged.connect(self._mark_dirty)
        self.facts.textChanged.connect(self._mark_dirty)
        self.primary_type.currentIndexChanged.connect(self._mark_dirty)
        self.primary_type.currentIndexChanged.connect(self._type_chosen)
        self.setTabOrder(self.written, self.oral)
        self.setTabOrder(self.oral, self.received)
        self.setTabOrder(self.received, self.applicant)
        self.setTabOrder(self.applicant, self.source)
        self.setTabOrder(self.source, self.recorder)
        self.setTabOrder(self.recorder, self.place)
        self.setTabOrder(self.place, self.workers)
        self.setTabOrder(self.workers, self.employer_name)
        self.setTabOrder(self.employer_name, self.credit_code)
        self.setTabOrder(self.credit_code, self.legal_rep)
        self.setTabOrder(self.legal_rep, self.emp_address)
        self.setTabOrder(self.emp_address, self.emp_phone)
        self.setTabOrder(self.emp_phone, self.primary_type)
        self.setTabOrder(self.primary_type, self.other_types)
        self.setTabOrder(self.other_types, self.claims)
        self.setTabOrder(self.claims, self.facts)
        self.setTabOrder(self.facts, self.save_button)
        if not self.case:
            self.add_worker()
            self.add_claim()
        self._update_counts()

    def _with_error(self, widget, key: str) -> QWidget:
        box = QWidget()
        v = QVBoxLayout(box)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(1)
        v.addWidget(widget)
        v.addWidget(self._err(key))
        return box

    # --- rows -----------------------------------------------------------------------------
    def _set_row(self, table: QTableWidget, row: int, values: list) -> None:
        table.blockSignals(True)
        for col, value in enumerate(values):
            if isinstance(value, bool):
                item = QTableWidgetItem()
                item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsUserCheckable | Qt.ItemIsSelectable)
                item.setCheckState(Qt.Checked if value else Qt.Unchecked)
            else:
                item = QTableWidgetItem("" if value is None else str(value))
            table.setItem(row, col, item)
        table.blockSignals(False)

    def add_worker(self, name: str = "", id_number: str = "", phone: str = "", address: str = "",
                   migrant: bool = False, platform: bool = False, pension: bool = False) -> int:
        r = self.workers.rowCount()
        self.workers.insertRow(r)
        self._set_row(self.workers, r, [name, id_number, "", "", phone, address, migrant, platform, pension])
        for col in (W["birth_date"], W["sex"]):  # filled from the ID number
            # not enabled: Tab (in a cell editor too) passes over them instead of stopping there
            self.workers.item(r, col).setFlags(Qt.NoItemFlags)
            self.workers.item(r, col).setToolTip("由身份证号码自动填写")
        self._fill_from_id(r)
        self._update_counts()
        self._mark_dirty()
        return r

    def remove_worker(self) -> None:
        self._remove_row(self.workers)
        self._update_counts()

    def _remove_row(self, table: QTableWidget) -> None:
        rows = sorted({i.row() for i in table.selectedIndexes()} or {table.currentRow()}, reverse=True)
        for r in rows:
            if r >= 0:
                table.removeRow(r)
        self._mark_dirty()
        self._claims_changed()

    def paste_workers(self, text: str | None = None) -> int:
        """Tab-separated lines (name, ID number, phone) from a spreadsheet; returns rows added."""
        text = QApplication.clipboard().text() if text is None else text
        added = 0
        # an empty first row (the form starts with one) is reused
        if self.workers.rowCount() == 1 and not self._cell(self.workers, 0, W["name"]) \
                and not self._cell(self.workers, 0, W["id_number"]):
            self.workers.removeRow(0)
        for line in text.splitlines():
            parts = [p.strip() for p in re.split(r"\t|,|，", line)]
            if not parts or not parts[0]:
                continue
            if parts[0] in ("姓名", "name"):
                continue  # a header row
            self.add_worker(parts[0], parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else "")
            added += 1
        self.touched.add("workers")
        self._validate()
        return added

    def _type_chosen(self, *_) -> None:
        """A message about the dispute type goes as soon as one is chosen."""
        if self.primary_type.currentData():
            self.touched.add("dispute_types")
            self._validate()

    def _add_claim_clicked(self) -> None:
        """The new row is where the typing goes next, not the button."""
        r = self.add_claim()
        self.claims.setFocus()
        self.claims.setCurrentCell(r, 0)
        self.claims.editItem(self.claims.item(r, 0))

    def add_claim(self, text: str = "", amount: str = "") -> int:
        r = self.claims.rowCount()
        self.claims.insertRow(r)
        self._set_row(self.claims, r, [text, amount])
        self._claims_changed()
        return r

    @staticmethod
    def _cell(table: QTableWidget, row: int, col: int) -> str:
        item = table.item(row, col)
        return item.text().strip() if item else ""

    @staticmethod
    def _checked(table: QTableWidget, row: int, col: int) -> bool:
        item = table.item(row, col)
        return bool(item and item.checkState() == Qt.Checked)

    # --- reactions ------------------------------------------------------------------------
    def _mark_dirty(self, *_):
        self.dirty = True

    def _changed_field(self, key: str) -> None:
        self.dirty = True
        self.touched.add(key)
        self._validate()

    def _mode_changed(self) -> None:
        oral = self.oral.isChecked()
        self.recorder.setEnabled(oral)
        self.place.setEnabled(oral)
        self.oral_hint.setVisible(oral)
        self._mark_dirty()
        if self.touched:
            self._validate()

    def _fill_from_id(self, row: int) -> None:
        """The ID number fills birth date and sex (GB 11643)."""
        idn = self._cell(self.workers, row, W["id_number"])
        birth = sex = ""
        if idn:
            try:
                info = validate.check_id_number(idn, on=None)
                birth, sex = info.birth_date.isoformat(), SEXES.get(info.sex, "")
            except validate.FieldError:
                pass
        self.workers.blockSignals(True)
        self.workers.item(row, W["birth_date"]).setText(birth)
        self.workers.item(row, W["sex"]).setText(sex)
        self.workers.blockSignals(False)

    def _worker_changed(self, item: QTableWidgetItem) -> None:
        self._mark_dirty()
        if item.column() == W["id_number"]:
            self._fill_from_id(item.row())
            self._check_duplicates()
        self.touched.add(f"workers[{item.row()}].{WORKER_COLS[item.column()][0]}")
        self._validate()

    def _worker_cell_left(self, row, col, prev_row, prev_col) -> None:
        if prev_row >= 0 and prev_col >= 0:
            self.touched.add(f"workers[{prev_row}].{WORKER_COLS[prev_col][0]}")
            self._validate()

    def _claims_changed(self, item=None):
        self._mark_dirty()
        if isinstance(item, QTableWidgetItem):
            self.touched.add(f"claims[{item.row()}].{CLAIM_COLS[item.column()][0]}")
            self._validate()
        total = 0
        bad = False
        for r in range(self.claims.rowCount()):
            amount = self._cell(self.claims, r, 1)
            if amount:
                try:
                    total += money.parse_amount(amount)
                except (validate.FieldError, ValueError):
                    bad = True
        text = f"合计：{money.format_figure(total)}"
        if total:
            text += f"（{money.to_capitals(total)}）"
        if bad:
            text += " — 有金额格式不正确"
        self.claims_total.setText(text)

    def _update_counts(self) -> None:
        n = self.workers.rowCount()
        self.worker_count.setText(f"共 {n} 人" + ("（集体争议：10人及以上）" if n >= cases.COLLECTIVE_MIN else ""))

    def _employer_typed(self, text: str) -> None:
        if len(text.strip()) < 1:
            return
        found = cases.employers(self.session.db, text.strip(), limit=15)
        self._emp_found = {e["name"]: e for e in found}
        self._emp_model.setStringList(list(self._emp_found))

    def _employer_chosen(self, name: str) -> None:
        e = self._emp_found.get(name)
        if not e:
            return
        self.employer_name.setText(e["name"])
        self.credit_code.setText(e.get("credit_code", ""))
        self.legal_rep.setText(e.get("legal_rep", ""))
        self.emp_address.setText(e.get("address", ""))
        self.emp_phone.setText(e.get("phone", ""))
        self._check_duplicates()

    def _check_duplicates(self) -> None:
        """Warn when the same worker and employer already have an open case."""
        employer = self.employer_name.text().strip()
        found = []
        if employer:
            for r in range(self.workers.rowCount()):
                idn = self._cell(self.workers, r, W["id_number"])
                try:
                    idn = validate.check_id_number(idn, on=None).normalized if idn else ""
                except validate.FieldError:
                    continue
                exclude = self.case["case_no"] if self.case else None
                for no in cases.open_cases_for(self.session.db, idn, employer, exclude=exclude):
                    found.append(f"{self._cell(self.workers, r, W['name'])}：{no}")
        self.duplicate_warning.show_message(
            "注意：该劳动者与该用人单位已有未结案件 — " + "；".join(found) if found else "")

    def _left_field(self, widget) -> None:
        key = widget.property("problem_key")
        if key:
            self.touched.add(key)
            if key == "employer.name":
                self._check_duplicates()
            self._validate()

    # --- record <-> form ------------------------------------------------------------------
    def record(self) -> dict:
        app = {"mode": "oral" if self.oral.isChecked() else "written", "received_at": iso_datetime(self.received),
               "applicant": self.applicant.currentData()}
        if self.oral.isChecked():
            if self.recorder.text().strip():
                app["recorder"] = self.recorder.text().strip()
            if self.place.text().strip():
                app["place"] = self.place.text().strip()
        workers = []
        old = (self.case or {}).get("workers") or []
        for r in range(self.workers.rowCount()):
            w = {"name": self._cell(self.workers, r, W["name"])}
            for key in ("id_number", "phone", "address"):
                v = self._cell(self.workers, r, W[key])
                if v:
                    w[key] = v
            w["migrant"] = self._checked(self.workers, r, W["migrant"])
            w["platform"] = self._checked(self.workers, r, W["platform"])
            if self._checked(self.workers, r, W["pension"]):
                w["pension"] = True
            if r < len(old):  # keep fields this form does not show
                for k in ("ethnicity", "bank_account", "representative"):
                    if k in old[r]:
                        w[k] = old[r][k]
            workers.append(w)
        employer = {"name": self.employer_name.text().strip()}
        for key, w in (("credit_code", self.credit_code), ("legal_rep", self.legal_rep),
                       ("address", self.emp_address), ("phone", self.emp_phone)):
            if w.text().strip():
                employer[key] = w.text().strip()
        types = [self.primary_type.currentData()] if self.primary_type.currentData() else []
        for i in range(self.other_types.count()):
            it = self.other_types.item(i)
            if it.checkState() == Qt.Checked and it.data(Qt.UserRole) not in types:
                types.append(it.data(Qt.UserRole))
        claims = []
        for r in range(self.claims.rowCount()):
            text, amount = self._cell(self.claims, r, 0), self._cell(self.claims, r, 1)
            if text or amount:
                c = {"text": text}
                if amount:
                    c["amount"] = amount
                claims.append(c)
        rec = {"source": self.source.currentData(), "application": app, "workers": workers, "employer": employer,
               "dispute_types": types, "claims": claims}
        if self.common_claim.isChecked():
            rec["common_claim"] = True
        if self.facts.toPlainText().strip():
            rec["facts"] = self.facts.toPlainText().strip()
        return rec

    def load(self, case: dict) -> None:
        app = case["application"]
        (self.oral if app.get("mode") == "oral" else self.written).setChecked(True)
        self.received.setDateTime(datetime_edit(app["received_at"]).dateTime())
        self.applicant.setCurrentIndex(max(0, self.applicant.findData(app.get("applicant", "worker"))))
        self.source.setCurrentIndex(max(0, self.source.findData(case.get("source", "application"))))
        self.recorder.setText(app.get("recorder", ""))
        self.place.setText(app.get("place", ""))
        self.workers.setRowCount(0)
        for w in case.get("workers") or []:
            self.add_worker(w.get("name", ""), w.get("id_number", ""), w.get("phone", ""), w.get("address", ""),
                            bool(w.get("migrant")), bool(w.get("platform")), bool(w.get("pension")))
        self.common_claim.setChecked(case.get("common_claim") is True)
        e = case.get("employer") or {}
        self.employer_name.setText(e.get("name", ""))
        self.credit_code.setText(e.get("credit_code", ""))
        self.legal_rep.setText(e.get("legal_rep", ""))
        self.emp_address.setText(e.get("address", ""))
        self.emp_phone.setText(e.get("phone", ""))
        types = case.get("dispute_types") or []
        if types:
            self.primary_type.setCurrentIndex(max(0, self.primary_type.findData(types[0])))
        for i in range(self.other_types.count()):
            it = self.other_types.item(i)
            it.setCheckState(Qt.Checked if it.data(Qt.UserRole) in types[1:] else Qt.Unchecked)
        self.claims.setRowCount(0)
        for c in case.get("claims") or []:
            self.add_claim(c.get("text", ""), c.get("amount") or "")
        self.facts.setPlainText(case.get("facts", ""))

    # --- validation -----------------------------------------------------------------------
    def problems(self) -> list[tuple[str, str]]:
        raw = self.record()
        if self.case:
            raw = {**cases.record_only(self.case), **raw}
        _rec, problems = cases.check_record(raw, cal=cases.calendar_for(self.session.db))
        self._warnings = [(path, msg) for path, _code, msg in problems.warnings]
        return problems.items

    def _label_for(self, path: str) -> tuple[str, str]:
        """(error label key, shown prefix) for a problem path."""
        m = re.match(r"workers\[(\d+)\](?:\.(\w+))?", path)
        if m:
            col = dict(WORKER_COLS).get(m.group(2) or "", "")
            return "workers", f"第{int(m.group(1)) + 1}行{col}："
        m = re.match(r"claims\[(\d+)\](?:\.(\w+))?", path)
        if m:
            col = dict(CLAIM_COLS).get(m.group(2) or "", "")
            return "claims", f"第{int(m.group(1)) + 1}项{col}："
        if path.startswith("dispute_types"):
            return "dispute_types", ""
        if path in self._errors:
            return path, ""
        if path == "employer":
            return "employer.name", ""
        return "general", f"{path}：" if path else ""

    def _shown(self, path: str, everything: bool) -> bool:
        """Only problems of fields the user has left are shown while typing; all of them on save."""
        if everything:
            return True
        for t in self.touched:
            if path == t or path.startswith(t + ".") or path.startswith(t + "[") or t.startswith(path + "."):
                return True
        return False

    def _validate(self, everything: bool = False) -> list[tuple[str, str]]:
        items = self.problems()
        messages: dict[str, list[str]] = {}
        bad_cells: set[tuple[str, int, int]] = set()
        # warnings beside their field too, marked 提示: they do not stop saving, and saving acknowledges them
        for path, msg in items + [(path, "提示：" + msg) for path, msg in self._warnings]:
            if not self._shown(path, everything):
                continue
            key, prefix = self._label_for(path)
            messages.setdefault(key, []).append(prefix + msg)
            m = re.match(r"(workers|claims)\[(\d+)\]\.(\w+)", path)
            if m and not msg.startswith("提示："):
                cols = WORKER_COLS if m.group(1) == "workers" else CLAIM_COLS
                col = dict((k, i) for i, (k, _) in enumerate(cols)).get(m.group(3))
                if col is not None:
                    bad_cells.add((m.group(1), int(m.group(2)), col))
        for key, lab in self._errors.items():
            lab.show_message("\n".join(messages.get(key, [])))
        self.general_error.show_message("\n".join(messages.get("general", [])))
        for name, table in (("workers", self.workers), ("claims", self.claims)):
            table.blockSignals(True)
            for r in range(table.rowCount()):
                for c in range(table.columnCount()):
                    item = table.item(r, c)
                    if item is not None:
                        item.setBackground(ERROR_BG if (name, r, c) in bad_cells else Qt.transparent)
            table.blockSignals(False)
        return items

    # --- saving ---------------------------------------------------------------------------
    def save(self) -> None:
        if self.saving:
            return
        problems = self._validate(everything=True)
        if problems:
            self.general_error.show_message(
                (self.general_error.text() + "\n" if self.general_error.text() else "")
                + f"有 {len(problems)} 处需要修改，未保存。")
            return
        raw = self.record()
        user = self.session.user
        self.saving = True
        self.save_button.setEnabled(False)
        if self.case:
            key = self.case["id"]
            keys = list(raw)
            fn = lambda db, task: cases.update_case(db, key, {k: raw[k] for k in keys}, user, action="edit")  # noqa: E731
        else:
            fn = lambda db, task: cases.create_case(db, raw, user)  # noqa: E731
        self.session.ops.run(fn, on_done=self._saved, on_error=self._save_failed)

    def _saved(self, case: dict) -> None:
        self.saving = False
        self.dirty = False
        self.saved.emit(case)
        self.session.changed("cases")
        self.accept()

    def _save_failed(self, exc: BaseException) -> None:
        self.saving = False
        self.save_button.setEnabled(True)
        self.general_error.show_message(opsmod.error_text(exc))

    def reject(self) -> None:
        if self.dirty and not self.saving:
            self.confirm_discard()
            return
        super().reject()

    def confirm_discard(self) -> QMessageBox:
        """The unsaved-changes guard; window-modal and non-blocking (no nested event loop)."""
        box = QMessageBox(QMessageBox.Question, "放弃修改？", "登记表有尚未保存的内容，确定放弃吗？",
                          QMessageBox.Discard | QMessageBox.Cancel, self)
        box.button(QMessageBox.Discard).setText("放弃修改")
        box.button(QMessageBox.Cancel).setText("继续填写")
        box.setDefaultButton(QMessageBox.Cancel)
        box.setAttribute(Qt.WA_DeleteOnClose)

        def answered(button):
            if box.standardButton(button) == QMessageBox.Discard:
                self.dirty = False
                QDialog.reject(self)
        box.buttonClicked.connect(answered)
        box.open()
        self.discard_box = box
        return box

    def closeEvent(self, event) -> None:
        if self.dirty and not self.saving:
            event.ignore()
            self.confirm_discard()
            return
        super().closeEvent(event)
