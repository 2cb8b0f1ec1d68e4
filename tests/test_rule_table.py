"""The rule table (checks/registry.py) against SPEC's findings table.

Every rule id SPEC names exists with its default severity and at least the
`detail` keys SPEC lists; every rule has a Chinese title and a fix text.  The
report's help, the test helpers and --format sarif all read this one table.
"""
from __future__ import annotations

import re

import pytest

from checks.model import Severity
from checks.registry import RULES, rule_for

# Transcribed from SPEC.md "Finding": rule -> (severity, detail keys)
SPEC = {
    "link.broken": ("error", {"target", "status", "element"}),
    "link.unreachable": ("warning", {"target", "status"}),
    "link.anchor-missing": ("warning", {"target"}),
    "link.malformed": ("error", {"target", "reason"}),
    "metadata.missing": ("error", {"field"}),
    "metadata.invalid": ("warning", {"field", "value", "reason"}),
    "metadata.frozen": ("warning", {"field", "value", "pages"}),
    "freshness.stale": ("warning", {"modified", "source", "age_days", "limit_months"}),
    "freshness.unknown": ("notice", set()),
    "freshness.frozen": ("warning", {"value", "pages"}),
    "citation.no-link": ("error", {"text"}),
    "citation.quote-unattributed": ("warning", {"text"}),
    "attachment.no-odf": ("warning", {"target"}),
    "attachment.metadata-missing": ("warning", {"target", "fields"}),
    "attachment.no-text": ("warning", {"target"}),
    "attachment.untagged-pdf": ("notice", {"target"}),
    "attachment.invalid": ("error", {"target", "reason"}),
    "a11y.color-contrast": ("error", {"wcag", "level", "impact", "nodes", "targets", "help_url", "moda_codes",
                                      "html"}),
    "site.badge": ("warning", {"reason"}),
    "site.accesskeys": ("warning", {"missing", "orphan"}),
    "site.sitemap-page": ("warning", {"reason"}),
    "site.category-browse": ("warning", {"missing"}),
    "site.search": ("notice", set()),
    "site.privacy": ("warning", set()),
    "site.open-info": ("notice", set()),
    "moda.CS2140401C": ("error", {"code", "level", "sc", "targets", "html", "help_url"}),
}
_CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("rule_id", sorted(SPEC))
def test_spec_rule_in_the_table(rule_id):
    severity, keys = SPEC[rule_id]
    rule = rule_for(rule_id)
    assert rule is not None, rule_id
    assert rule.severity == Severity.parse(severity)
    assert keys <= set(rule.detail), (rule_id, sorted(keys - set(rule.detail)))


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_every_rule_has_a_chinese_title_and_fix(rule_id):
    rule = RULES[rule_id]
    assert _CJK.search(rule.title) and _CJK.search(rule.fix), rule_id
    for kind, text in rule.fixes.items():
        assert _CJK.search(text), (rule_id, kind)


def test_fix_advice_follows_the_kind_of_finding():
    broken = RULES["link.broken"]
    assert broken.fix_for({"status": 404}) != broken.fix_for({"status": "dns"})
    assert broken.fix_for({"status": 410}) == broken.fixes["4xx"]
    assert broken.fix_for({"status": "weird"}) == broken.fix
