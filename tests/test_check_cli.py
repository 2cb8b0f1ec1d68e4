"""`siteaudit check` as a CI gate (issues 6, 9): local files and directories,
the document root, URLs, --base-url on a live site, --fail-on, baselines,
--junit, every --format, and the exit codes — the real command in a
subprocess, real loopback servers."""
from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from crawler.siteserver import serve
from crawlhelp import run_cli

AS_OF = "2026-11-26"
CLEAN = """<!DOCTYPE html>
<html lang="zh-Hant-TW"><head><meta charset="utf-8"><title>{title}</title>
<meta name="DC.Title" content="{title}"><meta name="DC.Creator" content="示範分局">
<meta name="DC.Subject" content="{title}"><meta name="DC.Description" content="{title}說明">
<meta name="DC.Contributor" content="秘書課"><meta name="DC.Type" content="文字">
<meta name="DC.Format" content="text/html"><meta name="DC.Source" content="示範分局">
<meta name="DC.Language" content="中文"><meta name="DC.coverage.t.min" content="2026-01-01">
<meta name="DC.coverage.t.max" content="2026-12-31"><meta name="DC.Publisher" content="經濟部標準檢驗局示範分局">
<meta name="DC.Date" content="2026-11-20"><meta name="DC.Identifier" content="A15000000E">
<meta name="DC.Relation" content="無"><meta name="DC.Rights" content="示範分局">
<meta name="Category.Theme" content="170"><meta name="Category.Cake" content="140">
<meta name="Category.Service" content="I00">
</head><body><main><h1>{title}</h1><p>更新日期：115-11-20</p>
{body}
</main></body></html>
"""
# The line of the first line of {body} in CLEAN (links there have known lines).
BODY_LINE = CLEAN.split("\n").index("{body}") + 1


def write(root: Path, rel: str, title: str, body: str = "") -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(CLEAN.format(title=title, body=body), encoding="utf-8")
    return p


@pytest.fixture()
def pages(tmp_path):
    root = tmp_path / "public"
    write(root, "index.html", "首頁", '<p><a href="news/1.html">消息</a> <a href="/news/1.html#s1">段落</a></p>')
    write(root, "news/1.html", "消息一", '<h2 id="s1">一</h2><p><a href="../index.html">回首頁</a></p>')
    return root


def check(*args: str, cwd: Path | None = None, env: dict | None = None):
    return run_cli(["check", *args, "--as-of", AS_OF], cwd=cwd, env=env)


def test_clean_directory_passes_and_names_pages_relative_to_the_working_directory(pages):
    res = check("public", "--no-a11y", cwd=pages.parent)
    assert res.code == 0, res.stdout + res.stderr
    assert res.stdout.strip() == ("檢查 2 頁（文件根目錄 public）：錯誤 0 項、警告 0 項、提示 0 項；"
                                  "沒有達「錯誤」以上的問題，通過（未做無障礙檢測）。")
    assert res.stderr == ""  # no progress lines when stderr is no terminal (CI logs stay clean)


def test_text_format_is_path_line_severity_rule_message(pages):
    write(pages, "news/2.html", "消息二",
          '<p><a href="missing.html">不存在</a></p>\n<p><a href="1.html#nope">錨</a></p>')
    res = check("public/news/2.html", "--no-a11y", cwd=pages.parent)
    assert res.code == 1
    lines = res.stdout.splitlines()
    assert lines[:2] == [
        f"public/news/2.html:{BODY_LINE}: 錯誤 link.broken 失效連結：public/news/missing.html（HTTP 404）",
        f"public/news/2.html:{BODY_LINE + 1}: 警告 link.anchor-missing "
        "錨點不存在：public/news/1.html#nope（目標頁沒有 id 或 name 為「nope」的元素）",
    ]
    assert lines[-1].startswith("檢查 1 頁（文件根目錄 public）：錯誤 1 項、警告 1 項、提示 0 項；"
                                "達「錯誤」以上 1 項，未通過")
    assert "local.invalid" not in res.stdout and "siteaudit-local" not in res.stdout


def test_json_format_names_targets_by_path(pages):
    write(pages, "news/2.html", "消息二", '<p><a href="/files/表單.docx">申請表</a></p>')
    res = check("public/news/2.html", "--no-a11y", "--format", "json", "--fail-on", "warning", cwd=pages.parent)
    assert res.code == 1
    data = json.loads(res.stdout)
    assert data["format"] == "siteaudit-check" and data["pages"] == ["public/news/2.html"]
    got = {(f["rule"], f["detail"]["target"], f["message"]) for f in data["findings"]}
    assert got == {
        ("link.broken", "public/files/表單.docx", "失效連結：public/files/表單.docx（HTTP 404）"),
        ("attachment.no-odf", "public/files/表單.docx",
         "可編輯文書檔案（DOCX）未同時提供同類型的 ODF 格式（.odt）：public/files/表單.docx"),
    }
    assert data["summary"] == {"pages": 1, "findings": 2, "error": 1, "warning": 1, "notice": 0, "failing": 2,
                               "suppressed": 0, "complete": True}


def test_fail_on_levels(pages):
    p = write(pages, "old.html", "舊頁", "")
    p.write_text(p.read_text(encoding="utf-8").replace("115-11-20", "113-01-02"), encoding="utf-8")
    assert check(str(p), "--no-a11y").code == 0  # default --fail-on error
    assert check(str(p), "--no-a11y", "--fail-on", "warning").code == 1
    assert check(str(p), "--no-a11y", "--fail-on", "notice").code == 1


def test_rules_of_every_check_gate(tmp_path):
    root = tmp_path / "site"
    write(root, "cite.html", "引用", "<p>資料來源：經濟部統計處</p>")
    write(root, "odf.html", "附件", '<ul><li><a href="form.docx">申請書</a></li></ul>')
    (root / "form.docx").write_bytes(b"PK")
    bare = root / "bare.html"
    bare.write_text("<html lang='zh-Hant-TW'><head><title>x</title></head><body><p>無詮釋資料</p></body></html>",
                    encoding="utf-8")
    expect = {"cite.html": ("citation.no-link", 1), "odf.html": ("attachment.no-odf", 0),
              "bare.html": ("metadata.missing", 1)}
    for name, (rule, code) in expect.items():
        res = check(str(root / name), "--no-a11y", "--format", "json")
        assert res.code == code, (name, res.stdout, res.stderr)
        assert rule in {f["rule"] for f in json.loads(res.stdout)["findings"]}
        assert check(str(root / name), "--no-a11y", "--fail-on", "warning").code == 1


def test_base_url_checks_what_is_not_on_disk_on_the_live_site(tmp_path):
    live = tmp_path / "live"  # what the CMS serves: routes that are no files in the repository
    write(live, "english/index.html", "English")
    write(live, "news/1.html", "消息一")
    repo = tmp_path / "repo"
    write(repo / "public", "index.html", "首頁")
    write(repo / "public", "news/1.html", "消息一")
    with serve(live) as srv:
        base = srv.url("/")
        write(repo / "public", "news/3.html", "消息三",
              '<p><a href="/english">英文版</a> <a href="/gone">已移除</a> <a href="1.html">站內</a>'
              f' <a href="{base}news/1.html">站內絕對連結</a></p>')
        res = check("public/news/3.html", "--no-a11y", "--base-url", base, "--format", "json", cwd=repo)
        assert res.code == 1, res.stdout + res.stderr
        data = json.loads(res.stdout)
        assert data["pages"] == ["public/news/3.html"]
        broken = [(f["url"], f["detail"]["target"], f["detail"]["live_url"]) for f in data["findings"]
                  if f["rule"] == "link.broken"]
        assert broken == [("public/news/3.html", f"{base}gone", f"{base}news/3.html")]
        assert srv.count("/english") == 1 and srv.count("/gone") == 1
        assert srv.count("/news/1.html") == 0  # on disk: never fetched


def test_write_baseline_then_only_new_findings_count(pages):
    work = pages.parent
    write(pages, "news/2.html", "消息二", '<p><a href="gone.html">舊的失效連結</a></p>')
    first = check("public", "--no-a11y", "--write-baseline", ".siteaudit/baseline.json", cwd=work)
    assert first.code == 0, first.stderr  # findings, but writing a baseline exits 0
    assert first.stderr.strip() == "已寫出基準檔 .siteaudit/baseline.json（1 項）"
    doc = json.loads((work / ".siteaudit" / "baseline.json").read_text(encoding="utf-8"))
    assert doc["siteaudit_baseline"] == 1 and len(doc["fingerprints"]) == 1
    assert [f["detail"]["target"] for f in doc["findings"]] == ["public/news/gone.html"]
    assert check("public", "--no-a11y", "--baseline", ".siteaudit/baseline.json", cwd=work).code == 0
    write(pages, "news/4.html", "消息四", '<p><a href="new-gone.html">新的失效連結</a></p>')
    res = check("public", "--no-a11y", "--baseline", ".siteaudit/baseline.json", "--format", "json", cwd=work)
    assert res.code == 1
    data = json.loads(res.stdout)
    assert [f["detail"]["target"] for f in data["findings"]] == ["public/news/new-gone.html"]
    assert data["summary"]["suppressed"] == 1
    assert [f["detail"]["target"] for f in data["baseline"]["suppressed"]] == ["public/news/gone.html"]


@pytest.mark.parametrize("kind", ["findings.jsonl", "format-json", "sarif"])
def test_every_kind_of_baseline_is_read_whatever_its_size(pages, kind):
    work = pages.parent
    # many old problems: the JSON is far longer than any "first 2,000 characters"
    body = "".join(f'<p><a href="old-{i}.html">舊{i}</a></p>' for i in range(60))
    write(pages, "news/2.html", "消息二", body)
    fmt = {"findings.jsonl": "json", "format-json": "json", "sarif": "sarif"}[kind]
    first = check("public", "--no-a11y", "--format", fmt, cwd=work)
    assert first.code == 1
    if kind == "findings.jsonl":
        lines = [json.dumps({**f, "message": f["message"] + "（舊）"}, ensure_ascii=False)
                 for f in reversed(json.loads(first.stdout)["findings"])]
        text = "\n".join(lines) + "\n"
    else:
        text = first.stdout
    assert len(text) > 5000
    (work / "old.txt").write_text(text, encoding="utf-8")
    res = check("public", "--no-a11y", "--baseline", "old.txt", "--format", "json", cwd=work)
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout)["summary"]["suppressed"] == 60


def test_a_crawl_findings_jsonl_is_a_baseline_with_base_url(pages, tmp_path):
    """With --base-url a page's live URL is its identity in a crawl: the crawl's
    findings of the live site suppress the same problems in the check."""
    work = pages.parent
    write(pages, "news/2.html", "消息二", '<p><a href="gone.html">舊的失效連結</a></p>')
    with serve(pages) as srv:
        out = tmp_path / "audit"
        crawl = run_cli(["crawl", srv.url("/news/2.html"), "--out", str(out), "--no-a11y", "--as-of", AS_OF,
                         "--quiet", "--history", str(out / "h.sqlite"), "--max-pages", "1"])
        assert crawl.code == 0, crawl.stderr
        jsonl = out / "findings.jsonl"
        assert any('"link.broken"' in line for line in jsonl.read_text(encoding="utf-8").splitlines())
        res = check("public/news/2.html", "--no-a11y", "--base-url", srv.url("/"), "--baseline", str(jsonl),
                    "--format", "json", cwd=work)
    assert res.code == 0, res.stdout + res.stderr
    assert json.loads(res.stdout)["summary"]["suppressed"] >= 1


def test_junit_fails_only_at_or_above_fail_on(pages, tmp_path):
    write(pages, "news/2.html", "消息二", '<p><a href="gone.html">失效</a></p><p>資料來源：經濟部</p>'
                                          '<p><a href="1.html#nope">錨</a></p>')
    junit = tmp_path / "reports" / "siteaudit.xml"
    res = check(str(pages), "--no-a11y", "--junit", str(junit))
    assert res.code == 1
    root = ET.parse(junit).getroot()
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert len(suites) == 3
    bad = next(s for name, s in suites.items() if name.endswith("news/2.html"))
    failed = {c.get("name") for c in bad.findall("testcase") if c.find("failure") is not None}
    assert failed == {"link.broken", "citation.no-link"}
    # the warning is reported, and its case passes: the test view is red only when the job fails
    anchor = bad.find("testcase[@name='link.anchor-missing']")
    assert anchor.find("failure") is None and "錨點不存在" in anchor.find("system-out").text
    assert root.get("failures") == "2"
    res = check(str(pages), "--no-a11y", "--junit", str(junit), "--fail-on", "warning")
    assert ET.parse(junit).getroot().get("failures") == "3"


def test_url_targets_on_a_staging_server(pages):
    write(pages, "news/2.html", "消息二", '<p><a href="/nothing.html">失效</a></p>')
    with serve(pages) as srv:
        res = check(srv.url("/news/2.html"), srv.url("/index.html"), "--no-a11y", "--format", "json")
        assert res.code == 1, res.stderr
        data = json.loads(res.stdout)
        assert sorted(data["pages"]) == [srv.url("/index.html"), srv.url("/news/2.html")]
        assert [f["detail"]["target"] for f in data["findings"]] == [srv.url("/nothing.html")]
        # no recursion: the linked news/1.html was checked (HEAD/GET once), not audited as a page
        assert srv.count("/news/1.html") == 1


def test_thirty_pages_that_link_to_each_other(tmp_path):
    """Issue 9: about 30 pages at once exited 3 「無法取得 …：200」.  Scrapy asks
    for start requests lazily; a link from an early target to a later one made
    it a link check (HEAD) first, and its own page request was then dropped."""
    root = tmp_path / "site"
    names = [f"p{i}.html" for i in range(30)]
    menu = " ".join(f'<a href="{n}">{n}</a>' for n in names)
    for n in names:
        write(root, n, n, f"<p>{menu}</p>")
    with serve(root) as srv:
        res = check(*(srv.url("/" + n) for n in names), "--no-a11y", "--format", "json")
        assert res.code == 0, res.stderr
        assert len(json.loads(res.stdout)["pages"]) == 30
        assert all(srv.count("/" + n, "GET") == 1 for n in names)  # each page fetched once, as a page


def test_local_and_url_targets_in_one_run(pages):
    with serve(pages) as srv:
        res = check("public/index.html", srv.url("/news/1.html"), "--no-a11y", "--format", "json", cwd=pages.parent)
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout)["pages"] == ["public/index.html", srv.url("/news/1.html")]


def test_an_unreachable_url_among_local_pages_is_an_incomplete_run(pages):
    res = check("public/index.html", "http://127.0.0.1:9/x.html", "--no-a11y", "--format", "json", cwd=pages.parent)
    assert res.code == 3
    data = json.loads(res.stdout)  # the pages that were checked are still reported
    assert data["summary"]["complete"] is False and data["pages"][0] == "public/index.html"
    assert res.stderr.count("\n") == 1 and "127.0.0.1:9" in res.stderr


def test_github_format(pages):
    write(pages, "news/2.html", "消息二", '<p><a href="gone.html">失效</a></p>')
    res = check("public/news/2.html", "--no-a11y", "--format", "github", cwd=pages.parent)
    assert res.code == 1
    assert res.stdout.splitlines()[0] == (f"::error file=public/news/2.html,line={BODY_LINE},title=link.broken::"
                                          "失效連結：public/news/gone.html（HTTP 404）")


def _cached_results(cache: Path) -> int:
    with contextlib.closing(sqlite3.connect(cache / "a11y-cache.sqlite")) as db:
        return db.execute("SELECT count(*) FROM axe_pages").fetchone()[0]


@pytest.mark.browser
def test_twenty_local_pages_with_accessibility_and_the_second_run_from_the_cache(tmp_path):
    # How fast is bench/check_bench.py's business (about 5-6 s cold, 1 s warm
    # on a quiet machine); this asserts what makes the warm run fast.
    root = tmp_path / "site"
    for i in range(19):
        write(root, f"p{i}.html", f"頁{i}", "<p>內容</p>")
    write(root, "bad.html", "壞", '<img src="x.png">\n<p><a href="p1.html"></a></p>')
    (root / "x.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    env = {"SITEAUDIT_CACHE_DIR": str(tmp_path / "cache")}  # cold: nothing cached
    res = check(str(root), "--format", "json", env=env)
    assert res.code == 1, res.stderr
    data = json.loads(res.stdout)
    a11y = {(Path(f["url"]).name, f["rule"], f["detail"].get("line")) for f in data["findings"]
            if f["check"] == "accessibility"}
    # the line of the offending element, found from axe's selector
    assert ("bad.html", "a11y.image-alt", BODY_LINE) in a11y and ("bad.html", "a11y.link-name", BODY_LINE + 1) in a11y
    assert {u for u, _, _ in a11y} == {"bad.html"}
    assert _cached_results(tmp_path / "cache") == 20
    # The next check of the same root opens the same URLs (a port of its
    # own, crawler/local.py), so every page is answered from the cache.
    warm = check(str(root), "--format", "json", env=env)
    assert warm.code == 1 and json.loads(warm.stdout)["findings"] == data["findings"]
    assert _cached_results(tmp_path / "cache") == 20


def test_progress_lines_on_a_terminal(pages, tmp_path):
    """Stage lines go to stderr only on a terminal: run under a real pty."""
    import os
    import pty
    import subprocess
    import sys

    from crawlhelp import ROOT

    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "crawler.cli", "check", "public", "--no-a11y", "--as-of", AS_OF],
                          cwd=pages.parent, stdout=subprocess.PIPE, stderr=slave, env=env, timeout=60)
    os.close(slave)
    err = os.read(master, 10000).decode("utf-8")
    os.close(master)
    assert proc.returncode == 0
    assert re.search(r"讀取 2 個網頁（文件根目錄 public）…", err)
