"""Attack: names written as spreadsheet formulas (issue 15, item 4). Every text cell of every xlsx and
csv the program writes must be inert text; csv cells starting with = + - @ tab or CR are neutralised."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

from desktop import cases, db as dbm, org
from desktop.documents import write_roster_xlsx
from desktop.security.cells import csv_cell, csv_value, is_risky
from desktop.stats import outputs, report as rpt
from desktop.stats.screening import screening
from tests import records

EVIL = '=HYPERLINK("http://x","click")'
EVILS = [EVIL, "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


def _xml_cells(path):
    """(formula count, {cell text: quotePrefix?}) read from the raw sheet XML, as Excel or WPS would."""
    formulas, texts = 0, {}
    with zipfile.ZipFile(path) as z:
        styles = z.read("xl/styles.xml").decode("utf-8")
        xfs = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S).group(1)
        quoted = [("quotePrefix=\"1\"" in xf) for xf in re.findall(r"<xf [^>]*?(?:/>|>.*?</xf>)", xfs, re.S)]
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            shared = [re.sub(r"<[^>]+>", "", s) for s in
                      re.findall(r"<si>(.*?)</si>", z.read("xl/sharedStrings.xml").decode("utf-8"), re.S)]
        for name in z.namelist():
            if not name.startswith("xl/worksheets/sheet"):
                continue
            xml = z.read(name).decode("utf-8")
            formulas += len(re.findall(r"<f[ >]", xml))
            for attrs, body in re.findall(r"<c ([^>]*?)(?:/>|>(.*?)</c>)", xml, re.S):
                t = re.search(r'\bt="(\w+)"', attrs)
                s = re.search(r'\bs="(\d+)"', attrs)
                q = bool(s) and quoted[int(s.group(1))]
                if t and t.group(1) == "inlineStr":
                    texts[_unxml(re.sub(r"<[^>]+>", "", body))] = q
                elif t and t.group(1) == "s":
                    texts[_unxml(shared[int(re.search(r"<v>(\d+)</v>", body).group(1))])] = q
    return formulas, texts


def _unxml(s):
    return s.replace("&quot;", '"').replace("&apos;", "'").replace("&lt;", "<").replace("&gt;", ">") \
        .replace("&#13;", "\r").replace("&#9;", "\t").replace("&amp;", "&")


def _assert_inert(path, must_contain):
    formulas, texts = _xml_cells(path)
    assert formulas == 0, f"{path.name}: {formulas} formula cells"
    for evil in must_contain:
        hits = [t for t in texts if evil in t]
        assert hits, (evil, list(texts)[:40])
        for t in hits:
            if t.startswith(("=", "+", "-", "@", "\t", "\r")):
                assert texts[t], f"{t!r} written without the quote prefix"


def test_helper_rules():
    for evil in EVILS:
        assert is_risky(evil) and csv_cell(evil) == "'" + evil and csv_value(csv_cell(evil)) == evil
    for fine in ("海宁某某纺织有限公司", "-12.50", "3", 7, None, "a=b"):
        assert csv_cell(fine) == fine


def test_station_report_xlsx_and_csv_hold_no_live_formula(station, tmp_path):
    db, admin, _ = station
    org.update_profile(db, {"name": EVIL + "调解中心"}, admin)
    recs = []
    for i in range(2):  # two cases of the same employer: it is in the screening sheet
        rec = records.agreed(f"2026-09-2{i}T10:00:00+08:00")
        rec["employer"]["name"] = EVILS[1]
        rec["employer"]["industry"] = EVILS[3]
        rec["mediators"] = [{"name": "赵调解", "role": "lead"}]
        recs.append(rec)
    cases.import_records(db, recs, admin)
    report = rpt.period_report(db, "2026")
    # a name with a formula as the mediators' key (a station's bundle may carry anything the hub shows)
    report["by_mediator"] = {EVIL: next(iter(report["by_mediator"].values()))}
    scr = screening(db, "2026")
    assert scr["repeat_employers"][0]["employer"] == EVILS[1]
    xlsx = tmp_path / "r.xlsx"
    outputs.write_xlsx(report, xlsx, screening=scr)
    _assert_inert(xlsx, [EVIL, EVILS[1], EVILS[3]])
    from openpyxl import load_workbook

    values = [c.value for ws in load_workbook(xlsx).worksheets for row in ws.iter_rows() for c in row]
    assert EVILS[1] in values and EVIL in values  # the names themselves are kept, as text
    out = tmp_path / "r.csv"
    outputs.write_csv(report, out)
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    for row in rows:
        for cell in row:
            assert not is_risky(cell), (cell, row)
    assert rows[0][3].startswith("'" + EVIL)  # the title cell: neutralised, readable
    assert outputs.read_csv(out)["accepted"] == report["accepted"]  # the figures read back unchanged


def test_hub_station_sheet_from_a_bundle_holds_no_live_formula(tmp_path, station):
    # what a station's bundle puts into the hub's org table is shown in the stations sheet
    hub = dbm.open_database(tmp_path / "hub.sqlite", create=True)
    org.initialize(hub, {"name": "海宁市劳动人事争议调解汇总", "kind": "other", "region": "330481"})
    org.set_setting(hub, "role", "hub")
    with hub.atomic():
        hub.conn.execute("insert into org (id, station, created_at, updated_at, profile) values (?,?,?,?,?)",
                         ("org-S3", "S000000003", "2026-01-01", "2026-01-01", json.dumps({"name": EVIL})))
    report = rpt.hub_report(hub, "2026-Q3")
    assert report["stations"]["S000000003"]["org"] == EVIL
    xlsx = tmp_path / "hub.xlsx"
    outputs.write_xlsx(report, xlsx)
    _assert_inert(xlsx, [EVIL])
    hub.conn.close()


def test_jilin_roster_xlsx_holds_no_live_formula(tmp_path):
    profile = {"name": EVIL, "kind": "township", "region": "330481", "address": EVILS[2], "phone": "@1"}
    mediators = [{"name": EVIL, "employment": "full_time", "active": True, "employer": EVILS[1],
                  "speciality": EVILS[4], "title": EVILS[3], "certificate_no": "-1+1"}]
    for table in ("jilin-org", "jilin-mediators"):
        out = tmp_path / f"{table}.xlsx"
        write_roster_xlsx(table, profile, mediators, out)
        _assert_inert(out, [EVIL])


def test_report_command_writes_inert_cells(station, tmp_path):
    # the same path the report command and the statistics page take (stats/export.write_report)
    from desktop.stats.export import write_report
    from desktop.stats.periods import parse_period

    db, admin, _ = station
    org.update_profile(db, {"name": EVIL}, admin)
    period = parse_period("2026-Q3")
    for fmt in ("xlsx", "csv"):
        out = tmp_path / f"cmd.{fmt}"
        write_report(db, admin, rpt.period_report(db, period), period, fmt, out, station=None,
                     screening=screening(db, period) if fmt == "xlsx" else None, monthly=None)
        if fmt == "xlsx":
            _assert_inert(out, [EVIL])
        else:
            text = out.read_bytes().decode("utf-8-sig")
            assert "'" + EVIL.replace('"', '""') in text and "\n=" not in text and ",=" not in text
