"""The citation check: others' material must name its source, with a link.

SPEC "Rules in detail / Citation".  A *source statement* is text holding a
citation keyword (settings.citation_keywords: 資料來源, 來源, 出處, 引用自,
轉載自, 參考資料, 圖片來源, Source) followed by a colon or by the cited name.
It is linked when its nearest block element holds an `<a href>` to an
http(s) URL; a heading-like statement (參考資料 alone in an h1–h6, p, th,
dt …) is linked when the element right after it holds links.  A
`<blockquote>`/`<q>` without `cite` and without a source statement inside
or right after it is unattributed.

How text is read (decisions where SPEC is silent, chosen to avoid false
alarms, since citation.no-link is an error):

* Keyword forms.  `資料來源：經濟部` (keyword + colon, anywhere in the text,
  so 新聞來源：… counts too); `資料來源 經濟部` and the page-info lists of
  CMS templates, `<li>資料來源 /<span>經濟部</span></li>` (keyword opening
  the block or a bracketed clause, then a space, `/` or `|` and the name); 轉載自聯合報 / 引用自… (the
  keywords ending in 自 are verbs and take the name directly).  A keyword
  glued to other text without a colon — 資源來源不明, 來源不明的訊息 — is
  prose, not a statement.
* A keyword inside a link's own text is either navigation (menu item
  「資料來源」) or the citation link itself: never a finding.
* Text in <script>, <style>, <nav>, form controls and labels, and hidden
  elements is not read.
* Relative hrefs count as links (on an http page they resolve to http; on a
  local file checked before publishing they will once published).
  Fragment-only, mailto:, javascript: etc. do not, nor hrefs no visitor can
  use (`http://javascript:;`, `javscript:;` — link.malformed reports them).
* The agency citing itself is no citation of others' material.  A statement
  is the agency's own when every name it lists (split at 、，；／ 及 與 和,
  up to the line's or sentence's end or the next keyword) starts with one of
  its own names — `settings.own_names`: site.agency, site.name,
  `[site] own_names` and the `[[sections]]` units — or with 本局 / 本署 /
  本分局 … (資料來源：本局秘書室, 資料來源：就養養護處 when 就養養護處 is an
  own name).  Own names are matched before splitting, so 企劃及管考處 stays
  one name.  Only the start of a name counts: 行政院秘書室 is another
  agency's 秘書室, so it is judged even when 秘書室 is an own unit; and
  資料來源：就養養護處、主計總處 cites others too, so it is judged.
* Each distinct statement text is reported once per page (a table whose every
  row says 資料來源：主計總處 gives one finding, not one per row).
* A quotation whose source is named without a link is reported once, as the
  statement's citation.no-link, not again as citation.quote-unattributed.

Layout blockquotes.  Editors and themes use `<blockquote>` for things that
quote nobody: the indent button of old WYSIWYG editors (Internet Explorer's
`<blockquote dir="ltr" style="margin-right: 0px">`), a styled intro box
(`<blockquote class="text-info">`).  Reporting those as unattributed
quotations would be a false alarm on every such page, so a blockquote is
*layout, not a quotation*, only when all of these hold:

1. it carries presentation markup — a `class`, `style` or `dir` attribute.
   A bare `<blockquote>` says what HTML says it is, a quotation, and is
   always judged: the markup is the author's only statement of intent;
2. its class names no quotation (quote, blockquote, cite, testimonial,
   epigraph, 引言 …: Bootstrap's `class="blockquote"` is a real quote);
3. nothing in it marks quoted text: no `<q>`, `<cite>` or `<footer>`
   (HTML's attribution idiom); no line that opens with a quotation mark or
   ends with one (「天下為公」, “…”); no attribution line (—— 孔子,
   -- Lincoln, ～摘自…).  Quotation marks *inside* a line do not count:
   Chinese official writing puts names and terms in 「」 (請至「書表下載」
   區下載), which quotes no one.

Anything else — a classed blockquote whose text is quoted or attributed —
is still judged as a quotation.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from checks.model import CheckContext, Finding, Rule, Severity
from checks.page import Page, is_hidden
from checks.urls import Malformed, WebUrl, classify_scheme, resolve

CHECK = "citation"

RULES: tuple[Rule, ...] = (
    Rule(
        "citation.no-link", CHECK, Severity.error, "引用未附連結",
        "引用他人資料時，除註明出處外，請在「資料來源：」同一段落（或同一表格儲存格、圖說）"
        "加上原始資料網頁的超連結，例如：資料來源：<a href=\"https://www.stat.gov.tw/\">"
        "行政院主計總處</a>。以「參考資料」為標題時，請在標題下方的清單或段落中附上各項資料的連結。",
        detail=("text",),
    ),
    Rule(
        "citation.quote-unattributed", CHECK, Severity.warning, "引文未註明出處",
        "引述他人文字（<blockquote> 或 <q>）時，請在引文內或緊接其後註明「資料來源：」並附上"
        "原文連結，或在標籤加上 cite 屬性指向原文網址。",
        detail=("text",),
    ),
)
_RULE = {r.id: r for r in RULES}

# Nearest block element of a statement: SPEC's list, plus the other elements
# that end a line of text (so a statement in an <h3> is judged by the <h3>,
# not by the whole page's wrapper <div>).
BLOCKS = frozenset({
    "p", "li", "td", "th", "dd", "figcaption", "caption", "blockquote", "footer", "div",
    "h1", "h2", "h3", "h4", "h5", "h6", "dt", "address", "pre", "section", "article",
    "aside", "main", "header", "figure", "body", "table", "ul", "ol", "dl", "tr",
})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Never read: not content, or form furniture (ASP.NET sites wrap the whole
# page in a <form>, so <form> itself must stay readable).
SKIP = frozenset({
    "script", "style", "noscript", "template", "head", "title", "nav",
    "select", "option", "textarea", "button", "label", "legend",
})
QUOTES = frozenset({"blockquote", "q"})
TEXT_LIMIT = 80

# Decoration around a heading-like keyword: 「一、參考資料：」, 【資料來源】, ※出處
_DECOR = r"[\s:：()\[\]【】〔〕「」『』<>《》※*＊#\-–—•·.。、]"
_NUMBERING = r"(?:[0-9一二三四五六七八九十]+[、.)]|\([0-9一二三四五六七八九十]+\))"
# What may precede a keyword that opens a clause without a colon: 「（資料來源 主計總處）」
_CLAUSE_OPENERS = "([【〔「『※*＊。;；,，"
# 資料來源：本局秘書室 names the agency's own unit (GIP-style news pages print
# it under every item); it is not others' material, so it needs no link.
_SELF = re.compile(
    r"本(?:分局|機關|單位|網站|中心|公司|局|署|部|會|府|處|所|院|館|室|校|站|課|科|隊|組)"
)


@dataclass
class _Statement:
    block: etree._Element
    text: str
    heading: bool  # keyword alone: linked by what follows
    linked: bool = False


# Length-preserving fold (full-width ASCII → ASCII, ideographic space and nbsp →
# space) so match offsets index the original text, which findings quote as is.
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0xA0: 0x20}


def _fold(text: str) -> str:
    return text.translate(_FOLD)


class _Links:
    """Which hrefs count as a link to a source (see module docstring)."""

    def __init__(self, page: Page) -> None:
        self.base = page.base_url

    def is_link(self, el: etree._Element) -> bool:
        href = (el.get("href") or "").strip()
        if not href or href.startswith("#"):
            return False
        hit = resolve(href, self.base)
        if isinstance(hit, WebUrl):
            return True
        if isinstance(hit, Malformed):  # http://javascript:;, javscript: … link.malformed's, and no source
            return False
        # A relative href on a file:// page (pre-publish check) is a site link.
        return classify_scheme(href) is None and not href.startswith("//")

    def holds(self, el: etree._Element | None) -> bool:
        if el is None:
            return False
        return any(self.is_link(a) for a in el.iter("a", "area") if not _inside_skip(a, el))


def _inside_skip(el: etree._Element, stop: etree._Element) -> bool:
    for anc in el.iterancestors():
        if anc is stop:
            return False
        if anc.tag in SKIP:
            return True
    return False


def _tag(el: etree._Element) -> str:
    return el.tag if isinstance(el.tag, str) else ""


def _own_text(block: etree._Element) -> tuple[str, list[bool]]:
    """The block's text without nested blocks, and per character: inside a link?"""
    chars: list[str] = []
    flags: list[bool] = []

    def add(text: str | None, in_link: bool) -> None:
        if text:
            chars.append(text)
            flags.extend([in_link] * len(text))

    # Iterative (any depth): (element, inside a link, closing?) on a stack.
    add(block.text, False)
    stack: list[tuple[etree._Element, bool, bool]] = [(c, False, False) for c in reversed(block)]
    while stack:
        child, in_link, closing = stack.pop()
        if closing:
            add(child.tail, in_link)
            continue
        tag = _tag(child)
        if tag and tag not in SKIP and tag not in BLOCKS and not is_hidden(child):
            if tag == "br":
                add("\n", in_link)
            else:
                link = in_link or (tag in ("a", "area") and child.get("href") is not None)
                add(child.text, link)
                stack.append((child, in_link, True))
                stack.extend((c, link, False) for c in reversed(child))
                continue
        elif tag in BLOCKS:
            add("\n", in_link)  # a nested block ends this block's line
        add(child.tail, in_link)
    return "".join(chars), flags


def _blocks(root: etree._Element) -> Iterator[etree._Element]:
    """Readable block elements in document order (not under nav/script/hidden).
    Iterative, so a page nested thousands of levels deep is still read."""
    stack = [root]
    while stack:
        el = stack.pop()
        if _tag(el) in BLOCKS:
            yield el
        stack.extend(c for c in reversed(el) if _tag(c) and _tag(c) not in SKIP and not is_hidden(c))


def _keyword_re(keywords: tuple[str, ...]) -> re.Pattern[str] | None:
    alts = []
    for k in sorted({_fold(k).strip() for k in keywords if k.strip()}, key=len, reverse=True):
        e = re.escape(k)
        # Latin keywords need word edges: "Source" but not "Resources".
        if re.match(r"[A-Za-z]", k):
            e = r"(?<![A-Za-z])" + e
        if re.search(r"[A-Za-z]$", k):
            e += r"(?![A-Za-z])"
        alts.append(e)
    return re.compile("|".join(alts), re.IGNORECASE) if alts else None


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _trim(text: str) -> str:
    text = _collapse(text)
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def _balance(text: str) -> str:
    """Drop the closing bracket of an enclosing clause: （資料來源 主計總處） → 資料來源 主計總處."""
    text = text.strip()
    while text and text[-1] in ")）]】」』〕" and sum(text.count(c) for c in "(（[【「『〔") < sum(
        text.count(c) for c in ")）]】」』〕"
    ):
        text = text[:-1].rstrip()
    return text


def _strip_decor(text: str) -> str:
    t = text.strip()
    t = re.sub(r"^" + _NUMBERING, "", t)
    return re.sub(r"^" + _DECOR + r"+|" + _DECOR + r"+$", "", t)


# Between the names a statement lists: 資料來源：就養養護處、主計總處.
_NAME_SEPARATORS = re.compile(r"[、，,；;／/]|及|與|和")
_OWN = "\0"


def _names_only_own(cited: str, own: tuple[str, ...]) -> bool:
    """Whether every name a statement cites is the agency's own (module docstring)."""
    line = re.split(r"[\n。]", cited.lstrip(" \t\r\n:："), maxsplit=1)[0]
    for name in own:  # longest first: 企劃及管考處 before 管考處
        line = line.replace(name, _OWN)
    line = _SELF.sub(_OWN, line)
    parts = [p.strip(" \t【】〔〕「」『』()（）[]") for p in _NAME_SEPARATORS.split(line)]
    parts = [p for p in parts if p]
    return bool(parts) and all(p.startswith(_OWN) for p in parts)


def _statements(block: etree._Element, kw: re.Pattern[str], own: tuple[str, ...] = ()) -> list[_Statement]:
    original, in_link = _own_text(block)
    if not original.strip():
        return []
    # Most blocks hold no keyword: find that out before folding the text
    # (the keywords are folded already, so only full-width Latin needs it).
    if not kw.search(original) and not _FULL_WIDTH_LATIN.search(original):
        return []
    text = _fold(original)
    starts: list[tuple[int, str]] = []  # offset, kind: heading | cite | self
    is_heading_tag = _tag(block) in HEADINGS
    bare = _strip_decor(text)
    for m in kw.finditer(text):
        if any(in_link[m.start():m.end()]):
            continue  # a menu word, or the citation link itself
        keyword = m.group(0)
        before, after = text[: m.start()], text[m.end():]
        alone = bare.lower() == keyword.lower() or (
            is_heading_tag and bare.lower().endswith(keyword.lower()) and not _strip_decor(after)
        )
        if alone:
            starts.append((m.start(), "heading"))
            continue
        clause_start = not before.strip() or before.rstrip()[-1] in _CLAUSE_OPENERS or re.fullmatch(
            r"\s*" + _NUMBERING + r"?\s*", before
        )
        if (
            re.match(r"\s*:", after)
            or (keyword.endswith("自") and re.match(r"\s*\w", after))
            or (clause_start and re.match(r"\s+\w|\s*[/|｜／]\s*\w", after))
        ):
            nxt = kw.search(after)
            cited = after[: nxt.start() if nxt else len(after)]
            starts.append((m.start(), "self" if _names_only_own(cited, own) else "cite"))
    out = []
    for i, (start, kind) in enumerate(starts):
        if kind == "self":
            continue
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        # A heading-like statement is quoted whole (相關參考資料, 一、參考資料：).
        span = original if kind == "heading" else original[start:end]
        out.append(_Statement(block, _trim(_balance(span)), kind == "heading"))
    return out


def _next_element(el: etree._Element) -> etree._Element | None:
    """The element right after `el`, climbing out of wrappers it ends (≤ 3 levels)."""
    cur = el
    for _ in range(4):
        sib = cur.getnext()
        while sib is not None and (not _tag(sib) or _tag(sib) in ("br", "hr") or _tag(sib) in SKIP):
            sib = sib.getnext()
        if sib is not None:
            return sib
        cur = cur.getparent()
        if cur is None or _tag(cur) == "body":
            return None
    return None


def _column_cells(th: etree._Element) -> list[etree._Element]:
    """Cells below a column header (a <th> in a row of headers only)."""
    row = th.getparent()
    table = next((a for a in th.iterancestors("table")), None)
    if row is None or table is None:
        return []
    col = 0
    for cell in row:
        if cell is th:
            break
        if _tag(cell) in ("td", "th"):
            span = cell.get("colspan") or "1"
            col += int(span) if span.isdigit() else 1
    cells = []
    for tr in table.iter("tr"):
        if tr is row:
            continue
        i = 0
        for cell in tr:
            if _tag(cell) not in ("td", "th"):
                continue
            if i == col:
                cells.append(cell)
                break
            span = cell.get("colspan") or "1"
            i += int(span) if span.isdigit() else 1
    return cells


def _heading_linked(block: etree._Element, links: _Links) -> bool:
    if links.holds(block):
        return True
    if _tag(block) == "th":
        row = block.getparent()
        if row is not None and not any(_tag(c) == "td" for c in row):
            return any(links.holds(c) for c in _column_cells(block))
    return links.holds(_next_element(block))


def _quote_attributed(q: etree._Element, stated: set[etree._Element], links: _Links) -> bool:
    """`stated`: the blocks holding a source statement, linked or not."""
    if (q.get("cite") or "").strip():
        return True
    # The HTML idiom <footer>/<cite> carrying a link also names the source.
    if any(links.holds(el) for el in q.iter("cite", "footer")):
        return True
    near: list[etree._Element] = [q]
    if _tag(q) == "q":
        parent = next((a for a in q.iterancestors() if _tag(a) in BLOCKS), None)
        if parent is not None:
            near = [q, parent]
            q = parent
    after = _next_element(q)
    if after is not None:
        if _tag(after) in ("cite", "figcaption", "footer") and links.holds(after):
            return True
        near.append(after)
    return any(el in stated for root in near for el in root.iter())


_FULL_WIDTH_LATIN = re.compile("[\uff21-\uff3a\uff41-\uff5a]")


def _may_hold_statement(page: Page, keywords: tuple[str, ...]) -> bool:
    """A cheap first look: does the page's visible text hold a keyword at all?

    The visible text holds every text the block walk reads (and more: menus),
    so when no keyword is in it, no block can hold a statement and the walk
    — the costly part of this check — is skipped.  Full-width Latin
    (Ｓｏｕｒｃｅ) is compared folded, like the walk does."""
    text = page.visible_text
    low = text.lower()
    if _FULL_WIDTH_LATIN.search(text):
        low = _fold(low).lower()
    return any(k in low for k in (_fold(k).strip().lower() for k in keywords) if k)


# --- quotations ------------------------------------------------------------------

# A class naming a quotation makes a <blockquote> one, whatever it holds.
_QUOTE_CLASS = re.compile(r"quot|cite|citation|testimonial|epigraph|引言|引文|引述", re.I)
_OPEN_QUOTES = "「『“‘\"〝«＂‹"
_CLOSE_QUOTES = "」』”’\"〞»＂›"
# An attribution line under a quotation: —— 孔子, ─ 行政院長, -- Lincoln, ～摘自…
_ATTRIBUTION_LINE = re.compile(r"^\s*(?:[—―─–]+|-{2,}|－{1,}|～|~)\s*\S")
_QUOTE_MARKUP = ("q", "cite", "footer")


def _line_quoted(line: str) -> bool:
    line = line.strip()
    return len(line) > 1 and (line[0] in _OPEN_QUOTES or line.rstrip("。.，,；;！!？?")[-1:] in _CLOSE_QUOTES)


def is_layout_blockquote(bq: etree._Element) -> bool:
    """A <blockquote> used to indent or box text, not to quote (module docstring)."""
    if _tag(bq) != "blockquote" or (bq.get("cite") or "").strip():
        return False
    if not any((bq.get(a) or "").strip() for a in ("class", "style", "dir")):
        return False  # a bare blockquote means what HTML says: a quotation
    if _QUOTE_CLASS.search(bq.get("class") or ""):
        return False
    if any(True for _ in bq.iter(*_QUOTE_MARKUP)):
        return False
    lines = "\n".join(_own_text(el)[0] for el in bq.iter() if _tag(el) in BLOCKS).split("\n")
    return not any(_line_quoted(line) or _ATTRIBUTION_LINE.match(line) for line in lines)


def check(page: Page, ctx: CheckContext) -> Iterator[Finding]:
    if not page.is_html:
        return
    kw = _keyword_re(ctx.settings.citation_keywords)
    root = page.body
    links = _Links(page)

    statements: list[_Statement] = []
    own = tuple(sorted({_fold(n).strip() for n in ctx.settings.own_names if n.strip()}, key=len, reverse=True))
    if kw is not None and _may_hold_statement(page, ctx.settings.citation_keywords):
        for block in _blocks(root):
            for s in _statements(block, kw, own):
                s.linked = _heading_linked(block, links) if s.heading else links.holds(block)
                statements.append(s)

    reported: set[str] = set()
    for s in statements:
        if s.linked or s.text in reported:
            continue
        reported.add(s.text)
        yield page.finding(
            CHECK, "citation.no-link", _RULE["citation.no-link"].severity,
            f"註明出處但未附連結：「{s.text}」", text=s.text,
        )

    stated = {s.block for s in statements}
    quoted: set[str] = set()
    for q in root.iter(*QUOTES):
        if is_hidden(q) or any(_tag(a) in SKIP or is_hidden(a) for a in q.iterancestors()):
            continue
        if is_layout_blockquote(q) or _quote_attributed(q, stated, links):
            continue
        text = _trim("".join(q.itertext()))
        if not text or text in quoted:
            continue
        quoted.add(text)
        yield page.finding(
            CHECK, "citation.quote-unattributed", _RULE["citation.quote-unattributed"].severity,
            f"引文未註明出處：「{text}」", text=text,
        )
