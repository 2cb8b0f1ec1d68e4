"""The explicit registry of page checks and their rules, and `run_page`.

`run_page(page, ctx)` is the one place that runs every page check; the crawl's
judge and `siteaudit check` both call it.  Order matters only for the
readability of reports: links first, accessibility last.
"""
from __future__ import annotations

from checks import accessibility, attachments, citation, documents, freshness, links, metadata, moda, site
from checks.model import CheckContext, Finding, Rule
from checks.page import Page

PAGE_CHECKS = (links, metadata, freshness, citation, attachments, accessibility, moda)
# Judged once per run over per-page facts (checks.site.site_findings), not by run_page.
SITE_CHECKS = (site,)

# Judged once per run, not per page: documents (reported on every linking page).
RUN_CHECKS = (documents,)

RULES: dict[str, Rule] = {r.id: r for m in (*PAGE_CHECKS, *SITE_CHECKS, *RUN_CHECKS) for r in m.RULES}


class CheckCrashed(Exception):
    """A check raised on one page: a defect of siteaudit, not of the page.

    The caller lists the page in `failed_pages` (the run is incomplete) and
    goes on with the other pages."""

    def __init__(self, check: str, error: BaseException):
        super().__init__(f"{check}: {type(error).__name__}: {error}")
        self.check = check
        self.error = error


def run_page(page: Page, ctx: CheckContext) -> list[Finding]:
    """Every page check on one page.  Raises CheckCrashed, never anything else."""
    findings: list[Finding] = []
    for module in PAGE_CHECKS:
        try:
            findings.extend(module.check(page, ctx))
        except Exception as e:  # noqa: BLE001 - reported as a failed page, see CheckCrashed
            raise CheckCrashed(module.CHECK, e) from e
    return findings


def rule_for(rule_id: str) -> Rule | None:
    """Metadata for a rule id; every `a11y.<axe id>` shares the generic a11y rule."""
    if rule_id in RULES:
        return RULES[rule_id]
    if rule_id.startswith("a11y."):
        return RULES.get("a11y.*")
    return None
