"""One fetched page, parsed once, with the facts every check shares.

DESIGN "one page parsed once": the crawler (or `siteaudit check`) builds a
`Page`; each fact is a lazily cached property computed at most once — the
tree, the base URL, the links (element, source line, anchor text), the
malformed hrefs, the anchors, the `<meta>` values, the title and the visible
text.  Checks read them; none re-parses or re-extracts.

Parsing never fails and never drops the rest of a page:

* libxml2 with `huge_tree` keeps pages nested up to about 2,000 levels
  (without it everything past 255 levels silently vanished: links, dates,
  citations; issue 11);
* a page deeper than that (libxml2 says "Excessive depth") is parsed again
  with html5lib, which has no depth limit — slower, and only for such pages;
* every tree walk in this module is iterative, so depth is never a
  RecursionError.

Memory is bounded by the crawler's page size cap (DOWNLOAD_MAXSIZE).
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit

from lxml import etree

from checks.model import Finding, Severity
from checks.urls import Malformed, WebUrl, resolve

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_PARSER = etree.HTMLParser(recover=True, no_network=True, remove_comments=False, huge_tree=True)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")

# Elements whose targets are resources (checked, never crawled as pages).
RESOURCE_ELEMENTS = frozenset({"img", "script", "link", "source", "embed", "object", "video", "audio", "track",
                               "input"})
LINK_TEXT_LIMIT = 100


class Link(NamedTuple):
    """One link on a page (a NamedTuple: pages carry ~150 of them)."""

    target: str  # absolute, with fragment if any
    url: str  # absolute, fragment removed: the thing fetched
    element: str  # a, img, link, meta-refresh, ...
    fragment: str = ""
    line: int = 0  # source line of the element (0 = unknown)
    text: str = ""  # anchor text, or an image's alt (evidence for people)

    @property
    def is_resource(self) -> bool:
        return self.element in RESOURCE_ELEMENTS


class MalformedLink(NamedTuple):
    raw: str  # as written
    reason: str  # zh-TW
    element: str
    line: int = 0
    text: str = ""


# (tag, attribute) pairs whose value is a link target.  `link` is handled
# apart: only stylesheets and icons are resources a page needs.
_LINK_ATTRS = (
    ("a", "href"), ("area", "href"), ("img", "src"), ("script", "src"), ("iframe", "src"),
    ("frame", "src"), ("source", "src"), ("embed", "src"), ("object", "data"), ("video", "src"),
    ("video", "poster"), ("audio", "src"), ("track", "src"), ("input", "src"),
)
_SRCSET_TAGS = ("img", "source")
_LINK_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "manifest"}
_REFRESH_RE = re.compile(r"^\s*\d*\s*[;,]?\s*(?:url\s*=\s*)?['\"]?([^'\"]+)", re.I)
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
# What a #fragment may point at (HTML's "indicated part of the document"):
# any element's id, or the name of an <a>.  Two queries, not one union: a
# union is sorted into document order, which a set does not need.
_ID_XPATH = etree.XPath("//@id")
_NAME_XPATH = etree.XPath("//a/@name")

# Not visible text: never rendered, or form furniture whose text is no content.
INVISIBLE_TAGS = frozenset({"script", "style", "noscript", "template", "head", "title", "select", "textarea"})
BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "div", "dl", "dt",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "ul",
})
_HIDDEN_STYLE = re.compile(r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)\b", re.I)


def tag_of(el: Any) -> str:
    """An element's lower-case tag; "" for comments and processing instructions."""
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""


def is_hidden(el: etree._Element) -> bool:
    """Hidden by the markup itself: the `hidden` attribute or an inline
    `display:none` / `visibility:hidden` (what a check can know without CSS)."""
    if el.get("hidden") is not None:
        return True
    style = el.get("style")
    return bool(style) and _HIDDEN_STYLE.search(style) is not None


def parse_html(text: str) -> etree._Element:
    """An lxml tree for any text; never raises, never truncates (module docstring)."""
    text = _XML_DECL.sub("", text or "")  # lxml refuses str input carrying an XML declaration
    root = None
    if text.strip():
        try:
            root = etree.fromstring(text, _PARSER)
        except (etree.ParserError, etree.XMLSyntaxError, ValueError):
            root = None
        if root is not None and any("Excessive depth" in e.message for e in _PARSER.error_log):
            deep = _parse_deep(text)
            if deep is not None:
                root = deep
    if root is None:
        root = etree.fromstring("<html><body></body></html>", _PARSER)
    return root


def _parse_deep(text: str) -> etree._Element | None:
    import html5lib

    try:
        doc = html5lib.parse(text, treebuilder="lxml", namespaceHTMLElements=False)
    except Exception:  # noqa: BLE001 - a fallback parser must not take the page down
        return None
    return doc.getroot()


def iter_visible(root: etree._Element, skip: frozenset[str] = INVISIBLE_TAGS) -> Iterator[tuple[str, str]]:
    """("text", s) and ("block", tag) events over the visible part of `root`, in
    document order, iteratively (any depth).  A "block" event marks where a
    block element starts or ends, so callers can put line breaks there."""
    yield ("text", root.text or "")
    stack: list[tuple[Any, bool]] = [(child, False) for child in reversed(root)]
    while stack:
        el, closing = stack.pop()
        tag = tag_of(el)
        if closing:
            if tag in BLOCK_TAGS or tag == "br":
                yield ("block", tag)
            if el.tail:
                yield ("text", el.tail)
            continue
        if tag and (tag in skip or is_hidden(el)):
            if el.tail:
                yield ("text", el.tail)
            continue
        if not tag:  # a comment: its tail is visible text
            if el.tail:
                yield ("text", el.tail)
            continue
        if tag in BLOCK_TAGS or tag == "br":
            yield ("block", tag)
        if el.text:
            yield ("text", el.text)
        stack.append((el, True))
        stack.extend((child, False) for child in reversed(el))


_BREAKS = BLOCK_TAGS | {"br"}


def visible_text_of(root: etree._Element, skip: frozenset[str] = INVISIBLE_TAGS) -> str:
    """The text `iter_visible` would give, block boundaries as newlines, built
    with lxml's C iterator (iterwalk, any depth): the same string, in half the
    time, for the one fact every page needs."""
    parts = [root.text or ""]
    add = parts.append
    hidden = _HIDDEN_STYLE.search
    skipped: set[Any] = set()
    walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, el in walker:
        if el is root:
            continue
        if event == "start":
            tag = el.tag.lower() if isinstance(el.tag, str) else ""
            if tag in skip or el.get("hidden") is not None or ((style := el.get("style")) and hidden(style)):
                walker.skip_subtree()
                skipped.add(el)
                continue
            if tag in _BREAKS:
                add("\n")
            if el.text:
                add(el.text)
        elif event == "end":
            if el in skipped:
                skipped.discard(el)
            elif isinstance(el.tag, str) and el.tag.lower() in _BREAKS:
                add("\n")
            if el.tail:
                add(el.tail)
        elif el.tail:  # a comment or processing instruction: its tail is visible text
            add(el.tail)
    return "".join(parts)


def text_content(el: etree._Element, limit: int = LINK_TEXT_LIMIT) -> str:
    """An element's text with whitespace collapsed, cut at `limit` characters."""
    if len(el) == 0:
        # the usual menu link <a href>首頁</a>: no descendants to walk
        raw = el.text or ""
        text = raw if raw.isprintable() and raw.strip() == raw and "  " not in raw else " ".join(raw.split())
    else:
        text = " ".join("".join(el.itertext()).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Page:
    """One fetched page, as the checks see it.

    `headers` keys are lower-case.  `html` is already decoded text (the
    crawler decodes from the HTTP header, BOM or <meta charset>, so Big5
    pages arrive as proper text).
    """

    url: str
    html: str
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str = "text/html"
    depth: int = 0
    section: str = "/"
    unit: str = ""
    sitemap_lastmod: str | None = None
    # For local files (siteaudit check): the on-disk path of the page.
    local_path: str | None = None

    # ---- the parse -----------------------------------------------------
    @cached_property
    def tree(self) -> etree._Element:
        """The lxml tree, parsed once and shared by every check.

        A plain libxml2 HTML tree (not lxml.html's element classes, whose
        per-element Python lookup costs more than the parse on 30 KB pages).
        """
        return parse_html(self.html)

    @cached_property
    def body(self) -> etree._Element:
        body = self.tree.find(".//body")
        return body if body is not None else self.tree

    @cached_property
    def base_url(self) -> str:
        """What relative hrefs resolve against: `<base href>` when present."""
        base_el = self.tree.find(".//base[@href]")
        if base_el is not None:
            href = (base_el.get("href") or "").strip()
            try:
                joined = urljoin(self.url, href)
            except ValueError:
                return self.url
            if urlsplit(joined).scheme in ("http", "https"):
                return joined
        return self.url

    @cached_property
    def title(self) -> str:
        t = self.tree.find(".//title")
        return " ".join(("".join(t.itertext()) if t is not None else "").split())

    # ---- links ---------------------------------------------------------
    @cached_property
    def _link_facts(self) -> tuple[tuple[Link, ...], tuple[MalformedLink, ...]]:
        base = self.base_url
        seen: set[tuple[str, str]] = set()
        good: list[Link] = []
        bad: list[MalformedLink] = []
        bad_seen: set[str] = set()

        def add(raw: str | None, element: str, el: etree._Element) -> None:
            if raw is None:
                return
            hit = resolve(raw, base)
            if hit is None:
                return
            if isinstance(hit, Malformed):
                if hit.raw not in bad_seen:
                    bad_seen.add(hit.raw)
                    bad.append(MalformedLink(hit.raw, hit.reason, element, el.sourceline or 0, _evidence(el)))
                return
            assert isinstance(hit, WebUrl)
            target = f"{hit.url}#{hit.fragment}" if hit.fragment else hit.url
            if (target, element) in seen:
                return
            seen.add((target, element))
            good.append(Link(target, hit.url, element, hit.fragment, el.sourceline or 0, _evidence(el)))

        for el in _LINK_XPATH(self.tree):
            tag = tag_of(el)
            for attr in _ATTRS_BY_TAG.get(tag, ()):
                add(el.get(attr), tag, el)
            if tag in _SRCSET_TAGS and el.get("srcset"):
                for u in _srcset_urls(el.get("srcset", "")):
                    add(u, tag, el)
            if tag == "link":
                rels = set((el.get("rel") or "").lower().split())
                if rels & _LINK_RELS:
                    add(el.get("href"), "link", el)
            elif tag == "meta" and (el.get("http-equiv") or "").lower() == "refresh":
                content = el.get("content") or ""
                m = _REFRESH_RE.match(content)
                if m and "url" in content.lower():
                    add(m.group(1), "meta-refresh", el)
        return tuple(good), tuple(bad)

    @property
    def links(self) -> tuple[Link, ...]:
        """Every fetchable link target, in document order, duplicates kept out.
        The spider follows exactly these, so crawl and check agree."""
        return self._link_facts[0]

    @property
    def malformed_links(self) -> tuple[MalformedLink, ...]:
        """hrefs no visitor can use (`link.malformed`), once per href as written."""
        return self._link_facts[1]

    def preset_links(self, links: tuple[Link, ...], malformed: tuple[MalformedLink, ...]) -> None:
        """Links extracted earlier (by the crawl, kept in the state store):
        the judge does not extract them a second time."""
        self.__dict__["_link_facts"] = (tuple(links), tuple(malformed))

    @cached_property
    def anchors(self) -> frozenset[str]:
        """ids and <a name> of the page: what a #fragment may point at."""
        tree = self.tree
        return frozenset(str(v) for q in (_ID_XPATH, _NAME_XPATH) for v in q(tree) if v)

    # ---- metadata and text ---------------------------------------------
    @cached_property
    def meta(self) -> dict[str, list[str]]:
        """Lower-case meta name -> its content values, in document order.

        Reads `name=` and, for Open Graph / RDFa style pages, `property=` (an
        `article:modified_time` lives there).  `http-equiv` is not metadata.
        A tag without `content` yields "" so "present but empty" stays visible.
        """
        out: dict[str, list[str]] = {}
        for el in self.tree.iter("meta"):
            key = (el.get("name") or el.get("property") or "").strip().lower()
            if key:
                out.setdefault(key, []).append((el.get("content") or "").strip())
        return out

    @cached_property
    def visible_text(self) -> str:
        """The body's visible text, block boundaries as newlines.

        Labels and dates often sit in separate spans or table cells
        (<th>更新日期</th><td>115-01-02</td>), so text is joined across inline
        elements and only separated across blocks.  Not NFKC-folded: folding
        a whole page costs more than everything else a check does.
        """
        return visible_text_of(self.body)

    # ---- kinds ---------------------------------------------------------
    @property
    def is_html(self) -> bool:
        return self.content_type.split(";")[0].strip().lower() in _HTML_TYPES

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"

    def finding(self, check: str, rule: str, severity: Severity, message: str, **detail: Any) -> Finding:
        """A finding on this page, already carrying its section and unit."""
        return Finding(self.url, check, rule, severity, message, self.section, self.unit, detail)


def _srcset_urls(value: str) -> Iterator[str]:
    for candidate in value.split(","):
        bits = candidate.strip().split()
        if bits:
            yield bits[0]


def _evidence(el: etree._Element) -> str:
    """What a person sees of a link: its text, else an image's alt or title."""
    tag = tag_of(el)
    if tag in ("a", "area"):
        text = text_content(el)
        if text:
            return text
        img = el.find(".//img[@alt]")
        if img is not None and (img.get("alt") or "").strip():
            return (img.get("alt") or "").strip()[:LINK_TEXT_LIMIT]
        return (el.get("title") or el.get("aria-label") or el.get("alt") or "").strip()[:LINK_TEXT_LIMIT]
    if tag in ("img", "input"):
        return (el.get("alt") or el.get("title") or "").strip()[:LINK_TEXT_LIMIT]
    return ""
