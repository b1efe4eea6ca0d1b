"""The case window: one tab per stage of the case (domain.md §7), each change through the core.

Every action runs on the database worker (`session.ops`) and, when it succeeds, the window
reloads the case from the core so what it shows is what was stored.
"""

from __future__ import annotations

import datetime as _dt
import html

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QInputDialog, QLabel, QLineEdit, QListWidget,
    QListWidgetItem, QPlainTextEdit, QPushButton, QTabWidget, QTextBrowser, QVBoxLayout, QWidget,
)

from desktop import cases, money, roster, validate
from desktop.security import sensitive
from desktop.clock import today as records_today
from desktop.errors import InputError
from desktop.codes import (
    APPLICANTS, DECLINE_REASONS, DISPUTE_TYPES, FOLLOWUP_METHODS, ITEM_CATEGORIES, MEDIATOR_ROLES, MODES,
    OUTCOMES, PAYMENT_ORDER_CATEGORIES, SOURCES, STATUSES,
)
from desktop.dashboard import PAYMENT_ORDER_HINT
from desktop.ui import ops as opsmod
from desktop.ui.widgets import (
    ErrorLabel, date_edit, datetime_edit, fill_table, iso_date, iso_datetime, readonly_table, row_data, section,
)

DOCUMENT_LABELS = {
    "application": "调解申请书", "oral-record": "口头申请登记表", "registration": "案件登记表",
    "acceptance-notice": "受理通知书", "respondent-notice": "被申请人参加调解通知书", "decline-notice": "不予受理通知书",
    "rights-notice": "当事人权利义务告知书", "power-of-attorney": "授权委托书", "session-record": "调解笔录",
    "agreement": "调解协议书", "extension-record": "延期调解记录", "failure-notice": "调解终止（不成）告知书",
    "service-proof": "送达回证", "followup-record": "回访记录", "review-application": "仲裁审查申请书",
    "dossier-cover": "卷宗封面", "dossier-index": "卷内目录",
    "termination-record": "终止调解记录", "nonperformance-record": "调解协议未履行记录及告知书",
    "major-dispute-report": "重大劳动人事争议调处情况呈报表",
}
FOLLOWUP_RESULTS = cases.FOLLOWUP_RESULTS


def allowed_documents(case: dict, db) -> list[str]:
    """The documents the case's state allows (what exists on paper at this stage), by the states of
    the templates this station prints with (the hub's override where one is active)."""
    status = case["status"]
    mode = case["application"].get("mode")
    docs = ["oral-record" if mode == "oral" else "application", "registration", "rights-notice"]
    if case.get("agents"):
        docs.append("power-of-attorney")
    if status == "registered":
        docs.append("respondent-notice")
    if status == "declined":
        docs.append("decline-notice")
    if status in ("mediating", "closed"):
        docs += ["acceptance-notice", "respondent-notice"]
        if case.get("sessions"):
            docs.append("session-record")
        if case.get("extensions"):
            docs.append("extension-record")
    outcome = (case.get("outcome") or {}).get("kind")
    if outcome == "agreed":
        # Listed even for a labour-relationship case or a closed window: choosing it explains why not.
        docs += ["agreement", "review-application"]
    elif outcome:
        docs.append("failure-notice")
    if case.get("followups"):
        docs.append("followup-record")
    if status in ("closed", "declined"):
        docs += ["service-proof", "dossier-cover", "dossier-index"]
    if outcome and outcome != "agreed":
        docs.append("termination-record")  # EMR Art. 30: the record both parties sign
    if outcome == "agreed":
        docs.append("nonperformance-record")  # LDMAL Art. 15: when an item is not performed in its term
    if case.get("collective") or len(case.get("workers") or []) >= 10:
        docs.append("major-dispute-report")  # reported upward the day it arrives
    from desktop.documents import station as station_docs

    # the templates' declared states have the last word (issue 14: no document for a state it does not
    # fit), the same states rendering and batch printing check (issue 16: a hub's template may change them)
    return station_docs.allowed_kinds(db, case, docs)


def renderer():
    """The documents issue's render function, when it has landed."""
    try:
        from desktop.documents.render import render_document
    except ImportError:
        return None
    return render_document


# A session holding no key (viewer) sees masked values. Documents are refused rather than printed
# masked: a mediation agreement or notice identifies the parties by their full ID numbers, and a
# masked print could pass for the real document (issue 15).
MASKED_DOCUMENT_REFUSAL = ("文书载有当事人完整的身份证号码、电话和地址：本账户（查看员）只能查看遮蔽后的信息，"
                           "不能预览或打印文书，请由调解员或管理员登录")


def _with_id_details(worker: dict) -> dict:
    """Birth date and sex from the ID number when the record does not store them (as the form and
    the documents show them)."""
    if (worker.get("sex") and worker.get("birth_date")) or not worker.get("id_number"):
        return worker
    try:
        info = validate.check_id_number(worker["id_number"])
    except validate.FieldError:
        return worker
    return {"sex": info.sex, "birth_date": info.birth_date.isoformat(), **{k: v for k, v in worker.items() if v}}


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


class CaseWindow(QWidget):
    changed = Signal(str)

    def __init__(self, session, case_id: str, parent=None):
        super().__init__(parent, Qt.Window)
        self.session = session
        self.case_id = case_id
        self.setObjectName("CaseWindow")
        self.resize(1000, 720)
        geo = QSettings().value("case_window/geometry")
        if geo is not None:
            self.restoreGeometry(geo)
        from desktop.ui.widgets import fit_window

        fit_window(self)
        lay = QVBoxLayout(self)
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 13pt; font-weight: bold;")
        lay.addWidget(self.title)
        self.message = ErrorLabel()
        self.message.setObjectName("case_message")
        lay.addWidget(self.message)
        self.tabs = QTabWidget()
        lay.addWidget(self.tabs, 1)
        self._build_parties()
        self._build_acceptance()
        self._build_sessions()
        self._build_outcome()
        self._build_performance()
        self._build_documents()
        self._build_history()
        self.refusal_box = None
        self.confirm_box = None
        session.listeners.append(self._on_session_changed)
        if not session.user.can("write"):
            # The core refuses every change for this role; show no button that would only be refused.
            keep = {self.preview_button, self.print_button}
            for b in self.findChildren(QPushButton):
                if b not in keep:
                    b.hide()
            self.readonly_note = QLabel("只读：当前用户不能修改案件")
            self.readonly_note.setStyleSheet("color: #7a5c00;")
            lay.insertWidget(1, self.readonly_note)
        self.reload()

    # --- plumbing -------------------------------------------------------------------------
    def closeEvent(self, event) -> None:
        QSettings().setValue("case_window/geometry", self.saveGeometry())
        if self._on_session_changed in self.session.listeners:
            self.session.listeners.remove(self._on_session_changed)
        super().closeEvent(event)

    def _on_session_changed(self, what: str) -> None:
        """Changes made elsewhere (the roster page, another window) show here at once."""
        try:
            if what == "roster":
                self._fill_mediator_choices()
        except RuntimeError:  # the window is already gone
            if self._on_session_changed in self.session.listeners:
                self.session.listeners.remove(self._on_session_changed)

    def run(self, fn, done_text: str, after=None) -> None:
        """Run a change on the worker; reload and report when done, show the core's message when refused.
        `after()` runs on success (clearing a form so a second click cannot add a duplicate)."""
        key, user = self.case_id, self.session.user
        self.message.show_message("")

        def done(_result):
            if after is not None:
                after()
            self.reload()
            self.session.changed("cases")
            self.message.setStyleSheet("color: #1b5e20;")
            self.message.show_message(done_text)

        def failed(exc):
            self.message.setStyleSheet("color: #b3261e;")
            self.message.show_message(opsmod.error_text(exc))

        self.session.ops.run(lambda db, task: fn(db, key, user), on_done=done, on_error=failed)

    def reload(self) -> None:
        self.case = cases.get_case(self.session.db, self.case_id)
        c = self.case
        flags = []
        if c.get("overdue"):
            flags.append("逾期")
        if c.get("provisional"):
            flags.append("期限暂定")
        if c.get("archived"):
            flags.append("已归档")
        self.setWindowTitle(f"{c['case_no']} — {c['workers'][0]['name'] if c['workers'] else ''}")
        self.title.setText(f"{c['case_no']}　{STATUSES.get(c['status'])}" + (f"（{'、'.join(flags)}）" if flags else ""))
        self._fill_parties()
        self._fill_acceptance()
        self._fill_sessions()
        self._fill_outcome()
        self._fill_performance()
        self._fill_documents()
        self._fill_history()

    # --- 申请与当事人 -----------------------------------------------------------------------
    def _build_parties(self) -> None:
        w = QWidget()
        v = QVBoxLayout(w)
        self.parties = QTextBrowser()
        v.addWidget(self.parties, 1)
        b = QPushButton("修改登记信息…")
        b.clicked.connect(self._edit_registration)
        h = QHBoxLayout()
        h.addStretch()
        h.addWidget(b)
        v.addLayout(h)
        self.edit_button = b
        self.tabs.addTab(w, "申请与当事人")

    def _fill_parties(self) -> None:
        c = self.case
        app = c["application"]
        parts = [f"<h3>申请</h3><p>{_e(MODES.get(app.get('mode')))}，收到时间 {_e(app['received_at'][:16].replace('T', ' '))}，"
                 f"申请人：{_e(APPLICANTS.get(app.get('applicant')))}，来源：{_e(SOURCES.get(c.get('source')))}"
                 + (f"，记录人 {_e(app.get('recorder'))}" if app.get("recorder") else "") + "</p>",
                 f"<p>受理期限 {_e(c['acceptance_due'])}；法定15日期限 {_e(c['statutory_deadline'])}"
                 + (f"；调解期限 {_e(c['mediation_deadline'])}" if c.get("mediation_deadline") else "")
                 + ("（暂定）" if c.get("provisional") else "") + "</p>",
                 f"<h3>劳动者（{len(c['workers'])}人{'，集体争议' if c.get('collective') else ''}）</h3><table border='1' "
                 "cellspacing='0' cellpadding='3'><tr><th>姓名</th><th>身份证号码</th><th>性别</th><th>出生日期</th>"
                 "<th>电话</th><th>住址</th><th>标记</th></tr>"]
        for w in c["workers"]:
            w = _with_id_details(w)
            tags = "、".join(t for t, on in (("农民工", w.get("migrant")), ("新就业形态", w.get("platform")),
                                            ("代表", w.get("representative"))) if on)
            parts.append(f"<tr><td>{_e(w['name'])}</td><td>{_e(w.get('id_number'))}</td>"
                         f"<td>{_e({'male': '男', 'female': '女'}.get(w.get('sex'), ''))}</td><td>{_e(w.get('birth_date'))}</td>"
                         f"<td>{_e(w.get('phone'))}</td><td>{_e(w.get('address'))}</td><td>{_e(tags)}</td></tr>")
        parts.append("</table>")
        e = c["employer"]
        parts.append(f"<h3>用人单位</h3><p>{_e(e['name'])}；统一社会信用代码 {_e(e.get('credit_code'))}；"
                     f"法定代表人 {_e(e.get('legal_rep'))}；地址 {_e(e.get('address'))}；电话 {_e(e.get('phone'))}</p>")
        if c.get("agents"):
            parts.append("<h3>委托代理人</h3><ul>" + "".join(
                f"<li>{_e(a['name'])}（{_e(APPLICANTS.get(a['for'], '当事人'))}，{'特别授权' if a.get('authority') == 'special' else '一般授权'}）</li>"
                for a in c["agents"]) + "</ul>")
        parts.append("<h3>争议类型</h3><p>" + "、".join(_e(DISPUTE_TYPES.get(t, t)) for t in c["dispute_types"]) + "</p>")
        total = sum(money.parse_amount(x["amount"]) for x in c.get("claims") or [] if x.get("amount"))
        parts.append("<h3>请求事项</h3><ol>" + "".join(
            f"<li>{_e(x['text'])}" + (f"　{_e(money.format_figure(money.parse_amount(x['amount'])))}" if x.get("amount") else "")
            + "</li>" for x in c.get("claims") or []) + f"</ol><p>合计 {_e(money.rmb(total))}</p>")
        parts.append(f"<h3>事实和理由</h3><p>{_e(c.get('facts'))}</p>")
        self.parties.setHtml("".join(parts))
        self.edit_button.setEnabled(not c.get("archived") and self.session.user.can("write"))

    def _edit_registration(self) -> None:
        from desktop.ui.registration import RegistrationForm

        form = RegistrationForm(self.session, self.case, self)
        form.saved.connect(lambda _c: self.reload())
        form.open()

    # --- 受理与调解员 -----------------------------------------------------------------------
    def _mediator_combo(self, blank: str = "（不指派）") -> QComboBox:
        cb = QComboBox()
        cb.setProperty("blank", blank)
        self._fill_combo(cb, roster.list_mediators(self.session.db, active=True, masked=True))
        return cb

    @staticmethod
    def _fill_combo(cb: QComboBox, mediators: list[dict]) -> None:
        keep = cb.currentData()
        cb.blockSignals(True)
        cb.clear()
        cb.addItem(cb.property("blank") or "（不指派）", None)
        for m in mediators:
            cb.addItem(f"{m['name']}（在办{m['open_cases']}件）", m["name"])
        cb.setCurrentIndex(max(0, cb.findData(keep)))
        cb.blockSignals(False)

    def _fill_mediator_choices(self) -> None:
        ms = roster.list_mediators(self.session.db, active=True, masked=True)
        for cb in (self.lead, self.member, self.recorder_combo):
            self._fill_combo(cb, ms)
        empty = not ms
        self.no_mediators.setVisible(empty)
        self.add_mediator_button.setVisible(empty and self.session.user.can("write"))

    def _add_mediator(self) -> None:
        """The roster's own dialog, from here: a clerk need not leave the case to fill the roster."""
        from desktop.ui.roster_page import MediatorDialog

        self.mediator_dialog = MediatorDialog(self.session, None, self)
        self.mediator_dialog.setAttribute(Qt.WA_DeleteOnClose)
        self.mediator_dialog.open()

    def _build_acceptance(self) -> None:
        w = QWidget()
        v = QVBoxLayout(w)
        self.acc_state = QLabel()
        self.acc_state.setWordWrap(True)
        v.addWidget(self.acc_state)
        # decision (registered cases)
        self.decide_box = QGroupBox("受理决定（收到申请后3个工作日内）")
        f = QFormLayout(self.decide_box)
        self.decided_at = date_edit()
        f.addRow("决定日期", self.decided_at)
        self.respondent_agreed = QCheckBox("被申请人同意调解")
        self.respondent_agreed.setChecked(True)
        f.addRow("", self.respondent_agreed)
        # EMR Art. 22: when and how the respondent agreed, recorded before acceptance
        self.consent_at = date_edit()
        self.consent_at.setObjectName("consent_at")
        self.consent_how = QComboBox()
        self.consent_how.setObjectName("consent_how")
        for k, val in cases.CONSENT_HOW.items():
            self.consent_how.addItem(val, k)
        consent_row = QHBoxLayout()
        consent_row.addWidget(self.consent_at)
        consent_row.addWidget(self.consent_how)
        f.addRow("被申请人同意的日期和方式", consent_row)
        self.no_mediators = QLabel("调解员名册中还没有在任的调解员。受理时须指派首席调解员，请先添加调解员：")
        self.no_mediators.setObjectName("no_mediators")
        self.no_mediators.setWordWrap(True)
        self.no_mediators.setStyleSheet("color: #8a5300;")
        self.add_mediator_button = QPushButton("添加调解员…")
        self.add_mediator_button.clicked.connect(self._add_mediator)
        hint = QHBoxLayout()
        hint.addWidget(self.no_mediators, 1)
        hint.addWidget(self.add_mediator_button)
        f.addRow(hint)
        self.lead = self._mediator_combo("（请选择首席调解员）")
        f.addRow("首席调解员", self.lead)
        self.member = self._mediator_combo()
        f.addRow("调解员", self.member)
        self.recorder_combo = self._mediator_combo()
        f.addRow("记录人", self.recorder_combo)
        self.recusal_asked = QCheckBox("已告知双方当事人调解员名单，并询问是否申请调解员回避")
        f.addRow("回避告知", self.recusal_asked)
        self.accept_button = QPushButton("受理")
        self.accept_button.clicked.connect(self._accept)
        # a message about a missing choice goes as soon as the choice is made
        self.recusal_asked.toggled.connect(lambda on: on and self._clear_message_about("回避"))
        self.lead.currentIndexChanged.connect(lambda *_: self.lead.currentData() and self._clear_message_about("首席"))
        f.addRow("", self.accept_button)
        self.decline_code = QComboBox()
        for k, val in DECLINE_REASONS.items():
            self.decline_code.addItem(val, k)
        f.addRow("不予受理原因", self.decline_code)
        self.decline_reason = QLineEdit()
        self.decline_reason.setPlaceholderText("不予受理必须说明理由（将写入不予受理通知书）")
        f.addRow("理由", self.decline_reason)
        self.decline_button = QPushButton("不予受理")
        self.decline_button.clicked.connect(self._decline)
        f.addRow("", self.decline_button)
        v.addWidget(self.decide_box)
        # after acceptance
        self.team_box = QGroupBox("调解员、回避与延期")
        g = QVBoxLayout(self.team_box)
        self.team = readonly_table(["调解员", "角色"])
        self.team.setMaximumHeight(110)
        g.addWidget(self.team)
        self.reassign_button = QPushButton("调整调解员…")
        self.reassign_button.clicked.connect(self._reassign)
        rh = QHBoxLayout()
        rh.addStretch()
        rh.addWidget(self.reassign_button)
        g.addLayout(rh)
        rf = QFormLayout()
        self.recusal_mediator = QComboBox()
        rf.addRow("申请回避的调解员", self.recusal_mediator)
        self.recusal_by = QLineEdit()
        rf.addRow("申请人", self.recusal_by)
        self.recusal_grounds = QLineEdit()
        rf.addRow("回避理由", self.recusal_grounds)
        self.recusal_decision = QComboBox()
        for k, val in cases.RECUSAL_DECISIONS.items():
            self.recusal_decision.addItem(val, k)
        rf.addRow("决定", self.recusal_decision)
        b = QPushButton("记录回避申请")
        b.clicked.connect(self._recusal)
        rf.addRow("", b)
        self.ext_agreed = date_edit()
        rf.addRow("双方同意延期日期", self.ext_agreed)
        self.ext_until = date_edit()
        self.ext_until.setDate(self.ext_until.date().addDays(15))
        rf.addRow("延期至", self.ext_until)
        # a rest day is allowed (the parties agreed it) but said beside the field; storing acknowledges it
        self.ext_until_warning = ErrorLabel()
        self.ext_until_warning.setObjectName("ext_until_warning")
        self.ext_until_warning.setStyleSheet("color: #8a5300;")
        rf.addRow("", self.ext_until_warning)
        self.ext_until.dateChanged.connect(self._extension_rest_day)
        self.ext_reason = QLineEdit()
        rf.addRow("延期原因", self.ext_reason)
        b2 = QPushButton("延长调解期限")
        b2.clicked.connect(self._extend)
        rf.addRow("", b2)
        g.addLayout(rf)
        v.addWidget(self.team_box)
        v.addStretch()
        self.tabs.addTab(w, "受理与调解员")

    def _fill_acceptance(self) -> None:
        c = self.case
        acc = c.get("acceptance") or {}
        registered = c["status"] == "registered"
        self.decide_box.setVisible(registered)
        self.team_box.setVisible(c["status"] in ("mediating", "closed"))
        if registered:
            self.acc_state.setText(f"尚未作出受理决定，应于 {c['acceptance_due']} 前决定"
                                   + ("（已逾期）" if c.get("overdue") else ""))
        elif acc.get("decision") == "declined":
            self.acc_state.setText(f"{acc['decided_at']} 决定不予受理：{acc.get('reason') or ''}")
        else:
            self.acc_state.setText(f"{acc.get('decided_at')} 受理；调解期限 {c.get('mediation_deadline')}"
                                   + ("（暂定）" if c.get("provisional") else ""))
        team = c.get("mediators") or []
        fill_table(self.team, [[m["name"], MEDIATOR_ROLES.get(m["role"], m["role"])] for m in team])
        self.recusal_mediator.clear()
        for m in team:
            self.recusal_mediator.addItem(m["name"], m["name"])
        self.reassign_button.setEnabled(c["status"] == "mediating" and not c.get("archived"))
        self._fill_mediator_choices()

    def _clear_message_about(self, word: str) -> None:
        if word in self.message.text():
            self.message.show_message("")

    def _team(self) -> list[dict]:
        team = []
        for cb, role in ((self.lead, "lead"), (self.member, "member"), (self.recorder_combo, "recorder")):
            if cb.currentData() and all(m["name"] != cb.currentData() for m in team):
                team.append({"name": cb.currentData(), "role": role})
        return team

    def _accept(self) -> None:
        if not self.recusal_asked.isChecked():
            self.message.setStyleSheet("color: #b3261e;")
            self.message.show_message("受理前须告知双方当事人调解员名单并询问是否申请回避（请勾选“回避告知”）")
            return
        if not self.lead.currentData():
            self.message.setStyleSheet("color: #b3261e;")
            self.message.show_message("请指派首席调解员")
            return
        decided, team, agreed = iso_date(self.decided_at), self._team(), self.respondent_agreed.isChecked()
        consents = [{"party": "respondent", "at": iso_date(self.consent_at), "how": self.consent_how.currentData()}
                    ] if agreed else None
        self.run(lambda db, key, user: cases.accept(db, key, decided, user, mediators=team, respondent_agreed=agreed,
                                                    consents=consents),
                 "已受理，调解员已指派")

    def _reassign(self) -> None:
        """Change the team after acceptance, with a reason for the case history (cases.assign_mediators)."""
        from desktop.ui.reassign import ReassignDialog

        dlg = ReassignDialog(self.session, self.case.get("mediators") or [], self)
        dlg.setAttribute(Qt.WA_DeleteOnClose)

        def chosen():
            team, reason = dlg.team(), dlg.reason_text()
            self.run(lambda db, key, user: cases.assign_mediators(db, key, team, user, reason=reason),
                     "调解员已调整")
        dlg.accepted.connect(chosen)
        self.reassign_dialog = dlg
        dlg.open()

    def _decline(self) -> None:
        decided, code, reason = iso_date(self.decided_at), self.decline_code.currentData(), self.decline_reason.text().strip()
        self.run(lambda db, key, user: cases.decline(db, key, decided, reason, user, reason_code=code), "已决定不予受理")

    def _recusal(self) -> None:
        rec = {"mediator": self.recusal_mediator.currentData() or "", "requested_by": self.recusal_by.text().strip(),
               "grounds": self.recusal_grounds.text().strip(), "decision": self.recusal_decision.currentData(),
               "decided_by": self.session.user.display_name or self.session.user.name,
               "decided_at": iso_date(date_edit())}
        self.run(lambda db, key, user: cases.record_recusal(db, key, rec, user), "回避申请已记录")

    def _extension_rest_day(self, *_) -> None:
        until = _dt.date.fromisoformat(iso_date(self.ext_until))
        name = cases.calendar_for(self.session.db).rest_day_name(until)
        self.ext_until_warning.show_message(
            f"提示：{until.isoformat()}是休息日（{name}），双方约定的日期仍然有效；如需要，可另行约定一个工作日" if name else "")

    def _extend(self) -> None:
        agreed, until, reason = iso_date(self.ext_agreed), iso_date(self.ext_until), self.ext_reason.text().strip() or None
        self.run(lambda db, key, user: cases.extend(db, key, agreed, until, user, reason=reason), "调解期限已延长")

    # --- 调解笔录 ---------------------------------------------------------------------------
    def _build_sessions(self) -> None:
        w = QWidget()
        v = QVBoxLayout(w)
        self.sessions = readonly_table(["调解时间", "地点", "参加人员", "记录人", "结果"])
        self.sessions.setMaximumHeight(170)
        self.sessions.itemSelectionChanged.connect(self._session_selected)
        v.addWidget(self.sessions)
        f = QFormLayout()
        self.s_held = datetime_edit()
        f.addRow("开始时间", self.s_held)
        self.s_ended = datetime_edit()
        self.s_ended.setDateTime(self.s_held.dateTime().addSecs(3600))
        self._end_typed = False
        self.s_ended.textEdited.connect(lambda *_: setattr(self, "_end_typed", True))
        self.s_held.dateTimeChanged.connect(self._start_changed)
        f.addRow("结束时间", self.s_ended)
        self.s_place = QLineEdit("调解室")
        f.addRow("地点", self.s_place)
        self.s_attendees = QLineEdit()
        f.addRow("参加人员", self.s_attendees)
        self.s_recorder = QLineEdit()
        f.addRow("记录人", self.s_recorder)
        self.s_record = QPlainTextEdit()
        self.s_record.setTabChangesFocus(True)
        f.addRow("笔录内容", self.s_record)
        self.s_result = QLineEdit()
        f.addRow("本次结果", self.s_result)
        v.addLayout(f)
        h = QHBoxLayout()
        h.addStretch()
        self.s_new = QPushButton("清空（新笔录）")
        self.s_new.clicked.connect(self._clear_session_form)
        self.s_add = QPushButton("添加笔录")
        self.s_add.clicked.connect(self._add_session)
        self.s_save = QPushButton("保存对所选笔录的修改")
        self.s_save.clicked.connect(self._edit_session)
        for b in (self.s_new, self.s_add, self.s_save):
            h.addWidget(b)
        v.addLayout(h)
        self.tabs.addTab(w, "调解笔录")

    def _fill_sessions(self) -> None:
        ss = self.case.get("sessions") or []
        fill_table(self.sessions, [[s["held_at"][:16].replace("T", " "), s.get("place"), s.get("attendees"),
                                    s.get("recorder"), s.get("result")] for s in ss], list(range(len(ss))))
        self.s_save.setEnabled(False)
        enabled = self.case["status"] in ("mediating", "closed")
        self.s_add.setEnabled(enabled)

    def _session_selected(self) -> None:
        idx = row_data(self.sessions)
        self.s_save.setEnabled(idx is not None)
        if idx is None:
            return
        s = self.case["sessions"][idx]
        self.s_held.setDateTime(datetime_edit(s["held_at"]).dateTime())
        if s.get("ended_at"):
            self.s_ended.setDateTime(datetime_edit(s["ended_at"]).dateTime())
        self.s_place.setText(s.get("place", ""))
        self.s_attendees.setText(s.get("attendees", ""))
        self.s_recorder.setText(s.get("recorder", ""))
        self.s_record.setPlainText(s.get("record", ""))
        self.s_result.setText(s.get("result", ""))

    def _session_record(self) -> dict:
        s = {"held_at": iso_datetime(self.s_held), "ended_at": iso_datetime(self.s_ended)}
        for k, w in (("place", self.s_place), ("attendees", self.s_attendees), ("recorder", self.s_recorder),
                     ("result", self.s_result)):
            if w.text().strip():
                s[k] = w.text().strip()
        if self.s_record.toPlainText().strip():
            s["record"] = self.s_record.toPlainText().strip()
        return s

    def _start_changed(self, start) -> None:
        """The end follows the start (one hour later) until the user types an end of their own."""
        if not self._end_typed or self.s_ended.dateTime() <= start:
            self.s_ended.setDateTime(start.addSecs(3600))

    def _clear_session_form(self) -> None:
        from desktop.clock import now_datetime
        from PySide6.QtCore import QDate, QDateTime, QTime

        self.sessions.clearSelection()
        n = now_datetime()
        self._end_typed = False
        self.s_held.setDateTime(QDateTime(QDate(n.year, n.month, n.day), QTime(n.hour, n.minute)))
        for w in (self.s_attendees, self.s_recorder, self.s_result):
            w.clear()
        self.s_record.clear()

    def _add_session(self) -> None:
        s = self._session_record()
        self.run(lambda db, key, user: cases.add_session(db, key, s, user), "调解笔录已添加",
                 after=self._clear_session_form)

    def _edit_session(self) -> None:
        idx = row_data(self.sessions)
        if idx is None:
            return
        s = self._session_record()
        self.run(lambda db, key, user: cases.edit_session(db, key, idx, s, user), "调解笔录已修改")

    # --- 结案与协议 -------------------------------------------------------------------------
    def _build_outcome(self) -> None:
        w = QWidget()
        v = QVBoxLayout(w)
        self.outcome_state = QLabel()
        self.outcome_state.setWordWrap(True)
        v.addWidget(self.outcome_state)
        self.close_box = QGroupBox("结案")
        f = QFormLayout(self.close_box)
        self.o_kind = QComboBox()
        for k, val in OUTCOMES.items():
            self.o_kind.addItem(val, k)
        self.o_kind.currentIndexChanged.connect(self._kind_changed)
        f.addRow("结案方式", self.o_kind)
        self.o_closed = date_edit()
        f.addRow("结案日期", self.o_closed)
        self.o_reason = QLineEdit()
        f.addRow("原因", self.o_reason)
        v.addWidget(self.close_box)
        self.agreement_box = QGroupBox("调解协议")
        g = QVBoxLayout(self.agreement_box)
        af = QFormLayout()
        self.a_effective = date_edit()
        af.addRow("协议生效日期", self.a_effective)
        self.a_waiver = QLineEdit()
        self.a_waiver.setPlaceholderText("当事人放弃的请求须写明（不得放弃法定不可放弃的权利）")
        af.addRow("放弃的请求", self.a_waiver)
        g.addLayout(af)
        self.items = readonly_table(["类别", "协议内容", "金额（元）", "大写", "履行期限", "履行方式", "归属申请人"])
        self.items.setMaximumHeight(150)
        g.addWidget(self.items)
        item_form = QHBoxLayout()
        self.i_cat = QComboBox()
        for k, val in ITEM_CATEGORIES.items():
            self.i_cat.addItem(val, k)
        # issue 14 item 4: with several workers an item may be owed to one of them (his own amount, printed in
        # the agreement's schedule; LDMAL Art. 16 lets him apply for a payment order alone)
        self.i_worker = QComboBox()
        self.i_worker.setObjectName("item_worker")
        self.i_worker.setToolTip("该项款项支付给谁：全体申请人，或某一位申请人（列入协议附表）")
        self.i_worker.currentIndexChanged.connect(self._preview_item)
        self.i_text = QLineEdit()
        self.i_text.setPlaceholderText("协议内容，如：被申请人支付申请人工资")
        self.i_amount = QLineEdit()
        self.i_amount.setObjectName("item_amount")
        self.i_amount.setPlaceholderText("金额（元）")
        self.i_amount.setMaximumWidth(120)
        self.i_amount.textChanged.connect(self._amount_typed)
        self.i_due = date_edit()
        self.i_method = QLineEdit("银行转账")
        self.i_method.setMaximumWidth(100)
        add = QPushButton("加入协议")
        add.clicked.connect(self._add_item)
        rem = QPushButton("删除所选")
        rem.clicked.connect(self._remove_item)
        for x in (self.i_cat, self.i_worker, self.i_text, self.i_amount, QLabel("期限"), self.i_due, self.i_method, add,
                  rem):
            item_form.addWidget(x)
        g.addLayout(item_form)
        self.capitals = QLabel()
        self.capitals.setObjectName("capitals")
        self.capitals.setStyleSheet("color: #0d47a1;")
        g.addWidget(self.capitals)
        # the item as the agreement will print it: the payer once, whatever the clerk typed (issue 14 item 3)
        self.item_preview = QLabel()
        self.item_preview.setObjectName("item_preview")
        self.item_preview.setWordWrap(True)
        g.addWidget(self.item_preview)
        for changed in (self.i_text.textChanged, self.i_amount.textChanged, self.i_method.textChanged,
                        self.i_due.dateChanged):
            changed.connect(self._preview_item)
        self.items_total = QLabel()
        g.addWidget(self.items_total)
        v.addWidget(self.agreement_box)
        h = QHBoxLayout()
        h.addStretch()
        self.close_button = QPushButton("结案")
        self.close_button.clicked.connect(self._close)
        self.reopen_button = QPushButton("重新开启案件…")
        self.reopen_button.clicked.connect(self._reopen)
        h.addWidget(self.close_button)
        h.addWidget(self.reopen_button)
        v.addLayout(h)
        v.addStretch()
        self.draft_items: list[dict] = []
        self.tabs.addTab(w, "结案与协议")

    def _amount_typed(self, text: str) -> None:
        """The amount in capitals as it is typed (PBOC rules, desktop/money.py)."""
        if not text.strip():
            self.capitals.setText("")
            return
        try:
            self.capitals.setText("大写：" + money.to_capitals(money.parse_amount(text.strip())))
        except (validate.FieldError, ValueError) as exc:
            self.capitals.setText(f"金额格式不正确：{exc}")

    def _preview_item(self, *_args) -> None:
        from desktop import cndate
        from desktop.documents.wording import item_sentence

        text = self.i_text.text().strip()
        if not text:
            self.item_preview.setText("")
            return
        try:
            amount = money.rmb(money.parse_amount(self.i_amount.text().strip())) if self.i_amount.text().strip() else None
        except (validate.FieldError, ValueError):
            amount = None
        due = cndate.arabic_date(_dt.date.fromisoformat(iso_date(self.i_due)))
        employer = (self.case.get("employer") or {}).get("name")
        parties = [w.get("name") for w in self.case.get("workers") or []] + [employer]
        obligor = "申请人" if (self.case.get("application") or {}).get("applicant") == "employer" else "被申请人"
        owed_to = self.i_worker.currentData()
        self.item_preview.setText("协议中打印为：" + item_sentence(
            text, obligor=obligor, parties=[p for p in parties if p], amount=amount, due=due,
            method=self.i_method.text().strip() or None)
            + (f"（列入附表申请人个人款项明细表，归属申请人{self.i_worker.currentText()}）" if owed_to is not None else ""))

    def _kind_changed(self) -> None:
        self.agreement_box.setEnabled(self.o_kind.currentData() == "agreed" and self.case["status"] == "mediating")

    def _worker_name(self, index) -> str:
        workers = self.case.get("workers") or []
        if isinstance(index, int) and 0 <= index < len(workers):
            return workers[index].get("name") or f"第{index + 1}位申请人"
        return "全体申请人"

    def _fill_item_workers(self) -> None:
        """The 归属申请人 choice: only for a case with several workers."""
        workers = self.case.get("workers") or []
        chosen = self.i_worker.currentData()
        self.i_worker.blockSignals(True)
        self.i_worker.clear()
        self.i_worker.addItem("全体申请人", None)
        for i in range(len(workers)):
            self.i_worker.addItem(self._worker_name(i), i)
        self.i_worker.setCurrentIndex(max(0, self.i_worker.findData(chosen)) if chosen is not None else 0)
        self.i_worker.blockSignals(False)
        self.i_worker.setVisible(len(workers) > 1)
        self.items.setColumnHidden(6, len(workers) < 2)

    def _fill_items_table(self, items: list[dict]) -> None:
        rows = []
        total = 0
        for it in items:
            fen = money.parse_amount(it["amount"]) if it.get("amount") else 0
            total += fen
            rows.append([ITEM_CATEGORIES.get(it["category"]), it["text"], money.format_figure(fen) if fen else "",
                         money.to_capitals(fen) if fen else "", it.get("due_date"), it.get("method"),
                         self._worker_name(it.get("worker"))])
        fill_table(self.items, rows, list(range(len(items))))
        self.items_total.setText(f"协议金额合计：{money.rmb(total)}" if total else "")

    def _add_item(self) -> None:
        it = {"category": self.i_cat.currentData(), "text": self.i_text.text().strip(),
              "amount": self.i_amount.text().strip() or None, "due_date": iso_date(self.i_due)}
        if self.i_method.text().strip():
            it["method"] = self.i_method.text().strip()
        owed_to = self.i_worker.currentData()
        if owed_to is not None:
            it["worker"] = owed_to
        if not it["text"]:
            self.capitals.setText("请填写协议内容")
            return
        if it["amount"]:
            try:
                it["amount"] = money.fen_to_text(money.parse_amount(it["amount"]))
            except (validate.FieldError, ValueError) as exc:
                self.capitals.setText(f"金额格式不正确：{exc}")
                return
        self.draft_items.append(it)
        self._fill_items_table(self.draft_items)
        self.i_amount.clear()
        if owed_to is not None and owed_to + 1 < self.i_worker.count() - 1:
            # worker after worker: the same item text, only the next worker's amount to type
            self.i_worker.setCurrentIndex(self.i_worker.findData(owed_to + 1))
            self.i_amount.setFocus()
        else:
            self.i_text.clear()

    def _remove_item(self) -> None:
        idx = row_data(self.items)
        if idx is not None and self.case["status"] == "mediating":
            del self.draft_items[idx]
            self._fill_items_table(self.draft_items)

    def _fill_outcome(self) -> None:
        c = self.case
        out = c.get("outcome")
        self.close_box.setEnabled(c["status"] == "mediating")
        self.close_button.setEnabled(c["status"] == "mediating")
        self.reopen_button.setEnabled(c["status"] == "closed" and not c.get("archived"))
        self._fill_item_workers()
        if out:
            self.outcome_state.setText(f"{out['closed_at']} 结案：{OUTCOMES.get(out['kind'])}"
                                       + (f"（{out['reason']}）" if out.get("reason") else "")
                                       + (f"；仲裁审查申请期至 {c['review_deadline']}" if c.get("review_deadline") else ""))
            self.o_kind.setCurrentIndex(max(0, self.o_kind.findData(out["kind"])))
            self.o_closed.setDate(date_edit(out["closed_at"]).date())
            self.o_reason.setText(out.get("reason") or "")
            ag = c.get("agreement") or {}
            self.a_effective.setDate(date_edit(ag.get("effective_at")).date())
            self.a_waiver.setText(ag.get("waiver", ""))
            self._fill_items_table(ag.get("items") or [])
        elif c["status"] == "mediating":
            self.outcome_state.setText("调解中。调解成功须录入调解协议，每项金额须约定履行期限。")
            self._fill_items_table(self.draft_items)
        else:
            self.outcome_state.setText("案件受理后才能结案。")
        self._kind_changed()

    def _close(self) -> None:
        """Ask first: closing is not undone with a click (only 重新开启 with a reason)."""
        from PySide6.QtWidgets import QMessageBox

        kind, closed, reason = self.o_kind.currentData(), iso_date(self.o_closed), self.o_reason.text().strip() or None
        agreement = None
        lines = [f"结案方式：{OUTCOMES[kind]}", f"结案日期：{closed}"]
        if reason:
            lines.append(f"原因：{reason}")
        if kind == "agreed":
            agreement = {"effective_at": iso_date(self.a_effective), "waiver": self.a_waiver.text().strip(),
                         "items": list(self.draft_items)}
            lines.append(f"协议生效日期：{agreement['effective_at']}")
            total = 0
            for i, it in enumerate(self.draft_items, 1):
                fen = money.parse_amount(it["amount"]) if it.get("amount") else 0
                total += fen
                owed = f"（{self._worker_name(it['worker'])}）" if "worker" in it else ""
                lines.append(f"{i}. {it['text']}{owed}" + (f"　{money.rmb(fen)}（{money.to_capitals(fen)}），"
                                                      f"{it.get('due_date')}前履行" if fen else ""))
            lines.append(f"协议金额合计：{money.rmb(total)}" if total else "协议不含金额")

        def fn(db, key, user):
            return cases.close(db, key, kind, closed, user, reason=reason, agreement=agreement)
        box = QMessageBox(QMessageBox.Question, "确认结案", "确定按以下内容结案吗？\n\n" + "\n".join(lines)
                          + "\n\n结案后如需更改，只能“重新开启案件”并说明理由。",
                          QMessageBox.Yes | QMessageBox.No, self)
        box.button(QMessageBox.Yes).setText("结案")
        box.button(QMessageBox.No).setText("返回修改")
        box.setDefaultButton(QMessageBox.No)
        box.setAttribute(Qt.WA_DeleteOnClose)
        yes = box.button(QMessageBox.Yes)
        box.buttonClicked.connect(lambda b: b is yes and self.run(fn, f"已结案：{OUTCOMES[kind]}"))
        self.confirm_box = box
        box.open()

    def _reopen(self) -> None:
        reason, ok = QInputDialog.getText(self, "重新开启案件", "重新开启的理由（将记入案件历史）：")
        if ok and reason.strip():
            self.run(lambda db, key, user: cases.reopen(db, key, user, reason.strip()), "案件已重新开启")

    # --- 履行与回访 -------------------------------------------------------------------------
    def _build_performance(self) -> None:
        w = QWidget()
        v = QVBoxLayout(w)
        v.addWidget(section("协议履行"))
        self.perf_items = readonly_table(["序号", "类别", "内容", "金额", "已履行", "履行期限", "状态"])
        self.perf_items.setMaximumHeight(150)
        v.addWidget(self.perf_items)
        self.perf_hint = QLabel()
        self.perf_hint.setWordWrap(True)
        self.perf_hint.setStyleSheet("color: #8a5300;")
        v.addWidget(self.perf_hint)
        pf = QHBoxLayout()
        self.p_item = QComboBox()
        self.p_date = date_edit()
        self.p_amount = QLineEdit()
        self.p_amount.setPlaceholderText("金额（元）")
        self.p_note = QLineEdit()
        self.p_note.setPlaceholderText("备注")
        b = QPushButton("登记履行")
        b.clicked.connect(self._add_performance)
        for x in (QLabel("项目"), self.p_item, QLabel("日期"), self.p_date, self.p_amount, self.p_note, b):
            pf.addWidget(x)
        v.addLayout(pf)
        # AR2017 Art. 75(5): an agreement a court has confirmed is no longer open to arbitral review
        jf = QHBoxLayout()
        self.j_court = QLineEdit()
        self.j_court.setObjectName("j_court")
        self.j_court.setPlaceholderText("作出确认裁定的人民法院")
        self.j_date = date_edit()
        self.j_button = QPushButton("登记司法确认")
        self.j_button.clicked.connect(self._judicial_confirmation)
        for x in (QLabel("司法确认"), self.j_court, QLabel("日期"), self.j_date, self.j_button):
            jf.addWidget(x)
        v.addLayout(jf)
        v.addWidget(section("回访"))
        self.followups = readonly_table(["日期", "方式", "回访对象", "履行情况", "情况"])
        self.followups.setMaximumHeight(130)
        v.addWidget(self.followups)
        ff = QHBoxLayout()
        self.f_date = date_edit()
        self.f_method = QComboBox()
        for k, val in FOLLOWUP_METHODS.items():
            self.f_method.addItem(val, k)
        self.f_person = QLineEdit()
        self.f_person.setPlaceholderText("回访对象")
        self.f_result = QComboBox()
        self.f_result.addItem("（未填）", None)
        for k, val in FOLLOWUP_RESULTS.items():
            self.f_result.addItem(val, k)
        self.f_note = QLineEdit()
        self.f_note.setPlaceholderText("情况")
        b2 = QPushButton("登记回访")
        b2.clicked.connect(self._add_followup)
        for x in (self.f_date, self.f_method, self.f_person, self.f_result, self.f_note, b2):
            ff.addWidget(x)
        v.addLayout(ff)
        v.addStretch()
        self.tabs.addTab(w, "履行与回访")

    def _fill_performance(self) -> None:
        c = self.case
        items = (c.get("agreement") or {}).get("items") or []
        paid = [0] * len(items)
        for p in c.get("performance") or []:
            if 0 <= p["item"] < len(paid):
                paid[p["item"]] += money.parse_amount(p["amount"])
        from desktop.clock import today
        t = today().isoformat()
        rows, hints = [], []
        for i, it in enumerate(items):
            fen = money.parse_amount(it["amount"]) if it.get("amount") else 0
            done = paid[i] >= fen
            late = not done and it.get("due_date") and it["due_date"] < t
            state = "已履行" if done else ("逾期未履行" if late else ("部分履行" if paid[i] else "待履行"))
            rows.append([i + 1, ITEM_CATEGORIES.get(it["category"]), it["text"], money.format_figure(fen) if fen else "",
                         money.format_figure(paid[i]) if paid[i] else "", it.get("due_date"), state])
            if late and it["category"] in PAYMENT_ORDER_CATEGORIES:
                hints.append(f"第{i + 1}项")
        fill_table(self.perf_items, rows)
        self.perf_hint.setText(f"{'、'.join(hints)}逾期未履行：{PAYMENT_ORDER_HINT}；也可申请仲裁。" if hints else "")
        self.p_item.clear()
        for i, it in enumerate(items):
            self.p_item.addItem(f"{i + 1}. {it['text'][:20]}", i)
        fill_table(self.followups, [[f["at"], FOLLOWUP_METHODS.get(f.get("method")), f.get("person"),
                                     FOLLOWUP_RESULTS.get(f.get("result"), ""), f.get("note")]
                                    for f in c.get("followups") or []])

    def _judicial_confirmation(self) -> None:
        jc = {"court": self.j_court.text().strip(), "at": iso_date(self.j_date)}

        def change(rec):
            if not rec.get("agreement"):
                raise InputError("agreement: 本案没有调解协议，不能登记司法确认")
            rec["agreement"]["judicial_confirmation"] = jc
        self.run(lambda db, key, user: cases.update_case(db, key, change, user, action="judicial_confirmation"),
                 "司法确认已登记：该协议不再申请仲裁审查")

    def _add_performance(self) -> None:
        p = {"item": self.p_item.currentData(), "paid_at": iso_date(self.p_date), "amount": self.p_amount.text().strip()}
        if self.p_note.text().strip():
            p["note"] = self.p_note.text().strip()
        self.run(lambda db, key, user: cases.add_performance(db, key, p, user), "履行情况已登记",
                 after=lambda: (self.p_amount.clear(), self.p_note.clear()))

    def _add_followup(self) -> None:
        f = {"at": iso_date(self.f_date), "method": self.f_method.currentData()}
        for k, x in (("person", self.f_person), ("note", self.f_note)):
            if x.text().strip():
                f[k] = x.text().strip()
        if self.f_result.currentData():
            f["result"] = self.f_result.currentData()
        self.run(lambda db, key, user: cases.add_followup(db, key, f, user), "回访已登记",
                 after=lambda: (self.f_person.clear(), self.f_note.clear(), self.f_result.setCurrentIndex(0)))

    # --- 文书 ------------------------------------------------------------------------------
    def _build_documents(self) -> None:
        w = QWidget()
        v = QVBoxLayout(w)
        self.doc_note = QLabel()
        self.doc_note.setWordWrap(True)
        v.addWidget(self.doc_note)
        self.documents = QListWidget()
        self.documents.setObjectName("documents")
        self.documents.itemActivated.connect(self._preview)
        v.addWidget(self.documents, 1)
        h = QHBoxLayout()
        h.addStretch()
        self.preview_button = QPushButton("预览…")
        self.preview_button.clicked.connect(lambda: self._preview(self.documents.currentItem()))
        self.print_button = QPushButton("打印…")
        self.print_button.clicked.connect(self._print)
        h.addWidget(self.preview_button)
        h.addWidget(self.print_button)
        v.addLayout(h)
        self.tabs.addTab(w, "文书")

    def _fill_documents(self) -> None:
        self.documents.clear()
        for name in allowed_documents(self.case, self.session.db):
            it = QListWidgetItem(DOCUMENT_LABELS.get(name, name))
            it.setData(Qt.UserRole, name)
            self.documents.addItem(it)
        available = renderer() is not None
        self.preview_button.setEnabled(available)
        self.print_button.setEnabled(available)
        self.doc_note.setText("本案当前阶段可制作的文书（双击预览）：" if available
                              else "本案当前阶段可制作的文书。预览和打印随文书功能提供。")

    def _refused(self, name: str) -> bool:
        """The case's state, or the review application's window or case type: a warning instead of a document."""
        from PySide6.QtWidgets import QMessageBox

        from desktop.documents import DocumentRefused, check_review_allowed, station as station_docs

        ok, reason = station_docs.allowed(self.session.db, name, self.case)
        if sensitive.masked_only(self.session.db):
            ok, reason = False, MASKED_DOCUMENT_REFUSAL
        try:
            if not ok:
                raise DocumentRefused(reason)
            if name == "review-application":
                check_review_allowed(self.case, records_today())
        except DocumentRefused as exc:
            title = "不能制作" + DOCUMENT_LABELS.get(name, "该文书")
            box = QMessageBox(QMessageBox.Warning, title, str(exc), QMessageBox.Ok, self)
            box.setAttribute(Qt.WA_DeleteOnClose)
            box.open()
            self.refusal_box = box
            return True
        return False

    def _render(self, name: str, then) -> None:
        """Render on the worker (the window stays responsive); `then(data)` gets the PDF bytes."""
        from desktop.ui.pdf_preview import render_bytes

        case, profile = self.case, self.session.profile
        mediators = roster.list_mediators(self.session.db)

        def failed(exc):  # a document refused (e.g. review window closed) is shown, not raised
            self.message.setStyleSheet("color: #b3261e;")
            from desktop.documents import DocumentError

            self.message.show_message(str(exc) if isinstance(exc, DocumentError) else opsmod.error_text(exc))
        self.session.ops.run(lambda db, task: render_bytes(name, case, profile, mediators=mediators, db=db),
                             on_done=then, on_error=failed, label="正在生成文书…")

    def _file_name(self, label: str) -> str:
        from desktop.ui.batch_print import safe_name

        return f"{safe_name(self.case['case_no'])}-{label}.pdf"

    def _preview(self, item) -> None:
        if item is None or renderer() is None or self._refused(item.data(Qt.UserRole)):
            return
        from desktop.ui.pdf_preview import PdfPreview

        label = item.text()

        def show(data):
            self.preview_window = PdfPreview(data, label, self, file_name=self._file_name(label))
            self.preview_window.show()
        self._render(item.data(Qt.UserRole), show)

    def _print(self) -> None:
        item = self.documents.currentItem()
        if item is None or renderer() is None or self._refused(item.data(Qt.UserRole)):
            return
        from desktop.ui.pdf_preview import start_print

        self._render(item.data(Qt.UserRole), lambda data: start_print(self, [data]))

    # --- 历史 ------------------------------------------------------------------------------
    def _build_history(self) -> None:
        self.history = readonly_table(["时间", "操作人", "操作", "理由", "详情"])
        self.history.setObjectName("history")
        self.tabs.addTab(self.history, "历史")

    ACTIONS = {"register": "登记", "accept": "受理", "decline": "不予受理", "assign": "指派调解员", "recusal": "回避",
               "extend": "延期", "session": "调解笔录", "session.edit": "修改笔录", "close": "结案", "reopen": "重新开启",
               "performance": "履行", "followup": "回访", "edit": "修改", "archive": "归档", "unarchive": "撤销归档",
               "void": "作废", "warning": "提示（已确认）", "judicial_confirmation": "司法确认"}

    def _fill_history(self) -> None:
        from desktop.ui.texts import UserNames, history_detail

        rows = []
        who = UserNames(self.session.db)
        for h in cases.history(self.session.db, self.case_id):
            rows.append([h["at"][:19].replace("T", " "), who(h["actor"]), self.ACTIONS.get(h["action"], "其他操作"),
                         h.get("reason") or "", history_detail(h["detail"])])
        fill_table(self.history, rows)
