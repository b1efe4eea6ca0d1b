"""数据交换: bundles between a station and its hub (desktop/sync), in the program.

At a station: the hub card (joined or not, join from a card file), the station card, the next
bundle to a chosen folder (a USB stick), resend of bundle n, the bundles written so far.
At a hub: enrol a station from its card after the user confirms the fingerprint on the stamped
paper form, import bundles (one summary line each; refusals name station, sequence and check),
and the stations table. A hub may itself report upward, so it also shows the station part.

Export and import run on the database worker inside one outer transaction, so 取消 pressed before
the commit leaves nothing written (and no bundle file behind).
"""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
    QListWidget, QListWidgetItem, QMessageBox, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from desktop import backup, dashboard
from desktop.dbtools import immediate
from desktop.errors import InputError, Refused
from desktop.sync import export as sx, hub as sh, keys as sk
from desktop.sync.bundle import JSONProblem
from desktop.ui import filedialogs as fd, ops as opsmod
from desktop.ui.package_panel import HubPackageBox, StationPackageBox
from desktop.ui.widgets import ErrorLabel, fill_table, readonly_table, scrolling_body

REFUSED = QBrush(QColor("#b3261e"))
OK = QBrush(QColor("#1b5e20"))


NOT_JOINED_STEPS = (
    "<b>尚未加入汇总端，还不能导出数据包。</b>第一次上报前，请按以下步骤做一次（以后每次只需第 4 步）：<ol>"
    "<li>向上级（区县）汇总端索取<b>汇总端登记卡</b>文件（通常用 U 盘拷来，文件名以 .json 结尾）"
    "和盖章的纸质登记表；</li>"
    "<li>点击“安装汇总端登记卡…”，选择该文件，核对屏幕上的指纹与纸质登记表上的一致；</li>"
    "<li>点击“导出本站登记卡…”，保存到 U 盘，连同本站盖章的纸质登记表交汇总端登记本站；</li>"
    "<li>插入 U 盘，在“导出到”中选择 U 盘，点击“导出下一个数据包”，把 U 盘交汇总端导入。</li></ol>")

def read_card(path) -> dict:
    """A card file read as strictly as a bundle manifest (it arrives on the same sticks)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"无法读取登记卡 {Path(path).name}（{exc.strerror}）") from None
    try:
        return sk.parse_card(data)
    except JSONProblem as exc:
        raise InputError(f"登记卡 {Path(path).name} {exc}") from None


def ui_text(exc: BaseException) -> str:
    """The core's message without the command-line option names it carries for the CLI."""
    return opsmod.error_text(exc).replace("--hub-card: ", "登记卡：").replace("--card: ", "登记卡：") \
        .replace("--out: ", "").replace("--resend: ", "")


def _discard(*paths) -> None:
    for p in paths:
        try:
            Path(p).unlink()
        except OSError:
            pass


def export_work(db, task, out_dir, full: bool, user) -> dict:
    """export_bundle inside an outer transaction: committed only if not cancelled by then."""
    task.check()
    r = None
    try:
        with immediate(db):
            r = sx.export_bundle(db, out_dir, user, full=full)
            task.check()  # the last moment a cancel can take the bundle back
    except BaseException:
        if r is not None:  # the sequence number is not used: no file may carry it
            _discard(r["path"], sx.kept_dir(db) / Path(r["path"]).name)
        raise
    return r


def import_work(db, task, paths: list, user) -> list[dict]:
    """Import several bundles in one outer transaction; a refusal skips only its own bundle."""
    from desktop.security import accounts

    accounts.require(user, "import")
    task.check()
    if getattr(db, "md_path", None):
        backup.auto_backup(db, db.md_path, "pre-import")  # issue 7: a copy before every import
    results: list[dict] = []
    with immediate(db):  # one transaction; a refusal skips only its own bundle
        for i, p in enumerate(paths):
            task.report(i, len(paths))
            task.check()
            try:
                results.append(sh.import_bundle(db, p, user))
            except sh.BundleRefused as exc:
                results.append({"file": Path(p).name, "status": "refused", "check": exc.check, "message": exc.message})
        task.check()  # a cancel up to here leaves every bundle of the batch unimported
    return results


class EnrolDialog(QDialog):
    """Shows a station card and asks for the fingerprint written on the stamped paper form."""

    def __init__(self, card: dict, parent=None):
        super().__init__(parent)
        self.card = card
        self.setWindowTitle("登记站点")
        f = QFormLayout(self)
        f.addRow("站点标识", QLabel(card["station"]))
        f.addRow("组织名称", QLabel(card["name"]))
        f.addRow("行政区划", QLabel(str(card.get("region") or "")))
        f.addRow("类型", QLabel("区县汇总端" if card.get("role") == "hub" else "站点"))
        fp = QLabel(f"<b style='font-size:14pt'>{card['fingerprint']}</b>")
        fp.setTextInteractionFlags(Qt.TextSelectableByMouse)
        f.addRow("登记卡指纹", fp)
        f.addRow(QLabel("请输入盖章的纸质登记表上抄写的指纹，核对一致后才能登记："))
        self.typed = QLineEdit()
        self.typed.setObjectName("typed_fingerprint")
        self.typed.setPlaceholderText("如 AB12-CD34-EF56")
        f.addRow("纸质登记表指纹", self.typed)
        self.error = ErrorLabel()
        f.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("登记")
        buttons.button(QDialogButtonBox.Cancel).setText("取消")
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        f.addRow(buttons)

    def _check(self) -> None:
        typed = self.typed.text().strip().upper()
        if typed != self.card["fingerprint"]:
            self.error.show_message(f"输入的指纹与登记卡指纹 {self.card['fingerprint']} 不符：请核对纸质登记表；"
                                    "不符说明登记卡可能被调换，不要登记")
            return
        self.accept()


class ExchangePage(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setObjectName("ExchangePage")
        self.is_hub = sk.is_hub(session.db)
        user = session.user
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        v = scrolling_body(outer)
        self.message = ErrorLabel()
        self.message.setObjectName("exchange_message")
        self.results: list[dict] = []

        if self.is_hub:
            self._build_hub(v, user)
            self.hub_package_box = HubPackageBox(session)  # issue 16: packages down to the stations
            v.addWidget(self.hub_package_box)
        self._build_station(v, user)
        self.package_box = StationPackageBox(session)  # issue 16: a package from this database's hub
        v.addWidget(self.package_box)
        v.addWidget(self.message)
        v.addStretch()
        self.refresh()

    # --- layout --------------------------------------------------------------------------
    def _build_station(self, v, user) -> None:
        box = QGroupBox("向上级汇总端上报" if self.is_hub else "汇总端与数据包")
        g = QVBoxLayout(box)
        self.hub_status = QLabel()
        self.hub_status.setObjectName("hub_status")
        self.hub_status.setWordWrap(True)
        self.hub_status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        g.addWidget(self.hub_status)
        row = QHBoxLayout()
        self.join_button = QPushButton("安装汇总端登记卡…")
        self.join_button.clicked.connect(self.ask_join)
        self.card_button = QPushButton("导出本站登记卡…")
        self.card_button.clicked.connect(self.ask_station_card)
        for b in (self.join_button, self.card_button):
            b.setEnabled(user.can("admin"))
            row.addWidget(b)
        row.addStretch()
        g.addLayout(row)

        row = QHBoxLayout()
        row.addWidget(QLabel("导出到"))
        self.folder = QLineEdit()
        self.folder.setObjectName("export_folder")
        self.folder.setPlaceholderText("选择 U 盘或文件夹")
        self.folder.textChanged.connect(lambda *_: "导出目录" in self.message.text() and self._say(""))
        row.addWidget(self.folder, 1)
        pick = QPushButton("选择…")
        pick.clicked.connect(self._pick_folder)
        row.addWidget(pick)
        self.full = QCheckBox("完整数据包（全部记录）")
        row.addWidget(self.full)
        self.export_button = QPushButton("导出下一个数据包")
        self.export_button.clicked.connect(lambda: self.export_to(self.folder.text().strip(), self.full.isChecked()))
        row.addWidget(self.export_button)
        g.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(QLabel("重新写出第"))
        self.resend_seq = QSpinBox()
        self.resend_seq.setRange(1, 999999)
        row.addWidget(self.resend_seq)
        row.addWidget(QLabel("号数据包（与原文件逐字节相同，用于 U 盘丢失或损坏）"))
        self.resend_button = QPushButton("重发")
        self.resend_button.clicked.connect(lambda: self.resend(self.resend_seq.value(), self.folder.text().strip()))
        row.addWidget(self.resend_button)
        row.addStretch()
        g.addLayout(row)
        for w in (self.export_button, self.resend_button):
            w.setEnabled(user.can("export"))
        # issue 15: a bundle is signed with the station's key, which only an administrator's password
        # opens; say so instead of offering a button that would fail
        self.export_note = QLabel("导出数据包要由管理员登录：数据包用本站的签名密钥签名，该密钥只对管理员开放。")
        self.export_note.setObjectName("export_admin_note")
        self.export_note.setWordWrap(True)
        self.export_note.setVisible(not user.can("export"))
        g.addWidget(self.export_note)
        self.pending = QLabel()
        self.pending.setObjectName("pending_changes")
        g.addWidget(self.pending)
        self.out_table = readonly_table(["序号", "文件", "导出时间", "类型", "案件", "调解员", "案件经过", "导出人"])
        self.out_table.setObjectName("bundles_out")
        self.out_table.setMinimumHeight(150)
        self.out_table.itemSelectionChanged.connect(self._pick_resend)
        g.addWidget(self.out_table)
        v.addWidget(box)

    def _build_hub(self, v, user) -> None:
        box = QGroupBox("汇总端：站点登记与数据包导入")
        g = QVBoxLayout(box)
        self.hub_info = QLabel()
        self.hub_info.setWordWrap(True)
        self.hub_info.setTextInteractionFlags(Qt.TextSelectableByMouse)
        g.addWidget(self.hub_info)
        row = QHBoxLayout()
        self.enrol_button = QPushButton("登记站点…")
        self.enrol_button.clicked.connect(self.ask_enrol)
        self.enrol_button.setEnabled(user.can("admin"))
        self.hub_card_button = QPushButton("导出汇总端登记卡…")
        self.hub_card_button.clicked.connect(self.ask_hub_card)
        self.import_button = QPushButton("导入数据包…")
        self.import_button.clicked.connect(self.ask_import)
        self.import_button.setEnabled(user.can("import"))
        for b in (self.enrol_button, self.hub_card_button, self.import_button):
            row.addWidget(b)
        row.addStretch()
        g.addLayout(row)
        g.addWidget(QLabel("导入结果"))
        self.import_log = QListWidget()
        self.import_log.setObjectName("import_log")
        self.import_log.setWordWrap(True)
        self.import_log.setMinimumHeight(60)
        self.import_log.setMaximumHeight(130)
        g.addWidget(self.import_log)
        self.warnings = ErrorLabel()
        self.warnings.setObjectName("stats_warnings")
        g.addWidget(self.warnings)
        self.stations_table = readonly_table(["站点", "名称", "最新序号", "最新数据包时间", "缺少的数据包", "本期",
                                              "案件", "作废", "调解员", "密钥指纹", "统计核对"])
        self.stations_table.setObjectName("stations")
        self.stations_table.setMinimumHeight(180)
        g.addWidget(self.stations_table)
        v.addWidget(box)

    # --- showing -------------------------------------------------------------------------
    def _count_pending(self) -> None:
        """The count walks every changed record (a million on a hub): on the session's reader."""
        def show(n: int | None) -> None:
            if shiboken6.isValid(self.pending):  # the page may have closed before the count came back
                self.pending.setText("未能统计尚未导出的修改" if n is None else f"自上次导出以来有 {n} 条修改尚未导出")
        reader = getattr(self.session, "reader", None)
        if reader is None:
            return show(dashboard.unexported_changes(self.session.db))
        if not self.pending.text():
            self.pending.setText("正在统计尚未导出的修改…")
        reader.load(("pending", id(self)), dashboard.unexported_changes, show, lambda exc: show(None))

    def refresh(self, *_) -> None:
        db = self.session.db
        hub = sx.hub_of(db)
        if hub:
            self.hub_status.setText(f"已加入汇总端「{hub.get('name')}」（汇总端编号 {hub.get('hub')}），汇总端指纹 "
                                    f"<b>{hub.get('fingerprint')}</b>，安装于 {str(hub.get('joined_at', ''))[:10]}。"
                                    "指纹应与汇总端盖章的纸质登记表一致。")
        else:
            self.hub_status.setText(NOT_JOINED_STEPS)
        self.export_button.setEnabled(bool(hub) and self.session.user.can("export"))
        self._count_pending()
        rows = db.conn.execute("select seq, file_name, created_at, full, counts, created_by from sync_bundles_out"
                               " order by seq desc limit 500").fetchall()
        import json

        from desktop.ui.texts import UserNames

        who = UserNames(db)
        table = []
        for seq, name, at, full, counts, by in rows:
            c = json.loads(counts or "{}")
            nil = not any(c.values())
            # the first bundle holds every record even when not asked for a full one
            kind = "完整" if full or seq == 1 else ("零上报" if nil else "增量")
            table.append([seq, name, at[:19].replace("T", " "), kind,
                          c.get("cases", 0), c.get("mediators", 0), c.get("case_events", 0), who(by)])
        fill_table(self.out_table, table, [r[0] for r in rows])
        if rows:
            self.resend_seq.setMaximum(rows[0][0])
        self.resend_button.setEnabled(bool(rows) and self.session.user.can("export"))
        self.resend_seq.setEnabled(bool(rows))
        if self.is_hub:
            self._refresh_hub()

    def _refresh_hub(self) -> None:
        db = self.session.db
        try:
            card = sk.hub_card(db)
            self.hub_info.setText(f"本汇总端「{card['name']}」，密钥指纹 <b>{card['fingerprint']}</b>"
                                  "（各站点安装汇总端登记卡时核对）")
        except Refused as exc:
            self.hub_info.setText(exc.message)
        rows = sh.stations(db)
        table, warnings = [], []
        for r in rows:
            table.append([r["station"], r["name"], r["last_seq"] or "—", (r["last_bundle_at"] or "从未上报")[:19].replace("T", " "),
                          "、".join(r["gaps"]) or "无", ("已上报" if r["bundle_this_period"] else "未上报") + f"（{r['current_period']}）",
                          r["counts"]["cases"], r["counts"]["voided"], r["counts"]["mediators"], r["fingerprint"],
                          "不一致" if r["stats_warning"] else "一致"])
            if r["stats_warning"]:
                warnings.append(r["stats_warning"])
        fill_table(self.stations_table, table, [r["station"] for r in rows])
        for i, r in enumerate(rows):
            bad = r["gaps"] or not r["bundle_this_period"] or r["stats_warning"]
            if bad:
                for j in (4, 5, 10):
                    item = self.stations_table.item(i, j)
                    if (j == 4 and r["gaps"]) or (j == 5 and not r["bundle_this_period"]) or (j == 10 and r["stats_warning"]):
                        item.setForeground(REFUSED)
        self.warnings.show_message("\n".join(warnings))

    def _pick_resend(self) -> None:
        r = self.out_table.currentRow()
        if r >= 0 and self.out_table.item(r, 0):
            self.resend_seq.setValue(int(self.out_table.item(r, 0).text()))

    def _say(self, text: str, ok: bool = True) -> None:
        self.message.setStyleSheet("color: #1b5e20;" if ok else "color: #b3261e;")
        self.message.show_message(text)

    def _failed(self, exc) -> None:
        self._say(ui_text(exc), ok=False)

    # --- station actions -----------------------------------------------------------------
    def _pick_folder(self) -> None:
        d = fd.folder_path(self, "选择导出目录（如 U 盘）", removable=True)
        if d:
            self.folder.setText(d)

    def ask_join(self) -> None:
        path = fd.open_path(self, "选择汇总端登记卡", "登记卡 (*.json *.card);;所有文件 (*)", removable=True)
        if not path:
            return
        try:
            card = read_card(path)
        except InputError as exc:
            self._failed(exc)
            return
        fp = card.get("fingerprint") if isinstance(card, dict) else None
        answer = QMessageBox.question(
            self, "安装汇总端登记卡",
            f"汇总端：{card.get('name') if isinstance(card, dict) else '?'}\n指纹：{fp}\n\n"
            "请与汇总端盖章的纸质登记表上的指纹核对，一致才安装。安装后下一个数据包将包含本站全部记录。\n确认安装？")
        if answer == QMessageBox.Yes:
            self.join_card(path)

    def join_card(self, path):
        user = self.session.user

        def done(stored):
            self._say(f"已加入汇总端「{stored['name']}」（指纹 {stored['fingerprint']}）；下一个数据包将包含本站全部记录")
            self.session.changed("sync")
            self.refresh()
        return self.session.ops.run(lambda db, task: sx.join(db, read_card(path), user), on_done=done,
                                    on_error=self._failed)

    def ask_station_card(self) -> None:
        path = fd.save_path(self, "导出本站登记卡", "本站登记卡.json", "登记卡 (*.json)", removable=True)
        if path:
            self.write_station_card(path, show_box=True)

    def write_station_card(self, path, show_box: bool = False):
        def work(db, task):
            card = sk.station_card(db)  # creates the signing key on first use (sealed under the admin key)
            sk.write_card(card, path)
            return card

        def done(card):
            self._say(f"登记卡已写入 {path}；指纹 {card['fingerprint']}——请抄在盖章的纸质登记表上，与登记卡一并交汇总端")
            if show_box:
                QMessageBox.information(self, "本站登记卡", f"登记卡已写入：\n{path}\n\n指纹：{card['fingerprint']}\n\n"
                                        "请把指纹抄在盖章的纸质登记表上，与登记卡一并交汇总端。")
        return self.session.ops.run(work, on_done=done, on_error=self._failed)

    def export_to(self, folder: str, full: bool = False):
        if not folder:
            self._say("请先选择导出目录（如 U 盘）", ok=False)
            return None
        user = self.session.user

        def done(r):
            c = r["counts"]
            text = (f"第 {r['seq']} 号数据包：零上报（自上次导出以来没有变动）" if r["nil"] else
                    f"第 {r['seq']} 号数据包{'（完整）' if r['full'] or r['seq'] == 1 else ''}：案件 {c['cases']} 件，调解员 {c['mediators']} 条，"
                    f"案件经过 {c['case_events']} 条")
            if r.get("new_key"):
                text += "。本站此前没有签名密钥，已自动生成：请导出本站登记卡交汇总端登记"
            self._say(f"{text}；已写入 {r['path']}")
            self.session.changed("sync")
            self.refresh()
        return self.session.ops.run(lambda db, task: export_work(db, task, folder, full, user), on_done=done,
                                    on_error=self._failed, label="正在导出数据包…")

    def resend(self, seq: int, folder: str):
        if not folder:
            self._say("请先选择导出目录（如 U 盘）", ok=False)
            return None
        user = self.session.user
        return self.session.ops.run(lambda db, task: sx.resend(db, seq, folder, user),
                                    on_done=lambda p: self._say(f"已重新写出第 {seq} 号数据包（与原文件逐字节相同）：{p}"),
                                    on_error=self._failed, label=f"正在重新写出第 {seq} 号数据包…")

    # --- hub actions ---------------------------------------------------------------------
    def ask_hub_card(self) -> None:
        path = fd.save_path(self, "导出汇总端登记卡", "汇总端登记卡.json", "登记卡 (*.json)", removable=True)
        if path:
            try:
                card = sk.hub_card(self.session.db)
                sk.write_card(card, path)
            except (Refused, OSError) as exc:
                self._failed(exc)
                return
            self._say(f"汇总端登记卡已写入 {path}；指纹 {card['fingerprint']}")

    def ask_enrol(self) -> None:
        path = fd.open_path(self, "选择站点登记卡", "登记卡 (*.json *.card);;所有文件 (*)", removable=True)
        if not path:
            return
        try:
            card = sh.check_station_card(read_card(path))
        except (InputError, Refused) as exc:
            self._failed(exc)
            return
        dlg = EnrolDialog(card, self)
        if dlg.exec() == QDialog.Accepted:
            self.enrol_card(path, dlg.typed.text())

    def enrol_card(self, path, typed_fingerprint: str):
        """Enrol from a card file; the core refuses when the typed fingerprint differs from the card's."""
        user = self.session.user
        if not (typed_fingerprint or "").strip():
            self._say("请输入纸质登记表上的指纹", ok=False)
            return None

        def done(r):
            text = {"enrolled": "已登记", "unchanged": "已登记过（密钥相同，未作更改）",
                    "key-replaced": "已更换密钥"}[r["status"]]
            self._say(f"站点 {r['station']}「{r['name']}」{text}；指纹 {r['fingerprint']}")
            self.refresh()
        return self.session.ops.run(
            lambda db, task: sh.enrol(db, read_card(path), user, expect_fingerprint=typed_fingerprint.strip()),
            on_done=done, on_error=self._failed)

    def ask_import(self) -> None:
        paths = fd.open_paths(self, "选择数据包（可多选）", "数据包 (*.bundle);;所有文件 (*)", removable=True)
        if paths:
            self.import_files(paths)

    def import_files(self, paths: list):
        user = self.session.user
        paths = sorted(paths, key=lambda p: Path(p).name)  # station-seq order: n before n+1

        def done(results):
            self.results = results
            for r in results:
                refused = r["status"] == "refused"
                item = QListWidgetItem(r["message"] if refused else r["message"] + (f"\n{r['warning']}" if r.get("warning") else ""))
                item.setForeground(REFUSED if refused or r.get("warning") else OK)
                self.import_log.addItem(item)
            self.import_log.scrollToBottom()
            bad = sum(r["status"] == "refused" for r in results)
            self._say(f"{len(results)} 个数据包：导入 {sum(r['status'] == 'imported' for r in results)} 个，"
                      f"已导入过 {sum(r['status'] == 'duplicate' for r in results)} 个，拒绝 {bad} 个", ok=not bad)
            self.session.changed("cases")
            self.refresh()
        return self.session.ops.run(lambda db, task: import_work(db, task, paths, user), on_done=done,
                                    on_error=self._failed, label=f"正在验证并导入 {len(paths)} 个数据包…",
                                    total=len(paths))

