"""The CI examples work as written (issue 9 must-have 5): the commands of
docs/ci/github-actions.yml, docs/ci/gitlab-ci.yml and .pre-commit-hooks.yaml
are read from the files and run exactly, with bash, on a fixture repository
(a bare "origin", a base branch, a feature branch): real git, the real
siteaudit, nothing stubbed.  Only the install steps are left out."""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from test_check_cli import write

from crawlhelp import ROOT


def git(cwd: Path, env: dict[str, str], *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture()
def env(tmp_path) -> dict[str, str]:
    """A clean HOME and git identity, and `siteaudit` on PATH as the console script runs it."""
    home, bin_dir = tmp_path / "home", tmp_path / "bin"
    home.mkdir()
    bin_dir.mkdir()
    shim = bin_dir / "siteaudit"
    shim.write_text(f"#!{sys.executable}\nimport sys\nfrom crawler.cli import main\nsys.exit(main())\n",
                    encoding="utf-8")
    shim.chmod(0o755)
    who = {"GIT_AUTHOR_NAME": "網站管理員", "GIT_AUTHOR_EMAIL": "web@example.gov.tw",
           "GIT_COMMITTER_NAME": "網站管理員", "GIT_COMMITTER_EMAIL": "web@example.gov.tw"}
    return {**os.environ, **who, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(ROOT),
            "HOME": str(home), "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"), "GIT_CONFIG_NOSYSTEM": "1",
            "SITEAUDIT_CACHE_DIR": str(tmp_path / "cache")}


@pytest.fixture()
def repo(tmp_path, env) -> Path:
    """origin (bare) with main: a site whose news/old.html already has a broken
    link; a clone on branch `feature` ready for changes."""
    seed = tmp_path / "seed"
    pub = seed / "public"
    write(pub, "index.html", "首頁", '<p><a href="news/old.html">舊消息</a> <a href="/about.html">關於</a></p>')
    write(pub, "about.html", "關於", '<p><a href="/">首頁</a></p>')
    write(pub, "news/index.html", "消息", '<p><a href="old.html">舊消息</a></p>')
    write(pub, "news/old.html", "舊消息", '<p><a href="gone.pdf">已下架的附件</a> <a href="../index.html">首頁</a></p>')
    git(seed, env, "init", "-q", "-b", "main")
    git(seed, env, "add", ".")
    git(seed, env, "commit", "-q", "-m", "網站")
    origin = tmp_path / "origin.git"
    git(tmp_path, env, "clone", "-q", "--bare", str(seed), str(origin))
    work = tmp_path / "work"
    git(tmp_path, env, "clone", "-q", str(origin), str(work))
    git(work, env, "checkout", "-q", "-b", "feature")
    return work


def change_pages(work: Path, env: dict[str, str], *, new_problem: bool) -> None:
    pub = work / "public"
    # the page with the old problem is edited too: its old finding is in the baseline
    old = pub / "news" / "old.html"
    old.write_text(old.read_text(encoding="utf-8").replace("舊消息</h1>", "舊消息（更新）</h1>"), encoding="utf-8")
    body = '<p><a href="missing.html">新的失效連結</a></p>' if new_problem else '<p><a href="/about.html">關於</a></p>'
    write(pub, "news/new.html", "新消息", body + ' <p><a href="../../index.html">首頁</a></p>')
    (pub / "css").mkdir(exist_ok=True)
    (pub / "css" / "site.css").write_text("body{}", encoding="utf-8")  # not a page: never passed
    git(work, env, "add", ".")
    git(work, env, "commit", "-q", "-m", "消息")


def bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # GitHub's `shell: bash` is `bash --noprofile --norc -eo pipefail`; GitLab runs scripts with -eo pipefail
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def documented_baseline_command(doc: Path) -> str:
    lines = doc.read_text(encoding="utf-8").splitlines()
    i = next(n for n, line in enumerate(lines) if "To create it yourself:" in line)
    return lines[i + 1].lstrip("# ").strip()


# ---- GitHub Actions ------------------------------------------------------------------

def github_steps() -> dict[str, str]:
    doc = yaml.safe_load((ROOT / "docs" / "ci" / "github-actions.yml").read_text(encoding="utf-8"))
    job = doc["jobs"]["check-pages"]
    assert job["defaults"]["run"]["shell"] == "bash"
    steps = {s["id"]: s["run"] for s in job["steps"] if s.get("id", "").startswith("siteaudit-")}
    uses = {s.get("uses", "").split("@")[0]: s for s in job["steps"]}
    assert uses["github/codeql-action/upload-sarif"]["with"]["sarif_file"] == "siteaudit.sarif"
    assert uses["actions/checkout"]["with"]["fetch-depth"] == 0
    return steps


def run_github_job(work: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    steps = github_steps()
    job_env = {**env, "GITHUB_BASE_REF": "main", "GITHUB_WORKSPACE": str(work), "CI": "true"}
    first = bash(steps["siteaudit-baseline"], work, job_env)
    assert first.returncode == 0, first.stdout + first.stderr
    return bash(steps["siteaudit-check"], work, job_env)


@pytest.mark.browser
def test_github_actions_first_run_creates_the_baseline_then_gates_new_problems(repo, env):
    change_pages(repo, env, new_problem=True)
    res = run_github_job(repo, env)
    assert res.returncode == 1, res.stdout + res.stderr
    baseline = json.loads((repo / ".siteaudit" / "baseline.json").read_text(encoding="utf-8"))
    # made from the base branch: the old problem is in it, the pull request's new one is not
    assert [(f["url"], f["detail"]["target"]) for f in baseline["findings"]] == [
        ("public/news/old.html", "public/news/gone.pdf")]
    sarif = json.loads((repo / "siteaudit.sarif").read_text(encoding="utf-8"))
    results = sarif["runs"][0]["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in results] == [
        ("link.broken", "public/news/new.html")]
    junit = ET.parse(repo / "reports" / "siteaudit.xml").getroot()
    assert {s.get("name") for s in junit.findall("testsuite")} == {"public/news/old.html", "public/news/new.html"}
    assert [c.get("name") for c in junit.iter("testcase") if c.find("failure") is not None] == ["link.broken"]
    assert "git worktree" not in git(repo, env, "worktree", "list")  # the base checkout was removed


@pytest.mark.browser
def test_github_actions_with_the_baseline_in_the_repository(repo, env):
    git(repo, env, "checkout", "-q", "main")
    res = bash(documented_baseline_command(ROOT / "docs" / "ci" / "github-actions.yml"), repo, env)
    assert res.returncode == 0, res.stderr  # the documented first run: exit 0 despite the old problem
    git(repo, env, "add", ".siteaudit/baseline.json")
    git(repo, env, "commit", "-q", "-m", "siteaudit 基準檔")
    git(repo, env, "push", "-q", "origin", "main")
    git(repo, env, "checkout", "-q", "-b", "feature-2")
    change_pages(repo, env, new_problem=False)
    before = (repo / ".siteaudit" / "baseline.json").read_text(encoding="utf-8")
    res = run_github_job(repo, env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert (repo / ".siteaudit" / "baseline.json").read_text(encoding="utf-8") == before  # kept, not rewritten
    assert json.loads((repo / "siteaudit.sarif").read_text(encoding="utf-8"))["runs"][0]["results"] == []


def test_github_actions_without_changed_pages(repo, env):
    (repo / "README.md").write_text("說明", encoding="utf-8")
    git(repo, env, "add", ".")
    git(repo, env, "commit", "-q", "-m", "說明")
    res = bash(github_steps()["siteaudit-check"], repo, {**env, "GITHUB_BASE_REF": "main"})
    assert (res.returncode, res.stdout.strip()) == (0, "沒有變更的網頁")


# ---- GitLab CI --------------------------------------------------------------------------

@pytest.mark.browser
def test_gitlab_ci_junit_report(repo, env):
    doc = yaml.safe_load((ROOT / "docs" / "ci" / "gitlab-ci.yml").read_text(encoding="utf-8"))
    job = doc["siteaudit"]
    assert job["artifacts"]["reports"]["junit"] == "reports/siteaudit.xml"
    script = "\n".join(job["script"])
    job_env = {**env, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main", "CI": "true"}
    change_pages(repo, env, new_problem=True)
    res = bash(script, repo, job_env)
    assert res.returncode == 1, res.stdout + res.stderr
    assert re.search(r"^public/news/new.html:\d+: 錯誤 link.broken 失效連結：public/news/missing.html",
                     res.stdout, re.M)
    # the old problem is in the baseline made from the target branch
    assert "（另有 1 項已列在基準檔 .siteaudit/baseline.json，不計）" in res.stdout
    junit = ET.parse(repo / "reports" / "siteaudit.xml").getroot()
    assert junit.get("failures") == "1" and "gone.pdf" not in ET.tostring(junit, encoding="unicode")
    # a merge request with no new problem passes
    git(repo, env, "checkout", "-q", "-b", "feature-2", "main")
    (repo / ".siteaudit" / "baseline.json").unlink()
    change_pages(repo, env, new_problem=False)
    assert bash(script, repo, job_env).returncode == 0


# ---- pre-commit -----------------------------------------------------------------------------

def staged_for_hook(work: Path, env: dict[str, str], files_pattern: str) -> list[str]:
    """The files pre-commit hands a hook: staged (added, copied, modified,
    renamed), matching its `files` pattern."""
    out = git(work, env, "diff", "--staged", "--name-only", "--diff-filter=ACMR", "-z")
    return [name for name in out.split("\0") if name and re.search(files_pattern, name)]


def test_pre_commit_hook_checks_only_the_staged_pages(repo, env):
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "siteaudit-check")
    assert hook["pass_filenames"] is True and hook["language"] == "python"
    config = yaml.safe_load((ROOT / "docs" / "ci" / "pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for r in config["repos"] for h in r["hooks"]] == [hook["id"]]
    entry = shlex.split(hook["entry"])
    pub = repo / "public"

    def run_hook() -> subprocess.CompletedProcess[str]:
        files = staged_for_hook(repo, env, hook["files"])
        return subprocess.run([*entry, *files], cwd=repo, env=env, capture_output=True, text=True, timeout=120)

    # a broken page that is not staged is not the commit's business
    write(pub, "draft.html", "草稿", '<p><a href="nowhere.html">未完成</a></p>')
    write(pub, "news/2026/a.html", "新聞", '<p><a href="../../index.html">首頁</a> <a href="/about.html">關於</a>'
                                         ' <a href="/news/old.html">舊</a></p>')
    (pub / "notes.txt").write_text("備忘", encoding="utf-8")
    git(repo, env, "add", "public/news/2026/a.html", "public/notes.txt")
    assert staged_for_hook(repo, env, hook["files"]) == ["public/news/2026/a.html"]
    res = run_hook()
    # one changed file deep in the tree: ../../ and / links resolve against public/, no false alarm
    assert res.returncode == 0, res.stdout + res.stderr
    assert "檢查 1 頁（文件根目錄 public）" in res.stdout
    git(repo, env, "add", "public/draft.html")
    res = run_hook()
    assert res.returncode == 1
    assert "public/draft.html:" in res.stdout and "public/news/missing" not in res.stdout
