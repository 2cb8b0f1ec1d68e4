"""`siteaudit check`: audit just the given pages before they are published.

SPEC "Command line / check".  Targets are URLs (a staging server), local
`.html` files, or directories of them; no recursion.  Every page check runs
on just those pages.  Links of local files are resolved on disk (a missing
file is a broken link); `--base-url` says where the local root will live, so
absolute links to the live site map back to disk too.  http(s) targets that
are not on disk are fetched once each by the same Scrapy machinery the crawl
uses.  `--baseline` drops findings already present in an earlier
`findings.jsonl` (matched by `Finding.fingerprint()`), so a gate only fails
on what the change introduced.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

from charset_normalizer import from_bytes
from w3lib.encoding import html_to_unicode

from checks.model import CheckContext, Finding, LinkOutcome, LinkResult, Severity
from checks.page import Page
from checks.registry import RULES, run_page
from checks.sections import section_for
from crawler.config import Config, load_config, with_overrides
from crawler.errors import AuditCannotRun, UsageError

HTML_SUFFIXES = (".html", ".htm", ".xhtml")


# ---- targets --------------------------------------------------------------

def _local_files(target: str) -> list[tuple[Path, Path]]:
    """(file, root it is relative to) for a file or a directory of pages."""
    p = Path(target)
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in HTML_SUFFIXES)
        return [(f, p) for f in files]
    if p.is_file():
        return [(p, p.parent)]
    raise UsageError(f"找不到檢查目標：{target}（應為網址、.html 檔或目錄）")


def decode_html(raw: bytes) -> str:
    """Bytes of a local page to text: BOM or <meta charset> first (as a
    browser does), else a charset guess — Big5 files exist without a tag."""
    encoding, text = html_to_unicode(None, raw, auto_detect_fun=lambda b: None)
    if "\ufffd" in text and encoding in ("utf-8", "cp1252"):
        best = from_bytes(raw).best()
        if best is not None:
            return str(best)
    return text


# Local pages without --base-url live under this stand-in origin, so that
# root-relative links (/css/site.css) resolve against the local root, as they
# will on the server.  `.invalid` can never be a real host (RFC 2606).
LOCAL_ORIGIN = "http://local.invalid/"


class LocalSite:
    """Maps page URLs to files under the local root, and back."""

    def __init__(self, roots: list[Path], base_url: str | None):
        resolved = [r.resolve() for r in roots]
        self.root = Path(os.path.commonpath(resolved)) if resolved else Path.cwd()
        self.live = bool(base_url)
        self.base_url = (base_url.rstrip("/") + "/") if base_url else LOCAL_ORIGIN
        self.base_path = urlsplit(self.base_url).path

    def url_for(self, file: Path) -> str:
        rel = file.resolve().relative_to(self.root)
        return urljoin(self.base_url, quote(rel.as_posix()))

    def file_for(self, url: str) -> Path | None:
        """The file a URL points at, when it is under our root; else None."""
        parts, base = urlsplit(url), urlsplit(self.base_url)
        if (parts.scheme, parts.netloc) != (base.scheme, base.netloc) or not parts.path.startswith(self.base_path):
            return None
        return self.root / unquote(parts.path[len(self.base_path):])

    @staticmethod
    def existing(path: Path) -> Path | None:
        if path.is_file():
            return path
        if path.is_dir():
            for name in ("index.html", "index.htm", "default.htm"):
                if (path / name).is_file():
                    return path / name
        return None

    def display(self, url: str) -> str:
        """How a page or target is shown and fingerprinted: without
        --base-url, as a path relative to the working directory, so a
        baseline made in one checkout matches in another."""
        if self.live or not url.startswith(LOCAL_ORIGIN):
            return url
        path = self.file_for(url)
        rel = os.path.relpath(path, Path.cwd()) if path is not None else url
        frag = urlsplit(url).fragment
        return f"{rel}#{frag}" if frag else rel


# ---- the check ------------------------------------------------------------

def _disk_result(site: LocalSite, url: str) -> LinkResult | None:
    """The outcome of a link to one of our files (None when it is not ours).
    HTML targets carry their anchors, so #fragments can be judged."""
    path = site.file_for(url)
    if path is None:
        return None
    found = site.existing(path)
    if found is None:
        return LinkResult(url=url, status=404, outcome=LinkOutcome.broken, error=f"檔案不存在：{site.display(url)}")
    anchors = None
    if found.suffix.lower() in HTML_SUFFIXES:
        anchors = Page(url=url, html=decode_html(found.read_bytes())).anchors
    return LinkResult(url=url, status=200, outcome=LinkOutcome.ok, final_url=url, anchors=anchors)


def _fetch(cfg: Config, urls_as_pages: list[str], check_urls: list[str], work: Path):
    from crawler.audit import crawl

    page_cfg = replace(cfg, site=replace(cfg.site, start_urls=tuple(urls_as_pages)))
    return crawl(page_cfg, work, progress=False, recurse=False, check_urls=tuple(check_urls), with_a11y=False)


def _a11y(cfg: Config, pages: list[Page]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    from crawler.audit import make_a11y_runner

    cache = Path(os.environ.get("SITEAUDIT_CACHE_DIR", Path.home() / ".cache" / "siteaudit")) / "a11y-cache.sqlite"
    cache.parent.mkdir(parents=True, exist_ok=True)
    runner = make_a11y_runner(cfg, cache)
    # the browser opens local pages as file:// (their links need no server)
    opened = {page.url: Path(page.local_path).resolve().as_uri() if page.local_path else page.url for page in pages}
    for page in pages:
        runner.submit(opened[page.url], hashlib.sha256(page.html.encode("utf-8")).hexdigest())
    outcome = runner.finish()
    results = {url: outcome.results[target] for url, target in opened.items() if target in outcome.results}
    return results, outcome.failures


def collect(args_targets: list[str], cfg: Config, base_url: str | None, work: Path, as_of) -> tuple[list[Page], list[Finding], dict[str, Any]]:
    remote = [t for t in args_targets if urlsplit(t).scheme in ("http", "https")]
    local: list[tuple[Path, Path]] = []
    for t in args_targets:
        if t not in remote:
            local.extend(_local_files(t))
    if not remote and not local:
        raise UsageError("沒有可檢查的網頁（目錄中沒有 .html 檔）")
    site = LocalSite([root for _, root in local], base_url)

    pages: list[Page] = []
    for file, _root in local:
        url = site.url_for(file)
        sec = section_for(url, cfg.sections)
        pages.append(Page(url=url, html=decode_html(file.read_bytes()), content_type="text/html",
                          section=sec.path, unit=sec.unit, local_path=str(file)))

    # link targets: on disk when they are ours, else fetched once each
    link_results: dict[str, LinkResult] = {}
    to_fetch: dict[str, None] = {}  # ordered set
    for page in pages:
        for link in page.links:
            if link.url in link_results or link.url in to_fetch:
                continue
            res = _disk_result(site, link.url)
            if res is not None:
                link_results[link.url] = res
            elif urlsplit(link.url).scheme in ("http", "https") and cfg.links.check_external:
                to_fetch[link.url] = None

    run_info: dict[str, Any] = {}
    if remote or to_fetch:
        store = _fetch(cfg, remote, list(to_fetch), work)
        try:
            link_results.update(store.link_results())
            for rec in store.iter_pages():
                sec = section_for(rec["url"], cfg.sections)
                pages.append(Page(url=rec["url"], html=rec["html"], status=rec["status"], headers=rec["headers"],
                                  content_type=rec["content_type"], section=sec.path, unit=sec.unit))
            fetched = store.page_urls()
        finally:
            store.close()
        for t in remote:
            res = link_results.get(t)
            if res is None or (res.final_url or t) not in fetched:
                why = f"{res.status}" if res else "沒有回應"
                raise AuditCannotRun(f"無法取得 {t}：{why}。請確認網址可連線（或先啟動預覽伺服器）。")

    axe: dict[str, Any] = {}
    if cfg.accessibility.enabled:
        axe, failures = _a11y(cfg, pages)
        run_info["a11y_failures"] = failures
    ctx = CheckContext(as_of=as_of, settings=cfg.check_settings(), link_results=link_results, axe_results=axe)
    findings: list[Finding] = []
    for page in pages:
        findings.extend(run_page(page, ctx))
    # shown and fingerprinted with stable names (relative paths for local files)
    shown = []
    for f in findings:
        detail, message = dict(f.detail), f.message
        if isinstance(detail.get("target"), str):
            detail["target"] = site.display(f.detail["target"])
            message = message.replace(f.detail["target"], detail["target"])
        shown.append(replace(f, url=site.display(f.url), message=message, detail=detail))
    return pages, shown, {**run_info, "display": site.display}


def load_baseline(path: str) -> set[str]:
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise UsageError(f"--baseline: 無法讀取 {p}（{e.strerror}）") from None
    # Either a findings.jsonl (crawl) or the JSON that `check --format json` prints.
    text = "\n".join(lines).strip()
    if text.startswith("{") and '"findings"' in text[:2000] and "\n{" not in text[:2]:
        try:
            items = json.loads(text)["findings"]
            return {Finding.from_dict(d).fingerprint() for d in items}
        except (ValueError, KeyError, TypeError):
            pass  # not the check JSON after all: read it as JSON lines
    prints = set()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            prints.add(Finding.from_dict(json.loads(line)).fingerprint())
        except (ValueError, KeyError, TypeError) as e:
            raise UsageError(f"--baseline: {p} 第 {n} 行不是 findings.jsonl 格式（{e}）") from None
    return prints


def _text_report(pages: list[str], counted: list[Finding], suppressed: int, fail_on: Severity) -> str:
    lines = []
    by_page: dict[str, list[Finding]] = {}
    for f in counted:
        by_page.setdefault(f.url, []).append(f)
    for url in pages:
        fs = by_page.get(url, [])
        mark = "✗" if any(f.severity >= fail_on for f in fs) else "✓"
        lines.append(f"{mark} {url}")
        for f in sorted(fs, key=lambda f: (-f.severity, f.rule)):
            lines.append(f"    [{f.severity.zh}] {f.rule}：{f.message}")
    n_fail = sum(1 for f in counted if f.severity >= fail_on)
    tail = f"{len(pages)} 頁，問題 {len(counted)} 項，達 {fail_on.name} 以上 {n_fail} 項"
    if suppressed:
        tail += f"（另有 {suppressed} 項已在 baseline 中，不計）"
    lines.append(tail)
    return "\n".join(lines)


def run_check(args, fail_on: Severity | None, as_of) -> int:
    from reports.junit import junit_xml

    fail_on = fail_on or Severity.error
    cfg = with_overrides(load_config(args.config), no_a11y=args.no_a11y)
    baseline = load_baseline(args.baseline) if args.baseline else set()
    with tempfile.TemporaryDirectory(prefix="siteaudit-check-") as tmp:
        pages, findings, info = collect(args.targets, cfg, args.base_url, Path(tmp), as_of)
    shown_pages = [info["display"](p.url) for p in pages]
    counted = [f for f in findings if f.fingerprint() not in baseline]
    suppressed = len(findings) - len(counted)
    if args.junit:
        Path(args.junit).parent.mkdir(parents=True, exist_ok=True)
        Path(args.junit).write_text(junit_xml(counted, shown_pages, list(RULES)), encoding="utf-8")
    if args.format == "json":
        print(json.dumps({"pages": shown_pages, "findings": [f.to_dict() for f in counted],
                          "baseline_suppressed": suppressed, "fail_on": fail_on.name},
                         ensure_ascii=False, indent=2))
    else:
        print(_text_report(shown_pages, counted, suppressed, fail_on))
    return 1 if any(f.severity >= fail_on for f in counted) else 0
