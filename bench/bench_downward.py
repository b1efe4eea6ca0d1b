"""Downward-package benchmark (issue 16): package sizes, and the time a station with N cases takes
to check and apply the 2027 holiday notice passed on from a city through a district.

    .venv/bin/python bench/bench_downward.py [--cases 10000] [--keep]

The station is a demo station filled with N cases on 2026-12-30 (so the cases whose deadlines
reach into 2027 are provisional). Timed: the check alone (container, signatures — the district's
and the city's — content), the preview, and the whole apply (check, sequence, notice entered,
every stored deadline recomputed, audit), one transaction.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=10000)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-downward-"))
    os.environ["MEDIATION_DESK_HOME"] = str(tmp / "home")
    from desktop import clock, demo
    from desktop.documents.templates import FORMS_DIR
    from desktop.sync import bundle, downward, export, hub, keys
    from tests.downward_support import NOTICE_2027_TEXT, TITLE_2027
    from tests.test_sync_support import make_hub

    clock.set_today(dt.date(2026, 12, 30))
    try:
        city, cu = make_hub(tmp, "city", title="某市调解数据汇总")[:2]
        district, du = make_hub(tmp, "district", title="某区调解数据汇总")[:2]
        from desktop import db as dbm

        station = dbm.open_database(tmp / "station.sqlite", create=True)
        su = demo.create_demo_station(station, seed=3)
        t0 = time.perf_counter()
        demo.fill(station, args.cases, seed=3, actor=su)
        print(f"station filled with {args.cases} cases in {time.perf_counter() - t0:.1f} s (not part of the figures)")
        hub.enrol(city, keys.station_card(district), cu)
        export.join(district, keys.hub_card(city), du)
        hub.enrol(district, keys.station_card(station), du)
        export.join(station, keys.hub_card(district), su)
        usb = tmp / "usb"
        usb.mkdir()

        downward.set_notice_text(city, 2027, NOTICE_2027_TEXT, TITLE_2027, "2026-11-10", cu)
        downward.set_commissions(city, [{"name": f"某市第{i}劳动人事争议仲裁委员会", "address": f"某市人民路{i}号",
                                         "phone": "0573-87000002", "hours": "工作日 8:30-17:00"} for i in range(1, 4)], cu)
        downward.set_hub_settings(city, {"target_success_rate": {"value": "0.65", "advisory": True},
                                         "reporting_period": {"value": "monthly", "advisory": False}}, cu)
        text = (FORMS_DIR / "failure-notice.toml").read_text(encoding="utf-8")
        downward.set_hub_template(city, "failure-notice", text.replace('title = "', 'title = "（新版）', 1), cu)

        sizes = {}
        cal = downward.build_package(city, cu, usb, years=[2027])
        sizes["calendar only (city)"] = cal["size"]
        full = downward.build_package(city, cu, usb, years=[2027], commissions_=True, settings_=True,
                                      templates=["failure-notice"], note="2027年放假安排已下发，请及时应用。",
                                      stations=True)
        sizes["calendar + commissions + settings + 1 template + note + station view (city)"] = full["size"]
        rows = [{"station": f"S{i:010X}", "name": f"某某镇劳动人事争议调解中心{i}", "last_seq": 12,
                 "last_bundle_at": "2026-12-01T09:00:00+08:00", "gaps": ["3–4"], "bundle_this_period": True,
                 "package_applied": 5} for i in range(200)]
        sizes["station view of 200 stations (content bytes alone)"] = len(bundle.canonical_json({"stations": rows}))
        passed = downward.pass_on(district, cal["path"], du, usb)
        sizes["calendar only, passed on by the district (city package inside)"] = passed["size"]

        provisional = station.conn.execute("select count(*) from cases where provisional = 1").fetchone()[0]
        data = Path(passed["path"]).read_bytes()
        t0 = time.perf_counter()
        for _ in range(20):
            checked = downward.check_package(station, data)
        t_check = (time.perf_counter() - t0) / 20
        t0 = time.perf_counter()
        shown = downward.preview(station, checked)
        t_preview = time.perf_counter() - t0
        t0 = time.perf_counter()
        r = downward.apply_package(station, passed["path"], su)
        t_apply = time.perf_counter() - t0
        print("\npackage sizes (bytes):")
        for k, v in sizes.items():
            print(f"  {v:>8,}  {k}")
        print(f"\nstation with {args.cases:,} cases ({provisional} provisional before):")
        print(f"  check (container, district + city signatures, content): {t_check * 1000:.1f} ms")
        print(f"  preview ({len(shown['lines'])} lines):                   {t_preview * 1000:.1f} ms")
        print(f"  apply (check, notice, recompute, audit; one transaction): {t_apply:.2f} s")
        print(f"  deadlines changed: {r['recomputed']}; provisional {r['provisional_before']} → {r['provisional_after']}")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"files kept in {tmp}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
