"""Benchmark of the accessibility runner (crawler/a11y.py), issue 4.

Generates N government-like pages (20-40 KB each: a large shared mega-menu,
breadcrumbs, a news table, images, a footer, one shared stylesheet), serves
them on 127.0.0.1, and audits them with 1 and 2 browsers, then again from the
content cache.  Prints pages/s.  No network beyond loopback.

    .venv/bin/python bench/a11y_bench.py --pages 200
    .venv/bin/python bench/a11y_bench.py --pages 60 --variants   # compare runner options
    .venv/bin/python bench/a11y_bench.py --pages 200 --write-site /tmp/site  # pages only
    .venv/bin/python bench/a11y_bench.py --pages 100 --browsers 1            # one configuration

The runner is confined as in a crawl (allowed host 127.0.0.1, DevTools
interception on), collects CSS font sizes, and the cached pass re-checks the
shared stylesheet and script with one GET each.
"""
from __future__ import annotations

import argparse
import hashlib
import http.server
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.a11y import A11yRunner, axe_version, browser_version  # noqa: E402

CSS = """
body{font-family:"Microsoft JhengHei",sans-serif;margin:0;color:#222;background:#fff}
header{background:#00467f;color:#fff;padding:8px 16px}
header a{color:#fff}
nav.mega ul{list-style:none;margin:0;padding:0}
nav.mega>ul>li{display:inline-block;vertical-align:top;width:180px;margin:4px}
nav.mega li li a{font-size:14px;color:#0b5394}
.breadcrumb{font-size:13px;color:#555;padding:6px 16px}
main{padding:16px;max-width:1100px}
table{border-collapse:collapse;width:100%}
td,th{border:1px solid #ccc;padding:4px}
.note{color:#999}
footer{background:#eee;padding:12px 16px;font-size:13px}
"""

UNITS = ["秘書室", "第一課", "第二課", "第三課", "檢驗課", "人事室", "會計室", "政風室"]
TOPICS = ["公告", "新聞稿", "檢驗業務", "商品安全", "度量衡", "標準", "法規", "便民服務",
          "政府資訊公開", "採購資訊", "活動訊息", "常見問答"]


def _menu(rng: random.Random) -> str:
    # The shared mega-menu: 12 columns x 20 links, the same on every page.
    cols = []
    for i, topic in enumerate(TOPICS):
        links = "".join(
            f'<li><a href="/s{i}/p{j}.html" title="{topic}項目{j}">{topic}項目{j}</a></li>' for j in range(20))
        cols.append(f'<li><a href="/s{i}/index.html">{topic}</a><ul>{links}</ul></li>')
    return f'<nav class="mega" aria-label="主選單"><ul>{"".join(cols)}</ul></nav>'


def make_page(n: int, menu: str, rng: random.Random) -> str:
    topic = TOPICS[n % len(TOPICS)]
    rows = "".join(
        f"<tr><td>{113 + k % 3}-{1 + k % 12:02d}-{1 + k % 28:02d}</td>"
        f'<td><a href="/news/{n}-{k}.html">{topic}第{k}則：有關商品檢驗申請作業之說明與公告事項</a></td>'
        f"<td>{UNITS[k % len(UNITS)]}</td></tr>"
        for k in range(rng.randint(15, 45)))
    paras = "".join(
        f"<p>本分局為落實{topic}相關業務，依據相關法規辦理各項檢驗、登記及監督工作，"
        f"民眾如有疑問，請洽{UNITS[(n + k) % len(UNITS)]}，電話 (02)2345-67{k:02d}。</p>"
        for k in range(rng.randint(3, 8)))
    # Realistic defects on some pages, so axe has violations to report.
    imgs = "".join(
        f'<img src="/img/{n}-{k}.jpg"' + ("" if (n + k) % 3 == 0 else f' alt="活動照片{k}"') + ">"
        for k in range(4))
    form = ('<form action="/search"><input type="text" name="q"><button>搜尋</button></form>'
            if n % 2 else '<form action="/search"><label for="q">搜尋</label>'
                          '<input id="q" type="text" name="q"><button>搜尋</button></form>')
    return f"""<!DOCTYPE html>
<html lang="zh-Hant-TW"><head><meta charset="utf-8"><title>{topic} - 第{n}頁 - 標準檢驗局基隆分局</title>
<meta name="DC.Title" content="{topic}"><meta name="DC.Date" content="2024-05-0{1 + n % 9}">
<link rel="stylesheet" href="/site.css"><link rel="icon" href="/favicon.ico">
<script src="/site.js"></script></head>
<body>
<header><a href="#main">跳到主要內容</a> <a href="/">經濟部標準檢驗局基隆分局</a>
<img src="/img/logo.png" alt="標準檢驗局"></header>
{menu}
<div class="breadcrumb"><a href="/">首頁</a> &gt; <a href="/s{n % 12}/index.html">{topic}</a> &gt; 第{n}頁</div>
<main id="main"><h1>{topic}第{n}頁</h1>
{form}
{paras}
<div class="gallery">{imgs}</div>
<table><caption>{topic}列表</caption><thead><tr><th>日期</th><th>標題</th><th>單位</th></tr></thead>
<tbody>{rows}</tbody></table>
<p class="note">更新日期：113-05-{1 + n % 28:02d}</p>
</main>
<footer><p>地址：基隆市中正區 電話：(02)2345-6789</p><a href="/privacy.html">隱私權政策</a>
<a href="/security.html">資訊安全政策</a><a href="/open.html">政府網站資料開放宣告</a></footer>
</body></html>"""


def build_site(n: int) -> dict[str, bytes]:
    rng = random.Random(4)
    menu = _menu(rng)
    site = {f"/p{i}.html": make_page(i, menu, rng).encode("utf-8") for i in range(n)}
    site["/site.css"] = CSS.encode()
    site["/site.js"] = b"document.documentElement.className+=' js';"
    return site


def serve(site: dict[str, bytes]) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802
            body = site.get(self.path.split("?")[0])
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            ctype = ("text/css" if self.path.endswith(".css") else
                     "text/javascript" if self.path.endswith(".js") else "text/html; charset=utf-8")
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_port}"


def run(base: str, site: dict[str, bytes], cache: Path | None, **kw) -> tuple[float, dict, int]:
    pages = [p for p in site if p.endswith(".html")]
    t0 = time.monotonic()
    runner = A11yRunner(cache_path=cache, allowed_hosts=["127.0.0.1"], **kw)
    for p in pages:
        runner.submit(base + p, hashlib.sha256(site[p]).hexdigest())
    out = runner.finish()
    secs = time.monotonic() - t0
    violations = sum(len(r["violations"]) for r in out.results.values())
    sizes = sum(len(r["css"]["absolute_font_sizes"]) for r in out.results.values())
    out.stats["font_sizes"] = sizes
    if out.failures:
        print(f"  failures: {len(out.failures)} e.g. {out.failures[0]}")
    return secs, out.stats, violations


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--variants", action="store_true", help="compare preload/strategy/blocking options")
    ap.add_argument("--write-site", metavar="DIR", help="write the generated pages to DIR and exit")
    ap.add_argument("--browsers", type=int, choices=(1, 2), help="only this many browsers, no cached pass")
    args = ap.parse_args()

    site = build_site(args.pages)
    if args.write_site:
        for path, body in site.items():
            dest = Path(args.write_site) / path.lstrip("/")
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(body)
        print(f"wrote {len(site)} files to {args.write_site}")
        return
    print(f"{os.cpu_count()} CPUs, load average at start {os.getloadavg()[0]:.1f}")
    sizes = [len(b) for p, b in site.items() if p.endswith(".html")]
    print(f"axe-core {axe_version()}, {browser_version()}; {args.pages} pages, "
          f"{min(sizes) // 1024}-{max(sizes) // 1024} KB (mean {sum(sizes) // len(sizes) // 1024} KB)")
    srv, base = serve(site)
    try:
        if args.variants:
            for label, kw in [
                ("preload+eager+block", dict(preload=True, page_load_strategy="eager", block_resources=True)),
                ("inject+eager+block", dict(preload=False, page_load_strategy="eager", block_resources=True)),
                ("preload+normal+block", dict(preload=True, page_load_strategy="normal", block_resources=True)),
                ("preload+eager+noblock", dict(preload=True, page_load_strategy="eager", block_resources=False)),
                ("inject+normal+noblock", dict(preload=False, page_load_strategy="normal", block_resources=False)),
            ]:
                secs, stats, _ = run(base, site, None, browsers=2, **kw)
                print(f"{label:24s} 2 browsers: {secs:6.1f} s  {args.pages / secs:5.2f} pages/s"
                      f"  browser CPU {stats['browser_cpu'] / args.pages:.2f} s/page  load {os.getloadavg()[0]:.1f}")
            return
        if args.browsers:
            secs, stats, v = run(base, site, None, browsers=args.browsers)
            print(f"{args.browsers} browser(s): {secs:6.1f} s  {args.pages / secs:5.2f} pages/s"
                  f"  browser CPU {stats['browser_cpu'] / args.pages:.3f} s/page  load avg {os.getloadavg()[0]:.1f}")
            return
        with tempfile.TemporaryDirectory() as tmp:
            cache = Path(tmp) / "a11y-cache.sqlite"
            for n in (1, 2):
                secs, stats, v = run(base, site, cache if n == 2 else None, browsers=n)
                print(f"{n} browser{'s' if n > 1 else ' '}: {secs:6.1f} s  {args.pages / secs:5.2f} pages/s"
                      f"  browser CPU {stats['browser_cpu'] / args.pages:.2f} s/page"
                      f"  load avg {os.getloadavg()[0]:.1f}  (violations {v}, stats {stats})")
            secs, stats, v = run(base, site, cache, browsers=2)
            print(f"cached   : {secs:6.2f} s  {args.pages / secs:7.1f} pages/s  (stats {stats})")
    finally:
        srv.shutdown()


if __name__ == "__main__":
    main()
