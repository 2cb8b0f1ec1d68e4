"""Papers, printed by real programs (SPEC "Printing"; issue 14 must-have 1).

report.html is printed to PDF by headless Chromium's own print path; the
彙整表 (summary.xlsx, summary.ods) and a unit's list (units/<unit>.xlsx) are
converted by LibreOffice headless.  poppler measures the result: A4, the
彙整表 on landscape pages (842 × 595 pt), a 13-section site on one page,
Chinese running footers 「第 N 頁，共 M 頁」 (never "Page 1"), the sign-off
lines, every finding on paper.  The first pages are rendered to PNG in
test-artifacts/ for a person to look at.
"""
from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "reports"))
import printhelp as P  # noqa: E402
import reports_synthetic as S  # noqa: E402

from checks.urls import display_url  # noqa: E402
from reports import render_all  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def thirteen(tmp_path_factory) -> Path:
    out = S.thirteen_run(tmp_path_factory.mktemp("thirteen") / "audit")
    render_all(out, None)
    return out


def _need(tool: str) -> None:
    if tool == "poppler" and not P.have_poppler():
        pytest.skip("needs poppler-utils (pdfinfo, pdftotext, pdftoppm): apt-get install poppler-utils")
    if tool == "soffice" and not P.soffice():
        pytest.skip("needs LibreOffice Calc headless: apt-get install libreoffice-calc-nogui")
    if tool == "browser" and not P.have_browser():
        pytest.skip("needs /usr/bin/chromium, /usr/bin/chromedriver and node_modules/axe-core (make setup)")


def test_report_html_prints_on_a4_with_landscape_summary_and_page_numbers(tmp_path: Path) -> None:
    _need("browser")
    _need("poppler")
    out = S.basic_run(tmp_path / "audit")
    render_all(out, None)
    b = P.Browser()
    try:
        b.open(out / "report.html")
        b.print_ready()
        pdf = b.print_pdf(tmp_path / "report.pdf")
    finally:
        b.quit()
    sizes = P.pdf_pages(pdf)
    assert set(sizes) <= {P.A4_PORTRAIT, P.A4_LANDSCAPE}, sizes
    text = P.pdf_text(pdf)
    pages = text.split("\f")
    summary_pages = [i for i, t in enumerate(pages) if "網站目錄檢視彙整表" in t and "目錄名稱" in t]
    assert summary_pages and all(sizes[i] == P.A4_LANDSCAPE for i in summary_pages)
    # every column of the 彙整表 reaches paper, and the sign-off lines
    flat = re.sub(r"\s+", "", pages[summary_pages[0]])
    for col in ("目錄名稱", "目錄路徑", "負責單位", "網頁數", "失效連結", "附件缺ODF", "附件問題",
                "無障礙問題", "檢視結果", "備註"):
        assert col in flat, col
    assert "承辦人" in flat and "單位主管" in flat
    # Chinese running footer on every page: 第 N 頁，共 M 頁
    total = len(sizes)
    for n, page in enumerate(pages[:total], start=1):
        assert f"第 {n} 頁，共 {total} 頁" in page, n
    assert "Page 1" not in text
    # every finding on paper: each finding's page and message
    flat_all = re.sub(r"\s+", "", text)
    for f in S.BASIC_FINDINGS:
        assert re.sub(r"\s+", "", display_url(f["message"]).split("：")[0]) in flat_all
    assert f"全部問題共{len(S.BASIC_FINDINGS)}項" in flat_all
    pngs = P.pdf_pngs(pdf, "report-print", last=total)
    assert pngs


def test_summary_spreadsheets_print_one_landscape_a4_page(thirteen: Path, tmp_path: Path) -> None:
    _need("soffice")
    _need("poppler")
    for name in ("summary.xlsx", "summary.ods"):
        src = tmp_path / f"{Path(name).suffix[1:]}-{name}"  # distinct PDF names for the two formats
        shutil.copy(thirteen / name, src)
        pdf = P.soffice_pdf(src, tmp_path / "pdf")
        assert P.pdf_pages(pdf) == [P.A4_LANDSCAPE], name  # 13 sections: one A4 landscape page
        text = P.pdf_text(pdf, layout=True)
        flat = re.sub(r"\s+", "", text)
        # the narrow count titles wrap inside their cells; the first and last columns show none is cut
        for col in ("目錄名稱", "目錄路徑", "負責單位", "網頁數", "附件問", "無障礙", "備註"):
            assert col in flat, (name, col)
        for section in ("最新消息", "網站導覽", "合計"):
            assert section in flat, (name, section)
        assert "網站無障礙規範115.11版" in flat, name  # the edition in the header block
        assert "第1頁，共1頁" in flat and "Page" not in text, name
        assert "承辦人" in flat and "單位主管" in flat, name
        P.pdf_pngs(pdf, f"summary-{Path(name).suffix[1:]}", dpi=60, last=1)


def test_long_summary_repeats_its_column_titles(tmp_path: Path) -> None:
    """More sections than one page holds: one page wide, the column-title row on every page."""
    _need("soffice")
    _need("poppler")
    out = S.big_run(tmp_path / "big", n_pages=200, n_findings=600)
    render_all(out, None)
    for name in ("summary.xlsx", "summary.ods"):
        src = tmp_path / f"{Path(name).suffix[1:]}-{name}"
        shutil.copy(out / name, src)
        pdf = P.soffice_pdf(src, tmp_path / "pdf")
        sizes = P.pdf_pages(pdf)
        assert len(sizes) >= 2 and set(sizes) == {P.A4_LANDSCAPE}, (name, sizes)
        pages = P.pdf_text(pdf).split("\f")[: len(sizes)]
        for n, page in enumerate(pages, start=1):
            flat = re.sub(r"\s+", "", page)
            assert "目錄名稱" in flat and "備註" in flat, (name, n)  # header row repeated, no column cut
            assert f"第{n}頁，共{len(sizes)}頁" in flat, (name, n)


def test_unit_list_prints_landscape_with_sign_off(thirteen: Path, tmp_path: Path) -> None:
    _need("soffice")
    _need("poppler")
    src = tmp_path / "unit.xlsx"
    shutil.copy(thirteen / "units" / "秘書室.xlsx", src)
    pdf = P.soffice_pdf(src, tmp_path / "pdf")
    assert set(P.pdf_pages(pdf)) == {P.A4_LANDSCAPE}
    flat = re.sub(r"\s+", "", P.pdf_text(pdf))
    assert "網頁檢視清單：秘書室" in flat and "逾期未更新網頁" in flat and "其他問題" in flat
    assert "民國115年5月1日" in flat and "承辦人" in flat
    P.pdf_pngs(pdf, "unit-list", last=1)
