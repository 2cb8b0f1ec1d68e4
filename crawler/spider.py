"""The `site` spider: what to fetch, and the facts each response gives.

SPEC "Command line / crawl" and the link rules.  One spider, two modes:

* `CrawlMode.site` (`siteaudit crawl`): in-scope HTML pages are crawled (GET)
  and every link target on them is fetched once: pages by the crawl itself,
  everything else with HEAD (GET when a server rejects HEAD, or when a
  #fragment needs the target's HTML).  External targets are checked, never
  crawled.
* `CrawlMode.targets` (`siteaudit check` with URLs): the start URLs are the
  pages, nothing is followed; `check_urls` are link targets to check.

The spider only says what it would like to fetch; the scope and trap guard
(crawler/guard.py, a spider middleware) decides, the dupefilter
(crawler/dupefilter.py) keeps each target to one fetch, and a resumed crawl's
frontier is rebuilt by crawler/resume.py.  The spider yields facts
(`PageItem`, `LinkItem`, `SitemapItem`, `FailedPageItem`); the pipeline
stores them (it owns the store); the checks judge after the crawl.

Works the Scrapy way too: `scrapy crawl site -a url=https://... [-a config=site.toml]`.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import StopDownload
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from checks.model import FailureStatus, LinkOutcome, LinkResult
from checks.page import Link, Page
from checks.urls import WebUrl, resolve
from crawler.config import Config, load_config, with_overrides
from crawler.documents import document_request_kwargs, facts_from_failure, facts_from_response, is_document
from crawler.guard import url_shape
from crawler.items import DocumentItem, FailedPageItem, LinkItem, NoticeItem, PageItem, SitemapItem
from crawler.netguard import AddressPolicy, policy_from_settings
from crawler.outcomes import classify_failure, outcome_for_status
from crawler.pagefacts import FactsPool

HTML_TYPES = ("text/html", "application/xhtml+xml")

# Extensions that are files, not pages: checked with HEAD, never crawled.
FILE_EXTENSIONS = frozenset(
    ["pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "odg", "rtf", "txt", "csv", "xml", "json", "zip", "rar", "7z", "gz", "tar", "jpg", "jpeg", "png", "gif", "bmp", "svg", "webp", "ico", "tif", "tiff", "mp3", "mp4", "m4a", "wav", "avi", "mov", "wmv", "flv", "webm", "ogg", "css", "js", "woff", "woff2", "ttf", "eot", "exe", "msi", "apk", "dmg", "iso", "kml", "kmz", "shp"]
)

# Sitemaps: an index may point to indexes, but not forever (issue 11).
SITEMAP_MAX_DEPTH = 5
SITEMAP_MAX_BYTES = 50 * 1024 * 1024
SITEMAP_MAX_FILES = 500


class CrawlMode(StrEnum):
    site = "site"  # siteaudit crawl: follow every in-scope page
    targets = "targets"  # siteaudit check URL…: these pages only, their links checked


def _merge_meta(kwargs: dict[str, Any], **meta: Any) -> dict[str, Any]:
    return {**kwargs, "meta": {**kwargs.get("meta", {}), **meta}}


def _file_extension(url: str) -> str:
    last = urlsplit(url).path.rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[-1].lower() if "." in last else ""


def _chain(response: Response) -> tuple[str, ...]:
    """The redirect chain walked to reach this response, final URL included."""
    hops = response.meta.get("redirect_urls") or ()
    return (*hops, response.url) if hops else ()


class SiteSpider(scrapy.Spider):
    name = "site"

    def __init__(self, url: str | None = None, config: Config | str | None = None,
                 mode: CrawlMode | str = CrawlMode.site, check_urls: tuple[str, ...] = (), **kwargs: Any):
        super().__init__(**kwargs)
        if not isinstance(config, Config):
            config = with_overrides(load_config(config), start_url=url)
        elif url:
            config = with_overrides(config, start_url=url)
        self.cfg: Config = config
        self.mode = CrawlMode(mode)
        self.start_urls = list(config.site.start_urls)
        self.hosts = config.allowed_hosts
        self.check_urls = tuple(check_urls)
        self.sitemap_bytes = 0
        self.sitemap_files = 0
        # Documents (issue 13): read once per run, remembered across runs.
        # What this process already asked for: url -> whether the body was
        # asked (GET).  Only a shortcut: most links of a page are the shared
        # menu, and building a Request for each of them, only for the
        # dupefilter to drop it, cost two thirds of the crawl.  The dupefilter
        # stays the authority (and is the shared one under --queue).
        self.asked: dict[str, bool] = {}
        self.documents_on = self.mode is CrawlMode.site and config.attachments.documents
        # In targets mode each start URL is fetched as a page by its own start
        # request; a link to it from another target needs no HEAD check first
        # (issue 9: 30 pages linking to each other were fetched twice).
        self.start_set = {h.url for u in self.start_urls if isinstance(h := resolve(u, u), WebUrl)} \
            if self.mode is CrawlMode.targets else set()
        self.doccache: Any = None
        self.doc_tmp: Path | None = None
        # each page's facts computed beside the crawl (crawler/pagefacts.py)
        self.facts_pool = FactsPool()

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> SiteSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._headers_received, signal=signals.headers_received)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        if not isinstance(crawler.settings.get("NETGUARD_POLICY"), AddressPolicy):
            # `scrapy crawl site -a url=…`: the address guard learns the site here
            policy_from_settings(crawler.settings).extend_scope(spider.hosts)
        if spider.documents_on:
            from crawler.doccache import DocumentCache

            cache_path = crawler.settings.get("SITEAUDIT_DOC_CACHE")
            spider.doccache = DocumentCache(cache_path) if cache_path else None
            state = crawler.settings.get("SITEAUDIT_STATE_DB") or ".siteaudit-state/audit.sqlite"
            spider.doc_tmp = Path(state).parent / "documents-tmp"
            spider.doc_tmp.mkdir(parents=True, exist_ok=True)
        return spider

    def _closed(self, spider: Any = None, reason: str = "") -> None:
        self.facts_pool.close()
        if self.doccache is not None:
            self.doccache.close()

    # ---- scope (the guard decides; the spider needs it to read responses) --
    def in_scope(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower() if url.startswith(("http://", "https://")) else ""
        return bool(host) and any(host == h or host.endswith("." + h) for h in self.hosts)

    # ---- start ------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        for request in self.start_requests():
            yield request

    def start_requests(self) -> Iterator[scrapy.Request]:
        if self.mode is CrawlMode.site:
            for sm in self.cfg.site.sitemaps:
                yield self._sitemap_request(sm, 0)
        for url in self.check_urls:
            yield self.request_for(Link(url, url, "a"), depth=1)
        for url in self.start_urls:
            hit = resolve(url, url)
            if isinstance(hit, WebUrl):
                yield self.request_for(Link(hit.url, hit.url, "a"), depth=0)

    # ---- what to fetch ----------------------------------------------------
    def request_for(self, link: Link, depth: int, parent_chain_key: str | None = None, parent_run: int = 0,
                    need_body: bool = False) -> scrapy.Request:
        """The request this link asks for: a page to crawl or a target to check.
        The guard may still turn a page into a check, or drop the request."""
        url = link.url
        as_page = (
            self.in_scope(url)
            and (self.mode is CrawlMode.site or depth == 0)
            and not link.is_resource
            and _file_extension(url) not in FILE_EXTENSIONS
        )
        need_body = need_body or bool(link.fragment)
        if self.documents_on and not link.is_resource and self.in_scope(url) and is_document(url):
            return scrapy.Request(url, callback=self.parse_document, errback=self.document_failed,
                                  priority=-depth - 1,
                                  **_merge_meta(document_request_kwargs(url, max_bytes=self.cfg.attachments.max_bytes,
                                                                        cache=self.doccache), page_depth=depth))
        if as_page:
            shape = url_shape(url)
            run = parent_run + 1 if parent_chain_key is not None and shape.chain_key == parent_chain_key else 0
            return scrapy.Request(
                url, callback=self.parse_page, errback=self.request_failed,
                meta={"kind": "page", "target": url, "page_depth": depth, "chain": run,
                      "chain_key": shape.chain_key, "need_body": need_body},
                priority=-depth,
            )
        return scrapy.Request(
            url, method="GET" if need_body else "HEAD", callback=self.parse_check, errback=self.request_failed,
            meta={"kind": "check", "target": url, "need_body": need_body, "page_depth": depth},
            priority=-depth - 1,
        )

    def follow_links(self, page_url: str, links: tuple[Link, ...] | list[Link], depth: int, chain_key: str | None,
                     run: int) -> Iterator[scrapy.Request]:
        # one fetch per target: if any link to it has a #fragment, GET it at
        # once rather than HEAD now and GET again for the anchor
        with_fragment = {link.url for link in links if link.fragment}
        asked = self.asked
        for link in links:
            url = link.url
            need_body = url in with_fragment
            had = asked.get(url)
            if had is not None and (had or not need_body):
                continue  # asked already (a HEAD is asked again only to get the body for an anchor)
            if url in self.start_set:
                continue  # fetched as a page by its own start request
            request = self.request_for(link, depth + 1, chain_key, run, need_body=need_body)
            asked[url] = request.method != "HEAD"
            yield request

    def forget(self, url: str) -> None:
        """The guard skipped `url` (a trap on this path): it may be asked again
        when another path leads to it."""
        self.asked.pop(url, None)

    # ---- responses --------------------------------------------------------
    def _headers_received(self, headers: Any, body_length: int, request: scrapy.Request, spider: Any) -> None:
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

    async def parse_page(self, response: Response) -> AsyncIterator[Any]:
        depth = response.meta.get("page_depth", 0)
        anchors = None
        target = response.meta["target"]
        if (
            self._is_html(response) and isinstance(response, TextResponse)
            and 200 <= response.status < 300 and self.in_scope(response.url)
        ):
            try:
                text = response.text
            except (UnicodeDecodeError, LookupError) as e:
                yield FailedPageItem(response.url, "parse", "網頁內容無法解碼", response.status, repr(e))
                yield LinkItem(self._link_result(response, None))
                return
            headers = {k.decode("latin-1").lower(): v[0].decode("latin-1")
                       for k, v in response.headers.items() if v}
            content_type = self._content_type(response) or "text/html"
            try:
                facts = await self.facts_pool.facts(response.url, text, content_type)
            except Exception as e:  # noqa: BLE001 - the worker died on this page: it is listed, not lost
                yield FailedPageItem(response.url, "parse", "網頁內容無法解析", response.status, repr(e)[:300])
                yield LinkItem(self._link_result(response, None))
                return
            anchors = facts.anchors
            links = [Link(*x) for x in facts.links]
            run = response.meta.get("chain", 0)
            chain_key = response.meta.get("chain_key")
            # (a page reached twice through redirects is stored once: the store ignores repeats)
            yield PageItem(url=response.url, status=response.status, content_type=content_type, depth=depth,
                           headers=headers, html=text, meta=facts.meta, bytes=len(response.body),
                           title=facts.title, links=links, malformed=facts.malformed, chain=run,
                           text_dates=facts.text_dates)
            for request in self.follow_links(response.url, links, depth, chain_key, run):
                yield request
        result = self._link_result(response, anchors)
        yield LinkItem(result)
        if response.url != target:
            # a later link straight to the final URL needs no second fetch
            yield LinkItem(LinkResult(url=response.url, status=response.status, outcome=result.outcome,
                                      final_url=response.url, content_type=result.content_type, anchors=anchors))

    def parse_check(self, response: Response) -> Iterator[Any]:
        if (response.request is not None and response.request.method == "HEAD"
                and response.status in (403, 405, 501) and not response.meta.get("head_fallback")):
            # Some servers refuse HEAD: ask again with GET (body not downloaded).
            keep = ("kind", "target", "need_body", "page_depth")
            meta = {k: response.meta[k] for k in keep if k in response.meta}
            yield response.request.replace(method="GET", dont_filter=True, meta={**meta, "head_fallback": True})
            return
        anchors = None
        if response.meta.get("need_body") and self._is_html(response) and isinstance(response, TextResponse):
            try:
                anchors = Page(url=response.url, html=response.text).anchors
            except (UnicodeDecodeError, LookupError):
                anchors = None
        yield LinkItem(self._link_result(response, anchors))

    def parse_document(self, response: Response) -> Iterator[Any]:
        facts = facts_from_response(response, max_bytes=self.cfg.attachments.max_bytes,
                                    tmp_dir=self.doc_tmp or Path("."), cache=self.doccache)
        row = facts.to_dict()
        row["fetch"] = "cached" if response.status == 304 else "downloaded"
        yield DocumentItem(response.meta["target"], row)
        yield LinkItem(self._link_result(response, None))

    def document_failed(self, failure: Any) -> Iterator[Any]:
        facts = facts_from_failure(failure, max_bytes=self.cfg.attachments.max_bytes)
        target = failure.request.meta.get("target", failure.request.url)
        yield DocumentItem(target, {**facts.to_dict(), "fetch": facts.status})
        if facts.status == "too-large":
            # Too big to read, not broken: the server was answering with it.
            yield LinkItem(LinkResult(url=target, status=200, outcome=LinkOutcome.ok, final_url=target,
                                      error="超過下載上限，未讀取內容"))
            return
        yield from self.request_failed(failure)

    def request_failed(self, failure: Any) -> Iterator[Any]:
        request = failure.request
        status, outcome, error = classify_failure(failure)
        redirects = tuple(request.meta.get("redirect_urls", ()))
        if status in (FailureStatus.redirect_loop, FailureStatus.too_many_redirects):
            redirects = redirects + (request.url,)
        target = request.meta.get("target", request.url)
        yield LinkItem(LinkResult(url=target, status=status, outcome=outcome, redirects=redirects, error=error))
        if request.meta.get("kind") == "page" and status in _UNKNOWN_CONTENT:
            # An in-scope page whose content never arrived, for a reason that
            # may pass: it was met, not audited (the run says so).  A refused
            # connection, an unknown host or a bad certificate is a broken
            # link for every visitor: a finding, not a gap in the audit.
            yield FailedPageItem(target, "fetch", _FETCH_REASON.get(status, "無法取得網頁"), str(status), error)

    # ---- sitemaps ---------------------------------------------------------
    def _sitemap_request(self, url: str, depth: int) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_sitemap, errback=self.sitemap_failed,
                              meta={"kind": "sitemap", "sitemap_depth": depth, "page_depth": 0}, priority=10)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        body = response.body
        if response.status >= 400 or not body:
            yield NoticeItem("sitemap", f"網站地圖 {response.url} 無法讀取（HTTP {response.status}）", response.url)
            return
        self.sitemap_bytes += len(body)
        self.sitemap_files += 1
        if self.sitemap_bytes > SITEMAP_MAX_BYTES or self.sitemap_files > SITEMAP_MAX_FILES:
            yield NoticeItem("sitemap", f"網站地圖總量超過上限（{SITEMAP_MAX_FILES} 個檔案或 50 MB），其餘不再讀取",
                             response.url)
            return
        depth = response.meta.get("sitemap_depth", 0)
        if response.url.endswith("/robots.txt"):
            for u in sitemap_urls_from_robots(response.text, base_url=response.url):
                if self.in_scope(u):
                    yield self._sitemap_request(u, depth + 1)
            return
        try:
            sm = Sitemap(body)
        except Exception:  # noqa: BLE001 - malformed XML: say so, keep crawling
            yield NoticeItem("sitemap", f"網站地圖 {response.url} 不是有效的 XML", response.url)
            return
        other_hosts = 0
        if sm.type == "sitemapindex":
            for entry in sm:
                hit = resolve(entry.get("loc") or "", response.url)
                if not isinstance(hit, WebUrl):
                    continue
                if not self.in_scope(hit.url):
                    other_hosts += 1
                elif depth + 1 > SITEMAP_MAX_DEPTH:
                    yield NoticeItem("sitemap", f"網站地圖索引層數超過 {SITEMAP_MAX_DEPTH} 層，{hit.url} 未讀取",
                                     hit.url)
                else:
                    yield self._sitemap_request(hit.url, depth + 1)
        else:
            lastmod: dict[str, str] = {}
            for entry in sm:
                hit = resolve(entry.get("loc") or "", response.url)
                if not isinstance(hit, WebUrl):
                    continue  # file:, ftp: … never read (issue 11)
                if not self.in_scope(hit.url):
                    other_hosts += 1
                    continue
                if entry.get("lastmod"):
                    lastmod[hit.url] = entry["lastmod"].strip()
                yield self.request_for(Link(hit.url, hit.url, "a"), depth=1)
            if lastmod:
                yield SitemapItem(lastmod)
        if other_hosts:
            yield NoticeItem("sitemap", f"網站地圖 {response.url} 有 {other_hosts} 筆其他網站的網址，已略過", response.url)

    def sitemap_failed(self, failure: Any) -> Iterator[Any]:
        status, _, _ = classify_failure(failure)
        yield NoticeItem("sitemap", f"網站地圖 {failure.request.url} 無法讀取（{status}）", failure.request.url)


_UNKNOWN_CONTENT = frozenset({FailureStatus.timeout, FailureStatus.error})
_FETCH_REASON = {
    FailureStatus.timeout: "連線逾時（已重試），未取得網頁內容",
    FailureStatus.refused: "伺服器拒絕連線，未取得網頁內容",
    FailureStatus.dns: "找不到主機，未取得網頁內容",
    FailureStatus.tls: "HTTPS 憑證錯誤，未取得網頁內容",
    FailureStatus.blocked: "位址受安全設定限制，未連線",
    FailureStatus.error: "連線錯誤，未取得網頁內容",
}
