"""Crawl real HTTP servers on 127.0.0.1 and find every broken link (issue 2).

One crawl of a site that shows every link outcome, then one assertion per
behaviour: statuses, redirect chains, once-per-target fetching, robots.txt,
external targets checked but never crawled.
"""
from __future__ import annotations

import pytest

from crawler.siteserver import serve
from crawlhelp import crawl, make_site

N_LINKERS = 6  # pages that all link to the same targets


@pytest.fixture(scope="module")
def external(tmp_path_factory):
    root = make_site(tmp_path_factory.mktemp("ext"), {
        "/ext.html": '<p id="here">外部頁</p><a href="/ext2.html">不該被爬</a>',
        "/ext2.html": "外部第二頁",
        "/robots.txt": b"User-agent: *\nAllow: /\n",
    })
    with serve(root) as srv:
        yield srv


@pytest.fixture(scope="module")
def linksite(tmp_path_factory, external):
    # external targets live on "localhost", the audited site on 127.0.0.1:
    # two hosts, both loopback.
    ext = f"http://localhost:{external.port}"
    common = (
        '<a href="/files/report.pdf">報告</a> <img src="/img/logo.png" alt="logo"> '
        f'<a href="{ext}/ext.html">外部</a> <a href="/missing.html">失效</a>'
    )
    pages = {
        "/": "".join(f'<a href="/p{i}.html">第{i}頁</a> ' for i in range(N_LINKERS))
        + common + '<a href="/admin/">管理</a> <a href="mailto:a@b.tw">信</a> <a href="javascript:void(0)">js</a>'
        + ' <a href="tel:0212345678">電話</a> <a href="data:text/plain,x">d</a>',
        "/files/report.pdf": b"%PDF-1.4\n",
        "/img/logo.png": b"\x89PNG\r\n\x1a\n",
        "/admin/index.html": "後台",
        "/robots.txt": b"User-agent: *\nDisallow: /admin/\n",
        "/target.html": '<h2 id="sec1">一</h2><a name="old-anchor"></a>',
        "/moved-target.html": "新位置",
        "/head.pdf": b"%PDF-1.4\n",
        "/slow-ok.html": "慢但正常",
    }
    for i in range(N_LINKERS):
        pages[f"/p{i}.html"] = common + f' <a href="/p{(i + 1) % N_LINKERS}.html">下一頁</a>'
    pages["/p0.html"] += (
        ' <a href="/loop-a">迴圈</a> <a href="/_redirect/25">太多轉址</a> <a href="/old">舊網址</a>'
        ' <a href="/gone-redirect">轉到不存在</a> <a href="/busy">忙碌</a> <a href="/error500">錯誤</a>'
        ' <a href="/_delay/6">逾時</a> <a href="http://dns-fail.invalid/x">DNS</a>'
        ' <a href="http://127.0.0.1:9/">拒絕連線</a> <a href="/head.pdf">拒絕HEAD</a>'
        ' <a href="/target.html#sec1">有錨點</a> <a href="/target.html#old-anchor">name錨點</a>'
        ' <a href="/target.html#nosuch">無錨點</a> <a href="#p0-top">本頁錨點不存在</a>'
        f' <a href="{ext}/ext.html#here">外部錨點</a> <a href="{ext}/ext.html#gone">外部錨點失效</a>'
        ' <img srcset="/img/logo.png 1x, /img/missing-2x.png 2x" src="/img/logo.png" alt="x">'
        ' <link rel="stylesheet" href="/css/missing.css">'
        f' <a href="https://127.0.0.1:{{port}}/">TLS</a>'
    )
    routes = {
        "/loop-a": {"redirect": "/loop-b"},
        "/loop-b": {"redirect": "/loop-a"},
        "/old": {"redirect": "/moved-target.html", "status": 301},
        "/gone-redirect": {"redirect": "/nowhere.html"},
        "/busy": {"status": 503, "headers": {"Retry-After": "1"}},
        "/error500": {"status": 500},
        "/head.pdf": {"reject_head": True},
    }
    root = tmp_path_factory.mktemp("links")
    make_site(root, pages, routes)
    with serve(root) as srv:
        # the TLS target needs the port: rewrite the page now that it is known
        p0 = root / "p0.html"
        p0.write_text(p0.read_text(encoding="utf-8").replace("{port}", str(srv.port)), encoding="utf-8")
        srv.reset()
        cfg = root.parent / f"{root.name}.toml"
        cfg.write_text("[links]\ntimeout = 2\nretries = 1\n[attachments]\ndocuments = false\n", encoding="utf-8")
        out = tmp_path_factory.mktemp("out")
        result = crawl(srv.url("/"), out, "--config", str(cfg))
        yield srv, result, ext


def _findings_for(result, target_suffix):
    return [f for f in result.findings if f["detail"].get("target", "").endswith(target_suffix)]


def test_crawl_runs_and_writes_outputs(linksite):
    srv, result, _ = linksite
    # /_delay/6 never answers within the 2 s timeout: that page was met but
    # not audited, so the run is honest about it (exit 3, failed_pages).
    assert result.code == 3, result.stderr
    failed = {f["url"].rsplit("/", 2)[-2] + "/" + f["url"].rsplit("/", 1)[-1]: f for f in result.run["failed_pages"]}
    assert list(failed) == ["_delay/6"], failed
    assert failed["_delay/6"]["stage"] == "fetch" and "逾時" in failed["_delay/6"]["reason"]
    assert result.run["complete"] is False
    for name in ("findings.jsonl", "pages.jsonl", "run.json"):
        assert (result.out / name).exists()
    urls = {p["url"] for p in result.pages}
    assert srv.url("/") in urls and srv.url("/p5.html") in urls
    # non-HTML targets and external pages are not pages
    assert not any(u.endswith(".pdf") or "localhost" in u for u in urls)
    assert result.run["as_of"] == "2026-11-26"
    assert result.run["close_reason"] == "finished"


@pytest.mark.parametrize("suffix,rule,status", [
    ("/missing.html", "link.broken", 404),
    ("/img/missing-2x.png", "link.broken", 404),
    ("/css/missing.css", "link.broken", 404),
    ("/loop-a", "link.broken", "redirect-loop"),
    ("/_redirect/25", "link.broken", "too-many-redirects"),
    ("/gone-redirect", "link.broken", 404),
    ("dns-fail.invalid/x", "link.broken", "dns"),
    ("127.0.0.1:9/", "link.broken", "refused"),
    ("/busy", "link.unreachable", 503),
    ("/error500", "link.unreachable", 500),
    ("/_delay/6", "link.unreachable", "timeout"),
])
def test_link_outcomes(linksite, suffix, rule, status):
    _, result, _ = linksite
    found = _findings_for(result, suffix)
    assert found, f"no finding for {suffix}"
    assert {f["rule"] for f in found} == {rule}
    assert {f["detail"]["status"] for f in found} == {status}
    for f in found:
        assert f["severity"] == ("error" if rule == "link.broken" else "warning")
        assert f["detail"]["element"]
        assert f["message"].startswith(("失效連結", "連結暫時無法連線"))


def test_tls_failure_is_reported_as_tls(linksite):
    srv, result, _ = linksite
    found = _findings_for(result, f"https://127.0.0.1:{srv.port}/")
    assert [f["detail"]["status"] for f in found] == ["tls"]


def test_redirect_chain_kept_in_detail(linksite):
    srv, result, _ = linksite
    (gone,) = _findings_for(result, "/gone-redirect")
    assert gone["detail"]["redirects"] == [srv.url("/gone-redirect"), srv.url("/nowhere.html")]
    (loop,) = _findings_for(result, "/loop-a")
    assert loop["detail"]["redirects"][:2] == [srv.url("/loop-a"), srv.url("/loop-b")]


def test_working_links_are_not_reported(linksite):
    _, result, ext = linksite
    for ok in ("/files/report.pdf", "/img/logo.png", "/old", "/head.pdf", "/target.html#sec1",
               "/target.html#old-anchor", f"{ext}/ext.html", f"{ext}/ext.html#here"):
        assert not _findings_for(result, ok), ok


def test_broken_link_reported_once_per_linking_page(linksite):
    _, result, _ = linksite
    pages = sorted(f["url"] for f in _findings_for(result, "/missing.html"))
    assert len(pages) == N_LINKERS + 1 == len(set(pages))


def test_each_target_fetched_once(linksite):
    srv, _, _ = linksite
    assert srv.count("/files/report.pdf") == 1
    assert srv.count("/img/logo.png") == 1
    assert srv.count("/missing.html") == 1
    assert srv.count("/p3.html") == 1
    # HEAD refused with 405 -> one GET fallback, nothing more
    assert srv.count("/head.pdf", "HEAD") == 1 and srv.count("/head.pdf", "GET") == 1
    # 5xx are retried (retries = 1): two requests, not one per linking page
    assert srv.count("/busy") == 2


def test_anchor_missing(linksite):
    srv, result, ext = linksite
    anchors = sorted(f["detail"]["target"] for f in result.by_rule("link.anchor-missing"))
    assert anchors == sorted([srv.url("/target.html#nosuch"), srv.url("/p0.html#p0-top"), f"{ext}/ext.html#gone"])


def test_robots_disallowed_never_requested(linksite):
    srv, result, _ = linksite
    assert srv.requested("/admin") == []
    assert not _findings_for(result, "/admin/")


def test_external_pages_checked_never_crawled(linksite, external):
    # only what the site links to directly (plus robots.txt) was requested
    assert external.requested("/ext2") == []
    assert set(external.requested("/")) <= {"/ext.html", "/robots.txt"}


def test_skipped_schemes_not_fetched(linksite):
    _, result, _ = linksite
    targets = {f["detail"].get("target", "") for f in result.findings}
    assert not any(t.startswith(("mailto:", "javascript:", "tel:", "data:")) for t in targets)
