"""A finished audit read back from its output directory, and the counts every report shares.

SPEC.md "Output files": `findings.jsonl`, `pages.jsonl` and `run.json` are the
whole truth about a run; every file under reports/ is a pure function of the
`AuditRun` loaded here (DESIGN.md: "Reports are pure functions of a finished
run read back from --out").  The aggregation below implements the column
rules of SPEC "網站目錄檢視彙整表" once, so the spreadsheets, by-unit.csv and
report.html can never disagree about a number.

Reports depend only on `checks.model` and `checks.sections`; rule titles and
how-to-fix texts come from `checks.registry`, imported lazily because it pulls
in every check module (and a report must still render when one is broken).
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit

from checks.model import Finding, Rule, Severity
from checks.sections import HOME_SECTION_NAME, UNASSIGNED_UNIT, Section, section_for

# SPEC "網站目錄檢視彙整表": the count columns and which rule ids each counts.
# A rule id belongs to a column when it starts with one of the prefixes.
COUNT_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("失效連結", ("link.",)),
    ("詮釋資料缺漏", ("metadata.",)),
    ("逾期未更新", ("freshness.stale",)),
    ("引用未註明出處", ("citation.",)),
    ("附件缺ODF", ("attachment.",)),
    ("無障礙問題", ("a11y.",)),
)
COUNT_COLUMN_NAMES = tuple(name for name, _ in COUNT_COLUMNS)

RESULT_OK = "符合"
RESULT_IMPROVE = "待改善"

# The checks in the order of SPEC's rule table, with the names a webmaster knows them by.
CHECK_NAMES: Mapping[str, str] = MappingProxyType({
    "links": "連結",
    "metadata": "詮釋資料",
    "freshness": "更新時效",
    "citation": "引用出處",
    "attachments": "附件格式",
    "accessibility": "無障礙",
})


def check_name(check: str) -> str:
    return CHECK_NAMES.get(check, check)


@lru_cache(maxsize=None)
def column_of(rule_id: str) -> str | None:
    """The 彙整表 count column a rule id counts in (None: counted in no column)."""
    for name, prefixes in COUNT_COLUMNS:
        if any(rule_id == p or rule_id.startswith(p) for p in prefixes):
            return name
    return None


@dataclass(frozen=True)
class PageRecord:
    """One line of pages.jsonl."""

    url: str
    status: int | str | None = None
    section: str = ""
    unit: str = ""
    title: str = ""
    modified: str | None = None
    modified_source: str | None = None
    depth: int = 0
    content_type: str = ""
    bytes: int = 0

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "PageRecord":
        return cls(
            url=d["url"],
            status=d.get("status"),
            section=d.get("section") or "",
            unit=d.get("unit") or "",
            title=d.get("title") or "",
            modified=d.get("modified") or None,
            modified_source=d.get("modified_source") or None,
            depth=int(d.get("depth") or 0),
            content_type=d.get("content_type") or "",
            bytes=int(d.get("bytes") or 0),
        )

    @property
    def http_error(self) -> bool:
        """Fetched but not OK: a 4xx/5xx status or a transport failure word."""
        if isinstance(self.status, int):
            return self.status >= 400
        return bool(self.status) and not str(self.status).isdigit()


@dataclass(frozen=True)
class AuditRun:
    """A finished run.  Treat as immutable: reports must not change it."""

    out_dir: Path
    meta: Mapping[str, Any]
    findings: tuple[Finding, ...]
    pages: tuple[PageRecord, ...]
    _page_by_url: Mapping[str, PageRecord] = field(default_factory=dict, repr=False, compare=False)
    # Aggregates computed once per run: several reports ask for the same table.
    _memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Built once here so every report looks pages up by URL in O(1).
        if not self._page_by_url and self.pages:
            object.__setattr__(self, "_page_by_url", MappingProxyType({p.url: p for p in self.pages}))

    @classmethod
    def from_parts(cls, meta: Mapping[str, Any], findings: Iterable[Finding],
                   pages: Iterable[PageRecord], out_dir: Path | str = ".") -> "AuditRun":
        return cls(Path(out_dir), MappingProxyType(dict(meta)), tuple(findings), tuple(pages))

    # ----- run.json, with the defaults a partial or older run.json needs
    @property
    def as_of(self) -> date | None:
        try:
            return date.fromisoformat(str(self.meta.get("as_of", ""))[:10])
        except ValueError:
            return None

    @property
    def site_name(self) -> str:
        return (self.meta.get("site") or {}).get("name", "") or ""

    @property
    def agency(self) -> str:
        return (self.meta.get("site") or {}).get("agency", "") or ""

    @property
    def start_url(self) -> str:
        return self.meta.get("start_url", "") or ""

    @property
    def host(self) -> str:
        return (urlsplit(self.start_url).hostname or "").lower()

    @property
    def started(self) -> str:
        return self.meta.get("started", "") or ""

    @property
    def finished(self) -> str:
        return self.meta.get("finished", "") or ""

    @property
    def versions(self) -> Mapping[str, str]:
        return self.meta.get("versions") or {}

    @property
    def configured_sections(self) -> tuple[Section, ...]:
        out = []
        for s in (self.meta.get("config") or {}).get("sections") or ():
            if s.get("path"):
                out.append(Section(s["path"], s.get("name") or s["path"], s.get("unit") or UNASSIGNED_UNIT))
        return tuple(out)

    @property
    def needs_review(self) -> Mapping[str, list[Mapping[str, Any]]]:
        return (self.meta.get("a11y") or {}).get("needs_review") or {}

    @property
    def a11y_failures(self) -> list[tuple[str, str]]:
        return [(str(u), str(r)) for u, r in (self.meta.get("a11y") or {}).get("failures") or ()]

    def page(self, url: str) -> PageRecord | None:
        return self._page_by_url.get(url)

    # ----- where a finding belongs
    def section_path_of(self, f: Finding) -> str:
        if f.section:
            return f.section
        p = self.page(f.url)
        if p is not None and p.section:
            return p.section
        return section_for(f.url, self.configured_sections).path

    def unit_of(self, f: Finding) -> str:
        if f.unit:
            return f.unit
        p = self.page(f.url)
        if p is not None and p.unit:
            return p.unit
        return section_for(f.url, self.configured_sections).unit or UNASSIGNED_UNIT

    def section_path_of_page(self, p: PageRecord) -> str:
        return p.section or section_for(p.url, self.configured_sections).path

    def unit_of_page(self, p: PageRecord) -> str:
        return p.unit or section_for(p.url, self.configured_sections).unit or UNASSIGNED_UNIT


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def load_run(out_dir: str | Path) -> AuditRun:
    """Read findings.jsonl, pages.jsonl and run.json from an output directory.

    A missing file reads as empty (an interrupted run still gets its reports);
    a malformed line is an error, because silently dropping a finding would
    make the 彙整表 lie.
    """
    out = Path(out_dir)
    run_json = out / "run.json"
    meta = json.loads(run_json.read_text(encoding="utf-8")) if run_json.exists() else {}
    findings = [Finding.from_dict(d) for d in _read_jsonl(out / "findings.jsonl")]
    pages = [PageRecord.from_dict(d) for d in _read_jsonl(out / "pages.jsonl")]
    return AuditRun.from_parts(meta, findings, pages, out)


# ----------------------------------------------------------------- rule metadata
@lru_cache(maxsize=1)
def _registry() -> Any:
    # Lazy and forgiving: the registry imports every check module, and a
    # report of a finished run must not fail because one of them does.
    try:
        from checks import registry
    except Exception:  # noqa: BLE001 - any import failure means "no metadata"
        return None
    return registry


def rule_info(rule_id: str) -> Rule | None:
    reg = _registry()
    if reg is None:
        return None
    try:
        return reg.rule_for(rule_id)
    except Exception:  # noqa: BLE001
        return None


def rule_title(rule_id: str) -> str:
    r = rule_info(rule_id)
    return r.title if r is not None and r.title else rule_id


def rule_fix(rule_id: str) -> str:
    r = rule_info(rule_id)
    return r.fix if r is not None else ""


# ----------------------------------------------------------------- dates
def roc_date(d: date | None) -> str:
    """民國 form used on government forms: 2026-11-26 -> 民國115年11月26日."""
    if d is None:
        return ""
    return f"民國{d.year - 1911}年{d.month}月{d.day}日"


# ----------------------------------------------------------------- aggregation
def _memoized(fn):
    def wrapper(run: AuditRun):
        key = fn.__name__
        if key not in run._memo:
            run._memo[key] = fn(run)
        return list(run._memo[key])
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


@_memoized
def sections_of(run: AuditRun) -> list[Section]:
    """Configured sections plus every section seen on pages or findings, ordered by path.

    SPEC: a page matching no [[sections]] belongs to the section named by the
    first segment of its path, unit 未指定; such sections are listed too, so
    every page is counted in exactly one row.
    """
    by_path: dict[str, Section] = {s.path: s for s in run.configured_sections}

    def add(path: str, unit: str, url: str) -> None:
        if path in by_path:
            return
        guess = section_for(url, ())
        if guess.path == path:
            name = guess.name
        elif path in ("", "/"):
            name = HOME_SECTION_NAME
        else:
            name = path.strip("/") or HOME_SECTION_NAME
        by_path[path] = Section(path, name, unit or UNASSIGNED_UNIT)

    for p in run.pages:
        add(run.section_path_of_page(p), run.unit_of_page(p), p.url)
    for f in run.findings:
        add(run.section_path_of(f), run.unit_of(f), f.url)
    return [by_path[k] for k in sorted(by_path)]


@dataclass(frozen=True)
class SectionStats:
    """One row of the 彙整表, before formatting."""

    section: Section
    pages: int
    counts: Mapping[str, int]  # COUNT_COLUMN_NAMES -> n
    by_severity: Mapping[Severity, int]
    remarks: str

    @property
    def result(self) -> str:
        return RESULT_IMPROVE if self.by_severity.get(Severity.error, 0) else RESULT_OK


def _remarks(pages: list[PageRecord], findings: list[Finding], a11y_failed: int) -> str:
    """備註: the facts a reviewer needs that the count columns do not show."""
    parts = []
    if not pages:
        parts.append("未爬取到網頁")
    http_errors = Counter(str(p.status) for p in pages if p.http_error)
    if http_errors:
        detail = "、".join(f"{s}×{n}" for s, n in sorted(http_errors.items()))
        parts.append(f"{sum(http_errors.values())} 頁回應錯誤（{detail}）")
    unknown = sum(1 for f in findings if f.rule == "freshness.unknown")
    if unknown:
        parts.append(f"{unknown} 頁查無更新日期")
    if a11y_failed:
        parts.append(f"{a11y_failed} 頁無障礙檢測未完成")
    other = Counter(f.rule for f in findings if column_of(f.rule) is None and f.rule != "freshness.unknown")
    for rule, n in sorted(other.items()):
        parts.append(f"{rule_title(rule)} {n} 項")
    return "；".join(parts)


@_memoized
def section_stats(run: AuditRun) -> list[SectionStats]:
    pages_by: dict[str, list[PageRecord]] = {}
    for p in run.pages:
        pages_by.setdefault(run.section_path_of_page(p), []).append(p)
    findings_by: dict[str, list[Finding]] = {}
    for f in run.findings:
        findings_by.setdefault(run.section_path_of(f), []).append(f)
    failed_urls = {u for u, _ in run.a11y_failures}
    rows = []
    for s in sections_of(run):
        pages = pages_by.get(s.path, [])
        fs = findings_by.get(s.path, [])
        counts = Counter(column_of(f.rule) for f in fs)
        rows.append(SectionStats(
            section=s,
            pages=len(pages),
            counts={c: counts.get(c, 0) for c in COUNT_COLUMN_NAMES},
            by_severity=dict(Counter(f.severity for f in fs)),
            remarks=_remarks(pages, fs, sum(1 for p in pages if p.url in failed_urls)),
        ))
    return rows


def totals_of(stats: list[SectionStats]) -> SectionStats:
    """The 合計 row: sums of every count column."""
    counts = {c: sum(s.counts[c] for s in stats) for c in COUNT_COLUMN_NAMES}
    sev: Counter[Severity] = Counter()
    for s in stats:
        sev.update(s.by_severity)
    return SectionStats(Section("", "合計", ""), sum(s.pages for s in stats), counts, dict(sev), "")


def count_by(findings: Iterable[Finding], key) -> list[tuple[str, int]]:
    """(key, count) sorted by count descending, then key — chart order."""
    c = Counter(key(f) for f in findings)
    return sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))


def severity_counts(findings: Iterable[Finding]) -> dict[str, int]:
    c = Counter(str(f.severity) for f in findings)
    return {s.name: c.get(s.name, 0) for s in sorted(Severity, reverse=True)}


def unit_sort_key(run: AuditRun):
    """Units in the order of the 網頁資料維護及更新權責劃分表 (the config's
    [[sections]]), as the office lists them (第一課 before 第二課, which code
    point order gets wrong); others after, by name; 未指定 last, so the
    units that can act on their list come first."""
    order: dict[str, int] = {}
    for s in run.configured_sections:
        order.setdefault(s.unit, len(order))

    def key(unit: str) -> tuple[bool, int, str]:
        return (unit == UNASSIGNED_UNIT, order.get(unit, len(order)), unit)

    return key


@_memoized
def units_of(run: AuditRun) -> list[str]:
    """Every unit with a section or a finding, in unit_sort_key order."""
    units = {s.unit for s in sections_of(run)} | {run.unit_of(f) for f in run.findings}
    return sorted(units, key=unit_sort_key(run))
