"""Real-browser tests of crawler/a11y.py (SPEC "Rules in detail / Accessibility",
"Honest runs"; issues 10, 11, 12, 14).

Fixture pages under tests/fixtures/a11y/ are served on 127.0.0.1, their
"other host" files (tests/fixtures/a11y/other/) on 127.0.0.2, and audited in
headless Chromium; each page states what it must produce.  Also: the
browser's confinement (the 127.0.0.2 server sees no connection unless it is
a subresource host, and then only GETs), the cache that sees the
stylesheets (an unchanged page never opens a browser; a changed stylesheet
does), absolute font sizes from the CSSOM, crash recovery, a hung page
failing alone, abort() and kill -9 leaving no browser behind, and the exit-3
availability check (no browser needed for those).

Re-record the axe JSON used by tests/test_accessibility.py with:
    .venv/bin/python tests/test_a11y_runner.py --record
"""
from __future__ import annotations

import hashlib
import http.server
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler import a11y  # noqa: E402
from crawler.a11y import (  # noqa: E402
    INTERRUPTED,
    A11yRunner,
    ResultCache,
    axe_version,
    browser_version,
    cache_key,
    check_available,
    find_axe_js,
    resolver_rules,
)
from crawler.errors import AuditCannotRun  # noqa: E402
from crawler.netguard import AddressPolicy, Decision  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "a11y"
ROOT = Path(__file__).resolve().parents[1]

# page -> the exact set of axe rules it violates (at the default WCAG 2.1 AA tags)
EXPECTED = {
    "clean.html": set(),
    "image-alt.html": {"image-alt"},
    "label.html": {"label"},
    "color-contrast.html": {"color-contrast"},
    "html-has-lang.html": {"html-has-lang"},
    "link-name.html": {"link-name"},
    "multi.html": {"html-has-lang", "image-alt", "label", "link-name", "color-contrast"},
    "script-date.html": set(),
}
# Pages whose recorded results feed the unit tests of checks/accessibility.py.
RECORDED = ("multi.html", "clean.html")


def _browser_ready() -> bool:
    try:
        check_available()
        return True
    except AuditCannotRun:
        return False


needs_browser = pytest.mark.skipif(not _browser_ready(), reason="chromium/chromedriver/axe-core not installed")


def _digest(name: str) -> str:
    return hashlib.sha256((FIXTURES / name).read_bytes()).hexdigest()


def _our_chromedrivers() -> list:
    return [p for p in psutil.Process().children(recursive=True) if _name(p) == "chromedriver"]


def _name(p) -> str:
    try:
        return p.name()
    except psutil.Error:
        return ""


def _kill_our_chromedrivers(mode: str, seen: list) -> int:
    """Kill every chromedriver under this test process: with its Chromium
    (mode "tree"), or alone, orphaning the browser (mode "driver").  The
    PIDs of everything that was under it go into `seen`."""
    killed = 0
    for p in _our_chromedrivers():
        try:
            tree = [p] + p.children(recursive=True)
            seen.extend(tree)
            for q in (tree if mode == "tree" else [p]):
                q.kill()
            killed += 1
        except psutil.Error:
            pass
    return killed


# ---------------------------------------------------------------------------
# Loopback sites

class _Site(http.server.ThreadingHTTPServer):
    """Fixture files on one loopback address, recording every connection and
    request.  `{{OTHER}}`, `{{OTHER_WS}}` and `{{SELF_WS}}` in served files
    become the other host's and this host's addresses.  `files` overrides
    paths (a stylesheet a test changes); trap routes: /crash/<page> kills the
    browser the first time, then serves <page>; /hang.html never answers (until
    the server stops)."""

    daemon_threads = True

    def __init__(self, ip: str, root: Path):
        super().__init__((ip, 0), _Handler)
        self.root = root
        self.ip = ip
        self.subst: dict[str, str] = {}
        self.files: dict[str, bytes] = {}
        self.redirects: dict[str, str] = {"/to-other.html": "{{OTHER}}/frame.html", "/to-clean.html": "/clean.html"}
        self.requests: list[tuple[str, str, str | None]] = []
        self.accepts = 0
        self.crashes: dict[str, int] = {}
        self.crash_mode = "tree"
        self.crashed_procs: list = []
        self.release = threading.Event()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://{self.ip}:{self.server_port}/"

    def get_request(self):
        sock, addr = super().get_request()
        self.accepts += 1
        return sock, addr

    def reset(self) -> None:
        self.requests.clear()
        self.accepts = 0

    def stop(self) -> None:
        self.release.set()
        self.shutdown()
        self.server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Site

    def _serve(self) -> None:
        site = self.server
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        path = self.path.split("?", 1)[0]
        site.requests.append((self.command, path, self.headers.get("Upgrade")))
        if path.startswith("/crash/"):
            if site.crashes.get(path, 0) == 0:
                site.crashes[path] = _kill_our_chromedrivers(site.crash_mode, site.crashed_procs)
            path = "/" + path.split("/", 2)[2]
        elif path == "/hang.html":
            site.release.wait(20)
            return
        elif path in site.redirects:
            location = site.redirects[path]
            for k, v in site.subst.items():
                location = location.replace(k, v)
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.command != "GET":
            body, ctype, status = b"ok", "text/plain", 200
        elif path in site.files:
            body, ctype, status = site.files[path], _ctype(path), 200
        else:
            f = (site.root / path.lstrip("/")).resolve()
            if site.root in f.parents and f.is_file():
                body, ctype, status = f.read_bytes(), _ctype(path), 200
            else:
                body, ctype, status = b"<!DOCTYPE html><title>404</title>", "text/html", 404
        for k, v in site.subst.items():
            body = body.replace(k.encode(), v.encode())
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _serve  # noqa: N815

    def log_message(self, *a):
        pass


def _ctype(path: str) -> str:
    if path.endswith(".css"):
        return "text/css"
    if path.endswith(".js"):
        return "text/javascript"
    if path.endswith(".json"):
        return "application/json"
    return "text/html; charset=utf-8"


@pytest.fixture(scope="module")
def sites():
    main = _Site("127.0.0.1", FIXTURES)
    other = _Site("127.0.0.2", FIXTURES / "other")
    for s in (main, other):
        s.subst = {"{{OTHER}}": other.base.rstrip("/"), "{{OTHER_WS}}": f"ws://127.0.0.2:{other.server_port}",
                   "{{SELF_WS}}": f"ws://127.0.0.1:{main.server_port}"}
    yield main, other
    main.stop()
    other.stop()


@pytest.fixture(scope="module")
def server(sites):
    return sites[0].base


@pytest.fixture(scope="module")
def first_run(server, tmp_path_factory):
    """One run over every fixture page, with a fresh cache (shared by tests)."""
    cache = tmp_path_factory.mktemp("a11y") / "cache.sqlite"
    runner = A11yRunner(browsers=2, cache_path=cache)
    for name in EXPECTED:
        runner.submit(server + name, _digest(name))
    return runner.finish(timeout=120), cache


# ---------------------------------------------------------------------------
# real browser: axe results

@pytest.mark.browser
@needs_browser
def test_the_rendered_text_after_an_update_label_comes_back(first_run, server):
    # the HTML holds only the label; a script writes the date a reader sees
    from datetime import date

    from checks.freshness import rendered_dates

    outcome, _ = first_run
    labels = outcome.results[server + "script-date.html"]["rendered_labels"]
    assert any("115-01-20" in x for x in labels), labels
    assert rendered_dates(labels) == [date(2026, 1, 20)]
    assert outcome.results[server + "clean.html"]["rendered_labels"] == []

@pytest.mark.browser
@needs_browser
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_page_violates_exactly_expected_rules(first_run, server, name):
    outcome, _ = first_run
    assert outcome.failures == []
    result = outcome.results[server + name]
    assert {v["id"] for v in result["violations"]} == EXPECTED[name]


@pytest.mark.browser
@needs_browser
def test_results_are_trimmed_and_localized(first_run, server):
    outcome, _ = first_run
    result = outcome.results[server + "image-alt.html"]
    assert set(result) == {"violations", "incomplete", "css", "loaded", "blocked", "rendered_labels"}
    (v,) = result["violations"]
    assert set(v) == {"id", "impact", "tags", "help", "helpUrl", "description", "nodes"}
    assert v["help"] == "圖片必須有替代文字"  # zh_TW locale applied
    assert "wcag111" in v["tags"]
    assert [n["target"] for n in v["nodes"]] == [["#photo1"], ["#photo2"]]
    assert all(set(n) == {"target", "html", "failureSummary"} for n in v["nodes"])
    assert all(n["html"].startswith("<img") and len(n["html"]) <= a11y.HTML_SNIPPET for n in v["nodes"])
    # the background image makes contrast undecidable: needs review, not a violation
    multi = outcome.results[server + "multi.html"]
    assert [i["id"] for i in multi["incomplete"]] == ["color-contrast"]
    assert result["blocked"] == {} and result["css"] == {"absolute_font_sizes": [], "unreadable": []}


@pytest.mark.browser
@needs_browser
def test_contrast_nodes_carry_the_measured_colours(first_run, server):
    outcome, _ = first_run
    (v,) = outcome.results[server + "color-contrast.html"]["violations"]
    (node,) = v["nodes"]
    assert node["target"] == ["#faint"] and "淺灰色文字" in node["html"]
    data = node["data"]
    assert set(data) == {"fgColor", "bgColor", "contrastRatio", "fontSize", "fontWeight"}  # no messageKey: decided
    assert (data["fgColor"], data["bgColor"]) == ("#bbbbbb", "#ffffff")
    assert 1.8 < data["contrastRatio"] < 2.0
    # over a background image axe cannot decide: the node says why
    (review,) = [i for i in outcome.results[server + "multi.html"]["incomplete"] if i["id"] == "color-contrast"]
    assert review["nodes"][0]["data"]["messageKey"] == "bgImage"


@pytest.mark.browser
@needs_browser
def test_first_run_stats_and_progress(first_run):
    outcome, _ = first_run
    s = outcome.stats
    assert (s["opened"], s["cached"], s["failed"]) == (len(EXPECTED), 0, 0)
    assert 1 <= s["browsers"] <= 2 and s["restarts"] == 0 and s["repins"] == 0
    assert s["seconds"] > 0 and s["blocked_total"] == 0 and s["interrupted"] is False


@pytest.mark.browser
@needs_browser
def test_unchanged_pages_come_from_cache_without_a_browser(first_run, server):
    outcome, cache = first_run
    runner = A11yRunner(browsers=2, cache_path=cache)
    for name in EXPECTED:
        runner.submit(server + name, _digest(name))
    again = runner.finish(timeout=30)
    assert again.stats["opened"] == 0 and again.stats["browsers"] == 0
    assert again.stats["cached"] == len(EXPECTED)
    assert again.results == outcome.results
    assert runner.progress() == (len(EXPECTED), 0, 0)
    # a changed page (new content hash), other tags or another browser version miss the cache
    for kw in ({"tags": ("wcag2a",)}, {"browser_version": "Chromium 999.0"}):
        runner = A11yRunner(browsers=1, cache_path=cache, **kw)
        runner.submit(server + "clean.html", _digest("clean.html"))
        other = runner.finish(timeout=60)
        assert other.stats["opened"] == 1 and other.stats["cached"] == 0, kw


@pytest.mark.browser
@needs_browser
def test_cache_sees_the_stylesheets(sites, tmp_path):
    """Byte-identical pages with different stylesheets get their own verdicts;
    an unchanged page and stylesheet is free next run (one GET per
    stylesheet, no browser); a changed stylesheet is audited again."""
    main, _ = sites
    cache = tmp_path / "cache.sqlite"
    a, b = main.base + "themed/a/page.html", main.base + "themed/b/page.html"
    digest = _digest("themed/a/page.html")
    assert digest == _digest("themed/b/page.html")

    def run():
        runner = A11yRunner(browsers=1, cache_path=cache)
        runner.submit(a, digest)
        runner.submit(b, digest)
        return runner.finish(timeout=60)

    def contrast(outcome, url):
        return [v["id"] for v in outcome.results[url]["violations"]] == ["color-contrast"]

    first = run()
    assert first.stats["opened"] == 2
    assert not contrast(first, a) and contrast(first, b)
    assert set(first.results[a]["loaded"]) == {main.base + "themed/a/theme.css"}
    assert first.results[a]["loaded"][main.base + "themed/a/theme.css"] == _digest("themed/a/theme.css")

    main.reset()
    second = run()
    assert (second.stats["opened"], second.stats["cached"], second.stats["browsers"]) == (0, 2, 0)
    assert second.stats["revalidated"] == 2
    assert sorted(p for _, p, _ in main.requests) == ["/themed/a/theme.css", "/themed/b/theme.css"]
    assert second.results == first.results

    main.files["/themed/a/theme.css"] = b"body { background: #fff } .t { color: #d0d0d0 }"
    try:
        third = run()
    finally:
        del main.files["/themed/a/theme.css"]
    assert (third.stats["opened"], third.stats["cached"], third.stats["stale"]) == (1, 1, 1)
    assert contrast(third, a)


# ---------------------------------------------------------------------------
# real browser: confinement

def _confine_run(main, *, subresource_hosts=(), work_dir=None):
    runner = A11yRunner(browsers=1, allowed_hosts=["127.0.0.1"], subresource_hosts=subresource_hosts,
                        work_dir=work_dir)
    runner.submit(main.base + "confine.html", None)
    outcome = runner.finish(timeout=60)
    time.sleep(0.5)  # let late requests (beacons) land before the servers are read
    return outcome


@pytest.mark.browser
@needs_browser
def test_browser_never_reaches_another_host(sites):
    main, other = sites
    main.reset()
    other.reset()
    outcome = _confine_run(main)
    assert outcome.failures == []
    result = outcome.results[main.base + "confine.html"]
    assert other.accepts == 0 and other.requests == []  # not even a connection
    # on the site itself: GETs only, no WebSocket
    assert {m for m, _, _ in main.requests} == {"GET"}
    assert not [r for r in main.requests if r[2]]
    assert ("GET", "/worker.js", None) in main.requests
    blocked = result["blocked"]
    # stylesheet, script, frame, fetch, fetch POST, beacon, form POST, navigation away, worker fetch
    assert blocked["127.0.0.2"] >= 9
    assert blocked["127.0.0.1"] == 3  # fetch POST, beacon and form POST to the site itself
    assert outcome.blocked == blocked and outcome.stats["blocked_total"] == sum(blocked.values())
    assert set(result["loaded"]) == {main.base + "form-frame.html"}


@pytest.mark.browser
@needs_browser
def test_subresource_host_gets_the_gets_only(sites):
    main, other = sites
    main.reset()
    other.reset()
    outcome = _confine_run(main, subresource_hosts=["127.0.0.2"])
    assert outcome.failures == []
    paths = {p for m, p, _ in other.requests if m == "GET"}
    assert {"/other.css", "/other.js", "/frame.html", "/data.json", "/from-frame", "/from-worker"} <= paths
    assert {m for m, _, _ in other.requests} == {"GET"}  # no beacon, fetch POST or form
    assert not [r for r in other.requests if r[2]]  # no WebSocket
    assert not paths & {"/away.html", "/popup.html", "/pixel"}  # no navigation away, no popup, no image
    result = outcome.results[main.base + "confine.html"]
    assert other.base + "other.css" in result["loaded"] and other.base + "other.js" in result["loaded"]
    assert result["blocked"]["127.0.0.2"] >= 4  # fetch POST, beacon, form POST, navigation away


@pytest.mark.browser
@needs_browser
def test_meta_refresh_is_refused_and_the_page_audited_as_served(tmp_path):
    """A 0-second meta refresh would send the browser on; the navigation is
    refused, so the stub is audited as served, and the target's findings are
    not filed under it."""
    from functools import partial

    (tmp_path / "stub.html").write_text(
        '<!DOCTYPE html><html lang="zh-Hant-TW"><head><meta charset="utf-8">'
        '<meta http-equiv="refresh" content="0; url=target.html"><title>轉址</title></head>'
        "<body><main><p>轉址中</p></main></body></html>", encoding="utf-8")
    (tmp_path / "target.html").write_text(
        '<!DOCTYPE html><html lang="zh-Hant-TW"><head><meta charset="utf-8"><title>目標</title></head>'
        '<body><main><h1>目標</h1><img src="x.png"></main></body></html>', encoding="utf-8")
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(tmp_path)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    try:
        runner = A11yRunner(browsers=1)
        runner.submit(f"{base}/stub.html")
        runner.submit(f"{base}/target.html")
        out = runner.finish(timeout=120)
    finally:
        srv.shutdown()
    assert out.failures == []
    assert "image-alt" not in {v["id"] for v in out.results[f"{base}/stub.html"]["violations"]}
    assert out.results[f"{base}/stub.html"]["blocked"] == {"127.0.0.1": 1}
    assert {v["id"] for v in out.results[f"{base}/target.html"]["violations"]} >= {"image-alt"}


@pytest.mark.browser
@needs_browser
def test_server_redirects_are_never_filed_under_the_page(sites):
    """A redirect off the site is not followed (and the previous page left on
    screen is not audited under its name); one within the site is followed
    and said so, its result not filed under the redirecting URL."""
    main, other = sites
    other.reset()
    runner = A11yRunner(browsers=1, allowed_hosts=["127.0.0.1"])
    for name in ("label.html", "to-other.html", "to-clean.html", "image-alt.html"):
        runner.submit(main.base + name, None)
    out = runner.finish(timeout=60)
    failures = dict(out.failures)
    assert set(failures) == {main.base + "to-other.html", main.base + "to-clean.html"}
    assert "檢測範圍外" in failures[main.base + "to-other.html"]
    assert other.base + "frame.html" in failures[main.base + "to-other.html"]
    assert failures[main.base + "to-clean.html"].startswith(f"網頁自動轉址至 {main.base}clean.html")
    assert {v["id"] for v in out.results[main.base + "image-alt.html"]["violations"]} == {"image-alt"}
    assert other.accepts == 0


@pytest.mark.browser
@needs_browser
def test_new_in_scope_subdomain_is_pinned_then_page_redone(sites):
    """A subresource on a subdomain of an allowed domain is not in the
    browser's resolver rules yet: the runner decides it (here: it does not
    resolve for the guard, so it stays blocked) and audits the page again in
    a browser started with the new rules."""
    main, _ = sites
    page = "/sub.html"
    main.files[page] = (b'<!DOCTYPE html><html lang="zh-Hant-TW"><head><meta charset="utf-8"><title>x</title>'
                        b'<link rel="stylesheet" href="http://static.localhost:1/s.css"></head>'
                        b"<body><main><p>x</p></main></body></html>")
    try:
        runner = A11yRunner(browsers=1, allowed_hosts=["127.0.0.1", "localhost"])
        runner.submit(main.base.rstrip("/") + page, None)
        out = runner.finish(timeout=60)
    finally:
        del main.files[page]
    assert out.failures == []
    assert out.stats["repins"] == 1 and out.stats["browsers"] == 2
    assert out.results[main.base.rstrip("/") + page]["blocked"] == {"static.localhost": 1}


@pytest.mark.browser
@needs_browser
def test_address_policy_decides_and_pins_names_for_the_browser(sites):
    """Subresource host names are resolved by the run's policy, not by
    Chromium: one resolving to a link-local address is refused (no packet is
    sent), one resolving to 127.0.0.2 is reached at that pinned address."""
    main, other = sites
    other.reset()
    table = {"cdn.example": ["127.0.0.2"], "metadata.example": ["169.254.169.254"]}

    def resolve(host):
        if host in table:
            return table[host]
        raise OSError("not in the table")

    page = "/names.html"
    port = other.server_port
    main.files[page] = (f'<!DOCTYPE html><html lang="zh-Hant-TW"><head><meta charset="utf-8"><title>x</title>'
                        f'<link rel="stylesheet" href="http://cdn.example:{port}/other.css">'
                        f'<link rel="stylesheet" href="http://metadata.example/latest/meta-data.css"></head>'
                        f"<body><main><p>x</p></main></body></html>").encode()
    try:
        runner = A11yRunner(browsers=1, allowed_hosts=["127.0.0.1"],
                            subresource_hosts=["cdn.example", "metadata.example"],
                            address_policy=AddressPolicy(["loopback"], resolve=resolve))
        runner.submit(main.base.rstrip("/") + page, None)
        out = runner.finish(timeout=60)
    finally:
        del main.files[page]
    result = out.results[main.base.rstrip("/") + page]
    assert result["blocked"] == {"metadata.example": 1}
    assert f"http://cdn.example:{port}/other.css" in result["loaded"]
    assert ("GET", "/other.css", None) in other.requests


def test_resolver_rules_pin_names_and_refuse_the_rest():
    pins = {"www.example.gov.tw": Decision(True, "", "203.74.1.1"), "127.0.0.1": Decision(True, "", "127.0.0.1"),
            "v6.example": Decision(True, "", "2001:db8::1"), "lan.evil": Decision(False, "內部", "10.0.0.1"),
            "nx.example": Decision(False, "無法解析", None)}
    assert resolver_rules(pins) == ("EXCLUDE 127.0.0.1, MAP v6.example [2001:db8::1], "
                                    "MAP www.example.gov.tw 203.74.1.1, MAP * ~NOTFOUND")


# ---------------------------------------------------------------------------
# real browser: CSS font sizes (moda CS2140401C)

def _font_sizes(result):
    return {(f["selector"], f["property"], f["value"], f["source"]) for f in result["css"]["absolute_font_sizes"]}


@pytest.mark.browser
@needs_browser
def test_absolute_font_sizes_from_the_cssom(sites):
    main, other = sites
    runner = A11yRunner(browsers=1, allowed_hosts=["127.0.0.1"], subresource_hosts=["127.0.0.2"])
    runner.submit(main.base + "fonts.html", None)
    without = A11yRunner(browsers=1, allowed_hosts=["127.0.0.1"])
    without.submit(main.base + "fonts.html", None)
    try:
        result = runner.finish(timeout=60).results[main.base + "fonts.html"]
        alone = without.finish(timeout=60).results[main.base + "fonts.html"]
    finally:
        runner.close()
        without.close()
    fonts, css = main.base + "fonts.css", other.base + "cross.css"
    same_origin = {
        (".imp", "font-size", "0.5in", main.base + "fonts-imported.css"),
        (".nest .n", "font-size", "3pc", fonts),
        (".a", "font-size", "10pt", fonts),
        (".q", "font-size", "4q", fonts),
        (".m", "font-size", "14px", fonts),
        (".s", "font-size", "2mm", fonts),
        (".short", "font", "bold 9px / 1.2 serif", fonts),
        (".st", "font-size", "12pt", "style"),
        ("#big", "font-size", "13px", "inline"),
    }
    cross = {(".cross", "font-size", "11px", css),
             (".deep", "font", "italic 8pt serif", other.base + "cross-imported.css")}
    assert _font_sizes(result) == same_origin | cross
    assert result["css"]["unreadable"] == [main.base + "missing.css"]
    assert {main.base + "fonts.css", main.base + "fonts-imported.css", css,
            other.base + "cross-imported.css"} <= set(result["loaded"])
    # without the CDN host: its sheet is blocked (counted), not "unreadable"
    assert _font_sizes(alone) == same_origin
    assert alone["css"]["unreadable"] == [main.base + "missing.css"]
    assert alone["blocked"] == {"127.0.0.2": 1}


# ---------------------------------------------------------------------------
# real browser: failures, signals, processes

@pytest.mark.slow
@pytest.mark.browser
@needs_browser
@pytest.mark.parametrize("mode", ["tree", "driver"])
def test_killed_browser_is_replaced_and_page_retried(sites, mode):
    main, _ = sites
    main.crashes.clear()
    main.crash_mode = mode
    main.crashed_procs = []
    runner = A11yRunner(browsers=1)
    pages = ["label.html", "crash/image-alt.html", "link-name.html", "clean.html"]
    for name in pages:
        runner.submit(main.base + name, None)
    outcome = runner.finish(timeout=120)
    assert main.crashes["/crash/image-alt.html"] >= 1  # a browser really was killed
    assert outcome.failures == []
    assert set(outcome.results) == {main.base + p for p in pages}
    assert {v["id"] for v in outcome.results[main.base + "crash/image-alt.html"]["violations"]} == {"image-alt"}
    assert outcome.stats["restarts"] >= 1 and outcome.stats["browsers"] >= 2
    assert not _our_chromedrivers()
    # an orphaned Chromium (its chromedriver killed alone) was cleaned up too
    assert main.crashed_procs and not [p for p in main.crashed_procs if p.is_running()]


@pytest.mark.slow
@pytest.mark.browser
@needs_browser
def test_hung_page_fails_alone(server):
    runner = A11yRunner(browsers=1, timeout=2)
    for name in ("hang.html", "label.html", "clean.html"):
        runner.submit(server + name, None)
    t0 = time.monotonic()
    outcome = runner.finish(timeout=90)
    assert time.monotonic() - t0 < 40
    assert [u for u, _ in outcome.failures] == [server + "hang.html"]
    assert "逾時" in outcome.failures[0][1] and "Timeout" in outcome.failures[0][1]
    assert set(outcome.results) == {server + "label.html", server + "clean.html"}
    assert outcome.stats["failed"] == 1 and outcome.stats["restarts"] == 2


@pytest.mark.browser
@needs_browser
def test_abort_ends_everything_within_seconds(server, tmp_path):
    runner = A11yRunner(browsers=1, timeout=30, work_dir=tmp_path)
    pages = ["hang.html", "label.html", "clean.html", "image-alt.html"]
    for name in pages:
        runner.submit(server + name, None)
    deadline = time.monotonic() + 30
    while not _profile_processes(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # the browser is now waiting on hang.html
    assert runner.progress() == (0, 4, 0)
    t0 = time.monotonic()
    runner.abort()
    outcome = runner.finish()
    assert time.monotonic() - t0 < 8
    assert outcome.interrupted and outcome.stats["interrupted"]
    assert sorted(outcome.failures) == sorted((server + p, INTERRUPTED) for p in pages)
    assert runner.progress() == (0, 0, 4)
    assert not _profile_processes(tmp_path) and not _our_chromedrivers()


def _profile_processes(marker: Path) -> list:
    """Processes whose command line carries `marker` (the runner's work_dir,
    where its Chromium profiles live): this test's browsers only."""
    found = []
    for p in psutil.process_iter(["cmdline"]):
        try:
            if any(str(marker) in part for part in (p.info["cmdline"] or ())):
                found.append(p)
        except psutil.Error:
            pass
    return found


KILLED = textwrap.dedent("""
    import json, sys, time
    import psutil
    sys.path.insert(0, sys.argv[3])
    from crawler.a11y import A11yRunner
    runner = A11yRunner(browsers=2, work_dir=sys.argv[2])
    for name in ("hang.html", "clean.html", "label.html"):
        runner.submit(sys.argv[1] + name, None)
    while True:  # both browsers up, one of them waiting on hang.html
        drivers = [p.pid for p in psutil.Process().children() if p.name() == "chromedriver"]
        if len(drivers) == 2 and runner.progress()[0] >= 1:
            break
        time.sleep(0.1)
    print(json.dumps(drivers), flush=True)
    time.sleep(60)
""")


@pytest.mark.slow
@pytest.mark.browser
@needs_browser
def test_kill_9_leaves_no_browser_or_driver(server, tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", KILLED, server, str(tmp_path), str(ROOT)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        drivers = [psutil.Process(pid) for pid in json.loads(proc.stdout.readline())]
        time.sleep(1.0)
        assert _profile_processes(tmp_path), "the browsers should be running"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 8
        while (_profile_processes(tmp_path) or any(d.is_running() for d in drivers)) \
                and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _profile_processes(tmp_path) == []
        assert not [d for d in drivers if d.is_running() and d.status() != psutil.STATUS_ZOMBIE]
        time.sleep(0.5)
        assert list(tmp_path.iterdir()) == []  # the reaper removed the profiles too
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.browser
@needs_browser
def test_versions():
    js = find_axe_js()
    assert js is not None
    assert axe_version() == json.loads((js.parent / "package.json").read_text())["version"]
    assert browser_version().startswith("Chromium ")


# ---------------------------------------------------------------------------
# no browser needed

def test_missing_browser_means_exit_3_with_a_fix(tmp_path):
    with pytest.raises(AuditCannotRun, match="--no-a11y") as e:
        check_available(chromium=str(tmp_path / "chromium"))
    assert "chromium" in str(e.value) and "make setup" in str(e.value)
    with pytest.raises(AuditCannotRun, match="chromedriver"):
        check_available(chromium=sys.executable, chromedriver=str(tmp_path / "nope"))


def test_missing_axe_means_exit_3(tmp_path, monkeypatch):
    monkeypatch.setenv("SITEAUDIT_AXE_JS", str(tmp_path / "axe.min.js"))
    assert find_axe_js() is None
    with pytest.raises(AuditCannotRun, match="axe-core.*--no-a11y"):
        check_available(chromium=sys.executable, chromedriver=sys.executable)
    with pytest.raises(AuditCannotRun):
        A11yRunner(chromium=sys.executable, chromedriver=sys.executable)


def test_axe_js_from_env_and_version_from_banner(tmp_path, monkeypatch):
    js = tmp_path / "axe.min.js"
    js.write_text("/*! axe v9.8.7\n * Copyright */ var axe = {};", encoding="utf-8")
    monkeypatch.setenv("SITEAUDIT_AXE_JS", str(js))
    assert find_axe_js() == js
    assert axe_version() == "9.8.7"  # no package.json beside it: read the banner


def test_cache_key_covers_page_axe_browser_tags_locale_and_confinement():
    base: dict[str, Any] = {"url": "http://h/a", "content_hash": "abc", "axe_ver": "4.14.1",
                            "tags": ["wcag2aa", "wcag2a"], "locale": "zh_TW", "browser_ver": "Chromium 156",
                            "confinement": "h|"}
    k = cache_key(**base)
    assert k == cache_key(**{**base, "tags": ["wcag2a", "wcag2aa"]})  # tag order is irrelevant
    changed = {"url": "http://h/b", "content_hash": "abd", "axe_ver": "4.14.2", "tags": ["wcag2a"], "locale": "en",
               "browser_ver": "Chromium 157", "confinement": "h|cdn"}
    assert len({k} | {cache_key(**{**base, key: value}) for key, value in changed.items()}) == 8


def test_result_cache_roundtrip(tmp_path):
    c = ResultCache(tmp_path / "sub" / "c.sqlite")
    assert c.get("k") is None
    c.put("k", {"violations": [{"id": "label", "help": "表單元素必須有標籤"}], "incomplete": [], "loaded": {}})
    c.close()
    got = ResultCache(tmp_path / "sub" / "c.sqlite").get("k")
    assert got is not None and got["violations"][0]["help"] == "表單元素必須有標籤"


def test_revalidator_stays_within_scope_and_pins(sites):
    main, other = sites
    main.reset()
    other.reset()
    policy = AddressPolicy(["loopback"])
    r = a11y.Revalidator(lambda h: h == "127.0.0.1", policy.decide, 5)
    assert r.fingerprint(main.base + "fonts.css") == _digest("fonts.css")
    assert r.fingerprint(main.base + "fonts.css") == _digest("fonts.css")  # once per run
    assert r.fingerprint(main.base + "missing.css") == "status:404"
    assert r.fingerprint(other.base + "cross.css") is None  # not an allowed host
    public = a11y.Revalidator(lambda h: True, AddressPolicy([]).decide, 5)
    assert public.fingerprint(main.base + "fonts.css") is None  # loopback not in scope
    assert [p for _, p, _ in main.requests] == ["/fonts.css", "/missing.css"]
    assert other.requests == []


@needs_browser
def test_empty_run_starts_nothing():
    outcome = A11yRunner().finish()
    assert outcome.results == {} and outcome.failures == [] and outcome.stats["browsers"] == 0


@needs_browser
def test_submit_after_finish_is_an_error():
    runner = A11yRunner()
    runner.finish()
    with pytest.raises(RuntimeError):
        runner.submit("http://127.0.0.1:1/", None)


def test_axe_selenium_python_is_gone():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert "axe-selenium-python" not in text
    assert "axe_selenium_python" not in (ROOT / "crawler" / "a11y.py").read_text(encoding="utf-8")


def _record() -> None:
    """Re-record tests/fixtures/a11y/*.axe.json from a real run."""
    site = _Site("127.0.0.1", FIXTURES)
    runner = A11yRunner(browsers=2)
    for name in RECORDED:
        runner.submit(site.base + name, None)
    outcome = runner.finish()
    assert not outcome.failures, outcome.failures
    for name in RECORDED:
        dest = FIXTURES / (Path(name).stem + ".axe.json")
        result = dict(outcome.results[site.base + name])
        result["loaded"] = {}  # URLs with this run's port mean nothing to the unit tests
        dest.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print("wrote", dest)
    site.stop()


if __name__ == "__main__" and "--record" in sys.argv:
    _record()
