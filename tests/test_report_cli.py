"""The `report` command: exit codes, and the json, csv, xlsx and pdf it writes holding the same numbers."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import openpyxl
import pdfplumber
import pytest

from desktop import cases, cli, db as dbm
from desktop.security import accounts
from desktop.stats import outputs, report as rpt
from desktop.codes import DISPUTE_TYPES
from desktop.stats.layout import BLOCKS, flat_rows
from tests import records


# Its records carry fixed 2026 dates: the tests run on this day whatever the real or CI date
FIXED_TODAY = "2026-11-30"


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("rep") / "demo.sqlite"
    db = records.demo_database(path, 300, seed=5)
    year = db.conn.execute("select max(closed_date) from cases").fetchone()[0][:4]
    db.conn.close()
    return path, year


def run(capsys, *args):
    code = cli.main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_bad_period_exits_2_with_a_chinese_message(demo_file, tmp_path, capsys):
    path, _ = demo_file
    out = tmp_path / "r.json"
    code, _, err = run(capsys, "report", "--db", path, "--period", "2026-Q7", "--format", "json", "--out", out)
    assert code == 2 and "统计期间格式不正确" in err and not out.exists()
    code, _, err = run(capsys, "report", "--db", path, "--period", "2026", "--format", "docx", "--out", out)
    assert code == 2 and "不支持的格式" in err and not out.exists()
    code, _, err = run(capsys, "report", "--db", path, "--period", "2026", "--out", tmp_path / "nodir" / "r.json")
    assert code == 2 and "目录不存在" in err
    code, _, err = run(capsys, "report", "--db", path, "--period", "2026", "--out", out, "--station", "SNOPE")
    assert code == 2 and "未知的站点" in err and not out.exists()
    code, _, err = run(capsys, "report", "--db", path, "--period", "2026", "--out", out, "--formula", "x / y")
    assert code == 2 and "未知的调解成功率口径" in err


def test_wrong_credentials_exit_1(demo_file, tmp_path, capsys, monkeypatch):
    path, year = demo_file
    pw = tmp_path / "pw"
    pw.write_text("wrong-password1", encoding="utf-8")
    out = tmp_path / "r.json"
    code, _, err = run(capsys, "report", "--db", path, "--period", year, "--out", out, "--user", "demo",
                       "--password-file", pw)
    assert code == 1 and err and not out.exists()


def test_json_report_has_the_contract_keys(demo_file, tmp_path, capsys):
    path, year = demo_file
    out = tmp_path / "r.json"
    code, stdout, _ = run(capsys, "report", "--db", path, "--period", f"{year}-Q2", "--format", "json", "--out", out)
    assert code == 0 and stdout.strip() == str(out)
    data = json.loads(out.read_text(encoding="utf-8"))
    for k in ("period", "org", "formula", "received", "accepted", "declined", "carried_over", "collective_accepted",
              "workers_involved", "migrant_cases", "platform_cases", "closed", "closed_by_outcome", "pending_end",
              "success_rate", "on_time_rate", "amount_claimed", "amount_agreed", "amount_paid", "by_type",
              "by_mediator"):
        assert k in data, k
    assert data["period"] == f"{year}-Q2"
    assert data["pending_end"] == data["carried_over"] + data["accepted"] - data["closed"]
    db = dbm.open_database(path)
    try:
        fresh = rpt.period_report(db, f"{year}-Q2")
        assert data["fingerprint"] == rpt.fingerprint(fresh) == rpt.fingerprint(data)
        assert any(e["action"] == "report.export" for e in _audit(db))
    finally:
        db.conn.close()


def _audit(db):
    return [{"action": a} for (a,) in db.conn.execute("select action from audit_log")]


def test_xlsx_holds_the_same_numbers_as_the_json(demo_file, tmp_path, capsys):
    path, year = demo_file
    js, xl = tmp_path / "r.json", tmp_path / "r.xlsx"
    assert run(capsys, "report", "--db", path, "--period", year, "--format", "json", "--out", js)[0] == 0
    assert run(capsys, "report", "--db", path, "--period", year, "--format", "xlsx", "--out", xl)[0] == 0
    data = json.loads(js.read_text(encoding="utf-8"))
    wb = openpyxl.load_workbook(xl)
    assert wb.sheetnames[:3] == ["统计报表", "按争议类型", "按调解员"] and "争议排查" in wb.sheetnames
    ws = wb["统计报表"]
    assert data["org"] in ws["A2"].value and "A1:B1" in [str(r) for r in ws.merged_cells.ranges]
    # issue 14 item 8: Chinese only (no column of English keys), the value beside its label
    label_key = {label: key for _block, items in BLOCKS for key, label, _kind in items}
    assert len(label_key) == sum(len(items) for _b, items in BLOCKS)  # labels are unique
    cells = {label_key[ws.cell(r, 1).value]: ws.cell(r, 2) for r in range(1, ws.max_row + 1)
             if ws.cell(r, 1).value in label_key}
    checked = 0
    for key, _block, _label, value in flat_rows(data):
        if key not in cells:
            continue
        cell = cells[key]
        if key.startswith("amount_"):
            assert Decimal(str(cell.value)) == Decimal(value) and cell.number_format == "#,##0.00", key
        elif key.endswith("_rate") and key != "target_success_rate":
            assert (cell.value == "—" if value is None else Decimal(str(cell.value)) == Decimal(repr(value))), key
        elif key == "target_success_rate":
            assert Decimal(str(cell.value)) == Decimal(value)
        else:
            assert cell.value == value, key
        checked += 1
    assert checked >= 30
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert sum("调解成功率 =" in t for t in texts) == 1  # the formula once, under the table
    assert not any(re.search(r"[A-Za-z_]{3,}", t) for t in texts), [t for t in texts if re.search(r"[A-Za-z_]{3,}", t)]
    assert any("单位负责人" in t and "填表人" in t and "报出日期" in t and "盖章" in t for t in texts)
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 1
    wt = wb["按争议类型"]
    names = {v: k for k, v in DISPUTE_TYPES.items()}
    by_type = {names[wt.cell(r, 1).value]: [wt.cell(r, c).value for c in (2, 3, 4)] for r in range(4, wt.max_row + 1)
               if wt.cell(r, 1).value in names}
    assert by_type == {k: [v["accepted"], v["closed"], v["agreed"]] for k, v in data["by_type"].items()}
    assert any("按申请时列在第一位的争议类型统计" in str(c.value) for row in wt.iter_rows() for c in row)


def test_csv_round_trip(demo_file, tmp_path, capsys):
    path, year = demo_file
    out = tmp_path / "r.csv"
    assert run(capsys, "report", "--db", path, "--period", year, "--format", "csv", "--out", out)[0] == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: WPS and Excel read UTF-8
    back = outputs.read_csv(out)
    db = dbm.open_database(path)
    try:
        r = rpt.period_report(db, year)
    finally:
        db.conn.close()
    for key, _b, _l, value in flat_rows(r):
        node = back
        for part in key.split("."):
            node = node[part]
        assert node == value, key


def test_pdf_is_written_with_chinese_text(demo_file, tmp_path, capsys):
    path, year = demo_file
    out = tmp_path / "r.pdf"
    assert run(capsys, "report", "--db", path, "--period", year, "--format", "pdf", "--out", out)[0] == 0
    with pdfplumber.open(out) as pdf:
        text = "".join(page.extract_text() or "" for page in pdf.pages)
    assert "劳动人事争议调解统计报表" in text and "调解成功率" in text and "期末未结" in text


def test_viewer_may_report(tmp_path, capsys, station):
    db, admin, path = station
    accounts.create_user(db, "clerk", "viewer12345", "viewer", actor=admin.name)
    from tests.test_stats import case

    cases.import_records(db, [case("2026-07-10", decided="2026-07-10")], admin)
    pw = tmp_path / "pw"
    pw.write_text("viewer12345", encoding="utf-8")
    out = tmp_path / "v.json"
    code, _, err = run(capsys, "report", "--db", path, "--period", "2026-07", "--out", out, "--user", "clerk",
                       "--password-file", pw)
    assert code == 0, err
    assert json.loads(out.read_text(encoding="utf-8"))["accepted"] == 1
