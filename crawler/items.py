"""Items the spider yields: facts, not judgements (the checks judge later)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from checks.model import LinkResult


@dataclass
class PageItem:
    """An in-scope HTML page fetched with a 2xx status."""

    url: str
    status: int
    content_type: str
    depth: int
    headers: dict[str, str]
    html: str
    meta: dict[str, list[str]]
    bytes: int
    title: str
    links: list[Any] = field(default_factory=list)  # checks.page.Link tuples
    malformed: list[Any] = field(default_factory=list)  # checks.page.MalformedLink tuples
    chain: int = 0  # the trap guard's chain run (for --resume)
    text_dates: list[Any] = field(default_factory=list)  # checks.freshness.page_text_facts: (date, place) pairs


@dataclass
class LinkItem:
    result: LinkResult


@dataclass
class SitemapItem:
    lastmod: dict[str, str] = field(default_factory=dict)


@dataclass
class FailedPageItem:
    """An in-scope page the crawl met but could not audit (SPEC "Honest runs")."""

    url: str
    stage: str  # fetch | parse | judge | a11y | interrupted
    reason: str  # zh-TW
    status: Any = None
    error: str = ""


@dataclass
class TrapItem:
    """A page the trap guard skipped (crawler/guard.py), for run.json `trap_skipped`."""

    url: str
    reason: str  # zh-TW
    pattern: str


@dataclass
class NoticeItem:
    """A run-level notice for run.json `notices` (a sitemap entry on another host …)."""

    kind: str
    message: str  # zh-TW
    url: str = ""


@dataclass
class DocumentItem:
    """What a downloaded document said about itself (crawler/documents.py)."""

    url: str
    facts: dict[str, Any]
