"""units/<unit>.xlsx and units/<unit>.csv: one list per responsible unit, ready to send.

SPEC.md "Output files" (`units/<unit>.xlsx`, `units/<unit>.csv`) and
"Printing"; issue 14 must-have 2.  Each file holds the unit's stale pages
first — page title, decoded URL, last modified in 民國 form, days over the
limit — then its other findings: kind, page, what is wrong, how to fix
(`Rule.fix_for(detail)`: advice for this finding's status / field /
reason).  A page's missing metadata fields are one row listing them.
Print setup, sign-off lines and spreadsheet safety are reports.sheet's.

Unit names are Chinese and come from config: `safe_filename` keeps them
readable while removing what Windows or Linux cannot store (path
separators, reserved characters and names, trailing dots).
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from pathlib import Path

from dateutil.relativedelta import relativedelta

from checks.model import Finding
from checks.urls import display_url
from reports import sheet
from reports.byunit import UnitGroup, page_title, source_name, unit_groups, what_text
from reports.run import AuditRun, fix_for, roc_date, roc_date_of, rule_title, sections_of
from reports.summary import banner_lines

UNITS_DIR = "units"
TITLE = "網頁檢視清單"
STALE_COLUMNS = ("網頁標題", "網址", "最後更新", "日期來源", "逾期天數")
# One grid for both tables: 問題說明 and 如何修正 need room, so the stale table's
# date columns are wider than they need be.
WIDTHS = (24, 46, 36, 40, 9)
OTHER_COLUMNS = ("問題類別", "網頁", "問題說明", "如何修正", "嚴重度")
_RESERVED = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_WINDOWS_NAMES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def safe_filename(name: str, limit: int = 80) -> str:
    """A unit name as a file name both Windows and Linux accept, still readable."""
    text = unicodedata.normalize("NFC", name)
    text = _RESERVED.sub("_", text).strip().rstrip(". ")
    text = text.lstrip(".")  # no hidden files
    if not text:
        text = "未命名單位"
    if text.split(".")[0].upper() in _WINDOWS_NAMES:
        text = "_" + text
    return text[:limit]


def unit_files(run: AuditRun) -> dict[str, str]:
    """unit -> file stem, unique even when two names clean to the same text."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for g in unit_groups(run):
        stem = safe_filename(g.unit)
        base, n = stem, 2
        while stem.lower() in used:
            stem = f"{base}-{n}"
            n += 1
        used.add(stem.lower())
        out[g.unit] = stem
    return out


def days_over(f: Finding, as_of: date | None) -> int | str:
    """Days past the freshness limit: as-of minus the limit is the last date still fresh."""
    d = f.detail
    try:
        modified = date.fromisoformat(str(d.get("modified", ""))[:10])
        months = int(d.get("limit_months") or 2)
    except (TypeError, ValueError):
        return d.get("age_days", "") or ""
    if as_of is None:
        return d.get("age_days", "") or ""
    return max(0, (as_of - relativedelta(months=months) - modified).days)


def stale_rows(run: AuditRun, g: UnitGroup) -> list[list[sheet.Cell]]:
    return [[page_title(run, f.url) or "（無標題）", display_url(f.url), roc_date_of(f.detail.get("modified")),
             source_name(f.detail.get("source")), days_over(f, run.as_of)] for f in g.stale]


def other_rows(run: AuditRun, g: UnitGroup) -> list[list[sheet.Cell]]:
    rows: list[list[sheet.Cell]] = []
    missing: dict[str, list[Finding]] = {}
    for f in g.others:
        if f.rule == "metadata.missing":
            missing.setdefault(f.url, []).append(f)
    done: set[str] = set()
    for f in g.others:
        title = page_title(run, f.url)
        page = f"{title}\n{display_url(f.url)}" if title else display_url(f.url)
        if f.rule == "metadata.missing":
            if f.url in done:
                continue
            done.add(f.url)
            fields = [str(x.detail.get("field", "")) for x in missing[f.url]]
            rows.append([rule_title(f.rule), page, f"缺少 {len(fields)} 個欄位：" + "、".join(fields),
                         fix_for(f), f.severity.zh])
            continue
        rows.append([rule_title(f.rule), page, what_text(f), fix_for(f), f.severity.zh])
    return rows


def unit_form(run: AuditRun, g: UnitGroup) -> sheet.Form:
    names = {s.path: s.name for s in sections_of(run)}
    header = [
        ("負責單位", g.unit),
        ("檢視日期", roc_date(run.as_of)),
        ("機關名稱", run.agency),
        ("網站名稱", run.site_name),
        ("負責目錄", "、".join(f"{names.get(p, p)}（{display_url(p)}）" if names.get(p, p) != p else display_url(p)
                            for p in g.sections)),
        ("問題摘要", f"逾期未更新 {len(g.stale)} 頁；其他問題 {len(g.others)} 項"),
    ]
    parts = [(f"其他問題（{len(g.others)} 項）", OTHER_COLUMNS, other_rows(run, g))] if g.others else []
    return sheet.Form(
        title=f"{TITLE}：{g.unit}", header=header, columns=STALE_COLUMNS,
        table_title=f"逾期未更新網頁（{len(g.stale)} 頁）",
        widths=WIDTHS, rows=stale_rows(run, g) or [["沒有逾期未更新的網頁。", "", "", "", ""]],
        numeric=frozenset({4}), banner=banner_lines(run), sheet_name=g.unit, parts=parts,
        bad_values=frozenset(),
    )


def csv_rows(run: AuditRun, g: UnitGroup) -> list[list[sheet.Cell]]:
    rows: list[list[sheet.Cell]] = [[f"{TITLE}：{g.unit}"], ["檢視日期", roc_date(run.as_of)]]
    rows += [["注意", line] for line in banner_lines(run)]
    rows += [[], [f"逾期未更新網頁（{len(g.stale)} 頁）"], list(STALE_COLUMNS), *stale_rows(run, g)]
    rows += [[], [f"其他問題（{len(g.others)} 項）"], list(OTHER_COLUMNS), *other_rows(run, g)]
    return rows


def write_units(run: AuditRun, out_dir: str | Path) -> list[Path]:
    """units/<unit>.xlsx and .csv for every unit with a section or a finding."""
    folder = Path(out_dir) / UNITS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stems = unit_files(run)
    written = []
    for g in unit_groups(run):
        stem = stems[g.unit]
        written.append(sheet.write_xlsx(unit_form(run, g), folder / f"{stem}.xlsx"))
        written.append(sheet.write_csv(folder / f"{stem}.csv", csv_rows(run, g)))
    return written
