"""统计: the period report laid out by blocks (desktop/stats/layout.py), the monthly chart with the
success rate against its target line, the repeat-employer early warning, and exports.

Every report is computed on the database worker (a hub's report over a hundred stations takes a
while); the page shows the last result. Exports write to a temporary name and rename, as the
`report` command does, and are audited the same way.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QHeaderView, QLabel, QPushButton, QSpinBox, QSplitter, QTabWidget,
    QVBoxLayout, QWidget,
)

from desktop import org
from desktop.clock import today as records_today
from desktop.stats import formula as fm, layout, report as rpt, screening as scr
from desktop.stats.export import write_report
from desktop.stats.periods import Period, month, quarter, year
from desktop.ui import ops as opsmod
from desktop.ui.widgets import ErrorLabel, fill_table, readonly_table

FORMATS = {"xlsx": "Excel/WPS 表格 (*.xlsx)", "csv": "CSV (*.csv)", "json": "JSON (*.json)", "pdf": "PDF (*.pdf)"}
EXPORT_LABELS = {"xlsx": "Excel表格", "csv": "CSV", "json": "JSON", "pdf": "PDF"}
ALL_STATIONS = "__all__"


def target_rate(db) -> float:
    """The organization's target success rate (text such as "0.60"); 60 % when unset or unreadable."""
    try:
        value = float(org.get_profile(db).get("target_success_rate") or "0.60")
    except (TypeError, ValueError):
        return 0.60
    return value if 0 < value <= 1 else 0.60


def compute(db, period: Period, station: str | None) -> dict:
    """The report, screening and monthly series for the page (runs on the worker)."""
    hub = rpt.is_hub(db)
    if hub and station is None:
        report = rpt.hub_report(db, period)
        stations = rpt.expected_stations(db)[0]
    else:
        report = rpt.period_report(db, period, station=station)
        stations = None
    screening = scr.screening(db, period, station=station, stations=stations)
    monthly = rpt.monthly_series(db, period.start.year, station=station, stations=stations)
    return {"report": report, "screening": screening, "monthly": monthly, "target": target_rate(db)}


def export_report(db, period: Period, station: str | None, fmt: str, out: Path, user) -> dict:
    """What `report --format` writes, written atomically and audited (runs on the worker)."""
    data = compute(db, period, station)
    report = write_report(db, user, data["report"], period, fmt, out, station=station,
                          screening=data["screening"], monthly=data["monthly"])
    return {"path": str(out), "report": report}


class StatsChart(QWidget):
    """Monthly received and closed (bars) and the success rate (line, right axis) against the target."""

    def __init__(self, parent=None):
        super().__init__(parent)
        from PySide6.QtCharts import QChart, QChartView

        self.chart = QChart()
        self.chart.setAnimationOptions(QChart.NoAnimation)
        self.chart.legend().setAlignment(Qt.AlignBottom)
        self.chart.setMargins(QMargins(4, 4, 4, 4))
        self.view = QChartView(self.chart)
        self.view.setRenderHint(QPainter.Antialiasing)
        self.view.setMinimumHeight(260)
        QVBoxLayout(self).addWidget(self.view)
        self.layout().setContentsMargins(0, 0, 0, 0)

    def show_series(self, year_: int, monthly: list[dict], target: float) -> None:
        from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QLineSeries, QValueAxis

        ch = self.chart
        ch.removeAllSeries()
        for ax in list(ch.axes()):
            ch.removeAxis(ax)
        ch.setTitle(f"{year_}年各月收案、结案与调解成功率")
        received, closed = QBarSet("收到申请"), QBarSet("结案")
        received.setColor(QColor("#5b8def"))
        closed.setColor(QColor("#8fb996"))
        rate = QLineSeries()
        rate.setName("调解成功率（%）")
        rate.setPen(QPen(QColor("#b3261e"), 2))
        rate.setPointsVisible(True)  # a month alone with a rate is a point, not an invisible line
        line = QLineSeries()
        line.setName(f"目标 {fm.percent(target)}")
        pen = QPen(QColor("#7a5c00"), 2, Qt.DashLine)
        line.setPen(pen)
        top = 0
        for i, m in enumerate(monthly):
            received.append(m["received"])
            closed.append(m["closed"])
            top = max(top, m["received"], m["closed"])
            if m["success_rate"] is not None:
                rate.append(i, round(m["success_rate"] * 100, 1))
            line.append(i, target * 100)
        bars = QBarSeries()
        bars.append(received)
        bars.append(closed)
        ch.addSeries(bars)
        ch.addSeries(rate)
        ch.addSeries(line)
        x = QBarCategoryAxis()
        x.append([f"{int(m['month'][5:])}月" for m in monthly])
        left = QValueAxis()
        left.setRange(0, max(5, top + top // 8 + 1))
        left.setLabelFormat("%d")
        left.setTitleText("件数")
        left.applyNiceNumbers()
        right = QValueAxis()
        right.setRange(0, 100)
        right.setLabelFormat("%d%%")
        right.setTitleText("成功率")
        ch.addAxis(x, Qt.AlignBottom)
        ch.addAxis(left, Qt.AlignLeft)
        ch.addAxis(right, Qt.AlignRight)
        for s in (bars, rate, line):
            s.attachAxis(x)
        bars.attachAxis(left)
        rate.attachAxis(right)
        line.attachAxis(right)
        if rate.count() == 0:  # no month has a closed case yet: the legend lists nothing that is not drawn
            for marker in ch.legend().markers(rate):
                marker.setVisible(False)


class StatsPage(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setObjectName("StatsPage")
        self.data: dict | None = None
        self.hub = rpt.is_hub(session.db)
        v = QVBoxLayout(self)

        bar = QHBoxLayout()
        bar.addWidget(QLabel("统计期间"))
        self.kind = QComboBox()
        for label, k in (("年度", "year"), ("季度", "quarter"), ("月度", "month")):
            self.kind.addItem(label, k)
        self.year = QSpinBox()
        self.year.setRange(1990, 2200)
        today = records_today()
        self.year.setValue(today.year)
        self.year.setSuffix(" 年")
        self.sub = QComboBox()
        for w in (self.kind, self.year, self.sub):
            bar.addWidget(w)
        self.station = QComboBox()
        self.station.setObjectName("station_selector")
        if self.hub:
            bar.addWidget(QLabel("站点"))
            self._fill_stations()
            bar.addWidget(self.station)
        else:
            self.station.hide()
        self.refresh_button = QPushButton("统计")
        self.refresh_button.clicked.connect(self.refresh)
        bar.addWidget(self.refresh_button)
        bar.addStretch()
        bar.addWidget(QLabel("导出："))
        self.export_buttons = {}
        for fmt in FORMATS:
            b = QPushButton(EXPORT_LABELS.get(fmt, fmt.upper()) + "…")
            b.clicked.connect(lambda _=False, f=fmt: self.ask_export(f))
            bar.addWidget(b)
            self.export_buttons[fmt] = b
        v.addLayout(bar)
        self._default_kind()
        self.kind.currentIndexChanged.connect(self._fill_sub)
        self._fill_sub()

        self.headline = QLabel()
        self.headline.setObjectName("headline")
        self.headline.setStyleSheet("font-size: 11pt; font-weight: bold;")
        v.addWidget(self.headline)
        self.completeness = QLabel()
        self.completeness.setObjectName("completeness")
        self.completeness.setWordWrap(True)
        self.completeness.setVisible(self.hub)
        v.addWidget(self.completeness)
        self.message = ErrorLabel()
        v.addWidget(self.message)

        split = QSplitter(Qt.Horizontal)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        self.table = readonly_table(["项目", "数值"])
        self.table.setObjectName("report_table")
        self.table.setSelectionMode(self.table.SelectionMode.NoSelection)
        hh = self.table.horizontalHeader()
        hh.setStretchLastSection(False)
        hh.setSectionResizeMode(0, QHeaderView.Stretch)  # the figures column always shows
        hh.setSectionResizeMode(1, QHeaderView.ResizeToContents)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setWordWrap(False)
        lv.addWidget(self.table, 1)
        self.formula = QLabel()
        self.formula.setObjectName("formula")
        self.formula.setWordWrap(True)
        self.formula.setStyleSheet("color: #444;")
        lv.addWidget(self.formula)
        split.addWidget(left)

        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        self.chart = StatsChart()
        rv.addWidget(self.chart, 3)
        self.tabs = QTabWidget()
        self.warning = readonly_table(["用人单位", "行业", "争议数", "集体争议", "涉及人数", "未结", "最近收件", "预警原因"])
        self.warning.setObjectName("screening")
        self.rule = QLabel(scr.RULE_TEXT)
        self.rule.setWordWrap(True)
        w = QWidget()
        wv = QVBoxLayout(w)
        wv.setContentsMargins(0, 0, 0, 0)
        wv.addWidget(self.rule)
        wv.addWidget(self.warning, 1)
        self.tabs.addTab(w, "重点用人单位预警")
        self.by_type = readonly_table(["争议类型", "受理", "结案", "调解成功"])
        self.tabs.addTab(self.by_type, "按争议类型")
        self.by_mediator = readonly_table(["调解员", "结案", "调解成功", "平均办结天数"])
        self.tabs.addTab(self.by_mediator, "按调解员")
        self.per_station = readonly_table(["站点", "受理", "结案", "调解成功率", "期末未结"])
        if self.hub:
            self.tabs.addTab(self.per_station, "各站点")
        rv.addWidget(self.tabs, 2)
        split.addWidget(right)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([460, 740])
        v.addWidget(split, 1)
        self.refresh()

    def _fill_stations(self) -> None:
        """All stations, then each enrolled one (re-read at every refresh: stations enrol while the page is open)."""
        current = self.station.currentData()
        self.station.blockSignals(True)
        self.station.clear()
        self.station.addItem("全部站点", ALL_STATIONS)
        for sid in rpt.expected_stations(self.session.db)[0]:
            self.station.addItem(self._station_name(sid), sid)
        self.station.setCurrentIndex(max(0, self.station.findData(current)))
        self.station.blockSignals(False)

    def _station_name(self, sid: str) -> str:
        try:
            name = rpt.station_profile(self.session.db, sid).get("name")
        except Exception:  # noqa: BLE001 - a station whose records have not arrived yet
            name = None
        return f"{name}（{sid}）" if name else sid

    def _default_kind(self) -> None:
        """Year, quarter or month as the station's reporting period says (issue 16: set by its hub,
        or its own where the hub's is advisory)."""
        from desktop.sync.downward import default_period

        p = default_period(self.session.db, records_today())
        if p is not None:
            self.kind.setCurrentIndex(max(0, self.kind.findData(p.kind)))

    def _fill_sub(self, *_) -> None:
        self.sub.clear()
        kind = self.kind.currentData()
        today = records_today()
        if kind == "quarter":
            for q in range(1, 5):
                self.sub.addItem(f"第{'一二三四'[q - 1]}季度", q)
            self.sub.setCurrentIndex((today.month - 1) // 3)
        elif kind == "month":
            for m in range(1, 13):
                self.sub.addItem(f"{m}月", m)
            self.sub.setCurrentIndex(today.month - 1)
        self.sub.setVisible(kind != "year")

    def period(self) -> Period:
        kind, y = self.kind.currentData(), self.year.value()
        if kind == "quarter":
            return quarter(y, self.sub.currentData())
        if kind == "month":
            return month(y, self.sub.currentData())
        return year(y)

    def set_period(self, text: str) -> None:
        """Select a period by its label (2026, 2026-Q3, 2026-09)."""
        from desktop.stats.periods import parse_period

        p = parse_period(text)
        self.kind.setCurrentIndex(self.kind.findData(p.kind))
        self.year.setValue(p.start.year)
        if p.kind == "quarter":
            self.sub.setCurrentIndex((p.start.month - 1) // 3)
        elif p.kind == "month":
            self.sub.setCurrentIndex(p.start.month - 1)

    def selected_station(self) -> str | None:
        sid = self.station.currentData() if self.hub else None
        return None if sid in (None, ALL_STATIONS) else sid

    # --- computing -----------------------------------------------------------------------
    def refresh(self, *_) -> None:
        if self.hub:
            self._fill_stations()
        period, station = self.period(), self.selected_station()
        self.message.show_message("")

        def failed(exc):
            self.message.show_message(opsmod.error_text(exc))
        self.session.ops.run(lambda db, task: compute(db, period, station), on_done=self.show_data,
                             on_error=failed, label=f"正在统计{period.title}…")

    def show_data(self, data: dict) -> None:
        self.data = data
        r = data["report"]
        p = self.period()
        self.headline.setText(f"{layout.TITLE}　{p.title}（{p.start_text} 至 {p.end_text}）　受理 {r['accepted']} 件，"
                              f"结案 {r['closed']} 件，调解成功率 {fm.percent(r['success_rate'])}")
        if not r["checks"].get("reconciled", True):
            self.message.show_message(f"期末未结案件数不平衡：直接统计为 {r['checks'].get('pending_direct')}，"
                                      "数据存在矛盾，请运行 check 检查")
        rows, spans = [], []
        for block, items in layout.BLOCKS:
            spans.append(len(rows))
            rows.append([block, ""])
            for key, label, kind in items:
                rows.append([label, layout.display(layout.get(r, key), kind)])
        fill_table(self.table, rows)
        self.table.clearSpans()
        bold = QFont(self.font())
        bold.setBold(True)
        for i in spans:
            self.table.setSpan(i, 0, 1, 2)
            self.table.item(i, 0).setFont(bold)
            self.table.item(i, 0).setBackground(QColor("#eef1f6"))
        for i in range(len(rows)):
            if i not in spans:
                self.table.item(i, 1).setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
        # the formula in words; its internal name (agreed / closed) stays in the exported files only
        self.formula.setText(layout.formula_line(r).split("。口径名称：")[0])
        fill_table(self.by_type, [[name, r["by_type"][code]["accepted"], r["by_type"][code]["closed"],
                                   r["by_type"][code]["agreed"]] for code, name in layout.type_rows(r)])
        fill_table(self.by_mediator, [[name, m.get("closed", 0), m.get("agreed", 0),
                                       layout.display(m.get("avg_days_to_close"), "n")]
                                      for name, m in r["by_mediator"].items()])
        s = data["screening"]
        self.rule.setText(f"{s['rule']}（{s['window_start']} 至 {s['window_end']}）")
        fill_table(self.warning, [[e["employer"], e["industry"], e["cases"], e["collective"], e["workers"], e["open"],
                                   e["last_received"], e["reasons"]] for e in s["repeat_employers"]])
        if self.hub and "completeness" in r:
            c = r["completeness"]
            text = c["text"]
            if c["missing"]:
                text += f"；未报：{'、'.join(c['missing'])}"
            if r.get("sum_check"):
                text += f"；合计与各站点之和不符：{'、'.join(r['sum_check'])}"
            self.completeness.setText(text)
            fill_table(self.per_station, [[self._station_name(sid), rep["accepted"], rep["closed"],
                                           fm.percent(rep["success_rate"]), rep["pending_end"]]
                                          for sid, rep in r.get("stations", {}).items()])
        elif self.hub:
            self.completeness.setText(f"单站统计：{self.station.currentText()}")
        self.chart.show_series(p.start.year, data["monthly"], data["target"])

    def value_text(self, label: str) -> str | None:
        """The figure shown beside a row label (tests and screen readers)."""
        for i in range(self.table.rowCount()):
            if self.table.item(i, 0).text() == label and self.table.item(i, 1) is not None:
                return self.table.item(i, 1).text()
        return None

    # --- exporting -----------------------------------------------------------------------
    def ask_export(self, fmt: str) -> None:
        p = self.period()
        name = f"统计报表-{p.label}" + (f"-{self.selected_station()}" if self.selected_station() else "") + f".{fmt}"
        from desktop.ui.filedialogs import save_path

        path = save_path(self, f"导出{p.title}统计报表", name, FORMATS[fmt])
        if path:
            if not path.lower().endswith("." + fmt):
                path += "." + fmt
            self.export(fmt, path)

    def export(self, fmt: str, path: str):
        period, station, user = self.period(), self.selected_station(), self.session.user
        out = Path(path)
        if out.is_dir() or not out.parent.is_dir():
            self.message.show_message(f"无法写入：{out}（目录不存在或是一个目录）")
            return None

        def done(result):
            self.message.setStyleSheet("color: #1b5e20;")
            self.message.show_message(f"{period.title}统计报表已导出：{result['path']}")

        def failed(exc):
            self.message.setStyleSheet("color: #b3261e;")
            self.message.show_message(opsmod.error_text(exc))
        self.message.setStyleSheet("color: #b3261e;")
        return self.session.ops.run(lambda db, task: export_report(db, period, station, fmt, out, user),
                                    on_done=done, on_error=failed, label=f"正在导出{period.title}统计报表（{fmt}）…")

