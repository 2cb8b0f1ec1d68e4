"""The judging stage: every check over the stored pages, plus the site-level rules.

SPEC rule table and "Rules in detail".  Input: the state store the crawl
filled (pages, link outcomes, sitemap dates, axe results).  Output: the
findings, the pages.jsonl rows, and the pages whose judging failed.

Order of work:
1. site-level values computed across all pages first (the frozen template
   DC.Date, SPEC "Template values"), so each page's judgement can use them;
2. `checks.registry.run_page` on every page — in one process per core for
   a large audit (checks are CPU work on independent pages);
3. site-level findings once per run, on the home page.

A check that raises on a page (a defect of siteaudit, not of the page) makes
that page a `failed_pages` entry with stage "judge"; the other pages are
judged as usual and the run says it is incomplete.
"""
from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from checks import freshness, metadata, moda, site
from checks.documents import document_findings
from checks.model import CheckContext, Finding
from checks.page import Link, MalformedLink, Page
from checks.registry import CheckCrashed, run_page
from checks.sections import section_for
from crawler.config import Config
from crawler.store import Store

# Pages below this many are judged in-process: a pool costs more than it saves.
PARALLEL_MIN_PAGES = 200


@dataclass
class JudgeResult:
    findings: list[Finding]
    rows: list[dict[str, Any]]  # pages.jsonl
    failed: list[dict[str, Any]] = field(default_factory=list)  # failed_pages entries, stage "judge"
    documents: list[dict[str, Any]] = field(default_factory=list)  # documents.jsonl, with linking pages


@dataclass
class PageVerdict:
    findings: list[Finding]
    row: dict[str, Any] | None  # pages.jsonl line; None when judging failed
    failed: dict[str, Any] | None  # failed_pages entry
    documents: list[str] = field(default_factory=list)  # document URLs the page links to
    site_facts: dict[str, Any] | None = None  # checks.site.page_site_facts (small)

    @property
    def url(self) -> str:
        return (self.row or self.failed or {}).get("url", "")


def home_url(cfg: Config, pages: set[str], links: dict[str, Any]) -> str | None:
    """The home page: the start URL (or where it redirected), else the shortest URL."""
    for start in cfg.site.start_urls:
        res = links.get(start)
        for candidate in (start, res.final_url if res else None):
            if candidate and candidate in pages:
                return candidate
    return min(pages, key=len) if pages else None


@dataclass
class PageJudge:
    """What judging one page needs; built once.  Worker processes inherit it
    through fork (see `judge_store`), so page HTML never travels between
    processes and nothing is pickled."""

    cfg: Config
    ctx: CheckContext
    sitemap: dict[str, str]
    home: str | None
    dc_dates: dict[str, str | None]
    text_dates: dict[str, list[Any]] = field(default_factory=dict)
    document_urls: frozenset[str] = frozenset()

    def page(self, rec: dict[str, Any]) -> PageVerdict:
        """The verdict on one stored page."""
        sec = section_for(rec["url"], self.cfg.sections)
        page = Page(url=rec["url"], html=rec["html"], status=rec["status"], headers=rec["headers"],
                    content_type=rec["content_type"], depth=rec["depth"], section=sec.path, unit=sec.unit,
                    sitemap_lastmod=self.sitemap.get(rec["url"]))
        if rec.get("links") is not None:
            links, malformed = rec["links"]
            page.preset_links(tuple(Link(*x) for x in links), tuple(MalformedLink(*x) for x in malformed))
        if rec.get("text_dates") is not None:
            freshness.preset_text_facts(page, rec["text_dates"])
        try:
            findings = run_page(page, self.ctx)
            frozen = self.ctx.frozen_values
            if rec["url"] == self.home and frozen:
                # the site-level template values, once per site, on the home page
                findings.extend(metadata.site_findings(page, frozen, metadata.frozen_counts(self.dc_dates, frozen)))
                findings.extend(freshness.site_findings(page, frozen,
                                                        freshness.frozen_text_counts(self.text_dates, frozen)))
            modified, source = freshness.modified_date(page, self.ctx)
        except CheckCrashed as e:
            return PageVerdict([], None, {"url": page.url, "stage": "judge", "status": None, "error": str(e)[:500],
                                          "reason": f"檢查程式無法判斷這個網頁（{e.check}），請回報給工具維護者"})
        row = {
            "url": page.url, "status": page.status, "section": sec.path, "unit": sec.unit,
            "title": rec["title"], "modified": modified.isoformat() if modified else None,
            "modified_source": source, "depth": page.depth, "content_type": page.content_type,
            "bytes": rec["bytes"],
        }
        row["features"] = moda.content_kinds(page)
        docs = sorted({link.url for link in page.links if link.url in self.document_urls}) if self.document_urls else []
        facts = site.page_site_facts(page) if self.ctx.settings.a11y_enabled else None
        return PageVerdict(findings, row, None, docs, facts)


class _ForkedShare:
    """The judge a forked worker inherited (set before the pool forks), and a
    shared counter of pages judged (for the progress display)."""

    judge: PageJudge | None = None
    counter: Any = None

    @classmethod
    def run(cls, args: tuple[str, int, int]) -> list[PageVerdict]:
        """In a worker process: judge every n-th stored page, read from the store directly."""
        db_path, index, workers = args
        assert cls.judge is not None
        store = Store(db_path, readonly=True)
        out = []
        try:
            for rec in store.iter_pages(share=(index, workers)):
                out.append(cls.judge.page(rec))
                with cls.counter.get_lock():
                    cls.counter.value += 1
            return out
        finally:
            store.close()


def build_context(cfg: Config, store: Store, as_of: date) -> tuple[CheckContext, dict[str, str | None],
                                                                dict[str, list[Any]]]:
    """The context every page is judged in, with the site-level template
    values found across all pages first: a DC.Date and a visible footer
    更新日期 that most pages carry say nothing about any page."""
    links = store.link_results()
    page_meta = store.page_meta()
    dc_dates = {url: metadata.dc_date(meta) for url, meta in page_meta.items()}
    text_dates = {url: freshness.text_dates_of(facts) for url, facts in store.page_text_dates().items()}
    frozen = {**metadata.frozen_values(dc_dates), **freshness.frozen_text_dates(text_dates)}
    ctx = CheckContext(as_of=as_of, settings=cfg.check_settings(), link_results=links,
                       frozen_values=frozen, axe_results=store.axe_results())
    return ctx, dc_dates, text_dates


def judge_store(cfg: Config, store: Store, as_of: date, workers: int | None = None,
                progress: bool = False) -> JudgeResult:
    """Run every check over the stored pages (module docstring).  Output order
    is by URL either way."""
    from crawler.progress import Stage

    ctx, dc_dates, text_dates = build_context(cfg, store, as_of)
    page_urls = store.page_urls()
    documents = store.documents()
    judge = PageJudge(cfg, ctx, store.sitemap_dates(), home_url(cfg, page_urls, dict(ctx.link_results)), dc_dates,
                      text_dates, frozenset(documents))
    workers = workers or min(os.cpu_count() or 1, 4)
    stage = Stage("判斷", total=len(page_urls), enabled=progress)
    if workers < 2 or len(page_urls) < PARALLEL_MIN_PAGES:
        results = []
        for rec in store.iter_pages():
            results.append(judge.page(rec))
            stage.update(advance=1)
    else:
        store.commit()
        pool_ctx = multiprocessing.get_context("fork")
        _ForkedShare.judge = judge
        _ForkedShare.counter = pool_ctx.Value("i", 0)
        try:
            # This process judges one share itself: one fewer copy of the
            # process in memory for the same use of the cores.
            with pool_ctx.Pool(workers - 1) as pool:
                others = pool.map_async(_ForkedShare.run, [(str(store.path), i, workers) for i in range(1, workers)])
                own = []
                for rec in store.iter_pages(share=(0, workers)):
                    own.append(judge.page(rec))
                    stage.update(len(own) + _ForkedShare.counter.value)
                while not others.ready():
                    others.wait(0.5)
                    stage.update(len(own) + _ForkedShare.counter.value)
                shares: list[list[PageVerdict]] = [own, *others.get()]
        finally:
            _ForkedShare.judge = None
            _ForkedShare.counter = None
        results = sorted((r for share in shares for r in share), key=lambda r: r.url)
    findings = [f for r in results for f in r.findings]
    rows = [r.row for r in results if r.row is not None]
    failed = [r.failed for r in results if r.failed is not None]
    doc_rows = _judge_documents(cfg, documents, results, findings)
    if cfg.accessibility.enabled and judge.home is not None:
        findings.extend(_site_findings(judge, store, results))
    stage.update(len(results))
    stage.close()
    return JudgeResult(findings, rows, failed, doc_rows)


def _stored_page(judge: PageJudge, store: Store, url: str) -> Page | None:
    html = store.page_html(url)
    if html is None:
        return None
    sec = section_for(url, judge.cfg.sections)
    return Page(url=url, html=html, section=sec.path, unit=sec.unit)


def _site_findings(judge: PageJudge, store: Store, results: list[PageVerdict]) -> list[Finding]:
    """The reviewer's site-level checks, once per run (checks/site.py)."""
    assert judge.home is not None
    home = _stored_page(judge, store, judge.home)
    if home is None:
        return []
    settings = judge.ctx.settings
    target = site.sitemap_link(home, settings)
    sitemap_page = _stored_page(judge, store, target) if target else None
    facts = [r.site_facts for r in results if r.site_facts is not None]
    return site.site_findings(home, facts, sitemap_page, settings)


def _judge_documents(cfg: Config, documents: dict[str, dict[str, Any]], results: list[PageVerdict],
                     findings: list[Finding]) -> list[dict[str, Any]]:
    """Each document judged once, reported on every page linking to it (SPEC)."""
    linking: dict[str, list[tuple[str, str, str]]] = {}
    for r in results:
        if r.row is None:
            continue
        for url in r.documents:
            linking.setdefault(url, []).append((r.row["url"], r.row["section"], r.row["unit"]))
    rows = []
    for url in sorted(documents):
        facts = {"url": url, **documents[url]}
        pages = linking.get(url, [])
        findings.extend(document_findings(facts, pages, cfg.attachments.required_metadata))
        rows.append({**facts, "pages": [p for p, _, _ in pages]})
    return rows
