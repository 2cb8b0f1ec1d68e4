"""One worker process serving one run: `python -m crawler.queue.node --queue URL --run ID`.

Started by `siteaudit worker` (crawler/queue/worker.py) for each run it
serves: a fresh process per run, so each run gets a fresh Scrapy reactor, its
own config and a clean memory, and a crash in one run never takes the worker
down.  It reads the run's config from Redis (the coordinator published it),
crawls what the frontier gives it with the same spider and settings as the
coordinator (crawler/queue/session.py: the same CrawlSession as one
process), runs the browser stage unless `--no-a11y`, reads documents with
this machine's document cache behind the shared one, and when the run is
over hands back its statistics (the guard's trap and limit counts among
them: the guard counts per process) and says "closed".

Exit codes: 0 the run ended (or was already over), 3 Redis lost or the
browser missing, 2 bad arguments.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from crawler.errors import AuditCannotRun
from crawler.queue.keys import RunKeys, node_id


def _cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "siteaudit"


def default_cache_path() -> Path:
    """The worker machine's own accessibility cache (results keyed by content)."""
    env = os.environ.get("SITEAUDIT_A11Y_CACHE")
    return Path(env) if env else _cache_home() / "a11y-cache.sqlite"


def default_doc_cache_path() -> Path:
    """The worker machine's own document cache (readings by URL and content)."""
    env = os.environ.get("SITEAUDIT_DOC_CACHE")
    return Path(env) if env else _cache_home() / "documents.sqlite"


def published(server: Any, keys: RunKeys) -> dict[str, Any] | None:
    raw = server.get(keys.config)
    return json.loads(raw) if raw else None


def config_from(blob: dict[str, Any]) -> Any:
    from crawler.config import parse_config

    return parse_config(blob["config"])


def run_node(queue_url: str, run: str, *, no_a11y: bool = False, browsers: int | None = None,
             cfg: Any = None, cache_path: Path | None = None, doc_cache: Path | None = None) -> int:
    from crawler.queue.browser import make_stage
    from crawler.queue.connection import check_redis
    from crawler.queue.facts import encode
    from crawler.queue.scheduler import beat_node
    from crawler.queue.session import QueueSession
    from crawler.queue.settings import queue_settings

    server = check_redis(queue_url)
    keys = RunKeys(run)
    blob = published(server, keys)
    if blob is None or server.get(keys.state) != b"crawling":
        return 0  # over before we came
    cfg = cfg or config_from(blob)
    q = blob.get("queue", {})
    lease, heartbeat, lost_after = q.get("lease", 60.0), q.get("heartbeat", 2.0), q.get("lost_after", 30.0)
    node = node_id("worker")
    a11y_run = bool(blob.get("a11y"))
    stage = None
    if a11y_run and not no_a11y:
        stage = make_stage(server, keys, node, cfg, browsers=browsers, cache_path=cache_path or default_cache_path(),
                           lease=lease, heartbeat=heartbeat).start()
    documents = (doc_cache or default_doc_cache_path()) if cfg.attachments.documents else None
    result = None
    stats: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="siteaudit-worker-") as tmp:
        session = QueueSession(cfg, Path(tmp), role="worker", stage=stage, progress=False, doc_cache=documents,
                               queue_settings=queue_settings(queue_url, run, role="worker", node=node, a11y=a11y_run,
                                                             lease=lease, heartbeat=heartbeat,
                                                             lost_after=lost_after))
        try:
            result = session.run()
        finally:
            sched = getattr(session.crawler, "queue_scheduler", None)
            lost = bool(sched is not None and sched.lost)
            finished = server_state(server, keys) == b"finished"
            if stage is not None:
                stats = stage.close(timeout=None if finished and not session.stop_requested.is_set() else 0)
            _log_to_stderr(Path(tmp) / "crawl.log")
    book = sched.book if sched is not None else None  # (a scheduler is falsy when its frontier is empty)
    info = {"role": "worker", "downloaded": getattr(sched, "downloaded", 0), "acked": getattr(book, "acked", 0),
            "lost_leases": getattr(book, "lost", 0), "a11y": stats, "host": os.uname().nodename, "pid": os.getpid(),
            "traps": result.trap_skipped_count if result else 0, "limited": result.limited if result else 0}
    try:
        server.rpush(keys.facts, encode({"k": "node", "node": node, "stats": info}))
        beat_node(server, keys, node, {**info, "state": "closed"})
    except Exception:
        lost = True
    return 3 if lost else 0


def _log_to_stderr(path: Path) -> None:
    """The crawl's warnings (CrawlSession logs to a file in the node's
    temporary state) go to the worker's stderr: a service's journal."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    if text.strip():
        sys.stderr.write(text if text.endswith("\n") else text + "\n")
        sys.stderr.flush()


def server_state(server: Any, keys: RunKeys) -> bytes | None:
    try:
        return server.get(keys.state)
    except Exception:
        return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m crawler.queue.node", description="一個工作程序服務一次檢視")
    p.add_argument("--queue", required=True)
    p.add_argument("--run", required=True)
    p.add_argument("--no-a11y", action="store_true")
    p.add_argument("--browsers", type=int)
    p.add_argument("--config-json", help="以此設定（JSON，Config.to_dict()）取代協調程序公布的設定")
    args = p.parse_args(argv)
    cfg = None
    if args.config_json:
        from crawler.config import parse_config

        cfg = parse_config(json.loads(Path(args.config_json).read_text(encoding="utf-8")))
    try:
        return run_node(args.queue, args.run, no_a11y=args.no_a11y, browsers=args.browsers, cfg=cfg)
    except AuditCannotRun as e:
        print(f"siteaudit worker: 無法執行檢視：{e}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
