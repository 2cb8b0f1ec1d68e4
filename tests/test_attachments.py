"""checks.attachments: editable downloads need their ODF counterpart on the page."""
from __future__ import annotations

import pytest
from checkhelp import assert_findings, fixture_paths, make_page, make_ctx, run_fixture

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
        ('<a href="a.docx">a</a><a href="a.odg">a</a>', []),  # any ODF type counts
        ('<a href="a.docx">a</a><a href="a.pdf">a</a>', [noodf("a.docx")]),  # PDF alone is not ODF
        ('<a href="a.docx">a</a><a href="b.odt">b</a>', [noodf("a.docx")]),  # other stem, other row
        # an ODF link in the same list item / table row / paragraph
        ('<ul><li>報名表 <a href="f1.docx">DOCX</a> <a href="f2.odt">ODT</a></li></ul>', []),
        ('<table><tr><td>報名表</td><td><a href="f1.docx">Word</a></td><td><a href="f2.odt">ODF</a></td></tr></table>', []),
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
        ('<a href="/File.aspx?id=123" download="報名表.docx">a</a><a href="/File.aspx?id=124" download="報名表.odt">b</a>', []),
        ('<a href="/download.php?id=5">報名表.docx</a>', []),  # name only in link text: unknown
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
