"""The 檢測碼 axe-core does not cover, checked as Freego checks them: `moda.<code>`.

SPEC rule table row `moda.<code>` and `[accessibility] spec`/`level`: for the
configured 網站無障礙規範 edition, every machine-check code (suffix C) at or
below the configured level that no axe rule of the run stands for — or that
axe covers only in part — is judged here from the parsed page
(`checks.a11y_spec.own_check_codes`; codes above the level are skipped).  One
finding per code per page, error at A/AA, warning at AAA, with `code`,
`level`, `sc`, `targets` (CSS-selector-like paths, first 10), `html` (the
first offender, ≤ 300 characters), `help_url`, plus `nodes` (count),
`reasons` (what is wrong with each target, parallel to `targets`) and
`spec`.

Like Freego (FREEGO3 bytecode matrix, checks/data/README.md), every DOM check
skips `aria-hidden="true"` subtrees, `<template>`/`<slot>` content and
elements hidden by the markup (`hidden`, inline `display:none` /
`visibility:hidden`, `checks.page.is_hidden`), and their descendants.

What each code checks, and where Freego and MODA's wording differ (we follow
Freego; noted per code):

- HM1110106C  `<img alt="">` (or blank) with a non-empty `title`.
- HM1130100C  headings: a level skipped going down (h2 -> h4; the first
  heading may start at any level, so h2 under a logo without h1 passes), an
  empty heading (no text, no image alt, no aria-label), `role=heading`
  without `aria-level`, more than one `<h1>` on a page with no sectioning
  elements, and a page with no heading at all (Freego's messages, which the
  115.11 wording "巢狀層次結構" does not spell out).
- HM1130101C  a data table with headers in both directions (column headers
  in `<thead>`/the first row, row headers in later rows): every non-empty
  `<th>` needs `scope` (row, col, rowgroup, colgroup).  Tables whose data
  cells use `headers` (id/headers, HM1130102C) and tables with headers in
  one direction only pass: the relation is unambiguous there.
- HM1130103C  (115.11; HM1130103C_1 in 110.07) `<optgroup>` without a
  `label`, with an empty one, or repeating another group's label in the same
  `<select>`.  A long `<select>` with no groups is not failed: MODA's
  wording asks to group, Freego only reviews it.
- HM1130104C  a visible `input` (not hidden/submit/reset/button/image),
  `select` or `textarea` with no name from `<label for>`, a wrapping
  `<label>`, `title`, `aria-label` or `aria-labelledby` (Freego accepts the
  ARIA names the MODA wording does not list); a placeholder alone never
  names a control; an associated label that is empty fails.
- HM1130105C  (115.11; HM1130103C in 110.07) a `<fieldset>` whose first
  child is not a non-empty `<legend>`; in 115.11 also radio / checkbox
  groups (two or more with one name in one form) outside any `<fieldset>`
  (an ARIA `group`/`radiogroup` with a name is accepted too).
- HM1130200C  right-to-left text (Hebrew, Arabic, …) with no `dir` on it or
  an ancestor, no `<bdi>`/`<bdo>` and no RLM/LRM/ALM or bidi control mark.
- HM1240102C  a visible `<nav>` with no child element (Freego's predicate).
- HM1240400C  a link holding an image and text where the image's alt repeats
  the link text (Freego's predicate); and, by MODA's wording, an image link
  and a text link to the same URL side by side (only whitespace between)
  whose alt repeats the text.  Image and text links in separate containers
  (news cards) are not failed: Freego does not.
- HM2310200C  a `lang` inside `<body>` that is blank, not a well-formed
  language tag (BCP 47 syntax), or equal to the page's own `<html lang>`
  (Freego fails that: it does not mark a different language).
- ME1320200C  a link to an office document (doc, docx, xls, xlsx, ppt, pptx,
  pps, ppsx) with no open-format alternative: an ODF, PDF or HTML file with
  the same name, or any such file in the same list item, table row,
  paragraph or definition entry.  Distinct from `attachment.no-odf`: a .docx
  with a .pdf beside it passes here.
- CS2140401C  absolute units (px pt pc in cm mm Q) in `font-size` (and the
  size in the `font` shorthand) of inline `style` and `<style>` blocks, read
  from the page, and of linked / @import-ed stylesheets, read from the
  browser stage's CSSOM facts (`axe_results[url]["css"]`).  Math and
  variables (calc(), var(), clamp() …) pass, as in Freego.  A stylesheet the
  browser could not read (`css.unreadable`) is a notice on the page,
  `moda.css-unreadable` ("樣式表無法讀取"), never a silent pass.
- AAA: CS3140800C (colours of the main content — `html`, `body`, `main`,
  `[role=main]` — set in CSS while the page offers no alternate style sheet;
  not in Freego v3, so from the wording), CS3140801C (absolute `max-width`),
  CS3140802C (absolute `line-height`; unitless numbers pass), HM3240900C
  (a link without a non-empty `title`), HM3241000C (no heading at all).
- 110.07 only: HM1110102C (a `longdesc` that is blank or no usable URL).

Not machine-checkable (`checks.a11y_spec.not_machine_checkable`): HM1110103C
(whether characters are ASCII art or emoticons) and, in 110.07, HM1410100C,
HM3330500C, CS2140400C, CS2140402C.

`help_url` is the code's MODA detail page,
https://accessibility.moda.gov.tw/Download/Detail/<id>?Category=63, the
110.07 web index page of the same check (115.11 has no per-code pages the
sources name; renumbered codes link the page of their check).

Also here: `content_kinds(page)` (pages.jsonl `features`) and
`manual_review_points(kinds, spec, level)` (the 人工 review list).
"""
from __future__ import annotations

import csv
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, unquote, urldefrag, urljoin, urlsplit

from lxml import etree

from checks import a11y_spec
from checks.a11y_spec import Code
from checks.model import CheckContext, Finding, Rule, Severity
from checks.page import Page, is_hidden, tag_of
from checks.urls import Malformed, resolve

CHECK = "accessibility"
MAX_TARGETS = 10
HTML_LIMIT = 300
CSS_UNREADABLE = "moda.css-unreadable"


# ---- rule metadata -------------------------------------------------------------

# How to fix, per code (the 115.11 meaning; `fixes` by edition where the
# code means another check in 110.07).
_FIX: dict[str, str] = {
    "HM1110100C": "為每個 <img> 加上 alt：有意義的圖片寫出其內容或功能，裝飾用圖片寫 alt=\"\"。",
    "HM1110101C": "為影像地圖的每個 <area> 加上說明其目的地的 alt。",
    "HM1110103C": "以字符組成的圖案或表情符號，請放在 <span title=\"說明\"> 等組件中並以 title 說明其意思。",
    "HM1110104C": "為 <input type=\"image\"> 加上說明按鈕功能的 alt（例如「查詢」）。",
    "HM1110105C": "為 <object>、<embed> 提供替代內容或 title，說明其內容。",
    "HM1110106C": "裝飾用圖片（alt=\"\"）請移除 title 屬性；若圖片有意義，請把說明寫在 alt，不要寫在 title。",
    "HM1130100C": "標題依層級使用：由 h1 起、往下一次只降一層（h2 之後是 h3，不要跳到 h4），"
                  "不留空白標題；每頁只用一個 h1（或以 section、article 分節）；role=\"heading\" 須加 aria-level。",
    "HM1130101C": "行、列都有標題的資料表格，請在每個 <th> 加上 scope：欄標題 scope=\"col\"、列標題 scope=\"row\"。",
    "HM1130102C": "複雜表格請以 <th id> 與 <td headers> 指出每個資料格對應的標題儲存格。",
    "HM1130103C": "使用 <optgroup> 分群選項時，每個 <optgroup> 都要有不重複、非空白的 label 屬性。",
    "HM1130104C": "為每個可見的表單欄位加上 <label for=\"欄位 id\">（或以 <label> 包住欄位），"
                  "或加上 title；只有 placeholder 提示文字並不足夠。",
    "HM1130105C": "相關的欄位（同一組單選、複選）請以 <fieldset> 包住，"
                  "並以 <fieldset> 的第一個子元素 <legend> 寫出群組標題。",
    "HM1130200C": "阿拉伯文、希伯來文等由右至左的文字，請以 dir=\"rtl\"（或 <bdi>）標示，或加上 RLM／LRM 標記。",
    "HM1240102C": "移除沒有內容的 <nav>，或在其中放入導覽鏈結。",
    "HM1240200C": "每頁 <head> 都要有描述該頁的 <title>。",
    "HM1240400C": "圖片與文字連到同一處時，請放在同一個鏈結中，並把圖片設為 alt=\"\"（或 alt 不要重複鏈結文字）。",
    "HM1240401C": "每個鏈結都要有鏈結文字；圖片鏈結的圖片要有 alt。",
    "HM1310100C": "在 <html> 加上正確的 lang 屬性（例如 lang=\"zh-Hant-TW\"）。",
    "ME1320200C": "提供 Word、Excel、PowerPoint 等檔案下載時，請同時提供開放格式（ODF：odt、ods、odp，或 PDF、HTML），"
                  "放在同一列或同一段落。",
    "HM1410200C": "依規格使用表單控制組件與鏈結，提供正確的角色、名稱與值。",
    "HM1410201C": "每個 <iframe> 都要有說明其內容的 title。",
    "CS2140401C": "CSS 的 font-size 請改用 em、rem、% 或具名尺寸（small、large…），不要用 px、pt 等絕對單位"
                  "（行內 style、<style> 與外部樣式表都要改）。",
    "HM2310200C": "只在內容的語言與網頁不同時加 lang，且其值要是正確的語言代碼（例如英文段落 lang=\"en\"）；"
                  "不要留空白的 lang，也不要重複宣告與 <html lang> 相同的語言。",
    "CS3140800C": "只有一份樣式表、使用者無法切換時，不要在 CSS 指定主要內容（body、main）的文字與背景色彩；"
                  "或提供可切換的替代樣式表。",
    "CS3140801C": "以 %、em、rem 或 ch 設定欄寬（max-width），最大欄寬不超過 40 個中文字（80 個字母）。",
    "CS3140802C": "以不帶單位的數值（例如 line-height: 1.5）或 em、% 設定行距，不要用 px 等絕對單位。",
    "HM3240900C": "每個鏈結都要有鏈結文字，並以 title 屬性說明鏈結目的。",
    "HM3241000C": "以標題（h1–h6）組織網頁內容。",
    # 110.07-only codes
    "HM1410100C": "網頁語法請通過 W3C 驗證。",
    "HM1110102C": "longdesc 屬性值須為有效的網址，且其指向的長描述頁可連回此圖片。",
    "HM3330500C": "以 title 屬性提供與脈絡相關的說明。",
    "CS2140400C": "以 CSS 指定呈現方式。",
    "CS2140402C": "含有文字的元素，其 CSS 字型尺寸請使用 em 相對單位。",
    "HM1130103C_1": "使用 <optgroup> 分群選項時，每個 <optgroup> 都要有不重複、非空白的 label 屬性。",
}


def _rules() -> tuple[Rule, ...]:
    """One Rule per code of every edition (id `moda.<code>`), titled with the
    code's wording (115.11 where it has the code), plus the unreadable-CSS
    notice."""
    out: list[Rule] = []
    for code in a11y_spec.all_code_ids():
        new = a11y_spec.code_info(code, "115.11")
        old = a11y_spec.code_info(code, "110.07")
        info = new or old
        assert info is not None
        severity = Severity.warning if info.level == "AAA" else Severity.error
        fixes: dict[str, str] = {}
        if new and old and new.other_code != code:
            # the same number, another check in 110.07 (HM1130103C)
            fixes = {"115.11": _FIX[code], "110.07": _FIX.get(old.other_code or code, _FIX[code])}
        out.append(Rule(
            id=f"moda.{code}", check=CHECK, severity=severity,
            title=f"{code} {info.zh_description}", fix=_FIX[code],
            detail=("code", "level", "sc", "targets", "html", "help_url", "nodes", "reasons", "spec"),
            fix_key="spec" if fixes else "", fixes=fixes,
        ))
    out.append(Rule(
        id=CSS_UNREADABLE, check=CHECK, severity=Severity.notice,
        title="樣式表無法讀取（CS2140401C 未能完整檢測）",
        fix="確認所列樣式表可以從網站取得（未被阻擋、沒有 HTTP 錯誤、格式正確），"
            "或將其主機加入 [accessibility] subresource_hosts，再重新檢測。",
        detail=("code", "level", "sc", "targets", "html", "help_url", "nodes", "reasons", "spec"),
    ))
    return tuple(out)


RULES = _rules()
_RULE = {r.id: r for r in RULES}


# ---- the scan of one page ------------------------------------------------------

@dataclass
class Hit:
    """One offending element (or CSS rule) for one code."""

    el: etree._Element | None
    reason: str  # zh
    target: str = ""  # set when there is no element (CSS rules, stylesheets)
    html: str = ""
    css: dict[str, Any] | None = None
    link: str = ""


_HIDE_XPATH = etree.XPath("//*[@aria-hidden or @hidden or @style] | //template | //slot")


@dataclass
class Scan:
    """Per-page facts the codes share, computed once."""

    page: Page
    spec: str
    css_facts: Mapping[str, Any]
    hidden: set = field(default_factory=set)
    _ids: dict[str, etree._Element] | None = None
    _decls: list[Decl] | None = None

    def __post_init__(self) -> None:
        # Every element Freego skips: the hiding element and its subtree.
        for el in _HIDE_XPATH(self.page.tree):
            if el in self.hidden:
                continue
            tag = tag_of(el)
            if (tag in ("template", "slot") or (el.get("aria-hidden") or "").strip().lower() == "true"
                    or is_hidden(el)):
                self.hidden.update(el.iter())

    def visible(self, els: Iterable[etree._Element]) -> Iterator[etree._Element]:
        hidden = self.hidden
        return (el for el in els if el not in hidden)

    @property
    def root(self) -> etree._Element:
        return self.page.tree

    @property
    def ids(self) -> dict[str, etree._Element]:
        """id -> first element carrying it (aria-labelledby targets)."""
        if self._ids is None:
            self._ids = {}
            for el in self.root.iterfind(".//*[@id]"):
                self._ids.setdefault(el.get("id") or "", el)
        return self._ids

    def text(self, el: etree._Element, skip: frozenset[str] = frozenset()) -> str:
        """The visible text of `el` (hidden descendants left out), collapsed."""
        parts: list[str] = [el.text or ""]
        stack = [c for c in reversed(el)]
        while stack:
            c = stack.pop()
            if isinstance(c, str):
                parts.append(c)
                continue
            tag = tag_of(c)
            if tag and c not in self.hidden and tag not in skip and tag not in ("script", "style"):
                parts.append(c.text or "")
                if c.tail:
                    stack.append(c.tail)
                stack.extend(reversed(list(c)))
            elif c.tail:
                parts.append(c.tail)
        return " ".join("".join(parts).split())


# ---- paths and snippets --------------------------------------------------------

_IDENT = re.compile(r"^-?[A-Za-z_][\w-]*$")


def css_path(el: etree._Element) -> str:
    """A CSS selector for `el`: `#id` of the nearest ancestor-or-self with a
    usable id, then `tag:nth-of-type(n)` steps (n only where siblings share
    the tag), like axe's targets."""
    steps: list[str] = []
    cur: etree._Element | None = el
    while cur is not None:
        tag = tag_of(cur)
        if not tag:
            break
        ident = cur.get("id")
        if ident and _IDENT.match(ident):
            steps.append(f"#{ident}" if tag not in ("html", "body") else tag)
            break
        if tag in ("html", "body"):
            steps.append(tag)
            break
        parent = cur.getparent()
        step = tag
        if parent is not None:
            same = [s for s in parent if tag_of(s) == tag]
            if len(same) > 1:
                step = f"{tag}:nth-of-type({same.index(cur) + 1})"
        steps.append(step)
        cur = parent
    return " > ".join(reversed(steps))


def snippet(el: etree._Element, limit: int = HTML_LIMIT) -> str:
    """The element's markup, at most `limit` characters."""
    try:
        text = etree.tostring(el, method="html", encoding="unicode", with_tail=False)
    except (ValueError, TypeError):  # pragma: no cover - lxml refuses odd nodes
        return ""
    text = " ".join(text.split())
    return text[:limit]


def _attr(el: etree._Element, name: str) -> str:
    return (el.get(name) or "").strip()


def _tokens(el: etree._Element, name: str) -> list[str]:
    return (el.get(name) or "").lower().split()


# ---- HM1110106C ------------------------------------------------------------------

def _hm1110106c(s: Scan) -> list[Hit]:
    hits = []
    for img in s.visible(s.root.iter("img")):
        alt = img.get("alt")
        title = _attr(img, "title")
        if alt is not None and not alt.strip() and title:
            hits.append(Hit(img, f"替代文字為空字串的圖片有標題屬性（title=\"{title[:40]}\"）"))
    return hits


# ---- HM1130100C / HM3241000C -------------------------------------------------------

_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_ROLE_HEADINGS = etree.XPath("//*[@role]")
# h1-h6 and role=heading together, in document order (only when the page has role=heading)
_ALL_HEADINGS = etree.XPath("//h1 | //h2 | //h3 | //h4 | //h5 | //h6 | //*[@role]")
_SECTIONING = ("article", "section", "aside", "nav")


@dataclass
class _Heading:
    el: etree._Element
    level: int
    tag: str
    aria_level_missing: bool = False


def _headings(s: Scan) -> list[_Heading]:
    out: list[_Heading] = []
    has_role = any("heading" in _tokens(el, "role") for el in _ROLE_HEADINGS(s.root))
    candidates = _ALL_HEADINGS(s.root) if has_role else s.root.iter(*_HEADING_TAGS)
    for el in s.visible(candidates):
        tag = tag_of(el)
        roles = _tokens(el, "role")
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            if roles and roles[0] in ("presentation", "none"):
                continue
            if roles and roles[0] == "heading" and _attr(el, "aria-level").isdigit():
                out.append(_Heading(el, int(_attr(el, "aria-level")), tag))
            else:
                out.append(_Heading(el, int(tag[1]), tag))
        elif roles and roles[0] == "heading":
            lvl = _attr(el, "aria-level")
            if lvl.isdigit() and int(lvl) > 0:
                out.append(_Heading(el, int(lvl), tag))
            else:
                out.append(_Heading(el, 2, tag, aria_level_missing=True))  # ARIA's default level
    return out


def _named(s: Scan, el: etree._Element) -> bool:
    """Does the element have any accessible text: visible text, a non-empty
    image alt, aria-label or aria-labelledby text?"""
    if s.text(el):
        return True
    if _attr(el, "aria-label"):
        return True
    if _labelledby_text(s, el):
        return True
    for img in s.visible(el.iter("img", "area", "input")):
        if _attr(img, "alt") or _attr(img, "aria-label"):
            return True
    for svg in s.visible(el.iter("svg")):
        if _attr(svg, "aria-label") or any(s.text(t) for t in svg.iter("title")):
            return True
    return False


def _by_id(s: Scan, ident: str) -> etree._Element | None:
    return s.ids.get(ident)


def _labelledby_text(s: Scan, el: etree._Element) -> str:
    out = []
    for ident in (el.get("aria-labelledby") or "").split():
        ref = _by_id(s, ident)
        if ref is not None:
            # aria-labelledby may point at hidden text: it still names the element
            out.append(" ".join("".join(ref.itertext()).split()) or _attr(ref, "aria-label"))
    return " ".join(t for t in out if t)


def _redirect_stub(s: Scan) -> bool:
    """A `<meta http-equiv="refresh">` page (a way station) or a frameset
    (its content is in the frames' own pages): no headings of its own."""
    if any(True for _ in s.root.iter("frameset")):
        return True
    return any((m.get("http-equiv") or "").strip().lower() == "refresh" for m in s.root.iter("meta"))


def _hm1130100c(s: Scan) -> list[Hit]:
    heads = _headings(s)
    if not heads:
        if _redirect_stub(s):
            return []
        return [Hit(s.root, "網頁沒有使用任何標題組件（h1–h6）", target="html", html="<html>")]
    hits: list[Hit] = []
    prev: int | None = None
    h1s = []
    for h in heads:
        if h.aria_level_missing:
            hits.append(Hit(h.el, "role=\"heading\" 未指定 aria-level"))
        if not _named(s, h.el):
            hits.append(Hit(h.el, f"空白的標題（<{h.tag}>）" if h.tag[:1] == "h" and h.tag[1:].isdigit()
                            else "空白的標題（role=\"heading\"）"))
            continue  # an empty heading is not part of the outline
        if h.level == 1:
            h1s.append(h)
        if prev is not None and h.level > prev + 1:
            hits.append(Hit(h.el, f"標題層級由 h{prev} 跳到 h{h.level}"))
        prev = h.level
    if len(h1s) > 1 and not any(True for _ in s.root.iter(*_SECTIONING)):
        for h in h1s[1:]:
            hits.append(Hit(h.el, f"網頁有 {len(h1s)} 個 h1，且未以 section、article 等分節組件區隔"))
    return hits


def _hm3241000c(s: Scan) -> list[Hit]:
    if _headings(s) or _redirect_stub(s):
        return []
    return [Hit(s.root, "網頁沒有使用任何標題組件（h1–h6）", target="html", html="<html>")]


# ---- HM1130101C ------------------------------------------------------------------

_SCOPES = frozenset({"row", "col", "rowgroup", "colgroup"})


def _rows(table: etree._Element) -> list[tuple[etree._Element, bool]]:
    """The table's own rows (not nested tables'), with whether in <thead>."""
    out = []
    for child in table:
        tag = tag_of(child)
        if tag == "tr":
            out.append((child, False))
        elif tag in ("thead", "tbody", "tfoot"):
            out.extend((tr, tag == "thead") for tr in child if tag_of(tr) == "tr")
    return out


def _hm1130101c(s: Scan) -> list[Hit]:
    hits: list[Hit] = []
    for table in s.visible(s.root.iter("table")):
        role = _tokens(table, "role")
        if role and role[0] in ("presentation", "none"):
            continue
        rows = _rows(table)
        if not rows:
            continue
        col_heads = row_heads = False
        ths: list[etree._Element] = []
        uses_headers = True
        any_td = False
        for tr, in_head in rows:
            cells = [c for c in tr if tag_of(c) in ("th", "td")]
            row_ths = [c for c in cells if tag_of(c) == "th"]
            tds = [c for c in cells if tag_of(c) == "td"]
            ths.extend(row_ths)
            # a header row: in <thead>, or a row whose filled cells are all <th> (an
            # empty corner <td> allowed: multi-level column headers too); a <th>
            # beside data cells heads its row
            if row_ths and (in_head or not any(s.text(td) for td in tds)):
                col_heads = True
            elif row_ths:
                row_heads = True
            for td in tds:
                if s.text(td):
                    any_td = True
                    if not _attr(td, "headers"):
                        uses_headers = False
        if not (col_heads and row_heads):
            continue
        if any_td and uses_headers:
            continue  # id/headers associate every data cell (HM1130102C)
        for th in ths:
            if th in s.hidden or not s.text(th):
                continue
            scope = _attr(th, "scope").lower()
            if scope not in _SCOPES:
                why = "標題儲存格缺少 scope 屬性" if not scope else f"標題儲存格的 scope 值無效（{scope}）"
                hits.append(Hit(th, f"{why}：表格同時有欄標題與列標題"))
    return hits


# ---- HM1130103C (optgroup) ---------------------------------------------------------

def _optgroup(s: Scan) -> list[Hit]:
    hits: list[Hit] = []
    for select in s.visible(s.root.iter("select")):
        seen: set[str] = set()
        for og in select.iter("optgroup"):
            if og in s.hidden:
                continue
            label = og.get("label")
            if label is None:
                hits.append(Hit(og, "<optgroup> 缺少 label 屬性"))
            elif not label.strip():
                hits.append(Hit(og, "<optgroup> 的 label 為空白"))
            elif label.strip() in seen:
                hits.append(Hit(og, f"<optgroup> 的 label 與同一選單的其他分群重複（{label.strip()}）"))
            else:
                seen.add(label.strip())
    return hits


# ---- HM1130104C ------------------------------------------------------------------

_UNLABELLED_TYPES = frozenset({"hidden", "submit", "reset", "button", "image"})
_LABEL_SKIP = frozenset({"select", "textarea", "option", "optgroup", "datalist"})


def _control_name(s: Scan, ctrl: etree._Element, labels: Mapping[str, list[etree._Element]]) -> str | None:
    """None when the control is named; else why not (zh)."""
    ident = ctrl.get("id")
    empty_label = False
    if ident and ident in labels:
        for lab in labels[ident]:
            if _label_text(s, lab):
                return None
        empty_label = True
    for anc in ctrl.iterancestors("label"):
        if _label_text(s, anc):
            return None
        empty_label = True
        break
    if _attr(ctrl, "title") or _attr(ctrl, "aria-label") or _labelledby_text(s, ctrl):
        return None
    if empty_label:
        return "對應的 <label> 內容為空白"
    if _attr(ctrl, "placeholder"):
        return "只有 placeholder 提示文字，沒有 <label> 或 title"
    return "沒有對應的 <label>，也沒有 title"


def _label_text(s: Scan, lab: etree._Element) -> bool:
    # A label hidden by CSS still names its control; its text is what counts.
    if " ".join("".join(_iter_label_text(lab)).split()):
        return True
    return any(_attr(img, "alt") for img in lab.iter("img"))


def _iter_label_text(lab: etree._Element) -> Iterator[str]:
    yield lab.text or ""
    for c in lab:
        tag = tag_of(c)
        if tag and tag not in _LABEL_SKIP and tag not in ("script", "style"):
            yield from _iter_label_text(c)
        if c.tail:
            yield c.tail


_CONTROL_XPATH = etree.XPath("//input | //select | //textarea")


def _hm1130104c(s: Scan) -> list[Hit]:
    controls = [c for c in s.visible(_CONTROL_XPATH(s.root))
                if not (tag_of(c) == "input" and _attr(c, "type").lower() in _UNLABELLED_TYPES)]
    if not controls:
        return []
    labels: dict[str, list[etree._Element]] = {}
    for lab in s.root.iter("label"):
        target = lab.get("for")
        if target:
            labels.setdefault(target, []).append(lab)
    hits: list[Hit] = []
    for ctrl in controls:
        why = _control_name(s, ctrl, labels)
        if why:
            hits.append(Hit(ctrl, f"表單欄位{why}"))
    return hits


# ---- HM1130105C (fieldset/legend; 110.07 HM1130103C) ------------------------------

def _fieldset(s: Scan, groups: bool) -> list[Hit]:
    hits: list[Hit] = []
    for fs in s.visible(s.root.iter("fieldset")):
        first = next((c for c in fs if tag_of(c)), None)
        if first is None or tag_of(first) != "legend":
            has_legend = any(True for _ in fs.iterchildren("legend"))
            hits.append(Hit(fs, "<fieldset> 的第一個子元素不是 <legend>" if has_legend
                            else "<fieldset> 缺少 <legend> 群組標題"))
        elif not s.text(first) and not any(_attr(i, "alt") for i in first.iter("img")):
            hits.append(Hit(fs, "<legend> 內容為空白"))
    if not groups:
        return hits
    by_group: dict[tuple[Any, str, str], list[etree._Element]] = {}
    for inp in s.visible(s.root.iter("input")):
        kind = _attr(inp, "type").lower()
        name = _attr(inp, "name")
        if kind not in ("radio", "checkbox") or not name:
            continue
        form = next(inp.iterancestors("form"), None)
        by_group.setdefault((form, kind, name), []).append(inp)
    for (_form, kind, name), members in by_group.items():
        if len(members) < 2 or all(_grouped(s, m) for m in members):
            continue
        what = "單選" if kind == "radio" else "複選"
        hits.append(Hit(members[0], f"一組{what}欄位（name=\"{name}\"，共 {len(members)} 個）未以 <fieldset> 分群"))
    return hits


def _grouped(s: Scan, el: etree._Element) -> bool:
    for anc in el.iterancestors():
        tag = tag_of(anc)
        if tag == "fieldset":
            return True
        roles = _tokens(anc, "role")
        if roles and roles[0] in ("group", "radiogroup") and (_attr(anc, "aria-label") or _labelledby_text(s, anc)):
            return True
    return False


# ---- HM1130200C ------------------------------------------------------------------

_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_BIDI_MARKS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")


def _hm1130200c(s: Scan) -> list[Hit]:
    if not _RTL.search(s.page.html):
        return []  # the common case: no right-to-left script on the page
    hits: list[Hit] = []
    seen: set = set()
    for el in s.visible(s.page.body.iter()):
        tag = tag_of(el)
        if not tag or tag in ("script", "style", "title"):
            continue
        for text, owner in ((el.text, el), (el.tail, el.getparent())):
            if not text or owner is None or owner in seen or not _RTL.search(text) or _BIDI_MARKS.search(text):
                continue
            if owner in s.hidden and owner is not el:
                continue
            if _has_direction(owner):
                continue
            seen.add(owner)
            hits.append(Hit(owner, "由右至左的文字未以 dir 屬性或 RLM／LRM 標記文字方向"))
    return hits


def _has_direction(el: etree._Element) -> bool:
    cur: etree._Element | None = el
    while cur is not None:
        if tag_of(cur) in ("bdi", "bdo") or cur.get("dir") is not None:
            return True
        cur = cur.getparent()
    return False


# ---- HM1240102C ------------------------------------------------------------------

def _hm1240102c(s: Scan) -> list[Hit]:
    return [Hit(nav, "<nav> 沒有任何內容組件") for nav in s.visible(s.root.iter("nav"))
            if not any(tag_of(c) for c in nav)]


# ---- HM1240400C ------------------------------------------------------------------

def _norm(text: str) -> str:
    # whitespace carries no meaning between CJK characters: 常見 問答 = 常見問答
    return "".join(text.split()).casefold()


def _href(s: Scan, a: etree._Element) -> str:
    href = _attr(a, "href")
    try:
        return urljoin(s.page.base_url, href)
    except ValueError:
        return href


_IMAGE_LINKS = etree.XPath("//a[@href][.//img]")


def _hm1240400c(s: Scan) -> list[Hit]:
    hits: list[Hit] = []
    image_links = [a for a in s.visible(_IMAGE_LINKS(s.root)) if _attr(a, "href")]
    for a in image_links:
        imgs = [i for i in a.iter("img") if i not in s.hidden and _attr(i, "alt")]
        text = _norm(s.text(a)) if imgs else ""
        if not text:
            continue
        for img in imgs:
            if _norm(_attr(img, "alt")) == text:
                hits.append(Hit(a, f"鏈結中圖片的替代文字與鏈結文字重複（{_attr(img, 'alt')[:40]}）"))
                break
    # MODA's wording: an image link and a text link to one resource side by side
    for a in image_links:
        alts = [_attr(i, "alt") for i in a.iter("img") if i not in s.hidden]
        if s.text(a) or not any(alts):
            continue  # not an image-only link
        for other in (_neighbour(a, after=True), _neighbour(a, after=False)):
            if other is None or other in s.hidden or _href(s, a) != _href(s, other):
                continue
            text = _norm(s.text(other))
            if text and any(_norm(alt) == text for alt in alts):
                hits.append(Hit(a, f"相鄰的圖片鏈結與文字鏈結連到同一處，替代文字重複鏈結文字（{s.text(other)[:40]}）"))
                break
    return hits


def _neighbour(a: etree._Element, after: bool) -> etree._Element | None:
    """The <a> right beside `a` (only whitespace or comments between)."""
    if after:
        if (a.tail or "").strip():
            return None
        nxt = a.getnext()
        while nxt is not None and not tag_of(nxt):
            if (nxt.tail or "").strip():
                return None
            nxt = nxt.getnext()
        return nxt if nxt is not None and tag_of(nxt) == "a" and _attr(nxt, "href") else None
    prev = a.getprevious()
    while prev is not None and not tag_of(prev):
        prev = prev.getprevious()
    if prev is None or tag_of(prev) != "a" or (prev.tail or "").strip() or not _attr(prev, "href"):
        return None
    return prev


# ---- HM2310200C ------------------------------------------------------------------

# BCP 47 (RFC 5646) language tags, syntax only: a 2-3 letter language with
# extlangs, script, region, variants, extensions, private use; or x-/i- tags.
_LANGTAG = re.compile(
    r"^(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}(?:-[a-z]{4})?(?:-(?:[a-z]{2}|\d{3}))?"
    r"(?:-(?:[a-z\d]{5,8}|\d[a-z\d]{3}))*(?:-[a-wyz\d](?:-[a-z\d]{2,8})+)*(?:-x(?:-[a-z\d]{1,8})+)?"
    r"|x(?:-[a-z\d]{1,8})+|i-[a-z]{2,8})$", re.I)
_LANG_XPATH = etree.XPath(".//*[@lang]")


def valid_lang(value: str) -> bool:
    return bool(_LANGTAG.match(value.strip()))


def _hm2310200c(s: Scan) -> list[Hit]:
    html_el = s.root if tag_of(s.root) == "html" else s.root.find(".//html")
    page_lang = _attr(html_el, "lang").casefold() if html_el is not None else ""
    hits: list[Hit] = []
    for el in s.visible(_LANG_XPATH(s.page.body)):
        value = el.get("lang") or ""
        if not value.strip():
            hits.append(Hit(el, "lang 屬性為空白"))
        elif not valid_lang(value):
            hits.append(Hit(el, f"lang 屬性值不是正確的語言代碼（{value.strip()[:20]}）"))
        elif page_lang and value.strip().casefold() == page_lang:
            hits.append(Hit(el, f"lang 與網頁語言相同（{value.strip()}），未標示不同語言的段落"))
    return hits


# ---- ME1320200C ------------------------------------------------------------------

OFFICE = frozenset({"doc", "docx", "xls", "xlsx", "ppt", "pptx", "pps", "ppsx"})
OPEN_FORMATS = frozenset({"odt", "ods", "odp", "odg", "odb", "odf", "fodt", "fods", "fodp", "ott", "ots", "otp",
                          "pdf", "html", "htm", "xhtml"})
_KIND_ZH = {"doc": "Word", "docx": "Word", "xls": "Excel", "xlsx": "Excel", "ppt": "PowerPoint",
            "pptx": "PowerPoint", "pps": "PowerPoint", "ppsx": "PowerPoint"}
_DOC_HINT = re.compile(r"\.(?:{})(?![a-z0-9])".format("|".join(sorted(OFFICE | OPEN_FORMATS))), re.I)
_GROUPS = ("li", "tr", "p", "dd", "dt")


def document_name(url: str, download: str | None = None) -> tuple[str, str] | None:
    """(stem, extension) of the office or open-format document a URL
    delivers, lower-case: from the `download` attribute, any path segment
    (last first) or a query value holding a file name."""
    candidates: list[str] = []
    if download:
        candidates.append(posixpath.basename(unquote(download)))
    parts = urlsplit(url)
    candidates.extend(reversed([unquote(seg) for seg in parts.path.split("/") if seg]))
    for _key, value in parse_qsl(parts.query, keep_blank_values=False):
        candidates.append(posixpath.basename(value.replace("\\", "/")))
    for name in candidates:
        stem, ext = posixpath.splitext(name.strip())
        ext = ext[1:].lower()
        if stem and ext in OFFICE | OPEN_FORMATS:
            return stem.lower(), ext
    return None


def _me1320200c(s: Scan) -> list[Hit]:
    if not _DOC_HINT.search(s.page.html):
        return []  # the common case: a page that offers no document at all
    office: list[tuple[str, str, str, etree._Element]] = []
    open_stems: set[str] = set()
    open_groups: set = set()
    for a in s.root.iter("a", "area"):
        href = _attr(a, "href")
        download = a.get("download")
        if not href or not (_DOC_HINT.search(href) or (download and _DOC_HINT.search(download))):
            continue
        if a in s.hidden:
            continue
        try:
            target = urldefrag(urljoin(s.page.base_url, href))[0]
            name = document_name(target, download)
        except ValueError:
            continue
        if name is None:
            continue
        stem, ext = name
        group = next(a.iterancestors(*_GROUPS), None)
        if ext in OPEN_FORMATS:
            open_stems.add(stem)
            if group is not None:
                open_groups.add(group)
        else:
            office.append((target, stem, ext, a))
    hits: list[Hit] = []
    verdict: dict[str, bool] = {}
    first: dict[str, tuple[str, etree._Element]] = {}
    for target, stem, ext, a in office:
        group = next(a.iterancestors(*_GROUPS), None)
        ok = stem in open_stems or (group is not None and group in open_groups)
        verdict[target] = verdict.get(target, False) or ok
        first.setdefault(target, (ext, a))
    for target, ok in verdict.items():
        if not ok:
            ext, a = first[target]
            hits.append(Hit(a, f"{_KIND_ZH[ext]} 檔（.{ext}）未同時提供 ODF、PDF 或 HTML 等開放格式", link=target))
    return hits


# ---- CSS: CS2140401C, CS3140800C, CS3140801C, CS3140802C -----------------------------

_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_CSS_TOKEN = re.compile(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|[{};]")
_ABS = re.compile(r"(?<![\w.#-])[+-]?(?:\d+\.?\d*|\.\d+)(px|pt|pc|in|cm|mm|q)(?![\w-])", re.I)
_MATH = ("calc(", "var(", "min(", "max(", "clamp(", "env(", "round(", "attr(")


@dataclass(frozen=True)
class Decl:
    source: str  # "inline", "style" or a stylesheet URL
    selector: str
    prop: str
    value: str
    line: int
    el: etree._Element | None = None  # the element of an inline style


def _declarations(body: str) -> Iterator[tuple[str, str]]:
    for part in body.split(";"):
        prop, sep, value = part.partition(":")
        if sep:
            value = re.sub(r"!\s*important\s*$", "", value.strip(), flags=re.I).strip()
            yield prop.strip().lower(), value


def css_rules(text: str) -> Iterator[tuple[str, str, int]]:
    """(selector, declarations, line) of each style rule in a style sheet,
    inside @media / @supports too; @font-face, @keyframes steps and other
    at-rule bodies are not style rules and are left out.  Line numbers count
    from 1 within `text`."""
    text = _COMMENT.sub(lambda m: "\n" * m.group().count("\n"), text)
    stack: list[tuple[str, int, bool]] = []  # prelude, body start, has children
    start = 0
    for m in _CSS_TOKEN.finditer(text):
        tok = m.group()
        if tok[0] in "\"'":
            continue
        if tok == "{":
            if stack:
                p, b, _ = stack[-1]
                stack[-1] = (p, b, True)
            stack.append((text[start:m.start()].strip(), m.end(), False))
            start = m.end()
        elif tok == "}":
            if stack:
                prelude, body_start, children = stack.pop()
                in_keyframes = any(p.lower().startswith(("@keyframes", "@-webkit-keyframes")) for p, _, _ in stack)
                if prelude and not prelude.startswith("@") and not children and not in_keyframes:
                    yield prelude, text[body_start:m.start()], text.count("\n", 0, body_start) + 1
            start = m.end()
        else:
            start = m.end()


def _font_size_of_shorthand(value: str) -> str:
    """The size in a `font` shorthand: the first token with a unit or %
    (font-weight 700 has none), without the /line-height."""
    for tok in value.split():
        if re.match(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[a-z]+|%)", tok, re.I):
            return tok.split("/")[0]
        size = tok.split("/")[0]
        if size.lower() in ("xx-small", "x-small", "small", "medium", "large", "x-large", "xx-large",
                            "smaller", "larger"):
            return size
    return ""


def _line_height_of_shorthand(value: str) -> str:
    m = re.search(r"/\s*([^\s,]+)", value)
    return m.group(1) if m else ""


def absolute(value: str) -> bool:
    """Does a CSS value use an absolute length unit (px pt pc in cm mm Q)?
    Math functions and variables pass (Freego)."""
    v = value.strip().lower()
    if not v or v.startswith(_MATH):
        return False
    return bool(_ABS.search(v))


# property the code judges -> how to read it from a declaration
_CSS_PROPS: dict[str, tuple[str, ...]] = {
    "CS2140401C": ("font-size",),
    "CS3140801C": ("max-width",),
    "CS3140802C": ("line-height",),
}


_STYLED = etree.XPath("//*[@style]")


def _page_declarations(s: Scan) -> list[Decl]:
    """Declarations of inline styles (visible elements) and <style> blocks."""
    if s._decls is not None:
        return s._decls
    out: list[Decl] = []
    for el in s.visible(_STYLED(s.root)):
        for prop, value in _declarations(el.get("style") or ""):
            out.append(Decl("inline", "", prop, value, el.sourceline or 0, el))
    for st in s.root.iter("style"):
        # a <style> applies wherever it sits, even in a hidden block; not in a <template>
        if any(tag_of(a) == "template" for a in st.iterancestors()):
            continue
        base_line = st.sourceline or 1
        for selector, body, line in css_rules(st.text or ""):
            for prop, value in _declarations(body):
                out.append(Decl("style", " ".join(selector.split()), prop, value, base_line + line - 1))
    s._decls = out
    return out


def _prop_values(d: Decl, prop: str) -> Iterator[str]:
    if d.prop == prop:
        yield d.value
    elif d.prop == "font" and prop == "font-size":
        v = _font_size_of_shorthand(d.value)
        if v:
            yield v
    elif d.prop == "font" and prop == "line-height":
        v = _line_height_of_shorthand(d.value)
        if v:
            yield v


def _css_hits(s: Scan, code: str) -> list[Hit]:
    (prop,) = _CSS_PROPS[code]
    hits: list[Hit] = []
    for d in _page_declarations(s):
        for value in _prop_values(d, prop):
            if absolute(value):
                hits.append(_decl_hit(d, prop, value))
    for fact in _facts(s):
        source = str(fact.get("source") or "")
        if source in ("inline", "style") or (fact.get("property") or "font-size") != prop:
            continue  # inline and <style> are judged from the page itself
        value = str(fact.get("value") or "")
        if not absolute(value):
            continue
        d = Decl(source, str(fact.get("selector") or ""), prop, value, int(fact.get("line") or 0))
        hits.append(_decl_hit(d, prop, value))
    return hits


# Lists of CSSOM facts the browser stage may deliver, all entries shaped
# {"selector", "property", "value", "source", "line"?}: absolute font sizes
# (the contract), absolute max-width / line-height (AAA) and the colours set
# on html / body / main (AAA).
CSS_FACT_LISTS = ("absolute_font_sizes", "absolute_lengths", "main_colors")


def _facts(s: Scan) -> Iterator[Mapping[str, Any]]:
    for key in CSS_FACT_LISTS:
        for fact in s.css_facts.get(key) or ():
            if isinstance(fact, Mapping):
                yield fact


def _decl_hit(d: Decl, prop: str, value: str) -> Hit:
    css = {"source": d.source, "selector": d.selector, "property": prop, "value": value, "line": d.line}
    where = {"inline": "行內樣式", "style": "<style> 樣式"}.get(d.source, f"樣式表 {d.source}")
    reason = f"{where}的 {prop} 使用絕對單位（{value}）"
    if d.el is not None:
        return Hit(d.el, reason, css=css)
    return Hit(None, reason, target=d.selector or d.source, html=f"{d.selector} {{ {prop}: {value} }}"[:HTML_LIMIT],
               css=css)


def _cs2140401c(s: Scan) -> list[Hit]:
    return _css_hits(s, "CS2140401C")


def _cs3140801c(s: Scan) -> list[Hit]:
    return _css_hits(s, "CS3140801C")


def _cs3140802c(s: Scan) -> list[Hit]:
    return _css_hits(s, "CS3140802C")


_MAIN_SELECTORS = frozenset({"html", "body", "main", "[role=main]", '[role="main"]', ":root"})
_COLOUR_PROPS = ("color", "background-color", "background")


def _cs3140800c(s: Scan) -> list[Hit]:
    for link in s.root.iter("link"):
        rels = _tokens(link, "rel")
        if "alternate" in rels and "stylesheet" in rels:
            return []  # the user can switch to another style sheet
    hits: list[Hit] = []
    for d in _page_declarations(s):
        if d.prop not in _COLOUR_PROPS:
            continue
        if d.source == "inline":
            el = d.el
            if el is None or not (tag_of(el) in ("html", "body", "main") or "main" in _tokens(el, "role")):
                continue
        elif not (_MAIN_SELECTORS & {p.strip().lower() for p in d.selector.split(",")}):
            continue
        hits.append(_colour_hit(d))
    for fact in _facts(s):
        # the browser may report the main content's colours (`main_colors`)
        source = str(fact.get("source") or "")
        if str(fact.get("property") or "") in _COLOUR_PROPS and source not in ("inline", "style"):
            sel = str(fact.get("selector") or "")
            if _MAIN_SELECTORS & {p.strip().lower() for p in sel.split(",")}:
                hits.append(_colour_hit(Decl(str(fact["source"]), sel, str(fact["property"]),
                                             str(fact.get("value") or ""), int(fact.get("line") or 0))))
    return hits


def _colour_hit(d: Decl) -> Hit:
    css = {"source": d.source, "selector": d.selector, "property": d.prop, "value": d.value, "line": d.line}
    reason = f"未提供替代樣式表，卻指定主要內容的{'文字' if d.prop == 'color' else '背景'}色彩（{d.prop}: {d.value}）"
    if d.el is not None:
        return Hit(d.el, reason, css=css)
    return Hit(None, reason, target=d.selector, html=f"{d.selector} {{ {d.prop}: {d.value} }}"[:HTML_LIMIT], css=css)


# ---- HM3240900C (AAA) --------------------------------------------------------------

def _hm3240900c(s: Scan) -> list[Hit]:
    hits: list[Hit] = []
    for a in s.visible(s.root.iter("a")):
        href = _attr(a, "href")
        if not href or href == "#":
            continue
        if not _attr(a, "title"):
            hits.append(Hit(a, "鏈結沒有 title 屬性" if a.get("title") is None else "鏈結的 title 為空白"))
    return hits


# ---- HM1110102C (110.07) -------------------------------------------------------------

def _hm1110102c(s: Scan) -> list[Hit]:
    hits: list[Hit] = []
    for img in s.visible(s.root.iter("img")):
        if img.get("longdesc") is None:
            continue
        value = _attr(img, "longdesc")
        if not value:
            hits.append(Hit(img, "longdesc 屬性為空白"))
        elif isinstance(resolve(value, s.page.base_url), Malformed):
            hits.append(Hit(img, f"longdesc 不是有效的網址（{value[:60]}）"))
    return hits


# ---- the codes --------------------------------------------------------------------

# Implementations by the 115.11 code (110.07 codes reach them through the
# code map: 110.07 HM1130103C is the 115.11 HM1130105C check).
IMPLEMENTED: dict[str, Callable[[Scan], list[Hit]]] = {
    "HM1110106C": _hm1110106c,
    "HM1130100C": _hm1130100c,
    "HM1130101C": _hm1130101c,
    "HM1130103C": _optgroup,
    "HM1130104C": _hm1130104c,
    "HM1130105C": lambda s: _fieldset(s, groups=s.spec == "115.11"),
    "HM1130200C": _hm1130200c,
    "HM1240102C": _hm1240102c,
    "HM1240400C": _hm1240400c,
    "HM2310200C": _hm2310200c,
    "ME1320200C": _me1320200c,
    "CS2140401C": _cs2140401c,
    "CS3140800C": _cs3140800c,
    "CS3140801C": _cs3140801c,
    "CS3140802C": _cs3140802c,
    "HM3240900C": _hm3240900c,
    "HM3241000C": _hm3241000c,
    "HM1110102C": _hm1110102c,
}


def _implementation(info: Code) -> Callable[[Scan], list[Hit]] | None:
    if info.spec == "115.11":
        return IMPLEMENTED.get(info.code)
    # 110.07: the 115.11 check of the same meaning, or a 110.07-only one
    return IMPLEMENTED.get(info.other_code) if info.other_code else IMPLEMENTED.get(info.code)


@cache
def checked_codes(spec: str, level: str) -> tuple[Code, ...]:
    """The codes this module judges for the edition at the level."""
    codes = a11y_spec.machine_codes(spec)
    return tuple(codes[c] for c in a11y_spec.own_check_codes(spec, level) if _implementation(codes[c]))


def _settings(ctx: CheckContext) -> tuple[bool, str, str]:
    s = ctx.settings
    return (getattr(s, "a11y_enabled", True), getattr(s, "a11y_spec", a11y_spec.DEFAULT_SPEC),
            getattr(s, "a11y_level", a11y_spec.DEFAULT_LEVEL))


def check(page: Page, ctx: CheckContext) -> Iterator[Finding]:
    enabled, spec, level = _settings(ctx)
    if not enabled or not page.is_html:
        return
    result = ctx.axe_results.get(page.url) or {}
    css_facts = result.get("css") or {}
    scan = Scan(page, spec, css_facts)
    css_checked = False
    for info in checked_codes(spec, level):
        impl = _implementation(info)
        assert impl is not None
        css_checked = css_checked or info.code.startswith("CS")
        hits = impl(scan)
        if hits:
            yield _finding(page, info, hits)
    unreadable = [str(u) for u in css_facts.get("unreadable") or () if u]
    if css_checked and unreadable:
        yield _unreadable(page, spec, unreadable)


def _finding(page: Page, info: Code, hits: list[Hit]) -> Finding:
    first = hits[0]
    shown = hits[:MAX_TARGETS]
    targets = [h.target or (css_path(h.el) if h.el is not None else "") for h in shown]
    html = first.html or (snippet(first.el) if first.el is not None else "")
    detail: dict[str, Any] = {
        "code": info.code,
        "level": info.level,
        "sc": info.sc,
        "targets": targets,
        "html": html[:HTML_LIMIT],
        "help_url": info.help_url,
        "nodes": len(hits),
        "reasons": [h.reason for h in shown],
        "spec": info.spec,
    }
    css = [h.css for h in shown if h.css]
    if css:
        detail["css"] = css
    links = [h.link for h in hits if h.link]
    if links:
        detail["links"] = links[:MAX_TARGETS]
    more = f"，共 {len(hits)} 處" if len(hits) > 1 else ""
    message = f"檢測碼 {info.code}（{info.level}）：{first.reason}{more}"
    severity = Severity.warning if info.level == "AAA" else Severity.error
    return page.finding(CHECK, f"moda.{info.code}", severity, message, **detail)


def _unreadable(page: Page, spec: str, urls: list[str]) -> Finding:
    info = a11y_spec.code_info("CS2140401C", spec)
    assert info is not None
    shown = urls[:MAX_TARGETS]
    detail: dict[str, Any] = {
        "code": info.code, "level": info.level, "sc": info.sc, "targets": shown, "html": "",
        "help_url": info.help_url, "nodes": len(urls), "reasons": ["樣式表無法讀取"] * len(shown), "spec": spec,
    }
    more = f" 等 {len(urls)} 個" if len(urls) > 1 else ""
    return page.finding(CHECK, CSS_UNREADABLE, _RULE[CSS_UNREADABLE].severity,
                        f"樣式表無法讀取：{urls[0]}{more}，其中的字型尺寸單位未能檢測（檢測碼 {info.code}）", **detail)


# ---- content kinds and the manual review list ------------------------------------------

KINDS = ("images", "tables", "forms", "media", "frames")
_MEDIA_HOSTS = ("youtube.com", "youtube-nocookie.com", "youtu.be", "vimeo.com", "facebook.com/plugins/video")
_SEARCH_HINT = re.compile(r"search|query|keyword|gsearch|搜尋|查詢|^q$", re.I)


def content_kinds(page: Page) -> list[str]:
    """The kinds of content on the page that a person must review (pages.jsonl
    `features`): images (img, input type=image, area, role=img, svg with a
    name), tables (any visible table: data tables need their headers checked,
    layout tables their reading order), forms (controls beyond the site
    search box every template carries), media (video, audio, object, embed,
    embedded players from YouTube/Vimeo) and frames (iframe, frame)."""
    if not page.is_html:
        return []
    scan = Scan(page, a11y_spec.DEFAULT_SPEC, {})
    root = page.tree
    found: list[str] = []

    def any_visible(*tags: str) -> bool:
        return any(True for _ in scan.visible(root.iter(*tags)))

    if (any_visible("img", "area") or any(True for el in scan.visible(root.iterfind(".//*[@role]"))
                                          if _tokens(el, "role")[:1] == ["img"])
            or any(True for i in scan.visible(root.iter("input")) if _attr(i, "type").lower() == "image")):
        found.append("images")
    if any_visible("table"):
        found.append("tables")
    if _has_form(scan):
        found.append("forms")
    iframes = list(scan.visible(root.iter("iframe", "frame")))
    if any_visible("video", "audio", "object", "embed") or any(
            any(h in _attr(f, "src").lower() for h in _MEDIA_HOSTS) for f in iframes):
        found.append("media")
    if iframes:
        found.append("frames")
    return found


def _has_form(s: Scan) -> bool:
    controls = [c for c in s.visible(_CONTROL_XPATH(s.root))
                if not (tag_of(c) == "input" and _attr(c, "type").lower() in ("hidden", "submit", "reset", "button",
                                                                             "image"))]
    if not controls:
        return False
    by_form: dict[Any, list[etree._Element]] = {}
    for c in controls:
        by_form.setdefault(next(c.iterancestors("form"), None), []).append(c)
    for form, members in by_form.items():
        if len(members) == 1 and _search_box(form, members[0]):
            continue
        return True
    return False


def _search_box(form: etree._Element | None, ctrl: etree._Element) -> bool:
    if _attr(ctrl, "type").lower() == "search":
        return True
    hints = [ctrl.get(a) or "" for a in ("name", "id", "title", "placeholder", "aria-label", "class")]
    if form is not None:
        hints += [form.get(a) or "" for a in ("action", "id", "name", "class", "role")]
    return any(_SEARCH_HINT.search(h) for h in hints if h)


@lru_cache(maxsize=1)
def _manual_rows() -> tuple[dict[str, str], ...]:
    with resources.files("checks.data").joinpath("manual-review-points.csv").open(encoding="utf-8") as f:
        return tuple({k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(f))


def manual_review_points(kinds: Iterable[str], spec: str = a11y_spec.DEFAULT_SPEC,
                         level: str = a11y_spec.DEFAULT_LEVEL) -> list[dict[str, Any]]:
    """The 人工 (manual) review points for the kinds of content found, so the
    webmaster can prepare the human review: from checks/data/
    manual-review-points.csv (kind -> criterion -> what to look at), kept
    when the edition has the criterion at or below `level`.  `general`
    points apply to every site and always come first; then images, tables,
    forms, media, frames in that order.  Each point: kind, sc, level, name
    (the criterion's Chinese name), what, and `machine` — true when an axe
    rule or a 檢測碼 already checks part of it by machine (a person still
    judges the content), false when only a person can."""
    table = a11y_spec.criteria(spec)
    wanted = {"general", *kinds}
    machine_sc = _machine_criteria(spec, level)
    out: list[dict[str, Any]] = []
    for kind in ("general", *KINDS):
        if kind not in wanted:
            continue
        for row in _manual_rows():
            if row["kind"] != kind:
                continue
            c = table.get(row["sc"])
            if c is None or not a11y_spec.level_within(c.level, level):
                continue
            out.append({"kind": kind, "sc": c.sc, "level": c.level, "name": c.zh_name, "what": row["what"],
                        "machine": c.sc in machine_sc})
    return out


@cache
def _machine_criteria(spec: str, level: str) -> frozenset[str]:
    tags = a11y_spec.default_tags(spec, level)
    run = a11y_spec.rules_run(spec, tags)
    by_rule = a11y_spec.rule_criteria(spec)
    scs = {sc for rule in run for sc in by_rule.get(rule, ())}
    scs |= {c.sc for c in a11y_spec.codes_at(spec, level) if c.siteaudit != "manual"}
    return frozenset(scs)
