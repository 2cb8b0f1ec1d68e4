"""網站目錄檢視彙整表: summary.csv, summary.ods and summary.xlsx.

SPEC.md "網站目錄檢視彙整表": a header block (機關名稱, 網站名稱, 網址,
檢視日期 in 民國 form), then one row per section in the SPEC column order,
then a 合計 row.  `summary_rows` is the single pure source of the table; the
three writers only lay it out, so the files always agree with each other and
with the table in report.html.  Counts are numeric cells in ODS/XLSX so the
office that files the form can sum or chart them.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Union

from reports.run import COUNT_COLUMN_NAMES, RESULT_IMPROVE, RESULT_OK, AuditRun, roc_date, section_stats, totals_of

TITLE = "網站目錄檢視彙整表"
COLUMNS: tuple[str, ...] = (
    "目錄名稱", "目錄路徑", "負責單位", "網頁數", *COUNT_COLUMN_NAMES, "檢視結果", "備註",
)
# Column indexes holding numbers (網頁數 and the six counts).
NUMERIC_COLUMNS = frozenset(range(3, 4 + len(COUNT_COLUMN_NAMES)))
# Widths in characters; CJK glyphs are about two Latin characters wide.
_WIDTHS = (16, 18, 14, 8, 10, 13, 11, 15, 11, 11, 10, 44)

Cell = Union[str, int]


def summary_header(run: AuditRun) -> list[tuple[str, str]]:
    return [
        ("機關名稱", run.agency),
        ("網站名稱", run.site_name),
        ("網址", run.start_url),
        ("檢視日期", roc_date(run.as_of)),
    ]


def summary_rows(run: AuditRun) -> list[list[Cell]]:
    """One list per section in COLUMNS order, then the 合計 row (pure)."""
    stats = section_stats(run)
    rows: list[list[Cell]] = []
    for s in stats:
        rows.append([s.section.name, s.section.path, s.section.unit, s.pages,
                     *(s.counts[c] for c in COUNT_COLUMN_NAMES), s.result, s.remarks])
    total = totals_of(stats)
    overall = RESULT_IMPROVE if any(s.result == RESULT_IMPROVE for s in stats) else RESULT_OK
    rows.append(["合計", "", "", total.pages, *(total.counts[c] for c in COUNT_COLUMN_NAMES),
                 overall, f"共 {len(stats)} 個目錄"])
    return rows


# ----------------------------------------------------------------- CSV
def write_csv(run: AuditRun, path: str | Path) -> Path:
    """UTF-8 with BOM: Excel on Windows opens BOM-less UTF-8 as Big5/ANSI."""
    path = Path(path)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        for label, value in summary_header(run):
            w.writerow([label, value])
        w.writerow([])
        w.writerow(COLUMNS)
        w.writerows(summary_rows(run))
    return path


# ----------------------------------------------------------------- XLSX
def write_xlsx(run: AuditRun, path: str | Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    path = Path(path)
    wb = Workbook()
    ws = wb.active
    ws.title = TITLE
    thin = Side(style="thin", color="808080")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="DDE6F0")
    total_fill = PatternFill("solid", fgColor="F2F2F2")
    wrap = Alignment(wrap_text=True, vertical="top")

    ws.append([TITLE])
    ws.cell(1, 1).font = Font(bold=True, size=16)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    for label, value in summary_header(run):
        ws.append([label, value])
        ws.cell(ws.max_row, 1).font = Font(bold=True)
        ws.merge_cells(start_row=ws.max_row, start_column=2, end_row=ws.max_row, end_column=6)
    # A blank spacer row, then the table (append() would not count an empty row).
    header_row = ws.max_row + 2
    for col, name in enumerate(COLUMNS, start=1):
        ws.cell(header_row, col, name)
    for col in range(1, len(COLUMNS) + 1):
        c = ws.cell(header_row, col)
        c.font = Font(bold=True)
        c.fill = head_fill
        c.border = box
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    rows = summary_rows(run)
    for i, row in enumerate(rows):
        r = header_row + 1 + i
        for col, value in enumerate(row, start=1):
            ws.cell(r, col, value)
        last = i == len(rows) - 1
        for col in range(1, len(COLUMNS) + 1):
            c = ws.cell(r, col)
            c.border = box
            c.alignment = wrap if col - 1 not in NUMERIC_COLUMNS else Alignment(vertical="top")
            if last:
                c.font = Font(bold=True)
                c.fill = total_fill
            if row[col - 1] == RESULT_IMPROVE:
                c.font = Font(bold=True, color="9C0006")
    for i, width in enumerate(_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    # Keep the column titles in view while scrolling a long section list.
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    wb.properties.title = TITLE
    wb.save(path)
    return path


# ----------------------------------------------------------------- ODS
def write_ods(run: AuditRun, path: str | Path) -> Path:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import ParagraphProperties, Style, TableCellProperties, TableColumnProperties, TextProperties
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import P

    path = Path(path)
    doc = OpenDocumentSpreadsheet()

    def cell_style(name: str, *, bold=False, size=None, fill=None, border=True, color=None, wrap=True) -> Style:
        st = Style(name=name, family="table-cell")
        props = {"verticalalign": "top"}
        if wrap:
            props["wrapoption"] = "wrap"
        if border:
            props["border"] = "0.5pt solid #808080"
        if fill:
            props["backgroundcolor"] = fill
        st.addElement(TableCellProperties(**props))
        tp = {}
        if bold:
            tp.update(fontweight="bold", fontweightasian="bold", fontweightcomplex="bold")
        if size:
            tp.update(fontsize=size, fontsizeasian=size, fontsizecomplex=size)
        if color:
            tp["color"] = color
        if tp:
            st.addElement(TextProperties(**tp))
        doc.automaticstyles.addElement(st)
        return st

    title_st = cell_style("title", bold=True, size="16pt", border=False, wrap=False)
    label_st = cell_style("label", bold=True, border=False, wrap=False)
    plain_st = cell_style("plain", border=False, wrap=False)
    head_st = cell_style("head", bold=True, fill="#dde6f0")
    head_st.addElement(ParagraphProperties(textalign="center"))
    body_st = cell_style("body")
    bad_st = cell_style("bad", bold=True, color="#9c0006")
    total_st = cell_style("total", bold=True, fill="#f2f2f2")

    table = Table(name=TITLE)
    for i, width in enumerate(_WIDTHS):
        cs = Style(name=f"co{i}", family="table-column")
        cs.addElement(TableColumnProperties(columnwidth=f"{width * 0.21:.2f}cm"))
        doc.automaticstyles.addElement(cs)
        table.addElement(TableColumn(stylename=cs))

    def text_cell(value: str, style: Style, span: int = 1) -> TableCell:
        kw = {"numbercolumnsspanned": span} if span > 1 else {}
        c = TableCell(valuetype="string", stylename=style, **kw)
        c.addElement(P(text=str(value)))
        return c

    def number_cell(value: int, style: Style) -> TableCell:
        c = TableCell(valuetype="float", value=value, stylename=style)
        c.addElement(P(text=str(value)))
        return c

    def row(cells: list[TableCell]) -> None:
        tr = TableRow()
        for c in cells:
            tr.addElement(c)
        table.addElement(tr)

    row([text_cell(TITLE, title_st, span=len(COLUMNS))])
    for label, value in summary_header(run):
        row([text_cell(label, label_st), text_cell(value, plain_st)])
    row([TableCell()])  # a table-row must hold at least one cell
    row([text_cell(c, head_st) for c in COLUMNS])
    rows = summary_rows(run)
    for i, values in enumerate(rows):
        last = i == len(rows) - 1
        cells = []
        for col, v in enumerate(values):
            st = total_st if last else (bad_st if v == RESULT_IMPROVE else body_st)
            cells.append(number_cell(v, st) if col in NUMERIC_COLUMNS else text_cell(v, st))
        row(cells)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return path
