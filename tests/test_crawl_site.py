"""Crawl behaviours on real loopback servers (issue 2): scope, traps, encodings,
sitemaps, limits, resume after a kill, bad input and exit codes."""
from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.guard import CHAIN_LIMIT
from crawler.siteserver import serve
from crawlhelp import ROOT, crawl, make_site, run_cli


def test_calendar_and_session_traps_stop_on_their_own(tmp_path):
    # An endless calendar (each month links to the next and previous) and a
    # session id that changes on every page: no config, the crawl must end.
    root = make_site(tmp_path / "site", {
        "/": '<a href="/calendar/?ym=202611">行事曆</a> <a href="/svc/a.html;jsessionid=0123456789ABCDEF0123">服務</a>',
        "/svc/a.html": '<a href="/svc/b.html;jsessionid=FEDCBA98765432100123">b</a>',
        "/svc/b.html": '<a href="/svc/a.html;jsessionid=AAAABBBBCCCCDDDD0000">a</a>',
    }, routes={"/calendar/": {"dynamic": "calendar", "start": "202611"}})
    with serve(root) as srv:
        res = crawl(srv.url("/"), tmp_path / "out", timeout=120)
        assert res.code == 0, res.stderr
        calendar_pages = [p for p in res.pages if "/calendar/" in p["url"]]
        # the chain limit, both ways from the first month
        assert 10 <= len(calendar_pages) <= 2 * CHAIN_LIMIT + 1, len(calendar_pages)
        assert res.run["trap_skipped"], "the trap guard should say what it skipped"
        # session ids are stripped: each page once
        svc = sorted(p["url"] for p in res.pages if "/svc/" in p["url"])
        assert svc == [srv.url("/svc/a.html"), srv.url("/svc/b.html")]


def test_big5_pages_decoded_from_header_and_meta(tmp_path):
    body = "<html><head>{meta}<title>基隆分局公告</title></head><body><p>商品檢驗業務說明</p>" \
           '<a href="/missing-big5.html">失效</a></body></html>'
    root = make_site(tmp_path / "site", {
        "/": '<a href="/meta.html">meta</a> <a href="/header.html">header</a>',
        "/meta.html": body.format(meta='<meta charset="big5">').encode("big5"),
        "/header.html": body.format(meta="").encode("big5"),
    }, routes={"/meta.html": {"charset": None}, "/header.html": {"charset": "big5"}})
    with serve(root) as srv:
        res = crawl(srv.url("/"), tmp_path / "out")
    assert res.code == 0, res.stderr
    titles = {p["url"].rsplit("/", 1)[-1]: p["title"] for p in res.pages}
    assert titles["meta.html"] == "基隆分局公告"
    assert titles["header.html"] == "基隆分局公告"
    assert len([f for f in res.by_rule("link.broken") if f["detail"]["target"].endswith("/missing-big5.html")]) == 2


def test_broken_html_huge_page_and_meta_refresh(tmp_path):
    huge = "<p>" + ("政府網站資料開放宣告。" * 120_000) + '</p><a href="/after-huge.html">後</a>'  # ~3.6 MB
    root = make_site(tmp_path / "site", {
        "/": '<a href="/broken.html">壞</a> <a href="/huge.html">大</a> <a href="/refresh.html">轉</a>',
        "/broken.html": b"<html><body><div><p>\xe6\x9c\xaa\xe9\x97\x9c<table><tr><td><a href='/in-broken.html'>x",
        "/in-broken.html": "ok",
        "/huge.html": huge,
        "/after-huge.html": "ok",
        "/refresh.html": b'<html><head><meta http-equiv="refresh" content="0; url=/refresh-target.html"></head></html>',
    })
    with serve(root) as srv:
        res = crawl(srv.url("/"), tmp_path / "out")
    assert res.code == 0, res.stderr
    urls = {p["url"].rsplit("/", 1)[-1] for p in res.pages}
    # links inside broken markup and after a huge body are still followed
    assert {"in-broken.html", "after-huge.html", "refresh.html"} <= urls
    # the meta-refresh page is audited, its (missing) target is one of its links
    (f,) = [f for f in res.by_rule("link.broken") if f["detail"]["target"].endswith("/refresh-target.html")]
    assert f["detail"]["element"] == "meta-refresh" and f["url"].endswith("/refresh.html")


def test_sitemap_seeds_and_lastmod(tmp_path):
    root = make_site(tmp_path / "site", {
        "/": "首頁（沒有連到孤兒頁）",
        "/orphan.html": "只在 sitemap 裡",
        "/sitemap.xml": b'<?xml version="1.0" encoding="UTF-8"?>'
                        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                        b'<url><loc>{{base_url}}/orphan.html</loc><lastmod>2024-01-02</lastmod></url></urlset>',
    }, routes={"/sitemap.xml": {"substitute": True}, "_defaults": {"last_modified": None}})
    cfg = tmp_path / "site.toml"
    with serve(root) as srv:
        cfg.write_text(f'[site]\nsitemaps = ["{srv.url("/sitemap.xml")}"]\n', encoding="utf-8")
        res = crawl(srv.url("/"), tmp_path / "out", "--config", str(cfg))
    assert res.code == 0, res.stderr
    orphan = next(p for p in res.pages if p["url"].endswith("/orphan.html"))
    assert orphan["modified"] == "2024-01-02" and orphan["modified_source"] == "sitemap"
    stale = [f for f in res.by_rule("freshness.stale") if f["url"].endswith("/orphan.html")]
    assert stale and stale[0]["detail"]["source"] == "sitemap"


def test_max_pages_max_depth_and_exclude(tmp_path):
    pages = {"/": '<a href="/d1.html">1</a> <a href="/skip/x.html">略過</a>'}
    for i in range(1, 8):
        pages[f"/d{i}.html"] = f'<a href="/d{i + 1}.html">下一層</a>'
    pages["/skip/x.html"] = "不應被當成網頁抓"
    root = make_site(tmp_path / "site", pages)
    cfg = tmp_path / "site.toml"
    cfg.write_text('[crawl]\nmax_depth = 3\nexclude = ["/skip/"]\n', encoding="utf-8")
    with serve(root) as srv:
        res = crawl(srv.url("/"), tmp_path / "out", "--config", str(cfg))
        assert res.code == 0, res.stderr
        assert sorted(p["depth"] for p in res.pages) == [0, 1, 2, 3]
        assert srv.count("/skip/x.html", "GET") == 0  # excluded from crawling (a HEAD check is fine)
        res2 = crawl(srv.url("/"), tmp_path / "out2", "--max-pages", "2")
        assert len(res2.pages) == 2


def test_unreachable_site_exits_3(tmp_path):
    res = crawl("http://127.0.0.1:9/", tmp_path / "out")
    assert res.code == 3
    assert "127.0.0.1:9" in res.stderr


@pytest.mark.parametrize("toml,key", [
    ("[crawl]\nmax_pagez = 3\n", "crawl.max_pagez"),
    ("[crawl]\nconcurrency = \"many\"\n", "crawl.concurrency"),
    ("[links]\ncheck_external = 1\n", "links.check_external"),
    ("[frobnicate]\nx = 1\n", "frobnicate"),
    ("[[sections]]\npath = \"news\"\n", "sections[0].path"),
    ("[crawl]\nexclude = [\"(unclosed\"]\n", "crawl.exclude"),
    ("[metadata]\nvocabularies = {theme = \"no-such.csv\"}\n", "metadata.vocabularies"),
    ("this is = = not toml\n", "TOML"),
])
def test_bad_config_exits_2_naming_the_key(tmp_path, toml, key):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(toml, encoding="utf-8")
    res = run_cli(["crawl", "http://127.0.0.1:9/", "--config", str(cfg), "--no-a11y", "--out", str(tmp_path / "o")])
    assert res.code == 2
    lines = [line for line in res.stderr.strip().splitlines() if line]
    assert len(lines) == 1 and key in lines[0], res.stderr


def test_bad_usage_exits_2(tmp_path):
    assert run_cli(["crawl", "http://127.0.0.1:9/", "--as-of", "2026-13-01", "--no-a11y"]).code == 2
    assert run_cli(["crawl", "http://127.0.0.1:9/", "--fail-on", "fatal", "--no-a11y"]).code == 2
    assert run_cli(["crawl", "--no-a11y", "--out", str(tmp_path / "o")]).code == 2  # no URL, no config
    assert run_cli(["frobnicate"]).code == 2
    assert run_cli(["crawl", "http://x/", "--config", str(tmp_path / "missing.toml"), "--no-a11y"]).code == 2


def test_fail_on_exit_codes(tmp_path):
    root = make_site(tmp_path / "site", {"/": '<a href="/missing.html">x</a>'})
    with serve(root) as srv:
        assert crawl(srv.url("/"), tmp_path / "o1").code == 0  # crawl never fails without --fail-on
        assert crawl(srv.url("/"), tmp_path / "o2", "--fail-on", "error").code == 1
    root2 = make_site(tmp_path / "site2", {"/": "<p>沒有連結</p>"})
    with serve(root2) as srv:
        # metadata.missing errors exist on a bare page; notice-level only would need a full page
        res = crawl(srv.url("/"), tmp_path / "o3", "--fail-on", "error")
        assert res.code == 1 and res.by_rule("metadata.missing")


def _slow_site(root: Path, n: int) -> Path:
    pages = {"/": "".join(f'<a href="/s/{i}.html">{i}</a> ' for i in range(n))}
    for i in range(n):
        pages[f"/s/{i}.html"] = f'<a href="/s/{(i * 7) % n}.html">x</a> <a href="/gone/{i % 5}.html">失效</a>'
    return make_site(root, pages, routes={"/s/*": {"delay": 0.15}})


def _norm(findings, base):
    return sorted(json.dumps({**f, "url": f["url"].replace(base, "")}, sort_keys=True, ensure_ascii=False)
                  .replace(base, "") for f in findings)


def test_resume_after_kill_equals_uninterrupted_run(tmp_path):
    root = _slow_site(tmp_path / "site", 60)
    with serve(root) as srv:
        full = crawl(srv.url("/"), tmp_path / "full", "--concurrency", "2")
        assert full.code == 0 and len(full.pages) == 61
        out = tmp_path / "resumed"
        args = [sys.executable, "-m", "crawler.cli", "crawl", srv.url("/"), "--out", str(out), "--no-a11y",
                "--as-of", "2026-11-26", "--quiet", "--concurrency", "2", "--history", str(out / "h.sqlite")]
        proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        db = out / ".state" / "audit.sqlite"
        deadline = time.monotonic() + 60
        stored = 0
        while time.monotonic() < deadline:
            time.sleep(0.3)
            if db.exists():
                try:
                    with sqlite3.connect(db) as c:
                        stored = c.execute("SELECT COUNT(*) FROM pages").fetchone()[0]
                except sqlite3.Error:
                    continue
                if stored >= 10:
                    break
        proc.send_signal(signal.SIGTERM)  # what systemd / CI send on stop
        signalled = time.monotonic()
        _, err = proc.communicate(timeout=60)
        assert time.monotonic() - signalled < 10, "SIGTERM must end the run within 10 s"
        assert proc.returncode == 3, err  # interrupted: told to --resume
        assert "--resume" in err and "Traceback" not in err
        # Nothing claims to be a finished audit: run.json says so, no report.
        run = json.loads((out / "run.json").read_text(encoding="utf-8"))
        assert run["complete"] is False
        assert not (out / "report.html").exists() and not (out / "findings.jsonl").exists()
        resumed = crawl(srv.url("/"), out, "--concurrency", "2", "--resume")
        assert resumed.code == 0, resumed.stderr
        assert sorted(p["url"] for p in resumed.pages) == sorted(p["url"] for p in full.pages)
        assert _norm(resumed.findings, srv.base_url) == _norm(full.findings, srv.base_url)


def test_scrapy_way_works_too(tmp_path):
    """`scrapy crawl site -a url=...` with settings from scrapy.cfg stores the facts."""
    import os
    import shutil

    root = make_site(tmp_path / "site", {"/": '<a href="/a.html">a</a> <a href="/gone.html">x</a>', "/a.html": "a"})
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(ROOT / "scrapy.cfg", work / "scrapy.cfg")
    scrapy_bin = Path(sys.executable).with_name("scrapy")
    with serve(root) as srv:
        proc = subprocess.run([str(scrapy_bin), "crawl", "site", "-a", f"url={srv.url('/')}"], cwd=work,
                              capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    with sqlite3.connect(work / ".siteaudit-state" / "audit.sqlite") as db:
        pages = {r[0] for r in db.execute("SELECT url FROM pages")}
        broken = {r[0] for r in db.execute("SELECT url FROM links WHERE outcome = 'broken'")}
    assert pages == {srv.url("/"), srv.url("/a.html")}
    assert broken == {srv.url("/gone.html")}
