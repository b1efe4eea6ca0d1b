"""Writing the period report: json (contract.md), csv, xlsx laid out like the paper table, and a printable PDF.

Amounts: json and csv carry the exact decimal text ("812345.00"); the xlsx holds them as numbers written from
that text (Decimal, so the cell's XML holds the same digits) with the 0.00 format; money is never a float here.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

from desktop.codes import DISPUTE_TYPES, OUTCOMES
from desktop.security.cells import csv_row, csv_value, inert_workbook
from desktop.stats import formula as fm
from desktop.stats.layout import (
    BLOCKS, CLOSED_SUM_NOTE, FIRST_TYPE_NOTE, MA1_KINDS, SIGNATURE_LINE, TITLE, display, flat_rows, formula_line, get,
    ma1_kind, type_rows,
)

CSV_HEADER = ["key", "板块", "项目", "数值"]


def to_json(report: dict) -> bytes:
    return (json.dumps(report, ensure_ascii=False, indent=1, allow_nan=False) + "\n").encode("utf-8")


# --- csv ---------------------------------------------------------------------------------------------------

def write_csv(report: dict, path) -> None:
    """Long format, one figure a row, UTF-8 with BOM so WPS and Excel read the Chinese correctly."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    # csv_row: a cell such as an organisation named "=HYPERLINK(...)" is written as inert text
    w.writerow(csv_row(["title", "", TITLE, f"{report['org']} {report['period']}"]))
    w.writerow(csv_row(["formula", "", "调解成功率口径", report["formula"]]))
    w.writerow(CSV_HEADER)
    for key, block, label, value in flat_rows(report):
        w.writerow(csv_row([key, block, label, "" if value is None else value]))
    w.writerow(csv_row(["note", "", "说明", formula_line(report)]))
    Path(path).write_bytes(buf.getvalue().encode("utf-8-sig"))


def read_csv(path) -> dict:
    """The figures of a csv written by write_csv, nested back by key (numbers as int/float, money as text)."""
    text = Path(path).read_bytes().decode("utf-8-sig")
    out: dict = {}
    rows = list(csv.reader(io.StringIO(text)))
    start = rows.index(CSV_HEADER) + 1
    for key, _block, _label, value in rows[start:]:
        value = csv_value(value)
        if key in ("note", "title", "formula"):
            continue
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = _parse_cell(key, value)
    return out


def _parse_cell(key: str, value: str):
    if value == "":
        return None
    if key.startswith("amount_") or key == "target_success_rate":
        return value
    if "." in value:
        return float(value)
    return int(value)


# --- xlsx --------------------------------------------------------------------------------------------------

def write_xlsx(report: dict, path, *, screening: dict | None = None, monthly: list[dict] | None = None) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    bold = Font(name="宋体", bold=True, size=11)
    normal = Font(name="宋体", size=11)
    wrap = Alignment(wrap_text=True, vertical="center")
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)

    wb = Workbook()
    ws = wb.active
    ws.title = "统计报表"

    def title(sheet, text: str, width: int, sub: str) -> int:
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        c = sheet.cell(1, 1, text)
        c.font = Font(name="黑体", bold=True, size=16)
        c.alignment = center
        sheet.row_dimensions[1].height = 30
        sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
        c = sheet.cell(2, 1, sub)
        c.font = Font(name="宋体", size=10)
        c.alignment = center
        sheet.row_dimensions[2].height = 30
        return 3

    def note(sheet, row: int, width: int, text: str) -> int:
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        c = sheet.cell(row, 1, text)
        c.font = Font(name="宋体", size=9)
        c.alignment = wrap
        sheet.row_dimensions[row].height = 13 * -(-len(text) // 50) + 4  # room for the wrapped lines
        return row + 2

    def header(sheet, row: int, cols: list[str]) -> int:
        for i, h in enumerate(cols, start=1):
            c = sheet.cell(row, i, h)
            c.font, c.fill, c.border, c.alignment = bold, head_fill, box, center
        return row + 1

    def put(sheet, row: int, col: int, value, kind: str = "n"):
        if kind == "m":
            value = Decimal(value)  # exact digits into the cell XML
        elif kind == "r":
            value = None if value is None else Decimal(repr(value))
        c = sheet.cell(row, col, value if value is not None else "—")
        c.border, c.font = box, normal
        if kind == "m":
            c.number_format = "#,##0.00"
        elif kind == "r" and value is not None:
            c.number_format = "0.00%"
        elif kind == "t":
            c.alignment = wrap
        else:
            c.number_format = "0"
        return c

    def sign(sheet, row: int, width: int) -> int:
        """负责人 / 填表人 / 报出日期 / 盖章: the line a submitted table is signed on."""
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        c = sheet.cell(row, 1, SIGNATURE_LINE)
        c.font = normal
        c.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.row_dimensions[row].height = 36
        return row + 1

    def one_page(sheet, orientation: str = "portrait") -> None:
        """Each table prints as one A4 page (fit to page switched on, as LibreOffice and Excel read it)."""
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 1
        sheet.page_setup.orientation = orientation
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.print_options.horizontalCentered = True
        sheet.page_margins.left = sheet.page_margins.right = 0.5
        sheet.page_margins.top = sheet.page_margins.bottom = 0.6

    sub = f"填报单位：{report['org']}　　统计期间：{report['period']}（{report['period_start']} 至 {report['period_end']}）"
    if report.get("demo"):
        sub += "　　【演示数据】"
    r = title(ws, TITLE, 2, sub)
    fline = formula_line(report)
    r = header(ws, r, ["项目", "数值"])
    for block, items in BLOCKS:
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
        c = ws.cell(r, 1, block)
        c.font, c.fill, c.border = bold, head_fill, box
        ws.cell(r, 2).border = box
        r += 1
        for key, label, kind in items:
            ws.cell(r, 1, label).border = box
            ws.cell(r, 1).font = normal
            value = get(report, key)
            if kind == "t":
                value = Decimal(str(value))
                c = put(ws, r, 2, value, "n")
                c.number_format = "0.00%"
            else:
                put(ws, r, 2, value, kind)
            r += 1
    checks = report.get("checks", {})
    r = note(ws, r + 1, 2, fline + CLOSED_SUM_NOTE)
    ws.merge_cells(start_row=r - 1, start_column=1, end_row=r - 1, end_column=2)
    ws.cell(r - 1, 1, f"核对：上期未结 {report['carried_over']} ＋ 当期受理 {report['accepted']} － 当期结案 "
                      f"{report['closed']} ＝ 期末未结 {report['pending_end']}；直接统计 {checks.get('pending_direct')}，"
                      f"{'相符' if checks.get('reconciled') else '不相符！'}").font = Font(name="宋体", size=9)
    sign(ws, r + 1, 2)
    for col, width in ((1, 60), (2, 18)):
        ws.column_dimensions[get_column_letter(col)].width = width
    one_page(ws)

    # by type
    wt = wb.create_sheet("按争议类型")
    r = title(wt, f"{TITLE}（按争议类型）", 4, sub)
    r = header(wt, r, ["争议类型", "受理", "结案", "调解成功"])
    for code, name in type_rows(report):
        t = report["by_type"][code]
        put(wt, r, 1, name, "t")
        for i, f in enumerate(("accepted", "closed", "agreed"), start=2):
            put(wt, r, i, t[f])
        r += 1
    r = note(wt, r + 1, 4, FIRST_TYPE_NOTE + fline)
    sign(wt, r, 4)
    for col, width in ((1, 40), (2, 12), (3, 12), (4, 12)):
        wt.column_dimensions[get_column_letter(col)].width = width
    one_page(wt)

    # by mediator
    wm = wb.create_sheet("按调解员")
    r = title(wm, f"{TITLE}（按调解员）", 4, sub)
    r = header(wm, r, ["调解员", "结案", "调解成功", "平均办结天数"])
    for name, m in report["by_mediator"].items():
        put(wm, r, 1, name, "t")
        put(wm, r, 2, m["closed"])
        put(wm, r, 3, m["agreed"])
        c = put(wm, r, 4, None if m["avg_days_to_close"] is None else Decimal(repr(m["avg_days_to_close"])))
        c.number_format = "0.0"
        r += 1
    r = note(wm, r + 1, 4, "按调解员统计：案件计入承办（首席）调解员和参与调解员，记录人不计。")
    sign(wm, r, 4)
    for col, width in ((1, 16), (2, 10), (3, 10), (4, 14)):
        wm.column_dimensions[get_column_letter(col)].width = width
    one_page(wm)

    if screening is not None:
        wsx = wb.create_sheet("争议排查")
        r = title(wsx, "争议排查预警表（重复发生争议的用人单位）", 7,
                  f"{sub}　　时段：{screening['window_start']} 至 {screening['window_end']}")
        r = header(wsx, r, ["用人单位", "行业", "争议数", "集体争议", "涉及人数", "当前未结", "预警原因"])
        for e in screening["repeat_employers"]:
            for i, v in enumerate([e["employer"], e["industry"]], start=1):
                put(wsx, r, i, v, "t")
            for i, f in enumerate(("cases", "collective", "workers", "open"), start=3):
                put(wsx, r, i, e[f])
            put(wsx, r, 7, e["reasons"], "t")
            r += 1
        r = note(wsx, r + 1, 7, screening["rule"])
        r = header(wsx, r, ["行业（当期收案）", "案件数", "用人单位数"])
        for ind, v in screening["by_industry"].items():
            put(wsx, r, 1, ind, "t")
            put(wsx, r, 2, v["cases"])
            put(wsx, r, 3, v["employers"])
            r += 1
        sign(wsx, r + 1, 7)
        for col, width in ((1, 40), (2, 18), (3, 10), (4, 10), (5, 10), (6, 10), (7, 36)):
            wsx.column_dimensions[get_column_letter(col)].width = width
        one_page(wsx, "landscape")

    if monthly:
        wmo = wb.create_sheet("月度")
        r = title(wmo, f"{TITLE}（月度）", 6, sub)
        r = header(wmo, r, ["月份", "收案", "受理", "结案", "调解成功", "调解成功率"])
        for m in monthly:
            put(wmo, r, 1, m["month"], "t")
            for i, f in enumerate(("received", "accepted", "closed", "successes"), start=2):
                put(wmo, r, i, m[f])
            put(wmo, r, 6, m["success_rate"], "r")
            r += 1
        r = note(wmo, r + 1, 6, "月度调解成功率口径同统计报表。")
        sign(wmo, r, 6)
        for col in range(1, 7):
            wmo.column_dimensions[get_column_letter(col)].width = 12
        one_page(wmo)

    if report.get("stations"):
        wst = wb.create_sheet("各站点")
        r = title(wst, f"{TITLE}（各站点）", 9, sub + "　　" + report["completeness"]["text"])
        cols = ["站点", "组织", "上期未结", "受理", "结案", "调解成功", "期末未结", "调解成功率", "涉案金额"]
        r = header(wst, r, cols)
        for sid, rep in report["stations"].items():
            put(wst, r, 1, sid, "t")
            put(wst, r, 2, rep["org"], "t")
            for i, f in enumerate(("carried_over", "accepted", "closed"), start=3):
                put(wst, r, i, rep[f])
            put(wst, r, 6, rep["closed_by_outcome"]["agreed"])
            put(wst, r, 7, rep["pending_end"])
            put(wst, r, 8, rep["success_rate"], "r")
            put(wst, r, 9, rep["amount_claimed"], "m")
            r += 1
        r = note(wst, r + 1, 9, "调解成功率口径同统计报表。")
        sign(wst, r, 9)
        for col, width in ((1, 14), (2, 34)):
            wst.column_dimensions[get_column_letter(col)].width = width
        one_page(wst, "landscape")
        by_kind_sheet(wb, report, sub, title, header, put, note, sign, one_page)
    wb.properties.title = f"{TITLE} {report['org']} {report['period']}"
    wb.properties.creator = "调解工作台 MediationDesk"
    inert_workbook(wb)  # names from stations and forms are text, never live formulas
    wb.save(path)


def ma1_table(report: dict) -> dict:
    """A hub's figures by kind of organisation (the ministry's MA1 form): for each kind, by dispute type the cases
    accepted, closed and agreed, and the closing split. Built from the stations' own reports."""
    kinds = {key: {"by_type": {}, "accepted": 0, "closed": 0, "agreed": 0, "withdrawn": 0, "failed": 0}
             for key, _label, _codes in MA1_KINDS}
    for rep in (report.get("stations") or {}).values():
        k = kinds[ma1_kind(rep.get("org_kind"))]
        for code, t in rep["by_type"].items():
            row = k["by_type"].setdefault(code, {"accepted": 0, "closed": 0, "agreed": 0})
            for f in ("accepted", "closed", "agreed"):
                row[f] += t[f]
        out = rep["closed_by_outcome"]
        k["accepted"] += rep["accepted"]
        k["closed"] += rep["closed"]
        k["agreed"] += out.get("agreed", 0)
        k["withdrawn"] += out.get("withdrawn", 0)
        k["failed"] += out.get("failed", 0) + out.get("terminated", 0) + out.get("expired", 0)
    return kinds


def by_kind_sheet(wb, report, sub, title, header, put, note, sign, one_page) -> None:
    from openpyxl.utils import get_column_letter

    kinds = ma1_table(report)
    ws = wb.create_sheet("按组织类型")
    width = 1 + 3 * len(MA1_KINDS)
    r = title(ws, f"{TITLE}（按调解组织类型）", width, sub)
    top = ["争议类型"]
    for _key, label, _codes in MA1_KINDS:
        top += [label, "", ""]
    r0 = r
    r = header(ws, r, top)
    for i in range(len(MA1_KINDS)):
        ws.merge_cells(start_row=r0, start_column=2 + 3 * i, end_row=r0, end_column=4 + 3 * i)
    r = header(ws, r, [""] + ["受理", "调解结案", "调解成功"] * len(MA1_KINDS))
    ws.merge_cells(start_row=r0, start_column=1, end_row=r0 + 1, end_column=1)
    codes = [c for c, _ in type_rows(report)]
    from desktop.codes import DISPUTE_TYPES

    for code in codes:
        put(ws, r, 1, DISPUTE_TYPES.get(code, code), "t")
        for i, (key, _label, _c) in enumerate(MA1_KINDS):
            t = kinds[key]["by_type"].get(code, {"accepted": 0, "closed": 0, "agreed": 0})
            for j, f in enumerate(("accepted", "closed", "agreed")):
                put(ws, r, 2 + 3 * i + j, t[f])
        r += 1
    put(ws, r, 1, "合计", "t")
    for i, (key, _label, _c) in enumerate(MA1_KINDS):
        for j, f in enumerate(("accepted", "closed", "agreed")):
            put(ws, r, 2 + 3 * i + j, kinds[key][f])
    r += 2
    # the closing split, one row per kind: 调解结案数 = 调解成功 + 撤回 + 调解不成
    r = header(ws, r, ["调解组织类型", "调解结案", "调解成功", "撤回", "调解不成"])
    for key, label, _c in MA1_KINDS:
        put(ws, r, 1, label, "t")
        for j, f in enumerate(("closed", "agreed", "withdrawn", "failed")):
            put(ws, r, 2 + j, kinds[key][f])
        r += 1
    r = note(ws, r + 1, width, CLOSED_SUM_NOTE + FIRST_TYPE_NOTE + "组织类型按各站点组织信息中的类型归类。")
    sign(ws, r, width)
    ws.column_dimensions["A"].width = 26
    for col in range(2, width + 1):
        ws.column_dimensions[get_column_letter(col)].width = 9
    one_page(ws, "landscape")


# --- pdf ---------------------------------------------------------------------------------------------------

def _fonts() -> tuple[str, str]:
    """(body font, title font) registered with reportlab: the documents' font module when present, else a
    system CJK TrueType font found with fc-match (CFF/OTF fonts such as Noto CJK do not work in reportlab)."""
    try:
        from desktop.documents import fonts as docfonts

        body = docfonts.register(docfonts.resolve_role("song"))
        head = docfonts.register(docfonts.resolve_role("hei"))
        return body.fontName, head.fontName
    except Exception:  # noqa: BLE001 - the module may be absent or lack a font; fall back below
        pass
    import shutil
    import subprocess

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    candidates = []
    if shutil.which("fc-match"):
        for fam in ("WenQuanYi Zen Hei", "AR PL UMing CN", "LXGW WenKai", "Droid Sans Fallback"):
            out = subprocess.run(["fc-match", "-f", "%{file}", f"{fam}:lang=zh-cn"], capture_output=True,
                                 text=True, timeout=5).stdout.strip()
            if out.lower().endswith((".ttf", ".ttc")):
                candidates.append(out)
    candidates += ["/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/truetype/arphic/uming.ttc"]
    for path in candidates:
        if Path(path).exists():
            try:
                pdfmetrics.registerFont(TTFont("MD-Stats-CJK", path, subfontIndex=0))
                return "MD-Stats-CJK", "MD-Stats-CJK"
            except Exception:  # noqa: BLE001
                continue
    from desktop.errors import Refused

    raise Refused("找不到可用的中文字体（需要 TrueType 格式），无法生成 PDF 报表")


def write_pdf(report: dict, path, *, screening: dict | None = None) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    body, head = _fonts()
    st_title = ParagraphStyle("t", fontName=head, fontSize=16, leading=22, alignment=1)
    st_sub = ParagraphStyle("s", fontName=body, fontSize=10, leading=14, alignment=1)
    st_cell = ParagraphStyle("c", fontName=body, fontSize=9, leading=12, wordWrap="CJK")
    st_note = ParagraphStyle("n", fontName=body, fontSize=8, leading=11, textColor=colors.HexColor("#333333"),
                             wordWrap="CJK")
    st_block = ParagraphStyle("b", fontName=head, fontSize=10, leading=13)
    demo = bool(report.get("demo"))
    fline = formula_line(report)

    def grid(data, widths, header_rows=1):
        t = Table(data, colWidths=widths, repeatRows=header_rows)
        t.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), body, 9),
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.HexColor("#DDEBF7")),
            ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]))
        return t

    story = [Paragraph(TITLE, st_title),
             Paragraph(f"填报单位：{report['org']}　统计期间：{report['period']}（{report['period_start']} 至 "
                       f"{report['period_end']}）", st_sub), Spacer(1, 4 * mm)]
    data = [[Paragraph("项目", st_block), Paragraph("数值", st_block)]]
    spans = []
    for block, items in BLOCKS:
        spans.append(len(data))
        data.append([Paragraph(block, st_block), ""])
        for key, label, kind in items:
            data.append([Paragraph(label, st_cell), display(get(report, key), kind)])
    t = grid(data, [130 * mm, 40 * mm])
    t.setStyle(TableStyle([*(("SPAN", (0, r), (1, r)) for r in spans),
                           *(("BACKGROUND", (0, r), (1, r), colors.HexColor("#F2F2F2")) for r in spans)]))
    story += [t, Spacer(1, 2 * mm), Paragraph(fline, st_note)]
    checks = report.get("checks", {})
    story.append(Paragraph(
        f"核对：上期未结 {report['carried_over']} ＋ 当期受理 {report['accepted']} － 当期结案 {report['closed']} ＝ "
        f"期末未结 {report['pending_end']}；直接统计 {checks.get('pending_direct')}，"
        f"{'相符' if checks.get('reconciled') else '不相符'}。", st_note))
    story += [Spacer(1, 4 * mm), Paragraph(SIGNATURE_LINE, st_cell)]

    story += [Spacer(1, 6 * mm), Paragraph("按争议类型", st_block), Spacer(1, 2 * mm)]
    data = [["争议类型", "受理", "结案", "调解成功"]]
    for code, name in type_rows(report):
        tt = report["by_type"][code]
        data.append([Paragraph(name, st_cell), tt["accepted"], tt["closed"], tt["agreed"]])
    story += [grid(data, [100 * mm, 23 * mm, 23 * mm, 24 * mm]), Spacer(1, 2 * mm), Paragraph(FIRST_TYPE_NOTE, st_note)]

    story += [Spacer(1, 6 * mm), Paragraph("按结案方式", st_block), Spacer(1, 2 * mm)]
    data = [["结案方式", "件数"]] + [[OUTCOMES[k], report["closed_by_outcome"].get(k, 0)] for k in OUTCOMES]
    data.append(["合计", report["closed"]])
    story += [grid(data, [130 * mm, 40 * mm]), Spacer(1, 2 * mm), Paragraph(CLOSED_SUM_NOTE, st_note)]

    if report["by_mediator"]:
        story += [Spacer(1, 6 * mm), Paragraph("按调解员", st_block), Spacer(1, 2 * mm)]
        data = [["调解员", "结案", "调解成功", "平均办结天数"]]
        for name, m in report["by_mediator"].items():
            avg = m["avg_days_to_close"]
            data.append([name, m["closed"], m["agreed"], "—" if avg is None else f"{avg:.1f}"])
        story += [grid(data, [50 * mm, 40 * mm, 40 * mm, 40 * mm]), Spacer(1, 2 * mm),
                  Paragraph("案件计入首席调解员和参与调解员，记录人不计。", st_note)]

    if screening is not None and screening["repeat_employers"]:
        story += [Spacer(1, 6 * mm), Paragraph("争议排查预警（重复发生争议的用人单位）", st_block), Spacer(1, 2 * mm)]
        data = [["用人单位", "行业", "争议数", "集体", "人数", "预警原因"]]
        for e in screening["repeat_employers"][:40]:
            data.append([Paragraph(e["employer"], st_cell), Paragraph(e["industry"], st_cell), e["cases"],
                         e["collective"], e["workers"], Paragraph(e["reasons"], st_cell)])
        story += [grid(data, [52 * mm, 24 * mm, 16 * mm, 12 * mm, 14 * mm, 52 * mm]), Spacer(1, 2 * mm),
                  Paragraph(screening["rule"] + f"（{screening['window_start']} 至 {screening['window_end']}；"
                            f"共 {len(screening['repeat_employers'])} 家，表中列出前 40 家）", st_note)]

    if report.get("stations"):
        story += [Spacer(1, 6 * mm), Paragraph("各站点", st_block), Spacer(1, 2 * mm)]
        data = [["站点", "组织", "受理", "结案", "期末未结", "调解成功率"]]
        for sid, rep in report["stations"].items():
            data.append([sid, Paragraph(rep["org"], st_cell), rep["accepted"], rep["closed"], rep["pending_end"],
                         fm.percent(rep["success_rate"])])
        story += [grid(data, [26 * mm, 64 * mm, 18 * mm, 18 * mm, 20 * mm, 24 * mm]), Spacer(1, 2 * mm),
                  Paragraph(report["completeness"]["text"] + "。", st_note)]

    def page(canvas, doc):
        canvas.saveState()
        canvas.setFont(body, 8)
        canvas.drawString(20 * mm, 10 * mm, f"{report['org']}　{report['period']}　第 {doc.page} 页")
        if demo:
            canvas.setFont(head, 40)
            canvas.setFillColor(colors.Color(0.8, 0.1, 0.1, alpha=0.18))
            canvas.translate(A4[0] / 2, A4[1] / 2)
            canvas.rotate(35)
            canvas.drawCentredString(0, 0, "演示数据")
        canvas.restoreState()

    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=f"{TITLE} {report['org']} {report['period']}",
                            author="调解工作台 MediationDesk")
    doc.build(story, onFirstPage=page, onLaterPages=page)


def write(report: dict, fmt: str, path, *, screening: dict | None = None, monthly: list[dict] | None = None) -> None:
    if fmt == "json":
        Path(path).write_bytes(to_json(report))
    elif fmt == "csv":
        write_csv(report, path)
    elif fmt == "xlsx":
        write_xlsx(report, path, screening=screening, monthly=monthly)
    elif fmt == "pdf":
        write_pdf(report, path, screening=screening)
    else:  # argparse choices keep this unreachable from the command line
        raise ValueError(fmt)


__all__ = ["to_json", "write_csv", "read_csv", "write_xlsx", "write_pdf", "write", "DISPUTE_TYPES"]
