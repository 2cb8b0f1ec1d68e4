"""checks/moda.py beyond the fixtures: the pieces, the settings, the registry,
content kinds and the manual review list."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from checkhelp import default_settings
from checks import a11y_spec, moda, registry
from checks.model import CheckContext, Severity
from checks.page import Page, parse_html

URL = "https://www.example.gov.tw/cp.aspx?n=1"
FLAWED = """<html lang="zh-Hant-TW"><head><title>t</title><style>p { font-size: 12px }</style></head><body>
<h1>a</h1><h3>b</h3><p lang="">x</p><img src="a.gif" alt="" title="t"></body></html>"""


def findings(html: str, *, url: str = URL, axe: dict | None = None, **settings):
    page = Page(url=url, html=html)
    ctx = CheckContext(as_of=date(2026, 12, 1), settings=replace(default_settings(), **settings),
                       axe_results={url: axe} if axe is not None else {})
    return list(moda.check(page, ctx))


def rules(found) -> set[str]:
    return {f.rule for f in found}


def test_codes_above_the_level_are_skipped():
    assert rules(findings(FLAWED)) == {"moda.HM1130100C", "moda.CS2140401C", "moda.HM2310200C", "moda.HM1110106C"}
    assert rules(findings(FLAWED, a11y_level="A")) == {"moda.HM1130100C", "moda.HM1110106C"}


def test_nothing_when_accessibility_is_off_or_not_html():
    assert findings(FLAWED, a11y_enabled=False) == []
    page = Page(url=URL, html=FLAWED, content_type="application/pdf")
    assert list(moda.check(page, CheckContext(as_of=date(2026, 12, 1), settings=default_settings()))) == []


def test_runs_without_browser_results():
    """`siteaudit check` without a browser still judges the page itself; only
    linked stylesheets need the browser's facts."""
    assert "moda.CS2140401C" in rules(findings(FLAWED, axe=None))


def test_unreadable_stylesheet_is_a_notice_only_when_css_is_judged():
    axe = {"violations": [], "css": {"absolute_font_sizes": [], "unreadable": ["https://x.example/a.css"]}}
    clean = '<html lang="zh-Hant-TW"><head><title>t</title></head><body><h1>a</h1></body></html>'
    (f,) = findings(clean, axe=axe)
    assert (f.rule, f.severity, f.detail["targets"]) == ("moda.css-unreadable", Severity.notice,
                                                         ["https://x.example/a.css"])
    assert "樣式表無法讀取" in f.message and f.detail["code"] == "CS2140401C"
    assert findings(clean, axe=axe, a11y_level="A") == []


def test_detail_and_message():
    (f,) = [f for f in findings(FLAWED) if f.rule == "moda.HM1130100C"]
    d = f.detail
    assert (d["code"], d["level"], d["sc"], d["spec"]) == ("HM1130100C", "A", "1.3.1", "115.11")
    assert d["targets"] == ["body > h3"] and d["html"] == "<h3>b</h3>" and d["nodes"] == 1
    assert d["help_url"] == "https://accessibility.moda.gov.tw/Download/Detail/1506?Category=63"
    assert f.message == "檢測碼 HM1130100C（A）：標題層級由 h1 跳到 h3"
    assert f.severity == Severity.error


def test_redirect_and_frameset_pages_need_no_heading():
    stub = ('<html lang="zh-Hant-TW"><head><title>t</title><meta http-equiv="refresh" content="0; url=/news/">'
            '</head><body><p>已移至<a href="/news/">最新消息</a></p></body></html>')
    frames = ('<html lang="zh-Hant-TW"><head><title>t</title></head>'
              '<frameset cols="20%,80%"><frame src="menu.htm" title="選單">'
              '<frame src="main.htm" title="內容"></frameset></html>')
    assert findings(stub) == [] and findings(frames) == []
    assert rules(findings(stub, a11y_level="AAA")) == {"moda.HM3240900C"}


def test_aaa_codes_are_warnings():
    html = '<html lang="zh-Hant-TW"><head><title>t</title></head><body><h1>a</h1><a href="/x">x</a></body></html>'
    (f,) = findings(html, a11y_level="AAA")
    assert (f.rule, f.severity) == ("moda.HM3240900C", Severity.warning)


def test_targets_capped_at_ten_nodes_counted():
    html = ('<html lang="zh-Hant-TW"><head><title>t</title></head><body><h1>a</h1>'
            + "".join(f'<img src="{i}.gif" alt="" title="t{i}">' for i in range(14)) + "</body></html>")
    (f,) = findings(html)
    assert f.detail["nodes"] == 14 and len(f.detail["targets"]) == 10 == len(f.detail["reasons"])
    assert f.message.endswith("共 14 處")


def test_rule_metadata_one_per_code():
    ids = {r.id for r in moda.RULES}
    for edition in a11y_spec.KNOWN_SPECS:
        for code in a11y_spec.machine_codes(edition):
            assert f"moda.{code}" in ids
    assert moda.CSS_UNREADABLE in ids
    r = moda._RULE["moda.HM1130103C"]
    assert r.title.startswith("HM1130103C 在表單選擇<select>組件中") and "optgroup" in r.fix
    assert "fieldset" in r.fix_for({"spec": "110.07"}) and "optgroup" in r.fix_for({"spec": "115.11"})
    assert moda._RULE["moda.CS3140801C"].severity == Severity.warning
    assert moda._RULE["moda.ME1320200C"].severity == Severity.error
    for rule in moda.RULES:
        assert rule.check == "accessibility" and rule.title and rule.fix
        assert {"code", "level", "sc", "targets", "html", "help_url"} <= set(rule.detail)


def test_registry_has_moda_and_site():
    assert moda in registry.PAGE_CHECKS and registry.SITE_CHECKS[0].CHECK == "site"
    assert registry.rule_for("moda.HM1240102C") is moda._RULE["moda.HM1240102C"]
    assert registry.rule_for("site.badge") is not None
    assert registry.rule_for("a11y.image-alt").id == "a11y.*"


@pytest.mark.parametrize("css, expected", [
    ("a { font-size: 12px }", [("a", "font-size", "12px")]),
    ("/* b { font-size: 1px } */ c{color:red;font-size:1em}", [("c", "color", "red"), ("c", "font-size", "1em")]),
    ("@media print { p, li { font-size: 10pt } }", [("p, li", "font-size", "10pt")]),
    ("@supports (display:grid) { @media (min-width:1px) { .x { top: 0 } } }", [(".x", "top", "0")]),
    ("@font-face { font-family: x; src: url('a;b.woff') } .y { font-size: 2pc }", [(".y", "font-size", "2pc")]),
    ("@keyframes k { from { font-size: 1px } to { font-size: 2px } } .z { width: 1px }", [(".z", "width", "1px")]),
    ("@import url(a.css); .q { content: \"{\"; font-size: 3mm }",
     [(".q", "content", '"{"'), (".q", "font-size", "3mm")]),
    (".i { font-size: 12px !important }", [(".i", "font-size", "12px")]),
])
def test_css_rules(css, expected):
    got = [(sel, prop, value) for sel, body, _line in moda.css_rules(css) for prop, value in moda._declarations(body)]
    assert got == expected


def test_css_rule_lines():
    css = "a { color: red }\n\n@media print {\n  p { font-size: 9pt }\n}\n"
    assert [(sel, line) for sel, _b, line in moda.css_rules(css)] == [("a", 1), ("p", 4)]


@pytest.mark.parametrize("value, absolute", [
    ("12px", True), ("9PT", True), ("1pc", True), ("0.5in", True), ("1cm", True), ("3mm", True), ("4Q", True),
    ("1em", False), ("100%", False), ("small", False), ("1.2rem", False), ("2vw", False), ("0", False),
    ("calc(1rem + 2px)", False), ("var(--size, 12px)", False), ("clamp(1rem, 2vw, 20px)", False), ("inherit", False),
    ("#12px", False), ("1.5", False),
])
def test_absolute_units(value, absolute):
    assert moda.absolute(value) is absolute


@pytest.mark.parametrize("value, size, lh", [
    ("bold 12px/18px Arial", "12px", "18px"), ("700 1em Arial", "1em", ""), ("italic small/1.5 serif", "small", "1.5"),
    ("14pt 微軟正黑體", "14pt", ""),
])
def test_font_shorthand(value, size, lh):
    assert moda._font_size_of_shorthand(value) == size and moda._line_height_of_shorthand(value) == lh


@pytest.mark.parametrize("tag, ok", [
    ("en", True), ("zh-Hant-TW", True), ("zh-TW", True), ("en-US", True), ("es-419", True), ("x-klingon", True),
    ("sr-Latn-RS", True), ("de-CH-1901", True), ("zh-cmn-Hans-CN", True),
    ("", False), ("zh_TW", False), ("english", False), ("e", False), ("en-", False), ("中文", False),
])
def test_valid_lang(tag, ok):
    assert moda.valid_lang(tag) is ok


def test_css_path():
    root = parse_html('<html><body><div id="main"><ul><li>a</li><li><a href="#">b</a></li></ul></div>'
                      '<p>1</p><p>2</p></body></html>')
    a = root.find(".//a")
    ps = root.findall(".//p")
    assert moda.css_path(a) == "#main > ul > li:nth-of-type(2) > a"
    assert moda.css_path(ps[1]) == "body > p:nth-of-type(2)"


@pytest.mark.parametrize("url, download, name", [
    ("https://x.gov.tw/files/a.DOCX", None, ("a", "docx")),
    ("https://x.gov.tw/Download.ashx?u=LzAw&n=%E7%94%B3%E8%AB%8B%E6%9B%B8.doc", None, ("申請書", "doc")),
    ("https://x.gov.tw/dl/123", "報名表.xlsx", ("報名表", "xlsx")),
    ("https://x.gov.tw/dl/報名表.pdf/7", None, ("報名表", "pdf")),
    ("https://x.gov.tw/news.aspx?n=5", None, None),
])
def test_document_name(url, download, name):
    assert moda.document_name(url, download) == name


def _page(body: str) -> Page:
    return Page(url=URL, html=f'<html lang="zh-Hant-TW"><head><title>t</title></head><body>{body}</body></html>')


@pytest.mark.parametrize("body, kinds", [
    ("<p>文字</p>", []),
    ('<img src="a.png" alt="照片">', ["images"]),
    ('<div aria-hidden="true"><img src="a.png" alt=""></div>', []),
    ("<table><tr><td>x</td></tr></table>", ["tables"]),
    ('<form role="search"><input type="search" name="q" title="搜尋"><button>搜尋</button></form>', []),
    ('<form action="/search"><input type="text" name="keyword" title="關鍵字"></form>', []),
    ('<form><label for="n">姓名</label><input id="n" name="n">'
     '<label for="t">電話</label><input id="t" name="t"></form>', ["forms"]),
    ('<video src="a.mp4" controls></video>', ["media"]),
    ('<iframe src="https://www.youtube.com/embed/x" title="影片"></iframe>', ["media", "frames"]),
    ('<iframe src="https://www.google.com/maps/embed" title="地圖"></iframe>', ["frames"]),
    ('<input type="image" src="go.png" alt="查詢">', ["images"]),
])
def test_content_kinds(body, kinds):
    assert moda.content_kinds(_page(body)) == kinds


def test_manual_review_points():
    points = moda.manual_review_points(["images", "media"], "115.11", "AA")
    kinds = [p["kind"] for p in points]
    assert kinds == sorted(kinds, key=["general", "images", "media"].index)  # general first
    by_sc = {(p["kind"], p["sc"]): p for p in points}
    assert by_sc[("images", "1.4.5")] == {"kind": "images", "sc": "1.4.5", "level": "AA", "name": "影像文字",
                                          "what": by_sc[("images", "1.4.5")]["what"], "machine": False}
    assert by_sc[("images", "1.1.1")]["machine"] is True  # axe image-alt checks the markup, a person the words
    assert ("media", "1.2.2") in by_sc and ("forms", "3.3.1") not in by_sc
    assert ("general", "2.5.8") in by_sc and all(p["level"] in ("A", "AA") for p in points)
    old = moda.manual_review_points(["images"], "110.07", "AA")
    assert not any(p["sc"] in ("2.4.11", "2.5.8", "3.2.6") for p in old)
    aaa = moda.manual_review_points([], "115.11", "AAA")
    assert any(p["level"] == "AAA" for p in aaa) and {p["kind"] for p in aaa} == {"general"}


def test_every_criterion_only_a_person_can_judge_is_a_review_point():
    """Criteria of the edition with no axe rule that runs and no 檢測碼 at
    the level must all be in the list for some kind."""
    for edition in a11y_spec.KNOWN_SPECS:
        listed = {p["sc"] for p in moda.manual_review_points(moda.KINDS, edition, "AAA")}
        machine = moda._machine_criteria(edition, "AAA")
        for sc in a11y_spec.criteria(edition):
            if sc not in machine:
                assert sc in listed, (edition, sc)
