"""The bundled sample site and the benchmark generator are what they claim to be.

The sample site (sample_site/, built by tools/build_sample_site.py) must be
intact except for the defects `_expected.json` lists, and each listed link
defect must really fail; the generator must be deterministic, sized like real
pages and fully connected.  No crawler involved: these guard the inputs of the
crawl tests and the benchmark.
"""
from __future__ import annotations

import csv
import hashlib
import http.client
import importlib.util
import json
import re
import sys
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest

from crawler.siteserver import serve

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "sample_site"
EXPECTED = json.loads((SITE / "_expected.json").read_text(encoding="utf-8"))
RULES = {"link.broken", "link.unreachable", "link.anchor-missing", "link.malformed", "metadata.missing",
         "metadata.invalid", "metadata.frozen", "freshness.stale", "freshness.unknown", "freshness.frozen",
         "citation.no-link", "citation.quote-unattributed", "attachment.no-odf", "attachment.metadata-missing",
         "attachment.no-text", "attachment.untagged-pdf", "attachment.invalid"}
# hrefs planted as link.malformed (http://javascript:;, javscript:;): no URL to resolve
MALFORMED = {d["key"]["target"] for d in EXPECTED["defects"] if d["rule"] == "link.malformed"}
BIG5 = {"business/measurement/scales.html", "business/measurement/gas.html"}
NO_METADATA = {"admin/index.html", "news.html"}  # login page, meta-refresh stub


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def pages() -> dict[str, lxml.html.HtmlElement]:
    """Served path -> parsed tree, for every HTML page of the sample site."""
    out = {}
    for f in sorted(SITE.rglob("*.html")):
        rel = f.relative_to(SITE).as_posix()
        if any(part.startswith("_") for part in rel.split("/")):
            continue
        raw = f.read_bytes()
        text = raw.decode("big5") if rel in BIG5 else raw.decode("utf-8")
        path = "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)
        out[path] = lxml.html.document_fromstring(text)
    return out


PAGES = pages()


def test_committed_site_matches_builder(tmp_path):
    builder = _load(ROOT / "tools" / "build_sample_site.py", "build_sample_site")
    builder.build(tmp_path)
    built = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    committed = {p.relative_to(SITE).as_posix() for p in SITE.rglob("*") if p.is_file()
                 and "__pycache__" not in p.parts} - {"__init__.py", "README.md"}
    assert built == committed, "run: python tools/build_sample_site.py"
    for rel in built:
        assert (tmp_path / rel).read_bytes() == (SITE / rel).read_bytes(), f"{rel} differs; rebuild the sample site"


def test_every_page_parses_with_title_and_layout():
    assert len(PAGES) >= 40
    for path, doc in PAGES.items():
        assert doc.findtext(".//title"), path
        if path in ("/admin/", "/news.html"):
            continue
        for key in "UCZ":  # the ':::' accesskey anchors of government layouts
            assert doc.xpath(f'//a[@accesskey="{key}"][text()=":::"]'), (path, key)
        assert doc.xpath('//nav[contains(@class,"breadcrumb")]'), path
        assert len(doc.xpath('//nav[contains(@class,"mainmenu")]//a')) >= 30, path


def test_big5_pages_are_big5_bytes():
    for rel in BIG5:
        raw = (SITE / rel).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        assert "更新日期" in raw.decode("big5")
    assert b'<meta charset="big5">' in (SITE / "business/measurement/scales.html").read_bytes()
    assert b"charset" not in (SITE / "business/measurement/gas.html").read_bytes()
    routes = json.loads((SITE / "_routes.json").read_text(encoding="utf-8"))
    assert routes["/business/measurement/gas.html"]["charset"] == "big5"


def _fields():
    with (ROOT / "checks" / "data" / "metadata-fields.csv").open(encoding="utf-8") as fh:
        return [r["field"] for r in csv.DictReader(fh) if r["required"].startswith("yes")]


def test_metadata_complete_except_planted():
    required = _fields()
    assert len(required) == 19  # 16 DC (coverage split in two) + 3 Category
    planted = {(d["url_path"], d["key"].get("field")) for d in EXPECTED["defects"] if d["rule"].startswith("metadata.")}
    dates = Counter()
    for path, doc in PAGES.items():
        if path.lstrip("/") in NO_METADATA or path in ("/admin/", "/news.html"):
            continue
        meta = {m.get("name").lower(): m.get("content") for m in doc.xpath("//meta[@name]")}
        dates[meta.get("dc.date")] += 1
        for f in required:
            ok = bool((meta.get(f.lower()) or "").strip())
            if not ok:
                assert (path, f) in planted, f"{path} lacks {f} but _expected.json does not say so"
        for f in ("Category.Theme", "Category.Cake", "Category.Service"):
            v = meta.get(f.lower())
            if (v and not re.fullmatch(r"[0-9A-Z]{3}", v)) or v == "Z00":
                assert (path, f) in planted, (path, f, v)
    value, n = dates.most_common(1)[0]
    assert value == "2009-09-09" and n >= 10 and n > sum(dates.values()) / 2  # metadata.frozen is real


def test_manifest_is_well_formed():
    assert EXPECTED["as_of"] == "2026-11-26"
    seen_rules = set()
    for d in EXPECTED["defects"]:
        assert d["url_path"] in PAGES, d
        assert d["rule"] in RULES or d["rule"].startswith("a11y."), d
        assert isinstance(d["key"], dict) and d["why"]
        seen_rules.add(d["rule"])
    assert seen_rules >= RULES, f"no example of {RULES - seen_rules}"
    assert {d["rule"] for d in EXPECTED["defects"] if d["rule"].startswith("a11y.")} >= {
        "a11y.image-alt", "a11y.label", "a11y.color-contrast", "a11y.link-name", "a11y.html-has-lang"}
    broken_status = {d["key"].get("status") for d in EXPECTED["defects"] if d["rule"] == "link.broken"}
    assert {404, "dns", "refused", "redirect-loop", "too-many-redirects"} <= broken_status


def _links(doc) -> list[tuple[str, str]]:
    """(element, url) of every fetchable reference on a page."""
    out = [("a", h) for h in doc.xpath("//a/@href")]
    out += [("img", s) for s in doc.xpath("//img/@src")]
    for srcset in doc.xpath("//img/@srcset"):
        out += [("img", part.split()[0]) for part in srcset.split(",") if part.strip()]
    out += [("link", h) for h in doc.xpath("//link/@href")]
    return [(e, u) for e, u in out
            if not u.startswith(("mailto:", "tel:", "javascript:", "data:")) and u not in MALFORMED]


def _resolve(port: int, path: str) -> int | str:
    """Final status of a path, following redirects like a crawler (max 20)."""
    seen = set()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for _ in range(21):
        if path in seen:
            return "redirect-loop"
        seen.add(path)
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        if r.status not in (301, 302, 303, 307, 308):
            return r.status
        path = urljoin(path, r.getheader("Location"))
    return "too-many-redirects"


def test_internal_links_resolve_except_planted():
    defects = {(d["url_path"], d["key"].get("target")): d for d in EXPECTED["defects"] if d["rule"].startswith("link.")}
    targets: dict[str, set[str]] = {}
    external: set[str] = set()
    for path, doc in PAGES.items():
        if path == "/admin/":
            continue
        for _, url in _links(doc):
            if "{{" in url:  # templates of the dynamic routes
                continue
            absolute = urljoin("http://site.test" + path, url)
            parts = urlsplit(absolute)
            if parts.netloc != "site.test":
                external.add(url)
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            targets.setdefault(target, set()).add(path)
            if parts.fragment:
                targets.setdefault(target + "#" + parts.fragment, set()).add(path)

    with serve(SITE) as srv:
        plain = [t for t in targets if "#" not in t]
        with ThreadPoolExecutor(8) as pool:  # one route is deliberately slow
            status = dict(zip(plain, pool.map(lambda t: _resolve(srv.port, t), plain), strict=True))

    problems = []
    for target, linking in targets.items():
        if "#" in target:
            page, frag = target.split("#", 1)
            ok = page in PAGES and bool(PAGES[page].xpath(f'//*[@id="{frag}" or @name="{frag}"]'))
        else:
            ok = status[target] == 200
        for src in linking:
            planted = (src, target) in defects
            if ok == planted:
                problems.append((src, target, status.get(target), "planted but works" if planted else "broken"))
    assert not problems, problems

    # each planted link status is what the manifest says
    for (_src, target), d in defects.items():
        want = d["key"].get("status")
        if target.startswith("/") and "#" not in target and want is not None:
            assert status[target] == want, (target, status[target])
    # external links: few, realistic, and the broken ones are listed
    hosts = {urlsplit(u).hostname for u in external}
    assert hosts <= {"www.bsmi.gov.tw", "law.moj.gov.tw", "accessibility.moda.gov.tw", "www.google.com",
                     "www.old-agency.invalid", "127.0.0.1"}, hosts
    assert {"http://www.old-agency.invalid/commodity/query.asp", "http://127.0.0.1:9/declare/"} <= external


def test_robots_disallows_linked_admin():
    assert "Disallow: /admin/" in (SITE / "robots.txt").read_text(encoding="utf-8")
    assert any("/admin/" in h for h in PAGES["/"].xpath("//a/@href"))
    assert EXPECTED["never_fetch"] == ["/admin/"]


def test_sample_site_served_shows_behaviours():
    with serve(SITE) as srv:
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        c.request("GET", "/sitemap.xml")
        xml = c.getresponse().read().decode()
        assert f"<loc>{srv.base_url}/news/7.html</loc><lastmod>2025-03-10</lastmod>" in xml
        c.request("GET", "/news/8.html")
        r = c.getresponse()
        r.read()
        assert r.getheader("Last-Modified") == "Tue, 05 Mar 2024 08:00:00 GMT"
        c.request("GET", "/privacy.html")  # dynamic CMS pages send no Last-Modified
        r = c.getresponse()
        r.read()
        assert r.getheader("Last-Modified") is None
        c.request("GET", "/calendar/?ym=202611")
        assert "ym=202612" in c.getresponse().read().decode()


# --------------------------------------------------------------------------
# the benchmark generator
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gen():
    return _load(ROOT / "bench" / "generate_site.py", "generate_site")


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def test_generator_is_deterministic(gen, tmp_path):
    a = gen.generate(tmp_path / "a", 120, seed=7)
    b = gen.generate(tmp_path / "b", 120, seed=7)
    assert a["broken"] == b["broken"]
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    gen.generate(tmp_path / "c", 120, seed=8)
    assert _digest(tmp_path / "c") != _digest(tmp_path / "a")


def test_generator_sizes_links_and_connectivity(gen, tmp_path):
    n = 300
    info = gen.generate(tmp_path, n, seed=1)
    html = {("/" + p.relative_to(tmp_path).as_posix()).replace("index.html", ""): p
            for p in tmp_path.rglob("*.html")}
    assert info["pages"] == len(html) == n
    content = [p.stat().st_size for k, p in html.items() if not k.endswith("/")]
    assert min(content) >= 20_000 and max(content) <= 40_000, (min(content), max(content))
    assert len(info["broken"]) == n // 100
    assert json.loads((tmp_path / "_expected_broken.json").read_text(encoding="utf-8")) == info["broken"]

    broken_targets = {b["target"] for b in info["broken"]}
    seen, queue, dangling = {"/"}, deque(["/"]), set()
    menu_sizes = []
    while queue:
        path = queue.popleft()
        doc = lxml.html.document_fromstring(html[path].read_text(encoding="utf-8"))
        menu_sizes.append(len(doc.xpath('//nav[@class="mainmenu"]//a')))
        meta = {m.get("name") for m in doc.xpath("//meta[@name]")}
        assert {"DC.Title", "DC.Date", "Category.Theme", "Category.Service"} <= meta
        for href in doc.xpath("//a/@href"):
            t = urlsplit(urljoin("http://x" + path, href)).path
            if t in html:
                if t not in seen:
                    seen.add(t)
                    queue.append(t)
            elif not (tmp_path / t.lstrip("/")).is_file():
                dangling.add(t)
    assert seen == set(html), "every page reachable from /"
    assert dangling == broken_targets
    assert min(menu_sizes) >= 140
