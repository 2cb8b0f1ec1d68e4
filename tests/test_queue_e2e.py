"""One audit over a coordinator and workers on Redis, end to end (issue 16).

Real processes (`siteaudit crawl … --queue` and `siteaudit worker`, through
`python -m crawler.cli`), a real redis-server on a free loopback port, real
loopback web servers that log every request and the most requests each host
had in flight at once, pages and documents apart (Scrapy gives documents a
download slot of their own: `<host>#documents`, 2 at a time).  Each queued
run is compared with a single-process `siteaudit crawl` of the same server:

- findings equal, set for set, and the documents read (documents.jsonl);
- no request made more often than the single run makes it (same method,
  same URL; robots.txt included), so no URL is fetched twice across workers;
- per-host concurrency never above the limit across all processes
  (`--concurrency` for the site's pages, 2 for its documents, 2 for another host);
- the document cache works across machines: a 304 is only asked for when
  any machine can answer it;
- a worker killed with SIGKILL, or the coordinator killed and resumed, loses
  nothing; Redis missing or lost is exit 3.

Protocol timings are shortened through the environment
(SITEAUDIT_QUEUE_LEASE, SITEAUDIT_QUEUE_HEARTBEAT, SITEAUDIT_QUEUE_LOST_AFTER).
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from crawler import siteserver
from crawler.queue.redisserver import LocalRedis, free_port

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_site"
AS_OF = "2026-11-26"
CONCURRENCY = 4

pytestmark = pytest.mark.skipif(not Path("/usr/bin/redis-server").exists(), reason="redis-server not installed")


# ---------------------------------------------------------------------------
# servers that count

def _slot(path: str) -> str:
    from crawler.documents import is_document

    return "documents" if is_document(path) else "pages"


class _CountingHandler(siteserver._Handler):
    """The site server's handler, plus per-host counts of requests in flight
    (pages and documents apart) and, when the server is asked to, a 304 for a
    document requested with the If-Modified-Since it last sent."""

    def _dispatch(self, head: bool) -> None:
        site: CountingServer = self.server.site  # type: ignore[assignment]
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        key = (host, _slot(self.path.split("?")[0]))
        with site._lock:
            site.inflight[key] = site.inflight.get(key, 0) + 1
            site.peak[key] = max(site.peak.get(key, 0), site.inflight[key])
            site.log.append((self.command, self.path))
        try:
            if site.delay:
                time.sleep(site.delay)  # a real server's latency: lets requests overlap
            if site.answer_304 and self._not_modified():
                site._hit(self.command, self.path)
                with site._lock:
                    site.not_modified += 1
                self._send(304, b"", None)
                return
            super()._dispatch(head)
        finally:
            with site._lock:
                site.inflight[key] -= 1

    def _document(self) -> tuple[Path, str] | None:
        """The document file asked for, and its Last-Modified."""
        import email.utils
        from urllib.parse import unquote

        path = unquote(self.path.split("?")[0])
        fs = self.server.site.root / path.lstrip("/")
        if _slot(path) != "documents" or not fs.is_file():
            return None
        return fs, email.utils.formatdate(fs.stat().st_mtime, usegmt=True)

    def _not_modified(self) -> bool:
        since = self.headers.get("If-Modified-Since")
        doc = self._document() if since else None
        return doc is not None and doc[1] == since

    def _send(self, status: int, body: bytes = b"", ctype: str | None = "text/html; charset=utf-8",
              headers: dict[str, str] | None = None, head: bool = False) -> None:
        # The sample site sends no Last-Modified; its documents do here, so
        # that a second run can ask for them conditionally.
        doc = self._document() if status == 200 else None
        if doc is not None and "Last-Modified" not in (headers or {}):
            headers = {**(headers or {}), "Last-Modified": doc[1]}
        super()._send(status, body, ctype, headers, head)


class CountingServer(siteserver.SiteServer):
    config: str = ""  # a site.toml for runs against this server

    def __init__(self, root: Path, host: str = "127.0.0.1", delay: float = 0.0):
        super().__init__(root, host)
        self._httpd.RequestHandlerClass = _CountingHandler
        self.delay = delay
        self.answer_304 = False
        self.not_modified = 0
        self.inflight: dict[tuple[str, str], int] = {}
        self.peak: dict[tuple[str, str], int] = {}
        self.log: list[tuple[str, str]] = []

    def reset(self) -> None:
        with self._lock:
            self.hits.clear()
            self.peak.clear()
            self.log.clear()
            self.not_modified = 0

    def snapshot(self) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
        with self._lock:
            return dict(self.hits), dict(self.peak)


# ---------------------------------------------------------------------------
# processes

ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1",
       "SITEAUDIT_QUEUE_LEASE": "4", "SITEAUDIT_QUEUE_HEARTBEAT": "0.5"}


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()] if path.exists() else []


def _rows(path: Path, drop: tuple[str, ...] = ()) -> set[str]:
    return {json.dumps({k: v for k, v in r.items() if k not in drop}, sort_keys=True, ensure_ascii=False)
            for r in _read_jsonl(path)}


class Run:
    def __init__(self, proc: subprocess.CompletedProcess, out: Path):
        self.code, self.stderr, self.out = proc.returncode, proc.stderr, out
        self.findings = _rows(out / "findings.jsonl")
        self.documents = _rows(out / "documents.jsonl", drop=("fetch",))  # downloaded or answered by a 304
        self.pages = {p["url"] for p in _read_jsonl(out / "pages.jsonl")}
        self.run = json.loads((out / "run.json").read_text(encoding="utf-8")) if (out / "run.json").exists() else {}


def crawl_args(url: str, out: Path, *extra: str) -> list[str]:
    return [url, "--out", str(out), "--history", str(out.parent / f"{out.name}-history.sqlite"), "--as-of", AS_OF,
            "--quiet", "--no-a11y", "--concurrency", str(CONCURRENCY), *extra]


def single(url: str, out: Path, *extra: str, timeout: float = 240) -> Run:
    proc = subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", *crawl_args(url, out, *extra)],
                          cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=timeout)
    return Run(proc, out)


def coordinator_cmd(queue: str, url: str, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "crawler.cli", "crawl", "--queue", queue, "--keep-state",
            *crawl_args(url, out, *extra)]


def queued(queue: str, url: str, out: Path, *extra: str, timeout: float = 240, env: dict | None = None) -> Run:
    proc = subprocess.run(coordinator_cmd(queue, url, out, *extra), cwd=ROOT, env={**ENV, **(env or {})},
                          capture_output=True, text=True, timeout=timeout)
    return Run(proc, out)


class Worker:
    """`siteaudit worker`, in its own process group (it starts one node per run),
    with its own machine's caches."""

    def __init__(self, queue: str, *extra: str, log: Path | None = None, cache_home: Path | None = None):
        self.log = log
        env = {**ENV}
        if cache_home is not None:
            env["XDG_CACHE_HOME"] = str(cache_home)
        with open(log or os.devnull, "w") as err:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen([sys.executable, "-m", "crawler.cli", "worker", "--queue", queue, *extra],
                                         cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                                         stderr=err)

    def node_pids(self) -> set[int]:
        import psutil

        return {c.pid for c in psutil.Process(self.proc.pid).children(recursive=True)}

    def kill(self) -> None:
        """SIGKILL the worker and its node: nothing runs any cleanup."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(60)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        return self.proc.wait(10)


def assert_same_audit(base: Run, run: Run) -> None:
    assert run.code == 0, run.stderr[-2000:]
    assert run.run.get("complete") is True
    assert run.pages == base.pages
    missing, extra = base.findings - run.findings, run.findings - base.findings
    assert not missing and not extra, (sorted(missing)[:5], sorted(extra)[:5])
    assert run.documents == base.documents, sorted(run.documents ^ base.documents)[:4]


def assert_polite(peak: dict[tuple[str, str], int], host: str = "127.0.0.1") -> None:
    """The site's limits, whatever the number of processes: `--concurrency`
    for pages and link checks, Scrapy's 2 per slot for its documents."""
    assert peak.get((host, "pages"), 0) <= CONCURRENCY, peak
    assert peak.get((host, "documents"), 0) <= 2, peak


def assert_no_request_repeated(base_hits: dict, hits: dict) -> None:
    """Every (method, target) at most as often as one process asks for it
    (the single run repeats only retries of 5xx/429 and redirect targets)."""
    more = {k: (v, base_hits.get(k, 0)) for k, v in hits.items() if v > base_hits.get(k, 0)}
    assert not more, more
    assert hits == base_hits  # and nothing is left out


# ---------------------------------------------------------------------------
# fixtures

@pytest.fixture(scope="module", autouse=True)
def machine_caches(tmp_path_factory):
    """Every process's own caches under a temporary directory, never ~/.cache."""
    ENV["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache-home"))
    yield
    ENV.pop("XDG_CACHE_HOME", None)


@pytest.fixture(scope="module")
def redis_url():
    with LocalRedis() as r:
        yield r.url


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    with CountingServer(SAMPLE, delay=0.02).start() as site:
        yield site


@pytest.fixture(scope="module")
def sample_base(sample, tmp_path_factory):
    sample.reset()
    base = single(sample.url("/"), tmp_path_factory.mktemp("single") / "audit", "--config", str(SAMPLE / "_site.toml"))
    assert base.code == 0, base.stderr[-2000:]
    return base, *sample.snapshot()


def _generated(root: Path, ext_base: str, pages: int = 300) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from generate_site import generate
    finally:
        sys.path.pop(0)
    generate(root, pages=pages, seed=7)
    # Each page also links to one of 40 pages on another host: external link
    # checks, limited to 2 in flight per host across all processes.
    for i, page in enumerate(sorted(root.rglob("*.html"))):
        html = page.read_text(encoding="utf-8")
        page.write_text(html.replace("</main>", f'<p><a href="{ext_base}/ext/{i % 40}.html">外部資料</a></p></main>'),
                        encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    ext_root = tmp_path_factory.mktemp("ext")
    (ext_root / "ext").mkdir()
    for i in range(40):
        (ext_root / "ext" / f"{i}.html").write_text(f"<!DOCTYPE html><title>{i}</title><p>{i}</p>", encoding="utf-8")
    with CountingServer(ext_root, host="127.0.0.2", delay=0.03).start() as ext:
        root = _generated(tmp_path_factory.mktemp("site300"), ext.base_url)
        site = CountingServer(root, delay=0.02)
        site.config = _patient_config(tmp_path_factory.mktemp("cfg"))
        with site.start():
            yield site, ext


def _patient_config(d: Path) -> str:
    """On a loaded 2-core machine a loopback request can take seconds: a
    timeout must not turn into a broken link in one run and not the other."""
    (d / "site.toml").write_text("[links]\ntimeout = 60\n", encoding="utf-8")
    return str(d / "site.toml")


@pytest.fixture(scope="module")
def generated_base(generated, tmp_path_factory):
    site, ext = generated
    site.reset(), ext.reset()
    base = single(site.url("/"), tmp_path_factory.mktemp("single300") / "audit", "--config", site.config)
    assert base.code == 0, base.stderr[-2000:]
    assert len(base.pages) == 300
    return base, site.snapshot()[0], ext.snapshot()[0]


# ---------------------------------------------------------------------------
# the audits

@pytest.mark.slow
def test_sample_site_coordinator_and_two_workers_equal_one_process(redis_url, sample, sample_base, tmp_path):
    """Then next month: the documents are asked for with If-Modified-Since
    and each 304 is answered wherever it lands — the coordinator's machine
    has lost its own cache, the readings of the workers' machines are shared
    through Redis (crawler/queue/doccache.py)."""
    base, base_hits, _ = sample_base
    sample.reset()
    cfg = ("--config", str(SAMPLE / "_site.toml"))
    workers = [Worker(redis_url, "--no-a11y", log=tmp_path / f"w{i}.log", cache_home=tmp_path / f"machine{i}")
               for i in range(2)]
    try:
        time.sleep(1.0)  # started before the crawl
        run = queued(redis_url, sample.url("/"), tmp_path / "audit", *cfg)
        hits, peak = sample.snapshot()
        nodes = nodes_of_run(run)
        assert_same_audit(base, run)
        assert_no_request_repeated(base_hits, hits)
        assert_polite(peak)
        assert sum(1 for n in nodes.values() if n.get("downloaded")) >= 2, nodes  # the work was shared
        assert run.run["documents"]["count"] >= 10 and run.run["documents"]["downloaded"] == run.run["documents"]["count"]

        sample.reset()
        sample.answer_304 = True
        (tmp_path / ".siteaudit-cache" / "documents.sqlite").unlink()  # the coordinator's machine forgets
        again = queued(redis_url, sample.url("/"), tmp_path / "audit", *cfg)
    finally:
        sample.answer_304 = False
        codes = [w.stop() for w in workers]
    assert_same_audit(base, again)
    docs = again.run["documents"]
    assert sample.not_modified == docs["cached"] >= 10 and docs["failed"] == run.run["documents"]["failed"]
    assert codes == [0, 0]


def nodes_of_run(run: Run) -> dict[str, dict[str, Any]]:
    """Each process's statistics, as the coordinator stored them (queued runs keep their state)."""
    import sqlite3

    db = sqlite3.connect(run.out / ".state" / "audit.sqlite")
    try:
        row = db.execute("SELECT value FROM info WHERE key='queue_nodes'").fetchone()
    finally:
        db.close()
    return json.loads(row[0]) if row else {}


@pytest.mark.slow
def test_generated_site_with_workers_before_and_during_the_crawl(redis_url, generated, generated_base, tmp_path):
    site, ext = generated
    base, base_hits, base_ext_hits = generated_base
    site.reset(), ext.reset()
    first = Worker(redis_url, "--no-a11y", log=tmp_path / "w0.log")
    late: list[Worker] = []
    try:
        time.sleep(1.0)
        proc = subprocess.Popen(coordinator_cmd(redis_url, site.url("/"), tmp_path / "audit", "--config", site.config),
                                cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        late.append(Worker(redis_url, "--no-a11y", log=tmp_path / "w1.log"))  # joins a crawl under way
        out, err = proc.communicate(timeout=240)
    finally:
        for w in [first, *late]:
            w.stop()
    run = Run(subprocess.CompletedProcess(proc.args, proc.returncode, out, err), tmp_path / "audit")
    hits, peak = site.snapshot()
    ext_hits, ext_peak = ext.snapshot()
    assert_same_audit(base, run)
    assert len(base.documents) >= 200  # the documents linked from the 300 pages, each read once, by whichever process got it
    assert_no_request_repeated(base_hits, hits)
    assert_no_request_repeated(base_ext_hits, ext_hits)
    # politeness for the whole crawl: the site's limits and the external per-host limit
    assert_polite(peak)
    assert peak[("127.0.0.1", "pages")] >= 2, peak
    assert ext_peak[("127.0.0.2", "pages")] <= 2, ext_peak
    assert len([n for n in nodes_of_run(run).values() if n.get("downloaded")]) == 3


def _wait_for(pred, timeout: float, what: str) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = pred()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _busy_worker(redis_url: str, min_done: int):
    from crawler.queue.connection import connect
    from crawler.queue.keys import RUNS, RunKeys

    r = connect(redis_url)

    def pred():
        for run in r.zrange(RUNS, 0, -1):
            for name, raw in r.hgetall(RunKeys(run.decode()).nodes).items():
                info = json.loads(raw)
                busy = info.get("downloaded", 0) >= min_done and info.get("leases", 0) >= 1
                if info.get("role") == "worker" and busy:
                    return name.decode(), info
        return None

    return pred


@pytest.mark.slow
def test_killed_worker_and_killed_coordinator_lose_nothing(redis_url, generated, generated_base, tmp_path):
    """A worker SIGKILLed while it holds leases: they come back after the
    visibility timeout.  Then the coordinator SIGKILLed: restarted with
    --resume it continues the same run (frontier in Redis, facts on its disk).
    The audit equals the single run's, and every request it made was made."""
    site, ext = generated
    base, base_hits, _ = generated_base
    site.reset(), ext.reset()
    workers = [Worker(redis_url, "--no-a11y", log=tmp_path / f"w{i}.log") for i in range(2)]
    out_dir = tmp_path / "audit"
    try:
        time.sleep(1.0)
        first = subprocess.Popen(coordinator_cmd(redis_url, site.url("/"), out_dir, "--config", site.config),
                                 cwd=ROOT, env={**ENV, "SITEAUDIT_QUEUE_LEASE": "3"}, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        node, info = _wait_for(_busy_worker(redis_url, 20), 60, "a worker holding leases")
        victim = next(w for w in workers if info["pid"] in w.node_pids())
        workers.remove(victim)
        victim.kill()  # the worker (and its node) with leases in hand; nothing runs any cleanup
        assert info["leases"] >= 1
        _wait_for(lambda: len(site.snapshot()[0]) > 250, 60, "the crawl further under way")
        first.kill()  # the coordinator, mid-run
        first.wait(10)
        assert not (out_dir / "findings.jsonl").exists()
        run = queued(redis_url, site.url("/"), out_dir, "--config", site.config, "--resume",
                     env={"SITEAUDIT_QUEUE_LEASE": "3"})
    finally:
        for w in workers:
            w.stop()
    assert_same_audit(base, run)
    hits, _ = site.snapshot()
    assert set(hits) == set(base_hits)  # every request of the single run was made


def test_redis_missing_is_exit_3_with_one_chinese_line(sample, tmp_path):
    run = queued(f"redis://127.0.0.1:{free_port()}/0", sample.url("/"), tmp_path / "audit")
    assert run.code == 3
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "無法連線到佇列伺服器" in lines[0], run.stderr


@pytest.mark.slow
def test_redis_lost_mid_run_is_an_incomplete_run_and_resume_rebuilds_it(sample, sample_base, tmp_path):
    """Redis gone mid-run: exit 3, complete=false.  Redis back without its
    data (no persistence): --resume rebuilds the frontier from the state
    store, as one process does, and the audit equals the single run's."""
    site, cfg = sample, str(SAMPLE / "_site.toml")
    base, _, _ = sample_base
    site.reset()
    old_delay, site.delay = site.delay, 0.1  # a slow site: the crawl is still going when Redis goes
    try:
        with LocalRedis() as r:
            proc = subprocess.Popen(coordinator_cmd(r.url, site.url("/"), tmp_path / "audit", "--config", cfg),
                                    cwd=ROOT, env={**ENV, "SITEAUDIT_QUEUE_LOST_AFTER": "2"}, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            _wait_for(lambda: len(site.snapshot()[0]) > 20, 60, "the crawl under way")
            r.stop()
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 3, err[-2000:]
            lost = json.loads((tmp_path / "audit" / "run.json").read_text(encoding="utf-8"))
            assert lost["complete"] is False and lost["close_reason"] == "queue_lost"
            assert "未完成" in err and "--resume" in err
            site.delay = old_delay
            r.start()  # the same server, empty
            again = queued(r.url, site.url("/"), tmp_path / "audit", "--config", cfg, "--resume")
    finally:
        site.delay = old_delay
    assert_same_audit(base, again)


@pytest.mark.slow
def test_sigterm_stops_the_coordinator_within_seconds_even_with_redis_away(generated, tmp_path):
    """Requests waiting for a host slot in Redis (documents: 2 at a time, and
    every page links two) do not hold the stop up."""
    sample, ext = generated
    sample.reset(), ext.reset()
    old_delay, sample.delay = sample.delay, 0.05
    try:
        with LocalRedis() as r:
            proc = subprocess.Popen(coordinator_cmd(r.url, sample.url("/"), tmp_path / "audit"), cwd=ROOT, env=ENV,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            _wait_for(lambda: sum(1 for m, u in sample.snapshot()[0] if "/files/" in u) > 3, 60,
                      "documents being fetched")
            r.stop()
            time.sleep(1.0)
            t0 = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=60)
            took = time.monotonic() - t0
    finally:
        sample.delay = old_delay
    assert proc.returncode == 3 and took < 10, (took, err[-2000:])
    assert "--resume" in err and (tmp_path / "audit" / ".state" / "audit.sqlite").exists()


@pytest.mark.slow
def test_max_pages_holds_for_the_whole_run(redis_url, sample, tmp_path):
    """One budget in Redis: never more pages than max_pages across processes,
    and a page met by several processes counts once (the budget fills up)."""
    sample.reset()
    w = Worker(redis_url, "--no-a11y", log=tmp_path / "w.log")
    try:
        time.sleep(1.0)
        run = queued(redis_url, sample.url("/"), tmp_path / "audit", "--config", str(SAMPLE / "_site.toml"),
                     "--max-pages", "40")
    finally:
        w.stop()
    assert run.code == 0, run.stderr[-2000:]
    assert len(run.pages) == 40 and run.run["limited"]["max_pages"] == 40 and run.run["complete"] is True
    hits, _ = sample.snapshot()
    assert sum(1 for (m, _), n in hits.items() if m == "GET" and n) >= 40
    assert sum(1 for n in nodes_of_run(run).values() if n.get("downloaded")) == 2


@pytest.mark.slow
@pytest.mark.browser
def test_accessibility_through_the_queue_equals_one_process(redis_url, tmp_path):
    from crawlhelp import make_site

    root = make_site(tmp_path / "site", {
        "/": '<p><a href="/a.html">甲</a> <a href="/b.html">乙</a></p><img src="/x.png">',
        "/a.html": '<p style="color:#bbb;background:#fff">淺色文字</p><a href="/b.html"></a>',
        "/b.html": '<input type="text"><p><a href="/">首頁</a></p>',
    })
    (tmp_path / "site.toml").write_text("[accessibility]\nbrowsers = 1\n", encoding="utf-8")
    with siteserver.serve(root) as site:
        args = [site.url("/"), "--as-of", AS_OF, "--quiet", "--config", str(tmp_path / "site.toml")]
        proc = subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", *args, "--out", str(tmp_path / "one"),
                               "--history", str(tmp_path / "one" / "h.sqlite")], cwd=ROOT, env=ENV,
                              capture_output=True, text=True, timeout=240)
        base = Run(proc, tmp_path / "one")
        w = Worker(redis_url, "--browsers", "1", log=tmp_path / "w.log", cache_home=tmp_path / "worker-machine")
        try:
            cmd = [sys.executable, "-m", "crawler.cli", "crawl", "--queue", redis_url, *args,
                   "--out", str(tmp_path / "two"), "--history", str(tmp_path / "two" / "h.sqlite")]
            proc = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=240)
        finally:
            w.stop()
    run = Run(proc, tmp_path / "two")
    assert base.code == 0 and run.code == 0, run.stderr[-2000:]
    assert any(json.loads(f)["rule"].startswith("a11y.") for f in base.findings)
    assert run.findings == base.findings
    stats = run.run["a11y"]["stats"]
    assert stats.get("opened", 0) + stats.get("cached", 0) == 3
