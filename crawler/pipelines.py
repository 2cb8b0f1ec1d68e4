"""Item pipelines: what happens to the facts the spider yields.

`StorePipeline` owns the audit's state store (crawler/store.py), built from
the `SITEAUDIT_STATE_DB` setting, and writes every fact as it arrives.  When
the disk refuses a write it stops the crawl once (close reason `disk_full`)
instead of failing on every later item; what was committed stays, and the
run is resumable once space is freed.

`AccessibilityPipeline` feeds each new page to the browser pool
(crawler/a11y.py) while the crawl goes on, and stores each axe result as soon
as it arrives (a hard kill loses at most the last commit interval).  On
`--resume` it re-submits the stored pages that have no result yet.
"""
from __future__ import annotations

import hashlib
import logging
from typing import Any

from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured
from twisted.internet import task, threads

from crawler.items import DocumentItem, FailedPageItem, LinkItem, NoticeItem, PageItem, SitemapItem, TrapItem
from crawler.store import DiskFull, Store

log = logging.getLogger(__name__)

# Failure reasons that are no failure: the page sent the browser elsewhere
# (a redirect within the site); its target is audited as a page of its own.
NOT_A_FAILURE_PREFIX = "網頁自動轉址"
INTERRUPTED = "中斷：未完成無障礙檢測"  # crawler.a11y.INTERRUPTED (not imported: it pulls in Selenium)


STOP_REASON = "siteaudit/stop_reason"


def stop_crawl(crawler: Any, reason: str) -> None:
    """Stop the crawl once, remembering why (Scrapy's stats carry it to every
    component: the accessibility pipeline then abandons the browsers)."""
    if crawler.stats.get_value(STOP_REASON):
        return
    crawler.stats.set_value(STOP_REASON, reason)
    if crawler.engine is not None and crawler.spider is not None:
        crawler.engine.close_spider(crawler.spider, reason)


def stop_reason(crawler: Any) -> str | None:
    return crawler.stats.get_value(STOP_REASON)


def state_store(crawler: Any) -> Store:
    """The one Store of this crawl, opened by whichever pipeline asks first."""
    store = getattr(crawler, "_siteaudit_store", None)
    if store is None:
        path = crawler.settings.get("SITEAUDIT_STATE_DB")
        if not path:
            raise NotConfigured("SITEAUDIT_STATE_DB not set")
        store = Store(path)
        crawler._siteaudit_store = store
    return store


MAX_NOTICES = 500
MAX_TRAPS = 1000


def store_item(store: Store, item: Any) -> None:
    """Write one fact into the state store (the single-process pipeline and the
    queue's fact drain both use this).  Raises DiskFull."""
    if isinstance(item, PageItem):
        store.add_page(item.url, item.status, item.content_type, item.depth, item.headers, item.html,
                       item.meta, item.bytes, item.title, (item.links, item.malformed), item.chain,
                       item.text_dates)
        store.clear_failed_page(item.url)
    elif isinstance(item, LinkItem):
        store.add_link(item.result)
    elif isinstance(item, SitemapItem):
        store.add_sitemap_dates(item.lastmod)
    elif isinstance(item, FailedPageItem):
        store.add_failed_page(item.url, item.stage, item.reason, item.status, item.error)
    elif isinstance(item, DocumentItem):
        store.add_document(item.url, item.facts)
    elif isinstance(item, NoticeItem):
        notices = store.info("notices", [])
        if len(notices) < MAX_NOTICES:
            notices.append({"kind": item.kind, "message": item.message, "url": item.url})
            store.set_info("notices", notices)
    elif isinstance(item, TrapItem):
        traps = store.info("trap_skipped", [])
        if len(traps) < MAX_TRAPS and not any(t.get("url") == item.url for t in traps):
            traps.append({"url": item.url, "reason": item.reason, "pattern": item.pattern})
            store.set_info("trap_skipped", traps)


def store_a11y_failure(store: Store, url: str, reason: str) -> None:
    """Record a page the browser stage could not audit (the pipeline below and
    the queue's fact drain both use this).  A redirect within the site is a
    note, not a failed page: its target is audited as a page of its own."""
    store.add_a11y_failure(url, reason)
    if reason.startswith(NOT_A_FAILURE_PREFIX):
        return
    stage = "interrupted" if reason == INTERRUPTED else "a11y"
    store.add_failed_page(url, stage, reason if stage == "interrupted" else f"無障礙檢測未完成：{reason}")


class StorePipeline:
    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.store = state_store(crawler)
        self.disk_full = False

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        return cls(crawler)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if self.disk_full:
            raise DropItem("disk full")
        try:
            self._store(item)
        except DiskFull:
            self.disk_full = True
            log.error("disk full: stopping the crawl")
            stop_crawl(self.crawler, "disk_full")
            raise DropItem("disk full") from None
        return item

    def _store(self, item: Any) -> None:
        store_item(self.store, item)

    def close_spider(self, spider: Any = None) -> None:
        if self.disk_full:
            return
        try:
            self.store.commit()
        except DiskFull:
            self.disk_full = True


class AccessibilityPipeline:
    """Runs only when the crawl has accessibility on (SITEAUDIT_A11Y setting).

    The runner owns threads and browsers, so it is built here from plain
    settings (Scrapy copies settings; locks cannot be copied).  Results come
    back on the runner's threads; a reactor loop moves them into the store,
    which is only ever written from the reactor thread.
    """

    def __init__(self, crawler: Any, runner: Any):
        self.crawler = crawler
        self.runner = runner
        self.store = state_store(crawler)
        self.submitted: set[str] = set()
        self._loop: task.LoopingCall | None = None
        self.aborted = False
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Any) -> AccessibilityPipeline:
        factory = crawler.settings.get("SITEAUDIT_A11Y_FACTORY")
        if not crawler.settings.getbool("SITEAUDIT_A11Y") or not factory:
            raise NotConfigured
        return cls(crawler, factory())

    def spider_opened(self, spider: Any = None) -> None:
        done = self.store.axe_urls()
        self.submitted = set(done)
        # --resume: pages stored earlier whose result never arrived
        for url in self.store.page_urls_in_order():
            if url not in self.submitted:
                html = self.store.page_html(url)
                if html is not None:
                    self._submit(url, html)
        self._loop = task.LoopingCall(self.collect)
        self._loop.start(0.5, now=False)

    def _submit(self, url: str, html: str) -> None:
        self.submitted.add(url)
        self.runner.submit(url, hashlib.sha256(html.encode("utf-8")).hexdigest())

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, PageItem) and item.url not in self.submitted:
            self._submit(item.url, item.html)
        return item

    def collect(self) -> None:
        """Move finished results from the runner into the store (reactor thread)."""
        try:
            for url, result in self.runner.take_results():
                self.store.add_axe(url, result)
            for url, reason in self.runner.take_failures():
                self._failure(url, reason)
        except DiskFull:
            stop_crawl(self.crawler, "disk_full")

    def _failure(self, url: str, reason: str) -> None:
        store_a11y_failure(self.store, url, reason)

    def abort(self) -> None:
        """SIGTERM/SIGINT: stop the browsers now; unfinished pages stay
        without a result and are re-submitted by --resume."""
        self.aborted = True
        self.runner.abort()

    def close_spider(self, spider: Any = None) -> Any:
        if self.aborted or stop_reason(self.crawler):
            self.runner.abort()

        # The crawl is over but the browsers may still have a queue: keep
        # moving their results into the store as they come (a kill during
        # this stage loses at most the last seconds), and wait for them off
        # the reactor thread, so the reactor keeps answering signals.
        def done(outcome: Any) -> None:
            if self._loop is not None and self._loop.running:
                self._loop.stop()
            try:
                self.collect()
                self.store.set_info("a11y_stats", outcome.stats)
                self.store.set_info("a11y_blocked", dict(getattr(outcome, "blocked", {}) or {}))
                self.store.commit()
            except DiskFull:
                pass

        d = threads.deferToThread(self.runner.finish)
        d.addCallback(done)
        return d
