"""Render the main screens of a demo station to PNG: `python -m desktop.ui.screenshots --out docs/screenshots`.

Runs under Xvfb (`xvfb-run -a`) or with QT_QPA_PLATFORM=offscreen. Without --db a demo station
with 400 cases is built in a temporary directory.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="渲染主要界面截图")
    ap.add_argument("--out", default="docs/screenshots")
    ap.add_argument("--db", help="演示数据库（默认：临时生成400件案件）")
    ap.add_argument("--size", default="1366x728", help="主窗口大小（1366×768 屏幕去掉标题栏）")
    ap.add_argument("--skip-first-day", action="store_true", help="不生成“第一天”各步骤的截图")
    ap.add_argument("--only-first-day", action="store_true", help="只生成“第一天”各步骤的截图")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtCore import QCoreApplication, QSettings
    from PySide6.QtWidgets import QTableWidgetItem

    from desktop import cases, db as dbm, demo
    from desktop.security import accounts
    from desktop.ui.app import make_app, open_session

    tmp = Path(tempfile.mkdtemp(prefix="md-shots-"))
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp / "settings"))  # never the user's layout
    app = make_app([sys.argv[0]])
    QCoreApplication.setOrganizationName("MediationDeskScreenshots")
    if args.only_first_day:
        from desktop.ui.first_day_shots import shoot

        for f in shoot(out, app, tmp):
            print(f)
        return 0
    if args.db:
        path = Path(args.db)
        database = dbm.open_database(path)
    else:
        path = tmp / "demo.sqlite"
        database = dbm.open_database(path, create=True)
        demo.create_demo_station(database, seed=7)
        demo.fill(database, 400, seed=7)
    user = accounts.authenticate(database, "demo", "demo")
    session = open_session(path, user, database)
    w, h = (int(x) for x in args.size.split("x"))

    from desktop.ui.mainwindow import MainWindow

    win = MainWindow(session)
    win.resize(w, h)
    win.show()
    written = []

    def shot(widget, name):
        from desktop.ui.reader import settle

        settle()  # the pages read behind the window: grab them filled in
        for _ in range(5):
            app.processEvents()
        file = out / f"{name}.png"
        widget.grab().save(str(file))
        written.append(file)

    shot(win, "dashboard")
    win.show_page(1)
    page = win.pages["案件"]
    shot(win, "case-list")
    page.search.setText("王")
    shot(win, "case-list-search")
    page.search.clear()
    win.show_page(2)
    shot(win, "roster")
    win.show_page(5)
    shot(win, "settings")
    win.show_page(3)
    session.ops.wait_idle()
    shot(win, "statistics")
    page = win.pages["统计"]
    page.tabs.setCurrentIndex(1)
    shot(win, "statistics-by-type")
    page.tabs.setCurrentIndex(0)

    # Data exchange: a hub next to the demo station, the station joined and one bundle exported.
    from desktop.sync import hub as sync_hub, keys as sync_keys

    hub_path = tmp / "hub.sqlite"
    sync_hub.hub_init(hub_path, "示范区劳动人事争议调解数据汇总", "330481", "hubadmin", "hubpass123")
    hub_db = dbm.open_database(hub_path)
    hub_session = open_session(hub_path, accounts.authenticate(hub_db, "hubadmin", "hubpass123"), hub_db)
    sync_keys.write_card(sync_keys.hub_card(hub_db), tmp / "hub-card.json")
    win.show_page(4)
    ex = win.pages["数据交换"]
    ex.join_card(str(tmp / "hub-card.json"))
    session.ops.wait_idle()
    ex.write_station_card(str(tmp / "station-card.json"))
    usb = tmp / "usb"
    usb.mkdir(exist_ok=True)
    ex.folder.setText(str(usb))
    ex.export_to(str(usb))
    session.ops.wait_idle()
    shot(win, "exchange-station")

    hub_win = MainWindow(hub_session)
    hub_win.resize(w, h)
    hub_win.show()
    hub_win.show_page(4)
    hx = hub_win.pages["数据交换"]
    import json as _json

    card = _json.loads((tmp / "station-card.json").read_text(encoding="utf-8"))
    hx.enrol_card(str(tmp / "station-card.json"), card["fingerprint"])
    hub_session.ops.wait_idle()
    hx.import_files([str(p) for p in sorted(usb.glob("*.bundle"))])
    hub_session.ops.wait_idle()
    shot(hub_win, "exchange-hub")
    hub_win.show_page(3)
    hub_session.ops.wait_idle()
    shot(hub_win, "statistics-hub")
    hub_win.close()
    hub_session.ops.close()

    row = database.conn.execute(
        "select id from cases where outcome = 'agreed' and deleted = 0 and id in"
        " (select c.id from cases c join case_items i on i.case_rowid = c.rowid) order by rowid desc limit 1"
    ).fetchone()
    cw = win.open_case(row[0])
    cw.resize(1100, 760)
    shot(cw, "case-window")
    cw.tabs.setCurrentIndex(4)
    shot(cw, "case-window-performance")
    cw.tabs.setCurrentIndex(6)
    shot(cw, "case-window-history")
    cw.close()
    row = database.conn.execute("select id from cases where status = 'mediating' and deleted = 0"
                                " order by rowid desc limit 1").fetchone()
    cw = win.open_case(row[0])
    cw.resize(1100, 760)
    cw.tabs.setCurrentIndex(3)
    cw.o_kind.setCurrentIndex(cw.o_kind.findData("agreed"))
    cw.i_text.setText("被申请人支付申请人2026年8月至9月工资")
    cw.i_amount.setText("12345.60")
    cw._add_item()
    cw.i_cat.setCurrentIndex(cw.i_cat.findData("econ_comp"))
    cw.i_text.setText("被申请人支付申请人解除劳动合同经济补偿")
    cw.i_amount.setText("8000")
    shot(cw, "case-window-agreement")
    cw.close()

    form = win.register_new()
    form.resize(1000, 800)
    form.show()
    form.oral.setChecked(True)
    form.workers.setItem(0, 0, QTableWidgetItem("王小明"))
    form.workers.setItem(0, 1, QTableWidgetItem("330481199001011234"))
    form.paste_workers("李四\t330481198805050017\t13800000001\n张三\t330481199203030021\t13800000002")
    form.employer_name.setText("示范长安宏达纺织有限公司")
    form.primary_type.setCurrentIndex(form.primary_type.findData("PAY"))
    form.claims.setItem(0, 0, QTableWidgetItem("支付2026年8月至9月工资"))
    form.claims.setItem(0, 1, QTableWidgetItem("12000"))
    form.touched.update({"workers", "application.recorder", "employer.name"})
    form._validate()
    shot(form, "registration")
    form.dirty = False
    form.close()
    win.close()
    session.ops.close()
    if not args.skip_first_day:
        from desktop.ui.first_day_shots import shoot

        written += shoot(out, app, tmp)
    for f in written:
        print(f)
    cases.forget_calendar(database)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
