"""Errors of the document renderer."""

from __future__ import annotations


class DocumentError(Exception):
    """A document cannot be produced (missing glyph, unknown document, bad data). Message in Chinese."""


class DocumentRefused(DocumentError):
    """The law or the case's state does not allow this document (e.g. a review application past its window)."""


class TemplateError(DocumentError):
    """A template in forms/ is malformed: unknown block type, unknown field, bad filter.

    The message names the template file and the offending field or key.
    """
