"""Each link target fetched once per run: the crawl's duplicate filter.

SPEC "A broken link is reported once per page …; each distinct target is
fetched once per run".  Scrapy's RFPDupeFilter keys requests by method, so a
HEAD check and a GET of the same URL would both pass.  Here a GET covers a
HEAD (a crawled page needs no link check), and a HEAD may be upgraded once to
a GET when a `#fragment` needs the target's HTML.

On `--resume` the seen set is not read from JOBDIR's `requests.seen`: after a
`kill -9` that file lists URLs whose responses were never stored (Scrapy's
queue died with them), which made a resumed crawl end at once (issue 11).
The state store is the truth: the filter is seeded with the URLs whose facts
it holds, and the frontier is rebuilt from the stored pages' links
(crawler/resume.py).
"""
from __future__ import annotations

import hashlib
from typing import Any

from scrapy import Request
from scrapy.dupefilters import BaseDupeFilter


def _key(method: str, url: str) -> bytes:
    return hashlib.sha1(f"{'G' if method != 'HEAD' else 'H'} {url}".encode()).digest()


class AuditDupeFilter(BaseDupeFilter):
    def __init__(self, seen_urls: frozenset[str] = frozenset()) -> None:
        self._seen: set[bytes] = {_key("GET", u) for u in seen_urls}

    @classmethod
    def from_crawler(cls, crawler: Any) -> AuditDupeFilter:
        path = crawler.settings.get("SITEAUDIT_STATE_DB")
        seen: frozenset[str] = frozenset()
        if path and crawler.settings.getbool("SITEAUDIT_RESUME"):
            from crawler.store import Store

            store = Store(path, readonly=True)
            try:
                seen = frozenset(store.done_urls())
            finally:
                store.close()
        return cls(seen)

    def request_seen(self, request: Request) -> bool:
        get_key = _key("GET", request.url)
        if get_key in self._seen:
            return True
        if request.method == "HEAD":
            head_key = _key("HEAD", request.url)
            if head_key in self._seen:
                return True
            self._seen.add(head_key)
            return False
        self._seen.add(get_key)
        return False

    def seen(self, url: str) -> bool:
        """Whether `url` was already asked for (for statistics and tests)."""
        return _key("GET", url) in self._seen or _key("HEAD", url) in self._seen
