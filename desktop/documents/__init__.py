"""The standard mediation documents as PDF (issue 4), from the declarative templates in ``forms/``.

Qt-free. Entry points:

* :func:`render_document` — one document of a case (contract.md names: ``agreement``, ``failure-notice``, …);
* :func:`render_dossier` — every document of the case in archive order, with the cover and the index;
* :func:`render_roster` — the public roster, or a Jilin table (``jilin-org``, ``jilin-mediators``);
* :func:`write_roster_xlsx` — the Jilin tables as xlsx;
* :func:`load_all` — load and validate every template (raises :class:`TemplateError`);
* :func:`allowed` — whether the case's state allows a document, with the reason in Chinese when not.
"""

from desktop.documents.errors import DocumentError, DocumentRefused, TemplateError
from desktop.documents.render import (
    RenderResult, check_review_allowed, dossier_documents, render_document, render_dossier, render_roster,
)
from desktop.documents.states import STATES, allowed, allowed_kinds, case_state, state_label
from desktop.documents.templates import DOCUMENT_NAMES, EXTRA_DOCUMENTS, get_common, get_template, load_all, load_template
from desktop.documents.xlsx import write_roster_xlsx

__all__ = [
    "DOCUMENT_NAMES", "EXTRA_DOCUMENTS", "STATES", "allowed", "allowed_kinds", "case_state", "state_label", "DocumentError", "DocumentRefused", "RenderResult", "TemplateError",
    "check_review_allowed", "dossier_documents", "get_common", "get_template", "load_all", "load_template",
    "render_document", "render_dossier", "render_roster", "write_roster_xlsx",
]
