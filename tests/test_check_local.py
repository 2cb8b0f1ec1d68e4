"""Local targets of `siteaudit check` (crawler/local.py; issue 9 must-have 2):
the document root, `/x` and `../x`, the file-backed origin and its names —
and the 40-file tree checked one file at a time and all at once with zero
false broken links."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from test_check_cli import AS_OF, write

from crawler import cli
from crawler.errors import UsageError
from crawler.local import LocalSite, collect_targets, document_root


def git_init(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)


# ---- document root -------------------------------------------------------------

def test_root_is_the_outermost_index_holder_inside_the_work_tree(tmp_path):
    repo = tmp_path / "repo"
    git_init(repo)
    write(tmp_path, "index.html", "work tree 外")  # above the work tree: never the root
    write(repo / "public", "index.html", "首頁")
    write(repo / "public", "news/index.html", "消息")  # a section's own index.html
    page = write(repo / "public", "news/2026/a.html", "甲")
    assert document_root([page], None, repo) == repo / "public"


def test_without_git_the_outermost_index_holder_above(tmp_path):
    site = tmp_path / "www"
    write(site, "index.html", "首頁")
    write(site, "news/index.html", "消息")
    page = write(site, "news/a.html", "甲")
    assert document_root([page], None, tmp_path) == site


def test_no_index_anywhere_is_the_common_directory(tmp_path):
    repo = tmp_path / "repo"
    git_init(repo)
    a = write(repo / "pages", "x/a.html", "甲")
    b = write(repo / "pages", "y/b.html", "乙")
    assert document_root([a, b], None, repo) == repo / "pages"


def test_explicit_root_must_contain_the_targets(tmp_path):
    a = write(tmp_path / "site", "a.html", "甲")
    (tmp_path / "other").mkdir()
    assert document_root([a], Path("site"), tmp_path) == tmp_path / "site"
    with pytest.raises(UsageError, match="不包含檢查目標 site/a.html"):
        document_root([a], Path("other"), tmp_path)
    with pytest.raises(UsageError, match="不是目錄"):
        document_root([a], Path("site/a.html"), tmp_path)


# ---- the origin --------------------------------------------------------------------

@pytest.mark.parametrize(("href_url", "expected"), [
    ("news/a.html", "public/news/a.html"),
    ("%E6%B6%88%E6%81%AF.html", "public/消息.html"),
    ("%2e%2e/%2e%2e/etc/passwd", "public/etc/passwd"),  # dot segments decoded never climb out of the root
    ("a.html?q=1", "public/a.html"),
    ("", "public"),
])
def test_urls_of_the_origin_map_to_files_under_the_root(tmp_path, href_url, expected):
    site = LocalSite(tmp_path / "public", tmp_path)
    path = site.file_for(site.origin + href_url)
    assert path is not None and site.name(path) == expected


def test_base_url_with_a_path_maps_only_below_it(tmp_path):
    site = LocalSite(tmp_path / "public", tmp_path, "https://www.example.gov.tw/branch/")
    assert site.url_for(tmp_path / "public" / "news" / "a b.html") == "https://www.example.gov.tw/branch/news/a%20b.html"
    assert site.file_for("https://www.example.gov.tw/branch/x.html") == tmp_path / "public" / "x.html"
    assert site.file_for("https://www.example.gov.tw/other/x.html") is None
    assert site.file_for("https://WWW.example.gov.tw/branch/x.html") == tmp_path / "public" / "x.html"


def test_names_outside_the_working_directory_are_absolute(tmp_path):
    site = LocalSite(tmp_path / "public", tmp_path / "elsewhere")
    assert site.name(tmp_path / "public" / "a.html") == str(tmp_path / "public" / "a.html")


def test_directories_are_walked_for_pages_skipping_hidden_ones(tmp_path):
    write(tmp_path / "site", "a.html", "甲")
    write(tmp_path / "site", "sub/b.htm", "乙")
    write(tmp_path / "site", ".git/c.html", "丙")
    write(tmp_path / "site", "node_modules/d.html", "丁")
    (tmp_path / "site" / "style.css").write_text("", encoding="utf-8")
    got = collect_targets(["site", "site/a.html"], tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in got.files] == ["site/a.html", "site/sub/b.htm"]


# ---- the 40-file tree ------------------------------------------------------------------

def build_tree(repo: Path) -> list[Path]:
    """A branch site in a git repository: 40 pages in sections with their own
    index pages, linking with ../, /, ./, directory URLs, #anchors and one
    ../ too many (which, as on a server, stops at the root)."""
    git_init(repo)
    pub = repo / "public"
    (pub / "css").mkdir(parents=True)
    (pub / "css" / "site.css").write_text("body{}", encoding="utf-8")
    (pub / "img").mkdir()
    (pub / "img" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (pub / "files").mkdir()
    (pub / "files" / "申請書.odt").write_bytes(b"PK")
    head = '<link rel="stylesheet" href="/css/site.css"><img src="/img/logo.png" alt="標誌">'
    menu = ('<nav><a href="/">首頁</a> <a href="/about.html#contact">聯絡</a> <a href="/news/">消息</a>'
            ' <a href="/services/">服務</a> <a href="/english/">English</a></nav>')
    pages: dict[str, str] = {
        "index.html": '<a href="news/2026/a1.html">最新</a> <a href="./about.html">關於</a>',
        "about.html": '<h2 id="contact">聯絡</h2><a href="index.html#top">頂端</a>',
        "sitemap.html": '<a href="services/forms/f1.html">表單</a>',
        "privacy.html": '<a href="/sitemap.html">導覽</a>',
        "news/index.html": '<a href="2026/a1.html">a1</a> <a href="../index.html">回首頁</a>',
        "services/index.html": '<a href="forms/">表單</a>',
        "services/forms/index.html": '<a href="f1.html">f1</a>'
                                     ' <a href="../../files/%E7%94%B3%E8%AB%8B%E6%9B%B8.odt">申請書</a>',
        "english/index.html": '<a href="../index.html">中文</a>',
        "contact/index.html": '<a href="/about.html#contact">聯絡</a>',
    }
    for i in range(1, 21):
        pages[f"news/2026/a{i}.html"] = (f'<a href="../../index.html">首頁</a> <a href="/about.html">關於</a>'
                                         f' <a href="a{i % 20 + 1}.html">下一則</a> <a href="../index.html">消息</a>'
                                         ' <a href="../../../../index.html">太多層</a>'
                                         ' <a href="/news/2025/b1.html#p2">舊聞</a>')
    for i in range(1, 3):
        pages[f"news/2025/b{i}.html"] = '<p id="p2">舊</p><a href="../2026/a1.html">新</a>'
    for i in range(1, 10):
        pages[f"services/forms/f{i}.html"] = ('<a href="index.html">表單</a> <a href="../../css/site.css">樣式</a>'
                                              ' <a href="/files/申請書.odt">申請書</a>')
    files = [write(pub, rel, rel, head + menu + body) for rel, body in pages.items()]
    assert len(files) == 40
    return files


def _check(capsys, *argv: str) -> tuple[int, dict]:
    code = cli.main(["check", *argv, "--no-a11y", "--format", "json", "--as-of", AS_OF])
    return code, json.loads(capsys.readouterr().out)


def test_forty_file_tree_one_at_a_time_and_all_at_once(tmp_path, monkeypatch, capsys):
    repo = tmp_path / "repo"
    files = build_tree(repo)
    monkeypatch.chdir(repo)
    for f in files:
        code, data = _check(capsys, str(f.relative_to(repo)))
        assert [x for x in data["findings"] if x["check"] == "links"] == [], f
        assert (code, data["root"]) == (0, "public"), f
    code, data = _check(capsys, "public")
    assert (code, len(data["pages"]), data["findings"]) == (0, 40, [])
    # checked from inside a section, by absolute path: the same root, no false alarm
    monkeypatch.chdir(repo / "public" / "news")
    code, data = _check(capsys, str(repo / "public" / "news" / "2026" / "a3.html"))
    assert (code, data["root"], data["findings"]) == (0, str(repo / "public"), [])


def test_forty_file_tree_real_breaks_are_found(tmp_path, monkeypatch, capsys):
    repo = tmp_path / "repo"
    build_tree(repo)
    a5 = repo / "public" / "news" / "2026" / "a5.html"
    a5.write_text(a5.read_text(encoding="utf-8").replace("</main>", '<a href="/nope.html">壞</a>'
                                                         '<a href="/about.html#nobody">壞錨</a></main>'),
                  encoding="utf-8")
    (repo / "public" / "img" / "logo.png").unlink()
    monkeypatch.chdir(repo)
    code, data = _check(capsys, "public/news/2026/a5.html")
    got = sorted((f["rule"], f["detail"]["target"]) for f in data["findings"])
    assert code == 1
    assert got == [("link.anchor-missing", "public/about.html#nobody"), ("link.broken", "public/img/logo.png"),
                   ("link.broken", "public/nope.html")]
    code, data = _check(capsys, "public")
    assert code == 1
    broken = [f for f in data["findings"] if f["rule"] == "link.broken"]
    assert {f["detail"]["target"] for f in broken} == {"public/img/logo.png", "public/nope.html"}
    assert len([f for f in broken if f["detail"]["target"] == "public/img/logo.png"]) == 40  # once per page
