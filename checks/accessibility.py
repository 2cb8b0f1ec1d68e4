"""Accessibility check: axe-core violations become `a11y.<axe rule id>` findings.

SPEC "Finding" table (accessibility row) and "Rules in detail /
Accessibility": only axe's `violations` become findings, one per violated
rule per page, severity error; axe's `incomplete` ("needs review") items are
listed by the report through `needs_review()`.

Pure: the axe results arrive in `ctx.axe_results` (gathered by
`crawler.a11y`).  A page with no entry there (accessibility off, not HTML, or
the browser failed on it) yields nothing.  The WCAG success criteria, their
網站無障礙規範 Chinese names and the Freego 檢測碼 come from the shipped data
(checks/data/wcag21-sc.csv, freego-v3-rules.csv).
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Iterator, Mapping

from checks.model import CheckContext, Finding, Rule, Severity
from checks.page import Page

CHECK = "accessibility"

RULES = (
    Rule(
        id="a11y.*",
        check=CHECK,
        severity=Severity.error,
        title="無障礙問題（網站無障礙規範 AA 等級）",
        fix="依 axe-core 說明（help_url）修正所列元素，使網頁符合網站無障礙規範（WCAG 2.1）AA 等級；"
            "可再以 Freego 檢測工具確認。",
    ),
)

MAX_TARGETS = 10

_LEVEL_ORDER = {"A": 1, "AA": 2, "AAA": 3}
# SC tags are "wcag" + digits (wcag111, wcag1410); level tags such as
# wcag2aa / wcag21aa end in letters and are not criteria.
_SC_TAG = re.compile(r"^wcag(\d)(\d)(\d{1,2})$")
# Level tags: wcag2a, wcag2aa, wcag21aa, wcag22aa, wcag2aaa ...
_LEVEL_TAG = re.compile(r"^wcag2\d?(a{1,3})$")


@dataclass(frozen=True)
class _SC:
    sc: str
    level: str
    zh_name: str


@lru_cache(maxsize=1)
def _criteria() -> dict[str, _SC]:
    """axe tag -> success criterion, from the shipped wcag21-sc.csv."""
    out: dict[str, _SC] = {}
    with resources.files("checks.data").joinpath("wcag21-sc.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out[row["axe_tag"].strip()] = _SC(row["sc"].strip(), row["level"].strip(), row["zh_name"].strip())
    return out


@lru_cache(maxsize=1)
def _freego() -> dict[str, tuple[str, ...]]:
    """SC -> Freego machine-check codes (檢測碼), from freego-v3-rules.csv."""
    out: dict[str, list[str]] = {}
    with resources.files("checks.data").joinpath("freego-v3-rules.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out.setdefault(row["sc"].strip(), []).append(row["code"].strip())
    return {k: tuple(v) for k, v in out.items()}


def wcag_criteria(tags: list[str] | tuple[str, ...]) -> list[str]:
    """SC numbers named by axe tags: ["wcag111", "wcag1410"] -> ["1.1.1", "1.4.10"].

    Criteria outside WCAG 2.1 AA (e.g. WCAG 2.2's wcag258) are parsed from
    the digits, since the CSV lists only the 50 criteria of 網站無障礙規範."""
    table = _criteria()
    out: list[str] = []
    for tag in tags:
        if tag in table:
            sc = table[tag].sc
        else:
            m = _SC_TAG.match(tag)
            if not m:
                continue
            sc = ".".join(m.groups())
        if sc not in out:
            out.append(sc)
    return out


def _level(tags: list[str], criteria: list[str]) -> str:
    """The conformance level the violation fails.

    From the criteria's levels in the CSV; a violation of several criteria
    fails the lowest level among them (failing an A criterion fails A and AA
    alike).  For criteria the CSV lacks (AAA, WCAG 2.2), axe's level tag.
    """
    by_sc = {c.sc: c.level for c in _criteria().values()}
    levels = [by_sc[sc] for sc in criteria if sc in by_sc]
    if not levels and criteria:
        levels = [m.group(1).upper() for t in tags if (m := _LEVEL_TAG.match(t))]
    if not levels:
        return ""
    return min(levels, key=lambda lv: _LEVEL_ORDER.get(lv, 9))


def flatten_target(target: Any) -> str:
    """One CSS selector string for an axe node target.

    axe gives a list with one entry per frame level; an entry is a string, or
    a list of selectors through shadow roots.  Both boundaries are written
    " >>> " (the usual notation for piercing selectors)."""
    if isinstance(target, str):
        return target
    parts: list[str] = []
    for part in target or ():
        parts.append(part if isinstance(part, str) else " >>> ".join(str(p) for p in part))
    return " >>> ".join(parts)


def _targets(nodes: list[Mapping[str, Any]]) -> list[str]:
    return [flatten_target(n.get("target")) for n in nodes[:MAX_TARGETS]]


def _message(help_text: str, criteria: list[str], count: int) -> str:
    table = {c.sc: c.zh_name for c in _criteria().values()}
    # The Chinese SC name where 網站無障礙規範's is known; otherwise the number alone
    # (never an English name in a Chinese message).
    named = [f"{sc} {table[sc]}" if table.get(sc) else sc for sc in criteria]
    where = f"（{'、'.join(named)}）" if named else ""
    text = help_text.strip().rstrip("。.") or "未通過 axe-core 規則"
    return f"無障礙問題{where}：{text}，共 {count} 處"


def check(page: Page, ctx: CheckContext) -> Iterator[Finding]:
    result = ctx.axe_results.get(page.url)
    if not result:
        return
    table = {c.sc: c.zh_name for c in _criteria().values()}
    freego = _freego()
    for v in result.get("violations") or ():
        rule_id = v.get("id") or "unknown"
        tags = list(v.get("tags") or ())
        nodes = list(v.get("nodes") or ())
        criteria = wcag_criteria(tags)
        detail: dict[str, Any] = {
            "wcag": criteria,
            "level": _level(tags, criteria),
            "impact": v.get("impact") or "",
            "nodes": len(nodes),
            "targets": _targets(nodes),
            "help_url": v.get("helpUrl") or "",
            "help": v.get("help") or "",
        }
        sc_zh = {sc: table[sc] for sc in criteria if table.get(sc)}
        if sc_zh:
            detail["sc_zh"] = sc_zh
        codes = [code for sc in criteria for code in freego.get(sc, ())]
        if codes:
            detail["freego"] = codes
        yield page.finding(CHECK, f"a11y.{rule_id}", Severity.error,
                           _message(detail["help"], criteria, len(nodes)), **detail)


def needs_review(result: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """axe's `incomplete` items (人工複查) for the report: id, help, impact,
    wcag, help_url, nodes (count), targets (first 10)."""
    out: list[dict[str, Any]] = []
    for item in (result or {}).get("incomplete") or ():
        nodes = list(item.get("nodes") or ())
        out.append({
            "id": item.get("id") or "",
            "help": item.get("help") or "",
            "impact": item.get("impact") or "",
            "wcag": wcag_criteria(list(item.get("tags") or ())),
            "help_url": item.get("helpUrl") or "",
            "nodes": len(nodes),
            "targets": _targets(nodes),
        })
    return out
