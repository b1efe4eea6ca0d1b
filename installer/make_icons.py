"""Draw the program's icon (调 on a blue rounded square, in the bundled LXGW WenKai) at the sizes the
Linux menu and Windows need: PNGs for hicolor and one multi-size .ico. Run by build.sh with the build
environment's Python; needs no screen (offscreen Qt).

    python installer/make_icons.py OUT_DIR
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
FONT = ROOT / "resources" / "fonts" / "LXGWWenKai-Bold.ttf"
PNG_SIZES = (16, 32, 48, 64, 128, 256)


def draw(size: int):
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QFontDatabase, QImage, QPainter

    families = QFontDatabase.applicationFontFamilies(QFontDatabase.addApplicationFont(str(FONT)))
    img = QImage(size, size, QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#1f5fa8"))
    m = size * 0.04
    p.drawRoundedRect(QRectF(m, m, size - 2 * m, size - 2 * m), size * 0.18, size * 0.18)
    font = QFont(families[0] if families else "sans-serif")
    font.setPixelSize(int(size * 0.66))
    p.setFont(font)
    p.setPen(QColor("white"))
    p.drawText(QRectF(0, -size * 0.02, size, size), Qt.AlignmentFlag.AlignCenter, "调")
    p.end()
    ba = QByteArray()
    buf = QBuffer(ba)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    return bytes(ba.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """A .ico holding PNG images (Vista and later read PNG entries)."""
    sizes = sorted(pngs)
    head = struct.pack("<HHH", 0, 1, len(sizes))
    offset = 6 + 16 * len(sizes)
    entries, blobs = b"", b""
    for s in sizes:
        data = pngs[s]
        entries += struct.pack("<BBBBHHII", s % 256, s % 256, 0, 0, 1, 32, len(data), offset + len(blobs))
        blobs += data
    return head + entries + blobs


def main(out: str) -> int:
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication([])  # noqa: F841 - fonts need an application
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    pngs = {s: draw(s) for s in PNG_SIZES}
    for s, data in pngs.items():
        (out_dir / f"mediation-desk-{s}.png").write_bytes(data)
    (out_dir / "mediation-desk.ico").write_bytes(ico(pngs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
