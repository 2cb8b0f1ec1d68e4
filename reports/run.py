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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from checks.model import Finding, Rule, Severity
from checks.sections import HOME_SECTION_NAME, UNASSIGNED_UNIT, Section, section_for

# SPEC "網站目錄檢視彙整表": the count columns and which rule ids each counts.
# A rule id belongs to a column when it starts with one of the prefixes.
# The first column whose prefixes match wins: attachment.no-odf is 附件缺ODF,
# every other attachment.* is 附件問題.
COUNT_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("失效連結", ("link.",)),
    ("詮釋資料缺漏", ("metadata.",)),
    ("逾期未更新", ("freshness.stale",)),
    ("引用未註明出處", ("citation.",)),
    ("附件缺ODF", ("attachment.no-odf",)),
    ("附件問題", ("attachment.",)),
    ("無障礙問題", ("a11y.", "moda.")),
)
COUNT_COLUMN_NAMES = tuple(name for name, _ in COUNT_COLUMNS)
# A column whose check can be switched off (run.json `checks`): when it did
# not run, its cells read 未檢測, never 0 (SPEC "Honest runs").
COLUMN_CHECK: Mapping[str, str] = MappingProxyType({"無障礙問題": "accessibility", "附件問題": "documents"})
NOT_CHECKED = "未檢測"

RESULT_OK = "符合"
RESULT_IMPROVE = "待改善"
RESULT_INCOMPLETE = "未完成"

# The checks in the order of SPEC's rule table, with the names a webmaster knows them by.
CHECK_NAMES: Mapping[str, str] = MappingProxyType({
    "links": "連結",
    "metadata": "詮釋資料",
    "freshness": "更新時效",
    "citation": "引用出處",
    "attachments": "附件格式",
    "documents": "附件內容",
    "accessibility": "無障礙",
    "site": "網站層級",
})


def check_name(check: str) -> str:
    return CHECK_NAMES.get(check, check)


@cache
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
    features: tuple[str, ...] = ()  # kinds of content found: images, tables, forms, media, frames

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PageRecord:
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
            features=tuple(str(x) for x in d.get("features") or ()),
        )

    @property
    def http_error(self) -> bool:
        """Fetched but not OK: a 4xx/5xx status or a transport failure word."""
        if isinstance(self.status, int):
            return self.status >= 400
        return bool(self.status) and not str(self.status).isdigit()


@dataclass(frozen=True)
class DocumentRecord:
    """One line of documents.jsonl (CONTRACT "documents.jsonl")."""

    url: str
    ext: str = ""
    kind: str = ""
    content_type: str = ""
    bytes: int | None = None
    status: str = ""
    title: str = ""
    subject: str = ""
    creator: str = ""
    classification: Mapping[str, Any] = field(default_factory=dict)
    has_text: bool | None = None
    tagged: bool | None = None
    page_count: int | None = None
    notices: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DocumentRecord:
        size = d.get("bytes")
        pc = d.get("page_count")
        return cls(
            url=str(d["url"]), ext=str(d.get("ext") or ""), kind=str(d.get("kind") or ""),
            content_type=str(d.get("content_type") or ""),
            bytes=int(size) if isinstance(size, (int, float)) else None,
            status=str(d.get("status") or ""), title=str(d.get("title") or ""),
            subject=str(d.get("subject") or ""), creator=str(d.get("creator") or ""),
            classification=dict(d.get("classification") or {}),
            has_text=d.get("has_text"), tagged=d.get("tagged"),
            page_count=int(pc) if isinstance(pc, (int, float)) else None,
            notices=tuple(str(x) for x in d.get("notices") or ()),
            pages=tuple(str(x) for x in d.get("pages") or ()),
        )


@dataclass(frozen=True)
class AuditRun:
    """A finished run.  Treat as immutable: reports must not change it."""

    out_dir: Path
    meta: Mapping[str, Any]
    findings: tuple[Finding, ...]
    pages: tuple[PageRecord, ...]
    documents: tuple[DocumentRecord, ...] = ()
    _page_by_url: Mapping[str, PageRecord] = field(default_factory=dict, repr=False, compare=False)
    # Aggregates computed once per run: several reports ask for the same table.
    _memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Built once here so every report looks pages up by URL in O(1).
        if not self._page_by_url and self.pages:
            object.__setattr__(self, "_page_by_url", MappingProxyType({p.url: p for p in self.pages}))

    @classmethod
    def from_parts(cls, meta: Mapping[str, Any], findings: Iterable[Finding],
                   pages: Iterable[PageRecord], out_dir: Path | str = ".",
                   documents: Iterable[DocumentRecord] = ()) -> AuditRun:
        return cls(Path(out_dir), MappingProxyType(dict(meta)), tuple(findings), tuple(pages), tuple(documents))

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
    def history_key(self) -> str:
        """The site's identity in the history (SPEC "Honest runs"): run.json
        `history_key`, else site.name, else scheme + host + port + start path."""
        key = self.meta.get("history_key")
        if key:
            return str(key)
        if self.site_name:
            return self.site_name
        return site_root(self.start_url)

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

    # ----- honest runs (SPEC "Honest runs"); every key may be missing in an older run.json
    @property
    def failed_pages(self) -> list[Mapping[str, Any]]:
        return [d for d in self.meta.get("failed_pages") or () if isinstance(d, Mapping) and d.get("url")]

    @property
    def limited(self) -> Mapping[str, Any] | None:
        lim = self.meta.get("limited")
        return lim if isinstance(lim, Mapping) else None

    @property
    def complete(self) -> bool:
        """False when interrupted or any in-scope page was not audited."""
        return self.meta.get("complete", True) is not False and not self.failed_pages

    @property
    def whole_site(self) -> bool:
        """Complete and not stopped at a configured limit: only then may a section read 符合."""
        return self.complete and self.limited is None

    @property
    def comparable(self) -> bool:
        """May be the baseline of the next comparison (never an incomplete or limited run)."""
        if self.meta.get("comparable") is False:
            return False
        return self.whole_site

    @property
    def incomplete_reasons(self) -> list[str]:
        reasons = [str(r) for r in self.meta.get("incomplete_reasons") or () if r]
        if not reasons and self.meta.get("complete", True) is False:
            reasons.append("檢視在完成前中斷")
        if self.failed_pages and not any("無法檢視" in r for r in reasons):
            reasons.append(f"{len(self.failed_pages)} 個網頁無法檢視")
        return reasons

    def check_state(self, check: str) -> str:
        """"done", "off" or "partial" for one check of run.json `checks`.

        Older run.json files have no `checks`: accessibility is off when
        `a11y.enabled` is false; documents were not read at all before
        documents.jsonl existed, so they count as off unless the run says so."""
        checks = self.meta.get("checks")
        if isinstance(checks, Mapping) and check in checks:
            return str(checks[check])
        if check == "accessibility":
            a11y = self.meta.get("a11y")
            if isinstance(a11y, Mapping) and a11y.get("enabled") is False:
                return "off"
            return "done"
        if check == "documents":
            docs = self.meta.get("documents")
            return "done" if isinstance(docs, Mapping) and docs.get("enabled") else "off"
        return "done"

    def column_checked(self, column: str) -> bool:
        check = COLUMN_CHECK.get(column)
        return check is None or self.check_state(check) != "off"

    @property
    def edition(self) -> str:
        """網站無障礙規範 edition and level, e.g. 網站無障礙規範 115.11 版（AA 等級）."""
        a11y = self.meta.get("a11y") or {}
        spec = str(a11y.get("spec") or (self.meta.get("config") or {}).get("accessibility", {}).get("spec") or "")
        level = str(a11y.get("level") or (self.meta.get("config") or {}).get("accessibility", {}).get("level") or "")
        if not spec:
            return ""
        text = f"網站無障礙規範 {spec} 版"
        return f"{text}（{level} 等級）" if level else text

    @property
    def blocked_hosts(self) -> list[tuple[str, int]]:
        """Hosts whose requests the browser blocked, most first."""
        raw = (self.meta.get("a11y") or {}).get("blocked") or {}
        out = []
        for host, n in dict(raw).items():
            try:
                out.append((str(host), int(n)))
            except (TypeError, ValueError):
                continue
        return sorted(out, key=lambda kv: (-kv[1], kv[0]))

    @property
    def notices(self) -> list[Mapping[str, Any]]:
        return [n for n in self.meta.get("notices") or () if isinstance(n, Mapping) and n.get("message")]

    @property
    def trap_skipped(self) -> list[Mapping[str, Any]]:
        return [t for t in self.meta.get("trap_skipped") or () if isinstance(t, Mapping)]

    @property
    def manual_review(self) -> list[Mapping[str, Any]]:
        """run.json a11y.manual_review: [{"sc", "zh_name", "why", "features", "pages"}]."""
        return [m for m in (self.meta.get("a11y") or {}).get("manual_review") or () if isinstance(m, Mapping)]

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


def site_root(url: str) -> str:
    """scheme://host:port/start-path/ of a start URL: its last path segment
    (index.html) dropped, default ports spelled out, so identities compare."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    if not parts.hostname:
        return url
    scheme = parts.scheme.lower()
    port = port or {"http": 80, "https": 443}.get(scheme)
    path = parts.path or "/"
    path = path[: path.rfind("/") + 1]
    return f"{scheme}://{parts.hostname.lower()}:{port}{path}"


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
    documents = [DocumentRecord.from_dict(d) for d in _read_jsonl(out / "documents.jsonl")]
    return AuditRun.from_parts(meta, findings, pages, out, documents)


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


# SPEC rule table titles, for a report of a run whose rules this checkout's
# registry does not know (yet): a person never reads a bare rule id.
_FALLBACK_TITLES = MappingProxyType({
    "link.malformed": "網址格式錯誤",
    "freshness.frozen": "更新日期為範本固定值",
    "attachment.metadata-missing": "附件缺少文件屬性",
    "attachment.no-text": "PDF 附件沒有文字層（掃描檔）",
    "attachment.untagged-pdf": "PDF 附件沒有標籤結構",
    "attachment.invalid": "附件檔案與副檔名不符",
    "site.badge": "無障礙標章",
    "site.accesskeys": "導盲磚（:::）快速鍵",
    "site.sitemap-page": "網站導覽頁",
    "site.category-browse": "分類檢索",
    "site.search": "全站查詢",
    "site.privacy": "隱私權保護政策",
    "site.open-info": "政府資訊公開",
})


def rule_title(rule_id: str) -> str:
    r = rule_info(rule_id)
    if r is not None and r.title:
        if rule_id.startswith("moda.") and r.id != rule_id:
            return f"{r.title}（{rule_id[5:]}）"
        return r.title
    if rule_id in _FALLBACK_TITLES:
        return _FALLBACK_TITLES[rule_id]
    if rule_id.startswith("moda."):
        return f"無障礙檢測碼 {rule_id[5:]}"
    if rule_id.startswith("a11y."):
        return f"無障礙問題（{rule_id[5:]}）"
    return rule_id


def rule_fix(rule_id: str) -> str:
    r = rule_info(rule_id)
    return r.fix if r is not None else ""


def fix_for(f: Finding) -> str:
    """How to fix this finding: the advice for its kind (status, field, reason), else the rule's."""
    r = rule_info(f.rule)
    if r is None:
        return ""
    try:
        return r.fix_for(f.detail)
    except Exception:  # noqa: BLE001 - an older Rule without fix_for
        return r.fix


# ----------------------------------------------------------------- dates
def roc_date(d: date | None) -> str:
    """民國 form used on government forms: 2026-11-26 -> 民國115年11月26日."""
    if d is None:
        return ""
    from checks.dates import roc_date_text  # the one 民國 form of the project

    return roc_date_text(d)


def roc_date_of(text: Any) -> str:
    """An ISO date string (YYYY-MM-DD…) in 民國 form; anything else unchanged."""
    if not text:
        return ""
    try:
        return roc_date(date.fromisoformat(str(text)[:10]))
    except ValueError:
        return str(text)


def roc_datetime(text: Any, tz: tzinfo | None = None) -> str:
    """An ISO timestamp in the local zone, 民國 form: 民國115年12月1日 14:03.

    run.json keeps machine timestamps (UTC or with an offset); people read
    them in the zone of the machine that renders the report (the audit
    machine), or `tz`.  A timestamp without offset is taken as local."""
    if not text:
        return ""
    try:
        dt = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return str(text)
    # A timestamp with a non-zero offset is already in the audit machine's
    # zone (crawler.audit writes local time); UTC ones are shown in ours.
    if dt.tzinfo is not None and (tz is not None or not dt.utcoffset()):
        dt = dt.astimezone(tz)
    return f"{roc_date(dt.date())} {dt.hour:02d}:{dt.minute:02d}"


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
    for d in run.failed_pages:  # a section whose pages all failed still gets its row
        sec = section_for(str(d["url"]), run.configured_sections)
        add(sec.path, sec.unit, str(d["url"]))
    return [by_path[k] for k in sorted(by_path)]


@dataclass(frozen=True)
class SectionStats:
    """One row of the 彙整表, before formatting."""

    section: Section
    pages: int
    counts: Mapping[str, int | str]  # COUNT_COLUMN_NAMES -> n, or 未檢測
    by_severity: Mapping[Severity, int]
    remarks: str
    whole_site: bool = True  # False: an incomplete or limited run, which never reads 符合

    @property
    def result(self) -> str:
        if self.by_severity.get(Severity.error, 0):
            return RESULT_IMPROVE
        return RESULT_OK if self.whole_site else RESULT_INCOMPLETE


SITE_RULE_PREFIX = "site."


def _remarks(pages: list[PageRecord], findings: list[Finding], a11y_failed: int, failed: int = 0) -> str:
    """備註: the facts a reviewer needs that the count columns do not show."""
    parts = []
    site = Counter(f.rule for f in findings if f.rule.startswith(SITE_RULE_PREFIX))
    if site:
        # SPEC: site.* findings are named in the 備註 of the home page's row.
        parts.append("網站層級：" + "、".join(rule_title(r) for r in sorted(site)))
    if failed:
        parts.append(f"{failed} 頁無法檢視")
    if not pages and not failed:
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
    other = Counter(f.rule for f in findings if column_of(f.rule) is None and f.rule != "freshness.unknown"
                    and not f.rule.startswith(SITE_RULE_PREFIX))
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
    failed_urls = {u for u, _ in run.a11y_failures} | {
        str(d["url"]) for d in run.failed_pages if d.get("stage") == "a11y"}
    failed_by: Counter[str] = Counter(
        section_for(str(d["url"]), run.configured_sections).path for d in run.failed_pages
        if run.page(str(d["url"])) is None)
    checked = {c: run.column_checked(c) for c in COUNT_COLUMN_NAMES}
    rows = []
    for s in sections_of(run):
        pages = pages_by.get(s.path, [])
        fs = findings_by.get(s.path, [])
        counts = Counter(column_of(f.rule) for f in fs)
        rows.append(SectionStats(
            section=s,
            pages=len(pages),
            counts={c: counts.get(c, 0) if checked[c] else NOT_CHECKED for c in COUNT_COLUMN_NAMES},
            by_severity=dict(Counter(f.severity for f in fs)),
            remarks=_remarks(pages, fs, sum(1 for p in pages if p.url in failed_urls), failed_by.get(s.path, 0)),
            whole_site=run.whole_site,
        ))
    return rows


def totals_of(stats: list[SectionStats], whole_site: bool = True) -> SectionStats:
    """The 合計 row: sums of every count column (未檢測 stays 未檢測)."""
    counts: dict[str, int | str] = {}
    for c in COUNT_COLUMN_NAMES:
        values = [s.counts[c] for s in stats]
        counts[c] = NOT_CHECKED if any(v == NOT_CHECKED for v in values) else sum(int(v) for v in values)
    sev: Counter[Severity] = Counter()
    for s in stats:
        sev.update(s.by_severity)
    return SectionStats(Section("", "合計", ""), sum(s.pages for s in stats), counts, dict(sev), "",
                        whole_site=whole_site and all(s.whole_site for s in stats))


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
