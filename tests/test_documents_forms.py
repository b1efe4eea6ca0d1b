"""Issue 14 item 9: the smaller things seen on paper, read back from the rendered PDFs."""

from __future__ import annotations

import datetime as dt
import os

os.environ["MEDIATION_DESK_FONTS"] = "bundled"

from desktop import clock, db as dbm, demo, org as orgm  # noqa: E402
from desktop.documents import layout as L, render_document, render_roster  # noqa: E402
from desktop.documents.jilin import last_year_counts, with_last_year  # noqa: E402
from tests.test_documents import TODAY, flat, org, pdftext, registered_case  # noqa: E402


def test_the_applicants_own_form_has_no_case_number(tmp_path):
    case = registered_case()
    out = tmp_path / "a.pdf"
    render_document("application", case, org(), out, today=TODAY)
    text = flat(pdftext(out))
    assert "劳动人事争议调解申请书" in text and case["case_no"] not in text and "劳调字" not in text


def test_a_list_never_leaves_its_header_and_one_row_at_the_foot_of_a_page():
    cell = lambda: [L.Cell([], 0, 1, "left", 18.0, 100.0)]  # noqa: E731
    table = L.Table([100.0], [cell() for _ in range(4)], grid=True, header_rows=1, min_row_height=24.0)
    h = table.row_heights[0]
    first, rest = table.split(2 * h + 1)  # room for the header and one row only
    assert first is None and rest is table
    first, rest = table.split(3 * h + 1)  # header and two rows: a fair split
    assert len(first.rows) == 3 and len(rest.rows) == 2  # the header repeats on the next page


def test_jilin_org_table_takes_last_years_figures_credit_code_and_township(tmp_path):
    clock.set_today(dt.date(2026, 3, 20))
    database = dbm.open_database(tmp_path / "demo.sqlite", create=True)
    demo.create_demo_station(database, seed=4)
    demo.fill(database, 150, seed=4)
    profile = dict(orgm.get_profile(database), credit_code="12330481MB1234567X")
    accepted, agreed = last_year_counts(database, dt.date(2026, 3, 20))
    assert accepted > 0 and agreed > 0 and agreed <= accepted
    filled = with_last_year(database, profile, dt.date(2026, 3, 20))
    out = tmp_path / "j.pdf"
    render_roster(filled, [], out, today=dt.date(2026, 3, 20), table="jilin-org")
    text = flat(pdftext(out))
    assert f"{accepted}／{agreed}" in text
    assert "12330481MB1234567X" in text
    assert "示范镇" in text.split("调解组织全称")[-1].split("劳动人事争议调解中心")[0]
    # what the clerk entered wins over the count
    kept = with_last_year(database, dict(profile, cases_accepted="909", cases_agreed="612"), dt.date(2026, 3, 20))
    assert (kept["cases_accepted"], kept["cases_agreed"]) == ("909", "612")
