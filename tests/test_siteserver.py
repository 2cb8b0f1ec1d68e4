"""The loopback site server (crawler/siteserver.py): static files, routes, built-ins, hits."""
from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.siteserver import serve

ROOT = Path(__file__).resolve().parent.parent
BIG5_TEXT = "衡器檢定：更新日期：115-10-02"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    (root / "index.html").write_text("<html><body>首頁</body></html>", encoding="utf-8")
    (root / "news").mkdir()
    (root / "news" / "index.html").write_text("<html>news</html>", encoding="utf-8")
    (root / "news" / "old.html").write_text("<html>old</html>", encoding="utf-8")
    (root / "meta-big5.html").write_bytes(f'<html><head><meta charset="big5"></head><body>{BIG5_TEXT}</body></html>'.encode("big5"))
    (root / "header-big5.html").write_bytes(f"<html><body>{BIG5_TEXT}</body></html>".encode("big5"))
    (root / "form.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    (root / "form.odt").write_bytes(b"PK odt")
    (root / "robots.txt").write_text("Sitemap: {{base_url}}/sitemap.xml\n", encoding="utf-8")
    (root / "_secret.txt").write_text("hidden", encoding="utf-8")
    (root / "svc").mkdir()
    (root / "svc" / "a.html").write_text('<a href="/svc/a.html;jsessionid={{sid}}">a</a>', encoding="utf-8")
    (root / "cal").mkdir()
    (root / "cal" / "_t.html").write_text("<h1>{{title}}</h1><a href='?ym={{prev}}'>p</a><a href='?ym={{next}}'>n</a>",
                                          encoding="utf-8")
    routes = {
        "/gone.aspx": {"status": 503, "headers": {"Retry-After": "1"}, "body": "維護中"},
        "/error.aspx": {"status": 500},
        "/loop-a": {"redirect": "/loop-b"},
        "/loop-b": {"redirect": "/loop-a"},
        "/moved": {"status": 301, "redirect": "/news/"},
        "/slow.html": {"delay": 0.3, "body": "slow"},
        "/header-big5.html": {"charset": "big5"},
        "/news/old.html": {"last_modified": "Tue, 05 Mar 2024 08:00:00 GMT"},
        "/news/": {"last_modified": None},
        "/form.pdf": {"reject_head": True},
        "/robots.txt": {"substitute": True},
        "/svc/*": {"dynamic": "session"},
        "/cal/": {"dynamic": "calendar", "template": "/cal/_t.html", "start": "202612"},
        "/typed": {"body": "{}", "content_type": "application/json"},
    }
    (root / "_routes.json").write_text(json.dumps(routes, ensure_ascii=False), encoding="utf-8")
    with serve(root) as s:
        yield s


def get(srv, path: str, method: str = "GET", conn: http.client.HTTPConnection | None = None):
    c = conn or http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    c.request(method, path)
    r = c.getresponse()
    body = r.read()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def test_static_file_headers_and_keep_alive(srv):
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    status, h, body = get(srv, "/", conn=conn)
    assert status == 200 and "首頁".encode() in body
    assert h["content-type"] == "text/html; charset=utf-8"
    assert h["content-length"] == str(len(body))
    assert "last-modified" in h  # from the file's mtime
    # HTTP/1.1 keep-alive: the same connection serves the next request
    assert get(srv, "/news/", conn=conn)[0] == 200
    assert srv.base_url == f"http://127.0.0.1:{srv.port}"


def test_directories_index_and_slash_redirect(srv):
    assert get(srv, "/news/")[2] == b"<html>news</html>"
    status, h, _ = get(srv, "/news")
    assert status == 301 and h["location"] == "/news/"


def test_not_found_and_hidden_files(srv):
    assert get(srv, "/missing.html")[0] == 404
    assert get(srv, "/_routes.json")[0] == 404
    assert get(srv, "/_secret.txt")[0] == 404
    assert get(srv, "/cal/_t.html")[0] == 404
    assert get(srv, "/../etc/passwd")[0] == 404


def test_status_routes(srv):
    status, h, body = get(srv, "/gone.aspx")
    assert status == 503 and h["retry-after"] == "1" and "維護中" in body.decode()
    assert get(srv, "/error.aspx")[0] == 500


def test_redirects_and_loop(srv):
    status, h, _ = get(srv, "/moved")
    assert (status, h["location"]) == (301, "/news/")
    assert get(srv, "/loop-a")[1]["location"] == "/loop-b"
    assert get(srv, "/loop-b")[1]["location"] == "/loop-a"


def test_builtin_routes(srv):
    status, h, _ = get(srv, "/_status/429?retry_after=2")
    assert status == 429 and h["retry-after"] == "2"
    assert get(srv, "/_status/404")[0] == 404
    assert get(srv, "/_redirect?to=/news/")[1]["location"] == "/news/"
    # /_redirect/n is a chain of n hops before the target
    hops, path = 0, "/_redirect/3?to=/news/"
    while True:
        status, h, _ = get(srv, path)
        if status != 302:
            break
        hops, path = hops + 1, h["location"]
    assert (hops, path, status) == (4, "/news/", 200)
    t = time.perf_counter()
    assert get(srv, "/_delay/0.2")[0] == 200
    assert time.perf_counter() - t >= 0.2


def test_delay_route(srv):
    t = time.perf_counter()
    assert get(srv, "/slow.html")[2] == b"slow"
    assert time.perf_counter() - t >= 0.3


def test_head(srv):
    status, h, body = get(srv, "/form.pdf", "HEAD")
    assert status == 405 and h["allow"] == "GET" and body == b""
    status, h, body = get(srv, "/form.pdf")
    assert status == 200 and h["content-type"] == "application/pdf"
    status, h, body = get(srv, "/", "HEAD")
    assert status == 200 and body == b"" and int(h["content-length"]) > 0
    assert get(srv, "/form.odt")[1]["content-type"] == "application/vnd.oasis.opendocument.text"


def test_big5_charset_only_where_declared(srv):
    status, h, body = get(srv, "/header-big5.html")
    assert h["content-type"] == "text/html; charset=big5"
    assert BIG5_TEXT in body.decode("big5")
    # not UTF-8 and no route: the server must not claim a charset
    status, h, body = get(srv, "/meta-big5.html")
    assert h["content-type"] == "text/html"
    assert BIG5_TEXT in body.decode("big5")


def test_last_modified_override_and_suppressed(srv):
    assert get(srv, "/news/old.html")[1]["last-modified"] == "Tue, 05 Mar 2024 08:00:00 GMT"
    assert "last-modified" not in get(srv, "/news/")[1]


def test_content_type_override(srv):
    assert get(srv, "/typed")[1]["content-type"] == "application/json"


def test_substitute_base_url(srv):
    assert get(srv, "/robots.txt")[2].decode() == f"Sitemap: {srv.base_url}/sitemap.xml\n"


def test_session_ids_change_per_url(srv):
    a = get(srv, "/svc/a.html")[2].decode()
    b = get(srv, "/svc/a.html;jsessionid=XYZ")[2].decode()
    assert "jsessionid=" in a and "{{sid}}" not in a
    assert a != b  # every URL hands out a new id: an endless URL space


def test_calendar_links_months_endlessly(srv):
    body = get(srv, "/cal/")[2].decode()
    assert "民國115年12月" in body and "ym=202611" in body and "ym=202701" in body
    body = get(srv, "/cal/?ym=209912")[2].decode()
    assert "ym=210001" in body


def test_hits_counter(srv):
    srv.reset()
    get(srv, "/news/")
    get(srv, "/news/")
    get(srv, "/form.pdf", "HEAD")
    assert srv.hits[("GET", "/news/")] == 2
    assert srv.count("/form.pdf") == 1 and srv.count("/form.pdf", "GET") == 0
    assert srv.requested("/news") == ["/news/"]
    srv.reset()
    assert not srv.hits


def test_concurrent_throughput(srv):
    """Keep-alive + cached bytes: well above the 300 requests/s the benchmark needs."""
    import threading

    def worker():
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        for _ in range(50):
            get(srv, "/news/", conn=c)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert 400 / (time.perf_counter() - t) > 300


def test_module_main_prints_url(tmp_path):
    (tmp_path / "index.html").write_text("ok", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "crawler.siteserver", str(tmp_path)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        port = int(url.rsplit(":", 1)[1])
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/")
        assert c.getresponse().read() == b"ok"
    finally:
        proc.terminate()
        proc.wait(timeout=5)
    assert proc.returncode == 0
