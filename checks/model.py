"""The small typed values every part of siteaudit shares.

SPEC.md "Output files / Finding": a `Finding` serialises to exactly one line of
`findings.jsonl`.  `Severity` is the one ordering used by `--fail-on`, the
檢視結果 column and the exit code.  `Page` is what the crawler (or
`siteaudit check`) fetched; `LinkResult` is the typed outcome of fetching one
link target; `CheckContext` carries everything a check needs that is not in
the page (as-of date, settings, link outcomes, axe results), so checks stay
pure functions `check(page, ctx) -> Iterator[Finding]`.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum
from functools import cached_property
from typing import Any, Mapping
from urllib.parse import urlsplit

from lxml import etree


class Severity(IntEnum):
    """Ordered: notice < warning < error."""

    notice = 1
    warning = 2
    error = 3

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().lower()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (use error, warning or notice)") from None

    def __str__(self) -> str:  # JSON and messages use the lowercase name
        return self.name

    @property
    def zh(self) -> str:
        return {"notice": "提示", "warning": "警告", "error": "錯誤"}[self.name]


@dataclass(frozen=True)
class Rule:
    """Rule metadata as data: the report's help text and the tests read it."""

    id: str
    check: str
    severity: Severity
    title: str  # zh-TW, short
    fix: str  # zh-TW, how to fix


@dataclass(frozen=True)
class Finding:
    url: str
    check: str
    rule: str
    severity: Severity
    message: str
    section: str = ""
    unit: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "check": self.check,
            "rule": self.rule,
            "severity": str(self.severity),
            "message": self.message,
            "section": self.section,
            "unit": self.unit,
            "detail": dict(self.detail),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Finding":
        return cls(
            url=d["url"],
            check=d["check"],
            rule=d["rule"],
            severity=Severity.parse(d["severity"]),
            message=d.get("message", ""),
            section=d.get("section", ""),
            unit=d.get("unit", ""),
            detail=dict(d.get("detail") or {}),
        )

    # detail keys that identify *which* problem it is (not how it looks today):
    # a fingerprint must survive reordering, new line numbers, changed counts.
    _IDENTITY_KEYS = ("target", "field", "text", "value")

    def fingerprint(self) -> str:
        ident = {k: self.detail[k] for k in self._IDENTITY_KEYS if k in self.detail}
        raw = json.dumps([self.url, self.rule, ident], ensure_ascii=False, sort_keys=True)
        return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:16]

    def with_place(self, section: str, unit: str) -> "Finding":
        return Finding(self.url, self.check, self.rule, self.severity, self.message, section, unit, self.detail)


@dataclass(frozen=True)
class LinkResult:
    """The outcome of fetching one link target (fragment stripped), once per run.

    `status` is the HTTP status code, or one of SPEC's words: dns, refused,
    timeout, redirect-loop, tls, too-many-redirects, error; or "skipped"
    (robots.txt, excluded, not fetchable).  `outcome` is the judgement:
    ok | broken | unreachable | skipped.  `anchors` is the set of ids/names of
    the target when it was fetched as HTML (None = not known, so fragments
    cannot be judged).
    """

    url: str
    status: int | str
    outcome: str
    redirects: tuple[str, ...] = ()
    final_url: str = ""
    content_type: str = ""
    anchors: frozenset[str] | None = None
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "status": self.status,
            "outcome": self.outcome,
            "redirects": list(self.redirects),
            "final_url": self.final_url,
            "content_type": self.content_type,
            "anchors": sorted(self.anchors) if self.anchors is not None else None,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "LinkResult":
        anchors = d.get("anchors")
        return cls(
            url=d["url"],
            status=d["status"],
            outcome=d["outcome"],
            redirects=tuple(d.get("redirects") or ()),
            final_url=d.get("final_url", ""),
            content_type=d.get("content_type", ""),
            anchors=frozenset(anchors) if anchors is not None else None,
            error=d.get("error", ""),
        )


_HTML_TYPES = ("text/html", "application/xhtml+xml")
_HTML_PARSER = etree.HTMLParser(recover=True, no_network=True, remove_comments=False)


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
    # Derived values several checks share (extracted links, the modification
    # date): computed once per page, like `tree`.
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def tree(self) -> etree._Element:
        """The lxml tree, parsed once and shared by every check.

        A plain libxml2 HTML tree (not lxml.html's element classes, whose
        per-element Python lookup costs more than the parse on 30 KB pages).
        Never raises: broken or empty markup yields a (possibly empty) <html>.
        """
        text = self.html or ""
        # lxml refuses str input carrying an XML encoding declaration.
        text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
        root = None
        if text.strip():
            try:
                root = etree.fromstring(text, _HTML_PARSER)
            except (etree.ParserError, etree.XMLSyntaxError, ValueError):
                root = None
        if root is None:
            root = etree.fromstring("<html><body></body></html>", _HTML_PARSER)
        return root

    @cached_property
    def title(self) -> str:
        t = self.tree.find(".//title")
        return " ".join(("".join(t.itertext()) if t is not None else "").split())

    @property
    def is_html(self) -> bool:
        return self.content_type.split(";")[0].strip().lower() in _HTML_TYPES

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"

    def finding(self, check: str, rule: str, severity: Severity, message: str, **detail: Any) -> Finding:
        """A finding on this page, already carrying its section and unit."""
        return Finding(self.url, check, rule, severity, message, self.section, self.unit, detail)


@dataclass(frozen=True)
class CheckSettings:
    """The parts of site.toml the checks read (built by crawler.config)."""

    required_fields: tuple[str, ...] = ()  # empty = the shipped list's required fields
    vocabularies: Mapping[str, frozenset[str]] = field(default_factory=dict)  # field (lower) -> codes
    max_age_months: int = 2
    freshness_exempt: tuple[re.Pattern[str], ...] = ()
    citation_keywords: tuple[str, ...] = (
        "資料來源", "來源", "出處", "引用自", "轉載自", "參考資料", "圖片來源", "Source",
    )
    accessibility_tags: tuple[str, ...] = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
    # The agency's own names (site.agency, site.name, section units): 資料來源：秘書室
    # cites the agency itself, not others' material, and needs no link.
    own_names: tuple[str, ...] = ()


@dataclass
class CheckContext:
    """Everything a check needs besides the page.  No I/O behind it."""

    as_of: date
    settings: CheckSettings = field(default_factory=CheckSettings)
    # link target (no fragment) -> outcome; the links check reads it
    link_results: Mapping[str, LinkResult] = field(default_factory=dict)
    # site-level template values: lower-case meta field -> value (e.g. a
    # DC.Date copied onto most pages); freshness ignores them
    frozen_values: Mapping[str, str] = field(default_factory=dict)
    # page url -> axe-core result dict ({"violations": [...], "incomplete": [...]})
    axe_results: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
