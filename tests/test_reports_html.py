"""report.html: one self-contained file, escaped crawled text, what to fix first, evidence, honest runs,
the 檢測碼 view, documents, the 未指定 prompt — and, in headless Chromium, the filters kept in the
fragment, the grouped list, a phone-width screenshot, axe on screen and print media, and speed at scale.
"""
from __future__ import annotations

import json
import sys
import time
import tomllib
from pathlib import Path

import lxml.html
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "reports"))
import printhelp as P  # noqa: E402
import reports_synthetic as S  # noqa: E402

from reports.history import compare, record_run  # noqa: E402
from reports.html import finding_groups, top_fixes, write_html  # noqa: E402
from reports.run import load_run, roc_datetime  # noqa: E402


def embedded(html: str) -> dict:
    doc = lxml.html.document_fromstring(html)
    return json.loads(doc.get_element_by_id("audit-data").text)


def text_of(html: str, element_id: str) -> str:
    return lxml.html.document_fromstring(html).get_element_by_id(element_id).text_content()


@pytest.fixture()
def report_with_history(tmp_path: Path) -> Path:
    """The basic run, compared with an October run that had one other broken link."""
    gone = S.finding("/news/9.html", "link.broken", "error", "失效連結：舊檔", "/news/", "秘書室",
                     target=S.SITE + "/old.pdf", status=404, element="a")
    prev_findings = [*S.BASIC_FINDINGS[:5], gone]
    prev = load_run(S.basic_run(tmp_path / "oct", findings=prev_findings,
                                started="2026-10-26T02:00:00+08:00", as_of="2026-10-26"))
    db = tmp_path / "history.sqlite"
    record_run(db, prev)
    run = load_run(S.basic_run(tmp_path / "nov"))
    return write_html(run, tmp_path / "nov" / "report.html", compare(db, run))


def menu_run(out: Path, pages: int = 120) -> Path:
    """One broken menu link on every page, and three missing fields on each page."""
    ps = [S.page(f"/news/{i}.html", "/news/", "秘書室", f"公告 {i}") for i in range(pages)]
    fs = []
    for p in ps:
        fs.append(S.finding(p["url"], "link.broken", "error", "失效連結：選單", "/news/", "秘書室",
                            target=S.SITE + "/menu/%E6%9C%8D%E5%8B%99.html", status=404, element="a",
                            link_text="服務項目", line=12))
        for field in ("DC.Title", "DC.Subject", "Category.Cake"):
            fs.append(S.finding(p["url"], "metadata.missing", "error", f"缺少詮釋資料：{field}", "/news/", "秘書室",
                                field=field))
    fs.append(S.finding(ps[0]["url"], "citation.no-link", "error", "引用未附連結", "/news/", "秘書室",
                        text="資料來源：某處"))
    fs.append(S.finding(ps[1]["url"], "freshness.unknown", "notice", "查無更新日期", "/news/", "秘書室"))
    return S.write_run(out, fs, ps, S.meta(pages=len(ps), findings=fs), documents=[])


def test_self_contained_traditional_chinese(report_with_history: Path) -> None:
    html = report_with_history.read_text(encoding="utf-8")
    doc = lxml.html.document_fromstring(html)
    assert doc.get("lang") == "zh-Hant-TW"
    # nothing loaded from elsewhere: no external scripts, styles, images or fonts
    assert not doc.xpath("//script[@src] | //link[@rel='stylesheet'] | //img | //iframe")
    assert "@import" not in html and "url(" not in html.replace("url(#hatch)", "")
    assert doc.xpath("//a[@class='skip']/@href") == ["#main"]
    assert [len(doc.xpath(f"//{t}")) for t in ("main", "nav", "header", "footer")] >= [1, 1, 1, 1]
    assert all(th.get("scope") in ("col", "row") for th in doc.xpath("//th"))
    summary = doc.get_element_by_id("summary")
    assert "民國115年11月26日" in summary.text_content()
    assert "網站無障礙規範 115.11 版（AA 等級）" in summary.text_content()  # the edition is named
    rows = summary.xpath(".//tbody/tr")
    assert [r.xpath("./td[1]//text()")[0] for r in rows] == ["/", "/about/", "/download/", "/news/", "/service/"]
    heads = [th.text_content() for th in summary.xpath(".//thead/tr/th")]
    assert heads[9] == "附件問題" and heads[10] == "無障礙問題"
    assert "待改善" in summary.text_content() and "合計" in summary.text_content()
    assert all(w in summary.text_content() for w in ("承辦人", "單位主管", "日期"))  # sign-off lines
    compare_sec = doc.get_element_by_id("compare").text_content()
    assert "本次新增" in compare_sec and "已改善" in compare_sec
    data = embedded(html)
    assert len(data["findings"]) == len(S.BASIC_FINDINGS)
    assert sum(f[5] for f in data["findings"]) == len(S.BASIC_FINDINGS) - 5  # new since October
    assert len(data["review"]) == 1
    # the per-unit list puts the stale pages first, oldest first, dates in 民國 form
    unit = doc.xpath("//section[@class='unit'][h3='秘書室']")[0]
    assert unit.xpath(".//h4/text()")[0].startswith("逾期未更新網頁")
    assert [td.text for td in unit.xpath(".//details//tbody/tr/td[3]")] == ["民國115年1月5日", "民國115年8月1日"]
    assert "units/秘書室.xlsx" in unit.text_content()


def test_human_readable_times_versions_and_trend(tmp_path: Path) -> None:
    from datetime import timedelta, timezone

    assert roc_datetime("2026-12-01T06:03:00+00:00", timezone(timedelta(hours=8))) == "民國115年12月1日 14:03"
    assert roc_datetime("2026-12-01T14:03:00+08:00") == "民國115年12月1日 14:03"  # already the audit machine's zone
    db = tmp_path / "h.sqlite"
    for m in range(1, 13):
        record_run(db, load_run(S.basic_run(tmp_path / f"m{m}", started=f"2026-{m:02d}-01T02:00:00+08:00",
                                            as_of=f"2026-{m:02d}-01")))
    run = load_run(S.basic_run(tmp_path / "now"))
    html = write_html(run, tmp_path / "now" / "report.html", compare(db, run)).read_text(encoding="utf-8")
    info = text_of(html, "overview")
    assert "爬取期間：民國115年11月26日 02:00 至 民國115年11月26日 02:10" in info
    assert "工具版本：0.1.0" in info and "axe-core：4.10.2" in info and "瀏覽器：Chromium 156" in info
    assert "2026-11-26T" not in html.split('id="audit-data"')[0]  # no raw ISO timestamp for people
    doc = lxml.html.document_fromstring(html)
    labels = doc.xpath("//section[@id='compare']//text[@class='c-small']")
    assert labels[0].text == "115/01/01" and labels[-1].text == "115/11/26"
    assert all("rotate(-45" in t.get("transform") for t in labels)  # slanted: neighbours never overlap


def test_crawled_text_is_escaped_everywhere(tmp_path: Path) -> None:
    run = load_run(S.xss_run(tmp_path / "xss"))
    html = write_html(run, tmp_path / "xss" / "report.html").read_text(encoding="utf-8")
    lowered = html.lower()
    # exactly our two <script> elements, and nothing a payload could have opened
    assert lowered.count("<script") == 2 and lowered.count("</script") == 2
    assert lowered.count("<style") == 2 and lowered.count("</style") == 2
    assert "<img" not in lowered
    assert "<script>alert" not in lowered
    assert "onerror=alert(1)>" not in html  # the attribute break-out payload never survives raw
    doc = lxml.html.document_fromstring(html)
    assert "javascript:" not in " ".join(doc.xpath("//@href"))
    # inside the embedded JSON the markup characters are \\u escapes, and the data is intact
    raw_json = doc.get_element_by_id("audit-data").text
    assert "<" not in raw_json and ">" not in raw_json and "&" not in raw_json
    data = json.loads(raw_json)
    assert {p[1] for p in data["pages"]} - {""} == set(S.PAYLOADS)
    assert set(S.PAYLOADS) <= set(data["units"])
    # no element carries an event-handler attribute
    assert not doc.xpath("//@*[starts-with(name(), 'on')]")
    # server-rendered places show the payload as text
    assert S.PAYLOADS[0] in doc.get_element_by_id("units").text_content()
    assert S.PAYLOADS[1] in doc.get_element_by_id("summary").text_content()
    for part in ("run-status", "documents", "codes", "review", "notices", "site"):
        text = doc.get_element_by_id(part).text_content()
        assert any(p in text for p in S.PAYLOADS), part
    # the running print header carries the site name as an escaped CSS string
    page_css = doc.xpath("//style")[1].text
    assert "<" not in page_css and page_css.count('"') == 2 and "\\3c script" in page_css


def test_what_to_fix_first_groups_and_top_five(tmp_path: Path) -> None:
    run = load_run(menu_run(tmp_path / "menu"))
    groups = finding_groups(run)
    menu = next(g for g in groups if g.rule == "link.broken")
    assert menu.pages == 120 and len(menu.findings) == 120  # one row for the menu link on 120 pages
    assert menu.label == S.SITE + "/menu/服務.html"  # decoded for people
    missing = [g for g in groups if g.rule == "metadata.missing"]
    assert len(missing) == 120 and missing[0].label == "DC.Title、DC.Subject、Category.Cake"  # one row per page
    # severity first, then pages: the 120-page error before the 1-page error, the notice last
    sev_pages = [(int(g.severity), g.pages) for g in groups]
    assert sev_pages == sorted(sev_pages, key=lambda t: (-t[0], -t[1]))
    assert groups[-1].rule == "freshness.unknown"
    top = top_fixes(run)
    assert len(top) == 5 and top[0]["rule"] == "link.broken" and top[0]["pages"] == 120
    assert "404" in top[0]["fix"]  # advice for this status
    html = write_html(run, tmp_path / "menu" / "report.html").read_text(encoding="utf-8")
    overview = text_of(html, "overview")
    assert "優先修正" in overview and "修正後可改善 120 頁" in overview
    data = embedded(html)
    assert len(data["groups"]) == len(groups)
    # findings.jsonl still holds one line per field: the report groups, the data does not
    assert sum(1 for line in (tmp_path / "menu" / "findings.jsonl").read_text(encoding="utf-8").splitlines()
               if '"metadata.missing"' in line) == 360


def test_evidence_and_advice_per_finding(tmp_path: Path) -> None:
    run = load_run(S.basic_run(tmp_path / "audit"))
    data = embedded(write_html(run, tmp_path / "audit" / "report.html").read_text(encoding="utf-8"))
    by_rule = {data["rules"][f[1]][0]: f for f in data["findings"]}
    broken = data["details"][by_rule["link.broken"][4]]
    assert broken["link_text"] == "下載說明" and broken["line"] == 42
    contrast = data["details"][by_rule["a11y.color-contrast"][4]]
    assert contrast["contrast"] == 2.8 and contrast["fg"] == "#999999" and contrast["html"].startswith("<p")
    assert data["rootNote"].startswith("整個頁面")
    invalid = data["details"][by_rule["attachment.invalid"][4]]
    assert invalid["target_shown"] == S.SITE + "/download/申請書.pdf"  # decoded; target stays as fetched
    assert "%E7" in invalid["target"]
    assert "404" in data["fixes"][by_rule["link.broken"][7]]
    assert "逾時" in data["fixes"][by_rule["link.unreachable"][7]]
    assert all("%E7%94" not in m for m in data["messages"])


def test_unassigned_paths_prompt_with_a_ready_snippet(tmp_path: Path) -> None:
    run = load_run(S.basic_run(tmp_path / "audit"))
    html = write_html(run, tmp_path / "audit" / "report.html").read_text(encoding="utf-8")
    doc = lxml.html.document_fromstring(html)
    part = doc.get_element_by_id("unassigned")
    assert "/download/" in part.text_content() and "/" in part.text_content()
    snippet = doc.get_element_by_id("toml-snippet").text_content()
    parsed = tomllib.loads(snippet)
    assert [s["path"] for s in parsed["sections"]] == ["/", "/download/"]
    assert all(s["unit"] for s in parsed["sections"])


def test_honest_run_banner_failed_pages_and_blocked_hosts(tmp_path: Path) -> None:
    out = S.basic_run(tmp_path / "audit", complete=False, incomplete_reasons=["檢視在完成前中斷"],
                      failed_pages=[{"url": S.SITE + "/service/%E7%94%B3%E8%AB%8B.html", "reason": "無法解析網頁",
                                     "stage": "parse", "status": 200, "error": "ValueError: Port could not be cast"}],
                      a11y={"blocked": {"cdn.example.com": 12, "fonts.example.net": 3}, "blocked_total": 15})
    html = write_html(load_run(out), out / "report.html").read_text(encoding="utf-8")
    doc = lxml.html.document_fromstring(html)
    main = doc.get_element_by_id("main")
    first = main.xpath("./section")[0]
    assert first.get("id") == "run-status"  # at the top
    text = first.text_content()
    assert "本次檢視未完成" in text and "無法解析網頁" in text and S.SITE + "/service/申請.html" in text
    assert "對比度判定時未載入 cdn.example.com 的資源（12 次）" in " ".join(text.split())
    assert "ValueError" not in html.split('id="audit-data"')[0]  # the raw error is not shown
    summary = doc.get_element_by_id("summary").text_content()
    assert "符合" not in [td.text_content() for td in doc.xpath("//table[@class='summary']//td")]
    assert "未完成" in summary


def test_codes_view_documents_and_needs_a_person(tmp_path: Path) -> None:
    html = write_html(load_run(S.basic_run(tmp_path / "audit")), tmp_path / "audit" / "report.html").read_text(
        encoding="utf-8")
    doc = lxml.html.document_fromstring(html)
    codes = doc.get_element_by_id("codes")
    text = codes.text_content()
    assert "115.11" in text
    for code in ("HM2140300C", "HM1110100C", "HM1130100C"):
        assert code in text
    assert set(codes.xpath(".//a[text()='HM1130100C']/@href")) == {"https://accessibility.moda.gov.tw/Accessible/Guide/68"}
    assert "通過機器檢測的網頁（2 頁）" in text  # /about/ and /news/2.html
    assert "未完成無障礙檢測的網頁（1 頁）" in text and "逾時" in text
    review = doc.get_element_by_id("review").text_content()
    assert "1.1.1 非文字內容" in review and "字幕" in review
    docs = doc.get_element_by_id("documents").text_content()
    from reports.run import rule_title

    assert "申請書.pdf" in docs and rule_title("attachment.invalid") in docs and "商品檢驗申請指南" in docs
    assert "2.4 MB" in docs
    site = doc.get_element_by_id("site").text_content()
    assert "無障礙標章" in site and "首頁沒有無障礙標章" in site


def test_not_checked_parts_say_so(tmp_path: Path) -> None:
    checks = dict(S.ALL_DONE, accessibility="off", documents="off")
    out = S.basic_run(tmp_path / "audit", findings=[f for f in S.BASIC_FINDINGS if not f["rule"].startswith(
        ("a11y.", "moda."))], checks=checks)
    html = write_html(load_run(out), out / "report.html").read_text(encoding="utf-8")
    doc = lxml.html.document_fromstring(html)
    rows = doc.xpath("//table[@class='summary']//tr")
    cells = [td.text_content() for r in rows for td in r.xpath("./td[9] | ./td[10]")]
    assert cells and set(cells) == {"未檢測"}
    assert "未檢測" in doc.get_element_by_id("codes").text_content()
    assert "未檢測" in doc.get_element_by_id("documents").text_content()
    assert "未執行的檢查：無障礙、附件內容" in doc.get_element_by_id("run-status").text_content()


def test_scale_2000_pages_20k_findings(tmp_path: Path) -> None:
    out = S.big_run(tmp_path / "big")
    t0 = time.perf_counter()
    run = load_run(out)
    path = write_html(run, out / "report.html")
    elapsed = time.perf_counter() - t0
    size = path.stat().st_size
    print(f"\n2,000 pages / {len(run.findings):,} findings: report.html {size / 1e6:.2f} MB, "
          f"load+render {elapsed:.2f} s")
    assert len(run.findings) == 20000
    assert size < 10 * 1024 * 1024
    assert len(embedded(path.read_text(encoding="utf-8"))["findings"]) == 20000


def test_empty_run_renders(tmp_path: Path) -> None:
    """An interrupted run with nothing written yet still gets a report, not a crash."""
    (tmp_path / "empty").mkdir()
    run = load_run(tmp_path / "empty")
    html = write_html(run, tmp_path / "empty" / "report.html", compare(tmp_path / "none.sqlite", run))
    text = html.read_text(encoding="utf-8")
    assert "沒有發現問題" in text and embedded(text)["findings"] == []


# ---------------------------------------------------------------- real browser
@pytest.fixture(scope="module")
def browser():
    if not P.have_browser():
        pytest.skip("needs /usr/bin/chromium, /usr/bin/chromedriver and node_modules/axe-core (make setup)")
    b = P.Browser()
    try:
        yield b
    finally:
        b.quit()


def _visible(d, selector: str) -> int:
    return d.execute_script(
        "return Array.prototype.filter.call(document.querySelectorAll(arguments[0]),"
        " function (e) { return e.offsetParent !== null; }).length", selector)


def shown(findings: list[dict]) -> int:
    """Items the by-page view draws: a page's missing metadata fields are one item."""
    missing: dict[str, int] = {}
    for f in findings:
        if f["rule"] == "metadata.missing":
            missing[f["url"]] = missing.get(f["url"], 0) + 1
    return len(findings) - sum(n - 1 for n in missing.values())


def _select(d, element_id: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select
    Select(d.find_element("id", element_id)).select_by_value(value)


@pytest.mark.browser
def test_filters_fragment_groups_screenshot_and_axe(browser, report_with_history: Path) -> None:
    from selenium.webdriver.common.by import By

    d = browser.d
    browser.open(report_with_history, "#explorer?view=page")
    assert _visible(d, "#results li.f") == shown(S.BASIC_FINDINGS)
    errors = [f for f in S.BASIC_FINDINGS if f["severity"] == "error"]

    _select(d, "f-sev", "error")
    assert _visible(d, "#results li.f") == shown(errors)
    assert f"{len(errors)} 項" in d.find_element(By.ID, "f-status").text
    assert "缺少 2 個欄位：DC.Title、DC.Creator" in d.find_element(By.ID, "results").text
    assert "severity=error" in d.execute_script("return location.hash")  # the view lives in the address

    _select(d, "f-sev", "")
    _select(d, "f-unit", "秘書室")
    assert _visible(d, "#results li.f") == shown([f for f in S.BASIC_FINDINGS if f["unit"] == "秘書室"])
    _select(d, "f-check", "freshness")
    assert _visible(d, "#results li.f") == 3  # two stale pages and one without a date
    _select(d, "f-section", "/about/")
    assert _visible(d, "#results li.f") == 0
    assert "沒有符合條件" in d.find_element(By.ID, "f-status").text

    # a shared address reopens the same view
    shared = d.execute_script("return location.hash")
    browser.open(report_with_history, "#overview")
    browser.open(report_with_history, shared)
    assert d.find_element(By.ID, "f-unit").get_attribute("value") == "秘書室"
    assert d.find_element(By.ID, "f-section").get_attribute("value") == "/about/"

    d.find_element(By.ID, "f-reset").click()
    time.sleep(0.1)
    _select(d, "f-view", "page")
    d.find_element(By.ID, "f-q").send_keys("DC.Title")
    time.sleep(0.5)  # the search waits for typing to pause
    assert _visible(d, "#results li.f") == 1
    assert "q=DC.Title" in d.execute_script("return location.hash")
    d.find_element(By.ID, "f-reset").click()
    time.sleep(0.1)
    _select(d, "f-view", "page")
    d.find_element(By.ID, "f-new").click()
    assert _visible(d, "#results li.f") == shown(S.BASIC_FINDINGS[5:])

    # evidence: anchor text and line, the HTML snippet, the contrast ratio and colours, :root explained
    d.find_element(By.ID, "f-reset").click()
    time.sleep(0.1)
    _select(d, "f-view", "page")
    text = d.find_element(By.ID, "results").text
    assert "下載說明" in text and "第 42 行" in text
    assert '<p class="footer">本局地址：基隆市</p>' in text
    assert "2.8:1" in text and "#999999" in text
    assert "整個頁面（:root" in text
    assert "https://www.example.gov.tw/download/申請書.pdf" in text
    assert "如何修正" in text
    assert "TimeoutError" not in text  # raw English errors stay folded away under 技術細節
    assert "技術細節" in text

    # grouped view (default): one row per problem, sorted by severity then pages; opening shows the pages
    _select(d, "f-view", "group")
    data = embedded(report_with_history.read_text(encoding="utf-8"))
    assert _visible(d, "#results li.grp") == len(data["groups"])
    first = d.find_element(By.CSS_SELECTOR, "#results li.grp summary")
    first.click()
    assert _visible(d, "#results li.grp li.f") >= 1

    # the top-five link opens the list narrowed to that problem
    browser.open(report_with_history, "#overview")
    d.find_element(By.CSS_SELECTOR, ".top-fixes a.tf-go").click()
    time.sleep(0.2)
    assert _visible(d, "#results li.grp") == 1

    # the per-unit link narrows the list to that unit
    browser.open(report_with_history, "#units")
    link = d.find_element(By.CSS_SELECTOR, "a.filter-unit[data-unit='人事室']")
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
    link.click()
    assert "unit=" in d.execute_script("return location.hash")
    _select(d, "f-view", "page")
    assert _visible(d, "#results li.f") == shown([f for f in S.BASIC_FINDINGS if f["unit"] == "人事室"])

    P.ARTIFACTS.mkdir(exist_ok=True)
    browser.open(report_with_history)
    d.save_screenshot(str(P.ARTIFACTS / "report.png"))
    d.execute_script("document.getElementById('explorer').scrollIntoView()")
    d.save_screenshot(str(P.ARTIFACTS / "report-explorer.png"))

    violations = browser.axe()
    assert violations == [], json.dumps(violations, ensure_ascii=False, indent=1)
    browser.open(report_with_history, "#explorer?view=page")  # the list by page, with its evidence
    violations = browser.axe()
    assert violations == [], json.dumps(violations, ensure_ascii=False, indent=1)
    # the printed layout too: print media, every finding listed, every <details> opened
    browser.print_ready()
    d.execute_script("window.dispatchEvent(new Event('beforeprint'))")
    browser.emulate_print(True)
    try:
        violations = browser.axe()
    finally:
        browser.emulate_print(False)
        d.execute_script("window.dispatchEvent(new Event('afterprint'))")
    assert violations == [], json.dumps(violations, ensure_ascii=False, indent=1)


@pytest.mark.browser
def test_phone_width_summary_reflows_into_cards(tmp_path: Path) -> None:
    if not P.have_browser():
        pytest.skip("needs /usr/bin/chromium and /usr/bin/chromedriver")
    run = load_run(S.basic_run(tmp_path / "audit"))
    path = write_html(run, tmp_path / "audit" / "report.html")
    b = P.Browser()
    try:
        b.phone(390, 844)
        b.open(path, "#summary")
        d = b.d
        width = d.execute_script("return window.innerWidth")
        assert width <= 400
        assert d.execute_script(
            "return getComputedStyle(document.querySelector('table.summary tbody tr')).display") == "grid"
        # no column is cut off: every cell of the 彙整表 is inside the screen
        assert d.execute_script(
            "var w = document.documentElement.clientWidth; return Array.prototype.every.call("
            "document.querySelectorAll('table.summary td, table.summary th'), function (c) {"
            " var r = c.getBoundingClientRect(); return r.right <= w + 1 && r.left >= -1; })")
        assert d.execute_script("return document.documentElement.scrollWidth") <= width + 1
        P.ARTIFACTS.mkdir(exist_ok=True)
        d.save_screenshot(str(P.ARTIFACTS / "report-phone-390.png"))
    finally:
        b.quit()


@pytest.mark.browser
def test_hostile_report_runs_no_script(browser, tmp_path: Path) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    run = load_run(S.xss_run(tmp_path / "xss"))
    d = browser.d
    browser.open(write_html(run, tmp_path / "xss" / "report.html"), "#explorer?view=page")
    assert _visible(d, "#results li.f") == len(run.findings)
    with pytest.raises(NoAlertPresentException):
        d.switch_to.alert.text  # noqa: B018
    assert S.PAYLOADS[0] in d.find_element("id", "results").text
    browser.print_ready()
    assert d.execute_script(
        "return document.querySelectorAll('img, #results script, #print-findings script').length") == 0
    # a crawled colour reaches CSS only through the CSSOM, which drops what is no colour
    assert d.execute_script("return document.querySelectorAll('[style*=javascript], [style*=url]').length") == 0
    assert d.execute_script("return document.querySelectorAll('a[href^=javascript]').length") == 0


@pytest.mark.browser
def test_large_report_opens_on_a_screenful_and_prints_every_finding(browser, tmp_path: Path) -> None:
    # How fast it opens is bench/report_bench.py's business (target < 2 s).
    out = S.big_run(tmp_path / "big")
    path = write_html(load_run(out), out / "report.html")
    d = browser.d
    browser.open(path)
    fcp, load = browser.paint_ms()
    assert fcp > 0 and load > 0  # it painted and finished loading
    assert _visible(d, "#results li.grp") == 50  # a screenful of groups, not 20k rows
    assert d.find_element("id", "pager").is_displayed()
    # paper gets everything: the printed list holds every one of the 20,000 findings
    browser.print_ready(timeout=60)
    assert d.execute_script("return document.querySelectorAll('#print-findings .gpages li').length") == 20000
