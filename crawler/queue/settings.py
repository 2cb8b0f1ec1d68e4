"""`queue_settings(redis_url, run_id)`: the Scrapy settings of a queued run.

Applied on top of `crawler.settings.settings_for(config, …)` (cmdline
priority, through CrawlSession's `extra_settings`) in every process of the
run — coordinator and workers alike.  What they do:

- SCHEDULER / SCHEDULER_QUEUE_KEY / SCHEDULER_SERIALIZER: scrapy-redis's
  scheduler (crawler/queue/scheduler.py subclass) on keys that carry the run
  id; the frontier as tagged JSON, not pickle (crawler/queue/serial.py says why).
- DUPEFILTER_CLASS: `RunDupeFilter`, AuditDupeFilter's rules on the run's
  Redis set (crawler/queue/dupefilter.py).
- SITEAUDIT_PAGE_BUDGET: `RedisPageBudget`, max_pages as one atomic counter
  for the run (crawler/queue/budget.py); the guard itself stays per process.
- SCHEDULER_PERSIST: the frontier and fingerprints outlive any one process
  (workers come and go; the coordinator may `--resume`); the coordinator
  deletes the run's keys once the audit is written.
- SCHEDULER_IDLE_BEFORE_CLOSE = 0: scrapy-redis would otherwise *block* in
  BRPOP inside the asyncio reactor.  Idle handling is ours: a worker's spider
  stays open until the run's state is `finished` (crawler/queue/spider.py);
  the coordinator's closes when the run is done (crawler/queue/coordinator.py).
- Spider middlewares: ResumeMiddleware off — the frontier of a resumed run is
  in Redis — unless `rebuild` (Redis lost the run: the coordinator rebuilds
  the frontier from its store, as one process does on --resume).
- Downloader middlewares: the shared per-host limiter (950) and the shared
  robots.txt (100, replacing Scrapy's).  Item pipelines: the fact sink and
  the browser-stage jobs replace StorePipeline and AccessibilityPipeline.
  Extensions: the shared document cache; the coordinator's or the worker's
  end-of-run logic; no local progress display (the coordinator shows the run's).
- JOBDIR off: Scrapy's disk queue is replaced by Redis.
- SITEAUDIT_QUEUE_*: run id, node id, role, lease (visibility timeout, s),
  heartbeat (s), lost-after (s), poll (s), a11y (run has the browser stage),
  rebuild, progress (the coordinator's display).
"""
from __future__ import annotations

from typing import Any

from crawler import settings as project
from crawler.queue.keys import RunKeys, node_id

LEASE_SECONDS = 60.0  # visibility timeout: a request's holder must show life within this
HEARTBEAT_SECONDS = 2.0
LOST_AFTER_SECONDS = 30.0  # Redis gone this long mid-run: the run is lost (exit 3)


def _no_jitter() -> dict[str, Any]:
    from scrapy.settings import default_settings

    if hasattr(default_settings, "DOWNLOAD_DELAY_JITTER"):  # Scrapy 2.19+
        return {"DOWNLOAD_DELAY_JITTER": 0}
    return {"RANDOMIZE_DOWNLOAD_DELAY": False}


def queue_settings(redis_url: str, run_id: str, *, role: str = "worker", node: str | None = None,
                   a11y: bool = False, lease: float = LEASE_SECONDS, heartbeat: float = HEARTBEAT_SECONDS,
                   lost_after: float = LOST_AFTER_SECONDS, rebuild: bool = False,
                   progress: bool = False) -> dict[str, Any]:
    from crawler.queue.connection import CONNECT_TIMEOUT, SOCKET_TIMEOUT

    keys = RunKeys(run_id)
    spider_mw = {**project.SPIDER_MIDDLEWARES,
                 "crawler.resume.ResumeMiddleware": project.SPIDER_MIDDLEWARES["crawler.resume.ResumeMiddleware"]
                 if rebuild and role == "coordinator" else None}
    middlewares = {**project.DOWNLOADER_MIDDLEWARES,
                   "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
                   "crawler.queue.limiter.SharedRobotsTxtMiddleware": 100,
                   "crawler.queue.limiter.SharedHostLimiter": 950}
    pipelines = {**{k: None for k in project.ITEM_PIPELINES},
                 "crawler.queue.facts.RedisFactSink": 100,
                 "crawler.queue.facts.A11yJobPipeline": 200}
    extensions = {**project.EXTENSIONS, "crawler.progress.CrawlProgress": None,
                  "crawler.queue.doccache.SharedDocumentCacheExtension": 500}
    if role == "coordinator":
        extensions["crawler.queue.coordinator.CoordinatorExtension"] = 600
    else:
        extensions["crawler.queue.spider.NodeExtension"] = 600
    return {
        "REDIS_URL": redis_url,
        "REDIS_PARAMS": {"socket_connect_timeout": CONNECT_TIMEOUT, "socket_timeout": SOCKET_TIMEOUT,
                         "health_check_interval": 30},
        "SCHEDULER": "crawler.queue.scheduler.RunScheduler",
        "DUPEFILTER_CLASS": "crawler.queue.dupefilter.RunDupeFilter",
        "SCHEDULER_QUEUE_KEY": keys.frontier_base,
        "SCHEDULER_DUPEFILTER_KEY": keys.dupefilter,
        "SCHEDULER_SERIALIZER": "crawler.queue.serial",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_FLUSH_ON_START": False,
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,
        "SITEAUDIT_PAGE_BUDGET": "crawler.queue.budget.RedisPageBudget",
        "JOBDIR": None,
        "SPIDER_MIDDLEWARES": spider_mw,
        "DOWNLOADER_MIDDLEWARES": middlewares,
        "ITEM_PIPELINES": pipelines,
        "EXTENSIONS": extensions,
        # The limiter spaces requests to a host across processes; Scrapy's
        # random 0.5–1.5× jitter would make `delay` a different number per process.
        **_no_jitter(),
        "SITEAUDIT_PROGRESS": False,  # the coordinator reports the whole run's progress
        "SITEAUDIT_QUEUE_PROGRESS": progress,
        "SITEAUDIT_QUEUE_URL": redis_url,
        "SITEAUDIT_QUEUE_RUN": run_id,
        "SITEAUDIT_QUEUE_NODE": node or node_id(role),
        "SITEAUDIT_QUEUE_ROLE": role,
        "SITEAUDIT_QUEUE_A11Y": a11y,
        "SITEAUDIT_QUEUE_LEASE": lease,
        "SITEAUDIT_QUEUE_HEARTBEAT": heartbeat,
        "SITEAUDIT_QUEUE_LOST_AFTER": lost_after,
        "SITEAUDIT_QUEUE_REBUILD": rebuild,
    }
