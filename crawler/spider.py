"""The `site` spider: what to follow, and the facts each response gives.

SPEC "Command line / crawl" and the link rules.  In-scope HTML pages are
crawled (GET) and every link target on them is fetched once: pages by the
crawl itself, everything else with HEAD (GET when a server rejects HEAD, or
when an external #fragment needs the target's HTML).  External targets are
checked, never crawled.  The spider yields facts (`PageItem`, `LinkItem`,
`SitemapItem`); pipelines store them; the checks judge after the crawl.

Works the Scrapy way too: `scrapy crawl site -a url=https://... [-a config=site.toml]`.
"""
from __future__ import annotations

import re
from pathlib import Path
from functools import lru_cache
from typing import Any, Iterator
from urllib.parse import parse_qsl, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import StopDownload
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from checks.model import FailureStatus, LinkResult
from checks.page import Link, Page
from checks.urls import normalize_url
from crawler.config import Config, load_config, with_overrides
from crawler.items import LinkItem, PageItem, SitemapItem
from crawler.outcomes import classify_failure, outcome_for_status

HTML_TYPES = ("text/html", "application/xhtml+xml")

# Extensions that are files, not pages: checked with HEAD, never crawled.
FILE_EXTENSIONS = frozenset(
    "pdf doc docx xls xlsx ppt pptx odt ods odp odg rtf txt csv xml json zip rar 7z gz tar "
    "jpg jpeg png gif bmp svg webp ico tif tiff mp3 mp4 m4a wav avi mov wmv flv webm ogg "
    "css js woff woff2 ttf eot exe msi apk dmg iso kml kmz shp".split()
)

# Built-in trap guard (works with no config): a chain of pages that only
# differ in the query values of the same path (an endless calendar "next
# month", a paginator with no end) stops after this many hops.
TRAP_CHAIN_LIMIT = 30
MAX_URL_LENGTH = 1024
MAX_SEGMENT_REPEAT = 3


def _file_extension(url: str) -> str:
    path = urlsplit(url).path
    last = path.rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[-1].lower() if "." in last else ""


def _trap_key(url: str) -> tuple[str, str, tuple[str, ...]]:
    parts = urlsplit(url)
    names = tuple(sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}))
    return parts.netloc, parts.path, names


def _looks_like_trap(url: str) -> bool:
    if len(url) > MAX_URL_LENGTH:
        return True
    segments = [s for s in urlsplit(url).path.split("/") if s]
    return any(segments.count(s) > MAX_SEGMENT_REPEAT for s in set(segments))


def _chain(response: Response) -> tuple[str, ...]:
    """The redirect chain walked to reach this response, final URL included."""
    hops = response.meta.get("redirect_urls") or ()
    return (*hops, response.url) if hops else ()


class SiteSpider(scrapy.Spider):
    name = "site"

    def __init__(self, url: str | None = None, config: Config | str | None = None,
                 store: Any = None, recurse: bool = True, check_urls: tuple[str, ...] = (),
                 a11y_runner: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        if not isinstance(config, Config):
            config = with_overrides(load_config(config), start_url=url)
        elif url:
            config = with_overrides(config, start_url=url)
        self.cfg: Config = config
        self.start_urls = list(config.site.start_urls)
        self.hosts = config.allowed_hosts
        self.page_exclude = [re.compile(p) for p in config.crawl.exclude]
        self.link_exclude = [re.compile(p) for p in config.links.exclude]
        if store is None:
            # `scrapy crawl site -a url=...`: facts go to a state store in the
            # working directory (-a state=DIR to choose); `siteaudit crawl`
            # then writes the reports.
            from crawler.store import Store

            store = Store(Path(kwargs.get("state", ".siteaudit-state")) / "audit.sqlite")
        self.store = store
        self.a11y_runner = a11y_runner  # crawler/a11y.py pool, fed by AccessibilityPipeline
        # url -> method already requested this run (GET covers HEAD)
        self.requested: dict[str, str] = {}
        self.trap_skipped: list[str] = []
        self.pages_scheduled = 0
        # siteaudit check: the start pages only (their links are checked, not
        # crawled), plus link targets of local files to check
        self.recurse = recurse
        self.check_urls = tuple(check_urls)
        # Start URLs not yet handed to Scrapy, which asks for them lazily.  In
        # check mode a link from one target to a later one must not make it a
        # mere link check (HEAD) first: its own page request would then be
        # dropped as a repeat (issue 9: 「無法取得 …：200」).
        self.pending_starts: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._headers_received, signal=signals.headers_received)
        return spider

    # ---- scope ------------------------------------------------------------
    def in_scope(self, url: str) -> bool:
        if not url.startswith(("http://", "https://")):
            return False
        return self._host_in_scope(url.split("/", 3)[2])

    @lru_cache(maxsize=4096)
    def _host_in_scope(self, netloc: str) -> bool:
        host = (urlsplit(f"//{netloc}").hostname or "").lower()
        return any(host == h or host.endswith("." + h) for h in self.hosts)

    # ---- start ------------------------------------------------------------
    def _restore(self) -> None:
        """On --resume: what earlier runs already fetched is not asked again."""
        for url in self.store.page_urls():
            self.requested[url] = "GET"
        for url in self.store.link_urls():
            self.requested.setdefault(url, "HEAD")
        state = getattr(self, "state", {})  # Scrapy's SpiderState: kept in JOBDIR
        self.pages_scheduled = state.get("pages_scheduled", self.store.page_count())
        self.trap_skipped = list(state.get("trap_skipped", []))

    async def start(self):
        for request in self.start_requests():
            yield request

    def start_requests(self) -> Iterator[scrapy.Request]:
        self._restore()
        if not self.start_urls and not self.check_urls:
            return
        if not self.recurse:
            self.pending_starts = {norm[0] for url in self.start_urls if (norm := normalize_url(url, url))}
        for sm in self.cfg.site.sitemaps:
            yield scrapy.Request(sm, callback=self.parse_sitemap, errback=self.sitemap_failed,
                                 meta={"kind": "sitemap", "page_depth": 0}, priority=10)
        for url in self.check_urls:
            yield from self.follow(Link(url, url, "a"), depth=1, trap_run=0, parent_key=None, as_page_ok=False)
        for url in self.start_urls:
            norm = normalize_url(url, url)
            if norm:
                self.pending_starts.discard(norm[0])
                yield from self.follow(Link(norm[0], norm[0], "a"), depth=0, trap_run=0, parent_key=None)

    # ---- what to follow ---------------------------------------------------
    def follow(self, link: Link, depth: int, trap_run: int, parent_key: Any,
               as_page_ok: bool = True, need_body: bool = False) -> Iterator[scrapy.Request]:
        url = link.url
        # Most links of a page are the shared menu, already asked for: decide
        # that first, before any parsing.
        if depth and url in self.pending_starts:
            return  # fetched as a page when its start request comes; that records the link too
        have = self.requested.get(url)
        if have == "GET" or have == "TRAP" or (have == "HEAD" and not (need_body or link.fragment)):
            return
        if any(p.search(url) for p in self.link_exclude):
            return
        scope = self.in_scope(url)
        if not scope and not self.cfg.links.check_external:
            return
        as_page = (
            as_page_ok
            and (self.recurse or depth == 0)
            and scope
            and not link.is_resource
            and _file_extension(url) not in FILE_EXTENSIONS
            and not any(p.search(url) for p in self.page_exclude)
        )
        if as_page:
            key = _trap_key(url)
            run = trap_run + 1 if key == parent_key and key[2] else 0
            if run > TRAP_CHAIN_LIMIT or _looks_like_trap(url):
                if url not in self.requested and len(self.trap_skipped) < 1000:
                    self.trap_skipped.append(url)
                self.requested.setdefault(url, "TRAP")
                return
            max_depth, max_pages = self.cfg.crawl.max_depth, self.cfg.crawl.max_pages
            over = (max_depth and depth > max_depth) or (max_pages and self.pages_scheduled >= max_pages)
            if not over:
                self.requested[url] = "GET"
                self.pages_scheduled += 1
                yield scrapy.Request(
                    url, callback=self.parse_page, errback=self.request_failed,
                    meta={"kind": "page", "target": url, "page_depth": depth, "trap_run": run,
                          "trap_key": key},
                    priority=-depth,
                )
                return
        # a link check: fetched once, never parsed for links
        # a #fragment needs the target's HTML (pages crawled give it anyway)
        need_body = need_body or bool(link.fragment)
        method = "GET" if need_body else "HEAD"
        self.requested[url] = method
        yield scrapy.Request(
            url, method=method, callback=self.parse_check, errback=self.request_failed,
            meta={"kind": "check", "target": url, "need_body": need_body, "allow_offsite": True,
                  },
            dont_filter=have is not None,  # upgrading HEAD -> GET for an anchor
            priority=-depth - 1,
        )

    # ---- responses --------------------------------------------------------
    def _headers_received(self, headers, body_length, request, spider) -> None:
        """Stop downloading bodies nobody reads: link checks and non-HTML."""
        kind = request.meta.get("kind")
        if kind == "check" and request.method == "GET" and not request.meta.get("need_body"):
            raise StopDownload(fail=False)
        if kind in ("page", "check"):
            ctype = (headers.get(b"Content-Type") or b"").decode("latin-1").split(";")[0].strip().lower()
            if ctype and ctype not in HTML_TYPES:
                raise StopDownload(fail=False)

    @staticmethod
    def _content_type(response: Response) -> str:
        return (response.headers.get(b"Content-Type") or b"").decode("latin-1")

    def _is_html(self, response: Response) -> bool:
        ctype = self._content_type(response).split(";")[0].strip().lower()
        if ctype:
            return ctype in HTML_TYPES
        return isinstance(response, HtmlResponse)

    def _link_result(self, response: Response, anchors: frozenset[str] | None) -> LinkResult:
        status = response.status
        return LinkResult(
            url=response.meta["target"], status=status, outcome=outcome_for_status(status),
            redirects=_chain(response), final_url=response.url,
            content_type=self._content_type(response), anchors=anchors,
        )

    def parse_page(self, response: Response) -> Iterator[Any]:
        depth = response.meta.get("page_depth", 0)
        anchors = None
        redirected = response.url != response.meta["target"]
        if (
            self._is_html(response) and isinstance(response, TextResponse)
            and 200 <= response.status < 300 and self.in_scope(response.url)
        ):
            headers = {k.decode("latin-1").lower(): v[0].decode("latin-1") for k, v in response.headers.items() if v}
            page = Page(url=response.url, html=response.text, status=response.status, headers=headers,
                        content_type=self._content_type(response) or "text/html", depth=depth)
            anchors = page.anchors
            links = page.links
            # (a page reached twice through redirects is stored once: the store ignores repeats)
            yield PageItem(url=page.url, status=page.status, content_type=page.content_type, depth=depth,
                           headers=headers, html=page.html, meta=page.meta,
                           bytes=len(response.body), title=page.title, links=list(links),
                           malformed=list(page.malformed_links))
            parent_key = response.meta.get("trap_key")
            run = response.meta.get("trap_run", 0)
            # one fetch per target: if any link to it has a #fragment, GET it
            # at once rather than HEAD now and GET again for the anchor
            with_fragment = {link.url for link in links if link.fragment}
            for link in links:
                yield from self.follow(link, depth + 1, run, parent_key, need_body=link.url in with_fragment)
        result = self._link_result(response, anchors)
        yield LinkItem(result)
        if redirected and response.url not in self.requested:
            # a later link straight to the final URL needs no second fetch
            self.requested[response.url] = "GET"
            yield LinkItem(LinkResult(url=response.url, status=response.status, outcome=result.outcome,
                                      final_url=response.url, content_type=result.content_type, anchors=anchors))

    def parse_check(self, response: Response) -> Iterator[Any]:
        if response.request.method == "HEAD" and response.status in (403, 405, 501) and not response.meta.get("head_fallback"):
            # Some servers refuse HEAD: ask again with GET (body not downloaded).
            meta = {k: response.meta[k] for k in ("kind", "target", "need_body", "allow_offsite") if k in response.meta}
            yield response.request.replace(method="GET", dont_filter=True, meta={**meta, "head_fallback": True})
            return
        anchors = None
        if response.meta.get("need_body") and self._is_html(response) and isinstance(response, TextResponse):
            anchors = Page(url=response.url, html=response.text).anchors
        yield LinkItem(self._link_result(response, anchors))

    def request_failed(self, failure) -> Iterator[Any]:
        request = failure.request
        status, outcome, error = classify_failure(failure)
        redirects = tuple(request.meta.get("redirect_urls", ()))
        if status in (FailureStatus.redirect_loop, FailureStatus.too_many_redirects):
            redirects = redirects + (request.url,)
        yield LinkItem(LinkResult(url=request.meta.get("target", request.url), status=status, outcome=outcome,
                                  redirects=redirects, error=error))

    # ---- sitemaps ---------------------------------------------------------
    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        body = response.body
        if response.status >= 400 or not body:
            self.logger.warning("sitemap %s: HTTP %s", response.url, response.status)
            return
        if response.url.endswith("/robots.txt"):
            for u in sitemap_urls_from_robots(response.text, base_url=response.url):
                yield scrapy.Request(u, callback=self.parse_sitemap, meta={"kind": "sitemap"})
            return
        try:
            sm = Sitemap(body)
        except Exception as e:  # malformed XML: say so, keep crawling
            self.logger.warning("sitemap %s unreadable: %s", response.url, e)
            return
        if sm.type == "sitemapindex":
            for entry in sm:
                if entry.get("loc"):
                    yield scrapy.Request(entry["loc"], callback=self.parse_sitemap, errback=self.sitemap_failed,
                                         meta={"kind": "sitemap"})
            return
        lastmod: dict[str, str] = {}
        for entry in sm:
            norm = normalize_url(entry.get("loc") or "", response.url)
            if norm is None:
                continue
            loc = norm[0]
            if entry.get("lastmod"):
                lastmod[loc] = entry["lastmod"].strip()
            if self.in_scope(loc):
                yield from self.follow(Link(loc, loc, "a"), depth=1, trap_run=0, parent_key=None)
        if lastmod:
            yield SitemapItem(lastmod)

    def sitemap_failed(self, failure) -> None:
        self.logger.warning("sitemap %s failed: %s", failure.request.url, failure.value)

    def closed(self, reason: str) -> None:
        if hasattr(self, "state"):
            self.state["pages_scheduled"] = self.pages_scheduled
            self.state["trap_skipped"] = self.trap_skipped[:1000]
        if self.store is not None:
            self.store.set_info("trap_skipped", self.trap_skipped[:200])
            self.store.set_info("close_reason", reason)
            self.store.commit()
