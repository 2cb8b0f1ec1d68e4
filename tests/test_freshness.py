"""checks.freshness: modification-date sources, their precedence, stale / unknown."""
from __future__ import annotations

import re
from datetime import date

import pytest
from checkhelp import assert_findings, fixture_paths, make_ctx, make_page, run_fixture

from checks import freshness
from checks.freshness import modified_date

UNKNOWN = ["freshness.unknown"]


def body(text: str, head: str = "") -> str:
    return f"<html><head><title>t</title>{head}</head><body>{text}</body></html>"


def stale(d: str, source: str = "page-text") -> list[tuple]:
    return [("freshness.stale", d, source)]


def check(html, expected, **kw):
    return assert_findings(html, expected, check=freshness, **kw)


# as-of 2026-11-26, 2 months: the limit is 2026-09-26
@pytest.mark.parametrize(
    "text, expected",
    [
        ("<p>更新日期：2026-09-26</p>", []),
        ("<p>更新日期：2026-09-25</p>", stale("2026-09-25")),
        ("<p>更新日期：2026-11-26</p>", []),
        ("<p>更新日期：2027-01-01</p>", []),  # future (typo) dates are not stale
        # every date form, each the day before the limit
        ("<p>更新日期：2026/9/25</p>", stale("2026-09-25")),
        ("<p>更新日期：2026.9.25</p>", stale("2026-09-25")),
        ("<p>更新日期：2026年9月25日</p>", stale("2026-09-25")),
        ("<p>更新日期：115-09-25</p>", stale("2026-09-25")),
        ("<p>更新日期：115/9/25</p>", stale("2026-09-25")),
        ("<p>更新日期：115.9.25</p>", stale("2026-09-25")),
        ("<p>更新日期：115年9月25日</p>", stale("2026-09-25")),
        ("<p>更新日期：民國115年9月25日</p>", stale("2026-09-25")),
        ("<p>更新日期：民國 115 年 09 月 25 日</p>", stale("2026-09-25")),
        ("<p>更新日期：1150925</p>", stale("2026-09-25")),
        ("<p>更新日期：20260925</p>", stale("2026-09-25")),
        ("<p>更新日期：１１５／０９／２５</p>", stale("2026-09-25")),
        # the same forms, fresh
        ("<p>更新日期：115/9/26</p>", []),
        ("<p>更新日期：1150926</p>", []),
        ("<p>更新日期：民國 115 年 11 月 02 日</p>", []),
        # every label
        ("<p>修改日期：115-01-02</p>", stale("2026-01-02")),
        ("<p>最後更新：115-01-02</p>", stale("2026-01-02")),
        ("<p>最後更新日期：115-01-02</p>", stale("2026-01-02")),
        ("<p>資料更新：115-01-02</p>", stale("2026-01-02")),
        ("<p>資料更新日期：115-01-02</p>", stale("2026-01-02")),
        ("<p>更新時間：2026-01-02 10:30</p>", stale("2026-01-02")),
        ("<p>網頁更新日期：115-01-02</p>", stale("2026-01-02")),
        ("<p>Last updated: 2026-01-02</p>", stale("2026-01-02")),
        # separators: none, space, nbsp, full-width colon, brackets
        ("<p>更新日期115-01-02</p>", stale("2026-01-02")),
        ("<p>更新日期 115-01-02</p>", stale("2026-01-02")),
        ("<p>更新日期&nbsp;:&nbsp;115-01-02</p>", stale("2026-01-02")),
        ("<p>更新日期　：　115-01-02</p>", stale("2026-01-02")),
        ("<p>【更新日期】115-01-02</p>", stale("2026-01-02")),
        ("<p>更新日期：[115-01-02]</p>", stale("2026-01-02")),
        # label and date split across elements
        ("<p><span>更新日期</span><span>：</span><span>115-01-02</span></p>", stale("2026-01-02")),
        ("<p><strong>更新</strong><strong>日期</strong>:<em>115</em>-<em>01</em>-<em>02</em></p>",
         stale("2026-01-02")),
        ("<table><tr><th>更新日期</th><td>115-01-02</td></tr></table>", stale("2026-01-02")),
        ("<dl><dt>最後更新日期</dt><dd>115年1月2日</dd></dl>", stale("2026-01-02")),
        ("<div class=date><div>更新日期：</div><div>2026-01-02</div></div>", stale("2026-01-02")),
        # several: the newest wins (a list page is as new as its newest item)
        ("<ul><li>更新日期：115-01-02</li><li>更新日期：115-10-02</li></ul>", []),
        # not dates / not visible
        ("<p>更新日期：2026-02-30</p>", UNKNOWN),
        ("<p>更新日期：待定</p>", UNKNOWN),
        ("<script>var s='更新日期：115-01-02';</script><p>內容</p>", UNKNOWN),
        ("<style>/* 更新日期：115-01-02 */</style><p>內容</p>", UNKNOWN),
        ("<!-- 更新日期：115-01-02 --><p>內容</p>", UNKNOWN),
        ("<p hidden>更新日期：115-01-02</p>", UNKNOWN),
        ("<p style='display: none'>更新日期：115-01-02</p>", UNKNOWN),
        # the site's own date in a footer is not this page's
        ("<footer>網站更新日期：115-11-20</footer>", UNKNOWN),
        ("<footer>本站最後更新：115-11-20</footer>", UNKNOWN),
        ("<footer>網站最後更新日期：115-11-20</footer>", UNKNOWN),
        ("<footer>本網站資料更新日期：115-11-20</footer>", UNKNOWN),
        ("<footer>全站更新時間：2026-11-20 10:00</footer>", UNKNOWN),
        ("<footer>網站更新日期：115-11-20</footer><p>更新日期：115-01-02</p>", stale("2026-01-02")),
        ("<p>內容沒有日期</p>", UNKNOWN),
        ("", UNKNOWN),
    ],
)
def test_page_text(text, expected):
    check(body(text), expected)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("<p>發布日期：115-01-02</p>", stale("2026-01-02", "published")),
        ("<p>發佈日期：115-01-02</p>", stale("2026-01-02", "published")),
        ("<p>公告日期：115年1月2日</p>", stale("2026-01-02", "published")),
        ("<p>發文日期：中華民國115年1月2日</p>", stale("2026-01-02", "published")),
        ("<p>日期：115-01-02</p>", stale("2026-01-02", "published")),
        ("<td>日期</td><td>115-01-02</td>", stale("2026-01-02", "published")),
        # a deadline is not a publication date
        ("<p>報名截止日期：115-01-02</p>", UNKNOWN),
        ("<p>活動日期：115-01-02</p>", UNKNOWN),
        # a visible modified date beats a published one, even an older one
        ("<p>發布日期：115-01-02</p><p>更新日期：115-11-02</p>", []),
        ("<p>發布日期：115-11-02</p><p>更新日期：115-01-02</p>", stale("2026-01-02")),
    ],
)
def test_published_labels(text, expected):
    check(body(text), expected)


@pytest.mark.parametrize(
    "head, expected",
    [
        ('<meta name="dcterms.modified" content="2026-01-02">', stale("2026-01-02", "meta")),
        ('<meta name="DC.Date.Modified" content="2026-01-02">', stale("2026-01-02", "meta")),
        ('<meta name="dc.date.modified" content="2026-01-02">', stale("2026-01-02", "meta")),
        ('<meta property="article:modified_time" content="2026-01-02T10:00:00+08:00">',
         stale("2026-01-02", "meta")),
        ('<meta name="article:modified_time" content="2026-09-25T16:30:00Z">', []),  # 09-26 in Taipei
        ('<meta name="dcterms.modified" content="115-01-02">', stale("2026-01-02", "meta")),
        ('<meta name="dcterms.modified" content="2026-11-02">', []),
        ('<meta name="dcterms.modified" content="">', UNKNOWN),
        ('<meta name="dcterms.modified" content="unknown">', UNKNOWN),
        ('<meta name="DC.Date" content="2026-01-02">', stale("2026-01-02", "published")),
        ('<meta name="dc.date" content="2026-11-02">', []),
        ('<meta name="DC.Date" content="">', UNKNOWN),
    ],
)
def test_meta(head, expected):
    check(body("<p>內容</p>", head), expected)


def test_source_precedence():
    everything = body(
        "<p>更新日期：115-01-01</p><p>發布日期：115-01-05</p>",
        '<meta name="dcterms.modified" content="2026-01-02"><meta name="DC.Date" content="2026-01-06">',
    )
    kw = dict(headers={"last-modified": "Sun, 04 Jan 2026 00:00:00 GMT"}, sitemap_lastmod="2026-01-03")
    ctx = make_ctx()
    page = make_page(everything, **kw)
    assert modified_date(page, ctx) == (date(2026, 1, 1), "page-text")
    page = make_page(everything.replace("更新日期", "說明"), **kw)
    assert modified_date(page, ctx) == (date(2026, 1, 2), "meta")
    page = make_page(everything.replace("更新日期", "說明").replace("dcterms.modified", "x"), **kw)
    assert modified_date(page, ctx) == (date(2026, 1, 3), "sitemap")
    kw.pop("sitemap_lastmod")
    page = make_page(everything.replace("更新日期", "說明").replace("dcterms.modified", "x"), **kw)
    assert modified_date(page, ctx) == (date(2026, 1, 4), "http-header")
    page = make_page(everything.replace("更新日期", "說明").replace("dcterms.modified", "x"))
    assert modified_date(page, ctx) == (date(2026, 1, 5), "published")
    page = make_page(everything.replace("更新日期", "說明").replace("dcterms.modified", "x").replace("發布", "x"))
    assert modified_date(page, ctx) == (date(2026, 1, 6), "published")
    assert modified_date(make_page(body("")), ctx) == (None, None)


@pytest.mark.parametrize(
    "kw, expected",
    [
        ({"sitemap_lastmod": "2026-01-02"}, stale("2026-01-02", "sitemap")),
        ({"sitemap_lastmod": "2026-01-02T08:00:00+08:00"}, stale("2026-01-02", "sitemap")),
        ({"sitemap_lastmod": "2026-09-25T16:00:00Z"}, []),  # 2026-09-26 00:00 in Taipei
        ({"sitemap_lastmod": "2026-01"}, UNKNOWN),
        ({"sitemap_lastmod": "garbage"}, UNKNOWN),
        ({"headers": {"last-modified": "Fri, 02 Jan 2026 08:00:00 GMT"}}, stale("2026-01-02", "http-header")),
        ({"headers": {"last-modified": "Fri, 25 Sep 2026 16:00:00 GMT"}}, []),
        ({"headers": {"last-modified": "0"}}, UNKNOWN),
        ({"headers": {"content-type": "text/html"}}, UNKNOWN),
    ],
)
def test_sitemap_and_header(kw, expected):
    check(body("<p>內容</p>"), expected, **kw)


def test_frozen_template_date_is_ignored():
    frozen = make_ctx(frozen={"dc.date": "2009-09-09"})
    tmpl = '<meta name="DC.Date" content="2009-09-09">'
    # the template DC.Date is the page's only date: unknown, not stale since 2009
    check(body("<p>內容</p>", tmpl), UNKNOWN, ctx=frozen)
    # without the site-level knowledge the same page is stale
    check(body("<p>內容</p>", tmpl), stale("2009-09-09", "published"))
    # a visible 發布日期 equal to the template date is ignored too
    check(body("<p>發布日期：98-09-09</p>", tmpl), UNKNOWN, ctx=frozen)
    # a real published date still counts
    check(body("<p>發布日期：115-01-02</p>", tmpl), stale("2026-01-02", "published"), ctx=frozen)
    # the page's own DC.Date differs from the template: used
    check(body("<p>內容</p>", '<meta name="DC.Date" content="2026-01-02">'),
          stale("2026-01-02", "published"), ctx=frozen)
    # a visible modified date is never second-guessed
    check(body("<p>更新日期：2009-09-09</p>", tmpl), stale("2009-09-09"), ctx=frozen)


@pytest.mark.parametrize(
    "as_of, months, modified, is_stale",
    [
        (date(2026, 11, 26), 2, "2026-09-26", False),
        (date(2026, 11, 26), 2, "2026-09-25", True),
        (date(2026, 12, 31), 2, "2026-10-31", False),
        (date(2026, 12, 31), 2, "2026-10-30", True),
        (date(2026, 4, 30), 2, "2026-02-28", False),
        (date(2026, 4, 30), 2, "2026-02-27", True),
        (date(2028, 4, 30), 2, "2028-02-28", True),  # leap year: limit 2028-02-29
        (date(2026, 3, 31), 1, "2026-02-28", False),
        (date(2026, 1, 15), 2, "2025-11-15", False),
        (date(2026, 1, 15), 2, "2025-11-14", True),
        (date(2026, 11, 26), 6, "2026-05-26", False),
        (date(2026, 11, 26), 6, "2026-05-25", True),
    ],
)
def test_month_end_limits(as_of, months, modified, is_stale):
    ctx = make_ctx(as_of=as_of, max_age_months=months)
    expected = stale(modified) if is_stale else []
    findings = check(body(f"<p>更新日期：{modified}</p>"), expected, ctx=ctx)
    if findings:
        d = findings[0].detail
        assert d["limit_months"] == months
        assert d["age_days"] == (as_of - date.fromisoformat(modified)).days


def test_stale_detail_and_message():
    (f,) = check(body("<p>更新日期：115-09-25</p>"), stale("2026-09-25"))
    assert dict(f.detail) == {"modified": "2026-09-25", "source": "page-text", "age_days": 62, "limit_months": 2}
    assert "2 個月" in f.message and "民國115年9月25日" in f.message
    assert f.section == "/news/" and f.unit == "秘書室"


def test_exempt_and_non_html():
    ctx = make_ctx(freshness_exempt=(re.compile(r"/archive/"), re.compile(r"\.aspx\?.*old=1")))
    old = body("<p>更新日期：100-01-01</p>")
    check(old, [], ctx=ctx, url="https://www.example.gov.tw/archive/2011/1.html")
    check(old, [], ctx=ctx, url="https://www.example.gov.tw/News.aspx?id=3&old=1")
    check(old, stale("2011-01-01"), ctx=ctx)
    check(body(""), [], ctx=ctx, url="https://www.example.gov.tw/archive/x.html")
    pdf = make_page("%PDF-1.4", url="https://www.example.gov.tw/a.pdf", content_type="application/pdf",
                    headers={"last-modified": "Fri, 02 Jan 2015 08:00:00 GMT"})
    assert list(freshness.check(pdf, make_ctx())) == []
    # the crawler still records a date for it
    assert modified_date(pdf, make_ctx()) == (date(2015, 1, 2), "http-header")


def test_rules_declared():
    assert {(r.id, r.severity.name) for r in freshness.RULES} == {
        ("freshness.stale", "warning"), ("freshness.unknown", "notice"), ("freshness.frozen", "warning"),
    }


@pytest.mark.parametrize("path", fixture_paths("freshness"), ids=lambda p: p.name)
def test_fixture(path):
    run_fixture(path, freshness)
