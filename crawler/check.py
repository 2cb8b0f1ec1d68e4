"""`siteaudit check`: audit just the given pages before they are published.

SPEC "Command line / check".  This module only orchestrates:

1. targets, their text and the document root (crawler/local.py);
2. link outcomes: a link into the document root is looked up on disk; one
   whose file is missing is broken, unless `--base-url` is given, when it is
   fetched on the live site (routes a CMS serves, like `/english`); other
   links, and URL targets, are fetched once each by the crawl's own Scrapy
   machinery (`crawler.audit.crawl`);
3. accessibility: the browser pool (crawler/a11y.py), local pages served
   from the document root on a loopback port;
4. the page checks, `checks.registry.run_page` — the crawl's judge runs the
   same — with `CheckContext.namer`, so messages name local files by their
   path from the working directory from the start;
5. the baseline (reports/baseline.py) splits what counts from what was
   already there, and the result is a `reports.checkrun.CheckRun`.

Every output (text, json, sarif, github, JUnit, baseline file) is a pure
function of that run in reports/; `emit` writes them.  Exit codes are the
CLI's (crawler/cli.py); failures to run are exceptions (crawler/errors.py).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from checks.links import describe_status
from checks.model import CheckContext, Finding, LinkOutcome, LinkResult, Severity
from checks.page import Page
from checks.registry import CheckCrashed, run_page
from checks.sections import section_for
from crawler.config import Config, load_config, with_overrides
from crawler.errors import AuditCannotRun, UsageError
from crawler.local import (
    HTML_SUFFIXES,
    LocalSite,
    check_web_url,
    collect_targets,
    document_root,
    os_reason,
    read_page,
    serve_root,
)
from reports.baseline import BaselineFormatError, baseline_text, parse_baseline
from reports.checkrun import CheckRun, NotAudited
from reports.console import text_report
from reports.github import github_report
from reports.junit import junit_report
from reports.sarif import sarif_report

FORMATS: dict[str, Callable[[CheckRun], str]] = {
    "text": text_report,
    "json": lambda run: json.dumps(run.to_dict(), ensure_ascii=False, indent=2) + "\n",
    "sarif": sarif_report,
    "github": github_report,
}
# Accessibility results of unchanged pages are kept here between runs.
CACHE_ENV = "SITEAUDIT_CACHE_DIR"


@dataclass(frozen=True)
class CheckOptions:
    """`siteaudit check`, as parsed (crawler/cli.py builds it)."""

    targets: tuple[str, ...]
    as_of: date
    fail_on: Severity = Severity.error
    config: Path | None = None
    root: Path | None = None
    base_url: str | None = None
    baseline: Path | None = None
    write_baseline: Path | None = None
    junit: Path | None = None
    format: str = "text"
    no_a11y: bool = False
    progress: bool = False  # stage lines on stderr
    cwd: Path | None = None  # names are relative to it; default the process's


def tool_version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("siteaudit")
    except importlib.metadata.PackageNotFoundError:  # a checkout that was never installed
        return "0+unknown"


# ---- the run ------------------------------------------------------------------

@dataclass
class _LocalPage:
    page: Page
    name: str


def run_check(opts: CheckOptions) -> CheckRun:
    """Audit the targets; raises UsageError / ConfigError / AuditCannotRun."""
    cwd = opts.cwd or Path.cwd()
    say = _Progress(opts.progress)
    cfg = with_overrides(load_config(opts.config), no_a11y=opts.no_a11y)
    base_url = check_web_url(opts.base_url, "--base-url") if opts.base_url else None
    baseline = read_baseline(opts.baseline, cwd) if opts.baseline else None
    targets = collect_targets(opts.targets, cwd)
    if opts.root is not None and not targets.files:
        raise UsageError("--root 只用於本機檔案；檢查目標都是網址")

    site: LocalSite | None = None
    local: list[_LocalPage] = []
    if targets.files:
        site = LocalSite(document_root(targets.files, opts.root, cwd), cwd, base_url)
        say(f"讀取 {len(targets.files)} 個網頁（文件根目錄 {site.name(site.root)}）…")
        for file in targets.files:
            name = site.name(file)
            url = site.url_for(file)
            sec = section_for(url, cfg.sections)
            page = Page(url=url, html=read_page(file, name), content_type="text/html", section=sec.path,
                        unit=sec.unit, local_path=str(file))
            local.append(_LocalPage(page, name))

    results, live = _disk_links(site, local, cfg) if site is not None else ({}, {})
    not_audited: list[NotAudited] = []
    remote: list[Page] = []
    axe: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        # Before the network: a missing browser fails fast (exit 3); and the
        # browsers audit the local pages while Scrapy checks the links.
        browser = _Accessibility.start(cfg, site if local else None, stack)
        if browser is not None:
            for lp in local:
                browser.submit(lp.page)
        if targets.urls or live:
            say(f"檢查 {len(live)} 個連結…" if not targets.urls else
                f"取得 {len(targets.urls)} 個網頁並檢查連結…")
            fetched, remote, missing = _fetch(cfg, targets.urls, list(live), base_url)
            results.update(fetched)
            if missing and not local and len(missing) == len(targets.urls):
                url, why = missing[0]
                raise AuditCannotRun(f"無法取得 {url}：{why}。請確認網址可連線（或先啟動預覽伺服器）。")
            not_audited.extend(NotAudited(url, f"無法取得：{why}") for url, why in missing)
        if browser is not None:
            for page in remote:
                browser.submit(page)
            say(f"無障礙檢測 {len(local) + len(remote)} 個網頁…")
            axe, failures = browser.finish()
            shown = {lp.page.url: lp.name for lp in local}
            not_audited.extend(NotAudited(shown.get(url, url), f"無障礙檢測失敗：{why}") for url, why in failures)

    namer = _namer(site, live)
    ctx = CheckContext(as_of=opts.as_of, settings=cfg.check_settings(), link_results=results,
                       axe_results=axe, namer=namer)
    counted: list[Finding] = []
    baselined: list[Finding] = []
    pages = [(lp.page, lp.name) for lp in local] + [(p, p.url) for p in remote]
    for page, name in pages:
        try:
            found = run_page(page, ctx)
        except CheckCrashed as e:
            not_audited.append(NotAudited(name, f"檢查程式出錯（{e.check}），請回報此問題：{e.error}"))
            continue
        live_url = page.url if site is not None and site.live and page.local_path else None
        for f in found:
            named = _named(f, page, name, live_url, namer)
            # With --base-url a page's live identity is its URL: a crawl's
            # findings.jsonl of the live site is a baseline too.
            old = baseline is not None and (named.fingerprint() in baseline
                                            or (live_url is not None and f.fingerprint() in baseline))
            (baselined if old else counted).append(named)
    return CheckRun(
        pages=tuple(name for _, name in pages) + tuple(n.page for n in not_audited
                                                       if n.page not in {name for _, name in pages}),
        findings=tuple(counted),
        fail_on=opts.fail_on,
        as_of=opts.as_of.isoformat(),
        tool_version=tool_version(),
        root=site.name(site.root) if site is not None else None,
        base_url=base_url,
        baseline=str(opts.baseline) if opts.baseline else None,
        baselined=tuple(baselined),
        not_audited=tuple(not_audited),
        a11y=cfg.accessibility.enabled,
    )


class _Progress:
    """Plain stage lines on stderr (the CLI turns them on for a terminal only:
    CI logs and editors keep just the findings)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, text: str) -> None:
        if self.enabled:
            print(text, file=sys.stderr, flush=True)


# ---- links ----------------------------------------------------------------------

def _disk_links(site: LocalSite, local: list[_LocalPage], cfg: Config
                ) -> tuple[dict[str, LinkResult], dict[str, None]]:
    """Outcomes of the links found on disk, and the URLs left to fetch live
    (an ordered set).  HTML targets carry their anchors, for #fragments."""
    results: dict[str, LinkResult] = {}
    live: dict[str, None] = {}
    anchors: dict[Path, frozenset[str] | None] = {
        Path(lp.page.local_path): lp.page.anchors for lp in local if lp.page.local_path}
    base_host = urlsplit(site.origin).netloc.lower() if site.live else None
    for lp in local:
        for link in lp.page.links:
            url = link.url
            if url in results or url in live:
                continue
            path = site.file_for(url)
            if path is None:
                same_site = base_host is not None and urlsplit(url).netloc.lower() == base_host
                if cfg.links.check_external or same_site:
                    live[url] = None
                continue
            found = site.existing(path)
            if found is None:
                if site.live:
                    live[url] = None  # a route the CMS serves, or really missing: the live site says
                else:
                    results[url] = LinkResult(url=url, status=404, outcome=LinkOutcome.broken,
                                              error=f"本機找不到檔案：{site.name(path)}")
                continue
            if found not in anchors:
                anchors[found] = _anchors_of(found)
            results[url] = LinkResult(url=url, status=200, outcome=LinkOutcome.ok, final_url=url,
                                      anchors=anchors[found])
    return results, live


def _anchors_of(path: Path) -> frozenset[str] | None:
    if path.suffix.lower() not in HTML_SUFFIXES:
        return None
    try:
        return Page(url="http://anchors.invalid/", html=read_page(path, str(path))).anchors
    except UsageError:
        return None  # unreadable or huge: fragments into it are not judged


def _fetch(cfg: Config, pages: tuple[str, ...], links: list[str], base_url: str | None
           ) -> tuple[dict[str, LinkResult], list[Page], list[tuple[str, str]]]:
    """URL targets fetched as pages and links checked, once each, by the
    crawl's Scrapy machinery: (link results, pages, [(target, why not)])."""
    from crawler.audit import crawl

    hosts = [urlsplit(u).hostname or "" for u in (*pages, *([base_url] if base_url else []))]
    fetch_cfg = replace(cfg, site=replace(cfg.site, start_urls=tuple(pages),
                                          allowed_domains=tuple(dict.fromkeys(h for h in hosts if h))))
    with tempfile.TemporaryDirectory(prefix="siteaudit-check-") as work:
        store = crawl(fetch_cfg, Path(work), progress=False, recurse=False, check_urls=tuple(links),
                      with_a11y=False)
        try:
            results = store.link_results()
            found = [Page(url=rec["url"], html=rec["html"], status=rec["status"], headers=rec["headers"],
                          content_type=rec["content_type"],
                          section=section_for(rec["url"], cfg.sections).path,
                          unit=section_for(rec["url"], cfg.sections).unit)
                     for rec in store.iter_pages()]
        finally:
            store.close()
    got = {p.url for p in found}
    missing = []
    for target in pages:
        res = results.get(target)
        if res is None or (res.final_url or target) not in got:
            missing.append((target, _why_not_fetched(res)))
    return results, found, missing


def _why_not_fetched(res: LinkResult | None) -> str:
    if res is None:
        return "沒有回應"
    if isinstance(res.status, int) and 200 <= res.status < 300:
        ctype = res.content_type.split(";")[0].strip() or "未標示"
        if res.final_url and res.final_url != res.url:
            return f"轉址到 {res.final_url}，不在檢查範圍內"
        return f"不是 HTML 網頁（Content-Type：{ctype}）"
    return describe_status(res.status)


# ---- accessibility -------------------------------------------------------------

def _a11y_runner(cfg: Config) -> Any:
    if not cfg.accessibility.enabled:
        return None
    from crawler import a11y

    cache_dir = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "siteaudit")
    cache: Path | None = cache_dir / "a11y-cache.sqlite"
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError:
        cache = None  # a read-only home: no cache, still correct
    from checks.a11y_spec import axe_options

    a = cfg.accessibility
    # Confined to the hosts of the pages checked (the loopback server of the
    # document root, or the staging host) plus subresource_hosts; the same
    # axe options as the crawl (the edition's tags and the rules it turns off).
    return a11y.A11yRunner(tags=a.effective_tags, browsers=a.browsers, locale=a.locale, cache_path=cache,
                           subresource_hosts=a.subresource_hosts,
                           options=axe_options(a.spec, a.level, a.effective_tags))


class _Accessibility:
    """The browser stage (crawler/a11y.py's pool): pages are submitted as soon
    as they are known, local ones served from the document root on a
    loopback port; `finish()` waits for all of them."""

    def __init__(self, runner: Any, site: LocalSite | None, stack: contextlib.ExitStack):
        self.runner = runner
        self.site = site
        self.local_base = stack.enter_context(serve_root(site.root)) if site is not None else None
        self.opened: dict[str, str] = {}  # page URL -> what the browser opens

    @classmethod
    def start(cls, cfg: Config, site: LocalSite | None, stack: contextlib.ExitStack) -> _Accessibility | None:
        runner = _a11y_runner(cfg)
        if runner is None:
            return None
        stack.callback(runner.close)  # after the server stops (LIFO); a no-op once finished
        return cls(runner, site, stack)

    def submit(self, page: Page) -> None:
        if page.local_path and self.site is not None and self.local_base is not None:
            target = self.local_base + quote(Path(page.local_path).relative_to(self.site.root).as_posix())
        else:
            target = page.url
        self.opened[page.url] = target
        self.runner.submit(target, hashlib.sha256(page.html.encode("utf-8")).hexdigest())

    def finish(self) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """axe results by page URL, and [(page URL, why)] for pages it failed on."""
        outcome = self.runner.finish()
        back = {target: url for url, target in self.opened.items()}
        results = {url: outcome.results[t] for url, t in self.opened.items() if t in outcome.results}
        return results, [(back.get(t, t), why) for t, why in outcome.failures]


# ---- names -------------------------------------------------------------------------

def _namer(site: LocalSite | None, live: dict[str, None]) -> Callable[[str], str | None] | None:
    """URL -> the name of its file, for URLs of the document root that were
    not checked on the live site."""
    if site is None:
        return None

    def name(url: str) -> str | None:
        if url in live:
            return None
        path = site.file_for(url)
        return site.name(path) if path is not None else None

    return name


def _named(f: Finding, page: Page, name: str, live_url: str | None,
           namer: Callable[[str], str | None] | None) -> Finding:
    """A finding as every output shows it: on the page's name, its target
    named like the page, the live URL in `detail.live_url` (--base-url), and
    the offending element's source line where axe's selector finds it."""
    detail = dict(f.detail)
    target = detail.get("target")
    if namer is not None and isinstance(target, str):
        base, sep, fragment = target.partition("#")
        shown = namer(base)
        if shown is not None:
            detail["target"] = f"{shown}#{fragment}" if sep else shown
    if live_url is not None:
        detail["live_url"] = live_url
    if "line" not in detail:
        line = element_line(page, detail.get("targets"))
        if line:
            detail["line"] = line
    return replace(f, url=name, detail=detail)


def element_line(page: Page, selectors: Any) -> int | None:
    """The source line of the first element axe's CSS selectors name (axe
    reports selectors, not lines).  None when no selector matches the source
    (a node made by a script, a selector into a frame or shadow root)."""
    if not isinstance(selectors, list) or not selectors or not isinstance(selectors[0], str):
        return None
    selector = selectors[0]
    if ">>>" in selector:
        return None
    try:
        from lxml.cssselect import CSSSelector

        hits = CSSSelector(selector)(page.tree)
    except Exception:  # noqa: BLE001 - cssselect's own errors for syntax it lacks; a line is only a help
        return None
    return hits[0].sourceline if hits and hits[0].sourceline else None


# ---- baselines and outputs -----------------------------------------------------------

def read_baseline(path: Path, cwd: Path) -> frozenset[str]:
    full = path if path.is_absolute() else cwd / path
    if not full.exists():
        raise UsageError(f"找不到基準檔 {path}：第一次請先用 --write-baseline {path} 建立"
                         "（記下現有的問題，之後只計算新出現的）")
    if full.is_dir():
        raise UsageError(f"--baseline {path} 是目錄，應為基準檔")
    try:
        text = full.read_bytes().decode("utf-8-sig")
    except OSError as e:
        raise UsageError(f"無法讀取基準檔 {path}（{os_reason(e)}）") from None
    except UnicodeDecodeError:
        raise UsageError(f"--baseline {path} 不是 UTF-8 文字檔，不是 siteaudit 的基準檔") from None
    try:
        return parse_baseline(text)
    except BaselineFormatError as e:
        raise UsageError(f"--baseline {path}：{e}") from None


def render(run: CheckRun, fmt: str) -> str:
    return FORMATS[fmt](run)


def emit(run: CheckRun, opts: CheckOptions) -> Iterator[str]:
    """Write the run's files (--junit, --write-baseline); yields a line for
    stderr per file written.  AuditCannotRun when a file cannot be written."""
    cwd = opts.cwd or Path.cwd()
    if opts.junit is not None:
        write_atomic(cwd / opts.junit, junit_report(run))
    if opts.write_baseline is not None:
        if not run.complete:
            raise AuditCannotRun(f"沒有寫出基準檔 {opts.write_baseline}：有 {len(run.not_audited)} 頁未能檢查，"
                                 "基準檔會漏記它們的問題")
        write_atomic(cwd / opts.write_baseline, baseline_text(run))
        yield f"已寫出基準檔 {opts.write_baseline}（{len(run.all_findings)} 項）"


def write_atomic(path: Path, text: str) -> None:
    """Whole or not at all (issue 11): a temporary file beside it, renamed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as e:
        raise AuditCannotRun(f"無法寫入 {path}（{os_reason(e)}）") from None
