"""The 網站無障礙規範 edition as a setting: tags, criteria, 檢測碼 and axe mapping.

SPEC `[accessibility]` (`spec`, `level`, `tags`) and the rule table rows
`a11y.*` (`moda_codes`, `wcag`, `level`) and `moda.<code>`.  Everything here is
read from the tables shipped in `checks/data/` (provenance in its README):

- `moda-115.11-criteria.csv`: the 87 success criteria of 115.11 (WCAG 2.2)
  with level, Chinese name, whether 110.07 has them, the axe tags and the axe
  rules that carry each criterion's tag;
- `moda-115.11-machine-codes.csv` (115.11 codes) and `freego-v3-rules.csv`
  (the Freego v3 / 110.07 codes and their MODA detail pages);
- `moda-code-map.csv`: siteaudit's join of the two code lists — the 110.07 ↔
  115.11 renumbering (HM1130103C is `<optgroup>` in 115.11 but fieldset/legend
  in 110.07, where optgroup was HM1130103C_1), the MODA page of each code and
  how siteaudit checks it (`axe`, `own`, `own+axe`, `manual`, with why);
- `axe-to-moda.csv` (+ `axe-to-moda-overrides.csv`): the 檢測碼 each axe
  RULE stands for (never per criterion: `list` is not a table check).

Pure and cached: the tables are read once per process.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

KNOWN_SPECS: tuple[str, ...] = ("115.11", "110.07")
KNOWN_LEVELS: tuple[str, ...] = ("A", "AA", "AAA")
DEFAULT_SPEC = "115.11"
DEFAULT_LEVEL = "AA"
LEVEL_ORDER = {"A": 1, "AA": 2, "AAA": 3}

# The MODA detail page of a code.  115.11 has no per-code pages that the
# sources name; the 110.07 pages (same check, same wording for kept codes,
# the page of the same check for renumbered ones) are the closest documented.
HELP_URL = "https://accessibility.moda.gov.tw/Download/Detail/{id}?Category=63"
# The index of the spec when a code has no page of its own.
SPEC_URL = "https://accessibility.moda.gov.tw/Accessible/Guide/68"

EDITION_NAMES = {
    "115.11": "網站無障礙規範 115.11（WCAG 2.2）",
    "110.07": "網站無障礙規範 110.07（WCAG 2.1）",
}

# axe rules the edition never runs although a tag may select them.  axe's
# runOnly-by-tag leaves out `experimental` and `deprecated` rules; listed for
# the coverage computation (axe-core 4.11-4.14, see checks/data/README.md).
_EXPERIMENTAL_OR_DEPRECATED = frozenset({
    "css-orientation-lock", "label-content-name-mismatch", "p-as-heading", "table-fake-caption",
    "td-has-header", "audio-caption", "duplicate-id", "duplicate-id-active", "aria-roledescription",
})
_LEVEL_TAG = re.compile(r"^wcag2\d?a{1,3}$")


class SpecError(ValueError):
    """An unknown edition, level or tag list; the message names the config key."""


@dataclass(frozen=True)
class Criterion:
    sc: str
    level: str
    zh_name: str
    en_name: str
    level_tag: str  # axe's level tag (wcag2a ... wcag22aa), "" when axe has none
    axe_rules: tuple[str, ...]


@dataclass(frozen=True)
class Code:
    """One machine-check code (檢測碼) of one edition."""

    code: str
    spec: str
    level: str
    sc: str
    zh_description: str
    help_url: str
    siteaudit: str  # axe | own | own+axe | manual
    why: str  # for developers (English, from moda-code-map.csv)
    # the same check's code in the other edition ("" = none)
    other_code: str
    manual_zh: str = ""  # why a person must judge it (zh, `manual` codes only)

    @property
    def severity_name(self) -> str:
        """SPEC: error at A and AA, warning at AAA."""
        return "warning" if self.level == "AAA" else "error"


def _rows(name: str) -> list[dict[str, str]]:
    with resources.files("checks.data").joinpath(name).open(encoding="utf-8") as f:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(f)]


# ---- validation ------------------------------------------------------------

def check_spec(spec: str, key: str = "accessibility.spec") -> str:
    if spec not in KNOWN_SPECS:
        raise SpecError(f"{key}: 未知的網站無障礙規範版本 {spec!r}（可用：{'、'.join(KNOWN_SPECS)}）")
    return spec


def check_level(level: str, key: str = "accessibility.level") -> str:
    if level not in KNOWN_LEVELS:
        raise SpecError(f"{key}: 未知的無障礙等級 {level!r}（可用：{'、'.join(KNOWN_LEVELS)}）")
    return level


def validate(spec: str, level: str, tags: Iterable[str] = (), accesskeys: Iterable[str] = ()) -> None:
    """The integrator's config validation for `[accessibility]`: raises
    SpecError naming the key (`accessibility.spec`, `.level`, `.tags`,
    `.accesskeys`); crawler.config wraps it in a ConfigError (exit 2)."""
    check_spec(spec)
    check_level(level)
    for t in tags:
        if not isinstance(t, str) or not re.fullmatch(r"[A-Za-z0-9][\w.\-]*", t):
            raise SpecError(f"accessibility.tags: 不是 axe-core 標籤：{t!r}")
    for k in accesskeys:
        if not isinstance(k, str) or not re.fullmatch(r"[A-Za-z0-9]", k):
            raise SpecError(f"accessibility.accesskeys: 快速鍵應為單一英文字母或數字：{k!r}")


def edition_name(spec: str) -> str:
    """e.g. 網站無障礙規範 115.11（WCAG 2.2）, for messages, run.json and reports."""
    return EDITION_NAMES[check_spec(spec)]


def level_within(level: str, target: str) -> bool:
    """True when `level` (A/AA/AAA) is at or below `target`."""
    return LEVEL_ORDER.get(level, 9) <= LEVEL_ORDER.get(target, 0)


# ---- criteria ----------------------------------------------------------------

@cache
def criteria(spec: str) -> dict[str, Criterion]:
    """SC number -> Criterion for the edition: 115.11 = the active rows
    (4.1.1 deleted), 110.07 = the rows 110.07 has (4.1.1 included)."""
    check_spec(spec)
    out: dict[str, Criterion] = {}
    for r in _rows("moda-115.11-criteria.csv"):
        if spec == "115.11" and r["status"] != "active":
            continue
        if spec == "110.07" and r["in_110_07"] != "yes":
            continue
        level_tag = next((t for t in r["axe_tags"].split() if _LEVEL_TAG.match(t)), "")
        out[r["sc"]] = Criterion(r["sc"], r["level"], r["zh_name"], r["en_name"], level_tag,
                                 tuple(r["axe_rules"].split()))
    return out


def criterion(sc: str, spec: str = DEFAULT_SPEC) -> Criterion | None:
    return criteria(spec).get(sc)


@cache
def _deleted_criteria() -> dict[str, tuple[str, ...]]:
    return {r["sc"]: tuple(r["axe_rules"].split()) for r in _rows("moda-115.11-criteria.csv")
            if r["status"] != "active"}


def default_tags(spec: str, level: str) -> tuple[str, ...]:
    """axe's level tags of every criterion of the edition at or below `level`.

    115.11 AA = wcag2a wcag2aa wcag21a wcag21aa wcag22aa; 110.07 AA = the
    same without wcag22aa; AAA adds wcag2aaa (axe has no level tag for
    WCAG 2.1 or 2.2 AAA criteria).  4.1.1 carries `wcag2a-obsolete`, which is
    not a level tag, so its rules are never selected by these tags."""
    check_level(level)
    tags = {c.level_tag for c in criteria(spec).values() if c.level_tag and level_within(c.level, level)}
    order = ("wcag2a", "wcag2aa", "wcag2aaa", "wcag21a", "wcag21aa", "wcag21aaa", "wcag22a", "wcag22aa",
             "wcag22aaa")
    return tuple(t for t in order if t in tags)


def disabled_rules(spec: str) -> dict[str, dict[str, bool]]:
    """axe `rules` options that turn off the rules standing only for criteria
    the edition deleted (115.11: 4.1.1 Parsing -> duplicate-id,
    duplicate-id-active), so they stay off even when `tags` name
    `wcag2a-obsolete`: pass as `axe.run(ctx, {runOnly: ..., rules: <this>})`."""
    active = criteria(spec)
    live_rules = {rule for c in active.values() for rule in c.axe_rules}
    off: dict[str, dict[str, bool]] = {}
    for sc, rules in _deleted_criteria().items():
        if sc in active:
            continue
        for rule in rules:
            if rule not in live_rules:
                off[rule] = {"enabled": False}
    return off


def axe_options(spec: str, level: str, tags: Iterable[str] = ()) -> dict:
    """The options object for `axe.run`: runOnly by the configured tags (or
    the edition's default tags) plus `disabled_rules(spec)`."""
    chosen = list(tags) or list(default_tags(spec, level))
    opts: dict = {"runOnly": {"type": "tag", "values": chosen}, "resultTypes": ["violations", "incomplete"]}
    off = disabled_rules(spec)
    if off:
        opts["rules"] = off
    return opts


@cache
def rule_criteria(spec: str) -> dict[str, tuple[str, ...]]:
    """axe rule id -> the edition's criteria whose tag the rule carries."""
    out: dict[str, list[str]] = {}
    for c in criteria(spec).values():
        for rule in c.axe_rules:
            out.setdefault(rule, []).append(c.sc)
    return {k: tuple(v) for k, v in out.items()}


def rules_run(spec: str, tags: Iterable[str]) -> frozenset[str]:
    """The axe rules a run with `tags` executes (as far as the shipped table
    knows): a rule runs when one of its criteria's level tags, or criterion
    tags, is selected, and it is neither experimental nor deprecated."""
    chosen = set(tags)
    out: set[str] = set()
    for c in criteria(spec).values():
        ctag = "wcag" + c.sc.replace(".", "")
        if c.level_tag in chosen or ctag in chosen:
            out.update(r for r in c.axe_rules if r not in _EXPERIMENTAL_OR_DEPRECATED)
    off = disabled_rules(spec)
    return frozenset(r for r in out if r not in off)


# ---- codes -------------------------------------------------------------------

@cache
def _code_map() -> list[dict[str, str]]:
    return _rows("moda-code-map.csv")


@cache
def machine_codes(spec: str) -> dict[str, Code]:
    """Every machine-check code (suffix C) of the edition, in the table's
    order: 115.11 from moda-115.11-machine-codes.csv (28 codes), 110.07 from
    freego-v3-rules.csv (Freego v3, incl. HM1130103C_1) plus CS3140800C,
    which the 110.07 web index lists and Freego v3 lacks."""
    check_spec(spec)
    cmap = _code_map()
    freego = {r["code"]: r for r in _rows("freego-v3-rules.csv")}
    out: dict[str, Code] = {}
    if spec == "115.11":
        rows = [r for r in _rows("moda-115.11-machine-codes.csv") if r["status"] in ("kept", "renumbered")]
        by_code = {m["code_115_11"]: m for m in cmap if m["code_115_11"]}
        for r in rows:
            m = by_code[r["code"]]
            out[r["code"]] = Code(r["code"], spec, r["level"], r["sc"], r["zh_description"],
                                  _help(m["moda_detail_id"]), m["siteaudit"], m["why"], m["code_110_07"],
                                  m["manual_zh"])
        return out
    by_old = {m["code_110_07"]: m for m in cmap if m["code_110_07"]}
    new_rows = {r["code"]: r for r in _rows("moda-115.11-machine-codes.csv")}
    codes = list(freego) + [c for c in by_old if c not in freego]
    for code in codes:
        m = by_old[code]
        src = freego.get(code) or new_rows[code]
        out[code] = Code(code, spec, src["level"], src["sc"], src["zh_description"],
                         _help(m["moda_detail_id"]), m["siteaudit"], m["why"], m["code_115_11"],
                         m["manual_zh"])
    return out


def _help(detail_id: str) -> str:
    return HELP_URL.format(id=detail_id) if detail_id else SPEC_URL


def code_info(code: str, spec: str = DEFAULT_SPEC) -> Code | None:
    """The code's level, criterion, wording and MODA page in that edition
    (HM1130103C: optgroup in 115.11, fieldset/legend in 110.07)."""
    return machine_codes(spec).get(code)


def codes_at(spec: str, level: str) -> tuple[Code, ...]:
    """The edition's codes at or below `level` (the badge level aimed at)."""
    check_level(level)
    return tuple(c for c in machine_codes(spec).values() if level_within(c.level, level))


def all_code_ids() -> tuple[str, ...]:
    """Every code of every edition, once (for rule metadata)."""
    seen: dict[str, None] = {}
    for spec in KNOWN_SPECS:
        for code in machine_codes(spec):
            seen.setdefault(code, None)
    return tuple(seen)


@cache
def _axe_map() -> dict[str, tuple[str, ...]]:
    out = {r["axe_rule"]: tuple(r["moda_codes"].split()) for r in _rows("axe-to-moda.csv")}
    return out


@cache
def _overrides() -> dict[tuple[str, str], tuple[str, ...]]:
    return {(r["axe_rule"], r["spec"]): tuple(r["moda_codes"].split()) for r in _rows("axe-to-moda-overrides.csv")}


def moda_codes_for_axe_rule(rule_id: str, spec: str = DEFAULT_SPEC) -> tuple[str, ...]:
    """The edition's 檢測碼 one axe RULE stands for (may be empty).

    axe-to-moda.csv was made against 110.07 / Freego v3 numbering; codes are
    kept only when the edition has them, and renumbered checks are never
    carried over by number (no axe rule maps to the 115.11 optgroup code)."""
    codes = _overrides().get((rule_id, spec)) or _overrides().get((rule_id, "*")) or _axe_map().get(rule_id, ())
    known = machine_codes(spec)
    return tuple(c for c in codes if c in known)


def axe_covered_codes(spec: str, tags: Iterable[str]) -> frozenset[str]:
    """Codes some axe rule run with `tags` stands for."""
    return frozenset(c for rule in rules_run(spec, tags) for c in moda_codes_for_axe_rule(rule, spec))


def own_check_codes(spec: str, level: str, tags: Iterable[str] = ()) -> tuple[str, ...]:
    """The codes siteaudit checks itself at `level`: every code of the
    edition at or below the level that no axe rule of the run covers, plus
    the ones axe covers only in part (`own+axe`), minus the ones that need a
    person (`manual`, see `not_machine_checkable`)."""
    return _own_check_codes(spec, level, tuple(tags))


@cache
def _own_check_codes(spec: str, level: str, tags: tuple[str, ...]) -> tuple[str, ...]:
    chosen = tuple(tags) or default_tags(spec, level)
    covered = axe_covered_codes(spec, chosen)
    out = []
    for c in codes_at(spec, level):
        if c.siteaudit == "manual":
            continue
        if c.code not in covered or c.siteaudit in ("own", "own+axe"):
            out.append(c.code)
    return tuple(out)


def not_covered_by_axe(spec: str, level: str, tags: Iterable[str] = ()) -> tuple[str, ...]:
    """The edition's codes at `level` that no axe rule of the run stands for
    (whether siteaudit checks them itself or a person must)."""
    chosen = tuple(tags) or default_tags(spec, level)
    covered = axe_covered_codes(spec, chosen)
    return tuple(c.code for c in codes_at(spec, level) if c.code not in covered)


def not_machine_checkable(spec: str) -> dict[str, str]:
    """code -> why a person must judge it, in Chinese (the `manual` rows of
    moda-code-map.csv; `Code.why` has the developers' note)."""
    return {c.code: c.manual_zh for c in machine_codes(spec).values() if c.siteaudit == "manual"}
