"""by-unit.csv: every finding with its responsible unit — the lists sent to each unit.

SPEC.md "Output files" (`by-unit.csv`) and "Who uses it": every 2 months the
pages not updated within 2 months go to the unit that owns them (the
網頁資料維護及更新權責劃分表).  Rows are sorted by unit, then section, page
and rule, so a unit's list is one contiguous block a clerk can cut out.
`unit_groups` gives report.html the same grouping, stale pages first.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from checks.model import Finding, Severity
from checks.sections import UNASSIGNED_UNIT
from reports.run import AuditRun, sections_of, unit_sort_key

COLUMNS = ("負責單位", "目錄", "網頁", "規則", "嚴重度", "說明", "目標/欄位")


def evidence_key(f: Finding) -> str:
    """The one detail value that says *what* is wrong, for a spreadsheet cell."""
    d = f.detail
    for key in ("target", "field", "text"):
        if d.get(key):
            return str(d[key])
    if f.rule == "freshness.stale" and d.get("modified"):
        return f"{d['modified']}（{d.get('source', '')}）" if d.get("source") else str(d["modified"])
    if d.get("targets"):
        return " ".join(str(t) for t in d["targets"])
    return ""


def sorted_findings(run: AuditRun) -> list[Finding]:
    unit_key = unit_sort_key(run)
    return sorted(run.findings, key=lambda f: (
        unit_key(run.unit_of(f)), run.section_path_of(f), f.url, f.rule, -f.severity, evidence_key(f)))


def by_unit_rows(run: AuditRun) -> list[list[str]]:
    names = {s.path: s.name for s in sections_of(run)}
    rows = []
    for f in sorted_findings(run):
        path = run.section_path_of(f)
        name = names.get(path, path)
        rows.append([run.unit_of(f), f"{name}（{path}）" if name != path else path, f.url, f.rule,
                     f.severity.zh, f.message, evidence_key(f)])
    return rows


def write_csv(run: AuditRun, path: str | Path) -> Path:
    """UTF-8 with BOM so spreadsheet programs on Windows read the Chinese right."""
    path = Path(path)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        w.writerows(by_unit_rows(run))
    return path


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
