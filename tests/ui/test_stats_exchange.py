"""The statistics page against the core's report, and bundles from a station to a hub through the
data-exchange pages: export, enrol with the paper fingerprint, import, refusal of a tampered bundle,
and 取消 before the commit leaving nothing written."""

from __future__ import annotations

import json

import pytest

from desktop.clock import today as china_today
from desktop import db as dbm, demo
from desktop.security import accounts
from desktop.stats import formula as fm, report as rpt, screening as scr
from desktop.sync import export as sx, hub as sh, keys as sk
from desktop.ui.ops import Cancelled, Task


@pytest.fixture
def demo300(tmp_path, qsettings, monkeypatch):
    from desktop.ui.app import open_session

    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    path = tmp_path / "s300.sqlite"
    database = dbm.open_database(path, create=True)
    demo.create_demo_station(database, seed=11)
    demo.fill(database, 300, seed=11)
    s = open_session(path, accounts.authenticate(database, "demo", "demo"), database)
    yield s
    s.ops.close()


def _xlsx_value(path, label):
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb["统计报表"]
    for row in ws.iter_rows():
        cells = [c.value for c in row]
        if label in [str(v).strip("　") if v is not None else None for v in cells]:
            i = [str(v).strip("　") if v is not None else None for v in cells].index(label)
            return next(v for v in cells[i + 1:] if isinstance(v, (int, float)))
    raise AssertionError(f"{label} not in {path}")


def test_stats_page_shows_the_report_and_exports_xlsx(qtbot, demo300, tmp_path):
    from desktop.ui.stats_page import StatsPage

    s = demo300
    page = StatsPage(s)
    qtbot.addWidget(page)
    page.show()
    assert s.ops.wait_idle()
    period = page.period()
    assert period.label == str(china_today().year)
    r = rpt.period_report(s.db, period)
    assert r["accepted"] > 0 and r["closed"] > 0
    assert page.value_text("当期受理案件数") == str(r["accepted"])
    assert page.value_text("调解结案数") == str(r["closed"])
    assert page.value_text("调解成功率") == fm.percent(r["success_rate"])
    assert page.value_text("期末未结案件数（上期未结＋当期受理－当期结案）") == str(r["pending_end"])
    assert fm.text(r["formula"]) in page.formula.text()
    # the chart: bars per month equal the monthly series; the target line sits at the profile's 60 %
    bars, rate, target = page.chart.chart.series()
    monthly = rpt.monthly_series(s.db, period.start.year)
    assert [bars.barSets()[0].at(i) for i in range(12)] == [m["received"] for m in monthly]
    assert [bars.barSets()[1].at(i) for i in range(12)] == [m["closed"] for m in monthly]
    assert {p.y() for p in target.points()} == {60.0}
    # the early-warning table lists the screening's repeat employers
    warn = scr.screening(s.db, period)["repeat_employers"]
    assert page.warning.rowCount() == len(warn) > 0
    assert page.warning.item(0, 0).text() == warn[0]["employer"]

    # another period: a quarter
    page.set_period(f"{period.start.year}-Q1")
    page.refresh()
    assert s.ops.wait_idle()
    q = rpt.period_report(s.db, f"{period.start.year}-Q1")
    assert page.value_text("当期受理案件数") == str(q["accepted"])

    out = tmp_path / "报表.xlsx"
    page.set_period(period.label)
    page.export("xlsx", str(out))
    assert s.ops.wait_idle()
    assert "已导出" in page.message.text()
    assert _xlsx_value(out, "当期受理案件数") == r["accepted"]
    assert _xlsx_value(out, "调解结案数") == r["closed"]
    assert not list(tmp_path.glob(".*.tmp"))
    assert s.db.conn.execute("select count(*) from audit_log where action = 'report.export'").fetchone()[0] == 1


def _count(db, table, where="1"):
    return db.conn.execute(f"select count(*) from {table} where {where}").fetchone()[0]


def test_station_exports_and_hub_imports_through_the_pages(qtbot, session, hub_session, tmp_path):
    from desktop.ui.exchange_page import ExchangePage
    from desktop.ui.stats_page import StatsPage

    st, hb = session, hub_session
    hub_card = tmp_path / "hub-card.json"
    sk.write_card(sk.hub_card(hb.db), hub_card)

    sp = ExchangePage(st)
    qtbot.addWidget(sp)
    assert not sp.is_hub and "尚未加入" in sp.hub_status.text()
    assert not sp.export_button.isEnabled()
    sp.join_card(str(hub_card))
    assert st.ops.wait_idle()
    assert "已加入汇总端" in sp.hub_status.text() and sp.export_button.isEnabled()
    card_path = tmp_path / "station-card.json"
    sp.write_station_card(str(card_path))
    assert st.ops.wait_idle()
    card = json.loads(card_path.read_text(encoding="utf-8"))
    assert card["fingerprint"] in sp.message.text()
    usb = tmp_path / "usb"
    usb.mkdir()
    sp.export_to(str(usb))
    assert st.ops.wait_idle()
    bundles = list(usb.glob("*.bundle"))
    assert len(bundles) == 1 and "第 1 号数据包" in sp.message.text()
    assert sp.out_table.rowCount() == 1 and sp.out_table.item(0, 0).text() == "1"

    hp = ExchangePage(hb)
    qtbot.addWidget(hp)
    assert hp.is_hub
    # the fingerprint typed from the paper form must match the card's
    hp.enrol_card(str(card_path), "0000-0000-0000")
    assert hb.ops.wait_idle()
    assert "不符" in hp.message.text() and _count(hb.db, "sync_stations") == 0
    hp.enrol_card(str(card_path), card["fingerprint"].lower())
    assert hb.ops.wait_idle()
    assert _count(hb.db, "sync_stations") == 1 and hp.stations_table.rowCount() == 1

    # a tampered bundle: refused with the station, sequence and check named; nothing written
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    data = bytearray(bundles[0].read_bytes())
    data[len(data) // 2] ^= 0x40
    bad = bad_dir / bundles[0].name
    bad.write_bytes(bytes(data))
    before = {t: _count(hb.db, t) for t in ("cases", "sync_bundles_in", "mediators", "case_events")}
    hp.import_files([str(bad)])
    assert hb.ops.wait_idle()
    assert hp.results[0]["status"] == "refused"
    line = hp.import_log.item(0).text()
    assert "未导入" in line and card["station"] in line and "序号 1" in line and "检查" in line
    assert {t: _count(hb.db, t) for t in before} == before

    hp.import_files([str(bundles[0])])
    assert hb.ops.wait_idle()
    assert hp.results[0]["status"] == "imported", hp.results
    assert _count(hb.db, "cases", "deleted = 0") == _count(st.db, "cases", "deleted = 0") > 0
    assert hp.stations_table.item(0, 2).text() == "1" and hp.stations_table.item(0, 4).text() == "无"
    # the same bundle again: already imported, nothing changed
    hp.import_files([str(bundles[0])])
    assert hb.ops.wait_idle()
    assert hp.results[0]["status"] == "duplicate" and _count(hb.db, "sync_bundles_in") == 1

    # the hub's statistics page: a station selector and the completeness line
    stats = StatsPage(hb)
    qtbot.addWidget(stats)
    assert hb.ops.wait_idle()
    assert stats.station.count() == 2
    assert "应报站点 1 个，已报 1 个" in stats.completeness.text()
    own = rpt.period_report(st.db, stats.period())
    assert stats.value_text("当期受理案件数") == str(own["accepted"])


class _CancelAt(Task):
    """A task whose user presses 取消 just before the work's `at`-th cancellation check."""

    def __init__(self, at):
        super().__init__(None, None, None, None, None)
        self.at = at
        self.checks = 0

    def check(self):
        self.checks += 1
        if self.checks >= self.at:
            self.cancelled = True
        return super().check()


def test_cancel_before_commit_leaves_nothing(session, hub_session, tmp_path):
    from desktop.ui.exchange_page import export_work, import_work

    st, hb = session, hub_session
    sx.join(st.db, sk.hub_card(hb.db), st.user)
    sh.enrol(hb.db, sk.station_card(st.db), hb.user)
    usb = tmp_path / "usb"
    usb.mkdir()
    dirty = _count(st.db, "cases", "dirty = 1")
    with pytest.raises(Cancelled):
        export_work(st.db, _CancelAt(2), usb, False, st.user)  # cancelled after the file was written
    assert list(usb.iterdir()) == [] and list(sx.kept_dir(st.db).glob("*.bundle")) == []
    assert _count(st.db, "sync_bundles_out") == 0 and _count(st.db, "cases", "dirty = 1") == dirty > 0

    r = export_work(st.db, _CancelAt(99), usb, False, st.user)
    assert r["seq"] == 1 and _count(st.db, "sync_bundles_out") == 1
    with pytest.raises(Cancelled):
        import_work(hb.db, _CancelAt(3), [r["path"]], hb.user)  # cancelled after the merge, before the commit
    assert _count(hb.db, "sync_bundles_in") == 0 and _count(hb.db, "cases") == 0
    assert import_work(hb.db, _CancelAt(99), [r["path"]], hb.user)[0]["status"] == "imported"
    assert _count(hb.db, "cases") == _count(st.db, "cases") > 0
    # the merged cases are counted at the page's own commit (deletions with sqlite3 show in check)
    counted = hb.db.conn.execute("select value from settings where key = 'rows.cases'").fetchone()[0]
    assert json.loads(counted)["n"] == _count(hb.db, "cases")


def test_hub_page_imports_a_large_bundle_with_worker_processes(qtbot, hub_session, tmp_path, monkeypatch):
    """From the program's worker thread, a bundle big enough for the worker processes: imported
    whole, the page's table updated, the window responsive (the work runs off the UI thread)."""
    from desktop.sync import intake
    from desktop.ui.exchange_page import ExchangePage

    monkeypatch.setenv("MEDIATION_DESK_HOME", str(tmp_path / "home"))
    st = dbm.open_database(tmp_path / "big.sqlite", create=True)
    actor = demo.create_demo_station(st, seed=12)
    demo.fill(st, intake.PARALLEL_MIN_CASES, seed=12, actor=actor)
    hb = hub_session
    sx.join(st, sk.hub_card(hb.db), actor)
    sh.enrol(hb.db, sk.station_card(st), hb.user)
    usb = tmp_path / "usb"
    usb.mkdir()
    path = sx.export_bundle(st, usb, actor)["path"]
    hp = ExchangePage(hb)
    qtbot.addWidget(hp)
    intake.shutdown_pool()  # so a pool afterwards was started by this import
    hp.import_files([path])
    assert hb.ops.wait_idle()
    assert hp.results[0]["status"] == "imported", hp.results
    assert hp.results[0]["applied"]["cases"]["new"] == intake.PARALLEL_MIN_CASES
    assert intake._POOL is not None  # the worker processes did take part
    assert hp.stations_table.item(0, 6).text() == str(intake.PARALLEL_MIN_CASES)
