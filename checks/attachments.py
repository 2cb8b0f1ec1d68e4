"""The ODF check: editable downloads must also be offered in ODF.

SPEC "Rules in detail / ODF counterpart": a link to an editable document
(doc, docx, xls, xlsx, ppt, pptx) needs its ODF counterpart on the same
page: a link with the same file-name stem and an ODF extension anywhere on
the page, or any ODF link in the same list item / table row / paragraph
(the usual 「報名表 [DOCX] [ODT] [PDF]」 row, where the files are named
differently).  Freego's ME1320200C asks the same.

The file name is read from the URL path (any segment, last first, so
`/dl/報名表.docx/123` works), from a query parameter holding a file name
(`download.php?file=a.docx`), or from the `download` attribute.  Names are
percent-decoded and compared case-insensitively.  Each target is reported
once per page.
"""
from __future__ import annotations

import posixpath
import re
from typing import Iterator
from urllib.parse import parse_qsl, unquote, urldefrag, urljoin, urlsplit

from lxml import etree

from checks.model import CheckContext, Finding, Rule, Severity
from checks.page import Page

CHECK = "attachments"

RULES: tuple[Rule, ...] = (
    Rule(
        "attachment.no-odf", CHECK, Severity.warning, "附件缺 ODF 格式",
        "提供 Word、Excel、PowerPoint（doc、docx、xls、xlsx、ppt、pptx）等可編輯檔案下載時，"
        "請在同一網頁一併提供開放文件格式（ODF）檔案：文書用 .odt、試算表用 .ods、簡報用 .odp"
        "（可用 LibreOffice 或 Office「另存新檔」選擇 ODF 格式），放在同一列或同一段落，"
        "並建議同時提供 PDF 供閱覽。",
    ),
)
_RULE = {r.id: r for r in RULES}

EDITABLE = frozenset({"doc", "docx", "xls", "xlsx", "ppt", "pptx"})
# odt/ods/odp are what the rules name; odg (drawings) and odf (formulas) are
# ODF too, and a flat or template variant still proves an ODF edition exists.
ODF = frozenset({"odt", "ods", "odp", "odg", "odf", "fodt", "fods", "fodp", "ott", "ots", "otp"})
# Where a row/item/paragraph of downloads is grouped (SPEC: list item,
# table row, paragraph); dd/dt for 「附件：」 definition lists.
GROUPS = ("li", "tr", "p", "dd", "dt")


def _split(name: str) -> tuple[str, str] | None:
    stem, ext = posixpath.splitext(name.strip())
    ext = ext[1:].lower()
    if not stem or not ext:
        return None
    return stem.lower(), ext


def file_name(url: str, download: str | None = None) -> tuple[str, str] | None:
    """(stem, extension) of the document a URL delivers, lower-case, or None.

    Only names whose extension is an editable or ODF one are returned, so
    `/news/list.aspx?id=5` or `/page.html` is None.
    """
    wanted = EDITABLE | ODF
    candidates: list[str] = []
    if download:
        candidates.append(posixpath.basename(unquote(download)))
    parts = urlsplit(url)
    candidates.extend(reversed([unquote(seg) for seg in parts.path.split("/") if seg]))
    for _key, value in parse_qsl(parts.query, keep_blank_values=False):
        # Only the last path segment of a value: ?file=/upload/2026/a.docx
        candidates.append(posixpath.basename(value.replace("\\", "/")))
    for name in candidates:
        split = _split(name)
        if split and split[1] in wanted:
            return split
    return None


_MAYBE_DOC = re.compile(r"\.(?:%s)(?![a-z0-9])" % "|".join(sorted(EDITABLE | ODF)), re.I)


def _group(a: etree._Element) -> etree._Element | None:
    return next((anc for anc in a.iterancestors(*GROUPS)), None)


def check(page: Page, ctx: CheckContext) -> Iterator[Finding]:
    if not page.is_html:
        return
    base = page.base_url

    editable: list[tuple[str, str, str, etree._Element]] = []  # target, stem, ext, <a>
    odf_stems: set[str] = set()
    odf_groups: set[etree._Element] = set()
    for a in page.tree.iter("a", "area"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith("#") or href.lower().startswith(("mailto:", "javascript:", "tel:", "data:")):
            continue
        download = a.get("download")
        # Cheap pre-filter: most links of a page (menus) name no document at all.
        if not _MAYBE_DOC.search(href) and not (download and _MAYBE_DOC.search(download)):
            continue
        try:
            target = urldefrag(urljoin(base, href))[0]
            name = file_name(target, download)
        except ValueError:  # an unparsable href: link.malformed reports it
            continue
        if name is None:
            continue
        stem, ext = name
        if ext in ODF:
            odf_stems.add(stem)
            group = _group(a)
            if group is not None:
                odf_groups.add(group)
        else:
            editable.append((target, stem, ext, a))

    # A target linked twice is fine when any of its links has a counterpart.
    verdict: dict[str, tuple[str, bool]] = {}
    for target, stem, ext, a in editable:
        group = _group(a)
        ok = stem in odf_stems or (group is not None and group in odf_groups)
        prev = verdict.get(target)
        verdict[target] = (ext, ok or (prev is not None and prev[1]))
    for target, (ext, ok) in verdict.items():
        if ok:
            continue
        yield page.finding(
            CHECK, "attachment.no-odf", _RULE["attachment.no-odf"].severity,
            f"可編輯檔案（{ext.upper()}）未同時提供 ODF 格式：{ctx.name_of(target) if ctx.namer else target}",
            target=target,
        )
