"""The scale-out parts one by one, against a real redis-server (issue 16).

Each test starts from an empty database of one redis-server started for this
module on a free loopback port.  Nothing here starts a crawl; the end-to-end
runs are in tests/test_queue_e2e.py.
"""
from __future__ import annotations

import dataclasses
import multiprocessing
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import pytest

from checks.model import LinkOutcome, LinkResult
from crawler.items import LinkItem, PageItem, SitemapItem
from crawler.queue.redisserver import LocalRedis, free_port

pytestmark = pytest.mark.skipif(not Path("/usr/bin/redis-server").exists(), reason="redis-server not installed")


@pytest.fixture(scope="module")
def redis_server():
    with LocalRedis() as r:
        yield r


@pytest.fixture
def server(redis_server):
    from crawler.queue.connection import connect

    client = connect(redis_server.url)
    client.flushdb()
    yield client
    client.close()


# ---------------------------------------------------------------------------
# start-up check (SPEC exit 3)

def test_unreachable_redis_is_one_chinese_line_without_the_password():
    from crawler.queue.connection import check_redis
    from crawler.queue.errors import QueueUnavailable

    url = f"redis://auditor:s3cret@127.0.0.1:{free_port()}/0"
    with pytest.raises(QueueUnavailable) as e:
        check_redis(url)
    msg = str(e.value)
    assert "\n" not in msg and "s3cret" not in msg and "auditor:***@127.0.0.1" in msg
    assert msg.startswith("無法連線到佇列伺服器") and "--queue" in msg


def test_the_documented_acl_user_can_run_the_queue_and_nothing_else():
    import redis

    from crawler.queue.connection import ACL_RULES, check_redis
    from crawler.queue.keys import RunKeys
    from crawler.queue.limiter import HostLimiter

    with LocalRedis(None, "/usr/bin/redis-server", "--user", "siteaudit", "on", ">pw-1", *ACL_RULES.split(),
                    "--user", "default", "off") as r:
        client = check_redis(f"redis://siteaudit:pw-1@127.0.0.1:{r.port}/0")
        q = _queue(client)
        q.push(b"x")
        lease, _ = q.pop()
        assert q.extend([lease]) == [] and q.ack([lease]) == 1 and q.reap() == 0
        assert HostLimiter(client, RunKeys("t1"), "n").try_acquire("h", 1, 0.1)[0]
        with pytest.raises(redis.ResponseError, match="permission"):
            client.flushall()
        with pytest.raises(redis.ResponseError, match="permission"):
            client.set("elsewhere", 1)
        docs = (Path(__file__).resolve().parent.parent / "docs" / "scale-out.md").read_text(encoding="utf-8")
        assert ACL_RULES in docs


def test_queue_url_must_be_a_redis_url():
    from crawler.queue.connection import check_redis
    from crawler.queue.errors import QueueUnavailable

    with pytest.raises(QueueUnavailable, match="redis://"):
        check_redis("http://127.0.0.1:6379/0")


def test_worker_exits_3_when_redis_is_missing():
    proc = subprocess.run([sys.executable, "-m", "crawler.cli", "worker", "--queue",
                           f"redis://127.0.0.1:{free_port()}/0", "--no-a11y"],
                          capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode == 3
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "無法連線到佇列伺服器" in lines[0]


# ---------------------------------------------------------------------------
# the frontier entries

def test_requests_travel_as_tagged_json_not_pickle():
    from scrapy.http import Request
    from scrapy.utils.request import request_from_dict

    from crawler.queue import serial

    r = Request("http://127.0.0.1/a?b=1", method="HEAD", headers={"Accept": "text/html"}, priority=-3,
                meta={"kind": "page", "trap_key": ("h", "/a", ("b",)), "redirect_urls": ["http://x/"],
                      "set": {1}, "odd": {1: "x", "$t": "y"}}, body=b"\x00\xff")
    data = serial.dumps(r.to_dict())
    assert b"pickle" not in data and data.startswith(b"{")
    back = request_from_dict(serial.loads(data))
    assert (back.url, back.method, back.priority, back.body) == (r.url, "HEAD", -3, b"\x00\xff")
    assert back.meta["trap_key"] == ("h", "/a", ("b",)) and back.meta["odd"] == {1: "x", "$t": "y"}
    assert back.headers.get("Accept") == b"text/html"
    with pytest.raises(TypeError):
        serial.dumps({"meta": {"obj": object()}})


# ---------------------------------------------------------------------------
# the reliable queue

def _queue(server, node="n1", lease_ms=30000):
    from crawler.queue.keys import RunKeys
    from crawler.queue.reliable import ReliableQueue

    keys = RunKeys("t1")
    return ReliableQueue(server, keys.frontier_base, keys.frontier, node, lease_ms)


def test_priority_then_push_order_and_kinds_share_one_order(server):
    q = _queue(server)
    q.push(b"d1-a", priority=-1, queue=1)
    q.push(b"d0-a", priority=0, queue=0)
    q.push(b"d1-b", priority=-1, queue=0)
    q.push(b"d0-b", priority=0, queue=1)
    q.push(b"sitemap", priority=10, queue=1)
    got = []
    while (x := q.pop()) is not None:
        got.append(x[1])
    # higher priority first; equal priorities in push order, whatever the sub-queue
    assert got == [b"sitemap", b"d0-a", b"d0-b", b"d1-a", b"d1-b"]


def test_a_popped_entry_is_leased_not_lost_and_returns_after_its_deadline(server):
    q = _queue(server, lease_ms=300)
    q.push(b"first", priority=5)
    q.push(b"second", priority=0)
    lease, data = q.pop()
    assert data == b"first" and q.waiting() == 1 and q.in_flight() == 1
    assert q.reap() == 0  # still within its lease
    time.sleep(0.4)
    assert q.reap() == 1  # its holder died: back, at its old place (before "second")
    assert q.in_flight() == 0 and q.pop()[1] == b"first"
    assert q.ack([lease]) == 0  # the late ack of the dead holder is a no-op


def test_heartbeats_keep_a_slow_lease_and_report_lost_ones(server):
    q = _queue(server, lease_ms=300)
    q.push(b"slow")
    q.push(b"other")
    lease, _ = q.pop()
    lease2, _ = q.pop()
    for _ in range(4):
        time.sleep(0.15)
        assert q.extend([lease]) == []
        q.reap()
    assert q.in_flight() == 1 and q.waiting() == 1  # `lease` kept, `lease2` (no heartbeat) came back
    assert q.extend([lease, lease2]) == [lease2]
    assert q.ack([lease]) == 1 and q.in_flight() == 0


def test_requeue_of_one_nodes_leases(server):
    a, b = _queue(server, "coordinator-a"), _queue(server, "worker-b")
    for i in range(4):
        a.push(f"r{i}".encode())
    a.pop(), a.pop(), b.pop()
    assert a.in_flight() == 3
    assert b.requeue_node("coordinator-a") == 2  # a resumed coordinator gives back its old self's
    assert a.in_flight() == 1 and a.waiting() == 3


def _pop_all(url: str, node: str, out: multiprocessing.Queue) -> None:
    from crawler.queue.connection import connect

    q = _queue(connect(url), node)
    got = []
    while (x := q.pop()) is not None:
        got.append(x[1].decode())
        q.ack([x[0]])
    out.put(got)


def test_concurrent_pops_from_several_processes_hand_each_entry_out_once(server, redis_server):
    q = _queue(server)
    for i in range(600):
        q.push(f"e{i}".encode(), priority=i % 7)
    out: multiprocessing.Queue = multiprocessing.get_context("fork").Queue()
    procs = [multiprocessing.get_context("fork").Process(target=_pop_all, args=(redis_server.url, f"p{i}", out))
             for i in range(3)]
    for p in procs:
        p.start()
    got = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(30)
    flat = [x for g in got for x in g]
    assert sorted(flat) == sorted(f"e{i}" for i in range(600))
    assert q.waiting() == 0 and q.in_flight() == 0


# ---------------------------------------------------------------------------
# the run's duplicate filter: AuditDupeFilter's rules, atomic in Redis

def _req(url: str, method: str = "GET"):
    from scrapy.http import Request

    return Request(url, method=method)


def _dupefilter(server, run: str = "d1"):
    from crawler.queue.dupefilter import RunDupeFilter
    from crawler.queue.keys import RunKeys

    keys = RunKeys(run)
    return RunDupeFilter(server, keys.dupefilter, keys.page_budget)


def test_run_dupefilter_decides_exactly_as_audit_dupefilter(server):
    import random

    from crawler.dupefilter import AuditDupeFilter

    rng = random.Random(16)
    urls = [f"http://x/{i}" for i in range(12)]
    asks = [_req(rng.choice(urls), rng.choice(["GET", "HEAD", "HEAD"])) for _ in range(400)]
    local, shared = AuditDupeFilter(), _dupefilter(server)
    assert [shared.request_seen(r) for r in asks] == [local.request_seen(r) for r in asks]
    # the rules spelled out: a GET covers a HEAD; a HEAD may be upgraded once to a GET
    df = _dupefilter(server, "d2")
    assert not df.request_seen(_req("http://x/p", "HEAD")) and df.request_seen(_req("http://x/p", "HEAD"))
    assert not df.request_seen(_req("http://x/p")) and df.request_seen(_req("http://x/p"))
    assert df.request_seen(_req("http://x/p", "HEAD")) and df.seen("http://x/p") and not df.seen("http://x/q")
    assert not df.request_seen(_req("http://x/g")) and df.request_seen(_req("http://x/g", "HEAD"))


def _ask_many(url: str, out: multiprocessing.Queue) -> None:
    from crawler.queue.connection import connect

    df = _dupefilter(connect(url), "race")
    won = []
    for i in range(300):
        for method in ("HEAD", "GET"):  # each process: a link check, then the page (one upgrade in all)
            if not df.request_seen(_req(f"http://x/{i}", method)):
                won.append(f"{method} {i}")
    out.put(won)


def test_two_processes_racing_for_the_same_urls_win_each_request_once(server, redis_server):
    ctx = multiprocessing.get_context("fork")
    out: multiprocessing.Queue = ctx.Queue()
    procs = [ctx.Process(target=_ask_many, args=(redis_server.url, out)) for _ in range(2)]
    for p in procs:
        p.start()
    won = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(30)
    assert sorted(won[0] + won[1]) == sorted(f"{m} {i}" for i in range(300) for m in ("HEAD", "GET"))


def test_dedupe_and_push_are_one_script_and_a_lost_page_gives_its_budget_back(server):
    from crawler.queue.keys import RunKeys
    from crawler.queue.reliable import ReliableQueue

    keys = RunKeys("d3")
    q = ReliableQueue(server, keys.frontier_base, keys.frontier, "n")
    df = _dupefilter(server, "d3")
    server.set(keys.page_budget, 2)  # two processes each counted http://x/a once
    for give_back in (True, True):
        pipe = server.pipeline(transaction=True)
        df.push_if_new(pipe, q.queues[0], q.seq, 0, b"page-a", _req("http://x/a"), give_back)
        pipe.execute()
    pipe = server.pipeline(transaction=True)
    df.push_if_new(pipe, q.queues[1], q.seq, -1, b"check-a", _req("http://x/a", "HEAD"))
    pipe.execute()
    assert q.waiting() == 1 and q.pop()[1] == b"page-a"  # pushed once; the HEAD is covered by the GET
    assert int(server.get(keys.page_budget)) == 1  # the loser's unit came back


def _take_many(url: str, out: multiprocessing.Queue) -> None:
    from types import SimpleNamespace

    from scrapy.settings import Settings

    from crawler.queue.budget import RedisPageBudget

    crawler = SimpleNamespace(settings=Settings({"REDIS_URL": url, "SITEAUDIT_QUEUE_RUN": "b1"}))
    budget = RedisPageBudget(crawler, 50)
    out.put(sum(budget.take() for _ in range(40)))


def test_the_page_budget_holds_exactly_across_processes(server, redis_server):
    ctx = multiprocessing.get_context("fork")
    out: multiprocessing.Queue = ctx.Queue()
    procs = [ctx.Process(target=_take_many, args=(redis_server.url, out)) for _ in range(3)]
    for p in procs:
        p.start()
    taken = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(30)
    assert sum(taken) == 50  # 120 asked, never one more than max_pages


# ---------------------------------------------------------------------------
# the per-host limiter

def _hammer(url: str, node: str, limit: int, delay: float, n: int, inflight, peak, starts) -> None:
    import random

    from crawler.queue.connection import connect
    from crawler.queue.keys import RunKeys
    from crawler.queue.limiter import HostLimiter

    lim = HostLimiter(connect(url), RunKeys("lim"), node, ttl_ms=5000)
    for _ in range(n):
        while True:
            token, wait = lim.try_acquire("site.example", limit, delay)
            if token:
                break
            time.sleep(wait or 0.005)
        with inflight.get_lock():
            inflight.value += 1
            peak.value = max(peak.value, inflight.value)
        starts.put(time.monotonic())
        time.sleep(random.uniform(0.005, 0.02))  # "downloading"
        with inflight.get_lock():
            inflight.value -= 1
        lim.release("site.example", token)


def _run_hammers(url: str, limit: int, delay: float, per_proc: int):
    ctx = multiprocessing.get_context("fork")
    inflight, peak, starts = ctx.Value("i", 0), ctx.Value("i", 0), ctx.Queue()
    procs = [ctx.Process(target=_hammer, args=(url, f"n{i}", limit, delay, per_proc, inflight, peak, starts))
             for i in range(3)]
    for p in procs:
        p.start()
    times = sorted(starts.get(timeout=60) for _ in range(3 * per_proc))
    for p in procs:
        p.join(30)
    return peak.value, times


def test_per_host_concurrency_is_shared_by_all_processes(server, redis_server):
    peak, _ = _run_hammers(redis_server.url, limit=2, delay=0.0, per_proc=25)
    assert peak == 2  # three processes, never more than the host's limit — and the limit is used


def test_delay_spaces_request_starts_across_processes(server, redis_server):
    _, times = _run_hammers(redis_server.url, limit=5, delay=0.05, per_proc=4)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.045  # Redis's clock vs ours: a few ms of slack


def test_a_dead_holders_slot_expires(server):
    from crawler.queue.keys import RunKeys
    from crawler.queue.limiter import HostLimiter

    dead = HostLimiter(server, RunKeys("lim2"), "dead", ttl_ms=300)
    live = HostLimiter(server, RunKeys("lim2"), "live", ttl_ms=300)
    assert dead.try_acquire("h", 1, 0)[0]
    assert live.try_acquire("h", 1, 0)[0] is None  # held (the holder was killed: nobody releases)
    time.sleep(0.35)
    assert live.try_acquire("h", 1, 0)[0]


@dataclasses.dataclass
class _Doc:  # an item of another part (documents) the queue knows nothing about
    url: str
    body: bytes
    props: dict


# ---------------------------------------------------------------------------
# facts: encoded by workers, drained into the coordinator's store

def _items():
    from checks.page import Link
    from crawler.items import DocumentItem, FailedPageItem, NoticeItem, TrapItem

    page = PageItem(url="http://s/a.html", status=200, content_type="text/html", depth=1,
                    headers={"content-type": "text/html"}, html="<html><title>甲</title>" + "內容" * 5000,
                    meta={"dc.title": ["甲"]}, bytes=30000, title="甲",
                    links=[Link("http://s/b.html#x", "http://s/b.html", "a", "x", 3, "乙")], malformed=[])
    link = LinkItem(LinkResult(url="http://s/b.html", status=404, outcome=LinkOutcome.broken,
                               redirects=("http://s/old",), final_url="http://s/b.html", anchors=frozenset({"x"})))
    return [page, link, SitemapItem({"http://s/a.html": "2026-01-02"}),
            FailedPageItem("http://s/slow.html", "fetch", "連線逾時（已重試），未取得網頁內容", "timeout", "t/o"),
            NoticeItem("sitemap", "網站地圖 http://s/sitemap.xml 無法讀取（HTTP 404）", "http://s/sitemap.xml"),
            TrapItem("http://s/cal?m=1", "疑似爬蟲陷阱", "s/cal?m={v}"),
            DocumentItem("http://s/a.pdf", {"url": "http://s/a.pdf", "ext": "pdf", "status": "ok", "title": "申請書",
                                            "fetch": "downloaded"})]


def test_facts_drained_into_the_store_equal_the_single_process_store(tmp_path, server):
    from crawler.pipelines import store_item
    from crawler.queue import facts
    from crawler.queue.keys import RunKeys
    from crawler.store import Store

    keys = RunKeys("f1")
    direct = Store(tmp_path / "direct.sqlite")
    for item in _items():
        store_item(direct, item)  # what StorePipeline does in one process
    direct.commit()
    for item in _items():
        server.rpush(keys.facts, facts.encode(facts.item_fact(item)))
    server.rpush(keys.facts, facts.encode({"k": "axe", "url": "http://s/a.html", "result": {"violations": []}}))
    server.rpush(keys.facts, facts.encode({"k": "a11y_failure", "url": "http://s/b.html", "reason": "瀏覽器已中止"}))
    drained = Store(tmp_path / "drained.sqlite")
    applier = facts.FactApplier(drained)
    assert facts.drain_facts(server, keys, applier) == 9 and server.llen(keys.facts) == 0
    assert list(drained.iter_pages()) == list(direct.iter_pages())
    assert drained.link_results() == direct.link_results() and drained.sitemap_dates() == direct.sitemap_dates()
    assert drained.documents() == direct.documents() and drained.documents()["http://s/a.pdf"]["title"] == "申請書"
    for key in ("trap_skipped", "notices"):
        assert drained.info(key) == direct.info(key) and drained.info(key)
    assert drained.axe_results() == {"http://s/a.html": {"violations": []}}
    # a browser failure is stored as AccessibilityPipeline stores it: a failed page too
    failed = {f["url"]: f for f in drained.failed_pages()}
    assert set(failed) == {"http://s/slow.html", "http://s/b.html"} and failed["http://s/b.html"]["stage"] == "a11y"
    # a batch applied twice (coordinator killed between commit and trim) changes nothing
    for item in _items():
        server.rpush(keys.facts, facts.encode(facts.item_fact(item)))
    facts.drain_facts(server, keys, applier)
    assert drained.page_count() == 1 and list(drained.iter_pages()) == list(direct.iter_pages())
    assert drained.info("trap_skipped") == direct.info("trap_skipped")


def test_nodes_statistics_merge_into_the_runs(tmp_path):
    from crawler.queue import facts
    from crawler.store import Store

    applier = facts.FactApplier(Store(tmp_path / "s.sqlite"))
    for node, opened, blocked, seconds in (("coordinator-a", 3, {"cdn.x": 2}, 9.5), ("worker-b", 4, {"cdn.x": 1,
                                                                                                  "ads.y": 5}, 7.0)):
        applier.apply({"k": "node", "node": node, "stats": {
            "traps": 2, "limited": 1, "a11y": {"opened": opened, "seconds": seconds, "blocked": blocked,
                                               "interrupted": False}}})
    stats = applier.store.info("a11y_stats")
    assert stats["opened"] == 7 and stats["seconds"] == 9.5 and stats["interrupted"] is False
    assert applier.store.info("a11y_blocked") == {"ads.y": 5, "cdn.x": 3}
    assert applier.totals("traps") == 4 and applier.totals("limited") == 2  # the guard counts per process


def test_a_page_fact_is_compressed(tmp_path):
    from crawler.queue import facts

    page = _items()[0]
    raw = len(page.html.encode("utf-8"))
    data = facts.encode(facts.item_fact(page))
    back = facts.item_of(facts.decode(data))
    assert len(data) < raw / 5 and (back.url, back.html, back.meta) == (page.url, page.html, page.meta)
    assert [tuple(x) for x in back.links] == [tuple(x) for x in page.links]  # tuples travel as lists
    assert zlib.decompress(data)  # plain zlib: readable with any tool


def test_any_item_dataclass_travels_bytes_included(monkeypatch):
    from crawler.queue import facts

    monkeypatch.setattr(facts, "ITEM_MODULES", (*facts.ITEM_MODULES, _Doc.__module__ + "."))
    item = _Doc(url="http://s/a.pdf", body=b"%PDF-1.7\x00\xff", props={"title": "申請書"})
    back = facts.item_of(facts.decode(facts.encode(facts.item_fact(item))))
    assert back == item and isinstance(back, _Doc)


def test_facts_never_name_classes_outside_the_project_nor_other_than_items():
    from crawler.queue import facts

    bad = {"k": "item", "item": {"$dc": "subprocess.Popen", "f": {"args": ["true"]}}}
    with pytest.raises(ValueError, match="outside"):
        facts.item_of(bad)
    # a class of ours whose constructor does things (starts a browser …) is never built from data
    for path in ("crawler.a11y.A11yRunner", "crawler.queue.redisserver.LocalRedis"):
        with pytest.raises(ValueError, match="not an item"):
            facts.item_of({"k": "item", "item": {"$dc": path, "f": {}}})


# ---------------------------------------------------------------------------
# runs on one Redis never mix

def test_two_runs_on_one_redis_keep_apart_and_cleanup_is_per_run(server):
    from crawler.queue.coordinator import delete_run, run_status
    from crawler.queue.keys import RUNS, RunKeys
    from crawler.queue.reliable import ReliableQueue

    k1, k2 = RunKeys("run1"), RunKeys("run2")
    q1 = ReliableQueue(server, k1.frontier_base, k1.frontier, "n")
    q2 = ReliableQueue(server, k2.frontier_base, k2.frontier, "n")
    q1.push(b"a")
    q2.push(b"b")
    q2.push(b"c")
    server.zadd(RUNS, {"run1": 1, "run2": 2})
    got = q1.pop()
    assert got is not None and got[1] == b"a" and q1.pop() is None
    assert run_status(server, k2)["waiting"] == 2 and run_status(server, k1)["leased"] == 1
    delete_run(server, "run1")
    assert not server.keys("siteaudit:{run1}:*") and server.zrange(RUNS, 0, -1) == [b"run2"]
    assert run_status(server, k2)["waiting"] == 2


# ---------------------------------------------------------------------------
# the browser stage takes jobs from any process

@pytest.mark.browser
def test_browser_stage_audits_jobs_from_redis_and_hands_results_back(tmp_path, server):
    from crawler import a11y, siteserver
    from crawler.errors import AuditCannotRun
    from crawler.queue import facts
    from crawler.queue.browser import BrowserStage
    from crawler.queue.keys import RunKeys

    try:
        a11y.check_available()
    except AuditCannotRun as e:
        pytest.skip(str(e))
    (tmp_path / "a.html").write_text('<!DOCTYPE html><html lang="zh-Hant-TW"><title>甲</title><img src="x.png">',
                                     encoding="utf-8")
    (tmp_path / "b.html").write_text('<!DOCTYPE html><html lang="zh-Hant-TW"><title>乙</title><p>好</p>',
                                     encoding="utf-8")
    keys = RunKeys("b1")
    with siteserver.serve(tmp_path) as site:
        # what A11yJobPipeline enqueues on the process that fetched the pages
        from crawler.queue.reliable import ReliableQueue

        jobs = ReliableQueue(server, keys.a11y_base, keys.a11y_jobs, "fetcher")

        def audit_on(node: str, cache: Path) -> tuple[dict, dict]:
            server.delete(keys.facts)
            for page in ("a.html", "b.html", "a.html"):  # the third: a re-queued duplicate
                jobs.push(f'{{"url": "{site.url(page)}", "hash": "{page}-v1"}}'.encode())
            stage = BrowserStage(server, keys, node, tags=("wcag2a", "wcag2aa"), browsers=1, locale="zh_TW",
                                 cache_path=cache, heartbeat=0.2).start()
            end = time.monotonic() + 90
            while (jobs.waiting() or jobs.in_flight()) and time.monotonic() < end:
                time.sleep(0.1)
            stats = stage.close()
            got = [facts.decode(x) for x in server.lrange(keys.facts, 0, -1)]
            return {f["url"]: f["result"] for f in got if f["k"] == "axe"}, stats

        results, stats = audit_on("machine-1", tmp_path / "cache1.sqlite")
        assert set(results) == {site.url("a.html"), site.url("b.html")}
        assert "image-alt" in {v["id"] for v in results[site.url("a.html")]["violations"]}
        assert jobs.waiting() == 0 and jobs.in_flight() == 0 and stats["opened"] == 2
        # next month, the same pages unchanged, the jobs on another machine with
        # an empty cache of its own: answered from the shared cache, no browser
        again, stats2 = audit_on("machine-2", tmp_path / "cache2.sqlite")
    assert again == results and stats2["opened"] == 0 and stats2["cached"] == 2


# ---------------------------------------------------------------------------
# the document cache across machines

def test_a_304_is_answered_on_any_machine_and_never_asked_for_when_it_could_not_be(tmp_path, server):
    from crawler.doccache import DocumentCache
    from crawler.documents import DocumentFacts
    from crawler.queue.doccache import SharedDocumentCache

    url = "http://s/files/申請書.odt"
    reading = DocumentFacts(url=url, ext="odt", kind="odf", status="ok",
                            content_type="application/vnd.oasis.opendocument.text",
                            sha256="ab" * 32)
    # last month machine A read it (its own file only: Redis was flushed since)
    mine = DocumentCache(tmp_path / "a.sqlite")
    mine.store(url, '"v1"', "Tue, 05 Mar 2024 08:00:00 GMT", reading)
    a = SharedDocumentCache(server, mine)
    b = SharedDocumentCache(server, DocumentCache(tmp_path / "b.sqlite"))
    lonely = SharedDocumentCache(server, None)
    assert b.conditional_headers(url) == {}  # nobody has told Redis: B would not be able to answer a 304
    # A builds the request: its reading goes to Redis first, so whoever gets the 304 can answer it
    assert a.conditional_headers(url) == {"If-None-Match": '"v1"', "If-Modified-Since": "Tue, 05 Mar 2024 08:00:00 GMT"}
    assert b.conditional_headers(url) == a.conditional_headers(url)
    got = lonely.on_not_modified(url)
    assert got is not None and got.to_dict() == reading.to_dict()
    assert b.on_not_modified(url) is not None and b.local.on_not_modified(url) is not None  # kept on B too
    # the same bytes under another URL: found by content on another machine
    other = lonely.lookup_by_hash("ab" * 32, ext="odt", content_type=reading.content_type)
    assert other is not None and other.status == "ok"
    assert lonely.lookup_by_hash("cd" * 32, ext="odt", content_type=reading.content_type) is None
    # failures are never stored (as in the file)
    assert not b.store("http://s/x.pdf", "", "", DocumentFacts(url="http://s/x.pdf", ext="pdf", kind="pdf", status="failed"))
    assert b.conditional_headers("http://s/x.pdf") == {}


# ---------------------------------------------------------------------------
# a full Redis: writes are kept, in order, never dropped

def test_writes_refused_by_a_full_redis_are_kept_in_order_and_sent_later(server):
    from crawler.queue.outbox import Outbox

    server.config_set("maxmemory-policy", "noeviction")
    server.set("ballast", b"x" * 2_000_000)
    used = int(server.info("memory")["used_memory"])
    server.config_set("maxmemory", str(used + 1024))  # full: the next writes are refused (OOM)
    try:
        box = Outbox(server, soon=None)
        for i in range(3):
            def op(pipe: Any, i: int = i) -> None:
                pipe.rpush("facts", f"fact-{i}-" + "y" * 4096)

            box.run(op)
        assert len(box) == 3 and box.down_for() > 0  # refused, kept, and the node knows it
        assert server.llen("facts") == 0
    finally:
        server.config_set("maxmemory", "0")
        server.delete("ballast")
    assert box.flush() and len(box) == 0 and box.down_for() == 0
    assert [x.decode()[:6] for x in server.lrange("facts", 0, -1)] == ["fact-0", "fact-1", "fact-2"]
