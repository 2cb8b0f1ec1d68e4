"""網站目錄檢視彙整表 golden tests: summary.csv / .ods / .xlsx carry the numbers of findings.jsonl,
say so when the run is incomplete, read 未檢測 for checks that did not run, and hold text as text."""
from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "reports"))
import reports_synthetic as S  # noqa: E402

from reports import run as runmod  # noqa: E402
from reports.run import load_run, roc_date  # noqa: E402
from reports.summary import COLUMNS, summary_header, summary_rows, write_csv, write_ods, write_xlsx  # noqa: E402


# SPEC: 附件缺ODF counts attachment.no-odf, 附件問題 every other attachment.*,
# 無障礙問題 a11y.* and moda.*; site.* counts in no column.
def column_for(rule: str) -> str | None:
    if rule.startswith("link."):
        return "失效連結"
    if rule.startswith("metadata."):
        return "詮釋資料缺漏"
    if rule == "freshness.stale":
        return "逾期未更新"
    if rule.startswith("citation."):
        return "引用未註明出處"
    if rule == "attachment.no-odf":
        return "附件缺ODF"
    if rule.startswith("attachment."):
        return "附件問題"
    if rule.startswith(("a11y.", "moda.")):
        return "無障礙問題"
    return None


@pytest.fixture()
def out(tmp_path: Path) -> Path:
    return S.basic_run(tmp_path / "audit")


def counts_from_jsonl(out: Path) -> dict[str, Counter]:
    """Recount from the raw file, independently of reports.run."""
    per: dict[str, Counter] = {}
    for line in (out / "findings.jsonl").read_text(encoding="utf-8").splitlines():
        f = json.loads(line)
        col = column_for(f["rule"])
        if col:
            per.setdefault(f["section"], Counter())[col] += 1
    return per


def table_from(rows: list[list]) -> tuple[dict[str, list], list]:
    """Section rows keyed by 目錄路徑 and the 合計 row, found below the column header row."""
    start = next(i for i, r in enumerate(rows) if r and r[0] == "目錄名稱")
    assert [str(c) for c in rows[start][:len(COLUMNS)]] == list(COLUMNS)
    body = []
    for r in rows[start + 1:]:
        body.append(r)
        if r and r[0] == "合計":
            break
    total = body[-1]
    assert total[0] == "合計"
    return {r[1]: r for r in body[:-1]}, total


def check_table(rows: list[list], out: Path) -> None:
    sections, total = table_from(rows)
    assert list(sections) == sorted(S.BASIC_EXPECTED)  # ordered by path
    for path, expected in S.BASIC_EXPECTED.items():
        r = sections[path]
        assert tuple(int(float(v)) for v in r[3:11]) == expected[:8], path
        assert r[11] == expected[8], path
    assert tuple(int(float(v)) for v in total[3:11]) == S.BASIC_TOTAL[:8]
    assert total[11] == S.BASIC_TOTAL[8]
    raw = counts_from_jsonl(out)
    for path, r in sections.items():
        for i, col in enumerate(COLUMNS[4:11], start=4):
            assert int(float(r[i])) == raw.get(path, Counter())[col], (path, col)


def test_rows_and_header(out: Path) -> None:
    run = load_run(out)
    header = dict(summary_header(run))
    assert header == {"機關名稱": "經濟部標準檢驗局", "網站名稱": "經濟部標準檢驗局基隆分局",
                      "網址": "https://www.example.gov.tw/", "檢視日期": "民國115年11月26日",
                      "無障礙規範": "網站無障礙規範 115.11 版（AA 等級）"}
    assert list(COLUMNS) == ["目錄名稱", "目錄路徑", "負責單位", "網頁數", "失效連結", "詮釋資料缺漏", "逾期未更新",
                             "引用未註明出處", "附件缺ODF", "附件問題", "無障礙問題", "檢視結果", "備註"]
    rows = summary_rows(run)
    check_table([list(COLUMNS), *rows], out)
    by_path = {r[1]: r for r in rows}
    # configured names and units; fallback section from the first path segment, unit 未指定
    assert by_path["/news/"][:3] == ["最新消息", "/news/", "秘書室"]
    assert by_path["/download/"][:3] == ["download", "/download/", "未指定"]
    assert by_path["/"][:3] == ["首頁", "/", "未指定"]
    # 備註 says what the counts do not; site.* findings are named on the home page's row
    assert "404" in by_path["/news/"][12] and "查無更新日期" in by_path["/news/"][12]
    assert "未爬取到網頁" in by_path["/service/"][12]
    from reports.run import rule_title

    assert f"網站層級：{rule_title('site.badge')}" in by_path["/"][12]


def test_roc_date() -> None:
    from datetime import date
    assert roc_date(date(2026, 11, 26)) == "民國115年11月26日"
    assert roc_date(date(2012, 1, 2)) == "民國101年1月2日"


def test_csv_has_bom_and_numbers(out: Path, tmp_path: Path) -> None:
    path = write_csv(load_run(out), tmp_path / "summary.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["網站目錄檢視彙整表"]
    assert rows[1] == ["機關名稱", "經濟部標準檢驗局"]
    assert rows[4] == ["檢視日期", "民國115年11月26日"]
    check_table(rows, out)
    assert any(r and r[0].startswith("承辦人") and "單位主管" in r[0] and "日期" in r[0] for r in rows)


def test_xlsx_numbers_are_numeric(out: Path, tmp_path: Path) -> None:
    import openpyxl
    path = write_xlsx(load_run(out), tmp_path / "summary.xlsx")
    ws = openpyxl.load_workbook(path).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0][0] == "網站目錄檢視彙整表"
    assert rows[1][0] == "機關名稱" and "檢視日期" in [v for r in rows[:5] for v in r]
    check_table(rows, out)
    sections, total = table_from(rows)
    assert all(isinstance(v, int) for r in [*sections.values(), total] for v in r[3:11])
    header_row = next(i for i, r in enumerate(rows, start=1) if r[0] == "目錄名稱")
    assert ws.freeze_panes == f"A{header_row + 1}"
    assert ws.cell(header_row, 1).font.b
    assert ws.column_dimensions["M"].width > ws.column_dimensions["D"].width
    # print setup: A4 landscape, one page wide, the column titles repeated, Chinese footer
    assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows.replace("$", "") == f"{header_row}:{header_row}"
    assert ws.oddFooter.center.text == "第 &P 頁，共 &N 頁"
    # every row has an explicit height tall enough for its wrapped text (no overlap)
    remark_row = next(i for i, r in enumerate(rows, start=1) if r[1] == "/news/")
    assert ws.row_dimensions[remark_row].height >= 2 * 14
    assert any(r[0] and str(r[0]).startswith("承辦人") for r in rows)


def ods_rows(path: Path) -> list[list]:
    from odf.namespaces import OFFICENS, TABLENS
    from odf.opendocument import load
    from odf.table import Table, TableCell, TableRow
    doc = load(str(path))
    table = doc.spreadsheet.getElementsByType(Table)[0]
    rows = []
    for tr in table.getElementsByType(TableRow):
        row = []
        for cell in tr.getElementsByType(TableCell):
            vt = cell.attributes.get((OFFICENS, "value-type"))
            span = int(cell.attributes.get((TABLENS, "number-columns-spanned"), 1) or 1)
            if vt == "float":
                row.append(float(cell.attributes[(OFFICENS, "value")]))
            else:
                row.append("\n".join(str(p) for p in cell.childNodes) if cell.childNodes else "")
            row.extend([""] * (span - 1))
        rows.append(row)
    return rows


def test_ods_numbers_are_numeric(out: Path, tmp_path: Path) -> None:
    path = write_ods(load_run(out), tmp_path / "summary.ods")
    rows = ods_rows(path)
    assert rows[0][0] == "網站目錄檢視彙整表"
    assert "經濟部標準檢驗局基隆分局" in rows[1]
    check_table(rows, out)
    sections, total = table_from(rows)
    assert all(isinstance(v, float) for r in [*sections.values(), total] for v in r[3:11])


def test_titles_fall_back_to_rule_id_without_registry(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runmod, "_registry", lambda: None)
    assert runmod.rule_title("link.broken") == "link.broken"
    assert runmod.rule_fix("link.broken") == ""
    assert summary_rows(load_run(out))[-1][0] == "合計"


def test_empty_run(tmp_path: Path) -> None:
    """An interrupted run with no files still gets a (empty) 彙整表."""
    tmp_path.joinpath("empty").mkdir()
    run = load_run(tmp_path / "empty")
    rows = summary_rows(run)
    assert rows == [["合計", "", "", 0, 0, 0, 0, 0, 0, "未檢測", 0, "符合", "共 0 個目錄"]]
    write_ods(run, tmp_path / "e.ods")
    write_xlsx(run, tmp_path / "e.xlsx")


def test_incomplete_run_says_so_and_never_reads_ok(tmp_path: Path) -> None:
    """SPEC "Honest runs": a banner line in every summary.*, 未完成 instead of 符合."""
    out = S.basic_run(tmp_path / "audit", complete=False, close_reason="shutdown",
                      incomplete_reasons=["檢視在完成前中斷（收到停止訊號）"],
                      failed_pages=[{"url": S.SITE + "/service/a.html", "reason": "連線逾時", "stage": "fetch",
                                     "status": "timeout", "error": "twisted TimeoutError"}])
    run = load_run(out)
    rows = summary_rows(run)
    by_path = {r[1]: r for r in rows}
    assert by_path["/about/"][11] == "未完成"  # no error, but the run is incomplete
    assert by_path["/news/"][11] == "待改善"
    assert by_path["/service/"][11] == "未完成" and "1 頁無法檢視" in by_path["/service/"][12]
    assert "符合" not in [r[11] for r in rows]
    with (write_csv(run, tmp_path / "s.csv")).open(encoding="utf-8-sig") as fh:
        text = fh.read()
    assert "本次檢視未完成" in text and "收到停止訊號" in text
    import openpyxl
    ws = openpyxl.load_workbook(write_xlsx(run, tmp_path / "s.xlsx")).active
    assert any("本次檢視未完成" in str(c.value or "") for r in ws.iter_rows() for c in r)
    assert any("本次檢視未完成" in str(v) for r in ods_rows(write_ods(run, tmp_path / "s.ods")) for v in r)


def test_limited_run_has_its_banner(tmp_path: Path) -> None:
    run = load_run(S.basic_run(tmp_path / "audit", limited={"max_pages": 376, "max_depth": 0, "not_visited": 1624}))
    text = "\n".join(" ".join(str(v) for v in r) for r in csv.reader(
        write_csv(run, tmp_path / "s.csv").open(encoding="utf-8-sig")))
    assert "最多 376 頁" in text and "尚有 1624 頁未檢視" in text
    assert "符合" not in [r[11] for r in summary_rows(run)]


def test_checks_not_run_read_not_checked_never_zero(tmp_path: Path) -> None:
    """--no-a11y: 無障礙問題 reads 未檢測; documents off: 附件問題 reads 未檢測 — in every format."""
    checks = dict(S.ALL_DONE, accessibility="off", documents="off")
    findings = [f for f in S.BASIC_FINDINGS if not f["rule"].startswith(("a11y.", "moda."))]
    run = load_run(S.basic_run(tmp_path / "audit", findings=findings, checks=checks))
    rows = summary_rows(run)
    assert {r[9] for r in rows} == {"未檢測"} and {r[10] for r in rows} == {"未檢測"}
    assert dict(summary_header(run))["未檢測項目"] == "無障礙、附件內容"
    csv_body = list(csv.reader(write_csv(run, tmp_path / "s.csv").open(encoding="utf-8-sig")))
    _, total = table_from(csv_body)
    assert total[9] == total[10] == "未檢測" and total[4] == "3"
    import openpyxl
    ws = openpyxl.load_workbook(write_xlsx(run, tmp_path / "s.xlsx")).active
    xrows = [list(r) for r in ws.iter_rows(values_only=True)]
    _, xtotal = table_from(xrows)
    assert xtotal[9] == xtotal[10] == "未檢測"
    _, otot = table_from(ods_rows(write_ods(run, tmp_path / "s.ods")))
    assert otot[9] == otot[10] == "未檢測"


def test_older_run_json_renders(tmp_path: Path) -> None:
    """A run.json from before the honest-run keys: complete, a11y on, documents not read."""
    run = load_run(S.basic_run(tmp_path / "audit", legacy=True))
    assert run.complete and run.comparable and run.edition == ""
    rows = summary_rows(run)
    assert {r[9] for r in rows} == {"未檢測"}  # documents were not read by that version
    assert "無障礙規範" not in dict(summary_header(run))


def test_text_cells_are_never_formulas(tmp_path: Path) -> None:
    """Issue 11: section names from paths and unit names from config stay text in every format."""
    import openpyxl

    from reports.byunit import write_csv as write_by_unit
    from reports.units import write_units

    out = S.formula_run(tmp_path / "audit")
    run = load_run(out)
    write_csv(run, out / "summary.csv")
    write_xlsx(run, out / "summary.xlsx")
    write_ods(run, out / "summary.ods")
    write_by_unit(run, out / "by-unit.csv")
    written = write_units(run, out)
    for path in [out / "summary.csv", out / "by-unit.csv", *(p for p in written if p.suffix == ".csv")]:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                for v in row:
                    assert not v.startswith(("=", "+", "-", "@", "\t", "\r")), (path.name, v)
    cells = "".join(",".join(r) for r in csv.reader((out / "summary.csv").open(encoding="utf-8-sig")))
    assert "'=HYPERLINK(" in cells and "'+1" in cells and "'@SUM(A1)" in cells and "'/=1+2/" not in cells
    for path in [out / "summary.xlsx", *(p for p in written if p.suffix == ".xlsx")]:
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            for r in ws.iter_rows():
                for c in r:
                    assert c.data_type != "f", (path.name, c.coordinate, c.value)
    ws = openpyxl.load_workbook(out / "summary.xlsx").active
    values = {c.value for r in ws.iter_rows() for c in r}
    assert '=HYPERLINK("http://x","y")' in values and "=1+2" in values and "=SUM(1,2)" in values
    from odf.namespaces import OFFICENS, TABLENS
    from odf.opendocument import load
    from odf.table import TableCell
    doc = load(str(out / "summary.ods"))
    for cell in doc.spreadsheet.getElementsByType(TableCell):
        assert (TABLENS, "formula") not in cell.attributes
        text = "".join(str(p) for p in cell.childNodes)
        if text.startswith("="):
            assert cell.attributes.get((OFFICENS, "value-type")) == "string"
