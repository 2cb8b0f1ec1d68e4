"""The `site` spider for a queued run: SiteSpider with its memory in Redis.

SiteSpider (crawler/spider.py) decides what to fetch from `self.requested`
(url -> "HEAD" | "GET" | "TRAP": a GET covers a HEAD; a HEAD covers a later
link unless that one needs the body, for a #fragment) and counts
`pages_scheduled` for max_pages.  In one process those are attributes; across
processes they must be one memory, or two workers would both fetch a URL.
`SharedRequested` is that dict in a Redis hash, with the claim made atomic (a
Lua script applies the same rules), and `QueueSpider.follow` drops a request
whose claim another process won.  The integrator's refactor moves this memory
into the duplicate filter; then this subclass goes (docs/scale-out.md,
"Hooks").

Roles: the coordinator's spider yields the start requests (start URLs,
sitemaps) exactly as SiteSpider does; a worker's yields none and crawls what
the frontier gives it.  Neither writes to a state store: facts go through the
fact sink (crawler/queue/facts.py).  Trap skips are facts too.
"""
from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider

from checks.page import Link
from crawler.queue import facts
from crawler.queue.keys import RunKeys
from crawler.spider import SiteSpider

ABANDONED_AFTER = 300.0  # seconds without the coordinator's heartbeat before a worker leaves its run

_LEVEL = {"HEAD": 1, "GET": 2, "TRAP": 3}
_NAME = {1: "HEAD", 2: "GET", 3: "TRAP"}

# KEYS[1] memory hash; ARGV: url, wanted level, upgradable (the link needs the body), only_if_new
_CLAIM = """
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local want = tonumber(ARGV[2])
local ok = 0
if cur == 0 then ok = 1
elseif ARGV[4] == '1' or want == 3 then ok = 0
elseif cur == 1 and want == 2 and ARGV[3] == '1' then ok = 1
end
if ok == 1 then redis.call('HSET', KEYS[1], ARGV[1], want); return {1, want} end
return {0, cur}
"""


class SharedRequested:
    """`SiteSpider.requested` in a Redis hash, with a local cache.

    Values only ever rise (none < HEAD < GET < TRAP), so a cached value may be
    lower than Redis's but never higher: the spider may try a claim that then
    loses, never skip one it should make.  The claim applies SiteSpider's
    rules itself, so trying one with a stale value decides what reading the
    current value first would have decided."""

    def __init__(self, server: Any, key: str):
        self.server = server
        self.key = key
        self.local: dict[str, str] = {}
        self._claim = server.register_script(_CLAIM)
        self.upgradable = False  # set by QueueSpider.follow for the link at hand
        self.last: tuple[str, bool] | None = None

    def get(self, url: str, default: Any = None) -> Any:
        """What this process knows — no round trip.  A URL another process
        claimed looks new here; the spider then tries to claim it, the claim
        loses and tells us (one round trip per URL either way, not two)."""
        return self.local.get(url, default)

    def lookup(self, url: str) -> str | None:
        v = self.local.get(url)
        if v is None:
            raw = self.server.hget(self.key, url)
            if raw is not None:
                v = self.local[url] = _NAME[int(raw)]
        return v

    def __contains__(self, url: object) -> bool:
        return isinstance(url, str) and self.lookup(url) is not None

    def __getitem__(self, url: str) -> str:
        v = self.lookup(url)
        if v is None:
            raise KeyError(url)
        return v

    def _claim_level(self, url: str, value: str, only_if_new: bool) -> bool:
        ok, level = self._claim(keys=[self.key],
                                args=[url, _LEVEL[value], "1" if self.upgradable else "0", "1" if only_if_new else "0"])
        self.local[url] = _NAME[int(level)]
        self.last = (url, bool(ok))
        return bool(ok)

    def __setitem__(self, url: str, value: str) -> None:
        self._claim_level(url, value, only_if_new=False)

    def setdefault(self, url: str, value: str) -> str:
        self._claim_level(url, value, only_if_new=True)
        return self.local[url]

    def won(self, url: str) -> bool:
        return self.last is not None and self.last[0] == url and self.last[1]


class QueueSpider(SiteSpider):
    """SiteSpider for `crawl --queue` (role "coordinator") and `worker` ("worker")."""

    server: Any
    keys: RunKeys

    def __init__(self, *args: Any, role: str = "worker", **kwargs: Any):
        kwargs.setdefault("store", _NoStore())
        super().__init__(*args, **kwargs)
        self.role = role
        self._pages_local = 0
        self._checked_coordinator = 0.0

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> QueueSpider:
        from scrapy_redis.connection import get_redis_from_settings

        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.server = get_redis_from_settings(crawler.settings)
        spider.keys = RunKeys(crawler.settings.get("SITEAUDIT_QUEUE_RUN"))
        spider.requested = SharedRequested(spider.server, spider.keys.requested)  # type: ignore[assignment]
        crawler.signals.connect(spider._idle, signal=signals.spider_idle)
        return spider

    # ---- max_pages across processes -----------------------------------------
    @property
    def pages_scheduled(self) -> int:
        return self._pages_local

    @pages_scheduled.setter
    def pages_scheduled(self, value: int) -> None:
        server = getattr(self, "server", None)
        if server is None:  # SiteSpider.__init__ setting 0
            self._pages_local = value
            return
        delta = value - self._pages_local
        self._pages_local = int(server.incrby(self.keys.pages_scheduled, delta)) if delta else value

    # ---- start ----------------------------------------------------------------
    def _restore(self) -> None:
        # The memory is in Redis already (a resumed run keeps it); only the count.
        raw = self.server.get(self.keys.pages_scheduled)
        self._pages_local = int(raw) if raw else 0

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.role != "coordinator":
            self._restore()
            return
        for request in self.start_requests():
            yield request

    # ---- follow: the claim decides ---------------------------------------------
    def follow(self, link: Link, depth: int, trap_run: int, parent_key: Any,
               as_page_ok: bool = True, need_body: bool = False) -> Iterator[scrapy.Request]:
        mem = cast(SharedRequested, self.requested)
        traps = len(self.trap_skipped)
        mem.upgradable = need_body or bool(link.fragment)
        try:
            for request in super().follow(link, depth, trap_run, parent_key, as_page_ok, need_body):
                if not mem.won(request.url):
                    if request.meta.get("kind") == "page":
                        self.pages_scheduled -= 1  # counted by SiteSpider, lost to another process
                    continue
                yield request
        finally:
            mem.upgradable = False
        if len(self.trap_skipped) > traps:
            data = [facts.encode({"k": "trap", "url": u}) for u in self.trap_skipped[traps:]]
            sched = getattr(self.crawler, "queue_scheduler", None)
            if sched is not None:
                sched.outbox.run(lambda pipe: pipe.rpush(self.keys.facts, *data))
            else:
                self.server.rpush(self.keys.facts, *data)

    # ---- end --------------------------------------------------------------------
    def _idle(self, spider: Any = None) -> None:
        """A worker keeps waiting for work until the run is over — or its
        coordinator has been gone ABANDONED_AFTER seconds (stopped for good,
        or to be resumed later: the worker then serves other runs meanwhile)."""
        if self.role == "coordinator":
            return  # the coordinator extension decides
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
                    self.logger.warning("queue: the run's coordinator is gone; leaving the run")
                    return
        except Exception:
            pass  # Redis away: the scheduler's watch decides
        raise DontCloseSpider

    def closed(self, reason: str) -> None:
        pass  # nothing local to write: every fact went to Redis


class _NoStore:
    """SiteSpider wants a store; a queued spider never writes one."""

    def page_urls(self) -> set[str]:
        return set()

    def link_urls(self) -> set[str]:
        return set()

    def page_count(self) -> int:
        return 0
