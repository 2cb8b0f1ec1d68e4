"""`siteaudit check` as a CI gate (issue 6): local files and directories, URLs,
--base-url, --fail-on, --baseline, --junit, --format, and every exit code."""
from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from crawler.siteserver import serve
from crawlhelp import ROOT, run_cli

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
</head><body><main><h1>{title}</h1><p>更新日期：115-11-20</p>{body}</main></body></html>
"""


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


def check(*args, cwd_rel=True):
    return run_cli(["check", *args, "--as-of", "2026-11-26"])


def test_clean_directory_passes(pages):
    res = check(str(pages), "--no-a11y")
    assert res.code == 0, res.stdout + res.stderr
    assert "2 頁，問題 0 項" in res.stdout


def test_broken_local_link_fails_and_names_the_file(pages):
    write(pages, "news/2.html", "消息二", '<p><a href="missing.html">不存在</a> <a href="1.html#nope">錨</a></p>')
    res = check(str(pages / "news" / "2.html"), "--no-a11y", "--format", "json")
    assert res.code == 1
    data = json.loads(res.stdout)
    rules = sorted((f["rule"], f["detail"]["target"]) for f in data["findings"])
    assert [r for r, _ in rules] == ["link.anchor-missing", "link.broken"]
    assert all(not t.startswith("http://local.invalid") for _, t in rules)
    assert rules[1][1].endswith("news/missing.html")


def test_fail_on_levels(pages):
    # a stale page: warning only
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


def test_base_url_maps_absolute_links_to_disk(pages):
    write(pages, "news/3.html", "消息三",
          '<p><a href="https://www.example.gov.tw/news/1.html">站內絕對連結</a>'
          ' <a href="https://www.example.gov.tw/news/404.html">站內失效</a></p>')
    res = check(str(pages), "--no-a11y", "--base-url", "https://www.example.gov.tw/", "--format", "json")
    assert res.code == 1
    data = json.loads(res.stdout)
    assert "https://www.example.gov.tw/news/3.html" in data["pages"]
    broken = [f["detail"]["target"] for f in data["findings"] if f["rule"] == "link.broken"]
    assert broken == ["https://www.example.gov.tw/news/404.html"]


def test_baseline_old_findings_pass_new_fail(pages, tmp_path):
    write(pages, "news/2.html", "消息二", '<p><a href="gone.html">舊的失效連結</a></p>')
    first = check(str(pages), "--no-a11y", "--format", "json")
    assert first.code == 1
    baseline = tmp_path / "baseline.jsonl"
    # a baseline is a findings.jsonl: shuffled lines and extra fields must not matter
    lines = [json.dumps({**f, "message": f["message"] + "（舊）"}, ensure_ascii=False)
             for f in reversed(json.loads(first.stdout)["findings"])]
    baseline.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert check(str(pages), "--no-a11y", "--baseline", str(baseline)).code == 0
    write(pages, "news/4.html", "消息四", '<p><a href="new-gone.html">新的失效連結</a></p>')
    res = check(str(pages), "--no-a11y", "--baseline", str(baseline), "--format", "json")
    assert res.code == 1
    data = json.loads(res.stdout)
    assert [f["detail"]["target"].rsplit("/", 1)[-1] for f in data["findings"]] == ["new-gone.html"]
    assert data["baseline_suppressed"] == 1


def test_junit_report(pages, tmp_path):
    write(pages, "news/2.html", "消息二", '<p><a href="gone.html">失效</a></p><p>資料來源：經濟部</p>')
    junit = tmp_path / "reports" / "siteaudit.xml"
    res = check(str(pages), "--no-a11y", "--junit", str(junit))
    assert res.code == 1
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert len(suites) == 3
    bad = next(s for name, s in suites.items() if name.endswith("news/2.html"))
    failed = {c.get("name"): c for c in bad.findall("testcase") if c.find("failure") is not None}
    assert set(failed) == {"link.broken", "citation.no-link"}
    assert int(bad.get("failures")) == 2 and int(bad.get("tests")) >= 10
    assert "gone.html" in failed["link.broken"].find("failure").text
    assert int(root.get("failures")) == 2
    clean = next(s for name, s in suites.items() if name.endswith("index.html"))
    assert clean.get("failures") == "0"


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


def test_exit_codes_for_usage_and_cannot_run(tmp_path, pages):
    assert check(str(tmp_path / "no-such-dir"), "--no-a11y").code == 2
    assert check(str(pages), "--no-a11y", "--fail-on", "sometimes").code == 2
    assert check(str(pages), "--no-a11y", "--baseline", str(tmp_path / "none.jsonl")).code == 2
    bad = tmp_path / "bad.toml"
    bad.write_text("[links]\ntimeout = \"soon\"\n", encoding="utf-8")
    res = check(str(pages), "--no-a11y", "--config", str(bad))
    assert res.code == 2 and "links.timeout" in res.stderr
    res = check("http://127.0.0.1:9/index.html", "--no-a11y")
    assert res.code == 3 and "127.0.0.1:9" in res.stderr
    # accessibility on, but axe-core missing: exit 3 saying how to fix it
    res = run_cli(["check", str(pages)], env={"SITEAUDIT_AXE_JS": str(tmp_path / "missing-axe.js")})
    assert res.code == 3 and "--no-a11y" in res.stderr


@pytest.mark.browser
def test_check_with_accessibility_is_fast_and_finds_violations(tmp_path):
    root = tmp_path / "site"
    for i in range(19):
        write(root, f"p{i}.html", f"頁{i}", "<p>內容</p>")
    write(root, "bad.html", "壞", '<img src="x.png"><p><a href="p1.html"></a></p>')
    (root / "x.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    res = check(str(root), "--format", "json")
    assert res.code == 1, res.stderr
    data = json.loads(res.stdout)
    a11y = {(Path(f["url"]).name, f["rule"]) for f in data["findings"] if f["check"] == "accessibility"}
    assert ("bad.html", "a11y.image-alt") in a11y and ("bad.html", "a11y.link-name") in a11y
    assert {u for u, _ in a11y} == {"bad.html"}


def _documented_command(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    i = next(n for n, line in enumerate(lines) if "# siteaudit-command" in line)
    cmd = lines[i + 1].split("siteaudit ", 1)[1].strip()
    return cmd.split()


@pytest.mark.parametrize("doc", ["docs/ci/github-actions.yml", "docs/ci/gitlab-ci.yml"])
def test_documented_ci_command_gates(doc, tmp_path):
    """Run the exact command of the CI example in a checkout-like folder."""
    args = _documented_command(ROOT / doc)
    assert args[0] == "check" and "--junit" in args and "--fail-on" in args
    work = tmp_path / "repo"
    write(work / "public", "index.html", "首頁", '<p><a href="news/old.html">舊</a></p>')
    write(work / "public", "news/old.html", "舊消息", '<p><a href="gone.pdf">已下架</a></p>')
    (work / ".siteaudit").mkdir()
    # the baseline documents what was already broken when the gate was set up
    first = run_cli(["check", "public", "--no-a11y", "--base-url", "https://www.example.gov.tw/",
                     "--format", "json", "--as-of", "2026-11-26"], cwd=work)
    assert first.code == 1
    (work / ".siteaudit" / "baseline.json").write_text(first.stdout, encoding="utf-8")
    ok = run_cli([*args, "--no-a11y", "--as-of", "2026-11-26"], cwd=work)
    assert ok.code == 0, ok.stdout + ok.stderr
    write(work / "public", "news/new.html", "新消息", '<p><a href="missing.html">新的失效連結</a></p>')
    bad = run_cli([*args, "--no-a11y", "--as-of", "2026-11-26"], cwd=work)
    assert bad.code == 1
    junit = ET.parse(work / "reports" / "siteaudit.xml").getroot()
    failing = [c.get("name") for c in junit.iter("testcase") if c.find("failure") is not None]
    assert failing == ["link.broken"]


def test_pre_commit_hook_entry(tmp_path):
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    entry = next(line.split("entry:", 1)[1].split() for line in hooks.splitlines() if "entry:" in line)
    assert entry[:2] == ["siteaudit", "check"]
    root = tmp_path / "site"
    good = write(root, "a.html", "好")
    bad = write(root, "b.html", "壞", '<p><a href="zzz.html">x</a></p>')
    assert run_cli([*entry[1:], str(good), "--as-of", "2026-11-26"]).code == 0
    assert run_cli([*entry[1:], str(good), str(bad), "--as-of", "2026-11-26"]).code == 1
