"""The explicit registry of checks and their rules (rule metadata as data).

Order matters only for readability of reports: links first, accessibility last.
"""
from __future__ import annotations

from checks import accessibility, attachments, citation, freshness, links, metadata
from checks.model import Rule

PAGE_CHECKS = (links, metadata, freshness, citation, attachments, accessibility)

RULES: dict[str, Rule] = {r.id: r for m in PAGE_CHECKS for r in m.RULES}


def rule_for(rule_id: str) -> Rule | None:
    """Metadata for a rule id; every `a11y.<axe id>` shares the generic a11y rule."""
    if rule_id in RULES:
        return RULES[rule_id]
    if rule_id.startswith("a11y."):
        return RULES.get("a11y.*")
    return None
