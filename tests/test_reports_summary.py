"""網站目錄檢視彙整表 golden tests: summary.csv / .ods / .xlsx carry the numbers of findings.jsonl."""
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

PREFIX = {"失效連結": "link.", "詮釋資料缺漏": "metadata.", "逾期未更新": "freshness.stale",
          "引用未註明出處": "citation.", "附件缺ODF": "attachment.", "無障礙問題": "a11y."}


@pytest.fixture()
def out(tmp_path: Path) -> Path:
    return S.basic_run(tmp_path / "audit")


def counts_from_jsonl(out: Path) -> dict[str, Counter]:
    """Recount from the raw file, independently of reports.run."""
    per: dict[str, Counter] = {}
    for line in (out / "findings.jsonl").read_text(encoding="utf-8").splitlines():
        f = json.loads(line)
        for col, prefix in PREFIX.items():
            if f["rule"].startswith(prefix):
                per.setdefault(f["section"], Counter())[col] += 1
    return per


def table_from(rows: list[list]) -> tuple[dict[str, list], list]:
    """Section rows keyed by 目錄路徑 and the 合計 row, found below the column header row."""
    start = next(i for i, r in enumerate(rows) if r and r[0] == "目錄名稱")
    assert [str(c) for c in rows[start][:len(COLUMNS)]] == list(COLUMNS)
    body = [r for r in rows[start + 1:] if r and r[0]]
    total = body[-1]
    assert total[0] == "合計"
    return {r[1]: r for r in body[:-1]}, total


def check_table(rows: list[list], out: Path) -> None:
    sections, total = table_from(rows)
    assert list(sections) == sorted(S.BASIC_EXPECTED)  # ordered by path
    for path, expected in S.BASIC_EXPECTED.items():
        r = sections[path]
        assert tuple(int(float(v)) for v in r[3:10]) == expected[:7], path
        assert r[10] == expected[7], path
    assert tuple(int(float(v)) for v in total[3:10]) == S.BASIC_TOTAL[:7]
    assert total[10] == S.BASIC_TOTAL[7]
    raw = counts_from_jsonl(out)
    for path, r in sections.items():
        for i, col in enumerate(COLUMNS[4:10], start=4):
            assert int(float(r[i])) == raw.get(path, Counter())[col], (path, col)


def test_rows_and_header(out: Path) -> None:
    run = load_run(out)
    header = dict(summary_header(run))
    assert header == {"機關名稱": "經濟部標準檢驗局", "網站名稱": "經濟部標準檢驗局基隆分局",
                      "網址": "https://www.example.gov.tw/", "檢視日期": "民國115年11月26日"}
    rows = summary_rows(run)
    check_table([list(COLUMNS), *rows], out)
    by_path = {r[1]: r for r in rows}
    # configured names and units; fallback section from the first path segment, unit 未指定
    assert by_path["/news/"][:3] == ["最新消息", "/news/", "秘書室"]
    assert by_path["/download/"][:3] == ["download", "/download/", "未指定"]
    assert by_path["/"][:3] == ["首頁", "/", "未指定"]
    # 備註 says what the counts do not
    assert "404" in by_path["/news/"][11] and "查無更新日期" in by_path["/news/"][11]
    assert "未爬取到網頁" in by_path["/service/"][11]


def test_roc_date() -> None:
    from datetime import date
    assert roc_date(date(2026, 11, 26)) == "民國115年11月26日"
    assert roc_date(date(2012, 1, 2)) == "民國101年1月2日"


def test_csv_has_bom_and_numbers(out: Path, tmp_path: Path) -> None:
    path = write_csv(load_run(out), tmp_path / "summary.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["機關名稱", "經濟部標準檢驗局"]
    assert rows[3] == ["檢視日期", "民國115年11月26日"]
    check_table(rows, out)


def test_xlsx_numbers_are_numeric(out: Path, tmp_path: Path) -> None:
    import openpyxl
    path = write_xlsx(load_run(out), tmp_path / "summary.xlsx")
    ws = openpyxl.load_workbook(path).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0][0] == "網站目錄檢視彙整表"
    assert ["檢視日期", "民國115年11月26日"] == rows[4][:2]
    check_table(rows, out)
    sections, total = table_from(rows)
    assert all(isinstance(v, int) for r in [*sections.values(), total] for v in r[3:10])
    header_row = next(i for i, r in enumerate(rows, start=1) if r[0] == "目錄名稱")
    assert ws.freeze_panes == f"A{header_row + 1}"
    assert ws.cell(header_row, 1).font.b
    assert ws.column_dimensions["L"].width > ws.column_dimensions["D"].width


def ods_rows(path: Path) -> list[list]:
    from odf.namespaces import OFFICENS
    from odf.opendocument import load
    from odf.table import Table, TableCell, TableRow
    doc = load(str(path))
    table = doc.spreadsheet.getElementsByType(Table)[0]
    rows = []
    for tr in table.getElementsByType(TableRow):
        row = []
        for cell in tr.getElementsByType(TableCell):
            vt = cell.attributes.get((OFFICENS, "value-type"))
            if vt == "float":
                row.append(float(cell.attributes[(OFFICENS, "value")]))
            else:
                row.append("".join(str(p) for p in cell.childNodes) if cell.childNodes else "")
        rows.append(row)
    return rows


def test_ods_numbers_are_numeric(out: Path, tmp_path: Path) -> None:
    path = write_ods(load_run(out), tmp_path / "summary.ods")
    rows = ods_rows(path)
    assert rows[0][0] == "網站目錄檢視彙整表"
    assert rows[2][:2] == ["網站名稱", "經濟部標準檢驗局基隆分局"]
    check_table(rows, out)
    sections, total = table_from(rows)
    assert all(isinstance(v, float) for r in [*sections.values(), total] for v in r[3:10])


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
    assert rows == [["合計", "", "", 0, 0, 0, 0, 0, 0, 0, "符合", "共 0 個目錄"]]
    write_ods(run, tmp_path / "e.ods")
    write_xlsx(run, tmp_path / "e.xlsx")
