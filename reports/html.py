"""report.html: the self-contained audit webmasters read, on screen and on paper.

SPEC.md "Output files" (`report.html`), "Honest runs", "Printing" and "Who
uses it" (2): one file, no network needed to open it, in Traditional
Chinese.  Parts: the honest-run banner (incomplete, limited, failed pages
with reasons, blocked browser requests), the overview with the five things
to fix first, the comparison with the previous run, the 網站目錄檢視彙整表
with the sign-off lines, the 未指定 prompt (paths in no [[sections]] with a
ready TOML snippet), per-unit lists, the finding list, the 檢測碼 view,
site-level findings, documents, "needs a person" and the rules.

What to fix first (issue 14 must-have 4): findings are grouped by rule and
by what they share — a link target, an HTML snippet, a quoted text, a field
value — so one broken menu link on 120 pages is one row with a count;
a page's missing metadata fields are one row.  `finding_groups` is the one
grouping, used for the overview's top five and by report.js, which sorts
groups by severity, then by pages, and keeps filters in the URL fragment.

Scale (2,000 pages, ~20k findings): everything bounded by sections or units
is rendered here; per-finding data is embedded once as compact JSON (texts
interned) and drawn by report.js a screenful at a time; the printed list of
every finding is built by report.js when the browser is idle or about to
print, so the first paint never waits for 20k rows.

Safety: crawled text reaches the page only through Jinja autoescaping or
DOM textContent; the embedded JSON is escaped for the script context.  The
only Markup built here is our own CSS/JS and that escaped JSON.  Hrefs keep
the URL as fetched; people read it decoded (`checks.urls.display_url`).
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from checks.model import Finding, Severity
from checks.sections import UNASSIGNED_UNIT
from checks.urls import display_url
from reports import byunit, summary
from reports.byunit import decode_urls, source_name
from reports.history import Comparison
from reports.run import (
    CHECK_NAMES,
    RESULT_IMPROVE,
    AuditRun,
    check_name,
    count_by,
    fix_for,
    roc_date,
    roc_date_of,
    roc_datetime,
    rule_fix,
    rule_title,
    section_stats,
    sections_of,
    severity_counts,
    units_of,
)

PAGE_SIZE = 200
GROUP_PAGE_SIZE = 50
# Server-rendered lists (stale pages of a unit, new/fixed findings) beyond
# this are cut, with a pointer to the full list in the CSV/JSONL files.
LIST_LIMIT = 500
CHART_ROWS = 12
TOP_FIX = 5

SOURCE_NAMES = byunit.SOURCE_NAMES
VERSION_NAMES = (("tool", "工具版本"), ("axe_core", "axe-core"), ("browser", "瀏覽器"), ("python", "Python"),
                 ("scrapy", "Scrapy"))
# Built-in "needs a person" points per kind of content, for a run.json without
# a11y.manual_review (網站無障礙規範 manual review points that apply to what was found).
FEATURE_REVIEW = (
    ("images", "1.1.1", "非文字內容", "圖片的替代文字是否確實說明圖片內容或功能，裝飾圖是否以空 alt 略過"),
    ("media", "1.2.2", "字幕（預錄）", "影音是否提供正確同步的字幕；純音訊是否有逐字稿"),
    ("media", "1.2.3", "音訊描述或替代媒體", "影片中僅以畫面傳達的資訊是否有口述或文字替代"),
    ("tables", "1.3.1", "資訊與關係", "資料表格的標題列／欄是否正確標示，版面用表格是否未誤用表格標記"),
    ("forms", "3.3.2", "標籤或說明", "表單欄位的標籤與填寫說明是否清楚，必填與格式是否事先說明"),
    ("forms", "3.3.1", "錯誤識別", "輸入錯誤時是否以文字指出錯誤欄位與原因"),
    ("frames", "4.1.2", "名稱、角色與值", "內嵌框架（iframe）是否有說明其內容的 title"),
)
FEATURE_NAMES = {"images": "圖片", "tables": "表格", "forms": "表單", "media": "影音", "frames": "內嵌框架"}
DOC_KIND = {"pdf": "PDF", "odf": "ODF 開放文件", "ooxml": "Office 文件（OOXML）", "ole": "舊版 Office 文件",
            "other": "其他"}
DOC_STATUS = {"ok": "已讀取", "cached": "未變更（沿用上次結果）", "too-large": "檔案過大，未下載",
              "encrypted": "已加密，無法讀取內容", "invalid": "檔案內容與副檔名不符", "unreadable": "無法解析",
              "failed": "下載失敗"}
ROOT_TARGET_NOTE = "整個頁面（:root，即 <html> 元素）：問題來自全頁的文字或背景顏色設定"


def safe_href(url: Any) -> str | None:
    """Only web URLs become links; a crawled `javascript:` string stays text."""
    if isinstance(url, str) and urlsplit(url).scheme.lower() in ("http", "https"):
        return url
    return None


def script_json(data: Any) -> Markup:
    """JSON safe inside <script type="application/json">: no `<`, `>` or `&` survives.

    `</script>` or `<!--` in crawled text would otherwise end or confuse the
    script element; \\u escapes keep the JSON value identical.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return Markup(text)  # noqa: S704 - escaped just above, our own serialisation


def css_string(text: str) -> Markup:
    """A CSS string literal that no text can break out of (quotes, backslashes, `</style`)."""
    out = ['"']
    for ch in str(text):
        if ch.isalnum() and ord(ch) > 127 or ch.isalnum() or ch in " ：（）、，。-_/.":
            out.append(ch)
        else:
            out.append(f"\\{ord(ch):x} ")
    out.append('"')
    return Markup("".join(out))  # noqa: S704 - every other character is a CSS hex escape


def _asset(name: str) -> str:
    return (resources.files("reports.templates") / name).read_text(encoding="utf-8")


def _inline(name: str, closing: str) -> Markup:
    text = _asset(name)
    if closing in text.lower():  # would end the <style>/<script> element early
        raise ValueError(f"{name} must not contain {closing!r}")
    return Markup(text)  # noqa: S704 - our own packaged asset, not crawled data


# ----------------------------------------------------------------- charts
@dataclass(frozen=True)
class Bar:
    label: str
    full_label: str
    value: int
    y: int
    width: float
    color: str


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    bars: tuple[Bar, ...]
    height: int
    description: str  # the numbers in words, the accessible name of the SVG
    label_width: int = 150
    bar_width: int = 210
    width: int = 420
    row: int = 26


_PALETTE = ("#1f5f99", "#2e7d32", "#8a4f00", "#6a3d9a", "#b3261e", "#00695c", "#455a64")


def _short(label: str, n: int = 9) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def bar_chart(chart_id: str, title: str, items: Iterable[tuple[str, int]], colored: bool = False) -> Chart:
    items = list(items)
    if len(items) > CHART_ROWS:
        rest = sum(v for _, v in items[CHART_ROWS - 1:])
        items = items[: CHART_ROWS - 1] + [(f"其他 {len(items) - CHART_ROWS + 1} 項", rest)]
    top = max((v for _, v in items), default=0) or 1
    bars = []
    for i, (label, value) in enumerate(items):
        bars.append(Bar(_short(label), label, value, i * 26 + 4, max(2.0, 210 * value / top) if value else 0,
                        _PALETTE[i % len(_PALETTE)] if colored else _PALETTE[0]))
    desc = f"{title}：" + "、".join(f"{label} {value} 項" for label, value in items) if items else f"{title}：無"
    return Chart(chart_id, title, tuple(bars), max(30, len(bars) * 26 + 8), desc)


@dataclass(frozen=True)
class TrendBar:
    x: float
    y: float
    height: float
    value: int
    label: str  # 民國 year/month/day, drawn rotated so neighbours never overlap
    spoken: str
    current: bool
    comparable: bool


TREND_STEP = 44


def trend_chart(comparison: Comparison) -> list[TrendBar]:
    points = comparison.trend
    top = max((p.findings for p in points), default=0) or 1
    out = []
    for i, p in enumerate(points):
        h = 80 * p.findings / top
        when = p.as_of or p.started[:10]
        roc = roc_date_of(when)
        try:
            y, m, d = (int(x) for x in when[:10].split("-"))
            label = f"{y - 1911}/{m:02d}/{d:02d}"
        except ValueError:
            label = when[:10]
        out.append(TrendBar(8 + i * TREND_STEP, 96 - h, h, p.findings, label, roc, i == len(points) - 1,
                            p.comparable))
    return out


# ----------------------------------------------------------------- grouping
def group_key(f: Finding) -> tuple[str, str, str]:
    """(rule, kind, value): the findings one fix clears together.

    kind says what the value is: "target" (a link or document URL),
    "html" (an element's markup or selector: a template part), "text" (a
    quoted source statement), "value" (a field value), "page" (one page)."""
    d = f.detail
    r = f.rule
    if r == "metadata.missing":
        return (r, "page", f.url)  # one row per page listing its fields
    if r.startswith(("link.", "attachment.")) and d.get("target"):
        return (r, "target", str(d["target"]))
    if r.startswith(("a11y.", "moda.")):
        targets = d.get("targets") or []
        key = d.get("html") or (targets[0] if targets else "")
        return (r, "html", str(key)) if key else (r, "page", f.url)
    if r.startswith("citation.") and d.get("text"):
        return (r, "text", str(d["text"]))
    if r == "metadata.invalid" and d.get("field"):
        return (r, "value", f"{d.get('field')} = {d.get('value', '')}")
    return (r, "page", f.url)


@dataclass
class Group:
    rule: str
    kind: str
    value: str
    findings: list[Finding]

    @property
    def severity(self) -> Severity:
        return max(f.severity for f in self.findings)

    @property
    def pages(self) -> int:
        return len({f.url for f in self.findings})

    @property
    def label(self) -> str:
        if self.kind == "target":
            return display_url(self.value)
        if self.kind == "page" and self.rule == "metadata.missing":
            return "、".join(str(f.detail.get("field", "")) for f in self.findings)
        if self.kind == "page":
            return display_url(self.value)
        return self.value[:300]


def display_title(f: Finding) -> str:
    """The rule's title; for axe rules sharing one generic rule, the criterion named in the message."""
    title = rule_title(f.rule)
    if f.rule.startswith("a11y.") and f.message.startswith("無障礙問題（"):
        head = f.message.split("：", 1)[0]
        if head.endswith("）"):
            return head
    return title


def finding_groups(run: AuditRun) -> list[Group]:
    """Every finding in exactly one group; most urgent first (severity, then pages)."""
    if "groups" not in run._memo:
        groups: dict[tuple[str, str, str], Group] = {}
        for f in run.findings:
            k = group_key(f)
            g = groups.get(k)
            if g is None:
                g = groups[k] = Group(k[0], k[1], k[2], [])
            g.findings.append(f)
        run._memo["groups"] = sorted(groups.values(), key=lambda g: (-g.severity, -g.pages, g.rule, g.value))
    return list(run._memo["groups"])


def top_fixes(run: AuditRun, n: int = TOP_FIX) -> list[dict[str, Any]]:
    """The n fixes that would clear the most pages (errors first among equals)."""
    groups = sorted(finding_groups(run), key=lambda g: (-g.pages, -g.severity, g.rule, g.value))
    index = {id(g): i for i, g in enumerate(finding_groups(run))}
    out = []
    for g in groups[:n]:
        out.append({"title": display_title(g.findings[0]), "rule": g.rule, "label": g.label, "kind": g.kind,
                    "pages": g.pages, "count": len(g.findings), "severity": g.severity,
                    "fix": fix_for(g.findings[0]), "group": index[id(g)]})
    return out


# ----------------------------------------------------------------- embedded data
class _Interner:
    def __init__(self) -> None:
        self.items: list[Any] = []
        self._index: dict[str, int] = {}

    def add(self, value: Any) -> int:
        key = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
        idx = self._index.get(key)
        if idx is None:
            idx = self._index[key] = len(self.items)
            self.items.append(value)
        return idx


def _status_text(status: Any) -> str:
    return "" if status in (None, "", 200) else str(status)


def _shown_detail(f: Finding) -> dict[str, Any]:
    """The detail as people read it: URLs decoded (the raw one kept for the link)."""
    d = dict(f.detail)
    for key in ("target", "final_url"):
        v = d.get(key)
        if isinstance(v, str) and display_url(v) != v:
            d[key + "_shown"] = display_url(v)
    if f.rule == "freshness.stale" and d.get("modified"):
        d["modified"] = roc_date_of(d["modified"])
    return d


def embedded_data(run: AuditRun, comparison: Comparison | None) -> dict[str, Any]:
    """Compact, index-based JSON for report.js (see module docstring)."""
    sections = sections_of(run)
    sec_index = {s.path: i for i, s in enumerate(sections)}
    units = units_of(run)
    unit_index = {u: i for i, u in enumerate(units)}
    page_index: dict[str, int] = {}
    pages: list[list[Any]] = []

    def page_idx(url: str, section: str, unit: str) -> int:
        if url not in page_index:
            p = run.page(url)
            page_index[url] = len(pages)
            shown = display_url(url)
            pages.append([url, p.title if p else "", sec_index.get(section, 0), unit_index.get(unit, 0),
                          _status_text(p.status) if p else "", shown if shown != url else ""])
        return page_index[url]

    for p in run.pages:
        page_idx(p.url, run.section_path_of_page(p), run.unit_of_page(p))

    rules: dict[str, int] = {}
    rule_rows: list[list[str]] = []
    messages, details, fixes, labels = _Interner(), _Interner(), _Interner(), _Interner()
    new = comparison.new_fingerprints if comparison and comparison.previous else frozenset()
    groups = finding_groups(run)
    group_rows = []
    group_of: dict[int, int] = {}
    for gi, g in enumerate(groups):
        if g.rule not in rules:
            rules[g.rule] = len(rule_rows)
            rule_rows.append([g.rule, g.findings[0].check, display_title(g.findings[0]), rule_fix(g.rule)])
        group_rows.append([rules[g.rule], int(g.severity), labels.add(g.label), g.kind,
                           safe_href(g.value) if g.kind == "target" else None])
        for f in g.findings:
            group_of[id(f)] = gi
    ordered = sorted(run.findings, key=lambda f: (run.section_path_of(f), f.url, -f.severity, f.rule))
    rows = []
    for f in ordered:
        rows.append([page_idx(f.url, run.section_path_of(f), run.unit_of(f)), rules[f.rule], int(f.severity),
                     messages.add(decode_urls(f.message)), details.add(_shown_detail(f)),
                     1 if new and f.fingerprint() in new else 0, group_of[id(f)], fixes.add(fix_for(f))])

    review_rules = _Interner()
    review = []
    for url, items in sorted(run.needs_review.items()):
        rec = run.page(url)
        pi = page_idx(url, run.section_path_of_page(rec) if rec else "", run.unit_of_page(rec) if rec else "")
        for it in items or ():
            extra = {k: v for k, v in it.items() if k not in ("id", "help")}
            extra["targets"] = [str(t) for t in (it.get("targets") or ())][:10]
            review.append([pi, review_rules.add([str(it.get("id", "")), str(it.get("help", ""))]),
                           details.add(extra)])

    return {
        "pages": pages,
        "sections": [[s.path, s.name] for s in sections],
        "units": units,
        "checks": [[c, check_name(c)] for c in CHECK_NAMES],
        "rules": rule_rows,
        "groups": group_rows,
        "labels": labels.items,
        "messages": messages.items,
        "details": details.items,
        "fixes": fixes.items,
        "findings": rows,
        "reviewRules": review_rules.items,
        "review": review,
        "sources": SOURCE_NAMES,
        "pageSize": PAGE_SIZE,
        "groupPageSize": GROUP_PAGE_SIZE,
        "rootNote": ROOT_TARGET_NOTE,
    }


# ----------------------------------------------------------------- context
def _stale_row(run: AuditRun, f: Finding) -> dict[str, Any]:
    p = run.page(f.url)
    d = f.detail
    return {"url": display_url(f.url), "href": safe_href(f.url), "title": (p.title if p else "") or display_url(f.url),
            "section": display_url(run.section_path_of(f)), "modified": roc_date_of(d.get("modified", "")),
            "source": source_name(d.get("source", "")), "age_days": d.get("age_days", "")}


def _unit_context(run: AuditRun) -> list[dict[str, Any]]:
    from reports.units import UNITS_DIR, unit_files

    files = unit_files(run)
    out = []
    for i, g in enumerate(byunit.unit_groups(run)):
        rules: dict[str, dict[str, Any]] = {}
        for f in (*g.stale, *g.others):
            r = rules.get(f.rule)
            if r is None:
                r = rules[f.rule] = {"rule": f.rule, "title": rule_title(f.rule), "check": check_name(f.check),
                                     "severity": f.severity, "count": 0, "pages": set()}
            r["count"] += 1
            r["pages"].add(f.url)
            r["severity"] = max(r["severity"], f.severity)
        rule_rows = sorted(rules.values(), key=lambda r: (-r["severity"], -len(r["pages"]), r["rule"]))
        for r in rule_rows:
            r["pages"] = len(r["pages"])
        out.append({"id": f"unit-{i + 1}", "unit": g.unit, "sections": [display_url(s) for s in g.sections],
                    "pages": g.pages, "total": g.total, "errors": g.errors, "stale_count": len(g.stale),
                    "file": f"{UNITS_DIR}/{files[g.unit]}.xlsx",
                    "stale": [_stale_row(run, f) for f in g.stale[:LIST_LIMIT]], "rules": rule_rows})
    return out


def _comparison_context(run: AuditRun, comparison: Comparison | None) -> dict[str, Any] | None:
    if comparison is None:
        return None
    prev = comparison.previous

    def row(f: Any, severity: Severity) -> dict[str, Any]:
        return {"url": display_url(f.url), "href": safe_href(f.url), "rule": f.rule, "title": rule_title(f.rule),
                "severity": severity, "message": decode_urls(f.message)}

    trend = trend_chart(comparison)
    return {
        "previous": prev,
        "previous_date": roc_date_of(prev.as_of) if prev else "",
        "delta": (len(run.findings) - prev.findings) if prev else 0,
        "new_count": len(comparison.new),
        "fixed_count": len(comparison.fixed),
        "new": [row(f, f.severity) for f in comparison.new[:LIST_LIMIT]],
        "fixed": [row(f, _sev(f.severity)) for f in comparison.fixed[:LIST_LIMIT]],
        "trend": trend,
        "trend_width": len(trend) * TREND_STEP + 24,
        "list_limit": LIST_LIMIT,
        "this_comparable": run.comparable,
    }


def _sev(name: str) -> Severity:
    try:
        return Severity.parse(name)
    except ValueError:
        return Severity.notice


def _rules_help(rule_ids: list[str]) -> list[tuple[list[str], str, str]]:
    """Rules seen in this run with their fix; rules sharing one text (every a11y.*) listed once."""
    groups: dict[tuple[str, str], list[str]] = {}
    for r in rule_ids:
        groups.setdefault((rule_title(r), rule_fix(r)), []).append(r)
    return [(ids, title, fix) for (title, fix), ids in groups.items()]


def _unassigned(run: AuditRun) -> dict[str, Any] | None:
    """Paths in no [[sections]] (unit 未指定) with a ready TOML snippet (issue 14 must-have 6)."""
    configured = {s.path for s in run.configured_sections}
    rows = []
    for st in section_stats(run):
        s = st.section
        if s.path in configured or s.unit != UNASSIGNED_UNIT or not st.pages:
            continue
        findings = sum(v for v in st.counts.values() if isinstance(v, int))
        rows.append({"path": display_url(s.path), "raw": s.path, "name": s.name, "pages": st.pages,
                     "findings": findings})
    if not rows:
        return None
    units = [u for u in dict.fromkeys(s.unit for s in run.configured_sections) if u != UNASSIGNED_UNIT]
    hint = units[0] if units else "負責單位名稱"
    snippet = []
    for r in rows:
        name = "首頁" if r["raw"] == "/" else r["name"]
        snippet.append(f'[[sections]]\npath = {_toml_str(r["path"])}\nname = {_toml_str(name)}\n'
                       f'unit = {_toml_str(hint)}  # 請改為實際的負責單位')
    return {"rows": rows, "snippet": "\n\n".join(snippet), "pages": sum(r["pages"] for r in rows),
            "findings": sum(r["findings"] for r in rows)}


def _toml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _codes_context(run: AuditRun) -> dict[str, Any]:
    """The 檢測碼 view (issue 12 must-have 4): codes per page, passed pages, pages not audited."""
    info = _code_table()
    per_page: dict[str, dict[str, CodeHit]] = {}
    for f in run.findings:
        codes: list[str] = []
        d = f.detail
        if f.rule.startswith("moda.") and d.get("code"):
            codes = [str(d["code"])]
            c = info.setdefault(codes[0], {})
            if d.get("help_url"):
                c.setdefault("help_url", str(d["help_url"]))
            if d.get("level"):
                c.setdefault("level", str(d["level"]))
            c.setdefault("zh", f.message)
        elif f.rule.startswith("a11y."):
            codes = [str(x) for x in d.get("moda_codes") or ()]
        for code in codes:
            entry = per_page.setdefault(f.url, {}).setdefault(code, CodeHit(code, set()))
            entry.rules.add(rule_title(f.rule) if f.rule.startswith("moda.") else f.rule[5:])
    not_audited: dict[str, str] = {}
    for url, reason in run.a11y_failures:
        not_audited[url] = _reason_zh(reason)
    for d in run.failed_pages:
        not_audited.setdefault(str(d["url"]), str(d.get("reason") or "無法檢視"))
    off = run.check_state("accessibility") == "off"
    pages: list[dict[str, Any]] = []
    for p in run.pages:
        if p.url in not_audited:
            continue
        hits = sorted(per_page.get(p.url, {}).values(), key=lambda e: e.code)
        pages.append({"url": display_url(p.url), "href": safe_href(p.url), "title": p.title or display_url(p.url),
                      "codes": [{"code": e.code, "rules": sorted(e.rules), **_code_info(info, e.code)}
                                for e in hits]})
    failing = [p for p in pages if p["codes"]]
    passed = [p for p in pages if not p["codes"]]
    by_code: Counter[str] = Counter(c["code"] for p in failing for c in p["codes"])
    return {
        "off": off,
        "edition": run.edition,
        "codes": [{"code": c, "pages": n, **_code_info(info, c)} for c, n in sorted(by_code.items())],
        "failing": failing[:LIST_LIMIT], "failing_count": len(failing),
        "passed": passed[:LIST_LIMIT], "passed_count": len(passed),
        "not_audited": [{"url": display_url(u), "href": safe_href(u), "reason": r}
                        for u, r in sorted(not_audited.items())][:LIST_LIMIT],
        "not_audited_count": len(not_audited),
    }


@dataclass
class CodeHit:
    code: str
    rules: set[str]


def _code_info(info: dict[str, dict[str, str]], code: str) -> dict[str, str]:
    c = info.get(code, {})
    return {"zh": c.get("zh", ""), "level": c.get("level", ""), "help_url": safe_href(c.get("help_url")) or ""}


def _code_table() -> dict[str, dict[str, str]]:
    """code -> {zh, level, help_url} from the edition's code list shipped in checks/data, when present."""
    import csv

    out: dict[str, dict[str, str]] = {}
    try:
        res = resources.files("checks.data")
        for name in ("moda-115.11-machine-codes.csv", "moda-110.07-machine-codes.csv"):
            f = res / name
            if not f.is_file():
                continue
            for row in csv.DictReader(f.read_text(encoding="utf-8-sig").splitlines()):
                code = (row.get("code") or "").strip()
                if code and code not in out:
                    out[code] = {"zh": row.get("zh_description", ""), "level": row.get("level", ""),
                                 **({"help_url": row["help_url"]} if row.get("help_url") else {})}
    except (ModuleNotFoundError, OSError):
        pass
    return out


_A11Y_REASONS = {"timeout": "逾時", "crash": "瀏覽器當機", "navigated": "網頁自行轉址", "error": "瀏覽器錯誤"}


def _reason_zh(reason: str) -> str:
    """A browser-stage failure reason for people: Chinese, never a raw English error."""
    if any("\u4e00" <= ch <= "\u9fff" for ch in reason):
        return reason
    return _A11Y_REASONS.get(reason.strip().lower(), "無障礙檢測未完成")


def _manual_review(run: AuditRun) -> list[dict[str, Any]]:
    """"Needs a person": run.json a11y.manual_review, else derived from pages.jsonl `features`."""
    if run.manual_review:
        return [{"sc": str(m.get("sc", "")), "name": str(m.get("zh_name", "")), "why": str(m.get("why", "")),
                 "features": "、".join(FEATURE_NAMES.get(str(x), str(x)) for x in m.get("features") or ()),
                 "pages": m.get("pages", "")} for m in run.manual_review]
    counts: Counter[str] = Counter(f for p in run.pages for f in set(p.features))
    out = []
    for feature, sc, name, why in FEATURE_REVIEW:
        if counts.get(feature):
            out.append({"sc": sc, "name": name, "why": why, "features": FEATURE_NAMES[feature],
                        "pages": counts[feature]})
    return out


def _documents(run: AuditRun) -> dict[str, Any]:
    by_target: dict[str, list[Finding]] = {}
    for f in run.findings:
        if f.rule.startswith("attachment.") and f.detail.get("target"):
            by_target.setdefault(str(f.detail["target"]), []).append(f)
    rows = []
    for d in sorted(run.documents, key=lambda d: (-len(by_target.get(d.url, [])), d.url)):
        fs = by_target.get(d.url, [])
        problems = sorted({rule_title(f.rule) for f in fs if f.rule != "attachment.no-odf"})
        name = display_url(d.url).rsplit("/", 1)[-1] or display_url(d.url)
        rows.append({
            "name": name, "url": display_url(d.url), "href": safe_href(d.url),
            "kind": DOC_KIND.get(d.kind, d.ext.upper() or d.kind), "size": _size(d.bytes),
            "title": d.title, "status": DOC_STATUS.get(d.status, d.status),
            "pages": [{"url": display_url(u), "href": safe_href(u)} for u in d.pages[:50]],
            "page_count": len(d.pages), "problems": problems, "notices": list(d.notices),
            "classification": "、".join(f"{k} {v}" for k, v in d.classification.items() if v),
        })
    return {"off": run.check_state("documents") == "off", "rows": rows[:LIST_LIMIT], "count": len(rows),
            "with_problems": sum(1 for r in rows if r["problems"])}


def _size(n: int | None) -> str:
    if n is None:
        return ""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    if n >= 1000:
        return f"{n / 1000:.0f} KB"
    return f"{n} 位元組"


def _site_findings(run: AuditRun) -> list[dict[str, Any]]:
    return [{"title": rule_title(f.rule), "rule": f.rule, "severity": f.severity, "message": decode_urls(f.message),
             "fix": fix_for(f), "url": display_url(f.url), "href": safe_href(f.url)}
            for f in sorted(run.findings, key=lambda f: (-f.severity, f.rule)) if f.rule.startswith("site.")]


def _honesty(run: AuditRun) -> dict[str, Any]:
    lim = run.limited
    return {
        "banner": summary.banner_lines(run),
        "complete": run.complete,
        "limited": lim,
        "failed": [{"url": display_url(str(d["url"])), "href": safe_href(d["url"]),
                    "reason": str(d.get("reason") or "無法檢視"), "stage": _STAGES.get(str(d.get("stage")), ""),
                    "status": d.get("status") if d.get("status") not in (None, "") else ""}
                   for d in run.failed_pages[:LIST_LIMIT]],
        "failed_count": len(run.failed_pages),
        "blocked": run.blocked_hosts,
        "notices": [{"message": str(n["message"]), "url": display_url(str(n.get("url") or "")),
                     "href": safe_href(n.get("url"))} for n in run.notices[:LIST_LIMIT]],
        "traps": [{"url": display_url(str(t.get("url") or "")), "reason": str(t.get("reason") or ""),
                   "pattern": str(t.get("pattern") or "")} for t in run.trap_skipped[:LIST_LIMIT]],
        "not_run": summary.not_run_checks(run),
    }


_STAGES = {"fetch": "下載", "parse": "解析", "judge": "檢查", "a11y": "無障礙檢測", "interrupted": "中斷"}


def _versions(run: AuditRun) -> list[tuple[str, str]]:
    v = run.versions
    return [(label, str(v[key])) for key, label in VERSION_NAMES if v.get(key)]


def report_context(run: AuditRun, comparison: Comparison | None = None) -> dict[str, Any]:
    stats = section_stats(run)
    names = {s.path: s.name for s in sections_of(run)}
    sev = severity_counts(run.findings)
    rules_seen = sorted({f.rule for f in run.findings})
    title = f"網站檢視報告：{run.site_name}" if run.site_name else "網站檢視報告"
    return {
        "title": title,
        "running_header": f"{title}（{roc_date(run.as_of)}）",
        "run": run,
        "start_url_shown": display_url(run.start_url),
        "header": summary.summary_header(run),
        "as_of_roc": roc_date(run.as_of),
        "started_roc": roc_datetime(run.started),
        "finished_roc": roc_datetime(run.finished),
        "site_href": safe_href(run.start_url),
        "pages": len(run.pages),
        "findings": len(run.findings),
        "severity": sev,
        "sections_to_improve": sum(1 for s in stats if s.result == RESULT_IMPROVE),
        "section_count": len(stats),
        "honesty": _honesty(run),
        "top_fixes": top_fixes(run),
        "charts": [
            bar_chart("chart-check", "依檢查項目",
                      [(check_name(c), n) for c, n in count_by(run.findings, lambda f: f.check)], colored=True),
            bar_chart("chart-section", "依目錄",
                      [(names.get(p, p), n) for p, n in count_by(run.findings, run.section_path_of)]),
            bar_chart("chart-unit", "依負責單位", count_by(run.findings, run.unit_of)),
        ],
        "summary_columns": summary.COLUMNS,
        "numeric_columns": summary.NUMERIC_COLUMNS,
        "summary_rows": summary.summary_rows(run),
        "signoff": True,
        "unassigned": _unassigned(run),
        "units": _unit_context(run),
        "comparison": _comparison_context(run, comparison),
        "checks": [(c, check_name(c)) for c in CHECK_NAMES],
        "severities": [(s.name, s.zh) for s in sorted(Severity, reverse=True)],
        "unit_names": units_of(run),
        "section_options": [(s.path, f"{s.name}（{display_url(s.path)}）" if s.name != s.path else display_url(s.path))
                            for s in sections_of(run)],
        "rules_help": _rules_help(rules_seen),
        "review_count": sum(len(v or ()) for v in run.needs_review.values()),
        "manual_review": _manual_review(run),
        "codes": _codes_context(run),
        "site_findings": _site_findings(run),
        "documents": _documents(run),
        "versions": _versions(run),
        "tool_version": run.versions.get("tool", ""),
        "list_limit": LIST_LIMIT,
        "data_json": script_json(embedded_data(run, comparison)),
        "css": _inline("report.css", "</style"),
        "js": _inline("report.js", "</script"),
    }


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reports", "templates"),
        autoescape=True,  # every template, whatever its extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["href"] = safe_href
    env.filters["css_string"] = css_string
    env.filters["num"] = lambda n: f"{n:,}" if isinstance(n, int) else n
    env.globals["check_name"] = check_name
    return env


def render_html(run: AuditRun, comparison: Comparison | None = None) -> str:
    return _environment().get_template("report.html.j2").render(report_context(run, comparison))


def write_html(run: AuditRun, path: str | Path, comparison: Comparison | None = None) -> Path:
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render_html(run, comparison), encoding="utf-8")
    tmp.replace(path)
    return path
