"""The main window: navigation, pages, status bar, and single-instance case windows."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow, QStackedWidget, QVBoxLayout, QWidget,
)

from desktop import dashboard
from desktop.codes import USER_ROLES

PAGES = ["工作台", "案件", "调解员名册", "统计", "数据交换", "设置"]


class Placeholder(QWidget):
    def __init__(self, title: str, text: str):
        super().__init__()
        v = QVBoxLayout(self)
        lab = QLabel(f"<h2>{title}</h2><p>{text}</p>")
        lab.setWordWrap(True)
        lab.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        v.addWidget(lab)
        v.addStretch()


def stats_page(session):
    """The statistics page once desktop/stats lands; until then a placeholder that says so."""
    try:
        from desktop.stats import report  # noqa: F401  (another issue builds it)
    except ImportError:
        report = None
    if report is not None and hasattr(report, "build"):
        try:
            import datetime as _dt
            data = report.build(session.db, str(_dt.date.today().year))
            rows = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in data.items() if not isinstance(v, dict))
            return Placeholder("统计", f"本年度统计（{data.get('period')}）<table>{rows}</table>")
        except Exception:  # the report is another issue's work in progress: never break the window
            pass
    return Placeholder("统计", "统计报表（按年、季度、月份的受理、结案、调解成功率和履行情况）将随统计功能提供。")


class MainWindow(QMainWindow):
    def __init__(self, session):
        super().__init__()
        self.session = session
        self.setObjectName("MainWindow")
        self.case_windows: dict = {}
        profile = session.profile
        self.setWindowTitle(f"{profile['name']} — 调解工作台" + ("（演示数据）" if profile.get("demo") else ""))
        central = QWidget()
        h = QHBoxLayout(central)
        h.setContentsMargins(4, 4, 4, 4)
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(self.fontMetrics().horizontalAdvance("调解员名册") + 48)
        for name in PAGES:
            self.nav.addItem(QListWidgetItem(name))
        self.stack = QStackedWidget()
        h.addWidget(self.nav)
        h.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.pages: dict[str, QWidget] = {}
        self._factories = {
            "工作台": self._dashboard, "案件": self._cases, "调解员名册": self._roster,
            "统计": lambda: stats_page(session),
            "数据交换": lambda: Placeholder("数据交换", "向区县/市汇总端导出加密签名的数据包、导入数据包，将随数据交换功能提供。"
                                                f"<br>目前有 {dashboard.unexported_changes(session.db)} 条修改尚未导出。"),
            "设置": self._settings,
        }
        for name in PAGES:
            holder = QWidget()  # pages are built when first shown: start-up stays fast
            holder.setLayout(QVBoxLayout())
            holder.layout().setContentsMargins(0, 0, 0, 0)
            self.stack.addWidget(holder)
        self.nav.currentRowChanged.connect(self.show_page)
        self.station = QLabel()
        self.user_label = QLabel()
        self.unexported = QLabel()
        self.unexported.setObjectName("unexported")
        for w in (self.station, self.user_label, self.unexported):
            self.statusBar().addPermanentWidget(w)
        QShortcut(QKeySequence("Ctrl+N"), self, activated=self.register_new)
        QShortcut(QKeySequence("Ctrl+F"), self, activated=self.focus_search)
        session.listeners.append(self.on_changed)
        self.update_status()
        geo = QSettings().value("main/geometry")
        if geo is not None:
            self.restoreGeometry(geo)
        else:
            self.resize(1280, 800)
        self.nav.setCurrentRow(0)

    # --- pages ----------------------------------------------------------------------------
    def page(self, name: str) -> QWidget:
        if name not in self.pages:
            w = self._factories[name]()
            self.pages[name] = w
            self.stack.widget(PAGES.index(name)).layout().addWidget(w)
        return self.pages[name]

    def show_page(self, row: int) -> None:
        if 0 <= row < len(PAGES):
            self.page(PAGES[row])
            self.stack.setCurrentIndex(row)
            if self.nav.currentRow() != row:
                self.nav.setCurrentRow(row)

    def _dashboard(self):
        from desktop.ui.dashboard_page import DashboardPage

        p = DashboardPage(self.session)
        p.open_case.connect(self.open_case)
        return p

    def _cases(self):
        from desktop.ui.cases_page import CasesPage

        p = CasesPage(self.session)
        p.open_case.connect(self.open_case)
        p.register_new.connect(self.register_new)
        return p

    def _roster(self):
        from desktop.ui.roster_page import RosterPage

        return RosterPage(self.session)

    def _settings(self):
        from desktop.ui.settings_page import SettingsPage

        return SettingsPage(self.session)

    # --- actions --------------------------------------------------------------------------
    def open_case(self, case_id: str):
        from desktop.ui.case_window import CaseWindow

        w = self.case_windows.get(case_id)
        if w is None or not w.isVisible():
            w = CaseWindow(self.session, case_id)
            w.setAttribute(Qt.WA_DeleteOnClose)
            w.destroyed.connect(lambda *_a, cid=case_id: self.case_windows.pop(cid, None))
            self.case_windows[case_id] = w
        w.show()
        w.raise_()
        w.activateWindow()
        return w

    def register_new(self):
        from desktop.ui.registration import RegistrationForm

        form = RegistrationForm(self.session, None, self)
        form.saved.connect(lambda case: self.open_case(case["id"]))
        form.open()
        return form

    def focus_search(self) -> None:
        self.show_page(PAGES.index("案件"))
        self.pages["案件"].search.setFocus()
        self.pages["案件"].search.selectAll()

    def on_changed(self, what: str) -> None:
        self.update_status()
        if what == "org":
            profile = self.session.profile
            self.setWindowTitle(f"{profile['name']} — 调解工作台" + ("（演示数据）" if profile.get("demo") else ""))
        for name in ("工作台", "案件"):
            if name in self.pages:
                self.pages[name].refresh()
        if what == "roster" and "调解员名册" in self.pages:
            self.pages["调解员名册"].refresh()

    def update_status(self) -> None:
        profile = self.session.profile
        u = self.session.user
        self.station.setText(f"站点：{profile['name']}（{profile['station']}）")
        self.user_label.setText(f"用户：{u.display_name or u.name}（{USER_ROLES.get(u.role, u.role)}）")
        self.unexported.setText(f"未导出的修改：{dashboard.unexported_changes(self.session.db)} 条")

    def closeEvent(self, event) -> None:
        QSettings().setValue("main/geometry", self.saveGeometry())
        if "案件" in self.pages:
            self.pages["案件"].save_layout()
        for w in list(self.case_windows.values()):
            w.close()
        super().closeEvent(event)
