"""One audit spread over processes and machines through Redis (scrapy-redis).

SPEC "Command line": `crawl --queue redis://HOST:PORT/DB` and
`siteaudit worker --queue …`; docs/scale-out.md explains the design and how
to run it.  Nothing here is imported by a run without `--queue`: the redis
client and scrapy-redis are loaded only by these modules.

Parts (each usable on its own; the integrator wires them into the crawl):

- `settings.queue_settings(redis_url, run_id, …)`: the Scrapy settings that put
  the frontier, the duplicate filter, the per-host limits and the facts in Redis.
- `scheduler`: `RunScheduler` / `RunDupeFilter` (scrapy-redis subclasses) with
  a reliable frontier (leases with a visibility timeout) in `reliable`.
- `limiter`: the per-host concurrency/delay limiter shared by every process.
- `facts`: `RedisFactSink` (workers hand facts back) and `drain_facts(store)`.
- `browser`: the browser stage as its own reliable job queue.
- `coordinator`: seeds, drains, detects the end; `run_queue_audit`.
- `worker.run_worker(queue_url, no_a11y, browsers)`: `siteaudit worker`.
"""
from __future__ import annotations

from crawler.queue.errors import QueueLost, QueueUnavailable

__all__ = ["QueueLost", "QueueUnavailable", "check_redis", "queue_settings", "run_worker", "run_queue_audit"]


def __getattr__(name: str):  # lazy: importing the package must not import redis
    if name == "check_redis":
        from crawler.queue.connection import check_redis

        return check_redis
    if name == "queue_settings":
        from crawler.queue.settings import queue_settings

        return queue_settings
    if name == "run_worker":
        from crawler.queue.worker import run_worker

        return run_worker
    if name == "run_queue_audit":
        from crawler.queue.coordinator import run_queue_audit

        return run_queue_audit
    raise AttributeError(name)
