"""The two ways a queued audit cannot run (SPEC "Exit codes": 3).

Both are `AuditCannotRun`, so the CLI's existing mapping gives exit 3 with
the message on one line.  `QueueUnavailable`: Redis could not be reached when
the run (or a worker) starts.  `QueueLost`: Redis went away mid-run for longer
than the grace period: the run is incomplete, never silently partial.
"""
from __future__ import annotations

from crawler.errors import AuditCannotRun


class QueueUnavailable(AuditCannotRun):
    """Redis unreachable at start (exit 3)."""


class QueueLost(AuditCannotRun):
    """Redis lost mid-run: the run is incomplete (exit 3)."""


def lost_message(seconds: float) -> str:
    return (f"佇列伺服器（Redis）連線中斷或拒絕寫入（例如記憶體已滿）超過 {seconds:.0f} 秒，本次檢視未完成；"
            "請確認 Redis 恢復後以 --resume 再執行")
