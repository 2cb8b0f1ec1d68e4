"""Scope and trap guard: the one spider middleware deciding what the crawl fetches.

SPEC "Command line / crawl", `[crawl] exclude`, `max_pages`, `max_depth`,
`[links] exclude`, `check_external`; issue 11 must-have 7 (a general trap
guard) and issue 15 (scope and trap guard are one middleware).

The spider says what it would like: a page to crawl (GET, parsed) or a link
target to check (HEAD).  This middleware decides, for every such request:

* only http(s) is ever fetched;
* `[links] exclude` targets are not fetched; external targets are dropped
  when external checking is off;
* a page request becomes a link check (HEAD: its outcome is still known, its
  links are not followed) when it is excluded by `[crawl] exclude`, deeper
  than `max_depth`, or beyond `max_pages`;
* a page request is skipped as a **trap** when its URL shape says so — and
  every skipped trap is recorded with its reason and pattern.

URL shapes.  A URL's *pattern* replaces the parts that vary between pages
of one template: path segments that look like dates (`2026`, `2026-11`,
`20261101`) or numbers become `{n}`, token-like segments (16+ characters
mixing letters and digits, or hex of 8+ with both) become `{t}`, query
values become `{v}` and the query keys are sorted.  The *chain key* is the
host plus the normalised path without the query, so alternating query-key
sets (`?a=1` → `?b=1` → `?a=2&b=1`) stay one chain.

Traps, decided on shapes (no config needed):
* a chain of more than `CHAIN_LIMIT` pages, each found on the previous one,
  with the same chain key (an endless calendar "next month", a paginator with
  no end, a fresh token on every click);
* more than `FANOUT_BUDGET` pages of one chain key found deep inside such a
  chain (more than `DEEP_RUN` hops): fan-out traps, every page linking to
  several new variants of itself.  A real archive's items are found from its
  list pages (another shape), so few of them sit deep in a chain of their own;
* more than `PATTERN_BUDGET` pages of one chain key in all, or `TOKEN_BUDGET`
  when the path holds a token (the same pages again under a session in the
  path);
* a URL longer than 1,024 characters, or a path repeating one segment more
  than 3 times (`/a/b/a/b/a/b/…` from a relative-link bug).

The budgets are generous on purpose: a CMS serves all its articles from one
script (`/News_Content.aspx?n=…&s=…`), and legitimate archives end; traps do
not.  A URL skipped as a trap from one chain may still be crawled when it is
later found on another path (the dupefilter never saw it).

Dedupe itself is the dupefilter's job (crawler/dupefilter.py); the guard
keeps its own set of page URLs only to count each page once.  What it skips
it reports as `TrapItem`s in the spider's output (the pipeline stores them),
and `max_pages` is counted by a `PageBudget` named by the
SITEAUDIT_PAGE_BUDGET setting, so a crawl spread over processes can share one
budget (crawler/queue/).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from scrapy import Request, signals
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware
from scrapy.utils.misc import load_object

from crawler.config import safe_search
from crawler.items import TrapItem

CHAIN_LIMIT = 40
DEEP_RUN = 2
FANOUT_BUDGET = 300
PATTERN_BUDGET = 5000
TOKEN_BUDGET = 100
MAX_URL_LENGTH = 1024
MAX_SEGMENT_REPEAT = 3
MAX_RECORDED_TRAPS = 1000

_DATE_SEGMENT = re.compile(r"^(?:\d{4}[-_.]?\d{1,2}(?:[-_.]?\d{1,2})?|\d{6}|\d{8})$")
_NUMBER = re.compile(r"^\d+$")
_TOKEN = re.compile(r"^(?=[^/]*[A-Za-z])(?=[^/]*\d)[A-Za-z0-9_\-]{16,}$|^(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{8,}$")
_STEM = re.compile(r"^(?P<stem>[^.]+)(?P<ext>\.[A-Za-z0-9]{1,5})$")

TRAP_REASON_CHAIN = "連續 {n} 頁只有網址中的日期、數字或參數不同（例如無止境的行事曆或分頁），疑似爬蟲陷阱"
TRAP_REASON_BUDGET = "同一種網址樣式已超過 {n} 頁，疑似爬蟲陷阱"
TRAP_REASON_FANOUT = "同一種網址樣式一再衍生新網址（已有 {n} 頁是由同樣式網頁連續連出），疑似爬蟲陷阱"
TRAP_REASON_LONG = "網址超過 1,024 個字元，疑似爬蟲陷阱"
TRAP_REASON_REPEAT = "網址路徑重複同一段超過 3 次（常見於相對連結錯誤），疑似爬蟲陷阱"


def _segment_shape(seg: str) -> tuple[str, bool]:
    """(shape, is_token) of one path segment."""
    m = _STEM.match(seg)
    stem, ext = (m.group("stem"), m.group("ext")) if m else (seg, "")
    if _DATE_SEGMENT.match(stem) or _NUMBER.match(stem):
        return "{n}" + ext, False
    if _TOKEN.match(stem):
        return "{t}" + ext, True
    return seg, False


@dataclass(frozen=True)
class UrlShape:
    chain_key: str  # host + normalised path (no query)
    pattern: str  # chain_key + sorted query keys
    has_token: bool


def url_shape(url: str) -> UrlShape:
    parts = urlsplit(url)
    shapes = [_segment_shape(s) for s in parts.path.split("/")]
    path = "/".join(s for s, _ in shapes)
    chain_key = f"{parts.netloc.lower()}{path}"
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    pattern = chain_key + ("?" + "&".join(f"{k}={{v}}" for k in keys) if keys else "")
    return UrlShape(chain_key, pattern, any(t for _, t in shapes))


@dataclass
class TrapGuard:
    """The trap logic, pure: no Scrapy, no I/O (unit-tested on URLs)."""

    chain_limit: int = CHAIN_LIMIT
    pattern_budget: int = PATTERN_BUDGET
    token_budget: int = TOKEN_BUDGET
    pages_per_chain_key: Counter[str] = field(default_factory=Counter)
    deep_per_chain_key: Counter[str] = field(default_factory=Counter)
    skipped: list[dict[str, str]] = field(default_factory=list)
    skipped_count: int = 0

    def chain_run(self, url: str, parent_chain_key: str | None, parent_run: int) -> int:
        return parent_run + 1 if parent_chain_key is not None and url_shape(url).chain_key == parent_chain_key else 0

    def verdict(self, url: str, run: int) -> str | None:
        """None when the page may be crawled, else the (zh) reason it is a trap."""
        if len(url) > MAX_URL_LENGTH:
            return TRAP_REASON_LONG
        segments = [s for s in urlsplit(url).path.split("/") if s]
        if any(segments.count(s) > MAX_SEGMENT_REPEAT for s in set(segments)):
            return TRAP_REASON_REPEAT
        if run > self.chain_limit:
            return TRAP_REASON_CHAIN.format(n=self.chain_limit)
        shape = url_shape(url)
        if run > DEEP_RUN and self.deep_per_chain_key[shape.chain_key] >= FANOUT_BUDGET:
            return TRAP_REASON_FANOUT.format(n=FANOUT_BUDGET)
        budget = self.token_budget if shape.has_token else self.pattern_budget
        if self.pages_per_chain_key[shape.chain_key] >= budget:
            return TRAP_REASON_BUDGET.format(n=budget)
        return None

    def admit(self, url: str, run: int = 0) -> None:
        key = url_shape(url).chain_key
        self.pages_per_chain_key[key] += 1
        if run > DEEP_RUN:
            self.deep_per_chain_key[key] += 1

    def record(self, url: str, reason: str) -> None:
        self.skipped_count += 1
        if len(self.skipped) < MAX_RECORDED_TRAPS:
            self.skipped.append({"url": url, "reason": reason, "pattern": url_shape(url).pattern})


class PageBudget:
    """`[crawl] max_pages` in one process: `take()` says whether one more page fits."""

    def __init__(self, crawler: Any, limit: int, used: int = 0):
        self.limit = limit
        self.used = used

    def take(self) -> bool:
        if self.limit and self.used >= self.limit:
            return False
        self.used += 1
        return True


class ScopeGuardMiddleware(BaseSpiderMiddleware):
    """Decides every page/check request the spider yields (module docstring).

    Requests carry `meta["kind"]` ("page" or "check"), `page_depth`, and for
    pages `chain` / `chain_key` (the trap chain so far).  Other requests
    (robots.txt, sitemaps, retries, redirects) pass untouched.
    """

    def __init__(self, crawler: Any):
        super().__init__(crawler)
        s = crawler.settings
        self._policy_read = False
        self.hosts: tuple[str, ...] = ()
        self.check_external = True
        self.page_exclude: tuple[str, ...] = ()
        self.link_exclude: tuple[str, ...] = ()
        self.max_pages = self.max_depth = 0
        self.recurse = True
        self.guard = TrapGuard()
        self.budget: PageBudget | None = None
        self._resumed_pages = 0
        self._pending_traps: list[TrapItem] = []
        self.pages: set[str] = set()  # page URLs admitted (each counted once)
        self.limited = 0  # pages turned into checks by max_pages / max_depth
        self._scope_cache: dict[str, bool] = {}
        path = s.get("SITEAUDIT_STATE_DB")
        if path and s.getbool("SITEAUDIT_RESUME"):
            from crawler.store import Store

            store = Store(path, readonly=True)
            try:
                urls = store.page_urls_in_order()
                self.restore(urls)
                self._resumed_pages = len(urls)
            finally:
                store.close()
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    # ---- scope -------------------------------------------------------------
    def in_scope(self, url: str) -> bool:
        netloc = url.split("/", 3)[2] if url.count("/") >= 2 else ""
        hit = self._scope_cache.get(netloc)
        if hit is None:
            host = (urlsplit(f"//{netloc}").hostname or "").lower()
            hit = self._scope_cache[netloc] = any(host == h or host.endswith("." + h) for h in self.hosts)
        return hit

    def spider_closed(self, spider: Any = None, reason: str = "") -> None:
        stats = self.crawler.stats
        stats.set_value("siteaudit/trap_skipped_count", self.guard.skipped_count)
        stats.set_value("siteaudit/limited", self.limited)

    def restore(self, page_urls: list[str]) -> None:
        """On --resume: the pages already crawled count toward limits and budgets."""
        for url in page_urls:
            if url not in self.pages:
                self.pages.add(url)
                self.guard.admit(url)

    def _read_policy(self) -> None:
        """The policy is the spider's Config (one source; the Scrapy way
        builds it from `-a config=`)."""
        spider: Any = self.crawler.spider
        cfg = spider.cfg
        self.hosts = cfg.allowed_hosts
        self.check_external = cfg.links.check_external
        self.page_exclude = cfg.crawl.exclude
        self.link_exclude = cfg.links.exclude
        self.max_pages, self.max_depth = cfg.crawl.max_pages, cfg.crawl.max_depth
        self.recurse = str(spider.mode) == "site"
        budget_cls = load_object(self.crawler.settings.get("SITEAUDIT_PAGE_BUDGET") or PageBudget)
        self.budget = budget_cls(self.crawler, self.max_pages, self._resumed_pages)
        self._policy_read = True

    # ---- the decision ------------------------------------------------------
    def process_spider_output(self, response: Any, result: Any, spider: Any = None) -> Any:
        for o in super().process_spider_output(response, result):
            yield o
            yield from self._take_traps()

    async def process_spider_output_async(self, response: Any, result: Any, spider: Any = None) -> Any:
        async for o in super().process_spider_output_async(response, result):
            yield o
            for trap in self._take_traps():
                yield trap

    async def process_start(self, start: Any) -> Any:
        async for o in super().process_start(start):
            yield o
            for trap in self._take_traps():
                yield trap

    def _take_traps(self) -> list[TrapItem]:
        traps, self._pending_traps = self._pending_traps, []
        return traps

    def get_processed_request(self, request: Request, response: Any) -> Request | None:
        kind = request.meta.get("kind")
        if kind not in ("page", "check", "document"):
            return request
        if not self._policy_read:
            self._read_policy()
        url = request.url
        if not url.startswith(("http://", "https://")):
            return None
        if self.link_exclude and any(safe_search(p, url) for p in self.link_exclude):
            return None
        if kind != "page":
            if not self.check_external and not self.in_scope(url):
                return None
            return request
        return self._page(request)

    def _page(self, request: Request) -> Request | None:
        url = request.url
        if url in self.pages:
            return request  # the dupefilter drops it; counted once
        depth = request.meta.get("page_depth", 0)
        if self.page_exclude and any(safe_search(p, url) for p in self.page_exclude):
            return self.as_check(request)
        if not self.recurse and depth > 0:
            return self.as_check(request)
        reason = self.guard.verdict(url, request.meta.get("chain", 0))
        if reason is not None:
            self.guard.record(url, reason)
            forget = getattr(self.crawler.spider, "forget", None)
            if forget is not None:
                forget(url)
            if len(self._pending_traps) < 100:
                self._pending_traps.append(TrapItem(url, reason, url_shape(url).pattern))
            return None
        assert self.budget is not None
        if (self.max_depth and depth > self.max_depth) or not self.budget.take():
            self.limited += 1
            return self.as_check(request)
        self.pages.add(url)
        self.guard.admit(url, request.meta.get("chain", 0))
        return request

    def as_check(self, request: Request) -> Request:
        """A page request turned into a link check: fetched once, never parsed."""
        meta = {k: v for k, v in request.meta.items() if k not in ("chain", "chain_key")}
        meta["kind"] = "check"
        spider: Any = self.crawler.spider
        return request.replace(method="GET" if meta.get("need_body") else "HEAD", meta=meta,
                               callback=spider.parse_check, errback=spider.request_failed,
                               priority=request.priority - 1)
