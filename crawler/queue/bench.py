"""Measures one process against a coordinator plus workers (docs/scale-out.md
table; issue 16 "Docs": pages/s and peak memory per process).

    python -m crawler.queue.bench --pages 1000 --runs 3 [--a11y] [--workers 2] [--browsers N]

Generates a site with bench/generate_site.py (pages and their documents),
serves it on loopback, then for each run audits it once with
`siteaudit crawl` and once with `siteaudit crawl --queue …` plus `--workers`
`siteaudit worker`s (started beforehand, as a service would be; with
`--browsers N` each queued process has N browsers — the workers' flag, the
coordinator's `[accessibility] browsers` — and the one process keeps the default 2),
alternating the order run by run so that
the machine's other load falls on both alike.  While each audit runs, the memory
(PSS) of every process is sampled every 0.5 s: the crawler processes and,
apart, the browsers under each.  CPU: the crawler processes' (from
getrusage) and the browsers' (the runner's own count, run.json).  Prints one JSON line per audit and a median summary.
Fresh output and accessibility caches every time (no cache hits).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from crawler.queue.redisserver import LocalRedis
from crawler.siteserver import serve

ROOT = Path(__file__).resolve().parent.parent.parent


class Sampler(threading.Thread):
    """Peak memory (MiB) per named process, and of the browsers under it.

    PSS, not RSS: Chromium's processes share most of their pages, and RSS
    summed over them counts the shared ones once per process."""

    def __init__(self, procs: dict[str, int]):
        super().__init__(daemon=True)
        self.procs = procs
        self.peak: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for name, pid in list(self.procs.items()):
                try:
                    p = psutil.Process(pid)
                    kids = p.children(recursive=True)
                except psutil.Error:
                    continue
                py = [p] + [k for k in kids if _is_python(k)]
                browsers = [k for k in kids if not _is_python(k)]
                for label, group in ((name, py), (f"{name}:browsers", browsers)):
                    total = 0.0
                    for q in group:
                        with contextlib.suppress(psutil.Error):
                            total += q.memory_full_info().pss
                    self.peak[label] = max(self.peak.get(label, 0.0), total / 2**20)
            self.stop.wait(0.5)


def _is_python(p: psutil.Process) -> bool:
    try:
        return "python" in p.name()
    except psutil.Error:
        return False


def _generate(root: Path, pages: int) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from generate_site import generate
    finally:
        sys.path.pop(0)
    generate(root, pages=pages, seed=1)


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **(extra or {})}


def _cpu_children() -> float:
    """CPU seconds of every waited-for descendant (a worker waits for its node, Chromium's driver for it)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _audit(cmd: list[str], out: Path, procs: dict[str, int], env: dict[str, str]) -> dict[str, Any]:
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    sampler = Sampler({**procs, "coordinator": p.pid})
    sampler.start()
    try:
        _, err = p.communicate()
    except BaseException:
        p.terminate()
        p.wait(60)
        raise
    wall = time.monotonic() - t0
    sampler.stop.set()
    sampler.join()
    run = json.loads((out / "run.json").read_text(encoding="utf-8")) if (out / "run.json").exists() else {}
    if p.returncode != 0:
        print(err[-2000:], file=sys.stderr)
    stats = run.get("a11y", {}).get("stats") or {}
    return {"code": p.returncode, "wall": round(wall, 2), "pages": run.get("pages"),
            "documents": (run.get("documents") or {}).get("count"),
            "crawl_s": run.get("seconds", {}).get("crawl"), "browser_cpu_s": stats.get("browser_cpu"),
            "opened": stats.get("opened"), "pss_mib": {k: round(v) for k, v in sampler.peak.items()}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m crawler.queue.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--a11y", action="store_true")
    ap.add_argument("--browsers", type=int, help="browsers per process in the queued run (default: the config's 2)")
    ap.add_argument("--keep", action="store_true", help="keep the site and the audits (printed path)")
    args = ap.parse_args(argv)
    # SIGTERM ends the benchmark through the context managers: the servers it started stop.
    signal.signal(signal.SIGTERM, _terminated)
    try:
        return _run(args)
    except Terminated:
        return 1


class Terminated(Exception):
    """SIGTERM: unwinds the benchmark so that what it started is stopped."""


def _terminated(signum: int, frame: Any) -> None:
    raise Terminated()


def _run(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="siteaudit-qbench-"))
    _generate(work / "site", args.pages)
    a11y = [] if args.a11y else ["--no-a11y"]
    config: list[str] = []
    if args.browsers:
        (work / "site.toml").write_text(f"[accessibility]\nbrowsers = {args.browsers}\n", encoding="utf-8")
        config = ["--config", str(work / "site.toml")]
    results: dict[str, list[dict[str, Any]]] = {"one": [], "queued": []}
    with serve(work / "site") as site, LocalRedis() as redis:
        for i in range(args.runs):
            order = ("one", "queued") if i % 2 == 0 else ("queued", "one")
            for kind in order:
                out = work / f"{kind}{i}"
                # fresh caches every time (next to the history): no document or axe result reused
                common = [site.url("/"), "--out", str(out), "--history", str(work / f"{kind}{i}-h" / "h.sqlite"),
                          "--as-of", "2026-11-26", "--quiet", *a11y]
                cpu0 = _cpu_children()
                if kind == "one":
                    res = _audit([sys.executable, "-m", "crawler.cli", "crawl", *common], out, {}, _env())
                else:
                    redis.client().flushdb()  # no accessibility result or document reading shared from before
                    workers = []
                    for n in range(args.workers):
                        env = _env({"XDG_CACHE_HOME": str(work / f"machine{i}-{n}")})  # the machine's own caches
                        cmd = [sys.executable, "-m", "crawler.cli", "worker", "--queue", redis.url, *a11y]
                        if args.browsers:
                            cmd += ["--browsers", str(args.browsers)]
                        workers.append(subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True,
                                                        stderr=subprocess.DEVNULL))
                    time.sleep(3)  # workers waiting, as a service would be
                    cmd = [sys.executable, "-m", "crawler.cli", "crawl", "--queue", redis.url, *common, *config]
                    try:
                        res = _audit(cmd, out, {f"worker{n}": w.pid for n, w in enumerate(workers)}, _env())
                    finally:
                        for w in workers:
                            w.send_signal(signal.SIGTERM)
                        for w in workers:
                            try:
                                w.wait(60)
                            except subprocess.TimeoutExpired:
                                os.killpg(w.pid, signal.SIGKILL)
                res["cpu_s"] = round(_cpu_children() - cpu0, 1)  # all processes of the audit, workers included
                res["kind"], res["run"] = kind, i
                res["pages_per_s"] = round((res["pages"] or 0) / res["wall"], 2)
                results[kind].append(res)
                print(json.dumps(res, ensure_ascii=False), flush=True)
    summary = {}
    for kind, rs in results.items():
        ok = [r for r in rs if r["code"] == 0]
        if not ok:
            continue
        rss_keys = sorted({k for r in ok for k in r["pss_mib"]})
        summary[kind] = {
            "runs": len(ok), "wall_median": statistics.median(r["wall"] for r in ok),
            "pages_per_s_median": statistics.median(r["pages_per_s"] for r in ok),
            "crawl_s_median": statistics.median(r["crawl_s"] or 0 for r in ok),
            "cpu_s_median": statistics.median(r["cpu_s"] for r in ok),
            "browser_cpu_s_median": statistics.median(r["browser_cpu_s"] or 0 for r in ok),
            "pss_mib_median": {k: statistics.median(r["pss_mib"].get(k, 0) for r in ok) for k in rss_keys},
        }
    print(json.dumps({"pages": args.pages, "a11y": args.a11y, "workers": args.workers, "summary": summary},
                     ensure_ascii=False, indent=1))
    if args.keep:
        print(work, file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
