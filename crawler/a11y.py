"""Accessibility runner: axe-core in headless Chromium, run while the crawl goes.

SPEC "Rules in detail / Accessibility" (axe-core injected with Selenium into
headless Chromium, run with the configured `tags`), `[accessibility]`
(`tags`, `browsers`, `locale`), "Exit codes" (browser missing -> exit 3) and
`run.json` (axe-core and browser versions).

This is the only I/O piece of the accessibility check: it gathers axe
results; `checks.accessibility` judges them.  Shape:

- `A11yRunner.submit(url, content_hash)` is non-blocking and thread-safe (the
  spider calls it from Scrapy's reactor thread as pages arrive); a pool of
  `browsers` worker threads, each owning one Chromium, audits pages in
  parallel with the crawl rather than in a serial pass afterwards.
- `A11yRunner.finish()` waits and returns an `A11yOutcome`: per-URL trimmed
  axe results, failures `(url, reason)` and stats.
- A crashed or hung browser is replaced and the page retried once; a page
  that still fails is a failure, nothing else is lost.
- Results are cached on disk by content hash + axe version + tags + locale,
  so an unchanged page is never opened again; browsers start lazily, so an
  all-cache-hit run starts none.

Never lets Selenium Manager download anything: the Debian chromium and
chromedriver paths are always given explicitly.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import re
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

from crawler.errors import AuditCannotRun

log = logging.getLogger(__name__)

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
DEFAULT_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
DEFAULT_LOCALE = "zh_TW"
DEFAULT_TIMEOUT = 30.0
AXE_ENV = "SITEAUDIT_AXE_JS"

# Without the background-networking flags Chromium phones home, and on the
# closed network those connections are refused (and slow the start).
CHROME_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--mute-audio",
    "--hide-scrollbars",
    # A fixed desktop viewport: contrast, reflow and scrollable-region
    # results depend on layout, so they must not depend on a default.
    "--window-size=1366,900",
)

# Resources axe never needs: it reads the DOM and computed styles, not
# pixels.  Blocking them keeps pages fast and the network quiet.  Stylesheets
# and scripts are NOT blocked: contrast needs the CSS, and scripts build DOM.
BLOCKED_URLS = (
    "*.png", "*.jpg", "*.jpeg", "*.gif", "*.webp", "*.bmp", "*.ico", "*.avif",
    "*.woff", "*.woff2", "*.ttf", "*.otf", "*.eot",
    "*.mp4", "*.webm", "*.ogg", "*.ogv", "*.mp3", "*.wav", "*.m4a", "*.mov", "*.avi",
    "*.pdf", "*.zip",
    "*google-analytics.com*", "*googletagmanager.com*", "*doubleclick.net*",
)

# Cap on each node's `html` snippet: big menus would otherwise bloat the
# results held in memory and the cache (one browser run can list hundreds).
HTML_SNIPPET = 300

# Runs axe and returns only what the check and the report need.  Trimming in
# the page keeps the WebDriver response small (full results for a page with a
# large menu run to megabytes).  With the "eager" load strategy the DOM is
# ready but stylesheets may still be loading; waiting for `load` (capped)
# keeps colour-contrast results from depending on timing.
_RUN_JS = r"""
var done = arguments[arguments.length - 1];
var opts = arguments[0], maxHtml = arguments[1], waitMs = arguments[2];
function trim(list) {
  return (list || []).map(function (r) {
    return {id: r.id, impact: r.impact, tags: r.tags, help: r.help,
            helpUrl: r.helpUrl, description: r.description,
            nodes: r.nodes.map(function (n) {
              return {target: n.target, html: (n.html || '').slice(0, maxHtml),
                      failureSummary: n.failureSummary || ''};
            })};
  });
}
var started = false;
function go() {
  if (started) return; started = true;
  if (typeof axe === 'undefined') { done({ok: false, error: 'axe-missing'}); return; }
  axe.run(document, opts).then(function (r) {
    done({ok: true, violations: trim(r.violations), incomplete: trim(r.incomplete)});
  }, function (e) { done({ok: false, error: String((e && e.message) || e)}); });
}
if (document.readyState === 'complete') { go(); }
else { window.addEventListener('load', go); setTimeout(go, waitMs); }
"""


# --------------------------------------------------------------------------
# Locating things, versions, availability

def project_root() -> Path | None:
    """The directory holding pyproject.toml above this package, if any."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    return None


def find_axe_js() -> Path | None:
    """axe.min.js: $SITEAUDIT_AXE_JS, else node_modules/axe-core/ in the
    project root, else in the current directory.  None when not found."""
    env = os.environ.get(AXE_ENV)
    if env:
        p = Path(env).expanduser()
        return p if p.is_file() else None
    rel = Path("node_modules", "axe-core", "axe.min.js")
    for base in (project_root(), Path.cwd()):
        if base is not None and (base / rel).is_file():
            return (base / rel).resolve()
    return None


def axe_version(axe_js: str | Path | None = None) -> str:
    """The axe-core version: its package.json, else the `/*! axe vX` banner."""
    path = Path(axe_js) if axe_js else find_axe_js()
    if path is None:
        return ""
    return _axe_version(str(path))


@lru_cache(maxsize=8)
def _axe_version(path: str) -> str:
    pkg = Path(path).parent / "package.json"
    try:
        return str(json.loads(pkg.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        pass
    try:
        with open(path, encoding="utf-8") as f:
            m = re.search(r"axe v(\d[\w.\-]*)", f.read(400))
        return m.group(1) if m else ""
    except OSError:
        return ""


@lru_cache(maxsize=4)
def browser_version(chromium: str = CHROMIUM) -> str:
    """e.g. "Chromium 156.0.8078.108" (from `chromium --version`); "" if unknown."""
    try:
        out = subprocess.run([chromium, "--version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    # Debian appends "built on Debian ..."; the version is what run.json needs.
    m = re.search(r"([A-Za-z ]*?)\s*(\d+(?:\.\d+)+)", out)
    return f"{m.group(1).strip() or 'Chromium'} {m.group(2)}" if m else out.strip()


def check_available(chromium: str = CHROMIUM, chromedriver: str = CHROMEDRIVER,
                    axe_js: str | Path | None = None) -> Path:
    """Raise AuditCannotRun (exit 3) unless browser, driver and axe-core are
    all present.  Returns the path of axe.min.js."""
    hint = "請執行 make setup（或 apt-get install chromium chromium-driver），或加上 --no-a11y 略過無障礙檢測"
    for what, path in (("Chromium", chromium), ("chromedriver", chromedriver)):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise AuditCannotRun(f"找不到 {what}（{path}）：{hint}")
    js = Path(axe_js) if axe_js else find_axe_js()
    if js is None or not js.is_file():
        where = str(js) if js else f"node_modules/axe-core/axe.min.js 或環境變數 {AXE_ENV}"
        raise AuditCannotRun(
            f"找不到 axe-core（{where}）：請執行 make setup（npm ci），或加上 --no-a11y 略過無障礙檢測")
    return js


def _load_locale(axe_js: Path, locale: str) -> dict | None:
    """axe's locale JSON next to axe.min.js; None for English or when absent."""
    if not locale or locale.lower() in ("en", "en_us", "en-us"):
        return None
    path = axe_js.parent / "locales" / f"{locale}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.warning("axe-core locale %s not found at %s; messages stay in English", locale, path)
        return None


# --------------------------------------------------------------------------
# Cache

def cache_key(content_hash: str, axe_ver: str, tags: Iterable[str], locale: str) -> str:
    """The cache key: what determines axe's answer for a page."""
    raw = "\n".join([content_hash, axe_ver, ",".join(sorted(tags)), locale])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class ResultCache:
    """axe results by cache key in one SQLite file, shared by the workers.

    Only successful results are stored: a failure may be transient and must
    be retried next run (lychee's rule: the cache never stores errors).
    """

    def __init__(self, path: str | Path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS axe_results "
                "(key TEXT PRIMARY KEY, result TEXT NOT NULL, stored REAL NOT NULL)")
            self._db.commit()

    def get(self, key: str) -> dict | None:
        with self._lock:
            row = self._db.execute("SELECT result FROM axe_results WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            return json.loads(row[0])
        except ValueError:
            return None

    def put(self, key: str, result: Mapping[str, Any]) -> None:
        text = json.dumps(result, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO axe_results VALUES (?, ?, ?)", (key, text, time.time()))
            self._db.commit()

    def close(self) -> None:
        with self._lock:
            self._db.close()


# --------------------------------------------------------------------------
# One browser

class _Browser:
    """One Selenium Chrome session with its own profile directory."""

    def __init__(self, *, axe_js: Path, axe_source: str, locale_data: dict | None,
                 timeout: float, chromium: str, chromedriver: str,
                 preload: bool, block: bool, page_load_strategy: str):
        from axe_selenium_python import Axe
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.timeout = timeout
        self.locale_data = locale_data
        self.deadline: float | None = None  # watched by the runner's watchdog
        self._killed = False
        self.profile = tempfile.mkdtemp(prefix="siteaudit-chrome-")
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for arg in CHROME_ARGS:
            options.add_argument(arg)
        options.add_argument(f"--user-data-dir={self.profile}")
        options.page_load_strategy = page_load_strategy
        service = Service(executable_path=chromedriver, log_output=subprocess.DEVNULL)
        try:
            self.driver = webdriver.Chrome(service=service, options=options)
        except BaseException:
            shutil.rmtree(self.profile, ignore_errors=True)
            raise
        self.pid = service.process.pid if service.process else None
        self._roots = self._find_roots()
        self.driver.set_page_load_timeout(timeout)
        self.driver.set_script_timeout(timeout)
        self.axe = Axe(self.driver, script_url=str(axe_js))
        self._configure = (f"axe.configure({{locale: {json.dumps(locale_data, ensure_ascii=False)}}});"
                           if locale_data else "")
        if block:
            self.driver.execute_cdp_cmd("Network.enable", {})
            self.driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": list(BLOCKED_URLS)})
        if preload:
            # axe evaluated by Chromium in every new document (frames too),
            # once per browser instead of sending 650 KB over WebDriver per
            # page; and it is in place before the page's own scripts run.
            self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                        {"source": axe_source + "\n;" + self._configure})

    def _find_roots(self) -> list:
        import psutil

        try:
            driver = psutil.Process(self.pid)
            return [driver] + driver.children()
        except (psutil.Error, ValueError, TypeError):
            return []

    def audit(self, url: str, options: Mapping[str, Any]) -> dict:
        self.deadline = time.monotonic() + 2 * self.timeout + 10
        try:
            self.driver.get(url)
            if not self.driver.execute_script("return typeof axe !== 'undefined'"):
                # Not preloaded (preload off, or a document CDP did not reach):
                # inject after load with axe-selenium-python.
                self.axe.inject()
                if self._configure:
                    self.driver.execute_script(self._configure)
            wait_ms = int(min(self.timeout / 3, 10) * 1000)
            res = self.driver.execute_async_script(_RUN_JS, dict(options), HTML_SNIPPET, wait_ms)
        finally:
            self.deadline = None
        if not isinstance(res, dict) or not res.get("ok"):
            raise RuntimeError(f"axe-core failed: {res.get('error') if isinstance(res, dict) else res!r}")
        landed = self.driver.current_url
        if _strip_fragment(landed) != _strip_fragment(url):
            # <meta http-equiv=refresh> or a script moved the browser on: the
            # result describes another page and must not be filed under this one.
            raise NavigatedAway(landed)
        return {"violations": res["violations"], "incomplete": res["incomplete"]}

    def processes(self) -> list:
        """chromedriver and every Chromium process, live ones only.

        Walks from the saved roots (chromedriver and the browser process it
        started) so a browser orphaned by a dead chromedriver is still found;
        psutil.Process objects refuse to act on a reused PID."""
        import psutil

        found: dict[int, Any] = {}
        for root in self._roots:
            try:
                if root.is_running():
                    found.setdefault(root.pid, root)
                    for c in root.children(recursive=True):
                        found.setdefault(c.pid, c)
            except psutil.Error:
                pass
        return list(found.values())

    def cpu_seconds(self) -> float:
        """CPU time used so far by chromedriver and its Chromium processes
        (for the benchmark and run stats: wall time on a shared machine
        says little)."""
        import psutil

        total = 0.0
        for p in self.processes():
            try:
                c = p.cpu_times()
                total += c.user + c.system + c.children_user + c.children_system
            except psutil.Error:
                pass
        return total

    def kill(self) -> None:
        """Kill chromedriver and every Chromium process under it.

        Used for hung or crashed browsers, where quit() could block."""
        import psutil

        if self._killed:
            return
        self._killed = True
        procs = self.processes()
        for p in procs:
            try:
                p.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(procs, timeout=5)
        try:  # reap chromedriver so no zombie is left behind
            self.driver.service.process.wait(timeout=5)
        except Exception:
            pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def quit(self) -> None:
        if self._killed:
            return
        try:
            self.driver.quit()
        except Exception:
            pass
        self.kill()  # whatever quit() left running (no-op on a clean exit)


# --------------------------------------------------------------------------
# The pool

class NavigatedAway(Exception):
    """The page sent the browser elsewhere (meta refresh, script) before axe ran."""


def _strip_fragment(url: str) -> str:
    return url.split("#", 1)[0]


@dataclass
class A11yOutcome:
    """What a run of the runner produced.

    `results`: url -> {"violations": [...], "incomplete": [...]}, each rule
    {id, impact, tags, help, helpUrl, description, nodes: [{target, html,
    failureSummary}]} (help/description in the configured locale).
    `failures`: (url, reason) for pages that could not be audited.
    `stats`: opened (pages audited in a browser), cached (answered from the
    cache), failed, seconds (wall time from first submit), browsers (browser
    starts, including replacements), restarts (browsers replaced),
    browser_cpu (CPU seconds used by the browsers and drivers).
    """

    results: dict[str, dict] = field(default_factory=dict)
    failures: list[tuple[str, str]] = field(default_factory=list)
    stats: dict[str, float] = field(default_factory=dict)


class A11yRunner:
    """A pool of browser workers auditing pages as they are submitted.

    Usage::

        runner = A11yRunner(tags=..., browsers=2, cache_path=out / "a11y-cache.sqlite")
        runner.submit(url, sha256_of_body)   # from any thread, never blocks
        outcome = runner.finish()

    `preload`, `block_resources` and `page_load_strategy` exist for the
    benchmark (bench/a11y_bench.py); the defaults are what measured fastest.
    """

    def __init__(self, tags: Iterable[str] = DEFAULT_TAGS, browsers: int = 2,
                 locale: str = DEFAULT_LOCALE, cache_path: str | Path | None = None,
                 timeout: float = DEFAULT_TIMEOUT, axe_js: str | Path | None = None,
                 chromium: str = CHROMIUM, chromedriver: str = CHROMEDRIVER,
                 preload: bool = True, block_resources: bool = True,
                 page_load_strategy: str = "eager"):
        self.axe_js = check_available(chromium, chromedriver, axe_js)
        self.tags = tuple(tags)
        self.browsers = max(1, int(browsers))
        self.locale = locale or "en"
        self.timeout = float(timeout)
        self.chromium, self.chromedriver = chromium, chromedriver
        self.preload, self.block, self.strategy = preload, block_resources, page_load_strategy
        self.axe_version = axe_version(self.axe_js)
        self._axe_source = self.axe_js.read_text(encoding="utf-8")
        self._locale_data = _load_locale(self.axe_js, self.locale)
        self._options = {"runOnly": {"type": "tag", "values": list(self.tags)},
                         "resultTypes": ["violations", "incomplete"]}
        self._cache = ResultCache(cache_path) if cache_path else None

        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._seen: set[str] = set()
        self._threads: list[threading.Thread] = []
        self._live: set[_Browser] = set()
        self._stop = threading.Event()  # finish() timed out: abandon the rest
        self._finished = False
        self._started_at: float | None = None
        self._launch_failures = 0  # consecutive; a browser that never starts fails fast
        self._launch_error = ""
        self.outcome = A11yOutcome()
        self._stats: dict[str, float] = {"opened": 0, "cached": 0, "failed": 0, "browsers": 0,
                                         "restarts": 0, "browser_cpu": 0.0}

    # -- public ---------------------------------------------------------------

    def submit(self, url: str, content_hash: str | None = None) -> None:
        """Queue one page.  Non-blocking, thread-safe; a URL is audited once.

        Without `content_hash` the page is never cached."""
        with self._lock:
            if self._finished:
                raise RuntimeError("A11yRunner.submit() after finish()")
            if url in self._seen:
                return
            self._seen.add(url)
            if not self._threads:
                self._start_workers()
        key = cache_key(content_hash, self.axe_version, self.tags, self.locale) if content_hash else None
        self._queue.put((url, key))

    def finish(self, timeout: float | None = None) -> A11yOutcome:
        """Wait for every submitted page; stop the browsers; return the outcome.

        With `timeout`, pages not done by then are failures."""
        with self._lock:
            already, self._finished = self._finished, True
            threads = list(self._threads)
        if already:
            return self.outcome
        for _ in threads:
            self._queue.put(None)  # one end marker per worker, after all pages
        end = None if timeout is None else time.monotonic() + timeout
        for t in threads:
            t.join(None if end is None else max(0.0, end - time.monotonic()))
        if any(t.is_alive() for t in threads):
            self._stop.set()
            for b in list(self._live):
                b.kill()  # unblocks the worker stuck in this browser
            for t in threads:
                t.join(15)
            self._drain(_LATE)
        if self._cache:
            self._cache.close()
        s = dict(self._stats)
        s["seconds"] = round(time.monotonic() - self._started_at, 3) if self._started_at else 0.0
        s["browser_cpu"] = round(s["browser_cpu"], 2)
        self.outcome.stats = s
        return self.outcome

    def close(self) -> None:
        self.finish(timeout=0)

    def __enter__(self) -> "A11yRunner":
        return self

    def __exit__(self, *exc: Any) -> None:
        if not self._finished:
            self.finish(timeout=0 if exc[0] else None)

    # -- workers --------------------------------------------------------------

    def _start_workers(self) -> None:
        # Threads only: a worker starts its browser at its first cache miss.
        self._started_at = time.monotonic()
        for i in range(self.browsers):
            t = threading.Thread(target=self._work, name=f"a11y-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        threading.Thread(target=self._watchdog, name="a11y-watchdog", daemon=True).start()

    def _new_browser(self) -> _Browser:
        if self._launch_failures >= 3:
            raise RuntimeError(f"瀏覽器無法啟動：{self._launch_error}")
        try:
            b = _Browser(axe_js=self.axe_js, axe_source=self._axe_source, locale_data=self._locale_data,
                         timeout=self.timeout, chromium=self.chromium, chromedriver=self.chromedriver,
                         preload=self.preload, block=self.block, page_load_strategy=self.strategy)
        except Exception as e:
            with self._lock:
                self._launch_failures += 1
                self._launch_error = _reason(e)
            raise
        with self._lock:
            self._launch_failures = 0
            self._stats["browsers"] += 1
            self._live.add(b)
        return b

    def _drop(self, b: _Browser | None, *, kill: bool) -> None:
        if b is None:
            return
        cpu = b.cpu_seconds()
        with self._lock:
            self._stats["browser_cpu"] += cpu
        b.kill() if kill else b.quit()
        with self._lock:
            self._live.discard(b)

    def _work(self) -> None:
        browser: _Browser | None = None
        try:
            while not self._stop.is_set():
                item = self._queue.get()
                if item is None:
                    break
                url, key = item
                hit = self._cache.get(key) if (self._cache and key) else None
                if hit is not None:
                    self._record(url, hit, cached=True)
                    continue
                result, reason = None, ""
                for attempt in (1, 2):  # a page gets one retry, in a fresh browser
                    if self._stop.is_set():
                        reason = reason or _LATE
                        break
                    try:
                        if browser is None:
                            browser = self._new_browser()
                        result = browser.audit(url, self._options)
                        break
                    except NavigatedAway as e:
                        reason = f"網頁自動轉址至 {e}，無障礙檢測在目標網頁進行"
                        break  # not a browser fault: no retry, browser kept
                    except Exception as e:  # crash, hang (killed by the watchdog), timeout
                        reason = _reason(e)
                        log.info("a11y: %s failed (attempt %d): %s", url, attempt, reason)
                        if browser is not None:
                            self._drop(browser, kill=True)
                            browser = None
                            with self._lock:
                                self._stats["restarts"] += 1
                if result is None:
                    self._record_failure(url, reason)
                    continue
                if self._cache and key:
                    self._cache.put(key, result)
                self._record(url, result, cached=False)
        finally:
            self._drop(browser, kill=self._stop.is_set())

    def _watchdog(self) -> None:
        # A renderer stuck in a script can hang chromedriver past its own
        # timeouts; killing the process tree makes the blocked call return.
        while not (self._finished and not any(t.is_alive() for t in self._threads)):
            now = time.monotonic()
            for b in list(self._live):
                d = b.deadline
                if d is not None and now > d:
                    log.warning("a11y: browser hung, killing it")
                    b.kill()
            time.sleep(0.5)

    def _drain(self, reason: str) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                self._record_failure(item[0], reason)

    def _record(self, url: str, result: dict, *, cached: bool) -> None:
        with self._lock:
            self.outcome.results[url] = result
            self._stats["cached" if cached else "opened"] += 1

    def _record_failure(self, url: str, reason: str) -> None:
        with self._lock:
            self.outcome.failures.append((url, reason))
            self._stats["failed"] += 1


_LATE = "未在時限內完成無障礙檢測"


def _reason(e: BaseException) -> str:
    """A one-line reason for a failure: a Chinese gist for the report, then
    the exception's name and first line for whoever debugs it."""
    from selenium.common.exceptions import TimeoutException, WebDriverException

    if isinstance(e, TimeoutException):
        gist = "頁面載入或檢測逾時"
    elif isinstance(e, WebDriverException):
        gist = "瀏覽器錯誤"
    elif isinstance(e, RuntimeError):
        gist = "檢測失敗"
    else:  # the driver process is gone: connection refused / reset
        gist = "瀏覽器已中止"
    text = (getattr(e, "msg", None) or str(e) or "").strip()
    first = text.splitlines()[0] if text else ""
    return f"{gist}（{type(e).__name__}: {first}）"[:300]
