"""A small page-layout engine on the reportlab canvas.

Layout is separate from drawing: blocks are turned into flowables, flowables are paginated into pages of
drawing operations, and only then is anything drawn. So the page count of every document is known before
its first page is drawn (「第N页 共M页」, the dossier index) and a dossier of many documents is one canvas
with one font subset per font.
"""

from __future__ import annotations

import re

from dataclasses import dataclass, field
from typing import Callable

from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics

from desktop.documents.fonts import FontSet
from desktop.documents.linebreak import Line, Spacing, StyledChar, _stretchable, break_lines, char_width, spacing

PAGE_W, PAGE_H = 595.2756, 841.8898  # A4
BLOCK_LEFT = 28 * mm
BLOCK_TOP = 37 * mm
BLOCK_W = 156 * mm
BLOCK_H = 225 * mm
BLOCK_BOTTOM_Y = PAGE_H - BLOCK_TOP - BLOCK_H  # 35 mm from the bottom edge
BLOCK_TOP_Y = PAGE_H - BLOCK_TOP


@dataclass
class Span:
    """A piece of styled text. ``blank`` > 0 with empty text is a line to fill in by hand (N characters wide)."""

    text: str
    role: str = "fangsong"
    size: float = 16.0
    bold: bool = False
    underline: bool = False
    blank: int = 0


def style_chars(spans: list[Span], fonts: FontSet) -> list[StyledChar]:
    out: list[StyledChar] = []
    for sp in spans:
        role = "title" if sp.bold and sp.role in ("fangsong", "song", "kai") else sp.role
        if sp.blank and not sp.text:
            f = fonts.font_for(role, "\u3000")
            out.extend(StyledChar("\u3000", f, sp.size, True) for _ in range(sp.blank))
            continue
        for ch in sp.text:
            if ch == "\n":
                out.append(StyledChar("\n", "", sp.size))
                continue
            if ch == "\r":
                continue
            out.append(StyledChar(ch, fonts.font_for(role, ch), sp.size, sp.underline, sp.bold))
    return out


# ---------------------------------------------------------------- drawing operations

@dataclass
class Page:
    ops: list[Callable] = field(default_factory=list)
    doc: object = None  # the document this page belongs to (set by the renderer)
    number: int = 0  # 1-based within its document
    total: int = 0


def draw_line_text(c, line: Line, x: float, baseline: float, sp: Spacing | float = 0.0) -> None:
    """Draw a line. Every piece (a run of one font subset and one spacing) starts at an absolute position.

    Positioning pieces absolutely (instead of relying on the viewer to accumulate character spacing across
    font changes) makes every reader agree on where each character is; pdfminer, for one, drops the spacing
    after the last glyph of a string. Justification space goes only between CJK characters.
    """
    if not isinstance(sp, Spacing):
        sp = Spacing(float(sp), 0.0, 0.0)
    text = line.text
    t = c.beginText(x, baseline)
    pos = x
    idx = 0  # index of the current character in the line
    underlines: list[tuple[float, float, float]] = []
    cur_tc = None
    for r in line.runs:
        t.setFont(r.font, r.size)
        font = pdfmetrics.getFont(r.font)
        k = 0
        for _subset, chunk in font.splitString(r.text, c._doc):
            piece = r.text[k:k + len(chunk)]
            k += len(chunk)
            # cut the piece where the spacing changes (inside words: tracking only)
            start = 0
            while start < len(piece):
                i0 = idx + start
                stretch = i0 + 1 < len(text) and _stretchable(text[i0], text[i0 + 1])
                end = start + 1
                while end < len(piece):
                    j = idx + end
                    s2 = j + 1 < len(text) and _stretchable(text[j], text[j + 1])
                    if s2 != stretch:
                        break
                    end += 1
                seg = piece[start:end]
                tc = sp.tracking + (sp.extra if stretch else 0.0)
                if tc != cur_tc:
                    t.setCharSpace(tc)
                    cur_tc = tc
                t.setTextOrigin(pos, baseline)
                t.textOut(seg)
                w = sum(char_width(ch, r.font, r.size) for ch in seg)
                if r.underline:
                    underlines.append((pos, pos + w + tc * (len(seg) - 1), r.size))
                pos += w + tc * len(seg)
                start = end
            idx += len(piece)
    c.drawText(t)
    if underlines:  # blanks to fill in, underlined text
        c.saveState()
        c.setLineWidth(0.6)
        merged: list[list[float]] = []
        for a, b, size in underlines:
            if merged and abs(merged[-1][1] - a) < 2 * max(sp.tracking + sp.extra, 0) + 0.5:
                merged[-1][1] = b
            else:
                merged.append([a, b, size])
        for a, b, size in merged:
            c.line(a, baseline - size * 0.15, b, baseline - size * 0.15)
        c.restoreState()


def baseline_offset(leading: float, size: float) -> float:
    """Distance from a line box's top to the baseline (text centred in the box)."""
    return (leading - size) / 2 + size * 0.86


# ---------------------------------------------------------------- flowables

class Flowable:
    height: float = 0.0
    splittable: bool = False
    keep_with_next: bool = False

    def head_height(self) -> float:
        """Height that must fit for the block to start on a page (for keep-with-next)."""
        return self.height

    def split(self, avail: float, *, tail: int = 0):
        return None, self

    def draw(self, page: Page, x: float, y_top: float) -> None:
        raise NotImplementedError


class Spacer(Flowable):
    def __init__(self, h: float):
        self.height = h

    def draw(self, page, x, y_top):
        pass


class PageBreak(Flowable):
    pass


@dataclass
class TextStyle:
    size: float = 16.0
    leading: float = 28.95
    align: str = "justify"  # justify | left | center | right
    first_indent: float = 0.0
    rest_indent: float = 0.0
    tracking: float = 0.0
    space_before: float = 0.0
    space_after: float = 0.0


class TextBlock(Flowable):
    splittable = True

    def __init__(self, lines: list[Line], style: TextStyle, width: float, *, keep_with_next=False):
        self.lines = lines
        self.style = style
        self.width = width
        self.keep_with_next = keep_with_next
        self.space_before = style.space_before
        self.space_after = style.space_after
        self._calc()

    def _calc(self):
        self.height = self.space_before + len(self.lines) * self.style.leading + self.space_after

    def head_height(self):
        return self.space_before + min(2, len(self.lines)) * self.style.leading

    def split(self, avail, *, tail=0):
        lead = self.style.leading
        n = int((avail - self.space_before + 1e-6) // lead)
        total = len(self.lines)
        n = min(n, total)
        if tail:
            n = min(n, total - tail)
        if total >= 4:  # no single orphan or widow line
            if n == 1:
                n = 0
            if total - n == 1:
                n -= 1
        if n <= 0:
            return None, self
        first = TextBlock(self.lines[:n], self.style, self.width)
        first.space_after = 0
        first._calc()
        rest = TextBlock(self.lines[n:], self.style, self.width, keep_with_next=self.keep_with_next)
        rest.space_before = 0
        rest._calc()
        return first, rest

    def draw(self, page, x, y_top):
        st = self.style
        y = y_top - self.space_before
        for line in self.lines:
            size = max((r.size for r in line.runs), default=st.size)
            base = y - baseline_offset(st.leading, size)
            justify = st.align == "justify"
            cs = spacing(line, self.width, justify=justify, tracking=st.tracking)
            visual = cs.visual
            lx = x + line.indent
            if st.align == "center":
                lx = x + (self.width - visual) / 2
            elif st.align == "right":
                lx = x + self.width - visual
            if line.runs:
                page.ops.append(lambda c, line=line, lx=lx, base=base, cs=cs: draw_line_text(c, line, lx, base, cs))
            y -= st.leading


def text_block(spans: list[Span], fonts: FontSet, width: float, style: TextStyle, **kw) -> TextBlock:
    chars = style_chars(spans, fonts)
    lines = break_lines(chars, width, first_indent=style.first_indent, rest_indent=style.rest_indent,
                        tracking=style.tracking)
    return TextBlock(lines, style, width, **kw)


@dataclass
class Cell:
    lines: list[Line]
    col: int
    span: int = 1
    align: str = "left"
    leading: float = 18.0
    width: float = 0.0


class Table(Flowable):
    """A gridded table (forms) or an invisible one (signature rows). Rows never split unless taller than a page
    or long (then they split between lines, the grid continuing on the next page)."""

    splittable = True
    PAD_X = 4.0
    PAD_Y = 3.0

    def __init__(self, col_widths: list[float], rows: list[list[Cell]], *, grid=True, header_rows=0,
                 min_row_height=0.0, keep_with_next=False, line_width=0.8, pad_y=None, valign="middle"):
        self.col_widths = col_widths
        self.rows = rows
        self.grid = grid
        self.header_rows = header_rows
        self.min_row_height = min_row_height
        self.keep_with_next = keep_with_next
        self.line_width = line_width
        self.pad_y = self.PAD_Y if pad_y is None else pad_y
        self.valign = valign
        self._calc()

    def _row_h(self, row):
        h = max((len(c.lines) * c.leading for c in row), default=0) + 2 * self.pad_y
        return max(h, self.min_row_height)

    def _calc(self):
        self.row_heights = [self._row_h(r) for r in self.rows]
        self.height = sum(self.row_heights)

    def head_height(self):
        k = min(len(self.rows), self.header_rows + 1)
        return sum(self.row_heights[:k])

    def _clone(self, rows):
        return Table(self.col_widths, rows, grid=self.grid, header_rows=self.header_rows,
                     min_row_height=self.min_row_height, keep_with_next=self.keep_with_next,
                     line_width=self.line_width, pad_y=self.pad_y, valign=self.valign)

    def split(self, avail, *, tail=0):
        used = 0.0
        n = 0
        for h in self.row_heights:
            if used + h > avail + 1e-6:
                break
            used += h
            n += 1
        header = self.rows[: self.header_rows]
        if n >= len(self.rows):
            return self, None
        if n <= self.header_rows:
            n = 0
        body = len(self.rows) - self.header_rows
        if self.header_rows and n - self.header_rows == 1 and body > 1 and self.rows[n - 1] is not None:
            n = 0  # a list never leaves its header and one row alone at the foot of a page
        # try to split the row that overflows between its lines
        row = self.rows[n] if n < len(self.rows) else None
        left = avail - used
        if row is not None and (n > self.header_rows or not self.header_rows):
            lines_fit = int((left - 2 * self.pad_y + 1e-6) // max(c.leading for c in row))
            max_lines = max(len(c.lines) for c in row)
            if lines_fit >= 2 and max_lines - lines_fit >= 2 and max_lines >= 5:
                top = [Cell(c.lines[:lines_fit], c.col, c.span, c.align, c.leading, c.width) for c in row]
                bottom = [Cell(c.lines[lines_fit:], c.col, c.span, c.align, c.leading, c.width) for c in row]
                first = self._clone(self.rows[:n] + [top])
                first.min_row_height = 0
                first._calc()
                rest = self._clone(header + [bottom] + self.rows[n + 1:])
                return first, rest
        if n == 0:
            return None, self
        return self._clone(self.rows[:n]), self._clone(header + self.rows[n:])

    def draw(self, page, x, y_top):
        xs = [x]
        for w in self.col_widths:
            xs.append(xs[-1] + w)
        y = y_top
        for row, h in zip(self.rows, self.row_heights):
            for cell in row:
                cx0 = xs[cell.col]
                cx1 = xs[min(cell.col + cell.span, len(self.col_widths))]
                if self.grid:
                    page.ops.append(lambda c, a=cx0, b=y - h, w=cx1 - cx0, hh=h: _rect(c, a, b, w, hh, self.line_width))
                inner_w = cx1 - cx0 - 2 * self.PAD_X
                text_h = len(cell.lines) * cell.leading
                if self.grid and self.valign == "middle":
                    ty = y - (h - text_h) / 2
                elif self.grid:
                    ty = y - self.pad_y - max(0.0, (self.min_row_height - 2 * self.pad_y - cell.leading) / 2)
                else:
                    ty = y - self.pad_y
                for line in cell.lines:
                    size = max((r.size for r in line.runs), default=12.0)
                    base = ty - baseline_offset(cell.leading, size)
                    align = line.align or cell.align
                    cs = spacing(line, inner_w, justify=(align == "justify"))
                    visual = cs.visual
                    lx = cx0 + self.PAD_X + line.indent
                    if align == "center":
                        lx = cx0 + self.PAD_X + (inner_w - visual) / 2
                    elif align == "right":
                        lx = cx1 - self.PAD_X - visual
                    if line.runs:
                        page.ops.append(lambda c, line=line, lx=lx, base=base, cs=cs: draw_line_text(c, line, lx, base, cs))
                    ty -= cell.leading
            y -= h


def _rect(c, x, y, w, h, lw):
    c.saveState()
    c.setLineWidth(lw)
    c.rect(x, y, w, h, stroke=1, fill=0)
    c.restoreState()


MIN_CELL_SCALE = 0.6  # a cell's text may shrink to 60 % of its size to keep a number or a label whole
SHORT_LABEL = 8  # a cell of at most this many characters is a label: it never wraps one character alone


def _cell_fits(chars: list[StyledChar], lines: list[Line], inner: float, first_indent: float) -> bool:
    """No number or word wider than the cell (it would be cut), no short label wrapped with one character alone."""
    from desktop.documents.linebreak import make_atoms

    for a in make_atoms(chars):
        if not a.space and not a.newline and a.width(0.0) > inner - first_indent + 1e-6:
            return False
    text = "".join(c.ch for c in chars)
    if "\n" not in text and len(text.strip("\u3000 ")) <= SHORT_LABEL and len(lines) > 1:
        # 「文⏎号」「调解⏎员」: a line holding one character (with its marks) reads as a stray glyph
        if any(len(re.sub(r"[\W_]", "", ln.text)) == 1 for ln in lines):
            return False
    return True


def make_cell(spans: list[Span], fonts: FontSet, width: float, col: int, span: int = 1, *, align="left",
              leading=18.0, pad_x=Table.PAD_X, first_indent=0.0) -> Cell:
    inner = max(width - 2 * pad_x, 10.0)
    chars = style_chars(spans, fonts)
    lines = break_lines(chars, inner, first_indent=first_indent)
    scale = 1.0
    # a money amount, a phone or an ID number wider than its cell is set smaller rather than cut in two
    while not _cell_fits(chars, lines, inner, first_indent) and scale - 0.05 >= MIN_CELL_SCALE - 1e-9:
        scale -= 0.05
        chars = style_chars([Span(sp.text, sp.role, round(sp.size * scale, 2), sp.bold, sp.underline, sp.blank)
                             for sp in spans], fonts)
        lines = break_lines(chars, inner, first_indent=first_indent)
    return Cell(lines, col, span, align, leading, width)


class Group(Flowable):
    """Blocks kept on one page (signatures with the seal)."""

    def __init__(self, items: list[Flowable], *, keep_with_next=False):
        self.items = items
        self.keep_with_next = keep_with_next
        self.height = sum(i.height for i in items)

    def draw(self, page, x, y_top):
        y = y_top
        for it in self.items:
            it.draw(page, x, y)
            y -= it.height


class Custom(Flowable):
    """A block drawn by a function ``draw(page, x, y_top)`` with a fixed height."""

    def __init__(self, height: float, fn: Callable, *, keep_with_next=False):
        self.height = height
        self.fn = fn
        self.keep_with_next = keep_with_next

    def draw(self, page, x, y_top):
        self.fn(page, x, y_top)


# ---------------------------------------------------------------- pagination

def paginate(flowables: list[Flowable], *, frame_h: float = BLOCK_H, x: float = BLOCK_LEFT,
             y_top: float = BLOCK_TOP_Y) -> list[Page]:
    pages = [Page()]
    remaining = frame_h
    used_any = False
    queue = list(flowables)

    def new_page():
        nonlocal remaining, used_any
        pages.append(Page())
        remaining = frame_h
        used_any = False

    def place(f: Flowable):
        nonlocal remaining, used_any
        f.draw(pages[-1], x, y_top - (frame_h - remaining))
        remaining -= f.height
        used_any = True

    guard = 0
    while queue:
        guard += 1
        if guard > 100000:  # pragma: no cover - defensive
            raise RuntimeError("pagination did not converge")
        f = queue.pop(0)
        if isinstance(f, PageBreak):
            if used_any:
                new_page()
            continue
        if not used_any and isinstance(f, Spacer):
            continue  # no vertical space at the top of a page
        nxt = next((q for q in queue if not isinstance(q, Spacer)), None)
        need = f.height
        if f.keep_with_next and nxt is not None and not isinstance(nxt, PageBreak):
            need += nxt.head_height()
        if need <= remaining + 1e-6:
            place(f)
            continue
        if f.height <= remaining + 1e-6 and f.keep_with_next:
            # f fits but what must follow it does not: move f's tail (or all of f) to the next page
            if f.splittable:
                first, rest = f.split(remaining, tail=2)
                if first is not None:
                    place(first)
                    new_page()
                    queue.insert(0, rest)
                    continue
            if used_any:
                new_page()
                queue.insert(0, f)
                continue
            place(f)
            continue
        if f.splittable:
            first, rest = f.split(remaining)
            if first is not None:
                place(first)
                if rest is not None:
                    new_page()
                    queue.insert(0, rest)
                continue
        if used_any:
            new_page()
            queue.insert(0, f)
            continue
        # taller than an empty page and not splittable
        if isinstance(f, Group):
            queue[0:0] = f.items
            continue
        place(f)
    if len(pages) > 1 and not pages[-1].ops and not used_any:
        pages.pop()
    return pages
