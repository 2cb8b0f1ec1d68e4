"""The shared frontier: scrapy-redis's Scheduler, made reliable (SPEC `--queue`).

- `RunScheduler(scrapy_redis.scheduler.Scheduler)`: every process of a run
  (coordinator and workers) pushes to and pops from the same Redis frontier.
  A pop is a lease (crawler/queue/reliable.py); the request's callback and
  errback are wrapped so that the lease is acked once everything the callback
  produced is stored — items handed to the pipelines (the fact sink), requests
  pushed to the frontier.  A redirect or retry of a leased request goes back
  to the frontier and hands the lease over in the same step.
- `FrontierQueue(scrapy_redis.queue.PriorityQueue)`: two sorted sets (pages,
  everything else) behind one reliable queue; tagged-JSON entries.
- The duplicate filter is `RunDupeFilter` (crawler/queue/dupefilter.py):
  AuditDupeFilter's rules on the run's Redis set; its decision and the push
  are one script, sent with the outbox's batch.
- Heartbeats (every SITEAUDIT_QUEUE_HEARTBEAT s): extend this node's leases,
  re-queue expired ones of dead nodes, publish the node's state (busy/idle)
  for the coordinator's end-of-run check, retry writes held while Redis was
  away, and close the spider with reason `queue_lost` after
  SITEAUDIT_QUEUE_LOST_AFTER seconds without Redis.

Compatibility (scrapy-redis 0.9.1 on Scrapy 2.13–2.19): the Scheduler,
and queue classes work as they are (Scrapy checks the scheduler by duck
typing; `Request.to_dict`/`request_from_dict` keep their signatures); its
RedisSpider does not (it relies on `start_requests` and
`engine.crawl(request, spider=…)`, both gone) and is not used.  Overridden:
`open` (our queue needs the node id and lease; the dupefilter is built from
the crawler), `enqueue_request` (lease hand-over; dedupe and push in one
script), `next_request` (leases; scrapy-redis's blocking pop would block the
asyncio reactor), `close` (give leases back), request encoding (callback names
found without `inspect.getmembers` over the spider on every push).
"""
from __future__ import annotations

import contextlib
import inspect
import json
import logging
import os
import socket
from collections.abc import AsyncIterator, Iterable
from typing import Any

from scrapy import signals
from scrapy.http import Request
from scrapy.utils.request import request_from_dict
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from crawler.queue.dupefilter import RunDupeFilter
from crawler.queue.keys import RunKeys
from crawler.queue.outbox import Outbox, redis_errors
from crawler.queue.reliable import ReliableQueue

log = logging.getLogger(__name__)

LEASE = "siteaudit_lease"  # request.meta key: the frontier lease this request holds

_NODE_BEAT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return now
"""


def beat_node(server: Any, keys: RunKeys, node: str, info: dict[str, Any]) -> None:
    """Publish a node's state (and its last-seen time on Redis's clock)."""
    server.eval(_NODE_BEAT, 2, keys.node_seen, keys.nodes, node, json.dumps(info))


def run_keys(settings: Any) -> RunKeys:
    run = settings.get("SITEAUDIT_QUEUE_RUN")
    if not run:
        raise ValueError("SITEAUDIT_QUEUE_RUN is not set: use crawler.queue.queue_settings()")
    return RunKeys(run)


# ---------------------------------------------------------------------------
# leases held by this process

class LeaseBook:
    """Leases this node holds, and what each still waits for before its ack:
    items not yet stored, and whether the callback has finished."""

    def __init__(self, queue: ReliableQueue, outbox: Outbox):
        self.queue = queue
        self.outbox = outbox
        self.held: dict[str, list[Any]] = {}  # lease -> [pending items, callback done]
        self.acked = 0
        self.lost = 0

    def open(self, lease: str) -> None:
        self.held[lease] = [0, False]

    def expect(self, lease: str | None) -> None:
        e = self.held.get(lease) if lease else None
        if e is not None:
            e[0] += 1

    def stored(self, lease: str | None) -> None:
        e = self.held.get(lease) if lease else None
        if e is not None:
            e[0] -= 1
            self._maybe_ack(lease, e)  # type: ignore[arg-type]

    def close(self, lease: str) -> None:
        e = self.held.get(lease)
        if e is not None:
            e[1] = True
            self._maybe_ack(lease, e)

    def release(self, lease: str) -> None:
        """The lease ends with no ack of its own (handed over or reaped)."""
        self.held.pop(lease, None)

    def _maybe_ack(self, lease: str, e: list[Any]) -> None:
        if e[1] and e[0] <= 0:
            del self.held[lease]
            self.acked += 1
            self.outbox.run(lambda pipe: self.queue.ack([lease], pipe=pipe))


def _tracked(book: LeaseBook, lease: str, output: Any) -> Any:
    if output is None:
        book.close(lease)
        return None
    if isinstance(output, AsyncIterator) or hasattr(output, "__aiter__"):
        return _atrack(book, lease, output)
    return _track(book, lease, output)


def _end(book: LeaseBook, lease: str, error: BaseException | None) -> None:
    """The callback is over.  Redis failing inside it, or its output abandoned
    while Redis is known to be away (a middleware below it, e.g. the page
    budget, could not reach Redis): no ack — the lease runs out and the
    request is done again.  Any other error: as in one process, the page's
    facts are lost and Scrapy logs it; the lease ends."""
    if error is not None and (isinstance(error, redis_errors())
                              or (isinstance(error, GeneratorExit) and book.outbox.down_since is not None)):
        book.release(lease)
    else:
        book.close(lease)


def _track(book: LeaseBook, lease: str, it: Iterable[Any]) -> Iterable[Any]:
    error: BaseException | None = None
    try:
        for x in it:
            if x is not None and not isinstance(x, Request):
                book.expect(lease)
            yield x
    except BaseException as e:
        error = e
        raise
    finally:
        _end(book, lease, error)


async def _atrack(book: LeaseBook, lease: str, it: AsyncIterator[Any]) -> AsyncIterator[Any]:
    error: BaseException | None = None
    try:
        async for x in it:
            if x is not None and not isinstance(x, Request):
                book.expect(lease)
            yield x
    except BaseException as e:
        error = e
        raise
    finally:
        _end(book, lease, error)


def _noop_errback(failure: Any) -> None:
    """Errback of requests that had none: the failure still ends the lease."""
    log.debug("queue: %s failed: %s", getattr(failure, "request", None), failure.value)


# ---------------------------------------------------------------------------
# scrapy-redis parts

class FrontierQueue(PriorityQueue):
    """scrapy-redis's PriorityQueue on a ReliableQueue: pages | other requests."""

    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None, *, reliable: ReliableQueue):
        super().__init__(server, spider, key, serializer)
        self.reliable = reliable

    def _callback_name(self, func: Any) -> str | None:
        if func is None or isinstance(func, str):
            return func
        func = getattr(func, "__wrapped__", func)  # our lease wrapper
        name = getattr(func, "__name__", None)
        if getattr(func, "__self__", None) is self.spider and name:
            return name
        if func is _noop_errback:
            return None
        raise ValueError(f"queue: callback {func!r} is not a method of the spider: it cannot travel through Redis")

    def _encode_request(self, request: Request) -> bytes:
        d: dict[str, Any] = {
            "url": request.url,
            "callback": self._callback_name(request.callback),
            "errback": self._callback_name(request.errback),
            "headers": dict(request.headers),
        }
        for attr in request.attributes:
            d.setdefault(attr, getattr(request, attr))
        if type(request) is not Request:
            d["_class"] = f"{type(request).__module__}.{type(request).__name__}"
        return self.serializer.dumps(d)

    def _decode_request(self, encoded: bytes) -> Request:
        return request_from_dict(self.serializer.loads(encoded), spider=self.spider)

    @staticmethod
    def kind_index(request: Request) -> int:
        return 0 if request.meta.get("kind") == "page" else 1

    def __len__(self) -> int:
        return self.reliable.waiting()

    def push(self, request: Request, pipe: Any = None) -> None:
        self.reliable.push(self._encode_request(request), request.priority, self.kind_index(request), pipe=pipe)

    def pop(self, timeout: int = 0) -> Request | None:  # never blocks: the reactor must not wait on Redis
        got = self.reliable.pop()
        if got is None:
            return None
        lease, data = got
        request = self._decode_request(data)
        request.meta[LEASE] = lease
        return request

    def clear(self) -> None:
        self.server.delete(*self.reliable.all_keys())


class RunScheduler(Scheduler):
    """scrapy-redis's Scheduler with leases, heartbeats and a lost-Redis watch."""

    crawler: Any
    keys: RunKeys
    node: str
    role: str
    lease_ms: int
    heartbeat_every: float
    lost_after: float
    poll_every: float
    outbox: Outbox
    reliable: ReliableQueue
    book: LeaseBook
    lost: bool
    downloaded: int
    extra_state: dict[str, Any]  # other parts of the node add to its heartbeat
    df: RunDupeFilter
    queue: FrontierQueue
    budgeted: bool  # max_pages is set: page requests took a unit of the run's budget
    pages_let_out: set[str]  # page URLs this process's guard counted once (the budget's units)

    @classmethod
    def from_crawler(cls, crawler: Any) -> RunScheduler:
        s = super().from_crawler(crawler)  # connects and PINGs (Scheduler.from_settings)
        st = crawler.settings
        s.crawler = crawler
        s.keys = run_keys(st)
        s.node = st.get("SITEAUDIT_QUEUE_NODE") or f"node-{socket.gethostname()}-{os.getpid()}"
        s.role = st.get("SITEAUDIT_QUEUE_ROLE", "worker")
        s.lease_ms = int(st.getfloat("SITEAUDIT_QUEUE_LEASE", 60.0) * 1000)
        s.heartbeat_every = st.getfloat("SITEAUDIT_QUEUE_HEARTBEAT", 2.0)
        s.lost_after = st.getfloat("SITEAUDIT_QUEUE_LOST_AFTER", 30.0)
        s.poll_every = st.getfloat("SITEAUDIT_QUEUE_POLL", 0.2)
        s.outbox = Outbox(s.server)
        s.reliable = ReliableQueue(s.server, s.keys.frontier_base, s.keys.frontier, s.node, s.lease_ms)
        s.book = LeaseBook(s.reliable, s.outbox)
        s.lost = False
        s.downloaded = 0
        s.extra_state = {}
        s._beat = s.server.register_script(_NODE_BEAT)
        s._errors = redis_errors()
        s._loops = []
        crawler.signals.connect(s._item_done, signal=signals.item_scraped)
        crawler.signals.connect(s._item_done, signal=signals.item_dropped)
        crawler.signals.connect(s._item_done, signal=signals.item_error)
        crawler.signals.connect(s._request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(s._response_downloaded, signal=signals.response_downloaded)
        crawler.queue_scheduler = s  # the spider, pipelines and coordinator find the node's parts here
        return s

    # -- lifecycle ------------------------------------------------------------
    def open(self, spider: Any) -> None:
        from scrapy.utils.misc import load_object

        self.spider = spider
        self.queue = FrontierQueue(self.server, spider, self.queue_key, self.serializer, reliable=self.reliable)
        if not self.df:
            self.df = load_object(self.dupefilter_cls).from_crawler(self.crawler)
        cfg = getattr(spider, "cfg", None)
        self.budgeted = bool(cfg is not None and cfg.crawl.max_pages)
        self.pages_let_out = set()
        st = self.crawler.settings
        if self.budgeted and st.getbool("SITEAUDIT_RESUME") and st.get("SITEAUDIT_STATE_DB"):
            # the guard counts the stored pages as its own (ScopeGuardMiddleware.restore)
            from crawler.store import Store

            store = Store(st.get("SITEAUDIT_STATE_DB"), readonly=True)
            try:
                self.pages_let_out = store.page_urls()
            finally:
                store.close()
        self._start_loops()
        self.beat()

    def close(self, reason: str) -> None:
        for loop in self._loops:
            if loop.running:
                loop.stop()
        self.outbox.flush()  # what finished goes out first (facts, pushes, acks) …
        held = list(self.book.held)
        if held:
            # … then unfinished requests go back now rather than after the lease timeout.
            with contextlib.suppress(self._errors):
                self.reliable.requeue(held)
        self.beat(state="stopped")  # the node's own main writes "closed" once its last facts are out

    def _start_loops(self) -> None:
        from scrapy.utils.asyncio import create_looping_call

        beat = create_looping_call(self.beat)
        beat.start(self.heartbeat_every, now=False)
        poll = create_looping_call(self._poll)
        poll.start(self.poll_every, now=False)
        self._loops = [beat, poll]

    def _poll(self) -> None:
        # Other processes fill the frontier; Scrapy's engine only looks again
        # every 5 s on its own.  (engine._slot: Scrapy has no public "wake up".)
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None and slot.closing is None and not self.lost:
            slot.nextcall.schedule()

    # -- the scheduler interface -----------------------------------------------
    def enqueue_request(self, request: Request) -> bool:
        lease = request.meta.pop(LEASE, None)
        prio, kind = request.priority, self.queue.kind_index(request)
        if lease is not None and lease in self.book.held:
            data = self.queue._encode_request(request)
            # A redirect or retry of a leased request: back to the frontier,
            # and the lease ends in the same MULTI (never both, never neither).
            def handover(pipe: Any) -> None:
                self.reliable.push(data, prio, kind, pipe=pipe)
                self.reliable.ack([lease], pipe=pipe)

            self.book.release(lease)
            self.outbox.run(handover)
            return True
        if request.dont_filter:
            data = self.queue._encode_request(request)
            self.outbox.run(lambda pipe: self.reliable.push(data, prio, kind, pipe=pipe))
        else:
            # The run's duplicate filter decides and the push happens in one
            # script.  A page request the guard counted against max_pages
            # (the first of its URL from this process) gives its unit back if
            # another process had asked for the URL already.
            give_back = False
            if self.budgeted and kind == 0 and request.url not in self.pages_let_out:
                self.pages_let_out.add(request.url)
                give_back = True
            if self.df.known_seen(request):  # this process sent it already: no round trip
                if give_back:
                    budget = self.df.budget_key
                    self.outbox.run(lambda pipe: pipe.decr(budget))
                return False
            queue, seq = self.reliable.queues[kind], self.reliable.seq
            entry = self.queue._encode_request(request)
            self.outbox.run(lambda pipe: self.df.push_if_new(pipe, queue, seq, prio, entry, request, give_back))
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        if self.lost or self.outbox.down_since is not None:
            return None
        try:
            request = self.queue.pop()
        except self._errors:
            self.outbox.failed()
            return None
        if request is None:
            return None
        lease = request.meta[LEASE]
        self.book.open(lease)
        request.callback = self._wrap(request.callback or self.spider._parse, lease)
        request.errback = self._wrap(request.errback or _noop_errback, lease, errback=True)
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        try:
            return self.queue.reliable.waiting() > 0
        except self._errors:
            self.outbox.failed()
            return True  # unknown is not idle

    def __len__(self) -> int:
        try:
            return self.queue.reliable.waiting()
        except self._errors:
            return -1

    def _wrap(self, func: Any, lease: str, errback: bool = False) -> Any:
        from crawler.queue.limiter import RunLostError

        book = self.book

        def tracked(result: Any, **kwargs: Any) -> Any:
            if errback and isinstance(getattr(result, "value", None), RunLostError):
                return None  # abandoned with the run: no fact, no ack; given back at close()
            try:
                out = func(result, **kwargs)
            except BaseException as e:
                _end(book, lease, e)
                raise
            if inspect.isawaitable(out) and not hasattr(out, "__aiter__"):
                return _await_then_track(book, lease, out)
            return _tracked(book, lease, out)

        tracked.__wrapped__ = func  # type: ignore[attr-defined]
        return tracked

    # -- signals ----------------------------------------------------------------
    @staticmethod
    def _lease_of(response: Any) -> str | None:
        if response is None:
            return None
        req = getattr(response, "request", None)
        meta = getattr(req, "meta", None)
        return meta.get(LEASE) if meta else None

    def _item_done(self, item: Any = None, response: Any = None, **kw: Any) -> None:
        self.book.stored(self._lease_of(response))

    def _request_dropped(self, request: Request, spider: Any = None) -> None:
        lease = request.meta.get(LEASE)
        if lease:
            self.book.close(lease)

    def _response_downloaded(self, response: Any, request: Any, spider: Any = None) -> None:
        self.downloaded += 1

    # -- heartbeat --------------------------------------------------------------
    def busy(self) -> bool:
        engine = self.crawler.engine
        try:
            active = bool(engine.downloader.active) or not engine.scraper.slot.is_idle()
        except Exception:
            active = False
        return bool(self.book.held) or active or len(self.outbox) > 0

    def beat(self, state: str | None = None) -> None:
        """Extend leases, reap the dead's, publish this node, retry held writes."""
        try:
            self.outbox.flush()
            if self.book.held:
                for lease in self.reliable.extend(list(self.book.held)):
                    # reaped while we were too slow: someone else does it again
                    self.book.release(lease)
                    self.book.lost += 1
            self.reliable.reap()
            info = {"role": self.role, "state": state or ("busy" if self.busy() else "idle"),
                    "leases": len(self.book.held), "downloaded": self.downloaded, "acked": self.book.acked,
                    "host": socket.gethostname(), "pid": os.getpid(), **self.extra_state}
            self._beat(keys=[self.keys.node_seen, self.keys.nodes], args=[self.node, json.dumps(info)])
            self.outbox.ok()
        except self._errors:
            self.outbox.failed()
        if self.outbox.down_for() > self.lost_after and not self.lost and state is None:
            self.lost = True
            log.error("queue: Redis gone for %.0f s: closing the crawl as incomplete", self.outbox.down_for())
            from scrapy.utils.defer import deferred_from_coro

            deferred_from_coro(self.crawler.engine.close_spider_async(reason="queue_lost"))


async def _await_then_track(book: LeaseBook, lease: str, awaitable: Any) -> AsyncIterator[Any]:
    try:
        out = await awaitable
    except BaseException as e:
        _end(book, lease, e)
        raise
    if out is None:
        book.close(lease)
        return
    async for x in _atrack(book, lease, _aiter(out)):
        yield x


async def _aiter(it: Any) -> AsyncIterator[Any]:
    if hasattr(it, "__aiter__"):
        async for x in it:
            yield x
    else:
        for x in it:
            yield x
