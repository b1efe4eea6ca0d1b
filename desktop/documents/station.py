"""Documents as this station prints them (issue 16): the renderer's entry points with the forms
folder taken from the database — the hub's template override where one is active, the shipped
``forms/`` template otherwise. The command line, the case window and batch printing render through
here, so none of them needs to know about overrides.

Qt-free."""

from __future__ import annotations

from pathlib import Path


def forms_dir(db) -> Path | None:
    """None for the shipped forms/, else the folder with the hub's overrides in place."""
    from desktop.sync import downward

    return downward.active_forms_dir(db)


def render_document(db, name: str, case: dict, profile: dict, out_path, **kw):
    from desktop.documents.render import render_document as render

    return render(name, case, profile, out_path, forms_dir=forms_dir(db), **kw)


def render_dossier(db, case: dict, profile: dict, out_path, **kw):
    from desktop.documents.render import render_dossier as render

    return render(case, profile, out_path, forms_dir=forms_dir(db), **kw)


def write_roster_xlsx(db, table: str, profile: dict, mediators: list[dict], out_path, **kw):
    from desktop.documents.xlsx import write_roster_xlsx as write

    return write(table, profile, mediators, out_path, forms_dir=forms_dir(db), **kw)


def allowed(db, kind: str, case: dict | None) -> tuple[bool, str]:
    """documents.allowed with the states the station's own templates declare."""
    from desktop.documents.states import allowed as allowed_

    return allowed_(kind, case, forms_dir(db))


def allowed_kinds(db, case: dict | None, names) -> list[str]:
    """The documents among `names` (in order) the case's state allows, by the states the station's
    own templates declare: what the case window offers is what rendering will accept."""
    from desktop.documents.states import allowed_kinds as allowed_kinds_

    return allowed_kinds_(case, list(names), forms_dir(db)) if names else []
