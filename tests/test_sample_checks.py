"""The page checks on the bundled sample site's files find what `_expected.json` says.

Like tests/test_demo_expected.py, but without the crawler: every HTML page of
sample_site/ is read from disk and judged by the page checks directly
(metadata, freshness, citation, attachments and link.malformed), with the
site-level values computed across the pages the way crawler.audit does
(the frozen DC.Date, the frozen visible 更新日期 — SPEC `freshness.frozen`)
and the sample's `_site.toml` names.  So the manifest entries of these rules
are checked even before the crawl wires them, and a change to a check or to
the sample shows here first.  Dynamic routes (the calendar template, session
pages) are judged as the files they are; link outcomes (broken, unreachable)
need the crawl and are not judged here.
"""
from __future__ import annotations

import importlib.util
import json
import re
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from checkhelp import default_settings, validate
from checks import attachments, citation, freshness, links, metadata
from checks.model import CheckContext, Finding
from checks.page import Page
from checks.sections import Section, section_for

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "sample_site"
BASE = "http://127.0.0.1:8000"
EXPECTED = json.loads((SITE / "_expected.json").read_text(encoding="utf-8"))
ROUTES = json.loads((SITE / "_routes.json").read_text(encoding="utf-8"))
TOML = tomllib.loads((SITE / "_site.toml").read_text(encoding="utf-8"))
MODULES = (metadata, freshness, citation, attachments)
# The rules these checks own, and link.malformed (a page fact, judged without fetching).
# The page rules (documents are judged from what the crawl downloaded: the demo test covers them)
RULES = re.compile(r"^(metadata|freshness|citation)\.|^attachment\.no-odf$|^link\.malformed$")


def _builder():
    spec = importlib.util.spec_from_file_location("build_sample_site_for_checks",
                                                  ROOT / "tools" / "build_sample_site.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def _sitemap() -> dict[str, str]:
    xml = (SITE / "sitemap.xml").read_text(encoding="utf-8")
    entries = re.findall(r"<loc>\{\{base_url\}\}([^<]*)</loc><lastmod>([^<]*)</lastmod>", xml)
    return dict(entries)


def _pages() -> list[Page]:
    sections = tuple(Section(s["path"], s["name"], s["unit"]) for s in TOML.get("sections", []))
    lastmods = _sitemap()
    disallowed = [line.split(":", 1)[1].strip() for line in (SITE / "robots.txt").read_text().splitlines()
                  if line.lower().startswith("disallow:")]
    out = []
    for f in sorted(SITE.rglob("*.html")):
        rel = f.relative_to(SITE).as_posix()
        if any(part.startswith("_") for part in rel.split("/")):
            continue  # never served
        path = "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)
        if any(path.startswith(d) for d in disallowed if d):
            continue  # robots.txt: never fetched
        route = ROUTES.get(path, {})
        charset = route.get("charset") or ("big5" if b'charset="big5"' in f.read_bytes()[:400] else "utf-8")
        headers = {"last-modified": route["last_modified"]} if route.get("last_modified") else {}
        sec = section_for(BASE + path, sections)
        out.append(Page(url=BASE + path, html=f.read_bytes().decode(charset), headers=headers, section=sec.path,
                        unit=sec.unit, sitemap_lastmod=lastmods.get(path)))
    return out


def _context(pages: list[Page]) -> tuple[CheckContext, dict, dict, dict]:
    # CheckSettings.own_names as crawler.config builds it: site.agency,
    # site.name, [site] own_names and the [[sections]] units.
    site = TOML.get("site", {})
    own = tuple(dict.fromkeys(n for n in (site.get("agency"), site.get("name"), *site.get("own_names", ()),
                                          *(s["unit"] for s in TOML.get("sections", []))) if n))
    dc_dates = {p.url: metadata.dc_date(p.meta) for p in pages}
    text_dates = {p.url: freshness.page_text_dates(p) for p in pages}
    frozen_meta = metadata.frozen_values(dc_dates)
    frozen_text = freshness.frozen_text_dates(json.loads(json.dumps(text_dates)))  # as a store would keep it
    ctx = CheckContext(as_of=date.fromisoformat(EXPECTED["as_of"]),
                       settings=replace(default_settings(), own_names=own),
                       frozen_values={**frozen_meta, **frozen_text})
    return ctx, dc_dates, text_dates, frozen_text


def _judge() -> list[Finding]:
    pages = _pages()
    ctx, dc_dates, text_dates, frozen_text = _context(pages)
    found: list[Finding] = []
    for page in pages:
        for module in MODULES:
            page_findings = list(module.check(page, ctx))
            validate(page_findings, page, module)
            found.extend(page_findings)
        found.extend(f for f in links.check(page, ctx) if f.rule == "link.malformed")
        if page.url == BASE + "/":
            frozen_meta = {k: v for k, v in ctx.frozen_values.items() if k == "dc.date"}
            found.extend(metadata.site_findings(page, frozen_meta, metadata.frozen_counts(dc_dates, frozen_meta)))
            found.extend(freshness.site_findings(page, frozen_text,
                                                 freshness.frozen_text_counts(text_dates, frozen_text)))
    return found


FINDINGS = _judge()


def _items(kind: str) -> Iterator[dict]:
    return (d for d in EXPECTED[kind] if RULES.match(d["rule"]))


def _matches(f: Finding, item: dict) -> bool:
    path = f.url[len(BASE):]
    if path.split("?")[0] != item["url_path"].split("?")[0] or f.rule != item["rule"]:
        return False
    for key, want in item.get("key", {}).items():
        got = f.detail.get(key)
        if key == "target":
            if not (isinstance(got, str) and got.endswith(want)):
                return False
        elif key == "text":
            if not (isinstance(got, str) and (want in got or got.rstrip("…") in want)):
                return False
        elif str(got) != str(want):
            return False
    return True


@pytest.mark.parametrize("item", list(_items("defects")), ids=lambda d: f"{d['url_path']}:{d['rule']}")
def test_planted_defect_found(item):
    assert any(_matches(f, item) for f in FINDINGS), item["why"]


@pytest.mark.parametrize("item", list(_items("must_not_report")), ids=lambda d: f"{d['url_path']}:{d['rule']}")
def test_clean_counterpart_silent(item):
    assert not any(_matches(f, item) for f in FINDINGS), item["why"]


def test_no_other_findings():
    planted = {(d["url_path"].split("?")[0], d["rule"]) for d in _items("defects")}
    extra = sorted({(f.url[len(BASE):], f.rule) for f in FINDINGS} - planted)
    assert extra == []


def test_the_site_level_values():
    pages = _pages()
    ctx, _dc, text_dates, frozen_text = _context(pages)
    builder = _builder()
    assert ctx.frozen_values["dc.date"] == builder.TEMPLATE_DATE
    assert frozen_text == {"page-text": builder.FOOTER_DATE}
    # the footer date is outside every page's content area; the pages' own dates are inside
    with_footer = [u for u, values in text_dates.items() if (builder.FOOTER_DATE, False) in values]
    assert len(with_footer) * 2 > len(pages) and len(with_footer) >= 10
    own = {u: [v for v, inside in values if inside] for u, values in text_dates.items()}
    assert own[BASE + "/about/history.html"] == ["2023-05-03"]
    (frozen,) = [f for f in FINDINGS if f.rule == "freshness.frozen"]
    assert frozen.url == BASE + "/" and frozen.detail == {"value": builder.FOOTER_DATE, "pages": len(with_footer)}


def test_next_source_after_the_frozen_footer():
    """Pages whose only visible date is the footer's fall back to their next source."""
    pages = {p.url[len(BASE):]: p for p in _pages()}
    ctx = _context(list(pages.values()))[0]
    assert freshness.modified_date(pages["/news/7.html"], ctx)[1] == "sitemap"
    assert freshness.modified_date(pages["/news/8.html"], ctx)[1] == "http-header"
    assert freshness.modified_date(pages["/news/2.html"], ctx)[1] == "sitemap"
    assert freshness.modified_date(pages["/open/data.html"], ctx) == (None, None)
    assert freshness.modified_date(pages["/privacy.html"], ctx) == (None, None)
    # without the site-level pass the footer's template date would be read
    bare = replace(ctx, frozen_values={"dc.date": ctx.frozen_values["dc.date"]})
    assert freshness.modified_date(pages["/privacy.html"], bare) == (date(2016, 2, 16), "page-text")


def test_identical_pages_other_stylesheets():
    a = (SITE / "about/view/standard/index.html").read_bytes()
    b = (SITE / "about/view/contrast/index.html").read_bytes()
    assert a == b and b'href="theme.css"' in a
    css = {(SITE / f"about/view/{v}/theme.css").read_bytes() for v in ("standard", "contrast")}
    assert len(css) == 2


def test_site_toml_names_the_own_offices():
    assert TOML["site"]["own_names"] == _builder().OWN_NAMES
