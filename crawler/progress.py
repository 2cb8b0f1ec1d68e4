"""Progress on stderr while a crawl runs (SPEC: pages done, queued, findings, rate).

A Scrapy extension that only reacts to signals.  On a terminal it draws a
tqdm status line; under cron or CI (no TTY) it prints a plain line every
15 seconds so logs stay readable.
"""
from __future__ import annotations

import sys
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured
from tqdm import tqdm

from checks.model import LinkOutcome
from crawler.items import LinkItem, PageItem


class Progress:
    PLAIN_EVERY = 15.0

    def __init__(self, crawler):
        if not crawler.settings.getbool("SITEAUDIT_PROGRESS", False):
            raise NotConfigured
        self.crawler = crawler
        self.pages = 0
        self._page_urls: set[str] = set()  # a page reached twice by redirects counts once
        self.problems = 0
        self.started = time.monotonic()
        self.tty = sys.stderr.isatty()
        self.bar = None
        self._last_plain = 0.0

    @classmethod
    def from_crawler(cls, crawler):
        o = cls(crawler)
        crawler.signals.connect(o.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(o.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(o.spider_closed, signal=signals.spider_closed)
        return o

    def spider_opened(self, spider):
        if self.tty:
            self.bar = tqdm(total=None, unit="頁", desc="檢視中", file=sys.stderr, dynamic_ncols=True, leave=True)

    def _queued(self) -> int:
        try:
            return len(self.crawler.engine._slot.scheduler)  # noqa: SLF001 - Scrapy has no public getter
        except Exception:
            return -1

    def item_scraped(self, item, response, spider):
        if isinstance(item, PageItem) and item.url not in self._page_urls:
            self._page_urls.add(item.url)
            self.pages += 1
            if self.bar is not None:
                self.bar.update(1)
        elif isinstance(item, LinkItem) and item.result.outcome in (LinkOutcome.broken, LinkOutcome.unreachable):
            self.problems += 1
        self._report()

    def _report(self, force: bool = False):
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.pages / elapsed
        if self.bar is not None:
            self.bar.set_postfix_str(f"佇列 {self._queued()}，連結問題 {self.problems}，{rate:.1f} 頁/秒", refresh=False)
        elif force or elapsed - self._last_plain >= self.PLAIN_EVERY:
            self._last_plain = elapsed
            print(f"[siteaudit] 已檢視 {self.pages} 頁，佇列 {self._queued()}，連結問題 {self.problems}，"
                  f"{rate:.1f} 頁/秒", file=sys.stderr, flush=True)

    def spider_closed(self, spider, reason):
        if self.bar is not None:
            self._report()
            self.bar.close()
        else:
            self._report(force=True)
