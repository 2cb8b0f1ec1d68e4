"""The `site` spider in a queued run, and how long a worker's crawl stays open.

SPEC "crawl --queue": the coordinator "seeds the shared frontier and crawls
too"; workers take requests from it.  `QueueSpider` is SiteSpider with one
difference, its `start`: the coordinator's (spider argument
`role="coordinator"`) yields SiteSpider's start requests (start URLs,
sitemaps); a worker's yields nothing and crawls what the frontier gives it.
Everything else is the refactored crawler's own: `request_for` says what to
fetch, the guard (crawler/guard.py, one per process) decides, the run's
duplicate filter (crawler/queue/dupefilter.py) keeps each target to one
fetch across processes, facts leave through the fact sink
(crawler/queue/facts.py) — trap skips as `TrapItem`s like any fact.

`NodeExtension` keeps a worker's crawl open while the run goes on (the
frontier may be empty now and full in a second: other processes fill it),
and lets it close when the run is over — or when the run's coordinator has
been silent ABANDONED_AFTER seconds (stopped for good, or to be resumed
later: the worker then serves other runs meanwhile and rejoins when it
comes back; crawler/queue/worker.py).  The coordinator's own crawl is closed
by crawler/queue/coordinator.py.
"""
from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider

from crawler.queue.keys import RunKeys
from crawler.spider import SiteSpider

log = logging.getLogger(__name__)

ABANDONED_AFTER = 300.0  # seconds without the coordinator's heartbeat before a worker leaves its run


class QueueSpider(SiteSpider):
    """SiteSpider for `crawl --queue` (role "coordinator") and `worker` ("worker")."""

    role: str = "worker"  # spider argument: process.crawl(crawler, role="coordinator", …)

    async def start(self) -> AsyncIterator[Any]:
        if self.role != "coordinator":
            return
        async for request in super().start():
            yield request


class NodeExtension:
    """A worker's crawl stays open until its run is over (module docstring)."""

    def __init__(self, crawler: Any):
        from scrapy_redis.connection import get_redis_from_settings

        self.crawler = crawler
        self.server = get_redis_from_settings(crawler.settings)
        self.keys = RunKeys(crawler.settings.get("SITEAUDIT_QUEUE_RUN"))
        self._checked_coordinator = 0.0
        self.left_abandoned = False
        crawler.signals.connect(self.idle, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler: Any) -> NodeExtension:
        return cls(crawler)

    def idle(self, spider: Any = None) -> None:
        sched = getattr(self.crawler, "queue_scheduler", None)
        if sched is not None and sched.lost:
            return
        try:
            state = self.server.get(self.keys.state)
            if state in (b"finished", b"failed", None):
                return
            now = time.monotonic()
            if now - self._checked_coordinator >= 5.0:
                self._checked_coordinator = now
                from crawler.queue.coordinator import coordinator_age

                age = coordinator_age(self.server, self.keys)
                if age is None or age > ABANDONED_AFTER:
                    log.warning("queue: the run's coordinator is gone; leaving the run")
                    self.left_abandoned = True
                    return
        except Exception:
            pass  # Redis away: the scheduler's watch decides
        raise DontCloseSpider
