"""Cross-run cache of document readings, so an unchanged document is not downloaded again next month.

SPEC `[attachments]` and issue 13 "Download each document once … cache results
across runs by ETag, Last-Modified and content hash, next to the history".
One SQLite file (the crawl puts it next to the history file, so monthly
audits of a site share it), keyed by URL and `crawler.documents.READER_VERSION`:

* `conditional_headers(url)` gives the If-None-Match / If-Modified-Since of
  the last successful reading, for the document's GET;
* on a 304, `on_not_modified(url)` returns that reading;
* on a 200, `lookup_by_hash(sha256, ext=..., content_type=...)` finds a
  reading of the same bytes (another URL, or a server without validators),
  so they are not parsed again;
* `store(url, etag, last_modified, facts)` remembers a reading.

Only readings of bytes are stored (ok, encrypted, invalid, unreadable): a
failed download or a too-large document is never stored (lychee's rule:
never cache failures), so the next run tries again.  Entries of another
reader version are ignored, and dropped when the cache is opened: a change
of the reader code invalidates them.  A damaged cache file is set aside
(`.corrupt`) and a new one started: a cache never stops an audit.

Scrapy calls it from its one reactor thread; a lock makes it safe as well if
a reading is handed to a worker thread.  Each store commits, so an
interrupted crawl keeps what it read.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

from crawler.documents import READER_VERSION, DocumentFacts

# Statuses that describe the bytes, not the transport: safe to reuse.
CACHEABLE = frozenset({"ok", "encrypted", "invalid", "unreadable"})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    url TEXT NOT NULL,
    reader INTEGER NOT NULL,
    etag TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    sha256 TEXT NOT NULL,
    ext TEXT NOT NULL DEFAULT '',
    content_type TEXT NOT NULL DEFAULT '',
    facts TEXT NOT NULL,
    PRIMARY KEY (url, reader)
);
CREATE INDEX IF NOT EXISTS documents_by_hash ON documents (sha256, reader);
"""


class DocumentCache:
    def __init__(self, path: Path | str, reader_version: int = READER_VERSION):
        self.path = Path(path)
        self.reader = reader_version
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = self._open()
        except sqlite3.DatabaseError:
            # not a database, or damaged: keep it for a person to look at, start afresh
            self.path.replace(self.path.with_name(self.path.name + ".corrupt"))
            self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False)
        try:
            db.executescript(_SCHEMA)
            db.execute("DELETE FROM documents WHERE reader != ?", (self.reader,))
            db.commit()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> DocumentCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _row(self, sql: str, args: tuple[object, ...]) -> tuple[str, ...] | None:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchone()
            except sqlite3.DatabaseError:
                return None

    def conditional_headers(self, url: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since for the last reading of `url` ({} when none)."""
        row = self._row("SELECT etag, last_modified FROM documents WHERE url = ? AND reader = ?", (url, self.reader))
        if row is None:
            return {}
        headers: dict[str, str] = {}
        if row[0]:
            headers["If-None-Match"] = row[0]
        if row[1]:
            headers["If-Modified-Since"] = row[1]
        return headers

    def on_not_modified(self, url: str) -> DocumentFacts | None:
        """The reading a 304 for `url` confirms, or None."""
        row = self._row("SELECT facts FROM documents WHERE url = ? AND reader = ?", (url, self.reader))
        return _facts(row[0], url) if row else None

    def lookup_by_hash(self, sha256: str, *, ext: str | None = None,
                       content_type: str | None = None) -> DocumentFacts | None:
        """A reading of the same bytes; with `ext`/`content_type`, only one read under those
        (an HTML page is a fine .html but an invalid .pdf; the Content-Type gives a notice)."""
        sql = "SELECT facts, url FROM documents WHERE sha256 = ? AND reader = ?"
        args: list[object] = [sha256, self.reader]
        if ext is not None:
            sql += " AND ext = ?"
            args.append(ext)
        if content_type is not None:
            sql += " AND content_type = ?"
            args.append(content_type)
        row = self._row(sql + " LIMIT 1", tuple(args))
        return _facts(row[0], row[1]) if row else None

    def store(self, url: str, etag: str, last_modified: str, facts: DocumentFacts) -> bool:
        """Remember a reading of `url`; False (nothing stored) for failures and unread documents."""
        if facts.status not in CACHEABLE or not facts.sha256:
            return False
        data = json.dumps(facts.replace(url=url).to_dict(), ensure_ascii=False)
        with self._lock:
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO documents (url, reader, etag, last_modified, sha256, ext, content_type,"
                    " facts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (url, self.reader, etag or "", last_modified or "", facts.sha256, facts.ext,
                     facts.content_type, data),
                )
                self._db.commit()
            except sqlite3.DatabaseError:
                return False
        return True

    def forget(self, url: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM documents WHERE url = ?", (url,))
            self._db.commit()

    def __len__(self) -> int:
        row = self._row("SELECT COUNT(*) FROM documents WHERE reader = ?", (self.reader,))
        return int(row[0]) if row else 0


def _facts(data: str, url: str) -> DocumentFacts | None:
    try:
        return DocumentFacts.from_dict(json.loads(data)).replace(url=url)
    except (ValueError, TypeError):
        return None
