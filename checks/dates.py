"""Date parsing and calendar arithmetic shared by the freshness and metadata checks.

SPEC "Rules in detail / Modification date": dates on Taiwanese government
pages are Western (`2023-05-03`, `2023/5/3`, `2023.5.3`, `2023年5月3日`) or
ROC/民國 (`112-05-03`, `112/5/3`, `112.1.2`, `112年5月3日`,
`民國 111 年 12 月 02 日`, compact `1150101`): ROC year + 1911 = Western
year.  The English pages agencies publish write ROC dates too (`Update：105-05-10`
is 2016-05-10) and sometimes English month names (`March 5, 2024`,
`5 Mar 2024`, `05-Mar-2024`); those are read as well.  "Stale" is "before as-of minus N calendar months", so month
arithmetic clamps to the month end (2026-12-31 minus 2 months = 2026-10-31,
2026-04-30 minus 2 months = 2026-02-28) — dateutil's relativedelta does
exactly that.

Everything here is a pure function of its arguments.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from dateutil.relativedelta import relativedelta

# Taiwan has kept UTC+8 without daylight saving since 1980, so a fixed offset
# is exact and needs no tz database.  Timestamps that carry a zone (HTTP
# Last-Modified is always GMT; sitemap lastmod often `Z`) are turned into the
# Taiwanese calendar date the webmaster saw when the page was changed.
TAIWAN = timezone(timedelta(hours=8), "Asia/Taipei")

ROC_OFFSET = 1911

# A Western year must have 4 digits; 2-3 digit years are ROC years.  A
# 1-digit year is too ambiguous (民國1年 pages do not exist on the web).
_YEAR = r"(?P<roc>(?:中華)?民國\s*)?(?P<y>\d{2,4})"
# `(?!\d)` keeps "2023-05-031" or a phone number from yielding a date.
_SEP_DATE = re.compile(
    _YEAR + r"\s*(?P<sep>[-/.])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*(?P<d>\d{1,2})(?!\d)"
)
_CJK_DATE = re.compile(_YEAR + r"\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})(?:\s*[日號号])?(?!\d)")
# Compact forms: 7 digits = ROC YYYMMDD (1150101), 8 digits = Western YYYYMMDD.
_COMPACT = re.compile(r"(?P<roc>(?:中華)?民國\s*)?(?P<y>\d{3,4})(?P<m>\d{2})(?P<d>\d{2})(?!\d)")
# English month names, only with a 4-digit (Western) year: "March 5, 2024",
# "Mar. 5th 2024", "5 March 2024", "05-Mar-2024".
MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_MON = r"(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_EN_MDY = re.compile(_MON + r"\s*(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s*(?P<y>\d{4})(?!\d)", re.I)
# Day and month before a 4-digit year (01/27/2021, 27.01.2021), on English
# pages: read only when one of the two is over 12, so the order is certain.
_DAY_MONTH_YEAR = re.compile(r"(?P<a>\d{1,2})\s*(?P<sep>[-/.])\s*(?P<b>\d{1,2})\s*(?P=sep)\s*(?P<y>\d{4})(?!\d)")
_EN_DMY = re.compile(r"(?P<d>\d{1,2})(?:st|nd|rd|th)?[\s-]*" + _MON + r",?[\s-]*(?P<y>\d{4})(?!\d)", re.I)


def normalize(text: str) -> str:
    """Fold full-width digits and punctuation (１２：／－．) and nbsp to ASCII.

    NFKC does this for every compatibility character, so Big5-era pages typed
    with a full-width IME compare like ASCII ones.
    """
    return unicodedata.normalize("NFKC", text)


def _make(m: re.Match[str]) -> date | None:
    y, mo, d = int(m.group("y")), int(m.group("m")), int(m.group("d"))
    digits = len(m.group("y"))
    if m.group("roc") or digits < 4:
        if digits > 3:  # 民國2023年 is a typo we should not guess about
            return None
        y += ROC_OFFSET
    elif not 1900 <= y < 2200:  # 1150-10-11 is a mangled compact ROC date, not 12th-century news
        return None
    try:
        return date(y, mo, d)
    except ValueError:  # 2023-02-30, month 13 ...
        return None


def match_date(text: str, pos: int = 0, *, compact: bool = True) -> tuple[date, int] | None:
    """A date starting exactly at `pos` of already-normalized `text`.

    Returns (date, end offset) or None.  Impossible calendar dates are None,
    not a guess.  `compact` allows the digit-only forms (1150101, 20230503),
    which are only safe where a label announces a date, English month names
    (`March 5, 2024`) and day/month before the year when the order is certain
    (`01/27/2021`; `03/04/2021` could be either and is None).
    """
    if compact:
        m = _DAY_MONTH_YEAR.match(text, pos)
        if m:
            a, b, y = int(m.group("a")), int(m.group("b")), int(m.group("y"))
            month, day = (a, b) if b > 12 >= a else (b, a) if a > 12 >= b else (0, 0)
            try:
                return (date(y, month, day), m.end()) if 1900 <= y < 2200 else None
            except ValueError:  # ambiguous (both ≤ 12) or impossible
                return None
    patterns = (_SEP_DATE, _CJK_DATE, _COMPACT) if compact else (_SEP_DATE, _CJK_DATE)
    for pat in patterns:
        m = pat.match(text, pos)
        if m:
            d = _make(m)
            return (d, m.end()) if d is not None else None
    if compact:  # English month names: only where a label announces a date, like compact forms
        for pat in (_EN_MDY, _EN_DMY):
            m = pat.match(text, pos)
            if m:
                try:
                    d = date(int(m.group("y")), MONTHS[m.group("mon")[:3].lower()], int(m.group("d")))
                except ValueError:
                    return None
                return (d, m.end()) if 1900 <= d.year < 2200 else None
    return None


def parse_date(text: str | None) -> date | None:
    """The date a short string (a meta value, a label's value) starts with.

    Anything after the date is tolerated when it cannot be part of a number
    (a time, a weekday in brackets): `2023-05-03T10:00:00+08:00`,
    `112年5月3日(星期三)`.
    """
    if not text:
        return None
    s = normalize(text).strip()
    hit = match_date(s)
    return hit[0] if hit else None


_W3C = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(?P<tz>Z|[+-]\d{2}:?\d{2})?)?$"
)


def parse_w3c_datetime(text: str | None) -> date | None:
    """A sitemap `<lastmod>` (W3C Datetime) as a Taiwanese calendar date.

    Year-only and year-month values carry no day, so they are not used
    (None) rather than guessed.  A value with a time zone is converted to
    Taiwan time; without one it is taken as written.
    """
    if not text:
        return None
    m = _W3C.match(text.strip())
    if not m:
        return None
    try:
        if m.group("time") and m.group("tz"):
            iso = text.strip().replace(" ", "T").replace("Z", "+00:00")
            return datetime.fromisoformat(iso).astimezone(TAIWAN).date()
        return date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    except ValueError:
        return None


def parse_http_date(text: str | None) -> date | None:
    """An HTTP date (RFC 7231 `Last-Modified`) as a Taiwanese calendar date."""
    if not text:
        return None
    try:
        dt = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if dt is None:
        return None
    if dt.tzinfo is None:  # RFC 850 / asctime forms: GMT by definition
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(TAIWAN).date()


def subtract_months(d: date, n: int) -> date:
    """`d` minus `n` calendar months, clamped to the month end (12-31 − 2 → 10-31)."""
    return d - relativedelta(months=n)


def roc_year(d: date) -> int:
    return d.year - ROC_OFFSET


def roc_date_text(d: date) -> str:
    """民國 form used in report headers: 2026-11-26 → 民國115年11月26日."""
    return f"民國{roc_year(d)}年{d.month}月{d.day}日"
