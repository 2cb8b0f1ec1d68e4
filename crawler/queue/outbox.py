"""Redis writes that must happen in order, batched, surviving a short outage
(SPEC "Honest runs": Redis lost mid-run is an incomplete run, never a silently
partial one).

Within one process a request's facts must reach Redis before its lease is
acked, and the requests it yielded before that too (else a kill between the
two loses them).  Every such write goes through one `Outbox`: an operation is
a function that issues its commands on a pipeline; all operations of one
reactor turn go out together in one MULTI/EXEC (a page's facts, its new
requests and its ack in one round trip, and atomically).  When Redis does not
answer they are kept, in order, and retried by the heartbeat; `down_for()`
tells the node how long Redis has been gone (after the grace period the run
is lost: `QueueLost`).  Reactor thread only.

A batch whose EXEC reply was lost may be sent twice: every operation in it
is idempotent in effect (a push of an entry already there, facts keyed by
URL, the ack of an ended lease).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Op = Callable[[Any], Any]  # issues commands on the pipeline it is given


def redis_errors() -> tuple[type[BaseException], ...]:
    """Redis not doing its job for now: gone, or refusing writes (full under
    `noeviction`, a read-only replica, loading, a transaction aborted by such
    a refusal, permissions changed).  Writes are kept and retried, and past
    the grace period the run is lost (exit 3) — never dropped, never partial."""
    import redis
    from redis import exceptions as x

    return (redis.ConnectionError, redis.TimeoutError, OSError, x.OutOfMemoryError, x.ExecAbortError,
            x.ReadOnlyError, x.NoPermissionError, x.TryAgainError)


def _reactor_soon(fn: Callable[[], Any]) -> None:
    from twisted.internet import reactor

    reactor.callLater(0, fn)  # type: ignore[arg-type]


class Outbox:
    def __init__(self, server: Any, soon: Callable[[Callable[[], Any]], Any] | None = _reactor_soon):
        self.server = server
        self._soon = soon
        self._ops: list[Op] = []
        self._scheduled = False
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

    def run(self, op: Op) -> None:
        """Send `op` with this turn's batch (at once without a reactor)."""
        self._ops.append(op)
        if self._soon is None:
            self.flush()
        elif not self._scheduled:
            self._scheduled = True
            self._soon(self._flush_soon)

    def _flush_soon(self) -> None:
        self._scheduled = False
        self.flush()

    def flush(self) -> bool:
        """Send everything held, in order, in one MULTI; True when none is left."""
        if not self._ops:
            return True
        ops, n = self._ops, len(self._ops)
        pipe = self.server.pipeline(transaction=True)
        for op in ops:
            op(pipe)
        try:
            pipe.execute()
        except self._errors:
            self.failed()
            return False
        except Exception as e:  # a command refused (a bug, an ACL): never retried forever
            log.error("queue: Redis refused a batch of %d writes: %s", n, e)
        del self._ops[:n]
        self.ok()
        return not self._ops
