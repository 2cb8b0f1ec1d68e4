"""The crawl stage: one Scrapy process gathering facts into the state store.

SPEC "Command line / crawl".  `run_crawl()` builds the Scrapy settings from
the Config (crawler/settings.py), runs `CrawlerProcess` once, and returns
what the crawl itself knows (close reason, traps skipped, limits hit).  The
facts are in the store; judging and writing outputs are crawler/judge.py and
crawler/outputs.py.  `crawl --queue` (crawler/queue/) runs the same session
with its own spider class and settings on top (`spider_cls`,
`extra_settings`, `spider_args`), so stopping and logging are this module's.

Stopping (issue 11): SIGTERM/SIGINT ask Scrapy to stop gracefully, abandon
the browser work at once, and force the reactor down after STOP_GRACE
seconds, so the run ends within 10 s in every phase of the crawl.  What was
in flight is simply not in the store: `--resume` fetches it again.

Logging: Scrapy's own log goes to `<state>/crawl.log`, never to the
terminal, and a logging failure (full disk) is swallowed: people read one
Chinese line per problem, not tracebacks.
"""
from __future__ import annotations

import logging
import shutil
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler.config import Config

STOP_GRACE = 6.0  # seconds between the signal and a forced stop


@dataclass
class CrawlResult:
    close_reason: str  # Scrapy's: finished, shutdown, disk_full, …
    trap_skipped_count: int = 0
    limited: int = 0  # page links turned into checks by max_pages / max_depth
    stopped_by_signal: bool = False


class _QuietHandler(logging.FileHandler):
    """A log file that never complains: on a full disk logging must not
    print "--- Logging error ---" tracebacks to the terminal."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        pass


def _configure_logging(state_dir: Path) -> logging.Handler | None:
    try:
        handler: logging.Handler = _QuietHandler(state_dir / "crawl.log", encoding="utf-8", delay=True)
    except OSError:
        handler = logging.NullHandler()
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    for h in list(root.handlers):
        if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler):
            root.removeHandler(h)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    # robots.txt of dead external hosts is a finding, not news
    logging.getLogger("scrapy.downloadermiddlewares.robotstxt").setLevel(logging.CRITICAL)
    return handler


class CrawlSession:
    """One run of the Scrapy process, stoppable from a signal handler."""

    def __init__(self, cfg: Config, state_dir: Path, *, mode: str = "site", resume: bool = False,
                 progress: bool = True, a11y_factory: Any = None, check_urls: tuple[str, ...] = (),
                 doc_cache: Path | None = None, policy: Any = None, spider_cls: type | None = None,
                 extra_settings: dict[str, Any] | None = None, spider_args: dict[str, Any] | None = None):
        self.cfg = cfg
        self.state_dir = state_dir
        self.mode = mode
        self.resume = resume
        self.progress = progress
        self.a11y_factory = a11y_factory
        self.check_urls = check_urls
        self.doc_cache = doc_cache
        if policy is None:
            from crawler.netguard import AddressPolicy

            policy = AddressPolicy.for_hosts(cfg.allowed_hosts, allow_private=cfg.links.allow_private)
        self.policy = policy
        self.spider_cls = spider_cls  # None: crawler.spider.SiteSpider
        self.extra_settings = dict(extra_settings or {})  # over settings_for's, same priority
        self.spider_args = dict(spider_args or {})
        self.runner: Any = None
        self.crawler: Any = None
        self.stop_requested = threading.Event()

    def _make_runner(self) -> Any:
        self.runner = self.a11y_factory()
        if self.crawler is not None:
            self.crawler._siteaudit_runner = self.runner  # the progress display reads its public counters
        if self.stop_requested.is_set():
            self.runner.abort()
        return self.runner

    def request_stop(self) -> None:
        """From a signal handler: stop gracefully, then for good."""
        from twisted.internet import reactor

        first = not self.stop_requested.is_set()
        self.stop_requested.set()
        if self.runner is not None:
            self.runner.abort()
        if first:
            reactor.callFromThread(self._graceful)
            reactor.callFromThread(reactor.callLater, STOP_GRACE, self._force)
        else:
            reactor.callFromThread(self._force)

    def _graceful(self) -> None:
        from crawler.pipelines import stop_crawl

        if self.crawler is not None and self.crawler.engine is not None:
            stop_crawl(self.crawler, "shutdown")

    @staticmethod
    def _force() -> None:
        from twisted.internet import reactor

        if reactor.running:
            reactor.stop()  # type: ignore[misc]  # twisted types the global reactor as a module

    def run(self) -> CrawlResult:
        from scrapy.crawler import CrawlerProcess
        from scrapy.settings import Settings

        from crawler import settings as project_settings
        from crawler.settings import settings_for
        from crawler.spider import SiteSpider

        job = self.state_dir / "job"
        if self.resume and job.exists():
            # The frontier is rebuilt from the store (crawler/resume.py); a
            # queue left by a killed run may be torn, and would double requests.
            shutil.rmtree(job, ignore_errors=True)
        handler = _configure_logging(self.state_dir)
        settings = Settings()
        settings.setmodule(project_settings, priority="project")
        def make_runner() -> Any:
            # A plain function, not the bound method: Scrapy deep-copies its
            # settings, and a function is copied by reference (the session,
            # holding locks, is not copied at all).
            return self._make_runner()

        settings.update(settings_for(self.cfg, str(self.state_dir), progress=self.progress, resume=self.resume,
                                     a11y_factory=make_runner if self.a11y_factory else None,
                                     doc_cache=str(self.doc_cache) if self.doc_cache else None,
                                     policy=self.policy),
                        priority="cmdline")
        settings.update(self.extra_settings, priority="cmdline")
        settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(self.spider_cls or SiteSpider)
        self.crawler = crawler
        previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}

        def on_signal(signum: int, frame: Any) -> None:
            self.request_stop()

        in_main = threading.current_thread() is threading.main_thread()
        for s in previous if in_main else ():
            signal.signal(s, on_signal)
        try:
            process.crawl(crawler, config=self.cfg, mode=self.mode, check_urls=self.check_urls, **self.spider_args)
            process.start(install_signal_handlers=False)
        finally:
            for s, h in previous.items() if in_main else ():
                signal.signal(s, h)
            if self.runner is not None and self.stop_requested.is_set():
                self.runner.abort()
            if handler is not None:
                logging.getLogger().removeHandler(handler)
                handler.close()
        stats = crawler.stats
        reason = stats.get_value("siteaudit/stop_reason") or stats.get_value("finish_reason") or "finished"
        if self.stop_requested.is_set():
            reason = "shutdown"
        return CrawlResult(
            close_reason=str(reason),
            trap_skipped_count=int(stats.get_value("siteaudit/trap_skipped_count") or 0),
            limited=int(stats.get_value("siteaudit/limited") or 0),
            stopped_by_signal=self.stop_requested.is_set(),
        )


def versions(with_browser: bool) -> dict[str, str]:
    """Tool, Python, Scrapy and (when accessibility is on) axe-core and browser versions."""
    import platform

    import scrapy

    from crawler.version import TOOL_VERSION

    out = {"tool": TOOL_VERSION, "python": platform.python_version(), "scrapy": scrapy.__version__}
    if with_browser:
        from crawler import a11y

        out.update({"axe_core": a11y.axe_version(), "browser": a11y.browser_version()})
    return out
