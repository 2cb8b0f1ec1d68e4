"""Accessibility check: axe-core violations become `a11y.<axe rule id>` findings.

SPEC "Finding" table (accessibility row), `[accessibility] spec`/`level` and
"Rules in detail / Accessibility": only axe's `violations` become findings,
one per violated rule per page, severity error; axe's `incomplete` ("needs
review") items are listed by the report through `needs_review()`.

Each finding names the configured 網站無障礙規範 edition (`spec`) and carries
the 檢測碼 of ITS axe rule in that edition (`moda_codes`, from
checks/data/axe-to-moda.csv through `checks.a11y_spec`, never the codes of
every criterion the rule touches), the criteria (`wcag`) with their Chinese
names and the level from the edition's criteria table.  Rules that stand only
for a criterion the edition deleted (4.1.1 in 115.11) are not reported even
if a cached or custom-tag run produced them.

Pure: the axe results arrive in `ctx.axe_results` (gathered by
`crawler.a11y`).  A page with no entry there (accessibility off, not HTML, or
the browser failed on it) yields nothing.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from checks import a11y_spec
from checks.model import CheckContext, Finding, Rule, Severity
from checks.page import Page

CHECK = "accessibility"

_FIX = ("依 axe-core 說明（help_url）修正所列元素，使網頁符合{edition} {level}等級；"
        "可再以 Freego 檢測工具確認所列檢測碼（moda_codes）。")

RULES = (
    Rule(
        id="a11y.*",
        check=CHECK,
        severity=Severity.error,
        title="無障礙問題（axe-core 檢測）",
        fix=_FIX.format(edition=a11y_spec.edition_name("115.11"), level="AA "),
        detail=("wcag", "level", "impact", "nodes", "targets", "help_url", "moda_codes", "html", "help",
                "sc_zh", "spec"),
        # The advice names the edition the finding was judged by.
        fix_key="spec",
        fixes={spec: _FIX.format(edition=a11y_spec.edition_name(spec), level="")
               for spec in a11y_spec.KNOWN_SPECS},
    ),
)

MAX_TARGETS = 10
HTML_LIMIT = 300

# SC tags are "wcag" + digits (wcag111, wcag1410); level tags such as
# wcag2aa / wcag21aa end in letters and are not criteria.
_SC_TAG = re.compile(r"^wcag(\d)(\d)(\d{1,2})$")
_LEVEL_TAG = re.compile(r"^wcag2\d?(a{1,3})$")

# What a bare `html` / `:root` target means for the rules that judge the
# whole document: people read "html" as nothing.
_DOCUMENT_SUBJECT = {
    "html-has-lang": "網頁的語言（<html> 的 lang 屬性）",
    "html-lang-valid": "網頁的語言（<html> 的 lang 屬性值）",
    "html-xml-lang-mismatch": "網頁的語言（<html> 的 lang 與 xml:lang 不一致）",
    "document-title": "網頁標題（<title>）",
    "bypass": "整個網頁：沒有跳到主要內容的鏈結、標題或地標",
    "landmark-one-main": "整個網頁：沒有主要內容地標（<main>）",
    "page-has-heading-one": "整個網頁：沒有第一層標題（<h1>）",
    "meta-viewport": "網頁的縮放設定（<meta name=\"viewport\">）",
    "meta-refresh": "網頁的自動重新整理或轉址（<meta http-equiv=\"refresh\">）",
}
_BARE_DOCUMENT = frozenset({"html", ":root", "html:not(html *)"})


def wcag_criteria(tags: list[str] | tuple[str, ...]) -> list[str]:
    """SC numbers named by axe tags: ["wcag111", "wcag1410"] -> ["1.1.1", "1.4.10"]."""
    out: list[str] = []
    for tag in tags:
        m = _SC_TAG.match(tag)
        if m:
            sc = ".".join(m.groups())
            if sc not in out:
                out.append(sc)
    return out


def _level(tags: list[str], criteria: list[str], spec: str) -> str:
    """The conformance level the violation fails.

    From the edition's criteria table; a violation of several criteria fails
    the lowest level among them (failing an A criterion fails A and AA
    alike).  For criteria the table lacks, axe's level tag."""
    table = a11y_spec.criteria(spec)
    levels = [table[sc].level for sc in criteria if sc in table]
    if not levels and criteria:
        levels = [m.group(1).upper() for t in tags if (m := _LEVEL_TAG.match(t))]
    if not levels:
        return ""
    return min(levels, key=lambda lv: a11y_spec.LEVEL_ORDER.get(lv, 9))


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


def _sc_names(criteria: list[str], spec: str) -> dict[str, str]:
    table = a11y_spec.criteria(spec)
    return {sc: table[sc].zh_name for sc in criteria if sc in table and table[sc].zh_name}


def _message(help_text: str, named: dict[str, str], criteria: list[str], count: int, subject: str) -> str:
    # The Chinese SC name where the edition's table has it; otherwise the
    # number alone (never an English name in a Chinese message).
    parts = [f"{sc} {named[sc]}" if sc in named else sc for sc in criteria]
    where = f"（{'、'.join(parts)}）" if parts else ""
    text = help_text.strip().rstrip("。.") or "未通過 axe-core 規則"
    about = f"（對象：{subject}）" if subject else ""
    return f"無障礙問題{where}：{text}{about}，共 {count} 處"


def _subject(rule_id: str, targets: list[str]) -> str:
    if targets and all(t.strip() in _BARE_DOCUMENT for t in targets):
        return _DOCUMENT_SUBJECT.get(rule_id, "整個網頁")
    return ""


def _contrast(nodes: list[Mapping[str, Any]]) -> dict[str, Any]:
    """color-contrast evidence from the first node axe measured (`data`)."""
    data: Mapping[str, Any] = next((n["data"] for n in nodes if isinstance(n.get("data"), Mapping)), {})
    ratio = data.get("contrastRatio")
    out: dict[str, Any] = {
        "contrast": round(float(ratio), 2) if isinstance(ratio, (int, float)) else None,
        "fg": data.get("fgColor"),
        "bg": data.get("bgColor"),
    }
    if data.get("expectedContrastRatio"):
        out["required"] = data["expectedContrastRatio"]
    return out


def spec_of(ctx: CheckContext) -> str:
    return getattr(ctx.settings, "a11y_spec", a11y_spec.DEFAULT_SPEC)


def check(page: Page, ctx: CheckContext) -> Iterator[Finding]:
    result = ctx.axe_results.get(page.url)
    if not result:
        return
    spec = spec_of(ctx)
    off = a11y_spec.disabled_rules(spec)
    for v in result.get("violations") or ():
        rule_id = v.get("id") or "unknown"
        if rule_id in off:
            continue
        tags = list(v.get("tags") or ())
        nodes = list(v.get("nodes") or ())
        criteria = wcag_criteria(tags)
        named = _sc_names(criteria, spec)
        targets = _targets(nodes)
        subject = _subject(rule_id, targets)
        first_html = str((nodes[0].get("html") if nodes else "") or "")
        detail: dict[str, Any] = {
            "wcag": criteria,
            "level": _level(tags, criteria, spec),
            "impact": v.get("impact") or "",
            "nodes": len(nodes),
            "targets": targets,
            "help_url": v.get("helpUrl") or "",
            "moda_codes": list(a11y_spec.moda_codes_for_axe_rule(rule_id, spec)),
            "html": first_html[:HTML_LIMIT],
            "help": v.get("help") or "",
            "sc_zh": named,
            "spec": spec,
        }
        if subject:
            detail["subject"] = subject
        if rule_id == "color-contrast":
            detail.update(_contrast(nodes))
        yield page.finding(CHECK, f"a11y.{rule_id}", Severity.error,
                           _message(detail["help"], named, criteria, len(nodes), subject), **detail)


def needs_review(result: Mapping[str, Any] | None, spec: str = a11y_spec.DEFAULT_SPEC) -> list[dict[str, Any]]:
    """axe's `incomplete` items (人工複查) for the report: id, help, impact,
    wcag, help_url, nodes (count), targets (first 10), moda_codes."""
    out: list[dict[str, Any]] = []
    off = a11y_spec.disabled_rules(spec)
    for item in (result or {}).get("incomplete") or ():
        rule_id = item.get("id") or ""
        if rule_id in off:
            continue
        nodes = list(item.get("nodes") or ())
        out.append({
            "id": rule_id,
            "help": item.get("help") or "",
            "impact": item.get("impact") or "",
            "wcag": wcag_criteria(list(item.get("tags") or ())),
            "help_url": item.get("helpUrl") or "",
            "nodes": len(nodes),
            "targets": _targets(nodes),
            "moda_codes": list(a11y_spec.moda_codes_for_axe_rule(rule_id, spec)),
        })
    return out
