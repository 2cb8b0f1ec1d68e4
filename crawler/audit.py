"""One audit, start to finish: the orchestrator of `siteaudit crawl` and `demo`.

SPEC "Command line / crawl", "Output files", "Honest runs".  The stages live
in their own modules; this one only sequences them and decides what the run
may claim:

    lock --out → crawl (crawler/crawl.py: Scrapy, facts into the state store)
      → judge (crawler/judge.py: every check, site-level rules)
      → outputs (crawler/outputs.py: findings.jsonl, pages.jsonl, run.json)
      → reports (reports/: rendered from those files alone) → history

A run is *complete* only when the crawl finished on its own, no in-scope page
failed, and (with accessibility on) every page has an axe result.  Anything
less is written as incomplete (every output says so) and exits 3.  A signal
stops the run within seconds, leaving the state store for `--resume`; a full
disk stops it with one line, resumable once space is freed.
"""
from __future__ import annotations

import contextlib
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from checks.a11y_spec import edition_name
from checks.links import describe_status
from checks.model import Finding, Severity
from crawler.config import Config
from crawler.crawl import CrawlResult, CrawlSession, versions
from crawler.errors import AuditCannotRun, AuditInterrupted, UsageError
from crawler.judge import judge_store
from crawler.lock import OutLock
from crawler.outputs import write_json, write_jsonl
from crawler.store import DiskFull, Store

STATE_DIR = ".state"
# Our output files: a fresh run removes the previous run's, so an interrupted
# run can never leave last month's complete-looking report behind.
OUTPUT_FILES = ("report.html", "findings.jsonl", "pages.jsonl", "documents.jsonl", "run.json", "summary.csv",
                "summary.ods", "summary.xlsx", "by-unit.csv")
OUTPUT_DIRS = ("units", "mail")
CACHE_DIR = ".siteaudit-cache"


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
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


def history_key(cfg: Config) -> str:
    """SPEC "Honest runs": site.name when set, else scheme, host, port and start path."""
    if cfg.site.name:
        return cfg.site.name
    start = cfg.site.start_urls[0] if cfg.site.start_urls else ""
    parts = urlsplit(start)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}{parts.path or '/'}"


def cache_dir_for(history_path: Path | None, out_dir: Path) -> Path:
    """Caches live next to the history, so monthly audits side by side share them."""
    base = history_path.parent if history_path is not None else out_dir.resolve().parent
    return base / CACHE_DIR


def prepare_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out：{out_dir} 是檔案，應為目錄")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / f".write-test-{time.monotonic_ns()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        if isinstance(e, OSError) and e.errno is not None and "No space" in (e.strerror or ""):
            raise AuditCannotRun(f"磁碟空間不足，無法寫入 {out_dir}") from None
        raise UsageError(f"--out：無法寫入 {out_dir}（{e.strerror or e}）") from None


def _clear_previous_outputs(out_dir: Path) -> None:
    for name in OUTPUT_FILES:
        with contextlib.suppress(FileNotFoundError):
            (out_dir / name).unlink()
    for name in OUTPUT_DIRS:
        shutil.rmtree(out_dir / name, ignore_errors=True)


def make_a11y_factory(cfg: Config, cache_path: Path, policy: Any = None) -> Any:
    """A factory of the browser pool (built inside the crawl), after checking
    that browser, driver and axe-core are there (else AuditCannotRun: exit 3).

    The browser is confined to the site (allowed hosts + subresource_hosts,
    the run's address policy) and runs the edition's axe options."""
    from checks.a11y_spec import axe_options
    from crawler import a11y, netguard

    a11y.check_available()
    a = cfg.accessibility
    policy = policy or netguard.AddressPolicy.for_hosts(cfg.allowed_hosts, allow_private=cfg.links.allow_private)
    browser = a11y.browser_version()

    def factory() -> Any:
        return a11y.A11yRunner(tags=a.effective_tags, browsers=a.browsers, locale=a.locale, cache_path=cache_path,
                               allowed_hosts=cfg.allowed_hosts, subresource_hosts=a.subresource_hosts,
                               address_policy=policy, browser_version=browser,
                               options=axe_options(a.spec, a.level, a.effective_tags))

    return factory


def make_a11y_runner(cfg: Config, cache_path: Path) -> Any:
    """The browser pool itself, for `siteaudit check` (local pages on a loopback server)."""
    return make_a11y_factory(cfg, cache_path)()


def crawl(cfg: Config, out_dir: Path, *, resume: bool = False, progress: bool = True,
          cache_path: Path | None = None, recurse: bool = True, check_urls: tuple[str, ...] = (),
          with_a11y: bool = True) -> Store:
    """Run the Scrapy crawl alone and return the filled state store (still open).

    Used by `siteaudit check` for URL targets and live link checks."""
    state = out_dir / STATE_DIR
    if not resume and state.exists():
        shutil.rmtree(state)
    state.mkdir(parents=True, exist_ok=True)
    factory = None
    if cfg.accessibility.enabled and with_a11y:
        factory = make_a11y_factory(cfg, cache_path or (out_dir / ".a11y-cache.sqlite"))
    CrawlSession(cfg, state, mode="site" if recurse else "targets", resume=resume, progress=progress,
                 a11y_factory=factory, check_urls=check_urls).run()
    return Store(state / "audit.sqlite")


CrawlStep = Callable[..., CrawlResult]


def local_crawl(cfg: Config, state: Path, *, resume: bool, progress: bool, a11y_factory: Any,
                doc_cache: Path | None, policy: Any = None) -> CrawlResult:
    """The crawl stage in this process (the default); `crawl --queue` passes its own."""
    return CrawlSession(cfg, state, mode="site", resume=resume, progress=progress, a11y_factory=a11y_factory,
                        doc_cache=doc_cache, policy=policy).run()


def run_audit(cfg: Config, out_dir: Path, as_of: date, *, resume: bool = False, progress: bool = True,
              history_path: Path | None = None, keep_state: bool = False,
              crawl_step: CrawlStep = local_crawl) -> AuditResult:
    if not cfg.site.start_urls:
        raise UsageError("沒有起始網址：請給 URL 參數，或在設定檔 [site] start_urls 指定")
    prepare_out_dir(out_dir)
    try:
        with OutLock(out_dir) as lock, _stop_on_signals():
            return _run_locked(cfg, out_dir, as_of, resume=resume, progress=progress, history_path=history_path,
                               keep_state=keep_state, lock_notice=lock.notice, crawl_step=crawl_step)
    except _Stopped:
        raise AuditInterrupted(f"檢視已中斷：已找到的結果保留在 {out_dir / STATE_DIR}，以 --resume 可從中斷處繼續") from None
    except DiskFull as e:
        raise AuditCannotRun(f"磁碟空間不足，無法繼續寫入 {out_dir}：已找到的結果保留在 {out_dir / STATE_DIR}，"
                             "釋放空間後以 --resume 繼續") from e


def _run_locked(cfg: Config, out_dir: Path, as_of: date, *, resume: bool, progress: bool,
                history_path: Path | None, keep_state: bool, lock_notice: str, crawl_step: CrawlStep) -> AuditResult:
    state = out_dir / STATE_DIR
    db = state / "audit.sqlite"
    notes: list[str] = [lock_notice] if lock_notice else []
    if resume and not _resumable(db, cfg):
        # The interrupted run never got as far as recording what it was
        # (the disk was full from the start): there is nothing to continue.
        notes.append("先前的檢視尚未開始記錄結果，這次從頭開始")
        resume = False
    if not resume:
        shutil.rmtree(state, ignore_errors=True)
        _clear_previous_outputs(out_dir)
        state.mkdir(parents=True, exist_ok=True)
        store = Store(db)
        store.set_info("config_fingerprint", cfg.fingerprint())
        store.set_info("started", _now())
        store.commit()
        store.close()
    write_json(out_dir / "run.json", {"tool": "siteaudit", "complete": False, "close_reason": "running",
                                      "incomplete_reasons": ["檢視進行中，或已中斷"], "start_url": cfg.site.start_urls[0]})

    caches = cache_dir_for(history_path, out_dir)
    from crawler.netguard import AddressPolicy

    # one address policy for the link checks and the browser (each host decided once)
    policy = AddressPolicy.for_hosts(cfg.allowed_hosts, allow_private=cfg.links.allow_private)
    factory = None
    if cfg.accessibility.enabled:
        caches.mkdir(parents=True, exist_ok=True)
        factory = make_a11y_factory(cfg, caches / "a11y-cache.sqlite", policy)

    t0 = time.monotonic()
    doc_cache = None
    if cfg.attachments.documents:
        caches.mkdir(parents=True, exist_ok=True)
        doc_cache = caches / "documents.sqlite"
    crawled = crawl_step(cfg, state, resume=resume, progress=progress, a11y_factory=factory, doc_cache=doc_cache,
                         policy=policy)
    t1 = time.monotonic()
    if crawled.close_reason == "disk_full":
        raise DiskFull("crawl stopped")
    if crawled.stopped_by_signal:
        raise AuditInterrupted(f"檢視已中斷：已找到的結果保留在 {state}，以 --resume 可從中斷處繼續")

    store = Store(db)
    try:
        _record_crawl(store, crawled)
        if store.page_count() == 0:
            start = cfg.site.start_urls[0]
            res = store.link_results().get(start)
            why = describe_status(res.status) if res else "沒有回應"
            raise AuditCannotRun(f"無法取得起始網頁 {start}（{why}）：請確認網址與網路連線，或 robots.txt 是否禁止")
        judged = judge_store(cfg, store, as_of, progress=progress)
        t2 = time.monotonic()
        run_meta = _run_meta(cfg, store, crawled, judged.failed, as_of, {"crawl": t1 - t0, "judge": t2 - t1})
        documents = judged.documents
        run_meta["documents"] = _documents_summary(cfg, documents)
        if cfg.accessibility.enabled:
            run_meta["a11y"]["manual_review"] = manual_review(judged.rows, cfg.accessibility.spec,
                                                              cfg.accessibility.level)
    finally:
        store.close()

    write_jsonl(out_dir / "findings.jsonl", (f.to_dict() for f in judged.findings))
    write_jsonl(out_dir / "pages.jsonl", judged.rows)
    write_jsonl(out_dir / "documents.jsonl", documents)
    by_rule: dict[str, int] = {}
    for f in judged.findings:
        by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
    run_meta.update(pages=len(judged.rows), findings=len(judged.findings),
                    findings_by_rule=dict(sorted(by_rule.items())), finished=_now())
    write_json(out_dir / "run.json", run_meta)
    notes.extend(render_reports(out_dir, history_path, progress=progress))
    complete = bool(run_meta["complete"])
    if not complete:
        notes.extend(run_meta["incomplete_reasons"])
    elif not keep_state:
        shutil.rmtree(state, ignore_errors=True)
    return AuditResult(out_dir, judged.findings, len(judged.rows), complete=complete, notes=notes)


class _Stopped(BaseException):
    """SIGTERM/SIGINT outside the crawl (judging, writing, reports): unwinds at once.
    A BaseException, so no `except Exception` on the way swallows it."""


@contextlib.contextmanager
def _stop_on_signals() -> Any:
    """Every phase ends within seconds on SIGTERM/SIGINT (issue 11).  The crawl
    stage installs its own handlers for its duration (Scrapy must stop
    gracefully); around it, a signal unwinds the run: judging workers are
    terminated by their pool's context manager, outputs are written
    atomically or not at all, and the state store stays for --resume."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise _Stopped()

    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    for s in previous:
        signal.signal(s, stop)
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _resumable(db: Path, cfg: Config) -> bool:
    """Whether --resume can continue the audit in `db`; UsageError when it is another audit."""
    if not db.exists():
        raise UsageError(f"--resume：{db.parent.parent} 沒有中斷的檢視可以繼續（請去掉 --resume 重新檢視）")
    try:
        store = Store(db)
    except DiskFull:
        raise
    try:
        recorded = store.info("config_fingerprint")
    except sqlite3.Error:
        recorded = None
    finally:
        store.close()
    if recorded is None:
        return False
    if recorded != cfg.fingerprint():
        raise UsageError("--resume：這次的起始網址或設定與中斷的檢視不同，不能接續；"
                         "請用原本的設定再執行，或去掉 --resume 重新檢視")
    return True


def _record_crawl(store: Store, crawled: CrawlResult) -> None:
    store.set_info("close_reason", crawled.close_reason)
    store.set_info("limited", crawled.limited)
    store.commit()


def _run_meta(cfg: Config, store: Store, crawled: CrawlResult, judge_failed: list[dict[str, Any]],
              as_of: date, seconds: dict[str, float]) -> dict[str, Any]:
    failed = store.failed_pages() + judge_failed
    a11y_on = cfg.accessibility.enabled
    pages = store.page_urls()
    if a11y_on:
        have = store.axe_urls() | {u for u, _ in store.a11y_failures()}
        known = {f["url"] for f in failed}
        for url in sorted(pages - have - known):
            failed.append({"url": url, "stage": "a11y", "reason": "無障礙檢測未完成", "status": None, "error": ""})
    reasons: list[str] = []
    if crawled.close_reason != "finished":
        reasons.append(f"爬取未正常結束（{crawled.close_reason}）")
    if failed:
        reasons.append(f"{len(failed)} 個網頁無法檢視（見 failed_pages）")
    complete = not reasons
    limited = None
    if crawled.limited:
        limited = {"max_pages": cfg.crawl.max_pages, "max_depth": cfg.crawl.max_depth, "not_visited": crawled.limited}
    a11y_stats = store.info("a11y_stats", {})
    return {
        "tool": "siteaudit",
        "as_of": as_of.isoformat(),
        "started": store.info("started"),
        "complete": complete,
        "close_reason": crawled.close_reason,
        "incomplete_reasons": reasons,
        "limited": limited,
        "comparable": complete and limited is None,
        "history_key": history_key(cfg),
        "failed_pages": failed,
        "start_url": cfg.site.start_urls[0],
        "start_urls": list(cfg.site.start_urls),
        "versions": versions(a11y_on),
        "links_checked": len(store.link_urls()),
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
        "trap_skipped": store.info("trap_skipped", []),
        "notices": store.info("notices", []),
        "checks": {"links": "done", "metadata": "done", "freshness": "done", "citation": "done",
                   "site": "done" if a11y_on else "off",
                   "attachments": "done", "documents": "done" if cfg.attachments.documents else "off",
                   "accessibility": ("done" if not any(f["stage"] == "a11y" for f in failed) else "partial")
                   if a11y_on else "off"},
        "a11y": {
            "enabled": a11y_on,
            "spec": cfg.accessibility.spec,
            "edition": edition_name(cfg.accessibility.spec),
            "level": cfg.accessibility.level,
            "tags": list(cfg.accessibility.effective_tags),
            "stats": a11y_stats,
            "blocked": store.info("a11y_blocked", {}),
            "blocked_total": int(a11y_stats.get("blocked_total") or 0),
            "failures": [list(x) for x in store.a11y_failures()],
            "needs_review": _needs_review(store, cfg.accessibility.spec) if a11y_on else {},
        },
        "site": {"name": cfg.site.name, "agency": cfg.site.agency},
        "config": cfg.to_dict(),
    }


def manual_review(rows: list[dict[str, Any]], spec: str, level: str) -> list[dict[str, Any]]:
    """The 人工檢測 points that apply to the kinds of content found, with how
    many pages show each kind (for the report's "needs a person" list)."""
    from checks.moda import manual_review_points

    kinds = sorted({k for row in rows for k in row.get("features", ())})
    points = manual_review_points(kinds, spec, level)
    counts = {k: sum(1 for row in rows if k in row.get("features", ())) for k in kinds}
    out = []
    for point in points:
        point = dict(point)
        point["pages"] = max((counts.get(k, 0) for k in point.get("kinds", ())), default=len(rows))
        out.append(point)
    return out


def _documents_summary(cfg: Config, rows: list[dict[str, Any]]) -> dict[str, Any]:
    fetch = [r.get("fetch", "") for r in rows]
    status = [r.get("status", "") for r in rows]
    return {"enabled": cfg.attachments.documents, "count": len(rows),
            "downloaded": fetch.count("downloaded"), "cached": fetch.count("cached"),
            "too_large": status.count("too-large"),
            "failed": sum(1 for s in status if s in ("failed", "unreadable"))}


def render_reports(out_dir: Path, history_path: Path | None, progress: bool = False) -> list[str]:
    """Every report file (reports.render_all: report.html, the 彙整表, by-unit.csv,
    units/, history), rendered from the output files alone.  Returns notes."""
    from crawler.progress import Stage
    from reports import render_all

    stage = Stage("報表", unit="個檔案", enabled=progress)
    notes = render_all(out_dir, history_path)
    stage.update(sum(1 for p in out_dir.rglob("*") if p.is_file() and not p.name.startswith(".")
                     and ".state" not in p.parts))
    stage.close()
    return notes


def _needs_review(store: Store, spec: str) -> dict[str, list[dict[str, Any]]]:
    from checks.accessibility import needs_review

    out = {}
    for url, result in store.axe_results().items():
        items = needs_review(result, spec)
        if items:
            out[url] = items
    return out


def eprint(*args: Any) -> None:
    print(*args, file=sys.stderr, flush=True)
