"""Facts from every process to the coordinator's state store, through Redis
(SPEC "crawl --queue": workers "hand their facts back").

Why Redis (docs/scale-out.md): every process of a run already reaches it;
a shared SQLite file would need one filesystem across machines (NFS locks
and SQLite do not mix); HTTP to the coordinator would need it reachable from
every worker, a server in it, and its own retries — and it could not take
facts while it restarts.  A Redis list keeps them until the coordinator
drains them, restarts included.

- `encode(fact)` / `decode(bytes)`: one fact = zlib-compressed JSON (page
  HTML inside compresses about 5:1; docs/scale-out.md has the numbers).
- `RedisFactSink`: the item pipeline used instead of StorePipeline in a queued
  run; every item the spider and the guard yield (crawler/items.py:
  PageItem, LinkItem, SitemapItem, FailedPageItem, NoticeItem, TrapItem,
  DocumentItem — any item dataclass of crawler/) becomes one fact.
- `A11yJobPipeline`: each new page becomes one browser-stage job (crawler/queue/browser.py).
- `drain_facts(server, keys, applier)`: the coordinator moves facts into its
  SQLite store: items with `crawler.pipelines.store_item` (the function
  StorePipeline uses: one place knows the mapping), browser results and
  failures as AccessibilityPipeline stores them, each node's statistics
  merged.  Read, store, commit, then trim, so a coordinator killed in between
  applies a batch twice, which the store's URL keys make harmless.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import importlib
import json
import zlib
from typing import Any

from checks.model import LinkOutcome
from crawler.items import LinkItem, PageItem
from crawler.pipelines import store_a11y_failure, store_item
from crawler.queue.keys import RunKeys

# Only item classes from these packages are rebuilt from Redis data.
ITEM_MODULES: tuple[str, ...] = ("crawler.", "checks.")


def _default(v: Any) -> Any:
    """What JSON lacks, tagged (called by the C encoder only for such values:
    the ~150 link tuples of a page go through at C speed)."""
    if isinstance(v, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(bytes(v)).decode("ascii")}
    if hasattr(v, "to_dict") and hasattr(type(v), "from_dict"):
        return {"$obj": f"{type(v).__module__}.{type(v).__qualname__}", "d": v.to_dict()}
    if isinstance(v, (set, frozenset)):
        return sorted(v)
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {"$dc": f"{type(v).__module__}.{type(v).__qualname__}",
                "f": {f.name: getattr(v, f.name) for f in dataclasses.fields(v)}}
    raise TypeError(f"a fact cannot hold a {type(v).__name__}")


def _load_class(path: str) -> Any:
    """A dataclass of crawler/ or checks/ named by a fact; anything else is
    refused: a class whose constructor does more than keep its fields (a
    browser pool, a server) must never be built from data read off the network."""
    if not path.startswith(ITEM_MODULES):
        raise ValueError(f"fact names a class outside crawler/checks: {path}")
    module, _, name = path.rpartition(".")
    cls = getattr(importlib.import_module(module), name, None)
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise ValueError(f"fact names a class that is not an item dataclass: {path}")
    return cls


def _hook(d: dict[str, Any]) -> Any:
    """json.loads object_hook: inner objects first, so fields arrive rebuilt."""
    if "$bytes" in d and len(d) == 1:
        return base64.b64decode(d["$bytes"])
    if "$obj" in d:
        return _load_class(d["$obj"]).from_dict(d["d"])
    if "$dc" in d:
        return _load_class(d["$dc"])(**d["f"])
    return d


# Level 1: 0.3 ms and 12 KB for a 31 KB page's fact, against 4.6 ms and
# 10.5 KB at level 6 (measured on the 300-page benchmark site).
ZLIB_LEVEL = 1


def encode(fact: dict[str, Any]) -> bytes:
    text = json.dumps(fact, ensure_ascii=False, separators=(",", ":"), default=_default)
    return zlib.compress(text.encode("utf-8"), ZLIB_LEVEL)


def decode(data: bytes) -> dict[str, Any]:
    """A fact, its items rebuilt (only classes of crawler/ and checks/)."""
    return json.loads(zlib.decompress(data), object_hook=_hook)


def item_fact(item: Any) -> dict[str, Any]:
    return {"k": "item", "item": item}


def item_of(fact: dict[str, Any]) -> Any:
    item = fact["item"]
    if isinstance(item, dict):  # a fact built by hand, not through decode()
        item = json.loads(json.dumps(item), object_hook=_hook)
    return item


# ---------------------------------------------------------------------------
# pipelines (every process of a queued run)

class RedisFactSink:
    """Instead of StorePipeline: each item -> one fact in the run's list."""

    def __init__(self, crawler: Any):
        from scrapy_redis.connection import get_redis_from_settings

        self.crawler = crawler
        self.server = get_redis_from_settings(crawler.settings)
        self.keys = RunKeys(crawler.settings.get("SITEAUDIT_QUEUE_RUN"))
        self.sent = 0

    @classmethod
    def from_crawler(cls, crawler: Any) -> RedisFactSink:
        return cls(crawler)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        data = encode(item_fact(item))
        sched = getattr(self.crawler, "queue_scheduler", None)
        if sched is None:
            self.server.rpush(self.keys.facts, data)
        else:  # in order with the lease acks (crawler/queue/outbox.py)
            sched.outbox.run(lambda pipe: pipe.rpush(self.keys.facts, data))
        self.sent += 1
        return item


_JOB = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
  local seq = redis.call('INCR', KEYS[3])
  redis.call('ZADD', KEYS[2], seq, ARGV[2])
  return 1
end
return 0
"""


class A11yJobPipeline:
    """Each page fetched becomes one browser-stage job, once per URL per run."""

    def __init__(self, crawler: Any):
        from scrapy.exceptions import NotConfigured
        from scrapy_redis.connection import get_redis_from_settings

        if not crawler.settings.getbool("SITEAUDIT_QUEUE_A11Y"):
            raise NotConfigured
        self.crawler = crawler
        self.server = get_redis_from_settings(crawler.settings)
        self.keys = RunKeys(crawler.settings.get("SITEAUDIT_QUEUE_RUN"))
        self._job = self.server.register_script(_JOB)

    @classmethod
    def from_crawler(cls, crawler: Any) -> A11yJobPipeline:
        return cls(crawler)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, PageItem):
            job = json.dumps({"url": item.url, "hash": hashlib.sha256(item.html.encode("utf-8")).hexdigest()})
            keys = [self.keys.a11y_seen, self.keys.a11y_jobs[0], f"{self.keys.a11y_base}:seq"]
            args = [item.url, job]
            sched = getattr(self.crawler, "queue_scheduler", None)
            if sched is None:
                self._job(keys=keys, args=args)
            else:
                sched.outbox.run(lambda pipe: self._job(keys=keys, args=args, client=pipe))
        return item


# ---------------------------------------------------------------------------
# the coordinator's side

class FactApplier:
    """Applies facts to the store; merges the nodes' statistics; counts what
    it applied (the coordinator's progress display)."""

    def __init__(self, store: Any):
        self.store = store
        self.nodes: dict[str, dict[str, Any]] = dict(store.info("queue_nodes", {}) or {})
        self.counts: dict[str, int] = {}
        self.pages = 0  # PageItems applied (a page delivered twice counts twice: rare)
        self.link_problems = 0

    def apply(self, fact: dict[str, Any]) -> None:
        kind = str(fact.get("k"))
        self.counts[kind] = self.counts.get(kind, 0) + 1
        st = self.store
        if kind == "item":
            item = item_of(fact)
            store_item(st, item)
            if isinstance(item, PageItem):
                self.pages += 1
            elif isinstance(item, LinkItem) and item.result.outcome in (LinkOutcome.broken, LinkOutcome.unreachable):
                self.link_problems += 1
        elif kind == "axe":
            st.add_axe(fact["url"], fact["result"])
        elif kind == "a11y_failure":
            store_a11y_failure(st, fact["url"], fact["reason"])
        elif kind == "node":
            self.nodes[fact["node"]] = {**self.nodes.get(fact["node"], {}), **fact.get("stats", {})}
            st.set_info("queue_nodes", self.nodes)
            stats = merged_a11y_stats(self.nodes.values())
            if stats:
                st.set_info("a11y_stats", stats)
                st.set_info("a11y_blocked", stats.get("blocked", {}))

    def totals(self, key: str) -> int:
        """A per-node count summed over the run's nodes (traps, limited, …)."""
        return sum(int(n.get(key) or 0) for n in self.nodes.values())


def merged_a11y_stats(nodes: Any) -> dict[str, Any]:
    """One run's browser stats from every node's (A11yOutcome.stats): counts
    summed, the longest wall time, blocked hosts summed, interrupted if any."""
    out: dict[str, Any] = {}
    for n in nodes:
        for k, v in (n.get("a11y") or {}).items():
            if isinstance(v, bool):
                out[k] = bool(out.get(k)) or v
            elif isinstance(v, (int, float)):
                out[k] = max(out.get(k, 0), v) if k == "seconds" else round(out.get(k, 0) + v, 3)
            elif isinstance(v, dict):
                merged = out.setdefault(k, {})
                for host, count in v.items():
                    merged[host] = merged.get(host, 0) + count
    if isinstance(out.get("blocked"), dict):
        out["blocked"] = dict(sorted(out["blocked"].items()))
    return out


def drain_facts(server: Any, keys: RunKeys, applier: FactApplier, batch: int = 500, limit: int | None = None) -> int:
    """Move facts from Redis into the store; returns how many were applied."""
    done = 0
    while limit is None or done < limit:
        raw = server.lrange(keys.facts, 0, batch - 1)
        if not raw:
            break
        for data in raw:
            applier.apply(decode(data))
        applier.store.commit()
        server.ltrim(keys.facts, len(raw), -1)
        done += len(raw)
        if len(raw) < batch:
            break
    return done
