"""Connecting to the run's Redis, and the start-up check (SPEC "Exit codes").

`check_redis(url)` is what `crawl --queue` and `siteaudit worker` call first:
it returns a connected client or raises `QueueUnavailable` whose message is
one Traditional Chinese line naming the server (never its password) and how
to fix it.  URLs are redis-py's: `redis://[:password@]host:port/db`,
`rediss://…` for TLS, `unix:///path.sock?db=0`, and `redis://user:pass@…` for
an ACL user.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from crawler.queue.errors import QueueUnavailable

# The least a siteaudit Redis user needs (docs/scale-out.md, "Securing Redis";
# tests/test_queue_parts.py runs the queue under exactly this user):
# its own keys, plain reads/writes, MULTI, Lua; no FLUSHALL, CONFIG, KEYS…
ACL_RULES = ("~siteaudit:* resetchannels -@all +@connection +@read +@write +@transaction +@scripting"
             " -@dangerous +info +time")

# Short connect timeout: a wrong address should fail the start in seconds.
# The socket timeout bounds one command; the longest is a small Lua script.
CONNECT_TIMEOUT = 5.0
SOCKET_TIMEOUT = 10.0


def redacted(url: str) -> str:
    """The URL as people may read it: the password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    netloc = f"{user}:***@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def connect(url: str, **kwargs: Any):
    """A redis-py client for `url` (bytes in, bytes out; thread-safe pool)."""
    import redis

    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise QueueUnavailable(f"--queue 應為 redis://主機:埠/資料庫編號（或 rediss://、unix://），"
                               f"收到 {redacted(url)}")
    opts: dict[str, Any] = {"socket_connect_timeout": CONNECT_TIMEOUT, "socket_timeout": SOCKET_TIMEOUT,
                            "health_check_interval": 30}
    opts.update(kwargs)
    return redis.Redis.from_url(url, **opts)


def unavailable_message(url: str, error: BaseException, worker: bool = False) -> str:
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    tail = "" if worker else "，或不加 --queue 以單機執行"
    return (f"無法連線到佇列伺服器 {redacted(url)}（{reason}）：請確認 Redis 已啟動、"
            f"位址、密碼與 TLS 設定正確{tail}")


def check_redis(url: str, worker: bool = False):
    """Connect and PING; `QueueUnavailable` (exit 3, one Chinese line) if that fails."""
    import redis

    client = connect(url)
    try:
        client.ping()
        version = client.info("server").get("redis_version", "0")
    except (redis.RedisError, OSError) as e:
        raise QueueUnavailable(unavailable_message(url, e, worker)) from None
    if int(str(version).split(".")[0]) < 5:
        # Lua scripts read the server clock (TIME), allowed from Redis 5 on.
        raise QueueUnavailable(f"佇列伺服器 {redacted(url)} 的 Redis 版本 {version} 過舊：需要 5.0 以上")
    return client
