"""Generates an N-page government-style site for the crawl benchmark.

Role: the input of `bench/benchmark.py` (issue 3: a monthly crawl of a real
branch site, ~2,000 pages, must finish quickly).  Pages look like the real
thing where it costs the crawler: 20–40 KB each, a ~150-link shared menu,
header/footer/breadcrumb, Chinese body text, attachment links, the full
詮釋資料 block (SPEC "Rules in detail / Metadata") and a visible 更新日期.

Every page is reachable from `/` (home → section index → page, plus a
"下一則" chain), `sitemap.xml` lists every page with `<lastmod>`, and about
one page in a hundred links to a missing target; those are written to
`_expected_broken.json` so the benchmark can check the crawl found exactly
them.  Output is deterministic for a given (pages, seed).

    python bench/generate_site.py OUT_DIR [--pages 2000] [--seed 1]
"""
from __future__ import annotations

import argparse
import json
import random
import struct
import sys
import time
import zlib
from datetime import date, timedelta
from pathlib import Path

# A script of the project (python bench/generate_site.py): the document maker
# lives in tools/, beside the sample site's builder.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools.sampledocs import odf_bytes, pdf_bytes  # noqa: E402

SITE = "標準檢驗局基準分局"  # fictional
AGENCY = "經濟部標準檢驗局基準分局"
MENU_LINKS = 150
BROKEN_EVERY = 100  # one page in BROKEN_EVERY links to a missing target
ATTACHMENTS = 150  # a shared pool of (pdf, odt) pairs: 300 real documents, each read once per run

SECTION_NAMES = [
    ("about", "分局簡介"), ("news", "最新消息"), ("inspection", "檢驗業務"), ("measurement", "度量衡業務"),
    ("certification", "驗證業務"), ("law", "法規資訊"), ("download", "書表下載"), ("open", "資訊公開"),
    ("service", "便民服務"), ("faq", "常見問答"), ("stats", "統計資料"), ("events", "活動訊息"),
]

_WORDS = ["商品", "檢驗", "度量衡", "驗證", "登錄", "報驗", "申請", "業者", "消費者", "安全", "標章", "檢定", "衡器", "計費表", "瓦斯表", "市場", "監督", "抽查", "公告", "規定", "辦理", "本分局", "民眾", "服務", "受理", "時程", "說明會", "輸入", "產製", "合格", "不合格", "改正", "限期", "規費", "書表", "下載", "作業", "流程", "窗口", "聯絡", "電話", "港區", "工業區", "品質", "標準", "國家", "法規", "施行細則", "要點", "資訊", "公開", "預算", "採購", "統計", "宣導", "活動", "報名", "線上", "系統", "維護", "查詢", "進度", "案件", "證書", "核發", "註銷", "型式認可", "逐批", "監視", "查驗"]
_PUNCT = "，，，、。"


def _sentences(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        k = rng.randint(8, 22)
        s = "".join(rng.choice(_WORDS) + (rng.choice(_PUNCT) if rng.random() < 0.25 else "") for _ in range(k))
        out.append(s.rstrip("，、。") + "。")
    return out


def _png(rgb: tuple[int, int, int]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes(rgb) * 4 for _ in range(4))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _meta(title: str, section: str, dc_date: str, path: str) -> str:
    fields = [
        ("DC.Title", f"{SITE}-{title}"), ("DC.Creator", f"{AGENCY}{section}"), ("DC.Subject", title),
        ("DC.Description", f"{title}相關資訊"), ("DC.Contributor", f"{AGENCY}{section}"), ("DC.Type", "網頁"),
        ("DC.Format", "text/html"), ("DC.Source", AGENCY), ("DC.Language", "中文"),
        ("DC.coverage.t.min", dc_date), ("DC.coverage.t.max", "2030-12-31"), ("DC.Publisher", AGENCY),
        ("DC.Date", dc_date), ("DC.Identifier", "A15999901Z"), ("DC.Relation", path), ("DC.Rights", AGENCY),
        ("Category.Theme", "610"), ("Category.Cake", "812"), ("Category.Service", "I00"),
        ("Keywords", f"{SITE},{section}"),
    ]
    return "\n".join(f'<meta name="{k}" content="{v}">' for k, v in fields)


def generate(out: Path, pages: int = 2000, seed: int = 1) -> dict:
    """Write the site into `out`; return {"pages", "broken", "files"}."""
    if pages < 2:
        raise ValueError("need at least 2 pages")
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    nsec = min(len(SECTION_NAMES), max(1, pages // 20))
    sections = SECTION_NAMES[:nsec]

    # Page list: home, one index per section, then content pages round-robin.
    paths: list[tuple[str, str, str]] = [("/", "首頁", "")]  # (url path, title, section slug)
    paths += [(f"/{slug}/", name, slug) for slug, name in sections]
    n_content = max(0, pages - len(paths))
    per_section: dict[str, list[int]] = {slug: [] for slug, _ in sections}
    for i in range(n_content):
        slug = sections[i % nsec][0]
        per_section[slug].append(len(paths))
        paths.append((f"/{slug}/p{i + 1:05d}.html", "", slug))
    paths = paths[:pages]
    sentences = _sentences(rng, 600)
    names = dict(sections)
    for idx, (p, t, slug) in enumerate(paths):
        if not t:
            paths[idx] = (p, f"{names[slug]}第{idx}號公告：{rng.choice(_WORDS)}{rng.choice(_WORDS)}作業說明", slug)

    # The shared menu: section indexes first, then a deterministic sample of pages.
    menu_targets = [p for p in paths[1:1 + nsec]]
    rest = paths[1 + nsec:]
    menu_targets += rng.sample(rest, min(len(rest), MENU_LINKS - len(menu_targets)))
    menu = ['<nav class="mainmenu" aria-label="主選單"><ul>']
    for p, t, _ in menu_targets:
        menu.append(f'<li><a href="{p}">{t}</a></li>')
    menu.append("</ul></nav>")
    menu_html = "\n".join(menu)
    footer = (f'<footer id="footer"><a href="#Z" accesskey="Z" id="Z" title="下方功能區塊">:::</a>'
              f'<ul class="policy"><li><a href="/">回首頁</a></li><li><a href="/sitemap.xml">網站地圖</a></li></ul>'
              f"<p>{AGENCY}　地址：20299 示範市中正區港東街2號　電話：(02)2000-1000</p>"
              f"<p>服務時間：週一至週五 上午8時30分至下午5時30分</p>"
              f'<p><img src="/images/badge.png" alt="通過AA等級無障礙網頁檢測" width="88" height="31"></p></footer>')

    files = 0
    # Attachments shared by all pages (pdf + odt: no attachment.no-odf noise),
    # real documents with their own title, subject and author, so the crawl
    # reads them and finds nothing wrong (zero false alarms).
    (out / "files").mkdir(exist_ok=True)
    for a in range(ATTACHMENTS):
        title, subject = f"申請表 {a:03d}", "申請書表"
        (out / "files" / f"form{a:03d}.pdf").write_bytes(
            pdf_bytes(title=title, subject=subject, creator=AGENCY, text=f"Form {a:03d}"))
        (out / "files" / f"form{a:03d}.odt").write_bytes(
            odf_bytes("odt", title=title, subject=subject, creator=AGENCY, body=title))
        files += 2
    (out / "images").mkdir(exist_ok=True)
    (out / "images" / "logo.png").write_bytes(_png((0, 70, 140)))
    (out / "images" / "badge.png").write_bytes(_png((0, 120, 60)))
    files += 2

    as_of = date(2026, 11, 26)
    broken: list[dict] = []
    lastmods: list[tuple[str, str]] = []
    for idx, (path, title, slug) in enumerate(paths):
        body: list[str] = []
        if idx == 0:  # home: every section index
            body.append("<ul>" + "".join(f'<li><a href="/{s}/">{n}</a></li>' for s, n in sections) + "</ul>")
        elif path.endswith("/"):  # section index: every page of the section
            items = [paths[j] for j in per_section[slug] if j < len(paths)]
            body.append("<ul>" + "".join(f'<li><a href="{p}">{t}</a></li>' for p, t, _ in items) + "</ul>")
        target_kb = rng.randint(6, 18)  # body text; layout + menu add ~18 KB
        size = 0
        while size < target_kb * 1024:
            para = "".join(rng.choice(sentences) for _ in range(rng.randint(3, 8)))
            body.append(f"<p>{para}</p>")
            size += len(para) * 3
        a = rng.randrange(ATTACHMENTS)
        body.append(f'<p>附件：<a href="/files/form{a:03d}.pdf">申請表（PDF）</a>　'
                    f'<a href="/files/form{a:03d}.odt">申請表（ODT）</a></p>')
        # Internal links: the 下一則 chain keeps the graph connected even when a
        # section index is cut by `pages`; two random links make it a web.
        nxt = paths[(idx + 1) % len(paths)][0]
        extra = rng.sample(paths, 2)
        body.append(f'<p><a href="{nxt}">下一則</a>　相關連結：<a href="{extra[0][0]}">{extra[0][1]}</a>、'
                    f'<a href="{extra[1][0]}">{extra[1][1]}</a></p>')
        if idx % BROKEN_EVERY == BROKEN_EVERY // 2:
            target = f"/files/removed-{idx:05d}.pdf" if (idx // BROKEN_EVERY) % 2 == 0 else f"/{slug or 'news'}/gone-{idx:05d}.html"
            body.append(f'<p>舊版資料：<a href="{target}">已移除之附件</a></p>')
            broken.append({"page": path, "target": target})
        modified = as_of - timedelta(days=rng.randint(0, 200))
        roc = f"{modified.year - 1911}-{modified.month:02d}-{modified.day:02d}"
        lastmods.append((path, modified.isoformat()))
        crumbs = '<li><a href="/">首頁</a></li>'
        if slug:
            crumbs += f'<li><a href="/{slug}/">{names[slug]}</a></li>'
        html = f"""<!DOCTYPE html>
<html lang="zh-Hant-TW">
<head>
<meta charset="utf-8">
<title>{title} - {SITE}</title>
{_meta(title, names.get(slug, "秘書課"), "2009-09-09", path)}
<link rel="icon" href="/images/logo.png">
</head>
<body>
<a href="#C" class="skip">跳到主要內容區塊</a>
<header><a href="#U" accesskey="U" id="U" title="上方功能區塊">:::</a>
<p class="logo"><a href="/"><img src="/images/logo.png" alt="{AGENCY}（回首頁）"></a></p>
{menu_html}
</header>
<nav class="breadcrumb" aria-label="導覽路徑"><ol>{crumbs}<li>{title}</li></ol></nav>
<main><a href="#C" accesskey="C" id="C" title="中央內容區塊">:::</a>
<h1>{title}</h1>
{"".join(body)}
<p class="updated">更新日期：{roc}</p>
</main>
{footer}
</body>
</html>
"""
        fs = out / (path.lstrip("/") + ("index.html" if path.endswith("/") else ""))
        fs.parent.mkdir(parents=True, exist_ok=True)
        fs.write_text(html, encoding="utf-8")
        files += 1

    urls = "\n".join(f"<url><loc>{{{{base_url}}}}{p}</loc><lastmod>{lm}</lastmod></url>" for p, lm in lastmods)
    (out / "sitemap.xml").write_text('<?xml version="1.0" encoding="UTF-8"?>\n'
                                     '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                                     f"{urls}\n</urlset>\n", encoding="utf-8")
    (out / "robots.txt").write_text("User-agent: *\nDisallow: /admin/\nSitemap: {{base_url}}/sitemap.xml\n",
                                    encoding="utf-8")
    routes = {
        # LinkChecker caps itself at 10 requests/s per host unless the server
        # sends this header; the benchmark lifts the cap for a fair comparison.
        "_defaults": {"headers": {"LinkChecker": "benchmark"}},
        "/sitemap.xml": {"substitute": True, "headers": {"LinkChecker": "benchmark"}},
        "/robots.txt": {"substitute": True, "headers": {"LinkChecker": "benchmark"}},
    }
    (out / "_routes.json").write_text(json.dumps(routes), encoding="utf-8")
    (out / "_expected_broken.json").write_text(json.dumps(broken, ensure_ascii=False, indent=1), encoding="utf-8")
    return {"pages": len(paths), "broken": broken, "files": files + 2}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    t = time.perf_counter()
    info = generate(args.out, args.pages, args.seed)
    print(f"{info['pages']} pages, {len(info['broken'])} broken links -> {args.out} "
          f"({time.perf_counter() - t:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
