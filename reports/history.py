"""Run history in SQLite: this month compared with last month.

SPEC.md "Who uses it" (1, monthly scheduled crawl: "keep history so this month
can be compared with last month") and "Output files" (`report.html` is
"compared with the previous run when history exists").  `record_run` stores a
run's metadata, its totals by check and severity and the fingerprint of every
finding (`Finding.fingerprint()`, stable across cosmetic changes);
`compare` finds the previous run of the same site and returns what is new,
what was fixed, and the trend of totals over the last runs.

Identity (SPEC "Honest runs", issue 10 must-have 5): a site is its run.json
`history_key` (site.name when set, else scheme + host + port + start path),
so branch sites under one host are different sites.  Findings are compared
by `site_fingerprint`: the page URL and same-site link targets relative to
the site's origin, so the same site served on another port (the demo) keeps
its history.  A run that is incomplete or limited (`comparable` false) is
kept, shown in the trend, but never the run the next one is compared with.

An older database (keyed by host, absolute fingerprints) is migrated in
place on first open (`PRAGMA user_version`): each run gets its new key from
the site name and start URL it stored, and its old fingerprints are still
used when comparing against it, so the first month after an upgrade still
compares.

Where the database lives is the caller's choice; `default_history_path` is the
CLI's default: `.siteaudit-history.sqlite` in the *parent* of --out.  Monthly
audits are usually written side by side (audits/2026-10, audits/2026-11), so
the history sits with the archive it describes, is backed up and copied with
it, and needs no home directory — systemd timers with DynamicUser/ProtectHome
and CI runners have no persistent ~/.local/share, where history would
silently vanish.  Inside --out it would be lost when each month gets a new
directory.  SITEAUDIT_HISTORY overrides it.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections import Counter
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from checks.model import Finding
from reports.run import AuditRun, site_root

HISTORY_FILENAME = ".siteaudit-history.sqlite"
TREND_RUNS = 12
SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    site_key TEXT NOT NULL,
    host TEXT NOT NULL,
    site_name TEXT NOT NULL,
    start_url TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT NOT NULL,
    as_of TEXT NOT NULL,
    pages INTEGER NOT NULL,
    findings INTEGER NOT NULL,
    meta TEXT NOT NULL,
    comparable INTEGER NOT NULL DEFAULT 1,
    UNIQUE (site_key, started)
);
CREATE TABLE IF NOT EXISTS totals (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    check_name TEXT NOT NULL,
    severity TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (run_id, check_name, severity)
);
CREATE TABLE IF NOT EXISTS fingerprints (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    fingerprint TEXT NOT NULL,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    url TEXT NOT NULL,
    message TEXT NOT NULL,
    site_fp TEXT,
    PRIMARY KEY (run_id, fingerprint)
);
CREATE INDEX IF NOT EXISTS runs_by_key ON runs(site_key, started);
"""


def default_history_path(out_dir: str | Path) -> Path:
    """The CLI's default database: next to --out (see the module docstring for why)."""
    env = os.environ.get("SITEAUDIT_HISTORY")
    if env:
        return Path(env)
    return Path(out_dir).resolve().parent / HISTORY_FILENAME


def _site_key(run: AuditRun) -> str:
    return run.history_key


def _origin(url: str) -> str:
    try:
        parts = urlsplit(url)
        return f"{parts.scheme.lower()}://{parts.netloc.lower()}" if parts.netloc else ""
    except ValueError:
        return ""


def site_fingerprint(f: Finding, origin: str) -> str:
    """Finding.fingerprint() with same-origin URLs written relative to the site.

    The page URL and any identity value on the site's own origin lose their
    scheme://host:port, so the same site on another port (or moved from
    http to https) compares as itself; links to other sites keep theirs."""
    def rel(value: object) -> object:
        if isinstance(value, str) and origin and value.lower().startswith(origin):
            return value[len(origin):] or "/"
        return value

    ident = {k: rel(f.detail[k]) for k in Finding._IDENTITY_KEYS if k in f.detail}
    raw = json.dumps([rel(f.url), f.rule, ident], ensure_ascii=False, sort_keys=True)
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:16]


def _connect(db_path: str | Path) -> sqlite3.Connection:
    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(str(db_path))
    con.execute("PRAGMA foreign_keys = ON")
    _migrate(con)
    con.executescript(_SCHEMA)
    return con


def _migrate(con: sqlite3.Connection) -> None:
    """Bring a database written by an older siteaudit to SCHEMA_VERSION, in place."""
    version = con.execute("PRAGMA user_version").fetchone()[0]
    if version >= SCHEMA_VERSION:
        return
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    with con:
        if "runs" in tables:
            cols = {r[1] for r in con.execute("PRAGMA table_info(runs)")}
            if "comparable" not in cols:
                con.execute("ALTER TABLE runs ADD COLUMN comparable INTEGER NOT NULL DEFAULT 1")
            # Version 1 keyed runs by host: re-key each by the identity it would get now.
            for run_id, name, start_url, meta in con.execute(
                    "SELECT id, site_name, start_url, meta FROM runs").fetchall():
                try:
                    stored = json.loads(meta)
                except ValueError:
                    stored = {}
                key = stored.get("history_key") or name or site_root(start_url)
                con.execute("UPDATE runs SET site_key = ? WHERE id = ?", (key, run_id))
            con.execute("DROP INDEX IF EXISTS runs_by_host")
            con.execute("DROP INDEX IF EXISTS runs_by_name")
        if "fingerprints" in tables:
            cols = {r[1] for r in con.execute("PRAGMA table_info(fingerprints)")}
            if "site_fp" not in cols:
                con.execute("ALTER TABLE fingerprints ADD COLUMN site_fp TEXT")  # NULL: compare by the old one
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


@dataclass(frozen=True)
class TrendPoint:
    started: str
    as_of: str
    pages: int
    findings: int
    by_severity: dict[str, int] = field(default_factory=dict)
    by_check: dict[str, int] = field(default_factory=dict)
    comparable: bool = True  # False: incomplete or limited, drawn in the trend but never a baseline


@dataclass(frozen=True)
class FixedFinding:
    """A finding of the previous run that is gone now (only what history kept)."""

    fingerprint: str
    rule: str
    severity: str
    url: str
    message: str


@dataclass(frozen=True)
class Comparison:
    previous: TrendPoint | None  # None: first run of this site
    new: tuple[Finding, ...]  # in this run, not in the previous
    fixed: tuple[FixedFinding, ...]  # in the previous run, not in this
    trend: tuple[TrendPoint, ...]  # oldest first, this run last, at most TREND_RUNS

    @property
    def new_fingerprints(self) -> frozenset[str]:
        return frozenset(f.fingerprint() for f in self.new)


def _totals(findings: Iterable[Finding]) -> Counter[tuple[str, str]]:
    return Counter((f.check, str(f.severity)) for f in findings)


def record_run(db_path: str | Path, run: AuditRun) -> int:
    """Store a run; recording the same run (same site and start time) again replaces it."""
    with closing(_connect(db_path)) as con, con:
        key = _site_key(run)
        con.execute("DELETE FROM runs WHERE site_key = ? AND started = ?", (key, run.started))
        cur = con.execute(
            "INSERT INTO runs (site_key, host, site_name, start_url, started, finished, as_of, pages,"
            " findings, meta, comparable) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (key, run.host, run.site_name, run.start_url, run.started, run.finished,
             str(run.meta.get("as_of", "")), len(run.pages), len(run.findings),
             json.dumps({k: v for k, v in run.meta.items() if k != "a11y"}, ensure_ascii=False, default=str),
             1 if run.comparable else 0))
        run_id = cur.lastrowid
        con.executemany("INSERT INTO totals VALUES (?,?,?,?)",
                        [(run_id, c, s, n) for (c, s), n in _totals(run.findings).items()])
        # One row per distinct problem: the same fingerprint twice on a page is one problem.
        origin = _origin(run.start_url)
        seen: dict[str, Finding] = {}
        for f in run.findings:
            seen.setdefault(site_fingerprint(f, origin), f)
        con.executemany("INSERT OR IGNORE INTO fingerprints VALUES (?,?,?,?,?,?,?)",
                        [(run_id, f.fingerprint(), f.rule, str(f.severity), f.url, f.message, fp)
                         for fp, f in seen.items()])
        return int(run_id or 0)


def _same_site_runs(con: sqlite3.Connection, run: AuditRun) -> list[sqlite3.Row]:
    con.row_factory = sqlite3.Row
    return con.execute("SELECT * FROM runs WHERE site_key = ? ORDER BY started", (_site_key(run),)).fetchall()


def _point(con: sqlite3.Connection, row: sqlite3.Row) -> TrendPoint:
    sev: Counter[str] = Counter()
    chk: Counter[str] = Counter()
    for c, s, n in con.execute("SELECT check_name, severity, count FROM totals WHERE run_id = ?", (row["id"],)):
        sev[s] += n
        chk[c] += n
    return TrendPoint(row["started"], row["as_of"], row["pages"], row["findings"], dict(sev), dict(chk),
                      bool(row["comparable"]))


def _current_point(run: AuditRun) -> TrendPoint:
    sev: Counter[str] = Counter()
    chk: Counter[str] = Counter()
    for (c, s), n in _totals(run.findings).items():
        sev[s] += n
        chk[c] += n
    return TrendPoint(run.started, str(run.meta.get("as_of", "")), len(run.pages), len(run.findings),
                      dict(sev), dict(chk), run.comparable)


def compare(db_path: str | Path, run: AuditRun) -> Comparison:
    """Compare a run with the latest earlier run of the same site.

    Works whether or not `run` itself has been recorded yet; a missing
    database means "no history" rather than an error.
    """
    if not Path(db_path).exists():
        return Comparison(None, (), (), (_current_point(run),))
    with closing(_connect(db_path)) as con:
        rows = [r for r in _same_site_runs(con, run) if r["started"] < run.started]
        earlier = [_point(con, r) for r in rows[-(TREND_RUNS - 1):]]
        trend = (*earlier, _current_point(run))
        # Only a complete, unlimited run is a baseline (SPEC "Honest runs").
        baselines = [r for r in rows if r["comparable"]]
        if not baselines:
            return Comparison(None, (), (), trend)
        prev_row = baselines[-1]
        prev: dict[str, FixedFinding] = {}
        legacy = False
        for fp, rule, sev, url, message, site_fp in con.execute(
                "SELECT fingerprint, rule, severity, url, message, site_fp FROM fingerprints WHERE run_id = ?"
                " ORDER BY url, rule", (prev_row["id"],)):
            legacy = legacy or site_fp is None
            key = site_fp or fp
            prev[key] = FixedFinding(key, rule, sev, url, message)
        prev_point = _point(con, prev_row)
    origin = _origin(run.start_url)
    current: dict[str, Finding] = {}
    for f in run.findings:
        # A baseline recorded before the migration has only absolute fingerprints.
        current.setdefault(f.fingerprint() if legacy else site_fingerprint(f, origin), f)
    new = tuple(f for fp, f in current.items() if fp not in prev)
    fixed = tuple(ff for fp, ff in prev.items() if fp not in current)
    return Comparison(prev_point, new, fixed, trend)
