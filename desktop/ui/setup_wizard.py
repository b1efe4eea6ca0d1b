"""First start: set up the organization and the first administrator, then create the database."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QWizard, QWizardPage

from desktop import db as dbm, org
from desktop.security import accounts
from desktop.codes import ORG_KINDS
from desktop.errors import InputError
from desktop.ui.widgets import ErrorLabel


class _Page(QWizardPage):
    def __init__(self, title: str, subtitle: str, check):
        super().__init__()
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self.check = check
        self.form = QFormLayout(self)
        self.error = ErrorLabel()

    def finish_layout(self) -> None:
        self.form.addRow(self.error)
        # a message about a field goes away as soon as the user changes something on the page
        for w in self.findChildren(QLineEdit):
            w.textEdited.connect(lambda *_: self.error.show_message(""))
        for w in self.findChildren(QComboBox):
            w.currentIndexChanged.connect(lambda *_: self.error.show_message(""))

    def validatePage(self) -> bool:
        try:
            self.check()
        except InputError as exc:
            self.error.show_message("\n".join(exc.messages))
            return False
        self.error.show_message("")
        return True


class SetupWizard(QWizard):
    """Collects the profile and the administrator; `create()` writes the new database."""

    def __init__(self, path: Path, parent=None):
        super().__init__(parent)
        self.path = Path(path)
        self.setWindowTitle("调解工作台 — 首次设置")
        self.setWizardStyle(QWizard.ClassicStyle)
        self.setButtonText(QWizard.NextButton, "下一步")
        self.setButtonText(QWizard.BackButton, "上一步")
        self.setButtonText(QWizard.FinishButton, "完成")
        self.setButtonText(QWizard.CancelButton, "取消")
        self.resize(640, 520)
        self.user: accounts.User | None = None
        self.db = None

        p1 = _Page("调解组织", "这些信息写入案号和每一份文书，以后可在“设置”中修改。", self._check_org)
        self.kind = QComboBox()
        for k, v in ORG_KINDS.items():
            self.kind.addItem(v, k)
        p1.form.addRow("组织类型", self.kind)
        self.name = QLineEdit()
        self.name.setPlaceholderText("如：某某镇劳动人事争议调解中心")
        p1.form.addRow("组织全称", self.name)
        self.region = QLineEdit()
        self.region.setPlaceholderText("6位行政区划代码，如 330481")
        p1.form.addRow("行政区划代码", self.region)
        self.credit = QLineEdit()
        p1.form.addRow("统一社会信用代码", self.credit)
        self.abbr = QLineEdit()
        self.abbr.setPlaceholderText("案号中的简称，留空则取组织名称")
        p1.form.addRow("案号简称", self.abbr)
        from desktop.ui.caseno import CaseNoTemplateEdit

        self.template = CaseNoTemplateEdit(org.DEFAULT_CASE_NO_TEMPLATE)
        p1.form.addRow("案号格式", self.template)
        self.preview = QLabel()
        p1.form.addRow("", self.preview)
        for w in (self.template, self.abbr, self.name):
            w.textChanged.connect(self._preview)
        p1.finish_layout()

        p2 = _Page("仲裁委员会", "调解不成时，告知书须写明有管辖权的劳动人事争议仲裁委员会的名称、地址和电话。",
                   self._check_arbitration)
        self.arb_name = QLineEdit()
        p2.form.addRow("名称", self.arb_name)
        self.arb_address = QLineEdit()
        p2.form.addRow("地址", self.arb_address)
        self.arb_phone = QLineEdit()
        p2.form.addRow("电话", self.arb_phone)
        p2.finish_layout()

        p3 = _Page("第一个管理员", "管理员可以管理用户和组织设置。密码至少8位，且同时包含字母和数字。", self._check_admin)
        self.admin = QLineEdit()
        p3.form.addRow("用户名", self.admin)
        self.display = QLineEdit()
        p3.form.addRow("姓名", self.display)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.Password)
        p3.form.addRow("密码", self.password)
        self.password2 = QLineEdit()
        self.password2.setEchoMode(QLineEdit.Password)
        p3.form.addRow("再次输入密码", self.password2)
        p3.finish_layout()
        for p in (p1, p2, p3):
            self.addPage(p)
        self._preview()

    def profile(self) -> dict:
        return {"name": self.name.text().strip(), "kind": self.kind.currentData(), "region": self.region.text().strip(),
                "credit_code": self.credit.text().strip(), "abbr": self.abbr.text().strip(),
                "case_no_template": self.template.text().strip(),
                "arbitration": {"name": self.arb_name.text().strip(), "address": self.arb_address.text().strip(),
                                "phone": self.arb_phone.text().strip()}}

    def _preview(self) -> None:
        try:
            p = org.validate_profile({**self.profile(), "name": self.name.text().strip() or "某镇"})
            from desktop.clock import today

            self.preview.setText("案号示例：" + org.format_case_no(p, today().year, 1))
        except InputError as exc:
            self.preview.setText(exc.messages[0])

    def _check_org(self) -> None:
        org.validate_profile(self.profile())

    def _check_arbitration(self) -> None:
        if not self.arb_name.text().strip():
            raise InputError("请填写仲裁委员会名称")
        org.validate_profile(self.profile())

    def _check_admin(self) -> None:
        if not self.admin.text().strip():
            raise InputError("请填写用户名")
        if self.password.text() != self.password2.text():
            raise InputError("两次输入的密码不一致")
        accounts.check_password_strength(self.password.text())

    def validateCurrentPage(self) -> bool:
        if not super().validateCurrentPage():
            return False
        if self.currentId() == self.pageIds()[-1]:
            try:
                self.create()
            except InputError as exc:
                self.currentPage().error.show_message("\n".join(exc.messages))
                return False
        return True

    def create(self) -> accounts.User:
        """Create the database, initialise the organization and the administrator (one new file)."""
        if dbm.is_database(self.path):
            raise InputError(f"数据库已存在，拒绝覆盖：{self.path}")
        profile = org.validate_profile(self.profile())
        accounts.check_password_strength(self.password.text())
        database = dbm.open_database(self.path, create=True)
        org.initialize(database, profile)
        self.user = accounts.create_user(database, self.admin.text().strip(), self.password.text(), "admin",
                                         display_name=self.display.text().strip())
        self.db = database
        return self.user
