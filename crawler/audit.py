"""One audit, start to finish: crawl → judge → write the output files.

SPEC "Command line / crawl" and "Output files".  The crawl (Scrapy) gathers
facts into the state store; `analyze` runs every check over the stored pages
and writes `findings.jsonl`, `pages.jsonl` and `run.json`; the reports are
then rendered from those files alone (reports/).
"""
from __future__ import annotations

import importlib.metadata
import json
import logging
import multiprocessing
import os
import time
import platform
import shutil
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from checks import freshness, metadata
from checks.model import CheckContext, Finding, Severity
from checks.page import Link, MalformedLink, Page
from checks.registry import run_page
from checks.sections import section_for
from crawler.config import Config
from crawler.errors import AuditCannotRun, UsageError
from crawler.store import Store

try:  # one version, pyproject.toml's
    TOOL_VERSION = importlib.metadata.version("siteaudit")
except importlib.metadata.PackageNotFoundError:  # running from a checkout without install
    TOOL_VERSION = "0+unknown"
STATE_DIR = ".state"


@dataclass
class AuditResult:
    out_dir: Path
    findings: list[Finding]
    pages: int
    complete: bool = True
    notes: list[str] = field(default_factory=list)

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)


def _now() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


def make_a11y_runner(cfg: Config, cache_path: Path):
    """The browser pool, or AuditCannotRun (exit 3) saying how to fix it."""
    from crawler import a11y

    a11y.check_available()
    return a11y.A11yRunner(tags=cfg.accessibility.tags, browsers=cfg.accessibility.browsers,
                           locale=cfg.accessibility.locale, cache_path=cache_path)


def a11y_versions(enabled: bool) -> dict[str, str]:
    if not enabled:
        return {}
    from crawler import a11y

    return {"axe_core": a11y.axe_version(), "browser": a11y.browser_version()}


def crawl(cfg: Config, out_dir: Path, *, resume: bool = False, progress: bool = True,
          cache_path: Path | None = None, recurse: bool = True, check_urls: tuple[str, ...] = (),
          with_a11y: bool = True) -> Store:
    """Run the Scrapy crawl; returns the filled state store (still open)."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from crawler import settings as project_settings
    from crawler.settings import settings_for
    from crawler.spider import SiteSpider

    state = out_dir / STATE_DIR
    if not resume and state.exists():
        shutil.rmtree(state)
    state.mkdir(parents=True, exist_ok=True)
    store = Store(state / "audit.sqlite")
    if store.info("started") is None:
        store.set_info("started", _now())
    runner = None
    if cfg.accessibility.enabled and with_a11y:
        runner = make_a11y_runner(cfg, cache_path or (out_dir / ".a11y-cache.sqlite"))
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    settings.update(settings_for(cfg, str(state), progress=progress), priority="cmdline")
    # Failures are findings; Scrapy need not print a traceback for each
    # robots.txt it could not fetch from a dead external host.
    process = CrawlerProcess(settings)
    logging.getLogger("scrapy.downloadermiddlewares.robotstxt").setLevel(logging.CRITICAL)
    process.crawl(SiteSpider, config=cfg, store=store, recurse=recurse, check_urls=check_urls, a11y_runner=runner)
    try:
        process.start()
    finally:
        if runner is not None:
            runner.close()
    store.commit()
    return store


def _home_url(cfg: Config, store: Store, links: dict) -> str | None:
    pages = store.page_urls()
    for start in cfg.site.start_urls:
        res = links.get(start)
        for candidate in (start, res.final_url if res else None):
            if candidate and candidate in pages:
                return candidate
    return min(pages, key=len) if pages else None


# Pages below this many are judged in-process: a pool costs more than it saves.
PARALLEL_MIN_PAGES = 200


@dataclass
class _Judge:
    """What judging one page needs; built once, shared by worker processes."""

    cfg: Config
    ctx: CheckContext
    sitemap: dict[str, str]
    home: str | None
    dc_dates: dict[str, str | None]

    def page(self, rec: dict[str, Any]) -> tuple[list[Finding], dict[str, Any]]:
        sec = section_for(rec["url"], self.cfg.sections)
        page = Page(url=rec["url"], html=rec["html"], status=rec["status"], headers=rec["headers"],
                    content_type=rec["content_type"], depth=rec["depth"], section=sec.path, unit=sec.unit,
                    sitemap_lastmod=self.sitemap.get(rec["url"]))
        if rec.get("links") is not None:
            links, malformed = rec["links"]
            page.preset_links(tuple(Link(*x) for x in links), tuple(MalformedLink(*x) for x in malformed))
        findings = run_page(page, self.ctx)
        frozen = self.ctx.frozen_values
        if rec["url"] == self.home and frozen:
            findings.extend(metadata.site_findings(page, frozen, metadata.frozen_counts(self.dc_dates, frozen)))
        modified, source = freshness.modified_date(page, self.ctx)
        row = {
            "url": page.url, "status": page.status, "section": sec.path, "unit": sec.unit,
            "title": rec["title"], "modified": modified.isoformat() if modified else None,
            "modified_source": source, "depth": page.depth, "content_type": page.content_type,
            "bytes": rec["bytes"],
        }
        return findings, row


_worker_judge: _Judge | None = None


def _judge_share(args: tuple[str, int, int]) -> list[tuple[list[Finding], dict[str, Any]]]:
    """In a worker process: judge every n-th stored page (read from the store
    directly, so page HTML never travels between processes)."""
    db_path, index, workers = args
    assert _worker_judge is not None
    store = Store(db_path, readonly=True)
    try:
        return [_worker_judge.page(rec) for rec in store.iter_pages(share=(index, workers))]
    finally:
        store.close()


def _start_worker(judge: _Judge) -> None:
    global _worker_judge
    _worker_judge = judge


def analyze(cfg: Config, store: Store, as_of: date, workers: int | None = None) -> tuple[list[Finding], list[dict[str, Any]]]:
    """Run every check over the stored pages: (findings, pages.jsonl rows).

    Checks are CPU work on independent pages, so a large audit is judged by
    one process per core; output order is the store's (by URL) either way."""
    links = store.link_results()
    page_meta = store.page_meta()
    dc_dates = {url: metadata.dc_date(meta) for url, meta in page_meta.items()}
    frozen = metadata.frozen_values(dc_dates)
    ctx = CheckContext(as_of=as_of, settings=cfg.check_settings(), link_results=links,
                       frozen_values=frozen, axe_results=store.axe_results())
    judge = _Judge(cfg, ctx, store.sitemap_dates(), _home_url(cfg, store, links), dc_dates)
    workers = workers or min(os.cpu_count() or 1, 4)
    if workers < 2 or len(page_meta) < PARALLEL_MIN_PAGES:
        results = [judge.page(rec) for rec in store.iter_pages()]
    else:
        store.commit()
        ctx_mp = multiprocessing.get_context("fork")  # workers inherit the judge, no pickling
        # This process judges one share itself: one fewer copy of the
        # process in memory for the same use of the cores.
        with ctx_mp.Pool(workers - 1, initializer=_start_worker, initargs=(judge,)) as pool:
            others = pool.map_async(_judge_share, [(str(store.path), i, workers) for i in range(1, workers)])
            own = [judge.page(rec) for rec in store.iter_pages(share=(0, workers))]
            shares = [own, *others.get()]
        results = sorted((r for share in shares for r in share), key=lambda r: r[1]["url"])
    findings = [f for page_findings, _ in results for f in page_findings]
    return findings, [row for _, row in results]


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(path)


def write_outputs(out_dir: Path, cfg: Config, findings: list[Finding], rows: list[dict[str, Any]],
                  run_meta: dict[str, Any]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    write_jsonl(out_dir / "findings.jsonl", (f.to_dict() for f in findings))
    write_jsonl(out_dir / "pages.jsonl", rows)
    by_rule: dict[str, int] = {}
    for f in findings:
        by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
    meta = {
        **run_meta,
        "pages": len(rows),
        "findings": len(findings),
        "findings_by_rule": dict(sorted(by_rule.items())),
        "site": {"name": cfg.site.name, "agency": cfg.site.agency},
        "config": cfg.to_dict(),
    }
    tmp = out_dir / "run.json.tmp"
    tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(out_dir / "run.json")


def render_reports(out_dir: Path, history_path: Path | None) -> list[str]:
    """report.html, the 彙整表 (csv/ods/xlsx), by-unit.csv, history.  Returns notes."""
    from reports import byunit, html, summary
    from reports.run import load_run

    notes: list[str] = []
    run = load_run(out_dir)
    summary.write_csv(run, out_dir / "summary.csv")
    summary.write_ods(run, out_dir / "summary.ods")
    summary.write_xlsx(run, out_dir / "summary.xlsx")
    byunit.write_csv(run, out_dir / "by-unit.csv")
    comparison = None
    if history_path is not None:
        from reports import history

        try:
            history.record_run(history_path, run)
            comparison = history.compare(history_path, run)
        except Exception as e:  # history is a convenience: never lose the audit over it
            notes.append(f"無法寫入歷史紀錄 {history_path}：{e}")
    html.write_html(run, out_dir / "report.html", comparison=comparison)
    return notes


def run_audit(cfg: Config, out_dir: Path, as_of: date, *, resume: bool = False, progress: bool = True,
              history_path: Path | None = None) -> AuditResult:
    if not cfg.site.start_urls:
        raise UsageError("沒有起始網址：請給 URL 參數，或在設定檔 [site] start_urls 指定")
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    store = crawl(cfg, out_dir, resume=resume, progress=progress)
    t1 = time.monotonic()
    try:
        reason = store.info("close_reason", "finished")
        links = store.link_results()
        if store.page_count() == 0:
            start = cfg.site.start_urls[0]
            res = links.get(start)
            why = f"{res.status}（{res.error}）" if res and res.error else (f"HTTP {res.status}" if res else "沒有回應")
            raise AuditCannotRun(f"無法取得起始網頁 {start}：{why}。請確認網址與網路連線，或 robots.txt 是否禁止。")
        findings, rows = analyze(cfg, store, as_of)
        t2 = time.monotonic()
        a11y_stats = store.info("a11y_stats", {})
        run_meta = {
            "tool": "siteaudit",
            "as_of": as_of.isoformat(),
            "started": store.info("started"),
            "finished": _now(),
            "complete": reason == "finished",
            "close_reason": reason,
            "start_url": cfg.site.start_urls[0],
            "start_urls": list(cfg.site.start_urls),
            "versions": {"tool": TOOL_VERSION, "python": platform.python_version(),
                         **_scrapy_version(), **a11y_versions(cfg.accessibility.enabled)},
            "links_checked": len(links),
            "seconds": {"crawl": round(t1 - t0, 2), "analyze": round(t2 - t1, 2)},
            "trap_skipped": store.info("trap_skipped", []),
            "a11y": {
                "enabled": cfg.accessibility.enabled,
                "stats": a11y_stats,
                "failures": [list(x) for x in store.a11y_failures()],
                "needs_review": _needs_review(store) if cfg.accessibility.enabled else {},
            },
        }
    finally:
        store.close()
    write_outputs(out_dir, cfg, findings, rows, run_meta)
    t3 = time.monotonic()
    notes = render_reports(out_dir, history_path)
    if os.environ.get("SITEAUDIT_TIMINGS"):
        eprint(f"timings: crawl {t1 - t0:.1f}s, analyze {t2 - t1:.1f}s, reports {time.monotonic() - t3:.1f}s")
    if reason != "finished":
        notes.append(f"檢視未完成（{reason}）：以 --resume 再執行一次可從中斷處繼續；已找到的結果都已寫出。")
    return AuditResult(out_dir, findings, len(rows), complete=reason == "finished", notes=notes)


def _needs_review(store: Store) -> dict[str, list[dict[str, Any]]]:
    from checks.accessibility import needs_review

    out = {}
    for url, result in store.axe_results().items():
        items = needs_review(result)
        if items:
            out[url] = items
    return out


def _scrapy_version() -> dict[str, str]:
    import scrapy

    return {"scrapy": scrapy.__version__}


def eprint(*args: Any) -> None:
    print(*args, file=sys.stderr, flush=True)
