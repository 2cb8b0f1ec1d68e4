"""Read one downloaded document into `DocumentFacts`, never raising; and the download helpers.

SPEC `[attachments]` (documents, max_bytes, required_metadata), the rules
`attachment.metadata-missing`, `attachment.no-text`, `attachment.untagged-pdf`
and `attachment.invalid`, and "Honest runs" (one bad document never stops the
others).  This module reads; `checks/documents.py` judges; `crawler/doccache.py`
remembers across runs.  `DocumentFacts.to_dict()` is one line of
documents.jsonl (CONTRACT.md), without `pages`, which the crawl adds.

## How the crawl uses this

1. For each link whose target is in scope and `is_document(url)` names an
   extension (and `[attachments] documents` is on), GET it instead of HEAD,
   through the ordinary scheduler (robots.txt, politeness, retries)::

       yield scrapy.Request(url, callback=self.parse_document, errback=self.document_failed,
                            priority=..., **document_request_kwargs(url, max_bytes=cfg.attachments.max_bytes,
                                                                     cache=self.doccache))

   `document_request_kwargs` sets `meta` `kind="document"`, `target=url`,
   `download_maxsize=max_bytes` (Scrapy cancels bigger bodies, by
   Content-Length before a byte is read, or as soon as more arrive), a
   download slot of its own per host (`<host>#documents`: Scrapy gives an
   unknown slot CONCURRENT_REQUESTS_PER_DOMAIN parallel downloads, so at most
   that many bodies of max_bytes are in memory at once), `Accept-Encoding:
   identity` (documents are compressed already) and the cache's conditional
   headers (If-None-Match / If-Modified-Since).  HTTPERROR_ALLOW_ALL must stay
   on so a 304 or 404 reaches the callback.  The spider's `_headers_received`
   must not stop `kind == "document"` downloads (today it stops only "page"
   and "check").  The slot has DOWNLOAD_DELAY like every slot, so with a
   delay configured a host sees pages and documents each at that pace.
2. The callback: `facts = facts_from_response(response, max_bytes=..., tmp_dir=..., cache=self.doccache)`;
   it handles 304 (facts from the cache), non-2xx (status "failed"), cut
   bodies, hash hits, and stores what it read in the cache.  The same
   response is the link check: yield the usual `LinkItem` too.  For run.json
   `documents`: a response with status 304 answered from the cache is
   "cached", any other 2xx "downloaded".
3. The errback: `facts = facts_from_failure(failure, max_bytes=...)`: a
   download Scrapy cancelled for size becomes "too-large" (one notice), any
   other failure "failed"; the link check gets its `LinkItem` as today.
4. Each document is requested once per run (the spider's `requested` map);
   the crawl writes `facts.to_dict() | {"pages": [...]}` to documents.jsonl and
   `checks.documents.document_findings(facts, linking_pages, required_metadata)`
   judges it after the crawl.

`read_document` runs in the reactor thread in a few milliseconds for usual
documents (bounded to `READ_DEADLINE` seconds of Python work plus qpdf's open);
it keeps no shared state, so `twisted.internet.threads.deferToThread` works
too if the integrator prefers.

## Document states (`status`)

* `ok` — read; the facts are known (`has_text`/`tagged` only for PDF).
* `invalid` — the bytes are not a usable document of the type its extension
  (else its Content-Type) promises: an HTML page, plain text, an image, an
  empty file, another format (a `.doc` that is a `.docx`, RTF, PDF), a zip
  that is no ODF package (mimetype missing, compressed, not first, wrong
  media type; no manifest; no content.xml) or no OOXML package, a corrupt or
  truncated zip or PDF (no `%%EOF` near the end, or qpdf cannot open it), a
  corrupt OLE file, or a zip bomb (members that overlap, a member of ≥16 MB
  unpacking more than 500×, or more than 2 GiB unpacked in all).
  `invalid_reason` says which, in Chinese; `attachment.invalid` reports it.
  A PDF that qpdf opens only after repairing it is `ok` with a notice.
* `encrypted` — a password is needed to open it (PDF user password, ODF
  encryption-data in the manifest, an OOXML EncryptedPackage, legacy
  Word/Excel/PowerPoint encryption flags).  A notice, no finding: what it
  contains cannot be judged.  A PDF with only an owner password (printing or
  copying restricted) opens for everyone: it is `ok`, with a notice when it
  forbids text extraction for assistive technology.
* `unreadable` — it may be a fine document but this reader could not finish
  within its bounds (a part above `ZIP_PART_CAP`, a library error no one
  foresaw).  A notice, no finding.
* `too-large` — above `max_bytes`: not downloaded (or the download was
  cancelled); one notice naming the cap.
* `failed` — the download failed (HTTP status, timeout, cut connection):
  the link check reports it; never cached.
* `cached` — never produced here: a cache hit returns the facts as first
  read, with their own status, so the judge judges them the same.

## Which properties are read (title / subject / creator)

| format | title | subject | creator |
|---|---|---|---|
| PDF | Info /Title, else XMP dc:title | Info /Subject, else XMP dc:description | Info /Author, else XMP dc:creator |
| ODF | meta.xml dc:title | dc:subject | meta:initial-creator, else dc:creator |
| OOXML | docProps/core.xml dc:title | dc:subject | dc:creator |
| OLE (97-2003) | SummaryInformation PIDSI_TITLE | PIDSI_SUBJECT | PIDSI_AUTHOR |

`properties` keeps each format's own names (PDF Info keys without the slash,
XMP `prefix:name`, ODF `dc:title`/`meta:...` and user-defined field names,
OOXML `dc:title`/`cp:keywords`/... and custom property names, OLE `Title`,
`Author`, ...), at most `MAX_PROPERTIES`, values cut at `MAX_VALUE` characters.

## Classification codes (主題 / 施政 / 服務)

Read from PDF Info keys, XMP properties (any namespace), ODF user-defined
fields and OOXML custom properties whose name, lower-cased with spaces, dots,
underscores, colons, hyphens and slashes removed, is one of
`categorytheme`, `dccategorytheme`, `主題`, `主題分類` (→ `Category.Theme`),
`categorycake`, `dccategorycake`, `施政`, `施政分類` (→ `Category.Cake`),
`categoryservice`, `dccategoryservice`, `服務`, `服務分類` (→ `Category.Service`).
So `Category.Theme`, `DC.Category.Theme`, `category_theme` and `主題分類` all
count.  Values are reported as found (validating codes is the checks' job).
Legacy OLE files keep custom properties in a second property-set section
that is not read.

## Bounds (hostile input)

Every case ends as one `DocumentFacts`.  Zips: the central directory is
sized before `zipfile` reads it (`ZIP_MAX_DIRECTORY`, `ZIP_MAX_ENTRIES`);
only the few members needed are read, each at most `ZIP_PART_CAP` bytes
however big it claims or turns out to be; XML is parsed with entities not
expanded, no DTD, no network.  PDFs: qpdf (via pikepdf) opens the file
lazily; the text-layer check looks at the first `TEXT_FIRST_PAGES` pages and
`TEXT_SAMPLED_PAGES` more spread over the rest, stops at the first text, and
decodes content and XMP streams itself with a byte cap (zlib `max_length`),
so a 1 GB Flate bomb costs `PAGE_CONTENT_CAP` bytes; Form XObjects are
followed `FORM_DEPTH` deep; a `READ_DEADLINE` ends the text check with
`has_text = None` (not judged) and a notice.  Why not `Pdf.open_metadata()`
or odfpy's `load()`: both read whole streams/parts (odfpy parses content.xml
into a DOM), unbounded in memory and time.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import itertools
import os
import posixpath
import re
import struct
import tempfile
import time
import warnings
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from lxml import etree

if TYPE_CHECKING:
    from scrapy.http import Response
    from twisted.python.failure import Failure

    from crawler.doccache import DocumentCache

# Bump when a change of this module changes the facts it reads from the same
# bytes: the cross-run cache then forgets older readings.
READER_VERSION = 1

DOCUMENT_EXTENSIONS = frozenset({"pdf", "odt", "ods", "odp", "doc", "docx", "xls", "xlsx", "ppt", "pptx"})
KIND_OF_EXT: Mapping[str, str] = {
    "pdf": "pdf",
    "odt": "odf", "ods": "odf", "odp": "odf",
    "docx": "ooxml", "xlsx": "ooxml", "pptx": "ooxml",
    "doc": "ole", "xls": "ole", "ppt": "ole",
}
STATUSES = ("ok", "too-large", "encrypted", "invalid", "unreadable", "failed", "cached")

# ---- bounds ---------------------------------------------------------------
READ_DEADLINE = 5.0  # seconds of page walking per document
TEXT_FIRST_PAGES = 10
TEXT_SAMPLED_PAGES = 40
PAGE_CONTENT_CAP = 8 * 1024 * 1024  # decoded content bytes looked at per page (or form)
TEXT_TOTAL_CAP = 32 * 1024 * 1024  # decoded content bytes per document (about 3 s of parsing at worst)
SMALL_RAW_STREAM = 16 * 1024  # other filters (LZW...) are decoded by qpdf only when this small
FORM_DEPTH = 4
XMP_CAP = 4 * 1024 * 1024
ZIP_PART_CAP = 4 * 1024 * 1024
ZIP_MAX_DIRECTORY = 4 * 1024 * 1024
ZIP_MAX_ENTRIES = 20_000
ZIP_BOMB_TOTAL = 2 * 1024 ** 3
ZIP_BOMB_RATIO = 500
ZIP_BOMB_MEMBER = 16 * 1024 * 1024
MAX_PROPERTIES = 100
MAX_VALUE = 500
MAX_XML_ELEMENTS = 5000

# ---- names for people -----------------------------------------------------
EXT_LABEL: Mapping[str, str] = {
    "pdf": "PDF 文件",
    "odt": "ODF 文書文件（.odt）", "ods": "ODF 試算表（.ods）", "odp": "ODF 簡報（.odp）",
    "docx": "Word 文件（.docx）", "xlsx": "Excel 活頁簿（.xlsx）", "pptx": "PowerPoint 簡報（.pptx）",
    "doc": "Word 97-2003 文件（.doc）", "xls": "Excel 97-2003 活頁簿（.xls）",
    "ppt": "PowerPoint 97-2003 簡報（.ppt）",
}

_CONTENT_TYPES: Mapping[str, frozenset[str]] = {
    "pdf": frozenset({"application/pdf", "application/x-pdf", "application/acrobat"}),
    "odt": frozenset({"application/vnd.oasis.opendocument.text"}),
    "ods": frozenset({"application/vnd.oasis.opendocument.spreadsheet"}),
    "odp": frozenset({"application/vnd.oasis.opendocument.presentation"}),
    "docx": frozenset({"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}),
    "xlsx": frozenset({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
    "pptx": frozenset({"application/vnd.openxmlformats-officedocument.presentationml.presentation"}),
    "doc": frozenset({"application/msword", "application/doc", "application/ms-doc"}),
    "xls": frozenset({"application/vnd.ms-excel", "application/excel", "application/x-excel",
                      "application/x-msexcel", "application/msexcel"}),
    "ppt": frozenset({"application/vnd.ms-powerpoint", "application/mspowerpoint", "application/powerpoint",
                      "application/x-mspowerpoint"}),
}
# Content-Types that say "some file" without naming another format.
_NEUTRAL_TYPES = frozenset({
    "", "application/octet-stream", "binary/octet-stream", "application/force-download",
    "application/x-download", "application/download", "application/unknown", "application/x-unknown",
    "application/zip", "application/x-zip-compressed", "application/x-zip", "application/x-ole-storage",
    "application/x-cfb", "application/vnd.ms-office",
})
_EXT_OF_TYPE: Mapping[str, str] = {t: ext for ext, types in _CONTENT_TYPES.items() for t in types}

_ODF_MEDIA: Mapping[str, str] = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
_ODF_MEDIA_LABEL: Mapping[str, str] = {
    "text": "ODF 文書文件（.odt）", "spreadsheet": "ODF 試算表（.ods）", "presentation": "ODF 簡報（.odp）",
    "graphics": "ODF 繪圖（.odg）", "formula": "ODF 公式（.odf）", "chart": "ODF 圖表（.odc）",
    "database": "ODF 資料庫（.odb）", "image": "ODF 影像（.odi）",
}

_CLASSIFICATION_NAMES: Mapping[str, str] = {
    **dict.fromkeys(("categorytheme", "dccategorytheme", "主題", "主題分類"), "Category.Theme"),
    **dict.fromkeys(("categorycake", "dccategorycake", "施政", "施政分類"), "Category.Cake"),
    **dict.fromkeys(("categoryservice", "dccategoryservice", "服務", "服務分類"), "Category.Service"),
}
_CLASS_SQUEEZE = re.compile(r"[\s._:\-/／]+")


def classification_key(name: str) -> str | None:
    """`Category.Theme`, `Category.Cake`, `Category.Service` for a property name, else None."""
    return _CLASSIFICATION_NAMES.get(_CLASS_SQUEEZE.sub("", name).lower())


def size_text(n: int) -> str:
    """20000000 -> '20 MB' (decimal units, as site.toml's max_bytes is written)."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}".rstrip("0").rstrip(".") + " MB"
    if n >= 1000:
        return f"{n / 1000:.1f}".rstrip("0").rstrip(".") + " KB"
    return f"{n} 位元組"


# ---- the facts --------------------------------------------------------------
@dataclass(frozen=True)
class DocumentFacts:
    """What one document is, as read once.  `to_dict()` = a documents.jsonl row without `pages`.

    `invalid_reason` (zh) is set for status "invalid"; it is an addition to
    the contract's keys (the `reason` of `attachment.invalid`).
    """

    url: str
    ext: str
    kind: str  # pdf | odf | ooxml | ole | other
    status: str
    content_type: str = ""
    bytes: int | None = None
    sha256: str = ""
    title: str = ""
    subject: str = ""
    creator: str = ""
    properties: Mapping[str, str] = field(default_factory=dict)
    classification: Mapping[str, str] = field(default_factory=dict)
    has_text: bool | None = None
    tagged: bool | None = None
    page_count: int | None = None
    notices: tuple[str, ...] = ()
    invalid_reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "ext": self.ext,
            "kind": self.kind,
            "content_type": self.content_type,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "status": self.status,
            "title": self.title,
            "subject": self.subject,
            "creator": self.creator,
            "properties": dict(self.properties),
            "classification": dict(self.classification),
            "has_text": self.has_text,
            "tagged": self.tagged,
            "page_count": self.page_count,
            "notices": list(self.notices),
            "invalid_reason": self.invalid_reason,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DocumentFacts:
        return cls(
            url=str(d.get("url", "")),
            ext=str(d.get("ext", "")),
            kind=str(d.get("kind", "other")),
            status=str(d.get("status", "ok")),
            content_type=str(d.get("content_type") or ""),
            bytes=d.get("bytes"),
            sha256=str(d.get("sha256") or ""),
            title=str(d.get("title") or ""),
            subject=str(d.get("subject") or ""),
            creator=str(d.get("creator") or ""),
            properties=dict(d.get("properties") or {}),
            classification=dict(d.get("classification") or {}),
            has_text=d.get("has_text"),
            tagged=d.get("tagged"),
            page_count=d.get("page_count"),
            notices=tuple(d.get("notices") or ()),
            invalid_reason=str(d.get("invalid_reason") or ""),
        )

    def replace(self, **changes: Any) -> DocumentFacts:
        return dataclasses.replace(self, **changes)


class _Invalid(Exception):
    """The bytes are not what they claim to be (message: zh reason)."""


class _Encrypted(Exception):
    """A password is needed (message: zh notice)."""


class _Unreadable(Exception):
    """Could not finish reading within the bounds (message: zh notice)."""


@dataclass
class _Reading:
    """The facts being gathered; frozen into DocumentFacts at the end."""

    url: str
    ext: str
    kind: str
    content_type: str
    bytes: int | None = None
    sha256: str = ""
    properties: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)  # title/subject/creator
    classification: dict[str, str] = field(default_factory=dict)
    has_text: bool | None = None
    tagged: bool | None = None
    page_count: int | None = None
    notices: list[str] = field(default_factory=list)

    def prop(self, key: str, value: Any) -> None:
        """Record one document property (bounded) and any classification code it carries."""
        if value is None:
            return
        text = _clean(value)
        if not text or (len(self.properties) >= MAX_PROPERTIES and key not in self.properties):
            return
        key = key[:100]
        self.properties.setdefault(key, text)
        ckey = classification_key(key.rsplit(":", 1)[-1]) or classification_key(key)
        if ckey:
            self.classification.setdefault(ckey, text)

    def set_field(self, name: str, *values: Any) -> None:
        """title/subject/creator: the first non-empty of `values`."""
        if self.fields.get(name):
            return
        for v in values:
            text = _clean(v)
            if text:
                self.fields[name] = text
                return

    def freeze(self, status: str, invalid_reason: str = "") -> DocumentFacts:
        return DocumentFacts(
            url=self.url, ext=self.ext, kind=self.kind, status=status, content_type=self.content_type,
            bytes=self.bytes, sha256=self.sha256,
            title=self.fields.get("title", ""), subject=self.fields.get("subject", ""),
            creator=self.fields.get("creator", ""),
            properties=dict(self.properties), classification=dict(self.classification),
            has_text=self.has_text, tagged=self.tagged, page_count=self.page_count,
            notices=tuple(dict.fromkeys(self.notices)), invalid_reason=invalid_reason,
        )


_SPACES = re.compile(r"\s+")


def _clean(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = _SPACES.sub(" ", str(value)).replace("\x00", "").strip()
    return text[:MAX_VALUE]


# ---- URLs -------------------------------------------------------------------
_STATIC_PAGE = re.compile(r"\.(?:s?html?|xhtml)$", re.I)


def _ext_of(name: str) -> str:
    name = name.split(";", 1)[0].strip()  # /a.pdf;jsessionid=...
    base = posixpath.basename(name)
    if "." not in base:
        return ""
    return base.rsplit(".", 1)[1].strip().lower()


def is_document(url: str) -> str | None:
    """The document extension a URL delivers (pdf, odt, ..., pptx), or None.

    Read like checks/attachments.py reads file names, but only where a name
    says what the response is: the last path segment (`/files/申請書.pdf`),
    else a query value holding a file name (`download.php?file=a.docx`,
    `?name=/upload/2026/a.pdf`), unless the path is a static page
    (`viewer.html?file=a.pdf` is pdf.js showing a PDF in an HTML page).
    Earlier path segments are not read (`/a.pdf/view` is often an HTML page
    about the file): a wrong guess here would be an `attachment.invalid`.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    segments = [unquote(s) for s in parts.path.split("/") if s]
    last = segments[-1] if segments else ""
    ext = _ext_of(last)
    if ext in DOCUMENT_EXTENSIONS:
        return ext
    if _STATIC_PAGE.search(last.split(";", 1)[0]):
        return None
    for _key, value in parse_qsl(parts.query, keep_blank_values=False):
        ext = _ext_of(value.replace("\\", "/"))
        if ext in DOCUMENT_EXTENSIONS:
            return ext
    return None


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


# ---- sniffing ---------------------------------------------------------------
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML_MARKS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<title", b"<meta", b"<script", b"<div", b"<p>",
               b"<table", b"<br")


def _sniff(head: bytes) -> tuple[str, str]:
    """(family, zh label) of what the first bytes are: pdf, zip, ole, html, ..."""
    if not head:
        return "empty", "空檔案（0 位元組）"
    if b"%PDF-" in head[:1024]:
        return "pdf", "PDF 文件"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip", "ZIP 壓縮檔"
    if head.startswith(_OLE_MAGIC):
        return "ole", "Office 97-2003（OLE）檔案"
    if head.startswith(b"{\\rtf"):
        return "rtf", "RTF 格式文件"
    for magic, label in ((b"\x89PNG", "PNG 圖片"), (b"\xff\xd8\xff", "JPEG 圖片"), (b"GIF8", "GIF 圖片"),
                         (b"II*\x00", "TIFF 圖片"), (b"MM\x00*", "TIFF 圖片"), (b"BM", "BMP 圖片")):
        if head.startswith(magic):
            return "image", label
    for magic, label in ((b"Rar!", "RAR 壓縮檔"), (b"7z\xbc\xaf", "7-Zip 壓縮檔"), (b"\x1f\x8b", "gzip 壓縮檔"),
                         (b"MZ", "Windows 執行檔")):
        if head.startswith(magic):
            return "other", label
    text = head.lstrip(b"\xef\xbb\xbf\xff\xfe\xfe\xff \t\r\n").lower()
    if text.startswith(b"<") and any(m in text[:2048] for m in _HTML_MARKS):
        return "html", "HTML 網頁"
    if text.startswith(b"<?xml") or text.startswith(b"<"):
        return "xml", "XML 文字檔"
    if b"\x00" not in head:
        return "text", "純文字檔"
    return "unknown", "無法辨識的資料"


_FAMILY_OF_KIND = {"pdf": "pdf", "odf": "zip", "ooxml": "zip", "ole": "ole"}


def _spaced(label: str) -> str:
    """A space between Chinese and a label that opens with Latin letters (內容卻是 HTML 網頁)."""
    return f" {label}" if label[:1].isascii() else label


def _mismatch(ext: str, label: str, family: str) -> str:
    shown = _spaced(label)
    reason = f"副檔名為 .{ext}，內容卻是{shown}" if ext else f"下載到的內容是{shown}，不是文件"
    if family == "html":
        reason += "（常見原因：連結指向錯誤頁、登入頁或轉址頁，而不是檔案本身）"
    return reason


# ---- reading ------------------------------------------------------------------
def read_document(path: Path, *, url: str, ext: str, content_type: str, declared_length: int | None,
                  max_bytes: int) -> DocumentFacts:
    """Read the document at `path` (downloaded from `url`) into facts.  Never raises.

    `ext` is what the link promises (`is_document(url)`); when empty, the
    Content-Type's format is expected instead, else whatever the bytes are.
    `declared_length` is the size the server declared for these bytes (None
    when unknown, or when the transport decoded the body): a shorter file is
    an incomplete download ("failed"), not a bad document.
    """
    ext = (ext or "").lower().lstrip(".")
    if ext not in KIND_OF_EXT:
        ext = _EXT_OF_TYPE.get(_media_type(content_type), ext)
    r = _Reading(url=url, ext=ext, kind=KIND_OF_EXT.get(ext, "other"), content_type=content_type)
    try:
        size = path.stat().st_size
        r.bytes = size
        if size > max_bytes:
            return too_large_facts(url, max_bytes=max_bytes, size=size, ext=ext, content_type=content_type)
        r.sha256 = file_sha256(path)
        if declared_length is not None and size < declared_length:
            r.notices.append(f"下載不完整：伺服器宣告 {size_text(declared_length)}，只收到 {size_text(size)}")
            return r.freeze("failed")
        with path.open("rb") as f:
            head = f.read(4096)
        family, label = _sniff(head)
        expected = _FAMILY_OF_KIND.get(r.kind)
        if expected is None:  # no extension, no telling Content-Type: read what it is
            expected = family
            r.kind = {"pdf": "pdf", "zip": "ooxml", "ole": "ole"}.get(family, "other")
        if family == "empty":
            raise _Invalid("檔案是空的（0 位元組）")
        if expected == "pdf":
            if family != "pdf":
                raise _Invalid(_mismatch(ext, label, family))
            _read_pdf(path, r)
        elif expected == "zip":
            if family == "ole" and _ole_is_encrypted_package(path):
                raise _Encrypted("文件設有密碼保護（加密的 Office 文件），無法讀取內容，未檢查其文件摘要資訊")
            if family != "zip":
                raise _Invalid(_mismatch(ext, _ole_label(path) if family == "ole" else label, family))
            _read_zip(path, r)
        elif expected == "ole":
            if family == "zip":
                raise _Invalid(_mismatch(ext, _zip_label(path), family))
            if family != "ole":
                raise _Invalid(_mismatch(ext, label, family))
            _read_ole(path, r)
        else:
            raise _Invalid(_mismatch(ext, label, family))
    except _Invalid as e:
        return r.freeze("invalid", str(e))
    except _Encrypted as e:
        r.notices.insert(0, str(e))
        _content_type_notice(r)
        return r.freeze("encrypted")
    except _Unreadable as e:
        r.notices.insert(0, str(e))
        return r.freeze("unreadable")
    except (Exception, RecursionError, MemoryError) as e:  # one bad document never stops the audit
        r.notices.insert(0, f"讀取文件時發生未預期的錯誤（{type(e).__name__}），未能檢查")
        return r.freeze("unreadable")
    _content_type_notice(r)
    return r.freeze("ok")


def _content_type_notice(r: _Reading) -> None:
    """The bytes are the document, but the server names another type: a notice (the file is fine)."""
    media = _media_type(r.content_type)
    if not r.ext or media in _NEUTRAL_TYPES or media in _CONTENT_TYPES.get(r.ext, ()):
        return
    r.notices.append(f"伺服器回應的 Content-Type「{media}」與 .{r.ext} 文件不符，部分瀏覽器可能無法正確開啟或下載")


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# XML from documents: no entity expansion (billion laughs), no DTD, no network.
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                              remove_comments=True, remove_pis=True)


def _xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, _XML_PARSER)


# ---- PDF ----------------------------------------------------------------------
def _read_pdf(path: Path, r: _Reading) -> None:
    import pikepdf

    size = path.stat().st_size
    with path.open("rb") as f:
        f.seek(max(0, size - 4096))
        tail = f.read()
    if b"%%EOF" not in tail:
        raise _Invalid("PDF 檔案不完整（檔尾找不到 %%EOF 結束標記），可能上傳或下載時中斷")
    try:
        pdf = pikepdf.open(path, suppress_warnings=True)
    except pikepdf.PasswordError:
        raise _Encrypted("PDF 設有開啟密碼，無法讀取內容，未檢查其文件摘要資訊、文字層與標籤") from None
    except (pikepdf.PdfError, RuntimeError, ValueError) as e:
        raise _Invalid("PDF 檔案損毀，無法開啟") from e
    deadline = time.monotonic() + READ_DEADLINE
    with pdf, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if pdf.get_warnings():
            r.notices.append("PDF 檔案結構有誤，已自動修復後讀取；建議重新匯出")
        if pdf.is_encrypted:
            allow = pdf.allow
            if not getattr(allow, "accessibility", True) or not getattr(allow, "extract", True):
                r.notices.append("PDF 設有權限限制，禁止擷取文字內容，報讀軟體等輔助工具可能無法讀取")
        r.page_count = len(pdf.pages)
        _pdf_info(pdf, r)
        xmp = _pdf_xmp(pdf, r)
        r.set_field("title", r.properties.get("Title"), xmp.get("dc:title"))
        r.set_field("subject", r.properties.get("Subject"), xmp.get("dc:description"))
        r.set_field("creator", r.properties.get("Author"), xmp.get("dc:creator"))
        root = pdf.Root
        mark = root.get("/MarkInfo")
        marked = isinstance(mark, pikepdf.Dictionary) and mark.get("/Marked") is True
        tree = root.get("/StructTreeRoot")
        has_tree = isinstance(tree, pikepdf.Dictionary) and "/K" in tree
        r.tagged = bool(marked and has_tree)
        if has_tree and not marked:
            r.notices.append("PDF 有結構樹（/StructTreeRoot），但未標示 /MarkInfo /Marked true")
        r.has_text = _pdf_has_text(pdf, r, deadline)


def _pdf_value(value: Any) -> str | None:
    import pikepdf

    if isinstance(value, pikepdf.String):
        raw = bytes(value)
        if len(raw) > MAX_VALUE * 4:
            value = pikepdf.String(raw[: MAX_VALUE * 4])
        return str(value)
    if isinstance(value, pikepdf.Name):
        return str(value)[1:]
    if isinstance(value, (int, float, bool, str)):
        return str(value)
    return None  # arrays, dictionaries: not a property value


def _pdf_info(pdf: Any, r: _Reading) -> None:
    import pikepdf

    info = pdf.trailer.get("/Info")
    if not isinstance(info, pikepdf.Dictionary):
        return
    for n, key in enumerate(info.keys()):
        if n >= MAX_PROPERTIES:
            break
        try:
            r.prop(str(key)[1:], _pdf_value(info.get(key)))
        except (pikepdf.PdfError, ValueError, UnicodeError):
            continue


_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _qname(el_or_tag: Any, nsmap: Mapping[str | None, str]) -> str:
    tag = el_or_tag if isinstance(el_or_tag, str) else el_or_tag.tag
    qn = etree.QName(tag)
    prefix = next((p for p, ns in nsmap.items() if ns == qn.namespace and p), None)
    return f"{prefix}:{qn.localname}" if prefix else qn.localname


def _xmp_value(el: etree._Element) -> str:
    items = [li for li in el.iter(f"{{{_RDF}}}li")][:50]
    if items:
        default = [li for li in items if li.get(_XML_LANG) == "x-default"]
        chosen = default or items
        return "; ".join(t for t in ((li.text or "").strip() for li in chosen) if t)
    if len(el):
        return ""  # a structure: not a simple property
    return (el.text or el.get(f"{{{_RDF}}}resource") or "").strip()


def _pdf_xmp(pdf: Any, r: _Reading) -> dict[str, str]:
    """The XMP packet's simple properties (`dc:title` ...), read with a byte cap."""
    import pikepdf

    meta = pdf.Root.get("/Metadata")
    if not isinstance(meta, pikepdf.Stream):
        return {}
    data = _stream_data(meta, XMP_CAP + 1)
    if data is None or len(data) > XMP_CAP:
        r.notices.append(f"PDF 的 XMP 詮釋資料大於 {size_text(XMP_CAP)} 或無法解碼，未讀取")
        return {}
    try:
        root = _xml(data.strip(b"\x00 \t\r\n"))
    except etree.XMLSyntaxError:
        r.notices.append("PDF 的 XMP 詮釋資料格式錯誤，未讀取")
        return {}
    found: dict[str, str] = {}
    seen = 0
    for desc in root.iter(f"{{{_RDF}}}Description"):
        nsmap = desc.nsmap
        for attr, value in desc.attrib.items():
            if etree.QName(attr).namespace not in (_RDF, None):
                found.setdefault(_qname(attr, nsmap), _clean(value))
        for child in desc:
            seen += 1
            if seen > MAX_XML_ELEMENTS:
                break
            if not isinstance(child.tag, str):
                continue
            value = _xmp_value(child)
            if value:
                found.setdefault(_qname(child, child.nsmap), _clean(value))
    for key, value in found.items():
        r.prop(key, value)
    return found


def _filters(stream: Any) -> tuple[list[str], bool]:
    """(filter names, has a predictor) of a stream."""
    import pikepdf

    f = stream.get("/Filter")
    if f is None:
        names: list[str] = []
    elif isinstance(f, pikepdf.Array):
        names = [str(x) for x in f]
    else:
        names = [str(f)]
    parms = stream.get("/DecodeParms")
    plist = list(parms) if isinstance(parms, pikepdf.Array) else [parms]
    predictor = any(isinstance(p, pikepdf.Dictionary) and int(p.get("/Predictor", 1)) > 1 for p in plist)
    return names, predictor


_FLATE = ("/FlateDecode", "/Fl")
_A85 = ("/ASCII85Decode", "/A85")
_AHX = ("/ASCIIHexDecode", "/AHx")


def _inflate(data: bytes, cap: int) -> bytes:
    """zlib with an output cap: a Flate bomb yields `cap` bytes, never more; damage ends the data."""
    d = zlib.decompressobj()
    out = bytearray()
    pos = 0
    try:
        while pos < len(data) and len(out) < cap:
            out += d.decompress(data[pos:pos + 65536], cap - len(out))
            if d.unconsumed_tail:
                break  # the cap was reached inside this chunk
            pos += 65536
            if d.eof:
                break
    except zlib.error:
        pass
    return bytes(out[:cap])


def _a85(data: bytes) -> bytes:
    data = data.strip()
    if data.startswith(b"<~"):
        data = data[2:]
    end = data.find(b"~>")
    if end >= 0:
        data = data[:end]
    try:
        return base64.a85decode(re.sub(rb"\s+", b"", data))
    except ValueError:
        return b""


def _ahx(data: bytes) -> bytes:
    data = re.sub(rb"\s+", b"", data.split(b">", 1)[0])
    if len(data) % 2:
        data += b"0"
    try:
        return bytes.fromhex(data.decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        return b""


def _stream_data(stream: Any, cap: int) -> bytes | None:
    """Decoded stream data, at most `cap` bytes; None when it cannot be decoded safely."""
    import pikepdf

    names, predictor = _filters(stream)
    raw = stream.read_raw_bytes()  # decrypted, not decoded; bounded by the file size
    if not names:
        return raw[:cap]
    if not predictor and all(n in _FLATE + _A85 + _AHX for n in names):
        data = raw
        for n in names:
            data = _inflate(data, cap) if n in _FLATE else _a85(data) if n in _A85 else _ahx(data)
        return data[:cap]
    if len(raw) <= SMALL_RAW_STREAM:  # LZW, RunLength, predictors: small enough for qpdf
        try:
            return bytes(stream.read_bytes())[:cap]
        except pikepdf.PdfError:
            return None
    return None


def _sample_pages(n: int) -> list[int]:
    first = list(range(min(n, TEXT_FIRST_PAGES)))
    rest = n - len(first)
    if rest <= 0:
        return first
    k = min(rest, TEXT_SAMPLED_PAGES)
    step = rest / k
    return first + sorted({len(first) + int(i * step) for i in range(k)})


def _resources(obj: Any) -> Any:
    """A page's /Resources, inherited from its ancestors when absent (bounded walk)."""
    import pikepdf

    node = obj
    for _ in range(32):
        res = node.get("/Resources")
        if isinstance(res, pikepdf.Dictionary):
            return res
        node = node.get("/Parent")
        if not isinstance(node, pikepdf.Dictionary):
            break
    return pikepdf.Dictionary()


class _TextBudget:
    def __init__(self, deadline: float):
        self.deadline = deadline
        self.left = TEXT_TOTAL_CAP
        self.inconclusive = False  # something could not be looked at: "no text" is not proven


def _shows_text(operands: Any, op: str) -> bool:
    import pikepdf

    if op == "TJ":
        arr = operands[0] if operands else None
        return isinstance(arr, pikepdf.Array) and any(
            isinstance(x, pikepdf.String) and bytes(x).strip(b" \t\r\n") for x in arr)
    s = operands[-1] if operands else None
    return isinstance(s, pikepdf.String) and bool(bytes(s).strip(b" \t\r\n"))


def _content_has_text(scratch: Any, streams: list[Any], resources: Any, budget: _TextBudget, depth: int,
                      seen: set[tuple[int, int]]) -> bool:
    import pikepdf

    if not streams:
        return False
    fonts = resources.get("/Font")
    xobjects = resources.get("/XObject")
    has_fonts = isinstance(fonts, pikepdf.Dictionary) and len(fonts.keys()) > 0
    has_forms = isinstance(xobjects, pikepdf.Dictionary) and len(xobjects.keys()) > 0
    if not has_fonts and not has_forms:
        return False  # no font, nothing to draw text with (a scan: one image)
    chunks = []
    for s in streams:
        if not isinstance(s, pikepdf.Stream):
            continue
        cap = min(PAGE_CONTENT_CAP, budget.left)
        if cap <= 0:
            budget.inconclusive = True
            return False
        data = _stream_data(s, cap + 1)
        if data is None:
            budget.inconclusive = True
            continue
        if len(data) > cap:
            budget.inconclusive = True
            data = data[:cap]
        budget.left -= len(data)
        chunks.append(data)
    if not chunks:
        return False
    try:
        parsed = pikepdf.parse_content_stream(scratch.make_stream(b"\n".join(chunks)), "Tj TJ ' \" Do")
    except (pikepdf.PdfError, ValueError, RuntimeError):
        budget.inconclusive = True
        return False
    used_forms = []
    for instruction in parsed:
        if not isinstance(instruction, pikepdf.ContentStreamInstruction):
            continue  # an inline image
        operands, name = instruction.operands, str(instruction.operator)
        if name == "Do":
            if operands and isinstance(operands[0], pikepdf.Name):
                used_forms.append(operands[0])
        elif has_fonts and _shows_text(operands, name):
            return True
    if depth >= FORM_DEPTH:
        if used_forms:
            budget.inconclusive = True
        return False
    for form_name in used_forms[:50]:
        if time.monotonic() > budget.deadline:
            budget.inconclusive = True
            return False
        xobj = xobjects.get(form_name) if isinstance(xobjects, pikepdf.Dictionary) else None
        if not isinstance(xobj, pikepdf.Stream) or xobj.get("/Subtype") != pikepdf.Name.Form:
            continue
        key = xobj.objgen
        if key in seen:
            continue
        seen.add(key)
        form_res = xobj.get("/Resources")
        if not isinstance(form_res, pikepdf.Dictionary):
            form_res = resources
        if _content_has_text(scratch, [xobj], form_res, budget, depth + 1, seen):
            return True
    return False


def _pdf_has_text(pdf: Any, r: _Reading, deadline: float) -> bool | None:
    """Does any page draw text (also invisible OCR text)?  Bounded; None = not known."""
    import pikepdf

    n = len(pdf.pages)
    if n == 0:
        return None
    budget = _TextBudget(deadline)
    scratch = pikepdf.new()
    try:
        for i in _sample_pages(n):
            if time.monotonic() > deadline:
                budget.inconclusive = True
                r.notices.append(f"文字層檢查超過 {READ_DEADLINE:g} 秒，未完成")
                break
            page = pdf.pages[i].obj
            contents = page.get("/Contents")
            streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
            if _content_has_text(scratch, streams[:100], _resources(page), budget, 0, set()):
                return True
    finally:
        scratch.close()
    if budget.inconclusive:
        if not any(x.startswith("文字層檢查") for x in r.notices):
            r.notices.append("部分頁面內容過大或無法解碼，文字層檢查未完成")
        return None
    return False


# ---- zip packages (ODF, OOXML) ------------------------------------------------
def _zip_precheck(path: Path) -> None:
    """Size the central directory before zipfile reads it all into memory."""
    size = path.stat().st_size
    with path.open("rb") as f:
        f.seek(max(0, size - 65557))
        tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise _Invalid("ZIP 套件不完整（找不到檔尾的目錄），可能上傳或下載時中斷")
    entries, cd_size = struct.unpack("<HI", tail[at + 10:at + 16])
    if cd_size > ZIP_MAX_DIRECTORY or (entries != 0xFFFF and entries > ZIP_MAX_ENTRIES):
        raise _Invalid(f"ZIP 套件內含過多項目（{entries} 個），不是一般文件")


def _open_zip(path: Path) -> zipfile.ZipFile:
    _zip_precheck(path)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
        raise _Invalid("ZIP 套件損毀，無法開啟") from e
    infos = zf.infolist()
    if len(infos) > ZIP_MAX_ENTRIES:
        zf.close()
        raise _Invalid(f"ZIP 套件內含過多項目（{len(infos)} 個），不是一般文件")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size >= ZIP_BOMB_MEMBER and info.file_size > ZIP_BOMB_RATIO * max(info.compress_size, 1):
            zf.close()
            raise _Invalid(f"壓縮內容異常：{info.filename[:80]} 宣告解壓縮後 {size_text(info.file_size)}，"
                           f"壓縮比超過 {ZIP_BOMB_RATIO} 倍，疑似惡意壓縮檔（zip bomb）")
    if total > ZIP_BOMB_TOTAL:
        zf.close()
        raise _Invalid(f"壓縮內容異常：宣告解壓縮後共 {size_text(total)}，疑似惡意壓縮檔（zip bomb）")
    ordered = sorted(infos, key=lambda i: i.header_offset)
    for a, b in itertools.pairwise(ordered):
        if a.header_offset + 30 + len(a.orig_filename.encode("utf-8", "replace")) + a.compress_size > b.header_offset:
            zf.close()
            raise _Invalid("ZIP 套件的項目互相重疊，疑似惡意壓縮檔（zip bomb）")
    return zf


def _member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int = ZIP_PART_CAP) -> bytes:
    """One member, at most `cap` bytes (read stops there whatever the member claims)."""
    if info.file_size > cap:
        raise _Unreadable(f"{info.filename[:80]} 大於 {size_text(cap)}，未讀取")
    try:
        with zf.open(info) as f:
            data = f.read(cap + 1)
    except NotImplementedError as e:  # a compression method zipfile (and office suites) do not know
        raise _Unreadable(f"{info.filename[:80]} 使用不支援的壓縮方式，未讀取") from e
    except RuntimeError as e:  # zipfile: "File ... is encrypted, password required"
        raise _Encrypted("ZIP 項目設有密碼保護，無法讀取內容") from e
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as e:
        raise _Invalid(f"ZIP 套件損毀：{info.filename[:80]} 無法解壓縮") from e
    if len(data) > cap:
        raise _Unreadable(f"{info.filename[:80]} 大於 {size_text(cap)}，未讀取")
    return data


def _zip_label(path: Path) -> str:
    """What a zip is, for a mismatch message (bounded)."""
    try:
        with _open_zip(path) as zf:
            names = set(zf.namelist())
            if "mimetype" in names:
                media = _member(zf, zf.getinfo("mimetype"), 200).decode("ascii", "replace").strip()
                if media.startswith("application/vnd.oasis.opendocument."):
                    return _ODF_MEDIA_LABEL.get(media.rsplit(".", 1)[1].split("-")[0], "ODF 文件")
            if "[Content_Types].xml" in names:
                fam = _ooxml_family(zf, zf.getinfo("[Content_Types].xml"))
                if fam:
                    return EXT_LABEL[fam[0]]
                return "Office Open XML 套件"
    except (_Invalid, _Unreadable, _Encrypted, etree.XMLSyntaxError):
        pass
    return "ZIP 壓縮檔"


def _read_zip(path: Path, r: _Reading) -> None:
    with _open_zip(path) as zf:
        infos = zf.infolist()
        names = {i.filename: i for i in infos}
        is_odf = "mimetype" in names or "META-INF/manifest.xml" in names
        is_ooxml = "[Content_Types].xml" in names
        if r.kind == "odf":
            if is_ooxml and not is_odf:
                raise _Invalid(_mismatch(r.ext, _zip_label(path), "zip"))
            if not is_odf:
                raise _Invalid(f"副檔名為 .{r.ext}，內容卻是一般 ZIP 壓縮檔，不是 ODF 文件套件"
                               "（缺少 mimetype 與 META-INF/manifest.xml）")
            _read_odf(zf, infos, names, r)
        else:
            if is_odf and not is_ooxml:
                raise _Invalid(_mismatch(r.ext, _zip_label(path), "zip"))
            if not is_ooxml:
                raise _Invalid(f"副檔名為 .{r.ext}，內容卻是一般 ZIP 壓縮檔，不是 Office Open XML 文件"
                               "（缺少 [Content_Types].xml）")
            _read_ooxml(zf, names, r)


# ---- ODF ----------------------------------------------------------------------
def _read_odf(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], names: Mapping[str, zipfile.ZipInfo],
              r: _Reading) -> None:
    from odf.namespaces import DCNS, MANIFESTNS, METANS, OFFICENS

    mt = names.get("mimetype")
    if mt is None:
        raise _Invalid("ODF 套件缺少 mimetype 檔案")
    if infos[0] is not mt or mt.header_offset != 0:
        raise _Invalid("ODF 套件的第一個檔案不是 mimetype（依 ODF 規定須放在最前面）")
    if mt.compress_type != zipfile.ZIP_STORED:
        raise _Invalid("ODF 套件的 mimetype 檔案經過壓縮（依 ODF 規定須不壓縮存放）")
    if mt.file_size > 200:  # the longest ODF media type has 60 characters
        raise _Invalid("ODF 套件的 mimetype 內容不是 ODF 文件類型")
    media = _member(zf, mt, 200).decode("ascii", "replace")
    if media != media.strip():
        r.notices.append("ODF 套件的 mimetype 含多餘的空白或換行")
        media = media.strip()
    expected = _ODF_MEDIA.get(r.ext, "")
    if media != expected:
        if media == expected + "-template":
            r.notices.append("這是 ODF 範本檔（template），不是一般文件")
        elif media.startswith("application/vnd.oasis.opendocument."):
            kind = media.rsplit(".", 1)[1].split("-")[0]
            raise _Invalid(f"副檔名為 .{r.ext}，內容卻是{_spaced(_ODF_MEDIA_LABEL.get(kind, 'ODF 其他類型文件'))}")
        else:
            raise _Invalid(f"ODF 套件的 mimetype 為「{media[:60]}」，不是 ODF 文件")
    man = names.get("META-INF/manifest.xml")
    if man is None:
        raise _Invalid("ODF 套件缺少 META-INF/manifest.xml")
    try:
        manifest = _xml(_member(zf, man))
    except etree.XMLSyntaxError:
        raise _Invalid("ODF 套件的 META-INF/manifest.xml 格式錯誤") from None
    encrypted: set[str] = set()
    for n, entry in enumerate(manifest.iter(f"{{{MANIFESTNS}}}file-entry")):
        if n > MAX_XML_ELEMENTS:
            break
        path = entry.get(f"{{{MANIFESTNS}}}full-path") or ""
        if entry.find(f"{{{MANIFESTNS}}}encryption-data") is not None:
            encrypted.add(path)
        elif path == "/" and (entry.get(f"{{{MANIFESTNS}}}media-type") or media) != media:
            r.notices.append("ODF 套件 manifest 宣告的文件類型與 mimetype 不一致")
    if "content.xml" not in names and "encrypted-package" not in names:
        raise _Invalid("ODF 套件缺少 content.xml（沒有文件內容）")
    meta = names.get("meta.xml")
    if meta is not None and "meta.xml" not in encrypted:
        try:
            root = _xml(_member(zf, meta))
        except etree.XMLSyntaxError:
            r.notices.append("ODF 的 meta.xml 格式錯誤，未讀取文件摘要資訊")
        else:
            _odf_meta(root, r, DCNS, METANS, OFFICENS)
    elif meta is None and not encrypted:
        r.notices.append("ODF 套件沒有 meta.xml（沒有文件摘要資訊）")
    if encrypted:
        raise _Encrypted("ODF 文件設有密碼保護，無法讀取內容")


def _odf_meta(root: etree._Element, r: _Reading, dcns: str, metans: str, officens: str) -> None:
    meta = root.find(f"{{{officens}}}meta")
    if meta is None:
        return
    values: dict[str, list[str]] = {}
    for n, el in enumerate(meta):
        if n > MAX_XML_ELEMENTS or not isinstance(el.tag, str):
            break
        qn = etree.QName(el)
        text = "".join(el.itertext())[: MAX_VALUE * 2]
        if qn.namespace == metans and qn.localname == "user-defined":
            name = el.get(f"{{{metans}}}name") or ""
            if name:
                r.prop(name, text)
            continue
        if qn.namespace == metans and qn.localname == "document-statistic":
            count = el.get(f"{{{metans}}}page-count")
            if count and count.isdigit():
                r.page_count = int(count)
            continue
        prefix = "dc" if qn.namespace == dcns else "meta" if qn.namespace == metans else None
        if prefix:
            values.setdefault(f"{prefix}:{qn.localname}", []).append(text)
    for key, texts in values.items():
        r.prop(key, "; ".join(t.strip() for t in texts if t.strip()))
    r.set_field("title", r.properties.get("dc:title"))
    r.set_field("subject", r.properties.get("dc:subject"))
    r.set_field("creator", r.properties.get("meta:initial-creator"), r.properties.get("dc:creator"))


# ---- OOXML --------------------------------------------------------------------
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_APP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"


def _ooxml_family(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[str, bool] | None:
    """(docx|xlsx|pptx, macro-enabled) from [Content_Types].xml's main part, or None."""
    root = _xml(_member(zf, info, 1024 * 1024))
    for ov in root.iter(f"{{{_CT_NS}}}Override"):
        ctype = (ov.get("ContentType") or "").lower()
        if not (ctype.endswith(".main+xml") or ctype.endswith(".main")):
            continue
        macro = "macroenabled" in ctype
        if "wordprocessingml" in ctype or "ms-word" in ctype:
            return "docx", macro
        if "spreadsheetml" in ctype or "ms-excel" in ctype:
            return "xlsx", macro
        if "presentationml" in ctype or "ms-powerpoint" in ctype:
            return "pptx", macro
    return None


def _rel_targets(zf: zipfile.ZipFile, names: Mapping[str, zipfile.ZipInfo]) -> dict[str, str]:
    """Relationship type's last segment -> part name, from _rels/.rels."""
    info = names.get("_rels/.rels")
    if info is None:
        return {}
    try:
        root = _xml(_member(zf, info, 1024 * 1024))
    except etree.XMLSyntaxError:
        return {}
    out: dict[str, str] = {}
    for rel in root.iter(f"{{{_REL_NS}}}Relationship"):
        kind = (rel.get("Type") or "").rsplit("/", 1)[-1]
        target = (rel.get("Target") or "").lstrip("/")
        if kind and target and rel.get("TargetMode") != "External":
            out.setdefault(kind, target)
    return out


def _read_ooxml(zf: zipfile.ZipFile, names: Mapping[str, zipfile.ZipInfo], r: _Reading) -> None:
    from openpyxl.packaging.core import DocumentProperties

    try:
        family = _ooxml_family(zf, names["[Content_Types].xml"])
    except etree.XMLSyntaxError:
        raise _Invalid("Office Open XML 套件的 [Content_Types].xml 格式錯誤") from None
    if family is None:
        raise _Invalid(f"副檔名為 .{r.ext}，但套件裡沒有 Word、Excel 或 PowerPoint 主文件")
    fam, macro = family
    if fam != r.ext:
        raise _Invalid(f"副檔名為 .{r.ext}，內容卻是{_spaced(EXT_LABEL[fam])}")
    if macro:
        r.notices.append("文件含巨集（macro-enabled），開啟時可能被安全設定封鎖")
    rels = _rel_targets(zf, names)
    core = names.get(rels.get("core-properties", "docProps/core.xml"))
    if core is None:
        r.notices.append("文件沒有 docProps/core.xml（沒有文件摘要資訊）")
    else:
        try:
            props = DocumentProperties.from_tree(_xml(_member(zf, core, 1024 * 1024)))
        except (etree.XMLSyntaxError, TypeError, ValueError):
            r.notices.append("文件的 docProps/core.xml 格式錯誤，未讀取文件摘要資訊")
        else:
            for key, attr in (("dc:title", "title"), ("dc:subject", "subject"), ("dc:creator", "creator"),
                              ("dc:description", "description"), ("cp:keywords", "keywords"),
                              ("cp:category", "category"), ("cp:lastModifiedBy", "lastModifiedBy"),
                              ("dc:language", "language"), ("dc:identifier", "identifier")):
                r.prop(key, getattr(props, attr, None))
            r.set_field("title", props.title)
            r.set_field("subject", props.subject)
            r.set_field("creator", props.creator)
    custom = names.get(rels.get("custom-properties", "docProps/custom.xml"))
    if custom is not None:
        try:
            root = _xml(_member(zf, custom, 1024 * 1024))
        except etree.XMLSyntaxError:
            r.notices.append("文件的 docProps/custom.xml 格式錯誤，未讀取自訂屬性")
        else:
            for n, prop in enumerate(root.iter(f"{{{_CUSTOM_NS}}}property")):
                if n > MAX_PROPERTIES:
                    break
                name = prop.get("name") or ""
                if name:
                    r.prop(name, "".join(prop.itertext()))
    app = names.get(rels.get("extended-properties", "docProps/app.xml"))
    if app is not None:
        try:
            root = _xml(_member(zf, app, 1024 * 1024))
        except (etree.XMLSyntaxError, _Unreadable):
            return
        for tag in ("Pages", "Slides"):
            el = root.find(f"{{{_APP_NS}}}{tag}")
            if el is not None and (el.text or "").strip().isdigit():
                r.page_count = int(el.text.strip())


# ---- OLE (Office 97-2003) -----------------------------------------------------
_OLE_LABEL = {"doc": EXT_LABEL["doc"], "xls": EXT_LABEL["xls"], "ppt": EXT_LABEL["ppt"]}
# SummaryInformation property ids (MS-OLEPS 2.3.3.2.1)
_SUMMARY_PIDS = {2: "Title", 3: "Subject", 4: "Author", 5: "Keywords", 6: "Comments", 8: "LastAuthor",
                 18: "AppName"}


def _ole_family(ole: Any) -> str | None:
    if ole.exists("WordDocument"):
        return "doc"
    if ole.exists("Workbook") or ole.exists("Book"):
        return "xls"
    if ole.exists("PowerPoint Document"):
        return "ppt"
    return None


def _ole_open(path: Path) -> Any:
    import olefile

    try:
        return olefile.OleFileIO(str(path))
    except Exception as e:  # olefile raises OSError, ValueError, struct.error ... on damage
        raise _Invalid("Office 97-2003（OLE）檔案結構損毀，無法開啟") from e


def _ole_is_encrypted_package(path: Path) -> bool:
    """An encrypted OOXML file is an OLE container with EncryptionInfo + EncryptedPackage."""
    try:
        with _ole_open(path) as ole:
            return bool(ole.exists("EncryptionInfo") and ole.exists("EncryptedPackage"))
    except _Invalid:
        return False


def _ole_label(path: Path) -> str:
    try:
        with _ole_open(path) as ole:
            fam = _ole_family(ole)
            return _OLE_LABEL[fam] if fam else "Office 97-2003（OLE）檔案"
    except _Invalid:
        return "損毀的 Office 97-2003（OLE）檔案"


def _decode_ole_text(value: Any, codepage: int) -> Any:
    if not isinstance(value, bytes):
        return value
    value = value.split(b"\x00", 1)[0]
    codec = {1200: "utf-16-le", 65001: "utf-8", 10000: "mac_roman"}.get(codepage, f"cp{codepage}")
    for c in (codec, "cp950", "latin-1"):
        try:
            return value.decode(c)
        except (LookupError, UnicodeDecodeError):
            continue
    return ""


def _ole_stream_head(ole: Any, name: str, n: int) -> bytes:
    """The first n bytes of a stream, without olefile reading the whole of a big one."""
    size = ole.get_size(name)
    if size > 64 * 1024 * 1024:
        return b""
    with ole.openstream(name) as s:
        return s.read(n)


def _ole_encrypted(ole: Any, family: str) -> bool:
    """Legacy encryption flags: Word FIB fEncrypted, Excel FILEPASS, PowerPoint encrypted user atom."""
    if ole.exists("EncryptionInfo") or ole.exists("EncryptedSummary"):
        return True
    if family == "doc":
        fib = _ole_stream_head(ole, "WordDocument", 12)
        return len(fib) >= 12 and struct.unpack("<H", fib[:2])[0] == 0xA5EC and bool(
            struct.unpack("<H", fib[10:12])[0] & 0x0100)
    if family == "xls":
        name = "Workbook" if ole.exists("Workbook") else "Book"
        data = _ole_stream_head(ole, name, 64 * 1024)
        pos = 0
        for _ in range(64):  # FILEPASS comes right after the first BOF
            if pos + 4 > len(data):
                break
            rtype, rlen = struct.unpack("<HH", data[pos:pos + 4])
            if rtype == 0x002F:
                return True
            if rtype == 0x000A or (rtype == 0 and rlen == 0):
                break
            pos += 4 + rlen
        return False
    if family == "ppt" and ole.exists("Current User"):
        head = _ole_stream_head(ole, "Current User", 16)
        return len(head) >= 16 and struct.unpack("<I", head[12:16])[0] == 0xF3D1C4DF
    return False


def _read_ole(path: Path, r: _Reading) -> None:
    with _ole_open(path) as ole:
        if ole.exists("EncryptionInfo") and ole.exists("EncryptedPackage"):
            raise _Encrypted("文件設有密碼保護（加密的 Office 文件），無法讀取內容，未檢查其文件摘要資訊")
        family = _ole_family(ole)
        if family is None:
            raise _Invalid(f"副檔名為 .{r.ext}，但檔案裡沒有 Word、Excel 或 PowerPoint 97-2003 的內容")
        if family != r.ext:
            raise _Invalid(f"副檔名為 .{r.ext}，內容卻是{_spaced(_OLE_LABEL[family])}")
        if ole.exists("\x05SummaryInformation"):
            try:
                props = ole.getproperties("\x05SummaryInformation", convert_time=False)
            except Exception:  # a damaged property set: the document may still open
                props = {}
                r.notices.append("文件摘要資訊（SummaryInformation）損毀，未讀取")
            codepage = props.get(1) if isinstance(props.get(1), int) else 1252
            codepage = codepage & 0xFFFF
            for pid, key in _SUMMARY_PIDS.items():
                r.prop(key, _decode_ole_text(props.get(pid), codepage))
            pages = props.get(14)
            if isinstance(pages, int) and pages > 0:
                r.page_count = pages
        else:
            r.notices.append("文件沒有摘要資訊（SummaryInformation）")
        r.set_field("title", r.properties.get("Title"))
        r.set_field("subject", r.properties.get("Subject"))
        r.set_field("creator", r.properties.get("Author"))
        if _ole_encrypted(ole, family):
            raise _Encrypted("文件設有密碼保護，無法讀取內容")


# ---- facts without reading ----------------------------------------------------
def too_large_facts(url: str, *, max_bytes: int, size: int | None = None, ext: str | None = None,
                    content_type: str = "") -> DocumentFacts:
    """The one notice for a document above `[attachments] max_bytes` (not downloaded)."""
    ext = ext if ext is not None else is_document(url) or ""
    cap = size_text(max_bytes)
    if size:
        notice = f"文件大小 {size_text(size)}，超過下載上限 {cap}（[attachments] max_bytes），未下載檢查"
    else:
        notice = f"文件超過下載上限 {cap}（[attachments] max_bytes），未下載檢查"
    return DocumentFacts(url=url, ext=ext, kind=KIND_OF_EXT.get(ext, "other"), status="too-large",
                         content_type=content_type, bytes=size, notices=(notice,))


def failed_facts(url: str, status_text: str, *, ext: str | None = None, content_type: str = "") -> DocumentFacts:
    """A document that could not be downloaded (`status_text`: zh, e.g. 'HTTP 404', '連線逾時')."""
    ext = ext if ext is not None else is_document(url) or ""
    return DocumentFacts(url=url, ext=ext, kind=KIND_OF_EXT.get(ext, "other"), status="failed",
                         content_type=content_type, notices=(f"無法下載文件（{status_text}）",))


# ---- Scrapy side ----------------------------------------------------------------
def document_request_kwargs(url: str, *, max_bytes: int, cache: DocumentCache | None = None) -> dict[str, Any]:
    """`scrapy.Request(url, callback=..., errback=..., **document_request_kwargs(...))` for one document."""
    headers: dict[str, str] = {"Accept-Encoding": "identity"}
    if cache is not None:
        headers.update(cache.conditional_headers(url))
    netloc = urlsplit(url).netloc.lower()
    return {
        "method": "GET",
        "headers": headers,
        "meta": {
            "kind": "document",
            "target": url,
            "download_maxsize": max_bytes,
            "download_warnsize": 0,
            "download_slot": f"{netloc}#documents",
        },
    }


def _header(response: Response, name: str) -> str:
    value = response.headers.get(name.encode("latin-1"))
    return value.decode("latin-1") if value else ""


def _target(response: Response) -> str:
    try:
        meta = response.meta
    except AttributeError:  # a Response built without a request
        return response.url
    if meta.get("target"):
        return str(meta["target"])
    hops = meta.get("redirect_urls") or ()
    return str(hops[0]) if hops else response.url


_DISPOSITION_NAME = re.compile(r"filename\*?\s*=\s*(?:UTF-8''|utf-8'')?\"?([^\";]+)", re.I)


def _response_ext(response: Response, target: str, content_type: str) -> str:
    ext = is_document(target) or is_document(response.url)
    if ext:
        return ext
    m = _DISPOSITION_NAME.search(_header(response, "Content-Disposition"))
    if m:
        ext = _ext_of(unquote(m.group(1)))
        if ext in DOCUMENT_EXTENSIONS:
            return ext
    return _EXT_OF_TYPE.get(_media_type(content_type), "")


def facts_from_response(response: Response, *, max_bytes: int, tmp_dir: Path | str,
                        cache: DocumentCache | None = None) -> DocumentFacts:
    """The facts of one document GET (see "How the crawl uses this").  Never raises.

    The document is named by `meta["target"]` (the URL pages link to), else
    the first URL of its redirect chain.  A 304 is answered from `cache`; a
    body seen before (same sha256, extension and Content-Type) reuses the
    cached reading; anything read is stored in `cache`.
    """
    url = _target(response)
    ctype = _header(response, "Content-Type")
    ext = _response_ext(response, url, ctype)
    try:
        status = response.status
        if status == 304:
            hit = cache.on_not_modified(url) if cache is not None else None
            return hit or failed_facts(url, "伺服器回應 304 未修改，但快取中沒有此文件", ext=ext, content_type=ctype)
        if not 200 <= status < 300:
            return failed_facts(url, f"HTTP {status}", ext=ext, content_type=ctype)
        flags = response.flags or []
        declared = _header(response, "Content-Length")
        declared_n = int(declared) if declared.isdigit() else None
        if "download_stopped" in flags:
            if declared_n is not None and declared_n > max_bytes:
                return too_large_facts(url, max_bytes=max_bytes, size=declared_n, ext=ext, content_type=ctype)
            return failed_facts(url, "下載被中止", ext=ext, content_type=ctype)
        if "dataloss" in flags:
            return failed_facts(url, "下載不完整，連線中斷", ext=ext, content_type=ctype)
        body = response.body
        if len(body) > max_bytes:
            return too_large_facts(url, max_bytes=max_bytes, size=len(body), ext=ext, content_type=ctype)
        etag, last_modified = _header(response, "ETag"), _header(response, "Last-Modified")
        sha = hashlib.sha256(body).hexdigest()
        if cache is not None:
            hit = cache.lookup_by_hash(sha, ext=ext, content_type=ctype)
            if hit is not None:
                facts = hit.replace(url=url)
                cache.store(url, etag, last_modified, facts)
                return facts
        Path(tmp_dir).mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="doc-", suffix=f".{ext or 'bin'}")
        tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(body)
            # Twisted already checked the body against Content-Length (a short
            # one is "dataloss"); after Content-Encoding the header no longer
            # describes these bytes, so it is not compared again.
            facts = read_document(tmp, url=url, ext=ext, content_type=ctype, declared_length=None,
                                  max_bytes=max_bytes)
        finally:
            tmp.unlink(missing_ok=True)
        if cache is not None:
            cache.store(url, etag, last_modified, facts)
        return facts
    except Exception as e:  # disk full, tmp_dir unwritable ...: the audit goes on
        return failed_facts(url, f"暫存或讀取失敗：{type(e).__name__}", ext=ext, content_type=ctype)


_FAILURE_TEXT = {
    "dns": "找不到主機（DNS）", "refused": "連線被拒", "timeout": "連線逾時", "tls": "TLS／憑證錯誤",
    "redirect-loop": "重新導向迴圈", "too-many-redirects": "重新導向次數過多", "skipped": "依 robots.txt 或設定未下載",
    "blocked": "私有網路位址，未連線",
}
_EXPECTED_SIZE = re.compile(r"Expected to receive (\d+) bytes")


def facts_from_failure(failure: Failure, *, max_bytes: int) -> DocumentFacts:
    """The facts for a document request's errback: too-large when Scrapy cancelled it for size."""
    from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
    from twisted.internet.defer import CancelledError

    request = getattr(failure, "request", None)
    url = str(request.meta.get("target", request.url)) if request is not None else ""
    ext = is_document(url) or ""
    exc = failure.value
    text = str(exc)
    if isinstance(exc, DownloadCancelledError):
        m = _EXPECTED_SIZE.search(text)
        return too_large_facts(url, max_bytes=max_bytes, size=int(m.group(1)) if m else None, ext=ext)
    if isinstance(exc, CancelledError) or (isinstance(exc, IgnoreRequest) and "DOWNLOAD_MAXSIZE" in text):
        # Scrapy cancels a body that grows past download_maxsize (no or a
        # false Content-Length), and drops one that decompresses past it.
        return too_large_facts(url, max_bytes=max_bytes, ext=ext)
    name = type(exc).__name__
    if "DataLoss" in name:
        return failed_facts(url, "下載不完整，連線中斷", ext=ext)
    from crawler.outcomes import classify_failure

    status, _outcome, _raw = classify_failure(failure)
    return failed_facts(url, _FAILURE_TEXT.get(str(status), f"下載失敗：{name}"), ext=ext)
