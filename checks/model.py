"""The small typed values every part of siteaudit shares.

SPEC.md "Output files / Finding": a `Finding` serialises to exactly one line of
`findings.jsonl`.  `Severity` is the one ordering used by `--fail-on`, the
檢視結果 column and the exit code.  `LinkResult` is the typed outcome of
fetching one link target (`LinkOutcome`, `FailureStatus`); the page itself
is `checks.page.Page`; `CheckContext` carries everything a check needs that is not in
the page (as-of date, settings, link outcomes, axe results), so checks stay
pure functions `check(page, ctx) -> Iterator[Finding]`.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum, StrEnum
from typing import Any
from urllib.parse import unquote

from checks.urls import display_url


class Severity(IntEnum):
    """Ordered: notice < warning < error."""

    notice = 1
    warning = 2
    error = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
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
    """Rule metadata as data: the report's help text and the tests read it.

    `detail` names the keys every finding of the rule carries (SPEC rule
    table); `fixes` gives advice per finding kind — keyed by the value of
    the detail key `fix_key` (a link's `status`, a metadata `field` or
    `reason`) — where one text per rule would mislead.  `fix` is the
    fallback."""

    id: str
    check: str
    severity: Severity
    title: str  # zh-TW, short
    fix: str  # zh-TW, how to fix
    detail: tuple[str, ...] = ()
    fix_key: str = ""
    fixes: Mapping[str, str] = field(default_factory=dict)

    def fix_for(self, detail: Mapping[str, Any]) -> str:
        """How to fix one finding: the advice for its kind, else the rule's."""
        if self.fix_key and self.fixes:
            kind = detail.get(self.fix_key)
            for key in (str(kind), _kind_family(kind)):
                if key in self.fixes:
                    return self.fixes[key]
        return self.fix


def _kind_family(kind: Any) -> str:
    """HTTP statuses share advice by class: 404 and 410 are "4xx"."""
    if isinstance(kind, int) or (isinstance(kind, str) and kind.isdigit()):
        return f"{str(kind)[0]}xx"
    return ""


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
    def from_dict(cls, d: Mapping[str, Any]) -> Finding:
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



class LinkOutcome(StrEnum):
    """The judgement on one link target (SPEC rule table, links rows)."""

    ok = "ok"
    broken = "broken"  # link.broken
    unreachable = "unreachable"  # link.unreachable: may be temporary, or blocked
    skipped = "skipped"  # robots.txt, excluded: not a defect, not judged


class FailureStatus(StrEnum):
    """`detail.status` when there was no HTTP status (SPEC rule table)."""

    dns = "dns"
    refused = "refused"
    timeout = "timeout"
    redirect_loop = "redirect-loop"
    tls = "tls"
    too_many_redirects = "too-many-redirects"
    error = "error"  # any other transport failure
    skipped = "skipped"  # not fetched on purpose (robots.txt, excluded)
    blocked = "blocked"  # a private or link-local address the audit may not reach


LinkStatus = int | FailureStatus


def link_status(value: Any) -> LinkStatus:
    """A stored status back to its type: an int, or a FailureStatus."""
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    try:
        return FailureStatus(value)
    except ValueError:
        return FailureStatus.error


@dataclass(frozen=True)
class LinkResult:
    """The outcome of fetching one link target (fragment stripped), once per run.

    `status` is the HTTP status code or a `FailureStatus`; `outcome` the
    judgement.  `anchors` is the set of ids/names of the target when it was
    fetched as HTML (None = not known, so fragments cannot be judged).
    """

    url: str
    status: LinkStatus
    outcome: LinkOutcome
    redirects: tuple[str, ...] = ()
    final_url: str = ""
    content_type: str = ""
    anchors: frozenset[str] | None = None
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "status": self.status if isinstance(self.status, int) else str(self.status),
            "outcome": str(self.outcome),
            "redirects": list(self.redirects),
            "final_url": self.final_url,
            "content_type": self.content_type,
            "anchors": sorted(self.anchors) if self.anchors is not None else None,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LinkResult:
        anchors = d.get("anchors")
        return cls(
            url=d["url"],
            status=link_status(d["status"]),
            outcome=LinkOutcome(d["outcome"]),
            redirects=tuple(d.get("redirects") or ()),
            final_url=d.get("final_url", ""),
            content_type=d.get("content_type", ""),
            anchors=frozenset(anchors) if anchors is not None else None,
            error=d.get("error", ""),
        )


@dataclass(frozen=True)
class CheckSettings:
    """The parts of site.toml the checks read.

    Built only by `crawler.config.Config.check_settings()`, where every
    default lives (one source for each fact)."""

    required_fields: tuple[str, ...]  # empty = the shipped list's required fields
    vocabularies: Mapping[str, frozenset[str]]  # field (lower) -> codes
    max_age_months: int
    freshness_exempt: tuple[Any, ...]  # compiled patterns (`regex` module, bounded): .search(url)
    citation_keywords: tuple[str, ...]
    # The agency's own names (site.agency, site.name, site.own_names, section
    # units): 資料來源：秘書室 cites the agency itself, not others' material.
    own_names: tuple[str, ...]
    # [accessibility]: whether the accessibility stage runs (moda.* checks
    # follow it), the 網站無障礙規範 edition and the badge level aimed at
    # (validated by checks.a11y_spec.validate).
    a11y_enabled: bool = True
    a11y_spec: str = "115.11"
    a11y_level: str = "AA"
    # Site-level checks (checks.site): where a site does it differently, the
    # config names the page: kind (sitemap, privacy, open-info, search, theme,
    # cake, service) -> URL or path; and the accesskeys every page must carry
    # (empty = the keys most pages use).
    site_pages: Mapping[str, str] = field(default_factory=dict)
    site_accesskeys: tuple[str, ...] = ()


@dataclass
class CheckContext:
    """Everything a check needs besides the page.  No I/O behind it."""

    as_of: date
    settings: CheckSettings
    # link target (no fragment) -> outcome; the links check reads it
    link_results: Mapping[str, LinkResult] = field(default_factory=dict)
    # site-level template values: lower-case meta field -> value (e.g. a
    # DC.Date copied onto most pages), and "page-text" -> the ISO date of a
    # visible 更新日期 frozen across the site (freshness.frozen_text_dates);
    # freshness ignores them
    frozen_values: Mapping[str, str] = field(default_factory=dict)
    # page url -> axe-core result dict ({"violations": [...], "incomplete": [...]})
    axe_results: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # How people call a URL in messages: `siteaudit check` names the files of
    # its document root by their path from the working directory (SPEC
    # "check"), so messages are right from the start.  A pure function of
    # the URL (fragment removed); None, or no namer (the crawl): the URL
    # itself as `display_url` shows it.
    namer: Callable[[str], str | None] | None = None

    def name_of(self, url: str) -> str:
        """A URL as a person reads it (see `namer`)."""
        base, sep, fragment = url.partition("#")
        name = self.namer(base) if self.namer is not None else None
        if name is None:
            return display_url(url)
        return f"{name}#{unquote(fragment)}" if sep else name
