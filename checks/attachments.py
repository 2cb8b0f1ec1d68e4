"""The ODF check: editable downloads must also be offered in ODF, of the same kind.

SPEC "Rules in detail / ODF counterpart" and rule `attachment.no-odf`: a
link to an editable document needs its ODF counterpart *of the same kind* on
the same page — doc/docx → odt, xls/xlsx → ods, ppt/pptx → odp — either a
link with the same file-name stem, or an ODF link of that kind in the same
list item / table row / paragraph (the usual 「報名表 [DOCX] [ODT] [PDF]」
row, where the files are named differently).  Freego's ME1320200C asks the
same.  `xxxx.ppt` next to `xxxx.odt` is not covered (a text document is no
presentation), and a `.odf` file is an ODF *formula* (math) document: no
counterpart of anything.  Flat and template variants of a kind count as that
kind (.fodt/.ott for text, .fods/.ots, .fodp/.otp).

Decisions where SPEC is silent:

* The file name is read from the URL path (any segment, last first, so
  `/dl/報名表.docx/123` works), from a query parameter holding a file name
  (`download.php?file=a.docx`), a bare extension (`icon=.docx`) or a
  base64-encoded name (`Download.ashx?n=5aCx5ZCN6KGoLmRvY3g`, as a common
  government CMS writes download links), or from the `download` attribute.
  Names are percent-decoded and compared case-insensitively.
* When the URL names no document but may be a download endpoint (a query,
  no extension, or a script: `/File.aspx?id=123`, `/dl/123`), the link's
  own text, title, image alt or format icon may name it: a file name (「報名表.docx」) always counts; a bare
  format word (DOCX, [ODT], odt檔, an icon with alt "docx") counts only
  inside a row that offers other documents too — alone, "DOC" may be a menu
  word, not a download.
* Grouping: the nearest list item / table row / paragraph (and dd/dt of
  「附件：」 lists).  Download rows built of `<div>`s are common too: a link
  with none of those around it is grouped by its nearest `<div>` that holds
  other document links *and at most one editable document of each kind* —
  one document offered in several formats.  A div holding a whole list of
  forms is no row, so one ODT in it covers nothing but its own stem.
* Links that cannot be a download (fragment-only, mailto:, javascript:,
  unparsable hrefs such as `http://javascript:;`, which link.malformed
  reports) are not read.  Each target is reported once per page; a target
  linked twice is fine when any of its links has a counterpart.
"""
from __future__ import annotations

import base64
import binascii
import posixpath
import re
from bisect import bisect_right
from collections.abc import Iterator
from itertools import accumulate
from urllib.parse import parse_qsl, unquote, urldefrag, urljoin, urlsplit

from lxml import etree

from checks.model import CheckContext, Finding, Rule, Severity
from checks.page import Page, tag_of

CHECK = "attachments"

RULES: tuple[Rule, ...] = (
    Rule(
        "attachment.no-odf", CHECK, Severity.warning, "附件缺 ODF 格式",
        "提供 Word、Excel、PowerPoint（doc、docx、xls、xlsx、ppt、pptx）等可編輯檔案下載時，"
        "請在同一網頁一併提供同類型的開放文件格式（ODF）檔案：文書（doc、docx）用 .odt、"
        "試算表（xls、xlsx）用 .ods、簡報（ppt、pptx）用 .odp（可用 LibreOffice 或 Office"
        "「另存新檔」選擇 ODF 格式），放在同一列或同一段落，並建議同時提供 PDF 供閱覽。"
        "注意 .odt 不能取代簡報或試算表，.odf 是數學公式檔，也不是文件的 ODF 版本。",
        detail=("target",),
    ),
)
_RULE = {r.id: r for r in RULES}

TEXT, SPREADSHEET, PRESENTATION = "text", "spreadsheet", "presentation"
EDITABLE: dict[str, str] = {"doc": TEXT, "docx": TEXT, "xls": SPREADSHEET, "xlsx": SPREADSHEET,
                            "ppt": PRESENTATION, "pptx": PRESENTATION}
ODF: dict[str, str] = {"odt": TEXT, "fodt": TEXT, "ott": TEXT, "ods": SPREADSHEET, "fods": SPREADSHEET,
                       "ots": SPREADSHEET, "odp": PRESENTATION, "fodp": PRESENTATION, "otp": PRESENTATION}
# ODF types that are no counterpart of any editable document: drawings and
# formulas (.odf), databases, charts.  Recognised so that `a.odf` is not
# mistaken for a page and read as what it is.
OTHER_ODF = frozenset({"odg", "odf", "otg", "fodg", "odb", "odc", "odm", "odi"})
# Other downloads: no counterpart needed, but they show that a row of links
# is a row of downloads (a bare "DOCX" next to a PDF).
OTHER_DOCUMENTS = frozenset({"pdf", "rtf", "csv", "txt", "zip"})
COUNTERPART_EXT = {TEXT: ".odt", SPREADSHEET: ".ods", PRESENTATION: ".odp"}
KIND_ZH = {TEXT: "文書", SPREADSHEET: "試算表", PRESENTATION: "簡報"}
_KNOWN = frozenset(EDITABLE) | frozenset(ODF) | OTHER_ODF | OTHER_DOCUMENTS
# Where a row/item/paragraph of downloads is grouped (SPEC: list item,
# table row, paragraph); dd/dt for 「附件：」 definition lists.
GROUPS = ("li", "tr", "p", "dd", "dt")
_DIV_ROWS = ("div", "span")
_DIV_LEVELS = 3

_EXTENSIONS = "|".join(sorted(_KNOWN, key=len, reverse=True))
_MAYBE_DOC = re.compile(rf"\.(?:{_EXTENSIONS})(?![a-z0-9])", re.I)
_NOT_DOWNLOADS = ("#", "mailto:", "javascript:", "tel:", "data:")
_DOWNLOAD_SCHEMES = ("http", "https", "file")  # file: a page checked before publishing
# 「報名表.docx」 in a link's text or title.
_NAME_IN_TEXT = re.compile(rf"([^\s/\\\"'<>|:*?（）()\[\]【】「」]+)\.({_EXTENSIONS})(?![a-z0-9])", re.I)
# A bare format word, alone or closing the link's words: DOCX, [ODT], .xlsx,
# odt檔, ODS格式, 下載DOCX, 申請書(DOCX檔), 簡報（ODP 版）.
_FORMAT_WORD = re.compile(
    rf"^(?:.*?[\s(（\[【「<:：_-]|下載)?\.?({_EXTENSIONS})\s*(?:檔案?|格式|版本?|file)?[\s)）\]】」>]*$", re.I)
_B64 = re.compile(r"^[A-Za-z0-9+/_-]{6,}={0,2}$")


def _split(name: str) -> tuple[str, str] | None:
    stem, ext = posixpath.splitext(name.strip())
    ext = ext[1:].lower()
    if not stem or not ext:
        return None
    return stem.lower(), ext


def _b64_name(value: str) -> str | None:
    """A file name carried base64-encoded in a query value, or None."""
    if not _B64.match(value):
        return None
    padded = value + "=" * (-len(value) % 4)
    for decode in (base64.urlsafe_b64decode, base64.b64decode):
        try:
            text = decode(padded).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            continue
        if text.isprintable() and _MAYBE_DOC.search(text):
            return posixpath.basename(text.replace("\\", "/"))
    return None


def file_name(url: str, download: str | None = None) -> tuple[str, str] | None:
    """(stem, extension) of the document a URL delivers, lower-case, or None.

    Only document extensions (editable, ODF, PDF and a few other downloads)
    are returned, so `/news/list.aspx?id=5` or `/page.html` is None.  A bare `icon=.docx` parameter gives the
    extension with the stem of another parameter's name, or an empty stem.
    """
    candidates: list[str] = []
    if download:
        candidates.append(posixpath.basename(unquote(download)))
    parts = urlsplit(url)
    candidates.extend(reversed([unquote(seg) for seg in parts.path.split("/") if seg]))
    bare_ext = None
    for _key, value in parse_qsl(parts.query, keep_blank_values=False):
        if value.startswith(".") and value[1:].lower() in _KNOWN:
            bare_ext = value[1:].lower()
            continue
        # Only the last path segment of a value: ?file=/upload/2026/a.docx
        candidates.append(posixpath.basename(value.replace("\\", "/")))
        decoded = _b64_name(value)
        if decoded:
            candidates.append(decoded)
    for name in candidates:
        split = _split(name)
        if split and split[1] in _KNOWN:
            return split
    if bare_ext:
        return "", bare_ext
    return None


def _name_from_words(words: list[str]) -> tuple[tuple[str, str] | None, str | None]:
    """(file name from a link's words, bare format word) — either may be None."""
    for w in words:
        m = _NAME_IN_TEXT.search(w)
        if m:
            return (m.group(1).lower(), m.group(2).lower()), None
    for w in words:
        m = _FORMAT_WORD.match(w)
        if m:
            return None, m.group(1).lower()
    return None, None


class _Doc:
    """One link to a document: what it is and where it stands."""

    __slots__ = ("a", "target", "stem", "ext", "word_only", "group")

    def __init__(self, a: etree._Element, target: str, stem: str, ext: str, word_only: bool) -> None:
        self.a, self.target, self.stem, self.ext, self.word_only = a, target, stem, ext, word_only
        self.group: etree._Element | None = None

    @property
    def kind(self) -> str | None:
        return EDITABLE.get(self.ext) or ODF.get(self.ext)


def _spec_group(a: etree._Element) -> etree._Element | None:
    return next((anc for anc in a.iterancestors(*GROUPS)), None)


def _div_group(doc: _Doc, docs_by_el: dict[etree._Element, _Doc]) -> etree._Element | None:
    """The `<div>` row around a link that has no li/tr/p (module docstring)."""
    for level, anc in enumerate(doc.a.iterancestors(*_DIV_ROWS)):
        if level >= _DIV_LEVELS:
            return None
        inside = [docs_by_el[a] for a in anc.iter("a", "area") if a in docs_by_el]
        if len(inside) < 2:
            continue
        editable = {d.target: d.kind for d in inside if d.ext in EDITABLE}  # a file linked twice is one file
        if len({d.target for d in inside}) < 2:
            continue
        kinds = list(editable.values())
        return anc if len(kinds) == len(set(kinds)) else None
    return None


_TOKENS = re.compile(_EXTENSIONS)
_STRING = etree.XPath("string()")
# Text nodes inside links, link titles and image alts, found in lxml's C
# code: the candidates for a file name or format word (reading each link's
# text from Python would cost more than the rest of the check).
_LINK_TEXTS = etree.XPath("//a//text() | //area/@alt")
_LINK_ATTRS = etree.XPath("//a/@title | //a//img/@alt")
# Format icons named by the format: <img src="/images/icon_docx.gif" alt="">,
# <a class="file-odt">.  Only a whole part of the name counts (docx in
# icon_docx, not in docxviewer).  (Classes of elements inside a link, as in
# <i class="icon-xlsx">, are not read: that XPath alone would cost more than
# the rest of the check.)
_ICON_ATTRS = etree.XPath("//a//img/@src | //a/@class")
_NAME_PARTS = re.compile(r"[\s_.\-/]+")


def _format_words(text: str) -> Iterator[int]:
    """Offsets of DOCX, odt檔, 報名表.docx … in `text` (words, not inside one)."""
    low = text.lower()
    for m in _TOKENS.finditer(low):
        before = low[m.start() - 1] if m.start() else " "
        after = low[m.end()] if m.end() < len(low) else " "
        if not ("a" <= before <= "z" or "a" <= after <= "z"):
            yield m.start()


def _link_of(node: etree._Element) -> etree._Element | None:
    for el in (node, *node.iterancestors()):
        if tag_of(el) in ("a", "area"):
            return el
    return None


def _worded_links(tree: etree._Element, read_text: bool) -> dict[etree._Element, list[str]]:
    """Links whose text, title or image alt shows a file name or format word: link -> those words.

    One regex pass over all link texts joined; only the few text nodes that
    hold a format word are then traced to their link."""
    out: dict[etree._Element, list[str]] = {}
    for nodes in (_LINK_TEXTS(tree) if read_text else [], _LINK_ATTRS(tree)):
        joined = "\n".join(nodes)
        starts = list(accumulate((len(n) + 1 for n in nodes), initial=0))
        seen: set[int] = set()
        for offset in _format_words(joined):
            i = bisect_right(starts, offset) - 1
            if i in seen:
                continue
            seen.add(i)
            parent = nodes[i].getparent()
            link = _link_of(parent) if parent is not None else None
            if link is not None and link not in out:
                out[link] = [" ".join(str(_STRING(link)).split())] if tag_of(link) == "a" else []
            if link is not None:
                out[link].append(" ".join(str(nodes[i]).split()))
    for v in _ICON_ATTRS(tree):
        if not _TOKENS.search(v.lower()):
            continue
        name = posixpath.basename(v.lower()) if v.getparent().tag == "img" else v.lower()
        parts = _NAME_PARTS.split(name.rsplit(".", 1)[0] if "." in name and "/" not in name else name)
        formats = [p for p in parts if p in _KNOWN]
        if formats:
            link = _link_of(v.getparent())
            if link is not None:
                out.setdefault(link, [" ".join(str(_STRING(link)).split())] if tag_of(link) == "a" else [])
                out[link].append(formats[-1])
    return out


# Where a link's URL names no file, it may still be a download endpoint
# (Download.ashx?id=5, /File.aspx?id=123, /dl/123) whose words name the file;
# a link to /about/p1.html, /news/ or /img/a.png is never one.
_ENDPOINT_EXTS = frozenset({"ashx", "aspx", "asp", "php", "jsp", "do", "cgi", "action", "axd"})


def _may_be_endpoint(href: str) -> bool:
    path = href.split("#", 1)[0]
    if "?" in path:
        return True
    if not path or path.endswith("/"):
        return False
    dot = path.rfind(".")
    return dot <= path.rfind("/") or path[dot + 1:].lower() in _ENDPOINT_EXTS


def _documents(page: Page) -> list[_Doc]:
    base = page.base_url
    worded: dict[etree._Element, list[str]] | None = None  # read once, only if a link needs it
    docs: list[_Doc] = []
    for a in page.tree.iter("a", "area"):
        href = a.get("href")
        if not href:
            continue
        download = a.get("download")
        named = bool(_MAYBE_DOC.search(href) or (download and _MAYBE_DOC.search(download)))
        words: list[str] = []
        if not named:
            if not _may_be_endpoint(href):
                continue  # the usual menu link: nothing to read
            if worded is None:
                # Link texts are visible text: when that shows no format word
                # at all, no link text can name a document.
                worded = _worded_links(page.tree, next(_format_words(page.visible_text), None) is not None)
            words = worded.get(a, [])
            if not words:
                continue
        href = href.strip()
        if href.lower().startswith(_NOT_DOWNLOADS):
            continue
        try:
            target = urldefrag(urljoin(base, href))[0]
            parts = urlsplit(target)
            parts.port  # noqa: B018 - http://javascript:; is link.malformed's, not a download
        except ValueError:
            continue
        if parts.scheme not in _DOWNLOAD_SCHEMES:  # javscript:;, ftp: … (link.malformed's)
            continue
        name = file_name(target, download) if named else None
        word: str | None = None
        if name is None or not name[0]:  # no name, or only an icon=.docx extension
            if not words:
                if worded is None:
                    worded = _worded_links(page.tree, next(_format_words(page.visible_text), None) is not None)
                words = worded.get(a, [])
            from_words, word = _name_from_words(words) if words else (None, None)
            if from_words and (name is None or from_words[1] == name[1]):
                name = from_words
        if name is not None:
            docs.append(_Doc(a, target, name[0], name[1], word_only=False))
        elif word is not None:
            docs.append(_Doc(a, target, "", word, word_only=True))
    by_el = {d.a: d for d in docs}
    for d in docs:
        d.group = _spec_group(d.a)
    for d in docs:
        if d.group is None:
            d.group = _div_group(d, by_el)
    # A bare format word is a document only in a row offering others too.
    rows: dict[etree._Element, int] = {}
    for d in docs:
        if d.group is not None:
            rows[d.group] = rows.get(d.group, 0) + 1
    return [d for d in docs if not d.word_only or (d.group is not None and rows[d.group] >= 2)]


def check(page: Page, ctx: CheckContext) -> Iterator[Finding]:
    if not page.is_html:
        return
    docs = _documents(page)
    odf_stems = {(d.stem, ODF[d.ext]) for d in docs if d.ext in ODF and d.stem}
    odf_groups = {(d.group, ODF[d.ext]) for d in docs if d.ext in ODF and d.group is not None}

    # A target linked twice is fine when any of its links has a counterpart.
    verdict: dict[str, tuple[str, bool]] = {}
    for d in docs:
        kind = EDITABLE.get(d.ext)
        if kind is None:
            continue
        ok = (bool(d.stem) and (d.stem, kind) in odf_stems) or (d.group is not None and (d.group, kind) in odf_groups)
        prev = verdict.get(d.target)
        verdict[d.target] = (d.ext, ok or (prev is not None and prev[1]))
    for target, (ext, ok) in verdict.items():
        if ok:
            continue
        kind = EDITABLE[ext]
        yield page.finding(
            CHECK, "attachment.no-odf", _RULE["attachment.no-odf"].severity,
            f"可編輯{KIND_ZH[kind]}檔案（{ext.upper()}）未同時提供同類型的 ODF 格式"
            f"（{COUNTERPART_EXT[kind]}）：{ctx.name_of(target)}",
            target=target,
        )
