"""Site-level checks, once per crawl: what a 無障礙標章 reviewer looks at.

SPEC rule table rows `site.*`: the badge at the bottom of the home page
(`site.badge`), the `:::` 導盲磚 accesskeys on every page
(`site.accesskeys`), the 網站導覽 page listing them (`site.sitemap-page`),
browsing by the three classifications (`site.category-browse`), site search
(`site.search`), the privacy policy (`site.privacy`) and 政府資訊公開
(`site.open-info`).

How government templates do it, and so what the heuristics read:

- badge: `<a href="https://accessibility.moda.gov.tw/Applications/Detail?category=…"
  title="無障礙網站"><img src="…/accessibilityAA.jpg" width="88" height="31"
  alt="通過AA檢測等級無障礙網頁檢測"></a>` (older: handicap-free.nat.gov.tw,
  `free-A.jpg`, "通過A+等級…": A+ is the old priority 2, i.e. AA).  An image
  is a badge when it links to one of those hosts, or its alt speaks of
  無障礙 with 標章/檢測/等級 (English: accessibility), or its file name is
  the badge's.  Reasons: `missing`, `bad-link` (not linked to the MODA badge
  page), `resized` (width/height other than 88×31), `level-below-target`
  (the alt names a level below `[accessibility] level`, or none).
- accesskeys: `<a href="#C" id="C" accesskey="C" title="中央內容區塊">:::</a>`
  at the start of each area (U 上方, C 中央, Z 下方, often also L/R/S), and a
  「跳到主要內容」 link as the first focusable element.  The site's set is
  `[accessibility] accesskeys`, else the keys more than half of the pages
  carry; every page that lacks one (`missing`), points one at a target that
  is not on the page (`orphan`) or does not start with the skip link (or a
  `:::` anchor) gets a finding.  A site with no accesskeys at all gets one
  finding on the home page, missing U, C, Z.
- 網站導覽: a link from the home page whose text, title or image alt is
  網站導覽 / 網站地圖 / Site Map (or `[accessibility] sitemap_page`); the
  page must name each key in use with its area (Alt+U 上方功能區塊 …, in
  text or a table) and the Firefox note (Shift+Alt+key).
- 主題/施政/服務 browsing: links or headings such as 主題分類, 施政分類,
  服務分類, 依主題… (English: by theme / administration / service), on the
  home page or on a 分類檢索 page it links to.
- search: a search form (type=search, or a field named/titled 搜尋, 查詢,
  keyword, q) or a 全站搜尋 / Search link; privacy: 隱私權(保護)政策 /
  Privacy; open information: 政府資訊公開 / 資訊公開 / Government
  Information.  Where a site words them differently, `[accessibility]
  privacy_page`, `open_info_page`, `search_page`, `theme_page`, `cake_page`,
  `service_page` name the page; the home page must link to it.

API (pure): `page_site_facts(page)` gives a small JSON-serialisable dict per
page (the integrator collects them while judging, without keeping trees);
`site_findings(home, facts, sitemap_page, settings)` judges the site once;
`sitemap_link(home, settings)` tells which linked page is the 網站導覽 page
(fetched by the crawl as a page linked from the home page).
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree

from checks import a11y_spec
from checks.model import CheckSettings, Finding, Rule, Severity
from checks.page import Page, is_hidden, tag_of

CHECK = "site"

RULES: tuple[Rule, ...] = (
    Rule("site.badge", CHECK, Severity.warning, "首頁無障礙標章",
         "在首頁下方放置無障礙標章：88×31 的標章圖片，alt 寫明通過的等級（例如「通過AA檢測等級無障礙網頁檢測」），"
         "並連結到數位發展部無障礙網路空間服務網（accessibility.moda.gov.tw）的標章頁。",
         detail=("reason",), fix_key="reason", fixes={
             "missing": "在首頁下方放置取得的無障礙標章（88×31 圖片），alt 寫明等級，"
                        "並連結到 accessibility.moda.gov.tw 的標章頁。",
             "bad-link": "標章圖片須連結到數位發展部無障礙網路空間服務網（accessibility.moda.gov.tw）"
                         "上本網站的標章頁。",
             "resized": "標章圖片請以原尺寸 88×31 像素呈現，不要縮放。",
             "level-below-target": "標章的 alt 須寫明取得的等級；等級低於目標時，請依目標等級重新申請檢測並更新標章。",
         }),
    Rule("site.accesskeys", CHECK, Severity.warning, "導盲磚（:::）快速鍵",
         "每頁都放置相同的導盲磚：各區塊開頭以 "
         "<a href=\"#C\" id=\"C\" accesskey=\"C\" title=\"中央內容區塊\">:::</a> 標示"
         "（常用 U 上方、C 中央、Z 下方），鏈結目標須存在，並以「跳到主要內容」鏈結作為網頁第一個可聚焦的元素。",
         detail=("missing", "orphan", "skip_first")),
    Rule("site.sitemap-page", CHECK, Severity.warning, "網站導覽頁",
         "首頁須連結「網站導覽」頁，列出網站使用的快速鍵與其區塊（例如 Alt+U：上方功能區塊），"
         "並說明 Firefox 瀏覽器請按 Shift+Alt+快速鍵。",
         detail=("reason", "target", "missing"), fix_key="reason", fixes={
             "missing": "在首頁（通常在頁首或頁尾）加上「網站導覽」鏈結，連到說明網站架構與快速鍵的網頁。",
             "unavailable": "確認網站導覽頁可以開啟，再重新檢測。",
             "no-accesskeys": "在網站導覽頁列出每個快速鍵與其區塊，例如「Alt+U：上方功能區塊」「Alt+C：中央內容區塊」"
                              "「Alt+Z：下方功能區塊」。",
             "no-firefox-note": "在網站導覽頁說明：使用 Firefox 瀏覽器時，快速鍵為 Shift+Alt+快速鍵字母"
                                "（例如 Shift+Alt+C）。",
         }),
    Rule("site.category-browse", CHECK, Severity.warning, "分類檢索（主題、施政、服務）",
         "首頁提供依主題分類、施政分類與服務分類瀏覽網頁的分類檢索功能（依行政機關電子資料流通詮釋資料及分類檢索規範）。",
         detail=("missing",)),
    Rule("site.search", CHECK, Severity.notice, "全站查詢",
         "在首頁提供全站搜尋（全站查詢）功能。"),
    Rule("site.privacy", CHECK, Severity.warning, "隱私權保護政策",
         "在首頁（通常在頁尾）提供「隱私權保護政策」鏈結。"),
    Rule("site.open-info", CHECK, Severity.notice, "政府資訊公開",
         "在首頁提供「政府資訊公開」鏈結（依政府資訊公開法主動公開的資訊）。"),
)
_RULE = {r.id: r for r in RULES}

DEFAULT_KEYS = ("U", "C", "Z")
BADGE_HOSTS = ("accessibility.moda.gov.tw", "handicap-free.nat.gov.tw")
BADGE_SIZE = (88, 31)

_SKIP_TEXT = re.compile(r"跳到|跳至|跳過|略過|前往主要|主要內容|中央內容|skip|main\s*content|go\s*to\s*content", re.I)
_SITEMAP_TEXT = re.compile(r"網站導覽|網站地圖|網站導航|網站架構|site\s*map", re.I)
_PRIVACY_TEXT = re.compile(r"隱私權|隱私政策|個人資料保護|個資保護|privacy", re.I)
_OPEN_INFO_TEXT = re.compile(r"政府資訊公開|資訊公開|主動公開|government\s+information|information\s+disclosure|"
                             r"open\s+government", re.I)
_SEARCH_TEXT = re.compile(r"全站(?:搜尋|查詢|檢索)|站內(?:搜尋|查詢)|網站(?:搜尋|查詢)|進階(?:搜尋|查詢)|"
                          r"^\s*(?:搜尋|查詢)\s*$|"
                          r"^\s*search\s*$|site\s*search", re.I)
_SEARCH_FIELD = re.compile(r"search|query|keyword|kw|搜尋|查詢|關鍵字|^q$|^s$", re.I)
CATEGORIES = {
    "theme": ("主題", re.compile(r"主題\s*(?:分類|類別|檢索|瀏覽)|依\s*主題|by\s+(?:theme|topic)|"
                               r"theme\s+categor", re.I)),
    "cake": ("施政", re.compile(r"施政\s*(?:分類|類別|檢索|瀏覽)|依\s*施政|by\s+(?:administration|policy)|"
                              r"administrative\s+categor", re.I)),
    "service": ("服務", re.compile(r"服務\s*(?:分類|類別|檢索|瀏覽)|依\s*服務|by\s+service|service\s+categor", re.I)),
}
_CATEGORY_PAGE = re.compile(r"分類檢索|分類瀏覽|categor(?:y|ies)\s+(?:browse|search)", re.I)
_LEVEL_IN_ALT = re.compile(r"(?<![A-Za-z])(AAA|AA|A\s*\+|A)(?![A-Za-z])")
_LEVEL_IN_SRC = re.compile(r"(AAA|AA|Aplus|A\+|A)[^/]*?\.(?:jpe?g|png|gif|svg|webp)$", re.I)
_BADGE_ALT = re.compile(r"無障礙.*(?:標章|檢測|等級)|(?:標章|檢測|等級).*無障礙|"
                        r"accessib\w*.*(?:AAA|AA|\bA\b|level|badge|test)",
                        re.I)
_BADGE_SRC = re.compile(r"accessibility(?:A{1,3}|plus)?\.|free-?a(?:plus|a{0,2})?\.|handicap|aplus\.", re.I)
_FOCUSABLE = frozenset({"a", "area", "button", "input", "select", "textarea", "iframe", "summary"})


# ---- links of a page, with every text a person or screen reader gets ---------------

def _link_items(page: Page) -> list[tuple[str, str]]:
    """(text, absolute URL without fragment) of each <a>/<area>: its text,
    image alts, title and aria-label joined."""
    out: list[tuple[str, str]] = []
    base = page.base_url
    for a in page.tree.iter("a", "area"):
        bits = ["".join(a.itertext()), a.get("title") or "", a.get("aria-label") or "", a.get("alt") or ""]
        bits.extend(img.get("alt") or "" for img in a.iter("img"))
        text = " ".join(" ".join(bits).split())
        href = (a.get("href") or "").strip()
        try:
            url = urldefrag(urljoin(base, href))[0] if href and not href.startswith("#") else ""
        except ValueError:
            url = ""
        out.append((text, url))
    return out


def _same_url(a: str, b: str) -> bool:
    def norm(u: str) -> str:
        p = urlsplit(u)
        return f"{(p.hostname or '').lower()}{p.path.rstrip('/') or '/'}?{p.query}"
    return bool(a and b) and norm(a) == norm(b)


def _configured(settings: CheckSettings, kind: str, home: Page) -> str:
    raw = (getattr(settings, "site_pages", {}) or {}).get(kind, "")
    if not raw:
        return ""
    try:
        return urldefrag(urljoin(home.url, raw))[0]
    except ValueError:
        return ""


# ---- per-page facts ---------------------------------------------------------------------

def page_site_facts(page: Page) -> dict[str, Any]:
    """The small facts of one page the site checks need (JSON-serialisable):
    url, section, unit; `accesskeys` {KEY: {"title", "target", "exists"}} in
    document order; `skip_first` (the first focusable element is a skip link
    or a `:::` anchor) and `first` (its text, for the message);
    `categories` (of theme, cake, service) this page offers browsing by;
    `redirect` (a meta-refresh stub: left out of the site's pages)."""
    keys: dict[str, dict[str, Any]] = {}
    anchors = page.anchors
    for el in page.tree.iterfind(".//*[@accesskey]"):
        value = (el.get("accesskey") or "").strip()
        if not value:
            continue
        key = value.split()[0][:1].upper()
        if key in keys:
            continue
        href = (el.get("href") or "").strip() if tag_of(el) in ("a", "area") else ""
        target = href[1:] if href.startswith("#") else ""
        exists = True
        if target:
            exists = target in anchors or _unquoted(target) in anchors
        keys[key] = {"title": " ".join((el.get("title") or "").split())[:60], "target": target, "exists": exists}
    first, skip_first = _first_focusable(page)
    return {
        "url": page.url,
        "section": page.section,
        "unit": page.unit,
        # a <meta http-equiv=refresh> way station carries no template
        "redirect": any((m.get("http-equiv") or "").strip().lower() == "refresh" for m in page.tree.iter("meta")),
        "accesskeys": keys,
        "skip_first": skip_first,
        "first": first,
        "categories": _categories(page),
    }


def _unquoted(fragment: str) -> str:
    from urllib.parse import unquote

    return unquote(fragment)


def _first_focusable(page: Page) -> tuple[str, bool]:
    """(text of the first element a keyboard reaches, whether it is a skip
    link or an accesskey anchor).  Subtrees hidden by the markup are left
    out: they take no focus."""
    stack = list(reversed(page.body))
    while stack:
        el = stack.pop()
        tag = tag_of(el)
        if not tag or tag == "template" or is_hidden(el):
            continue
        tabindex = (el.get("tabindex") or "").strip()
        focusable = not tabindex.startswith("-") and (
            (tag in ("a", "area") and el.get("href") is not None)
            or (tag in _FOCUSABLE and tag not in ("a", "area") and (el.get("type") or "").lower() != "hidden")
            or tabindex.isdigit())
        if focusable:
            text = " ".join("".join(el.itertext()).split()) or " ".join((el.get("title") or "").split())
            href = (el.get("href") or "").strip()
            in_page = href.startswith("#") and len(href) > 1
            skip = in_page and (bool(_SKIP_TEXT.search(text)) or el.get("accesskey") is not None
                                or text.strip() == ":::")
            return text[:60], skip
        stack.extend(reversed(el))
    return "", False


_TITLES = etree.XPath("//a/@title | //area/@alt | //a//img/@alt")


def _categories(page: Page) -> list[str]:
    """The classifications the page offers browsing by: its visible text
    (link texts, headings, legends — cached and shared with other checks)
    and its links' titles and image alts."""
    text = page.visible_text + "\n" + "\n".join(str(t) for t in _TITLES(page.tree))
    return [kind for kind, (_zh, pattern) in CATEGORIES.items() if pattern.search(text)]


# ---- the site findings -------------------------------------------------------------

def sitemap_link(home: Page, settings: CheckSettings) -> str | None:
    """The URL of the 網站導覽 page: `[accessibility] sitemap_page`, else the
    first home-page link whose text, title or image alt says 網站導覽 /
    網站地圖 / Site Map (an XML sitemap is not the page)."""
    configured = _configured(settings, "sitemap", home)
    if configured:
        return configured
    for text, url in _link_items(home):
        if url and _SITEMAP_TEXT.search(text) and not urlsplit(url).path.lower().endswith(".xml"):
            return url
    return None


def site_findings(home: Page, pages: Iterable[Mapping[str, Any]], sitemap_page: Page | None,
                  settings: CheckSettings) -> list[Finding]:
    """Every site.* finding of the run.  `pages`: `page_site_facts` of each
    HTML page audited (the home page's are computed if absent);
    `sitemap_page`: the page at `sitemap_link(home, settings)` (None when
    there is no such link, or it could not be fetched)."""
    facts = [dict(f) for f in pages if not f.get("redirect")]
    if not any(f.get("url") == home.url for f in facts):
        facts.insert(0, page_site_facts(home))
    links = _link_items(home)
    found: list[Finding] = []
    found.extend(_badge(home, settings))
    expected = _expected_keys(facts, settings)
    found.extend(_accesskeys(home, facts, expected))
    found.extend(_sitemap(home, sitemap_page, settings, expected, links))
    found.extend(_category(home, facts, settings, links))
    found.extend(_simple(home, settings, links))
    return found


# -- badge

def _level_of(text: str) -> str:
    levels = [m.group(1).replace(" ", "") for m in _LEVEL_IN_ALT.finditer(text)]
    if not levels:
        return ""
    best = max(levels, key=lambda lv: _level_rank(lv))
    return "AA" if best == "A+" else best


def _level_rank(level: str) -> int:
    return {"A": 1, "A+": 2, "AA": 2, "AAA": 3}.get(level, 0)


def _badge_candidates(home: Page) -> list[etree._Element]:
    out = []
    for img in home.tree.iter("img"):
        alt = img.get("alt") or ""
        src = img.get("src") or ""
        a = next(img.iterancestors("a"), None)
        host = _host(a.get("href") or "", home) if a is not None else ""
        if (host and host.endswith(BADGE_HOSTS)) or _BADGE_ALT.search(alt) or _BADGE_SRC.search(src.rsplit("/", 1)[-1]):
            out.append(img)
    return out


def _host(href: str, home: Page) -> str:
    try:
        return (urlsplit(urljoin(home.base_url, href.strip())).hostname or "").lower()
    except ValueError:
        return ""


def _badge_problems(img: etree._Element, home: Page, target: str) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    a = next(img.iterancestors("a"), None)
    host = _host(a.get("href") or "", home) if a is not None else ""
    if not host.endswith(BADGE_HOSTS):
        problems.append(("bad-link", "無障礙標章未連結到數位發展部無障礙網路空間服務網的標章頁"
                         + (f"（連到 {host}）" if host else "")))
    size = _size(img)
    if size is not None and size != BADGE_SIZE:
        problems.append(("resized", f"無障礙標章圖片被縮放為 {size[0]}×{size[1]}（原尺寸 88×31）"))
    level = _level_of(img.get("alt") or "")
    if not level:
        problems.append(("level-below-target", "無障礙標章的替代文字未寫明等級"))
    elif a11y_spec.LEVEL_ORDER[level] < a11y_spec.LEVEL_ORDER.get(target, 2):
        problems.append(("level-below-target", f"無障礙標章等級為 {level}，低於目標等級 {target}"))
    return problems


def _size(img: etree._Element) -> tuple[int, int] | None:
    def px(value: str) -> int | None:
        m = re.match(r"^\s*(\d+)(?:\.\d+)?\s*(?:px)?\s*$", value or "")
        return int(m.group(1)) if m else None

    style = img.get("style") or ""
    w = px(img.get("width") or "") or px(_style_value(style, "width"))
    h = px(img.get("height") or "") or px(_style_value(style, "height"))
    if w is None and h is None:
        return None
    return (w if w is not None else BADGE_SIZE[0], h if h is not None else BADGE_SIZE[1])


def _style_value(style: str, prop: str) -> str:
    m = re.search(rf"(?:^|;)\s*{prop}\s*:\s*([^;]+)", style, re.I)
    return m.group(1).strip() if m else ""


def _badge(home: Page, settings: CheckSettings) -> Iterator[Finding]:
    target = getattr(settings, "a11y_level", a11y_spec.DEFAULT_LEVEL)
    candidates = _badge_candidates(home)
    if not candidates:
        yield home.finding(CHECK, "site.badge", _RULE["site.badge"].severity,
                           "首頁沒有無障礙標章", reason="missing")
        return
    judged = [_badge_problems(img, home, target) for img in candidates]
    best = min(judged, key=len)
    for reason, message in best:
        yield home.finding(CHECK, "site.badge", _RULE["site.badge"].severity, message, reason=reason)


# -- accesskeys

def _order(keys: Iterable[str]) -> list[str]:
    rank = {k: i for i, k in enumerate(DEFAULT_KEYS)}
    return sorted(set(keys), key=lambda k: (rank.get(k, 9), k))


def _expected_keys(facts: list[dict[str, Any]], settings: CheckSettings) -> list[str]:
    configured = [k.upper() for k in getattr(settings, "site_accesskeys", ()) or ()]
    if configured:
        return _order(configured)
    counts: Counter[str] = Counter(k for f in facts for k in (f.get("accesskeys") or {}))
    return _order(k for k, n in counts.items() if n * 2 > len(facts))


def _accesskeys(home: Page, facts: list[dict[str, Any]], expected: list[str]) -> Iterator[Finding]:
    rule = _RULE["site.accesskeys"]
    if not expected:
        yield home.finding(CHECK, "site.accesskeys", rule.severity,
                           "網站沒有導盲磚（accesskey 快速鍵）：缺少 U、C、Z",
                           missing=list(DEFAULT_KEYS), orphan=[], skip_first=_first_focusable(home)[1])
        return
    for f in facts:
        keys: Mapping[str, Mapping[str, Any]] = f.get("accesskeys") or {}
        missing = [k for k in expected if k not in keys]
        orphan = _order(k for k, v in keys.items() if not v.get("exists", True))
        skip_first = bool(f.get("skip_first"))
        if not missing and not orphan and skip_first:
            continue
        parts = []
        if missing:
            parts.append(f"缺少導盲磚快速鍵 {'、'.join(missing)}")
        if orphan:
            targets = "、".join(f"{k}（#{keys[k].get('target')}）" for k in orphan)
            parts.append(f"快速鍵的目標不存在：{targets}")
        if not skip_first:
            first = f.get("first") or ""
            parts.append("第一個可聚焦的元素不是「跳到主要內容」鏈結" + (f"（而是「{first}」）" if first else ""))
        yield Finding(str(f.get("url") or ""), CHECK, "site.accesskeys", rule.severity, "；".join(parts),
                      str(f.get("section") or ""), str(f.get("unit") or ""),
                      {"missing": missing, "orphan": orphan, "skip_first": skip_first})


# -- 網站導覽

def _sitemap(home: Page, page: Page | None, settings: CheckSettings, expected: list[str],
             links: list[tuple[str, str]]) -> Iterator[Finding]:
    rule = _RULE["site.sitemap-page"]
    url = sitemap_link(home, settings)
    configured = _configured(settings, "sitemap", home)
    if url is None or (configured and not any(_same_url(u, configured) for _, u in links)):
        yield home.finding(CHECK, "site.sitemap-page", rule.severity,
                           f"首頁沒有連結設定的網站導覽頁：{configured}" if configured
                           else "首頁沒有連結網站導覽頁",
                           reason="missing", target=configured or "", missing=[])
        return
    if page is None:
        yield home.finding(CHECK, "site.sitemap-page", rule.severity, f"網站導覽頁無法讀取：{url}",
                           reason="unavailable", target=url, missing=[])
        return
    text = page.visible_text
    if expected:
        absent = [k for k in expected if not _lists_key(text, k)]
        if absent:
            yield home.finding(CHECK, "site.sitemap-page", rule.severity,
                               f"網站導覽頁未說明快速鍵 {'、'.join(absent)} 與其區塊：{url}",
                               reason="no-accesskeys", target=url, missing=absent)
        if not re.search(r"shift\s*[+＋]\s*alt|alt\s*[+＋]\s*shift|firefox", text, re.I):
            yield home.finding(CHECK, "site.sitemap-page", rule.severity,
                               f"網站導覽頁未說明 Firefox 瀏覽器的快速鍵用法（Shift+Alt+快速鍵）：{url}",
                               reason="no-firefox-note", target=url, missing=[])


_AREA_AFTER = re.compile(r"[\u4e00-\u9fff]{2}|[A-Za-z]{3}")


def _lists_key(text: str, key: str) -> bool:
    """Does the text name the key with an area: "Alt+U：上方功能區塊",
    "U：上方…", a table row "Alt+U | 上方功能區塊", "Alt + U: header"?"""
    k = re.escape(key)
    patterns = (rf"alt\s*[+＋]\s*(?:shift\s*[+＋]\s*)?{k}(?![A-Za-z0-9])",
                rf"(?<![A-Za-z0-9+＋]){k}\s*[:：]")
    for p in patterns:
        for m in re.finditer(p, text, re.I if key.isalpha() else 0):
            after = text[m.end():m.end() + 40]
            after = re.split(r"alt\s*[+＋]", after, flags=re.I)[0]
            if _AREA_AFTER.search(after):
                return True
    return False


# -- 分類檢索

def _category(home: Page, facts: list[dict[str, Any]], settings: CheckSettings,
              links: list[tuple[str, str]]) -> Iterator[Finding]:
    home_facts = next((f for f in facts if f.get("url") == home.url), None) or page_site_facts(home)
    have = set(home_facts.get("categories") or ())
    # a 分類檢索 page linked from the home page may offer the three
    browse = [u for t, u in links if u and _CATEGORY_PAGE.search(t)]
    for f in facts:
        if any(_same_url(str(f.get("url") or ""), u) for u in browse):
            have.update(f.get("categories") or ())
    for kind in CATEGORIES:
        configured = _configured(settings, kind, home)
        if configured and any(_same_url(u, configured) for _, u in links):
            have.add(kind)
    missing = [zh for kind, (zh, _p) in CATEGORIES.items() if kind not in have]
    if missing:
        yield home.finding(CHECK, "site.category-browse", _RULE["site.category-browse"].severity,
                           f"首頁未提供依{'、'.join(missing)}分類瀏覽的分類檢索", missing=missing)


# -- search, privacy, open information

def _simple(home: Page, settings: CheckSettings, links: list[tuple[str, str]]) -> Iterator[Finding]:
    def linked(kind: str, pattern: re.Pattern[str]) -> bool:
        configured = _configured(settings, kind, home)
        if configured:
            return any(_same_url(u, configured) for _, u in links)
        return any(pattern.search(t) for t, _ in links if t)

    if not (_search_form(home) or linked("search", _SEARCH_TEXT)):
        yield home.finding(CHECK, "site.search", _RULE["site.search"].severity, "首頁沒有全站查詢（搜尋）功能")
    if not linked("privacy", _PRIVACY_TEXT):
        yield home.finding(CHECK, "site.privacy", _RULE["site.privacy"].severity, "首頁沒有「隱私權保護政策」鏈結")
    if not linked("open-info", _OPEN_INFO_TEXT):
        yield home.finding(CHECK, "site.open-info", _RULE["site.open-info"].severity, "首頁沒有「政府資訊公開」鏈結")


def _search_form(home: Page) -> bool:
    for el in home.tree.iter("input", "form"):
        if tag_of(el) == "form":
            if (el.get("role") or "").lower() == "search" or _SEARCH_FIELD.search(el.get("action") or ""):
                return True
            continue
        kind = (el.get("type") or "text").lower()
        if kind == "search":
            return True
        if kind in ("text", ""):
            hints = [el.get(a) or "" for a in ("name", "id", "title", "placeholder", "aria-label")]
            if any(_SEARCH_FIELD.search(h) for h in hints if h):
                return True
    return any(True for _ in home.tree.iterfind(".//*[@role='search']"))
