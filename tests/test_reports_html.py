"""report.html: one self-contained file, escaped crawled text, size at scale, and (browser) filters + axe.

The browser tests open the report in Debian's headless Chromium, use the
filters and the search, save a screenshot to test-artifacts/, and run axe-core
on the report itself (it must pass WCAG 2.1 AA like the sites it audits).
"""
from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import lxml.html
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "reports"))
import reports_synthetic as S  # noqa: E402

from reports.history import compare, record_run  # noqa: E402
from reports.html import write_html  # noqa: E402
from reports.run import load_run  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def embedded(html: str) -> dict:
    doc = lxml.html.document_fromstring(html)
    return json.loads(doc.get_element_by_id("audit-data").text)


@pytest.fixture()
def report_with_history(tmp_path: Path) -> Path:
    """The basic run, compared with an October run that had one other broken link."""
    prev_findings = S.BASIC_FINDINGS[:5] + [S.finding("/news/9.html", "link.broken", "error", "失效連結：舊檔",
                                                      "/news/", "秘書室", target=S.SITE + "/old.pdf", status=404, element="a")]
    prev = load_run(S.basic_run(tmp_path / "oct", findings=prev_findings,
                                started="2026-10-26T02:00:00+08:00", as_of="2026-10-26"))
    db = tmp_path / "history.sqlite"
    record_run(db, prev)
    run = load_run(S.basic_run(tmp_path / "nov"))
    return write_html(run, tmp_path / "nov" / "report.html", compare(db, run))


def test_self_contained_traditional_chinese(report_with_history: Path) -> None:
    html = report_with_history.read_text(encoding="utf-8")
    doc = lxml.html.document_fromstring(html)
    assert doc.get("lang") == "zh-Hant-TW"
    # nothing loaded from elsewhere: no external scripts, styles, images or fonts
    assert not doc.xpath("//script[@src] | //link[@rel='stylesheet'] | //img | //iframe")
    assert "@import" not in html and "url(" not in html
    assert doc.xpath("//a[@class='skip']/@href") == ["#main"]
    assert [len(doc.xpath(f"//{t}")) for t in ("main", "nav", "header", "footer")] >= [1, 1, 1, 1]
    assert all(th.get("scope") in ("col", "row") for th in doc.xpath("//th"))
    summary = doc.get_element_by_id("summary")
    assert "民國115年11月26日" in summary.text_content()
    rows = summary.xpath(".//tbody/tr")
    assert [r.xpath("./td[1]//text()")[0] for r in rows] == ["/", "/about/", "/download/", "/news/", "/service/"]
    assert "待改善" in summary.text_content() and "合計" in summary.text_content()
    compare_sec = doc.get_element_by_id("compare").text_content()
    assert "本次新增" in compare_sec and "已改善" in compare_sec
    data = embedded(html)
    assert len(data["findings"]) == len(S.BASIC_FINDINGS)
    assert sum(f[5] for f in data["findings"]) == 12  # new since October
    assert len(data["review"]) == 1
    # the per-unit list puts the stale pages first, oldest first
    unit = doc.xpath("//section[@class='unit'][h3='秘書室']")[0]
    assert unit.xpath(".//h4/text()")[0].startswith("逾期未更新網頁")
    assert [td.text for td in unit.xpath(".//details//tbody/tr/td[3]")] == ["2026-01-05", "2026-08-01"]


def test_crawled_text_is_escaped_everywhere(tmp_path: Path) -> None:
    run = load_run(S.xss_run(tmp_path / "xss"))
    html = write_html(run, tmp_path / "xss" / "report.html").read_text(encoding="utf-8")
    lowered = html.lower()
    # exactly our two <script> elements, and nothing a payload could have opened
    assert lowered.count("<script") == 2 and lowered.count("</script") == 2
    assert "<img" not in lowered
    assert "<script>alert" not in lowered
    assert "onerror=alert(1)>" not in html  # the attribute break-out payload never survives raw
    assert "javascript:" not in " ".join(lxml.html.document_fromstring(html).xpath("//@href"))
    # inside the embedded JSON the markup characters are \\u escapes, and the data is intact
    doc = lxml.html.document_fromstring(html)
    raw_json = doc.get_element_by_id("audit-data").text
    assert "<" not in raw_json and ">" not in raw_json and "&" not in raw_json
    data = json.loads(raw_json)
    assert {p[1] for p in data["pages"]} - {""} == set(S.PAYLOADS)
    assert set(S.PAYLOADS) <= set(data["units"])
    # no element carries an event-handler attribute
    assert not doc.xpath("//@*[starts-with(name(), 'on')]")
    # server-rendered places show the payload as text
    assert S.PAYLOADS[0] in doc.get_element_by_id("units").text_content()


def test_scale_2000_pages_20k_findings(tmp_path: Path) -> None:
    out = S.big_run(tmp_path / "big")
    t0 = time.perf_counter()
    run = load_run(out)
    path = write_html(run, out / "report.html")
    elapsed = time.perf_counter() - t0
    size = path.stat().st_size
    print(f"\n2,000 pages / {len(run.findings):,} findings: report.html {size / 1e6:.2f} MB, load+render {elapsed:.2f} s")
    assert len(run.findings) == 20000
    assert size < 10 * 1024 * 1024
    assert len(embedded(path.read_text(encoding="utf-8"))["findings"]) == 20000


# ---------------------------------------------------------------- real browser
def _have_browser() -> bool:
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists() and AXE.exists()


@pytest.fixture(scope="module")
def driver():
    if not _have_browser():
        pytest.skip("needs /usr/bin/chromium, /usr/bin/chromedriver and node_modules/axe-core (make setup)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="siteaudit-report-test-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1366,900", f"--user-data-dir={profile}"):
        opts.add_argument(arg)
    d = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    try:
        yield d
    finally:
        d.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _visible_findings(d) -> int:
    return d.execute_script(
        "return Array.prototype.filter.call(document.querySelectorAll('#results li.f'),"
        " function (e) { return e.offsetParent !== null; }).length")


def _select(d, element_id: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select
    Select(d.find_element("id", element_id)).select_by_value(value)


def _axe_violations(d) -> list:
    d.execute_script(AXE.read_text(encoding="utf-8"))
    return d.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
        ".then(function (r) { done(r.violations.map(function (v) {"
        "  return {id: v.id, help: v.help, nodes: v.nodes.map(function (n) { return n.target.join(' '); })}; })); })"
        ".catch(function (e) { done([{id: 'axe-error', help: String(e), nodes: []}]); });")


@pytest.mark.browser
def test_filters_search_screenshot_and_axe(driver, report_with_history: Path) -> None:
    from selenium.webdriver.common.by import By

    d = driver
    d.get(report_with_history.as_uri())
    assert _visible_findings(d) == len(S.BASIC_FINDINGS)

    _select(d, "f-sev", "error")
    assert _visible_findings(d) == 5
    assert "5 項" in d.find_element(By.ID, "f-status").text

    _select(d, "f-sev", "")
    _select(d, "f-unit", "秘書室")
    assert _visible_findings(d) == 8
    _select(d, "f-check", "freshness")
    assert _visible_findings(d) == 3  # two stale pages and one without a date
    _select(d, "f-section", "/about/")
    assert _visible_findings(d) == 0
    assert "沒有符合條件" in d.find_element(By.ID, "f-status").text

    d.find_element(By.ID, "f-reset").click()
    d.find_element(By.ID, "f-q").send_keys("DC.Title")
    time.sleep(0.5)  # the search waits for typing to pause
    assert _visible_findings(d) == 1
    d.find_element(By.ID, "f-reset").click()
    time.sleep(0.1)
    assert _visible_findings(d) == len(S.BASIC_FINDINGS)

    d.find_element(By.ID, "f-new").click()
    assert _visible_findings(d) == 12

    # the per-unit link narrows the list to that unit
    d.find_element(By.ID, "f-reset").click()
    link = d.find_element(By.CSS_SELECTOR, "a.filter-unit[data-unit='人事室']")
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
    link.click()
    assert _visible_findings(d) == 3
    d.find_element(By.ID, "f-reset").click()
    time.sleep(0.1)

    # evidence and how-to-fix are drawn for each finding
    text = d.find_element(By.ID, "results").text
    assert "https://www.example.gov.tw/old-x.pdf" in text  # redirect chain
    assert "1.4.3 對比（最小值）" in text and "HM2140300C" in text
    assert "如何修正" in text

    ARTIFACTS.mkdir(exist_ok=True)
    d.execute_script("window.scrollTo(0, 0)")
    d.save_screenshot(str(ARTIFACTS / "report.png"))
    d.execute_script("document.getElementById('explorer').scrollIntoView()")
    d.save_screenshot(str(ARTIFACTS / "report-explorer.png"))

    violations = _axe_violations(d)
    assert violations == [], json.dumps(violations, ensure_ascii=False, indent=1)


@pytest.mark.browser
def test_hostile_report_runs_no_script(driver, tmp_path: Path) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    run = load_run(S.xss_run(tmp_path / "xss"))
    d = driver
    d.get(write_html(run, tmp_path / "xss" / "report.html").as_uri())
    assert _visible_findings(d) == len(run.findings)
    with pytest.raises(NoAlertPresentException):
        d.switch_to.alert.text  # noqa: B018
    assert S.PAYLOADS[0] in d.find_element("id", "results").text
    assert d.execute_script("return document.querySelectorAll('img, #results script').length") == 0


@pytest.mark.browser
def test_large_report_opens(driver, tmp_path: Path) -> None:
    out = S.big_run(tmp_path / "big")
    path = write_html(load_run(out), out / "report.html")
    t0 = time.perf_counter()
    driver.get(path.as_uri())
    loaded = time.perf_counter() - t0
    paint = driver.execute_script(
        "var p = performance.getEntriesByName('first-contentful-paint')[0]; return p ? p.startTime : null")
    print(f"\nlarge report: driver.get {loaded:.2f} s, first-contentful-paint {paint} ms")
    assert _visible_findings(driver) == 200  # paged, not 20k rows at once
    assert driver.find_element("id", "pager").is_displayed()


def test_empty_run_renders(tmp_path: Path) -> None:
    """An interrupted run with nothing written yet still gets a report, not a crash."""
    (tmp_path / "empty").mkdir()
    run = load_run(tmp_path / "empty")
    html = write_html(run, tmp_path / "empty" / "report.html", compare(tmp_path / "none.sqlite", run))
    text = html.read_text(encoding="utf-8")
    assert "沒有發現問題" in text and embedded(text)["findings"] == []
