"""Screenshots of the downward package in the program (issue 16's "done when"): a city enters the
2027 notice and writes a package, a district passes it on, a township checks and applies it, and
its December cases' deadlines are no longer provisional.

    QT_QPA_PLATFORM=offscreen python -m desktop.ui.package_screenshots --out docs/screenshots

The notice is the 2027 test notice of tests/downward_support.py (not the published one).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
import tempfile
from pathlib import Path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="下发数据包界面截图")
    ap.add_argument("--out", default="docs/screenshots")
    ap.add_argument("--size", default="1366x900")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtCore import QCoreApplication, QSettings, Qt

    from desktop import cases, clock, db as dbm, demo
    from desktop.security import accounts
    from desktop.sync import export, hub, keys
    from desktop.ui.app import make_app, open_session
    from desktop.ui.mainwindow import MainWindow

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.downward_support import NOTICE_2027_TEXT, TITLE_2027
    from tests.records import registered

    tmp = Path(tempfile.mkdtemp(prefix="md-package-shots-"))
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp / "settings"))
    app = make_app([sys.argv[0]])
    QCoreApplication.setOrganizationName("MediationDeskScreenshots")
    clock.set_today(_dt.date(2026, 12, 30))
    w, h = (int(x) for x in args.size.split("x"))

    def hub_at(name, title):
        path = tmp / f"{name}.sqlite"
        hub.hub_init(path, title, "330481", "hadmin", "hubpass123")
        database = dbm.open_database(path)
        return open_session(path, accounts.authenticate(database, "hadmin", "hubpass123"), database)

    city = hub_at("city", "示范市劳动人事争议调解数据汇总")
    district = hub_at("district", "示范区劳动人事争议调解数据汇总")
    tpath = tmp / "township.sqlite"
    tdb = dbm.open_database(tpath, create=True)
    tu = demo.create_demo_station(tdb, seed=7)
    demo.fill(tdb, 60, seed=7)
    for day in (28, 29, 30):
        cases.create_case(tdb, registered(received=f"2026-12-{day}T10:00:00+08:00"), tu)
    township = open_session(tpath, accounts.authenticate(tdb, "demo", "demo"), tdb)
    hub.enrol(city.db, keys.station_card(district.db), city.user)
    export.join(district.db, keys.hub_card(city.db), district.user)
    hub.enrol(district.db, keys.station_card(township.db), district.user)
    export.join(township.db, keys.hub_card(district.db), township.user)
    usb = tmp / "usb"
    usb.mkdir()

    def window(session):
        win = MainWindow(session)
        win.resize(w, h)
        win.show()
        return win

    def shot(widget, name):
        from desktop.ui.reader import settle

        settle()  # the pages read behind the window: grab them filled in
        for _ in range(5):
            app.processEvents()
        widget.grab().save(str(out / f"{name}.png"))
        print(out / f"{name}.png")

    def scroll_to(page, box):
        from PySide6.QtWidgets import QScrollArea

        area = page.findChild(QScrollArea)
        area.ensureWidgetVisible(box, 0, 0)
        area.verticalScrollBar().setValue(box.y())

    # The city: the notice entered once, checked, and package 1 written.
    cwin = window(city)
    cwin.show_page(4)
    cx = cwin.pages["数据交换"]
    box = cx.hub_package_box
    box.year.setValue(2027)
    box.title.setText(TITLE_2027)
    box.notice_date.setText("2026-11-10")
    box.notice_text.setPlainText(NOTICE_2027_TEXT)
    box.save_notice()
    city.ops.wait_idle()
    box.years.item(0).setCheckState(Qt.Checked)
    box.note.setText("2027年放假安排已下发，请各调解组织及时导入。")
    box.folder.setText(str(usb))
    box.write_package()
    city.ops.wait_idle()
    scroll_to(cx, box)
    shot(cwin, "package-city")
    city_pkg = sorted(usb.glob("*-down-*.package"))[0]

    # The district: passes it on.
    dwin = window(district)
    dwin.show_page(4)
    dx = dwin.pages["数据交换"]
    dx.hub_package_box.folder.setText(str(usb))
    dx.hub_package_box.pass_on(str(city_pkg), str(usb))
    district.ops.wait_idle()
    scroll_to(dx, dx.hub_package_box.sent)
    shot(dwin, "package-district")
    passed = [p for p in usb.glob("*-down-*.package") if p != city_pkg][0]

    # The township: the December cases provisional, the package checked, applied, final.
    twin = window(township)
    twin.show_page(0)  # the dashboard counts the open cases whose deadlines are provisional
    township.ops.wait_idle()
    shot(twin, "package-township-dashboard-before")
    twin.show_page(4)
    tx = twin.pages["数据交换"]
    tx.package_box.check_file(str(passed))
    township.ops.wait_idle()
    scroll_to(tx, tx.package_box)
    shot(twin, "package-township-preview")
    tx.package_box.apply_file(str(passed))
    township.ops.wait_idle()
    scroll_to(tx, tx.package_box)
    shot(twin, "package-township-applied")
    township.changed("cases")
    twin.show_page(0)
    township.ops.wait_idle()
    shot(twin, "package-township-dashboard-after")
    for win, s in ((cwin, city), (dwin, district), (twin, township)):
        win.close()
        s.ops.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
