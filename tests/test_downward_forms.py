"""Issue 16: a template the hub sent is the one the station prints — through the render command,
the case window's renderer and batch printing — until the station goes back to the shipped one."""

from __future__ import annotations

from pathlib import Path

from desktop import cli, org
from desktop.documents.templates import FORMS_DIR
from desktop.sync import downward

from tests.downward_support import home, made, three  # noqa: F401 - the chain fixtures
from tests.test_documents import flat, pdftext

SHIPPED, HUBS = "案件来源", "来源渠道核实"


def flat_text(path) -> str:
    return flat(pdftext(path))


def _override(tmp_path, district, du, town, tu) -> None:
    """The district sends a registration form with one label changed; the township applies it."""
    text = (FORMS_DIR / "registration.toml").read_text(encoding="utf-8")
    assert text.count(f'"{SHIPPED}"') == 1
    downward.set_hub_template(district, "registration", text.replace(f'"{SHIPPED}"', f'"{HUBS}"'), du)
    pkg = downward.build_package(district, du, tmp_path / "usb", templates=["registration"])
    downward.apply_package(town, pkg["path"], tu)


def _a_case(town) -> dict:
    cid, case_no = town.conn.execute("select id, case_no from cases where deleted = 0 order by case_no").fetchone()
    return {"id": cid, "case_no": case_no}


def test_render_command_prints_the_hubs_template_then_the_shipped_one(tmp_path, three, capsys):
    (_city, _cu), (district, du), (town, tu) = three
    case = _a_case(town)
    path = str(tmp_path / "township.sqlite")

    def render(out: Path) -> str:
        code = cli.main(["render", "registration", "--db", path, "--case", case["case_no"], "--out", str(out)])
        err = capsys.readouterr().err
        assert code == 0, err
        return flat_text(out)

    before = render(tmp_path / "before.pdf")
    assert SHIPPED in before and HUBS not in before
    _override(tmp_path, district, du, town, tu)
    with_hub = render(tmp_path / "hub.pdf")
    assert HUBS in with_hub and SHIPPED not in with_hub
    assert case["case_no"] in with_hub  # the rest of the form is filled as before
    downward.revert_template(town, "registration", tu)
    back = render(tmp_path / "back.pdf")
    assert SHIPPED in back and HUBS not in back
    # only the registration form was overridden: the others come from forms/ all along
    assert downward.active_forms_dir(town) is None


def test_the_case_window_and_batch_printing_follow(tmp_path, three):
    from desktop.ui import batch_print, ops
    from desktop.ui.pdf_preview import render_bytes

    (_city, _cu), (district, du), (town, tu) = three
    from desktop import cases

    case = cases.get_case(town, _a_case(town)["id"])
    profile = org.get_profile(town)
    _override(tmp_path, district, du, town, tu)
    forms = downward.active_forms_dir(town)
    assert forms is not None and forms != FORMS_DIR
    assert HUBS in (forms / "registration.toml").read_text(encoding="utf-8")
    assert (forms / "agreement.toml").read_bytes() == (FORMS_DIR / "agreement.toml").read_bytes()
    # the same overrides give the same folder (the template cache is keyed by path)
    assert downward.active_forms_dir(town) == forms

    pdf = tmp_path / "window.pdf"
    pdf.write_bytes(render_bytes("registration", case, profile, db=town))  # what the case window renders
    assert HUBS in flat_text(pdf)
    task = ops.Task(None, None, None, "批量打印", 1)
    got = batch_print.render_batch(town, task, [case["id"]], "registration", tmp_path / "batch")
    assert len(got["files"]) == 1 and not got["skipped"]
    assert HUBS in flat_text(got["files"][0])

    # a folder edited by hand is written again before it is used
    (forms / "registration.toml").write_bytes(b"# edited\n")
    assert downward.active_forms_dir(town) == forms
    assert HUBS in (forms / "registration.toml").read_text(encoding="utf-8")

    downward.revert_template(town, "registration", tu)
    pdf.write_bytes(render_bytes("registration", case, profile, db=town))
    assert SHIPPED in flat_text(pdf) and HUBS not in flat_text(pdf)
    got = batch_print.render_batch(town, task, [case["id"]], "registration", tmp_path / "batch2")
    assert SHIPPED in flat_text(got["files"][0])
