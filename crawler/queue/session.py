"""One process's crawl in a queued run: crawler/crawl.py's `CrawlSession`
with the queue's spider and settings, and its browser stage stopped with it.

Coordinator and workers run the same Scrapy process as `siteaudit crawl`
(logging to `<state>/crawl.log`, SIGTERM/SIGINT stop it gracefully and then
for good within seconds); what differs is `QueueSpider`, the settings of
crawler/queue/settings.py on top, and the browser stage, which has its own
job queue and so is not the session's runner: a signal aborts it too, and
its unfinished jobs go back to the queue.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from crawler.crawl import CrawlSession


class QueueSession(CrawlSession):
    def __init__(self, cfg: Any, state_dir: Path, *, queue_settings: dict[str, Any], role: str,
                 stage: Any = None, **kwargs: Any):
        from crawler.queue.spider import QueueSpider

        super().__init__(cfg, state_dir, mode="site", a11y_factory=None, spider_cls=QueueSpider,
                         extra_settings=queue_settings, spider_args={"role": role}, **kwargs)
        self.stage = stage

    def request_stop(self) -> None:
        if self.stage is not None:
            self.stage.abort()
        super().request_stop()
