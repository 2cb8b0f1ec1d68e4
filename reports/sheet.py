"""Forms on paper: one laid-out table written as CSV, XLSX and ODS, safe and printable.

SPEC.md "Printing" and "網站目錄檢視彙整表"; issue 14 (papers the office
files, lists each unit receives) and issue 11 must-have 5 (spreadsheets and
CSV hold text only).  `Form` is a title, a header block, the lines an
incomplete run must show, a table and the sign-off lines; the summary
(彙整表) and the per-unit lists are both Forms, so both print the same way:

* A4 landscape, one page wide (XLSX fitToWidth; ODS scale-to-X), the
  column-title row repeated on every page, Chinese running header and footer
  「第 N 頁，共 M 頁」 (no English "Page 1"), the 承辦人／單位主管／日期 lines
  under the table.
* Row heights are set explicitly from the text each cell wraps to
  (`row_lines`): LibreOffice and Excel do not grow a row for wrapped text
  written by a library, which made long paths overlap the next row.
* Text is text.  Every string cell is a string cell (XLSX data type `s`,
  ODS `office:value-type="string"`), so `=HYPERLINK(…)` from a unit name or a
  section path `/=1+2/` is never a formula; CSV values starting with
  `=`, `+`, `-`, `@`, tab or CR get a leading apostrophe (OWASP "CSV
  injection").  Only the counts we compute are numbers.
"""
from __future__ import annotations

import csv
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

Cell = str | int | float | None

SIGNOFF = "承辦人：＿＿＿＿＿＿＿＿＿＿　　　單位主管：＿＿＿＿＿＿＿＿＿＿　　　日期：民國＿＿＿年＿＿月＿＿日"
FOOTER = "第 {page} 頁，共 {pages} 頁"
FONT_PT = 10
# The zh-TW office font of Windows; LibreOffice substitutes a CJK sans where it is missing.
FONT_NAME = "Microsoft JhengHei"
LINE_PT = 14.0  # one wrapped line of 10 pt text, CJK fonts included
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# ----------------------------------------------------------------- safety
def csv_safe(value: Cell) -> Cell:
    """OWASP: a text cell a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(path: str | Path, rows: Sequence[Sequence[Cell]]) -> Path:
    """UTF-8 with BOM (Excel on Windows reads BOM-less UTF-8 as ANSI); text cells made safe."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        for row in rows:
            w.writerow(["" if v is None else csv_safe(v) for v in row])
    tmp.replace(path)
    return path


# ----------------------------------------------------------------- layout
@lru_cache(maxsize=65536)
def text_width(text: str) -> int:
    """Width in Latin character cells: CJK and full-width characters take two."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def row_lines(values: Sequence[Cell], widths: Sequence[float]) -> int:
    """How many lines the tallest cell of a row wraps to at these column widths."""
    lines = 1
    for v, w in zip(values, widths, strict=False):
        if v is None or v == "":
            continue
        usable = max(1.0, w - 1.5)  # cell padding and the wrap's slack
        n = sum(max(1, math.ceil(text_width(part) / usable)) for part in str(v).split("\n"))
        lines = max(lines, n)
    return lines


def row_height(values: Sequence[Cell], widths: Sequence[float]) -> float:
    return round(row_lines(values, widths) * LINE_PT + 4, 1)


@dataclass
class Form:
    """A printable table: see the module docstring."""

    title: str
    header: list[tuple[str, str]]  # 機關名稱 …: label, value
    columns: tuple[str, ...]
    widths: tuple[float, ...]  # in Latin character cells
    rows: list[list[Cell]]
    numeric: frozenset[int] = frozenset()
    banner: list[str] = field(default_factory=list)  # 檢視未完成 … : shown in the header block
    total_row: bool = False  # the last row is a 合計 row
    signoff: bool = True
    sheet_name: str = ""
    table_title: str = ""  # a title row above the main table (the unit lists have two tables)
    bad_values: frozenset[str] = frozenset({"待改善"})
    # Extra tables after the main one (title, columns, rows): e.g. the unit's other findings.
    parts: Sequence[tuple[str, Sequence[str], list[list[Cell]]]] = field(default_factory=list)

    @property
    def ncols(self) -> int:
        return len(self.columns)

    @property
    def running_header(self) -> str:
        if not self.sheet_name or self.sheet_name in self.title:
            return self.title
        return f"{self.title}（{self.sheet_name}）"

    def header_pairs(self) -> list[list[tuple[str, str]]]:
        """The header block two label/value pairs to a row: half the lines on paper."""
        items = [(k, v) for k, v in self.header]
        return [items[i:i + 2] for i in range(0, len(items), 2)]


def sheet_title(name: str) -> str:
    """A worksheet name both programs accept: no []:*?/\\, no edge apostrophes, at most 31 characters."""
    text = "".join("_" if ch in "[]:*?/\\" or ch < " " else ch for ch in name).strip("' ")
    return text[:31] or "工作表"


def _half(ncols: int) -> int:
    return max(2, ncols // 2)


def _pair_columns(k: int, ncols: int, widths: Sequence[float]) -> tuple[int, int, int]:
    """1-based (label start, label end, value end) of the k-th label/value pair in a header row.

    A label gets as many columns as it needs for about 10 character cells,
    so 網站名稱 never overlaps its value in a narrow count column."""
    start = 1 if k == 0 else _half(ncols) + 1
    end = _half(ncols) if k == 0 else ncols
    lab_end = start
    while lab_end < end - 1 and sum(widths[start - 1:lab_end]) < 10:
        lab_end += 1
    return start, lab_end, end


# ----------------------------------------------------------------- XLSX
def write_xlsx(form: Form, path: str | Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    path = Path(path)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title(form.sheet_name or form.title)
    thin = Side(style="thin", color="808080")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="DDE6F0")
    total_fill = PatternFill("solid", fgColor="F2F2F2")
    banner_fill = PatternFill("solid", fgColor="FDECEA")
    base = Font(name=FONT_NAME, size=FONT_PT)
    bold = Font(name=FONT_NAME, size=FONT_PT, bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    # Table cells take named styles: assigning Font/Border objects cell by cell
    # costs a hash of each per cell (20 s for a 2,000-page site's unit lists).
    for name, font, fill, align in (
            ("sa_body", base, None, wrap),
            ("sa_num", base, None, Alignment(vertical="top", horizontal="right")),
            ("sa_bad", Font(name=FONT_NAME, size=FONT_PT, bold=True, color="9C0006"), None, wrap),
            ("sa_total", bold, total_fill, wrap),
            ("sa_total_num", bold, total_fill, Alignment(vertical="top", horizontal="right")),
            ("sa_total_bad", Font(name=FONT_NAME, size=FONT_PT, bold=True, color="9C0006"), total_fill, wrap)):
        st = NamedStyle(name=name, font=font, border=box, alignment=align)
        if fill is not None:
            st.fill = fill
        wb.add_named_style(st)
    n = form.ncols
    widths = list(form.widths)

    def put(r: int, c: int, value: Cell):
        cell = ws.cell(r, c)
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"  # text stays text: "=1+2" is not a formula
        return cell

    def span_width(c0: int, c1: int) -> float:
        return sum(widths[c0 - 1:c1])

    r = 1
    put(r, 1, form.title).font = Font(name=FONT_NAME, size=16, bold=True)
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=n)
    ws.row_dimensions[r].height = 26
    for pairs in form.header_pairs():
        r += 1
        tallest = 1
        for k, (label, value) in enumerate(pairs):
            c0, lab_end, c_end = _pair_columns(k, n, widths)
            lab = put(r, c0, label)
            lab.font = bold
            lab.alignment = Alignment(vertical="top")
            if lab_end > c0:
                ws.merge_cells(start_row=r, start_column=c0, end_row=r, end_column=lab_end)
            put(r, lab_end + 1, value).font = base
            ws.cell(r, lab_end + 1).alignment = wrap
            if c_end > lab_end + 1:
                ws.merge_cells(start_row=r, start_column=lab_end + 1, end_row=r, end_column=c_end)
            tallest = max(tallest, row_lines([value], [span_width(lab_end + 1, c_end)]))
        ws.row_dimensions[r].height = tallest * LINE_PT + 4
    for line in form.banner:
        r += 1
        c = put(r, 1, line)
        c.font = Font(name=FONT_NAME, size=FONT_PT + 1, bold=True, color="9C0006")
        c.fill = banner_fill
        c.alignment = wrap
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=n)
        ws.row_dimensions[r].height = row_lines([line], [span_width(1, n)]) * (LINE_PT + 1) + 4
    r += 1  # spacer
    ws.row_dimensions[r].height = 8

    def table(title: str | None, columns: Sequence[str], rows: list[list[Cell]], total: bool,
              start: int) -> tuple[int, int]:
        """Write a table below row `start`: (its column-title row, its last row)."""
        r = start
        if title:
            r += 1
            put(r, 1, title).font = Font(name=FONT_NAME, size=FONT_PT + 2, bold=True)
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=n)
            ws.row_dimensions[r].height = 20
        r += 1
        for col, name in enumerate(columns, start=1):
            c = put(r, col, name)
            c.font = bold
            c.fill = head_fill
            c.border = box
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.row_dimensions[r].height = row_height(list(columns), widths)
        head = r
        for i, row in enumerate(rows):
            r += 1
            last = total and i == len(rows) - 1
            prefix = "sa_total" if last else "sa"
            for col, value in enumerate(row, start=1):
                c = put(r, col, value)
                if col - 1 in form.numeric and isinstance(value, (int, float)):
                    c.style = f"{prefix}_num"
                elif isinstance(value, str) and value in form.bad_values:
                    c.style = f"{prefix}_bad"
                else:
                    c.style = "sa_total" if last else "sa_body"
            ws.row_dimensions[r].height = row_height(row, widths)
        return head, r

    header_row, r = table(form.table_title or None, form.columns, form.rows, form.total_row, r)
    for title, cols, rows in form.parts:
        r += 1
        ws.row_dimensions[r].height = 8
        _, r = table(title, cols, rows, False, r)
    if form.signoff:
        r += 2
        c = put(r, 1, SIGNOFF)
        c.font = Font(name=FONT_NAME, size=FONT_PT + 1)
        c.alignment = Alignment(vertical="bottom")
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=n)
        ws.row_dimensions[r].height = 40
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width

    ws.freeze_panes = ws.cell(header_row + 1, 1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_area = f"A1:{get_column_letter(n)}{r}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.25
    for hf in (ws.oddHeader, ws.evenHeader, ws.firstHeader):
        hf.center.text = form.running_header
        hf.center.size = 9
    for hf in (ws.oddFooter, ws.evenFooter, ws.firstFooter):
        hf.center.text = FOOTER.format(page="&P", pages="&N")
        hf.center.size = 9
    wb.properties.title = form.title
    wb.properties.language = "zh-TW"
    tmp = path.with_name(path.name + ".tmp")
    wb.save(tmp)
    tmp.replace(path)
    return path


# ----------------------------------------------------------------- ODS
def write_ods(form: Form, path: str | Path) -> Path:
    from odf.namespaces import STYLENS
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import (
        Footer,
        FooterStyle,
        Header,
        HeaderFooterProperties,
        HeaderStyle,
        MasterPage,
        PageLayout,
        PageLayoutProperties,
        ParagraphProperties,
        Style,
        TableCellProperties,
        TableColumnProperties,
        TableProperties,
        TableRowProperties,
        TextProperties,
    )
    from odf.table import CoveredTableCell, Table, TableCell, TableColumn, TableHeaderRows, TableRow
    from odf.text import P, PageCount, PageNumber

    path = Path(path)
    doc = OpenDocumentSpreadsheet()
    n = form.ncols
    widths = list(form.widths)

    # Page: A4 landscape, one page wide, Chinese running header and footer.
    layout = PageLayout(name="A4Landscape")
    plp = PageLayoutProperties(pagewidth="29.7cm", pageheight="21cm", printorientation="landscape",
                               margintop="1.2cm", marginbottom="1.2cm", marginleft="1cm", marginright="1cm",
                               printpageorder="ttb", tablecentering="horizontal")
    plp.setAttrNS(STYLENS, "scale-to-X", "1")  # ODF 1.3: fit to one page wide, any number high
    plp.setAttrNS(STYLENS, "scale-to-Y", "0")
    layout.addElement(plp)
    # Without header/footer styles LibreOffice prints neither.
    for holder in (HeaderStyle(), FooterStyle()):
        holder.addElement(HeaderFooterProperties(minheight="0.6cm", marginbottom="0.2cm", margintop="0.2cm"))
        layout.addElement(holder)
    doc.automaticstyles.addElement(layout)
    master = MasterPage(name="Default", pagelayoutname=layout)
    head = Header()
    head.addElement(P(text=form.running_header))
    master.addElement(head)
    foot = Footer()
    fp = P(text="第 ")
    fp.addElement(PageNumber(text="1"))
    fp.addText(" 頁，共 ")
    fp.addElement(PageCount(text="1"))
    fp.addText(" 頁")
    foot.addElement(fp)
    master.addElement(foot)
    doc.masterstyles.addElement(master)

    def cell_style(name: str, *, bold=False, size=None, fill=None, border=True, color=None, wrap=True,
                   align=None, valign="top") -> Style:
        st = Style(name=name, family="table-cell")
        props = {"verticalalign": valign}
        if wrap:
            props["wrapoption"] = "wrap"
        if border:
            props["border"] = "0.5pt solid #808080"
        if fill:
            props["backgroundcolor"] = fill
        st.addElement(TableCellProperties(**props))
        if align:
            st.addElement(ParagraphProperties(textalign=align))
        sz = size or f"{FONT_PT}pt"
        tp = {"fontsize": sz, "fontsizeasian": sz, "fontsizecomplex": sz}
        if bold:
            tp.update(fontweight="bold", fontweightasian="bold", fontweightcomplex="bold")
        if color:
            tp["color"] = color
        st.addElement(TextProperties(**tp))
        doc.automaticstyles.addElement(st)
        return st

    title_st = cell_style("title", bold=True, size="16pt", border=False, wrap=False)
    part_st = cell_style("part", bold=True, size=f"{FONT_PT + 2}pt", border=False, wrap=False)
    label_st = cell_style("label", bold=True, border=False, wrap=False)
    plain_st = cell_style("plain", border=False)
    banner_st = cell_style("banner", bold=True, size=f"{FONT_PT + 1}pt", border=False, fill="#fdecea",
                           color="#9c0006")
    head_st = cell_style("head", bold=True, fill="#dde6f0", align="center", valign="middle")
    body_st = cell_style("body")
    num_st = cell_style("num", align="end")
    bad_st = cell_style("bad", bold=True, color="#9c0006")
    total_st = cell_style("total", bold=True, fill="#f2f2f2")
    total_num_st = cell_style("totalnum", bold=True, fill="#f2f2f2", align="end")
    sign_st = cell_style("sign", size=f"{FONT_PT + 1}pt", border=False, wrap=False, valign="bottom")

    table_style = Style(name="ta1", family="table", masterpagename=master)
    table_style.addElement(TableProperties(display="true", writingmode="lr-tb"))
    doc.automaticstyles.addElement(table_style)
    table = Table(name=sheet_title(form.sheet_name or form.title), stylename=table_style)
    for i, width in enumerate(widths):
        cs = Style(name=f"co{i}", family="table-column")
        # An XLSX character cell is ~0.19 cm at the default font; the same scale keeps both alike.
        cs.addElement(TableColumnProperties(columnwidth=f"{width * 0.19:.2f}cm"))
        doc.automaticstyles.addElement(cs)
        table.addElement(TableColumn(stylename=cs))

    row_styles: dict[float, Style] = {}

    def row_style(height: float) -> Style:
        st = row_styles.get(height)
        if st is None:
            st = Style(name=f"ro{len(row_styles)}", family="table-row")
            st.addElement(TableRowProperties(rowheight=f"{height:.1f}pt", useoptimalrowheight="false"))
            doc.automaticstyles.addElement(st)
            row_styles[height] = st
        return st

    def text_cell(value: Cell, style: Style, span: int = 1) -> TableCell:
        kw = {"numbercolumnsspanned": span} if span > 1 else {}
        c = TableCell(valuetype="string", stylename=style, **kw)
        for line in ("" if value is None else str(value)).split("\n"):
            c.addElement(P(text=line))
        return c

    def number_cell(value: int | float, style: Style) -> TableCell:
        c = TableCell(valuetype="float", value=value, stylename=style)
        c.addElement(P(text=str(value)))
        return c

    def add_row(parent, cells: list, height: float) -> None:
        tr = TableRow(stylename=row_style(height))
        for c in cells:
            tr.addElement(c)
        parent.addElement(tr)

    def spanned(value: Cell, style: Style, span: int) -> list:
        return [text_cell(value, style, span=span), *(CoveredTableCell() for _ in range(span - 1))]

    add_row(table, spanned(form.title, title_st, n), 26)
    for pairs in form.header_pairs():
        cells: list = []
        tallest = 1
        for k, (label, value) in enumerate(pairs):
            c0, lab_end, c_end = _pair_columns(k, n, widths)
            cells.extend(spanned(label, label_st, lab_end - c0 + 1))
            cells.extend(spanned(value, plain_st, c_end - lab_end))
            tallest = max(tallest, row_lines([value], [sum(widths[lab_end:c_end])]))
        add_row(table, cells, tallest * LINE_PT + 4)
    for line in form.banner:
        add_row(table, spanned(line, banner_st, n), row_lines([line], [sum(widths)]) * (LINE_PT + 1) + 4)
    add_row(table, [TableCell()], 8)

    def body(parent, columns: Sequence[str], rows: list[list[Cell]], total: bool, header_group: bool) -> None:
        hr = TableHeaderRows() if header_group else parent
        add_row(hr, [text_cell(c, head_st) for c in columns], row_height(list(columns), widths))
        if header_group:
            parent.addElement(hr)
        for i, values in enumerate(rows):
            last = total and i == len(rows) - 1
            cells = []
            for col, v in enumerate(values):
                if col in form.numeric and isinstance(v, (int, float)) and not isinstance(v, bool):
                    cells.append(number_cell(v, total_num_st if last else num_st))
                else:
                    bad = isinstance(v, str) and v in form.bad_values
                    cells.append(text_cell(v, total_st if last else (bad_st if bad else body_st)))
            add_row(parent, cells, row_height(values, widths))

    if form.table_title:
        add_row(table, spanned(form.table_title, part_st, n), 20)
    body(table, form.columns, form.rows, form.total_row, True)
    for title, cols, rows in form.parts:
        add_row(table, [TableCell()], 8)
        add_row(table, spanned(title, part_st, n), 20)
        body(table, cols, rows, False, False)
    if form.signoff:
        add_row(table, [TableCell()], 14)
        add_row(table, spanned(SIGNOFF, sign_st, n), 40)
    doc.spreadsheet.addElement(table)
    tmp = path.with_name(path.name + ".tmp")
    doc.save(str(tmp))
    tmp.replace(path)
    return path
