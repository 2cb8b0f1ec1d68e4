"""The audit's working state on disk: what the crawl has gathered so far.

One SQLite file in `<out>/.state/`.  Pipelines write pages, link outcomes,
sitemap dates, documents and accessibility results as they arrive, and the
store is the truth a resumed crawl starts from (issue 11): the dupefilter is
seeded with the URLs it holds and the frontier is rebuilt from the links of
the stored pages, so a `kill -9` at any moment loses at most the last
commit interval, and what was lost is simply fetched again.

Writes are committed every COMMIT_EVERY seconds (WAL, synchronous=NORMAL:
a crash loses at most that interval, never consistency).  Page HTML is kept
zlib-compressed: the checks run over it after the crawl.
"""
from __future__ import annotations

import errno
import json
import sqlite3
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from checks.model import LinkOutcome, LinkResult

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    url TEXT PRIMARY KEY, status INTEGER, content_type TEXT, depth INTEGER,
    headers TEXT, html BLOB, meta TEXT, bytes INTEGER, title TEXT, seq INTEGER, links BLOB,
    chain INTEGER DEFAULT 0, text_dates TEXT
);
CREATE TABLE IF NOT EXISTS links (url TEXT PRIMARY KEY, result TEXT, outcome TEXT);
CREATE TABLE IF NOT EXISTS sitemap (url TEXT PRIMARY KEY, lastmod TEXT);
CREATE TABLE IF NOT EXISTS axe (url TEXT PRIMARY KEY, result TEXT);
CREATE TABLE IF NOT EXISTS a11y_failures (url TEXT PRIMARY KEY, reason TEXT);
CREATE TABLE IF NOT EXISTS failed_pages (url TEXT PRIMARY KEY, stage TEXT, reason TEXT, status TEXT, error TEXT);
CREATE TABLE IF NOT EXISTS documents (url TEXT PRIMARY KEY, facts TEXT);
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT);
"""


class DiskFull(Exception):
    """The disk (or the file-size limit) refused a write: exit 3, resumable."""


def is_disk_full(error: BaseException) -> bool:
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return True
    text = str(error).lower()
    return isinstance(error, sqlite3.OperationalError) and ("disk is full" in text or "disk i/o error" in text)


class Store:
    COMMIT_EVERY = 2.0  # seconds: bounded loss on a hard kill, cheap commits

    def __init__(self, path: str | Path, readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        try:
            if readonly:
                self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                self.db.executescript(_SCHEMA)
                self._migrate()
        except (sqlite3.OperationalError, OSError) as e:
            if is_disk_full(e):
                raise DiskFull(str(e)) from e
            raise
        self._last_commit = time.monotonic()
        self._seq = self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM pages").fetchone()[0]

    def _migrate(self) -> None:
        cols = {r[1] for r in self.db.execute("PRAGMA table_info(pages)")}
        if "chain" not in cols:
            self.db.execute("ALTER TABLE pages ADD COLUMN chain INTEGER DEFAULT 0")
        if "text_dates" not in cols:
            self.db.execute("ALTER TABLE pages ADD COLUMN text_dates TEXT")

    # ---- writes ---------------------------------------------------------
    def _write(self, sql: str, params: Any = (), many: bool = False) -> sqlite3.Cursor:
        try:
            cur = self.db.executemany(sql, params) if many else self.db.execute(sql, params)
            self._maybe_commit()
            return cur
        except (sqlite3.OperationalError, OSError) as e:
            if is_disk_full(e):
                raise DiskFull(str(e)) from e
            raise

    def _maybe_commit(self) -> None:
        now = time.monotonic()
        if now - self._last_commit >= self.COMMIT_EVERY:
            self.db.commit()
            self._last_commit = now

    def add_page(self, url: str, status: int, content_type: str, depth: int, headers: dict[str, str],
                 html: str, meta: dict[str, list[str]], nbytes: int, title: str,
                 links: tuple[list[Any], list[Any]] | None = None, chain: int = 0,
                 text_dates: list[Any] | None = None) -> bool:
        """False when the page was already stored (a redirect reached it twice).

        `links` are the page's extracted links and malformed hrefs
        (checks.page.Link / MalformedLink tuples): kept so the analysis does
        not extract them a second time, and so a resumed crawl can rebuild
        its frontier."""
        self._seq += 1
        packed = zlib.compress(json.dumps(links, ensure_ascii=False).encode("utf-8"), 1) if links is not None else None
        cur = self._write(
            "INSERT OR IGNORE INTO pages VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (url, status, content_type, depth, json.dumps(headers, ensure_ascii=False),
             zlib.compress(html.encode("utf-8"), 1), json.dumps(meta, ensure_ascii=False), nbytes, title, self._seq,
             packed, chain, json.dumps(text_dates or [])),
        )
        return cur.rowcount == 1

    def add_link(self, result: LinkResult) -> None:
        row = (result.url, json.dumps(result.to_dict(), ensure_ascii=False), str(result.outcome))
        if result.outcome is LinkOutcome.skipped:
            # A real outcome never gets replaced by a "skipped" one.
            self._write("INSERT OR IGNORE INTO links VALUES (?,?,?)", row)
        elif result.anchors is None:
            # Nor a result that read the target's anchors by one that did not:
            # a HEAD check and the GET a #fragment needed may answer in either
            # order, and the later one must not erase the anchors.
            self._write("INSERT INTO links VALUES (?,?,?) ON CONFLICT(url) DO UPDATE SET "
                        "result=excluded.result, outcome=excluded.outcome "
                        "WHERE json_extract(links.result, '$.anchors') IS NULL", row)
        else:
            self._write("INSERT OR REPLACE INTO links VALUES (?,?,?)", row)

    def add_sitemap_dates(self, dates: dict[str, str]) -> None:
        self._write("INSERT OR REPLACE INTO sitemap VALUES (?,?)", list(dates.items()), many=True)

    def add_axe(self, url: str, result: dict[str, Any]) -> None:
        self._write("INSERT OR REPLACE INTO axe VALUES (?,?)", (url, json.dumps(result, ensure_ascii=False)))
        self._write("DELETE FROM a11y_failures WHERE url=?", (url,))

    def add_a11y_failure(self, url: str, reason: str) -> None:
        self._write("INSERT OR REPLACE INTO a11y_failures VALUES (?,?)", (url, reason))

    def add_failed_page(self, url: str, stage: str, reason: str, status: Any = None, error: str = "") -> None:
        """An in-scope page met but not audited (SPEC "Honest runs")."""
        self._write("INSERT OR REPLACE INTO failed_pages VALUES (?,?,?,?,?)",
                    (url, stage, reason, None if status is None else str(status), error[:500]))

    def clear_failed_page(self, url: str) -> None:
        self._write("DELETE FROM failed_pages WHERE url=?", (url,))

    def add_document(self, url: str, facts: dict[str, Any]) -> None:
        self._write("INSERT OR REPLACE INTO documents VALUES (?,?)", (url, json.dumps(facts, ensure_ascii=False)))

    def set_info(self, key: str, value: Any) -> None:
        self._write("INSERT OR REPLACE INTO info VALUES (?,?)", (key, json.dumps(value, ensure_ascii=False)))

    def commit(self) -> None:
        try:
            self.db.commit()
        except (sqlite3.OperationalError, OSError) as e:
            if is_disk_full(e):
                raise DiskFull(str(e)) from e
            raise

    def close(self) -> None:
        try:
            if self.db.in_transaction:
                self.db.commit()
        except (sqlite3.OperationalError, OSError):
            pass  # the caller already knows (DiskFull); what was committed stays
        finally:
            self.db.close()

    # ---- reads ----------------------------------------------------------
    def info(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM info WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def page_count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM pages").fetchone()[0])

    def page_urls(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT url FROM pages")}

    def page_urls_in_order(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT url FROM pages ORDER BY seq")]

    def done_urls(self) -> set[str]:
        """Every URL whose fetch left a fact: stored pages and link outcomes."""
        return self.page_urls() | self.link_urls()

    def iter_pages(self, share: tuple[int, int] | None = None) -> Iterator[dict[str, Any]]:
        """Pages ordered by URL (stable output order); `share=(i, n)` gives
        every n-th page starting at the i-th (one worker's part)."""
        sql = ("SELECT url, status, content_type, depth, headers, html, meta, bytes, title, links, chain, text_dates"
               " FROM pages")
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
                "chain": row[10] or 0,
                "text_dates": json.loads(row[11]) if row[11] is not None else None,
            }

    def page_html(self, url: str) -> str | None:
        row = self.db.execute("SELECT html FROM pages WHERE url=?", (url,)).fetchone()
        return zlib.decompress(row[0]).decode("utf-8") if row else None

    def frontier_sources(self) -> Iterator[tuple[str, int, int, list[Any]]]:
        """(page url, depth, chain, links) of every stored page, crawl order:
        what a resumed crawl re-follows."""
        for url, depth, chain, links in self.db.execute("SELECT url, depth, chain, links FROM pages ORDER BY seq"):
            if links is not None:
                yield url, depth, chain or 0, json.loads(zlib.decompress(links))[0]

    def page_text_dates(self) -> dict[str, list[Any]]:
        """url -> checks.freshness.page_text_facts of every stored page."""
        return {r[0]: json.loads(r[1] or "[]") for r in self.db.execute("SELECT url, text_dates FROM pages")}

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

    def failed_pages(self) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT url, stage, reason, status, error FROM failed_pages ORDER BY url")
        return [{"url": u, "stage": s, "reason": r, "status": _status(st), "error": e or ""}
                for u, s, r, st, e in rows]

    def documents(self) -> dict[str, dict[str, Any]]:
        return {r[0]: json.loads(r[1]) for r in self.db.execute("SELECT url, facts FROM documents")}


def _status(value: str | None) -> int | str | None:
    if value is None:
        return None
    return int(value) if value.isdigit() else value
