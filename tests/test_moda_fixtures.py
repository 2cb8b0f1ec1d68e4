"""The `moda.<code>` checks on fixture pages in axe-core's style.

tests/fixtures/moda/<CODE>*.html: small pages whose elements are marked
`id="failN"` (must be reported) and `id="passN"` (must not be), with the
expected findings listed beside them in the header:

    <!-- siteaudit-fixture
    url: https://www.example.gov.tw/x.html      (optional)
    spec: 110.07                                  (default 115.11)
    level: AAA                                    (default AA)
    codes: HM3240900C HM3241000C                  (judge only these rules)
    encoding: big5                                (the file's bytes; pages arrive decoded)
    css-fact: <source> | <selector> | <property> | <value> | <line>
    css-unreadable: <stylesheet URL>
    expect: moda.HM1110106C | #fail1             (rule | target, one per target)
    -->

The findings must equal the expected (rule, target) multiset exactly, every
`fail` id must be among the targets and no `pass` id.  `clean-*.html` pages
follow every code and must yield nothing.  The css facts stand for what the
browser stage reads from the CSSOM of linked / imported stylesheets
(`axe_results[url]["css"]`, CONTRACT.md).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from checkhelp import default_settings
from checks import moda
from checks.model import CheckContext, Finding, Severity
from checks.page import Page

FIXTURES = Path(__file__).parent / "fixtures" / "moda"
DEFAULT_URL = "https://www.example.gov.tw/cp.aspx?n=1"
SPEC_KEYS = {"code", "level", "sc", "targets", "html", "help_url"}
_HEADER = re.compile(rb"<!--\s*siteaudit-fixture\s*\n(.*?)-->", re.S)
_CJK = re.compile(r"[\u4e00-\u9fff]")


def load(path: Path) -> tuple[str, dict[str, Any]]:
    raw = path.read_bytes()
    m = _HEADER.search(raw)
    assert m, f"{path.name}: no siteaudit-fixture header"
    opts: dict[str, Any] = {"expect": [], "css": {}, "unreadable": []}
    for line in m.group(1).decode("ascii", errors="strict").splitlines():
        name, _, value = line.strip().partition(":")
        value = value.strip()
        if not name:
            continue
        if name == "expect":
            rule, target = (p.strip() for p in value.split(" | ", 1))
            opts["expect"].append((rule, target))
        elif name == "css-fact":
            source, selector, prop, val, line_no = ([p.strip() for p in value.split("|")] + [""])[:5]
            key = {"font-size": "absolute_font_sizes", "max-width": "absolute_lengths",
                   "line-height": "absolute_lengths"}.get(prop, "main_colors")
            opts["css"].setdefault(key, []).append(
                {"source": source, "selector": selector, "property": prop, "value": val,
                 **({"line": int(line_no)} if line_no else {})})
        elif name == "css-unreadable":
            opts["unreadable"].append(value)
        else:
            opts[name] = value
    html = raw.decode(opts.get("encoding", "utf-8"))
    return html, opts


def run(path: Path) -> tuple[Page, list[Finding], dict[str, Any]]:
    html, opts = load(path)
    page = Page(url=opts.get("url", DEFAULT_URL), html=html, section="/", unit="秘書室")
    settings = replace(default_settings(), a11y_spec=opts.get("spec", "115.11"), a11y_level=opts.get("level", "AA"))
    css = dict(opts["css"])
    if opts["unreadable"]:
        css["unreadable"] = opts["unreadable"]
    ctx = CheckContext(as_of=date(2026, 12, 1), settings=settings,
                       axe_results={page.url: {"violations": [], "incomplete": [], "css": css}})
    findings = list(moda.check(page, ctx))
    if "codes" in opts:
        keep = {f"moda.{c}" for c in opts["codes"].split()}
        findings = [f for f in findings if f.rule in keep]
    return page, findings, opts


def validate(page: Page, f: Finding, spec: str) -> None:
    rule = moda._RULE[f.rule]
    assert f.check == "accessibility" and f.severity == rule.severity
    assert SPEC_KEYS | {"nodes", "reasons", "spec"} <= set(f.detail)
    d = f.detail
    assert d["spec"] == spec and f.rule.endswith(d["code"]) or f.rule == moda.CSS_UNREADABLE
    assert d["help_url"].startswith("https://accessibility.moda.gov.tw/")
    assert len(d["targets"]) == len(d["reasons"]) <= 10 and d["nodes"] >= len(d["targets"])
    assert len(d["html"]) <= 300
    assert _CJK.search(f.message) and all(_CJK.search(r) for r in d["reasons"])
    expected = Severity.warning if d["level"] == "AAA" else Severity.error
    assert f.rule == moda.CSS_UNREADABLE or f.severity == expected
    assert (f.url, f.section, f.unit) == (page.url, page.section, page.unit)
    f.to_json()


CODE_FIXTURES = sorted(p for p in FIXTURES.glob("*.html") if not p.name.startswith("clean-"))
CLEAN_FIXTURES = sorted(FIXTURES.glob("clean-*.html"))


@pytest.mark.parametrize("path", CODE_FIXTURES, ids=lambda p: p.stem)
def test_code_fixture(path: Path):
    page, findings, opts = run(path)
    for f in findings:
        validate(page, f, opts.get("spec", "115.11"))
    got = Counter((f.rule, t) for f in findings for t in f.detail["targets"])
    want = Counter(opts["expect"])
    assert got == want, (f"\n{path.name}\nmissing: {sorted((want - got).elements())}"
                         f"\nextra:   {sorted((got - want).elements())}")
    # axe-core style marks: every fail id reported, no pass id
    html = page.html
    fails = set(re.findall(r'\bid="(fail\d+)"', html, re.I))
    targets = " ".join(t for f in findings for t in f.detail["targets"])
    assert {f"#{i}" for i in fails} <= set(re.findall(r"#fail\d+", targets)), path.name
    assert "#pass" not in targets
    assert fails or opts["expect"] or "clean" in path.name or path.name.endswith("115.11.html") \
        or "alternate" in path.name


@pytest.mark.parametrize("path", CLEAN_FIXTURES, ids=lambda p: p.stem)
@pytest.mark.parametrize("spec", ["115.11", "110.07"])
def test_clean_page_yields_nothing(path: Path, spec: str):
    html, opts = load(path)
    assert not opts["expect"]
    page = Page(url=opts.get("url", DEFAULT_URL), html=html)
    settings = replace(default_settings(), a11y_spec=spec)
    css = dict(opts["css"])
    ctx = CheckContext(as_of=date(2026, 12, 1), settings=settings,
                       axe_results={page.url: {"violations": [], "incomplete": [], "css": css}})
    found = list(moda.check(page, ctx))
    assert found == [], [(f.rule, f.detail["targets"], f.detail["reasons"]) for f in found]


def test_every_code_checked_at_aa_has_a_fixture():
    names = {p.name.split("-")[0].split(".")[0] for p in CODE_FIXTURES}
    for info in moda.checked_codes("115.11", "AA"):
        assert info.code in names, f"no fixture for {info.code}"
    aaa = {p.stem for p in CODE_FIXTURES if p.name.startswith("AAA-")}
    for code in ("CS3140800C", "CS3140801C", "CS3140802C", "HM3240900C", "HM3241000C"):
        assert any(code in n or (code.startswith("CS31408") and "CS314080x" in n) for n in aaa), code


def fixture_counts() -> dict[str, tuple[int, int]]:
    """code -> (pass-marked elements, fail-marked elements) over its fixtures."""
    out: dict[str, list[int]] = {}
    for p in CODE_FIXTURES:
        html, opts = load(p)
        codes = {r.split(".", 1)[1] for r, _ in opts["expect"]} or {p.name.split("-")[0].split(".")[0]}
        for code in codes:
            c = out.setdefault(code, [0, 0])
            c[0] += len(re.findall(r'\bid="pass\d+"', html, re.I))
            c[1] += sum(1 for r, _ in opts["expect"] if r.endswith(code))
    return {k: (v[0], v[1]) for k, v in sorted(out.items())}


if __name__ == "__main__":  # pragma: no cover - prints the table for the report
    for code, (passes, fails) in fixture_counts().items():
        print(f"{code}\tpass {passes}\tfail {fails}")
