"""The `siteaudit` command line (SPEC "Command line"; issues 9, 11, 15): argparse in
Traditional Chinese, every flag described, --version, the typed options, and
every bad input ending in exit 2 or 3 with exactly one Chinese line — never a
traceback, never exit 1."""
from __future__ import annotations

import argparse
import ast
import os
import re
import time
from pathlib import Path

import pytest
from test_check_cli import write

from crawler import cli
from crawlhelp import run_cli

_CJK = re.compile(r"[\u4e00-\u9fff]")
# English that must never reach a person (argparse's and Python's own words).
_ENGLISH = re.compile(r"\b(usage|error|errors|argument|arguments|required|invalid|choice|expected|unrecognized"
                      r"|options|positional|show|help message|got|unknown|key|not found|Traceback|Errno"
                      r"|denied|directory|such)\b",
                      re.I)


def _argparse_messages() -> set[str]:
    """Every message argparse passes through gettext, read from its source."""
    tree = ast.parse(Path(argparse.__file__).read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "ngettext")
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            out.add(node.args[0].value)
    return out


def test_the_catalogue_translates_every_argparse_message():
    messages = _argparse_messages()
    assert "usage: " in messages and "the following arguments are required: %s" in messages
    known = set(cli.ARGPARSE_ZH) | set(cli.ARGPARSE_ZH_PLURAL)
    assert messages - known == set(), "argparse messages without a translation"
    for zh in [*cli.ARGPARSE_ZH.values(), *cli.ARGPARSE_ZH_PLURAL.values()]:
        assert _CJK.search(zh), zh
    # placeholders survive translation (a missing %(name)s would raise at run time)
    for en, zh in cli.ARGPARSE_ZH.items():
        assert sorted(re.findall(r"%\(\w+\)[rsd]|%[rsd]", en)) == sorted(re.findall(r"%\(\w+\)[rsd]|%[rsd]", zh)), en


def test_argparse_is_left_as_it_was():
    before = argparse._  # type: ignore[attr-defined]
    with cli.argparse_in_chinese():
        assert argparse._("usage: ") == "用法："  # type: ignore[attr-defined]
    assert argparse._ is before  # type: ignore[attr-defined]


def _help(capsys, *argv: str) -> str:
    assert cli.main([*argv, "--help"]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", [None, "crawl", "check", "notify", "worker", "demo"])
def test_help_is_chinese_and_every_flag_is_described(capsys, command):
    text = _help(capsys, *([command] if command else []))
    assert text.startswith("用法：siteaudit")
    # drop what is no prose: flags, metavars, choices, URLs, file names
    prose = re.sub(r"\./[\w-]+|\[\[?\w+\]\]?|--?[\w-]+|\{[^}]*\}|[A-Z_]{2,}[\w./:-]*"
                   r"|[\w.-]*\.(?:toml|html?|eml|xml|json|jsonl)\b"
                   r"|https?://\S+|redis://\S+|\b(?:siteaudit|axe-core|error|warning|notice|text|json|sarif|github"
                   r"|JUnit|XML|CI|pre-commit|GitHub|Actions|Redis|ODF|AA|git|README|SQLite|start_urls|site"
                   r"|worker|crawl|check|notify|demo|index|DIR|Chromium)\b", "", text)
    assert not re.search(r"[A-Za-z]{3,}", prose), prose
    parser_lines = [line for line in text.splitlines() if re.match(r"^  (-|\w)", line)]
    for line in parser_lines:  # every option / positional line carries its Chinese description
        if line.strip().startswith("-") and not _CJK.search(line):
            following = text.splitlines()[text.splitlines().index(line) + 1]
            assert _CJK.search(following), line


def test_version_names_tool_axe_and_browser(capsys):
    assert cli.main(["--version"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("siteaudit 版本：") and lines[1].startswith("axe-core（無障礙檢測）：")
    assert lines[2].startswith("瀏覽器：")


def test_version_without_browser_and_axe_is_quick(monkeypatch, tmp_path, capsys):
    from crawler import a11y

    monkeypatch.setattr(a11y, "CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.setenv("SITEAUDIT_AXE_JS", str(tmp_path / "no-axe.js"))
    t0 = time.monotonic()
    assert cli.main(["--version"]) == 0
    assert time.monotonic() - t0 < 1
    out = capsys.readouterr().out
    assert "axe-core（無障礙檢測）：未安裝" in out and "瀏覽器：未安裝" in out


def test_typed_options_per_command():
    from crawler.check import CheckOptions

    opts = cli.options_for(cli.parse(["check", "a.html", "--fail-on", "warning", "--root", "public",
                                      "--format", "sarif", "--as-of", "2026-11-26"]))
    assert isinstance(opts, CheckOptions) and opts.targets == ("a.html",) and opts.root == Path("public")
    assert str(opts.fail_on) == "warning" and opts.as_of.isoformat() == "2026-11-26"
    crawl = cli.options_for(cli.parse(["crawl", "https://www.example.gov.tw/", "--queue", "redis://127.0.0.1:6379/0"]))
    assert isinstance(crawl, cli.CrawlOptions) and crawl.queue == "redis://127.0.0.1:6379/0"
    worker = cli.options_for(cli.parse(["worker", "--queue", "redis://h:1/2", "--browsers", "3", "--no-a11y"]))
    assert worker == cli.WorkerOptions(queue="redis://h:1/2", no_a11y=True, browsers=3)
    notify = cli.options_for(cli.parse(["notify", "audit", "--dry-run"]))
    assert notify == cli.NotifyOptions(audit_dir=Path("audit"), config=None, dry_run=True)


def test_nothing_but_main_exits():
    """No module of siteaudit calls sys.exit (or exit/quit) but the CLI's __main__ guard."""
    root = Path(cli.__file__).resolve().parent.parent
    offenders = []
    for path in [*root.glob("crawler/**/*.py"), *root.glob("checks/**/*.py"), *root.glob("reports/**/*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        guarded = {id(n) for top in tree.body if isinstance(top, ast.If) and "__main__" in ast.unparse(top.test)
                   for n in ast.walk(top)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and id(node) not in guarded:
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
                owner = getattr(getattr(f, "value", None), "id", "")
                if (name == "exit" and owner == "sys") or name in ("_exit",):
                    offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert offenders == []


# ---- bad input: one table, every case exit 2 or 3 with one Chinese line ------------

def _make_files(tmp: Path) -> None:
    site = tmp / "site"
    write(site, "index.html", "首頁")
    write(site, "a.html", "甲")
    (tmp / "empty").mkdir()
    fifo = tmp / "pipe.html"
    os.mkfifo(fifo)
    (tmp / "dangling.html").symlink_to(tmp / "nowhere.html")
    (tmp / "other").mkdir()
    (tmp / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (tmp / "binary.json").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp / "truncated.json").write_text('{"format": "siteaudit-check", "findings": [', encoding="utf-8")
    (tmp / "future.json").write_text('{"siteaudit_baseline": 99, "fingerprints": []}', encoding="utf-8")
    (tmp / "a-file").write_text("x", encoding="utf-8")
    (tmp / "junit-dir").mkdir()
    (tmp / "bad.toml").write_text("[links]\ntimeout = \"soon\"\n", encoding="utf-8")
    (tmp / "unknown.toml").write_text("[links]\nspeed = 1\n", encoding="utf-8")
    # issue 11's hostile configs
    (tmp / "deep.toml").write_text("x = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    (tmp / "months.toml").write_text("[freshness]\nmax_age_months = 1e8\n", encoding="utf-8")
    (tmp / "retries.toml").write_text("[links]\nretries = 1000000000\n", encoding="utf-8")
    (tmp / "tag.toml").write_text("[accessibility]\ntags = [\"bogus-tag\"]\n", encoding="utf-8")
    (tmp / "regex.toml").write_text("[crawl]\nexclude = [\"(x+x+)+y\"]\n", encoding="utf-8")
    (tmp / "zero.toml").write_text("[metadata]\nvocabularies = {theme = \"/dev/zero\"}\n", encoding="utf-8")
    (tmp / "codes.csv").write_bytes(b"\x00\xff\xfe\x00" * 64)
    (tmp / "vocab.toml").write_text("[metadata]\nvocabularies = {theme = \"codes.csv\"}\n", encoding="utf-8")
    (tmp / "spec.toml").write_text("[accessibility]\nspec = \"2.2\"\n", encoding="utf-8")
    (tmp / "timeout.toml").write_text("[links]\ntimeout = 2.5\n[crawl]\nmax_pages = -1\n", encoding="utf-8")


TMP = Path("/{tmp}")  # the table names files in the test's tmp_path through this placeholder


def _bad_inputs(tmp: Path = TMP) -> list:
    site, fifo = tmp / "site", tmp / "pipe.html"
    no_axe = {"SITEAUDIT_AXE_JS": str(tmp / "missing-axe.js")}
    s, a = str(site), str(site / "a.html")
    n = "--no-a11y"
    return [
        # (case, argv, exit code, a word the line must name, env)
        ("target missing", ["check", str(tmp / "nope.html"), n], 2, "nope.html", {}),
        ("directory without pages", ["check", str(tmp / "empty"), n], 2, "empty", {}),
        ("target is a pipe", ["check", str(fifo), n], 2, "pipe.html", {}),
        ("dangling symlink", ["check", str(tmp / "dangling.html"), n], 2, "dangling.html", {}),
        ("--root does not contain the targets", ["check", a, "--root", str(tmp / "other"), n], 2, "--root", {}),
        ("--root is no directory", ["check", a, "--root", str(tmp / "a-file"), n], 2, "--root", {}),
        ("baseline missing", ["check", s, n, "--baseline", str(tmp / "b.json")], 2, "--write-baseline", {}),
        ("baseline in another format", ["check", s, n, "--baseline", str(tmp / "notes.csv")], 2, "notes.csv", {}),
        ("baseline is binary", ["check", s, n, "--baseline", str(tmp / "binary.json")], 2, "UTF-8", {}),
        ("baseline truncated", ["check", s, n, "--baseline", str(tmp / "truncated.json")], 2, "JSON", {}),
        ("baseline of a later version", ["check", s, n, "--baseline", str(tmp / "future.json")], 2, "版本", {}),
        ("baseline is a directory", ["check", s, n, "--baseline", str(tmp / "other")], 2, "目錄", {}),
        ("--base-url not http(s)", ["check", s, n, "--base-url", "ftp://www.example.gov.tw/"], 2, "--base-url", {}),
        ("--base-url http://[::1", ["check", s, n, "--base-url", "http://[::1"], 2, "--base-url", {}),
        ("target http://[::1", ["check", "http://[::1", n], 2, "[::1", {}),
        ("target ftp://", ["check", "ftp://www.example.gov.tw/a.html", n], 2, "ftp://", {}),
        ("--junit is a directory", ["check", s, n, "--junit", str(tmp / "junit-dir")], 2, "--junit", {}),
        ("--write-baseline is a directory", ["check", s, n, "--write-baseline", str(tmp / "other")], 2,
         "--write-baseline", {}),
        ("--fail-on unknown", ["check", s, n, "--fail-on", "sometimes"], 2, "--fail-on", {}),
        ("--format unknown", ["check", s, n, "--format", "xml"], 2, "--format", {}),
        ("no target", ["check", n], 2, "TARGET", {}),
        ("unknown flag", ["check", s, "--colour"], 2, "--colour", {}),
        ("flag without its value", ["check", s, "--root"], 2, "--root", {}),
        ("--as-of out of range", ["check", s, n, "--as-of", "0001-01-01"], 2, "--as-of", {}),
        ("--as-of no date", ["check", s, n, "--as-of", "yesterday"], 2, "--as-of", {}),
        ("no subcommand", [], 2, "子命令", {}),
        ("unknown subcommand", ["audit", "x"], 2, "audit", {}),
        ("crawl not a url", ["crawl", "not a url", n], 2, "not a url", {}),
        ("crawl ftp://", ["crawl", "ftp://www.example.gov.tw/", n], 2, "ftp://", {}),
        ("crawl http://[::1", ["crawl", "http://[::1", n], 2, "[::1", {}),
        ("crawl --max-pages -5", ["crawl", "http://127.0.0.1:9/", "--max-pages", "-5", n], 2, "--max-pages", {}),
        ("crawl --concurrency 0", ["crawl", "http://127.0.0.1:9/", "--concurrency", "0", n], 2, "--concurrency", {}),
        ("crawl --out is a file", ["crawl", "http://127.0.0.1:9/", "--out", str(tmp / "a-file"), n], 2, "--out", {}),
        ("--queue not redis", ["worker", "--queue", "http://127.0.0.1:6379/"], 2, "--queue", {}),
        ("worker without --queue", ["worker"], 2, "--queue", {}),
        ("notify without audit", ["notify", str(tmp / "no-audit"), "--dry-run"], 2, "no-audit", {}),
        # exit 3: the audit could not run
        ("URL target unreachable", ["check", "http://127.0.0.1:9/index.html", n], 3, "127.0.0.1:9", {}),
        ("browser stage without axe-core", ["check", s], 3, "--no-a11y", no_axe),
        ("--junit cannot be written", ["check", s, n, "--junit", str(tmp / "a-file" / "r.xml")], 3, "r.xml", {}),
        # config errors: the key is named (crawler/config.py's wording still has English parts)
        pytest.param("config value of the wrong type", ["check", s, n, "--config", str(tmp / "bad.toml")], 2,
                     "links.timeout", {}),
        pytest.param("config unknown key", ["check", s, n, "--config", str(tmp / "unknown.toml")], 2,
                     "links.speed", {}),
        ("config 5000-deep TOML", ["crawl", "http://127.0.0.1:9/", "--config", str(tmp / "deep.toml"), n], 2,
         "deep.toml", {}),
        ("config max_age_months = 1e8", ["crawl", "http://127.0.0.1:9/", "--config", str(tmp / "months.toml"), n],
         2, "freshness.max_age_months", {}),
        ("config retries = 1000000000", ["crawl", "http://127.0.0.1:9/", "--config", str(tmp / "retries.toml"), n],
         2, "links.retries", {}),
        ("config unknown axe tag", ["crawl", "http://127.0.0.1:9/", "--config", str(tmp / "tag.toml")], 2,
         "bogus-tag", {}),
        ("config catastrophic regex", ["crawl", "http://127.0.0.1:9/", "--config", str(tmp / "regex.toml"), n], 2,
         "crawl.exclude", {}),
        ("config vocabulary /dev/zero", ["crawl", "http://127.0.0.1:9/", "--config", str(tmp / "zero.toml"), n], 2,
         "/dev/zero", {}),
        ("config vocabulary binary", ["crawl", "http://127.0.0.1:9/", "--config", str(tmp / "vocab.toml"), n], 2,
         "codes.csv", {}),
        ("config unknown edition", ["crawl", "http://127.0.0.1:9/", "--config", str(tmp / "spec.toml"), n], 2,
         "accessibility.spec", {}),
        ("config timeout 2.5 accepted, max_pages -1 not",
         ["crawl", "http://127.0.0.1:9/", "--config", str(tmp / "timeout.toml"), n], 2, "crawl.max_pages", {}),
        ("crawl file:///etc/passwd", ["crawl", "file:///etc/passwd", n], 2, "file:///etc/passwd", {}),
        ("crawl --as-of out of range", ["crawl", "http://127.0.0.1:9/", "--as-of", "0001-01-01", n], 2, "--as-of",
         {}),
        ("crawl --resume without an audit", ["crawl", "http://127.0.0.1:9/", "--out", str(tmp / "other"), "--resume",
                                              n], 2, "--resume", {}),
        ("crawl site unreachable", ["crawl", "http://127.0.0.1:9/", "--out", str(tmp / "out9"), "--quiet", n], 3,
         "127.0.0.1:9", {}),
    ]


def _ids() -> list[str]:
    return [c.values[0] if hasattr(c, "values") else c[0] for c in _bad_inputs()]


@pytest.mark.parametrize(("name", "argv", "code", "names", "env"), _bad_inputs(), ids=_ids())
def test_bad_input_exits_2_or_3_with_one_chinese_line(tmp_path, name, argv, code, names, env):
    _make_files(tmp_path)
    real = str(tmp_path)
    argv = [a.replace(str(TMP), real) for a in argv]
    env = {k: v.replace(str(TMP), real) for k, v in env.items()}
    names = names.replace(str(TMP), real)
    res = run_cli(argv, env=env, cwd=tmp_path, timeout=120)
    lines = res.stderr.splitlines()
    assert (res.code, len(lines)) == (code, 1), (name, res.code, res.stderr)
    line = lines[0]
    assert _CJK.search(line) and names in line, (name, line)
    # flags, file names, URLs, paths and quoted values are no prose
    prose = re.sub(r"\./[\w-]+|\[\[?\w+\]\]?|--?[\w-]+|\S+\.(?:html|json|csv|xml|toml)|\S*://\S*"
                   r"|[\w/.-]*/[\w/.-]+|'[^']*'", "", line)
    assert not _ENGLISH.search(prose), (name, line)
    assert "Traceback" not in res.stderr and res.stdout == ""
