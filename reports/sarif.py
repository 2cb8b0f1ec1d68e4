"""`siteaudit check --format sarif`: SARIF 2.1.0 for code-scanning views.

SPEC "Command line / check".  One run of the tool `siteaudit`; its rules
come from the rule table (`checks.registry.rule_for`): name and short
description are the rule's zh-TW title, the help text its how-to-fix, the
default level its severity; each `a11y.<axe id>` gets its own descriptor
with axe's (localised) help and help URL.  Each finding is a result with
`ruleId`, `level` (error / warning / note), the page as a relative artifact
URI under `%SRCROOT%` (the working directory, which in CI is the
repository's root) and `region.startLine` where the line is known, and
`partialFingerprints["siteaudit/v1"]` = `Finding.fingerprint()`, so code
scanning tracks a finding across commits as the baseline does.  Pages that
could not be audited are tool notifications, and `executionSuccessful` is
false.  A pure function of a finished `CheckRun`.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from checks.model import Finding, Severity
from reports.checkrun import CheckRun, is_url, line_of

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "siteaudit/v1"
INFORMATION_URI = "https://github.com/siteaudit/siteaudit"
LEVEL = {Severity.error: "error", Severity.warning: "warning", Severity.notice: "note"}


def _rule_descriptor(rule_id: str, example: Finding | None) -> dict[str, Any]:
    from checks.registry import rule_for  # lazily: it imports every check

    rule = rule_for(rule_id)
    title = rule.title if rule else rule_id
    fix = rule.fix if rule else ""
    severity = rule.severity if rule else (example.severity if example else Severity.warning)
    short = title
    help_uri = getattr(rule, "help_uri", "") if rule else ""
    if example is not None and rule_id.startswith(("a11y.", "moda.")):
        # one descriptor per axe rule / 檢測碼: its own help text and page
        short = str(example.detail.get("help") or title)
        help_uri = str(example.detail.get("help_url") or help_uri)
    out: dict[str, Any] = {
        "id": rule_id,
        "name": title,
        "shortDescription": {"text": short},
        "fullDescription": {"text": title if short == title else f"{title}：{short}"},
        "defaultConfiguration": {"level": LEVEL[severity]},
    }
    if fix:
        out["help"] = {"text": fix}
    if help_uri:
        out["helpUri"] = help_uri
    return out


def _location(f: Finding) -> dict[str, Any]:
    if is_url(f.url):
        artifact: dict[str, Any] = {"uri": f.url}
    else:
        artifact = {"uri": quote(f.url.replace("\\", "/")), "uriBaseId": "%SRCROOT%"}
    physical: dict[str, Any] = {"artifactLocation": artifact}
    line = line_of(f)
    if line:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


def sarif_log(run: CheckRun) -> dict[str, Any]:
    from checks.registry import RULES

    examples: dict[str, Finding] = {}
    for f in run.findings:
        examples.setdefault(f.rule, f)
    rule_ids = [r for r in RULES if not r.endswith("*")]
    rule_ids += sorted(r for r in examples if r not in RULES)
    index = {r: i for i, r in enumerate(rule_ids)}
    results = []
    for fs in run.by_page().values():
        for f in fs:
            results.append({
                "ruleId": f.rule,
                "ruleIndex": index[f.rule],
                "level": LEVEL[f.severity],
                "message": {"text": f.message},
                "locations": [_location(f)],
                "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint()},
                "properties": {"detail": dict(f.detail)},
            })
    invocation: dict[str, Any] = {"executionSuccessful": run.complete}
    if run.not_audited:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": f"無法檢查 {n.page}：{n.reason}"}} for n in run.not_audited]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "siteaudit",
                "version": run.tool_version,
                "informationUri": INFORMATION_URI,
                "language": "zh-TW",
                "rules": [_rule_descriptor(r, examples.get(r)) for r in rule_ids],
            }},
            "invocations": [invocation],
            "results": results,
        }],
    }


def sarif_report(run: CheckRun) -> str:
    return json.dumps(sarif_log(run), ensure_ascii=False, indent=2) + "\n"
