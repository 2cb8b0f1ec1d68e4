"""Item pipelines: what happens to the facts the spider yields.

`StorePipeline` writes them to the audit's state store (crawler/store.py) as
they arrive.  `AccessibilityPipeline` feeds each new page to the browser pool
(crawler/a11y.py) while the crawl goes on, and stores the axe results.
"""
from __future__ import annotations

import hashlib

from scrapy.exceptions import NotConfigured

from crawler.items import LinkItem, PageItem, SitemapItem


class StorePipeline:
    def open_spider(self, spider=None):
        pass

    def process_item(self, item, spider=None):
        store = self._store
        if isinstance(item, PageItem):
            store.add_page(item.url, item.status, item.content_type, item.depth, item.headers,
                           item.html, item.meta, item.bytes, item.title, (item.links, item.malformed))
        elif isinstance(item, LinkItem):
            store.add_link(item.result)
        elif isinstance(item, SitemapItem):
            store.add_sitemap_dates(item.lastmod)
        return item

    @classmethod
    def from_crawler(cls, crawler):
        o = cls()
        o.crawler = crawler
        return o

    @property
    def _store(self):
        return self.crawler.spider.store


class AccessibilityPipeline:
    """Runs only when the crawl was given a runner (accessibility enabled)."""

    def __init__(self, crawler):
        self.crawler = crawler
        # The runner owns threads and browsers: it rides on the spider, not in
        # the settings (Scrapy copies settings, and locks cannot be copied).
        self.runner = getattr(crawler.spider, "a11y_runner", None)
        if self.runner is None:
            raise NotConfigured
        self.done: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider=None):
        store = self.crawler.spider.store
        self.done = store.axe_urls()

    def process_item(self, item, spider=None):
        if isinstance(item, PageItem) and item.url not in self.done:
            self.done.add(item.url)
            self.runner.submit(item.url, hashlib.sha256(item.html.encode("utf-8")).hexdigest())
        return item

    def close_spider(self, spider=None):
        store = self.crawler.spider.store
        outcome = self.runner.finish()
        for url, result in outcome.results.items():
            store.add_axe(url, result)
        for url, reason in outcome.failures:
            store.add_a11y_failure(url, reason)
        store.set_info("a11y_stats", outcome.stats)
        store.commit()
