"""by-unit.csv and units/<unit>.xlsx|csv: every finding with its unit, stale pages first, safe file names."""
from __future__ import annotations

import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "reports"))
import reports_synthetic as S  # noqa: E402

from reports.byunit import COLUMNS, unit_groups, write_csv  # noqa: E402
from reports.run import load_run  # noqa: E402
from reports.units import days_over, safe_filename, unit_files, write_units  # noqa: E402


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
    keys = [(r[0], r[1].rsplit("（", 1)[-1].rstrip("）"), r[3], r[8]) for r in body]  # 目錄 = 名稱（路徑）
    assert keys == sorted(keys, key=lambda k: (order.index(k[0]), k))
    news = [r for r in body if r[0] == "秘書室"]
    assert news[0][1] == "最新消息（/news/）"
    broken = next(r for r in body if r[8] == "link.broken")
    assert broken[4] == "失效連結" and broken[5] == "錯誤" and broken[7] == "https://www.example.gov.tw/x.pdf"
    assert broken[2] == "115年度商品檢驗說明會"  # the page title
    missing = next(r for r in body if r[8] == "metadata.missing")
    assert missing[7] in ("DC.Title", "DC.Creator")
    stale = next(r for r in body if r[8] == "freshness.stale")
    assert stale[7].startswith("民國115年") and "（" in stale[7] and "page-text" not in stale[7]
    # people read decoded URLs
    invalid = next(r for r in body if r[8] == "attachment.invalid")
    assert invalid[7] == "https://www.example.gov.tw/download/申請書.pdf"


def test_unit_groups_stale_first_oldest_first(tmp_path: Path) -> None:
    run = load_run(S.basic_run(tmp_path / "audit"))
    groups = {g.unit: g for g in unit_groups(run)}
    assert list(groups) == ["秘書室", "人事室", "第一課", "未指定"]  # config order, 未指定 last
    sec = groups["秘書室"]
    assert [f.detail["modified"] for f in sec.stale] == ["2026-01-05", "2026-08-01"]
    assert all(f.rule != "freshness.stale" for f in sec.others)
    assert sec.total == 10 and sec.pages == 3 and sec.sections == ("/news/",)
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


def test_unit_files_stale_pages_first_then_other_findings(tmp_path: Path) -> None:
    import openpyxl

    out = S.basic_run(tmp_path / "audit")
    run = load_run(out)
    written = write_units(run, out)
    assert sorted(p.name for p in written) == sorted(
        f"{u}.{ext}" for u in ("秘書室", "人事室", "第一課", "未指定") for ext in ("xlsx", "csv"))
    with (out / "units" / "秘書室.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    i = rows.index(["網頁標題", "網址", "最後更新", "日期來源", "逾期天數"])
    # oldest first: title, decoded URL, 民國 date, days over the 2-month limit (as of 2026-11-26)
    assert rows[i + 1] == ["春節服務時間公告", "https://www.example.gov.tw/news/2.html", "民國115年1月5日",
                           "詮釋資料", "264"]
    assert rows[i + 2][0] == "115年度商品檢驗說明會" and rows[i + 2][4] == "56"
    j = rows.index(["問題類別", "網頁", "問題說明", "如何修正", "嚴重度"])
    others = rows[j + 1:]
    broken = next(r for r in others if r[0] == "失效連結")
    assert "連結文字「下載說明」" in broken[2] and "第 42 行" in broken[2]
    assert "404" in broken[3]  # the advice for this status, not the rule's generic text
    unreachable = next(r for r in others if r[0] == "連結暫時無法連線")
    assert "逾時" in unreachable[3] and "TimeoutError" not in "".join(unreachable)  # no raw English error
    missing = [r for r in others if r[0] == "缺少詮釋資料欄位"]
    assert len(missing) == 1 and "DC.Title" in missing[0][2] and "DC.Creator" in missing[0][2]
    wb = openpyxl.load_workbook(out / "units" / "秘書室.xlsx")
    ws = wb.active
    assert ws.title == "秘書室"
    values = [c.value for r in ws.iter_rows() for c in r if c.value]
    assert values.index("春節服務時間公告") < values.index("失效連結")  # stale pages first
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert any(str(v).startswith("承辦人") for v in values)


def test_days_over_the_limit() -> None:
    from datetime import date

    from checks.model import Finding, Severity
    f = Finding("u", "freshness", "freshness.stale", Severity.warning, "",
                detail={"modified": "2026-09-25", "limit_months": 2, "age_days": 62})
    assert days_over(f, date(2026, 11, 26)) == 1  # fresh until 2026-09-26
    assert days_over(f, None) == 62


def test_safe_file_names() -> None:
    assert safe_filename("秘書室") == "秘書室"
    assert safe_filename("第一課/第二股") == "第一課_第二股"
    assert safe_filename('資訊室:"*?<>|') == "資訊室_______"
    assert safe_filename("..\\..\\etc") == "_.._etc"
    assert safe_filename("CON") == "_CON" and safe_filename("nul.txt") == "_nul.txt"
    assert safe_filename("   ") == "未命名單位" and safe_filename("結尾. ") == "結尾"
    assert len(safe_filename("很長" * 100)) == 80


def test_unit_file_names_stay_unique(tmp_path: Path) -> None:
    sections = [{"path": "/a/", "name": "甲", "unit": "第一課/甲"}, {"path": "/b/", "name": "乙", "unit": "第一課:甲"}]
    pages = [S.page(f"{S.SITE}{s['path']}1.html", s["path"], s["unit"]) for s in sections]
    out = S.write_run(tmp_path / "audit", [], pages, S.meta(pages=2, sections=sections))
    run = load_run(out)
    assert sorted(unit_files(run).values()) == ["第一課_甲", "第一課_甲-2"]
    write_units(run, out)
    assert len(list((out / "units").glob("*.xlsx"))) == 2
