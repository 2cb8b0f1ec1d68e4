"""The trap guard against a hostile site on loopback (issue 11 must-have 7).

One server generates, without end: a calendar in the path (/cal/YYYY/MM/),
a pager (/pager/N/), a fresh token in the path on every click, alternating
query-key sets, and an endless chain of sitemap indexes whose entries also
point to another host (127.0.0.2, which must see no request).  Before the
guard, such a site gave 12,100 pages in 90 s and kept growing; now the crawl
ends on its own, names every trap it skipped, and stays small.
"""
from __future__ import annotations

import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crawler.guard import CHAIN_LIMIT, FANOUT_BUDGET, TOKEN_BUDGET
from crawlhelp import crawl

pytestmark = pytest.mark.slow


class _Hostile(BaseHTTPRequestHandler):
    hits: Counter[str] = Counter()
    other_port = 0

    def log_message(self, *args: object) -> None:
        pass

    def _html(self, body: str) -> None:
        data = f"<!DOCTYPE html><html lang='zh-Hant'><head><title>t</title></head><body>{body}</body></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        type(self).hits[self.path] += 1
        path = self.path
        if path == "/robots.txt":
            self.send_response(404)
            self.end_headers()
            return
        if path == "/":
            self._html('<a href="/cal/2026/11/">行事曆</a> <a href="/pager/1/">列表</a> '
                       '<a href="/s/a1b2c3d4e5f60718/x.html">服務</a> <a href="/q?a=1">查詢</a>')
            return
        if m := re.fullmatch(r"/cal/(\d{4})/(\d{2})/", path):
            y, mo = int(m.group(1)), int(m.group(2))
            nxt = (y + (mo == 12), mo % 12 + 1)
            prv = (y - (mo == 1), (mo - 2) % 12 + 1)
            self._html(f'<a href="/cal/{nxt[0]}/{nxt[1]:02d}/">下月</a> <a href="/cal/{prv[0]}/{prv[1]:02d}/">上月</a>')
            return
        if m := re.fullmatch(r"/pager/(\d+)/", path):
            n = int(m.group(1))
            self._html(f'<a href="/pager/{n + 1}/">下一頁</a>')
            return
        if m := re.fullmatch(r"/s/([0-9a-f]{16})/x.html", path):
            # every click mints a new token: the same page under ever new URLs
            import hashlib

            fresh = [hashlib.md5(f"{m.group(1)}{i}".encode()).hexdigest()[:16] for i in range(3)]
            self._html(" ".join(f'<a href="/s/{t}/x.html">再一次</a>' for t in fresh))
            return
        if path.startswith("/q?"):
            query = path[3:]
            n = len(query)
            self._html(f'<a href="/q?b={n}&{query}">b</a> <a href="/q?c={n}">c</a> <a href="/q?a={n}&d=1">a</a>')
            return
        if m := re.fullmatch(r"/sitemap-(\d+)\.xml", path):
            n = int(m.group(1))
            host = self.headers.get("Host")
            body = ("<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
                    f"<sitemap><loc>http://{host}/sitemap-{n + 1}.xml</loc></sitemap>"
                    f"<sitemap><loc>http://127.0.0.2:{self.other_port}/sitemap-x.xml</loc></sitemap>"
                    "<sitemap><loc>file:///etc/passwd</loc></sitemap>"
                    "</sitemapindex>").encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(404)
        self.end_headers()

    do_HEAD = do_GET


class _Other(BaseHTTPRequestHandler):
    hits: Counter[str] = Counter()

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        type(self).hits[self.path] += 1
        self.send_response(200)
        self.end_headers()


def _serve(handler: type, host: str) -> ThreadingHTTPServer:
    srv = ThreadingHTTPServer((host, 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def test_hostile_site_ends_on_its_own_and_names_its_traps(tmp_path):
    other = _serve(_Other, "127.0.0.2")
    _Hostile.other_port = other.server_address[1]
    srv = _serve(_Hostile, "127.0.0.1")
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    cfg = tmp_path / "site.toml"
    cfg.write_text(f"[site]\nsitemaps = ['{base}/sitemap-0.xml']\n", encoding="utf-8")
    try:
        res = crawl(base + "/", tmp_path / "out", "--config", str(cfg), timeout=300)
    finally:
        srv.shutdown()
        other.shutdown()
    assert res.code == 0, res.stderr
    pages = [p["url"][len(base):] for p in res.pages]
    cal = [p for p in pages if p.startswith("/cal/")]
    pager = [p for p in pages if p.startswith("/pager/")]
    tokens = [p for p in pages if p.startswith("/s/")]
    query = [p for p in pages if p.startswith("/q")]
    assert len(cal) <= 2 * CHAIN_LIMIT + 1 and len(pager) <= CHAIN_LIMIT + 1
    assert len(tokens) <= TOKEN_BUDGET + 1
    assert len(query) <= FANOUT_BUDGET + 3 * (2 + 1) + 1
    assert len(pages) == 1 + len(cal) + len(pager) + len(tokens) + len(query), "nothing else was crawled"
    # each kind of trap is named, with its pattern
    patterns = {t["pattern"] for t in res.run["trap_skipped"]}
    assert any("/cal/{n}/{n}/" in p for p in patterns), patterns
    assert any("/pager/{n}/" in p for p in patterns)
    assert any("/s/{t}/x.html" in p for p in patterns)
    assert any("/q?" in p for p in patterns)
    assert all(t["reason"] for t in res.run["trap_skipped"])
    # sitemap indexes: at most 5 deep, other hosts and file: never read
    sitemaps = sorted(p for p in _Hostile.hits if p.startswith("/sitemap-"))
    assert len(sitemaps) <= 6, sitemaps
    assert not _Other.hits, "the other host must see no request"
    notices = " ".join(n["message"] for n in res.run["notices"])
    assert "其他網站" in notices and "層" in notices
