"""checks.citation: source statements need a link; quotations need a source."""
from __future__ import annotations

import pytest

from checkhelp import assert_findings, fixture_paths, make_ctx, make_page, run_fixture
from checks import citation


def body(text: str) -> str:
    return f"<html><head><title>t</title></head><body>{text}</body></html>"


def check(html, expected, **kw):
    return assert_findings(body(html), expected, check=citation, **kw)


def nolink(text: str) -> tuple:
    return ("citation.no-link", text)


def quote(text: str) -> tuple:
    return ("citation.quote-unattributed", text)


A = '<a href="https://www.stat.gov.tw/">行政院主計總處</a>'


@pytest.mark.parametrize(
    "html, expected",
    [
        # every keyword, colon forms
        ("<p>資料來源：經濟部統計處</p>", [nolink("資料來源：經濟部統計處")]),
        ("<p>來源：中央社</p>", [nolink("來源：中央社")]),
        ("<p>出處：禮記禮運大同篇</p>", [nolink("出處：禮記禮運大同篇")]),
        ("<p>參考資料：消費者保護法</p>", [nolink("參考資料：消費者保護法")]),
        ("<p>圖片來源：中央社</p>", [nolink("圖片來源：中央社")]),
        ("<p>Source: Reuters</p>", [nolink("Source: Reuters")]),
        ("<p>SOURCE：Reuters</p>", [nolink("SOURCE：Reuters")]),
        ("<p>引用自：行政院公報</p>", [nolink("引用自：行政院公報")]),
        # verbs ending in 自 take the name directly
        ("<p>本文轉載自聯合新聞網</p>", [nolink("轉載自聯合新聞網")]),
        ("<p>以下內容引用自行政院公報第30卷</p>", [nolink("引用自行政院公報第30卷")]),
        # keyword then the cited name after a space, opening the block or a clause
        ("<p>資料來源 經濟部統計處</p>", [nolink("資料來源 經濟部統計處")]),
        ("<p>表1 進口統計（資料來源 行政院主計總處）</p>", [nolink("資料來源 行政院主計總處")]),
        ("<p>※資料來源 經濟部</p>", [nolink("資料來源 經濟部")]),
        # contained, with a colon
        ("<p>本則新聞來源：中央社</p>", [nolink("來源：中央社")]),
        ("<p>統計數字（資料來源：主計總處）供參考</p>", [nolink("資料來源：主計總處）供參考")]),
        # linked: link in the same block, whatever the markup
        (f"<p>資料來源：{A}</p>", []),
        (f"<p>資料來源：<span><em>{A}</em></span></p>", []),
        ('<p>資料來源：<a href="/stat/1.html">本局統計</a></p>', []),  # relative on an http page
        ('<p>資料來源：<a href="//www.stat.gov.tw/">主計總處</a></p>', []),
        (f"<p>轉載自{A}</p>", []),
        (f"<p>Source: {A}</p>", []),
        (f"<li>資料來源：主計總處（{A}）</li>", []),
        # not links
        ('<p>資料來源：<a href="#ref1">註1</a></p>', [nolink("資料來源：註1")]),
        ('<p>資料來源：<a href="mailto:a@b.gov.tw">承辦人</a></p>', [nolink("資料來源：承辦人")]),
        ('<p>資料來源：<a href="javascript:void(0)">主計總處</a></p>', [nolink("資料來源：主計總處")]),
        ("<p>資料來源：<a>主計總處</a></p>", [nolink("資料來源：主計總處")]),
        # a link elsewhere does not count
        (f"<p>資料來源：經濟部</p><p>{A}</p>", [nolink("資料來源：經濟部")]),
    ],
)
def test_statements(html, expected):
    check(html, expected)


@pytest.mark.parametrize(
    "html, expected",
    [
        # keyword and colon split across spans, nbsp, full-width colon
        ("<p><span>資料</span><span>來源</span>&nbsp;：經濟部</p>", [nolink("資料來源 ：經濟部")]),
        (f"<p><b>資料來源</b>&nbsp;:&nbsp;{A}</p>", []),
        ("<p>資料來源　：　主計總處</p>", [nolink("資料來源 ： 主計總處")]),
        ("<p>資料來源\n  ：\n  主計總處</p>", [nolink("資料來源 ： 主計總處")]),
        # figure captions, table captions and footers
        ("<figure><img src='a.jpg' alt='x'><figcaption>圖片來源：中央社</figcaption></figure>",
         [nolink("圖片來源：中央社")]),
        (f"<figure><img src='a.jpg' alt='x'><figcaption>圖片來源：{A}</figcaption></figure>", []),
        ("<table><caption>進口量（資料來源：海關）</caption><tr><td>1</td></tr></table>",
         [nolink("資料來源：海關")]),
        ("<table><tr><td>1</td></tr><tfoot><tr><td colspan=2>資料來源：財政部關務署</td></tr></tfoot></table>",
         [nolink("資料來源：財政部關務署")]),
        (f"<table><tr><td>1</td></tr><tfoot><tr><td>資料來源：{A}</td></tr></tfoot></table>", []),
        ("<footer>資料來源：財政部</footer>", [nolink("資料來源：財政部")]),
        # the agency naming itself (the publishing unit) is not others' material
        ("<div class=info>資料來源：本局秘書室 更新日期：115-01-02</div>", []),
        ("<p>資料來源：本分局 圖片來源：中央社</p>", [nolink("圖片來源：中央社")]),
        ("<p>圖片來源：中央社 資料來源：本分局</p>", [nolink("圖片來源：中央社")]),
        # the same statement on every row: reported once
        ("<table><tr><td>資料來源：主計總處</td></tr><tr><td>資料來源：主計總處</td></tr></table>",
         [nolink("資料來源：主計總處")]),
        # two statements in one block: each reported
        ("<p>資料來源：主計總處<br>圖片來源：中央社</p>",
         [nolink("資料來源：主計總處"), nolink("圖片來源：中央社")]),
        # 資料來源 contains 來源: one statement
        ("<p>資料來源：主計總處</p>", [nolink("資料來源：主計總處")]),
        # long statements are trimmed to 80 characters
        ("<p>資料來源：" + "很" * 100 + "</p>", [nolink("資料來源：" + "很" * 74 + "…")]),
    ],
)
def test_messy_markup(html, expected):
    check(html, expected)


@pytest.mark.parametrize(
    "html, expected",
    [
        # 參考資料 as a heading: the list or paragraph after it holds the links
        ('<h3>參考資料</h3><ul><li><a href="https://law.moj.gov.tw/">全國法規資料庫</a></li></ul>', []),
        ("<h3>參考資料</h3><ul><li>消費者保護法</li><li>商品標示法</li></ul>", [nolink("參考資料")]),
        ('<h2>一、參考資料：</h2><p>詳見<a href="https://www.bsmi.gov.tw/">標準檢驗局</a></p>', []),
        ("<h4>相關參考資料</h4><ol><li>書</li></ol>", [nolink("相關參考資料")]),
        ('<h4>相關參考資料</h4><ol><li><a href="http://a.gov.tw/">a</a></li></ol>', []),
        ('<p><strong>參考資料</strong></p><ul><li><a href="http://a.gov.tw/">a</a></li></ul>', []),
        ("<p><strong>參考資料</strong></p><ul><li>a</li></ul>", [nolink("參考資料")]),
        ('<p>【資料來源】</p><p><a href="http://a.gov.tw/">a</a></p>', []),
        ('<div><h3>參考資料</h3></div><ul><li><a href="http://a.gov.tw/">a</a></li></ul>', []),
        ("<h3>參考資料</h3>", [nolink("參考資料")]),
        ('<h3>參考資料</h3><!-- x --><br><ul><li><a href="http://a.gov.tw/">a</a></li></ul>', []),
        # definition lists and row headers
        (f"<dl><dt>資料來源</dt><dd>{A}</dd></dl>", []),
        ("<dl><dt>資料來源</dt><dd>主計總處</dd></dl>", [nolink("資料來源")]),
        (f"<table><tr><th>資料來源</th><td>{A}</td></tr></table>", []),
        ("<table><tr><th>資料來源</th><td>主計總處</td></tr></table>", [nolink("資料來源")]),
        # column header: the cells below it
        (f"<table><tr><th>項目</th><th>資料來源</th></tr><tr><td>a</td><td>{A}</td></tr></table>", []),
        ("<table><tr><th>項目</th><th>資料來源</th></tr><tr><td>a</td><td>主計總處</td></tr></table>",
         [nolink("資料來源")]),
        # a heading that merely mentions a keyword is not a statement
        ("<h3>資料來源說明</h3><p>本局統計資料之說明</p>", []),
    ],
)
def test_headings(html, expected):
    check(html, expected)


@pytest.mark.parametrize(
    "html",
    [
        # navigation / menu words in a link's own text
        '<ul class="menu"><li><a href="/source.html">資料來源</a></li><li><a href="/ref">參考資料</a></li></ul>',
        '<nav><ul><li>參考資料</li><li>資料來源：見各頁</li></ul></nav>',
        '<p><a href="#">來源：本站</a></p>',
        # a keyword inside a link that IS the citation
        '<p><a href="https://www.stat.gov.tw/">資料來源：行政院主計總處</a></p>',
        # prose: keyword inside a longer word, no colon
        "<p>資源來源不明的訊息請勿轉傳。</p>",
        "<p>來源不明的包裹請勿拆封</p>",
        "<p>本局經費來源為公務預算</p>",
        "<p>民眾可查詢商品出處及製造商</p>",
        "<p>Open source software and other resources</p>",
        "<p>請參考資料夾內檔案</p>",
        # scripts, styles, comments, hidden text, form furniture
        "<script>var label = '資料來源：';</script><p>內容</p>",
        "<style>.src:before{content:'資料來源：'}</style>",
        "<!-- 資料來源：舊版 -->",
        "<p hidden>資料來源：草稿</p>",
        "<div style='display:none'>資料來源：草稿</div>",
        "<form><label for=s>來源：</label><select id=s><option>資料來源：全部</option></select></form>",
        # ASP.NET pages wrap everything in a form: content inside is still read (linked here)
        f"<form id=form1><div><p>資料來源：{A}</p></div></form>",
        # keyword alone at the end of a sentence
        "<p>本頁資料均有來源。</p>",
        "",
    ],
)
def test_no_false_alarms(html):
    check(html, [])


def test_aspnet_form_content_is_read():
    check("<form id=form1><div><p>資料來源：主計總處</p></div></form>", [nolink("資料來源：主計總處")])


@pytest.mark.parametrize(
    "html, expected",
    [
        ("<blockquote>天下為公，選賢與能。</blockquote>", [quote("天下為公，選賢與能。")]),
        ("<p>古人說<q>學而時習之</q>。</p>", [quote("學而時習之")]),
        ('<blockquote cite="https://ctext.org/liji/li-yun">天下為公</blockquote>', []),
        ('<p><q cite="https://ctext.org/analects">學而時習之</q></p>', []),
        # a linked source statement inside or right after
        (f"<blockquote><p>天下為公</p><p>出處：{A}</p></blockquote>", []),
        (f"<blockquote>天下為公</blockquote><p>出處：{A}</p>", []),
        (f"<p>古人說<q>學而時習之</q>（出處：{A}）</p>", []),
        (f"<p>古人說<q>學而時習之</q></p><p>出處：{A}</p>", []),
        # the HTML idiom: <footer>/<cite> with a link
        (f"<blockquote><p>天下為公</p><footer>—<cite>{A}</cite></footer></blockquote>", []),
        (f"<figure><blockquote>天下為公</blockquote><figcaption>{A}</figcaption></figure>", []),
        # a source named without a link: one finding (no-link), not two
        ("<blockquote>天下為公</blockquote><p>出處：禮記</p>", [nolink("出處：禮記")]),
        ("<blockquote><p>天下為公</p><p>資料來源：禮記</p></blockquote>", [nolink("資料來源：禮記")]),
        # a statement further away does not attribute
        (f"<blockquote>天下為公</blockquote><p>其他</p><p>出處：{A}</p>", [quote("天下為公")]),
        # same quotation twice: once
        ("<blockquote>天下為公</blockquote><hr><p>x</p><blockquote>天下為公</blockquote>", [quote("天下為公")]),
        ("<blockquote>   </blockquote>", []),
    ],
)
def test_quotes(html, expected):
    check(html, expected)


def test_custom_keywords_and_base_href():
    ctx = make_ctx(citation_keywords=("引述", "Credit"))
    check("<p>引述：某報</p><p>資料來源：主計總處</p><p>Credit: AP</p>",
          [nolink("引述：某報"), nolink("Credit: AP")], ctx=ctx)
    check("<p>資料來源：主計總處</p>", [], ctx=make_ctx(citation_keywords=()))
    html = body('<p>資料來源：<a href="stat.html">統計</a></p>').replace(
        "<head>", '<head><base href="https://www.example.gov.tw/">'
    )
    page = make_page(html, url="file:///tmp/site/news/1.html")
    assert list(citation.check(page, make_ctx())) == []


def test_local_file_relative_links_count():
    page = make_page(body('<p>資料來源：<a href="../stat/1.html">統計</a></p>'), url="file:///srv/site/news/1.html")
    assert list(citation.check(page, make_ctx())) == []
    page = make_page(body('<p>資料來源：<a href="file:///c:/x.doc">統計</a></p>'), url="file:///srv/site/news/1.html")
    assert [f.rule for f in citation.check(page, make_ctx())] == ["citation.no-link"]


def test_non_html_and_broken_markup():
    pdf = make_page("資料來源：x", url="https://www.example.gov.tw/a.pdf", content_type="application/pdf")
    assert list(citation.check(pdf, make_ctx())) == []
    # unclosed tags, stray </div>, text directly in <body>
    assert_findings("資料來源：主計總處<p>說明<div>圖片來源：中央社</p></div></span>",
                    [nolink("資料來源：主計總處"), nolink("圖片來源：中央社")], check=citation)


def test_rules_declared():
    assert {(r.id, r.severity.name) for r in citation.RULES} == {
        ("citation.no-link", "error"), ("citation.quote-unattributed", "warning"),
    }


@pytest.mark.parametrize("path", fixture_paths("citation"), ids=lambda p: p.name)
def test_fixture(path):
    run_fixture(path, citation)


def test_agency_naming_itself_needs_no_link():
    """資料來源：秘書室 / 經濟部標準檢驗局示範分局 cite the agency itself (site.toml names)."""
    from dataclasses import replace

    from checkhelp import make_ctx, make_page
    from checks import citation

    html = "<html><body><p>資料來源：秘書課</p><p>資料來源：經濟部統計處</p></body></html>"
    ctx = make_ctx()
    ctx = replace(ctx, settings=replace(ctx.settings, own_names=("秘書課", "經濟部標準檢驗局示範分局")))
    found = [f.detail["text"] for f in citation.check(make_page(html), ctx)]
    assert found == ["資料來源：經濟部統計處"]


def own_ctx(*names: str):
    from dataclasses import replace

    ctx = make_ctx()
    return replace(ctx, settings=replace(ctx.settings, own_names=names))


OWN = ("國軍退除役官兵輔導委員會", "退輔會", "就養養護處", "企劃及管考處", "秘書室")


@pytest.mark.parametrize(
    "html, expected",
    [
        # issue 10: the agency's own departments ([site] own_names, [[sections]] units)
        ("<p>資料來源：就養養護處</p>", []),
        ("<p>資料來源：就養養護處 115年度統計</p>", []),
        ("<p>資料來源：退輔會就養養護處</p>", []),
        ("<p>資料來源：國軍退除役官兵輔導委員會</p>", []),
        ("<p>資料來源：企劃及管考處</p>", []),  # one name, though it holds 及
        ("<p>資料來源：就養養護處、秘書室</p>", []),
        ("<p>資料來源：【就養養護處】</p>", []),
        ("<p>資料來源：本會就養養護處</p>", []),
        ("<p>（資料來源：就養養護處）</p>", []),
        ("<td>資料來源：就養養護處</td>", []),
        ("<p>資料來源：就養養護處<br>圖片來源：中央社</p>", [nolink("圖片來源：中央社")]),
        # others' names stay judged
        ("<p>資料來源：就養養護處、行政院主計總處</p>", [nolink("資料來源：就養養護處、行政院主計總處")]),
        ("<p>資料來源：就養養護處及衛生福利部</p>", [nolink("資料來源：就養養護處及衛生福利部")]),
        ("<p>資料來源：行政院秘書室</p>", [nolink("資料來源：行政院秘書室")]),  # another agency's 秘書室
        ("<p>資料來源：衛生福利部</p>", [nolink("資料來源：衛生福利部")]),
        # full-width forms fold like the text
        ("<p>資料來源：　就養養護處</p>", []),
        ("<p>資料來源:就養養護處</p>", []),
    ],
)
def test_own_names(html, expected):
    check(html, expected, ctx=own_ctx(*OWN))


def test_own_names_need_the_setting():
    check("<p>資料來源：就養養護處</p>", [nolink("資料來源：就養養護處")])
    check("<p>資料來源：本局秘書室</p>", [])  # 本局 names the agency without any setting


@pytest.mark.parametrize(
    "html, expected",
    [
        # layout: presentation markup, nothing quoted
        ('<blockquote class="text-info"><p>本局致力於提升商品安全，歡迎民眾多加利用線上服務。</p></blockquote>', []),
        ('<blockquote dir="ltr" style="MARGIN-RIGHT: 0px"><p>一、申請資格：設籍本市者。</p></blockquote>', []),
        ('<blockquote style="margin: 0 0 0 40px; border: none; padding: 0px;">請至「書表下載」區下載申請書。'
         '</blockquote>', []),  # 「」 around a name inside a line quotes no one
        ('<blockquote class="intro lead">本專區提供「消費者保護」相關資訊。<br>如有疑問請洽服務臺。</blockquote>', []),
        # still quotations: no presentation markup ...
        ("<blockquote><p>本局致力於提升商品安全。</p></blockquote>", [quote("本局致力於提升商品安全。")]),
        # ... a class naming a quotation
        ('<blockquote class="blockquote"><p>以標準引領產業。</p></blockquote>', [quote("以標準引領產業。")]),
        ('<blockquote class="pull-quote">以標準引領產業。</blockquote>', [quote("以標準引領產業。")]),
        # ... quoted lines, attribution lines, quotation markup
        ('<blockquote class="text-info"><p>「天下為公，選賢與能。」</p></blockquote>',
         [quote("「天下為公，選賢與能。」")]),
        ('<blockquote class="text-info">局長表示：「商品安全是我們的承諾」</blockquote>',
         [quote("局長表示：「商品安全是我們的承諾」")]),
        ('<blockquote class="box"><p>“Quality is never an accident.”</p></blockquote>',
         [quote("“Quality is never an accident.”")]),
        ('<blockquote style="margin-left:2em"><p>天下為公</p><p>—— 禮記</p></blockquote>', [quote("天下為公—— 禮記")]),
        ('<blockquote class="text-info"><p>天下為公</p><footer>禮記</footer></blockquote>', [quote("天下為公禮記")]),
        ('<blockquote class="text-info"><p>孔子說<q>學而時習之</q></p></blockquote>',
         [quote("孔子說學而時習之"), quote("學而時習之")]),
        # attributed layout or not: nothing
        ('<blockquote class="text-info" cite="https://ctext.org/">「天下為公」</blockquote>', []),
        (f'<blockquote class="text-info"><p>「天下為公」</p><p>出處：{A}</p></blockquote>', []),
    ],
)
def test_layout_blockquotes(html, expected):
    check(html, expected)


@pytest.mark.parametrize(
    "html, expected",
    [
        # hrefs no visitor can use are no source link (link.malformed reports them)
        ('<p>資料來源：<a href="http://javascript:;">主計總處</a></p>', [nolink("資料來源：主計總處")]),
        ('<p>資料來源：<a href="javscript:;">主計總處</a></p>', [nolink("資料來源：主計總處")]),
        ('<p>資料來源：<a href="http://[::1/x">主計總處</a></p>', [nolink("資料來源：主計總處")]),
        ('<p>資料來源：<a href="http://javascript:;">x</a><a href="https://www.stat.gov.tw/">主計總處</a></p>', []),
        # the page-info list of CMS templates: keyword, slash or bar, name
        ("<ul><li>資料來源 /<span>經濟部統計處</span></li></ul>", [nolink("資料來源 /經濟部統計處")]),
        ("<ul><li>資料來源 /<span>本署第三組</span></li></ul>", []),
        ("<p>資料來源｜經濟部統計處</p>", [nolink("資料來源｜經濟部統計處")]),
        ("<p>本頁資料來源/經濟部</p>", []),  # glued to prose, no colon: not a statement
        # a full-width keyword is still found (the first look folds it too)
        ("<p>ＳＯＵＲＣＥ：Reuters</p>", [nolink("ＳＯＵＲＣＥ：Reuters")]),
    ],
)
def test_malformed_links_and_keyword_forms(html, expected):
    check(html, expected)
