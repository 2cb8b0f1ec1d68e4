"""A small loopback web server for the bundled sample site, the tests and the benchmark.

Role: serve a directory of static files over HTTP/1.1 on 127.0.0.1 so that
`siteaudit demo` (SPEC "Command line: demo" — must work with no network), the
test-suite and `bench/benchmark.py` have a real site to crawl.  Like Scrapy's
`tests/mockserver/` it also shows server *behaviours* a crawler must cope with
(SPEC "Rules in detail / links": 404, 5xx, 429 + Retry-After, redirect loops,
too many redirects, slow pages, HEAD refused, Big5 pages, crawler traps).

Behaviours come from an optional `ROOT/_routes.json`::

    {
      "_defaults": {"last_modified": null},          # options applied to every static file
      "/news/8.html": {"last_modified": "Tue, 05 Mar 2024 08:00:00 GMT"},
      "/gone.aspx":   {"status": 503, "headers": {"Retry-After": "1"}, "body": "維護中"},
      "/loop-a":      {"redirect": "/loop-b"},        # 302 unless "status" says 301/307/...
      "/slow.html":   {"delay": 1.5},                 # then serve the file as usual
      "/big5.html":   {"charset": "big5"},            # charset in the HTTP header
      "/x.pdf":       {"reject_head": true},          # HEAD -> 405
      "/robots.txt":  {"substitute": true},           # {{base_url}} -> http://host:port
      "/calendar/":   {"dynamic": "calendar", "template": "/calendar/_template.html", "start": "202611"},
      "/service/*":   {"dynamic": "session"}          # trailing * = prefix route
    }

Route keys are URL paths (query ignored); an exact key wins over the longest
`*` prefix.  A route with neither `status`, `body`, `redirect` nor `dynamic`
only overrides headers of the static file it names.  `charset: null` /
`last_modified: null` suppress those headers.  Generic built-in routes (like
Scrapy's mock server / httpbin): `/_status/<code>[?retry_after=N]`,
`/_delay/<seconds>`, `/_redirect?to=/x[&status=301]` and `/_redirect/<n>[?to=/x]`
(a chain of n redirects).

Any other path segment starting with `_` is hidden (404): `_routes.json`,
`_expected.json`, templates.  Nothing is ever written to stdout (the CLI and
the tests own it); `server.hits` counts requests per `(method, raw target)`.
"""
from __future__ import annotations

import argparse
import calendar as _calendar
import email.utils
import hashlib
import json
import mimetypes
import re
import signal
import socket
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

__all__ = ["SiteServer", "serve", "main"]

ROUTES_FILE = "_routes.json"

# mimetypes depends on /etc/mime.types, which differs between machines; the
# types the audit cares about (attachments, HTML) must not.
_TYPES = {
    ".html": "text/html", ".htm": "text/html", ".xml": "application/xml",
    ".txt": "text/plain", ".css": "text/css", ".js": "text/javascript",
    ".json": "application/json", ".md": "text/markdown", ".csv": "text/csv",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".svg": "image/svg+xml", ".ico": "image/x-icon",
    ".pdf": "application/pdf",
    ".doc": "application/msword", ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
    ".zip": "application/zip",
}
_TEXTUAL = ("text/", "application/xml", "application/json", "image/svg+xml", "application/xhtml+xml")
_NO_LM = object()  # sentinel: "send no Last-Modified header"


def _content_type(path: Path) -> str:
    ext = path.suffix.lower()
    return _TYPES.get(ext) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


@dataclass(frozen=True)
class _Entry:
    """A cached static file: bytes read once, headers computed once."""

    body: bytes
    content_type: str  # without charset
    charset: str | None  # detected: utf-8 when the bytes are valid UTF-8 text
    mtime: float


class SiteServer:
    """A running server; see `serve()`.  Usable as a context manager."""

    def __init__(self, root: Path | str, host: str = "127.0.0.1", port: int = 0):
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise FileNotFoundError(f"site root is not a directory: {self.root}")
        self.routes, self.defaults, self._prefix_routes = _load_routes(self.root)
        self.hits: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], _Entry] = {}
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.site = self
        self.host = host
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
            name=f"siteserver:{self.port}", daemon=True,
        )
        self._closed = False

    # -- public API ---------------------------------------------------------
    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT` (no trailing slash)."""
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def count(self, path: str, method: str | None = None) -> int:
        """Requests whose raw target equals `path` (any method unless given)."""
        with self._lock:
            return sum(n for (m, p), n in self.hits.items() if p == path and (method is None or m == method))

    def requested(self, prefix: str) -> list[str]:
        """Raw targets requested that start with `prefix` (for robots.txt tests)."""
        with self._lock:
            return sorted({p for (_, p) in self.hits if p.startswith(prefix)})

    def reset(self) -> None:
        """Forget the hit counts (one server shared by many tests)."""
        with self._lock:
            self.hits.clear()

    def start(self) -> SiteServer:
        self._thread.start()
        return self

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SiteServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ------------------------------------------------------------
    def _hit(self, method: str, target: str) -> None:
        with self._lock:
            self.hits[(method, target)] += 1

    def route_for(self, path: str) -> dict[str, Any] | None:
        if path in self.routes:
            return self.routes[path]
        for prefix, route in self._prefix_routes:  # longest first
            if path.startswith(prefix):
                return route
        return None

    def entry(self, fs_path: Path) -> _Entry:
        key = (str(fs_path), "")
        e = self._cache.get(key)
        if e is None:
            body = fs_path.read_bytes()
            ctype = _content_type(fs_path)
            charset = None
            if ctype.startswith(_TEXTUAL):
                # Declare UTF-8 only when it is true: a legacy Big5 page must
                # arrive with no charset (or its route's), never a wrong one.
                try:
                    body.decode("utf-8")
                    charset = "utf-8"
                except UnicodeDecodeError:
                    charset = None
            e = _Entry(body, ctype, charset, fs_path.stat().st_mtime)
            self._cache[key] = e  # a race only reads the file twice
        return e


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # The crawler opens many connections at once; the default backlog of 5
    # makes the kernel drop SYNs and costs a 1 s retransmit each.
    request_queue_size = 512
    site: SiteServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client closing a keep-alive connection is normal, not an error.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, socket.timeout)):
            return
        super().handle_error(request, client_address)  # to stderr, never stdout


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one TCP connection per crawler slot
    server_version = "siteserver/1.0"
    sys_version = ""
    disable_nagle_algorithm = True  # headers and body go out as two writes
    timeout = 30  # idle keep-alive connections free their thread
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # stdout/stderr belong to the CLI and the tests

    def do_GET(self) -> None:
        self._dispatch(head=False)

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    # -- response helpers ---------------------------------------------------
    def _send(self, status: int, body: bytes = b"", ctype: str | None = "text/html; charset=utf-8",
              headers: dict[str, str] | None = None, head: bool = False) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and body:
            self.wfile.write(body)

    def _not_found(self, head: bool) -> None:
        self._send(404, _page("404 找不到網頁", "您要找的網頁不存在或已移除。"), head=head)

    def _redirect(self, location: str, status: int = 302, head: bool = False) -> None:
        self._send(status, _page(f"{status} 網頁已移動", f'請改至 <a href="{location}">{location}</a>'),
                   headers={"Location": location}, head=head)

    # -- dispatch -------------------------------------------------------------
    def _dispatch(self, head: bool) -> None:
        site = self.server.site
        target = self.path
        site._hit(self.command, target)
        parts = urlsplit(target)
        path = unquote(parts.path) or "/"
        query = parse_qs(parts.query)

        if path.startswith("/_") and self._builtin(path, query, head):
            return
        route = site.route_for(path)
        if route is not None:
            if head and route.get("reject_head"):
                self._send(405, _page("405 Method Not Allowed", "HEAD 不允許"), headers={"Allow": "GET"}, head=True)
                return
            if route.get("delay"):
                time.sleep(float(route["delay"]))
            if "redirect" in route:
                self._redirect(route["redirect"], int(route.get("status", 302)), head)
                return
            dynamic = route.get("dynamic")
            if dynamic == "calendar":
                self._calendar(route, query, head)
                return
            if "status" in route or "body" in route:
                body = str(route.get("body", "")).encode(route.get("charset") or "utf-8")
                ctype = route.get("content_type") or "text/html; charset=" + (route.get("charset") or "utf-8")
                self._send(int(route.get("status", 200)), body, ctype, dict(route.get("headers") or {}), head)
                return
        self._static(path, parts.query, route or {}, head)

    def _builtin(self, path: str, query: dict[str, list[str]], head: bool) -> bool:
        m = re.fullmatch(r"/_status/(\d{3})", path)
        if m:
            code = int(m.group(1))
            headers = {}
            if "retry_after" in query:
                headers["Retry-After"] = query["retry_after"][0]
            if 300 <= code < 400 and "to" in query:
                headers["Location"] = query["to"][0]
            self._send(code, _page(f"HTTP {code}", f"status {code}"), headers=headers, head=head)
            return True
        m = re.fullmatch(r"/_delay/([0-9.]+)", path)
        if m:
            time.sleep(min(float(m.group(1)), 60.0))
            self._send(200, _page("delayed", f"delayed {m.group(1)} s"), head=head)
            return True
        if path == "/_redirect":
            to = query.get("to", ["/"])[0]
            self._redirect(to, int(query.get("status", ["302"])[0]), head)
            return True
        m = re.fullmatch(r"/_redirect/(\d+)", path)
        if m:
            n = int(m.group(1))
            to = query.get("to", ["/"])[0]
            location = f"/_redirect/{n - 1}?to={quote(to, safe='/')}" if n > 0 else to
            self._redirect(location, 302, head)
            return True
        return False

    def _static(self, path: str, raw_query: str, route: dict[str, Any], head: bool) -> None:
        site = self.server.site
        # Servlet containers drop ";jsessionid=..." path parameters before
        # mapping to a file; do the same so session-id traps stay realistic.
        clean = re.sub(r";[^/]*", "", path)
        segments = [s for s in clean.split("/") if s]
        if any(s.startswith("_") or s in (".", "..") for s in segments):
            self._not_found(head)
            return
        fs = site.root.joinpath(*segments)
        if fs.is_dir():
            if not clean.endswith("/"):
                self._redirect(quote(clean + "/") + ("?" + raw_query if raw_query else ""), 301, head)
                return
            fs = fs / "index.html"
        if not fs.is_file():
            self._not_found(head)
            return
        opts = {**site.defaults, **route}
        e = site.entry(fs)
        body = e.body
        if opts.get("dynamic") == "session":
            # Every page hands out a fresh session id derived from the URL it
            # was fetched by: an endless URL space over a handful of pages.
            sid = hashlib.sha1(self.path.encode("utf-8")).hexdigest()[:24].upper()
            body = body.replace(b"{{sid}}", sid.encode("ascii"))
        if opts.get("substitute"):
            host = self.headers.get("Host") or f"{site.host}:{site.port}"
            body = body.replace(b"{{base_url}}", f"http://{host}".encode("ascii"))
        ctype = opts.get("content_type") or e.content_type
        if "content_type" not in opts or ";" not in ctype:
            charset = opts.get("charset", e.charset)
            if charset:
                ctype = f"{ctype}; charset={charset}"
        headers = dict(opts.get("headers") or {})
        if "last_modified" in opts:
            if opts["last_modified"]:
                headers["Last-Modified"] = opts["last_modified"]
        else:
            headers["Last-Modified"] = email.utils.formatdate(e.mtime, usegmt=True)
        self._send(int(opts.get("status", 200)), body, ctype, headers, head)

    def _calendar(self, route: dict[str, Any], query: dict[str, list[str]], head: bool) -> None:
        """An endless 活動行事曆: each month links to the previous and next one."""
        site = self.server.site
        ym = (query.get("ym") or [str(route.get("start", "202611"))])[0]
        m = re.fullmatch(r"(\d{4})(\d{2})", ym)
        year, month = (int(m.group(1)), int(m.group(2))) if m else (2026, 11)
        year, month = min(max(year, 1912), 9999), min(max(month, 1), 12)
        prev = date(year - (month == 1), 12 if month == 1 else month - 1, 1)
        nxt = date(year + (month == 12), 1 if month == 12 else month + 1, 1)
        rows = []
        for week in _calendar.Calendar(firstweekday=6).monthdayscalendar(year, month):
            cells = "".join(f"<td>{d or ''}</td>" for d in week)
            rows.append(f"<tr>{cells}</tr>")
        values = {
            "ym": f"{year:04d}{month:02d}",
            "title": f"民國{year - 1911}年{month}月",
            "prev": f"{prev.year:04d}{prev.month:02d}",
            "next": f"{nxt.year:04d}{nxt.month:02d}",
            "rows": "\n".join(rows),
        }
        template = "<html lang=\"zh-Hant-TW\"><head><meta charset=\"utf-8\"><title>{{title}}</title></head><body>" \
                   "<h1>{{title}}</h1><a href=\"?ym={{prev}}\">上個月</a> <a href=\"?ym={{next}}\">下個月</a>" \
                   "<table><tr><th>日</th><th>一</th><th>二</th><th>三</th><th>四</th><th>五</th><th>六</th></tr>" \
                   "{{rows}}</table></body></html>"
        if route.get("template"):
            tfile = site.root.joinpath(*[s for s in str(route["template"]).split("/") if s])
            template = site.entry(tfile).body.decode("utf-8")
        for k, v in values.items():
            template = template.replace("{{" + k + "}}", v)
        self._send(200, template.encode("utf-8"), "text/html; charset=utf-8", head=head)


def _page(title: str, text: str) -> bytes:
    return (f'<!DOCTYPE html><html lang="zh-Hant-TW"><head><meta charset="utf-8"><title>{title}</title>'
            f"</head><body><h1>{title}</h1><p>{text}</p></body></html>").encode()


def _load_routes(root: Path) -> tuple[dict[str, dict], dict[str, Any], list[tuple[str, dict]]]:
    f = root / ROUTES_FILE
    if not f.is_file():
        return {}, {}, []
    data = json.loads(f.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{f}: expected a JSON object of path -> route")
    defaults = dict(data.get("_defaults") or {})
    exact = {k: v for k, v in data.items() if k.startswith("/") and not k.endswith("*")}
    prefix = sorted(((k[:-1], v) for k, v in data.items() if k.startswith("/") and k.endswith("*")),
                    key=lambda kv: -len(kv[0]))
    return exact, defaults, prefix


def serve(root: Path | str, host: str = "127.0.0.1", port: int = 0) -> SiteServer:
    """Serve `root` in a daemon thread; returns the running server.

    `port=0` picks a free port (read it from `.port` / `.base_url`).
    """
    return SiteServer(root, host, port).start()


def main(argv: list[str] | None = None) -> int:
    """`python -m crawler.siteserver ROOT [--port N]`: prints the base URL, serves until killed."""
    ap = argparse.ArgumentParser(prog="python -m crawler.siteserver", description=main.__doc__)
    ap.add_argument("root", type=Path)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args(argv)
    server = SiteServer(args.root, args.host, args.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    # The one line a parent process reads to learn the port.
    print(server.base_url, flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
