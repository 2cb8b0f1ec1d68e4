"""`--resume`: continue from what the state store holds, whatever stopped the run.

Issue 11: after a `kill -9`, Scrapy's JOBDIR queue was never written out while
its `requests.seen` listed URLs never stored, so a resumed crawl ended at
once and called itself complete.  Here the state store is the truth:

* the dupefilter is seeded with the URLs the store has facts for
  (crawler/dupefilter.py);
* this spider middleware rebuilds the frontier at start: every link of every
  stored page whose target has no fact yet is asked for again, through the
  spider's own `request_for` (so the guard judges it like any other link);
* the guard's counters restart from the stored pages (crawler/guard.py).

What a hard kill lost (at most the store's last commit interval) is simply
fetched again; facts are keyed by URL, so nothing is counted twice.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from checks.page import Link
from crawler.guard import url_shape
from crawler.store import Store


class ResumeMiddleware(BaseSpiderMiddleware):
    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for o in start:
            yield o
        settings = self.crawler.settings
        path = settings.get("SITEAUDIT_STATE_DB")
        if not (path and settings.getbool("SITEAUDIT_RESUME")):
            return
        spider: Any = self.crawler.spider
        store = Store(path, readonly=True)
        try:
            done = store.done_urls()
            asked: set[str] = set()
            for page_url, depth, chain, links in store.frontier_sources():
                chain_key = url_shape(page_url).chain_key
                page_links = [Link(*x) for x in links]
                with_fragment = {link.url for link in page_links if link.fragment}
                for link in page_links:
                    if link.url in done or link.url in asked:
                        continue
                    asked.add(link.url)
                    yield spider.request_for(link, depth + 1, chain_key, chain, need_body=link.url in with_fragment)
        finally:
            store.close()

