"""Everything people read, as pure functions of a finished run (SPEC.md "Output files").

`render_all(out_dir, history_path)` is the one call that writes every report
file from the files in --out: summary.csv/.ods/.xlsx (the 網站目錄檢視彙整表),
by-unit.csv, units/<unit>.xlsx|csv, the history record and report.html.
`run.load_run(out_dir)` reads findings.jsonl, pages.jsonl, documents.jsonl
and run.json back; `summary`, `byunit`, `units`, `html` and `history` do the
parts; `sheet` is the shared print and spreadsheet-safety layout; `junit`
the JUnit XML of `siteaudit check --junit`.
"""
from __future__ import annotations

from pathlib import Path


def render_all(out_dir: str | Path, history_path: str | Path | None = None) -> list[str]:
    """Write every report file of the audit in `out_dir`; returns notes (zh) for the console.

    The history is recorded before report.html is drawn, so the report
    compares with the previous comparable run of the same site.  A failing
    history never costs the audit its reports: it becomes a note.
    """
    from reports import byunit, html, summary, units
    from reports.run import load_run

    out = Path(out_dir)
    notes: list[str] = []
    run = load_run(out)
    summary.write_csv(run, out / "summary.csv")
    summary.write_ods(run, out / "summary.ods")
    summary.write_xlsx(run, out / "summary.xlsx")
    byunit.write_csv(run, out / "by-unit.csv")
    units.write_units(run, out)
    comparison = None
    if history_path is not None:
        from reports import history

        try:
            history.record_run(history_path, run)
            comparison = history.compare(history_path, run)
        except Exception as e:  # noqa: BLE001 - history is a convenience: never lose the audit over it
            notes.append(f"無法寫入歷史紀錄 {history_path}：{e}")
        if not run.comparable:
            notes.append("本次檢視不完整：已記入歷史紀錄，但不會作為下次比較的基準。")
    html.write_html(run, out / "report.html", comparison=comparison)
    return notes
