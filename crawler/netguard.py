"""Private-address guard: which network addresses the audit may connect to.

SPEC "Honest runs" (the browser never loads from link-local or private
addresses unless in scope), `[links] allow_private`, rule `link.unreachable`
with status `blocked`; issue 11 must-have 11.

An audited page names hosts; the audit machine must not become a probe of the
network it sits in.  So every connection the audit makes -- Scrapy's page and
link fetches, the browser's subresources, the accessibility cache's
revalidation GETs -- goes through one `AddressPolicy`:

- link-local (169.254.0.0/16, fe80::/10: cloud metadata services), the
  unspecified and multicast/broadcast ranges and the known cloud metadata
  endpoints are never reached;
- loopback, private (10/8, 172.16/12, 192.168/16), unique-local (fc00::/7),
  shared CGNAT (100.64/10) and reserved ranges only when an in-scope host
  itself resolves into that class (a test, staging or intranet site) or with
  `[links] allow_private = true`;
- public addresses always.

Resolve first, then decide, then connect to the address that was decided on
(DNS rebinding cannot cross the guard): `AddressPolicy.decide(host)` resolves
once per host and run and pins the answer; Scrapy connects through
`GuardedResolver` (which answers with the pinned address only), the browser
through Chromium's `--host-resolver-rules` built from the same decisions
(crawler/a11y.py).

The classifier (`classify`) is pure; only `AddressPolicy` resolves names.

Wiring for the crawl (crawler/settings.py)::

    policy = AddressPolicy.for_hosts(config.allowed_hosts, allow_private=config.links.allow_private)
    settings["NETGUARD_POLICY"] = policy           # shared, never copied (see __deepcopy__)
    settings["TWISTED_DNS_RESOLVER"] = "crawler.netguard.GuardedResolver"
    settings["DOWNLOADER_MIDDLEWARES"]["crawler.netguard.AddressGuardMiddleware"] = 50

and in an errback: ``if failure.check(BlockedAddress): status = "blocked";
reason = failure.value.reason``.  `GuardedResolver` is the last line (Scrapy
sends IP literals through it too): should a request reach it for a blocked
host anyway, the fetch fails as a DNS error (Scrapy 2.19 raises
`scrapy.exceptions.CannotResolveHostError`, older ones Twisted's
`DNSLookupError`), and `policy.blocked_reason(host)` tells a block from a real
DNS failure.  The resolver pins only for Scrapy's Twisted HTTP/1.1 handler
(the default); the optional httpx/aiohttp handlers resolve on their own, so
with them only the middleware guards.
"""
from __future__ import annotations

import ipaddress
import re
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import HostResolution
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer, threads
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IHostnameResolver
from zope.interface import implementer

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_SHORT_V4 = re.compile(r"(?:0x[0-9a-f]+|[0-9]+)(?:\.(?:0x[0-9a-f]+|[0-9]+)){0,3}", re.IGNORECASE)


class AddressClass(StrEnum):
    PUBLIC = "public"
    LOOPBACK = "loopback"            # 127/8, ::1
    PRIVATE = "private"              # 10/8, 172.16/12, 192.168/16, fec0::/10 (old site-local)
    UNIQUE_LOCAL = "unique-local"    # fc00::/7
    SHARED = "shared"                # 100.64/10, carrier-grade NAT
    RESERVED = "reserved"            # documentation, benchmarking (198.18/15), 240/4, other special use
    LINK_LOCAL = "link-local"        # 169.254/16, fe80::/10
    UNSPECIFIED = "unspecified"      # 0.0.0.0/8, :: (0.0.0.0 reaches this machine on Linux)
    MULTICAST = "multicast"          # 224/4, ff00::/8, 255.255.255.255
    METADATA = "metadata"            # cloud metadata endpoints outside link-local


# Never reached, whatever the scope or allow_private says.
NEVER = frozenset({AddressClass.LINK_LOCAL, AddressClass.UNSPECIFIED, AddressClass.MULTICAST,
                   AddressClass.METADATA})
# Reached only when an in-scope host is in the class, or with allow_private.
GUARDED = frozenset({AddressClass.LOOPBACK, AddressClass.PRIVATE, AddressClass.UNIQUE_LOCAL,
                     AddressClass.SHARED, AddressClass.RESERVED})

# Metadata services that do not sit in link-local space: Alibaba Cloud (in
# the CGNAT range, which allow_private would otherwise open), AWS's IPv6
# endpoint (unique-local) and Oracle Cloud's 192.0.0.192.
_METADATA = frozenset(ipaddress.ip_address(a) for a in ("100.100.100.200", "fd00:ec2::254", "192.0.0.192"))

_NET = ipaddress.ip_network
_V4 = (
    (_NET("0.0.0.0/8"), AddressClass.UNSPECIFIED),
    (_NET("127.0.0.0/8"), AddressClass.LOOPBACK),
    (_NET("169.254.0.0/16"), AddressClass.LINK_LOCAL),
    (_NET("10.0.0.0/8"), AddressClass.PRIVATE),
    (_NET("172.16.0.0/12"), AddressClass.PRIVATE),
    (_NET("192.168.0.0/16"), AddressClass.PRIVATE),
    (_NET("100.64.0.0/10"), AddressClass.SHARED),
    (_NET("224.0.0.0/4"), AddressClass.MULTICAST),
    (_NET("255.255.255.255/32"), AddressClass.MULTICAST),
)
_V6 = (
    (_NET("::/128"), AddressClass.UNSPECIFIED),
    (_NET("::1/128"), AddressClass.LOOPBACK),
    (_NET("fe80::/10"), AddressClass.LINK_LOCAL),
    (_NET("fc00::/7"), AddressClass.UNIQUE_LOCAL),
    (_NET("fec0::/10"), AddressClass.PRIVATE),
    (_NET("ff00::/8"), AddressClass.MULTICAST),
)
# IPv6 forms that carry an IPv4 address the packets end up at: NAT64 (RFC
# 6052 well-known and RFC 8215 local-use prefixes) and the deprecated
# IPv4-compatible ::a.b.c.d.  IPv4-mapped (::ffff:a.b.c.d) and 6to4 (2002::/16)
# are read by the ipaddress module itself.
_NAT64 = (_NET("64:ff9b::/96"), _NET("64:ff9b:1::/48"))
_V4_COMPATIBLE = _NET("::/96")


def parse_ip(text: str) -> IPAddress | None:
    """An IP address from a URL host or resolver answer ("[::1]", "fe80::1%eth0" too); None if not one."""
    text = text.strip().strip("[]")
    if "%" in text:  # zone index: the address is what matters
        text = text.split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    # Shorthand IPv4 forms that browsers (WHATWG URL) and libc both accept:
    # 2130706433, 0x7f.1, 017700000001, 127.1.
    if not _SHORT_V4.fullmatch(text):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError:
        return None


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address leads to (mapped, 6to4, NAT64, compatible), if any."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in net for net in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _V4_COMPATIBLE and int(ip) > 1:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def classify(address: str | IPAddress) -> AddressClass:
    """The class of one literal address.  Raises ValueError for a non-address."""
    ip = parse_ip(address) if isinstance(address, str) else address
    if ip is None:
        raise ValueError(f"not an IP address: {address!r}")
    inner = embedded_ipv4(ip)
    if inner is not None:
        return classify(inner)
    if ip in _METADATA:
        return AddressClass.METADATA
    for net, cls in (_V4 if ip.version == 4 else _V6):
        if ip in net:
            return cls
    return AddressClass.PUBLIC if ip.is_global else AddressClass.RESERVED


_CLASS_ZH = {
    AddressClass.LOOPBACK: "本機位址",
    AddressClass.PRIVATE: "內部網路位址",
    AddressClass.UNIQUE_LOCAL: "內部網路位址（IPv6 唯一本地）",
    AddressClass.SHARED: "電信業者共用位址",
    AddressClass.RESERVED: "保留位址",
    AddressClass.LINK_LOCAL: "鏈路本地位址（雲端主機中繼資料服務所在）",
    AddressClass.UNSPECIFIED: "未指定位址（0.0.0.0，等同本機）",
    AddressClass.MULTICAST: "群播或廣播位址",
    AddressClass.METADATA: "雲端主機中繼資料服務位址",
}


class Decision(NamedTuple):
    """The answer for one host: `allowed`, a Chinese `reason` when not, and
    the address to connect to (`ip`: pinned; None when the name did not
    resolve, which is no block but an ordinary DNS failure)."""

    allowed: bool
    reason: str
    ip: str | None

    @property
    def blocked(self) -> bool:
        """Refused by the policy (as opposed to: the name does not resolve)."""
        return not self.allowed and self.ip is not None


Resolver = Callable[[str], Sequence[str]]


def system_resolve(host: str) -> list[str]:
    """Addresses of `host` in the order the system prefers (getaddrinfo, both families)."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM, flags=socket.AI_ADDRCONFIG)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def normalize_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


class AddressPolicy:
    """Decides, per host, whether the audit may connect, and to which address.

    `in_scope_classes`: the guarded classes the in-scope hosts resolve into
    (`for_hosts` finds them); `allow_private`: `[links] allow_private`.
    Thread-safe.  Each host is resolved once per policy (so once per run) and
    the decision kept: every later connection goes to that same address.
    Failed lookups are not kept (a DNS hiccup must not block a host for the
    rest of the run).
    """

    def __init__(self, in_scope_classes: Iterable[str] = (), allow_private: bool = False,
                 resolve: Resolver = system_resolve):
        self.in_scope_classes = frozenset(AddressClass(c) for c in in_scope_classes) - NEVER
        self.allow_private = bool(allow_private)
        self._resolve = resolve
        self._decisions: dict[str, Decision] = {}
        self._lock = threading.Lock()
        self._host_locks: dict[str, threading.Lock] = {}

    @classmethod
    def for_hosts(cls, hosts: Iterable[str], allow_private: bool = False,
                  resolve: Resolver = system_resolve) -> AddressPolicy:
        """The policy for a site whose in-scope hosts are `hosts`: the guarded
        classes they resolve into are allowed (a site on 10.x may link to
        10.x).  Hosts that do not resolve add nothing."""
        classes: set[AddressClass] = set()
        for host in hosts:
            host = normalize_host(host)
            if not host:
                continue
            for addr in _addresses(host, resolve):
                try:
                    c = classify(addr)
                except ValueError:
                    continue
                if c in GUARDED:
                    classes.add(c)
        return cls(classes, allow_private, resolve)

    def extend_scope(self, hosts: Iterable[str]) -> None:
        """Add the classes `hosts` resolve into to the in-scope ones (before any
        decision: `scrapy crawl site -a url=…` knows its site only once the
        spider exists, after the resolver was built)."""
        wider = AddressPolicy.for_hosts(hosts, self.allow_private, self._resolve)
        with self._lock:
            self.in_scope_classes = self.in_scope_classes | wider.in_scope_classes
            self._decisions.clear()

    # A policy is a service holding the run's pinned answers: Scrapy deep-copies
    # settings for each crawler, and a copy would resolve hosts a second time.
    def __deepcopy__(self, memo: dict) -> AddressPolicy:
        return self

    def __copy__(self) -> AddressPolicy:
        return self

    def __repr__(self) -> str:
        return (f"AddressPolicy(in_scope_classes={sorted(self.in_scope_classes)!r}, "
                f"allow_private={self.allow_private})")

    def allows_class(self, c: AddressClass) -> bool:
        if c in NEVER:
            return False
        if c in GUARDED:
            return self.allow_private or c in self.in_scope_classes
        return True

    def judge(self, host: str, addresses: Sequence[str]) -> Decision:
        """Decide on given addresses (pure): the first allowed one is pinned."""
        first_refused: tuple[str, AddressClass] | None = None
        for addr in addresses:
            try:
                c = classify(addr)
            except ValueError:
                continue
            if self.allows_class(c):
                return Decision(True, "", str(parse_ip(addr)))
            if first_refused is None:
                first_refused = (addr, c)
        if first_refused is None:
            return Decision(False, f"無法解析主機名稱 {host}", None)
        addr, c = first_refused
        if c in NEVER:
            why = "一律不連線"
        else:
            why = "受檢網站本身不在這類位址上，也未設定 [links] allow_private = true，因此不連線"
        shown = addr if host == addr else f"{host} 解析為 {addr}"
        return Decision(False, f"{shown}，是{_CLASS_ZH[c]}，{why}", addr)

    def cached(self, host: str) -> Decision | None:
        with self._lock:
            return self._decisions.get(normalize_host(host))

    def decide(self, host: str) -> Decision:
        """Resolve (once per run) and decide.  May block on DNS: call it from a
        worker thread (Twisted: `deferToThread`, or `decide_deferred`)."""
        host = normalize_host(host)
        with self._lock:
            got = self._decisions.get(host)
            if got is not None:
                return got
            lock = self._host_locks.setdefault(host, threading.Lock())
        with lock:  # one resolution per host even when asked concurrently
            with self._lock:
                got = self._decisions.get(host)
            if got is not None:
                return got
            decision = self.judge(host, _addresses(host, self._resolve))
            if decision.ip is not None:
                with self._lock:
                    self._decisions[host] = decision
            return decision

    def decide_url(self, url: str) -> Decision:
        host = urlsplit(url).hostname or ""
        return self.decide(host) if host else Decision(False, "網址沒有主機名稱", None)

    def blocked_reason(self, host: str) -> str | None:
        """Why `host` was refused, if it was (for mapping a DNSLookupError
        from `GuardedResolver` to status `blocked`)."""
        d = self.cached(host)
        return d.reason if d is not None and d.blocked else None

    def decide_deferred(self, host: str) -> Any:
        """`decide` for Twisted code: a Deferred firing with the Decision
        (no thread hop once the host is decided)."""
        got = self.cached(host)
        if got is not None:
            return defer.succeed(got)
        return threads.deferToThread(self.decide, host)


def _addresses(host: str, resolve: Resolver) -> list[str]:
    literal = parse_ip(host)
    if literal is not None:
        return [str(literal)]
    try:
        return list(resolve(host))
    except (OSError, UnicodeError, ValueError):
        return []


# --------------------------------------------------------------------------
# Scrapy

class BlockedAddress(IgnoreRequest):
    """A request refused by the address policy.  `reason` is for people
    (Chinese), `host` and `ip` for the record.  An IgnoreRequest, so Scrapy
    neither retries nor logs it as an error; the request's errback gets it."""

    def __init__(self, reason: str, host: str = "", ip: str | None = None):
        super().__init__(reason)
        self.reason, self.host, self.ip = reason, host, ip


_PROCESS_POLICY: AddressPolicy | None = None


def policy_from_settings(settings: Any) -> AddressPolicy:
    """`NETGUARD_POLICY` (an AddressPolicy) if set, else this process's default
    policy, built once from `NETGUARD_IN_SCOPE_CLASSES` and
    `NETGUARD_ALLOW_PRIVATE` (the resolver and the middleware then share it,
    and the spider widens it with its site: `extend_scope`)."""
    global _PROCESS_POLICY
    policy = settings.get("NETGUARD_POLICY")
    if isinstance(policy, AddressPolicy):
        return policy
    if _PROCESS_POLICY is None:
        _PROCESS_POLICY = AddressPolicy(settings.getlist("NETGUARD_IN_SCOPE_CLASSES"),
                                        settings.getbool("NETGUARD_ALLOW_PRIVATE"))
    return _PROCESS_POLICY


class AddressGuardMiddleware:
    """Downloader middleware: refuses a request whose host the policy blocks,
    before anything is sent, with `BlockedAddress`.  Decides in a thread the
    first time a host is met (the decision is pinned for the resolver)."""

    def __init__(self, policy: AddressPolicy):
        self.policy = policy

    @classmethod
    def from_crawler(cls, crawler: Any) -> AddressGuardMiddleware:
        return cls(policy_from_settings(crawler.settings))

    async def process_request(self, request: Any, spider: Any = None) -> None:
        host = urlsplit(request.url).hostname
        if not host:
            return None
        decision: Decision | None = self.policy.cached(host)
        if decision is None:
            decision = await maybe_deferred_to_future(self.policy.decide_deferred(host))
        assert decision is not None
        if decision.blocked:
            raise BlockedAddress(decision.reason, host, decision.ip)
        return None


@implementer(IHostnameResolver)
class GuardedResolver:
    """Scrapy's `TWISTED_DNS_RESOLVER`: resolves through the address policy
    and answers only with the pinned, allowed address.  A blocked host gets
    no address, so the fetch fails (Twisted's DNSLookupError);
    `policy.blocked_reason(host)` tells it from a real DNS failure."""

    def __init__(self, reactor: Any, policy: AddressPolicy):
        self.reactor = reactor
        self.policy = policy

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> GuardedResolver:
        return cls(reactor, policy_from_settings(crawler.settings))

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def resolveHostName(self, resolutionReceiver: Any, hostName: str, portNumber: int = 0,  # noqa: N802
                        addressTypes: Sequence[type] | None = None, transportSemantics: str = "TCP") -> Any:
        resolution = HostResolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)

        def answer(decision: Decision) -> None:
            if decision.allowed and decision.ip:
                ip = parse_ip(decision.ip)
                kind = IPv6Address if isinstance(ip, ipaddress.IPv6Address) else IPv4Address
                if addressTypes is None or kind in addressTypes:
                    resolutionReceiver.addressResolved(kind("TCP", decision.ip, portNumber))
            resolutionReceiver.resolutionComplete()

        def failed(_failure: Any) -> None:
            resolutionReceiver.resolutionComplete()

        got = self.policy.cached(hostName)
        if got is not None:
            answer(got)
        else:
            d = threads.deferToThreadPool(self.reactor, self.reactor.getThreadPool(), self.policy.decide, hostName)
            d.addCallbacks(answer, failed)
        return resolution
