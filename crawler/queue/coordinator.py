"""The coordinator of a queued run: `siteaudit crawl … --queue redis://…`.

SPEC "crawl --queue": seeds the shared frontier and crawls too; waits until
the frontier is empty and every worker idle; then judges and writes the
outputs as usual.  `run_crawl(opts, cfg)` is what the CLI calls: it checks
Redis first (exit 3 before --out is touched) and runs
`crawler.audit.run_audit` with `queue_crawl_step` as its crawl step, so
judging, outputs, reports, history, locking and signals are exactly the
single-process code.  The crawl step fills `<state>/audit.sqlite` like the
local one: facts arrive through Redis (crawler/queue/facts.py) and are
drained into it while the crawl runs.

End of the crawl (`CoordinatorExtension`, on each spider_idle of the
coordinator's own engine): one MULTI snapshot of the frontier (waiting and
leased), the browser jobs (waiting and leased) and the nodes' heartbeats.
Nothing waiting, nothing leased, no live node busy ⇒ no process can make new
work (only a lease holder yields requests, and it pushes them before its ack),
and every fact is in the list (facts before acks).  The run's state becomes
`finished`; workers' spiders close; the coordinator waits for their last
facts (statistics) — a node that stopped beating counts as gone — drains
everything and closes.  Redis away longer than SITEAUDIT_QUEUE_LOST_AFTER ⇒
close reason `queue_lost`: complete=false, exit 3.

Progress (SPEC: pages done, queued, rate on stderr): the run's, not this
process's — pages done as drained into the store, the frontier's waiting and
leased requests from Redis, the workers alive; and the browser stage's
results against its jobs.  Same `Stage` display as one process
(crawler/progress.py).

`--resume`: the run id is kept in `<state>/queue.json`; the frontier and
the duplicate filter are still in Redis, the facts in the store; the dead
coordinator's leases are given back at once.  If Redis lost the run
(restarted without persistence), the frontier is rebuilt from the store as
one process does on --resume (ResumeMiddleware, the filter seeded with the
stored URLs, browser jobs for stored pages without a result).
"""
from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider

from crawler.queue.errors import QueueLost, lost_message
from crawler.queue.facts import FactApplier, drain_facts
from crawler.queue.keys import RUNS, RunKeys, new_run_id, node_id
from crawler.queue.reliable import ReliableQueue
from crawler.queue.settings import HEARTBEAT_SECONDS, LEASE_SECONDS, LOST_AFTER_SECONDS

log = logging.getLogger(__name__)

STATE_FILE = "queue.json"
DRAIN_EVERY = 0.5
STATUS_EVERY = 1.0  # the progress display's look at Redis
FINISH_GRACE = 30.0  # how long to wait for workers' last facts after the end


def publish_run(server: Any, keys: RunKeys, cfg: Any, *, a11y: bool, lease: float, heartbeat: float,
                lost_after: float) -> None:
    """What workers need to serve the run: its config, its state, its name in the run list."""
    conf = cfg.to_dict()
    conf["metadata"]["vocabularies"] = {}  # judging only: files on the coordinator's disk
    blob = {"config": conf, "a11y": a11y, "queue": {"lease": lease, "heartbeat": heartbeat, "lost_after": lost_after}}
    pipe = server.pipeline(transaction=True)
    pipe.set(keys.config, json.dumps(blob, ensure_ascii=False))
    pipe.set(keys.state, "crawling")
    pipe.zadd(RUNS, {keys.run: time.time()})
    pipe.execute()


def delete_run(server: Any, run: str, keep_state: float | None = None) -> None:
    """Remove a run's keys (its audit is written, or it is being restarted afresh)."""
    keys = RunKeys(run)
    batch = []
    for key in server.scan_iter(match=keys.prefix.replace("{", "\\{").replace("}", "\\}") + "*", count=500):
        if keep_state is not None and key == keys.state.encode():
            continue
        batch.append(key)
        if len(batch) >= 500:
            server.delete(*batch)
            batch = []
    if batch:
        server.delete(*batch)
    server.zrem(RUNS, run)
    if keep_state is not None:
        server.expire(keys.state, int(keep_state))


def coordinator_age(server: Any, keys: RunKeys) -> float | None:
    """Seconds since the run's coordinator last beat (None: never seen)."""
    pipe = server.pipeline(transaction=False)
    pipe.zrange(keys.node_seen, 0, -1, withscores=True)
    pipe.time()
    seen, (sec, usec) = pipe.execute()
    now = sec * 1000 + usec // 1000
    ages = [(now - score) / 1000.0 for name, score in seen if name.startswith(b"coordinator-")]
    return min(ages) if ages else None


def run_status(server: Any, keys: RunKeys) -> dict[str, Any]:
    """One consistent snapshot (MULTI) of the work left in the run."""
    pipe = server.pipeline(transaction=True)
    for q in keys.frontier:
        pipe.zcard(q)
    pipe.zcard(f"{keys.frontier_base}:processing")
    pipe.zcard(keys.a11y_jobs[0])
    pipe.zcard(f"{keys.a11y_base}:processing")
    pipe.llen(keys.facts)
    pipe.hgetall(keys.nodes)
    pipe.zrange(keys.node_seen, 0, -1, withscores=True)
    pipe.time()
    r = pipe.execute()
    n = len(keys.frontier)
    now_ms = r[n + 6][0] * 1000 + r[n + 6][1] // 1000
    seen = {k.decode(): v for k, v in r[n + 5]}
    nodes = {}
    for k, v in r[n + 4].items():
        name = k.decode()
        info = json.loads(v)
        info["age"] = (now_ms - seen.get(name, 0)) / 1000.0
        nodes[name] = info
    return {"waiting": sum(r[:n]), "leased": r[n], "a11y_waiting": r[n + 1], "a11y_leased": r[n + 2],
            "facts": r[n + 3], "nodes": nodes}


class CoordinatorExtension:
    """Drains facts into the store, shows the run's progress, decides when the run is over."""

    def __init__(self, crawler: Any):
        from scrapy_redis.connection import get_redis_from_settings

        st = crawler.settings
        self.crawler = crawler
        self.server = get_redis_from_settings(st)
        self.keys = RunKeys(st.get("SITEAUDIT_QUEUE_RUN"))
        self.node = st.get("SITEAUDIT_QUEUE_NODE")
        self.heartbeat = st.getfloat("SITEAUDIT_QUEUE_HEARTBEAT", HEARTBEAT_SECONDS)
        self.progress = st.getbool("SITEAUDIT_QUEUE_PROGRESS", False)
        self.a11y = st.getbool("SITEAUDIT_QUEUE_A11Y", False)
        self.store_path = st.get("SITEAUDIT_STATE_DB")
        self.store: Any = None
        self.applier: FactApplier | None = None
        self.finished_at: float | None = None
        self.close_reason: str | None = None
        self._loop: Any = None
        self._last_status = 0.0
        self._axe_before = 0
        self._failed_before = 0
        self.crawl_stage: Any = None
        self.browser_stage: Any = None
        self.last_status: dict[str, Any] = {}
        crawler.queue_coordinator = self  # the crawl step reads close_reason here
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.idle, signal=signals.spider_idle)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> CoordinatorExtension:
        return cls(crawler)

    def opened(self, spider: Any) -> None:
        from scrapy.utils.asyncio import create_looping_call

        from crawler.progress import Stage
        from crawler.store import Store

        self.store = Store(self.store_path)
        self.applier = FactApplier(self.store)
        self._axe_before = len(self.store.axe_urls())
        self._failed_before = len(self.store.a11y_failures())
        if self.progress:
            self.crawl_stage = Stage("爬取")
        self._loop = create_looping_call(self.tick)
        self._loop.start(DRAIN_EVERY, now=False)

    def tick(self) -> None:
        from crawler.pipelines import stop_crawl
        from crawler.store import DiskFull

        assert self.applier is not None
        try:
            drain_facts(self.server, self.keys, self.applier, limit=2000)
        except DiskFull:
            stop_crawl(self.crawler, "disk_full")  # what was not stored stays in Redis: --resume
            return
        except Exception as e:  # Redis away: the scheduler's watch decides when it is lost
            log.debug("queue: drain: %s", e)
            return
        if self.progress and time.monotonic() - self._last_status >= STATUS_EVERY:
            self._last_status = time.monotonic()
            self.report()

    def _live(self, nodes: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in nodes.items()
                if v.get("age", 99) < 3 * self.heartbeat and v.get("state") not in ("closed", "stopped")}

    def report(self) -> None:
        """The run's progress: pages drained, the frontier in Redis, workers alive."""
        from crawler.progress import Stage

        assert self.applier is not None
        try:
            s = run_status(self.server, self.keys)
        except Exception:  # Redis away: what the store has is still news
            if self.crawl_stage is not None:
                self.crawl_stage.update(self.store.page_count())
            return
        live = self._live(s["nodes"])
        workers = sum(1 for k in live if k != self.node)
        frontier = s["waiting"] + s["leased"]
        if self.crawl_stage is not None:
            self.crawl_stage.update(self.store.page_count(), queued=frontier,
                                    extra=f"連結問題 {self.applier.link_problems}，工作程序 {workers} 個")
            if frontier == 0 and not any(v.get("state") == "busy" for v in live.values()):
                self.crawl_stage.close()
                self.crawl_stage = None
        if self.a11y:
            done = self._axe_before + self.applier.counts.get("axe", 0)
            failed = self._failed_before + self.applier.counts.get("a11y_failure", 0)
            queued = s["a11y_waiting"] + s["a11y_leased"]
            if self.browser_stage is None and (done or queued):
                self.browser_stage = Stage("無障礙檢測")
            if self.browser_stage is not None:
                self.browser_stage.update(done, queued=queued, extra=f"未完成 {failed}" if failed else "")

    def _sched(self) -> Any:
        return getattr(self.crawler, "queue_scheduler", None)

    def idle(self, spider: Any) -> None:
        sched = self._sched()
        if sched is not None and sched.lost:
            return  # close: the run is lost
        try:
            s = self.last_status = run_status(self.server, self.keys)
        except Exception:
            raise DontCloseSpider from None
        others = {k: v for k, v in s["nodes"].items() if k != self.node}
        live = {k: v for k, v in others.items() if v.get("age", 99) < 3 * self.heartbeat}
        if self.finished_at is None:
            busy = [k for k, v in live.items() if v.get("state") == "busy"]
            if s["waiting"] or s["leased"] or s["a11y_waiting"] or s["a11y_leased"] or busy:
                raise DontCloseSpider
            self.server.set(self.keys.state, "finished")
            self.finished_at = time.monotonic()
            raise DontCloseSpider
        waiting_for = [k for k, v in live.items() if v.get("state") not in ("closed",)]
        if waiting_for and time.monotonic() - self.finished_at < FINISH_GRACE:
            raise DontCloseSpider

    def closed(self, spider: Any, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        sched = self._sched()
        if sched is not None and sched.lost:
            reason = "queue_lost"
        elif reason == "finished" and self.finished_at is None:
            reason = "shutdown"  # closed before the run's end (an error)
        self.close_reason = reason
        if self.store is None:
            return
        try:
            if reason == "finished" and self.applier is not None:
                with contextlib.suppress(Exception):  # the crawl step drains again, and decides
                    drain_facts(self.server, self.keys, self.applier)
            if self.progress:
                self.report()
            for stage in (self.crawl_stage, self.browser_stage):
                if stage is not None:
                    stage.close()
            self.store.commit()
        finally:
            self.store.close()


def _read_state(path: Path) -> dict[str, Any] | None:
    try:
        got = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return got if isinstance(got, dict) and got.get("run") else None


def _resubmit_a11y(server: Any, keys: RunKeys, store: Any) -> int:
    """Browser jobs for the stored pages without a result (a rebuilt run)."""
    import hashlib

    done = store.axe_urls()
    pipe = server.pipeline(transaction=False)
    n = 0
    for url in store.page_urls_in_order():
        html = None if url in done else store.page_html(url)
        if html is None:
            continue
        job = json.dumps({"url": url, "hash": hashlib.sha256(html.encode("utf-8")).hexdigest()})
        pipe.sadd(keys.a11y_seen, url)
        pipe.zadd(keys.a11y_jobs[0], {job: n})
        n += 1
    pipe.execute()
    return n


def queue_crawl_step(cfg: Any, state_dir: Path, *, resume: bool, progress: bool, a11y_factory: Any,
                     doc_cache: Path | None, policy: Any = None, queue_url: str, a11y_cache: Path | None = None,
                     previous_run: str | None = None, lease: float = LEASE_SECONDS,
                     heartbeat: float = HEARTBEAT_SECONDS, lost_after: float = LOST_AFTER_SECONDS,
                     browsers: int | None = None) -> Any:
    """`crawler.audit.run_audit`'s crawl step for a queued run (`local_crawl`'s
    signature; the rest bound by run_crawl): fills `state_dir/audit.sqlite`
    and returns a CrawlResult for the whole run.

    Accessibility is on when run_audit made an `a11y_factory` (it checked the
    browser); the browsers are this node's `BrowserStage`, not the factory's
    runner.  Raises QueueUnavailable (Redis not there) or QueueLost (Redis
    gone before any page came back); a run lost later returns close_reason
    `queue_lost` (complete=false, exit 3)."""
    from crawler.crawl import CrawlResult
    from crawler.queue.browser import make_stage
    from crawler.queue.connection import check_redis
    from crawler.queue.session import QueueSession
    from crawler.queue.settings import queue_settings
    from crawler.store import Store

    server = check_redis(queue_url)
    previous = _read_state(state_dir / STATE_FILE) if resume else None
    if previous is None and previous_run:
        with contextlib.suppress(Exception):
            delete_run(server, previous_run)  # an unfinished queued run in this --out: start afresh
    run = previous["run"] if previous else new_run_id()
    keys = RunKeys(run)
    node = node_id("coordinator")
    rebuild = False
    if previous:
        # The dead coordinator's leases go back now, not after the timeout.
        for base, queues in ((keys.frontier_base, keys.frontier), (keys.a11y_base, keys.a11y_jobs)):
            q = ReliableQueue(server, base, queues, node)
            q.requeue_node(previous.get("node", ""))
            q.requeue_node(previous.get("node", "") + "/browser")
        # Redis lost the run (restarted without persistence, or the run had
        # ended and its keys gone): rebuild the frontier from the store.
        rebuild = server.get(keys.config) is None
        if rebuild:
            delete_run(server, run)
    (state_dir / STATE_FILE).write_text(json.dumps({"run": run, "node": node}), encoding="utf-8")
    a11y_on = a11y_factory is not None
    store = Store(state_dir / "audit.sqlite")
    try:
        store.set_info("queue", {"run": run, "a11y": a11y_on})
        if rebuild and a11y_on:
            _resubmit_a11y(server, keys, store)
        store.commit()
    finally:
        store.close()
    stage = None
    if a11y_on:  # before the run is published: no browser is exit 3 with nothing left behind
        stage = make_stage(server, keys, node, cfg, browsers=browsers, cache_path=a11y_cache, lease=lease,
                           heartbeat=heartbeat, policy=policy).start()
    publish_run(server, keys, cfg, a11y=a11y_on, lease=lease, heartbeat=heartbeat, lost_after=lost_after)
    session = QueueSession(
        cfg, state_dir, role="coordinator", stage=stage, resume=resume, progress=False, doc_cache=doc_cache,
        policy=policy, queue_settings=queue_settings(queue_url, run, role="coordinator", node=node, a11y=a11y_on,
                                                     lease=lease, heartbeat=heartbeat, lost_after=lost_after,
                                                     rebuild=rebuild, progress=progress))
    result = None
    a11y_stats: dict[str, Any] = {}
    try:
        result = session.run()
    finally:
        ext = getattr(session.crawler, "queue_coordinator", None)
        finished = result is not None and not result.stopped_by_signal and getattr(ext, "close_reason", "") == "finished"
        if stage is not None:
            a11y_stats = stage.close(timeout=None if finished else 0)
    assert result is not None  # session.run() returned (else its exception is on its way)
    reason = str(getattr(ext, "close_reason", None) or result.close_reason)
    if result.close_reason == "disk_full":
        reason = "disk_full"
    sched = getattr(session.crawler, "queue_scheduler", None)
    store = Store(state_dir / "audit.sqlite")
    try:
        applier = FactApplier(store)
        applier.apply({"k": "node", "node": node, "stats": {
            "role": "coordinator", "downloaded": getattr(sched, "downloaded", 0),
            "acked": sched.book.acked if sched is not None else 0,
            "lost_leases": sched.book.lost if sched is not None else 0, "a11y": a11y_stats,
            "traps": result.trap_skipped_count, "limited": result.limited}})
        try:
            drain_facts(server, keys, applier)
            if reason == "finished":
                delete_run(server, run, keep_state=600)  # workers still polling see "finished"
        except Exception:
            if reason == "finished":
                reason = "queue_lost"
        pages = store.page_count()
        traps, limited = applier.totals("traps"), applier.totals("limited")
        store.commit()
    finally:
        store.close()
    if reason == "queue_lost":
        print(f"siteaudit: {lost_message(lost_after)}", file=sys.stderr, flush=True)
        if pages == 0:
            raise QueueLost(lost_message(lost_after))
    return CrawlResult(close_reason=reason, trap_skipped_count=traps, limited=limited,
                       stopped_by_signal=result.stopped_by_signal)


def _timing(name: str, default: float) -> float:
    """Protocol timings from the environment (tests, tuning; docs/scale-out.md)."""
    from crawler.errors import UsageError

    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"環境變數 {name} 應為秒數（收到 {raw!r}）") from None
    if value <= 0:
        raise UsageError(f"環境變數 {name} 應大於 0（收到 {raw!r}）")
    return value


def run_crawl(opts: Any, cfg: Any) -> Any:
    """`siteaudit crawl … --queue URL` (crawler/cli.py's CrawlOptions): the
    audit of crawler/audit.py with the crawl step spread over the queue."""
    from crawler.audit import STATE_DIR, cache_dir_for, run_audit
    from crawler.queue.connection import check_redis
    from reports.history import default_history_path

    check_redis(opts.queue).close()  # exit 3, one line, before --out is touched
    out = Path(opts.out)
    previous = None if opts.resume else _read_state(out / STATE_DIR / STATE_FILE)
    history = opts.history or default_history_path(out)
    step = functools.partial(
        queue_crawl_step, queue_url=opts.queue, a11y_cache=cache_dir_for(history, out) / "a11y-cache.sqlite",
        previous_run=previous["run"] if previous else None,
        lease=_timing("SITEAUDIT_QUEUE_LEASE", LEASE_SECONDS),
        heartbeat=_timing("SITEAUDIT_QUEUE_HEARTBEAT", HEARTBEAT_SECONDS),
        lost_after=_timing("SITEAUDIT_QUEUE_LOST_AFTER", LOST_AFTER_SECONDS))
    return run_audit(cfg, out, opts.as_of, resume=opts.resume, progress=not opts.quiet, history_path=history,
                     keep_state=opts.keep_state, crawl_step=step)
