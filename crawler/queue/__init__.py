"""One audit spread over processes and machines through Redis (scrapy-redis).

SPEC "Command line": `crawl --queue redis://HOST:PORT/DB` and
`siteaudit worker --queue …`; docs/scale-out.md explains the design and how
to run it.  Nothing here is imported by a run without `--queue`: the redis
client and scrapy-redis are loaded only by these modules.

What the CLI calls (crawler/cli.py):

- `run_crawl(opts, cfg)`: `siteaudit crawl … --queue` — crawler.audit.run_audit
  with `coordinator.queue_crawl_step` as its crawl step.
- `run_worker(opts)`: `siteaudit worker`; returns the exit code.

Parts (each usable on its own):

- `settings.queue_settings(redis_url, run_id, …)`: the Scrapy settings that put
  the frontier, the duplicate filter, the page budget, the per-host limits
  and the facts in Redis.
- `scheduler.RunScheduler` (scrapy-redis subclass) with a reliable frontier
  (leases with a visibility timeout) in `reliable`; `dupefilter.RunDupeFilter`
  (AuditDupeFilter's rules, atomic in Redis); `budget.RedisPageBudget`.
- `spider.QueueSpider`: SiteSpider whose `start` seeds only on the coordinator.
- `limiter`: the per-host concurrency/delay limiter shared by every process.
- `facts`: `RedisFactSink` (every process hands facts back) and `drain_facts`.
- `browser`: the browser stage as its own reliable job queue; `doccache`:
  the document cache shared across machines.
- `coordinator`: seeds, drains, shows progress, detects the end.
- `worker` / `node`: `siteaudit worker` and the process serving one run.
"""
from __future__ import annotations

from typing import Any

from crawler.queue.errors import QueueLost, QueueUnavailable

__all__ = ["QueueLost", "QueueUnavailable", "check_redis", "queue_settings", "run_crawl", "run_worker",
           "queue_crawl_step"]


def __getattr__(name: str) -> Any:  # lazy: importing the package must not import redis
    if name == "check_redis":
        from crawler.queue.connection import check_redis

        return check_redis
    if name == "queue_settings":
        from crawler.queue.settings import queue_settings

        return queue_settings
    if name == "run_worker":
        from crawler.queue.worker import run_worker

        return run_worker
    if name in ("run_crawl", "queue_crawl_step"):
        from crawler.queue import coordinator

        return getattr(coordinator, name)
    raise AttributeError(name)
