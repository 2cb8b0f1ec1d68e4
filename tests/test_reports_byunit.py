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
    # each unit one contiguous block, in the order of the 權責劃分表 ([[sections]]:
    # 秘書室, 人事室, 第一課), 未指定 last
    order = ["秘書室", "人事室", "第一課", "未指定"]
    assert units == sorted(units, key=order.index)
    assert units[-1] == "未指定"
    # inside a unit: section, then page, then rule
    keys = [(r[0], r[1].rsplit("（", 1)[-1].rstrip("）"), r[2], r[3]) for r in body]  # 目錄 = 名稱（路徑）
    assert keys == sorted(keys, key=lambda k: (order.index(k[0]), k))
    news = [r for r in body if r[0] == "秘書室"]
    assert news[0][1] == "最新消息（/news/）"
    broken = next(r for r in body if r[3] == "link.broken")
    assert broken[4] == "錯誤" and broken[6] == "https://www.example.gov.tw/x.pdf"
    missing = next(r for r in body if r[3] == "metadata.missing")
    assert missing[6] == "DC.Title"


def test_unit_groups_stale_first_oldest_first(tmp_path: Path) -> None:
    run = load_run(S.basic_run(tmp_path / "audit"))
    groups = {g.unit: g for g in unit_groups(run)}
    assert list(groups) == ["秘書室", "人事室", "第一課", "未指定"]  # config order, 未指定 last
    sec = groups["秘書室"]
    assert [f.detail["modified"] for f in sec.stale] == ["2026-01-05", "2026-08-01"]
    assert all(f.rule != "freshness.stale" for f in sec.others)
    assert sec.total == 8 and sec.pages == 3 and sec.sections == ("/news/",)
    assert groups["第一課"].total == 0 and groups["第一課"].sections == ("/service/",)


def test_units_follow_the_responsibility_table_not_code_points(tmp_path: Path) -> None:
    """第二課 before 第三課 when the 權責劃分表 lists them so (code points say otherwise)."""
    from reports.run import units_of

    sections = [{"path": "/a/", "name": "甲", "unit": "第一課"}, {"path": "/b/", "name": "乙", "unit": "第二課"},
                {"path": "/c/", "name": "丙", "unit": "第三課"}]
    pages = [S.page(f"https://x.gov.tw{s['path']}1.html", s["path"], s["unit"]) for s in sections]
    findings = [S.finding(p["url"], "freshness.unknown", "notice", "查無更新日期", p["section"], p["unit"])
                for p in pages]
    out = S.write_run(tmp_path / "audit", findings, pages,
                      S.meta(pages=len(pages), findings=findings, sections=sections))
    run = load_run(out)
    assert units_of(run) == ["第一課", "第二課", "第三課"]
    assert [g.unit for g in unit_groups(run)] == ["第一課", "第二課", "第三課"]
