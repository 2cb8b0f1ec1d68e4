"""Benchmark of report.html at scale, issue 14: a 2,000-page audit with
20,000 findings, opened in headless Chromium; prints the median first
contentful paint and load time of N opens (target: under 2 s).

    .venv/bin/python bench/report_bench.py            # 5 opens
    .venv/bin/python bench/report_bench.py --runs 9

The audit is the synthetic one the report tests use
(tests/fixtures/reports/reports_synthetic.py: pages sharing broken targets
and missing fields, varied accessibility targets); the report is one
offline file, opened from disk.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "fixtures" / "reports")]

import printhelp  # noqa: E402
import reports_synthetic  # noqa: E402

from reports.html import write_html  # noqa: E402
from reports.run import load_run  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    if not printhelp.have_browser():
        sys.exit("需要 /usr/bin/chromium 與 /usr/bin/chromedriver（make setup）")
    with tempfile.TemporaryDirectory(prefix="siteaudit-report-bench-") as tmp:
        out = reports_synthetic.big_run(Path(tmp) / "big")
        path = write_html(load_run(out), out / "report.html")
        blank = Path(tmp) / "blank.html"
        blank.write_text("x", encoding="utf-8")
        browser = printhelp.Browser()
        try:
            runs = []
            for _ in range(args.runs):
                browser.open(blank)  # a fresh navigation each time
                browser.open(path)
                runs.append(browser.paint_ms())
        finally:
            browser.quit()
        size = path.stat().st_size / 1e6
    fcp = [r[0] for r in runs]
    load = [r[1] for r in runs]
    print(f"report.html, 20,000 findings ({size:.1f} MB), {args.runs} opens: "
          f"first-contentful-paint median {statistics.median(fcp):.0f} ms (min {min(fcp):.0f}, max {max(fcp):.0f}), "
          f"load median {statistics.median(load):.0f} ms (min {min(load):.0f}, max {max(load):.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
