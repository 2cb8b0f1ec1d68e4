"""Key names of one run in Redis: every key carries the run id (SPEC
"crawl --queue": one Redis, any number of audits).

Two audits on one Redis never mix: each run's keys are
`siteaudit:{RUN}:…`.  The braces are a Redis Cluster hash tag, so all keys
of a run live in one slot and the Lua scripts may touch several of them.
`siteaudit:runs` (a sorted set, run id -> start time) is how a worker finds
runs to serve; `siteaudit:a11ycache:<key>` the accessibility results and
`siteaudit:doccache:…` the document readings shared by all runs.  Nothing
else outlives a run.
"""
from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass

RUNS = b"siteaudit:runs"
# accessibility results by A11yRunner's cache key, shared by every machine and
# every run (a page unchanged since last month is not opened again, whichever
# machine gets its job); kept RESULT_CACHE_DAYS days
RESULT_CACHE = "siteaudit:a11ycache:"
RESULT_CACHE_DAYS = 70
# document readings by URL and by content (crawler/queue/doccache.py), shared
# the same way: a 304 answered on any machine, whichever machine read it last month
DOC_CACHE = "siteaudit:doccache:"


def new_run_id() -> str:
    return secrets.token_hex(6)


def node_id(role: str) -> str:
    """A process's name in the run: role, machine, pid, a random tail."""
    host = socket.gethostname().split(".")[0][:24]
    return f"{role}-{host}-{os.getpid()}-{secrets.token_hex(2)}"


@dataclass(frozen=True)
class RunKeys:
    run: str

    def k(self, name: str) -> str:
        return f"siteaudit:{{{self.run}}}:{name}"

    @property
    def prefix(self) -> str:
        return f"siteaudit:{{{self.run}}}:"

    # the frontier: one sorted set per kind (pages first when scores tie)
    @property
    def frontier(self) -> tuple[str, ...]:
        return (self.k("frontier:pages"), self.k("frontier:other"))

    @property
    def frontier_base(self) -> str:
        return self.k("frontier")

    @property
    def a11y_jobs(self) -> tuple[str, ...]:
        return (self.k("a11y:jobs"),)

    @property
    def a11y_base(self) -> str:
        return self.k("a11y")

    @property
    def a11y_seen(self) -> str:
        return self.k("a11y:seen")

    @property
    def dupefilter(self) -> str:
        return self.k("dupefilter")

    @property
    def page_budget(self) -> str:  # max_pages: pages let out so far (crawler/queue/budget.py)
        return self.k("page_budget")

    @property
    def facts(self) -> str:
        return self.k("facts")

    @property
    def config(self) -> str:
        return self.k("config")

    @property
    def state(self) -> str:
        return self.k("state")

    @property
    def nodes(self) -> str:  # node -> JSON heartbeat
        return self.k("nodes")

    @property
    def node_seen(self) -> str:  # node -> server time (ms) of its last heartbeat
        return self.k("nodes:seen")

    def host_slots(self, host: str) -> str:
        return self.k(f"host:{host}:slots")

    def host_next(self, host: str) -> str:
        return self.k(f"host:{host}:next")

    def robots(self, netloc: str) -> str:
        return self.k(f"robots:{netloc}")
