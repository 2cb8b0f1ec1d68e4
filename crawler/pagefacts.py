"""A page's facts, computed beside the crawl: parse, links, anchors, meta, dates.

The crawl process is busy with Scrapy's networking on one core; parsing a
page and extracting what the crawl keeps of it (its links with line and text,
malformed hrefs, anchors, `<meta>`, title, visible 更新日期) took as long
again.  `FactsPool` hands that work to a worker process,
so on a 2-core machine both run at once.  The worker is forked from the
crawl (it only runs `page_facts`, which shares no lock with the crawl's
threads) and asks the kernel for SIGKILL when its parent dies
(PR_SET_PDEATHSIG), so a `kill -9` of the crawl leaves nothing behind.  The parse happens once
per stage (here, and again when the pages are judged, which needs the whole
tree and every link outcome).  With one core, or when the pool cannot start,
the same function runs in place.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from checks import freshness
from checks.page import Page


@dataclass(frozen=True)
class PageFacts:
    anchors: frozenset[str]
    links: list[Any]  # checks.page.Link tuples
    malformed: list[Any]  # checks.page.MalformedLink tuples
    meta: dict[str, list[str]]
    title: str
    text_dates: list[tuple[str, int]]  # checks.freshness.page_text_facts


def page_facts(url: str, html: str, content_type: str) -> PageFacts:
    """What the crawl keeps of one page (a pure function of the page)."""
    page = Page(url=url, html=html, content_type=content_type)
    return PageFacts(page.anchors, list(page.links), list(page.malformed_links), page.meta, page.title,
                     freshness.page_text_facts(page))


def _die_with_parent(parent: int) -> None:
    """In the worker: SIGKILL when the crawl process dies (Linux prctl)."""
    import contextlib
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the prctl took effect: what the prctl would do
        os.kill(os.getpid(), signal.SIGKILL)


# A worker costs a process: small crawls (and `check`) never pay it.
INLINE_PAGES = 50


class FactsPool:
    """One worker process computing `page_facts`, awaited from Scrapy's loop,
    started once the crawl has gone past INLINE_PAGES pages."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._inline = 0
        self._enabled = (os.cpu_count() or 1) > 1 and os.environ.get("SITEAUDIT_FACTS_INLINE") != "1"

    def _start(self) -> None:
        self._enabled = False  # one attempt
        try:
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"),
                                             initializer=_die_with_parent, initargs=(os.getpid(),))
        except (OSError, ValueError):
            self._pool = None

    async def facts(self, url: str, html: str, content_type: str) -> PageFacts:
        if self._pool is None:
            self._inline += 1
            if self._enabled and self._inline > INLINE_PAGES:
                self._start()
            return page_facts(url, html, content_type)
        try:
            future: Future[PageFacts] = self._pool.submit(page_facts, url, html, content_type)
        except RuntimeError:  # the pool was shut down (the crawl is stopping)
            return page_facts(url, html, content_type)
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        self._enabled = False
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
