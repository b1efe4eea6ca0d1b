"""Register the CJK fonts shipped in resources/fonts/ so Chinese renders on a machine without any."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase

FONT_DIR = Path(__file__).resolve().parents[2] / "resources" / "fonts"
# Screen text: the regular WenKai reads well at small sizes; UMing is the second choice.
# The big Hanazono files only cover rare characters: registered too, last in the fallback list.
PREFERRED = ("LXGWWenKai-Regular.ttf", "LXGWWenKai-Bold.ttf", "uming.ttc")

_registered: list[str] | None = None


def register() -> list[str]:
    """Add every shipped .ttf/.ttc as an application font; returns the family names, preferred first."""
    global _registered
    if _registered is not None:
        return _registered
    families: list[str] = []
    files = sorted(FONT_DIR.glob("*.tt[fc]")) if FONT_DIR.is_dir() else []
    files.sort(key=lambda p: (PREFERRED.index(p.name) if p.name in PREFERRED else len(PREFERRED), p.name))
    for path in files:
        fid = QFontDatabase.addApplicationFont(str(path))
        if fid < 0:
            continue
        for fam in QFontDatabase.applicationFontFamilies(fid):
            if fam not in families:
                families.append(fam)
    _registered = families
    return families


def apply(app) -> QFont:
    """Give the application font the shipped CJK families as per-glyph fallbacks.

    The system's own UI family stays first, so Latin text and a system CJK font (if any) look
    native; characters it lacks come from the shipped fonts instead of boxes.
    """
    shipped = register()
    font = QFont(app.font())
    base = font.family()
    font.setFamilies([base] + [f for f in shipped if f != base])
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
    app.setFont(font)
    return font
