"""A reliable priority queue in Redis: pop hands out a lease, ack ends it.

SPEC "crawl --queue" / issue 16: a worker killed mid-run loses nothing.

scrapy-redis's PriorityQueue pops destructively (ZRANGE + ZREMRANGEBYRANK):
a worker killed after the pop takes its requests with it.  Here a pop moves
the entry, atomically (one Lua script), from the queue to a *processing* set
scored by its deadline, under a lease id `NODE#n`; the entry's data and its
place in the queue are kept beside it.  Then:

- `ack(leases)` when the request's facts are stored: the lease ends;
- `extend(leases)` (the holder's heartbeat) pushes the deadline on: a slow
  request is not taken away from a live worker;
- `reap()` (any process, periodically) puts back every entry whose deadline
  passed — its holder died — at its old place in the queue;
- `requeue(leases)` / `requeue_node(node)` give entries back at once (a worker
  stopping cleanly; a coordinator resuming after its own crash).

Times are Redis's own clock (`TIME` inside the scripts), so machines whose
clocks differ agree on deadlines.  Scores: `-priority * 2**32 + seq`, so a
lower score (higher priority) pops first and equal priorities pop in push
order (scrapy-redis orders ties by the bytes of the entry).

The ack/reap race is harmless by design: a lease reaped while its slow holder
was finishing gets done twice, and facts are keyed by URL in the state store
(page INSERT OR IGNORE, link/axe results replaced by the same outcome), so the
second copy changes nothing; the requests it yields again are dropped by the
duplicate filter (crawler/queue/dupefilter.py, which pushes with the same
score).  An ack of a reaped lease is a no-op.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_SEQ_SPAN = 4294967296  # 2**32 pushes per run before ties lose push order

_PUSH = """
local seq = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) * 4294967296 + seq, ARGV[2])
return seq
"""

# KEYS: processing, data, meta, seq, queue1..queueN ; ARGV: node, lease_ms, mask ("1"/"0" per queue)
_POP = """
local best, bestq, bests, bestraw
for i = 5, #KEYS do
  if string.sub(ARGV[3], i - 4, i - 4) == '1' then
    local r = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    if r[1] then
      local s = tonumber(r[2])
      if bests == nil or s < bests then best, bestq, bests, bestraw = r[1], i - 4, s, r[2] end
    end
  end
end
if not best then return false end
redis.call('ZREM', KEYS[bestq + 4], best)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = ARGV[1] .. '#' .. redis.call('INCR', KEYS[4])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), lease)
redis.call('HSET', KEYS[2], lease, best)
redis.call('HSET', KEYS[3], lease, bestq .. ' ' .. bestraw)
return {lease, best}
"""

_ACK = """
local n = 0
for i = 1, #ARGV do
  n = n + redis.call('ZREM', KEYS[1], ARGV[i])
  redis.call('HDEL', KEYS[2], ARGV[i])
  redis.call('HDEL', KEYS[3], ARGV[i])
end
return n
"""

# ARGV: lease_ms, lease... ; returns the leases that are no longer held (reaped)
_EXTEND = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lost = {}
for i = 2, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i])
  else
    table.insert(lost, ARGV[i])
  end
end
return lost
"""

# ARGV[1]: 'expired' (ARGV[2] = max) | 'node' (ARGV[2] = node id) | 'leases' (ARGV[2..])
_REQUEUE = """
local leases
if ARGV[1] == 'expired' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  leases = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
elseif ARGV[1] == 'node' then
  leases = {}
  local prefix = ARGV[2] .. '#'
  for _, l in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    if string.sub(l, 1, #prefix) == prefix then table.insert(leases, l) end
  end
else
  leases = {}
  for i = 2, #ARGV do table.insert(leases, ARGV[i]) end
end
local n = 0
for _, lease in ipairs(leases) do
  if redis.call('ZREM', KEYS[1], lease) == 1 then
    local data = redis.call('HGET', KEYS[2], lease)
    local meta = redis.call('HGET', KEYS[3], lease)
    if data and meta then
      local sep = string.find(meta, ' ', 1, true)
      local q = tonumber(string.sub(meta, 1, sep - 1))
      redis.call('ZADD', KEYS[q + 3], string.sub(meta, sep + 1), data)
      n = n + 1
    end
  end
  redis.call('HDEL', KEYS[2], lease)
  redis.call('HDEL', KEYS[3], lease)
end
return n
"""


class ReliableQueue:
    """Queues `names` (sorted sets) under `base`, leases in `base:processing`."""

    def __init__(self, server: Any, base: str, queues: Sequence[str], node: str, lease_ms: int = 30000):
        self.server = server
        self.base = base
        self.queues = tuple(queues)
        self.node = node
        self.lease_ms = int(lease_ms)
        self.processing = f"{base}:processing"
        self.data = f"{base}:lease:data"
        self.meta = f"{base}:lease:meta"
        self.seq = f"{base}:seq"
        self._push = server.register_script(_PUSH)
        self._pop = server.register_script(_POP)
        self._ack = server.register_script(_ACK)
        self._extend = server.register_script(_EXTEND)
        self._requeue = server.register_script(_REQUEUE)

    @property
    def _lease_keys(self) -> list[str]:
        return [self.processing, self.data, self.meta]

    def push(self, data: bytes, priority: int = 0, queue: int = 0, pipe: Any = None) -> None:
        self._push(keys=[self.queues[queue], self.seq], args=[-int(priority), data], client=pipe or self.server)

    def pop(self, allow: Sequence[bool] | None = None) -> tuple[str, bytes] | None:
        mask = "".join("1" if a else "0" for a in (allow or [True] * len(self.queues)))
        r = self._pop(keys=[*self._lease_keys, self.seq, *self.queues], args=[self.node, self.lease_ms, mask])
        if not r:
            return None
        lease, data = r
        return lease.decode() if isinstance(lease, bytes) else lease, data

    def ack(self, leases: Sequence[str], pipe: Any = None) -> int:
        if not leases:
            return 0
        return self._ack(keys=self._lease_keys, args=list(leases), client=pipe or self.server)

    def extend(self, leases: Sequence[str]) -> list[str]:
        """Push the deadlines on; returns the leases this node no longer holds."""
        if not leases:
            return []
        lost = self._extend(keys=[self.processing], args=[self.lease_ms, *leases])
        return [x.decode() if isinstance(x, bytes) else x for x in lost]

    def reap(self, limit: int = 500) -> int:
        """Put back entries whose holder missed its deadline."""
        return self._requeue(keys=[*self._lease_keys, *self.queues], args=["expired", limit])

    def requeue(self, leases: Sequence[str]) -> int:
        if not leases:
            return 0
        return self._requeue(keys=[*self._lease_keys, *self.queues], args=["leases", *leases])

    def requeue_node(self, node: str) -> int:
        return self._requeue(keys=[*self._lease_keys, *self.queues], args=["node", node])

    # -- counts ------------------------------------------------------------
    def waiting(self) -> int:
        pipe = self.server.pipeline(transaction=False)
        for q in self.queues:
            pipe.zcard(q)
        return sum(pipe.execute())

    def in_flight(self) -> int:
        return self.server.zcard(self.processing)

    def counts(self, pipe: Any) -> None:
        """Queue the counts on `pipe`: one ZCARD per queue, then processing."""
        for q in self.queues:
            pipe.zcard(q)
        pipe.zcard(self.processing)

    def all_keys(self) -> list[str]:
        return [*self.queues, *self._lease_keys, self.seq]
