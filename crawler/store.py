"""The audit's working state on disk: what the crawl has gathered so far.

One SQLite file in `<out>/.state/`.  Pipelines write pages, link outcomes,
sitemap dates and accessibility results as they arrive, so an interrupted
crawl loses nothing already found and `--resume` (Scrapy JOBDIR beside it)
carries on with the same facts.  The analysis after the crawl reads it back.
Page HTML is kept zlib-compressed: the checks run over it after the crawl.
"""
from __future__ import annotations

import json
import sqlite3
import time
import zlib
from pathlib import Path
from typing import Any, Iterator

from checks.model import LinkOutcome, LinkResult

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    url TEXT PRIMARY KEY, status INTEGER, content_type TEXT, depth INTEGER,
    headers TEXT, html BLOB, meta TEXT, bytes INTEGER, title TEXT, seq INTEGER, links BLOB
);
CREATE TABLE IF NOT EXISTS links (url TEXT PRIMARY KEY, result TEXT, outcome TEXT);
CREATE TABLE IF NOT EXISTS sitemap (url TEXT PRIMARY KEY, lastmod TEXT);
CREATE TABLE IF NOT EXISTS axe (url TEXT PRIMARY KEY, result TEXT);
CREATE TABLE IF NOT EXISTS a11y_failures (url TEXT PRIMARY KEY, reason TEXT);
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT);
"""


class Store:
    COMMIT_EVERY = 2.0  # seconds: bounded loss on a hard kill, cheap commits

    def __init__(self, path: str | Path, readonly: bool = False):
        self.path = Path(path)
        if readonly:
            self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(self.path), check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
        self._last_commit = time.monotonic()
        self._seq = self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM pages").fetchone()[0]

    # ---- writes ---------------------------------------------------------
    def _maybe_commit(self) -> None:
        now = time.monotonic()
        if now - self._last_commit >= self.COMMIT_EVERY:
            self.db.commit()
            self._last_commit = now

    def add_page(self, url: str, status: int, content_type: str, depth: int, headers: dict[str, str],
                 html: str, meta: dict[str, list[str]], nbytes: int, title: str,
                 links: tuple[list[Any], list[Any]] | None = None) -> bool:
        """False when the page was already stored (a redirect reached it twice).

        `links` are the page's extracted links and malformed hrefs
        (checks.page.Link / MalformedLink tuples): kept so the analysis does
        not extract them a second time."""
        self._seq += 1
        packed = zlib.compress(json.dumps(links, ensure_ascii=False).encode("utf-8"), 1) if links is not None else None
        cur = self.db.execute(
            "INSERT OR IGNORE INTO pages VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (url, status, content_type, depth, json.dumps(headers, ensure_ascii=False),
             zlib.compress(html.encode("utf-8"), 1), json.dumps(meta, ensure_ascii=False), nbytes, title, self._seq,
             packed),
        )
        self._maybe_commit()
        return cur.rowcount == 1

    def add_link(self, result: LinkResult) -> None:
        # A real outcome never gets replaced by a "skipped" one.
        if result.outcome is LinkOutcome.skipped:
            self.db.execute("INSERT OR IGNORE INTO links VALUES (?,?,?)",
                            (result.url, json.dumps(result.to_dict(), ensure_ascii=False), str(result.outcome)))
        else:
            self.db.execute("INSERT OR REPLACE INTO links VALUES (?,?,?)",
                            (result.url, json.dumps(result.to_dict(), ensure_ascii=False), str(result.outcome)))
        self._maybe_commit()

    def add_sitemap_dates(self, dates: dict[str, str]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO sitemap VALUES (?,?)", dates.items())
        self._maybe_commit()

    def add_axe(self, url: str, result: dict[str, Any]) -> None:
        self.db.execute("INSERT OR REPLACE INTO axe VALUES (?,?)", (url, json.dumps(result, ensure_ascii=False)))
        self._maybe_commit()

    def add_a11y_failure(self, url: str, reason: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO a11y_failures VALUES (?,?)", (url, reason))
        self._maybe_commit()

    def set_info(self, key: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO info VALUES (?,?)", (key, json.dumps(value, ensure_ascii=False)))
        self._maybe_commit()

    def commit(self) -> None:
        self.db.commit()

    def close(self) -> None:
        if not self.db.in_transaction:
            self.db.close()
            return
        self.db.commit()
        self.db.close()

    # ---- reads ----------------------------------------------------------
    def info(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM info WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def page_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM pages").fetchone()[0]

    def page_urls(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT url FROM pages")}

    def iter_pages(self, share: tuple[int, int] | None = None) -> Iterator[dict[str, Any]]:
        """Pages ordered by URL (stable output order); `share=(i, n)` gives
        every n-th page starting at the i-th (one worker's part)."""
        sql = "SELECT url, status, content_type, depth, headers, html, meta, bytes, title, links FROM pages"
        params: tuple[int, ...] = ()
        if share is not None:
            sql += " WHERE seq % ? = ?"
            params = (share[1], share[0])
        for row in self.db.execute(sql + " ORDER BY url", params):
            yield {
                "url": row[0], "status": row[1], "content_type": row[2], "depth": row[3],
                "headers": json.loads(row[4]), "html": zlib.decompress(row[5]).decode("utf-8"),
                "meta": json.loads(row[6]), "bytes": row[7], "title": row[8],
                "links": json.loads(zlib.decompress(row[9])) if row[9] is not None else None,
            }

    def page_meta(self) -> dict[str, dict[str, list[str]]]:
        return {r[0]: json.loads(r[1]) for r in self.db.execute("SELECT url, meta FROM pages")}

    def link_results(self) -> dict[str, LinkResult]:
        return {r[0]: LinkResult.from_dict(json.loads(r[1])) for r in self.db.execute("SELECT url, result FROM links")}

    def link_urls(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT url FROM links")}

    def sitemap_dates(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT url, lastmod FROM sitemap"))

    def axe_results(self) -> dict[str, dict[str, Any]]:
        return {r[0]: json.loads(r[1]) for r in self.db.execute("SELECT url, result FROM axe")}

    def axe_urls(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT url FROM axe")}

    def a11y_failures(self) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self.db.execute("SELECT url, reason FROM a11y_failures ORDER BY url")]
