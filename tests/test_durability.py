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
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def _wait_until(condition: Callable[[], bool], timeout: float, every: float = 0.3) -> bool:
    """Polls `condition` until it holds or `timeout` seconds pass; its last answer."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(every)
    return True


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


def _file_size_limit(blocks: int) -> list[str]:
    """A launcher: writes past `blocks` x 512 bytes in any file fail with EFBIG
    (SIGXFSZ ignored, so the write returns the error instead of killing).  A
    shell sets it rather than a preexec_fn, which is unsafe in this process:
    its test servers are threads."""
    return ["sh", "-c", f'trap "" XFSZ; ulimit -f {blocks}; exec "$@"', "sh"]


def _assert_full_disk_then_resume(full: Any, res: Any, resume: Callable[[], Any], base_url: str) -> None:
    assert res.code == 3, res.stderr
    lines = [line for line in res.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and "磁碟空間不足" in lines[0] and "--resume" in lines[0], res.stderr
    assert "Traceback" not in res.stderr
    resumed = resume()  # space freed
    assert resumed.code == 0, resumed.stderr
    assert _norm(resumed.findings, base_url) == _norm(full.findings, base_url)


def test_full_disk_is_one_line_and_resumable(tmp_path):
    """A real small file system (tmpfs) where the machine lets us mount one;
    otherwise (not root) the file-size limit, which the kernel enforces the
    same way on every write (EFBIG instead of ENOSPC)."""
    root = _site(tmp_path / "site", 80, delay=0)
    disk = tmp_path / "disk"
    mounted = _mount_small_disk(disk, 4096)
    try:
        with serve(root) as srv:
            full = crawl(srv.url("/"), tmp_path / "full")
            assert full.code == 0, full.stderr
            if mounted:
                filler = disk / "filler"
                # leave only ~400 KB free: the state store fills it mid-crawl
                subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1k", "count=3690"], capture_output=True)
                out = disk / "out"
                res = crawl(srv.url("/"), out)

                def free_space_and_resume() -> Any:
                    filler.unlink()
                    return crawl(srv.url("/"), out, "--resume")

                _assert_full_disk_then_resume(full, res, free_space_and_resume, srv.base_url)
            else:
                out = tmp_path / "limited"
                res = crawl(srv.url("/"), out, launcher=_file_size_limit(300))
                _assert_full_disk_then_resume(full, res, lambda: crawl(srv.url("/"), out, "--resume"), srv.base_url)
    finally:
        if mounted:
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


# ---- with the browser stage (real Chromium) ------------------------------------------
def _a11y_ready() -> bool:
    from crawler import a11y

    try:
        a11y.check_available()
    except Exception:  # noqa: BLE001 - the reason is the skip message
        return False
    return True


needs_browser = pytest.mark.skipif(not _a11y_ready(), reason="needs Chromium, chromedriver and axe-core (make setup)")


def _a11y_site(root: Path, n: int) -> Path:
    pages = {"/": "".join(f'<a href="/p/{i}.html">第 {i} 頁</a> ' for i in range(n))}
    for i in range(n):
        # every third page has an image without alt: findings the resume must not lose
        img = '<img src="/i.png">' if i % 3 == 0 else ""
        pages[f"/p/{i}.html"] = f'<p>{"政府網站。" * 50}</p>{img}<a href="/gone/{i % 4}.html">失效</a>'
    pages["/i.png"] = b"\x89PNG\r\n\x1a\n"
    return make_site(root, pages)


def _marked(mark: str) -> list:
    """Processes (chromedriver, Chromium, …) that inherited this test's marker."""
    import psutil

    found = []
    for p in psutil.process_iter(["name"]):
        try:
            if p.environ().get("SITEAUDIT_TEST_MARK") == mark:
                found.append(p)
        except (psutil.Error, OSError):
            continue
    return found


def _axe_rows(out: Path) -> int:
    db = out / ".state" / "audit.sqlite"
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
            return int(c.execute("SELECT COUNT(*) FROM axe").fetchone()[0])
    except sqlite3.Error:
        return 0


def _start_a11y(url: str, out: Path, mark: str) -> subprocess.Popen:
    args = [sys.executable, "-m", "crawler.cli", "crawl", url, "--out", str(out), "--as-of", "2026-11-26",
            "--quiet", "--history", str(out / "history.sqlite")]
    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "SITEAUDIT_TEST_MARK": mark})


def _crawl_a11y(url: str, out: Path, *extra: str) -> Any:
    from crawlhelp import run_cli

    return run_cli(["crawl", url, "--out", str(out), "--quiet", "--as-of", "2026-11-26",
                    "--history", str(out / "history.sqlite"), *extra], out=out, timeout=300)


@pytest.mark.browser
@needs_browser
def test_kill_9_in_the_browser_stage_leaves_no_browser_and_loses_nothing(tmp_path):
    root = _a11y_site(tmp_path / "site", 24)
    with serve(root) as srv:
        ref = _crawl_a11y(srv.url("/"), tmp_path / "ref")
        assert ref.code == 0, ref.stderr
        assert any(f["rule"] == "a11y.image-alt" for f in ref.findings)
        mark = uuid.uuid4().hex
        out = tmp_path / "killed"
        proc = _start_a11y(srv.url("/"), out, mark)
        assert _wait_until(lambda: _axe_rows(out) >= 4, 120), "the browser stage did not get going"
        assert _marked(mark), "browsers should be running"
        proc.kill()  # SIGKILL of the main process: nothing of ours runs
        proc.communicate(timeout=30)
        assert _wait_until(lambda: not _marked(mark), 15), "no browser or driver may survive the kill"
        resumed = _crawl_a11y(srv.url("/"), out, "--resume")
        assert resumed.code == 0, resumed.stderr
        assert _norm(resumed.findings, srv.base_url) == _norm(ref.findings, srv.base_url)


@pytest.mark.browser
@needs_browser
def test_sigterm_in_the_browser_stage_ends_within_10_s(tmp_path):
    root = _a11y_site(tmp_path / "site", 40)
    with serve(root) as srv:
        mark = uuid.uuid4().hex
        out = tmp_path / "out"
        proc = _start_a11y(srv.url("/"), out, mark)
        _wait_until(lambda: _axe_rows(out) >= 2, 120)
        proc.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        _, err = proc.communicate(timeout=60)
        assert time.monotonic() - t0 < 10, "SIGTERM must end the run within 10 s, browsers included"
        assert proc.returncode == 3 and "--resume" in err and "Traceback" not in err
        assert _wait_until(lambda: not _marked(mark), 10)


def test_kill_9_leaves_no_helper_process(tmp_path):
    """Past INLINE_PAGES pages the crawl computes page facts in a worker
    process; a kill -9 of the crawl must not leave it (or anything) running."""
    import psutil

    from crawler.pagefacts import INLINE_PAGES

    root = _site(tmp_path / "site", INLINE_PAGES + 150, delay=0.05)
    with serve(root) as srv:
        out = tmp_path / "out"
        proc = _start(srv.url("/"), out)
        _wait_for_pages(out, INLINE_PAGES + 5)
        deadline = time.monotonic() + 20
        kids: list = []
        while not kids and time.monotonic() < deadline:
            kids = psutil.Process(proc.pid).children(recursive=True)
            time.sleep(0.1)
        assert kids, "the page-facts worker should be running"
        proc.kill()
        proc.communicate(timeout=30)
        _, alive = psutil.wait_procs(kids, timeout=10)
        assert not alive, [p.cmdline() for p in alive]
