"""Writing the output files: atomically, durably, or not at all.

SPEC "Output files".  Every file is written to a temporary name in the same
directory, flushed and fsynced, then renamed over the old one (and the
directory fsynced), so a crash or a full disk never leaves a half-written
findings.jsonl or run.json next to a complete-looking report (issue 11).
A full disk becomes `DiskFull` (exit 3, resumable once space is freed).
"""
from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from crawler.store import DiskFull, is_disk_full


@contextlib.contextmanager
def atomic_file(path: Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    """Open a temporary sibling of `path`; on success it replaces `path`."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, mode, encoding=encoding if "b" not in mode else None) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if is_disk_full(e):
            raise DiskFull(str(e)) from e
        raise
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    with atomic_file(path) as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_json(path: Path, data: Any) -> None:
    with atomic_file(path) as fh:
        fh.write(json.dumps(data, ensure_ascii=False, indent=2))


def write_text(path: Path, text: str) -> None:
    with atomic_file(path) as fh:
        fh.write(text)
