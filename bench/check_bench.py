"""Benchmark of the publish gate: `siteaudit check` on 20 local pages with
accessibility, cold (an empty cache) and warm (the same root again), issue 9.

    .venv/bin/python bench/check_bench.py            # 5 runs of each, medians
    .venv/bin/python bench/check_bench.py --runs 9

Each run is the whole command (`siteaudit check DIR --format json`), as a
pre-commit hook or a CI job would start it: Python, the loopback server of
the document root, Chromium and axe included.  Nothing leaves 127.0.0.1.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PAGE = """<!doctype html>
<html lang="zh-Hant"><head><meta charset="utf-8"><title>頁{i}</title>
<link rel="stylesheet" href="/css/site.css"></head>
<body><header><a href="index.html">首頁</a></header>
<main><h1>頁{i}</h1><p>本分局公告事項第 {i} 則。</p>
<ul>{links}</ul></main><footer>更新日期：115-11-{day:02d}</footer></body></html>
"""


def write_site(root: Path, pages: int) -> None:
    (root / "css").mkdir(parents=True)
    (root / "css" / "site.css").write_text("body{font-family:sans-serif;color:#222;background:#fff}\n", "utf-8")
    for i in range(pages):
        links = "".join(f'<li><a href="p{j}.html">第 {j} 頁</a></li>' for j in range(pages) if j != i)
        name = "index.html" if i == 0 else f"p{i}.html"
        (root / name).write_text(PAGE.format(i=i, links=links, day=1 + i % 28), "utf-8")


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.monotonic()
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if res.returncode not in (0, 1):
        sys.exit(f"check 失敗（結束代碼 {res.returncode}）：{res.stderr.strip()}")
    return time.monotonic() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    exe = str(Path(sys.executable).with_name("siteaudit"))
    with tempfile.TemporaryDirectory(prefix="siteaudit-check-bench-") as tmp:
        root = Path(tmp) / "site"
        write_site(root, args.pages)
        cache = Path(tmp) / "cache"
        env = {**os.environ, "SITEAUDIT_CACHE_DIR": str(cache)}
        cmd = [exe, "check", str(root), "--format", "json"]
        cold, warm = [], []
        for _ in range(args.runs):
            shutil.rmtree(cache, ignore_errors=True)
            cold.append(timed(cmd, env))
            warm.append(timed(cmd, env))
    for name, xs in (("cold", cold), ("warm", warm)):
        print(f"{args.pages} pages, {name}: median {statistics.median(xs):.2f} s "
              f"(min {min(xs):.2f}, max {max(xs):.2f}, {len(xs)} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
