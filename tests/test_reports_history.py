"""SQLite run history: new and fixed findings, the 12-run trend, idempotent re-recording, site identity,
incomplete runs never a baseline, and migration of a database written by the previous version."""
from __future__ import annotations

import sqlite3
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "reports"))
import reports_synthetic as S  # noqa: E402

from reports.history import TREND_RUNS, compare, default_history_path, record_run  # noqa: E402
from reports.run import load_run  # noqa: E402

NEW = S.finding("/about/index.html", "a11y.label", "error", "表單欄位缺少標籤", "/about/", "人事室",
                wcag=["1.3.1"], level="A", impact="critical", nodes=1, targets=["#q"], help_url="")


def month(tmp: Path, n: int, findings: list[dict], **kw) -> object:
    started = f"2026-{n:02d}-26T02:00:00+08:00"
    return load_run(S.basic_run(tmp / f"m{n}", findings=findings, started=started, as_of=f"2026-{n:02d}-26", **kw))


def test_new_fixed_and_trend(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    october = month(tmp_path, 10, S.BASIC_FINDINGS)
    # November: the broken link is fixed, a new a11y problem appears, and a
    # finding whose message changed but whose identity did not stays "old".
    changed = [dict(f) for f in S.BASIC_FINDINGS if f["rule"] != "link.broken"]
    changed[0] = dict(changed[0], message="同一問題，新的措辭")
    november = month(tmp_path, 11, changed + [NEW])
    record_run(db, october)
    cmp = compare(db, november)
    assert cmp.previous is not None and cmp.previous.as_of == "2026-10-26"
    assert [f.rule for f in cmp.new] == ["a11y.label"]
    assert [(f.rule, f.url) for f in cmp.fixed] == [("link.broken", S.SITE + "/news/1.html")]
    assert [p.findings for p in cmp.trend] == [len(S.BASIC_FINDINGS), len(changed) + 1]
    assert cmp.trend[0].by_check["links"] == 3 and cmp.trend[1].by_severity["error"] == 8
    assert cmp.new_fingerprints == {load_run(tmp_path / "m11").findings[-1].fingerprint()}

    # after recording November, comparing it again gives the same answer
    record_run(db, november)
    again = compare(db, november)
    assert [f.rule for f in again.new] == ["a11y.label"] and len(again.trend) == 2


def test_rerecording_does_not_duplicate(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    run = month(tmp_path, 11, S.BASIC_FINDINGS)
    for _ in range(3):
        record_run(db, run)
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
    assert con.execute("SELECT COUNT(*) FROM fingerprints").fetchone()[0] == len(S.BASIC_FINDINGS)
    assert con.execute("SELECT SUM(count) FROM totals").fetchone()[0] == len(S.BASIC_FINDINGS)
    con.close()
    cmp = compare(db, run)
    assert cmp.previous is None and cmp.new == () and len(cmp.trend) == 1


def test_trend_keeps_last_twelve_runs_of_same_site_only(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    for i in range(14):
        started = (date(2025, 1, 1) + timedelta(days=20 * i)).isoformat() + "T02:00:00+08:00"
        record_run(db, load_run(S.basic_run(tmp_path / f"r{i}", findings=S.BASIC_FINDINGS[: i + 1],
                                            started=started, as_of=started[:10])))
    other = load_run(S.basic_run(tmp_path / "other", started="2025-12-31T00:00:00+08:00",
                                 start_url="https://other.example.gov.tw/", name="別的網站"))
    record_run(db, other)
    latest = month(tmp_path, 11, S.BASIC_FINDINGS)
    cmp = compare(db, latest)
    assert len(cmp.trend) == TREND_RUNS
    assert cmp.trend[-1].started == latest.started
    assert cmp.previous is not None and cmp.previous.findings == 14  # not the other site's run
    assert "2025-12-31" not in [p.started[:10] for p in cmp.trend]


def test_missing_database_means_no_history(tmp_path: Path) -> None:
    run = month(tmp_path, 11, S.BASIC_FINDINGS)
    cmp = compare(tmp_path / "nowhere.sqlite", run)
    assert cmp.previous is None and len(cmp.trend) == 1
    assert not (tmp_path / "nowhere.sqlite").exists()


def test_default_path_is_next_to_out(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("SITEAUDIT_HISTORY", raising=False)
    assert default_history_path(tmp_path / "audits" / "2026-11") == (tmp_path / "audits" / ".siteaudit-history.sqlite")
    monkeypatch.setenv("SITEAUDIT_HISTORY", str(tmp_path / "x.sqlite"))
    assert default_history_path(tmp_path / "a") == tmp_path / "x.sqlite"


def test_same_site_on_another_port_keeps_its_history(tmp_path: Path) -> None:
    """Issue 10: a demo re-run on another port reported every finding as fixed and new."""
    db = tmp_path / "h.sqlite"

    def on_port(n: int, port: int):
        site = f"http://127.0.0.1:{port}"
        fs = [dict(f, url=f["url"].replace(S.SITE, site),
                   detail={k: (v.replace(S.SITE, site) if isinstance(v, str) else v) for k, v in f["detail"].items()})
              for f in S.BASIC_FINDINGS]
        return load_run(S.basic_run(tmp_path / f"p{port}", findings=fs, start_url=site + "/",
                                    started=f"2026-{n:02d}-26T02:00:00+08:00", history_key="標準檢驗局示範分局"))

    record_run(db, on_port(10, 8001))
    cmp = compare(db, on_port(11, 8002))
    assert cmp.previous is not None
    assert cmp.new == () and cmp.fixed == ()


def test_branch_sites_under_one_host_are_different_sites(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    kl = load_run(S.basic_run(tmp_path / "kl", start_url="https://www.bsmi.gov.tw/keelung/", name="",
                              started="2026-10-26T02:00:00+08:00"))
    hc = load_run(S.basic_run(tmp_path / "hc", start_url="https://www.bsmi.gov.tw/hsinchu/", name=""))
    assert kl.history_key == "https://www.bsmi.gov.tw:443/keelung/" != hc.history_key
    record_run(db, kl)
    assert compare(db, hc).previous is None


def test_incomplete_run_is_kept_but_never_the_baseline(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    record_run(db, month(tmp_path, 9, S.BASIC_FINDINGS))
    partial = month(tmp_path, 10, S.BASIC_FINDINGS[:2], complete=False, comparable=False,
                    incomplete_reasons=["中斷"])
    assert not partial.comparable
    record_run(db, partial)
    cmp = compare(db, month(tmp_path, 11, S.BASIC_FINDINGS))
    assert cmp.previous is not None and cmp.previous.as_of == "2026-09-26"  # not the partial October run
    assert cmp.new == () and cmp.fixed == ()
    assert [p.comparable for p in cmp.trend] == [True, False, True]  # October is still drawn
    limited = month(tmp_path, 12, S.BASIC_FINDINGS, limited={"max_pages": 3, "max_depth": 0, "not_visited": 9})
    assert not limited.comparable


def test_database_of_the_previous_version_is_migrated(tmp_path: Path) -> None:
    """A v1 database (keyed by host, absolute fingerprints) still gives November its October."""
    from checks.model import Finding

    db = tmp_path / "old.sqlite"
    con = sqlite3.connect(db)
    con.executescript("""
    CREATE TABLE runs (id INTEGER PRIMARY KEY, site_key TEXT NOT NULL, host TEXT NOT NULL, site_name TEXT NOT NULL,
        start_url TEXT NOT NULL, started TEXT NOT NULL, finished TEXT NOT NULL, as_of TEXT NOT NULL,
        pages INTEGER NOT NULL, findings INTEGER NOT NULL, meta TEXT NOT NULL, UNIQUE (site_key, started));
    CREATE TABLE totals (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, check_name TEXT NOT NULL,
        severity TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (run_id, check_name, severity));
    CREATE TABLE fingerprints (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        fingerprint TEXT NOT NULL, rule TEXT NOT NULL, severity TEXT NOT NULL, url TEXT NOT NULL,
        message TEXT NOT NULL, PRIMARY KEY (run_id, fingerprint));
    CREATE INDEX runs_by_host ON runs(host, started);
    CREATE INDEX runs_by_name ON runs(site_name, started);
    """)
    october = [Finding.from_dict(f) for f in S.BASIC_FINDINGS if f["rule"] != "link.broken"]
    con.execute("INSERT INTO runs VALUES (1, 'www.example.gov.tw', 'www.example.gov.tw', ?, ?, ?, ?, ?, 6, ?, '{}')",
                ("經濟部標準檢驗局基隆分局", S.SITE + "/", "2026-10-26T02:00:00+08:00", "2026-10-26T02:10:00+08:00",
                 "2026-10-26", len(october)))
    con.executemany("INSERT INTO fingerprints VALUES (1, ?, ?, ?, ?, ?)",
                    [(f.fingerprint(), f.rule, str(f.severity), f.url, f.message) for f in october])
    con.commit()
    con.close()
    november = month(tmp_path, 11, S.BASIC_FINDINGS)
    cmp = compare(db, november)
    assert cmp.previous is not None and cmp.previous.as_of == "2026-10-26"
    assert [f.rule for f in cmp.new] == ["link.broken"] and cmp.fixed == ()
    record_run(db, november)  # the migrated database takes new runs
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 2
    assert {r[0] for r in con.execute("SELECT site_key FROM runs")} == {"經濟部標準檢驗局基隆分局"}
    con.close()
