"""`[crawl] max_pages` for the whole run: one atomic counter in Redis
(SPEC `max_pages`; crawler/guard.py's `PageBudget`, chosen by the setting
SITEAUDIT_PAGE_BUDGET).

The guard of each process asks `take()` before it lets a page request out;
here that is one Lua script: below the limit, count one and say yes —
atomically, so the run never crawls more than `max_pages` pages however many
processes ask at once.  A page request whose URL another process had asked
for already is dropped by the run's duplicate filter, and the same script
gives its unit back (crawler/queue/dupefilter.py), so the budget counts
distinct pages across processes as the guard counts them in one.

Without a limit (`max_pages = 0`) nothing goes to Redis.
"""
from __future__ import annotations

from typing import Any

from crawler.guard import PageBudget
from crawler.queue.keys import RunKeys

_TAKE = """
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
return 1
"""


class RedisPageBudget(PageBudget):
    def __init__(self, crawler: Any, limit: int, used: int = 0):
        super().__init__(crawler, limit, used)
        self.crawler = crawler
        if not limit:
            return
        from scrapy_redis.connection import get_redis_from_settings

        self.server = get_redis_from_settings(crawler.settings)
        self.key = RunKeys(crawler.settings.get("SITEAUDIT_QUEUE_RUN")).page_budget
        self._take = self.server.register_script(_TAKE)
        if used:
            # a resumed coordinator knows the pages in its store; the run's
            # counter, when Redis still has it, knows more (pages not drained yet)
            self.server.set(self.key, used, nx=True)

    def take(self) -> bool:
        if not self.limit:
            return True
        try:
            ok = bool(self._take(keys=[self.key], args=[self.limit]))
        except Exception:
            # Redis away: the page's output is abandoned (no ack; the request
            # is done again) rather than decided without the shared count.
            sched = getattr(self.crawler, "queue_scheduler", None)
            if sched is not None:
                sched.outbox.failed()
            raise
        if ok:
            self.used += 1
        return ok
