"""The freshness check: pages not updated within N calendar months.

SPEC "Rules in detail / Modification date": the service rules ask for a
list, every 2 months, of pages not updated within 2 months, judged by their
modification date.  The date comes from the first source that has one, in
this order, and the source's name is reported:

  page-text    a visible label (更新日期, 最後更新, 資料更新 …) followed by a date
  meta         dcterms.modified, DC.Date.Modified, article:modified_time
  sitemap      the sitemap's <lastmod> for the page
  http-header  Last-Modified
  published    a visible 發布日期 / 公告日期 / 日期 label, or DC.Date

A DC.Date (or a published date equal to it) that the site copies onto most
pages (ctx.frozen_values["dc.date"], SPEC "Template values") says nothing
about the page and is ignored.  A page is stale when its date is before
as-of minus `max_age_months` calendar months (clamped to month ends).
"""
from __future__ import annotations

import re
from datetime import date
from typing import Iterator

from checks import dates
from checks.model import CheckContext, Finding, Rule, Severity
from checks.page import Page

CHECK = "freshness"

RULES: tuple[Rule, ...] = (
    Rule(
        "freshness.stale", CHECK, Severity.warning, "網頁逾期未更新",
        "請負責單位檢視網頁內容是否仍正確：內容有異動時更新內容，並更新網頁上的「更新日期」"
        "（及 dcterms.modified 詮釋資料）；內容經檢視仍正確者，也請更新檢視日期。"
        "已不適用的網頁請下架或移至歷史資料區（可於設定檔 [freshness] exempt 排除）。",
    ),
    Rule(
        "freshness.unknown", CHECK, Severity.notice, "找不到網頁更新日期",
        "在網頁上顯示「更新日期：115-11-26」之類的標示（民國或西元日期皆可），或加上 "
        "<meta name=\"dcterms.modified\" content=\"2026-11-26\">，讓使用者與檢測工具"
        "都能判斷網頁是否定期更新。",
    ),
)
_RULE = {r.id: r for r in RULES}

SOURCE_ZH = {
    "page-text": "網頁上標示的更新日期",
    "meta": "詮釋資料的修改日期",
    "sitemap": "網站地圖（sitemap）的 lastmod",
    "http-header": "伺服器回應的 Last-Modified",
    "published": "發布日期",
}

# Longest first so 最後更新日期 is read as one label.  English labels help the
# English-language pages many agencies also publish.
MODIFIED_LABELS = (
    "最後更新日期", "資料更新日期", "最後修改日期", "最近更新日期", "最後更新時間",
    "更新日期", "修改日期", "異動日期", "最後更新", "最後修改", "最近更新", "資料更新", "更新時間",
    "last updated", "last modified", "updated on",
)
PUBLISHED_LABELS = (
    "發布日期", "發佈日期", "公告日期", "發文日期", "公布日期", "公佈日期", "刊登日期",
    "張貼日期", "上稿日期",
)  # and a bare 日期 (see _PUBLISHED_RE)
META_MODIFIED = (
    "dcterms.modified", "dc.date.modified", "dc.modified", "dc.terms.modified",
    "article:modified_time", "og:updated_time",
)


# "網站更新日期" / "本站最後更新" in a footer is the whole site's date, not this
# page's.  The site prefix is matched (not looked behind) so that a scan
# cannot restart inside it and find 更新日期 in 網站最後更新日期.
_SITE_PREFIX = r"(?P<site>網站|本站|全站)?"
# What may stand between a label and its date, full-width forms included
# (the label scan runs on unfolded text).
_AFTER_LABEL_CHARS = " \t\r\n\f\v\u00a0\u3000:：|｜[]［］()（）【】〔〕「」"
_AFTER_LABEL = "[" + re.escape(_AFTER_LABEL_CHARS) + "]*"


def _alternation(labels: tuple[str, ...]) -> str:
    return "|".join(re.escape(x) for x in sorted(labels, key=len, reverse=True))


# A modified label may sit inside a longer word (網頁更新日期, 本頁最後更新).
_MODIFIED_RE = re.compile(_SITE_PREFIX + "(?:" + _alternation(MODIFIED_LABELS) + ")" + _AFTER_LABEL, re.I)
# The bare 日期 only at a word start: inside 截止日期 / 活動日期 it is a
# deadline, not a publication date.
_PUBLISHED_RE = re.compile(
    _SITE_PREFIX + "(?:" + _alternation(PUBLISHED_LABELS) + r"|(?<![\w])日期)" + _AFTER_LABEL, re.I
)

# Enough text after a label for the longest date form (民國 111 年 12 月 02 日).
_DATE_WINDOW = 40


def _labelled_dates(text: str, pattern: re.Pattern[str]) -> list[date]:
    found = []
    for m in pattern.finditer(text):
        if m.group("site"):
            continue
        window = dates.normalize(text[m.end(): m.end() + _DATE_WINDOW])
        window = window[len(window) - len(window.lstrip(_AFTER_LABEL_CHARS)):]
        hit = dates.match_date(window, 0)
        if hit:
            found.append(hit[0])
    return found


def _frozen_date(ctx: CheckContext) -> date | None:
    return dates.parse_date(ctx.frozen_values.get("dc.date"))


def _meta_date(value: str) -> date | None:
    # W3C datetimes with a zone are turned into Taiwan dates; anything else
    # (ROC dates, 2023/5/3) goes through the general parser.
    return dates.parse_w3c_datetime(value) or dates.parse_date(value)


def modified_date(page: Page, ctx: CheckContext) -> tuple[date | None, str | None]:
    """The page's modification date and the source it came from, or (None, None).

    Several labelled dates of one kind (a list page with one 更新日期 per
    item) are read as "the page is as new as its newest item": the latest wins.
    """
    return _modified_date(page, ctx)


def _modified_date(page: Page, ctx: CheckContext) -> tuple[date | None, str | None]:
    text = page.visible_text if page.is_html else ""
    meta = page.meta if page.is_html else {}

    found = _labelled_dates(text, _MODIFIED_RE)
    if found:
        return max(found), "page-text"

    for key in META_MODIFIED:
        for value in meta.get(key, ()):
            if value and ctx.frozen_values.get(key) != value:
                d = _meta_date(value)
                if d:
                    return d, "meta"

    d = dates.parse_w3c_datetime(page.sitemap_lastmod)
    if d:
        return d, "sitemap"

    d = dates.parse_http_date(page.headers.get("last-modified"))
    if d:
        return d, "http-header"

    frozen = _frozen_date(ctx)
    published = [d for d in _labelled_dates(text, _PUBLISHED_RE) if d != frozen]
    if published:
        return max(published), "published"
    for value in meta.get("dc.date", ()):
        d = _meta_date(value) if value else None
        if d and d != frozen and value != ctx.frozen_values.get("dc.date"):
            return d, "published"
    return None, None


def _exempt(url: str, ctx: CheckContext) -> bool:
    return any(p.search(url) for p in ctx.settings.freshness_exempt)


def check(page: Page, ctx: CheckContext) -> Iterator[Finding]:
    if not page.is_html or _exempt(page.url, ctx):
        return
    modified, source = modified_date(page, ctx)
    months = ctx.settings.max_age_months
    if modified is None:
        yield page.finding(
            CHECK, "freshness.unknown", _RULE["freshness.unknown"].severity,
            "找不到網頁的更新日期（網頁文字、詮釋資料、網站地圖與伺服器標頭都沒有），無法判斷是否逾期未更新",
        )
        return
    limit = dates.subtract_months(ctx.as_of, months)
    if modified >= limit:
        return
    age = (ctx.as_of - modified).days
    yield page.finding(
        CHECK, "freshness.stale", _RULE["freshness.stale"].severity,
        f"網頁超過 {months} 個月未更新：最後更新 {modified.isoformat()}"
        f"（{dates.roc_date_text(modified)}，依據{SOURCE_ZH[source]}），"
        f"距檢視日已 {age} 天",
        modified=modified.isoformat(), source=source, age_days=age, limit_months=months,
    )
