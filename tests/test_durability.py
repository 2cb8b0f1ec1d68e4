"""Durable under faults, with real processes (issue 11 must-haves 1, 2, 9, 10).

* `kill -9` at any moment: `--resume` continues, and the final output equals
  an uninterrupted run's;
* one run per `--out` (a lock file with the pid; a dead process's lock is
  taken over with a notice);
* `--resume` of another site or config is refused (exit 2);
* a full disk is exit 3 with one Chinese line, and after space is freed
  `--resume` completes the same audit.
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.siteserver import serve
from crawlhelp import ROOT, crawl, make_site

pytestmark = pytest.mark.slow


def _site(root: Path, n: int, delay: float = 0.1) -> Path:
    pages = {"/": "".join(f'<a href="/s/{i}.html">第 {i} 頁</a> ' for i in range(n))}
    for i in range(n):
        pages[f"/s/{i}.html"] = (f'<p>{"政府資訊公開。" * 200}</p><a href="/s/{(i * 7) % n}.html">x</a>'
                                 f' <a href="/gone/{i % 5}.html">失效</a>')
    return make_site(root, pages, routes={"/s/*": {"delay": delay}})


def _norm(findings: list[dict], base: str) -> list[str]:
    return sorted(json.dumps(f, sort_keys=True, ensure_ascii=False).replace(base, "") for f in findings)


def _start(url: str, out: Path, *extra: str) -> subprocess.Popen:
    args = [sys.executable, "-m", "crawler.cli", "crawl", url, "--out", str(out), "--no-a11y",
            "--as-of", "2026-11-26", "--quiet", "--concurrency", "2", "--history", str(out / "history.sqlite"),
            *extra]
    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


def _wait_for_pages(out: Path, n: int, timeout: float = 60) -> int:
    db = out / ".state" / "audit.sqlite"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if not db.exists():
            continue
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
                stored = c.execute("SELECT COUNT(*) FROM pages").fetchone()[0]
        except sqlite3.Error:
            continue
        if stored >= n:
            return stored
    raise AssertionError(f"the crawl did not store {n} pages in time")


@pytest.mark.parametrize("kill_after", [3, 25])
def test_kill_9_then_resume_equals_uninterrupted_run(tmp_path, kill_after):
    root = _site(tmp_path / "site", 50)
    with serve(root) as srv:
        full = crawl(srv.url("/"), tmp_path / "full", "--concurrency", "2")
        assert full.code == 0 and len(full.pages) == 51, full.stderr
        out = tmp_path / "killed"
        proc = _start(srv.url("/"), out)
        _wait_for_pages(out, kill_after)
        proc.kill()  # SIGKILL: no handler runs, Scrapy's queue is never written out
        proc.communicate(timeout=30)
        resumed = crawl(srv.url("/"), out, "--concurrency", "2", "--resume")
        assert resumed.code == 0, resumed.stderr
        assert resumed.run["complete"] is True
        assert sorted(p["url"] for p in resumed.pages) == sorted(p["url"] for p in full.pages)
        assert _norm(resumed.findings, srv.base_url) == _norm(full.findings, srv.base_url)
        # finished: the working state is gone (unless kept on purpose)
        assert not (out / ".state").exists()


def test_resume_of_another_site_is_refused(tmp_path):
    root = _site(tmp_path / "site", 30, delay=0.2)
    other = make_site(tmp_path / "other", {"/": "另一個網站"})
    with serve(root) as srv, serve(other) as srv2:
        out = tmp_path / "out"
        proc = _start(srv.url("/"), out)
        _wait_for_pages(out, 3)
        proc.kill()
        proc.communicate(timeout=30)
        res = crawl(srv2.url("/"), out, "--resume")
        assert res.code == 2, res.stderr
        assert "--resume" in res.stderr and "Traceback" not in res.stderr
        # the interrupted audit is still there to resume properly
        ok = crawl(srv.url("/"), out, "--concurrency", "2", "--resume")
        assert ok.code == 0, ok.stderr


def test_one_run_per_out_dir(tmp_path):
    root = _site(tmp_path / "site", 30, delay=0.2)
    with serve(root) as srv:
        out = tmp_path / "out"
        first = _start(srv.url("/"), out)
        _wait_for_pages(out, 2)
        second = crawl(srv.url("/"), out)
        assert second.code == 3, second.stderr
        assert f"程序 {first.pid}" in second.stderr
        assert len(second.stderr.strip().splitlines()) == 1
        first.kill()
        first.communicate(timeout=30)
        # the dead process's lock is taken over, with a notice
        third = crawl(srv.url("/"), out, "--concurrency", "2")
        assert third.code == 0, third.stderr
        assert "接手" in third.stderr


def _mount_small_disk(path: Path, size_kb: int) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path)],
                         capture_output=True)
    return res.returncode == 0


def test_full_disk_is_one_line_and_resumable(tmp_path):
    disk = tmp_path / "disk"
    if not _mount_small_disk(disk, 4096):
        pytest.skip("cannot mount a tmpfs here (not root): the full-disk case needs one")
    try:
        root = _site(tmp_path / "site", 80, delay=0)
        with serve(root) as srv:
            full = crawl(srv.url("/"), tmp_path / "full")
            assert full.code == 0, full.stderr
            filler = disk / "filler"
            # leave only ~400 KB free: the state store fills it mid-crawl
            subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1k", "count=3690"], capture_output=True)
            out = disk / "out"
            res = crawl(srv.url("/"), out)
            assert res.code == 3, res.stderr
            lines = [line for line in res.stderr.strip().splitlines() if line.strip()]
            assert len(lines) == 1 and "磁碟空間不足" in lines[0] and "--resume" in lines[0], res.stderr
            assert "Traceback" not in res.stderr
            filler.unlink()  # space freed
            resumed = crawl(srv.url("/"), out, "--resume")
            assert resumed.code == 0, resumed.stderr
            assert _norm(resumed.findings, srv.base_url) == _norm(full.findings, srv.base_url)
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


def test_sigterm_ends_the_run_within_10_s(tmp_path):
    root = _site(tmp_path / "site", 40, delay=3.0)  # slow pages: requests are in flight when the signal comes
    with serve(root) as srv:
        out = tmp_path / "out"
        proc = _start(srv.url("/"), out, "--concurrency", "4")
        _wait_for_pages(out, 1)
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        _, err = proc.communicate(timeout=30)
        assert time.monotonic() - t0 < 10
        assert proc.returncode == 3 and "--resume" in err and "Traceback" not in err
