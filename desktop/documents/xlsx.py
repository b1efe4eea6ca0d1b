"""The Jilin roster tables as xlsx, from the same templates as the PDFs (the ``list`` block's columns)."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from desktop.documents.errors import DocumentError
from desktop.files import atomic_path
from desktop.security.cells import inert_workbook
from desktop.documents.fields import build_context
from desktop.documents.templates import EXTRA_DOCUMENTS, get_common, get_template, plain
from desktop.clock import today as china_today


def write_roster_xlsx(table: str, org: dict, mediators: list[dict], out_path, *, today: _dt.date | None = None,
                      forms_dir: Path | None = None) -> Path:
    """Write ``jilin-org`` or ``jilin-mediators`` as an xlsx workbook with one sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    if table not in EXTRA_DOCUMENTS:
        raise DocumentError(f"未知名册「{table}」（可用：{'、'.join(EXTRA_DOCUMENTS)}）")
    common = get_common(forms_dir)
    tpl = get_template(table, forms_dir)
    ctx = build_context({}, org or {}, today=today or china_today(), common=common, mediators=mediators)
    block = next((b for b in tpl.blocks if b.type == "list"), None)
    if block is None:  # pragma: no cover - the shipped templates have one
        raise DocumentError(f"{table}.toml: 没有表格（list）块，无法导出 xlsx")
    wb = Workbook()
    ws = wb.active
    title = plain(tpl.title_tokens, [ctx], common)
    ws.title = title[:31]
    ncol = len(block.columns)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=16)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    sub = []
    for b in tpl.blocks:
        if b.type in ("para", "note") and b.text is not None:
            sub.append(plain(b.text, [ctx], common).replace("\u3000", " ").strip())
    ws.cell(row=2, column=1, value="　".join(s for s in sub if s))
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncol)
    for j, (head, _, col) in enumerate(block.columns, start=1):
        c = ws.cell(row=3, column=j, value=plain(head, [ctx], common))
        c.font = Font(bold=True)
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        c.border = border
        ws.column_dimensions[get_column_letter(j)].width = max(6, 4 * float(col.get("width", 1)) + 4)
    for i, item in enumerate(ctx.get(block.opts["each"]) or [], start=4):
        for j, (_, toks, _) in enumerate(block.columns, start=1):
            text = plain(toks, [ctx, item], common).replace("\u3000", "").strip()
            c = ws.cell(row=i, column=j, value=text)
            c.alignment = Alignment(vertical="center", wrap_text=True)
            c.border = border
    ws.freeze_panes = "A4"
    inert_workbook(wb)  # a mediator named "=HYPERLINK(...)" stays text
    out_path = Path(out_path)
    with atomic_path(out_path) as tmp:
        wb.save(tmp)
    return out_path
