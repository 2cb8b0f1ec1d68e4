"""JUnit XML for `siteaudit check --junit FILE` (SPEC.md "Command line", CI gating).

One <testsuite> per page checked, one <testcase> per rule checked on it; a
rule with findings on the page is a failing test case whose <failure> carries
the message(s) and the detail.  GitLab's and GitHub's test reporters read the
common Jenkins/Surefire shape: testsuites > testsuite(name, tests, failures,
errors, skipped, time) > testcase(classname, name, time) > failure(message,
type).  The caller decides which findings count (after --fail-on and
--baseline); everything passed in here fails its test case.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Iterable

from checks.model import Finding, Rule


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
        lines.append(f"[{f.severity}] {f.message}")
        if f.detail:
            lines.append("  " + json.dumps(dict(f.detail), ensure_ascii=False, sort_keys=True))
    return "\n".join(lines)


def junit_xml(findings: Iterable[Finding], pages_checked: Iterable[str],
              rules_checked: Iterable[str | Rule]) -> str:
    rules = list(dict.fromkeys(_rule_id(r) for r in rules_checked))
    by_page: dict[str, dict[str, list[Finding]]] = {}
    for url in pages_checked:
        by_page.setdefault(url, {})
    for f in findings:
        # A finding on a page or rule the caller did not list still fails:
        # losing a failure would let a broken page through the gate.
        by_page.setdefault(f.url, {}).setdefault(f.rule, []).append(f)

    root = ET.Element("testsuites", name="siteaudit")
    total_tests = total_failures = 0
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

        failures = sum(1 for _, fs in cases if fs)
        suite = ET.SubElement(root, "testsuite", name=_x(url), tests=str(len(cases)),
                              failures=str(failures), errors="0", skipped="0", time="0")
        for rule, fs in cases:
            case = ET.SubElement(suite, "testcase", classname=_x(url), name=_x(rule), time="0")
            if fs:
                message = fs[0].message if len(fs) == 1 else f"{len(fs)} 項：{fs[0].message}"
                fail = ET.SubElement(case, "failure", message=_x(message), type=str(max(f.severity for f in fs)))
                fail.text = _x(_failure_text(fs))
        total_tests += len(cases)
        total_failures += failures
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    root.set("skipped", "0")
    root.set("time", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
