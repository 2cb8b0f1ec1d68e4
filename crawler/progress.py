"""Progress on stderr, by stage: 爬取 (crawl), 無障礙檢測 (browser), 判斷 (judging), 報表 (reports).

SPEC "Progress (pages done, queued, findings, rate) goes to stderr"; issue 14
must-have 7: each stage has its own count, one rate and an ETA.  On a
terminal each stage is one tqdm bar; under cron or CI (no TTY) a plain line
every PLAIN_EVERY seconds and at each stage's end, so logs stay readable.

The crawl stage is a Scrapy extension that only reacts to signals (the
queue length is counted from `request_scheduled` / `request_left_downloader`
/ `request_dropped`, not read from Scrapy's private scheduler).  The browser
stage polls the runner's public `progress()` counters.
"""
from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from checks.model import LinkOutcome
from crawler.items import LinkItem, PageItem

PLAIN_EVERY = 15.0


def _eta(remaining: float, rate: float) -> str:
    if rate <= 0 or remaining <= 0:
        return ""
    seconds = int(remaining / rate)
    if seconds >= 3600:
        return f"，約 {seconds // 3600} 小時 {seconds % 3600 // 60} 分後完成"
    if seconds >= 60:
        return f"，約 {seconds // 60} 分 {seconds % 60} 秒後完成"
    return f"，約 {seconds} 秒後完成"


class Stage:
    """One stage's counter: a tqdm bar on a terminal, plain lines otherwise."""

    def __init__(self, name: str, unit: str = "頁", total: int | None = None, *, enabled: bool = True,
                 stream: TextIO | None = None, tty: bool | None = None):
        self.name, self.unit, self.total = name, unit, total
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.done = 0
        self.queued: int | None = None
        self.extra = ""
        self.started = time.monotonic()
        self._last_plain = self.started
        self._bar: Any = None
        if enabled and self.tty:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit=unit, desc=name, file=self.stream, dynamic_ncols=True, leave=True)

    def rate(self) -> float:
        return self.done / max(time.monotonic() - self.started, 1e-6)

    def update(self, done: int | None = None, *, advance: int = 0, queued: int | None = None, total: int | None = None,
               extra: str | None = None) -> None:
        if done is not None:
            delta = done - self.done
            self.done = done
        else:
            delta = advance
            self.done += advance
        if queued is not None:
            self.queued = queued
        if total is not None:
            self.total = total
        if extra is not None:
            self.extra = extra
        if not self.enabled:
            return
        if self._bar is not None:
            if total is not None:
                self._bar.total = total
            if delta:
                self._bar.update(delta)
            self._bar.set_postfix_str(self._postfix(with_rate=False), refresh=False)
        elif time.monotonic() - self._last_plain >= PLAIN_EVERY:
            self._plain()

    def _remaining(self) -> float:
        if self.total is not None:
            return max(self.total - self.done, 0)
        return float(self.queued or 0)

    def _postfix(self, with_rate: bool = True) -> str:
        parts = []
        if self.queued is not None and self.total is None:
            parts.append(f"待處理 {self.queued}")
        if self.extra:
            parts.append(self.extra)
        text = "，".join(parts)
        rate = self.rate()
        if with_rate:
            text = (text + "，" if text else "") + f"{rate:.1f} {self.unit}/秒"
        return text + _eta(self._remaining(), rate)

    def _plain(self) -> None:
        self._last_plain = time.monotonic()
        count = f"{self.done}/{self.total}" if self.total is not None else f"{self.done}"
        print(f"[siteaudit] {self.name}：{count} {self.unit}，{self._postfix()}", file=self.stream, flush=True)

    def close(self) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.set_postfix_str(self._postfix(with_rate=False), refresh=False)
            self._bar.close()
        else:
            count = f"{self.done}/{self.total}" if self.total is not None else f"{self.done}"
            secs = time.monotonic() - self.started
            print(f"[siteaudit] {self.name}完成：{count} {self.unit}，{secs:.1f} 秒", file=self.stream, flush=True)


class CrawlProgress:
    """Scrapy extension: the crawl stage, and the browser stage beside it."""

    def __init__(self, crawler: Any):
        if not crawler.settings.getbool("SITEAUDIT_PROGRESS", False):
            raise NotConfigured
        self.crawler = crawler
        self.scheduled = self.left = self.dropped = 0
        self.problems = 0
        self.pages: set[str] = set()  # a page reached twice by redirects counts once
        self.crawl: Stage | None = None
        self.browser: Stage | None = None
        self._poll: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlProgress:
        o = cls(crawler)
        s = crawler.signals
        s.connect(o.spider_opened, signal=signals.spider_opened)
        s.connect(o.spider_closed, signal=signals.spider_closed)
        s.connect(o.item_scraped, signal=signals.item_scraped)
        s.connect(o.request_scheduled, signal=signals.request_scheduled)
        s.connect(o.request_left, signal=signals.request_left_downloader)
        s.connect(o.request_dropped, signal=signals.request_dropped)
        s.connect(o.spider_idle, signal=signals.spider_idle)
        return o

    def spider_idle(self, spider: Any = None) -> None:
        """Nothing left to fetch: the crawl stage is over (the browsers may
        still be working through their queue)."""
        if self.crawl is not None and self.scheduled - self.left - self.dropped <= 0:
            self.crawl.update(len(self.pages), queued=0, extra=f"連結問題 {self.problems}")
            self.crawl.close()
            self.crawl = None

    def spider_opened(self, spider: Any = None) -> None:
        self.crawl = Stage("爬取")
        self._poll = task.LoopingCall(self.tick)
        self._poll.start(1.0, now=False)

    def _runner(self) -> Any:
        return getattr(self.crawler, "_siteaudit_runner", None)

    def request_scheduled(self, request: Any, spider: Any = None) -> None:
        self.scheduled += 1

    def request_left(self, request: Any, spider: Any = None) -> None:
        self.left += 1

    def request_dropped(self, request: Any, spider: Any = None) -> None:
        self.dropped += 1

    def item_scraped(self, item: Any, response: Any = None, spider: Any = None) -> None:
        if isinstance(item, PageItem) and item.url not in self.pages:
            self.pages.add(item.url)
        elif isinstance(item, LinkItem) and item.result.outcome in (LinkOutcome.broken, LinkOutcome.unreachable):
            self.problems += 1

    def tick(self) -> None:
        if self.crawl is not None:
            queued = max(self.scheduled - self.left - self.dropped, 0)
            self.crawl.update(len(self.pages), queued=queued, extra=f"連結問題 {self.problems}")
        runner = self._runner()
        progress = getattr(runner, "progress", None)
        if progress is not None:
            done, queued, failed = progress()
            if self.browser is None and (done or queued):
                self.browser = Stage("無障礙檢測")
            if self.browser is not None:
                self.browser.update(done, queued=queued, extra=f"未完成 {failed}" if failed else "")

    def spider_closed(self, spider: Any = None, reason: str = "") -> None:
        if self._poll is not None and self._poll.running:
            self._poll.stop()
        self.tick()
        if self.crawl is not None:
            self.crawl.close()
        if self.browser is not None:
            self.browser.close()
