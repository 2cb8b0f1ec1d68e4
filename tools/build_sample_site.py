"""Builds `sample_site/`: the bundled sample branch website and its defect manifest.

Role: the one source of the demo site served by `siteaudit demo` (SPEC
"Command line: demo") and crawled by the tests.  The site is a fictional
「標準檢驗局示範分局」 laid out like a real Taiwanese government site (':::'
accesskeys, big shared menu, breadcrumb, 網站導覽, full 詮釋資料), with one
realistic example of every defect SPEC "Finding / Rules in detail" names.

Generating rather than hand-editing ~45 pages keeps the shared menu and the
metadata block identical everywhere, and writes `_expected.json` from the same
lines that plant each defect, so the manifest cannot drift from the pages.
The output is committed; `tests/test_sample_site.py` rebuilds it into a temp
dir and fails when the committed copy differs.

    python tools/build_sample_site.py [OUT_DIR]     # default: sample_site/
"""
from __future__ import annotations

import io
import json
import struct
import sys
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

# A script of the project (python tools/build_sample_site.py): the document
# maker sits beside it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools import sampledocs  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-26"  # the demo's as-of date; every "fresh"/"stale" below is relative to it

SITE_NAME = "標準檢驗局示範分局"
AGENCY = "經濟部標準檢驗局示範分局"  # fictional: no real branch has this name
AGENCY_CODE = "A15999900Z"  # fictional 機關代碼 (10 characters, like 355000000I)
ADDRESS = "20299 示範市中正區港西街1號"
PHONE = "(02)2000-0000"
FAX = "(02)2000-0001"
HOURS = "週一至週五 上午8時30分至下午5時30分（中午不休息）"
TEMPLATE_DATE = "2009-09-09"  # the CMS template DC.Date copied onto most pages (metadata.frozen)
# The footer's 更新日期, the same template date on every page (freshness.frozen):
# pages are judged by their own dates, and those without one fall back to
# their next source (meta, sitemap, Last-Modified, 發布日期).
FOOTER_DATE = "2016-02-16"
# The agency's own offices that are not units of the 權責劃分表: citing them
# needs no link ([site] own_names).
OWN_NAMES = ["港區檢驗站", "行動服務站"]

# 網頁資料維護及更新權責劃分表 of the sample site (also written to _site.toml).
SECTIONS = [
    ("/about/", "分局簡介", "秘書課"),
    ("/news/", "最新消息", "秘書課"),
    ("/business/inspection/", "檢驗業務", "第一課"),
    ("/business/measurement/", "度量衡業務", "第二課"),
    ("/business/certification/", "驗證業務", "第三課"),
    ("/business/", "業務資訊", "秘書課"),
    ("/law/", "法規資訊", "秘書課"),
    ("/download/", "書表下載", "秘書課"),
    ("/open/", "資訊公開", "會計室"),
    ("/service/", "線上服務", "資訊室"),
    ("/calendar/", "活動行事曆", "秘書課"),
]


def unit_for(path: str) -> str:
    best = ("", "秘書課")
    for prefix, _, unit in SECTIONS:
        if path.startswith(prefix) and len(prefix) > len(best[0]):
            best = (prefix, unit)
    return best[1]


# --------------------------------------------------------------------------
# shared layout
# --------------------------------------------------------------------------
MENU = [
    ("分局簡介", "/about/", [
        ("分局簡介", "/about/"), ("沿革", "/about/history.html"), ("組織架構", "/about/organization.html"),
        ("分局長的話", "/about/director.html"), ("交通位置", "/about/location.html"), ("聯絡我們", "/about/contact.html"),
    ]),
    ("最新消息", "/news/", [("最新消息", "/news/"), ("活動行事曆", "/calendar/")]),
    ("業務資訊", "/business/", [
        ("業務資訊總覽", "/business/"),
        ("檢驗業務", "/business/inspection/"), ("應施檢驗商品", "/business/inspection/commodity.html"),
        ("報驗流程", "/business/inspection/procedure.html"), ("規費收費標準", "/business/inspection/fees.html"),
        ("檢驗常見問答", "/business/inspection/faq.html"),
        ("港區查驗統計", "/business/inspection/port-statistics.html"),
        ("度量衡業務", "/business/measurement/"), ("計量器檢定", "/business/measurement/meters.html"),
        ("計程車計費表", "/business/measurement/taxi.html"), ("衡器檢定", "/business/measurement/scales.html"),
        ("瓦斯表檢定", "/business/measurement/gas.html"),
        ("驗證業務", "/business/certification/"), ("驗證登錄", "/business/certification/vpc.html"),
        ("商品安全標章", "/business/certification/marks.html"), ("驗證統計", "/business/certification/statistics.html"),
    ]),
    ("法規資訊", "/law/", [("法規資訊", "/law/"), ("分局作業要點", "/law/regulations.html")]),
    ("書表下載", "/download/", [("書表下載", "/download/")]),
    ("資訊公開", "/open/", [
        ("資訊公開", "/open/"), ("預算及決算書", "/open/budget.html"), ("採購資訊", "/open/procurement.html"),
        ("政府網站資料開放宣告", "/open/data.html"),
    ]),
    ("線上服務", "/service/", [("線上服務", "/service/")]),
]
FOOTER_MENU = [
    ("回首頁", "/"), ("網站導覽", "/sitemap.html"), ("分局簡介", "/about/"), ("最新消息", "/news/"),
    ("檢驗業務", "/business/inspection/"), ("度量衡業務", "/business/measurement/"),
    ("驗證業務", "/business/certification/"), ("法規資訊", "/law/"), ("書表下載", "/download/"),
    ("資訊公開", "/open/"), ("聯絡我們", "/about/contact.html"), ("交通位置", "/about/location.html"),
]
# One of the few external links: the accessibility badge every gov site carries.
BADGE = ('<a href="https://accessibility.moda.gov.tw/Applications/Detail?category=20261126093000" '
         'title="無障礙網站（另開新視窗）" target="_blank" rel="noopener">'
         '<img src="/images/accessibility-aa.png" alt="通過AA等級無障礙網頁檢測" width="88" height="31"></a>')


def menu_html() -> str:
    out = ['<nav class="mainmenu" aria-label="主選單"><ul>']
    for label, href, items in MENU:
        out.append(f'<li><a href="{href}">{label}</a><ul>')
        out.extend(f'<li><a href="{h}">{t}</a></li>' for t, h in items)
        out.append("</ul></li>")
    out.append("</ul></nav>")
    return "\n".join(out)


def footer_html() -> str:
    links = "".join(f'<li><a href="{h}">{t}</a></li>' for t, h in FOOTER_MENU)
    return f"""<footer id="footer">
<a href="#Z" accesskey="Z" id="Z" title="下方功能區塊" class="acc">:::</a>
<nav class="footmenu" aria-label="頁尾選單"><ul>{links}</ul></nav>
<div class="contact">
<p>{AGENCY}　地址：<span class="addr">{ADDRESS}</span></p>
<p>總機：{PHONE}　傳真：{FAX}</p>
<p>服務時間：{HOURS}</p>
<ul class="policy"><li><a href="/privacy.html">隱私權政策</a></li><li><a href="/security.html">資訊安全政策</a></li><li><a href="/open/data.html">政府網站資料開放宣告</a></li></ul>
<p class="badge">{BADGE}</p>
<p class="copy">Copyright (C) {AGENCY} 版權所有（本網站為示範用之虛構網站）</p>
<p class="update">更新日期：{roc(FOOTER_DATE)}　瀏覽人次：1,234,567</p>
</div>
</footer>"""


def header_html() -> str:
    return f"""<a href="#C" class="skip" title="跳到主要內容區塊">跳到主要內容區塊</a>
<header id="header">
<a href="#U" accesskey="U" id="U" title="上方功能區塊" class="acc">:::</a>
<ul class="toplinks"><li><a href="/">回首頁</a></li><li><a href="/sitemap.html">網站導覽</a></li><li><a href="/english">English</a></li><li><a href="https://www.bsmi.gov.tw/" title="經濟部標準檢驗局（另開新視窗）" target="_blank" rel="noopener">標準檢驗局</a></li></ul>
<form class="search" role="search" action="https://www.google.com/search" method="get">
<input type="hidden" name="sitesearch" value="demo-branch.example">
<label for="q">站內搜尋</label><input type="search" id="q" name="q" title="請輸入關鍵字"><button type="submit">搜尋</button>
</form>
<p class="logo"><a href="/"><img src="/images/logo.png" alt="{AGENCY}（回首頁）" width="240" height="60"></a></p>
{menu_html()}
</header>"""


def breadcrumb(crumbs: list[tuple[str, str | None]]) -> str:
    items = ['<li><a href="/">首頁</a></li>']
    for text, href in crumbs:
        items.append(f'<li><a href="{href}">{text}</a></li>' if href else f'<li aria-current="page">{text}</li>')
    return '<nav class="breadcrumb" aria-label="導覽路徑"><ol>' + "".join(items) + "</ol></nav>"


META_ORDER = [
    "DC.Title", "DC.Creator", "DC.Subject", "DC.Description", "DC.Contributor", "DC.Type", "DC.Format",
    "DC.Source", "DC.Language", "DC.coverage.t.min", "DC.coverage.t.max", "DC.Publisher", "DC.Date",
    "DC.Identifier", "DC.Relation", "DC.Rights", "Category.Theme", "Category.Cake", "Category.Service", "Keywords",
]


def meta_block(title: str, path: str, overrides: Mapping[str, str | None], english: bool = False) -> str:
    unit = unit_for(path)
    values: dict[str, str | None] = {
        "DC.Title": f"{SITE_NAME}-{title}",
        "DC.Creator": f"{AGENCY}{unit}",
        "DC.Subject": title,
        "DC.Description": f"{SITE_NAME}{title}相關資訊",
        "DC.Contributor": f"{AGENCY}{unit}",
        "DC.Type": "網頁",
        "DC.Format": "text/html",
        "DC.Source": AGENCY,
        "DC.Language": "英文" if english else "中文",
        "DC.coverage.t.min": TEMPLATE_DATE,
        "DC.coverage.t.max": "2030-12-31",
        "DC.Publisher": AGENCY,
        "DC.Date": TEMPLATE_DATE,
        "DC.Identifier": AGENCY_CODE,
        "DC.Relation": "",
        "DC.Rights": AGENCY,
        "Category.Theme": "610",
        "Category.Cake": "812",
        "Category.Service": "I00",
        "Keywords": f"{SITE_NAME},{title}",
    }
    values["DC.Relation"] = path
    values.update(overrides)
    lines = []
    for name in META_ORDER + [k for k in values if k not in META_ORDER]:
        v = values.get(name)
        if v is None:  # planted: field absent
            continue
        lines.append(f'<meta name="{name}" content="{v}">')
    return "\n".join(lines)


# --------------------------------------------------------------------------
# the site
# --------------------------------------------------------------------------
@dataclass
class Site:
    files: dict[str, bytes] = field(default_factory=dict)
    sitemap: list[tuple[str, str | None]] = field(default_factory=list)  # (path, lastmod)
    defects: list[dict] = field(default_factory=list)
    clean: list[dict] = field(default_factory=list)

    def expect(self, url_path: str, rule: str, key: dict, why: str, **extra) -> None:
        self.defects.append({"url_path": url_path, "rule": rule, "key": key, "why": why, **extra})

    def expect_clean(self, url_path: str, rule: str, key: dict, why: str) -> None:
        self.clean.append({"url_path": url_path, "rule": rule, "key": key, "why": why})

    def page(self, path: str, title: str, crumbs: list[tuple[str, str | None]], body: str, *,
             updated: str | None = None, lastmod: str | None = None, in_sitemap: bool = True,
             meta: Mapping[str, str | None] | None = None, lang: str | None = "zh-Hant-TW",
             encoding: str = "utf-8", meta_charset: bool = True, tail: bool = True,
             head: str = "", copies: tuple[str, ...] = ()) -> None:
        """One page in the shared layout.  `updated` is the visible date line;
        `head` goes into <head>; `copies` are other paths served the very same bytes."""
        head_charset = f'<meta charset="{encoding}">\n' if meta_charset else ""
        lang_attr = f' lang="{lang}"' if lang else ""
        upd = f'<p class="updated">{updated}</p>\n' if updated else ""
        html = f"""<!DOCTYPE html>
<html{lang_attr}>
<head>
{head_charset}<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - {SITE_NAME}</title>
{meta_block(title, path, meta or {}, english=(lang == "en"))}
<link rel="stylesheet" href="/css/style.css">
<link rel="icon" href="/favicon.ico">
{head}</head>
<body>
{header_html()}
{breadcrumb(crumbs)}
<main id="main">
<a href="#C" accesskey="C" id="C" title="中央內容區塊" class="acc">:::</a>
<h1>{title}</h1>
{body.strip()}
{upd}</main>
{footer_html()}
"""
        if tail:
            html += "</body>\n</html>\n"
        for p in (path, *copies):
            fs = p + "index.html" if p.endswith("/") else p
            self.files[fs.lstrip("/")] = html.encode(encoding)
            if in_sitemap:
                self.sitemap.append((p, lastmod))


def roc(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{int(y) - 1911}-{m}-{d}"


def build_pages(s: Site) -> None:  # noqa: PLR0915 - it is a site, page after page
    news = [  # (n, title, publish ISO date)
        (1, "115年度第4季度量衡器定期檢定時程公告", "2026-11-20"),
        (2, "本分局115年12月份行動服務站開設地點", "2026-11-12"),
        (3, "玩具商品檢驗新制說明會", "2024-05-03"),
        (4, "電動機車電池商品檢驗規定修正", "2024-01-02"),
        (5, "年終消費旺季商品安全抽查結果", "2026-11-05"),
        (6, "港區輸入商品查驗作業時間調整", "2026-11-18"),
        (7, "113年度消費者商品安全宣導成果", "2025-03-10"),
        (8, "節能標章產品市場抽測結果", "2024-03-05"),
        (9, "兒童用品安全選購指南", "2025-06-20"),
    ]

    # -- 首頁 ------------------------------------------------------------------
    latest = "".join(f'<li><a href="/news/{n}.html">{t}</a> <span class="date">{roc(d)}</span></li>'
                     for n, t, d in news[:6])
    s.page("/", "首頁", [], f"""
<section class="banner"><img src="/images/banner.png" alt="商品安全　消費安心：{SITE_NAME}為您把關" width="960" height="240"></section>
<section class="news"><h2>最新消息</h2><ul>{latest}</ul>
<p class="more"><a href="/news.html">更多消息</a></p></section>
<section class="quick"><h2>便民服務</h2><ul>
<li><a href="/download/">書表下載</a></li><li><a href="/business/inspection/procedure.html">報驗流程</a></li>
<li><a href="/business/measurement/taxi.html">計程車計費表檢定</a></li><li><a href="/calendar/?ym=202611">活動行事曆</a></li>
<li><a href="/service/">線上服務</a></li><li><a href="/about/contact.html">聯絡我們</a></li>
</ul></section>
<section class="admin"><h2>內部專區</h2><p><a href="/admin/">網站管理者登入</a>（限本分局同仁使用）</p></section>
""", updated="更新日期：115-11-25", lastmod="2026-11-25")
    s.expect("/", "metadata.frozen", {"field": "DC.Date", "value": TEMPLATE_DATE},
             "CMS 範本把同一個 DC.Date（2009-09-09）複製到大多數網頁；全站一次，報在首頁。")
    s.expect("/", "freshness.frozen", {"value": FOOTER_DATE},
             "頁尾的「更新日期：105-02-16」是範本固定值，每一頁都一樣；全站一次，報在首頁。"
             "各頁改以自己的日期判斷，沒有自己日期的頁面改用下一個日期來源（sitemap、Last-Modified、發布日期）。")

    # -- 分局簡介 --------------------------------------------------------------
    about = [("分局簡介", "/about/")]
    s.page("/about/", "分局簡介", [("分局簡介", None)], f"""
<p>{SITE_NAME}負責轄區內應施檢驗商品之報驗、度量衡器檢定與商品驗證登錄等業務，並辦理市場商品安全監督，守護消費者權益。</p>
<p>本分局設有第一課（商品檢驗）、第二課（度量衡）、第三課（驗證）及秘書課、會計室，服務範圍涵蓋示範市及鄰近縣市之港口與工業區。</p>
<p class="source">資料來源：<a href="https://www.bsmi.gov.tw/">經濟部標準檢驗局</a></p>
""", updated="更新日期：115-10-15", lastmod="2026-10-15")
    s.expect_clean("/about/", "citation.no-link", {"text": "資料來源：經濟部標準檢驗局"},
                   "來源聲明有連結，不得報告。")

    s.page("/about/history.html", "沿革", about + [("沿革", None)], """
<p>本分局前身為民國五十年代設立之港口商品檢驗站，歷經多次組織調整，於民國88年改制為現名。</p>
<blockquote><p>商品檢驗是國家把關的第一道防線，也是對每一位消費者的承諾。</p></blockquote>
<p>相關舊網頁：<a href="/about/intro.asp">舊版分局簡介</a></p>
""", updated="更新日期：民國112年5月3日", lastmod="2023-05-03")
    s.expect("/about/history.html", "citation.quote-unattributed", {"text": "商品檢驗是國家把關的第一道防線，也是對每一位消費者的承諾。"},
             "blockquote 無 cite 屬性，前後也沒有附連結的來源聲明。")
    s.expect("/about/history.html", "freshness.stale", {"modified": "2023-05-03", "source": "page-text"},
             "頁面顯示「更新日期：民國112年5月3日」。")
    s.expect_clean("/about/history.html", "link.broken", {"target": "/about/intro.asp"},
                   "舊網址 301 轉址到 /about/，轉址正常不是失效連結。")

    s.page("/about/organization.html", "組織架構", about + [("組織架構", None)], """
<p>本分局置分局長一人、副分局長一人，下設三課一室，組織架構如下圖：</p>
<p><img src="/images/org-chart.png" width="600" height="300"></p>
<table class="list"><caption>各課室職掌</caption>
<thead><tr><th scope="col">單位</th><th scope="col">職掌</th></tr></thead>
<tbody>
<tr><td>第一課</td><td>應施檢驗商品之報驗、查驗及市場監督</td></tr>
<tr><td>第二課</td><td>度量衡器之檢定、檢查及糾紛處理</td></tr>
<tr><td>第三課</td><td>商品驗證登錄、型式認可及標章管理</td></tr>
<tr><td>秘書課</td><td>文書、總務、人事、研考及網站管理</td></tr>
<tr><td>會計室</td><td>歲計、會計及統計事項</td></tr>
</tbody></table>
""", updated="更新日期：115-11-03", lastmod="2026-11-03")
    s.expect("/about/organization.html", "a11y.image-alt", {"target_contains": "org-chart.png"},
             "組織圖 <img> 沒有 alt 屬性（HM1110100C）。", browser=True)

    s.page("/about/director.html", "分局長的話", about + [("分局長的話", None)], """
<p>歡迎蒞臨本分局網站。本分局秉持「專業、效率、便民」的服務理念，持續精進各項檢驗與度量衡業務。</p>
<blockquote cite="https://www.bsmi.gov.tw/"><p>以標準引領產業，以檢驗守護安全。</p></blockquote>
<p class="source">引用自：<a href="https://www.bsmi.gov.tw/">經濟部標準檢驗局施政理念</a></p>
""", updated="更新日期：115-10-28", lastmod="2026-10-28")
    s.expect_clean("/about/director.html", "citation.quote-unattributed", {"text": "以標準引領產業，以檢驗守護安全。"},
                   "blockquote 有 cite 屬性且後面有附連結的來源。")

    s.page("/about/location.html", "交通位置", about + [("交通位置", None)], f"""
<p>地址：{ADDRESS}</p>
<ul><li>搭乘火車：示範車站下車，步行約10分鐘。</li><li>搭乘公車：101、102路「港西街口」站下車。</li>
<li>自行開車：本分局設有洽公停車位6席，請多利用大眾運輸。</li></ul>
<figure><img src="/images/map.png" alt="本分局位置圖：位於港西街與中正路口" width="600" height="400">
<figcaption>圖片來源：內政部國土測繪中心</figcaption></figure>
""", updated="更新日期：115-11-10", lastmod="2026-11-10")
    s.expect("/about/location.html", "citation.no-link", {"text": "圖片來源：內政部國土測繪中心"},
             "figcaption 的圖片來源沒有超連結。")

    s.page("/about/contact.html", "聯絡我們", about + [("聯絡我們", None)], f"""
<table class="list"><caption>業務聯絡窗口</caption>
<thead><tr><th scope="col">業務</th><th scope="col">單位</th><th scope="col">電話</th></tr></thead>
<tbody><tr><td>商品報驗</td><td>第一課</td><td>{PHONE} 分機 201</td></tr>
<tr><td>度量衡器檢定</td><td>第二課</td><td>{PHONE} 分機 301</td></tr>
<tr><td>驗證登錄</td><td>第三課</td><td>{PHONE} 分機 401</td></tr></tbody></table>
<h2>意見信箱</h2>
<form action="/about/contact.html" method="post">
<p><label for="name">姓名</label><input type="text" id="name" name="name"></p>
<p>電子郵件：<input type="email" name="email"></p>
<p><label for="msg">意見內容</label><textarea id="msg" name="msg" rows="5" cols="40"></textarea></p>
<p><button type="submit">送出</button></p>
</form>
<p>您也可以來信：<a href="mailto:service@demo-branch.example">service@demo-branch.example</a>，或撥打 <a href="tel:+886220000000">{PHONE}</a>。</p>
""", updated="更新日期：115-11-18", lastmod="2026-11-18")
    s.expect("/about/contact.html", "a11y.label", {"target_contains": "email"},
             "電子郵件欄位沒有 <label>（HM1130104C）。", browser=True)

    # -- 最新消息 --------------------------------------------------------------
    rows = "".join(f'<tr><td><a href="/news/{n}.html">{t}</a></td><td>{roc(d)}</td><td>{unit_for("/news/")}</td></tr>'
                   for n, t, d in news)
    s.page("/news/", "最新消息", [("最新消息", None)], f"""
<table class="list"><caption>最新消息列表</caption>
<thead><tr><th scope="col">標題</th><th scope="col">發布日期</th><th scope="col">發布單位</th></tr></thead>
<tbody>{rows}</tbody></table>
<p class="rss"><a href="/news/rss.xml"><img src="/images/rss.png" alt="" width="16" height="16"></a></p>
""", updated="更新日期：115-11-20", lastmod="2026-11-20")
    s.expect("/news/", "a11y.link-name", {"target_contains": "rss.xml"},
             "RSS 圖示連結只有 alt=\"\" 的圖片，沒有可辨識的連結文字（HM1240401C）。", browser=True)

    ncrumb = [("最新消息", "/news/")]
    body = {
        1: """<p>本分局115年度第4季度量衡器（衡器、計程車計費表、瓦斯表）定期檢定時程如下，請業者依時程申請檢定：</p>
<table class="list"><caption>檢定時程</caption><thead><tr><th scope="col">月份</th><th scope="col">項目</th></tr></thead>
<tbody><tr><td>10月</td><td>衡器</td></tr><tr><td>11月</td><td>計程車計費表</td></tr><tr><td>12月</td><td>瓦斯表</td></tr></tbody></table>
<p>申請書表請至<a href="/download/">書表下載</a>區下載。</p>""",
        2: """<p>為便利偏遠地區民眾與業者，本分局於12月份至示範市轄內3個行政區開設行動服務站，受理商品檢驗諮詢與度量衡器檢查。</p>
<ul><li>12月3日 北區區公所</li><li>12月10日 港區漁會</li><li>12月17日 山區衛生所</li></ul>""",
        3: """<p>為使業者瞭解玩具商品檢驗新制，本分局訂於113年5月20日舉辦說明會，歡迎踴躍報名。</p>
<p>附件：<a href="/files/old.pdf">說明會簡報（PDF）</a></p>""",
        4: """<p>電動機車電池商品自113年起納入應施檢驗範圍，相關規定請參閱<a href="/news/2019/notice.html">原公告</a>及<a href="/law/">法規資訊</a>。</p>""",
        5: """<p>本分局於年終消費旺季前抽查市售電器、玩具及兒童用品共120件，其中5件標示不符規定，已通知業者限期改正。</p>
<p class="source">資料來源：經濟部</p>""",
        7: """<p>113年度本分局辦理消費者商品安全宣導活動共32場，參與民眾逾3,000人次，宣導內容包括商品安全標章辨識及網路購物注意事項。</p>""",
        8: """<p>本分局抽測市售節能標章冷氣機及電冰箱共30台，能源效率全部符合標示等級。</p>""",
    }
    updated = {1: "更新日期：115-11-20", 2: None, 3: "更新日期：113-05-03", 4: "最後更新：2024/1/2",
               5: "更新日期：115-11-05", 7: None, 8: None}
    for n, title, d in news:
        path = f"/news/{n}.html"
        # news 7 and 8 show no date at all: their only date is the sitemap / the HTTP header
        pub = f'<p class="pubdate">發布日期：{roc(d)}　發布單位：{unit_for(path)}</p>' if n <= 6 else ""
        dc_date = {"DC.Date": d} if n <= 6 else {}
        lastmod = {1: "2026-11-20", 2: "2026-11-12", 3: "2024-05-03", 4: "2024-01-02", 5: "2026-11-05",
                   7: "2025-03-10"}.get(n)
        if n == 9:
            # The page-info list of a common government CMS template: label,
            # slash, the date in a <span>; a print button written
            # href="http://javascript:;" and a mistyped javscript:.
            s.page(path, title, ncrumb + [(title, None)], f"""
<div class="cp">
<p>選購兒童用品時，請認明商品安全標章，並注意適用年齡及警語標示。</p>
<ul><li>玩具：避免細小零件，3歲以下幼兒不宜使用。</li><li>嬰兒床：欄杆間距不得大於6公分。</li></ul>
</div>
<ul class="info">
<li>發布日期 /<span>{d}</span></li>
<li>更新日期 /<span>2025-06-30</span></li>
<li>發布單位 /<span>{unit_for(path)}</span></li>
</ul>
<p class="tools"><a href="http://javascript:;" title="友善列印">友善列印</a>　<a href="javscript:;" title="回上一頁">回上一頁</a></p>
""", lastmod="2025-06-30", meta={"DC.Date": d})
            continue
        if n == 6:
            # Planted: broken markup (unclosed div/p/li/table, stray close tags,
            # no </body></html>) as a hand-edited CMS page can end up.
            s.page(path, title, ncrumb + [(title, None)], f"""
<p class="pubdate">發布日期：{roc(d)}　發布單位：{unit_for(path)}
<div class="content">
<p>自115年12月1日起，港區輸入商品查驗作業時間調整為每日上午8時至下午6時。
<ul><li>一般商品：當日受理、當日查驗
<li>大宗散裝商品：請提前1日預約
</ul></span>
<table><tr><td>查驗地點<td>港區第3號倉庫
<tr><td>聯絡電話<td>{PHONE} 分機 210
</table>
<p>受理窗口詳見<a href="/business/inspection/procedure.html">報驗流程</a></b>
""", updated="更新日期：115-11-18", lastmod="2026-11-18", meta=dc_date, tail=False)
            s.expect_clean(path, "freshness.unknown", {},
                           "HTML 未閉合、缺 </body></html>，仍應解析出「更新日期：115-11-18」（新鮮）。")
            continue
        s.page(path, title, ncrumb + [(title, None)], pub + "\n" + body[n],
               updated=updated[n], lastmod=lastmod, meta=dc_date)
    s.expect("/news/3.html", "link.broken", {"target": "/files/old.pdf", "status": 404},
             "說明會簡報 PDF 已刪除（內部 PDF 404）。")
    s.expect("/news/3.html", "freshness.stale", {"modified": "2024-05-03", "source": "page-text"},
             "更新日期以民國「113-05-03」表示。")
    s.expect("/news/4.html", "link.broken", {"target": "/news/2019/notice.html", "status": 404},
             "連到已移除的內部網頁（404）。")
    s.expect("/news/4.html", "freshness.stale", {"modified": "2024-01-02", "source": "page-text"},
             "「最後更新：2024/1/2」。")
    s.expect("/news/5.html", "citation.no-link", {"text": "資料來源：經濟部"}, "資料來源沒有超連結。")
    s.expect("/news/7.html", "freshness.stale", {"modified": "2025-03-10", "source": "sitemap"},
             "頁面無日期、DC.Date 是範本值，只有 sitemap.xml 的 <lastmod> 2025-03-10。")
    s.expect("/news/9.html", "freshness.stale", {"modified": "2025-06-30", "source": "page-text"},
             "資訊列「更新日期 /<span>2025-06-30</span>」（標籤與日期以斜線分隔，日期在 span 中）。")
    s.expect("/news/9.html", "link.malformed", {"target": "http://javascript:;"},
             "「友善列印」寫成 href=\"http://javascript:;\"：主機名稱與連接埠無法解析。")
    s.expect("/news/9.html", "link.malformed", {"target": "javscript:;"},
             "「回上一頁」的 javascript 拼錯成 javscript:。")
    s.expect_clean("/news/9.html", "freshness.stale", {"modified": FOOTER_DATE},
                   "頁尾的範本日期不是本頁的更新日期。")
    s.expect("/news/8.html", "freshness.stale", {"modified": "2024-03-05", "source": "http-header"},
             "只有 HTTP Last-Modified（_routes.json）：Tue, 05 Mar 2024；sitemap 無 lastmod。")
    s.expect_clean("/news/2.html", "freshness.stale", {},
                   "只有「發布日期：115-11-12」（source=published），未逾期。")

    # RSS feed for the news list (linked by the icon link above).
    items = "".join(f"<item><title>{t}</title><link>{{{{base_url}}}}/news/{n}.html</link><pubDate>{d}</pubDate></item>"
                    for n, t, d in news)
    s.files["news/rss.xml"] = (f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
                               f"<title>{SITE_NAME} 最新消息</title><link>{{{{base_url}}}}/news/</link>"
                               f"<description>最新消息</description>{items}</channel></rss>\n").encode()

    # Meta-refresh stub left from the old site (the home page still links it).
    s.files["news.html"] = ("""<!DOCTYPE html>
<html lang="zh-Hant-TW"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="0; url=/news/">
<title>網頁已移至最新消息</title></head>
<body><p>本網頁已移至<a href="/news/">最新消息</a>，系統將自動為您轉址。</p></body></html>
""").encode()
    # A redirect stub is still a page to audit (issue 2): it carries no
    # metadata and no date, and a reviewer lists that like any other page.
    s.expect("/news.html", "metadata.missing", {"field": "DC.Title"},
             "meta-refresh 轉址頁仍是網頁：沒有任何詮釋資料（每個必備欄位各一項）。")
    s.expect("/news.html", "freshness.unknown", {}, "轉址頁沒有任何更新或發布日期。")

    # -- 業務資訊 ---------------------------------------------------------------
    s.page("/business/", "業務資訊", [("業務資訊", None)], """
<ul class="cards">
<li><a href="/business/inspection/">檢驗業務</a>：應施檢驗商品之報驗與市場監督（第一課）</li>
<li><a href="/business/measurement/">度量衡業務</a>：度量衡器檢定、檢查（第二課）</li>
<li><a href="/business/certification/">驗證業務</a>：驗證登錄與商品安全標章（第三課）</li>
</ul>""", updated="更新日期：115-10-05", lastmod="2026-10-05")

    biz = [("業務資訊", "/business/")]
    insp = biz + [("檢驗業務", "/business/inspection/")]
    s.page("/business/inspection/", "檢驗業務", biz + [("檢驗業務", None)], """
<p>第一課辦理應施檢驗商品之輸入及國內產製商品報驗、查驗、市場購樣檢驗及不合格商品處理。</p>
<ul><li><a href="/business/inspection/commodity.html">應施檢驗商品範圍</a></li>
<li><a href="/business/inspection/procedure.html">報驗流程</a></li>
<li><a href="/business/inspection/fees.html">規費收費標準</a></li>
<li><a href="/business/inspection/faq.html">常見問答</a></li>
<li><a href="/business/inspection/port-statistics.html">港區查驗統計</a></li></ul>
""", updated="更新日期：115-11-10", lastmod="2026-11-10")

    s.page("/business/inspection/port-statistics.html", "港區查驗統計", insp + [("港區查驗統計", None)], """
<blockquote class="text-info"><p>本頁每月公布港區輸入商品查驗批數，供業者安排報驗時程參考。</p></blockquote>
<table class="list"><caption>115年港區輸入商品查驗批數</caption>
<thead><tr><th scope="col">月份</th><th scope="col">查驗批數</th><th scope="col">不合格批數</th></tr></thead>
<tbody><tr><td>9月</td><td>1,204</td><td>12</td></tr><tr><td>10月</td><td>1,318</td><td>9</td></tr></tbody></table>
<p class="source">資料來源：港區檢驗站</p>
""", updated="更新日期：115-11-09", lastmod="2026-11-09")
    s.expect_clean("/business/inspection/port-statistics.html", "citation.no-link", {"text": "資料來源：港區檢驗站"},
                   "港區檢驗站是本分局自己的單位（_site.toml [site] own_names），引用自己的資料不必附連結。")
    s.expect_clean("/business/inspection/port-statistics.html", "citation.quote-unattributed",
                   {"text": "本頁每月公布港區輸入商品查驗批數"},
                   "<blockquote class=\"text-info\"> 只是版面上的說明框，沒有引述任何人的話。")

    s.page("/business/inspection/commodity.html", "應施檢驗商品範圍", insp + [("應施檢驗商品範圍", None)], """
<p>應施檢驗商品之品目、檢驗方式及檢驗標準，依<a href="/law/#art3">本分局作業規定第3點</a>及<a href="/law/#art5">第5點</a>辦理。</p>
<table class="list"><caption>常見應施檢驗商品</caption>
<thead><tr><th scope="col">類別</th><th scope="col">商品</th><th scope="col">檢驗方式</th></tr></thead>
<tbody><tr><td>電機電子</td><td>電冰箱、冷氣機、吹風機</td><td>驗證登錄</td></tr>
<tr><td>機械</td><td>電動機車、自行車</td><td>型式認可逐批檢驗</td></tr>
<tr><td>化工</td><td>玩具、嬰幼兒用品</td><td>逐批檢驗或驗證登錄</td></tr></tbody></table>
<p>舊版查詢系統已停用：<a href="http://www.old-agency.invalid/commodity/query.asp">舊版商品檢驗資訊網</a></p>
""", updated="更新日期：115-11-03", lastmod="2026-11-03")
    s.expect("/business/inspection/commodity.html", "link.anchor-missing", {"target": "/law/#art5"},
             "法規頁只有 art1–art4，沒有 id=art5。")
    s.expect_clean("/business/inspection/commodity.html", "link.anchor-missing", {"target": "/law/#art3"},
                   "id=art3 存在。")
    s.expect("/business/inspection/commodity.html", "link.broken",
             {"target": "http://www.old-agency.invalid/commodity/query.asp", "status": "dns"},
             "已裁撤機關的舊網域（保留 TLD .invalid）：DNS 查無此主機。", external=True)

    s.page("/business/inspection/procedure.html", "報驗流程", insp + [("報驗流程", None)], """
<ol><li>線上或臨櫃填具報驗申請書。</li><li>繳納檢驗費。</li><li>本分局派員取樣或查核。</li><li>檢驗合格核發證書。</li></ol>
<p><a href="/business/inspection/apply.aspx">線上報驗申請</a>（新系統）</p>
<p>舊版線上報驗系統：<a href="http://127.0.0.1:9/declare/">http://127.0.0.1:9/declare/</a>（已停止服務）</p>
""", updated="更新日期：115-10-20", lastmod="2026-10-20")
    s.expect("/business/inspection/procedure.html", "link.broken",
             {"target": "/business/inspection/apply.aspx", "status": "redirect-loop"},
             "apply.aspx → apply/ → apply.aspx 轉址迴圈（_routes.json）。")
    s.expect("/business/inspection/procedure.html", "link.broken",
             {"target": "http://127.0.0.1:9/declare/", "status": "refused"},
             "舊系統主機已關機：127.0.0.1:9 拒絕連線。")

    s.page("/business/inspection/fees.html", "規費收費標準", insp + [("規費收費標準", None)], """
<table class="list"><caption>檢驗規費</caption>
<thead><tr><th scope="col">項目</th><th scope="col">費率</th></tr></thead>
<tbody><tr><td>逐批檢驗</td><td>商品價格千分之一點五</td></tr><tr><td>監視查驗</td><td>每批新臺幣300元</td></tr>
<tr><td>證書補發</td><td>每份新臺幣200元</td></tr></tbody></table>
<p class="note" style="color:#c8c8c8;background-color:#ffffff">註：規費以新臺幣計算，未滿1元者以1元計。</p>
<p>規費明細表請至<a href="/download/">書表下載</a>區下載。</p>
""", updated="更新日期：115-10-12", lastmod="2026-10-12")
    s.expect("/business/inspection/fees.html", "a11y.color-contrast", {"target_contains": "note"},
             "淺灰色（#c8c8c8）文字在白底上，對比值不足 4.5:1。", browser=True)

    s.page("/business/inspection/faq.html", "檢驗常見問答", insp + [("常見問答", None)], """
<dl><dt>問：網購商品需要報驗嗎？</dt><dd>答：輸入應施檢驗商品，無論是否網購，均應依規定報驗。</dd>
<dt>問：檢驗不合格怎麼辦？</dt><dd>答：得於收到通知後15日內申請複驗。</dd></dl>
<h2>參考資料</h2>
<ul><li>商品檢驗法</li><li>商品檢驗法施行細則</li><li>應施檢驗商品品目公告</li></ul>
""", updated="更新日期：115-11-15", lastmod="2026-11-15", meta={"Category.Service": "Z00"})
    s.expect("/business/inspection/faq.html", "citation.no-link", {"text": "參考資料"},
             "「參考資料」標題後的清單沒有任何連結。")
    s.expect("/business/inspection/faq.html", "metadata.invalid", {"field": "Category.Service", "value": "Z00"},
             "Z00 不是 18 個服務分類大類之一。")

    meas = biz + [("度量衡業務", "/business/measurement/")]
    s.page("/business/measurement/", "度量衡業務", biz + [("度量衡業務", None)], """
<p>第二課辦理度量衡器之檢定、檢查及度量衡糾紛之處理，保障交易公平。</p>
<ul><li><a href="/business/measurement/meters.html">計量器檢定</a></li><li><a href="/business/measurement/taxi.html">計程車計費表檢定</a></li>
<li><a href="/business/measurement/scales.html">衡器檢定</a></li><li><a href="/business/measurement/gas.html">瓦斯表檢定</a></li></ul>
""", updated="更新日期：115-10-30", lastmod="2026-10-30", meta={"Category.Theme": "17"})
    s.expect("/business/measurement/", "metadata.invalid", {"field": "Category.Theme", "value": "17"},
             "主題分類碼應為 3 碼（^[0-9A-Z]{3}$），「17」只有 2 碼。")

    s.page("/business/measurement/meters.html", "計量器檢定", meas + [("計量器檢定", None)], """
<p>法定度量衡器應經檢定合格，始得販賣或使用。檢定合格者附加檢定合格印證。</p>
<p><img src="/images/meter.png" srcset="/images/meter.png 1x, /images/meter@2x.png 2x" alt="檢定合格印證樣式" width="300" height="200"></p>
""", updated="更新日期：115-11-08", lastmod="2026-11-08")
    s.expect("/business/measurement/meters.html", "link.broken",
             {"target": "/images/meter@2x.png", "status": 404, "element": "img"},
             "srcset 中的 2x 圖檔不存在。")

    s.page("/business/measurement/taxi.html", "計程車計費表檢定", meas + [("計程車計費表檢定", None)], """
<p>計程車計費表每年應定期檢定一次，檢定合格後加封印證。</p>
<ul><li><a href="/eservice/taxi-query.aspx">計費表檢定結果查詢</a></li>
<li><a href="/business/measurement/report.aspx">檢定統計報表</a></li></ul>
""", updated="更新日期：115-11-01", lastmod="2026-11-01")
    s.expect("/business/measurement/taxi.html", "link.unreachable",
             {"target": "/eservice/taxi-query.aspx", "status": 503},
             "查詢系統維護中：503 + Retry-After: 1，可能是暫時的。")
    s.expect("/business/measurement/taxi.html", "link.unreachable",
             {"target": "/business/measurement/report.aspx", "status": 500}, "報表程式錯誤：HTTP 500。")

    # Two legacy Big5 pages: one declares its charset only in <meta>, the other
    # only in the HTTP header (_routes.json).  Their visible 更新日期 is only
    # found when the crawler decodes them right.
    s.page("/business/measurement/scales.html", "衡器檢定", meas + [("衡器檢定", None)], """
<p>營業用之電子秤、台秤、地秤等衡器，應經檢定合格並定期檢查。使用未經檢定之衡器者，依度量衡法處罰。</p>
<p>申請檢定請攜帶衡器至本分局或預約到場檢定。</p>
""", updated="更新日期：115-10-02", lastmod="2026-10-02", encoding="big5")
    s.expect_clean("/business/measurement/scales.html", "freshness.unknown", {},
                   "Big5 網頁（只在 <meta charset> 宣告）；正確解碼後可讀到「更新日期：115-10-02」。")
    s.page("/business/measurement/gas.html", "瓦斯表檢定", meas + [("瓦斯表檢定", None)], """
<p>家用瓦斯表使用年限屆滿前應更換並經檢定合格。民眾對瓦斯表計量有疑義時，可向本分局申請檢查。</p>
""", updated="更新日期：115-10-09", lastmod="2026-10-09", encoding="big5", meta_charset=False)
    s.expect_clean("/business/measurement/gas.html", "freshness.unknown", {},
                   "Big5 網頁（只在 HTTP Content-Type 宣告 charset=big5）；正確解碼後可讀到「更新日期：115-10-09」。")

    cert = biz + [("驗證業務", "/business/certification/")]
    s.page("/business/certification/", "驗證業務", biz + [("驗證業務", None)], """
<p>第三課辦理商品驗證登錄、型式認可及商品安全標章之核發與管理。</p>
<ul><li><a href="/business/certification/vpc.html">驗證登錄</a></li><li><a href="/business/certification/marks.html">商品安全標章</a></li>
<li><a href="/business/certification/statistics.html">驗證統計</a></li></ul>
""", updated="更新日期：115-10-22", lastmod="2026-10-22")
    s.page("/business/certification/vpc.html", "驗證登錄", cert + [("驗證登錄", None)], """
<p>驗證登錄（VPC）適用於品質穩定之量產商品，業者取得證書後於有效期間內出貨免逐批報驗。</p>
<p>申請書請至<a href="/download/">書表下載</a>區下載。</p>
""", updated="更新日期：115-11-12", lastmod="2026-11-12")
    s.page("/business/certification/marks.html", "商品安全標章", cert + [("商品安全標章", None)], """
<p>商品經檢驗合格後，應於本體標示商品安全標章，消費者選購時請認明標章。</p>
<p>標章使用說明：<a href="/download/files/mark-guide.pdf">商品安全標章使用手冊（PDF）</a></p>
""", updated="更新日期：115-10-26", lastmod="2026-10-26")
    s.expect_clean("/business/certification/marks.html", "link.broken", {"target": "/download/files/mark-guide.pdf"},
                   "伺服器拒絕 HEAD（405），GET 正常：不得報告。")
    s.page("/business/certification/statistics.html", "驗證統計", cert + [("驗證統計", None)], """
<table class="list"><caption>115年驗證登錄核發件數</caption>
<thead><tr><th scope="col">季別</th><th scope="col">核發</th><th scope="col">註銷</th></tr></thead>
<tbody><tr><td>第1季</td><td>128</td><td>6</td></tr><tr><td>第2季</td><td>141</td><td>4</td></tr>
<tr><td>第3季</td><td>135</td><td>9</td></tr></tbody></table>
""", updated="更新日期：115-11-06", lastmod="2026-11-06")
    s.expect_clean("/business/certification/statistics.html", "link.unreachable", {},
                   "統計頁回應慢（1.5 秒，_routes.json delay），未逾時，不得報告。")

    # -- 法規 --------------------------------------------------------------------
    arts = "".join(f'<h2 id="art{i}">第{i}點</h2><p>{t}</p>' for i, t in enumerate([
        "本要點依商品檢驗法及度量衡法訂定之。",
        "本分局受理報驗之商品，以轄區內輸入或產製者為限。",
        "應施檢驗商品之檢驗方式，依經濟部公告辦理。",
        "度量衡器之檢定，得由本分局派員到場辦理。",
    ], 1))
    s.page("/law/", "法規資訊", [("法規資訊", None)], f"""
<p>本分局作業規定摘要如下，全文請見<a href="/law/regulations.html">分局作業要點</a>。</p>
{arts}
<h2>參考資料</h2>
<ul><li><a href="https://law.moj.gov.tw/LawClass/LawAll.aspx?pcode=J0080001">商品檢驗法（全國法規資料庫）</a></li>
<li><a href="https://law.moj.gov.tw/LawClass/LawAll.aspx?pcode=J0080003">度量衡法（全國法規資料庫）</a></li></ul>
""", updated="更新日期：115-10-18", lastmod="2026-10-18")
    s.expect_clean("/law/", "citation.no-link", {"text": "參考資料"}, "「參考資料」後的清單有連結。")

    s.page("/law/regulations.html", "分局作業要點", [("法規資訊", "/law/"), ("分局作業要點", None)], """
<ol><li>本要點依商品檢驗法及度量衡法訂定之。</li><li>本分局受理報驗之商品，以轄區內輸入或產製者為限。</li>
<li>應施檢驗商品之檢驗方式，依經濟部公告辦理。</li><li>度量衡器之檢定，得由本分局派員到場辦理。</li></ol>
""", updated="更新日期：115-11-14", lastmod="2026-11-14", lang=None)
    s.expect("/law/regulations.html", "a11y.html-has-lang", {"target_contains": "html"},
             "<html> 沒有 lang 屬性（HM1310100C）。", browser=True)

    # -- 書表下載 ----------------------------------------------------------------
    f = "/download/files/"
    s.page("/download/", "書表下載", [("書表下載", None)], f"""
<table class="list"><caption>申請書表</caption>
<thead><tr><th scope="col">書表名稱</th><th scope="col">承辦單位</th><th scope="col">下載</th></tr></thead>
<tbody>
<tr><td>商品報驗申請書</td><td>第一課</td><td><a href="{f}inspection-application.doc">DOC</a>　<a href="{f}inspection-application.odt">ODT</a>　<a href="{f}inspection-application.pdf">PDF</a></td></tr>
<tr><td>度量衡器檢定申請書</td><td>第二課</td><td><a href="{f}measurement-application.docx">DOCX</a>　<a href="{f}measurement-application.pdf">PDF</a></td></tr>
<tr><td>檢驗規費明細表</td><td>第一課</td><td><a href="{f}fee-schedule.xls">XLS</a></td></tr>
<tr><td>驗證登錄申請書</td><td>第三課</td><td><a href="{f}registration-application.docx">DOCX</a>　<a href="{f}registration-application.odt">ODT</a></td></tr>
<tr><td>115年度檢定統計表</td><td>第二課</td><td><a href="{f}statistics-2026.ods">ODS</a>　<a href="{f}statistics-2026.pdf">PDF</a></td></tr>
<tr><td>115年度業務說明會簡報</td><td>第一課</td><td><a href="{f}briefing-2026.ppt">PPT</a>　<a href="{f}briefing-2026.odt">ODT</a>　<a href="{f}briefing-2026.pdf">PDF</a></td></tr>
<tr><td>檢定費用計算表</td><td>第二課</td><td><a href="{f}fee-calculator.xls">XLS</a>　<a href="{f}fee-calculator.odf">ODF</a></td></tr>
</tbody></table>
<table class="list"><caption>其他文件</caption>
<thead><tr><th scope="col">文件名稱</th><th scope="col">承辦單位</th><th scope="col">下載</th></tr></thead>
<tbody>
<tr><td>檢驗業務公告（掃描檔）</td><td>第一課</td><td><a href="{f}scanned-notice.pdf">PDF</a></td></tr>
<tr><td>業務會報紀錄</td><td>秘書課</td><td><a href="{f}meeting-minutes.pdf">PDF</a></td></tr>
<tr><td>年度工作報告</td><td>秘書課</td><td><a href="{f}annual-report.pdf">PDF</a></td></tr>
<tr><td>便民服務指南</td><td>秘書課</td><td><a href="{f}service-guide.odt">ODT</a></td></tr>
</tbody></table>
<p>95年以前之舊書表請至<a href="/old/forms.asp">舊版書表下載區</a>。</p>
""", updated="更新日期：115-11-19", lastmod="2026-11-19", meta={"DC.Date": "2023-02-30"})
    s.expect("/download/", "attachment.no-odf", {"target": f + "measurement-application.docx"},
             ".docx 只附 .pdf，沒有 ODF 版本。")
    s.expect("/download/", "attachment.no-odf", {"target": f + "fee-schedule.xls"}, ".xls 單獨提供，沒有 ODF 版本。")
    s.expect_clean("/download/", "attachment.no-odf", {"target": f + "inspection-application.doc"},
                   "同列有 .odt。")
    s.expect_clean("/download/", "attachment.no-odf", {"target": f + "registration-application.docx"},
                   "同檔名有 .odt。")
    s.expect("/download/", "attachment.no-odf", {"target": f + "briefing-2026.ppt"},
             "簡報 .ppt 只附同檔名的 .odt（文書檔），不是簡報的 ODF 版本（.odp）。")
    s.expect("/download/", "attachment.no-odf", {"target": f + "fee-calculator.xls"},
             "試算表 .xls 旁的 .odf 是 ODF 數學公式檔，不是試算表的 ODF 版本（.ods）。")
    s.expect("/download/", "attachment.no-text", {"target": f + "scanned-notice.pdf"},
             "掃描檔 PDF 只有影像、沒有文字層：無法搜尋，螢幕報讀軟體也讀不到內容。")
    s.expect("/download/", "attachment.untagged-pdf", {"target": f + "scanned-notice.pdf"},
             "掃描檔沒有結構標記（/StructTreeRoot）。")
    s.expect("/download/", "attachment.metadata-missing", {"target": f + "meeting-minutes.pdf"},
             "PDF 文件內容有文字，但沒有填寫標題、主旨與作者等文件屬性。")
    s.expect("/download/", "attachment.untagged-pdf", {"target": f + "meeting-minutes.pdf"},
             "由文書軟體直接列印成 PDF，沒有標記結構。")
    s.expect("/download/", "attachment.invalid", {"target": f + "annual-report.pdf"},
             "伺服器以 .pdf 傳回的其實是「找不到網頁」的 HTML 錯誤頁。")
    s.expect("/download/", "attachment.invalid", {"target": f + "service-guide.odt"},
             ".odt 是 zip 壓縮檔，但缺少 ODF 規定的 mimetype，不是 ODF 文件。")
    s.expect("/download/", "metadata.invalid", {"field": "DC.Date", "value": "2023-02-30"},
             "2 月沒有 30 日。")
    s.expect("/download/", "link.broken", {"target": "/old/forms.asp", "status": "too-many-redirects"},
             "舊網址經 27 次轉址（/_redirect/25）才到達，超過 20 次上限。")

    # -- 資訊公開 ----------------------------------------------------------------
    op = [("資訊公開", "/open/")]
    s.page("/open/", "資訊公開", [("資訊公開", None)], """
<p>依政府資訊公開法第7條規定，主動公開下列資訊：</p>
<ul><li><a href="/open/budget.html">預算及決算書</a></li><li><a href="/open/procurement.html">採購資訊</a></li>
<li><a href="/law/">法規資訊</a></li><li><a href="/open/data.html">政府網站資料開放宣告</a></li></ul>
""", updated="更新日期：115-11-02", lastmod="2026-11-02", meta={"Category.Theme": None})
    s.expect("/open/", "metadata.missing", {"field": "Category.Theme"}, "缺 <meta name=\"Category.Theme\">。")

    s.page("/open/budget.html", "預算及決算書", op + [("預算及決算書", None)], """
<table class="budget">
<tr><td><b>年度</b></td><td><b>預算數（千元）</b></td><td><b>決算數（千元）</b></td></tr>
<tr><td>113</td><td>52,300</td><td>51,870</td></tr>
<tr><td>114</td><td>53,100</td><td>52,640</td></tr>
<tr><td>115</td><td>54,200</td><td>執行中</td></tr>
</table>
""", updated="更新日期：115-10-16", lastmod="2026-10-16", meta={"DC.Creator": ""})
    s.expect("/open/budget.html", "metadata.missing", {"field": "DC.Creator"}, "DC.Creator 存在但 content 為空。")
    s.expect("/open/budget.html", "a11y.td-has-header", {"target_contains": "budget"},
             "資料表格以粗體 td 代替 th，沒有標頭儲存格（HM1130101C）；axe 的 td-has-header 是實驗規則，預設不跑，所以 axe 可能不報。",
             browser=True, certain=False)

    s.page("/open/procurement.html", "採購資訊", op + [("採購資訊", None)], """
<table class="list"><caption>115年度採購案</caption>
<thead><tr><th scope="col">案名</th><th scope="col">決標日期</th><th scope="col">金額（元）</th></tr></thead>
<tbody><tr><td>衡器檢定設備採購</td><td>115-08-12</td><td>1,280,000</td></tr>
<tr><td>辦公室節能照明更新</td><td>115-10-03</td><td>460,000</td></tr></tbody></table>
""", updated="更新日期：115-11-11", lastmod="2026-11-11",
           meta={"DC.coverage.t.min": "2026-12-31", "DC.coverage.t.max": "2026-01-01"})
    s.expect("/open/procurement.html", "metadata.invalid",
             {"field": "DC.coverage.t.min", "value": "2026-12-31"}, "涵蓋範圍起日晚於迄日（min 2026-12-31 > max 2026-01-01）。")

    open_data = """
<p>為推動政府資料開放，本網站所提供之資料，除另有註明外，使用者得依政府資料開放授權條款，不限目的、時間及地域，非專屬、不可撤回、免授權金進行利用。</p>
"""
    s.page("/open/data.html", "政府網站資料開放宣告", op + [("政府網站資料開放宣告", None)], open_data, in_sitemap=True)
    s.page("/privacy.html", "隱私權政策", [("隱私權政策", None)], """
<p>本網站尊重並保護您的個人隱私，僅於您主動提供時蒐集必要之個人資料，並依個人資料保護法處理。</p>""")
    s.page("/security.html", "資訊安全政策", [("資訊安全政策", None)], """
<p>本分局為確保資訊資產之機密性、完整性及可用性，依資通安全管理法訂定資訊安全政策，並定期檢討。</p>""")
    for p in ("/open/data.html", "/privacy.html", "/security.html"):
        s.expect(p, "freshness.unknown", {},
                 "沒有可見日期、沒有修改日期 meta、sitemap 無 lastmod、伺服器不送 Last-Modified；DC.Date 是範本值。")

    # -- 網站導覽 / English / 線上服務 / 行事曆 / admin -------------------------------
    tree = []
    for label, href, sub in MENU:
        tree.append(f'<li><a href="{href}">{label}</a><ul>' + "".join(
            f'<li><a href="{h}">{t}</a></li>' for t, h in sub) + "</ul></li>")
    # Two byte-identical pages whose relative stylesheet differs (the browser
    # stage must not share one verdict between them).
    s.page("/about/view/standard/", "網站瀏覽說明", about + [("網站瀏覽說明", None)], """
<p>本網站提供一般版面與高對比版面，內容相同，只有配色不同。</p>
<ul><li><a href="../standard/">一般版面</a></li><li><a href="../contrast/">高對比版面</a></li></ul>
<p>文字大小可使用瀏覽器的放大功能（Ctrl 加 +）調整。</p>
""", updated="更新日期：115-11-04", lastmod="2026-11-04", head='<link rel="stylesheet" href="theme.css">\n',
           copies=("/about/view/contrast/",))
    s.page("/sitemap.html", "網站導覽", [("網站導覽", None)], f"""
<p>本網站依無障礙網頁設計原則建置，網站主要區塊如下：</p>
<ul class="acckeys"><li>Alt+U：上方功能區塊，包含回首頁、網站導覽、English 及主選單。</li>
<li>Alt+C：中央內容區塊，為本頁主要內容。</li><li>Alt+Z：下方功能區塊，包含聯絡資訊及隱私權政策等。</li></ul>
<p>如果您的瀏覽器是 Firefox，快速鍵請使用 Shift+Alt+(快速鍵字母)。</p>
<p>網站瀏覽說明：<a href="/about/view/standard/">一般版面</a>、<a href="/about/view/contrast/">高對比版面</a></p>
<ul class="sitetree">{"".join(tree)}</ul>
""", updated="更新日期：115-11-25", lastmod="2026-11-25")

    s.page("/en/", "English", [("English", None)], f"""
<p>The {AGENCY.replace("經濟部標準檢驗局示範分局", "Demo Branch, Bureau of Standards, Metrology and Inspection")} (a fictional office used to demonstrate siteaudit) handles commodity inspection, metrology and product certification for the Demo City area.</p>
<p>Address: No. 1, Gangxi St., Demo City. Tel: +886-2-2000-0000.</p>
<ul><li><a href="/en/about.html">About Us</a></li><li><a href="/en/services.html">Services</a></li></ul>
<p class="update">Last Update: 2026-11-01</p>
""", lang="en", lastmod="2026-11-01")
    en = [("English", "/en/")]
    s.page("/en/about.html", "About Us", en + [("About Us", None)], """
<p>The Demo Branch was set up in 1999 and serves importers and manufacturers in the Demo City port area.</p>
<ul class="info"><li>Update：105-05-10</li><li>Hits：2,201</li></ul>
""", lang="en", lastmod="2016-05-10")
    s.expect("/en/about.html", "freshness.stale", {"modified": "2016-05-10", "source": "page-text"},
             "英文網頁也用民國日期：「Update：105-05-10」即 2016-05-10。")
    s.page("/en/services.html", "Services", en + [("Services", None)], """
<p>Commodity inspection, verification of weighing instruments and product certification (RPC).</p>
<p class="update">update:<em>2018/01/01</em></p>
""", lang="en")
    s.expect("/en/services.html", "freshness.stale", {"modified": "2018-01-01", "source": "page-text"},
             "「update:<em>2018/01/01</em>」：小寫標籤，日期在 <em> 中。")

    # Session-id trap: /service/* is served with {{sid}} replaced by a fresh id
    # (_routes.json "dynamic": "session"), so every page links to new URLs.
    svc = [("線上服務", "/service/")]
    s.page("/service/", "線上服務", [("線上服務", None)], """
<ul><li><a href="/service/apply.html;jsessionid={{sid}}">線上報驗申請</a></li>
<li><a href="/service/query.html?sid={{sid}}">案件進度查詢</a></li></ul>""",
           updated="更新日期：115-11-16", lastmod="2026-11-16")
    s.page("/service/apply.html", "線上報驗申請", svc + [("線上報驗申請", None)], """
<p>請先登入工商憑證後填寫報驗資料。</p>
<p><a href="/service/query.html?sid={{sid}}">案件進度查詢</a>　<a href="/service/;jsessionid={{sid}}">回線上服務</a></p>""",
           updated="更新日期：115-11-16", in_sitemap=False)
    s.page("/service/query.html", "案件進度查詢", svc + [("案件進度查詢", None)], """
<p>請輸入報驗號碼查詢案件辦理進度。</p>
<p><a href="/service/apply.html;jsessionid={{sid}}">線上報驗申請</a>　<a href="/service/?sid={{sid}}">回線上服務</a></p>""",
           updated="更新日期：115-11-16", in_sitemap=False)

    # Calendar trap: the server renders /calendar/?ym=YYYYMM from this template,
    # each month linking to the previous and next one, forever.
    s.page("/calendar/_template.html", "活動行事曆 {{title}}", [("最新消息", "/news/"), ("活動行事曆", None)], """
<p><a href="/calendar/?ym={{prev}}">« 上個月</a>　<a href="/calendar/?ym={{next}}">下個月 »</a></p>
<table class="calendar"><caption>{{title}}活動</caption>
<thead><tr><th scope="col">日</th><th scope="col">一</th><th scope="col">二</th><th scope="col">三</th><th scope="col">四</th><th scope="col">五</th><th scope="col">六</th></tr></thead>
<tbody>{{rows}}</tbody></table>
<p>每月第1個星期三上午為度量衡器免費檢查服務日。</p>""", updated="更新日期：115-11-20", in_sitemap=False,
           meta={"DC.Relation": "/calendar/"})
    s.sitemap.append(("/calendar/", None))

    s.files["admin/index.html"] = ("""<!DOCTYPE html>
<html lang="zh-Hant-TW"><head><meta charset="utf-8"><title>網站管理系統</title><meta name="robots" content="noindex"></head>
<body><h1>網站管理系統登入</h1><form method="post" action="/admin/"><p><label for="u">帳號</label><input id="u" name="u"></p>
<p><label for="p">密碼</label><input id="p" name="p" type="password"></p><p><button>登入</button></p></form></body></html>
""").encode()


def routes() -> dict:
    return {
        "_comment": "Server behaviours for crawler/siteserver.py; see sample_site/README.md",
        # Dynamic CMS pages send no Last-Modified; a date must come from the page.
        "_defaults": {"last_modified": None},
        "/robots.txt": {"substitute": True},
        "/sitemap.xml": {"substitute": True},
        "/news/rss.xml": {"substitute": True},
        "/news/8.html": {"last_modified": "Tue, 05 Mar 2024 08:00:00 GMT"},
        "/business/measurement/gas.html": {"charset": "big5"},
        "/business/inspection/apply.aspx": {"redirect": "/business/inspection/apply/"},
        "/business/inspection/apply/": {"redirect": "/business/inspection/apply.aspx"},
        "/old/forms.asp": {"status": 301, "redirect": "/_redirect/25?to=/download/"},
        "/english": {"status": 301, "redirect": "/en/"},
        "/about/intro.asp": {"status": 301, "redirect": "/about/"},
        "/eservice/taxi-query.aspx": {
            "status": 503, "headers": {"Retry-After": "1"},
            "body": "<!DOCTYPE html><html lang=\"zh-Hant-TW\"><head><meta charset=\"utf-8\"><title>系統維護中</title></head>"
                    "<body><h1>系統維護中</h1><p>查詢系統維護中，請稍後再試。</p></body></html>"},
        "/business/measurement/report.aspx": {
            "status": 500,
            "body": "<!DOCTYPE html><html><head><title>Runtime Error</title></head><body><h1>Server Error in '/' Application.</h1></body></html>"},
        "/business/certification/statistics.html": {"delay": 1.5},
        "/download/files/mark-guide.pdf": {"reject_head": True},
        "/calendar/": {"dynamic": "calendar", "template": "/calendar/_template.html", "start": "202611"},
        "/service/*": {"dynamic": "session"},
    }


# --------------------------------------------------------------------------
# small binary assets (deterministic bytes)
# --------------------------------------------------------------------------
def png(w: int, h: int, rgb: tuple[int, int, int]) -> bytes:
    raw = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


# Real documents (tools/sampledocs.py): the crawl reads every attachment, so
# the good ones carry their own title, subject and author and a tagged text
# layer, and the planted defects are what real sites serve.
DOC_SUBJECT = "申請書表"
HTML_AS_PDF = ("<!DOCTYPE html><html lang=\"zh-Hant-TW\"><head><meta charset=\"utf-8\"><title>找不到網頁</title>"
               "</head><body><h1>很抱歉，您要找的檔案不存在</h1></body></html>").encode()


def zip_without_mimetype(text: str) -> bytes:
    """A zip named .odt whose `mimetype` entry is missing: no ODF package."""
    good = sampledocs.odf_bytes("odt", title=text, body=text, subject=DOC_SUBJECT, creator=AGENCY)
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as zin, zipfile.ZipFile(buf, "w") as zout:
        for info in zin.infolist():
            if info.filename != "mimetype":
                zout.writestr(info, zin.read(info))
    return buf.getvalue()


def pdf(title: str, text: str, *, scan: bool = False, tagged: bool = True) -> bytes:
    """A good PDF: Chinese title, subject and author; `text` (ASCII) on the page."""
    return sampledocs.pdf_bytes(title=title, subject=DOC_SUBJECT, creator=AGENCY, text=text, scan=scan,
                                tagged=tagged)


def odf(kind: str, text: str) -> bytes:
    ext = {"text": "odt", "spreadsheet": "ods", "presentation": "odp", "formula": "odf"}[kind]
    return sampledocs.odf_bytes(ext, title=text, body=text, subject=DOC_SUBJECT, creator=AGENCY)


def ooxml(text: str) -> bytes:
    return sampledocs.ooxml_bytes("docx", title=text, subject=DOC_SUBJECT, creator=AGENCY)


def ole(kind: str, text: str) -> bytes:
    return sampledocs.ole_bytes(kind, title=text, subject=DOC_SUBJECT, author=AGENCY)


def assets(s: Site) -> None:
    s.files["images/logo.png"] = png(24, 6, (0, 70, 140))
    s.files["images/banner.png"] = png(32, 8, (20, 110, 180))
    s.files["images/accessibility-aa.png"] = png(8, 3, (0, 120, 60))
    s.files["images/org-chart.png"] = png(12, 6, (220, 220, 220))
    s.files["images/map.png"] = png(12, 8, (200, 230, 200))
    s.files["images/meter.png"] = png(6, 4, (240, 200, 80))
    s.files["images/rss.png"] = png(4, 4, (250, 140, 0))
    s.files["favicon.ico"] = png(2, 2, (0, 70, 140))
    s.files["css/style.css"] = CSS.encode("utf-8")
    f = "download/files/"
    s.files[f + "inspection-application.doc"] = ole("doc", "商品報驗申請書")
    s.files[f + "inspection-application.odt"] = odf("text", "商品報驗申請書")
    s.files[f + "inspection-application.pdf"] = pdf("商品報驗申請書", "Inspection application")
    s.files[f + "measurement-application.docx"] = ooxml("度量衡器檢定申請書")
    s.files[f + "measurement-application.pdf"] = pdf("度量衡器檢定申請書", "Measurement application")
    s.files[f + "fee-schedule.xls"] = ole("xls", "檢驗規費明細表")
    s.files[f + "registration-application.docx"] = ooxml("驗證登錄申請書")
    s.files[f + "registration-application.odt"] = odf("text", "驗證登錄申請書")
    s.files[f + "statistics-2026.ods"] = odf("spreadsheet", "115年度檢定統計表")
    s.files[f + "statistics-2026.pdf"] = pdf("115年度檢定統計表", "Statistics 2026")
    s.files[f + "mark-guide.pdf"] = pdf("商品安全標章使用手冊", "Safety mark guide")
    s.files[f + "briefing-2026.ppt"] = ole("ppt", "115年度業務說明會簡報")
    s.files[f + "briefing-2026.odt"] = odf("text", "115年度業務說明會簡報（文字版）")
    s.files[f + "briefing-2026.pdf"] = pdf("115年度業務說明會簡報", "Briefing 2026")
    s.files[f + "fee-calculator.xls"] = ole("xls", "檢定費用計算表")
    # planted document defects (the 其他文件 rows of /download/)
    s.files[f + "scanned-notice.pdf"] = pdf("檢驗業務公告", "", scan=True, tagged=False)
    s.files[f + "meeting-minutes.pdf"] = sampledocs.pdf_bytes(title=None, subject=None, creator=None,
                                                              text="Meeting minutes", tagged=False)
    s.files[f + "annual-report.pdf"] = HTML_AS_PDF
    s.files[f + "service-guide.odt"] = zip_without_mimetype("服務指南")
    s.files[f + "fee-calculator.odf"] = odf("formula", "fee = price * 0.0015")
    s.files["about/view/standard/theme.css"] = THEME_STANDARD.encode("utf-8")
    s.files["about/view/contrast/theme.css"] = THEME_CONTRAST.encode("utf-8")


THEME_STANDARD = """/* 一般版面 */
main { background: #fff; color: #222; }
main a { color: #0b4f8a; }
"""
THEME_CONTRAST = """/* 高對比版面 */
main { background: #000; color: #ff0; }
main a { color: #fff; }
"""

CSS = """/* 標準檢驗局示範分局: a plain government layout */
body { font-family: "Noto Sans TC", "Microsoft JhengHei", sans-serif; font-size: 1em; line-height: 1.6; margin: 0; color: #222; background: #fff; }
a { color: #0b4f8a; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 0; background: #ff0; }
.acc { color: #fff; background: #0b4f8a; text-decoration: none; }
#header { background: #0b4f8a; color: #fff; padding: 0.5em 1em; }
#header a { color: #fff; }
.toplinks, .mainmenu ul, .footmenu ul, .policy { list-style: none; margin: 0; padding: 0; }
.toplinks li, .footmenu li, .policy li { display: inline-block; margin-right: 1em; }
.mainmenu > ul > li { display: inline-block; position: relative; margin-right: 1.5em; }
.mainmenu li ul { display: none; position: absolute; background: #0b4f8a; min-width: 12em; }
.mainmenu li:hover ul, .mainmenu li:focus-within ul { display: block; }
.breadcrumb ol { list-style: none; padding: 0.5em 1em; margin: 0; }
.breadcrumb li { display: inline; }
.breadcrumb li + li::before { content: " > "; }
main { padding: 1em; max-width: 60em; }
table.list { border-collapse: collapse; }
table.list th, table.list td { border: 1px solid #999; padding: 0.3em 0.6em; }
.updated { color: #555; font-size: 0.9em; }
#footer { background: #eef2f6; padding: 1em; font-size: 0.95em; }
"""


def sitemap_xml(s: Site) -> bytes:
    urls = []
    for path, lastmod in s.sitemap:
        lm = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
        urls.append(f"  <url><loc>{{{{base_url}}}}{path}</loc>{lm}</url>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + "\n".join(urls) + "\n</urlset>\n").encode("utf-8")


ROBOTS = """# 標準檢驗局示範分局
User-agent: *
Disallow: /admin/

Sitemap: {{base_url}}/sitemap.xml
"""

SITE_TOML = """# site.toml for the bundled sample site (siteaudit demo may use it).
[site]
name = "標準檢驗局示範分局"
agency = "經濟部標準檢驗局示範分局"

[links]
# The demo runs offline: never contact the real government hosts the sample
# pages cite.  The planted .invalid host and 127.0.0.1:9 are still checked.
exclude = ['^https?://([a-z0-9-]+\\.)*(gov\\.tw|google\\.com)(/|$)']

# [crawl]
# exclude = ['/calendar/\\?ym=', ';jsessionid=', '[?&]sid=']   # trap guards, if the spider has none
"""


def site_toml() -> str:
    names = ", ".join(f'"{n}"' for n in OWN_NAMES)
    own = (f"# The branch's own offices besides the units below: citing them needs no link.\n"
           f"own_names = [{names}]\n")
    out = [SITE_TOML.replace("\n[links]", own + "\n[links]", 1)]
    for path, name, unit in SECTIONS:
        out.append(f'[[sections]]\npath = "{path}"\nname = "{name}"\nunit = "{unit}"\n')
    return "\n".join(out)


def build(out: Path) -> Site:
    s = Site()
    build_pages(s)
    assets(s)
    s.files["robots.txt"] = ROBOTS.encode("utf-8")
    s.files["sitemap.xml"] = sitemap_xml(s)
    s.files["_routes.json"] = (json.dumps(routes(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    manifest = {
        "site": SITE_NAME,
        "as_of": AS_OF,
        "note": ("url_path/key targets are paths on the served site; external=true needs external link "
                 "checking; browser=true needs the accessibility check; certain=false may legitimately be absent."),
        "defects": s.defects,
        "must_not_report": s.clean,
        "never_fetch": ["/admin/"],
        "traps": [
            {"url_path": "/calendar/?ym=202611", "kind": "calendar",
             "why": "every month links to the previous and next month (server-generated, endless)"},
            {"url_path": "/service/", "kind": "session-id",
             "why": "links carry ;jsessionid=… / ?sid=… that change on every page (endless URL space over 3 pages)"},
        ],
        "behaviours": [
            {"url_path": "/news.html", "kind": "meta-refresh", "target": "/news/"},
            {"url_path": "/english", "kind": "redirect", "target": "/en/"},
            {"url_path": "/business/certification/statistics.html", "kind": "slow", "delay": 1.5},
            {"url_path": "/download/files/mark-guide.pdf", "kind": "head-rejected"},
            {"url_path": "/business/measurement/scales.html", "kind": "big5", "declared": "meta"},
            {"url_path": "/business/measurement/gas.html", "kind": "big5", "declared": "http-header"},
            {"url_path": "/news/6.html", "kind": "broken-html"},
            {"url_path": "/about/view/standard/", "kind": "same-html-other-css", "twin": "/about/view/contrast/",
             "why": "byte-identical HTML whose relative stylesheet theme.css differs (the accessibility cache key)"},
        ],
    }
    s.files["_expected.json"] = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    s.files["_site.toml"] = site_toml().encode("utf-8")
    for rel, data in sorted(s.files.items()):
        p = out / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if not p.exists() or p.read_bytes() != data:
            p.write_bytes(data)
    return s


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "sample_site"
    site = build(target)
    print(f"{len(site.files)} files, {len(site.defects)} planted defects -> {target}")
