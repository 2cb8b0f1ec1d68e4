"""Links: which targets a page links to, and which of them are broken.

SPEC "Output files / Finding" rows `link.broken`, `link.unreachable`,
`link.anchor-missing`.  `extract_links` is also what the spider follows, so
the crawl and the check agree on what a page links to.  The network outcome of
each target arrives as a `LinkResult` in `ctx.link_results`; this module only
judges.  A broken target is reported once per page linking to it.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator, NamedTuple
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from lxml import etree
from w3lib.url import safe_url_string

from checks.model import CheckContext, Finding, Page, Rule, Severity

CHECK = "links"

RULES = (
    Rule("link.broken", CHECK, Severity.error, "失效連結",
         "修正或移除連結：目標已不存在（4xx）、主機不存在、拒絕連線、憑證錯誤或重新導向迴圈。"
         "若檔案已搬移，請改連到新位置。"),
    Rule("link.unreachable", CHECK, Severity.warning, "連結暫時無法連線",
         "目標伺服器回應 5xx、429 或逾時（已重試）。可能是暫時性問題：請稍後再確認，若持續發生請改連結或聯絡對方網站。"),
    Rule("link.anchor-missing", CHECK, Severity.warning, "錨點不存在",
         "連結指向頁面中的 #錨點，但目標頁沒有該 id 或 name 的元素：請修正錨點名稱或在目標頁加上 id。"),
)

# Schemes that are not fetched (SPEC: mailto:, tel:, javascript:, data:).
_SKIP_SCHEMES = {"mailto", "tel", "javascript", "data", "sms", "fax", "about", "blob", "callto"}

# (tag, attribute) pairs whose value is a link target.  `link` is handled apart:
# only stylesheets and icons are resources a page needs.
_LINK_ATTRS = (
    ("a", "href"), ("area", "href"), ("img", "src"), ("script", "src"), ("iframe", "src"),
    ("frame", "src"), ("source", "src"), ("embed", "src"), ("object", "data"), ("video", "src"),
    ("video", "poster"), ("audio", "src"), ("track", "src"), ("input", "src"),
)
_SRCSET_TAGS = ("img", "source")
_LINK_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "manifest"}
_REFRESH_RE = re.compile(r"^\s*\d*\s*[;,]?\s*(?:url\s*=\s*)?['\"]?([^'\"]+)", re.I)

# Elements whose targets are resources (checked, never crawled as pages).
RESOURCE_ELEMENTS = frozenset({"img", "script", "link", "source", "embed", "object", "video", "audio", "track", "input"})


class Link(NamedTuple):
    """One link on a page (a NamedTuple: pages carry ~150 of them)."""

    target: str  # absolute, with fragment if any
    url: str  # absolute, fragment removed: the thing fetched
    element: str  # a, img, link, meta-refresh, ...
    fragment: str = ""

    @property
    def is_resource(self) -> bool:
        return self.element in RESOURCE_ELEMENTS


def normalize_url(raw: str, base: str) -> tuple[str, str] | None:
    """Absolute URL without fragment, and the fragment; None if not fetchable.

    Pages of a government site repeat the same large menu: the same hrefs
    resolve the same way from every page, so results are cached by what the
    resolution actually depends on (the origin for /path links, the
    directory for relative ones)."""
    raw = raw.strip()
    if raw.startswith(("http://", "https://")):
        return _normalize(raw, "")
    if raw.startswith("/") and not raw.startswith("//"):
        return _normalize(raw, base[: base.find("/", base.find("//") + 2)] if "//" in base else base)
    if raw and raw[0] not in "?#;" and "?" not in base and base.count("/") >= 3:
        return _normalize(raw, base[: base.rfind("/") + 1])
    return _normalize(raw, base)


@lru_cache(maxsize=100_000)
def _normalize(raw: str, base: str) -> tuple[str, str] | None:
    if not raw or raw.startswith("#") and len(raw) == 1:
        return None
    scheme = raw.split(":", 1)[0].lower() if ":" in raw[:12] else ""
    if scheme in _SKIP_SCHEMES:
        return None
    absolute = urljoin(base, raw)
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https", "file"):
        return None
    path, query = strip_session_ids(parts.path or "/", parts.query)
    url = safe_url_string(urlunsplit((parts.scheme, parts.netloc, path, query, "")))
    return url, parts.fragment


# Session ids make every visit a new URL space (a crawler trap); the same page
# with another id is the same page.  `sid` alone is too common a name for
# other things, so it only counts when the value looks like a token.
_SESSION_PATH_RE = re.compile(r";(?:jsessionid|phpsessid|sessionid|sid)=[^/?#;]*", re.I)
_SESSION_PARAMS = {"jsessionid", "phpsessid", "sessionid", "session_id", "cfid", "cftoken", "aspsessionid"}
_TOKEN_RE = re.compile(r"^[0-9A-Za-z_-]{16,}$")


def strip_session_ids(path: str, query: str) -> tuple[str, str]:
    path = _SESSION_PATH_RE.sub("", path)
    if query:
        kept = []
        for pair in query.split("&"):
            name, _, value = pair.partition("=")
            lname = name.lower()
            if lname in _SESSION_PARAMS or lname.startswith("aspsessionid"):
                continue
            if lname in ("sid", "s") and _TOKEN_RE.match(value):
                continue
            kept.append(pair)
        query = "&".join(kept)
    return path, query


def _srcset_urls(value: str) -> Iterator[str]:
    for candidate in value.split(","):
        bits = candidate.strip().split()
        if bits:
            yield bits[0]


# Only the elements that can carry a link, found by lxml in C rather than a
# Python loop over every element of a 30 KB page.
_LINK_XPATH = etree.XPath(
    "//a[@href] | //area[@href] | //img[@src or @srcset] | //script[@src] | //iframe[@src] | //frame[@src]"
    " | //source[@src or @srcset] | //embed[@src] | //object[@data] | //video[@src or @poster] | //audio[@src]"
    " | //track[@src] | //input[@src] | //link[@href] | //meta[@http-equiv]"
)
_ATTRS_BY_TAG: dict[str, tuple[str, ...]] = {}
for _t, _a in _LINK_ATTRS:
    _ATTRS_BY_TAG[_t] = _ATTRS_BY_TAG.get(_t, ()) + (_a,)


def extract_links(page: Page) -> list[Link]:
    """Every link target on the page, in document order, duplicates kept out.

    Computed once per page (the spider, the links check and the reports all
    ask)."""
    cached = page.memo.get("links")
    if cached is not None:
        return cached
    tree = page.tree
    base = page.url
    base_el = tree.find(".//base[@href]")
    if base_el is not None:
        base = urljoin(page.url, base_el.get("href", "").strip())
    seen: set[tuple[str, str]] = set()
    out: list[Link] = []

    def add(raw: str | None, element: str) -> None:
        if raw is None:
            return
        norm = normalize_url(raw, base)
        if norm is None:
            return
        url, frag = norm
        target = f"{url}#{frag}" if frag else url
        if (target, element) in seen:
            return
        seen.add((target, element))
        out.append(Link(target, url, element, frag))

    for el in _LINK_XPATH(tree):
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        for attr in _ATTRS_BY_TAG.get(tag, ()):
            add(el.get(attr), tag)
        if tag in _SRCSET_TAGS and el.get("srcset"):
            for u in _srcset_urls(el.get("srcset", "")):
                add(u, tag)
        if tag == "link":
            rels = set((el.get("rel") or "").lower().split())
            if rels & _LINK_RELS:
                add(el.get("href"), "link")
        elif tag == "meta" and (el.get("http-equiv") or "").lower() == "refresh":
            m = _REFRESH_RE.match(el.get("content") or "")
            if m and "url" in (el.get("content") or "").lower():
                add(m.group(1), "meta-refresh")
    page.memo["links"] = out
    return out


# What a #fragment may point at (HTML's "indicated part of the document"):
# any element's id, or the name of an <a>.
_ANCHORS_XPATH = etree.XPath("//@id | //a/@name")


def page_anchors(page: Page) -> frozenset[str]:
    """ids and <a name> of a page: what a #fragment may point at."""
    cached = page.memo.get("anchors")
    if cached is None:
        cached = page.memo["anchors"] = frozenset(str(v) for v in _ANCHORS_XPATH(page.tree) if v)
    return cached


_STATUS_ZH = {
    "dns": "找不到主機（DNS）",
    "refused": "連線被拒",
    "timeout": "連線逾時",
    "tls": "TLS／SSL 憑證錯誤",
    "redirect-loop": "重新導向迴圈",
    "too-many-redirects": "重新導向次數過多",
    "error": "連線錯誤",
}


def describe_status(status: int | str) -> str:
    if isinstance(status, int):
        return f"HTTP {status}"
    return _STATUS_ZH.get(status, str(status))


# Fragments a browser always resolves without an element (HTML "top" rule)
# and script-routing fragments: not anchors to judge.
def _judgeable_fragment(fragment: str) -> bool:
    return bool(fragment) and fragment.lower() != "top" and not fragment.startswith(("!", "/", ":~:"))


def check(page: Page, ctx: CheckContext) -> Iterator[Finding]:
    reported: set[str] = set()
    own_anchors: frozenset[str] | None = None
    own_url = page.url.split("#", 1)[0]
    for link in extract_links(page):
        if link.url == own_url and link.fragment:
            # same-page anchor: judged from the page itself
            if own_anchors is None:
                own_anchors = page_anchors(page)
            result_anchors: frozenset[str] | None = own_anchors
            result = None
        else:
            result = ctx.link_results.get(link.url)
            if result is None:
                continue
            result_anchors = result.anchors
            if result.outcome in ("broken", "unreachable"):
                if link.url in reported:
                    continue
                reported.add(link.url)
                detail = {"target": link.url, "status": result.status, "element": link.element}
                if result.redirects:
                    detail["redirects"] = list(result.redirects)
                if result.error:
                    detail["error"] = result.error
                if result.outcome == "broken":
                    yield page.finding(CHECK, "link.broken", Severity.error,
                                       f"失效連結：{link.url}（{describe_status(result.status)}）", **detail)
                else:
                    yield page.finding(CHECK, "link.unreachable", Severity.warning,
                                       f"連結暫時無法連線：{link.url}（{describe_status(result.status)}，已重試）",
                                       **detail)
                continue
            if result.outcome != "ok":
                continue
        if not _judgeable_fragment(link.fragment) or result_anchors is None:
            continue
        if link.target in reported:
            continue
        frag = unquote(link.fragment)
        if frag in result_anchors or link.fragment in result_anchors:
            continue
        reported.add(link.target)
        yield page.finding(CHECK, "link.anchor-missing", Severity.warning,
                           f"錨點不存在：{link.target}（目標頁沒有 id 或 name 為「{frag}」的元素）",
                           target=link.target, element=link.element)
