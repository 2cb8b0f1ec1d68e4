"""The document cache of a queued run: each machine's SQLite file in front of
one in Redis (SPEC `[attachments]`; issue 13 "download each document once …
cache results across runs by ETag, Last-Modified and content hash").

In one process the cache (crawler/doccache.py) gives a document's GET its
If-None-Match / If-Modified-Since, answers the server's 304 with last
month's reading, and finds a reading of the same bytes.  Across machines the
request is built on the machine that parsed the linking page, and fetched by
whichever machine pops it: a 304 for a reading that only the first machine
has would be a document "unreadable" in one run and fine in the other.  So:

- `conditional_headers(url)` comes from the reading in Redis, or from this
  machine's reading, which is then put in Redis first: a conditional
  request is only ever sent when every machine can answer its 304;
- `on_not_modified` / `lookup_by_hash` look here, then in Redis (and keep
  what they find here);
- `store` writes both.

Readings in Redis (`siteaudit:doccache:…`, DocumentFacts JSON) are kept
RESULT_CACHE_DAYS like the accessibility results, keyed by reader version
(a new reader invalidates them, as in the file).  Redis away: this machine's
file alone, and no conditional request it could not answer itself.

`SharedDocumentCacheExtension` puts it in front of the spider's cache when
the spider opens (before any request is built).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
from typing import Any

from scrapy import signals

from crawler.doccache import CACHEABLE
from crawler.documents import READER_VERSION, DocumentFacts
from crawler.queue.keys import DOC_CACHE, RESULT_CACHE_DAYS


def _h(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class SharedDocumentCache:
    """DocumentCache's interface over a local cache (may be None) and Redis."""

    def __init__(self, server: Any, local: Any = None, reader_version: int = READER_VERSION,
                 days: int = RESULT_CACHE_DAYS):
        self.server = server
        self.local = local
        self.reader = reader_version
        self.ttl = int(days * 86400)

    def _url_key(self, url: str) -> str:
        return f"{DOC_CACHE}{self.reader}:url:{_h(url)}"

    def _hash_key(self, sha256: str, ext: str, content_type: str) -> str:
        return f"{DOC_CACHE}{self.reader}:sha:{sha256}:{_h(ext + chr(0) + content_type)}"

    def _get(self, key: str) -> dict[str, Any] | None:
        try:
            raw = self.server.get(key)
            return json.loads(raw) if raw else None
        except Exception:
            return None

    def _put(self, url: str, etag: str, last_modified: str, facts: DocumentFacts) -> bool:
        entry = {"url": url, "etag": etag or "", "last_modified": last_modified or "",
                 "facts": facts.replace(url=url).to_dict()}
        data = json.dumps(entry, ensure_ascii=False)
        try:
            pipe = self.server.pipeline(transaction=False)
            pipe.set(self._url_key(url), data, ex=self.ttl)
            pipe.set(self._hash_key(facts.sha256, facts.ext, facts.content_type), data, ex=self.ttl)
            pipe.execute()
            return True
        except Exception:
            return False

    @staticmethod
    def _facts(entry: dict[str, Any], url: str) -> DocumentFacts | None:
        try:
            return DocumentFacts.from_dict(entry["facts"]).replace(url=url)
        except (KeyError, ValueError, TypeError):
            return None

    # -- DocumentCache's interface --------------------------------------------
    def conditional_headers(self, url: str) -> dict[str, str]:
        entry = self._get(self._url_key(url))
        if entry is None and self.local is not None:
            mine: dict[str, str] = self.local.conditional_headers(url)
            reading = self.local.on_not_modified(url) if mine else None
            if reading is None or not self._put(url, mine.get("If-None-Match", ""),
                                                mine.get("If-Modified-Since", ""), reading):
                return {}  # a 304 another machine could not answer: ask for the document itself
            return mine
        if entry is None:
            return {}
        headers: dict[str, str] = {}
        if entry.get("etag"):
            headers["If-None-Match"] = entry["etag"]
        if entry.get("last_modified"):
            headers["If-Modified-Since"] = entry["last_modified"]
        return headers

    def on_not_modified(self, url: str) -> DocumentFacts | None:
        hit = self.local.on_not_modified(url) if self.local is not None else None
        if hit is not None:
            return hit
        entry = self._get(self._url_key(url))
        if entry is None:
            return None
        facts = self._facts(entry, url)
        if facts is not None and self.local is not None:
            self.local.store(url, entry.get("etag", ""), entry.get("last_modified", ""), facts)
        return facts

    def lookup_by_hash(self, sha256: str, *, ext: str | None = None,
                       content_type: str | None = None) -> DocumentFacts | None:
        hit = (self.local.lookup_by_hash(sha256, ext=ext, content_type=content_type)
               if self.local is not None else None)
        if hit is not None or ext is None or content_type is None:
            return hit
        entry = self._get(self._hash_key(sha256, ext, content_type))
        return self._facts(entry, str(entry.get("url", ""))) if entry else None

    def store(self, url: str, etag: str, last_modified: str, facts: DocumentFacts) -> bool:
        if facts.status not in CACHEABLE or not facts.sha256:
            return False
        if self.local is not None:
            self.local.store(url, etag, last_modified, facts)
        self._put(url, etag, last_modified, facts)
        return True

    def close(self) -> None:
        if self.local is not None:
            with contextlib.suppress(Exception):
                self.local.close()


class SharedDocumentCacheExtension:
    """Puts the shared cache in front of the spider's own (spider_opened
    comes before the spider's first request is built)."""

    def __init__(self, crawler: Any):
        self.crawler = crawler
        crawler.signals.connect(self.opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Any) -> SharedDocumentCacheExtension:
        return cls(crawler)

    def opened(self, spider: Any) -> None:
        if not getattr(spider, "documents_on", False):
            return
        from scrapy_redis.connection import get_redis_from_settings

        spider.doccache = SharedDocumentCache(get_redis_from_settings(self.crawler.settings), spider.doccache)
