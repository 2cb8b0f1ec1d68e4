"""The freshness check: pages not updated within N calendar months.

SPEC "Rules in detail / Modification date" and the rule table rows
`freshness.stale`, `freshness.unknown`, `freshness.frozen`.  The service
rules ask for a list, every 2 months, of pages not updated within 2 months,
judged by their modification date.  The date comes from the first source that
has one, in this order, and the source's name is reported:

  page-text    a visible label (更新日期, 最後更新, 資料更新, Last Update …) and a date
  meta         dcterms.modified, DC.Date.Modified, article:modified_time
  sitemap      the sitemap's <lastmod> for the page
  http-header  Last-Modified
  published    a visible 發布日期 / 公告日期 / 日期 label, or DC.Date

A page is stale when its date is before as-of minus `max_age_months`
calendar months (clamped to month ends).

How visible dates are read (decisions where SPEC is silent)
-----------------------------------------------------------
* Labels, as CMS templates write them: 更新日期, 最近更新日期, 修改日期,
  最後更新, 資料更新, 異動日期, 更新時間, 更新於 … (inside longer words too:
  網頁更新日期), and in English, matched case-insensitively with word edges —
  Update, Updated, Last Update(d), Last Modified, Update Date/Time, Updated on.
  "updates" in prose is no label (the word goes on), nor "autoupdate".  A
  bare 更新 / 修改 / Modified is a label only with a colon or bar after it
  (更新：115-01-02), since 更新 is an everyday verb.
* Between label and date: spaces (also nbsp and ideographic), `:` `：`
  `/` `／` `|` `｜`, dashes, brackets and 於 — also across inline elements
  (`更新日期 /<span>2016-02-16</span>`, `update:<em>2018/01/01</em>`) and
  across cells (<th>更新日期</th><td>…</td>), since the page's visible text
  is joined across inline elements.  Dates are Western, 民國 (English pages
  of Taiwanese agencies write them too: `Update：105-05-10` = 2016-05-10),
  compact (1150101), with English month names (March 5, 2024) or with day
  and month before the year when their order is certain (01/27/2021).
* A column header 更新日期 over a list page's table: the newest date in its
  column (the page is as new as its newest row).
* Not the page's date: the site's own (網站更新日期, 本站最後更新, Website
  last updated) and a scheduled one (下次更新日期, 預計更新, Next update).
* Where the date sits.  A page's *content area* is, the first of these that
  the page has: `<main>` / `role="main"`; the `:::` C region (the largest
  element around the accesskey="C" anchor that holds no other accesskey
  anchor — or, when the anchor stands among its siblings, the siblings after
  it up to the next accesskey anchor; only on pages whose U/Z anchors bound
  it, else it would grow to the whole page); `<article>`s; an element with a
  content-like id (content, main, maincontent, cp, center …); one with a
  content-like class (content, main-content, entry-content, cp …).  A region
  holding another accesskey anchor (a wrapper around header and footer too)
  is no content area.  Dates in the content area win over the others; on a
  page with no content area, dates in header/footer (`<header>`, `<footer>`,
  role banner/contentinfo, id/class footer or header) lose to the rest.
  Among the dates of the best place, the newest wins (a list page is as new
  as its newest item).
* Template values.  A visible 更新日期 outside the content area whose value is
  on more than half of the site's pages (and at least 10) is the template's
  or the whole site's date (SPEC `freshness.frozen`): such occurrences are
  skipped and the page's next source is used.  A date inside a page's
  content area is never a template value, even when many pages share it: an
  office that reviews every page on one day and updates each 更新日期 — as
  the fix text of freshness.stale asks — must not be told its dates are
  fake.  On a page with no content area every visible date counts.
* A DC.Date (or a published date equal to it) the site copies onto most
  pages (ctx.frozen_values["dc.date"], SPEC "Template values") is ignored.

Site level: what the crawler computes before judging
----------------------------------------------------
Like metadata's frozen DC.Date, a frozen visible date is a fact about the
whole site, so the caller (crawler.audit.analyze) does, before judging:

1. for every HTML page of the site, `page_text_dates(page)` — a list of
   (ISO date, in content area) pairs, JSON-friendly, cheap (one scan of the
   visible text), best computed when the page is first parsed and stored
   with its meta;
2. `frozen = frozen_text_dates(values_by_page)` over {url: that list} (pages
   with no date map to an empty list: they count in "the site's pages");
3. judging with `CheckContext(frozen_values={**metadata_frozen, **frozen})`
   (key "page-text", the ISO date), so `check` and `modified_date` skip it;
4. on the home page only: `site_findings(home, frozen,
   frozen_text_counts(values_by_page, frozen))` — one `freshness.frozen`.

Speed: the judge runs this on every page (2,000 pages of 30 KB in the crawl
benchmark), so labels are found by literal-alternation regexes over the
page's visible text (case-insensitive English on a lower-cased copy), never
by a case-folding or full-page NFKC pass; only the 40 characters after a
label are folded.  Where each date sits needs the content area's extent in
the visible text: its start is found by the first 80 characters of its text
and its length measured by lxml in C (a Python walk only when something in
it is hidden); this is done only on pages that show a label, and
`modified_date` skips it when the page's visible dates agree and none is
frozen.  The id/class/role lookups run only on pages without <main> or a
bounded `:::` C region.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import date

from lxml import etree

from checks import dates
from checks.model import CheckContext, Finding, Rule, Severity
from checks.page import BLOCK_TAGS, INVISIBLE_TAGS, Page, is_hidden, iter_visible, tag_of, visible_text_of

CHECK = "freshness"

RULES: tuple[Rule, ...] = (
    Rule(
        "freshness.stale", CHECK, Severity.warning, "網頁逾期未更新",
        "請負責單位檢視網頁內容是否仍正確：內容有異動時更新內容，並更新網頁上的「更新日期」"
        "（及 dcterms.modified 詮釋資料）；內容經檢視仍正確者，也請更新檢視日期。"
        "已不適用的網頁請下架或移至歷史資料區（可於設定檔 [freshness] exempt 排除）。",
        detail=("modified", "source", "age_days", "limit_months"),
    ),
    Rule(
        "freshness.unknown", CHECK, Severity.notice, "找不到網頁更新日期",
        "在網頁上顯示「更新日期：115-11-26」之類的標示（民國或西元日期皆可），或加上 "
        "<meta name=\"dcterms.modified\" content=\"2026-11-26\">，讓使用者與檢測工具"
        "都能判斷網頁是否定期更新。",
        detail=(),
    ),
    Rule(
        "freshness.frozen", CHECK, Severity.warning, "更新日期為範本固定值",
        "大多數網頁的頁尾（或頁首）都顯示同一個「更新日期」，表示這是網站範本或全站共用的日期，"
        "不是各網頁實際的更新日期，民眾與檢視人員都無從判斷網頁是否定期更新。請修改網站範本，"
        "讓每一頁顯示該頁內容實際的更新日期（多由網站管理系統（CMS）自動帶入），或移除這個共用日期。",
        detail=("value", "pages"),
    ),
)
_RULE = {r.id: r for r in RULES}

SOURCE_ZH = {
    "page-text": "網頁上標示的更新日期",
    "meta": "詮釋資料的修改日期",
    "sitemap": "網站地圖（sitemap）的 lastmod",
    "http-header": "伺服器回應的 Last-Modified",
    "published": "發布日期",
}

# Chinese labels as literal alternatives, longest first so 最後更新日期 is
# read as one label (the regex engine scans a literal alternation fast; a
# leading optional group or re.I would make it ten times slower).
MODIFIED_LABELS = (
    "最後更新日期", "資料更新日期", "最後修改日期", "最近更新日期", "最近修改日期", "最後更新時間",
    "最後異動日期", "資料更新時間", "更新日期", "修改日期", "異動日期", "最後更新", "最後修改", "最近更新",
    "資料更新", "更新時間", "修改時間", "異動時間", "更新於", "修改於",
)
# Labels that are everyday words on their own: only with a colon or bar after.
COLON_ONLY_LABELS = ("更新", "修改")
PUBLISHED_LABELS = (
    "發布日期", "發佈日期", "公告日期", "發文日期", "公布日期", "公佈日期", "刊登日期",
    "張貼日期", "上稿日期",
)  # and a bare 日期 at a word start, and English Published / Posted on / Release date
META_MODIFIED = (
    "dcterms.modified", "dc.date.modified", "dc.modified", "dc.terms.modified",
    "article:modified_time", "og:updated_time",
)


def _literal_re(labels: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(x) for x in sorted(set(labels), key=len, reverse=True)))


_ZH_MODIFIED_RE = _literal_re(MODIFIED_LABELS + COLON_ONLY_LABELS)
# English labels, searched in the lower-cased text: (last) update(d) or
# (last) modified, then an optional "on", "date", "time" or "at"; a bare
# "modified" needs a colon.  Word edges are checked around the match.
_ZH_PUBLISHED_RE = _literal_re(PUBLISHED_LABELS + ("日期",))
_EN_MODIFIED_RE = re.compile(r"last[ \t\u00a0]*(?:updated?|modified)|updated?|modified")
_EN_PUBLISHED_RE = re.compile(r"published|posted|release[ \t\u00a0]*date|date[ \t\u00a0]*published")
_EN_SUFFIX = re.compile(r"[ \t\u00a0]*(?:on|date|time|at)(?![a-z])")
_EN_COLON_ONLY = frozenset({"modified"})

# Just before a label: the whole site's date (網站更新日期, 本網站資料更新日期,
# 本站最後更新, website last updated) or a scheduled one (下次更新日期).
# Checked on the text before the label, whichever alternative matched, so a
# scan that starts inside 網站最後更新日期 still sees the 網站.
_NOT_PAGE_BEFORE = re.compile(
    r"(?:網站|本站|全站|下次|下一次|預計|預定|(?:web)?site[ \t\u00a0]*|next[ \t\u00a0]*)"
    r"(?:最後|最近|資料|last[ \t\u00a0]*)?$",
    re.I,
)
# 截止日期 / 活動日期: the bare 日期 only at a word start.
_WORD_CHAR = re.compile(r"\w")

# What may stand between a label and its date, after NFKC folding of the
# window (so ：｜／ and the ideographic space arrive as ASCII).
_AFTER_LABEL_CHARS = " \t\r\n\f\v:|/[]()【】〔〕「」〈〉《》-–—=於"
_COLONS = frozenset(":|")
# Enough text after a label for the longest date form (民國 111 年 12 月 02 日,
# September 30th, 2024).
_DATE_WINDOW = 40
_BEFORE_WINDOW = 12

# A value shown by more than half of the site's pages and by at least this
# many is a template value (SPEC rule table, freshness.frozen).
FROZEN_MIN_PAGES = 10
FROZEN_KEY = "page-text"

# Where a date sits (module docstring): content area, elsewhere, header/footer.
IN_CONTENT, NEUTRAL, OUTSIDE = 2, 1, 0


def _lower_ci(s: str) -> str:
    """Lower-cased with offsets equal to the original's.  str.lower() may
    lengthen a few non-ASCII characters (İ); then only ASCII is lowered."""
    low = s.lower()
    return low if len(low) == len(s) else s.translate(_UPPER_TO_LOWER)


_UPPER_TO_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


# --- finding labels and their dates -----------------------------------------

def _date_after(text: str, end: int, need_colon: bool) -> date | None:
    window = dates.normalize(text[end: end + _DATE_WINDOW])
    stripped = window.lstrip(_AFTER_LABEL_CHARS)
    if need_colon and not _COLONS & set(window[: len(window) - len(stripped)]):
        return None
    hit = dates.match_date(stripped, 0)
    return hit[0] if hit else None


def _labelled(text: str, low: str, zh: re.Pattern[str], en: re.Pattern[str], *,
              published: bool = False, dateless: list[int] | None = None) -> list[tuple[int, date]]:
    """(label offset, date) of every label of one kind followed by a date.

    Labels with no date after them go to `dateless` (column headers, see
    `_column_dates`)."""
    found: list[tuple[int, date]] = []
    for m in zh.finditer(text):
        start, label = m.start(), m.group(0)
        if _NOT_PAGE_BEFORE.search(text, max(0, start - _BEFORE_WINDOW), start):
            continue
        if published and label == "日期" and start and _WORD_CHAR.match(text, start - 1):
            continue
        d = _date_after(text, m.end(), label in COLON_ONLY_LABELS)
        if d:
            found.append((start, d))
        elif dateless is not None:
            dateless.append(start)
    for m in en.finditer(low):
        start, end = m.start(), m.end()
        if start and low[start - 1].isascii() and low[start - 1].isalnum():
            continue  # autoupdate, lastupdated handled by the pattern itself
        suffix = _EN_SUFFIX.match(low, end)
        if suffix:
            end = suffix.end()
        if end < len(low) and "a" <= low[end] <= "z":
            continue  # updates, modifiedby: a longer word
        if _NOT_PAGE_BEFORE.search(low, max(0, start - _BEFORE_WINDOW), start):
            continue
        d = _date_after(text, end, not published and m.group(0) in _EN_COLON_ONLY)
        if d:
            found.append((start, d))
        elif dateless is not None:
            dateless.append(start)
    return found


# A column header that is only a label: 更新日期, 最後更新日期：, Last Updated.
_HEADER_LABEL = re.compile(
    r"^[\s:：*＊]*(?:" + "|".join(re.escape(x) for x in sorted(MODIFIED_LABELS, key=len, reverse=True))
    + r"|last\s*updated?|last\s*modified|updated?(?:\s*(?:on|date))?)[\s:：]*$", re.I)


def _cells(row: etree._Element) -> Iterator[tuple[int, etree._Element]]:
    """(column, cell) of a table row, colspans counted."""
    col = 0
    for cell in row:
        if tag_of(cell) in ("td", "th"):
            yield col, cell
            span = cell.get("colspan") or "1"
            col += int(span) if span.isdigit() else 1


def _column_dates(page: Page) -> list[date]:
    """Dates in the cells under a column header 更新日期 (a list page's table:
    the page is as new as its newest row).  Only on pages where a label
    stood with no date after it, so most pages never walk their tables."""
    found: list[date] = []
    for th in page.tree.iter("th"):
        if not _HEADER_LABEL.match("".join(th.itertext())):
            continue
        row = th.getparent()
        table = next(th.iterancestors("table"), None)
        if row is None or table is None or any(tag_of(c) == "td" for c in row):
            continue  # a row header: its date is read from the text
        col = next(i for i, cell in _cells(row) if cell is th)
        for tr in table.iter("tr"):
            cell = next((c for i, c in _cells(tr) if i == col), None) if tr is not row else None
            if cell is not None:
                hit = dates.match_date(dates.normalize("".join(cell.itertext())).strip(" \t\r\n"), 0)
                if hit:
                    found.append(hit[0])
    return found


# --- where a date sits --------------------------------------------------------

CONTENT_IDS = frozenset({"content", "contents", "main", "maincontent", "main-content", "main_content", "mainarea",
                         "centercontent", "center_content", "center", "cp", "pagecontent", "page-content",
                         "article"})
CONTENT_CLASSES = frozenset({"content", "main-content", "maincontent", "main_content", "page-content",
                             "article-content", "entry-content", "post-content", "cp", "content-area"})
EDGE_NAMES = frozenset({"footer", "foot", "header", "top", "copyright", "site-footer", "site-header"})
# Attribute-axis XPaths run in lxml's C code at a fraction of the cost of an
# element predicate (`//*[@id or …]` or translate() cost 0.3–2 ms a page);
# the names are then compared in Python on the few values found.
_ID_XPATH = etree.XPath("//@id")
_CLASS_XPATH = etree.XPath("//@class")
_ROLE_XPATH = etree.XPath("//@role")
_ACCESSKEY_XPATH = etree.XPath("//a/@accesskey")
_LAYOUT_PARENTS = frozenset({"header", "footer", "nav"})


class _Marks:
    """The elements of a page that say where its content and its edges are,
    each kind looked up only when the ones before it found nothing."""

    def __init__(self, tree: etree._Element) -> None:
        self.tree = tree
        self.keys: list[etree._Element] = [v.getparent() for v in _ACCESSKEY_XPATH(tree)]
        self._by_name: tuple[list[etree._Element], ...] | None = None

    @property
    def main(self) -> list[etree._Element]:
        found = list(self.tree.iter("main"))
        return found or [v.getparent() for v in _ROLE_XPATH(self.tree) if v.strip().lower() == "main"]

    @property
    def article(self) -> list[etree._Element]:
        return list(self.tree.iter("article"))

    def _names(self) -> tuple[list[etree._Element], ...]:
        if self._by_name is None:
            by_id: list[etree._Element] = []
            by_class: list[etree._Element] = []
            edges: list[etree._Element] = []
            for v in _ID_XPATH(self.tree):
                ident = v.strip().lower()
                if ident in CONTENT_IDS:
                    by_id.append(v.getparent())
                elif ident in EDGE_NAMES:
                    edges.append(v.getparent())
            for v in _CLASS_XPATH(self.tree):
                classes = set(v.lower().split())
                if classes & CONTENT_CLASSES:
                    by_class.append(v.getparent())
                if classes & EDGE_NAMES:
                    edges.append(v.getparent())
            self._by_name = (by_id, by_class, edges)
        return self._by_name

    @property
    def by_id(self) -> list[etree._Element]:
        return self._names()[0]

    @property
    def by_class(self) -> list[etree._Element]:
        return self._names()[1]

    @property
    def edges(self) -> list[etree._Element]:
        roles = [v.getparent() for v in _ROLE_XPATH(self.tree) if v.strip().lower() in ("banner", "contentinfo")]
        return [*self.tree.iter("header", "footer"), *roles, *self._names()[2]]


def _outermost(elements: list[etree._Element]) -> list[etree._Element]:
    chosen = set(elements)
    return [el for el in elements if not any(a in chosen for a in el.iterancestors())]


def _holds_other_key(el: etree._Element, anchor: etree._Element | None, keys: list[etree._Element]) -> bool:
    return any(k is not anchor and _contains(el, k) for k in keys)


def _contains(el: etree._Element, other: etree._Element) -> bool:
    return el is other or any(a is el for a in other.iterancestors())


def _c_chunks(c: etree._Element, keys: list[etree._Element], body: etree._Element) -> list[etree._Element | str]:
    """The visible text of the `:::` C region (module docstring)."""
    region = c
    parent = c.getparent()
    while parent is not None and parent is not body and not _holds_other_key(parent, c, keys):
        region, parent = parent, parent.getparent()
    if region is not c and "".join(region.itertext()).strip(" \t\r\n\u00a0:"):
        return [region]
    # The anchor (or its own small wrapper) stands among siblings: the region
    # is what follows it, up to the next accesskey anchor.
    run = []
    sib = region.getnext()
    while sib is not None and not (isinstance(sib.tag, str) and _holds_other_key(sib, c, keys)):
        run.append(sib)
        sib = sib.getnext()
    return [(region.tail or "") + _run_text(run)]


def _visible(el: etree._Element) -> str:
    return visible_text_of(el)


def _run_text(run: list[etree._Element]) -> str:
    """What the page's visible text holds for a run of siblings (iter_visible's rules)."""
    out = []
    for el in run:
        tag = tag_of(el)
        if tag and not (tag in INVISIBLE_TAGS or is_hidden(el)):
            block = "\n" if tag in BLOCK_TAGS or tag == "br" else ""
            out.append(block + _visible(el) + block)
        out.append(el.tail or "")
    return "".join(out)


_HEAD = 80  # characters of an element's visible text that locate it in the page's
_HIDING_XPATH = etree.XPath(".//@hidden | .//@style")


def _visible_length(el: etree._Element) -> int | None:
    """len(_visible(el)) without walking `el` in Python, when nothing in it is
    hidden or invisible: its text (lxml, in C) plus one line break at each
    end of every block element inside.  None when a walk is needed."""
    if next(el.iter(*INVISIBLE_TAGS), None) is not None:
        return None
    if any(is_hidden(v.getparent()) for v in _HIDING_XPATH(el)):
        return None
    blocks = sum(1 for _ in el.iter(*BLOCK_TAGS, "br")) - (1 if tag_of(el) in BLOCK_TAGS or tag_of(el) == "br" else 0)
    return len(etree.tostring(el, method="text", encoding=str, with_tail=False)) + 2 * blocks


def _visible_head(el: etree._Element, n: int = _HEAD) -> str:
    out: list[str] = []
    size = 0
    for kind, piece in iter_visible(el):
        piece = piece if kind == "text" else "\n"
        out.append(piece)
        size += len(piece)
        if size >= n:
            break
    return "".join(out)


def _spans(text: str, chunks: list[etree._Element | str]) -> list[tuple[int, int]]:
    """Where each chunk (an element, or a run's visible text) stands in the
    page's visible text.  An element is located by the start of its text
    and measured in C when it can be (`_visible_length`); else walked."""
    spans = []
    pos = 0
    for chunk in chunks:
        size: int | None = None
        if isinstance(chunk, str):
            probe = chunk
        else:
            size = _visible_length(chunk)
            probe = _visible_head(chunk) if size is not None else _visible(chunk)
        if not probe.strip():
            continue
        at = text.find(probe, pos)
        if at < 0:
            at = text.find(probe)
            if at < 0:  # hidden by an ancestor: not visible at all
                continue
        end = at + (size if size is not None else len(probe))
        spans.append((at, end))
        pos = end
    return spans


def _content_chunks(page: Page, marks: _Marks) -> list[etree._Element | str]:
    keys = marks.keys
    c_keys = [a for a in keys if (a.get("accesskey") or "").strip().lower() == "c"]
    others = [a for a in keys if a not in c_keys]

    def fine(el: etree._Element) -> bool:  # no wrapper around header or footer too
        return not any(_contains(el, k) for k in others)

    mains = [el for el in _outermost(marks.main) if fine(el)]
    if mains:
        return list(mains)
    # Without U/Z anchors to bound it, the C region would grow to the whole page.
    if c_keys and others:
        return _c_chunks(c_keys[0], keys, page.body)
    for kind in ("article", "by_id", "by_class"):
        regions = [el for el in _outermost(getattr(marks, kind)) if fine(el)
                   and not any(tag_of(a) in _LAYOUT_PARENTS for a in el.iterancestors())]
        if regions:
            return list(regions)
    return []


def _rank(page: Page, offsets: list[int]) -> list[int]:
    """Where each label offset of the visible text sits: IN_CONTENT, NEUTRAL or OUTSIDE."""
    text = page.visible_text
    marks = _Marks(page.tree)
    content = _spans(text, _content_chunks(page, marks))
    if content:
        return [IN_CONTENT if any(a <= o < b for a, b in content) else OUTSIDE for o in offsets]
    edges = _spans(text, list(_outermost(marks.edges)))
    return [OUTSIDE if any(a <= o < b for a, b in edges) else NEUTRAL for o in offsets]


# --- the page's dates ------------------------------------------------------------

_HITS = "_freshness_hits"
_PLACED = "_freshness_placed"


def _hits(page: Page) -> list[tuple[int, date]]:
    """(offset, date) of every visible modified label with a date, in page order.

    Kept on the page object like its other cached facts: the judge asks once
    for the finding and once for pages.jsonl."""
    hits = page.__dict__.get(_HITS)
    if hits is None:
        hits = []
        if page.is_html:
            text = page.visible_text
            dateless: list[int] = []
            hits = _labelled(text, _lower_ci(text), _ZH_MODIFIED_RE, _EN_MODIFIED_RE, dateless=dateless)
            if dateless:
                column = _column_dates(page)
                if column:  # placed where the (first dateless) header stands
                    hits.append((dateless[0], max(column)))
            hits.sort()
        page.__dict__[_HITS] = hits
    return hits


def _text_dates(page: Page) -> list[tuple[date, int]]:
    """(date, place) of each visible modified date: `_hits` with where each sits."""
    placed = page.__dict__.get(_PLACED)
    if placed is None:
        hits = _hits(page)
        ranks = _rank(page, [o for o, _ in hits]) if hits else []
        placed = [(d, r) for (_, d), r in zip(hits, ranks, strict=True)]
        page.__dict__[_PLACED] = placed
    return placed


def page_text_facts(page: Page) -> list[tuple[str, int]]:
    """(ISO date, place: IN_CONTENT / NEUTRAL / OUTSIDE) of each visible modified
    date, in page order: what the crawl keeps per page, so the judge neither
    walks the visible text again (`preset_text_facts`) nor needs it to find a
    site-wide frozen date (`frozen_text_dates` over `text_dates_of`)."""
    return [(d.isoformat(), place) for d, place in _text_dates(page)]


def preset_text_facts(page: Page, facts: Iterable[tuple[str, int] | list]) -> None:
    """Give a page the visible dates found when it was crawled (`page_text_facts`)."""
    placed = []
    for iso, place in facts:
        d = dates.parse_date(str(iso))
        if d is not None:
            placed.append((d, int(place)))
    page.__dict__[_HITS] = [(i, d) for i, (d, _) in enumerate(placed)]
    page.__dict__[_PLACED] = placed


def text_dates_of(facts: Iterable[tuple[str, int] | list]) -> list[tuple[str, bool]]:
    """`page_text_facts` as `frozen_text_dates` reads them: (ISO date, in the content area)."""
    return [(str(iso), int(place) == IN_CONTENT) for iso, place in facts]


def page_text_dates(page: Page) -> list[tuple[str, bool]]:
    """(ISO date, inside the content area) of each visible 更新日期 on the page.

    What the crawler keeps per page for `frozen_text_dates` (module docstring
    "Site level").  Site-wide (網站更新日期) and scheduled (下次更新) dates
    are not included; frozen values are (this is what finds them)."""
    return [(d.isoformat(), place == IN_CONTENT) for d, place in _text_dates(page)]


# ---- dates a script writes (the browser stage renders them) -------------------

RENDERED_KEY = "rendered_labels"  # in ctx.axe_results[url]: what crawler/a11y.py returns


def browser_label_pattern() -> str:
    """A JavaScript regex source (used with the `gi` flags) matching the
    modified-date labels, so the browser can hand back the rendered text that
    follows each one (crawler/a11y.py).  One label list: this module's."""
    zh = "|".join(re.escape(x) for x in sorted(MODIFIED_LABELS + COLON_ONLY_LABELS, key=len, reverse=True))
    return f"(?:{zh}|last\\s*(?:updated?|modified)|updated?)"


def rendered_dates(snippets: Iterable[str]) -> list[date]:
    """Dates after a modified label in text the browser rendered: a page
    whose 更新日期 value a script fills in shows it to every reader, though
    the HTML the crawler reads holds only the label."""
    found: list[date] = []
    for text in snippets:
        if isinstance(text, str) and text:
            found.extend(d for _, d in _labelled(text, _lower_ci(text), _ZH_MODIFIED_RE, _EN_MODIFIED_RE))
    return found


def _frozen_date(ctx: CheckContext) -> date | None:
    return dates.parse_date(ctx.frozen_values.get("dc.date"))


def _meta_date(value: str) -> date | None:
    # W3C datetimes with a zone are turned into Taiwan dates; anything else
    # (ROC dates, 2023/5/3) goes through the general parser.
    return dates.parse_w3c_datetime(value) or dates.parse_date(value)


def modified_date(page: Page, ctx: CheckContext) -> tuple[date | None, str | None]:
    """The page's modification date and the source it came from, or (None, None).

    Visible dates: the content area's first (module docstring), newest of
    them; a template value outside the content area (ctx.frozen_values
    ["page-text"]) is skipped.
    """
    frozen_text = ctx.frozen_values.get(FROZEN_KEY)
    hits = _hits(page)
    shown = {d for _, d in hits}
    if len(shown) == 1 and frozen_text not in {d.isoformat() for d in shown}:
        return next(iter(shown)), "page-text"  # where it sits cannot change the answer
    visible = [(d, place) for d, place in _text_dates(page)
               if not (place != IN_CONTENT and d.isoformat() == frozen_text)] if hits else []
    if visible:
        best = max(place for _, place in visible)
        return max(d for d, place in visible if place == best), "page-text"
    if not hits:
        # the label is in the HTML, its value written by a script: the
        # browser stage saw the rendered text (none without accessibility)
        rendered = [d for d in rendered_dates((ctx.axe_results.get(page.url) or {}).get(RENDERED_KEY) or ())
                    if d.isoformat() != frozen_text]
        if rendered:
            return max(rendered), "page-text"

    meta = page.meta if page.is_html else {}
    for key in META_MODIFIED:
        for value in meta.get(key, ()):
            if value and ctx.frozen_values.get(key) != value:
                d = _meta_date(value)
                if d:
                    return d, "meta"

    d = dates.parse_w3c_datetime(page.sitemap_lastmod)
    if d:
        return d, "sitemap"

    d = dates.parse_http_date(page.headers.get("last-modified"))
    if d:
        return d, "http-header"

    if page.is_html:
        frozen = _frozen_date(ctx)
        text = page.visible_text
        published = [d for _, d in _labelled(text, _lower_ci(text), _ZH_PUBLISHED_RE, _EN_PUBLISHED_RE,
                                             published=True) if d != frozen]
        if published:
            return max(published), "published"
        for value in meta.get("dc.date", ()):
            d = _meta_date(value) if value else None
            if d and d != frozen and value != ctx.frozen_values.get("dc.date"):
                return d, "published"
    return None, None


def _exempt(url: str, ctx: CheckContext) -> bool:
    return any(p.search(url) for p in ctx.settings.freshness_exempt)


def check(page: Page, ctx: CheckContext) -> Iterator[Finding]:
    if not page.is_html or _exempt(page.url, ctx):
        return
    modified, source = modified_date(page, ctx)
    months = ctx.settings.max_age_months
    if modified is None or source is None:
        yield page.finding(
            CHECK, "freshness.unknown", _RULE["freshness.unknown"].severity,
            "找不到網頁的更新日期（網頁文字、詮釋資料、網站地圖與伺服器標頭都沒有），無法判斷是否逾期未更新",
        )
        return
    limit = dates.subtract_months(ctx.as_of, months)
    if modified >= limit:
        return
    age = (ctx.as_of - modified).days
    yield page.finding(
        CHECK, "freshness.stale", _RULE["freshness.stale"].severity,
        f"網頁超過 {months} 個月未更新：最後更新 {modified.isoformat()}"
        f"（{dates.roc_date_text(modified)}，依據{SOURCE_ZH[source]}），"
        f"距檢視日已 {age} 天",
        modified=modified.isoformat(), source=source, age_days=age, limit_months=months,
    )


# --- site level: a visible date frozen across the site ---------------------------

def frozen_text_dates(values_by_page: Mapping[str, Iterable[tuple[str, bool]] | Iterable[list]]) -> dict[str, str]:
    """{"page-text": ISO date} when one visible 更新日期 outside the content
    area is on more than half of the pages and on at least 10, else {}.

    `values_by_page` maps every HTML page of the site to its
    `page_text_dates` (pairs or, back from JSON, 2-lists).  When two values
    qualify (rare: a header and a footer date), the one on more pages is
    reported, the earlier date on a tie.
    """
    total = len(values_by_page)
    counts: Counter[str] = Counter()
    for values in values_by_page.values():
        counts.update({str(v) for v, in_content in values if not in_content})
    if not counts:
        return {}
    value, n = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if n >= FROZEN_MIN_PAGES and n * 2 > total:
        return {FROZEN_KEY: value}
    return {}


def frozen_text_counts(values_by_page: Mapping[str, Iterable[tuple[str, bool]] | Iterable[list]],
                       frozen: Mapping[str, str]) -> dict[str, int]:
    """How many pages show the frozen value outside their content area (`counts` for site_findings)."""
    value = frozen.get(FROZEN_KEY)
    if value is None:
        return {}
    return {FROZEN_KEY: sum(1 for values in values_by_page.values()
                            if any(str(v) == value and not c for v, c in values))}


def site_findings(home: Page, frozen: Mapping[str, str], counts: Mapping[str, int]) -> Iterator[Finding]:
    """One `freshness.frozen` warning on the home page, when a visible date is frozen."""
    value = frozen.get(FROZEN_KEY)
    d = dates.parse_date(value)
    if value is None or d is None:
        return
    pages = int(counts.get(FROZEN_KEY, 0))
    yield home.finding(
        CHECK, "freshness.frozen", _RULE["freshness.frozen"].severity,
        f"{pages} 個網頁的頁首或頁尾都顯示同一個更新日期「{dates.roc_date_text(d)}」（{value}），"
        "應為網站範本或全站共用的日期，不是各網頁的更新日期；判斷逾期時不採用，改用各網頁的其他日期來源",
        value=value, pages=pages,
    )
