"""Rendering templates to PDF: header, blocks, pagination, page decorations, dossier and roster."""

from __future__ import annotations

import datetime as _dt
import io
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas

from desktop.documents import layout as L
from desktop.documents.errors import DocumentError, DocumentRefused
from desktop.documents.fields import build_context
from desktop.documents.fonts import FontSet, fontset
from desktop.documents.linebreak import break_lines
from desktop.documents.templates import (
    DOCUMENT_NAMES, EXTRA_DOCUMENTS, Block, Piece, Template, bind, eval_cond, get_common, get_template, lookup,
    plain,
)
from desktop.documents.values import Deadline, parse_date
from desktop.files import write_bytes_atomic
from desktop.clock import today as china_today

# ---------------------------------------------------------------- geometry and type sizes


@dataclass(frozen=True)
class Geometry:
    page_w: float
    page_h: float
    left: float
    top: float  # distance of the text block's top edge from the page's top edge
    width: float
    height: float

    @property
    def top_y(self) -> float:
        return self.page_h - self.top

    @property
    def bottom_y(self) -> float:
        return self.page_h - self.top - self.height


PORTRAIT = Geometry(L.PAGE_W, L.PAGE_H, L.BLOCK_LEFT, L.BLOCK_TOP, L.BLOCK_W, L.BLOCK_H)
LANDSCAPE = Geometry(L.PAGE_H, L.PAGE_W, 25 * mm, 25 * mm, L.PAGE_H - 50 * mm, L.PAGE_W - 50 * mm)


@dataclass(frozen=True)
class KindStyle:
    role: str
    size: float
    leading: float
    indent: bool
    tracking_chars: int | None  # characters per line on the GB/T 9704 grid, or None
    table_size: float
    table_leading: float


KIND_STYLES = {
    # GB/T 9704: 16 pt body, 28 characters × 22 lines in 156 × 225 mm.
    "narrative": KindStyle("fangsong", 16.0, 28.95, True, 28, 12.0, 18.0),
    "form": KindStyle("song", 12.0, 20.0, False, None, 12.0, 18.0),
    "record": KindStyle("fangsong", 14.0, 25.0, True, None, 12.0, 18.0),
}

TITLE_SIZE = 22.0
ORG_SIZE = 18.0
SEAL_BOX = 45 * mm


@dataclass
class RenderResult:
    path: Path
    pages: int
    bytes: int
    documents: list[dict] = field(default_factory=list)  # name, title, first_page, pages
    warnings: list[str] = field(default_factory=list)


@dataclass
class Unit:
    """One independently numbered run of pages (a document, or one repetition of it)."""

    name: str
    title: str
    kind: str
    geometry: Geometry
    pages: list[L.Page]
    numbering: str
    demo: bool
    common: dict
    note: str | None = None


# ---------------------------------------------------------------- building flowables


class Builder:
    def __init__(self, tpl: Template, ctx: dict, common: dict, fonts: FontSet, geo: Geometry):
        self.tpl = tpl
        self.ctx = ctx
        self.common = common
        self.fonts = fonts
        self.geo = geo
        self.ks = KIND_STYLES[tpl.kind]
        self.width = geo.width

    # -- helpers
    def tracking(self, size: float) -> float:
        if self.ks.tracking_chars and size == self.ks.size and self.width == PORTRAIT.width:
            return self.width / self.ks.tracking_chars - size
        return 0.0

    def spans(self, pieces: list[Piece], *, role: str | None = None, size: float | None = None,
              bold: bool = False) -> list[L.Span]:
        role = role or self.ks.role
        size = size or self.ks.size
        return [L.Span(p.text, role, size, bold or p.bold, False, p.blank) for p in pieces]

    def para_block(self, pieces: list[Piece], *, size=None, leading=None, role=None, bold=False, indent=None,
                   align="justify", space_before=0.0, space_after=0.0, keep_with_next=False, width=None) -> L.TextBlock:
        size = size or self.ks.size
        leading = leading or (self.ks.leading if size == self.ks.size else round(size * 1.6, 2))
        tracking = self.tracking(size)
        indent = self.ks.indent if indent is None else indent
        first = 2 * (size + tracking) if indent else 0.0
        st = L.TextStyle(size=size, leading=leading, align=align, first_indent=first, tracking=tracking,
                         space_before=space_before, space_after=space_after)
        return L.text_block(self.spans(pieces, role=role, size=size, bold=bold), self.fonts, width or self.width, st,
                            keep_with_next=keep_with_next)

    def bound(self, tokens, scope) -> tuple[list[Piece], bool]:
        return bind(tokens, scope, self.common)

    # -- header
    def header(self, scope) -> list[L.Flowable]:
        out: list[L.Flowable] = []
        if self.tpl.org_header and self.ctx.get("org.name"):
            out.append(self.para_block([Piece(self.ctx["org.name"])], size=ORG_SIZE, leading=30, role="title",
                                       indent=False, align="center"))
        title_pieces, _ = self.bound(self.tpl.title_tokens, scope)
        size = self.tpl.title_size or TITLE_SIZE
        out.append(self.para_block(title_pieces, size=size, leading=size * 1.6, role="title", indent=False,
                                   align="center", space_after=4))
        if self.tpl.subtitle:
            sub, _ = self.bound(self.tpl.subtitle, scope)
            out.append(self.para_block(sub, size=self.ks.size, indent=False, align="center"))
        if self.tpl.case_no_line and self.ctx.get("case_no"):
            out.append(self.para_block([Piece(self.ctx["case_no"])], indent=False, align="right",
                                       size=min(self.ks.size, 16.0), space_after=6))
        else:
            out.append(L.Spacer(8))
        return out

    # -- blocks
    def blocks(self, scope) -> list[L.Flowable]:
        out: list[L.Flowable] = []
        for b in self.tpl.blocks:
            if not eval_cond(b.when, scope):
                continue
            out.extend(getattr(self, "b_" + b.type)(b, scope))
        # the last text before the signatures or the seal stays with them (no signature page without text)
        for i in range(1, len(out)):
            if isinstance(out[i], L.Group) and isinstance(out[i - 1], (L.TextBlock, L.Group)):
                out[i - 1].keep_with_next = True  # the signatures stay with the seal too: no page of a seal alone
        return out

    def b_para(self, b: Block, scope):
        o = b.opts
        pieces, empty = self.bound(b.text, scope)
        if b.entries:  # a list joined into the paragraph: text + item + sep + item … + end
            toks, each, _ = b.entries[0]
            items = self.ctx.get(each) or []
            for k, item in enumerate(items):
                if k:
                    pieces.append(Piece(o.get("sep", "；")))
                pieces.extend(self.bound(toks, scope + [item])[0])
            if items:
                pieces.append(Piece(o.get("end", "。")))
            else:
                pieces.append(Piece("", blank=20))
            empty = empty and not items
        if empty and o.get("fill_lines"):
            return self.fill_lines(int(o["fill_lines"]), o.get("size") or self.ks.size)
        size = o.get("size")
        out = []
        paras = _split_paragraphs(pieces)
        for k, part in enumerate(paras):
            out.append(self.para_block(part, size=size, leading=o.get("leading"), role=o.get("role"),
                                       bold=o.get("bold", False), indent=o.get("indent"), align=o.get("align", "justify"),
                                       space_before=o.get("space_before", 0) if k == 0 else 0,
                                       space_after=o.get("space_after", 0) if k == len(paras) - 1 else 0,
                                       keep_with_next=o.get("keep_with_next", False)))
        return out

    def b_note(self, b: Block, scope):
        o = b.opts
        pieces, _ = self.bound(b.text, scope)
        size = o.get("size", 10.5)
        return [self.para_block(pieces, size=size, leading=size * 1.5, indent=o.get("indent", False),
                                align=o.get("align", "justify"), role="song")]

    def b_heading(self, b: Block, scope):
        o = b.opts
        pieces, _ = self.bound(b.text, scope)
        return [self.para_block(pieces, size=o.get("size"), role=o.get("role", "hei"), indent=False,
                                align=o.get("align", "left"), space_before=o.get("space_before", 0),
                                space_after=o.get("space_after", 0), keep_with_next=o.get("keep_with_next", True))]

    def numbered_prefix(self, n: int, style: str) -> str:
        from desktop.documents.values import cn_number

        fmt = self.common.get("numbering", {}).get(style)
        if style == "cn":
            num = cn_number(n)
        elif style == "paren":
            num = cn_number(n)
        else:
            num = str(n)
        if fmt:
            return fmt.replace("{n}", num)
        return {"cn": f"{num}、", "paren": f"（{num}）", "arabic": f"{num}."}[style]

    def b_numbered(self, b: Block, scope):
        o = b.opts
        style = o.get("style", "cn")
        n = int(o.get("start", 1))
        out = []
        for toks, each, cond in b.entries:
            items = self.ctx.get(each) or [] if each else [None]
            for item in items:
                sc = scope + [item] if item is not None else scope
                if not eval_cond(cond, sc):
                    continue
                pieces, _ = self.bound(toks, sc)
                pieces = [Piece(self.numbered_prefix(n, style))] + pieces
                out.append(self.para_block(pieces, size=o.get("size"), indent=o.get("indent")))
                n += 1
        return out

    def party_pieces(self, party: dict, scope, label_tokens=None) -> list[list[Piece]]:
        """Paragraphs describing one party: the party itself, its legal representative, its agents."""
        pt = self.common["_party_tokens"]
        sc = scope + [party]
        paras = []
        label = self.bound(label_tokens, sc)[0] if label_tokens else [Piece(party.get("role") or "")]
        fmt = pt["worker"] if party.get("kind") == "worker" else pt["employer"]
        body, _ = self.bound(fmt, sc)
        paras.append(label + [Piece("：")] + body)
        if party.get("kind") == "employer":
            paras.append(self.bound(pt["legal_rep"], sc)[0])
        for a in self.ctx.get("agents") or []:
            if a.get("_principal") is party:
                paras.append(self.bound(pt["agent"], scope + [a])[0])
        return paras

    def parties_for(self, sides) -> list[dict]:
        out = []
        for side in sides:
            out.extend(self.ctx.get(side) or [])
        return out

    def b_parties(self, b: Block, scope):
        o = b.opts
        sides = o.get("sides", ["applicants", "respondents"])
        out = []
        for party in self.parties_for(sides):
            for pieces in self.party_pieces(party, scope, b.text):
                out.append(self.para_block(pieces, size=o.get("size"), indent=True))
        if not out:
            out.append(self.para_block([Piece(self.common.get("party", {}).get("applicant", "申请人") + "："),
                                        Piece("", blank=20)], indent=True))
        return out

    # -- tables
    def _cell_pieces(self, toks, cell: dict, scope) -> list[Piece]:
        pieces: list[Piece] = []
        if cell.get("sides"):
            for party in self.parties_for(cell["sides"]):
                for para in self.party_pieces(party, scope):
                    if pieces:
                        pieces.append(Piece("\n"))
                    pieces.extend(para)
            if pieces:
                return pieces
        if cell.get("each"):
            for item in self.ctx.get(cell["each"]) or []:
                p, _ = self.bound(toks, scope + [item])
                if pieces:
                    pieces.append(Piece("\n"))
                pieces.extend(p)
            return pieces
        p, _ = self.bound(toks, scope)
        return p

    def _is_label(self, toks, cell: dict) -> bool:
        from desktop.documents.templates import Lit

        if cell.get("each") or cell.get("sides") or cell.get("date_line"):
            return False
        return all(isinstance(t, Lit) for t in toks) and not "".join(t.text for t in toks).rstrip().endswith("：")

    def _date_lines(self, lines, width: float, size: float):
        """Append a right-aligned 「年　月　日」 line for a handwritten date at the bottom of a cell."""
        text = self.common.get("labels", {}).get("blank_date", "　　年　　月　　日").strip("\u3000") + "\u3000"
        chars = L.style_chars([L.Span(text, "song", size)], self.fonts)
        date = break_lines(chars, width - 2 * L.Table.PAD_X)
        for ln in date:
            ln.align = "right"
        lines = [ln for ln in lines if ln.runs] or []
        return lines + [_empty_line()] + date

    def _widths(self, rel) -> list[float]:
        total = float(sum(rel))
        return [self.width * r / total for r in rel]

    def b_grid(self, b: Block, scope):
        o = b.opts
        size = o.get("size", self.ks.table_size)
        leading = o.get("leading", round(size * 1.5, 2))
        widths = self._widths(o["widths"])
        rows = []
        for row in b.rows:
            cells = []
            col = 0
            min_lines = 1
            for toks, cell, cond in row:
                span = int(cell.get("span", 1))
                w = sum(widths[col:col + span])
                if eval_cond(cond, scope):
                    pieces = self._cell_pieces(toks, cell, scope)
                else:
                    pieces = []
                label = self._is_label(toks, cell)
                align = cell.get("align") or ("center" if label else "left")
                cs = cell.get("size", size)
                spans = self.spans(_cell_blanks(pieces), role="song", size=cs, bold=cell.get("bold", False))
                first_indent = 2 * cs if cell.get("indent") else 0.0
                made = L.make_cell(spans, self.fonts, w, col, span, align=align, leading=leading,
                                   first_indent=first_indent)
                if cell.get("date_line"):
                    made.lines = self._date_lines(made.lines, w, cs)
                cells.append(made)
                min_lines = max(min_lines, int(cell.get("min_lines", 1)))
                col += span
            tbl_min = max(o.get("min_height", 0), min_lines * leading + 2 * L.Table.PAD_Y)
            rows.append((cells, tbl_min))
        # rows may have their own min heights: emulate with padding lines
        final_rows = []
        for cells, min_h in rows:
            have = max(len(c.lines) for c in cells) * leading + 2 * L.Table.PAD_Y
            if have < min_h:
                extra = int(round((min_h - have) / leading))
                for c in cells:
                    c.lines = c.lines + [_empty_line() for _ in range(extra)] if c.lines else [_empty_line() for _ in range(extra + 1)]
            final_rows.append(cells)
        return _spaced(L.Table(widths, final_rows, grid=True, min_row_height=leading + 2 * L.Table.PAD_Y + 2), o)

    def b_list(self, b: Block, scope):
        o = b.opts
        size = o.get("size", self.ks.table_size)
        leading = o.get("leading", round(size * 1.5, 2))
        rel = [c.get("width", 1) for _, _, c in b.columns]
        widths = self._widths(rel)
        header = []
        for i, (head, _, col) in enumerate(b.columns):
            pieces, _ = self.bound(head, scope)
            header.append(L.make_cell(self.spans(pieces, role="hei", size=size), self.fonts, widths[i], i,
                                      align="center", leading=leading))
        rows = [header]
        items = self.ctx.get(b.opts["each"]) or []
        for item in items:
            row = []
            for i, (_, toks, col) in enumerate(b.columns):
                pieces, _ = self.bound(toks, scope + [item])
                row.append(L.make_cell(self.spans(_cell_blanks(pieces), role="song", size=size), self.fonts, widths[i], i,
                                       align=col.get("align", "left"), leading=leading))
            rows.append(row)
        for _ in range(max(0, int(o.get("min_rows", 0)) - len(items))):
            rows.append([L.Cell([], i, 1, "left", leading, widths[i]) for i in range(len(widths))])
        min_h = o.get("min_height", leading + 2 * L.Table.PAD_Y + 2)
        # rows of a list align at the top, so that every cell's first line shares one baseline
        return _spaced(L.Table(widths, rows, grid=True, header_rows=1, min_row_height=min_h, valign="top"), o)

    # -- signatures, seal, dates
    def b_signatures(self, b: Block, scope):
        o = b.opts
        size = o.get("size", self.ks.size)
        ncol = int(o.get("columns", 2))
        gap = float(o.get("gap", 1.0))
        leading = self.ks.leading if size == self.ks.size else size * 1.8
        date_text = self.common.get("labels", {}).get("blank_date", "　　年　　月　　日")
        entries: list[list[Piece]] = []
        for toks, each, cond, with_date, filled in b.entries:
            items = (self.ctx.get(each) or []) if each else [None]
            for item in items:
                sc = scope + [item] if item is not None else scope
                if not eval_cond(cond, sc):
                    continue
                pieces, _ = self.bound(toks, sc)
                if filled:
                    fp, _ = self.bound(filled, sc)
                    pieces = pieces + fp
                if with_date:
                    pieces = pieces + [Piece("\n" + date_text)]
                entries.append(pieces)
        widths = [self.width / ncol] * ncol
        rows = []
        for i in range(0, len(entries), ncol):
            row = []
            for j, pieces in enumerate(entries[i:i + ncol]):
                row.append(L.make_cell(self.spans(pieces, size=size), self.fonts, widths[j], j, leading=leading,
                                       pad_x=0))
            rows.append(row)
        pad = gap * leading / 2
        tbl = L.Table(widths, rows, grid=False, pad_y=pad)
        items: list[L.Flowable] = []
        if o.get("space_before", 0.5):
            items.append(L.Spacer(o.get("space_before", 0.5) * leading))
        items.append(tbl)
        return [L.Group(items)]

    def date_value(self, b: Block, scope):
        name = b.opts.get("date") or self.tpl.date or "doc_date"
        v = lookup(name, scope)
        if isinstance(v, Deadline):
            v = v.date
        if isinstance(v, _dt.datetime):
            v = v.date()
        return v

    def date_text(self, v) -> str:
        from desktop import cndate

        if v is None:
            return self.common.get("labels", {}).get("blank_date", "　　年　　月　　日")
        return cndate.cn_date(v)

    def b_date_line(self, b: Block, scope):
        size = b.opts.get("size", self.ks.size)
        text = self.date_text(self.date_value(b, scope))
        right_gap = 4 * size if self.tpl.kind == "narrative" else 0
        blk = self.para_block([Piece(text)], size=size, indent=False, align="right",
                              width=self.width - right_gap, space_before=b.opts.get("space_before", 0) * self.ks.leading)
        return [L.Group([blk])]

    def b_seal(self, b: Block, scope):
        size = b.opts.get("size", self.ks.size)
        leading = self.ks.leading if size == self.ks.size else size * 1.8
        org_pieces = self.bound(b.text, scope)[0] if b.text else [Piece(self.ctx.get("org.name") or "")]
        seal_label = self.common.get("seal", {}).get("label", "")
        org_text = "".join(p.text for p in org_pieces)
        date_text = self.date_text(self.date_value(b, scope))
        fonts = self.fonts
        role = self.ks.role
        org_chars = L.style_chars([L.Span(org_text + seal_label, role, size)], fonts)
        date_chars = L.style_chars([L.Span(date_text, role, size)], fonts)
        org_lines = break_lines(org_chars, self.width * 0.7)
        date_lines = break_lines(date_chars, self.width)
        right_gap = 4 * size if self.tpl.kind == "narrative" else 2 * size
        text_lines = org_lines + date_lines
        text_h = len(text_lines) * leading
        outline = bool(self.common.get("seal", {}).get("outline", True))
        space_before = b.opts.get("space_before", 0.5) * leading
        height = space_before + max(SEAL_BOX, text_h + leading)
        width = self.width

        def draw(page, x, y_top):
            zone_w = max(max(l.natural for l in text_lines), SEAL_BOX * 0.6)
            # date right edge 4 characters from the right margin; the name centred over the date
            date_w = date_lines[0].natural if date_lines else 0
            right = x + width - right_gap
            center = right - date_w / 2 if date_w else right - zone_w / 2
            # lines are placed so that the block of name + date is vertically centred in the seal box
            top_of_text = y_top - space_before - (max(SEAL_BOX, text_h + leading) - text_h) / 2
            yy = top_of_text
            for ln in text_lines:
                base = yy - L.baseline_offset(leading, size)
                lx = center - ln.natural / 2
                if lx + ln.natural > x + width:
                    lx = x + width - ln.natural
                page.ops.append(lambda c, ln=ln, lx=lx, base=base: L.draw_line_text(c, ln, lx, base, 0.0))
                yy -= leading
            if outline:
                box_top = y_top - space_before
                bx = center - SEAL_BOX / 2
                if bx + SEAL_BOX > x + width:
                    bx = x + width - SEAL_BOX
                page.ops.append(lambda c, bx=bx, by=box_top - SEAL_BOX: _dashed_box(c, bx, by, SEAL_BOX))

        return [L.Group([L.Custom(height, draw)])]

    def b_spacer(self, b: Block, scope):
        return [L.Spacer(float(b.opts.get("lines", 1)) * self.ks.leading)]

    def b_page_break(self, b: Block, scope):
        return [L.PageBreak()]

    def fill_lines(self, n: int, size: float, label: list[Piece] | None = None):
        leading = self.ks.leading if size == self.ks.size else size * 1.8
        width = self.width
        out: list[L.Flowable] = []
        if label:
            out.append(self.para_block(label, size=size, indent=False))

        for _ in range(n):
            out.append(L.Custom(leading, lambda page, x, y_top: page.ops.append(
                lambda c, x=x, y=y_top - leading * 0.8: _hline(c, x, y, x + width))))
        return out

    def b_fill(self, b: Block, scope):
        label = self.bound(b.text, scope)[0] if b.text else None
        return self.fill_lines(int(b.opts.get("lines", 3)), b.opts.get("size", self.ks.size), label)


def _spaced(table: L.Flowable, o: dict) -> list[L.Flowable]:
    """A table block's flowables: the table, then the block's space after it (6 pt unless set)."""
    space = o.get("space_after", 6)
    return [table, L.Spacer(space)] if space else [table]


def _cell_blanks(pieces: list[Piece]) -> list[Piece]:
    """In a table cell the cell is the space to fill in: a value that is only blanks prints nothing."""
    if all(p.blank or not p.text.strip() for p in pieces):
        return []
    return pieces


def _split_paragraphs(pieces: list[Piece]) -> list[list[Piece]]:
    """A value with line breaks (a record's questions and answers) becomes one paragraph per line."""
    paras: list[list[Piece]] = [[]]
    for p in pieces:
        if p.blank or "\n" not in p.text:
            paras[-1].append(p)
            continue
        parts = p.text.split("\n")
        for j, part in enumerate(parts):
            if j:
                paras.append([])
            if part:
                paras[-1].append(Piece(part, p.bold))
    return [q for q in paras if q] or [[]]


def _empty_line():
    from desktop.documents.linebreak import Line

    return Line([], 0.0, 0, True, 0.0)


def _hline(c, x0, y, x1):
    c.saveState()
    c.setLineWidth(0.5)
    c.line(x0, y, x1, y)
    c.restoreState()


def _dashed_box(c, x, y, s):
    c.saveState()
    c.setStrokeGray(0.6)
    c.setLineWidth(0.5)
    c.setDash(3, 3)
    c.rect(x, y, s, s, stroke=1, fill=0)
    c.restoreState()


# ---------------------------------------------------------------- units, decorations, drawing


def _numbering(tpl: Template) -> str:
    if tpl.numbering:
        return tpl.numbering
    return {"narrative": "narrative", "record": "record", "form": "form"}[tpl.kind]


def build_units(tpl: Template, ctx: dict, common: dict, fonts: FontSet) -> list[Unit]:
    geo = LANDSCAPE if tpl.page == "landscape" else PORTRAIT
    if tpl.repeat:
        items = list(ctx.get(tpl.repeat) or [])
        if not items and tpl.repeat_empty:
            items = [{}]
    else:
        items = [None]
    units = []
    for item in items:
        scope = [ctx] + ([item] if item is not None else [])
        b = Builder(tpl, ctx, common, fonts, geo)
        flow = b.header(scope) + b.blocks(scope)
        pages = L.paginate(flow, frame_h=geo.height, x=geo.left, y_top=geo.top_y)
        title = plain(tpl.title_tokens, scope, common)
        unit = Unit(tpl.name, title, tpl.kind, geo, pages, _numbering(tpl), bool(ctx.get("demo")), common)
        unit.note = plain(tpl.index_note, scope, common).strip("\u3000") if tpl.index_note else None
        units.append(unit)
    return units


def _draw_centered(c, fonts: FontSet, text: str, role: str, size: float, cx: float, y: float, *, gray=0.0, align="center"):
    chars = L.style_chars([L.Span(text, role, size)], fonts)
    lines = break_lines(chars, 10000)
    ln = lines[0]
    if align == "center":
        x = cx - ln.natural / 2
    elif align == "right":
        x = cx - ln.natural
    else:
        x = cx
    c.saveState()
    if gray:
        c.setFillGray(gray)
    L.draw_line_text(c, ln, x, y, 0.0)
    c.restoreState()


def decorate(c, unit: Unit, page: L.Page, n: int, m: int, fonts: FontSet) -> None:
    geo = unit.geometry
    common = unit.common
    pn = common.get("page_numbers", {})
    if unit.demo:
        mark = common.get("marks", {}).get("demo", "演示数据")
        _draw_centered(c, fonts, mark, "hei", 12, geo.page_w / 2, geo.page_h - min(geo.top, 37 * mm) / 2 - 4, gray=0.45)
    if unit.numbering == "narrative":
        text = pn.get("narrative", "— {n} —").replace("{n}", str(n)).replace("{m}", str(m))
        y = geo.bottom_y - 7 * mm - 14 * 0.3
        # GB/T 9704: odd pages right-aligned, even pages left-aligned, one character in from the edge
        if n % 2:
            _draw_centered(c, fonts, text, "song", 14, geo.left + geo.width - 14, y, align="right")
        else:
            _draw_centered(c, fonts, text, "song", 14, geo.left + 14, y, align="left")
    elif unit.numbering == "record":
        footer = common.get("record_footer", {}).get("text")
        if footer:
            _draw_centered(c, fonts, footer, "song", 12, geo.left, geo.bottom_y - 9 * mm, align="left")
        text = pn.get("record", "第{n}页 共{m}页").replace("{n}", str(n)).replace("{m}", str(m))
        _draw_centered(c, fonts, text, "song", 10.5, geo.page_w / 2, geo.bottom_y - 17 * mm)
    elif unit.numbering == "form" and m > 1:
        text = pn.get("form", "第{n}页 共{m}页").replace("{n}", str(n)).replace("{m}", str(m))
        _draw_centered(c, fonts, text, "song", 10.5, geo.page_w / 2, geo.bottom_y - 9 * mm)


def draw_units(units: list[Unit], out_path, fonts: FontSet, *, title: str, author: str) -> int:
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    initial = fonts.primary("song")
    c = rl_canvas.Canvas(buf, pagesize=(units[0].geometry.page_w, units[0].geometry.page_h), initialFontName=initial,
                         initialFontSize=12, pageCompression=1)
    c.setTitle(title)
    c.setAuthor(author)
    c.setCreator("MediationDesk 调解工作台")
    c.setSubject(title)
    total = 0
    for unit in units:
        m = len(unit.pages)
        for i, page in enumerate(unit.pages, start=1):
            c.setPageSize((unit.geometry.page_w, unit.geometry.page_h))
            for op in page.ops:
                op(c)
            decorate(c, unit, page, i, m, fonts)
            c.showPage()
            total += 1
    c.save()
    data = buf.getvalue()
    write_bytes_atomic(out_path, data)  # a half-written PDF never replaces a good one
    return len(data)


# ---------------------------------------------------------------- public entry points


def _today(today):
    return today or china_today()  # China time (+08:00), as every stored date


def _fonts_for(org: dict, fonts: dict | None) -> FontSet:
    configured = dict((org or {}).get("fonts") or {})
    configured.update(fonts or {})
    return fontset(configured)


def check_review_allowed(case: dict, today: _dt.date) -> None:
    """Raise DocumentRefused when an arbitration-review application may not be made (AR2017 Arts. 74–75)."""
    from desktop.cases.rules import review_refusal  # AR2017 Art. 75(4)(5): every dispute type, a court's confirmation

    refusal = review_refusal(case)
    if refusal:
        raise DocumentRefused(f"{refusal}，不能制作仲裁审查申请书")
    ag = case.get("agreement") or {}
    if not ag.get("effective_at") or (case.get("outcome") or {}).get("kind") not in (None, "agreed"):
        raise DocumentRefused("本案没有已生效的调解协议，不能申请仲裁审查")
    deadline = parse_date(case.get("review_deadline"))
    if deadline is None:
        eff = parse_date(ag.get("effective_at"))
        deadline = eff + _dt.timedelta(days=15) if eff else None
    if deadline is not None and today > deadline:
        from desktop import cndate

        raise DocumentRefused(f"已超过仲裁审查申请期限：调解协议自{cndate.arabic_date(parse_date(ag['effective_at']))}生效，"
                              f"共同申请仲裁审查的期限已于{cndate.arabic_date(deadline)}届满")


def _check_state(name: str, case: dict | None, forms_dir) -> None:
    """A document exists only in the case states its template declares (forms/*.toml ``states``)."""
    from desktop.documents.states import allowed

    ok, reason = allowed(name, case, forms_dir)
    if not ok:
        raise DocumentRefused(reason)


def render_document(name: str, case: dict, org: dict, out_path, *, today: _dt.date | None = None,
                    mediators: list[dict] | None = None, fonts: dict | None = None,
                    forms_dir: Path | None = None) -> RenderResult:
    """Render one standard document of a case to ``out_path`` (PDF)."""
    if name not in DOCUMENT_NAMES + EXTRA_DOCUMENTS + ("dossier",):
        raise DocumentError(f"未知文书「{name}」（可用：{'、'.join(DOCUMENT_NAMES)}）")
    if name == "dossier":
        return render_dossier(case, org, out_path, today=today, fonts=fonts, forms_dir=forms_dir)
    _check_state(name, case, forms_dir)
    today = _today(today)
    if name == "review-application":
        check_review_allowed(case or {}, today)
    common = get_common(forms_dir)
    tpl = get_template(name, forms_dir)
    fs = _fonts_for(org, fonts)
    ctx = build_context(case or {}, org or {}, today=today, common=common, mediators=mediators)
    if name in ("dossier-cover", "dossier-index", "dossier-note"):
        return render_dossier(case, org, out_path, today=today, fonts=fonts, forms_dir=forms_dir, only=name)
    units = build_units(tpl, ctx, common, fs)
    title = units[0].title
    size = draw_units(units, out_path, fs, title=title, author=ctx.get("org.name") or "")
    pages = sum(len(u.pages) for u in units)
    return RenderResult(Path(out_path), pages, size, [{"name": name, "title": title, "first_page": 1, "pages": pages}])


def layout_lines(name: str, case: dict, org: dict, *, today: _dt.date | None = None,
                 mediators: list[dict] | None = None, fonts: dict | None = None,
                 forms_dir: Path | None = None) -> list[dict]:
    """Every line the layout engine sets for a document, with where it sits (for checks of the typesetting).

    Each entry: ``where`` ("text" or "cell"), ``lines`` (the block's or the cell's lines, in order), ``width``
    (the measure), ``justify``, ``tracking`` and ``text`` (the whole block or cell)."""
    today = _today(today)
    common = get_common(forms_dir)
    tpl = get_template(name, forms_dir)
    fs = _fonts_for(org, fonts)
    ctx = build_context(case or {}, org or {}, today=today, common=common, mediators=mediators)
    geo = LANDSCAPE if tpl.page == "landscape" else PORTRAIT
    out: list[dict] = []

    def walk(f):
        if isinstance(f, L.TextBlock):
            out.append({"where": "text", "lines": f.lines, "width": f.width, "justify": f.style.align == "justify",
                        "tracking": f.style.tracking, "text": "".join(ln.text for ln in f.lines)})
        elif isinstance(f, L.Table):
            for row in f.rows:
                for cell in row:
                    pad = f.PAD_X if f.grid else 0.0
                    out.append({"where": "cell", "lines": cell.lines, "width": cell.width - 2 * pad,
                                "justify": cell.align == "justify", "tracking": 0.0,
                                "text": "".join(ln.text for ln in cell.lines)})
        elif isinstance(f, L.Group):
            for g in f.items:
                walk(g)

    items = list(ctx.get(tpl.repeat) or [{}]) if tpl.repeat else [None]
    for item in items:
        scope = [ctx] + ([item] if item is not None else [])
        b = Builder(tpl, ctx, common, fs, geo)
        for f in b.header(scope) + b.blocks(scope):
            walk(f)
    return out


def dossier_documents(case: dict, org: dict, *, today: _dt.date | None = None,
                      forms_dir: Path | None = None) -> list[str]:
    """The documents of a case's dossier, in archive order (domain.md §2.15), cover and index first."""
    common = get_common(forms_dir)
    ctx = build_context(case or {}, org or {}, today=_today(today), common=common)
    names = []
    for name in common.get("dossier", {}).get("order", []):
        if name in ("dossier-cover", "dossier-index", "dossier-note"):
            continue
        tpl = get_template(name, forms_dir)
        if tpl.applies is not None and eval_cond(tpl.applies, [ctx]):
            names.append(name)
    return ["dossier-cover", "dossier-index"] + names


def render_dossier(case: dict, org: dict, out_path, *, today: _dt.date | None = None, fonts: dict | None = None,
                   forms_dir: Path | None = None, only: str | None = None) -> RenderResult:
    """Every document of the case in archive order, with the cover and the index, as one PDF."""
    _check_state(only or "dossier", case, forms_dir)
    today = _today(today)
    common = get_common(forms_dir)
    fs = _fonts_for(org, fonts)
    names = dossier_documents(case, org, today=today, forms_dir=forms_dir)
    ctx = build_context(case or {}, org or {}, today=today, common=common)
    body: list[tuple[str, list[Unit]]] = []
    for name in names[2:]:
        tpl = get_template(name, forms_dir)
        body.append((name, build_units(tpl, ctx, common, fs)))
    documents = []
    page = 1
    for name, units in body:
        for u in units:
            n = len(u.pages)
            documents.append({"no": len(documents) + 1, "title": u.title, "pages": n,
                              "page_range": f"{page}" if n == 1 else f"{page}–{page + n - 1}", "remarks": u.note,
                              "_name": name, "_first": page})
            page += n
    ctx["documents"] = documents
    ctx["dossier_pages"] = page - 1
    cover = build_units(get_template("dossier-cover", forms_dir), ctx, common, fs)
    index = build_units(get_template("dossier-index", forms_dir), ctx, common, fs)
    note = build_units(get_template("dossier-note", forms_dir), ctx, common, fs)
    if only == "dossier-cover":
        units = cover
    elif only == "dossier-index":
        units = index
    elif only == "dossier-note":
        units = note
    else:  # the 备考表 closes the dossier, after every document
        units = cover + index + [u for _, us in body for u in us] + note
    title = (common.get("titles", {}).get("dossier", "调解案卷") + (f"（{ctx['case_no']}）" if ctx.get("case_no") else ""))
    size = draw_units(units, out_path, fs, title=title, author=ctx.get("org.name") or "")
    lead = len(cover) and sum(len(u.pages) for u in cover + index)
    docs = [{"name": "dossier-cover", "title": cover[0].title, "first_page": 1, "pages": sum(len(u.pages) for u in cover)},
            {"name": "dossier-index", "title": index[0].title, "first_page": 1 + sum(len(u.pages) for u in cover),
             "pages": sum(len(u.pages) for u in index)}]
    if only is None:
        for d in documents:
            docs.append({"name": d["_name"], "title": d["title"], "first_page": d["_first"] + lead, "pages": d["pages"]})
    pages = sum(len(u.pages) for u in units)
    if only is None:
        n_note = sum(len(u.pages) for u in note)
        docs.append({"name": "dossier-note", "title": note[0].title, "first_page": pages - n_note + 1, "pages": n_note})
    return RenderResult(Path(out_path), pages, size, docs)


def render_roster(org: dict, mediators: list[dict], out_path, *, today: _dt.date | None = None,
                  fonts: dict | None = None, forms_dir: Path | None = None, table: str = "roster") -> RenderResult:
    """The public roster (no ID numbers, no private phones), or a Jilin table (``jilin-org``/``jilin-mediators``)."""
    if table not in ("roster",) + EXTRA_DOCUMENTS:
        raise DocumentError(f"未知名册「{table}」")
    return render_document(table, {}, org, out_path, today=today, mediators=mediators, fonts=fonts, forms_dir=forms_dir)
