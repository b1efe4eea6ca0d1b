"""汇总端下发数据包 on the data-exchange page (desktop/sync/downward.py).

At a station: import a package from the hub (checked, what will change shown, then applied on the
worker thread in one transaction), the last package applied, the hub's note, the hub's template
versions (difference, back to the original). At a hub: enter a year's holiday notice once (pasted,
checked for a complete year), edit the arbitration commissions and the settings sent to stations,
choose what goes into the next package and write it, pass on an upper hub's package, and see
which station applied which package.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QListWidget,
    QListWidgetItem, QMessageBox, QPlainTextEdit, QPushButton, QSpinBox, QTableWidget, QTableWidgetItem,
    QVBoxLayout,
)

from desktop import clock, holidays
from desktop.sync import downward
from desktop.ui import filedialogs as fd, ops as opsmod
from desktop.ui.widgets import ErrorLabel, fill_table, readonly_table


def _text(exc: BaseException) -> str:
    return opsmod.error_text(exc).replace("--out: ", "")


class StationPackageBox(QGroupBox):
    """Import the hub's package; what was applied; the hub's note and template versions."""

    def __init__(self, session, parent=None):
        super().__init__("汇总端下发的数据包（节假日安排、仲裁委员会、设定、文书模板、通知）", parent)
        self.session = session
        self.setObjectName("station_package_box")
        self.last_preview: dict | None = None
        g = QVBoxLayout(self)
        self.status = QLabel()
        self.status.setObjectName("package_status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        g.addWidget(self.status)
        self.note = QLabel()
        self.note.setObjectName("package_note")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("background:#fff8e1; padding:6px;")
        g.addWidget(self.note)
        row = QHBoxLayout()
        self.import_button = QPushButton("导入汇总端下发的数据包…")
        self.import_button.setObjectName("package_import")
        self.import_button.setEnabled(session.user.can("admin"))
        self.import_button.clicked.connect(self.ask_import)
        row.addWidget(self.import_button)
        row.addStretch()
        g.addLayout(row)
        self.templates = QListWidget()
        self.templates.setObjectName("package_templates")
        self.templates.setMaximumHeight(80)
        g.addWidget(self.templates)
        row = QHBoxLayout()
        self.diff_button = QPushButton("查看与原版的差异")
        self.diff_button.clicked.connect(self.show_diff)
        self.revert_button = QPushButton("恢复原版模板")
        self.revert_button.clicked.connect(self.revert)
        self.revert_button.setEnabled(session.user.can("admin"))
        for b in (self.diff_button, self.revert_button):
            row.addWidget(b)
        row.addStretch()
        g.addLayout(row)
        self.message = ErrorLabel()
        self.message.setObjectName("package_message")
        g.addWidget(self.message)
        self.refresh()

    def refresh(self) -> None:
        db = self.session.db
        a = downward.applied(db)
        self.status.setText(
            f"最近应用：{a['hub_name']} 第 {a['seq']} 号数据包（{a['applied_at'][:16].replace('T', ' ')}）"
            + (f"，转发自上级第 {a['origin']['seq']} 号" if a.get("origin") else "") if a
            else "尚未应用过汇总端下发的数据包。汇总端下发的数据包可更新明年的节假日安排等，由汇总端用 U 盘带来。")
        note = downward.pending_note(db)
        self.note.setVisible(bool(note))
        if note:
            self.note.setText(f"汇总端通知（{note['hub_name']}）：{note['text']}")
        overrides = downward.template_overrides(db)
        self.templates.clear()
        for name, t in sorted(overrides.items()):
            item = QListWidgetItem(f"{downward._title(name)}：使用汇总端第 {t['seq']} 号数据包下发的版本")
            item.setData(Qt.UserRole, name)
            self.templates.addItem(item)
        self.templates.setVisible(bool(overrides))
        self.diff_button.setVisible(bool(overrides))
        self.revert_button.setVisible(bool(overrides))

    def _say(self, text: str, ok: bool = True) -> None:
        self.message.setStyleSheet("color: #1b5e20;" if ok else "color: #b3261e;")
        self.message.show_message(text)

    def ask_import(self) -> None:
        path = fd.open_path(self, "选择汇总端下发的数据包", "下发数据包 (*.package);;所有文件 (*)", removable=True)
        if path:
            self.check_file(path, confirm=True)

    def check_file(self, path, *, confirm: bool = False):
        """Verify on the worker, show what will change, then (when confirmed) apply."""
        def done(shown):
            self.last_preview = shown
            text = shown["title"] + "\n\n" + "\n".join(f"· {x}" for x in shown["lines"])
            self._say("数据包已通过核验，将发生以下变化：\n" + "\n".join(shown["lines"]))
            if confirm and QMessageBox.question(self, "应用汇总端数据包", text + "\n\n确认应用？") == QMessageBox.Yes:
                self.apply_file(path)
        return self.session.ops.run(lambda db, task: downward.preview(db, downward.verify(db, path)),
                                    on_done=done, on_error=lambda e: self._say(_text(e), ok=False))

    def apply_file(self, path):
        user = self.session.user

        def done(r):
            self._say(r["message"])
            self.session.changed("cases")
            self.refresh()
        return self.session.ops.run(lambda db, task: downward.apply_package(db, path, user), on_done=done,
                                    on_error=lambda e: self._say(_text(e), ok=False), label="正在应用汇总端数据包…")

    def _chosen(self) -> str | None:
        item = self.templates.currentItem() or (self.templates.item(0) if self.templates.count() == 1 else None)
        return item.data(Qt.UserRole) if item else None

    def show_diff(self) -> None:
        name = self._chosen()
        if name:
            box = QMessageBox(QMessageBox.Information, "模板差异", f"「{downward._title(name)}」与原版的差异：", parent=self)
            box.setDetailedText(downward.template_diff(self.session.db, name))
            box.exec()

    def revert(self, name: str | None = None):
        name = name or self._chosen()
        if not name:
            self._say("请先在列表中选择一个模板", ok=False)
            return None
        user = self.session.user

        def done(_):
            self._say(f"「{downward._title(name)}」已恢复原版")
            self.refresh()
        return self.session.ops.run(lambda db, task: downward.revert_template(db, name, user), on_done=done,
                                    on_error=lambda e: self._say(_text(e), ok=False))


class HubPackageBox(QGroupBox):
    """The hub clerk's side: notice, commissions, settings, what goes into the next package."""

    def __init__(self, session, parent=None):
        super().__init__("汇总端：向各站点下发数据包", parent)
        self.session = session
        self.setObjectName("hub_package_box")
        admin = session.user.can("admin")
        g = QVBoxLayout(self)

        # the year's holiday notice, entered once
        n = QGroupBox("录入国务院放假通知（全年，录入一次，随数据包下发）")
        f = QFormLayout(n)
        self.year = QSpinBox()
        self.year.setObjectName("hub_notice_year")
        self.year.setRange(holidays.FIRST_LAW_YEAR, 2100)
        today = clock.today()
        self.year.setValue(today.year + 1 if today.month >= 10 else today.year)
        f.addRow("年份", self.year)
        self.title = QLineEdit()
        self.title.setObjectName("hub_notice_title")
        self.title.setPlaceholderText("国务院办公厅关于××××年部分节假日安排的通知")
        f.addRow("通知标题", self.title)
        self.notice_date = QLineEdit()
        self.notice_date.setObjectName("hub_notice_date")
        self.notice_date.setPlaceholderText("如 2026-11-10")
        f.addRow("通知日期", self.notice_date)
        self.notice_text = QPlainTextEdit()
        self.notice_text.setObjectName("hub_notice_text")
        self.notice_text.setPlaceholderText("粘贴通知原文：一、元旦：1月1日（周五）至3日（周日）放假，共3天。……")
        self.notice_text.setMaximumHeight(110)
        f.addRow("通知原文", self.notice_text)
        self.unbalanced = QCheckBox("本年有特别放假安排（放假与调休天数不平衡时仍录入）")
        f.addRow(self.unbalanced)
        self.notice_error = ErrorLabel()
        self.notice_error.setObjectName("hub_notice_error")
        f.addRow(self.notice_error)
        self.notice_button = QPushButton("检查并保存")
        self.notice_button.setObjectName("hub_notice_save")
        self.notice_button.setEnabled(admin)
        self.notice_button.clicked.connect(self.save_notice)
        f.addRow(self.notice_button)
        g.addWidget(n)

        # arbitration commissions
        c = QGroupBox("仲裁委员会（失败告知书上的名称、地址、电话）")
        cv = QVBoxLayout(c)
        self.commissions = QTableWidget(0, 4)
        self.commissions.setObjectName("hub_commissions")
        self.commissions.setHorizontalHeaderLabels(["名称", "地址", "电话", "办公时间"])
        self.commissions.horizontalHeader().setStretchLastSection(True)
        self.commissions.setMaximumHeight(120)
        cv.addWidget(self.commissions)
        row = QHBoxLayout()
        add = QPushButton("添加一行")
        add.clicked.connect(lambda: self.commissions.insertRow(self.commissions.rowCount()))
        rem = QPushButton("删除所选行")
        rem.clicked.connect(lambda: self.commissions.removeRow(self.commissions.currentRow()))
        self.commissions_button = QPushButton("保存仲裁委员会")
        self.commissions_button.setObjectName("hub_commissions_save")
        self.commissions_button.clicked.connect(self.save_commissions)
        for b in (add, rem, self.commissions_button):
            b.setEnabled(admin)
            row.addWidget(b)
        row.addStretch()
        cv.addLayout(row)
        self.commissions_error = ErrorLabel()
        cv.addWidget(self.commissions_error)
        g.addWidget(c)

        # settings for the stations
        s = QGroupBox("下发给站点的设定")
        sf = QFormLayout(s)
        self.target = QLineEdit()
        self.target.setObjectName("hub_target")
        self.target.setPlaceholderText("如 0.65（留空则不下发）")
        self.target_advisory = QCheckBox("仅为建议（站点已有自己的设定时以站点为准）")
        sf.addRow("调解成功率目标", self.target)
        sf.addRow("", self.target_advisory)
        self.period = QComboBox()
        self.period.addItem("不下发", None)
        for code, label in downward.REPORTING_PERIODS.items():
            self.period.addItem(label, code)
        self.period_advisory = QCheckBox("仅为建议")
        sf.addRow("报送周期", self.period)
        sf.addRow("", self.period_advisory)
        self.settings_button = QPushButton("保存设定")
        self.settings_button.setEnabled(admin)
        self.settings_button.clicked.connect(self.save_settings)
        sf.addRow(self.settings_button)
        self.settings_error = ErrorLabel()
        sf.addRow(self.settings_error)
        g.addWidget(s)

        # what goes into the next package
        p = QGroupBox("下一个下发数据包的内容")
        pv = QVBoxLayout(p)
        self.years = QListWidget()
        self.years.setObjectName("hub_package_years")
        self.years.setMaximumHeight(70)
        pv.addWidget(QLabel("节假日安排（勾选要下发的年份）"))
        pv.addWidget(self.years)
        self.with_commissions = QCheckBox("仲裁委员会")
        self.with_settings = QCheckBox("设定")
        self.with_stations = QCheckBox("各站点上报情况")
        self.with_stations.setChecked(True)
        row = QHBoxLayout()
        for b in (self.with_commissions, self.with_settings, self.with_stations):
            row.addWidget(b)
        row.addStretch()
        pv.addLayout(row)
        self.note = QLineEdit()
        self.note.setObjectName("hub_package_note")
        self.note.setPlaceholderText("给各站点的通知（可不填；在站点的数据交换页显示）")
        pv.addWidget(self.note)
        row = QHBoxLayout()
        row.addWidget(QLabel("写到"))
        self.folder = QLineEdit()
        self.folder.setObjectName("hub_package_folder")
        self.folder.setPlaceholderText("选择 U 盘或文件夹")
        row.addWidget(self.folder, 1)
        pick = QPushButton("选择…")
        pick.clicked.connect(self._pick_folder)
        row.addWidget(pick)
        self.write_button = QPushButton("生成下发数据包")
        self.write_button.setObjectName("hub_package_write")
        self.write_button.setEnabled(admin)
        self.write_button.clicked.connect(self.write_package)
        row.addWidget(self.write_button)
        self.pass_button = QPushButton("转发上级汇总端的数据包…")
        self.pass_button.setEnabled(admin)
        self.pass_button.clicked.connect(self.ask_pass_on)
        row.addWidget(self.pass_button)
        pv.addLayout(row)
        self.message = ErrorLabel()
        self.message.setObjectName("hub_package_message")
        pv.addWidget(self.message)
        g.addWidget(p)

        g.addWidget(QLabel("已下发的数据包"))
        self.sent = readonly_table(["序号", "生成时间", "内容", "大小（字节）", "转发自"])
        self.sent.setObjectName("hub_packages_sent")
        self.sent.setMaximumHeight(120)
        g.addWidget(self.sent)
        g.addWidget(QLabel("各站点已应用的数据包（站点在下一次上报时报告）"))
        self.applied = readonly_table(["站点", "名称", "已应用", "最新上报"])
        self.applied.setObjectName("hub_packages_applied")
        self.applied.setMaximumHeight(140)
        g.addWidget(self.applied)
        self.refresh()

    def refresh(self) -> None:
        db = self.session.db
        checked = {self.years.item(i).data(Qt.UserRole) for i in range(self.years.count())
                   if self.years.item(i).checkState() == Qt.Checked}
        self.years.clear()
        for year, n in sorted(downward.notices(db).items()):
            item = QListWidgetItem(f"{year} 年：{n['title']}（放假 {len(n['holidays'])} 天，调休上班 {len(n['workdays'])} 天）")
            item.setData(Qt.UserRole, int(year))
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Checked if int(year) in checked else Qt.Unchecked)
            self.years.addItem(item)
        items = downward.commissions(db)
        self.commissions.setRowCount(len(items))
        for i, com in enumerate(items):
            for j, k in enumerate(("name", "address", "phone", "hours")):
                self.commissions.setItem(i, j, QTableWidgetItem(com[k]))
        st = downward.hub_settings(db)
        if "target_success_rate" in st:
            self.target.setText(st["target_success_rate"]["value"])
            self.target_advisory.setChecked(st["target_success_rate"]["advisory"])
        if "reporting_period" in st:
            self.period.setCurrentIndex(max(0, self.period.findData(st["reporting_period"]["value"])))
            self.period_advisory.setChecked(st["reporting_period"]["advisory"])
        sent = list(reversed(downward.sent(db)))
        fill_table(self.sent, [[e["seq"], e["created_at"][:16].replace("T", " "),
                                "、".join(downward.SECTION_NAMES[s] for s in e["sections"]), e["size"],
                                f"上级第 {e['origin']['seq']} 号" if e.get("origin") else ""] for e in sent],
                   [e["seq"] for e in sent])
        view = downward.station_view(db)
        fill_table(self.applied, [[v["station"], v["name"],
                                   f"第 {v['package_applied']} 号" if v["package_applied"] else "未报告",
                                   (v["last_bundle_at"] or "从未上报")[:16].replace("T", " ")] for v in view],
                   [v["station"] for v in view])

    def _run(self, fn, done, error_label, label=None):
        def failed(exc):
            error_label.setStyleSheet("color: #b3261e;")
            error_label.show_message(_text(exc))
        return self.session.ops.run(fn, on_done=done, on_error=failed, label=label)

    def _ok(self, label, text: str) -> None:
        label.setStyleSheet("color: #1b5e20;")
        label.show_message(text)
        self.refresh()

    def save_notice(self):
        year, text, title = self.year.value(), self.notice_text.toPlainText(), self.title.text().strip()
        date_, unbalanced, user = self.notice_date.text().strip(), self.unbalanced.isChecked(), self.session.user
        return self._run(lambda db, task: downward.set_notice_text(db, year, text, title, date_, user,
                                                                   allow_unbalanced=unbalanced),
                         lambda n: self._ok(self.notice_error, f"已保存 {n['year']} 年放假通知：放假 {len(n['holidays'])} 天，"
                                                               f"调休上班 {len(n['workdays'])} 天；全年安排完整"),
                         self.notice_error)

    def save_commissions(self):
        items = []
        for i in range(self.commissions.rowCount()):
            row = [(self.commissions.item(i, j).text().strip() if self.commissions.item(i, j) else "") for j in range(4)]
            if any(row):
                items.append(dict(zip(("name", "address", "phone", "hours"), row)))
        user = self.session.user
        return self._run(lambda db, task: downward.set_commissions(db, items, user),
                         lambda _: self._ok(self.commissions_error, f"已保存 {len(items)} 个仲裁委员会"),
                         self.commissions_error)

    def save_settings(self):
        values = {}
        if self.target.text().strip():
            values["target_success_rate"] = {"value": self.target.text().strip(),
                                             "advisory": self.target_advisory.isChecked()}
        if self.period.currentData():
            values["reporting_period"] = {"value": self.period.currentData(),
                                          "advisory": self.period_advisory.isChecked()}
        user = self.session.user
        return self._run(lambda db, task: downward.set_hub_settings(db, values, user),
                         lambda _: self._ok(self.settings_error, "已保存下发设定"), self.settings_error)

    def _pick_folder(self) -> None:
        d = fd.folder_path(self, "选择目录（如 U 盘）", removable=True)
        if d:
            self.folder.setText(d)

    def write_package(self):
        folder = self.folder.text().strip()
        if not folder:
            self.message.setStyleSheet("color: #b3261e;")
            self.message.show_message("请先选择目录（如 U 盘）")
            return None
        years = [self.years.item(i).data(Qt.UserRole) for i in range(self.years.count())
                 if self.years.item(i).checkState() == Qt.Checked]
        note = self.note.text().strip() or None
        opts = dict(years=years, commissions_=self.with_commissions.isChecked(), settings_=self.with_settings.isChecked(),
                    note=note, stations=self.with_stations.isChecked())
        user = self.session.user
        return self._run(lambda db, task: downward.build_package(db, user, folder, **opts),
                         lambda r: self._ok(self.message, f"已生成第 {r['seq']} 号下发数据包（{r['size']} 字节）：{r['path']}"),
                         self.message)  # quick: no progress dialog

    def ask_pass_on(self) -> None:
        path = fd.open_path(self, "选择上级汇总端的数据包", "下发数据包 (*.package);;所有文件 (*)", removable=True)
        if path:
            self.pass_on(path, self.folder.text().strip())

    def pass_on(self, path, folder: str):
        if not folder:
            self.message.setStyleSheet("color: #b3261e;")
            self.message.show_message("请先选择目录（如 U 盘）")
            return None
        user = self.session.user
        return self._run(lambda db, task: downward.pass_on(db, path, user, folder),
                         lambda r: self._ok(self.message, f"已转发为本端第 {r['seq']} 号数据包（上级第 {r['origin']['seq']} 号）："
                                                          f"{r['path']}"),
                         self.message)

