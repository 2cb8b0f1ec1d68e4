"""Site-level checks (checks/site.py) on fixture sites in government template shapes.

SPEC rule table rows `site.*`.  tests/fixtures/site/ is a small site that
follows the usual template — badge, U/C/Z `:::` accesskeys with a skip link
first, a 網站導覽 page with the key table and the Firefox note, search,
privacy, 政府資訊公開, 分類檢索 — and must get no site.* finding; each
variant below takes one piece away and must get exactly the expected
finding.  tests/fixtures/site/gip/ is a Big5-era GIP template site (bytes in
Big5, decoded as the crawler does) and tests/fixtures/site/en/ an English
home page.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from checkhelp import default_settings
from checks import site
from checks.model import Finding, Severity
from checks.page import Page

SITE = Path(__file__).parent / "fixtures" / "site"
BASE = "https://www.example.gov.tw"
_CJK = __import__("re").compile(r"[\u4e00-\u9fff]")

DETAIL_KEYS = {
    "site.badge": {"reason"},
    "site.accesskeys": {"missing", "orphan", "skip_first"},
    "site.sitemap-page": {"reason", "target", "missing"},
    "site.category-browse": {"missing"},
    "site.search": set(),
    "site.privacy": set(),
    "site.open-info": set(),
}

# file -> URL of the main fixture site
MAIN = {"index.html": "/", "sitemap.html": "/sitemap.html", "news.html": "/news.html", "about.html": "/about.html",
        "refresh.html": "/refresh.html"}
GIP = {"index.html": "/mp.asp?mp=1", "sitemap.html": "/sitemap.asp?mp=1", "category.html": "/np.asp?ctNode=20&mp=1"}


def _text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("big5")  # the crawler decodes from the header / <meta charset>


def load_site(folder: Path, urls: dict[str, str], edit: dict[str, Callable[[str], str]] | None = None) -> list[Page]:
    pages = []
    for name, path in urls.items():
        html = _text(folder / name)
        if edit and name in edit:
            new = edit[name](html)
            assert new != html, f"variant did not change {name}"
            html = new
        section = "/" if path == "/" else "/" + path.strip("/").split("/")[0].split(".")[0] + "/"
        pages.append(Page(url=BASE + path, html=html, section=section, unit="秘書室"))
    return pages


def judge(pages: list[Page], **settings: Any) -> list[Finding]:
    s = replace(default_settings(), **settings)
    home = pages[0]
    # facts travel as JSON between the crawl and the judge
    facts = [json.loads(json.dumps(site.page_site_facts(p), ensure_ascii=False)) for p in pages]
    url = site.sitemap_link(home, s)
    sitemap_page = next((p for p in pages if p.url == url), None)
    found = site.site_findings(home, facts, sitemap_page, s)
    for f in found:
        rule = site._RULE[f.rule]
        assert f.check == "site" and f.severity == rule.severity
        assert set(f.detail) == DETAIL_KEYS[f.rule], (f.rule, sorted(f.detail))
        assert _CJK.search(f.message)
        assert f.unit == "秘書室" and f.section
        f.to_json()
    return found


def keyed(found: list[Finding]) -> list[tuple]:
    out = []
    for f in found:
        d = f.detail
        if f.rule == "site.accesskeys":
            out.append((f.rule, f.url.removeprefix(BASE), tuple(d["missing"]), tuple(d["orphan"]), d["skip_first"]))
        elif f.rule == "site.sitemap-page":
            out.append((f.rule, d["reason"], tuple(d["missing"])))
        elif f.rule == "site.badge":
            out.append((f.rule, d["reason"]))
        elif f.rule == "site.category-browse":
            out.append((f.rule, tuple(d["missing"])))
        else:
            out.append((f.rule,))
    return sorted(out)


def test_template_site_gets_no_site_finding():
    assert judge(load_site(SITE, MAIN)) == []


def test_big5_gip_site_gets_no_site_finding():
    pages = load_site(SITE / "gip", GIP)
    assert "上方功能區塊" in pages[0].html  # decoded text, not bytes
    assert judge(pages) == []


def test_english_home_gets_no_site_finding():
    pages = load_site(SITE / "en", {"index.html": "/en/", "sitemap.html": "/en/sitemap.html"})
    assert judge(pages) == []


def test_facts_are_small_and_json():
    facts = site.page_site_facts(load_site(SITE, MAIN)[0])
    assert list(facts["accesskeys"]) == ["U", "C", "Z"]
    assert facts["accesskeys"]["C"] == {"title": "中央內容區塊", "target": "C", "exists": True}
    assert facts["skip_first"] is True and facts["first"] == "跳到主要內容區塊"
    assert facts["categories"] == ["theme", "cake", "service"]
    assert len(json.dumps(facts, ensure_ascii=False)) < 600


def _sub(old: str, new: str) -> Callable[[str], str]:
    return lambda html: html.replace(old, new)


BADGE = '<a href="https://accessibility.moda.gov.tw/Applications/Detail?category=20241001123456"'
VARIANTS: list[tuple[str, dict[str, Callable[[str], str]], dict[str, Any], list[tuple]]] = [
    ("badge missing", {"index.html": lambda h: h.replace(h[h.index(BADGE):h.index("</footer>")], "")}, {},
     [("site.badge", "missing")]),
    ("badge level A", {"index.html": _sub('alt="通過AA檢測', 'alt="通過A檢測')}, {},
     [("site.badge", "level-below-target")]),
    ("badge alt without level", {"index.html": _sub('alt="通過AA檢測等級無障礙網頁檢測"', 'alt="無障礙標章"')}, {},
     [("site.badge", "level-below-target")]),
    ("badge AA but AAA aimed at", {}, {"a11y_level": "AAA"}, [("site.badge", "level-below-target")]),
    ("badge bad link", {"index.html": _sub(BADGE, '<a href="/accessibility.html"')}, {},
     [("site.badge", "bad-link")]),
    ("badge resized", {"index.html": _sub('width="88" height="31"', 'width="120" height="42"')}, {},
     [("site.badge", "resized")]),
    ("Z missing on one page", {"news.html": _sub('<a href="#Z" id="Z" accesskey="Z" title="下方功能區塊">:::</a>',
                                                 "")}, {},
     [("site.accesskeys", "/news.html", ("Z",), (), True)]),
    ("C target missing", {"about.html": _sub('<a href="#C" id="C" accesskey="C"',
                                             '<a href="#Center" id="C2" accesskey="C"')},
     {}, [("site.accesskeys", "/about.html", (), ("C",), True)]),
    ("skip link not first", {"news.html": lambda h: h.replace(
        '<a href="#C" class="sr-only" title="跳到主要內容區塊">跳到主要內容區塊</a>\n<header>',
        '<header><a href="/">首頁</a>')}, {}, [("site.accesskeys", "/news.html", (), (), False)]),
    ("no accesskeys anywhere", {n: (lambda h: h.replace('accesskey="', 'data-key="')) for n in MAIN
                                if n != "refresh.html"}, {},
     [("site.accesskeys", "/", ("U", "C", "Z"), (), True)]),
    ("configured key set", {}, {"site_accesskeys": ("U", "C", "Z", "S")},
     [("site.accesskeys", p, ("S",), (), True) for p in ("/", "/about.html", "/news.html", "/sitemap.html")]
     + [("site.sitemap-page", "no-accesskeys", ("S",))]),
    ("no sitemap link", {"index.html": _sub('<li><a href="/sitemap.html" title="網站導覽">網站導覽</a></li>', "")}, {},
     [("site.sitemap-page", "missing", ())]),
    ("sitemap without Alt+Z", {"sitemap.html": lambda h: "\n".join(
        line for line in h.splitlines() if "Alt+Z" not in line)},
     {}, [("site.sitemap-page", "no-accesskeys", ("Z",))]),
    ("sitemap keys without areas", {"sitemap.html": _sub("<td>上方功能區塊，包括本站的主要連結及搜尋</td>",
                                                         "<td></td>")},
     {}, [("site.sitemap-page", "no-accesskeys", ("U",))]),
    ("sitemap without Firefox note", {"sitemap.html": lambda h: "\n".join(
        line for line in h.splitlines() if "Firefox" not in line)}, {}, [("site.sitemap-page", "no-firefox-note", ())]),
    ("no 服務分類", {"index.html": _sub('<li><a href="/category.html?type=service">服務分類</a></li>', "")}, {},
     [("site.category-browse", ("服務",))]),
    ("no category browsing", {"index.html": lambda h: h[:h.index("<h2>分類檢索</h2>")] + h[h.index("</main>"):]}, {},
     [("site.category-browse", ("主題", "施政", "服務"))]),
    ("no search", {"index.html": lambda h: h[:h.index("<form")] + h[h.index("</form>") + 7:]}, {}, [("site.search",)]),
    ("no privacy link", {"index.html": _sub('<li><a href="/privacy.html">隱私權保護政策</a></li>', "")}, {},
     [("site.privacy",)]),
    ("no open-info link", {"index.html": _sub('<li><a href="/open-info.html">政府資訊公開</a></li>', "")}, {},
     [("site.open-info",)]),
]


@pytest.mark.parametrize("name, edit, settings, expected", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_variant_gets_exactly_the_expected_finding(name, edit, settings, expected):
    assert keyed(judge(load_site(SITE, MAIN, edit), **settings)) == sorted(expected)


def test_sitemap_page_not_fetched_is_said():
    pages = [p for p in load_site(SITE, MAIN) if not p.url.endswith("/sitemap.html")]
    (f,) = judge(pages)
    assert (f.rule, f.detail["reason"]) == ("site.sitemap-page", "unavailable")
    assert f.detail["target"] == BASE + "/sitemap.html"


def test_config_names_pages_worded_differently():
    edit = {"index.html": lambda h: h.replace("隱私權保護政策", "個資聲明").replace("政府資訊公開", "公開專區")
            .replace('title="網站導覽">網站導覽', 'title="導覽">導覽')}
    pages = load_site(SITE, MAIN, edit)
    assert keyed(judge(pages)) == [("site.open-info",), ("site.privacy",), ("site.sitemap-page", "missing", ())]
    configured = {"privacy": "/privacy.html", "open-info": "/open-info.html", "sitemap": "/sitemap.html"}
    assert judge(pages, site_pages=configured) == []
    # a configured page the home page does not link to is still missing
    assert keyed(judge(pages, site_pages={**configured, "privacy": "/other.html"})) == [("site.privacy",)]


def test_category_browse_on_a_linked_page_counts():
    pages = load_site(SITE / "gip", GIP)
    home_facts = site.page_site_facts(pages[0])
    assert home_facts["categories"] == []  # the home page only links to 分類檢索
    assert judge(pages) == []
    assert keyed(judge(pages[:2])) == [("site.category-browse", ("主題", "施政", "服務"))]


def test_gip_site_keys_include_l_and_old_badge_level():
    pages = load_site(SITE / "gip", GIP)
    facts = [site.page_site_facts(p) for p in pages]
    assert list(facts[0]["accesskeys"]) == ["U", "L", "C", "Z"]
    assert site._level_of("通過A+等級無障礙網頁檢測") == "AA"
    # a GIP page that lacks L deviates from the site's set
    edit = {"category.html": lambda h: h.replace('accesskey="L"', "")}
    assert keyed(judge(load_site(SITE / "gip", GIP, edit))) == [("site.accesskeys", "/np.asp?ctNode=20&mp=1", ("L",),
                                                                 (), True)]


def test_redirect_stub_does_not_count():
    pages = load_site(SITE, MAIN)
    facts = site.page_site_facts(pages[-1])
    assert facts["redirect"] is True and facts["accesskeys"] == {}
    assert judge(pages) == []


def test_severities_and_rules():
    assert {r.id: r.severity for r in site.RULES} == {
        "site.badge": Severity.warning, "site.accesskeys": Severity.warning, "site.sitemap-page": Severity.warning,
        "site.category-browse": Severity.warning, "site.search": Severity.notice, "site.privacy": Severity.warning,
        "site.open-info": Severity.notice}
    rule = site._RULE["site.badge"]
    assert "88×31" in rule.fix_for({"reason": "resized"})
