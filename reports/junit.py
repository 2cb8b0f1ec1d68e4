"""JUnit XML for `siteaudit check --junit FILE` (SPEC.md "Command line", CI gating).

One <testsuite> per page checked, one <testcase> per rule checked on it.
Only findings at or above `--fail-on` make their test case fail (<failure>
with the message(s) and the detail): the test view is red exactly when the
job fails.  Findings below it are reported in the case's <system-out>, and
the case passes.  A page that could not be audited is a test case
"無法檢查" with an <error>.  GitLab's and GitHub's test reporters read the
common Jenkins/Surefire shape: testsuites > testsuite(name, tests, failures,
errors, skipped, time) > testcase(classname, name, time) > failure(message,
type) | system-out.  `junit_report(run)` is the pure function of a finished
`CheckRun`; the findings it gets are already past `--baseline`.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from checks.model import Finding, Rule, Severity
from reports.checkrun import CheckRun

# XML 1.0 cannot carry most control characters, and crawled text sometimes does.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _rule_id(r: str | Rule) -> str:
    return r.id if isinstance(r, Rule) else str(r)


def _matches(pattern: str, rule_id: str) -> bool:
    # The registry describes all axe rules with one wildcard entry "a11y.*".
    return pattern == rule_id or (pattern.endswith("*") and rule_id.startswith(pattern[:-1]))


def _failure_text(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        line = f.detail.get("line")
        place = f"第 {line} 行：" if isinstance(line, int) and line > 0 else ""
        lines.append(f"[{f.severity.zh}] {place}{f.message}")
        if f.detail:
            lines.append("  " + json.dumps(dict(f.detail), ensure_ascii=False, sort_keys=True))
    return "\n".join(lines)


def junit_xml(findings: Iterable[Finding], pages_checked: Iterable[str],
              rules_checked: Iterable[str | Rule], fail_on: Severity = Severity.notice,
              not_audited: Iterable[tuple[str, str]] = ()) -> str:
    """The XML; findings below `fail_on` go to <system-out> (module docstring)."""
    rules = list(dict.fromkeys(_rule_id(r) for r in rules_checked))
    by_page: dict[str, dict[str, list[Finding]]] = {}
    for url in pages_checked:
        by_page.setdefault(url, {})
    broken = dict(not_audited)
    for page in broken:
        by_page.setdefault(page, {})
    for f in findings:
        # A finding on a page or rule the caller did not list still fails:
        # losing a failure would let a broken page through the gate.
        by_page.setdefault(f.url, {}).setdefault(f.rule, []).append(f)

    root = ET.Element("testsuites", name="siteaudit")
    total_tests = total_failures = total_errors = 0
    for url, found in by_page.items():
        cases: list[tuple[str, list[Finding]]] = []
        used: set[str] = set()
        for pattern in rules:
            hits = sorted(r for r in found if _matches(pattern, r))
            if pattern.endswith("*"):
                # Wildcard: each matching rule is its own case; none = one passing case.
                cases.extend((r, found[r]) for r in hits if r not in used)
                if not hits:
                    cases.append((pattern, []))
            else:
                cases.append((pattern, found.get(pattern, [])))
            used.update(hits)
        cases.extend((r, found[r]) for r in sorted(found) if r not in used)

        failures = sum(1 for _, fs in cases if any(f.severity >= fail_on for f in fs))
        errors = int(url in broken)
        suite = ET.SubElement(root, "testsuite", name=_x(url), tests=str(len(cases) + errors),
                              failures=str(failures), errors=str(errors), skipped="0", time="0")
        if errors:
            case = ET.SubElement(suite, "testcase", classname=_x(url), name="無法檢查", time="0")
            ET.SubElement(case, "error", message=_x(broken[url]), type="not-audited").text = _x(broken[url])
        for rule, fs in cases:
            case = ET.SubElement(suite, "testcase", classname=_x(url), name=_x(rule), time="0")
            failing = [f for f in fs if f.severity >= fail_on]
            if failing:
                message = failing[0].message if len(failing) == 1 else f"{len(failing)} 項：{failing[0].message}"
                fail = ET.SubElement(case, "failure", message=_x(message),
                                     type=str(max(f.severity for f in failing)))
                fail.text = _x(_failure_text(failing))
            below = [f for f in fs if f.severity < fail_on]
            if below:
                # reported, not failing: the gate's --fail-on lets them pass
                ET.SubElement(case, "system-out").text = _x(_failure_text(below))
        total_tests += len(cases) + errors
        total_failures += failures
        total_errors += errors
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", str(total_errors))
    root.set("skipped", "0")
    root.set("time", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def junit_report(run: CheckRun) -> str:
    """The JUnit XML of a finished check run: every rule of the table is a
    test case on every page, failing only at or above the run's --fail-on."""
    from checks.registry import RULES  # lazily: it imports every check

    return junit_xml(run.findings, run.pages, list(RULES), fail_on=run.fail_on,
                     not_audited=[(n.page, n.reason) for n in run.not_audited])
