"""JUnit XML for `siteaudit check --junit`: a suite per page, a case per rule checked."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from checks.model import Finding, Severity
from reports.junit import junit_xml

A = "https://www.example.gov.tw/a.html"
B = "https://www.example.gov.tw/b.html"


def f(url: str, rule: str, sev: Severity, msg: str, **detail) -> Finding:
    return Finding(url, rule.split(".")[0], rule, sev, msg, "/", "未指定", detail)


def test_counts_and_shape() -> None:
    findings = [
        f(A, "link.broken", Severity.error, "失效連結：x（HTTP 404）", target="x", status=404, element="a"),
        f(A, "link.broken", Severity.error, "失效連結：y（HTTP 410）", target="y", status=410, element="a"),
        f(A, "a11y.image-alt", Severity.error, "圖片缺替代文字 <img>", nodes=1),
        f(B, "metadata.missing", Severity.error, "缺少 DC.Title\x0b", field="DC.Title"),
    ]
    xml = junit_xml(findings, [A, B], ["link.broken", "metadata.missing", "a11y.*"])
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(xml.encode("utf-8"))
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == [A, B]
    a, b = suites[A], suites[B]
    for s in (a, b):
        assert {"name", "tests", "failures", "errors", "skipped", "time"} <= set(s.attrib)
        assert int(s.get("tests")) == len(s.findall("testcase"))
        assert int(s.get("failures")) == len(s.findall("testcase/failure"))
        for case in s.findall("testcase"):
            assert {"classname", "name", "time"} <= set(case.attrib)
    assert [c.get("name") for c in a.findall("testcase")] == ["link.broken", "metadata.missing", "a11y.image-alt"]
    assert a.get("failures") == "2" and b.get("failures") == "1"
    # wildcard rule with no finding on B: one passing case named by the pattern
    assert [c.get("name") for c in b.findall("testcase")] == ["link.broken", "metadata.missing", "a11y.*"]
    fail = a.find("testcase[@name='link.broken']/failure")
    assert fail.get("type") == "error" and fail.get("message").startswith("2 項")
    assert "失效連結：y" in fail.text and '"status": 410' in fail.text
    assert root.get("tests") == "6" and root.get("failures") == "3"


def test_findings_outside_the_lists_still_fail() -> None:
    xml = junit_xml([f(B, "citation.no-link", Severity.warning, "引用未附連結")], [A], ["link.broken"])
    root = ET.fromstring(xml)
    names = [(s.get("name"), c.get("name")) for s in root for c in s]
    assert (B, "citation.no-link") in names and root.get("failures") == "1"


def test_no_pages() -> None:
    root = ET.fromstring(junit_xml([], [], ["link.broken"]))
    assert root.get("tests") == "0" and root.findall("testsuite") == []


def test_below_fail_on_goes_to_system_out_and_passes() -> None:
    findings = [
        f(A, "link.broken", Severity.error, "失效連結：x（HTTP 404）", target="x", status=404, element="a", line=9),
        f(A, "link.anchor-missing", Severity.warning, "錨點不存在：y#z", target="y#z"),
        f(B, "freshness.unknown", Severity.notice, "找不到更新日期"),
    ]
    root = ET.fromstring(junit_xml(findings, [A, B], ["link.broken", "link.anchor-missing", "freshness.unknown"],
                                   fail_on=Severity.error))
    a = root.find(f"testsuite[@name='{A}']")
    assert a.get("failures") == "1" and root.get("failures") == "1"
    broken = a.find("testcase[@name='link.broken']")
    assert broken.find("failure").text.startswith("[錯誤] 第 9 行：失效連結")
    anchor = a.find("testcase[@name='link.anchor-missing']")
    assert anchor.find("failure") is None and anchor.find("system-out").text.startswith("[警告] 錨點不存在")
    b = root.find(f"testsuite[@name='{B}']")
    assert b.get("failures") == "0"
    assert "找不到更新日期" in b.find("testcase[@name='freshness.unknown']/system-out").text
    # --fail-on warning: the warning fails too, the notice still does not
    root = ET.fromstring(junit_xml(findings, [A, B], ["link.broken"], fail_on=Severity.warning))
    assert root.get("failures") == "2"


def test_a_page_not_audited_is_an_error_case() -> None:
    root = ET.fromstring(junit_xml([], [A], ["link.broken"], not_audited=[(A, "無障礙檢測失敗：逾時")]))
    suite = root.find("testsuite")
    assert (suite.get("errors"), suite.get("tests"), root.get("errors")) == ("1", "2", "1")
    assert suite.find("testcase[@name='無法檢查']/error").get("message") == "無障礙檢測失敗：逾時"
