"""Accessibility runner: axe-core in headless Chromium, run while the crawl goes.

SPEC "Rules in detail / Accessibility" (axe-core injected with Selenium into
headless Chromium, run with the configured `tags`), `[accessibility]`
(`tags`, `browsers`, `locale`, `subresource_hosts`), "Honest runs" (the
browser loads only from allowed hosts; blocked requests are counted), "Exit
codes" (browser missing -> exit 3) and `run.json` (axe-core and browser
versions, `a11y.blocked`).  Issues 10 (must-haves 6, 7), 11 (10, 11), 12
(CS2140401C's CSS) and 14 (evidence, progress).

This is the only I/O piece of the accessibility check: it gathers axe
results and the page's CSS font sizes; `checks.accessibility` and
`checks.moda` judge them.  Shape:

- `A11yRunner.submit(url, content_hash)` is non-blocking and thread-safe (the
  pipeline calls it from Scrapy's reactor thread as pages arrive); a pool of
  `browsers` worker threads, each owning one Chromium, audits pages in
  parallel with the crawl.  `finish()` waits and returns an `A11yOutcome`;
  `abort()` (SIGTERM/SIGINT) ends everything within seconds, every page not
  done becoming a failure "中斷：未完成無障礙檢測"; `progress()` gives
  (done, queued, failed) for the progress display.
- A crashed or hung browser is replaced and the page retried once.

**Confinement** (what the browser may reach).  Two layers, because each
alone has a gap:

1. Chromium's `--host-resolver-rules`: every allowed host name is mapped to
   the one address the `AddressPolicy` (crawler/netguard.py) decided on --
   resolved once, so DNS rebinding cannot cross it -- allowed IP literals are
   excluded from mapping, and everything else maps to ~NOTFOUND.  This is the
   floor: it also covers what DevTools interception never sees (WebSocket
   handshakes, `<link rel=preconnect>`, workers' sockets); tested: a server
   on 127.0.0.2 then sees no connection at all, not even a TCP accept.
2. DevTools `Fetch` interception on the *browser* target (one extra
   WebSocket to Chromium's DevTools endpoint per browser, on its own
   threads), so frames in other processes and workers are covered too.  Each
   request pauses: non-GET/HEAD (form POST, sendBeacon, fetch POST),
   top-level navigations away from the audited page (meta refresh,
   `location=`; failed as "Aborted", so the page stays and is audited as
   served), and hosts outside allowed hosts + `subresource_hosts` fail there
   and are counted per host (`blocked` in each result, summed in the stats).
   Selenium's `execute_cdp_cmd` cannot receive events and its BiDi/trio CDP
   layer is pinned to other Chromium versions, hence the small client
   (`websocket-client`, already a Selenium dependency).
   `Network.setBlockedURLs` cannot express "everything except" for methods
   or navigations and does not stop WebSockets (tested on Chromium 156), so
   it only keeps its old job: skipping images, fonts and media axe never
   needs.  WebSockets to the site itself (the resolver rules allow its host),
   WebTransport, WebRTC and popups are switched off by a script evaluated
   before the page's own in every document.

A page on an in-scope host that is not pinned yet (a new subdomain) makes
the worker pin it and audit the page again in a browser started with the new
rules.

**Cache that sees what the browser saw.**  The key is the page's content hash
+ axe version + browser version + tags + locale + confinement; the entry
also holds every stylesheet, script and sub-frame document the browser
loaded for the page with the sha256 of its body, taken from the
DevTools-intercepted response (`Fetch.getResponseBody`; bodies served from
Blink's memory cache are known from the same browser's earlier pages).  On
lookup those URLs are fetched again with plain GETs -- once per URL per run,
through the same confinement and pinned addresses -- and the entry counts
only when every hash still matches.  So an unchanged page costs no browser
next month, while a changed stylesheet invalidates every page that uses it.
The cache file is a parameter (`cache_path`): the integrator keeps it next to
the history so monthly audits share it.

**CSS font sizes (moda CS2140401C)**: after axe, in the same page, absolute
`font-size`s (and the size in `font`) are read from the CSSOM: inline
`style`, `<style>`, linked and `@import`ed sheets, through @media/@supports/
@layer and nested rules.  Cross-origin sheets (a CDN in `subresource_hosts`)
deny `cssRules`; their text is the body the browser itself received under
confinement (kept from the interception), parsed by the browser's own CSS
parser (`CSSStyleSheet.replaceSync`).  That is the crawler's scope rules
(the same allowed hosts and pinned addresses) without a second fetch that
could differ from what the page used.  A sheet that failed to load (not a
blocked one: those are in `blocked`) or cannot be read is listed in
`css.unreadable`.  Inline styles on elements Freego skips (under
`aria-hidden="true"`, inline `display:none`/`visibility:hidden`) are left
out; `<template>` content is not in the document.  Stylesheet rules are not
tied to elements, so deciding which of them apply to hidden content is left
to the judge (checks/moda.py).

**Processes**: chromedriver starts in its own process group and Chromium
stays in it; a reaper process (one per runner, in its own session) kills
those groups -- and any process carrying one of this runner's profile
directories -- when the runner's process dies, even by `kill -9`, or when the
runner closes.

Never lets Selenium Manager download anything: the Debian chromium and
chromedriver paths are always given explicitly.
"""
from __future__ import annotations

import base64
import collections
import contextlib
import hashlib
import http.client
import itertools
import json
import logging
import os
import queue
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from crawler.errors import AuditCannotRun
from crawler.netguard import AddressPolicy, Decision, normalize_host, parse_ip

log = logging.getLogger(__name__)

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
DEFAULT_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
DEFAULT_LOCALE = "zh_TW"
DEFAULT_TIMEOUT = 30.0
AXE_ENV = "SITEAUDIT_AXE_JS"

# Reason for pages the run did not finish because it was interrupted.
INTERRUPTED = "中斷：未完成無障礙檢測"

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
    # No speculative DNS or preconnects beyond what the page asks for.
    "--dns-prefetch-disable",
    # WebRTC may not open UDP sockets outside a proxy (there is none).
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    # A fixed desktop viewport: contrast, reflow and scrollable-region
    # results depend on layout, so they must not depend on a default.
    "--window-size=1366,900",
)

# Resources axe never needs: it reads the DOM and computed styles, not
# pixels.  Blocking them keeps pages fast and the network quiet.  Stylesheets
# and scripts are NOT blocked: contrast needs the CSS, and scripts build DOM.
# These are skipped for speed, not for confinement, and are not counted.
BLOCKED_URLS = (
    "*.png", "*.jpg", "*.jpeg", "*.gif", "*.webp", "*.bmp", "*.ico", "*.avif",
    "*.woff", "*.woff2", "*.ttf", "*.otf", "*.eot",
    "*.mp4", "*.webm", "*.ogg", "*.ogv", "*.mp3", "*.wav", "*.m4a", "*.mov", "*.avi",
    "*.pdf", "*.zip",
    "*google-analytics.com*", "*googletagmanager.com*", "*doubleclick.net*",
)
_SKIPPED_TYPES = frozenset({"Image", "Font", "Media"})  # the same, for frames the pattern list does not reach

# Cap on each node's `html` snippet: big menus would otherwise bloat the
# results held in memory and the cache (one browser run can list hundreds).
HTML_SNIPPET = 300
# Caps on what one page's CSS collection returns.
MAX_FONT_SIZES = 1000
MAX_SHEET_TEXT = 4_000_000  # a bigger stylesheet body is hashed but not kept for parsing
MAX_REVALIDATE = 10_000_000  # bytes read when re-checking a cached page's subresource
# Bumped when what a result holds changes shape, so old cache entries go.
RESULT_FORMAT = "3"  # 3: rendered_labels (the rendered text after each update label)

# Evaluated in every document before its own scripts: what DevTools Fetch
# interception cannot see.  WebSocket to other hosts already fails at the
# resolver; this also stops it to the site itself.
_GUARD_JS = r"""
(function () {
  function refuse(name) {
    return function () {
      throw new DOMException(name + ' is disabled during the accessibility audit', 'SecurityError');
    };
  }
  try { window.WebSocket = refuse('WebSocket'); } catch (e) {}
  try { if (window.WebTransport) window.WebTransport = refuse('WebTransport'); } catch (e) {}
  try { if (window.RTCPeerConnection) window.RTCPeerConnection = refuse('RTCPeerConnection'); } catch (e) {}
  try { if (window.webkitRTCPeerConnection) window.webkitRTCPeerConnection = refuse('RTCPeerConnection'); } catch (e) {}
  try { window.open = function () { return null; }; } catch (e) {}
})();
"""

# The CSS part of the page script: absolute font sizes from the CSSOM.
# `css(sheetsText)` with a list of [href, text] parses those texts with the
# browser's own parser (cross-origin sheets, whose cssRules are denied).
_CSS_JS = r"""
var ABS = /(^|[^\w.-])-?(\d+\.?\d*|\.\d+)(px|pt|pc|in|cm|mm|q)(?![\w-])/i;
function cssPath(el) {
  var parts = [];
  while (el && el.nodeType === 1 && parts.length < 8) {
    if (el.id) { parts.unshift('#' + CSS.escape(el.id)); break; }
    var tag = el.localName, p = el.parentElement;
    if (!p) { parts.unshift(tag); break; }
    var same = Array.prototype.filter.call(p.children, function (c) { return c.localName === tag; });
    parts.unshift(same.length > 1 ? tag + ':nth-of-type(' + (same.indexOf(el) + 1) + ')' : tag);
    el = p;
  }
  return parts.join(' > ');
}
function fontSizeOf(style) {
  var size = style.getPropertyValue('font-size');
  if (!size || !ABS.test(size)) return null;
  var font = style.getPropertyValue('font');
  if (font && /font\s*:/i.test(style.cssText)) return ['font', font];
  return ['font-size', size];
}
function cssCollector(maxOut) {
  var out = [], seen = {}, pending = [], unreadable = [], sheets = [], visited = [];
  function add(selector, style, source) {
    var got = fontSizeOf(style);
    if (!got || out.length >= maxOut) return;
    var key = selector + '\u0000' + got[0] + '\u0000' + got[1] + '\u0000' + source;
    if (seen[key]) return;
    seen[key] = 1;
    out.push({selector: selector, property: got[0], value: got[1], source: source});
  }
  function walkRules(rules, source) {
    for (var i = 0; i < rules.length; i++) {
      var r = rules[i];
      if (r.styleSheet !== undefined && r.href !== undefined) {  // @import
        if (r.styleSheet) walkSheet(r.styleSheet, source);
        else if (r.href) {
          unreadable.push(new URL(r.href, source.indexOf('http') === 0 ? source : document.baseURI).href);
        }
        continue;
      }
      if (r.style && r.selectorText !== undefined) add(r.selectorText, r.style, source);
      if (r.cssRules) walkRules(r.cssRules, source);
    }
  }
  function walkSheet(sheet, parentSource) {
    if (visited.indexOf(sheet) >= 0) return;
    visited.push(sheet);
    var source = sheet.href || parentSource || 'style';
    var rules;
    try { rules = sheet.cssRules; } catch (e) { if (sheet.href) pending.push(sheet.href); return; }
    if (sheet.href) sheets.push(sheet.href);
    if (rules) walkRules(rules, source);
  }
  return {add: add, walkRules: walkRules, walkSheet: walkSheet, out: out, pending: pending,
          unreadable: unreadable, sheets: sheets};
}
function hiddenForFreego(el) {
  for (var e = el; e && e.nodeType === 1; e = e.parentElement) {
    if (e.getAttribute('aria-hidden') === 'true') return true;
    var st = e.style;
    if (st && (st.display === 'none' || st.visibility === 'hidden')) return true;
  }
  return false;
}
function collectCss(maxOut) {
  var c = cssCollector(maxOut);
  for (var i = 0; i < document.styleSheets.length; i++) c.walkSheet(document.styleSheets[i], null);
  var links = document.querySelectorAll('link[rel~="stylesheet" i][href]');
  for (var j = 0; j < links.length; j++) {
    if (!links[j].sheet && !links[j].disabled) c.unreadable.push(links[j].href);
  }
  var styled = document.querySelectorAll('[style]');
  for (var k = 0; k < styled.length; k++) {
    if (!hiddenForFreego(styled[k])) c.add(cssPath(styled[k]), styled[k].style, 'inline');
  }
  var scripts = [];
  for (var m = 0; m < document.scripts.length; m++) if (document.scripts[m].src) scripts.push(document.scripts[m].src);
  return {absolute_font_sizes: c.out, unreadable: c.unreadable, pending: c.pending, sheets: c.sheets,
          scripts: scripts};
}
"""

# Runs axe, then the CSS collection, and returns only what the checks and
# the report need.  Trimming in the page keeps the WebDriver response small
# (full results for a page with a large menu run to megabytes).  With the
# "eager" load strategy the DOM is ready but stylesheets may still be
# loading; waiting for `load` (capped) keeps colour-contrast results from
# depending on timing.
_RUN_JS = _CSS_JS + r"""
var done = arguments[arguments.length - 1];
var opts = arguments[0], maxHtml = arguments[1], waitMs = arguments[2], maxCss = arguments[3];
var labelSource = arguments[4];
// The rendered text right after each 更新日期-like label (a script may have
// written the date): a dozen short snippets, not the whole page.
function renderedLabels(src, max, width) {
  if (!src || !document.body) return [];
  var text = document.body.innerText || '', re = new RegExp(src, 'gi'), out = [], m;
  while ((m = re.exec(text)) && out.length < max) {
    out.push(text.slice(m.index, m.index + m[0].length + width));
    if (m[0].length === 0) re.lastIndex++;
  }
  return out;
}
// messageKey: why axe could not decide (bgImage, bgGradient, ...), for needs-review nodes
var DATA = ['fgColor', 'bgColor', 'contrastRatio', 'fontSize', 'fontWeight', 'messageKey'];
function nodeOut(ruleId, n) {
  var o = {target: n.target, html: (n.html || '').slice(0, maxHtml), failureSummary: n.failureSummary || ''};
  if (ruleId === 'color-contrast') {
    var d = n.any && n.any[0] && n.any[0].data;
    if (d && typeof d === 'object') {
      var keep = {};
      DATA.forEach(function (k) { if (d[k] !== undefined && d[k] !== null) keep[k] = d[k]; });
      o.data = keep;
    }
  }
  return o;
}
function trim(list) {
  return (list || []).map(function (r) {
    return {id: r.id, impact: r.impact, tags: r.tags, help: r.help,
            helpUrl: r.helpUrl, description: r.description,
            nodes: r.nodes.map(function (n) { return nodeOut(r.id, n); })};
  });
}
var started = false;
function go() {
  if (started) return; started = true;
  if (typeof axe === 'undefined') { done({ok: false, error: 'axe-missing'}); return; }
  axe.run(document, opts).then(function (r) {
    var css, labels = [];
    try { css = collectCss(maxCss); } catch (e) { css = {error: String(e)}; }
    try { labels = renderedLabels(labelSource, 12, 60); } catch (e) { labels = []; }
    done({ok: true, violations: trim(r.violations), incomplete: trim(r.incomplete), css: css, labels: labels});
  }, function (e) { done({ok: false, error: String((e && e.message) || e)}); });
}
if (document.readyState === 'complete') { go(); }
else { window.addEventListener('load', go); setTimeout(go, waitMs); }
"""

@lru_cache(maxsize=1)
def _label_pattern() -> str:
    """The freshness check's update labels, as a JavaScript regex source."""
    from checks.freshness import browser_label_pattern

    return browser_label_pattern()


# Parses stylesheet texts the page could not read itself (cross-origin).
_CSS_TEXT_JS = _CSS_JS + r"""
var texts = arguments[0], maxCss = arguments[1];
var c = cssCollector(maxCss), failed = [];
texts.forEach(function (t) {
  try { var s = new CSSStyleSheet(); s.replaceSync(t[1]); c.walkRules(s.cssRules, t[0]); }
  catch (e) { failed.push(t[0]); }
});
return {absolute_font_sizes: c.out, failed: failed};
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


_detect_browser_version = browser_version  # A11yRunner has a parameter of that name


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
# Confinement

def _host_in(host: str, domains: Iterable[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


@dataclass(frozen=True)
class Confinement:
    """Which hosts the browser may load from: the crawl's allowed domains
    (with their subdomains, as the spider's scope has them) and
    `subresource_hosts` (exact host names)."""

    allowed_domains: tuple[str, ...] = ()
    subresource_hosts: tuple[str, ...] = ()

    @classmethod
    def of(cls, allowed: Iterable[str], subresource: Iterable[str]) -> Confinement:
        def clean(hosts: Iterable[str]) -> tuple[str, ...]:
            return tuple(sorted({normalize_host(h) for h in hosts if h and normalize_host(h)}))
        return cls(clean(allowed), clean(subresource))

    def allows(self, host: str) -> bool:
        host = normalize_host(host)
        return _host_in(host, self.allowed_domains) or host in self.subresource_hosts

    def with_domains(self, hosts: Iterable[str]) -> Confinement:
        return Confinement.of((*self.allowed_domains, *hosts), self.subresource_hosts)

    def key(self) -> str:
        return ",".join(self.allowed_domains) + "|" + ",".join(self.subresource_hosts)


def resolver_rules(pins: Mapping[str, Decision]) -> str:
    """Chromium `--host-resolver-rules`: pinned names map to their decided
    address, allowed IP literals stay as they are, everything else fails to
    resolve.  (Exclusions win over maps in Chromium, so names are mapped, not
    excluded; IP literals are matched by the rules too -- tested.)"""
    rules = []
    for host, d in sorted(pins.items()):
        if not (d.allowed and d.ip) or "," in host or " " in host:
            continue
        literal = parse_ip(host)
        if literal is not None:
            rules.append(f"EXCLUDE {host}")
            if literal.version == 6:
                rules.append(f"EXCLUDE [{host}]")
        else:
            ip = parse_ip(d.ip)
            rules.append(f"MAP {host} {'[' + d.ip + ']' if ip is not None and ip.version == 6 else d.ip}")
    rules.append("MAP * ~NOTFOUND")
    return ", ".join(rules)


def _sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def body_fingerprint(status: int, body: bytes, location: str = "") -> str:
    """What the cache compares for one subresource: the body's sha256 for a
    200, else the status (and a redirect's target): an error page's body may
    vary, its status does not."""
    if status == 200:
        return _sha(body)
    if 300 <= status < 400:
        return f"redirect:{status}:{location}"
    return f"status:{status}"


class Revalidator:
    """Fetches a cached page's subresources again to see whether they changed.

    Plain GETs, one per URL per run (a site's shared stylesheet is fetched
    once however many pages use it), only to hosts the confinement allows, to
    the address the policy pinned, never following redirects.  Thread-safe.
    """

    def __init__(self, allows: Callable[[str], bool], pin: Callable[[str], Decision], timeout: float,
                 user_agent: str = "siteaudit"):
        self._allows = allows
        self._pin = pin  # host -> Decision (the runner's pinned decisions)
        self.timeout = timeout
        self.user_agent = user_agent
        self._lock = threading.Lock()
        self._memo: dict[str, str | None] = {}
        self._url_locks: dict[str, threading.Lock] = {}
        self.fetched = 0

    def fingerprint(self, url: str) -> str | None:
        with self._lock:
            if url in self._memo:
                return self._memo[url]
            lock = self._url_locks.setdefault(url, threading.Lock())
        with lock:
            with self._lock:
                if url in self._memo:
                    return self._memo[url]
            value = self._fetch(url)
            with self._lock:
                self._memo[url] = value
                self.fetched += 1
            return value

    def _fetch(self, url: str) -> str | None:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.scheme not in ("http", "https") or not self._allows(host):
            return None
        decision = self._pin(host)
        if not (decision.allowed and decision.ip):
            return None
        port = parts.port or (443 if parts.scheme == "https" else 80)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn = _pinned_connection(parts.scheme, host, decision.ip, port, self.timeout)
        try:
            conn.request("GET", path, headers={"Host": parts.netloc.rsplit("@", 1)[-1], "User-Agent": self.user_agent,
                                               "Accept": "*/*", "Accept-Encoding": "identity"})
            resp = conn.getresponse()
            body = resp.read(MAX_REVALIDATE + 1)
            if len(body) > MAX_REVALIDATE:
                return None
            return body_fingerprint(resp.status, body, resp.getheader("Location") or "")
        except (OSError, http.client.HTTPException, ValueError):
            return None
        finally:
            conn.close()


def _pinned_connection(scheme: str, host: str, ip: str, port: int, timeout: float) -> http.client.HTTPConnection:
    """An HTTP(S) connection to `ip` that speaks to `host` (Host header, TLS
    SNI and certificate name): the address was decided, the name is kept."""
    if scheme == "https":
        ctx = ssl.create_default_context()

        class Pinned(http.client.HTTPSConnection):
            def connect(self) -> None:
                sock = socket.create_connection((ip, port), timeout)
                self.sock = ctx.wrap_socket(sock, server_hostname=host)

        return Pinned(host, port, timeout=timeout, context=ctx)
    return http.client.HTTPConnection(ip, port, timeout=timeout)


# --------------------------------------------------------------------------
# Cache

def cache_key(url: str, content_hash: str, axe_ver: str, tags: Iterable[str], locale: str,
              browser_ver: str = "", confinement: str = "") -> str:
    """The cache key: what determines axe's answer for a page, apart from its
    subresources (which each entry lists and a lookup re-checks).  The URL is
    part of it: byte-identical pages at two addresses resolve relative
    stylesheet links to different files."""
    raw = "\n".join([RESULT_FORMAT, url, content_hash, axe_ver, browser_ver, ",".join(sorted(tags)), locale,
                     confinement])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class ResultCache:
    """axe results by cache key in one SQLite file, shared by the workers
    (and by monthly runs: the integrator keeps it next to the history).

    Each entry is a result dict whose `loaded` maps every stylesheet, script
    and frame document the page loaded to its fingerprint; `get` returns it
    and the caller re-checks those.  Only successful results are stored: a
    failure may be transient and must be retried next run (lychee's rule:
    the cache never stores errors).
    """

    def __init__(self, path: str | Path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS axe_pages "
                "(key TEXT PRIMARY KEY, result TEXT NOT NULL, stored REAL NOT NULL)")
            self._db.commit()

    def get(self, key: str) -> dict | None:
        with self._lock:
            row = self._db.execute("SELECT result FROM axe_pages WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            got = json.loads(row[0])
        except ValueError:
            return None
        return got if isinstance(got, dict) else None

    def put(self, key: str, result: Mapping[str, Any]) -> None:
        text = json.dumps(result, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO axe_pages VALUES (?, ?, ?)", (key, text, time.time()))
            self._db.commit()

    def close(self) -> None:
        with self._lock:
            self._db.close()


# --------------------------------------------------------------------------
# Processes: a reaper that outlives us

# Runs in its own session.  Lines on stdin: "+PGID MARKER" registers a
# chromedriver process group (and the --user-data-dir argument its Chromium
# carries: one that left the group is found by it), "-PGID" forgets it.  When stdin closes or the parent is gone
# (kill -9: the pipe may stay open in forked children, so the parent pid is
# polled too), every process in a registered group or carrying a marker is
# killed, and the profile directories named by the markers removed.
_REAPER = r"""
import os, select, signal, sys
parent = int(sys.argv[1])
groups, markers = {}, set()
def reap():
    for name in os.listdir('/proc'):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open('/proc/%s/stat' % name, 'rb') as f:
                stat = f.read()
            pgrp = int(stat[stat.rindex(b')') + 2:].split()[2])
            hit = pgrp in groups
            if not hit and markers:
                with open('/proc/%s/cmdline' % name, 'rb') as f:
                    cmd = f.read()
                hit = any(m in cmd for m in markers)
            if hit:
                os.kill(int(name), signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            pass
for s in (signal.SIGINT, signal.SIGHUP):
    signal.signal(s, signal.SIG_IGN)
signal.signal(signal.SIGTERM, lambda *a: (reap(), os._exit(0)))
buf = b''
while True:
    r, _, _ = select.select([0], [], [], 0.25)
    if os.getppid() != parent:
        break
    if not r:
        continue
    chunk = os.read(0, 4096)
    if not chunk:
        break
    buf += chunk
    while b'\n' in buf:
        line, buf = buf.split(b'\n', 1)
        parts = line.split(b' ', 1)
        try:
            pgid = int(parts[0][1:])
        except ValueError:
            continue
        if parts[0][:1] == b'+':
            groups[pgid] = parts[1] if len(parts) > 1 else b''
            if groups[pgid]:
                markers.add(groups[pgid])
        elif parts[0][:1] == b'-':
            m = groups.pop(pgid, b'')
            markers.discard(m)
reap()
if markers:  # the profiles of browsers killed here: nobody else will remove them
    import shutil, time
    time.sleep(0.3)
    for m in markers:
        if m.startswith(b'--user-data-dir='):
            shutil.rmtree(os.fsdecode(m[len(b'--user-data-dir='):]), ignore_errors=True)
"""


class _Reaper:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.proc = subprocess.Popen([sys.executable, "-c", _REAPER, str(os.getpid())], stdin=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True, close_fds=True)

    def _send(self, line: str) -> None:
        with self._lock:
            if self.proc.stdin is None or self.proc.stdin.closed:
                return
            try:
                self.proc.stdin.write(line.encode("utf-8", "replace") + b"\n")
                self.proc.stdin.flush()
            except OSError:
                pass

    def register(self, pgid: int, marker: str) -> None:
        self._send(f"+{pgid} {marker}")

    def forget(self, pgid: int) -> None:
        self._send(f"-{pgid}")

    def close(self) -> None:
        with self._lock:
            if self.proc.stdin is not None and not self.proc.stdin.closed:
                with contextlib.suppress(OSError):
                    self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --------------------------------------------------------------------------
# DevTools: interception on the browser target

class _DevTools:
    """A minimal CDP client on the browser-level DevTools WebSocket.

    A reader thread takes messages off the socket: command answers wake the
    caller; events `on_fast(method, params)` accepts (returns True) are
    handled right there -- it must not block -- and the others go to a queue
    that a second thread hands to `on_event` (which may make blocking calls,
    since the reader stays free).  Most paused requests are decided in the
    reader: one thread hop less per request."""

    def __init__(self, debugger_address: str, on_event: Any, timeout: float = 10.0, on_fast: Any = None):
        import websocket  # websocket-client, a Selenium dependency

        host, _, port = debugger_address.rpartition(":")
        host = "127.0.0.1" if host in ("localhost", "") else host
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"http://{host}:{port}/json/version", timeout=timeout) as r:
            ws_url = json.load(r)["webSocketDebuggerUrl"]
        self._ws = websocket.create_connection(ws_url, timeout=timeout, suppress_origin=True,
                                               http_no_proxy=[host], enable_multithread=True)
        self._ws.settimeout(None)
        self._ids = itertools.count(1)
        self._waiting: dict[int, list] = {}
        self._lock = threading.Lock()
        self._events: queue.Queue = queue.Queue()
        self._on_event = on_event
        self._on_fast = on_fast
        self.closed = threading.Event()
        threading.Thread(target=self._read, name="a11y-cdp-read", daemon=True).start()
        threading.Thread(target=self._dispatch, name="a11y-cdp-events", daemon=True).start()

    def send(self, method: str, params: Mapping[str, Any] | None = None) -> int:
        """Send without waiting for the answer."""
        i = next(self._ids)
        msg = json.dumps({"id": i, "method": method, "params": dict(params or {})})
        try:
            self._ws.send(msg)
        except Exception:  # the browser is gone; the page will fail on the WebDriver side
            self.closed.set()
        return i

    def call(self, method: str, params: Mapping[str, Any] | None = None, timeout: float = 10.0) -> dict:
        """Send and wait for the answer; raises RuntimeError on a CDP error."""
        i = next(self._ids)
        slot: list = [threading.Event(), None]
        with self._lock:
            self._waiting[i] = slot
        try:
            self._ws.send(json.dumps({"id": i, "method": method, "params": dict(params or {})}))
        except Exception as e:
            self.closed.set()
            raise RuntimeError(f"DevTools connection lost: {e}") from e
        if not slot[0].wait(timeout):
            with self._lock:
                self._waiting.pop(i, None)
            raise RuntimeError(f"DevTools {method} timed out")
        answer = slot[1] or {}
        if "error" in answer:
            raise RuntimeError(f"DevTools {method}: {answer['error'].get('message')}")
        return answer.get("result", {})

    def _read(self) -> None:
        try:
            while True:
                raw = self._ws.recv()
                if not raw:
                    break
                msg = json.loads(raw)
                if "id" in msg:
                    with self._lock:
                        slot = self._waiting.pop(msg["id"], None)
                    if slot is not None:
                        slot[1] = msg
                        slot[0].set()
                elif "method" in msg:
                    fast = False
                    if self._on_fast is not None:
                        try:
                            fast = self._on_fast(msg["method"], msg.get("params", {}))
                        except Exception:
                            log.exception("a11y: DevTools event handler failed")
                            fast = True
                    if not fast:
                        self._events.put(msg)
        except Exception:
            pass
        finally:
            self.closed.set()
            self._events.put(None)
            with self._lock:
                for slot in self._waiting.values():
                    slot[0].set()
                self._waiting.clear()

    def _dispatch(self) -> None:
        while True:
            msg = self._events.get()
            if msg is None:
                return
            try:
                self._on_event(msg["method"], msg.get("params", {}))
            except Exception:
                log.exception("a11y: DevTools event handler failed")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._ws.close()
        self.closed.set()


@dataclass
class _Body:
    fingerprint: str
    css_text: str | None  # kept for stylesheets, to parse cross-origin ones


@dataclass
class _PageTrace:
    """What one page made the browser do (filled from DevTools events)."""

    url: str
    loaded: dict[str, str] = field(default_factory=dict)
    blocked: collections.Counter = field(default_factory=collections.Counter)
    blocked_urls: set[str] = field(default_factory=set)
    unpinned: set[str] = field(default_factory=set)
    failed_sheets: list[str] = field(default_factory=list)  # stylesheets answered with an error
    refused_target: str = ""  # the page's own document (or a redirect of it) was refused


class _Interceptor:
    """Decides every request the browser makes (Fetch.requestPaused).

    Allowed: GET/HEAD to a confinement-allowed, pinned, policy-allowed host;
    the audited page's own document (and redirects of it).  Refused and
    counted: everything else.  Stylesheets, scripts and frame documents are
    also paused at the response, to fingerprint their bodies (and keep CSS
    text) -- in `bodies`, which lives as long as the browser, so resources
    Blink serves from its memory cache on later pages are known too."""

    def __init__(self, confinement: Confinement, pins: Mapping[str, Decision], main_frame: str, skip_types: bool):
        self.confinement = confinement
        self.pins = dict(pins)
        self.main_frame = main_frame
        self.skip_types = skip_types
        self.bodies: dict[str, _Body] = {}
        self._lock = threading.Lock()
        self.page: _PageTrace | None = None
        self.cdp: _DevTools | None = None

    def begin(self, url: str) -> None:
        with self._lock:
            self.page = _PageTrace(url)

    def end(self) -> _PageTrace:
        with self._lock:
            page, self.page = self.page, None
        return page or _PageTrace("")

    def target_refused(self) -> bool:
        with self._lock:
            return bool(self.page is not None and self.page.refused_target)

    def _block(self, req_id: str, url: str, host: str, navigation: bool = False, count: bool = True,
               own: bool = False) -> None:
        assert self.cdp is not None
        if own:
            with self._lock:
                if self.page is not None:
                    self.page.refused_target = url
        # A failed top-level navigation with "Aborted" leaves the current
        # document in place; any other reason would commit an error page.
        self.cdp.send("Fetch.failRequest", {"requestId": req_id,
                                            "errorReason": "Aborted" if navigation else "BlockedByClient"})
        if count:
            with self._lock:
                # Counted once per URL and page: Chromium asks again for a
                # resource its preload scanner was refused.
                if self.page is not None and url not in self.page.blocked_urls:
                    self.page.blocked[host or "(無主機)"] += 1
                    self.page.blocked_urls.add(url)

    def on_fast(self, method: str, p: Mapping[str, Any]) -> bool:
        """Request-stage decisions, in the DevTools reader thread (they never
        block); responses (which fetch the body) go to `on_event`."""
        if method != "Fetch.requestPaused":
            return True
        if "responseStatusCode" in p or "responseErrorReason" in p:
            return False
        self.on_event(method, p)
        return True

    def on_event(self, method: str, p: Mapping[str, Any]) -> None:
        if method != "Fetch.requestPaused" or self.cdp is None:
            return
        req_id, request = p["requestId"], p.get("request", {})
        url = str(request.get("url", ""))
        if "responseStatusCode" in p or "responseErrorReason" in p:
            self._on_response(req_id, url, p)
            return
        rtype, frame = p.get("resourceType", ""), p.get("frameId")
        parts = urlsplit(url)
        host = normalize_host(parts.hostname or "")
        if parts.scheme not in ("http", "https"):
            self.cdp.send("Fetch.continueRequest", {"requestId": req_id})
            return
        navigation = rtype == "Document" and frame == self.main_frame
        if self.skip_types and rtype in _SKIPPED_TYPES:
            self._block(req_id, url, host, count=False)
            return
        if request.get("method", "GET") not in ("GET", "HEAD"):
            self._block(req_id, url, host, navigation)
            return
        with self._lock:
            target = self.page.url if self.page is not None else None
        # The audited page's own document, or a server redirect of it.
        own = navigation and target is not None and (
            url.split("#", 1)[0] == target.split("#", 1)[0] or bool(p.get("redirectedRequestId")))
        if navigation and target is not None and not own:
            self._block(req_id, url, host, navigation=True)
            return
        if not self.confinement.allows(host):
            self._block(req_id, url, host, navigation, own=own)
            return
        decision = self.pins.get(host)
        if decision is None:
            # In scope (a subdomain of an allowed domain) but not pinned in
            # this browser's resolver rules: the runner pins it and audits the
            # page again in a browser that knows it.
            with self._lock:
                if self.page is not None:
                    self.page.unpinned.add(host)
            self._block(req_id, url, host, navigation, count=False)
            return
        if not decision.allowed:
            self._block(req_id, url, host, navigation, own=own)
            return
        keep = rtype in ("Stylesheet", "Script") or (rtype == "Document" and not navigation)
        if keep and rtype != "Document":
            with self._lock:
                known = self.bodies.get(url)
                if known is not None and self.page is not None:
                    # Fingerprinted on an earlier page of this browser: not
                    # paused again.  Should the body have changed since, the
                    # cache entry only misses next run; it is never wrong.
                    self.page.loaded[url] = known.fingerprint
                    keep = False
        self.cdp.send("Fetch.continueRequest", {"requestId": req_id, "interceptResponse": keep})

    def _on_response(self, req_id: str, url: str, p: Mapping[str, Any]) -> None:
        assert self.cdp is not None
        status = int(p.get("responseStatusCode") or 0)
        rtype = p.get("resourceType", "")
        if p.get("responseErrorReason") or not status:
            self.cdp.send("Fetch.continueRequest", {"requestId": req_id})
            if rtype == "Stylesheet":
                with self._lock:
                    if self.page is not None:
                        self.page.failed_sheets.append(url)
            return
        location = ""
        body = b""
        if 300 <= status < 400:
            for h in p.get("responseHeaders") or ():
                if str(h.get("name", "")).lower() == "location":
                    location = urljoin(url, str(h.get("value", "")))
        elif status == 200:
            try:
                got = self.cdp.call("Fetch.getResponseBody", {"requestId": req_id})
                raw = got.get("body", "")
                body = base64.b64decode(raw) if got.get("base64Encoded") else raw.encode("utf-8")
            except (RuntimeError, ValueError):
                self.cdp.send("Fetch.continueRequest", {"requestId": req_id})
                return
        fp = body_fingerprint(status, body, location)
        text = None
        if rtype == "Stylesheet" and status == 200 and len(body) <= MAX_SHEET_TEXT:
            text = _decode_css(body, p.get("responseHeaders") or ())
        self.cdp.send("Fetch.continueRequest", {"requestId": req_id})
        with self._lock:
            self.bodies[url] = _Body(fp, text)
            if self.page is not None:
                self.page.loaded[url] = fp
                if rtype == "Stylesheet" and not (status == 200 or 300 <= status < 400):
                    self.page.failed_sheets.append(url)


def _decode_css(body: bytes, headers: Iterable[Mapping[str, Any]]) -> str:
    """A stylesheet's text: BOM, then the HTTP charset, then @charset, else UTF-8 (CSS Syntax 3.2)."""
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", "replace")
    charset = ""
    for h in headers:
        if str(h.get("name", "")).lower() == "content-type":
            m = re.search(r"charset=[\"']?([\w.:-]+)", str(h.get("value", "")), re.IGNORECASE)
            charset = m.group(1) if m else ""
    if not charset:
        at = re.match(rb'@charset "([\w.:-]+)";', body)
        charset = at.group(1).decode("ascii") if at else "utf-8"
    try:
        return body.decode(charset, "replace")
    except LookupError:
        return body.decode("utf-8", "replace")


# --------------------------------------------------------------------------
# One browser

class NavigatedAway(Exception):
    """The server redirected the browser elsewhere before axe ran; with
    `refused`, to a place the confinement does not allow (not followed)."""

    def __init__(self, url: str, refused: bool = False):
        super().__init__(url)
        self.url, self.refused = url, refused

    def reason(self) -> str:
        if self.refused:
            return f"網頁轉址至檢測範圍外的 {self.url}，瀏覽器未前往，未做無障礙檢測"
        return f"網頁自動轉址至 {self.url}，無障礙檢測在目標網頁進行"


class NeedsPins(Exception):
    """The page used in-scope hosts this browser's resolver rules do not pin."""

    def __init__(self, hosts: Iterable[str]):
        super().__init__(", ".join(sorted(hosts)))
        self.hosts = set(hosts)


def _strip_fragment(url: str) -> str:
    return url.split("#", 1)[0]


_IMPORT = re.compile(r"""@import\s+(?:url\(\s*)?(["']?)([^"')\s;]+)\1""", re.IGNORECASE)
_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


class _Browser:
    """One Selenium Chrome session with its own profile directory, confined."""

    def __init__(self, *, axe_source: str, locale_data: dict | None, timeout: float, chromium: str,
                 chromedriver: str, preload: bool, block: bool, page_load_strategy: str,
                 confinement: Confinement, pins: Mapping[str, Decision], work_dir: str | None,
                 reaper: _Reaper | None):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.timeout = timeout
        self.locale_data = locale_data
        self.deadline: float | None = None  # watched by the runner's watchdog
        self._killed = False
        self._reaper = reaper
        self.pins = dict(pins)
        self.profile = tempfile.mkdtemp(prefix="siteaudit-chrome-", dir=work_dir)
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for arg in CHROME_ARGS:
            options.add_argument(arg)
        options.add_argument(f"--user-data-dir={self.profile}")
        options.add_argument(f"--host-resolver-rules={resolver_rules(self.pins)}")
        options.page_load_strategy = page_load_strategy
        # Its own process group (Chromium stays in it): one killpg ends the
        # whole tree, and the reaper can find it after we are gone.
        service = Service(executable_path=chromedriver, log_output=subprocess.DEVNULL,
                          popen_kw={"process_group": 0})
        self.pgid: int | None = None
        self.cdp: _DevTools | None = None
        try:
            self.driver = webdriver.Chrome(service=service, options=options)
        except BaseException:
            if service.process is not None:
                self._kill_group(service.process.pid)
            shutil.rmtree(self.profile, ignore_errors=True)
            raise
        self.pid = service.process.pid if service.process else None
        self.pgid = self.pid
        if reaper is not None and self.pgid:
            reaper.register(self.pgid, f"--user-data-dir={self.profile}")
        try:
            self._roots = self._find_roots()
            self.driver.set_page_load_timeout(timeout)
            self.driver.set_script_timeout(timeout)
            self._axe_source = axe_source
            self._configure = (f"axe.configure({{locale: {json.dumps(locale_data, ensure_ascii=False)}}});"
                               if locale_data else "")
            self.interceptor = _Interceptor(confinement, self.pins, self.driver.current_window_handle, block)
            self.cdp = _DevTools(self.driver.capabilities["goog:chromeOptions"]["debuggerAddress"],
                                 self.interceptor.on_event, on_fast=self.interceptor.on_fast)
            self.interceptor.cdp = self.cdp
            self.cdp.call("Fetch.enable", {"patterns": [{"urlPattern": "*", "requestStage": "Request"}]})
            if block:
                self.driver.execute_cdp_cmd("Network.enable", {})
                self.driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": list(BLOCKED_URLS)})
            source = _GUARD_JS
            if preload:
                # axe evaluated by Chromium in every new document (frames too),
                # once per browser instead of sending 650 KB over WebDriver per
                # page; and it is in place before the page's own scripts run.
                source += "\n;" + axe_source + "\n;" + self._configure
            self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})
        except BaseException:
            self.kill()
            raise

    def _find_roots(self) -> list:
        import psutil

        try:
            driver = psutil.Process(self.pid)
            return [driver] + driver.children()
        except (psutil.Error, ValueError, TypeError):
            return []

    def audit(self, url: str, options: Mapping[str, Any]) -> dict:
        self.deadline = time.monotonic() + 2 * self.timeout + 10
        self.interceptor.begin(url)
        try:
            try:
                self.driver.get(url)
            except Exception:
                if not self.interceptor.target_refused():
                    raise
            if self.interceptor.target_refused():
                # The page's own document went (by redirect) where the browser
                # may not go: what is on screen is the previous page.
                return self._refused(self.interceptor.end())
            if not self.driver.execute_script("return typeof axe !== 'undefined'"):
                # Not preloaded (preload off, or a document CDP did not reach):
                # inject the source already loaded.
                self.driver.execute_script(self._axe_source + "\n;" + self._configure)
            wait_ms = int(min(self.timeout / 3, 10) * 1000)
            res = self.driver.execute_async_script(_RUN_JS, dict(options), HTML_SNIPPET, wait_ms, MAX_FONT_SIZES,
                                                   _label_pattern())
            if not isinstance(res, dict) or not res.get("ok"):
                raise RuntimeError(f"axe-core failed: {res.get('error') if isinstance(res, dict) else res!r}")
            css = res.get("css") or {}
            extra = self._cross_origin_css(css.get("pending") or [], set(css.get("unreadable") or []))
            landed = self.driver.current_url
        finally:
            self.deadline = None
            trace = self.interceptor.end()
        if trace.unpinned:
            raise NeedsPins(trace.unpinned)
        if _strip_fragment(landed) != _strip_fragment(url):
            # A server redirect moved the browser on (navigations by the page
            # itself are refused): the result describes another page and must
            # not be filed under this one.
            raise NavigatedAway(landed)
        return self._result(res, css, extra, trace)

    @staticmethod
    def _refused(trace: _PageTrace) -> dict:
        if trace.unpinned:
            raise NeedsPins(trace.unpinned)
        raise NavigatedAway(trace.refused_target, refused=True)

    def _cross_origin_css(self, pending: list[str], unreadable: set[str]) -> dict:
        """Font sizes from sheets the page may not read (cross-origin), parsed
        from the bodies the browser received, @imports followed."""
        if not pending:
            return {"absolute_font_sizes": [], "unreadable": []}
        texts: list[list[str]] = []
        missing: list[str] = []
        todo, seen = list(pending), set()
        while todo:
            href = todo.pop(0)
            if href in seen:
                continue
            seen.add(href)
            body = self.interceptor.bodies.get(href)
            if href in unreadable:
                continue
            if body is None or body.css_text is None:
                missing.append(href)
                continue
            texts.append([href, body.css_text])
            for m in _IMPORT.finditer(_COMMENT.sub("", body.css_text)):
                todo.append(urljoin(href, m.group(2)))
        got: dict = {"absolute_font_sizes": [], "failed": []}
        if texts:
            got = self.driver.execute_script(_CSS_TEXT_JS, texts, MAX_FONT_SIZES) or got
        return {"absolute_font_sizes": got.get("absolute_font_sizes") or [],
                "unreadable": [u for u in (*missing, *(got.get("failed") or [])) if u not in unreadable]}

    def _result(self, res: dict, css: dict, extra: dict, trace: _PageTrace) -> dict:
        loaded = dict(trace.loaded)
        # Resources served from Blink's memory cache raise no request event:
        # their fingerprints come from this browser's earlier pages.
        for url in (*(css.get("sheets") or []), *(css.get("pending") or []), *(css.get("scripts") or [])):
            if url not in loaded and url not in trace.blocked_urls and urlsplit(url).scheme in ("http", "https"):
                body = self.interceptor.bodies.get(url)
                loaded[url] = body.fingerprint if body is not None else ""
        sizes = list(css.get("absolute_font_sizes") or []) + list(extra["absolute_font_sizes"])
        # A sheet answered with an error (404, a network failure) or that the
        # page could not read; not one the confinement blocked (`blocked` says so).
        unreadable = [u for u in dict.fromkeys([*trace.failed_sheets, *(css.get("unreadable") or []),
                                                *extra["unreadable"]])
                      if u not in trace.blocked_urls]
        if css.get("error"):
            unreadable.append(f"(CSS 讀取失敗：{css['error']})"[:200])
        return {"violations": res["violations"], "incomplete": res["incomplete"],
                "css": {"absolute_font_sizes": sizes[:MAX_FONT_SIZES], "unreadable": unreadable},
                "loaded": loaded, "blocked": dict(trace.blocked),
                "rendered_labels": [str(x) for x in (res.get("labels") or [])][:12]}

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

    @staticmethod
    def _kill_group(pgid: int | None) -> None:
        if pgid:
            with contextlib.suppress(OSError):
                os.killpg(pgid, signal.SIGKILL)

    def signal_kill(self) -> None:
        """Kill the whole process tree at once, without waiting (abort, watchdog)."""
        self._kill_group(self.pgid)
        import psutil

        for p in self.processes():
            with contextlib.suppress(psutil.Error):
                p.kill()

    def kill(self) -> None:
        """Kill chromedriver and every Chromium process under it.

        Used for hung or crashed browsers, where quit() could block."""
        import psutil

        if self._killed:
            return
        self._killed = True
        procs = self.processes()
        self.signal_kill()
        psutil.wait_procs(procs, timeout=5)
        with contextlib.suppress(Exception):  # reap chromedriver so no zombie is left behind
            self.driver.service.process.wait(timeout=5)
        if self.cdp is not None:
            self.cdp.close()
        if self._reaper is not None and self.pgid:
            self._reaper.forget(self.pgid)
        shutil.rmtree(self.profile, ignore_errors=True)

    def quit(self) -> None:
        if self._killed:
            return
        if self.cdp is not None:
            self.cdp.close()
        with contextlib.suppress(Exception):
            self.driver.quit()
        self.kill()  # whatever quit() left running (no-op on a clean exit)


# --------------------------------------------------------------------------
# The pool

@dataclass
class A11yOutcome:
    """What a run of the runner produced.

    `results`: url -> {"violations": [...], "incomplete": [...], "css":
    {"absolute_font_sizes": [...], "unreadable": [...]}, "loaded": {url:
    fingerprint}, "blocked": {host: count}}; each rule {id, impact, tags,
    help, helpUrl, description, nodes: [{target, html, failureSummary,
    data?}]} (help/description in the configured locale; `data` on
    color-contrast nodes).
    `failures`: (url, reason) for pages that could not be audited
    (`INTERRUPTED` for those an abort() left undone).
    `blocked`: {host: count} over all results (also in stats).
    `stats`: opened (pages audited in a browser), cached (answered from the
    cache), stale (cache entries whose subresources changed), failed,
    seconds (wall time from first submit), browsers (browser starts,
    including replacements), restarts (browsers replaced after a failure),
    repins (browsers restarted to pin a new in-scope host), revalidated
    (subresource GETs made to check cache entries), browser_cpu (CPU seconds
    used by the browsers and drivers), blocked ({host: count}),
    blocked_total, interrupted (bool).
    """

    results: dict[str, dict] = field(default_factory=dict)
    failures: list[tuple[str, str]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    blocked: dict[str, int] = field(default_factory=dict)
    interrupted: bool = False


class A11yRunner:
    """A pool of browser workers auditing pages as they are submitted.

    Usage (crawler/audit.py)::

        policy = netguard.AddressPolicy.for_hosts(cfg.allowed_hosts, cfg.links.allow_private)
        runner = A11yRunner(tags=..., browsers=2, locale=...,
                            allowed_hosts=cfg.allowed_hosts,
                            subresource_hosts=cfg.accessibility.subresource_hosts,
                            address_policy=policy,
                            cache_path=history_dir / "a11y-cache.sqlite",
                            browser_version=browser_version())
        runner.submit(url, sha256_of_body)   # from any thread, never blocks
        runner.progress()                    # (done, queued, failed)
        runner.abort()                       # on SIGTERM/SIGINT; returns at once
        outcome = runner.finish()

    `allowed_hosts`: the crawl's allowed domains (subdomains included); None
    means the hosts of the submitted pages.  `address_policy`: the run's
    shared policy (None: one built from the allowed hosts, private addresses
    not allowed).  `work_dir`: where browser profiles go (default: the
    system temp directory).  `on_result(url, result, reason)` is told of
    each page as it ends (from a browser thread); `result_cache` replaces the
    ResultCache at `cache_path` (crawler/queue/browser.py shares one across
    machines).  `preload`, `block_resources` and
    `page_load_strategy` exist for the benchmark (bench/a11y_bench.py); the
    defaults are what measured fastest.
    """

    def __init__(self, tags: Iterable[str] = DEFAULT_TAGS, browsers: int = 2,
                 locale: str = DEFAULT_LOCALE, cache_path: str | Path | None = None,
                 timeout: float = DEFAULT_TIMEOUT, axe_js: str | Path | None = None,
                 chromium: str = CHROMIUM, chromedriver: str = CHROMEDRIVER, *,
                 allowed_hosts: Iterable[str] | None = None, subresource_hosts: Iterable[str] = (),
                 address_policy: AddressPolicy | None = None, browser_version: str | None = None,
                 work_dir: str | Path | None = None, options: Mapping[str, Any] | None = None,
                 on_result: Callable[[str, dict | None, str | None], None] | None = None,
                 result_cache: Any = None,
                 preload: bool = True, block_resources: bool = True, page_load_strategy: str = "eager"):
        self.axe_js = check_available(chromium, chromedriver, axe_js)
        self.tags = tuple(tags)
        self.browsers = max(1, int(browsers))
        self.locale = locale or "en"
        self.timeout = float(timeout)
        self.chromium, self.chromedriver = chromium, chromedriver
        self.preload, self.block, self.strategy = preload, block_resources, page_load_strategy
        self.axe_version = axe_version(self.axe_js)
        self.browser_version = browser_version if browser_version is not None else _detect_browser_version(chromium)
        self.work_dir = str(work_dir) if work_dir else None
        self._fixed_hosts = allowed_hosts is not None
        self.confinement = Confinement.of(allowed_hosts or (), subresource_hosts)
        self._policy = address_policy
        self._axe_source = self.axe_js.read_text(encoding="utf-8")
        self._locale_data = _load_locale(self.axe_js, self.locale)
        # axe.run options: the edition's (checks.a11y_spec.axe_options: tags and the
        # rules it turns off, e.g. 4.1.1's under 115.11), always with resultTypes.
        self._options: dict[str, Any] = (dict(options) if options
                                         else {"runOnly": {"type": "tag", "values": list(self.tags)}})
        self._options["resultTypes"] = ["violations", "incomplete"]
        self._on_result = on_result
        # what decides axe's answer besides the page: tags and the rules the edition turns off
        self._cache_tags = (*self.tags, *(f"-{r}" for r in sorted(self._options.get("rules") or {})))
        self._taken_results = 0
        self._taken_failures = 0
        # `result_cache` (get/put/close, like ResultCache) instead of the file at
        # cache_path: `crawl --queue` puts the one all machines share in front.
        self._cache = result_cache if result_cache is not None else (ResultCache(cache_path) if cache_path else None)
        self._revalidator: Revalidator | None = None

        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.RLock()  # re-entrant: abort() may run in a signal handler
        self._seen: set[str] = set()
        self._threads: list[threading.Thread] = []
        self._live: set[_Browser] = set()
        self._stop = threading.Event()  # finish() timed out or abort(): abandon the rest
        self._aborted = threading.Event()
        self._finished = False
        self._closed = False
        self._started_at: float | None = None
        self._launch_failures = 0  # consecutive; a browser that never starts fails fast
        self._launch_error = ""
        self._pins: dict[str, Decision] = {}
        self._reaper: _Reaper | None = None
        self.outcome = A11yOutcome()
        self._blocked: collections.Counter = collections.Counter()
        self._stats: dict[str, Any] = {"opened": 0, "cached": 0, "stale": 0, "failed": 0, "browsers": 0,
                                       "restarts": 0, "repins": 0, "browser_cpu": 0.0}

    # -- public ---------------------------------------------------------------

    def submit(self, url: str, content_hash: str | None = None) -> None:
        """Queue one page.  Non-blocking, thread-safe; a URL is audited once.

        Without `content_hash` the page is never cached.  After abort() the
        page is recorded as interrupted at once."""
        with self._lock:
            if self._finished:
                raise RuntimeError("A11yRunner.submit() after finish()")
            if url in self._seen:
                return
            self._seen.add(url)
            if self._aborted.is_set():
                self._record_failure(url, INTERRUPTED)
                return
            if not self._fixed_hosts:
                host = normalize_host(urlsplit(url).hostname or "")
                if host and not self.confinement.allows(host):
                    self.confinement = self.confinement.with_domains([host])
            if not self._threads:
                self._start_workers()
        key = self._key(url, content_hash) if content_hash else None
        self._queue.put((url, key))

    def progress(self) -> tuple[int, int, int]:
        """(done, queued, failed): pages with a result, pages submitted and
        not yet done (waiting or in a browser), pages that failed."""
        with self._lock:
            done = len(self.outcome.results)
            failed = len(self.outcome.failures)
            return done, max(0, len(self._seen) - done - failed), failed

    def abort(self, wait: float = 0.0) -> None:
        """Stop now (SIGTERM/SIGINT): browsers are killed, the page in each and
        every queued page become failures with reason INTERRUPTED; later
        submits too.  Returns at once (safe from a signal handler); with
        `wait`, waits up to that many seconds for the workers to wind down.
        finish() then returns promptly."""
        self._aborted.set()
        self._stop.set()
        for b in list(self._live):
            b.signal_kill()  # unblocks the worker stuck in this browser
        cleaner = threading.Thread(target=self._drain, args=(INTERRUPTED,), name="a11y-abort", daemon=True)
        cleaner.start()
        for _ in self._threads:
            self._queue.put(None)  # wake idle workers: they end
        if wait:
            end = time.monotonic() + wait
            for t in [cleaner, *self._threads]:
                t.join(max(0.0, end - time.monotonic()))

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
        if self._aborted.is_set():
            timeout = 5.0 if timeout is None else min(timeout, 5.0)
        end = None if timeout is None else time.monotonic() + timeout
        for t in threads:
            t.join(None if end is None else max(0.0, end - time.monotonic()))
        if any(t.is_alive() for t in threads):
            self._stop.set()
            for b in list(self._live):
                b.signal_kill()
            for t in threads:
                t.join(15)
        self._drain(INTERRUPTED if self._aborted.is_set() else _LATE)
        self._close_resources()
        s = dict(self._stats)
        s["seconds"] = round(time.monotonic() - self._started_at, 3) if self._started_at else 0.0
        s["browser_cpu"] = round(s["browser_cpu"], 2)
        s["revalidated"] = self._revalidator.fetched if self._revalidator else 0
        with self._lock:
            self.outcome.blocked = dict(sorted(self._blocked.items()))
            self.outcome.interrupted = self._aborted.is_set()
        s["blocked"] = dict(self.outcome.blocked)
        s["blocked_total"] = sum(self.outcome.blocked.values())
        s["interrupted"] = self.outcome.interrupted
        self.outcome.stats = s
        return self.outcome

    def close(self) -> None:
        self.finish(timeout=0)

    def __enter__(self) -> A11yRunner:
        return self

    def __exit__(self, *exc: Any) -> None:
        if not self._finished:
            self.finish(timeout=0 if exc[0] else None)

    # -- configuration ----------------------------------------------------------

    def _key(self, url: str, content_hash: str) -> str:
        return cache_key(url, content_hash, self.axe_version, self._cache_tags, self.locale, self.browser_version,
                         self._confinement_key())

    def _confinement_key(self) -> str:
        # Without fixed hosts the confinement grows with the pages; the page's
        # own host is always allowed, so only the subresource hosts matter.
        return self.confinement.key() if self._fixed_hosts else "|" + ",".join(self.confinement.subresource_hosts)

    def policy(self) -> AddressPolicy:
        with self._lock:
            if self._policy is None:
                self._policy = AddressPolicy.for_hosts(self.confinement.allowed_domains)
            return self._policy

    def pin(self, host: str) -> Decision:
        """The run's decision for `host` (resolved once; the browser's resolver
        rules and the cache's revalidation both use it)."""
        host = normalize_host(host)
        with self._lock:
            got = self._pins.get(host)
        if got is not None:
            return got
        decision = self.policy().decide(host)
        with self._lock:
            return self._pins.setdefault(host, decision)

    def _launch_pins(self, extra: Iterable[str] = ()) -> dict[str, Decision]:
        for host in (*self.confinement.allowed_domains, *self.confinement.subresource_hosts, *extra):
            if host:
                self.pin(host)
        with self._lock:
            return dict(self._pins)

    # -- workers --------------------------------------------------------------

    def _start_workers(self) -> None:
        # Threads only: a worker starts its browser at its first cache miss.
        self._started_at = time.monotonic()
        for i in range(self.browsers):
            t = threading.Thread(target=self._work, name=f"a11y-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        threading.Thread(target=self._watchdog, name="a11y-watchdog", daemon=True).start()

    def _new_browser(self, page_host: str) -> _Browser:
        if self._launch_failures >= 3:
            raise RuntimeError(f"瀏覽器無法啟動：{self._launch_error}")
        pins = self._launch_pins([page_host])
        with self._lock:
            if self._stop.is_set():
                raise RuntimeError("已停止")
            if self._reaper is None:
                self._reaper = _Reaper()
            reaper = self._reaper
            confinement = self.confinement
        try:
            b = _Browser(axe_source=self._axe_source, locale_data=self._locale_data, timeout=self.timeout,
                         chromium=self.chromium, chromedriver=self.chromedriver, preload=self.preload,
                         block=self.block, page_load_strategy=self.strategy, confinement=confinement,
                         pins=pins, work_dir=self.work_dir, reaper=reaper)
        except Exception as e:
            with self._lock:
                self._launch_failures += 1
                self._launch_error = _reason(e)
            raise
        with self._lock:
            self._launch_failures = 0
            self._stats["browsers"] += 1
            self._live.add(b)
            stopped = self._stop.is_set()
        if stopped:  # abort() came while it started: it must not outlive the run
            self._drop(b, kill=True)
            raise RuntimeError("已停止")
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

    def _from_cache(self, key: str) -> dict | None:
        """A cached result whose every subresource is unchanged, else None."""
        assert self._cache is not None
        entry = self._cache.get(key)
        if entry is None:
            return None
        loaded = entry.get("loaded")
        if not isinstance(loaded, dict):
            return None
        with self._lock:
            if self._revalidator is None:
                self._revalidator = Revalidator(lambda host: self.confinement.allows(host), self.pin,
                                                min(self.timeout, 5.0))
            revalidator = self._revalidator
        for url, fp in loaded.items():
            if self._stop.is_set():
                return None
            if not fp or revalidator.fingerprint(url) != fp:
                with self._lock:
                    self._stats["stale"] += 1
                return None
        return entry

    def _work(self) -> None:
        browser: _Browser | None = None
        try:
            while not self._stop.is_set():
                item = self._queue.get()
                if item is None:
                    break
                url, key = item
                if self._stop.is_set():
                    self._record_failure(url, INTERRUPTED if self._aborted.is_set() else _LATE)
                    break
                hit = self._from_cache(key) if (self._cache and key) else None
                if hit is not None:
                    self._record(url, hit, cached=True)
                    continue
                result, reason = None, ""
                page_host = normalize_host(urlsplit(url).hostname or "")
                attempts, repins = 0, 0
                while attempts < 2:  # a page gets one retry, in a fresh browser
                    if self._stop.is_set():
                        reason = INTERRUPTED if self._aborted.is_set() else _LATE
                        break
                    try:
                        if browser is not None and page_host not in browser.pins:
                            self._drop(browser, kill=False)  # a new in-scope host: pin it
                            browser = None
                        if browser is None:
                            browser = self._new_browser(page_host)
                        decision = browser.pins.get(page_host)
                        if decision is not None and not decision.allowed:
                            reason = f"網頁位址不允許連線：{decision.reason}"
                            break
                        result = browser.audit(url, self._options)
                        break
                    except NeedsPins as e:
                        repins += 1
                        for host in e.hosts:
                            self.pin(host)
                        self._drop(browser, kill=False)
                        browser = None
                        with self._lock:
                            self._stats["repins"] += 1
                        if repins > 3:
                            reason = f"網頁使用的主機過多，無法固定位址（{e}）"
                            break
                    except NavigatedAway as e:
                        reason = e.reason()
                        break  # not a browser fault: no retry, browser kept
                    except Exception as e:  # crash, hang (killed by the watchdog), timeout
                        attempts += 1
                        reason = INTERRUPTED if self._aborted.is_set() else _reason(e)
                        log.info("a11y: %s failed (attempt %d): %s", url, attempts, reason)
                        if browser is not None:
                            self._drop(browser, kill=True)
                            browser = None
                            if not self._stop.is_set():
                                with self._lock:
                                    self._stats["restarts"] += 1
                if result is None:
                    self._record_failure(url, reason or _LATE)
                    continue
                if self._cache and key and all(result["loaded"].values()):
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
                    b.signal_kill()
            time.sleep(0.5)

    def _drain(self, reason: str) -> None:
        """Every queued page becomes a failure; end markers stay for the workers."""
        markers = 0
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                markers += 1
            else:
                self._record_failure(item[0], reason)
        for _ in range(markers):
            self._queue.put(None)

    def _close_resources(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            live = list(self._live)
        for b in live:
            self._drop(b, kill=True)
        if self._cache:
            self._cache.close()
        if self._reaper is not None:
            self._reaper.close()

    def _record(self, url: str, result: dict, *, cached: bool) -> None:
        with self._lock:
            if url in self.outcome.results:
                return
            self.outcome.results[url] = result
            self._stats["cached" if cached else "opened"] += 1
            for host, n in (result.get("blocked") or {}).items():
                self._blocked[host] += int(n)
        if self._on_result is not None:
            self._on_result(url, result, None)

    def _record_failure(self, url: str, reason: str) -> None:
        with self._lock:
            if url in self.outcome.results:
                return
            self.outcome.failures.append((url, reason))
            self._stats["failed"] += 1
        if self._on_result is not None:
            self._on_result(url, None, reason)

    # -- handing results over as they arrive ------------------------------------

    def take_results(self) -> list[tuple[str, dict]]:
        """Results recorded since the last call (thread-safe), so the crawl can
        store each one at once: a hard kill then loses at most a few pages."""
        with self._lock:
            items = list(self.outcome.results.items())[self._taken_results:]
            self._taken_results += len(items)
        return items

    def take_failures(self) -> list[tuple[str, str]]:
        """Failures recorded since the last call (thread-safe)."""
        with self._lock:
            items = self.outcome.failures[self._taken_failures:]
            self._taken_failures += len(items)
        return list(items)


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
