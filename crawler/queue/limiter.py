"""Politeness for the whole run, not per process (SPEC `[crawl] concurrency`,
`delay`; the external per-host limit).

Scrapy keeps per-host slots in each process; scrapy-redis shares the queue
but not those.  With three processes a host would get three times the
configured concurrency.  `SharedHostLimiter`, a downloader middleware placed
last before the download (950), takes a per-host *slot lease* in Redis before
each download and gives it back when the response or the error comes:

- `slots:<host>` is a sorted set of tokens scored by expiry; a request may go
  when fewer than the host's limit are live.  Tokens expire after five
  heartbeats (`slot_ttl`) and the holder's heartbeat extends them however
  long its download takes, so a killed worker frees its slots within
  seconds and never leaks them.
- `next:<host>` is the earliest time the next request may start: `delay` is
  spacing between request starts to the host across all processes.
- Limits are those Scrapy would use in one process: `DOWNLOAD_SLOTS[host]`
  (the audited hosts: `[crawl] concurrency` and `delay`), otherwise
  `CONCURRENT_REQUESTS_PER_DOMAIN` (2: external hosts) and `DOWNLOAD_DELAY`.
  The slot key is Scrapy's: `request.meta["download_slot"]` or the host name.

A request that cannot go waits (asyncio sleep, backing off 10 → 200 ms, woken
at once when this process frees a slot of that host).  Times are Redis's clock.
When the run is lost (Redis gone past the grace period), or the crawl is
being stopped (SIGTERM/SIGINT, a full disk), the waiting requests are
abandoned (`RunLostError`: no errback runs, no fact is made of them, their
leases are not acked but given back when the scheduler closes, or expire),
so the crawl closes at once instead of waiting for a slot, or for a Redis
that is not there.
`SharedRobotsTxtMiddleware` lets one process fetch each robots.txt and the
others read it from Redis, so a site sees one robots.txt request per run.
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import deque
from typing import Any

from scrapy import signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler

from crawler.pipelines import stop_reason
from crawler.queue.keys import RunKeys

log = logging.getLogger(__name__)

TOKEN = "siteaudit_slot"  # request.meta: (slot key, token) while a slot is held

_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return -1 end
local nxt = tonumber(redis.call('GET', KEYS[2]) or '0')
if nxt > now then return nxt - now end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[1])
local delay = tonumber(ARGV[3])
if delay > 0 then redis.call('SET', KEYS[2], now + delay, 'PX', delay + 1000) end
return 0
"""

# KEYS: slot sets; ARGV[1] ttl, ARGV[i+1] token of KEYS[i]
_EXTEND = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, #KEYS do redis.call('ZADD', KEYS[i], 'XX', now + tonumber(ARGV[1]), ARGV[i + 1]) end
return #KEYS
"""

MIN_WAIT, MAX_WAIT = 0.005, 0.05  # a host's pump polls Redis at most every 5–50 ms while its slots are full


def slot_ttl(heartbeat: float) -> float:
    """Seconds a slot token lives without its holder's heartbeat: five beats.
    Not the download timeout: a killed worker's slots would then stop the
    host for a minute; a live holder extends its tokens every beat however
    long the download takes."""
    return 5 * heartbeat + 2.0


class RunLostError(IgnoreRequest):
    """A request abandoned because the run is lost or the crawl stopping: not
    a fact about its URL."""


class _HostWaiters:
    """The requests of this process waiting for one host, served in order by one pump."""

    def __init__(self) -> None:
        self.queue: deque[asyncio.Future[str]] = deque()
        self.wake = asyncio.Event()
        self.pumping = False


class HostLimiter:
    """The Redis side: acquire/release/extend slot tokens (usable without Scrapy)."""

    def __init__(self, server: Any, keys: RunKeys, node: str, ttl_ms: int = 30000):
        self.server = server
        self.keys = keys
        self.node = node
        self.ttl_ms = int(ttl_ms)
        self._acquire = server.register_script(_ACQUIRE)
        self._extend = server.register_script(_EXTEND)
        self._seq = itertools.count(1)
        self.held: dict[str, str] = {}  # token -> slot key

    def try_acquire(self, host: str, limit: int, delay: float) -> tuple[str | None, float]:
        """(token, 0) when acquired, else (None, seconds to wait; 0 = unknown)."""
        token = f"{self.node}:{next(self._seq)}"
        r = int(self._acquire(keys=[self.keys.host_slots(host), self.keys.host_next(host)],
                              args=[token, max(1, int(limit)), int(delay * 1000), self.ttl_ms]))
        if r == 0:
            self.held[token] = host
            return token, 0.0
        return None, (r / 1000.0 if r > 0 else 0.0)

    def release(self, host: str, token: str) -> None:
        self.held.pop(token, None)
        self.server.zrem(self.keys.host_slots(host), token)

    def extend(self) -> None:
        items = list(self.held.items())
        if items:
            self._extend(keys=[self.keys.host_slots(h) for _, h in items], args=[self.ttl_ms, *(t for t, _ in items)])

    def release_all(self) -> None:
        for token, host in list(self.held.items()):
            self.release(host, token)


class SharedHostLimiter:
    """Downloader middleware: one Redis slot lease per download."""

    def __init__(self, crawler: Any):
        from scrapy_redis.connection import get_redis_from_settings

        st = crawler.settings
        self.crawler = crawler
        ttl = slot_ttl(st.getfloat("SITEAUDIT_QUEUE_HEARTBEAT", 2.0)) * 1000
        self.limiter = HostLimiter(get_redis_from_settings(st), RunKeys(st.get("SITEAUDIT_QUEUE_RUN")),
                                   st.get("SITEAUDIT_QUEUE_NODE", "node"), int(ttl))
        self.slots = {k: dict(v) for k, v in (st.getdict("DOWNLOAD_SLOTS") or {}).items()}
        self.default_limit = st.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 8)
        self.default_delay = st.getfloat("DOWNLOAD_DELAY", 0.0)
        self.heartbeat = st.getfloat("SITEAUDIT_QUEUE_HEARTBEAT", 2.0)
        self._hosts: dict[str, _HostWaiters] = {}
        self._loop: Any = None
        self.waited = 0.0
        crawler.signals.connect(self._opened, signal=signals.spider_opened)
        crawler.signals.connect(self._closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> SharedHostLimiter:
        return cls(crawler)

    def limits(self, key: str) -> tuple[int, float]:
        s = self.slots.get(key)
        if s is None:
            return self.default_limit, self.default_delay
        return int(s.get("concurrency", self.default_limit)), float(s.get("delay", self.default_delay))

    @staticmethod
    def slot_key(request: Any) -> str:
        return request.meta.get("download_slot") or urlparse_cached(request).hostname or ""

    async def process_request(self, request: Any, spider: Any = None) -> None:
        key = self.slot_key(request)
        t0 = time.monotonic()
        host = self._hosts.setdefault(key, _HostWaiters())
        fut: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        host.queue.append(fut)
        if not host.pumping:
            host.pumping = True
            asyncio.ensure_future(self._pump(key, host))
        token = await fut
        self.waited += time.monotonic() - t0
        request.meta[TOKEN] = (key, token)
        return None

    async def _pump(self, key: str, host: _HostWaiters) -> None:
        """Acquire slots for this host's waiters in order; one Redis poll at a
        time however many requests wait, woken early by a local release."""
        limit, delay = self.limits(key)
        wait = MIN_WAIT
        try:
            while host.queue:
                if host.queue[0].done():  # cancelled (the crawl is closing)
                    host.queue.popleft()
                    continue
                sched = getattr(self.crawler, "queue_scheduler", None)
                if (sched is not None and sched.lost) or stop_reason(self.crawler):
                    while host.queue:
                        fut = host.queue.popleft()
                        if not fut.done():
                            fut.set_exception(RunLostError("queue lost"))
                    break
                try:
                    token, hint = self.limiter.try_acquire(key, limit, delay)
                except Exception:  # Redis away: keep waiting; the scheduler's watch decides
                    token, hint = None, 1.0
                if token is not None:
                    fut = host.queue.popleft()
                    if fut.done():
                        self._release_token(key, token)
                    else:
                        fut.set_result(token)
                    wait = MIN_WAIT
                    continue
                host.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(host.wake.wait(), timeout=hint or wait)
                wait = min(wait * 2, MAX_WAIT)
        finally:
            host.pumping = False

    def _release(self, request: Any) -> None:
        held = request.meta.pop(TOKEN, None)
        if held is not None:
            self._release_token(*held)

    def _release_token(self, key: str, token: str) -> None:
        try:
            self.limiter.release(key, token)
        except Exception:  # Redis away: the token expires on its own
            self.limiter.held.pop(token, None)
        host = self._hosts.get(key)
        if host is not None:
            host.wake.set()

    def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        self._release(request)
        return response

    def process_exception(self, request: Any, exception: Any, spider: Any = None) -> None:
        self._release(request)
        return None

    def _opened(self, spider: Any) -> None:
        from scrapy.utils.asyncio import create_looping_call

        self._loop = create_looping_call(self._extend)
        self._loop.start(self.heartbeat, now=False)

    def _extend(self) -> None:
        with contextlib.suppress(Exception):  # Redis away: the scheduler's watch handles it
            self.limiter.extend()

    def _closed(self, spider: Any, reason: str = "") -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        with contextlib.suppress(Exception):
            self.limiter.release_all()


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware; one fetch per host for the whole run."""

    WAIT_FOR_OTHER = 15.0  # seconds to wait for another process's fetch

    def __init__(self, crawler: Any):
        from scrapy_redis.connection import get_redis_from_settings

        super().__init__(crawler)
        self.server = get_redis_from_settings(crawler.settings)
        self.keys = RunKeys(crawler.settings.get("SITEAUDIT_QUEUE_RUN"))

    async def robot_parser(self, request: Any) -> Any:
        netloc = urlparse_cached(request).netloc
        if netloc not in self._parsers:
            shared = await self._shared(netloc)
            if shared is not None:
                kind, body = shared
                parser = build_from_crawler(self._parserimpl, self.crawler, body) if kind == b"B" else None
                self._parsers[netloc] = parser
        return await super().robot_parser(request)

    async def _shared(self, netloc: str) -> tuple[bytes, bytes] | None:
        key = self.keys.robots(netloc)
        end = time.monotonic() + self.WAIT_FOR_OTHER
        try:
            while True:
                v = self.server.get(key)
                if v is not None and v != b"P":
                    return v[:1], v[1:]
                if v is None and self.server.set(key, b"P", nx=True, ex=int(self.WAIT_FOR_OTHER * 2)):
                    return None  # this process fetches it
                if time.monotonic() > end or netloc in self._parsers:
                    return None
                await asyncio.sleep(0.05)
        except Exception:
            return None  # Redis away: fetch it ourselves

    async def _parse_robots(self, response: Any, netloc: str, request: Any) -> None:
        with contextlib.suppress(Exception):
            self.server.set(self.keys.robots(netloc), b"B" + response.body)
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        with contextlib.suppress(Exception):
            self.server.set(self.keys.robots(netloc), b"E")
        super()._robots_error(exc, netloc)
