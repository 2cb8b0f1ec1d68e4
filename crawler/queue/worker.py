"""`siteaudit worker --queue redis://… [--no-a11y] [--browsers N]` (SPEC "crawl --queue / worker").

`run_worker` serves runs until it is stopped (SIGTERM, SIGINT): a worker may
be started before the crawl, during it, or left running as a service
(docs/scale-out.md has a systemd unit) for every month's audits.  It polls the
run list in Redis; for each run in state `crawling` it starts one node
process (crawler/queue/node.py) and waits for it; then it looks for the next.
Stopping: the node is asked to stop (SIGINT: Scrapy's graceful shutdown; its
leases go back to the frontier at once), then the worker exits 0.

Exit 3 with one Chinese line when Redis cannot be reached at start, or the
browser is missing and `--no-a11y` was not given.  Redis going away later
does not stop a service: it waits for it to come back.
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crawler.errors import AuditCannotRun
from crawler.queue.keys import RUNS, RunKeys

POLL_SECONDS = 1.0


def _say(text: str) -> None:
    print(f"siteaudit worker: {text}", file=sys.stderr, flush=True)


def next_run(server: Any, skip: set[str]) -> str | None:
    """The oldest run still crawling, with a live coordinator, that this worker has not served."""
    from crawler.queue.coordinator import coordinator_age
    from crawler.queue.spider import ABANDONED_AFTER

    for raw in server.zrange(RUNS, 0, -1):
        run = raw.decode()
        if run in skip:
            continue
        keys = RunKeys(run)
        if server.get(keys.state) != b"crawling":
            continue
        age = coordinator_age(server, keys)
        if age is not None and age < min(60.0, ABANDONED_AFTER):
            return run
    return None


def run_worker(opts: Any, *, cfg: Any = None, max_runs: int | None = None, poll: float = POLL_SECONDS,
               should_stop: Callable[[], bool] | None = None) -> int:
    """Serve runs until stopped; returns the exit code (crawler/cli.py's
    `worker`: `opts` is its WorkerOptions — queue, no_a11y, browsers).

    `cfg` (a Config) replaces the config each coordinator publishes — for a
    worker that must use, say, other browser settings; normally None.
    `max_runs` stops after that many runs (tests, batch jobs)."""
    from crawler.queue.connection import check_redis

    queue_url, no_a11y, browsers = opts.queue, bool(opts.no_a11y), opts.browsers

    try:
        server = check_redis(queue_url, worker=True)
        if not no_a11y:
            from crawler import a11y

            a11y.check_available()
    except AuditCannotRun as e:
        _say(f"無法啟動：{e}")
        return 3

    stopping = {"now": False}
    child: dict[str, subprocess.Popen | None] = {"p": None}

    def stop(signum: int, frame: Any) -> None:
        stopping["now"] = True
        p = child["p"]
        if p is not None and p.poll() is None:
            p.send_signal(signal.SIGINT)

    old = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    cfg_file = None
    if cfg is not None:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as cfg_file:
            json.dump(cfg.to_dict(), cfg_file, ensure_ascii=False)
    served: set[str] = set()
    runs = 0
    down = False
    try:
        while not stopping["now"] and not (should_stop and should_stop()):
            try:
                run = next_run(server, served)
                if down:
                    _say("佇列伺服器已恢復連線")
                    down = False
            except Exception as e:
                if not down:
                    _say(f"佇列伺服器暫時無法連線（{e}），等待恢復中")
                    down = True
                time.sleep(poll * 5)
                continue
            if run is None:
                time.sleep(poll)
                continue
            cmd = [sys.executable, "-m", "crawler.queue.node", "--queue", queue_url, "--run", run]
            if no_a11y:
                cmd.append("--no-a11y")
            if browsers:
                cmd += ["--browsers", str(browsers)]
            if cfg_file is not None:
                cmd += ["--config-json", cfg_file.name]
            _say(f"加入檢視 {run}")
            p = child["p"] = subprocess.Popen(cmd)
            code = p.wait()
            child["p"] = None
            try:
                over = server.get(RunKeys(run).state) != b"crawling"
            except Exception:
                over = False
            if over:
                served.add(run)
            else:  # left a run whose coordinator is gone (or Redis was): rejoin if it comes back
                time.sleep(poll * 5)
            runs += 1
            _say(f"檢視 {run} 結束（結束代碼 {code}）")
            if max_runs is not None and runs >= max_runs:
                break
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        if cfg_file is not None:
            Path(cfg_file.name).unlink(missing_ok=True)
    return 0
