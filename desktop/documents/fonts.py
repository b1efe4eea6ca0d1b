"""Fonts for documents: per-role resolution, registration with reportlab, per-character fallback.

Roles (domain.md §5.1/§5.2): ``fangsong`` (body of narrative documents), ``song`` (forms and tables),
``kai``, ``hei`` (headings), ``title`` (document titles, bold). Each role resolves in this order:

1. a user-configured path (``org["fonts"][role]``, or the ``fonts=`` argument);
2. a system font: Windows ``simfang.ttf``/``simsun.ttc``/``simkai.ttf``/``simhei.ttf``, then fontconfig on
   other systems, accepted only when it is TrueType (``glyf``) and allows embedding;
3. the bundled open fonts in ``resources/fonts/``: AR PL UMing for every role but 楷 (one Song face on the page,
   issue 14 item 7), LXGW WenKai for the 楷 role.

Before text is drawn every character is checked against the chosen font's cmap and the text is cut into runs,
each drawn with the first font of the fallback chain that has the character (the role's font, then the other
bundled fonts, then the Hanazono subsets for CJK Extension A/B). A character no font has raises
:class:`DocumentError` naming it instead of printing a blank.

Setting ``MEDIATION_DESK_FONTS=bundled`` in the environment skips system fonts (tests use it so that
output does not depend on the machine).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase import ttfonts
from reportlab.pdfbase.ttfonts import TTFont

from desktop.documents.errors import DocumentError

FONT_DIR = Path(__file__).resolve().parents[2] / "resources" / "fonts"


@dataclass(frozen=True)
class FontFile:
    key: str  # reportlab font name
    path: Path
    subfont: int = 0


BUNDLED = {
    "uming": FontFile("MD-UMing", FONT_DIR / "uming.ttc", 0),
    "wenkai": FontFile("MD-WenKai", FONT_DIR / "LXGWWenKai-Regular.ttf"),
    "wenkai-bold": FontFile("MD-WenKai-Bold", FONT_DIR / "LXGWWenKai-Bold.ttf"),
    "hana-a": FontFile("MD-HanaMinA", FONT_DIR / "HanaMinA-rare.ttf"),
    "hana-b": FontFile("MD-HanaMinB", FONT_DIR / "HanaMinB-extB.ttf"),
}

ROLES = ("fangsong", "song", "kai", "hei", "title")

# Bundled font per role. GB/T 9704 sets the body in 仿宋 and titles in 小标宋; no open TrueType 仿宋 exists, so
# without the PC's own faces every role prints in one Song face (AR PL UMing), never 楷 beside 宋 on one page
# (issue 14 item 7). WenKai stays only for the 楷 role a template may ask for by name.
ROLE_BUNDLED = {
    "fangsong": "uming",
    "song": "uming",
    "kai": "wenkai",
    "hei": "uming",
    "title": "uming",
}

# Windows file names per role (proprietary: used when present, never bundled).
ROLE_WINDOWS = {
    "fangsong": ["simfang.ttf"],
    "song": ["simsun.ttc"],
    "kai": ["simkai.ttf"],
    "hei": ["simhei.ttf"],
    # 小标宋 when the PC has it (方正小标宋简体), else the PC's 宋体: a title in the body's family, not 黑体
    "title": ["FZXBSJW.TTF", "FZXBSJW.ttf", "simsun.ttc"],
}
ROLE_FONTCONFIG = {
    "fangsong": ["FangSong", "仿宋", "FangSong_GB2312", "仿宋_GB2312"],
    "song": ["SimSun", "宋体"],
    "kai": ["KaiTi", "楷体"],
    "hei": ["SimHei", "黑体"],
    "title": ["FZXiaoBiaoSong-B05S", "方正小标宋简体", "SimSun", "宋体"],
}
ROLE_LABELS = {"fangsong": "正文（仿宋）", "song": "表格（宋体）", "kai": "楷体", "hei": "小标题（黑体）", "title": "标题（小标宋）"}

# After the role's own font, characters are looked up in these bundled fonts, in order.
FALLBACK_ORDER = ("uming", "wenkai", "hana-a", "hana-b")


def _patch_tounicode() -> None:
    """reportlab writes ToUnicode entries for characters above U+FFFF as 5 hex digits, which readers take as
    garbage (𠮷 U+20BB7 came back as U+20BB). Write them as UTF-16 surrogate pairs, as the PDF spec asks."""
    if getattr(ttfonts.makeToUnicodeCMap, "_md_patched", False):
        return
    original = ttfonts.makeToUnicodeCMap
    entry = re.compile(r"^<([0-9A-F]{2})> <([0-9A-F]{5,6})>$")

    def utf16(v: int) -> str:
        v -= 0x10000
        return "%04X%04X" % (0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF))

    def make(fontname, subset):
        lines = original(fontname, subset).split("\n")
        for i, line in enumerate(lines):
            m = entry.match(line)
            if m:
                lines[i] = f"<{m.group(1)}> <{utf16(int(m.group(2), 16))}>"
        return "\n".join(lines)

    make._md_patched = True  # type: ignore[attr-defined]
    ttfonts.makeToUnicodeCMap = make


_patch_tounicode()

_lock = threading.Lock()
_registered: dict[str, TTFont] = {}


def _sfnt_ok(path: Path, subfont: int = 0) -> bool:
    """True when the file is a TrueType-outline font whose licence allows embedding."""
    try:
        from fontTools.ttLib import TTFont as FTFont  # optional: fontTools is a test/dev dependency
    except ImportError:  # pragma: no cover - without fontTools trust the extension
        return path.suffix.lower() in (".ttf", ".ttc")
    try:
        with FTFont(str(path), fontNumber=subfont if path.suffix.lower() == ".ttc" else -1, lazy=True) as f:
            if "glyf" not in f:
                return False
            fs = f["OS/2"].fsType if "OS/2" in f else 0
            return not (fs & 0x0002) or bool(fs & 0x000C)  # restricted licence unless print/edit bits are set
    except Exception:
        return False


def register(ff: FontFile) -> TTFont:
    with _lock:
        font = _registered.get(ff.key)
        if font is None:
            if not ff.path.exists():
                raise DocumentError(f"找不到字体文件：{ff.path}")
            try:
                font = TTFont(ff.key, str(ff.path), subfontIndex=ff.subfont)
            except Exception as exc:  # noqa: BLE001 - reportlab raises many kinds
                raise DocumentError(f"无法读取字体文件 {ff.path}：{exc}") from None
            pdfmetrics.registerFont(font)
            _registered[ff.key] = font
        return font


def _windows_font(names: list[str]) -> Path | None:
    windir = os.environ.get("WINDIR") or os.environ.get("SystemRoot")
    dirs = []
    if windir:
        dirs.append(Path(windir) / "Fonts")
    if sys.platform == "win32":
        dirs.append(Path("C:/Windows/Fonts"))
        local = os.environ.get("LOCALAPPDATA")
        if local:
            dirs.append(Path(local) / "Microsoft" / "Windows" / "Fonts")
    for d in dirs:
        for n in names:
            p = d / n
            if p.exists():
                return p
    return None


def _fontconfig_font(families: list[str]) -> Path | None:
    exe = shutil.which("fc-match")
    if not exe:
        return None
    for fam in families:
        try:
            out = subprocess.run([exe, "-f", "%{family}\n%{file}", f"{fam}:lang=zh-cn"], capture_output=True,
                                 text=True, timeout=5).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        lines = out.splitlines()
        if len(lines) >= 2 and fam.lower() in [x.strip().lower() for x in lines[0].split(",")]:
            p = Path(lines[1])
            if p.suffix.lower() in (".ttf", ".ttc") and p.exists():
                return p
    return None


def resolve_role(role: str, configured: dict | None = None) -> FontFile:
    """The font file for a role, in the order configured path → system font → bundled."""
    configured = configured or {}
    path = configured.get(role)
    if path:
        p = Path(path)
        if not p.exists():
            raise DocumentError(f"设置的{role}字体文件不存在：{p}")
        if not _sfnt_ok(p):
            raise DocumentError(f"设置的字体文件不可用（需要TrueType轮廓且允许嵌入）：{p}")
        return FontFile(f"MD-user-{role}-{abs(hash(str(p))) % 10**8}", p, 0)
    if os.environ.get("MEDIATION_DESK_FONTS", "").lower() != "bundled":
        p = _windows_font(ROLE_WINDOWS[role]) or _fontconfig_font(ROLE_FONTCONFIG[role])
        if p is not None and _sfnt_ok(p):
            return FontFile(f"MD-sys-{p.stem}", p, 0)
    return BUNDLED[ROLE_BUNDLED[role]]


@dataclass
class FontSet:
    """The resolved fonts of one rendering: role → primary font, plus the fallback chain."""

    configured: dict = field(default_factory=dict)
    _role_font: dict[str, FontFile] = field(default_factory=dict)
    _chains: dict[str, list[FontFile]] = field(default_factory=dict)
    _choice: dict[tuple[str, str], str] = field(default_factory=dict)

    def primary(self, role: str) -> str:
        if role not in ROLES:
            raise DocumentError(f"未知字体角色：{role}")
        ff = self._role_font.get(role)
        if ff is None:
            ff = self._role_font[role] = resolve_role(role, self.configured)
            register(ff)
        return ff.key

    def chain(self, role: str) -> list[FontFile]:
        ch = self._chains.get(role)
        if ch is None:
            self.primary(role)
            ch = [self._role_font[role]] + [BUNDLED[k] for k in FALLBACK_ORDER if BUNDLED[k] != self._role_font[role]]
            self._chains[role] = ch
        return ch

    def font_for(self, role: str, ch: str) -> str:
        """The reportlab font name that draws ``ch`` in this role (first font of the chain whose cmap has it)."""
        key = (role, ch)
        name = self._choice.get(key)
        if name is not None:
            return name
        cp = ord(ch)
        for ff in self.chain(role):
            font = register(ff)
            if cp in font.face.charToGlyph:
                self._choice[key] = ff.key
                return ff.key
        raise DocumentError(f"无法打印字符「{ch}」(U+{cp:04X})：没有可用字体包含该字")


BUNDLED_NAMES = {"MD-UMing": "文鼎ＰＬ细上海宋（开源宋体）", "MD-WenKai": "霞鹜文楷", "MD-WenKai-Bold": "霞鹜文楷（粗）"}


def face_name(ff: FontFile) -> str:
    """The face's name for the screen: the bundled faces by their Chinese names, a PC's face by the Chinese family
    name in its name table (「仿宋」, 「宋体」), else its reportlab name."""
    if ff.key in BUNDLED_NAMES:
        return BUNDLED_NAMES[ff.key]
    try:
        font = register(ff)
        name = font.face.name
        name = name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)
    except DocumentError:
        name = ff.path.stem
    try:  # a localised family name reads better on a Chinese screen
        from fontTools.ttLib import TTFont as FTFont

        with FTFont(str(ff.path), fontNumber=ff.subfont if ff.path.suffix.lower() == ".ttc" else -1, lazy=True) as f:
            zh = f["name"].getName(1, 3, 1, 0x804)
            if zh:
                name = str(zh)
    except Exception:  # noqa: BLE001 - the reportlab name is good enough
        pass
    return name


def describe(configured: dict | None = None) -> list[tuple[str, str, str]]:
    """Which face prints each role, and where it comes from: [(role label, face name, source)]; for the
    settings page (issue 14 item 7)."""
    out = []
    configured = {k: str(v) for k, v in (configured or {}).items() if v}
    for role in ("fangsong", "title", "song", "hei"):
        try:
            ff = resolve_role(role, configured)
        except DocumentError as exc:
            out.append((ROLE_LABELS[role], "—", str(exc)))
            continue
        if ff.key.startswith("MD-user-"):
            source = "设置的字体文件"
        elif ff.key.startswith("MD-sys-"):
            source = "本机字体"
        else:
            source = "随程序提供的开源字体（本机未装仿宋、宋体时统一使用宋体字形）"
        out.append((ROLE_LABELS[role], face_name(ff), source))
    return out


_default_sets: dict[tuple, FontSet] = {}


def fontset(configured: dict | None = None) -> FontSet:
    """A cached FontSet for the given configuration (resolution and glyph choices are reused across renders)."""
    configured = {k: str(v) for k, v in (configured or {}).items() if v}
    key = (tuple(sorted(configured.items())), os.environ.get("MEDIATION_DESK_FONTS", ""))
    fs = _default_sets.get(key)
    if fs is None:
        fs = _default_sets[key] = FontSet(configured)
    return fs
