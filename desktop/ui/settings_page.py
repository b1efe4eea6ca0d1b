"""Settings (设置): organization profile, case-number template, holiday overrides, success-rate
target, document fonts, and the long data jobs (back-entry import, demo cases) with progress."""

from __future__ import annotations

import json
import secrets

from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QInputDialog, QLabel, QLineEdit, QPushButton,
    QSpinBox, QVBoxLayout, QWidget,
)

from desktop import backup, cases, demo, org
from desktop.security import accounts, keys
from desktop.codes import ORG_KINDS, USER_ROLES
from desktop.clock import now
from desktop.errors import InputError
from desktop.ui import ops as opsmod
from desktop.ui.widgets import ErrorLabel, date_edit, fill_table, iso_date, readonly_table, row_data, scrolling_body

FONT_ROLES = {"fangsong": "仿宋（正文）", "song": "宋体（表格）", "kai": "楷体", "hei": "黑体（标题）", "title": "文书标题"}


class SettingsPage(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setObjectName("SettingsPage")
        outer = QVBoxLayout(self)
        v = scrolling_body(outer)
        admin = session.user.can("admin")

        box = QGroupBox("调解组织")
        f = QFormLayout(box)
        self.fields: dict[str, QLineEdit] = {}
        self.kind = QComboBox()
        for k, val in ORG_KINDS.items():
            self.kind.addItem(val, k)
        f.addRow("组织类型", self.kind)
        for key, label in (("name", "组织全称"), ("abbr", "案号简称"), ("region", "行政区划代码"),
                           ("credit_code", "统一社会信用代码"), ("address", "地址"), ("phone", "电话"),
                           ("head", "负责人"), ("hours", "办公时间"), ("complaint_phone", "监督电话")):
            self.fields[key] = QLineEdit()
            f.addRow(label, self.fields[key])
        from desktop.ui.caseno import CaseNoTemplateEdit

        self.template = CaseNoTemplateEdit()
        self.template.textChanged.connect(self._preview_template)
        f.addRow("案号格式", self.template)
        self.template_preview = QLabel()
        f.addRow("", self.template_preview)
        v.addWidget(box)

        box = QGroupBox("仲裁委员会（写入调解不成告知书）")
        f = QFormLayout(box)
        # issue 16: the commissions the hub sent; choosing one fills the fields below (still editable)
        self.commission_choice = QComboBox()
        self.commission_choice.setObjectName("commission_choice")
        self.commission_choice.setToolTip("汇总端下发的仲裁委员会，选择后自动填写名称、地址、电话和办公时间")
        self.commission_choice.activated.connect(self._commission_chosen)
        self.commission_label = QLabel("汇总端提供")
        f.addRow(self.commission_label, self.commission_choice)
        for key, label in (("arbitration.name", "名称"), ("arbitration.address", "地址"), ("arbitration.phone", "电话"),
                           ("arbitration.hours", "办公时间")):
            self.fields[key] = QLineEdit()
            self.fields[key].setObjectName(key.replace(".", "_"))
            f.addRow(label, self.fields[key])
        v.addWidget(box)

        box = QGroupBox("统计与文书")
        f = QFormLayout(box)
        self.target = QLineEdit()
        self.target.setPlaceholderText("如 0.60")
        f.addRow("调解成功率目标", self.target)
        # issue 14 item 5: the respondent notice's reply period (no statute fixes one; the organisation's choice)
        row = QHBoxLayout()
        self.reply_days = QLineEdit()
        self.reply_days.setObjectName("respondent_reply_days")
        self.reply_days.setPlaceholderText("1至30天，留空则不写期限")
        self.reply_days.setMaximumWidth(160)
        self.reply_days_error = QLabel()
        self.reply_days_error.setStyleSheet("color: #b3261e;")
        self.reply_days.textChanged.connect(lambda _t: self.reply_days_error.clear())
        row.addWidget(self.reply_days)
        row.addWidget(self.reply_days_error, 1)
        f.addRow("被申请人答复期限（天）", row)
        self.fonts: dict[str, QLineEdit] = {}
        for role, label in FONT_ROLES.items():
            row = QHBoxLayout()
            e = QLineEdit()
            e.setPlaceholderText("默认：系统字体，或随程序提供的开源字体")
            b = QPushButton("选择…")
            b.clicked.connect(lambda _=False, e=e: self._pick_font(e))
            row.addWidget(e)
            row.addWidget(b)
            self.fonts[role] = e
            f.addRow(f"文书字体：{label}", row)
        # which face actually prints each role (issue 14 item 7)
        self.font_faces = QLabel()
        self.font_faces.setWordWrap(True)
        f.addRow("实际打印字体", self.font_faces)
        v.addWidget(box)
        h = QHBoxLayout()
        h.addStretch()
        self.save_button = QPushButton("保存组织设置")
        self.save_button.clicked.connect(self.save)
        self.save_button.setEnabled(admin)
        h.addWidget(self.save_button)
        v.addLayout(h)
        self.message = ErrorLabel()
        v.addWidget(self.message)

        box = QGroupBox("节假日调整（按国务院办公厅每年公布的放假安排录入）")
        g = QVBoxLayout(box)
        self.overrides = readonly_table(["日期", "类型", "说明"])
        self.overrides.setObjectName("overrides")
        self.overrides.setMinimumHeight(160)
        g.addWidget(self.overrides)
        row = QHBoxLayout()
        self.o_date = date_edit()
        self.o_type = QComboBox()
        self.o_type.addItem("放假（休息日）", False)
        self.o_type.addItem("调休上班（工作日）", True)
        self.o_note = QLineEdit()
        self.o_note.setPlaceholderText("如：春节")
        add = QPushButton("添加/修改")
        add.clicked.connect(self.add_override)
        rem = QPushButton("删除所选")
        rem.clicked.connect(self.remove_override)
        for w in (self.o_date, self.o_type, self.o_note, add, rem):
            row.addWidget(w)
            w.setEnabled(admin)
        g.addLayout(row)
        notice = QPushButton("录入全年放假通知…")  # the whole notice in one step (desktop/ui/holiday_notice.py)
        notice.setObjectName("enterNotice")
        notice.clicked.connect(self.enter_notice)
        notice.setEnabled(admin)
        g.addWidget(notice)
        g.addWidget(QLabel("修改后，全部案件的受理期限和调解期限会按新日历重新计算。"))
        v.addWidget(box)

        box = QGroupBox("数据维护")
        g = QHBoxLayout(box)
        imp = QPushButton("补录导入案件（JSON Lines）…")
        imp.clicked.connect(self.import_cases)
        imp.setEnabled(session.user.can("write"))
        g.addWidget(imp)
        self.demo_count = QSpinBox()
        self.demo_count.setRange(1, 1_000_000)
        self.demo_count.setValue(1000)
        gen = QPushButton("生成演示案件")
        gen.clicked.connect(self.generate_demo)
        is_demo = org.is_demo(session.db)
        for w in (self.demo_count, gen):
            w.setEnabled(is_demo)
            w.setToolTip("仅演示数据库可用" if not is_demo else "")
        g.addWidget(self.demo_count)
        g.addWidget(gen)
        g.addStretch()
        v.addWidget(box)
        self._build_security(v, admin)
        v.addStretch()
        self.load()

    # --- 用户与安全 --------------------------------------------------------------------------
    def _build_security(self, v, admin: bool) -> None:
        box = QGroupBox("用户与安全")
        g = QVBoxLayout(box)
        self.users = readonly_table(["用户名", "姓名", "角色", "状态", "数据密钥"])
        self.users.setObjectName("users")
        self.users.setMinimumHeight(140)
        g.addWidget(self.users)
        row = QHBoxLayout()
        self.u_name, self.u_display, self.u_password = QLineEdit(), QLineEdit(), QLineEdit()
        self.u_name.setPlaceholderText("用户名")
        self.u_display.setPlaceholderText("姓名")
        self.u_password.setPlaceholderText("初始密码（至少8位，含字母和数字）")
        self.u_password.setEchoMode(QLineEdit.Password)
        self.u_role = QComboBox()
        for k, label in USER_ROLES.items():
            self.u_role.addItem(label, k)
        self.u_role.setCurrentIndex(max(0, self.u_role.findData("mediator")))
        add = QPushButton("添加用户")
        add.clicked.connect(self.add_user)
        reset = QPushButton("重置所选用户的密码…")
        reset.clicked.connect(self.ask_reset_password)
        toggle = QPushButton("停用/启用所选用户")
        toggle.clicked.connect(self.toggle_user)
        for w in (self.u_name, self.u_display, self.u_role, self.u_password, add):
            row.addWidget(w)
        g.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(reset)
        row.addWidget(toggle)
        row.addStretch()
        row.addWidget(QLabel("无操作自动锁定（分钟）"))
        self.idle_minutes = QSpinBox()
        self.idle_minutes.setObjectName("idle_minutes")
        self.idle_minutes.setRange(1, 240)
        row.addWidget(self.idle_minutes)
        save_idle = QPushButton("保存")
        save_idle.clicked.connect(self.save_idle_minutes)
        row.addWidget(save_idle)
        g.addLayout(row)
        row = QHBoxLayout()
        backup_button = QPushButton("备份到文件夹（如 U 盘）…")
        backup_button.clicked.connect(self.ask_backup)
        row.addWidget(backup_button)
        row.addWidget(QLabel("每天第一次启动时自动备份到数据库旁的备份目录（保留7天、4周、12个月）"))
        row.addStretch()
        g.addLayout(row)
        self.security_message = ErrorLabel()
        self.security_message.setObjectName("security_message")
        g.addWidget(self.security_message)
        for w in (self.u_name, self.u_display, self.u_role, self.u_password, add, reset, toggle, self.idle_minutes,
                  save_idle):
            w.setEnabled(admin)
        if not admin:
            g.addWidget(QLabel("只有管理员可以添加用户、重置他人密码和修改锁定时间；修改自己的密码请用菜单“账户 → 修改密码”。"))
        v.addWidget(box)

    def load_users(self) -> None:
        users = accounts.list_users(self.session.db) if self.session.user.can("admin") else []
        fill_table(self.users, [[u["name"], u["display_name"], USER_ROLES.get(u["role"], u["role"]),
                                 ("已停用" if not u["active"] else "已锁定" if u["locked_until"] and
                                  u["locked_until"] > now() else "正常"),
                                 keys.key_status(self.session.db, u["name"], u["role"])]
                                for u in users], [u["name"] for u in users])
        self.idle_minutes.setValue(keys.idle_lock_minutes(self.session.db))

    def _security_op(self, fn, done_text: str) -> None:
        admin = self.session.user

        def done(_):
            self.load_users()
            self.security_message.setStyleSheet("color: #1b5e20;")
            self.security_message.show_message(done_text)

        def failed(exc):
            self.security_message.setStyleSheet("color: #b3261e;")
            self.security_message.show_message(opsmod.error_text(exc))
        self.session.ops.run(lambda db, task: fn(db, admin), on_done=done, on_error=failed)

    def add_user(self) -> None:
        name, display, pw, role = (self.u_name.text().strip(), self.u_display.text().strip(), self.u_password.text(),
                                   self.u_role.currentData())

        def work(db, admin):
            accounts.require(admin, "admin")
            accounts.create_user(db, name, pw, role, display_name=display, actor=admin.name)
        self.u_password.clear()
        self._security_op(work, f"已添加用户 {name}（{USER_ROLES.get(role, role)}）")

    def ask_reset_password(self) -> None:
        name = row_data(self.users)
        if not name:
            return
        pw, ok = QInputDialog.getText(self, "重置密码", f"用户 {name} 的新密码（至少8位，含字母和数字）：",
                                      QLineEdit.Password)
        if ok and pw:
            self.reset_password(name, pw)

    def reset_password(self, name: str, password: str) -> None:
        self._security_op(lambda db, admin: accounts.reset_password(db, admin, name, password),
                          f"已重置用户 {name} 的密码")

    def toggle_user(self) -> None:
        name = row_data(self.users)
        if not name:
            return
        active = self.users.item(self.users.currentRow(), 3).text() == "已停用"
        self._security_op(lambda db, admin: accounts.set_active(db, admin, name, active),
                          f"已{'启用' if active else '停用'}用户 {name}")

    def save_idle_minutes(self) -> None:
        minutes = self.idle_minutes.value()

        def done(_):
            self.session.changed("settings")
            self.security_message.setStyleSheet("color: #1b5e20;")
            self.security_message.show_message(f"无操作 {minutes} 分钟后自动锁定")

        def failed(exc):
            self.security_message.setStyleSheet("color: #b3261e;")
            self.security_message.show_message(opsmod.error_text(exc))
        user = self.session.user
        self.session.ops.run(lambda db, task: keys.set_idle_lock_minutes(db, minutes, user), on_done=done,
                             on_error=failed)

    def ask_backup(self) -> None:
        from desktop.ui.filedialogs import folder_path

        folder = folder_path(self, "选择备份目录（如 U 盘）", removable=True)
        if folder:
            self.backup_to(folder)

    def backup_to(self, folder: str):
        path = self.session.path

        def done(target):
            self.security_message.setStyleSheet("color: #1b5e20;")
            self.security_message.show_message(f"已备份到 {target}（已校验）")

        def failed(exc):
            self.security_message.setStyleSheet("color: #b3261e;")
            self.security_message.show_message(opsmod.error_text(exc))
        return self.session.ops.run(lambda db, task: backup.manual(db, folder, path), on_done=done, on_error=failed,
                                    label="正在备份…")

    def load(self) -> None:
        p = self.session.profile
        self.kind.setCurrentIndex(max(0, self.kind.findData(p.get("kind"))))
        for key, e in self.fields.items():
            if key.startswith("arbitration."):
                e.setText((p.get("arbitration") or {}).get(key.split(".")[1], ""))
            else:
                e.setText(str(p.get(key) or ""))
        self._fill_commissions((p.get("arbitration") or {}).get("name", ""))
        self.template.setText(p.get("case_no_template", ""))
        self.target.setText(str(p.get("target_success_rate", "")))
        self.reply_days.setText(str(p.get("respondent_reply_days") or ""))
        for role, e in self.fonts.items():
            e.setText((p.get("fonts") or {}).get(role, ""))
        self._show_font_faces(p.get("fonts") or {})
        fill_table(self.overrides, [[o["date"], "调休上班" if o["is_workday"] else "放假", o["note"]]
                                    for o in org.calendar_overrides(self.session.db)],
                   [o["date"] for o in org.calendar_overrides(self.session.db)])
        self.load_users()

    def _fill_commissions(self, current_name: str) -> None:
        """The commissions of the last package that carried any; hidden when none was received."""
        from desktop.sync.downward import received_commissions

        got = received_commissions(self.session.db)
        self.commission_choice.clear()
        self.commission_choice.addItem("（自行填写）", None)
        for c in got:
            self.commission_choice.addItem(c["name"], c)
        self.commission_choice.setCurrentIndex(max(0, self.commission_choice.findText(current_name)) if current_name
                                               else 0)
        self.commission_choice.setVisible(bool(got))
        self.commission_label.setVisible(bool(got))

    def _commission_chosen(self, _index: int = 0) -> None:
        c = self.commission_choice.currentData()
        if not c:
            return
        for k in ("name", "address", "phone", "hours"):
            self.fields[f"arbitration.{k}"].setText(c.get(k) or "")

    def _preview_template(self, text: str) -> None:
        try:
            org.check_template(text)
            abbr = self.fields["abbr"].text() if "abbr" in self.fields else ""
            self.template_preview.setText("示例：" + text.format(year=now()[:4], abbr=abbr, seq=12))
        except (InputError, KeyError, ValueError, IndexError) as exc:
            self.template_preview.setText(opsmod.error_text(exc) if isinstance(exc, InputError) else str(exc))

    def _show_font_faces(self, configured: dict) -> None:
        from desktop.documents.fonts import describe

        self.font_faces.setText("\n".join(f"{label}：{face}（{source}）" for label, face, source in describe(configured)))

    def _pick_font(self, edit: QLineEdit) -> None:
        from desktop.ui.filedialogs import open_path

        path = open_path(self, "选择字体文件", "TrueType 字体 (*.ttf *.ttc)")
        if path:
            edit.setText(path)

    def changes(self) -> dict:
        ch = {"kind": self.kind.currentData(), "case_no_template": self.template.text().strip(),
              "target_success_rate": self.target.text().strip(), "arbitration": {}}
        for key, e in self.fields.items():
            if key.startswith("arbitration."):
                ch["arbitration"][key.split(".")[1]] = e.text().strip()
            else:
                ch[key] = e.text().strip()
        ch["fonts"] = {r: e.text().strip() for r, e in self.fonts.items() if e.text().strip()}
        ch["respondent_reply_days"] = self.reply_days.text().strip() or None
        return ch

    def save(self) -> None:
        ch = self.changes()
        try:
            rate = float(ch["target_success_rate"])  # a ratio, not money: checked, stored as text
            if not 0 < rate <= 1:
                raise ValueError
        except ValueError:
            self.message.setStyleSheet("color: #b3261e;")
            self.message.show_message("调解成功率目标应为 0 到 1 之间的小数，如 0.60")
            return
        try:
            ch["respondent_reply_days"] = org.check_reply_days(ch["respondent_reply_days"])
        except InputError as exc:
            self.reply_days_error.setText(exc.messages[0])  # beside the field; nothing saved
            self.message.setStyleSheet("color: #b3261e;")
            self.message.show_message("未保存：" + exc.messages[0])
            return
        user = self.session.user

        def done(_p):
            self.message.setStyleSheet("color: #1b5e20;")
            self.message.show_message("组织设置已保存")
            self.session.changed("org")

        def failed(exc):
            self.message.setStyleSheet("color: #b3261e;")
            self.message.show_message(opsmod.error_text(exc))
        self.session.ops.run(lambda db, task: org.update_profile(db, ch, user), on_done=done, on_error=failed)

    def _calendar_op(self, fn) -> None:
        user = self.session.user

        def work(db, task):
            fn(db, user)
            return cases.recompute_deadlines(db)  # deadlines follow the new calendar

        def done(n):
            self.session.changed("calendar")
            self.load()
            self.message.setStyleSheet("color: #1b5e20;")
            self.message.show_message(f"节假日已更新，已重新计算 {n} 件案件的期限")

        def failed(exc):
            self.message.setStyleSheet("color: #b3261e;")
            self.message.show_message(opsmod.error_text(exc))
        self.session.ops.run(work, on_done=done, on_error=failed, label="正在重新计算期限…")

    def add_override(self) -> None:
        d, workday, note = iso_date(self.o_date), self.o_type.currentData(), self.o_note.text().strip()
        self._calendar_op(lambda db, user: org.set_calendar_override(db, d, workday, note, user))

    def enter_notice(self):
        from desktop.ui.holiday_notice import HolidayNoticeDialog

        def entered(result):
            self.load()
            self.message.setStyleSheet("color: #1b5e20;")
            self.message.show_message(f"{result['year']}年放假安排已录入，{result['recomputed']}件案件的期限已重新计算")
        dialog = HolidayNoticeDialog(self.session, self, on_entered=entered)
        dialog.open()
        return dialog

    def remove_override(self) -> None:
        d = row_data(self.overrides)
        if d:
            self._calendar_op(lambda db, user: org.remove_calendar_override(db, d, user))

    def import_cases(self) -> None:
        from desktop.ui.filedialogs import open_path

        path = open_path(self, "选择补录文件", "补录文件 (*.jsonl *.json)", removable=True)
        if path:
            self.run_import(path)

    def run_import(self, path: str):
        user = self.session.user

        def work(db, task):
            records = []
            with open(path, encoding="utf-8") as fh:
                for n, line in enumerate(fh, start=1):
                    if line.strip():
                        try:
                            records.append(json.loads(line))
                        except json.JSONDecodeError as exc:
                            raise InputError(f"第{n}行不是有效的 JSON：{exc.msg}") from None
            task.total = len(records)
            return cases.import_records(db, records, user, progress=lambda n: task.report(n, len(records)))

        def done(numbers):
            self.session.changed("cases")
            self.message.setStyleSheet("color: #1b5e20;")
            self.message.show_message(f"已补录 {len(numbers)} 件案件")
        return self.session.ops.run(work, on_done=done, label="正在补录导入案件…")

    def generate_demo(self) -> None:
        n, user = self.demo_count.value(), self.session.user

        def work(db, task):
            def progress(done):
                task.report(done, n)
                task.check()  # cancel between batches; finished batches stay (each is one transaction)
            return demo.fill(db, n, seed=secrets.randbelow(2**31), actor=user, progress=progress, chunk=500)

        def done(added):
            self.session.changed("cases")
            self.message.setStyleSheet("color: #1b5e20;")
            self.message.show_message(f"已生成 {added} 件演示案件")
        self.session.ops.run(work, on_done=done, label=f"正在生成 {n} 件演示案件…", total=n)
