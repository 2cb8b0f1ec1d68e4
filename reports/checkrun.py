"""A finished `siteaudit check` run: what the gate's formatters read.

SPEC "Command line / check".  `crawler.check.run_check` builds a `CheckRun`;
every output of the gate (reports/console.py text, reports/sarif.py,
reports/github.py, reports/junit.py, reports/baseline.py and the JSON of
`--format json`, which is `CheckRun.to_dict()`) is a pure function of it, as
the crawl's reports are of an `AuditRun` (reports/run.py).  Pages and
findings carry the names people read (local files by their path from the
working directory), never a stand-in URL.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.model import Finding, Severity

# `--format json` identifies itself; a baseline loader tells it from the rest.
JSON_FORMAT = "siteaudit-check"
JSON_VERSION = 1


@dataclass(frozen=True)
class NotAudited:
    """A target page that could not be audited (the run is incomplete, exit 3)."""

    page: str
    reason: str  # zh-TW


@dataclass(frozen=True)
class CheckRun:
    pages: tuple[str, ...]  # names, in the order checked
    findings: tuple[Finding, ...]  # the ones that count (not in the baseline)
    fail_on: Severity
    as_of: str  # YYYY-MM-DD
    tool_version: str
    root: str | None = None  # the document root's name (local targets only)
    base_url: str | None = None
    baseline: str | None = None  # the --baseline file, as given
    baselined: tuple[Finding, ...] = ()  # found, but already in the baseline
    not_audited: tuple[NotAudited, ...] = ()
    a11y: bool = True  # accessibility checked

    # ---- derived ---------------------------------------------------------
    @property
    def failing(self) -> tuple[Finding, ...]:
        """Findings at or above --fail-on: the ones that fail the gate."""
        return tuple(f for f in self.findings if f.severity >= self.fail_on)

    @property
    def complete(self) -> bool:
        return not self.not_audited

    @property
    def all_findings(self) -> tuple[Finding, ...]:
        """Everything found, baseline or not (what --write-baseline records)."""
        return self.findings + self.baselined

    def by_severity(self) -> dict[Severity, int]:
        counts = Counter(f.severity for f in self.findings)
        return {s: counts.get(s, 0) for s in sorted(Severity, reverse=True)}

    def by_page(self) -> dict[str, list[Finding]]:
        """Findings grouped by page, pages in the order checked, then any page
        only a finding names; within a page by source line, then severity."""
        groups: dict[str, list[Finding]] = {p: [] for p in self.pages}
        for f in self.findings:
            groups.setdefault(f.url, []).append(f)
        for fs in groups.values():
            fs.sort(key=lambda f: (line_of(f) or 0, -f.severity, f.rule))
        return groups

    # ---- JSON (--format json) ----------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        sev = self.by_severity()
        return {
            "format": JSON_FORMAT,
            "version": JSON_VERSION,
            "tool": {"name": "siteaudit", "version": self.tool_version},
            "as_of": self.as_of,
            "root": self.root,
            "base_url": self.base_url,
            "fail_on": self.fail_on.name,
            "accessibility": self.a11y,
            "pages": list(self.pages),
            "findings": [f.to_dict() for f in self.findings],
            "baseline": {"file": self.baseline, "suppressed": [f.to_dict() for f in self.baselined]}
            if self.baseline else None,
            "not_audited": [{"page": n.page, "reason": n.reason} for n in self.not_audited],
            "summary": {
                "pages": len(self.pages),
                "findings": len(self.findings),
                "error": sev[Severity.error],
                "warning": sev[Severity.warning],
                "notice": sev[Severity.notice],
                "failing": len(self.failing),
                "suppressed": len(self.baselined),
                "complete": self.complete,
            },
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CheckRun:
        baseline = d.get("baseline") or {}
        return cls(
            pages=tuple(d.get("pages") or ()),
            findings=tuple(Finding.from_dict(f) for f in d.get("findings") or ()),
            fail_on=Severity.parse(d.get("fail_on") or "error"),
            as_of=d.get("as_of") or "",
            tool_version=(d.get("tool") or {}).get("version", ""),
            root=d.get("root"),
            base_url=d.get("base_url"),
            baseline=baseline.get("file"),
            baselined=tuple(Finding.from_dict(f) for f in baseline.get("suppressed") or ()),
            not_audited=tuple(NotAudited(n["page"], n["reason"]) for n in d.get("not_audited") or ()),
            a11y=bool(d.get("accessibility", True)),
        )


def line_of(f: Finding) -> int | None:
    """The source line of the offending element, when the check knew it."""
    line = f.detail.get("line")
    return line if isinstance(line, int) and not isinstance(line, bool) and line > 0 else None


def is_url(name: str) -> bool:
    return name.startswith(("http://", "https://"))
