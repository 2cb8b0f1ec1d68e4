"""checks.metadata: required 詮釋資料 fields, invalid values, the frozen DC.Date."""
from __future__ import annotations

import pytest

from checkhelp import assert_findings, fixture_paths, make_ctx, make_page, run_fixture, validate
from checks import metadata
from checks.metadata import (
    REQUIRED_FIELDS,
    SERVICE_TOP_CODES,
    dc_date,
    frozen_counts,
    frozen_values,
    site_findings,
)

GOOD = {
    "DC.Title": "經濟部標準檢驗局基隆分局-最新消息",
    "DC.Creator": "經濟部標準檢驗局基隆分局",
    "DC.Subject": "最新消息",
    "DC.Description": "基隆分局最新消息",
    "DC.Contributor": "秘書室",
    "DC.Type": "服務",
    "DC.Format": "Text",
    "DC.Source": "經濟部標準檢驗局基隆分局",
    "DC.Language": "中文",
    "DC.coverage.t.min": "2026-01-01",
    "DC.coverage.t.max": "2026-12-31",
    "DC.Publisher": "經濟部標準檢驗局基隆分局",
    "DC.Date": "2026-11-02",
    "DC.Identifier": "355000000I",
    "DC.Relation": "GIP-EY-MP01",
    "DC.Rights": "經濟部標準檢驗局基隆分局",
    "Category.Theme": "170",
    "Category.Cake": "C21",
    "Category.Service": "E41",
}


def head(**changes: str | None) -> str:
    """A page with every required field, `changes` overriding (None = drop)."""
    fields = dict(GOOD)
    for k, v in changes.items():
        name = k.replace("__", ".").replace("_", ".")
        name = next((f for f in fields if f.lower() == name.lower()), name)
        if v is None:
            fields.pop(name, None)
        else:
            fields[name] = v
    metas = "\n".join(f'<meta name="{k}" content="{v}">' for k, v in fields.items())
    return f"<html><head><title>t</title>{metas}</head><body><p>內容</p></body></html>"


def check(html, expected, **kw):
    return assert_findings(html, expected, check=metadata, **kw)


def test_shipped_data():
    assert len(REQUIRED_FIELDS) == 19  # 15 DC (coverage as t.min/t.max) + 3 Category
    assert "Keywords" not in REQUIRED_FIELDS
    assert {"DC.coverage.t.min", "Category.Service"} <= set(REQUIRED_FIELDS)
    assert len(SERVICE_TOP_CODES) == 18
    assert {"100", "900", "A00", "I00"} <= SERVICE_TOP_CODES and "E41" not in SERVICE_TOP_CODES


def test_complete_page_is_clean():
    check(head(), [])


def test_rules_declared():
    assert {r.id for r in metadata.RULES} == {"metadata.missing", "metadata.invalid", "metadata.frozen"}
    assert all(r.title and r.fix and r.check == "metadata" for r in metadata.RULES)


@pytest.mark.parametrize(
    "html, expected",
    [
        (head(DC_Title=None), [("metadata.missing", "DC.Title")]),
        (head(DC_Title=""), [("metadata.missing", "DC.Title")]),
        (head(DC_Title="   "), [("metadata.missing", "DC.Title")]),
        (head(Category_Service=None, DC_Rights=None),
         [("metadata.missing", "Category.Service"), ("metadata.missing", "DC.Rights")]),
        (head(DC_coverage_t_max=None), [("metadata.missing", "DC.coverage.t.max")]),
        # Keywords is optional
        (head(Keywords=None), []),
        # no head at all: every required field, once
        ("<p>只有內容</p>", [("metadata.missing", f) for f in REQUIRED_FIELDS]),
        ("", [("metadata.missing", f) for f in REQUIRED_FIELDS]),
    ],
)
def test_missing(html, expected):
    check(html, expected)


def test_names_match_case_insensitively():
    html = head().replace('name="DC.coverage.t.min"', 'name="DC.Coverage.T.Min"').replace(
        'name="DC.Title"', 'NAME="dc.title"'
    ).replace('name="Category.Theme"', 'name="CATEGORY.THEME"')
    check(html, [])


def test_meta_without_content_is_missing_and_repeats_count():
    html = head(DC_Title=None).replace("<title>", '<meta name="DC.Title"><meta name="dc.title" content="標題"><title>')
    check(html, [])
    html = head(DC_Title=None).replace("<title>", '<meta name="DC.Title"><meta name="DC.Title" content=""><title>')
    check(html, [("metadata.missing", "DC.Title")])


def test_property_attribute_counts():
    html = head(DC_Title=None).replace("<title>", '<meta property="DC.Title" content="標題"><title>')
    check(html, [])


def test_required_from_settings():
    ctx = make_ctx(required_fields=("DC.Title", "Keywords", "dc.title"))
    check(head(), [("metadata.missing", "Keywords")], ctx=ctx)
    check("<html></html>", [("metadata.missing", "DC.Title"), ("metadata.missing", "Keywords")], ctx=ctx)


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"DC_Date": "2023-02-30"}, [("metadata.invalid", "DC.Date", "2023-02-30")]),
        ({"DC_Date": "2023/05/03"}, [("metadata.invalid", "DC.Date", "2023/05/03")]),
        ({"DC_Date": "112-05-03"}, [("metadata.invalid", "DC.Date", "112-05-03")]),
        ({"DC_Date": "2023-5-3"}, [("metadata.invalid", "DC.Date", "2023-5-3")]),
        ({"DC_Date": "2023-05-03T10:00:00"}, [("metadata.invalid", "DC.Date", "2023-05-03T10:00:00")]),
        ({"DC_Date": " 2023-05-03 "}, []),
        ({"DC_coverage_t_min": "2026-13-01"}, [("metadata.invalid", "DC.coverage.t.min", "2026-13-01")]),
        ({"DC_coverage_t_max": "無限期"}, [("metadata.invalid", "DC.coverage.t.max", "無限期")]),
        # coverage min after max
        ({"DC_coverage_t_min": "2027-01-01"}, [("metadata.invalid", "DC.coverage.t.min", "2027-01-01")]),
        ({"DC_coverage_t_min": "2026-12-31"}, []),  # same day is fine
        # an invalid bound cannot be compared: one finding, not two
        ({"DC_coverage_t_min": "2099-02-30"}, [("metadata.invalid", "DC.coverage.t.min", "2099-02-30")]),
        # classification codes
        ({"Category_Theme": "17"}, [("metadata.invalid", "Category.Theme", "17")]),
        ({"Category_Theme": "e10"}, [("metadata.invalid", "Category.Theme", "e10")]),
        ({"Category_Theme": "主題"}, [("metadata.invalid", "Category.Theme", "主題")]),
        ({"Category_Cake": "C21;812, 140"}, []),
        ({"Category_Cake": "C21；８１２"}, [("metadata.invalid", "Category.Cake", "８１２")]),
        ({"Category_Cake": "C21;1400;x"},
         [("metadata.invalid", "Category.Cake", "1400"), ("metadata.invalid", "Category.Cake", "x")]),
        ({"Category_Service": "I00"}, []),
        ({"Category_Service": "A50 E10"}, []),
        ({"Category_Service": "J00"}, [("metadata.invalid", "Category.Service", "J00")]),
        ({"Category_Service": "000;E00"}, [("metadata.invalid", "Category.Service", "000")]),
        # a X00 code is only a service top-level code under Category.Service
        ({"Category_Theme": "J00"}, []),
        # the same bad code twice is one finding
        ({"Category_Service": "J00;J00"}, [("metadata.invalid", "Category.Service", "J00")]),
    ],
)
def test_invalid(changes, expected):
    check(head(**changes), expected)


def test_invalid_reason_is_chinese_and_present():
    (f,) = check(head(DC_Date="2023-02-30"), [("metadata.invalid", "DC.Date", "2023-02-30")])
    assert f.detail["reason"] and "日期" in f.detail["reason"]


def test_empty_category_is_missing_not_invalid():
    check(head(Category_Theme=""), [("metadata.missing", "Category.Theme")])


def test_vocabulary_from_settings():
    ctx = make_ctx(vocabularies={"category.theme": frozenset({"170", "610"})})
    check(head(Category_Theme="610"), [], ctx=ctx)
    check(head(Category_Theme="770"), [("metadata.invalid", "Category.Theme", "770")], ctx=ctx)
    # short key, as site.toml writes it
    ctx = make_ctx(vocabularies={"service": frozenset({"E41", "I00"})})
    check(head(Category_Service="E41;A50"), [("metadata.invalid", "Category.Service", "A50")], ctx=ctx)
    # a bad top-level code is reported once, by its first reason
    (f,) = check(head(Category_Service="J00"), [("metadata.invalid", "Category.Service", "J00")], ctx=ctx)
    assert "18" in f.detail["reason"]


def test_non_html_pages_are_not_judged():
    page = make_page("%PDF-1.4", url="https://www.example.gov.tw/a.pdf", content_type="application/pdf")
    assert list(metadata.check(page, make_ctx())) == []


def test_page_meta():
    meta = make_page(
        '<html><head><meta name="DC.Title" content=" 標題 "><meta name="dc.title" content="二">'
        '<meta property="article:modified_time" content="2026-11-01T10:00:00+08:00">'
        '<meta http-equiv="Content-Type" content="text/html; charset=big5">'
        '<meta charset="utf-8"><meta name="Keywords"></head></html>'
    ).meta
    assert meta == {
        "dc.title": ["標題", "二"],
        "article:modified_time": ["2026-11-01T10:00:00+08:00"],
        "keywords": [""],
    }
    assert dc_date({"dc.date": ["", "2009-09-09"]}) == "2009-09-09"
    assert dc_date({}) is None


# --- site level: frozen template values ------------------------------------------


def _site(n_same: int, n_other: int, n_none: int = 0, value: str = "2009-09-09") -> dict[str, str | None]:
    pages: dict[str, str | None] = {f"https://s/p{i}": value for i in range(n_same)}
    pages.update({f"https://s/o{i}": f"2026-01-{i % 28 + 1:02d}" for i in range(n_other)})
    pages.update({f"https://s/n{i}": None for i in range(n_none)})
    return pages


@pytest.mark.parametrize(
    "site, expected",
    [
        (_site(10, 9), {"dc.date": "2009-09-09"}),
        (_site(10, 10), {}),  # exactly half is not "more than half"
        (_site(9, 0), {}),  # fewer than 10 pages
        (_site(11, 0, 10), {"dc.date": "2009-09-09"}),
        (_site(10, 0, 10), {}),  # pages without DC.Date still count in the site
        (_site(0, 0, 30), {}),
        ({}, {}),
    ],
)
def test_frozen_values(site, expected):
    assert frozen_values(site) == expected


def test_frozen_values_ignores_surrounding_space():
    site = _site(12, 3)
    site["https://s/p0"] = " 2009-09-09 "
    assert frozen_values(site) == {"dc.date": "2009-09-09"}
    assert frozen_counts(site, {"dc.date": "2009-09-09"}) == {"dc.date": 12}


def test_site_findings_one_warning_on_home():
    home = make_page(head(), url="https://www.example.gov.tw/", section="/", unit="未指定")
    site = _site(40, 2)
    frozen = frozen_values(site)
    findings = list(site_findings(home, frozen, frozen_counts(site, frozen)))
    validate(findings, home, metadata)
    assert [(f.rule, dict(f.detail)) for f in findings] == [
        ("metadata.frozen", {"field": "DC.Date", "value": "2009-09-09", "pages": 40})
    ]
    assert findings[0].url == "https://www.example.gov.tw/"
    assert list(site_findings(home, {}, {})) == []
    # the judge passes the whole CheckContext.frozen_values: freshness's
    # frozen visible date there is no metadata field (freshness.frozen reports it)
    both = {**frozen, "page-text": "2016-02-16"}
    assert [f.rule for f in site_findings(home, both, frozen_counts(site, both))] == ["metadata.frozen"]


@pytest.mark.parametrize("path", fixture_paths("metadata"), ids=lambda p: p.name)
def test_fixture(path):
    run_fixture(path, metadata)
