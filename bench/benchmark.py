"""Crawl benchmark: how fast and how lean is `siteaudit crawl` on a 2,000-page site?

Role: issue 3's measurement (SPEC "Command line: crawl"; the monthly crawl of
a whole branch site).  Generates a site with `bench/generate_site.py`, serves
it with `crawler/siteserver.py` in a *separate process* (so the server's CPU
is not billed to the crawler), runs `siteaudit crawl` as a subprocess and
reports pages, seconds, pages/s and the crawler's peak RSS (the child and its
own children, polled every 50 ms).  Then checks the result: every planted
broken link (`_expected_broken.json`) must be in `findings.jsonl` and no other
`link.*` finding may be.  `--linkchecker` runs Debian's LinkChecker on the same
site for comparison.

    python bench/benchmark.py --pages 2000 [--a11y] [--linkchecker] [--keep DIR] [--json FILE]

Exit status: 0 when the crawl ran and the broken links matched, 1 when they
did not, 2 when siteaudit (or linkchecker) could not run.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from generate_site import generate  # noqa: E402

AS_OF = "2026-11-26"


def _fail(msg: str, code: int = 2) -> NoReturn:
    print(f"benchmark: {msg}", file=sys.stderr)
    sys.exit(code)


def find_siteaudit() -> list[str]:
    """The console script next to this interpreter, else on PATH."""
    local = Path(sys.executable).with_name("siteaudit")
    if local.exists():
        return [str(local)]
    found = shutil.which("siteaudit")
    if found:
        return [found]
    _fail("the `siteaudit` command was not found; run `make setup` (pip install -e .) first")


def start_server(root: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "crawler.siteserver", str(root), "--port", "0"],
                            cwd=REPO, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip() if proc.stdout else ""
    if not line.startswith("http://"):
        proc.kill()
        _fail(f"the site server did not start (got {line!r})")
    return proc, line


class RssPoller:
    """Peak RSS of a process and all its descendants, sampled every 50 ms."""

    def __init__(self, pid: int, interval: float = 0.05):
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            import psutil
        except ImportError:
            return
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            total = 0
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                break
            for p in procs:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> RssPoller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_crawl(url: str, out: Path, a11y: bool, extra: list[str]) -> tuple[float, float, int, subprocess.CompletedProcess]:
    """(wall seconds, CPU seconds, peak RSS bytes, completed process) of one crawl."""
    import resource
    cmd = find_siteaudit() + ["crawl", url, "--out", str(out), "--as-of", AS_OF] + ([] if a11y else ["--no-a11y"])
    cmd += extra
    print("$ " + " ".join(cmd), file=sys.stderr)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with RssPoller(proc.pid) as poller:
        stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - t0
    # CPU of the crawler and its waited-for children only: the server is
    # still running, so its CPU is not in RUSAGE_CHILDREN yet.
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    done = subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)
    peak = poller.peak
    if not peak:  # psutil missing: fall back to the kernel's figure (KiB on Linux)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return seconds, cpu, peak, done


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def verify_links(findings: list[dict], expected: list[dict]) -> tuple[list, list]:
    """(missing, unexpected) link.* findings, compared by (page path, target path)."""
    def key(page: str, target: str) -> tuple[str, str]:
        return urlsplit(page).path or "/", urlsplit(target).path
    want = {key(e["page"], e["target"]) for e in expected}
    got = {key(f["url"], (f.get("detail") or {}).get("target", "")): f for f in findings
           if str(f.get("rule", "")).startswith("link.")}
    missing = sorted(want - set(got))
    unexpected = sorted((k, got[k]["rule"]) for k in set(got) - want)
    return missing, unexpected


def run_linkchecker(url: str, threads: int, work: Path, throttled: bool) -> float:
    exe = shutil.which("linkchecker")
    if not exe:
        _fail("linkchecker is not installed (Debian: apt-get install linkchecker)")
    cmd = [exe, "--check-extern", "-t", str(threads), "--no-status", "-o", "none", url]
    if not throttled:
        # By default LinkChecker averages ~3 requests/s per host
        # (maxrequestspersecond=10, "about a third of the maximum"); the
        # generated site sends the "LinkChecker" header that allows more.
        rc = work / "linkcheckerrc"
        rc.write_text("[checking]\nmaxrequestspersecond=1000\n", encoding="utf-8")
        cmd[1:1] = ["-f", str(rc)]
    print("$ " + " ".join(cmd), file=sys.stderr)
    t0 = time.perf_counter()
    # linkchecker exits 1 when it found broken links: that is expected here.
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode not in (0, 1):
        _fail(f"linkchecker failed (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--a11y", action="store_true", help="keep the accessibility check on (needs Chromium)")
    ap.add_argument("--linkchecker", action="store_true", help="also time linkchecker on the same site")
    ap.add_argument("--threads", type=int, default=16, help="linkchecker threads (-t)")
    ap.add_argument("--linkchecker-throttled", action="store_true",
                    help="keep LinkChecker's default 10 requests/s per host cap")
    ap.add_argument("--keep", type=Path, help="write site and audit here and keep them")
    ap.add_argument("--json", type=Path, help="also write the numbers to this JSON file")
    ap.add_argument("crawl_args", nargs=argparse.REMAINDER, help="after --: extra `siteaudit crawl` flags")
    args = ap.parse_args(argv)
    extra = [a for a in args.crawl_args if a != "--"]

    find_siteaudit()  # fail before generating anything
    work = args.keep or Path(tempfile.mkdtemp(prefix="siteaudit-bench-"))
    site, out = work / "site", work / "audit"
    if site.exists():
        shutil.rmtree(site)
    if out.exists():
        shutil.rmtree(out)
    t0 = time.perf_counter()
    info = generate(site, args.pages, args.seed)
    print(f"generated {info['pages']} pages ({len(info['broken'])} broken links) in "
          f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)

    server, base = start_server(site)
    result: dict = {"pages_generated": info["pages"], "as_of": AS_OF}
    status = 0
    try:
        seconds, cpu, peak, done = run_crawl(base + "/", out, args.a11y, extra)
        if done.returncode not in (0, 1) or not (out / "pages.jsonl").exists():
            tail = (done.stderr or "").strip().splitlines()[-15:]
            _fail(f"`siteaudit crawl` failed (exit {done.returncode}):\n  " + "\n  ".join(tail))
        pages = read_jsonl(out / "pages.jsonl")
        findings = read_jsonl(out / "findings.jsonl")
        html_pages = sum(1 for p in pages if str(p.get("content_type", "text/html")).startswith("text/html"))
        result.update({
            "pages": len(pages), "html_pages": html_pages, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
            "pages_per_s": round(len(pages) / seconds, 1) if seconds else 0.0,
            "peak_rss_mb": round(peak / 2**20, 1), "findings": len(findings),
        })
        print(f"siteaudit : {len(pages)} pages in {seconds:.1f} s = {result['pages_per_s']} pages/s, "
              f"CPU {cpu:.1f} s, peak RSS {result['peak_rss_mb']} MB, {len(findings)} findings")

        missing, unexpected = verify_links(findings, info["broken"])
        result.update({"broken_expected": len(info["broken"]), "broken_missing": len(missing),
                       "link_unexpected": len(unexpected)})
        if not missing and not unexpected:
            print(f"links     : OK, all {len(info['broken'])} planted broken links found, nothing else")
        else:
            status = 1
            print(f"links     : MISMATCH, {len(missing)} planted broken links not reported, "
                  f"{len(unexpected)} unexpected link findings")
            for page, target in missing[:10]:
                print(f"  missing    {page} -> {target}")
            for (page, target), rule in unexpected[:10]:
                print(f"  unexpected {rule} {page} -> {target}")
        if info["pages"] > len(pages):
            print(f"coverage  : only {len(pages)} of {info['pages']} pages crawled")

        if args.linkchecker:
            lc = run_linkchecker(base + "/", args.threads, work, args.linkchecker_throttled)
            lc_rate = info["pages"] / lc
            result.update({"linkchecker_seconds": round(lc, 2), "linkchecker_pages_per_s": round(lc_rate, 1),
                           "ratio": round(result["pages_per_s"] / lc_rate, 2) if lc_rate else None})
            cap = "default rate cap" if args.linkchecker_throttled else "rate cap lifted"
            print(f"linkchecker: ({cap}) {info['pages']} pages in {lc:.1f} s = {lc_rate:.1f} pages/s; "
                  f"siteaudit/linkchecker speed ratio {result['ratio']}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main())
