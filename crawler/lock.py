"""One run per `--out`: a lock file holding the pid (issue 11).

Two crawls writing into one directory both used to say "complete" while
losing each other's findings.  `OutLock` takes an exclusive `flock` on
`<out>/.siteaudit.lock` (released by the kernel when the process dies, even
by `kill -9`) and writes its pid into it.  A second run finds the lock held
and stops with one Chinese line naming the pid; a lock file left by a dead
process is simply taken over, with a notice.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

from crawler.errors import AuditCannotRun

LOCK_NAME = ".siteaudit.lock"


class OutLock:
    def __init__(self, out_dir: Path):
        self.path = out_dir / LOCK_NAME
        self.fd: int | None = None
        self.notice = ""

    def __enter__(self) -> OutLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f"（程序 {holder}）" if holder else ""
            raise AuditCannotRun(f"另一個檢視{who}正在寫入 {self.path.parent}：請等它結束，或改用其他 --out 目錄") from None
        previous = _read_pid(fd)
        if previous and previous != os.getpid():
            self.notice = f"接手先前未正常結束的檢視所留下的鎖定（程序 {previous} 已不存在）"
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, 0)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
