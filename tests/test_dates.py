"""checks.dates: every date form seen on Taiwanese government pages, month arithmetic."""
from datetime import date

import pytest

from checks.dates import (
    match_date,
    parse_date,
    parse_http_date,
    parse_w3c_datetime,
    roc_date_text,
    subtract_months,
)

D = date


@pytest.mark.parametrize(
    "text, expected",
    [
        # Western
        ("2023-05-03", D(2023, 5, 3)),
        ("2023/5/3", D(2023, 5, 3)),
        ("2023.5.3", D(2023, 5, 3)),
        ("2023年5月3日", D(2023, 5, 3)),
        ("2023 年 05 月 03 日", D(2023, 5, 3)),
        ("20230503", D(2023, 5, 3)),
        ("2023-05-03T10:20:30+08:00", D(2023, 5, 3)),
        ("2023/05/03 14:05", D(2023, 5, 3)),
        # ROC / 民國: year + 1911
        ("112-05-03", D(2023, 5, 3)),
        ("112/5/3", D(2023, 5, 3)),
        ("115/04/09", D(2026, 4, 9)),
        ("112.1.2", D(2023, 1, 2)),
        ("113.1.2", D(2024, 1, 2)),
        ("112年5月3日", D(2023, 5, 3)),
        ("115年7月24日", D(2026, 7, 24)),
        ("民國112年5月3日", D(2023, 5, 3)),
        ("民國 111 年 12 月 02 日", D(2022, 12, 2)),
        ("民國112/05/03", D(2023, 5, 3)),
        ("99年1月1日", D(2010, 1, 1)),
        ("1150101", D(2026, 1, 1)),
        ("1141231", D(2025, 12, 31)),
        ("112年5月3日(星期三)", D(2023, 5, 3)),
        # full-width digits and punctuation, nbsp, ideographic space
        ("２０２３－０５－０３", D(2023, 5, 3)),
        ("１１２／５／３", D(2023, 5, 3)),
        ("１１２年５月３日", D(2023, 5, 3)),
        ("\u00a0 112\u3000年\u00a05 月 3 日", D(2023, 5, 3)),
        # English pages: month names, and day/month before the year when certain
        ("March 5, 2024", D(2024, 3, 5)),
        ("Mar. 5th 2024", D(2024, 3, 5)),
        ("5 March 2024", D(2024, 3, 5)),
        ("05-Mar-2024", D(2024, 3, 5)),
        ("Sept. 30, 2024", D(2024, 9, 30)),
        ("01/27/2021", D(2021, 1, 27)),
        ("27.01.2021", D(2021, 1, 27)),
        ("03/04/2021", None),  # 4 March or 3 April: not guessed
        ("February 30, 2024", None),
        ("May 2024", None),  # no day
        ("13/13/2021", None),
        # impossible or not dates at all
        ("2023-02-30", None),
        ("112-02-29", None),  # 2023 is not a leap year
        ("113-02-29", D(2024, 2, 29)),  # 2024 is
        ("2023-13-01", None),
        ("2023-00-10", None),
        ("1150231", None),
        ("2023-05/03", None),  # mixed separators
        ("2023-05-031", None),
        ("民國2023年5月3日", None),
        ("1150-10-11", None),  # mangled, not the 12th century
        ("", None),
        (None, None),
        ("更新中", None),
        ("5/3", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


def test_compact_forms_only_when_allowed():
    assert match_date("1150101", compact=False) is None
    assert match_date("1150101") == (D(2026, 1, 1), 7)
    assert match_date("March 5, 2024", compact=False) is None
    assert match_date("01/27/2021", compact=False) is None
    assert match_date("x March 5, 2024", 2) == (D(2024, 3, 5), 15)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-09-25", D(2026, 9, 25)),
        ("2026-09-25T10:00:00+08:00", D(2026, 9, 25)),
        ("2026-09-25T20:00:00Z", D(2026, 9, 26)),  # 04:00 next day in Taipei
        ("2026-09-25T15:59:59Z", D(2026, 9, 25)),
        ("2026-09-25T23:30:00-05:00", D(2026, 9, 26)),
        ("2026-09-25T10:00", D(2026, 9, 25)),
        (" 2026-09-25 ", D(2026, 9, 25)),
        ("2026-09", None),  # no day: not guessed
        ("2026", None),
        ("2026-02-30", None),
        ("115-09-25", None),  # sitemaps are W3C Datetime only
        (None, None),
    ],
)
def test_parse_w3c_datetime(text, expected):
    assert parse_w3c_datetime(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Fri, 25 Sep 2026 08:00:00 GMT", D(2026, 9, 25)),
        ("Fri, 25 Sep 2026 16:00:00 GMT", D(2026, 9, 26)),  # midnight in Taipei
        ("Friday, 25-Sep-26 08:00:00 GMT", D(2026, 9, 25)),  # RFC 850
        ("Fri Sep 25 08:00:00 2026", D(2026, 9, 25)),  # asctime
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_http_date(text, expected):
    assert parse_http_date(text) == expected


@pytest.mark.parametrize(
    "d, n, expected",
    [
        (D(2026, 11, 26), 2, D(2026, 9, 26)),
        (D(2026, 12, 31), 2, D(2026, 10, 31)),
        (D(2026, 4, 30), 2, D(2026, 2, 28)),
        (D(2028, 4, 30), 2, D(2028, 2, 29)),  # leap year
        (D(2026, 5, 31), 1, D(2026, 4, 30)),
        (D(2026, 3, 31), 1, D(2026, 2, 28)),
        (D(2026, 1, 15), 2, D(2025, 11, 15)),  # across the year
        (D(2026, 1, 31), 14, D(2024, 11, 30)),
        (D(2026, 11, 26), 0, D(2026, 11, 26)),
    ],
)
def test_subtract_months(d, n, expected):
    assert subtract_months(d, n) == expected


@pytest.mark.parametrize(
    "d, expected",
    [
        (D(2026, 11, 26), "民國115年11月26日"),
        (D(2022, 12, 2), "民國111年12月2日"),
        (D(1912, 1, 1), "民國1年1月1日"),
    ],
)
def test_roc_date_text(d, expected):
    assert roc_date_text(d) == expected
