"""Unit tests of checks/accessibility.py on axe JSON recorded from a real run.

SPEC "Finding" (accessibility row): one `a11y.<axe id>` error per violated
rule with wcag, level, impact, nodes, targets, help_url, moda_codes (of ITS
axe rule in the configured edition), html; color-contrast also contrast, fg,
bg.  The JSON under tests/fixtures/a11y/*.axe.json was recorded from
multi.html / clean.html by `python tests/test_a11y_runner.py --record`; no
browser is needed here.
"""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from checkhelp import default_settings
from checks import accessibility
from checks.accessibility import check, flatten_target, needs_review, wcag_criteria
from checks.model import CheckContext, Finding, Severity
from checks.page import Page

FIXTURES = Path(__file__).parent / "fixtures" / "a11y"
URL = "https://example.gov.tw/news/1.html"
SPEC_KEYS = {"wcag", "level", "impact", "nodes", "targets", "help_url", "moda_codes", "html"}


def _load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _findings(result: dict | None, url: str = URL, spec: str = "115.11") -> dict[str, Finding]:
    page = Page(url=url, html="<html></html>", section="/news/", unit="秘書室")
    settings = replace(default_settings(), a11y_spec=spec)
    ctx = CheckContext(as_of=date(2026, 11, 26), settings=settings,
                       axe_results={url: result} if result is not None else {})
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
        assert set(f.detail) >= SPEC_KEYS
        assert f.detail["spec"] == "115.11"


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


@pytest.mark.parametrize("rule, codes", [
    ("a11y.image-alt", ["HM1110100C"]),
    ("a11y.label", ["HM1130104C", "HM1410200C"]),
    ("a11y.link-name", ["HM1110101C", "HM1240401C", "HM1410200C", "HM3240900C"]),
    ("a11y.html-has-lang", ["HM1310100C"]),
    ("a11y.color-contrast", []),  # no 檢測碼 stands for contrast (manual E codes only)
])
def test_moda_codes_are_those_of_the_axe_rule(multi, rule, codes):
    assert multi[rule].detail["moda_codes"] == codes


def test_codes_per_rule_not_per_criterion():
    """`list` is a 1.3.1 rule: it must not carry the 1.3.1 table, heading or form codes."""
    v = _violation(["wcag2a", "wcag131"], id="list")
    (f,) = _findings({"violations": [v]}).values()
    assert f.detail["moda_codes"] == []
    (f,) = _findings({"violations": [_violation(["wcag2a", "wcag131"], id="td-headers-attr")]}).values()
    assert f.detail["moda_codes"] == ["HM1130102C"]  # id/headers in Freego v3 and 115.11 numbering


def test_html_snippet_of_first_node(multi):
    assert multi["a11y.image-alt"].detail["html"] == '<img src="1.jpg">'
    v = _violation(["wcag2a", "wcag111"], id="image-alt")
    v["nodes"][0]["html"] = "<img " + "x" * 400 + ">"
    (f,) = _findings({"violations": [v]}).values()
    assert len(f.detail["html"]) == 300


def test_image_alt_detail_and_message(multi):
    f = multi["a11y.image-alt"]
    assert f.detail["targets"] == ['img[src="1.jpg"]', 'img[src="2.jpg"]', 'img[src="3.jpg"]']
    assert f.detail["sc_zh"] == {"1.1.1": "非文字內容"}
    assert f.detail["help"] == "圖片必須有替代文字"
    assert f.message == "無障礙問題（1.1.1 非文字內容）：圖片必須有替代文字，共 3 處"


def test_several_criteria_in_message(multi):
    f = multi["a11y.link-name"]
    assert f.message.startswith("無障礙問題（2.4.4 鏈結目的(脈絡)、4.1.2 名稱、角色和值）：")


def test_bare_html_target_says_what_it_means(multi):
    f = multi["a11y.html-has-lang"]
    assert f.detail["targets"] == ["html"]
    assert f.detail["subject"] == "網頁的語言（<html> 的 lang 屬性）"
    assert f.message == ("無障礙問題（3.1.1 網頁語言）：<html> 元素必須有 lang 屬性"
                         "（對象：網頁的語言（<html> 的 lang 屬性）），共 1 處")
    v = _violation(["wcag2a", "wcag242"], id="document-title")
    v["nodes"][0]["target"] = ["html"]
    (f,) = _findings({"violations": [v]}).values()
    assert "網頁標題" in f.detail["subject"] and "網頁標題" in f.message
    assert "subject" not in multi["a11y.image-alt"].detail


def test_color_contrast_evidence_from_node_data():
    v = _violation(["wcag2aa", "wcag143"], id="color-contrast", n_nodes=2)
    # the shape axe-core gives in nodes[i].any[0].data, as crawler/a11y.py keeps it
    v["nodes"][0]["data"] = {"fgColor": "#aaaaaa", "bgColor": "#ffffff", "contrastRatio": 2.3193,
                             "fontSize": "12.0pt (16px)", "fontWeight": "normal",
                             "expectedContrastRatio": "4.5:1"}
    (f,) = _findings({"violations": [v]}).values()
    assert (f.detail["contrast"], f.detail["fg"], f.detail["bg"]) == (2.32, "#aaaaaa", "#ffffff")
    assert f.detail["required"] == "4.5:1"


def test_color_contrast_without_data_keeps_the_keys():
    v = _violation(["wcag2aa", "wcag143"], id="color-contrast", n_nodes=1)  # no `data`: an older result
    (f,) = _findings({"violations": [v]}).values()
    assert {"contrast", "fg", "bg"} <= set(f.detail) and f.detail["contrast"] is None


def test_color_contrast_data_from_a_recorded_browser_run(multi):
    # tests/fixtures/a11y/multi.axe.json was recorded by the real runner (crawler/a11y.py)
    d = multi["a11y.color-contrast"].detail
    assert isinstance(d["contrast"], float) and d["fg"].startswith("#") and d["bg"].startswith("#")


def test_fix_text_names_the_edition(multi):
    (rule,) = accessibility.RULES
    fix = rule.fix_for(multi["a11y.image-alt"].detail)
    assert "網站無障礙規範 115.11（WCAG 2.2）" in fix and "WCAG 2.1" not in fix
    old = _findings(_load("multi.axe.json"), spec="110.07")["a11y.image-alt"]
    assert "網站無障礙規範 110.07（WCAG 2.1）" in rule.fix_for(old.detail)
    assert "WCAG 2.1" not in rule.fix


def test_rules_only_for_deleted_parsing_criterion_are_dropped_in_115_11():
    dup = _violation(["cat.parsing", "wcag2a-obsolete", "wcag411", "deprecated"], id="duplicate-id")
    assert _findings({"violations": [dup]}, spec="115.11") == {}
    (f,) = _findings({"violations": [dup]}, spec="110.07").values()
    assert f.detail["wcag"] == ["4.1.1"] and f.detail["level"] == "A"


def test_finding_serialises_to_a_spec_line(multi):
    line = json.loads(multi["a11y.color-contrast"].to_json())
    assert line["rule"] == "a11y.color-contrast" and line["severity"] == "error"
    assert set(line["detail"]) >= SPEC_KEYS
    assert Finding.from_dict(line) == Finding.from_dict(json.loads(json.dumps(line)))


def test_clean_page_and_missing_result_yield_nothing():
    assert _findings(_load("clean.axe.json")) == {}
    assert _findings(None) == {}  # not audited (a11y off, or the browser failed)


def test_needs_review_lists_incomplete_items():
    (item,) = needs_review(_load("multi.axe.json"))
    assert item["id"] == "color-contrast" and item["nodes"] == 1
    assert item["targets"] == [".photo"] and item["wcag"] == ["1.4.3"]
    assert item["help"] == "元素必須滿足最低顏色對比閾值"
    assert item["moda_codes"] == []
    assert needs_review(_load("clean.axe.json")) == [] and needs_review(None) == []


@pytest.mark.parametrize("tags, expected", [
    (["wcag2a", "wcag111"], ["1.1.1"]),
    (["wcag2aa", "wcag1410"], ["1.4.10"]),
    (["wcag21aa", "wcag1411", "wcag143"], ["1.4.11", "1.4.3"]),
    (["wcag22aa", "wcag258"], ["2.5.8"]),
    (["cat.keyboard", "best-practice"], []),
    (["wcag2a", "wcag21aa", "wcag2aaa"], []),  # level tags are not criteria
])
def test_wcag_criteria_from_tags(tags, expected):
    assert wcag_criteria(tags) == expected


def _violation(tags, n_nodes=1, **kw):
    return {"id": kw.get("id", "demo"), "impact": "moderate", "tags": tags, "help": "示範規則",
            "helpUrl": "https://dequeuniversity.com/rules/axe/4.14/demo",
            "nodes": [{"target": [f"#n{i}"], "html": f'<p id="n{i}">', "failureSummary": ""}
                      for i in range(n_nodes)]}


def test_best_practice_rule_has_no_criteria_or_level():
    (f,) = _findings({"violations": [_violation(["cat.semantics", "best-practice"], id="region")],
                      "incomplete": []}).values()
    assert f.detail["wcag"] == [] and f.detail["level"] == ""
    assert f.detail["sc_zh"] == {} and f.detail["moda_codes"] == []
    assert f.message == "無障礙問題：示範規則，共 1 處"


def test_wcag22_criteria_named_and_levelled_by_the_115_11_table():
    (f,) = _findings({"violations": [_violation(["wcag22aa", "wcag258"], id="target-size")]}).values()
    assert (f.detail["wcag"], f.detail["level"]) == (["2.5.8"], "AA")
    assert f.detail["sc_zh"] == {"2.5.8": "目標尺寸(最小)"}
    # 110.07 has no 2.5.8: the number alone, the level from axe's tag
    (f,) = _findings({"violations": [_violation(["wcag22aa", "wcag258"])]}, spec="110.07").values()
    assert (f.detail["level"], f.detail["sc_zh"]) == ("AA", {})
    assert f.message.startswith("無障礙問題（2.5.8）：")


def test_aaa_level_from_the_table():
    (f,) = _findings({"violations": [_violation(["wcag2aaa", "wcag146"])], "incomplete": []}).values()
    assert (f.detail["wcag"], f.detail["level"]) == (["1.4.6"], "AAA")


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
    assert rule.title and rule.fix and set(rule.detail) >= SPEC_KEYS
