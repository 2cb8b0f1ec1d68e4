"""Everything people read, as pure functions of a finished run (SPEC.md "Output files").

`run.load_run(out_dir)` reads findings.jsonl, pages.jsonl and run.json back;
`summary` writes the 網站目錄檢視彙整表 (csv/ods/xlsx), `byunit` by-unit.csv,
`html` report.html, `history` the SQLite month-over-month history and
`junit` the JUnit XML of `siteaudit check --junit`.
"""
