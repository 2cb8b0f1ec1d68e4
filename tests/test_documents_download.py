"""The download side of crawler/documents.py: URLs, Scrapy responses, and a real Scrapy crawl (issue 13).

`facts_from_response` is given real `scrapy.http.Response` values; the crawl
test runs Scrapy (in a subprocess: its reactor starts once per process) with
the request recipe of "How the crawl uses this" against a loopback server
that misbehaves the ways the issue lists: a document above the cap (with and
without Content-Length), one that never finishes, a server lying about
Content-Length, an HTML page at a .pdf URL, 304 on the second run.
"""
from __future__ import annotations

import contextlib
import gzip
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import Request, Response

import docmaker as dm
from crawler.doccache import DocumentCache
from crawler.documents import (
    document_request_kwargs,
    facts_from_response,
    failed_facts,
    is_document,
    too_large_facts,
)

ROOT = Path(__file__).resolve().parent.parent
CAP = 20_000_000
SITE = "https://www.example.gov.tw"


@pytest.mark.parametrize(("url", "ext"), [
    (f"{SITE}/files/申請書.pdf", "pdf"),
    (f"{SITE}/files/%E7%94%B3%E8%AB%8B%E6%9B%B8.ODT", "odt"),
    (f"{SITE}/dl/report.xlsx?v=3", "xlsx"),
    (f"{SITE}/download.php?file=a.docx", "docx"),
    (f"{SITE}/File.aspx?id=5&name=/upload/2026/附件.pptx", "pptx"),
    (f"{SITE}/files/a.pdf;jsessionid=ABC", "pdf"),
    (f"{SITE}/pdfjs/web/viewer.html?file=/files/a.pdf", None),  # an HTML viewer page
    (f"{SITE}/files/a.pdf/view", None),  # often a page about the file
    (f"{SITE}/news/list.aspx?id=5", None),
    (f"{SITE}/files/a.odg", None),
    (f"{SITE}/files/a.zip", None),
    ("http://[::1", None),
])
def test_is_document(url: str, ext: str | None) -> None:
    assert is_document(url) == ext


def _response(url: str, body: bytes, status: int = 200, headers: dict[str, str] | None = None,
              flags: list[str] | None = None, target: str | None = None) -> Response:
    request = Request(url, meta={"target": target or url})
    return Response(url=url, status=status, body=body, headers=headers or {}, flags=flags, request=request)


@pytest.fixture
def docs(tmp_path: Path) -> dict[str, bytes]:
    return {
        "good": dm.pdf(tmp_path / "good.pdf", info={"Title": "預算書", "Subject": "預算", "Author": "主計室"},
                       tagged=True).read_bytes(),
        "odt": dm.odf(tmp_path / "a.odt").read_bytes(),
    }


def test_a_pdf_response_is_read_and_the_temp_file_removed(tmp_path: Path, docs: dict[str, bytes]) -> None:
    tmp = tmp_path / "tmp"
    facts = facts_from_response(_response(f"{SITE}/files/預算書.pdf", docs["good"],
                                          headers={"Content-Type": "application/pdf"}), max_bytes=CAP, tmp_dir=tmp)
    assert (facts.status, facts.title, facts.has_text, facts.tagged) == ("ok", "預算書", True, True)
    assert facts.url == f"{SITE}/files/預算書.pdf" and facts.content_type == "application/pdf"
    assert list(tmp.iterdir()) == []


def test_the_document_is_named_by_its_link_target_not_the_redirect(tmp_path: Path, docs: dict[str, bytes]) -> None:
    facts = facts_from_response(_response(f"{SITE}/store/9f3a", docs["odt"], target=f"{SITE}/files/a.odt"),
                                max_bytes=CAP, tmp_dir=tmp_path)
    assert (facts.url, facts.ext, facts.status) == (f"{SITE}/files/a.odt", "odt", "ok")


def test_extension_from_content_disposition(tmp_path: Path, docs: dict[str, bytes]) -> None:
    resp = _response(f"{SITE}/download?id=7", docs["odt"],
                     headers={"Content-Disposition": "attachment; filename*=UTF-8''%E7%94%B3%E8%AB%8B.odt"})
    facts = facts_from_response(resp, max_bytes=CAP, tmp_dir=tmp_path)
    assert (facts.ext, facts.status) == ("odt", "ok")


def test_html_at_a_pdf_url_is_invalid(tmp_path: Path) -> None:
    facts = facts_from_response(_response(f"{SITE}/files/a.pdf", dm.HTML_ERROR_PAGE,
                                          headers={"Content-Type": "text/html; charset=utf-8"}),
                                max_bytes=CAP, tmp_dir=tmp_path)
    assert facts.status == "invalid" and "HTML" in facts.invalid_reason


def test_http_errors_and_cut_bodies_are_failures(tmp_path: Path, docs: dict[str, bytes]) -> None:
    url = f"{SITE}/files/a.pdf"
    missing = facts_from_response(_response(url, dm.HTML_ERROR_PAGE, status=404), max_bytes=CAP, tmp_dir=tmp_path)
    assert missing.status == "failed" and "HTTP 404" in missing.notices[0]
    cut = facts_from_response(_response(url, docs["good"][:100], flags=["dataloss"]), max_bytes=CAP,
                              tmp_dir=tmp_path)
    assert cut.status == "failed" and "不完整" in cut.notices[0]
    no_cache = facts_from_response(_response(url, b"", status=304), max_bytes=CAP, tmp_dir=tmp_path)
    assert no_cache.status == "failed"


def test_a_30_mb_pdf_above_a_20_mb_cap(tmp_path: Path) -> None:
    body = dm.pdf(tmp_path / "big.pdf", pad_bytes=30_000_000).read_bytes()
    assert len(body) > 30_000_000
    facts = facts_from_response(_response(f"{SITE}/files/big.pdf", body), max_bytes=CAP, tmp_dir=tmp_path / "t")
    assert facts.status == "too-large" and facts.bytes == len(body)
    assert facts.notices == ("文件大小 30 MB，超過下載上限 20 MB（[attachments] max_bytes），未下載檢查",)
    stopped = facts_from_response(_response(f"{SITE}/files/big.pdf", b"", flags=["download_stopped"],
                                            headers={"Content-Length": str(len(body))}), max_bytes=CAP,
                                  tmp_dir=tmp_path)
    assert stopped.status == "too-large"


def test_cache_answers_304_and_same_bytes(tmp_path: Path, docs: dict[str, bytes]) -> None:
    cache = DocumentCache(tmp_path / "documents.sqlite")
    url = f"{SITE}/files/預算書.pdf"
    headers = {"Content-Type": "application/pdf", "ETag": '"v1"', "Last-Modified": "Tue, 05 Mar 2024 08:00:00 GMT"}
    first = facts_from_response(_response(url, docs["good"], headers=headers), max_bytes=CAP, tmp_dir=tmp_path,
                                cache=cache)
    assert document_request_kwargs(url, max_bytes=CAP, cache=cache)["headers"] == {
        "Accept-Encoding": "identity", "If-None-Match": '"v1"', "If-Modified-Since": "Tue, 05 Mar 2024 08:00:00 GMT"}
    again = facts_from_response(_response(url, b"", status=304), max_bytes=CAP, tmp_dir=tmp_path, cache=cache)
    assert again == first
    # the same bytes under another URL: the stored reading, under the new URL
    other = facts_from_response(_response(f"{SITE}/copy/b.pdf", docs["good"], headers={"Content-Type":
                                                                                       "application/pdf"}),
                                max_bytes=CAP, tmp_dir=tmp_path, cache=cache)
    assert other == first.replace(url=f"{SITE}/copy/b.pdf")
    assert len(cache) == 2


def test_request_recipe() -> None:
    kw = document_request_kwargs(f"{SITE}/files/a.pdf", max_bytes=CAP)
    assert kw["method"] == "GET"
    assert kw["meta"] == {"kind": "document", "target": f"{SITE}/files/a.pdf", "download_maxsize": CAP,
                          "download_warnsize": 0, "download_slot": "www.example.gov.tw#documents"}
    Request(f"{SITE}/files/a.pdf", **kw)  # Scrapy accepts it


def test_notice_only_facts() -> None:
    big = too_large_facts(f"{SITE}/a.pdf", max_bytes=CAP)
    assert (big.status, big.kind, big.bytes) == ("too-large", "pdf", None)
    assert big.notices == ("文件超過下載上限 20 MB（[attachments] max_bytes），未下載檢查",)
    failed = failed_facts(f"{SITE}/a.odt", "連線逾時")
    assert (failed.status, failed.ext, failed.notices) == ("failed", "odt", ("無法下載文件（連線逾時）",))


# ---- a real Scrapy crawl ------------------------------------------------------------
class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    docs: dict[str, bytes] = {}
    seen: list[tuple[str, str]] = []

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("If-None-Match") or ""))
        path = self.path
        pdf, big = self.docs["good"], self.docs["big"]
        if path == "/ok.pdf":
            if self.headers.get("If-None-Match") == '"v1"':
                self._send(304, b"", {"ETag": '"v1"', "Content-Length": "0"})
            else:
                self._send(200, pdf, {"Content-Type": "application/pdf", "ETag": '"v1"',
                                      "Content-Length": str(len(pdf))})
        elif path == "/big.pdf":
            self._send(200, big, {"Content-Type": "application/pdf", "Content-Length": str(len(big))})
        elif path == "/chunked.pdf":  # no Content-Length: Scrapy cuts it once past the cap
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for i in range(0, len(big), 1 << 20):
                    chunk = big[i:i + (1 << 20)]
                    self.wfile.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif path == "/liar.pdf":  # claims more than it sends, then hangs up
            self.send_response(200)
            self.send_header("Content-Length", str(len(pdf) * 10))
            self.end_headers()
            self.wfile.write(pdf[:200])
            self.wfile.flush()
            self.close_connection = True
        elif path == "/short.pdf":  # claims less than the document: the reader gets a cut PDF
            self._send(200, pdf, {"Content-Type": "application/pdf", "Content-Length": str(len(pdf) // 2)})
            self.close_connection = True
        elif path == "/never.pdf":  # headers, a little, then nothing
            self.send_response(200)
            self.send_header("Content-Length", str(len(pdf)))
            self.end_headers()
            self.wfile.write(pdf[:100])
            self.wfile.flush()
            time.sleep(4)
        elif path == "/error.pdf":
            self._send(200, dm.HTML_ERROR_PAGE, {"Content-Type": "text/html; charset=utf-8",
                                                 "Content-Length": str(len(dm.HTML_ERROR_PAGE))})
        elif path == "/gzip.odt":  # compressed although identity was asked for
            body = gzip.compress(self.docs["odt"])
            self._send(200, body, {"Content-Type": "application/vnd.oasis.opendocument.text",
                                   "Content-Encoding": "gzip", "Content-Length": str(len(body))})
        else:
            self._send(404, b"not found", {"Content-Length": "9"})


SPIDER = r'''
import json, sys
import scrapy
from scrapy.crawler import CrawlerProcess
from crawler.doccache import DocumentCache
from crawler.documents import document_request_kwargs, facts_from_failure, facts_from_response

base, cache_path, tmp_dir, cap = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
paths = sys.argv[5:]
cache = DocumentCache(cache_path)
out = {}

class Docs(scrapy.Spider):
    name = "docs"

    async def start(self):
        for p in paths:
            url = base + p
            yield scrapy.Request(url, callback=self.parse_document, errback=self.document_failed,
                                 dont_filter=True, **document_request_kwargs(url, max_bytes=cap, cache=cache))

    def parse_document(self, response):
        out[response.meta["target"]] = facts_from_response(response, max_bytes=cap, tmp_dir=tmp_dir,
                                                           cache=cache).to_dict()

    def document_failed(self, failure):
        facts = facts_from_failure(failure, max_bytes=cap)
        out[facts.url] = facts.to_dict()

process = CrawlerProcess({"LOG_LEVEL": "CRITICAL", "HTTPERROR_ALLOW_ALL": True, "RETRY_ENABLED": False,
                          "DOWNLOAD_TIMEOUT": 1.5, "ROBOTSTXT_OBEY": False, "TELNETCONSOLE_ENABLED": False,
                          "CONCURRENT_REQUESTS_PER_DOMAIN": 2})
process.crawl(Docs)
process.start()
cache.close()
print(json.dumps(out, ensure_ascii=False))
'''


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    d = tmp_path_factory.mktemp("served")
    _Handler.docs = {
        "good": dm.pdf(d / "good.pdf", info={"Title": "預算書", "Subject": "預算", "Author": "主計室"}).read_bytes(),
        "big": dm.pdf(d / "big.pdf", pad_bytes=30_000_000).read_bytes(),
        "odt": dm.odf(d / "a.odt").read_bytes(),
    }
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def _crawl(base: str, tmp_path: Path, paths: list[str]) -> dict[str, dict[str, Any]]:
    script = tmp_path / "spider.py"
    script.write_text(SPIDER, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script), base, str(tmp_path / "documents.sqlite"),
                           str(tmp_path / "tmp"), str(CAP), *paths],
                          cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {k.removeprefix(base): v for k, v in json.loads(proc.stdout.strip().splitlines()[-1]).items()}


def test_a_real_crawl_of_documents(server: str, tmp_path: Path) -> None:
    paths = ["/ok.pdf", "/big.pdf", "/chunked.pdf", "/liar.pdf", "/short.pdf", "/never.pdf", "/error.pdf",
             "/gzip.odt", "/missing.pdf"]
    t = time.perf_counter()
    got = _crawl(server, tmp_path, paths)
    took = time.perf_counter() - t
    status = {p: got[p]["status"] for p in paths}
    assert status == {
        "/ok.pdf": "ok",
        "/big.pdf": "too-large",  # cancelled by Content-Length before the body
        "/chunked.pdf": "too-large",  # cancelled once past the cap
        "/liar.pdf": "failed",  # the connection ended before the declared length
        "/short.pdf": "invalid",  # what the server sent is a cut PDF: what the public gets too
        "/never.pdf": "failed",  # DOWNLOAD_TIMEOUT
        "/error.pdf": "invalid",
        "/gzip.odt": "ok",
        "/missing.pdf": "failed",
    }, got
    assert got["/big.pdf"]["bytes"] > 30_000_000 and "20 MB" in got["/big.pdf"]["notices"][0]
    assert "逾時" in got["/never.pdf"]["notices"][0]
    assert "HTTP 404" in got["/missing.pdf"]["notices"][0]
    assert got["/ok.pdf"]["title"] == "預算書"
    assert list((tmp_path / "tmp").iterdir()) == []
    assert took < 15

    # next month: the unchanged document is asked conditionally and not downloaded again
    _Handler.seen.clear()
    again = _crawl(server, tmp_path, ["/ok.pdf", "/error.pdf"])
    assert ("/ok.pdf", '"v1"') in _Handler.seen
    assert again["/ok.pdf"] == got["/ok.pdf"]
    assert again["/error.pdf"]["status"] == "invalid"  # no validators: downloaded again, reading reused
