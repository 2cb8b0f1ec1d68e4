"""checks.attachments: editable downloads need their ODF counterpart on the page."""
from __future__ import annotations

import pytest

from checkhelp import assert_findings, fixture_paths, load_fixture, make_ctx, make_page, run_fixture
from checks import attachments
from checks.attachments import file_name

BASE = "https://www.example.gov.tw/news/"


def body(text: str) -> str:
    return f"<html><head><title>t</title></head><body>{text}</body></html>"


def check(html, expected, **kw):
    return assert_findings(body(html), expected, check=attachments, **kw)


def noodf(target: str) -> tuple:
    return ("attachment.no-odf", target if "://" in target else BASE + target)


@pytest.mark.parametrize(
    "html, expected",
    [
        # every editable extension, any case
        ('<a href="a.doc">a</a>', [noodf("a.doc")]),
        ('<a href="a.docx">a</a>', [noodf("a.docx")]),
        ('<a href="a.xls">a</a>', [noodf("a.xls")]),
        ('<a href="a.xlsx">a</a>', [noodf("a.xlsx")]),
        ('<a href="a.ppt">a</a>', [noodf("a.ppt")]),
        ('<a href="a.pptx">a</a>', [noodf("a.pptx")]),
        ('<a href="A.DOCX">a</a>', [noodf("A.DOCX")]),
        ('<a href="/upload/2026/報名表.docx">報名表</a>',
         [noodf("https://www.example.gov.tw/upload/2026/報名表.docx")]),
        ('<a href="https://cdn.example.gov.tw/f/a.xlsx#sheet1">a</a>', [noodf("https://cdn.example.gov.tw/f/a.xlsx")]),
        # not editable documents
        ('<a href="a.pdf">a</a><a href="a.odt">a</a><a href="a.html">a</a><a href="docx.html">a</a>', []),
        ('<a href="/list.aspx?type=doc">公文</a><a href="mailto:x@docx.gov.tw">信</a>', []),
        ('<a href="#a.docx">a</a><a href="javascript:open(\'a.docx\')">a</a>', []),
        ('<a>a.docx</a>', []),
        # same stem with an ODF extension anywhere on the page
        ('<p><a href="a.docx">a</a></p><p>其他</p><ul><li><a href="/files/a.odt">a</a></li></ul>', []),
        ('<a href="表單.DOCX">a</a><a href="表單.ODT">a</a>', []),
        ('<a href="%E8%A1%A8.docx">a</a><a href="表.odt">a</a>', []),  # percent-encoded
        ('<a href="a.xlsx">a</a><a href="a.ods">a</a><a href="b.pptx">b</a><a href="b.odp">b</a>', []),
        ('<a href="a.docx">a</a><a href="a.odg">a</a>', [noodf("a.docx")]),  # a drawing is no text document
        ('<a href="a.docx">a</a><a href="a.pdf">a</a>', [noodf("a.docx")]),  # PDF alone is not ODF
        ('<a href="a.docx">a</a><a href="b.odt">b</a>', [noodf("a.docx")]),  # other stem, other row
        # an ODF link in the same list item / table row / paragraph
        ('<ul><li>報名表 <a href="f1.docx">DOCX</a> <a href="f2.odt">ODT</a></li></ul>', []),
        ('<table><tr><td>報名表</td><td><a href="f1.docx">Word</a></td><td><a href="f2.odt">ODF</a></td></tr>'
         '</table>', []),
        ('<p>申請書：<a href="x.doc">DOC</a>、<a href="y.odt">ODT</a></p>', []),
        ('<ul><li><a href="f1.docx">DOCX</a></li><li><a href="f2.odt">ODT</a></li></ul>', [noodf("f1.docx")]),
        ('<table><tr><td><a href="f1.xls">xls</a></td></tr><tr><td><a href="f2.ods">ods</a></td></tr></table>',
         [noodf("f1.xls")]),
        # each target once per page
        ('<a href="a.docx">a</a><a href="a.docx">again</a><a href="./a.docx#x">again</a>', [noodf("a.docx")]),
        ('<a href="a.docx">a</a><a href="b.docx">b</a>', [noodf("a.docx"), noodf("b.docx")]),
        # a target linked twice: fine when one of its links has a counterpart
        ('<p><a href="f.docx">x</a></p><ul><li><a href="f.docx">x</a><a href="g.odt">o</a></li></ul>', []),
    ],
)
def test_links(html, expected):
    check(html, expected)


# Issue 10: a counterpart must be of the same kind (SPEC "ODF counterpart").
@pytest.mark.parametrize(
    "html, expected",
    [
        ('<a href="x.ppt">x</a><a href="x.odt">x</a>', [noodf("x.ppt")]),  # a text document is no presentation
        ('<a href="x.xls">x</a><a href="x.odf">x</a>', [noodf("x.xls")]),  # .odf is a formula file
        ('<a href="x.docx">x</a><a href="x.odf">x</a>', [noodf("x.docx")]),
        ('<a href="x.docx">x</a><a href="x.ods">x</a>', [noodf("x.docx")]),
        ('<a href="x.xlsx">x</a><a href="x.odp">x</a>', [noodf("x.xlsx")]),
        ('<a href="x.doc">x</a><a href="x.odt">x</a>', []),
        ('<a href="x.docx">x</a><a href="x.ott">x</a>', []),  # a template of the kind
        ('<a href="x.xls">x</a><a href="x.fods">x</a>', []),  # a flat file of the kind
        ('<a href="x.pptx">x</a><a href="x.odp">x</a>', []),
        ('<a href="x.ppt">x</a><a href="x.PPTX">x</a><a href="x.odp">x</a>', []),
        # one stem, several kinds: each needs its own
        ('<a href="x.docx">x</a><a href="x.xlsx">x</a><a href="x.odt">x</a>', [noodf("x.xlsx")]),
        # a row: an ODF link of that kind
        ('<ul><li>簡報 <a href="s1.pptx">PPTX</a> <a href="s2.odt">ODT</a></li></ul>', [noodf("s1.pptx")]),
        ('<ul><li>簡報 <a href="s1.pptx">PPTX</a> <a href="s2.odp">ODP</a></li></ul>', []),
        ('<table><tr><td>統計表</td><td><a href="t1.xlsx">XLSX</a></td><td><a href="t2.odf">ODF</a></td></tr></table>',
         [noodf("t1.xlsx")]),
        ('<p>附件：<a href="a1.docx">申請書</a>、<a href="a2.xlsx">明細表</a>、<a href="a3.odt">申請書ODT</a></p>',
         [noodf("a2.xlsx")]),
        # real attachment lists
        ('<ul class="file"><li><a href="/f/報名表.docx">報名表.docx</a></li><li><a href="/f/報名表.odt">報名表.odt</a>'
         '</li><li><a href="/f/報名表.pdf">報名表.pdf</a></li></ul>', []),
        ('<ul><li><a href="/f/xxxx.ppt">xxxx.ppt</a></li><li><a href="/f/xxxx.odt">xxxx.odt</a></li></ul>',
         [noodf("https://www.example.gov.tw/f/xxxx.ppt")]),
        ('<ul><li><a href="/f/xxxx.xls">xxxx.xls</a></li><li><a href="/f/xxxx.odf">xxxx.odf</a></li></ul>',
         [noodf("https://www.example.gov.tw/f/xxxx.xls")]),
    ],
)
def test_same_kind(html, expected):
    check(html, expected)


@pytest.mark.parametrize(
    "html, expected",
    [
        # rows of [DOCX][ODT][PDF] icons whose files are named differently (or not at all)
        ('<table><tr><td>報名表</td><td><a href="/dl.ashx?id=11"><img src="i/docx.gif" alt="DOCX"></a>'
         '<a href="/dl.ashx?id=12"><img src="i/odt.gif" alt="ODT"></a><a href="/dl.ashx?id=13"><img src="i/pdf.gif" '
         'alt="PDF"></a></td></tr></table>', []),
        ('<table><tr><td>報名表</td><td><a href="/dl.ashx?id=11"><img src="i/docx.gif" alt="DOCX"></a>'
         '<a href="/dl.ashx?id=13"><img src="i/pdf.gif" alt="PDF"></a></td></tr></table>',
         [noodf("https://www.example.gov.tw/dl.ashx?id=11")]),
        ('<ul><li>申請書 <a href="/File.aspx?id=5">[DOC]</a> <a href="/File.aspx?id=6">[ODT]</a></li></ul>', []),
        ('<ul><li>申請書 <a href="/File.aspx?id=5">[DOC]</a> <a href="/File.aspx?id=7">[PDF]</a></li></ul>',
         [noodf("https://www.example.gov.tw/File.aspx?id=5")]),
        ('<ul><li>申請書 <a href="/File.aspx?id=5" title="申請書(DOCX檔)">下載</a> '
         '<a href="/File.aspx?id=7" title="申請書(PDF檔)">下載</a></li></ul>',
         [noodf("https://www.example.gov.tw/File.aspx?id=5")]),
        # a lone format word is not a download: a menu item, a page about the format
        ('<ul class="menu"><li><a href="/list.aspx?type=doc">DOC</a></li>'
         '<li><a href="/about/odf.html">ODF</a></li></ul>', []),
        # a common CMS download link: base64 file name, icon=.ext
        ('<a href="/Download.ashx?u=LzAwMS9VcGxvYWQ&amp;n=5aCx5ZCN6KGoLmRvY3g&amp;icon=.docx">報名表</a>',
         [noodf("https://www.example.gov.tw/Download.ashx?u=LzAwMS9VcGxvYWQ&n=5aCx5ZCN6KGoLmRvY3g&icon=.docx")]),
        ('<a href="/Download.ashx?u=LzAwMS9VcGxvYWQ&amp;n=5aCx5ZCN6KGoLmRvY3g&amp;icon=.docx">報名表</a>'
         '<a href="/Download.ashx?u=LzAwMS9VcGxvYWR4&amp;n=5aCx5ZCN6KGoLm9kdA&amp;icon=.odt">報名表</a>', []),
        ('<div class="file"><a href="/Download.ashx?u=x1&amp;icon=.xlsx">統計表</a></div>',
         [noodf("https://www.example.gov.tw/Download.ashx?u=x1&icon=.xlsx")]),
        # rows built of divs: one document in several formats
        ('<div class="files"><div class="item"><span>報名表</span><a href="/f/a1.docx">DOCX</a>'
         '<a href="/f/b1.odt">ODT</a></div><div class="item"><span>統計表</span><a href="/f/a2.xlsx">XLSX</a>'
         '<a href="/f/b2.pdf">PDF</a></div></div>', [noodf("https://www.example.gov.tw/f/a2.xlsx")]),
        # a div holding a whole list is no row: the ODT covers only its own stem
        ('<div class="files"><a href="/f/a1.docx">DOCX</a><a href="/f/a2.docx">DOCX</a><a href="/f/a1.odt">ODT</a>'
         '</div>', [noodf("https://www.example.gov.tw/f/a2.docx")]),
        # malformed hrefs are link.malformed's: never a download, never a crash
        ('<a href="http://javascript:;">a.docx</a><a href="javscript:;">b.docx</a><a href="http://[::1/a.docx">c</a>',
         []),
        ('<ul><li><a href="http://javascript:;">DOCX</a><a href="/f/x.pdf">PDF</a></li></ul>', []),
    ],
)
def test_rows_icons_and_cms_links(html, expected):
    check(html, expected)


def test_message_names_the_kind_and_decoded_url():
    (f,) = check('<a href="/f/%E5%A0%B1%E5%90%8D%E8%A1%A8.ppt">簡報</a><a href="/f/報名表.odt">x</a>',
                 [noodf("https://www.example.gov.tw/f/%E5%A0%B1%E5%90%8D%E8%A1%A8.ppt")])
    assert "簡報" in f.message and ".odp" in f.message and "/f/報名表.ppt" in f.message


@pytest.mark.parametrize(
    "html, expected",
    [
        ('<a href="/download.php?file=a.docx">a</a>',
         [noodf("https://www.example.gov.tw/download.php?file=a.docx")]),
        ('<a href="/download.php?file=a.docx">a</a><a href="/download.php?file=a.odt">a</a>', []),
        ('<a href="/Download.ashx?id=5&amp;name=%E5%A0%B1%E5%90%8D%E8%A1%A8.xlsx">a</a>',
         [noodf("https://www.example.gov.tw/Download.ashx?id=5&name=%E5%A0%B1%E5%90%8D%E8%A1%A8.xlsx")]),
        ('<a href="/dl?f=/upload/2026/a.pptx">a</a><a href="/upload/2026/a.odp">a</a>', []),
        ('<a href="/dl/報名表.docx/123">a</a>', [noodf("https://www.example.gov.tw/dl/報名表.docx/123")]),
        ('<a href="/File.aspx?id=123" download="報名表.docx">報名表</a>',
         [noodf("https://www.example.gov.tw/File.aspx?id=123")]),
        ('<a href="/File.aspx?id=123" download="報名表.docx">a</a>'
         '<a href="/File.aspx?id=124" download="報名表.odt">b</a>', []),
        ('<a href="/download.php?id=5">報名表.docx</a>',  # the name only in the link text
         [noodf("https://www.example.gov.tw/download.php?id=5")]),
        ('<a href="/download.php?id=5">報名表.docx</a><a href="/download.php?id=6">報名表.odt</a>', []),
    ],
)
def test_query_downloads(html, expected):
    check(html, expected)


def test_base_href_and_area():
    html = body('<base href="https://files.example.gov.tw/dl/"><a href="a.docx">a</a>'
                '<map><area href="b.xlsx" alt="b"></map>')
    assert_findings(html, [noodf("https://files.example.gov.tw/dl/a.docx"), noodf("https://files.example.gov.tw/dl/b.xlsx")],
                    check=attachments)


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://s/a/B.DocX", ("b", "docx")),
        ("https://s/a.tar.gz", None),
        ("https://s/download.php?file=a.xls", ("a", "xls")),
        ("https://s/download.php?file=C:%5Cusers%5Cform.doc", ("form", "doc")),
        ("https://s/a.odt?v=2", ("a", "odt")),
        ("https://s/.docx", None),
        ("https://s/", None),
    ],
)
def test_file_name(url, expected):
    assert file_name(url) == expected


def test_non_html_and_rules():
    page = make_page("a.docx", url="https://www.example.gov.tw/x.txt", content_type="text/plain")
    assert list(attachments.check(page, make_ctx())) == []
    assert [(r.id, r.severity.name) for r in attachments.RULES] == [("attachment.no-odf", "warning")]


@pytest.mark.parametrize("path", fixture_paths("attachments"), ids=lambda p: p.name)
def test_fixture(path):
    run_fixture(path, attachments)


def corpus_scores() -> dict:
    """Issue 10's target on the CMS-shaped download pages: of the editable
    documents offered without a same-kind ODF counterpart (the fixtures'
    `expect:` lines), how many are reported — and how many reports are right."""
    expected = found = reported = 0
    for path in fixture_paths("attachments"):
        html, opts, want = load_fixture(path)
        page = make_page(html, opts.get("url", "https://www.example.gov.tw/news/1.html"))
        got = {f.detail["target"] for f in attachments.check(page, make_ctx())}
        targets = {w[1] for w in want}
        expected += len(targets)
        found += len(targets & got)
        reported += len(got)
    return {"pages": len(fixture_paths("attachments")), "missing_counterparts": expected,
            "recall": found / expected, "precision": found / reported}


def test_corpus_same_kind_recall():
    scores = corpus_scores()
    assert scores["missing_counterparts"] >= 20
    assert scores["recall"] >= 0.95 and scores["precision"] >= 0.95, scores
