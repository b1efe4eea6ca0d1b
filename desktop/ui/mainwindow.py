"""The main window: navigation, pages, status bar, and single-instance case windows."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow, QPushButton, QStackedWidget,
    QVBoxLayout, QWidget,
)

from desktop import dashboard
from desktop.security import keys
from desktop.codes import USER_ROLES
from desktop.errors import PermissionDenied

PAGES = ["工作台", "案件", "调解员名册", "统计", "数据交换", "设置"]


class MainWindow(QMainWindow):
    def __init__(self, session):
        super().__init__()
        self.session = session
        self.setObjectName("MainWindow")
        self.case_windows: dict = {}
        profile = session.profile
        self.setWindowTitle(f"{profile['name']} — 调解工作台" + ("（演示数据）" if profile.get("demo") else ""))
        content = QWidget()
        h = QHBoxLayout(content)
        h.setContentsMargins(4, 4, 4, 4)
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(self.fontMetrics().horizontalAdvance("调解员名册") + 48)
        for name in PAGES:
            self.nav.addItem(QListWidgetItem(name))
        self.stack = QStackedWidget()
        h.addWidget(self.nav)
        h.addWidget(self.stack, 1)
        # The content and the lock screen share the central area: locked, nothing of the content shows.
        self.central = QStackedWidget()
        self.central.addWidget(content)
        self.setCentralWidget(self.central)
        self.lock_screen = None
        self.locked = False
        self._hidden_windows: list = []
        self.pages: dict[str, QWidget] = {}
        self._factories = {
            "工作台": self._dashboard, "案件": self._cases, "调解员名册": self._roster,
            "统计": self._stats, "数据交换": self._exchange, "设置": self._settings,
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
        self.mode_label = QLabel()
        self.mode_label.setObjectName("mode")
        self.mode_label.setStyleSheet("color: #b3261e; font-weight: bold;")
        for w in (self.mode_label, self.station, self.user_label, self.unexported):
            self.statusBar().addPermanentWidget(w)
        if getattr(session, "readonly", False):
            self.mode_label.setText("只读模式：另一程序正在写入本数据库")
        elif not session.user.can("write"):
            self.mode_label.setText("只读用户")
        self.mode_label.setVisible(bool(self.mode_label.text()))
        QShortcut(QKeySequence("Ctrl+N"), self, activated=self.register_new)
        QShortcut(QKeySequence("Ctrl+F"), self, activated=self.focus_search)
        self._build_menu()
        self.idle = None
        app = QApplication.instance()
        if app is not None:
            from desktop.ui.idle import IdleWatcher

            self.idle = IdleWatcher(app, keys.idle_lock_minutes(session.db), self)
            self.idle.idle.connect(self.lock)
        session.listeners.append(self.on_changed)
        self.place_on_screen(QSettings().value("main/geometry"))
        self.nav.setCurrentRow(0)  # the dashboard: its read is the reader's first
        self.update_status()

    def place_on_screen(self, geo=None, avail=None) -> None:
        """A saved layout if it fits this screen; otherwise 1280×800 where that fits with its title
        bar, else maximised (1366×768, 1280×720): the status bar is never below the screen's edge."""
        if geo is not None:
            self.restoreGeometry(geo)
        screen = self.screen() or QApplication.primaryScreen()
        if avail is None and screen is None:
            return
        avail = avail if avail is not None else screen.availableGeometry()
        frame = 40  # title bar and borders, before the window is shown (frameGeometry not known yet)
        fits = avail.width() >= 1280 and avail.height() >= 800 + frame
        if geo is None or self.width() > avail.width() or self.height() + frame > avail.height() \
                or self.width() < 1000 or self.height() < 600:
            if fits:
                self.resize(1280, 800)
                self.move(avail.x() + (avail.width() - 1280) // 2, avail.y() + (avail.height() - 800 - frame) // 2)
            else:
                self.resize(min(1280, avail.width()), max(400, avail.height() - frame))
                self.move(avail.topLeft())
                self.setWindowState(self.windowState() | Qt.WindowMaximized)

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu("账户")
        self.change_password_action = QAction("修改密码…", self)
        self.change_password_action.triggered.connect(self.change_password)
        self.lock_action = QAction("立即锁定", self)
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
        self.lock_action.triggered.connect(self.lock)
        quit_action = QAction("退出", self)
        quit_action.triggered.connect(self.close)
        for a in (self.change_password_action, self.lock_action):
            menu.addAction(a)
        menu.addSeparator()
        menu.addAction(quit_action)
        help_menu = self.menuBar().addMenu("帮助")
        self.manual_action = QAction("使用手册", self)
        self.manual_action.setShortcut(QKeySequence.HelpContents)
        self.manual_action.triggered.connect(self.show_manual)
        self.first_day_action = QAction("第一天怎么做", self)
        self.first_day_action.triggered.connect(lambda: self.show_manual("第一天"))
        self.about_action = QAction("关于调解工作台", self)
        self.about_action.triggered.connect(self.show_about)
        for a in (self.manual_action, self.first_day_action):
            help_menu.addAction(a)
        help_menu.addSeparator()
        help_menu.addAction(self.about_action)
        self.help_window = None

    def show_manual(self, find: str | None = None):
        from desktop.ui.help import HelpWindow

        if self.help_window is None or not self.help_window.isVisible():
            self.help_window = HelpWindow(self)
        if find:
            self.help_window.find.setText(find)
            self.help_window.find_next()
        self.help_window.show()
        self.help_window.raise_()
        return self.help_window

    def show_about(self):
        from PySide6.QtWidgets import QMessageBox

        from desktop.ui.help import about_text

        box = QMessageBox(QMessageBox.Information, "关于调解工作台", about_text(self.session), QMessageBox.Ok, self)
        box.setTextInteractionFlags(Qt.TextSelectableByMouse)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()
        self.about_box = box
        return box

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
        p.first_day.step_clicked.connect(self.first_day_step)
        return p

    def first_day_step(self, step: str):
        """A first-day button: the roster's add dialog, the registration form, or the exchange page."""
        if step == "roster":
            self.show_page(PAGES.index("调解员名册"))
            return self.pages["调解员名册"].add()
        if step == "register":
            return self.register_new()
        self.show_page(PAGES.index("数据交换"))
        return self.pages["数据交换"]

    def _cases(self):
        from desktop.ui.cases_page import CasesPage

        p = CasesPage(self.session)
        p.open_case.connect(self.open_case)
        p.register_new.connect(self.register_new)
        return p

    def _roster(self):
        from desktop.ui.roster_page import RosterPage

        p = RosterPage(self.session)
        if not self.session.user.can("write"):  # the core refuses anyway; a viewer sees no edit buttons
            for b in p.findChildren(QPushButton):
                b.hide()
        return p

    def _stats(self):
        from desktop.ui.stats_page import StatsPage

        return StatsPage(self.session)

    def _exchange(self):
        from desktop.ui.exchange_page import ExchangePage

        return ExchangePage(self.session)

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

        if not self.session.user.can("write"):
            from desktop.ui.ops import show_error

            role = USER_ROLES.get(self.session.user.role, self.session.user.role)
            return show_error(self, PermissionDenied(f"当前用户（{role}）无权执行此操作：修改数据"))

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
        if what in ("sync", "cases") and "数据交换" in self.pages:
            self.pages["数据交换"].refresh()
        if what == "settings" and self.idle is not None:
            self.idle.set_minutes(keys.idle_lock_minutes(self.session.db))

    # --- idle lock and passwords ------------------------------------------------------------
    def lock(self) -> None:
        """Hide everything behind the password prompt and forget the data key on both connections."""
        if self.locked:
            return
        from desktop.ui.idle import LockScreen

        self.locked = True
        keys.lock(self.session.db)
        self.session.ops.run(lambda db, task: keys.lock(db))
        if self.idle is not None:
            self.idle.pause()
        self._hidden_windows = [w for w in QApplication.topLevelWidgets()
                                if w is not self and w.isWindow() and w.isVisible()
                                and w.windowType() not in (Qt.Popup, Qt.ToolTip)]
        for w in self._hidden_windows:
            w.hide()
        self.lock_screen = LockScreen(self.session)
        self.lock_screen.unlocked.connect(self.unlock)
        self.central.addWidget(self.lock_screen)
        self.central.setCurrentWidget(self.lock_screen)
        self.menuBar().setEnabled(False)
        self.lock_screen.password.setFocus()

    def unlock(self) -> None:
        self.locked = False
        self.central.setCurrentIndex(0)
        if self.lock_screen is not None:
            self.central.removeWidget(self.lock_screen)
            self.lock_screen.deleteLater()
            self.lock_screen = None
        self.menuBar().setEnabled(True)
        for w in self._hidden_windows:
            w.show()
        self._hidden_windows = []
        if self.idle is not None:
            self.idle.resume()

    def change_password(self):
        from desktop.ui.idle import ChangePasswordDialog

        dlg = ChangePasswordDialog(self.session, self)
        dlg.setAttribute(Qt.WA_DeleteOnClose)
        dlg.accepted.connect(lambda: self.statusBar().showMessage("密码已修改", 5000))
        dlg.open()
        return dlg

    def update_status(self) -> None:
        profile = self.session.profile
        u = self.session.user
        self.station.setText(f"站点：{profile['name']}")
        self.station.setToolTip(f"本站编号 {profile['station']}：数据交换时汇总端用它识别本站")
        self.user_label.setText(f"用户：{u.display_name or u.name}（{USER_ROLES.get(u.role, u.role)}）")
        # a count over every changed record (a million on a hub that never exported): on the reader
        reader = getattr(self.session, "reader", None)
        if reader is None:
            return self._show_unexported(dashboard.unexported_changes(self.session.db))
        if not self.unexported.text():
            self.unexported.setText("未导出的修改：正在统计…")
        reader.load(("unexported", id(self)), dashboard.unexported_changes, self._show_unexported,
                    lambda exc: self._show_unexported(None))

    def _show_unexported(self, n: int | None) -> None:
        if shiboken6.isValid(self):  # the window may have closed before the count came back
            self.unexported.setText("未导出的修改：未能统计" if n is None else f"未导出的修改：{n} 条")

    def closeEvent(self, event) -> None:
        if self.idle is not None:
            self.idle.stop()
        QSettings().setValue("main/geometry", self.saveGeometry())
        if "案件" in self.pages:
            self.pages["案件"].save_layout()
        for w in list(self.case_windows.values()):
            w.close()
        super().closeEvent(event)
