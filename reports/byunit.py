"""by-unit.csv: every finding with its responsible unit — the lists sent to each unit.

SPEC.md "Output files" (`by-unit.csv`) and "Who uses it": every 2 months the
pages not updated within 2 months go to the unit that owns them (the
網頁資料維護及更新權責劃分表).  Rows are sorted by unit, then section, page
and rule, so a unit's list is one contiguous block a clerk can cut out.
People read decoded URLs, 民國 dates and page titles (issue 10 must-have 8,
issue 14); values a spreadsheet would run as formulas are made safe
(reports.sheet).  `unit_groups` gives report.html and units/ the same
grouping, stale pages first.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from checks.model import Finding, Severity
from checks.urls import display_url
from reports import sheet
from reports.run import AuditRun, roc_date_of, rule_title, sections_of, unit_sort_key

COLUMNS = ("負責單位", "目錄", "網頁標題", "網頁", "問題", "嚴重度", "說明", "目標/欄位", "規則代碼")

SOURCE_NAMES = {
    "page-text": "頁面上的更新日期", "meta": "詮釋資料", "sitemap": "網站地圖",
    "http-header": "伺服器回報的修改時間", "published": "發布日期",
}
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"'（）()，、。；]+")


def decode_urls(text: str) -> str:
    """Every URL inside a message as people read it (percent-decoded)."""
    if "%" not in text:
        return text
    return _URL_IN_TEXT.sub(lambda m: display_url(m.group(0)), text)


def source_name(source: object) -> str:
    return SOURCE_NAMES.get(str(source), str(source or ""))


def evidence_key(f: Finding) -> str:
    """The one detail value that says *what* is wrong, for a spreadsheet cell."""
    d = f.detail
    for key in ("target", "field", "text", "code"):
        if d.get(key):
            return display_url(str(d[key])) if key == "target" else str(d[key])
    if f.rule == "freshness.stale" and d.get("modified"):
        when = roc_date_of(d["modified"])
        return f"{when}（{source_name(d['source'])}）" if d.get("source") else when
    if d.get("fields"):
        return "、".join(str(x) for x in d["fields"])
    if d.get("targets"):
        return " ".join(str(t) for t in d["targets"])
    return ""


def sorted_findings(run: AuditRun) -> list[Finding]:
    unit_key = unit_sort_key(run)
    return sorted(run.findings, key=lambda f: (
        unit_key(run.unit_of(f)), run.section_path_of(f), f.url, f.rule, -f.severity, evidence_key(f)))


def page_title(run: AuditRun, url: str) -> str:
    p = run.page(url)
    return p.title if p is not None else ""


def by_unit_rows(run: AuditRun) -> list[list[sheet.Cell]]:
    names = {s.path: s.name for s in sections_of(run)}
    rows: list[list[sheet.Cell]] = []
    for f in sorted_findings(run):
        path = run.section_path_of(f)
        name = names.get(path, path)
        shown = display_url(path)
        rows.append([run.unit_of(f), f"{name}（{shown}）" if name != path else shown, page_title(run, f.url),
                     display_url(f.url), rule_title(f.rule), f.severity.zh, decode_urls(f.message),
                     evidence_key(f), f.rule])
    return rows


def write_csv(run: AuditRun, path: str | Path) -> Path:
    """UTF-8 with BOM so spreadsheet programs on Windows read the Chinese right."""
    return sheet.write_csv(path, [list(COLUMNS), *by_unit_rows(run)])


@dataclass(frozen=True)
class UnitGroup:
    unit: str
    sections: tuple[str, ...]  # section paths the unit owns (or has findings in)
    pages: int
    stale: tuple[Finding, ...]  # freshness.stale, oldest modification date first
    others: tuple[Finding, ...]  # everything else, sorted like by-unit.csv

    @property
    def total(self) -> int:
        return len(self.stale) + len(self.others)

    @property
    def errors(self) -> int:
        return sum(1 for f in (*self.stale, *self.others) if f.severity is Severity.error)


def unit_groups(run: AuditRun) -> list[UnitGroup]:
    """Per unit: its sections, page count, stale list (for the 2-month report) and other findings."""
    sections: dict[str, set[str]] = {}
    for s in sections_of(run):
        sections.setdefault(s.unit, set()).add(s.path)
    pages: dict[str, int] = {}
    for p in run.pages:
        u = run.unit_of_page(p)
        pages[u] = pages.get(u, 0) + 1
    stale: dict[str, list[Finding]] = {}
    others: dict[str, list[Finding]] = {}
    for f in sorted_findings(run):
        u = run.unit_of(f)
        sections.setdefault(u, set()).add(run.section_path_of(f))
        (stale if f.rule == "freshness.stale" else others).setdefault(u, []).append(f)
    groups = []
    for u in sorted(sections, key=unit_sort_key(run)):
        st = sorted(stale.get(u, []), key=lambda f: (str(f.detail.get("modified", "")), f.url))
        groups.append(UnitGroup(u, tuple(sorted(sections[u])), pages.get(u, 0), tuple(st),
                                tuple(others.get(u, []))))
    return groups


def what_text(f: Finding) -> str:
    """What is wrong, in one cell: the message (URLs decoded) and where to look."""
    d = f.detail
    parts = [decode_urls(f.message)]
    where = []
    if d.get("link_text"):
        where.append(f"連結文字「{d['link_text']}」")
    if isinstance(d.get("line"), int):
        where.append(f"原始碼第 {d['line']} 行")
    if f.rule == "metadata.missing" and d.get("fields"):
        where.append("欄位：" + "、".join(str(x) for x in d["fields"]))
    if where:
        parts.append("（" + "，".join(where) + "）")
    return "".join(parts)
