"""One helper to assert a check's findings on an HTML string or fixture file.

Like axe-core's fixture tests: a small page, and beside it the exact
findings it must produce, compared as a multiset of (rule, key detail)
tuples — a missing finding fails, and so does an extra one.  Every finding
is also checked against the SPEC's findings table: default severity, the
exact set of `detail` keys, Traditional-Chinese message, page section/unit.

Fixture files (tests/fixtures/checks/<check>/*.html) open with a header:

    <!-- siteaudit-fixture
    url: https://www.example.gov.tw/news/1.html
    as-of: 2026-11-26
    frozen-dc-date: 2009-09-09
    last-modified: Fri, 25 Sep 2026 08:00:00 GMT
    sitemap-lastmod: 2026-09-25
    expect: citation.no-link | 資料來源：經濟部統計處
    expect: metadata.invalid | DC.Date | 2023-02-30
    -->

No `expect:` line means the page must produce nothing.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

from checks.model import CheckContext, CheckSettings, Finding
from checks.page import Page
from checks.registry import RULES
from crawler.config import Config

DEFAULT_URL = "https://www.example.gov.tw/news/1.html"
AS_OF = date(2026, 11, 26)
FIXTURES = Path(__file__).parent / "fixtures" / "checks"

# The detail keys each rule carries, read from the rule table (checks/registry.py);
# tests/test_rule_table.py holds the table against SPEC's.
DETAIL_KEYS: dict[str, frozenset[str]] = {r.id: frozenset(r.detail) for r in RULES.values()}
# Which detail values identify a finding in expectations.
KEY_DETAIL: dict[str, tuple[str, ...]] = {
    "metadata.missing": ("field",),
    "metadata.invalid": ("field", "value"),
    "metadata.frozen": ("field", "value", "pages"),
    "freshness.stale": ("modified", "source"),
    "freshness.unknown": (),
    "citation.no-link": ("text",),
    "citation.quote-unattributed": ("text",),
    "attachment.no-odf": ("target",),
}

_CJK = re.compile(r"[\u4e00-\u9fff]")


def make_page(html: str, url: str = DEFAULT_URL, **kw: Any) -> Page:
    kw.setdefault("section", "/news/")
    kw.setdefault("unit", "秘書室")
    return Page(url=url, html=html, **kw)


def default_settings(**overrides: Any) -> CheckSettings:
    """The check settings of an empty site.toml (defaults live in crawler.config)."""
    return replace(Config().check_settings(), **overrides)


def make_ctx(as_of: date = AS_OF, frozen: dict[str, str] | None = None, **settings: Any) -> CheckContext:
    return CheckContext(as_of=as_of, settings=default_settings(**settings), frozen_values=frozen or {})


def key(f: Finding) -> tuple:
    return (f.rule, *(f.detail[k] for k in KEY_DETAIL[f.rule]))


def validate(findings: Iterable[Finding], page: Page, module: ModuleType | None = None) -> None:
    """Each finding matches SPEC's table and its module's rule metadata."""
    rules = {r.id: r for r in module.RULES} if module is not None else {}
    for f in findings:
        assert f.rule in DETAIL_KEYS, f"unknown rule {f.rule}"
        assert set(f.detail) == DETAIL_KEYS[f.rule], f"{f.rule} detail keys {sorted(f.detail)}"
        if module is not None:
            assert f.check == module.CHECK
            assert f.rule in rules, f"{f.rule} not declared in {module.__name__}.RULES"
            assert f.severity == rules[f.rule].severity
        assert _CJK.search(f.message), f"message not in Chinese: {f.message!r}"
        assert (f.url, f.section, f.unit) == (page.url, page.section, page.unit)
        f.to_json()  # serialisable as one findings.jsonl line


def _expected(items: Iterable[Any]) -> Counter:
    return Counter((e,) if isinstance(e, str) else tuple(e) for e in items)


def assert_same(findings: list[Finding], expected: Iterable[Any]) -> None:
    got, want = Counter(key(f) for f in findings), _expected(expected)
    assert got == want, (
        f"\nmissing: {sorted(map(str, (want - got).elements()))}"
        f"\nextra:   {sorted(map(str, (got - want).elements()))}"
    )


def assert_findings(
    html: str,
    expected: Iterable[Any],
    *,
    check: ModuleType,
    ctx: CheckContext | None = None,
    url: str = DEFAULT_URL,
    **page_kw: Any,
) -> list[Finding]:
    """Run `check` on `html`; findings must equal `expected` as a multiset.

    `expected` items are `"rule"` (rules without key detail) or tuples
    `(rule, *key detail values)` in KEY_DETAIL's order.
    """
    page = make_page(html, url, **page_kw)
    findings = list(check.check(page, ctx or make_ctx()))
    validate(findings, page, check)
    assert_same(findings, expected)
    return findings


# --- fixture files -----------------------------------------------------------

_HEADER = re.compile(r"<!--\s*siteaudit-fixture\s*\n(.*?)-->", re.S)


def load_fixture(path: Path) -> tuple[str, dict[str, Any], list[tuple]]:
    html = path.read_text(encoding="utf-8")
    m = _HEADER.search(html)
    assert m, f"{path.name}: no siteaudit-fixture header"
    opts: dict[str, Any] = {}
    expected: list[tuple] = []
    for line in m.group(1).splitlines():
        if not line.strip():
            continue
        name, _, value = line.strip().partition(":")
        value = value.strip()
        if name == "expect":
            expected.append(tuple(part.strip() for part in value.split(" | ")))
        else:
            opts[name] = value
    return html, opts, expected


def fixture_paths(check_name: str) -> list[Path]:
    return sorted((FIXTURES / check_name).glob("*.html"))


def run_fixture(path: Path, module: ModuleType) -> None:
    html, opts, expected = load_fixture(path)
    page_kw: dict[str, Any] = {}
    if "last-modified" in opts:
        page_kw["headers"] = {"last-modified": opts["last-modified"]}
    if "sitemap-lastmod" in opts:
        page_kw["sitemap_lastmod"] = opts["sitemap-lastmod"]
    frozen = {"dc.date": opts["frozen-dc-date"]} if "frozen-dc-date" in opts else None
    as_of = date.fromisoformat(opts.get("as-of", AS_OF.isoformat()))
    ctx = make_ctx(as_of, frozen)
    page = make_page(html, opts.get("url", DEFAULT_URL), **page_kw)
    findings = list(module.check(page, ctx))
    validate(findings, page, module)
    # Fixture files carry text: compare key details as text.
    got = Counter(tuple(str(x) for x in key(f)) for f in findings)
    want = Counter(expected)
    assert got == want, (
        f"\n{path.name}\nmissing: {sorted(map(str, (want - got).elements()))}"
        f"\nextra:   {sorted(map(str, (got - want).elements()))}"
    )
