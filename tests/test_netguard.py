"""Tests of crawler/netguard.py, the private-address guard (issue 11 must-have 11).

The classifier is tested with literal addresses only.  Real traffic goes to
127.0.0.1 only: a real Scrapy crawl (in a subprocess, one reactor each) shows
that the downloader middleware refuses blocked hosts before anything is
sent, that the resolver connects to the pinned address and refuses on its
own, and that the loopback server sees exactly the allowed requests.
"""
from __future__ import annotations

import http.server
import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from crawler.netguard import (
    NEVER,
    AddressClass,
    AddressPolicy,
    BlockedAddress,
    Decision,
    classify,
    embedded_ipv4,
    parse_ip,
)

ROOT = Path(__file__).resolve().parents[1]

CLASSES = [
    # IPv4
    ("8.8.8.8", "public"), ("168.95.1.1", "public"), ("172.32.0.1", "public"), ("100.128.0.1", "public"),
    ("127.0.0.1", "loopback"), ("127.255.255.254", "loopback"), ("127.0.0.2", "loopback"),
    ("10.0.0.1", "private"), ("10.255.255.255", "private"), ("172.16.0.1", "private"),
    ("172.31.255.255", "private"), ("192.168.0.1", "private"),
    ("169.254.169.254", "link-local"), ("169.254.0.1", "link-local"),
    ("100.64.0.1", "shared"), ("100.127.255.255", "shared"),
    ("0.0.0.0", "unspecified"), ("0.1.2.3", "unspecified"),
    ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"), ("255.255.255.255", "multicast"),
    ("192.0.2.1", "reserved"), ("198.51.100.7", "reserved"), ("203.0.113.9", "reserved"),
    ("198.18.0.1", "reserved"), ("240.0.0.1", "reserved"),
    ("100.100.100.200", "metadata"), ("192.0.0.192", "metadata"),
    # shorthand IPv4 that browsers and libc accept
    ("2130706433", "loopback"), ("0x7f.1", "loopback"), ("127.1", "loopback"), ("017700000001", "loopback"),
    ("0xa9fea9fe", "link-local"),
    # IPv6
    ("2001:4860:4860::8888", "public"), ("2606:4700::1111", "public"),
    ("::1", "loopback"), ("[::1]", "loopback"), ("::", "unspecified"),
    ("fe80::1", "link-local"), ("fe80::1%eth0", "link-local"), ("febf::1", "link-local"),
    ("fc00::1", "unique-local"), ("fd12:3456::1", "unique-local"), ("fec0::1", "private"),
    ("ff02::1", "multicast"), ("2001:db8::1", "reserved"), ("fd00:ec2::254", "metadata"),
    # IPv6 carrying an IPv4 address: judged by the IPv4 address
    ("::ffff:169.254.169.254", "link-local"), ("::ffff:a9fe:a9fe", "link-local"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"), ("::ffff:8.8.8.8", "public"),
    ("64:ff9b::169.254.169.254", "link-local"), ("64:ff9b::8.8.8.8", "public"),
    ("2002:a9fe:a9fe::1", "link-local"), ("2002:0808:0808::1", "public"), ("::169.254.169.254", "link-local"),
]


@pytest.mark.parametrize(("address", "expected"), CLASSES)
def test_classify_literal_addresses(address, expected):
    assert classify(address) == AddressClass(expected)


@pytest.mark.parametrize("text", ["example.gov.tw", "", "1.2.3.4.5", "256.1.1.1", "gov.tw.", "::g", "0x"])
def test_non_addresses(text):
    assert parse_ip(text) is None
    with pytest.raises(ValueError):
        classify(text)


def _ip(text):
    ip = parse_ip(text)
    assert ip is not None
    return ip


def test_embedded_ipv4():
    assert str(embedded_ipv4(_ip("::ffff:1.2.3.4"))) == "1.2.3.4"
    assert embedded_ipv4(_ip("1.2.3.4")) is None
    assert embedded_ipv4(_ip("::1")) is None and embedded_ipv4(_ip("::")) is None


def _table(mapping):
    """A resolver given as a table: the policy's DNS step with fixed answers."""
    def resolve(host):
        if host not in mapping:
            raise OSError("no such host")
        return mapping[host]
    return resolve


DNS = _table({
    "www.example.gov.tw": ["203.74.1.1"],
    "intra.example.gov.tw": ["10.1.2.3"],
    "metadata.evil": ["169.254.169.254"],
    "mapped.evil": ["::ffff:169.254.169.254"],
    "lan.evil": ["192.168.1.1"],
    "local.evil": ["127.0.0.1"],
    "mixed.example": ["10.9.9.9", "203.74.2.2"],
    "v6.example": ["2001:4860:4860::8888"],
    "ula.example": ["fd00::5"],
})


def test_public_site_reaches_public_hosts_only():
    policy = AddressPolicy.for_hosts(["www.example.gov.tw"], resolve=DNS)
    assert policy.in_scope_classes == frozenset()
    assert policy.decide("www.example.gov.tw") == Decision(True, "", "203.74.1.1")
    assert policy.decide("v6.example") == Decision(True, "", "2001:4860:4860::8888")
    for host in ("intra.example.gov.tw", "lan.evil", "local.evil", "ula.example", "metadata.evil",
                 "mapped.evil", "127.0.0.1", "169.254.169.254", "[fe80::1]", "0.0.0.0"):
        d = policy.decide(host)
        assert d.blocked and not d.allowed, host
        assert d.reason and d.ip
    assert "內部網路" in policy.decide("lan.evil").reason
    assert "allow_private" in policy.decide("lan.evil").reason
    assert "一律不連線" in policy.decide("metadata.evil").reason
    assert "lan.evil 解析為 192.168.1.1" in policy.decide("lan.evil").reason


def test_intranet_site_may_reach_its_own_class_but_never_link_local():
    policy = AddressPolicy.for_hosts(["intra.example.gov.tw"], resolve=DNS)
    assert policy.in_scope_classes == {AddressClass.PRIVATE}
    assert policy.decide("lan.evil").allowed
    assert policy.decide("10.0.0.1").allowed
    assert policy.decide("local.evil").blocked          # loopback is another class
    assert policy.decide("ula.example").blocked
    assert policy.decide("metadata.evil").blocked
    assert policy.decide("mapped.evil").blocked


def test_allow_private_opens_guarded_classes_but_never_link_local():
    policy = AddressPolicy.for_hosts(["www.example.gov.tw"], allow_private=True, resolve=DNS)
    for host in ("lan.evil", "local.evil", "ula.example", "100.64.1.1", "198.18.0.1"):
        assert policy.decide(host).allowed, host
    for host in ("metadata.evil", "mapped.evil", "169.254.169.254", "fe80::1", "0.0.0.0", "224.0.0.1",
                 "100.100.100.200", "fd00:ec2::254"):
        assert policy.decide(host).blocked, host


def test_link_local_scope_never_opens_link_local():
    policy = AddressPolicy.for_hosts(["metadata.evil"], resolve=DNS)
    assert not policy.in_scope_classes & NEVER
    assert policy.decide("metadata.evil").blocked
    assert AddressPolicy(["link-local"], allow_private=True).decide("169.254.1.1").blocked


def test_first_allowed_address_is_pinned():
    policy = AddressPolicy(resolve=DNS)
    assert policy.decide("mixed.example") == Decision(True, "", "203.74.2.2")


def test_resolved_once_then_pinned_against_rebinding():
    answers = iter([["203.74.1.1"], ["169.254.169.254"]])  # a rebinding DNS server
    calls = []

    def rebinding(host):
        calls.append(host)
        return next(answers)

    policy = AddressPolicy(resolve=rebinding)
    assert policy.decide("rebind.example") == Decision(True, "", "203.74.1.1")
    assert policy.decide("REBIND.example.") == Decision(True, "", "203.74.1.1")
    assert calls == ["rebind.example"]


def test_concurrent_first_lookups_resolve_once():
    calls = []
    gate = threading.Event()

    def slow(host):
        calls.append(host)
        gate.wait(2)
        return ["203.74.1.1"]

    policy = AddressPolicy(resolve=slow)
    out = []
    threads = [threading.Thread(target=lambda: out.append(policy.decide("slow.example"))) for _ in range(5)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join()
    assert calls == ["slow.example"] and len(set(out)) == 1


def test_dns_failure_is_not_a_block_and_not_kept():
    policy = AddressPolicy(resolve=DNS)
    d = policy.decide("nx.example")
    assert not d.allowed and not d.blocked and d.ip is None and "無法解析" in d.reason
    assert policy.cached("nx.example") is None
    assert policy.blocked_reason("nx.example") is None


def test_decide_url_and_blocked_reason():
    policy = AddressPolicy(resolve=DNS)
    assert policy.decide_url("http://[fe80::1]:8080/x").blocked
    assert policy.decide_url("https://www.example.gov.tw/a").allowed
    assert not policy.decide_url("mailto:x@example").allowed
    assert policy.blocked_reason("fe80::1")
    assert policy.blocked_reason("www.example.gov.tw") is None


def test_system_resolver_for_localhost():
    policy = AddressPolicy.for_hosts(["localhost"])
    assert AddressClass.LOOPBACK in policy.in_scope_classes
    assert policy.decide("localhost").allowed
    ip = policy.decide("localhost").ip
    assert ip is not None and classify(ip) == AddressClass.LOOPBACK


def test_policy_survives_scrapy_settings_copy():
    from scrapy.settings import Settings

    policy = AddressPolicy(["loopback"])
    settings = Settings({"NETGUARD_POLICY": policy})
    assert settings.copy().get("NETGUARD_POLICY") is policy  # one set of pinned answers per run
    assert settings.frozencopy().get("NETGUARD_POLICY") is policy


def test_blocked_address_is_an_ignore_request():
    from scrapy.exceptions import IgnoreRequest

    e = BlockedAddress("理由", "h", "10.0.0.1")
    assert isinstance(e, IgnoreRequest) and e.reason == "理由" and e.ip == "10.0.0.1"


# ---------------------------------------------------------------------------
# A real Scrapy crawl against 127.0.0.1

CRAWL = textwrap.dedent("""
    import json, sys
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.exceptions import CannotResolveHostError
    from twisted.internet.error import DNSLookupError
    from crawler.netguard import AddressPolicy, BlockedAddress

    port, classes, middleware = int(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3] == "1"
    policy = AddressPolicy(classes)
    out = {}

    class S(scrapy.Spider):
        name = "s"
        async def start(self):
            for url in (f"http://localhost:{port}/by-name", f"http://127.0.0.1:{port}/by-ip",
                        "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/",
                        f"http://0.0.0.0:{port}/zero", f"http://[::ffff:169.254.169.254]/"):
                yield scrapy.Request(url, callback=self.ok, errback=self.bad, dont_filter=True)
        def ok(self, response):
            out[response.url] = ["ok", response.status, response.text]
        def bad(self, failure):
            url = failure.request.url
            if failure.check(BlockedAddress):
                out[url] = ["blocked", failure.value.reason]
            elif failure.check(DNSLookupError, CannotResolveHostError):
                from urllib.parse import urlsplit
                host = urlsplit(url).hostname
                out[url] = ["dns", policy.blocked_reason(host)]
            else:
                out[url] = ["error", repr(failure.value)]

    settings = {
        "NETGUARD_POLICY": policy, "TWISTED_DNS_RESOLVER": "crawler.netguard.GuardedResolver",
        "RETRY_ENABLED": False, "LOG_LEVEL": "ERROR", "ROBOTSTXT_OBEY": False, "DOWNLOAD_TIMEOUT": 10,
        "TELNETCONSOLE_ENABLED": False,
    }
    if middleware:
        settings["DOWNLOADER_MIDDLEWARES"] = {"crawler.netguard.AddressGuardMiddleware": 50}
    p = CrawlerProcess(settings)
    p.crawl(S)
    p.start()
    print(json.dumps(out))
""")


@pytest.fixture()
def loopback_server():
    seen = []

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append((self.headers.get("Host"), self.path))
            body = f"{self.server.server_address[0]!s} {self.path}".encode()  # type: ignore[index]
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_port, seen
    srv.shutdown()
    srv.server_close()


def _crawl(port, classes, middleware):
    proc = subprocess.run([sys.executable, "-c", CRAWL, str(port), json.dumps(classes), "1" if middleware else "0"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


NEVER_URLS = ("http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://[::ffff:169.254.169.254]/")


def test_scrapy_crawl_of_a_loopback_site(loopback_server):
    """The site itself is on loopback: loopback is in scope, link-local never."""
    port, seen = loopback_server
    out = _crawl(port, ["loopback"], middleware=True)
    assert out[f"http://localhost:{port}/by-name"] == ["ok", 200, "127.0.0.1 /by-name"]  # pinned IPv4
    assert out[f"http://127.0.0.1:{port}/by-ip"][:2] == ["ok", 200]
    for url in (*NEVER_URLS, f"http://0.0.0.0:{port}/zero"):
        kind, reason = out[url]
        assert kind == "blocked" and "一律不連線" in reason, url
    assert sorted(path for _, path in seen) == ["/by-ip", "/by-name"]


def test_scrapy_crawl_of_a_public_site_never_touches_loopback(loopback_server):
    port, seen = loopback_server
    out = _crawl(port, [], middleware=True)
    assert out[f"http://localhost:{port}/by-name"][0] == "blocked"
    assert "本機位址" in out[f"http://localhost:{port}/by-name"][1]
    assert out[f"http://127.0.0.1:{port}/by-ip"][0] == "blocked"
    assert all(out[u][0] == "blocked" for u in NEVER_URLS)
    assert seen == []


def test_scrapy_resolver_alone_refuses_blocked_names(loopback_server):
    """Without the middleware the resolver still refuses: the fetch fails as a
    DNS error, and the policy says it was a block."""
    port, seen = loopback_server
    out = _crawl(port, [], middleware=False)
    kind, reason = out[f"http://localhost:{port}/by-name"]
    assert kind == "dns" and "本機位址" in reason
    # IP literals go through the resolver too
    assert out[f"http://127.0.0.1:{port}/by-ip"][0] == "dns"
    for url in NEVER_URLS:
        kind, reason = out[url]
        assert kind == "dns" and "一律不連線" in reason, url
    assert seen == []
