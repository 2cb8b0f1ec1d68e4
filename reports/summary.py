"""網站目錄檢視彙整表: summary.csv, summary.ods and summary.xlsx.

SPEC.md "網站目錄檢視彙整表", "Honest runs" and "Printing": a header block
(機關名稱, 網站名稱, 網址, 檢視日期 in 民國 form, the 網站無障礙規範 edition;
for an incomplete or limited run a line saying so), then one row per
section in the SPEC column order, a 合計 row, and the 承辦人／單位主管／日期
lines to sign.  `summary_rows` is the single pure source of the table; the
writers only lay it out (reports.sheet), so the files always agree with each
other and with the table in report.html.  Counts are numeric cells; a check
that did not run reads 未檢測 (a text cell), never 0.
"""
from __future__ import annotations

from pathlib import Path

from checks.urls import display_url
from reports import sheet
from reports.run import (
    CHECK_NAMES,
    COUNT_COLUMN_NAMES,
    NOT_CHECKED,
    RESULT_IMPROVE,
    RESULT_INCOMPLETE,
    RESULT_OK,
    AuditRun,
    roc_date,
    section_stats,
    totals_of,
)
from reports.sheet import Cell

TITLE = "網站目錄檢視彙整表"
COLUMNS: tuple[str, ...] = (
    "目錄名稱", "目錄路徑", "負責單位", "網頁數", *COUNT_COLUMN_NAMES, "檢視結果", "備註",
)
# Column indexes holding numbers (網頁數 and the seven counts).
NUMERIC_COLUMNS = frozenset(range(3, 4 + len(COUNT_COLUMN_NAMES)))
# Widths in Latin character cells (CJK glyphs take two): 13 columns fit A4
# landscape at about 100 %, the count titles wrap to two lines.
WIDTHS: tuple[float, ...] = (14, 16, 10, 6.5, 7.5, 8.5, 7.5, 8.5, 7.5, 7.5, 8.5, 7.5, 31)


def banner_lines(run: AuditRun) -> list[str]:
    """What an incomplete or limited run must say at the top of every summary (SPEC "Honest runs")."""
    lines = []
    if not run.complete:
        reasons = "；".join(run.incomplete_reasons) or "部分網頁未能檢視"
        lines.append(f"本次檢視未完成（{reasons}）：結果不完整，沒有錯誤的目錄列為「{RESULT_INCOMPLETE}」而非「{RESULT_OK}」。")
    lim = run.limited
    if lim is not None:
        parts = []
        if lim.get("max_pages"):
            parts.append(f"最多 {lim['max_pages']} 頁")
        if lim.get("max_depth"):
            parts.append(f"最多 {lim['max_depth']} 層")
        left = f"，尚有 {lim['not_visited']} 頁未檢視" if lim.get("not_visited") else ""
        lines.append(f"本次檢視依設定上限（{'、'.join(parts) or '設定上限'}）停止{left}：並非全站結果。")
    return lines


def not_run_checks(run: AuditRun) -> list[str]:
    """Names of the checks that did not run (their columns read 未檢測)."""
    out = []
    for check in ("accessibility", "documents"):
        state = run.check_state(check)
        if state == "off":
            out.append(CHECK_NAMES.get(check, check))
        elif state == "partial":
            out.append(f"{CHECK_NAMES.get(check, check)}（部分網頁）")
    return out


def summary_header(run: AuditRun) -> list[tuple[str, str]]:
    header = [
        ("機關名稱", run.agency),
        ("網站名稱", run.site_name),
        ("網址", display_url(run.start_url)),
        ("檢視日期", roc_date(run.as_of)),
    ]
    if run.edition:
        header.append(("無障礙規範", run.edition))
    skipped = not_run_checks(run)
    if skipped:
        header.append(("未檢測項目", "、".join(skipped)))
    return header


def summary_rows(run: AuditRun) -> list[list[Cell]]:
    """One list per section in COLUMNS order, then the 合計 row (pure)."""
    stats = section_stats(run)
    rows: list[list[Cell]] = []
    for s in stats:
        rows.append([s.section.name, display_url(s.section.path), s.section.unit, s.pages,
                     *(s.counts[c] for c in COUNT_COLUMN_NAMES), s.result, s.remarks])
    total = totals_of(stats, run.whole_site)
    if any(s.result == RESULT_IMPROVE for s in stats):
        overall = RESULT_IMPROVE
    else:
        overall = RESULT_OK if run.whole_site else RESULT_INCOMPLETE
    rows.append(["合計", "", "", total.pages,
                 *(total.counts[c] if run.column_checked(c) else NOT_CHECKED for c in COUNT_COLUMN_NAMES),
                 overall, f"共 {len(stats)} 個目錄"])
    return rows


def form(run: AuditRun) -> sheet.Form:
    return sheet.Form(
        title=TITLE, header=summary_header(run), columns=COLUMNS, widths=WIDTHS, rows=summary_rows(run),
        numeric=NUMERIC_COLUMNS, banner=banner_lines(run), total_row=True,
        bad_values=frozenset({RESULT_IMPROVE, RESULT_INCOMPLETE}),
    )


def csv_rows(f: sheet.Form) -> list[list[Cell]]:
    rows: list[list[Cell]] = [[f.title]]
    rows += [[label, value] for label, value in f.header]
    rows += [["注意", line] for line in f.banner]
    rows += [[], list(f.columns), *f.rows]
    if f.signoff:
        rows += [[], [sheet.SIGNOFF]]
    return rows


def write_csv(run: AuditRun, path: str | Path) -> Path:
    return sheet.write_csv(path, csv_rows(form(run)))


def write_xlsx(run: AuditRun, path: str | Path) -> Path:
    return sheet.write_xlsx(form(run), path)


def write_ods(run: AuditRun, path: str | Path) -> Path:
    return sheet.write_ods(form(run), path)


__all__ = ["COLUMNS", "NOT_CHECKED", "NUMERIC_COLUMNS", "TITLE", "summary_header", "summary_rows",
           "write_csv", "write_ods", "write_xlsx"]
