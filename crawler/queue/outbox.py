"""Redis writes that must happen in order, surviving a short Redis outage.

Within one process a request's facts must reach Redis before its lease is
acked, and the requests it yielded before that too (else a kill between the
two loses them).  Every such write goes through one `Outbox`: run now when
Redis answers; when it does not, kept — in order — and retried by the
heartbeat.  `down_since` tells the node how long Redis has been gone (after
the grace period the run is lost: `QueueLost`).  Reactor thread only.
"""
from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


def redis_errors() -> tuple[type[BaseException], ...]:
    import redis

    return (redis.ConnectionError, redis.TimeoutError, OSError)


class Outbox:
    def __init__(self) -> None:
        self._ops: deque[Callable[[], Any]] = deque()
        self.down_since: float | None = None
        self._errors = redis_errors()

    def __len__(self) -> int:
        return len(self._ops)

    def failed(self) -> None:
        if self.down_since is None:
            self.down_since = time.monotonic()
            log.warning("queue: Redis unreachable; holding writes until it answers")

    def ok(self) -> None:
        self.down_since = None

    def down_for(self) -> float:
        return 0.0 if self.down_since is None else time.monotonic() - self.down_since

    def run(self, op: Callable[[], Any]) -> None:
        """Run `op` now (after anything held), or hold it."""
        if self._ops:
            self._ops.append(op)
            self.flush()
            return
        try:
            op()
            self.ok()
        except self._errors:
            self.failed()
            self._ops.append(op)

    def flush(self) -> bool:
        """Retry held writes in order; True when none are left."""
        while self._ops:
            try:
                self._ops[0]()
            except self._errors:
                self.failed()
                return False
            self._ops.popleft()
        self.ok()
        return True
