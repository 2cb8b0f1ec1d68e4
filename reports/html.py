"""report.html: the self-contained audit webmasters read.

SPEC.md "Output files" (`report.html`) and "Who uses it" (2): one file, no
network needed to open it, in Traditional Chinese, filterable — overview and
charts, the 網站目錄檢視彙整表, per-unit lists (stale pages first, for the
2-month report), per-page findings with evidence and how to fix, axe's
"needs review" items, and the comparison with the previous run.

Scale (2,000 pages, ~20k findings): everything that is bounded by the number
of sections or units is rendered on the server; the per-finding lists are
embedded once as compact JSON (repeated messages and details interned) and
drawn by report.js 200 rows at a time, so the file stays small and the first
paint does not wait for 20k table rows.

Safety: crawled text reaches the page only through Jinja autoescaping or
DOM textContent; the embedded JSON is escaped for the script context.  The
only Markup built here is our own CSS/JS and that escaped JSON.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from checks.model import Finding, Severity
from reports import byunit
from reports.history import Comparison
from reports.run import (
    CHECK_NAMES, RESULT_IMPROVE, AuditRun, check_name, count_by, roc_date, rule_fix, rule_title,
    section_stats, sections_of, severity_counts, units_of,
)
from reports.summary import COLUMNS as SUMMARY_COLUMNS
from reports.summary import NUMERIC_COLUMNS, summary_header, summary_rows

PAGE_SIZE = 200
# Server-rendered lists (stale pages of a unit, new/fixed findings) beyond
# this are cut, with a pointer to the full list in the CSV/JSONL files.
LIST_LIMIT = 500
CHART_ROWS = 12

SOURCE_NAMES = {
    "page-text": "頁面文字", "meta": "詮釋資料", "sitemap": "網站地圖 lastmod",
    "http-header": "HTTP Last-Modified", "published": "發布日期",
}


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
    label: str
    current: bool


def trend_chart(comparison: Comparison) -> list[TrendBar]:
    points = comparison.trend
    top = max((p.findings for p in points), default=0) or 1
    out = []
    for i, p in enumerate(points):
        h = 80 * p.findings / top
        out.append(TrendBar(8 + i * 44, 96 - h, h, p.findings, (p.as_of or p.started[:10])[2:],
                            i == len(points) - 1))
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
            pages.append([url, p.title if p else "", sec_index.get(section, 0), unit_index.get(unit, 0),
                          _status_text(p.status) if p else ""])
        return page_index[url]

    for p in run.pages:
        page_idx(p.url, run.section_path_of_page(p), run.unit_of_page(p))

    rules: dict[str, int] = {}
    rule_rows: list[list[str]] = []
    messages, details = _Interner(), _Interner()
    new = comparison.new_fingerprints if comparison and comparison.previous else frozenset()
    ordered = sorted(run.findings, key=lambda f: (run.section_path_of(f), f.url, -f.severity, f.rule))
    rows = []
    for f in ordered:
        if f.rule not in rules:
            rules[f.rule] = len(rule_rows)
            rule_rows.append([f.rule, f.check, rule_title(f.rule), rule_fix(f.rule)])
        rows.append([page_idx(f.url, run.section_path_of(f), run.unit_of(f)), rules[f.rule], int(f.severity),
                     messages.add(f.message), details.add(dict(f.detail)),
                     1 if new and f.fingerprint() in new else 0])

    review_rules = _Interner()
    review = []
    for url, items in sorted(run.needs_review.items()):
        p = run.page(url)
        pi = page_idx(url, run.section_path_of_page(p) if p else "", run.unit_of_page(p) if p else "")
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
        "messages": messages.items,
        "details": details.items,
        "findings": rows,
        "reviewRules": review_rules.items,
        "review": review,
        "sources": SOURCE_NAMES,
        "pageSize": PAGE_SIZE,
    }


# ----------------------------------------------------------------- context
def _stale_row(run: AuditRun, f: Finding) -> dict[str, Any]:
    p = run.page(f.url)
    d = f.detail
    return {"url": f.url, "href": safe_href(f.url), "title": (p.title if p else "") or f.url,
            "section": run.section_path_of(f), "modified": d.get("modified", ""),
            "source": SOURCE_NAMES.get(str(d.get("source", "")), d.get("source", "")),
            "age_days": d.get("age_days", "")}


def _unit_context(run: AuditRun) -> list[dict[str, Any]]:
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
        rule_rows = sorted(rules.values(), key=lambda r: (-r["severity"], -r["count"], r["rule"]))
        for r in rule_rows:
            r["pages"] = len(r["pages"])
        out.append({"id": f"unit-{i + 1}", "unit": g.unit, "sections": g.sections, "pages": g.pages,
                    "total": g.total, "errors": g.errors, "stale_count": len(g.stale),
                    "stale": [_stale_row(run, f) for f in g.stale[:LIST_LIMIT]], "rules": rule_rows})
    return out


def _comparison_context(run: AuditRun, comparison: Comparison | None) -> dict[str, Any] | None:
    if comparison is None:
        return None
    prev = comparison.previous
    return {
        "previous": prev,
        "previous_date": roc_date(_date(prev.as_of)) if prev else "",
        "delta": (len(run.findings) - prev.findings) if prev else 0,
        "new_count": len(comparison.new),
        "fixed_count": len(comparison.fixed),
        "new": [{"url": f.url, "href": safe_href(f.url), "rule": f.rule, "title": rule_title(f.rule),
                 "severity": f.severity, "message": f.message} for f in comparison.new[:LIST_LIMIT]],
        "fixed": [{"url": f.url, "href": safe_href(f.url), "rule": f.rule, "title": rule_title(f.rule),
                   "severity": _sev(f.severity), "message": f.message} for f in comparison.fixed[:LIST_LIMIT]],
        "trend": trend_chart(comparison),
        "trend_points": comparison.trend,
        "list_limit": LIST_LIMIT,
    }


def _sev(name: str) -> Severity:
    try:
        return Severity.parse(name)
    except ValueError:
        return Severity.notice


def _date(text: str):
    from datetime import date
    try:
        return date.fromisoformat(text[:10])
    except (TypeError, ValueError):
        return None


def _rules_help(rule_ids: list[str]) -> list[tuple[list[str], str, str]]:
    """Rules seen in this run with their fix; rules sharing one text (every a11y.*) listed once."""
    groups: dict[tuple[str, str], list[str]] = {}
    for r in rule_ids:
        groups.setdefault((rule_title(r), rule_fix(r)), []).append(r)
    return [(ids, title, fix) for (title, fix), ids in groups.items()]


def report_context(run: AuditRun, comparison: Comparison | None = None) -> dict[str, Any]:
    stats = section_stats(run)
    names = {s.path: s.name for s in sections_of(run)}
    sev = severity_counts(run.findings)
    rules_seen = sorted({f.rule for f in run.findings})
    return {
        "title": f"網站稽核報告：{run.site_name}" if run.site_name else "網站稽核報告",
        "run": run,
        "header": summary_header(run),
        "as_of_roc": roc_date(run.as_of),
        "site_href": safe_href(run.start_url),
        "pages": len(run.pages),
        "findings": len(run.findings),
        "severity": sev,
        "sections_to_improve": sum(1 for s in stats if s.result == RESULT_IMPROVE),
        "section_count": len(stats),
        "charts": [
            bar_chart("chart-check", "依檢查項目", [(check_name(c), n) for c, n in count_by(run.findings, lambda f: f.check)], colored=True),
            bar_chart("chart-section", "依目錄", [(names.get(p, p), n) for p, n in count_by(run.findings, run.section_path_of)]),
            bar_chart("chart-unit", "依負責單位", count_by(run.findings, run.unit_of)),
        ],
        "summary_columns": SUMMARY_COLUMNS,
        "numeric_columns": NUMERIC_COLUMNS,
        "summary_rows": summary_rows(run),
        "units": _unit_context(run),
        "comparison": _comparison_context(run, comparison),
        "checks": [(c, check_name(c)) for c in CHECK_NAMES],
        "severities": [(s.name, s.zh) for s in sorted(Severity, reverse=True)],
        "unit_names": units_of(run),
        "section_options": [(s.path, f"{s.name}（{s.path}）" if s.name != s.path else s.path) for s in sections_of(run)],
        "rules_help": _rules_help(rules_seen),
        "review_count": sum(len(v or ()) for v in run.needs_review.values()),
        "a11y_failures": [{"url": u, "href": safe_href(u), "reason": r} for u, r in run.a11y_failures[:LIST_LIMIT]],
        "a11y_failure_count": len(run.a11y_failures),
        "versions": run.versions,
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
    env.filters["num"] = lambda n: f"{n:,}" if isinstance(n, int) else n
    env.globals["check_name"] = check_name
    return env


def render_html(run: AuditRun, comparison: Comparison | None = None) -> str:
    return _environment().get_template("report.html.j2").render(report_context(run, comparison))


def write_html(run: AuditRun, path: str | Path, comparison: Comparison | None = None) -> Path:
    path = Path(path)
    path.write_text(render_html(run, comparison), encoding="utf-8")
    return path
