"""The browser stage of a queued run, as its own reliable job queue (SPEC
"crawl --queue": workers "run the browser stage"; "Rules in detail /
Accessibility").

Each page fetched becomes a job (crawler/queue/facts.py `A11yJobPipeline`);
any process of the run that has browsers takes jobs — not only the one that
fetched the page — so the stage, about one CPU-second per page, spreads over
every machine that offers browsers, and a worker started with `--no-a11y`
just crawls.  Jobs are leased like frontier requests (crawler/queue/reliable.py):
a process killed mid-audit loses none; its jobs return after the lease.

`BrowserStage` runs in its own thread (never in Scrapy's reactor): it keeps
at most `2 × browsers` jobs in the A11yRunner (crawler/a11y.py, the same pool
as a single-process run, built with the same arguments as
`crawler.audit.make_a11y_factory`: the edition's axe options, confinement to
the site, the run's address policy), extends their leases, and when the
runner reports a page (`on_result`, from a browser thread) hands the axe
result back as a fact, then acks the job.  The runner's result cache is
`SharedResultCache` (`result_cache=`): this machine's SQLite file in front of
the one in Redis.

Stopped early (a signal, the run lost): results that arrive after `abort()`
are not handed back (they would say "interrupted" for pages nobody failed);
their jobs go back to the queue for whoever audits them next.
"""
from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import zlib
from pathlib import Path
from typing import Any

from crawler.queue import facts
from crawler.queue.keys import RESULT_CACHE, RESULT_CACHE_DAYS, RunKeys
from crawler.queue.reliable import ReliableQueue

log = logging.getLogger(__name__)


class SharedResultCache:
    """A11yRunner's result cache seen through Redis: this machine's SQLite
    cache first, then the one every machine shares (results by the runner's
    own cache key: page content, axe version, tags, locale).  Without it a
    page unchanged since last month would be opened again by whichever of N
    machines got its job — hit only one time in N."""

    def __init__(self, server: Any, local: Any = None, days: int = RESULT_CACHE_DAYS):
        self.server = server
        self.local = local
        self.ttl = int(days * 86400)

    def get(self, key: str) -> dict | None:
        hit = self.local.get(key) if self.local is not None else None
        if hit is not None:
            return hit
        try:
            raw = self.server.get(RESULT_CACHE + key)
        except Exception:
            return None
        if raw is None:
            return None
        result = json.loads(zlib.decompress(raw))
        if self.local is not None:
            self.local.put(key, result)
        return result

    def put(self, key: str, result: Any) -> None:
        if self.local is not None:
            self.local.put(key, result)
        data = zlib.compress(json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 1)
        with contextlib.suppress(Exception):
            self.server.set(RESULT_CACHE + key, data, ex=self.ttl)

    def close(self) -> None:
        if self.local is not None:
            self.local.close()


class BrowserStage:
    """One node's browsers, fed from the run's job queue (module docstring).

    `runner_kwargs` are A11yRunner's (tags, locale, confinement, options …);
    `runner` a ready one for tests (then `on_result` must call `_done`)."""

    def __init__(self, server: Any, keys: RunKeys, node: str, *, browsers: int, cache_path: Path | str | None,
                 lease: float = 60.0, heartbeat: float = 2.0, runner: Any = None, **runner_kwargs: Any):
        self.server = server
        self.keys = keys
        self.node = node
        self.queue = ReliableQueue(server, keys.a11y_base, keys.a11y_jobs, f"{node}/browser", int(lease * 1000))
        self.heartbeat = heartbeat
        self.browsers = max(1, int(browsers))
        self.cap = 2 * self.browsers
        self._stopping = False  # after abort()/an early close: results are not handed back
        if runner is None:
            from crawler.a11y import A11yRunner, ResultCache

            local = ResultCache(cache_path) if cache_path else None
            runner = A11yRunner(browsers=self.browsers, on_result=self._done,
                                result_cache=SharedResultCache(server, local), **runner_kwargs)
        self.runner = runner
        self._lock = threading.Lock()
        self._jobs: dict[str, list[str]] = {}  # url -> leases waiting for its result
        self._finished: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="queue-browser", daemon=True)
        self.done_count = 0
        self.stats: dict[str, Any] = {}

    def start(self) -> BrowserStage:
        self._thread.start()
        return self

    @property
    def backlog(self) -> int:
        with self._lock:
            return len(self._jobs)

    def _loop(self) -> None:
        last_beat = 0.0
        while not self._stop.is_set():
            try:
                now = time.monotonic()
                if now - last_beat >= self.heartbeat:
                    last_beat = now
                    with self._lock:
                        held = [lease for leases in self._jobs.values() for lease in leases]
                    lost = set(self.queue.extend(held))
                    if lost:
                        with self._lock:
                            for url in list(self._jobs):
                                self._jobs[url] = [x for x in self._jobs[url] if x not in lost]
                    self.queue.reap()
                if self.backlog >= self.cap:
                    self._stop.wait(0.05)
                    continue
                got = self.queue.pop()
                if got is None:
                    self._stop.wait(0.2)
                    continue
                lease, data = got
                job = json.loads(data)
                url = job["url"]
                with self._lock:
                    if url in self._finished:  # audited here already (a re-queued duplicate)
                        self.queue.ack([lease])
                        continue
                    first = url not in self._jobs
                    self._jobs.setdefault(url, []).append(lease)
                if first:
                    self.runner.submit(url, job.get("hash"))
            except Exception as e:  # Redis away: wait; the jobs' leases run out if it stays away
                log.warning("queue: browser stage: %s", e)
                self._stop.wait(1.0)

    def _done(self, url: str, result: dict | None, reason: str | None) -> None:
        """From a browser thread: hand the result back, then ack the job."""
        if self._stopping:
            return  # its job goes back to the queue at close()
        fact = ({"k": "axe", "url": url, "result": result} if result is not None
                else {"k": "a11y_failure", "url": url, "reason": reason})
        data = facts.encode(fact)
        for attempt in range(30):
            try:
                self.server.rpush(self.keys.facts, data)
                break
            except Exception:
                time.sleep(min(1.0, 0.1 * (attempt + 1)))
        else:
            log.error("queue: could not hand back the result of %s", url)
            return  # no ack: the job's lease runs out and another process audits it
        with self._lock:
            leases = self._jobs.pop(url, [])
            self._finished.add(url)
        self.done_count += 1
        with contextlib.suppress(Exception):  # else the lease runs out; audited again, same result
            self.queue.ack(leases)

    def abort(self) -> None:
        """SIGTERM/SIGINT (safe from a signal handler): stop the browsers now;
        the jobs taken go back to the queue at close()."""
        self._stopping = True
        self._stop.set()
        self.runner.abort()

    def close(self, timeout: float | None = None) -> dict[str, Any]:
        """Stop taking jobs, finish the ones taken, return the runner's stats.
        With a timeout (stopped early) pages not done are given back, not
        reported failed."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)
        if timeout is not None:
            self._stopping = True
        outcome = self.runner.finish(timeout=timeout)
        self.stats = dict(outcome.stats)
        with self._lock:
            left = [lease for leases in self._jobs.values() for lease in leases]
            self._jobs.clear()
        if left:
            with contextlib.suppress(Exception):
                self.queue.requeue(left)
        return self.stats


def make_stage(server: Any, keys: RunKeys, node: str, cfg: Any, *, browsers: int | None, cache_path: Any,
               lease: float, heartbeat: float, policy: Any = None) -> BrowserStage:
    """A stage for this node with the run's [accessibility] settings — the
    runner single-process runs build (crawler.audit.make_a11y_factory);
    raises AuditCannotRun (exit 3, says to pass --no-a11y) when no browser is there."""
    from checks.a11y_spec import axe_options
    from crawler import a11y, netguard

    a11y.check_available()
    acc = cfg.accessibility
    policy = policy or netguard.AddressPolicy.for_hosts(cfg.allowed_hosts, allow_private=cfg.links.allow_private)
    return BrowserStage(server, keys, node, browsers=browsers or acc.browsers, cache_path=cache_path, lease=lease,
                        heartbeat=heartbeat, tags=acc.effective_tags, locale=acc.locale,
                        allowed_hosts=cfg.allowed_hosts, subresource_hosts=acc.subresource_hosts,
                        address_policy=policy, browser_version=a11y.browser_version(),
                        options=axe_options(acc.spec, acc.level, acc.effective_tags))
