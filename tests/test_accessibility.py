"""Unit tests of checks/accessibility.py on axe JSON recorded from a real run.

SPEC "Finding" (accessibility row): one `a11y.<axe id>` error per violated
rule with wcag, level, impact, nodes, targets, help_url.  The JSON under
tests/fixtures/a11y/*.axe.json was recorded from multi.html / clean.html by
`python tests/test_a11y_runner.py --record`; no browser is needed here.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from checks import accessibility
from checks.accessibility import check, flatten_target, needs_review, wcag_criteria
from checks.model import CheckContext, Finding, Severity
from checks.page import Page
from checkhelp import default_settings

FIXTURES = Path(__file__).parent / "fixtures" / "a11y"
URL = "https://example.gov.tw/news/1.html"


def _load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _findings(result: dict | None, url: str = URL) -> dict[str, Finding]:
    page = Page(url=url, html="<html></html>", section="/news/", unit="秘書室")
    ctx = CheckContext(as_of=date(2026, 11, 26), settings=default_settings(), axe_results={url: result} if result is not None else {})
    found = list(check(page, ctx))
    by_rule = {f.rule: f for f in found}
    assert len(by_rule) == len(found), "one finding per violated rule"
    return by_rule


@pytest.fixture(scope="module")
def multi() -> dict[str, Finding]:
    return _findings(_load("multi.axe.json"))


def test_one_error_per_violated_rule(multi):
    assert set(multi) == {"a11y.color-contrast", "a11y.html-has-lang", "a11y.image-alt",
                          "a11y.label", "a11y.link-name"}
    for f in multi.values():
        assert (f.check, f.severity, f.url) == ("accessibility", Severity.error, URL)
        assert (f.section, f.unit) == ("/news/", "秘書室")


@pytest.mark.parametrize("rule, wcag, level, impact, nodes", [
    ("a11y.image-alt", ["1.1.1"], "A", "critical", 3),
    ("a11y.color-contrast", ["1.4.3"], "AA", "serious", 1),
    ("a11y.html-has-lang", ["3.1.1"], "A", "serious", 1),
    ("a11y.label", ["4.1.2"], "A", "critical", 1),
    ("a11y.link-name", ["2.4.4", "4.1.2"], "A", "serious", 1),
])
def test_spec_detail_keys(multi, rule, wcag, level, impact, nodes):
    d = multi[rule].detail
    assert (d["wcag"], d["level"], d["impact"], d["nodes"]) == (wcag, level, impact, nodes)
    assert len(d["targets"]) == nodes and all(isinstance(t, str) for t in d["targets"])
    assert d["help_url"].startswith("https://dequeuniversity.com/rules/axe/")


def test_image_alt_detail_and_message(multi):
    f = multi["a11y.image-alt"]
    assert f.detail["targets"] == ['img[src="1.jpg"]', 'img[src="2.jpg"]', 'img[src="3.jpg"]']
    assert f.detail["sc_zh"] == {"1.1.1": "非文字內容"}
    assert "HM1110100C" in f.detail["freego"]
    assert f.detail["help"] == "圖片必須有替代文字"
    assert f.message == "無障礙問題（1.1.1 非文字內容）：圖片必須有替代文字，共 3 處"


def test_several_criteria_in_message_and_freego(multi):
    f = multi["a11y.link-name"]
    assert f.message.startswith("無障礙問題（2.4.4 鏈結目的(脈絡)、4.1.2 名稱、角色和值）：")
    assert {"HM1240401C", "HM1410200C"} <= set(f.detail["freego"])


def test_criterion_without_chinese_name_shows_number_only(multi):
    f = multi["a11y.html-has-lang"]
    assert "sc_zh" not in f.detail  # the CSV has no Chinese name for 3.1.1
    assert f.message == "無障礙問題（3.1.1）：<html> 元素必須有 lang 屬性，共 1 處"
    assert f.detail["freego"] == ["HM1310100C"]


def test_finding_serialises_to_a_spec_line(multi):
    line = json.loads(multi["a11y.color-contrast"].to_json())
    assert line["rule"] == "a11y.color-contrast" and line["severity"] == "error"
    assert {"wcag", "level", "impact", "nodes", "targets", "help_url"} <= set(line["detail"])
    assert Finding.from_dict(line) == Finding.from_dict(json.loads(json.dumps(line)))


def test_clean_page_and_missing_result_yield_nothing():
    assert _findings(_load("clean.axe.json")) == {}
    assert _findings(None) == {}  # not audited (a11y off, or the browser failed)


def test_needs_review_lists_incomplete_items():
    (item,) = needs_review(_load("multi.axe.json"))
    assert item["id"] == "color-contrast" and item["nodes"] == 1
    assert item["targets"] == [".photo"] and item["wcag"] == ["1.4.3"]
    assert item["help"] == "元素必須滿足最低顏色對比閾值"
    assert needs_review(_load("clean.axe.json")) == [] and needs_review(None) == []


@pytest.mark.parametrize("tags, expected", [
    (["wcag2a", "wcag111"], ["1.1.1"]),
    (["wcag2aa", "wcag1410"], ["1.4.10"]),
    (["wcag21aa", "wcag1411", "wcag143"], ["1.4.11", "1.4.3"]),
    (["wcag22aa", "wcag258"], ["2.5.8"]),  # WCAG 2.2: not in the CSV, parsed from the digits
    (["cat.keyboard", "best-practice"], []),
    (["wcag2a", "wcag21aa", "wcag2aaa"], []),  # level tags are not criteria
])
def test_wcag_criteria_from_tags(tags, expected):
    assert wcag_criteria(tags) == expected


def _violation(tags, n_nodes=1, **kw):
    return {"id": kw.get("id", "demo"), "impact": "moderate", "tags": tags, "help": "示範規則",
            "helpUrl": "https://dequeuniversity.com/rules/axe/4.14/demo",
            "nodes": [{"target": [f"#n{i}"], "html": "", "failureSummary": ""} for i in range(n_nodes)]}


def test_best_practice_rule_has_no_criteria_or_level():
    (f,) = _findings({"violations": [_violation(["cat.semantics", "best-practice"], id="region")],
                      "incomplete": []}).values()
    assert f.detail["wcag"] == [] and f.detail["level"] == ""
    assert "sc_zh" not in f.detail and "freego" not in f.detail
    assert f.message == "無障礙問題：示範規則，共 1 處"


def test_level_of_criteria_outside_the_csv_comes_from_axe_tags():
    (f,) = _findings({"violations": [_violation(["wcag2aaa", "wcag146"])], "incomplete": []}).values()
    assert (f.detail["wcag"], f.detail["level"]) == (["1.4.6"], "AAA")
    (f,) = _findings({"violations": [_violation(["wcag22aa", "wcag258"])], "incomplete": []}).values()
    assert (f.detail["wcag"], f.detail["level"]) == (["2.5.8"], "AA")


def test_targets_capped_at_ten_but_all_nodes_counted():
    (f,) = _findings({"violations": [_violation(["wcag2a", "wcag111"], n_nodes=25)]}).values()
    assert f.detail["nodes"] == 25 and len(f.detail["targets"]) == 10
    assert f.message.endswith("共 25 處")


@pytest.mark.parametrize("target, flat", [
    (["#main > img"], "#main > img"),
    (["iframe#map", "area"], "iframe#map >>> area"),  # inside a frame
    ([["x-menu", "a.item"]], "x-menu >>> a.item"),  # through a shadow root
    ("html", "html"),
])
def test_flatten_target(target, flat):
    assert flatten_target(target) == flat


def test_rule_metadata():
    (rule,) = accessibility.RULES
    assert (rule.id, rule.check, rule.severity) == ("a11y.*", "accessibility", Severity.error)
    assert rule.title and rule.fix
