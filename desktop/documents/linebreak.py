"""Chinese line breaking (禁则) and justification for the document renderer.

reportlab's own CJK wrapping may start a line with 「，」 (measured.md), so paragraphs are broken here:

* the text is cut into *atoms* that may not be split: one CJK character, or a Latin word/number such as
  ``12,000.00``, ``330481199001011234`` or ``0573-8700000``;
* a closing mark (，。、；：？！）」』》〕 …) is glued to the atom before it, so no line starts with one;
* an opening mark (（「『《〔 ￥ …) is glued to the atom after it, so no line ends with one;
* 「——」 and 「……」 stay whole and never start a line;
* lines are filled greedily and, except for a paragraph's last line, justified by spreading the slack over the
  gaps between characters (CJK typesetting practice, and how Word's 28-characters-per-line grid looks).

Each character carries its own font (chosen by :mod:`fonts` from the cmap), so one atom may mix fonts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reportlab.pdfbase.pdfmetrics import stringWidth

# No line may start with these.
CLOSING = set("，。、；：？！）」』》〕】〉”’％‰…—～·,.;:?!)]}%>／/") | {"\u30fb", "\u2019", "\u201d", "\uff3d", "\uff5d"}
# No line may end with these.
OPENING = set("（「『《〔【〈“‘([{<￥$#") | {"\u2018", "\u201c", "\uff3b", "\uff5b"}
# Glue characters that must stay with both neighbours (middle dot in minority and foreign names).
JOINING = {"·", "\u30fb", "\u2027"}
# Repeated marks that are one unit.
PAIRED = {"—", "…"}

_WORD_INNER = set(".,:-_/@+#&'%")

_width_cache: dict[tuple[str, str], float] = {}


def char_width(ch: str, font: str, size: float) -> float:
    w = _width_cache.get((font, ch))
    if w is None:
        w = _width_cache[(font, ch)] = stringWidth(ch, font, 1000.0) / 1000.0
    return w * size


@dataclass
class StyledChar:
    ch: str
    font: str
    size: float
    underline: bool = False
    bold: bool = False


@dataclass
class Atom:
    chars: list[StyledChar]
    space: bool = False  # breakable whitespace, dropped at line ends
    newline: bool = False  # forced break

    def width(self, tracking: float) -> float:
        return sum(char_width(c.ch, c.font, c.size) + tracking for c in self.chars)


@dataclass
class Run:
    text: str
    font: str
    size: float
    underline: bool
    width: float  # natural width, without character spacing


@dataclass
class Line:
    runs: list[Run] = field(default_factory=list)
    natural: float = 0.0  # sum of natural widths
    nchars: int = 0
    last: bool = True  # last line of a paragraph (or before a forced break): not justified
    indent: float = 0.0
    align: str | None = None  # overrides the block's alignment (a date line at the right of a table cell)

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


def _units(chars: list[StyledChar]) -> list[list[StyledChar]]:
    """Words (Latin letters and digits with inner punctuation) and single characters. A hyphen or a slash ends a
    unit, so that a phone number too wide for its cell breaks as 「0573-⏎87000000」, never inside a digit group."""
    out: list[list[StyledChar]] = []
    i, n = 0, len(chars)
    while i < n:
        j = i + 1
        if _is_word_char(chars[i].ch):
            while j < n and (_is_word_char(chars[j].ch) or (chars[j].ch in _WORD_INNER and j + 1 < n
                                                             and _is_word_char(chars[j + 1].ch))):
                j += 1
                if chars[j - 1].ch in "-/":
                    break
        out.append(chars[i:j])
        i = j
    return out


def _no_start(ch: str) -> bool:
    return ch in CLOSING or ch in JOINING or ch in PAIRED


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def make_atoms(chars: list[StyledChar]) -> list[Atom]:
    """Cut styled characters into unbreakable atoms and apply the gluing rules."""
    basic: list[Atom] = []
    i, n = 0, len(chars)
    while i < n:
        c = chars[i]
        ch = c.ch
        if ch == "\n":
            basic.append(Atom([], newline=True))
            i += 1
            continue
        if ch in (" ", "\t"):
            j = i
            while j < n and chars[j].ch in (" ", "\t"):
                j += 1
            basic.append(Atom([StyledChar(" ", c.font, c.size, c.underline)], space=True))
            i = j
            continue
        if _is_word_char(ch):
            j = i + 1
            while j < n:
                cj = chars[j].ch
                if _is_word_char(cj):
                    j += 1
                elif cj in _WORD_INNER and j + 1 < n and _is_word_char(chars[j + 1].ch):
                    j += 2
                else:
                    break
            basic.append(Atom(chars[i:j]))
            i = j
            continue
        if ch == "\u3000":
            # a blank to fill in by hand is one unit: 「（邮件号：＿＿）」 never splits inside the blank
            j = i + 1
            while j < n and chars[j].ch == "\u3000" and chars[j].underline == c.underline:
                j += 1
            basic.append(Atom(chars[i:j]))
            i = j
            continue
        if ch in PAIRED:
            j = i + 1
            while j < n and chars[j].ch == ch:
                j += 1
            basic.append(Atom(chars[i:j]))
            i = j
            continue
        basic.append(Atom([c]))
        i += 1

    # Glue: closing marks and paired dashes/ellipses to the previous atom, opening marks to the next,
    # joining marks to both.
    out: list[Atom] = []
    glue_next = False
    for a in basic:
        if a.newline or a.space:
            out.append(a)
            glue_next = False
            continue
        first = a.chars[0].ch
        short_blank = first == "\u3000" and len(a.chars) <= 8
        if out and not out[-1].newline and not out[-1].space and (
            glue_next or first in CLOSING or first in JOINING or first in PAIRED
            or (short_blank and out[-1].chars[-1].ch in "：:")  # 「邮件号：＿＿」 stays on one line
        ):
            out[-1].chars.extend(a.chars)
        else:
            out.append(Atom(list(a.chars)))
        last = a.chars[-1].ch
        glue_next = last in OPENING or last in JOINING
    return out


def _runs(chars: list[StyledChar]) -> tuple[list[Run], float]:
    runs: list[Run] = []
    total = 0.0
    for c in chars:
        w = char_width(c.ch, c.font, c.size)
        total += w
        if runs and runs[-1].font == c.font and runs[-1].size == c.size and runs[-1].underline == c.underline:
            r = runs[-1]
            r.text += c.ch
            r.width += w
        else:
            runs.append(Run(c.ch, c.font, c.size, c.underline, w))
    return runs, total


def break_lines(
    chars: list[StyledChar],
    width: float,
    *,
    first_indent: float = 0.0,
    rest_indent: float = 0.0,
    tracking: float = 0.0,
) -> list[Line]:
    """Break styled characters into lines of at most ``width`` points (with the given indents)."""
    atoms = make_atoms(chars)
    lines: list[Line] = []
    cur: list[StyledChar] = []
    cur_w = 0.0
    indent = first_indent

    def flush(last: bool) -> None:
        nonlocal cur, cur_w, indent
        while cur and cur[-1].ch == " ":
            cur.pop()
        runs, natural = _runs(cur)
        lines.append(Line(runs, natural, len(cur), last, indent))
        cur, cur_w = [], 0.0
        indent = rest_indent

    for a in atoms:
        if a.newline:
            flush(True)
            continue
        if a.space and not cur:
            continue
        avail = width - indent
        aw = a.width(tracking)
        if cur_w + aw - tracking <= avail + 1e-6:
            cur.extend(a.chars)
            cur_w += aw
            continue
        if a.space:
            flush(False)
            continue
        if cur:
            flush(False)
            avail = width - indent
        if aw - tracking <= avail + 1e-6:
            cur.extend(a.chars)
            cur_w += aw
            continue
        # An atom longer than a whole line: cut it between its words and characters where it overflows,
        # without starting a line with a closing mark or ending one with an opening mark.
        def overflow(w: float) -> bool:
            return bool(cur) and cur_w + w - tracking > width - indent + 1e-6

        def break_before(first: str) -> None:
            """End the current line before a unit starting with ``first``, carrying marks that may not part."""
            nonlocal cur, cur_w
            carry: list[StyledChar] = []
            while len(cur) > 1 and len(carry) < 4 and (cur[-1].ch in OPENING or _no_start((carry[0].ch if carry else first))):
                carry.insert(0, cur.pop())
            if all(k.ch in OPENING for k in cur):  # nothing left worth a line of its own
                carry = cur + carry
                cur, cur_w = [], 0.0
            else:
                flush(False)
            for k in carry:
                cur.append(k)
                cur_w += char_width(k.ch, k.font, k.size) + tracking

        for u in _units(a.chars):
            uw = sum(char_width(c.ch, c.font, c.size) + tracking for c in u)
            if overflow(uw):
                break_before(u[0].ch)
            if cur_w + uw - tracking > width - indent + 1e-6:  # still too long: cut by character
                for c in u:
                    cw = char_width(c.ch, c.font, c.size) + tracking
                    if overflow(cw):
                        break_before(c.ch)
                        if overflow(cw):
                            flush(False)
                    cur.append(c)
                    cur_w += cw
                continue
            cur.extend(u)
            cur_w += uw
    if cur or not lines:
        flush(True)
    else:
        lines[-1].last = True
    return lines


def _stretchable(a: str, b: str) -> bool:
    """Justification space may go between two characters unless both belong to one Latin word or number."""
    return not ((_is_word_char(a) or a in _WORD_INNER) and (_is_word_char(b) or b in _WORD_INNER))


def stretch_gaps(text: str) -> int:
    return sum(1 for a, b in zip(text, text[1:]) if _stretchable(a, b))


# Justification may widen a gap by at most this share of the type size (16 pt on the 28-character grid: a pitch
# of at most 6.1 mm instead of 5.56 mm); a line that would need more is set ragged (issue 14 item 6).
MAX_STRETCH = 0.1


@dataclass
class Spacing:
    tracking: float  # added after every character
    extra: float  # added after every stretchable character (justification)
    visual: float  # the line's drawn width


def spacing(line: Line, width: float, *, justify: bool, tracking: float = 0.0) -> Spacing:
    """Tracking plus, for a justified line, the slack spread over the gaps between CJK characters
    (never inside a number or a Latin word, which would letter-space ￥12,000.00)."""
    base = line.natural + tracking * max(line.nchars - 1, 0)
    if not justify or line.last or line.nchars < 2:
        return Spacing(tracking, 0.0, base)
    text = line.text
    gaps = stretch_gaps(text)
    slack = width - line.indent - base
    size = max((r.size for r in line.runs), default=12.0)
    if gaps == 0 or slack <= 0 or slack / gaps > MAX_STRETCH * size:  # broken early before a long number: ragged
        return Spacing(tracking, 0.0, base)
    return Spacing(tracking, slack / gaps, width - line.indent)
