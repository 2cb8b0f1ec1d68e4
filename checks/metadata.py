"""The 詮釋資料 (government metadata) check.

SPEC "Rules in detail / Metadata" and "Template values": every page carries
the 15 Dublin Core `<meta>` fields and the three classification fields
(Category.Theme 主題, Category.Cake 施政, Category.Service 服務) required
by 行政機關電子資料流通詮釋資料及分類檢索規範.  Field names match
case-insensitively.  The required list and the 18 top-level service codes
are package data (checks/data/, provenance in its README).

Rules: `metadata.missing` (absent or empty), `metadata.invalid` (bad DC
date, coverage min after max, malformed or unknown classification code),
and the site-level `metadata.frozen` (one DC.Date copied onto most pages;
computed by the crawler after the crawl through `frozen_values` and
`site_findings`).
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import date
from importlib import resources

from checks.model import CheckContext, Finding, Rule, Severity
from checks.page import Page

CHECK = "metadata"

RULES: tuple[Rule, ...] = (
    Rule(
        "metadata.missing", CHECK, Severity.error, "缺少詮釋資料欄位",
        "在網頁 <head> 加上 <meta name=\"欄位名稱\" content=\"內容\">，內容不可空白。"
        "必備欄位為 15 個 Dublin Core 欄位（DC.Title、DC.Creator、DC.Subject、DC.Description、"
        "DC.Contributor、DC.Type、DC.Format、DC.Source、DC.Language、涵蓋範圍 DC.coverage.t.min 與 "
        "DC.coverage.t.max、DC.Publisher、DC.Date、DC.Identifier、DC.Relation、DC.Rights）"
        "及主題（Category.Theme）、施政（Category.Cake）、服務（Category.Service）三個分類欄位；"
        "多由網站管理系統（CMS）的頁面範本或各頁的「詮釋資料」設定填寫。",
        detail=("field",),
    ),
    Rule(
        "metadata.invalid", CHECK, Severity.warning, "詮釋資料內容格式錯誤",
        "日期欄位（DC.Date、DC.coverage.t.min、DC.coverage.t.max）請填西元 YYYY-MM-DD 格式的"
        "真實日期（例如 2026-11-26），涵蓋範圍起日不可晚於迄日；分類欄位請填 3 碼分類代碼"
        "（數字或大寫英文字母，例如 I00、E41），多個代碼以分號分隔，服務分類大類代碼須為"
        "規範所列 18 類之一。",
        detail=("field", "value", "reason"),
    ),
    Rule(
        "metadata.frozen", CHECK, Severity.warning, "詮釋資料為範本固定值",
        "大多數網頁的 DC.Date 都是同一個值，表示網站管理系統把範本的日期複製到每一頁，"
        "這個日期無法反映各網頁的製作日期。請修改範本或 CMS 設定，讓每一頁的 DC.Date "
        "填入該頁實際的製作（發布）日期。",
        detail=("field", "value", "pages"),
    ),
)
_RULE = {r.id: r for r in RULES}

_DATA = resources.files("checks.data")


def _read_csv(name: str) -> list[dict[str, str]]:
    text = _DATA.joinpath(name).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


# Package data, read once: constants, not state.
FIELDS: tuple[dict[str, str], ...] = tuple(_read_csv("metadata-fields.csv"))
# The CSV's `required` column is prose ("yes (spec 壹三(二)...)", "unknown (...)"):
# only rows that start with "yes" are obligations.
REQUIRED_FIELDS: tuple[str, ...] = tuple(
    r["field"] for r in FIELDS if r["required"].strip().lower().startswith("yes")
)
# Canonical spelling for messages: lower-case name -> name as the 規範 writes it.
CANONICAL: dict[str, str] = {r["field"].lower(): r["field"] for r in FIELDS}
ZH_NAME: dict[str, str] = {r["field"].lower(): r["zh_name"] for r in FIELDS if r["zh_name"]}
SERVICE_TOP_CODES: frozenset[str] = frozenset(
    r["code"] for r in _read_csv("category-service.csv") if not r["parent_code"] and r["code"].endswith("00")
)

DATE_FIELDS = ("dc.date", "dc.coverage.t.min", "dc.coverage.t.max")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_CODE = re.compile(r"^[0-9A-Z]{3}$")
# Several codes in one content attribute: the 規範's separator is not known,
# so accept the ones seen in practice (half- and full-width).
_CODE_SEP = re.compile(r"[;,\s；，、]+")

# A value carried by more than half of the pages and by at least this many
# is a template value (SPEC "Template values").
FROZEN_MIN_PAGES = 10


def dc_date(meta: Mapping[str, list[str]]) -> str | None:
    """The page's first non-empty DC.Date value (what `frozen_values` counts)."""
    for v in meta.get("dc.date", ()):
        if v:
            return v
    return None


def field_name(key: str) -> str:
    """How a field is named in findings: the 規範's spelling when known."""
    return CANONICAL.get(key.lower(), key)


def _label(key: str) -> str:
    zh = ZH_NAME.get(key.lower())
    return f"{field_name(key)}（{zh}）" if zh else field_name(key)


def _real_iso_date(value: str) -> date | None:
    m = _ISO_DATE.match(value.strip())
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _vocabulary(ctx: CheckContext, key: str) -> frozenset[str] | None:
    vocabs = ctx.settings.vocabularies
    if key in vocabs:
        return vocabs[key]
    # site.toml writes `{theme = "theme.csv"}`: accept the short key too.
    short = key.split(".", 1)[1] if "." in key else key
    return vocabs.get(short)


def check(page: Page, ctx: CheckContext) -> Iterator[Finding]:
    if not page.is_html:
        return
    meta = page.meta
    yield from _missing(page, ctx, meta)
    yield from _invalid_dates(page, meta)
    yield from _invalid_codes(page, ctx, meta)


def _missing(page: Page, ctx: CheckContext, meta: Mapping[str, list[str]]) -> Iterator[Finding]:
    required = ctx.settings.required_fields or REQUIRED_FIELDS
    seen: set[str] = set()
    for f in required:
        key = f.strip().lower()
        if not key or key in seen:
            continue
        seen.add(key)
        values = meta.get(key, [])
        if any(values):
            continue
        how = "內容空白" if values else "未設定"
        yield page.finding(
            CHECK, "metadata.missing", _RULE["metadata.missing"].severity,
            f"缺少詮釋資料欄位 {_label(key)}（{how}）",
            field=field_name(f.strip()),
        )


def _invalid(page: Page, key: str, value: str, reason: str) -> Finding:
    return page.finding(
        CHECK, "metadata.invalid", _RULE["metadata.invalid"].severity,
        f"詮釋資料 {_label(key)} 內容有誤：「{value}」{reason}",
        field=field_name(key), value=value, reason=reason,
    )


def _invalid_dates(page: Page, meta: Mapping[str, list[str]]) -> Iterator[Finding]:
    first_valid: dict[str, date] = {}
    first_raw: dict[str, str] = {}
    for key in DATE_FIELDS:
        for v in meta.get(key, ()):
            if not v:
                continue  # empty values are metadata.missing's business
            d = _real_iso_date(v)
            if d is None:
                reason = ("不是存在的日期" if _ISO_DATE.match(v) else "不是 YYYY-MM-DD 格式的日期")
                yield _invalid(page, key, v, reason)
            elif key not in first_valid:
                first_valid[key], first_raw[key] = d, v
    lo, hi = first_valid.get("dc.coverage.t.min"), first_valid.get("dc.coverage.t.max")
    if lo and hi and lo > hi:
        yield _invalid(
            page, "dc.coverage.t.min", first_raw["dc.coverage.t.min"],
            f"涵蓋範圍起日晚於迄日（DC.coverage.t.max 為 {first_raw['dc.coverage.t.max']}）",
        )


def _invalid_codes(page: Page, ctx: CheckContext, meta: Mapping[str, list[str]]) -> Iterator[Finding]:
    for key, values in meta.items():
        if not key.startswith("category."):
            continue
        vocab = _vocabulary(ctx, key)
        reported: set[str] = set()
        for v in values:
            for code in _CODE_SEP.split(v):
                if not code or code in reported:
                    continue
                reason = _code_problem(key, code, vocab)
                if reason:
                    reported.add(code)
                    yield _invalid(page, key, code, reason)


def _code_problem(key: str, code: str, vocab: frozenset[str] | None) -> str | None:
    if not _CODE.match(code):
        return "不是 3 碼分類代碼（數字或大寫英文字母）"
    if key == "category.service" and code.endswith("00") and code not in SERVICE_TOP_CODES:
        return "不是服務分類的 18 個大類代碼之一"
    if vocab is not None and code not in vocab:
        return "不在設定的分類代碼表中"
    return None


# --- site level: template values -------------------------------------------

def frozen_values(dc_dates: Mapping[str, str | None]) -> dict[str, str]:
    """{"dc.date": value} when one DC.Date is on > half the pages and ≥ 10 of them.

    `dc_dates` maps every HTML page of the site to its DC.Date (None when it
    has none): pages without one still count in "the site's pages".
    """
    total = len(dc_dates)
    counts = Counter(v.strip() for v in dc_dates.values() if v and v.strip())
    if not counts:
        return {}
    value, n = counts.most_common(1)[0]
    if n >= FROZEN_MIN_PAGES and n * 2 > total:
        return {"dc.date": value}
    return {}


def frozen_counts(dc_dates: Mapping[str, str | None], frozen: Mapping[str, str]) -> dict[str, int]:
    """How many pages carry each frozen value (the `counts` for site_findings)."""
    value = frozen.get("dc.date")
    if value is None:
        return {}
    return {"dc.date": sum(1 for v in dc_dates.values() if v and v.strip() == value)}


def site_findings(home: Page, frozen: Mapping[str, str], counts: Mapping[str, int]) -> Iterator[Finding]:
    """One `metadata.frozen` warning on the home page per frozen field.

    `frozen` and `counts` are keyed by lower-case field name (as returned by
    `frozen_values` / `frozen_counts`).  Other site-level values that share
    CheckContext.frozen_values (freshness's "page-text") are not metadata
    fields and are left to their own check.
    """
    for key, value in frozen.items():
        if key not in CANONICAL:
            continue
        pages = int(counts.get(key, 0))
        yield home.finding(
            CHECK, "metadata.frozen", _RULE["metadata.frozen"].severity,
            f"{pages} 個網頁的 {_label(key)} 都是同一個值「{value}」，應為範本固定值，"
            "無法反映各頁日期",
            field=field_name(key), value=value, pages=pages,
        )

