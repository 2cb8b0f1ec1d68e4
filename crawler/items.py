"""Items the spider yields: facts, not judgements (the checks judge later)."""
from __future__ import annotations

from dataclasses import dataclass, field

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
    links: list = field(default_factory=list)  # checks.page.Link tuples
    malformed: list = field(default_factory=list)  # checks.page.MalformedLink tuples


@dataclass
class LinkItem:
    result: LinkResult


@dataclass
class SitemapItem:
    lastmod: dict[str, str] = field(default_factory=dict)
