"""The run's duplicate filter: AuditDupeFilter's rules on one Redis set
(SPEC "crawl --queue": the frontier *and the duplicate filter* live in Redis;
"each distinct target is fetched once per run").

crawler/dupefilter.py decides, in one process: a GET covers a HEAD (a crawled
page needs no link check), and a HEAD may be upgraded once to a GET (a
`#fragment` needs the target's HTML).  Across processes the same decision
must be one atomic step, or two workers both fetch a URL: `RunDupeFilter`
keeps the same keys (sha1 of "G url" / "H url") in the run's Redis set and
decides in one Lua script with the same rules.

The scheduler (crawler/queue/scheduler.py) does not ask and then push — two
round trips per request, and a window between them — but runs
`push_if_new`: the filter's decision and the push into the frontier in one
script, inside the outbox's MULTI (crawler/queue/outbox.py).  The same
script gives back the `max_pages` budget a page request took when the URL
turns out to be another process's already (crawler/queue/budget.py).

Each process also remembers what it has sent (`known_seen`): the Redis set
only ever grows, so a request this process already pushed (or already saw
refused) is a duplicate without asking — the 150 menu links of every page
are not serialised and shipped to Redis again and again, only the first
time this process meets each URL.

Never cleared on close: the fingerprints outlive every process of the run
(workers come and go; the coordinator may `--resume`).  On a resumed run
whose Redis lost the run (restarted without persistence) the filter is
seeded from the state store, as AuditDupeFilter is on `--resume`.
"""
from __future__ import annotations

from typing import Any

from scrapy import Request

from crawler.dupefilter import AuditDupeFilter, _key
from crawler.queue.keys import RunKeys

# seen(set, get_key, head_key_or_empty) -> true when the request is a duplicate;
# records the request otherwise.  AuditDupeFilter.request_seen, line by line.
_SEEN_FN = """
local function seen(set, g, h)
  if redis.call('SISMEMBER', set, g) == 1 then return true end
  if h ~= '' then return redis.call('SADD', set, h) == 0 end
  redis.call('SADD', set, g)
  return false
end
"""

# KEYS[1] set ; ARGV: get key, head key or ''
_SEEN = _SEEN_FN + "if seen(KEYS[1], ARGV[1], ARGV[2]) then return 1 end\nreturn 0\n"

# KEYS: frontier queue, its push sequence, the set, the page budget ;
# ARGV: -priority, entry, get key, head key or '', '1' to give back a budget unit on a duplicate.
# The push is ReliableQueue.push's (score -priority * 2^32 + sequence).
_PUSH_IF_NEW = _SEEN_FN + """
if seen(KEYS[3], ARGV[3], ARGV[4]) then
  if ARGV[5] == '1' then redis.call('DECR', KEYS[4]) end
  return 0
end
local seq = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) * 4294967296 + seq, ARGV[2])
return 1
"""


def request_keys(request: Request) -> tuple[bytes, bytes]:
    """(GET key, HEAD key or b""): the keys AuditDupeFilter would use."""
    head = _key("HEAD", request.url) if request.method == "HEAD" else b""
    return _key("GET", request.url), head


class RunDupeFilter(AuditDupeFilter):
    """AuditDupeFilter with its seen set in the run's Redis (module docstring)."""

    def __init__(self, server: Any, key: str, budget_key: str = "", seen_urls: frozenset[str] = frozenset()):
        super().__init__()
        self.server = server
        self.key = key
        self.budget_key = budget_key
        self._seen_script = server.register_script(_SEEN)
        self._push_script = server.register_script(_PUSH_IF_NEW)
        # keys this process knows to be in the run's set (GET keys), or covered
        # there (HEAD keys: the HEAD is in the set, or the GET that covers it)
        self._known: set[bytes] = set()
        if seen_urls:
            self.seed(seen_urls)

    @classmethod
    def from_crawler(cls, crawler: Any) -> RunDupeFilter:
        from scrapy_redis.connection import get_redis_from_settings

        st = crawler.settings
        keys = RunKeys(st.get("SITEAUDIT_QUEUE_RUN"))
        seen: frozenset[str] = frozenset()
        path = st.get("SITEAUDIT_STATE_DB")
        if path and st.getbool("SITEAUDIT_RESUME") and st.getbool("SITEAUDIT_QUEUE_REBUILD"):
            from crawler.store import Store

            store = Store(path, readonly=True)
            try:
                seen = frozenset(store.done_urls())
            finally:
                store.close()
        return cls(get_redis_from_settings(st), keys.dupefilter, keys.page_budget, seen)

    @classmethod
    def from_spider(cls, spider: Any) -> RunDupeFilter:  # scrapy-redis's Scheduler asks this way
        return cls.from_crawler(spider.crawler)

    def seed(self, urls: frozenset[str] | set[str]) -> None:
        """Mark `urls` as fetched with GET (their facts are in the store)."""
        batch = [_key("GET", u) for u in urls]
        for i in range(0, len(batch), 1000):
            self.server.sadd(self.key, *batch[i:i + 1000])

    def known_seen(self, request: Request) -> bool:
        """A duplicate by what this process already knows (no round trip);
        False means "ask the run's set"."""
        g, h = request_keys(request)
        return g in self._known or (bool(h) and h in self._known)

    def _remember(self, g: bytes, h: bytes) -> None:
        self._known.add(h or g)

    def request_seen(self, request: Request) -> bool:
        if self.known_seen(request):
            return True
        g, h = request_keys(request)
        seen = bool(self._seen_script(keys=[self.key], args=[g, h]))
        self._remember(g, h)
        return seen

    def push_if_new(self, pipe: Any, queue: str, seq: str, priority: int, entry: bytes, request: Request,
                    give_back: bool = False) -> None:
        """On `pipe`: the filter's decision and, for a new request, the push
        (the caller asked `known_seen` first)."""
        g, h = request_keys(request)
        self._remember(g, h)
        self._push_script(keys=[queue, seq, self.key, self.budget_key],
                          args=[-int(priority), entry, g, h, "1" if give_back else "0"], client=pipe)

    def seen(self, url: str) -> bool:
        got = self.server.smismember(self.key, [_key("GET", url), _key("HEAD", url)])
        return any(got)

    def close(self, reason: str = "") -> None:
        pass  # the run's fingerprints outlive this process (workers, --resume)
