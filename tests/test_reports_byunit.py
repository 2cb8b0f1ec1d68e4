"""by-unit.csv: every finding, sorted by unit (then section, page, rule), UTF-8 with BOM."""
from __future__ import annotations

import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "reports"))
import reports_synthetic as S  # noqa: E402

from reports.byunit import COLUMNS, unit_groups, write_csv  # noqa: E402
from reports.run import load_run  # noqa: E402


def test_csv_sorted_by_unit_with_bom(tmp_path: Path) -> None:
    run = load_run(S.basic_run(tmp_path / "audit"))
    path = write_csv(run, tmp_path / "by-unit.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == COLUMNS
    body = rows[1:]
    assert len(body) == len(S.BASIC_FINDINGS)
    units = [r[0] for r in body]
    # each unit one contiguous block; 未指定 last, real units first in sorted order
    assert units == sorted(units, key=lambda u: (u == "未指定", u))
    assert units[-1] == "未指定"
    # inside a unit: section, then page, then rule
    keys = [(r[0], r[1].rsplit("（", 1)[-1].rstrip("）"), r[2], r[3]) for r in body]  # 目錄 = 名稱（路徑）
    assert keys == sorted(keys, key=lambda k: (k[0] == "未指定", k))
    news = [r for r in body if r[0] == "秘書室"]
    assert news[0][1] == "最新消息（/news/）"
    broken = next(r for r in body if r[3] == "link.broken")
    assert broken[4] == "錯誤" and broken[6] == "https://www.example.gov.tw/x.pdf"
    missing = next(r for r in body if r[3] == "metadata.missing")
    assert missing[6] == "DC.Title"


def test_unit_groups_stale_first_oldest_first(tmp_path: Path) -> None:
    run = load_run(S.basic_run(tmp_path / "audit"))
    groups = {g.unit: g for g in unit_groups(run)}
    assert list(groups) == ["人事室", "秘書室", "第一課", "未指定"]
    sec = groups["秘書室"]
    assert [f.detail["modified"] for f in sec.stale] == ["2026-01-05", "2026-08-01"]
    assert all(f.rule != "freshness.stale" for f in sec.others)
    assert sec.total == 8 and sec.pages == 3 and sec.sections == ("/news/",)
    assert groups["第一課"].total == 0 and groups["第一課"].sections == ("/service/",)
