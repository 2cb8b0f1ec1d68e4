"""URLs as a crawler and a reader of the report need them.

SPEC "Finding" rows `link.malformed` and "Honest runs"; issue 10/11: one bad
href must never take its page with it.  `resolve()` turns an href into one of
three things and never raises:

* a `WebUrl` (absolute http(s) URL without fragment, plus the fragment):
  something to fetch;
* a `Malformed` (the href as written and a Chinese reason): no visitor can
  use it — a mistyped scheme (`javscript:`, `hjavascript:`, `htttp:`), a host
  or port that does not parse (`http://javascript:;`, `http://h:80x/`,
  `http://[::1/`, port > 65535), spaces or control characters in the host,
  or a scheme that only works on the author's machine (`file:`, `ftp:`);
* `None`: nothing to check (`#`, `mailto:`, `tel:`, `javascript:`, `data:`,
  app schemes such as `line:` or `webcal:`).

Only http and https are ever fetched (issue 11): nothing else becomes a
`WebUrl`.  `display_url()` is how people read a URL: percent-decoded where
the bytes are UTF-8 (SPEC "Honest runs"); `detail.target` keeps the URL as
fetched.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from w3lib.url import safe_url_string


class WebUrl(NamedTuple):
    url: str  # absolute, fragment removed: the thing fetched
    fragment: str


class Malformed(NamedTuple):
    raw: str  # the href as written (trimmed, at most 300 characters)
    reason: str  # zh-TW


# Schemes that are links but not fetched (SPEC: mailto:, tel:, javascript:,
# data:) and the app schemes government pages use for sharing and calendars.
NOT_FETCHED_SCHEMES = frozenset({
    "mailto", "tel", "javascript", "data", "sms", "fax", "about", "blob", "callto", "skype",
    "webcal", "geo", "line", "whatsapp", "intent", "market", "itms-apps", "itms-services",
    "maps", "comgooglemaps", "fb", "fb-messenger", "viber", "weixin", "magnet", "irc", "news",
})
# Schemes that only work on the author's own machine or that browsers no
# longer open: a visitor cannot use them.
UNUSABLE_SCHEMES = frozenset({"file", "ftp", "ftps", "smb", "gopher", "nfs", "afp"})
_WEB = ("http", "https")
# What a mistyped scheme is usually a mistyping of.
_INTENDED = ("http", "https", "javascript", "mailto")

REASON_SCHEME = "網址協定拼錯（{scheme}:），瀏覽器無法開啟"
REASON_UNUSABLE = "這種連結在網站上無法使用（{scheme}: 只能在作者自己的電腦上開啟，或瀏覽器已不支援）"
REASON_HOST = "主機名稱或連接埠無法解析（{host}）"
REASON_NO_HOST = "網址沒有主機名稱"
REASON_SPACE = "主機名稱含有空白或控制字元"

_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
# http//www.example.gov.tw or https//…: the colon was forgotten.
_MISSING_COLON = re.compile(r"^(https?)//", re.I)


def _edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Damerau–Levenshtein distance, cut off at `limit` (schemes are short)."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    prev2: list[int] | None = None
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if prev2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return min(prev[-1], limit)


def _mistyped(scheme: str) -> bool:
    """javscript, hjavascript, htttp, htps, mailt0 … but not line, webcal, skype."""
    if scheme in _INTENDED:
        return False
    for intended in _INTENDED:
        if intended in scheme and scheme != intended:
            return True  # hjavascript, xhttp, javascriptt
        if _edit_distance(scheme, intended) <= (1 if len(intended) <= 5 else 2):
            return True
    return False


def classify_scheme(raw: str) -> str | None:
    """The href's scheme in lower case, or None for a relative reference."""
    m = _SCHEME_RE.match(raw)
    return m.group(1).lower() if m else None


def resolve(raw: str, base: str) -> WebUrl | Malformed | None:
    """What an href on a page at `base` points at (see the module docstring).

    Pages of a government site repeat one large menu, so the work is cached
    by what resolution depends on: the origin for `/path` links, the
    directory for relative ones.
    """
    raw = raw.strip()
    if raw.startswith(("http://", "https://")):
        return _resolve(raw, "")
    if raw.startswith("/") and not raw.startswith("//"):
        cut = base.find("/", base.find("//") + 2) if "//" in base else -1
        return _resolve(raw, base[:cut] if cut > 0 else base)
    if raw and raw[0] not in "?#;" and "?" not in base and base.count("/") >= 3:
        return _resolve(raw, base[: base.rfind("/") + 1])
    return _resolve(raw, base)


@lru_cache(maxsize=100_000)
def _resolve(raw: str, base: str) -> WebUrl | Malformed | None:
    if not raw or raw == "#":
        return None
    shown = raw[:300]
    missing_colon = _MISSING_COLON.match(raw)
    if missing_colon:
        return Malformed(shown, REASON_SCHEME.format(scheme=missing_colon.group(1).lower() + "//"))
    scheme = classify_scheme(raw)
    if scheme is not None and scheme not in _WEB:
        if scheme in NOT_FETCHED_SCHEMES:
            return None
        if scheme in UNUSABLE_SCHEMES:
            return Malformed(shown, REASON_UNUSABLE.format(scheme=scheme))
        if _mistyped(scheme):
            return Malformed(shown, REASON_SCHEME.format(scheme=scheme))
        # A scheme we do not know and that resembles none we do: an app link
        # of some kind.  Not fetched, not judged (no false alarm).
        return None
    try:
        absolute = urljoin(base, raw) if base else raw
        parts = urlsplit(absolute)
        if parts.scheme not in _WEB:
            # A relative href on a page that is not on the web (cannot happen
            # for crawled pages; local files in `check` get an http base).
            return None
        host = parts.netloc.rpartition("@")[2]
        if not host:
            return Malformed(shown, REASON_NO_HOST)
        if _CONTROL.search(unquote(host)):
            return Malformed(shown, REASON_SPACE)
        parts.port  # noqa: B018 - raises ValueError for "80x", ":;" or > 65535
        hostname = parts.hostname
        if not hostname or hostname.startswith(".") or ".." in hostname:
            return Malformed(shown, REASON_HOST.format(host=host))
        path, query = strip_session_ids(parts.path or "/", parts.query)
        url = safe_url_string(urlunsplit((parts.scheme, parts.netloc.lower(), path, query, "")))
    except ValueError:
        return Malformed(shown, REASON_HOST.format(host=_host_text(raw)))
    return WebUrl(url, parts.fragment)


def _host_text(raw: str) -> str:
    after = raw.split("//", 1)[1] if "//" in raw else raw
    return after.split("/", 1)[0][:80]


def normalize_url(raw: str, base: str) -> tuple[str, str] | None:
    """(absolute URL, fragment) of a fetchable href, else None (compatibility helper)."""
    hit = resolve(raw, base)
    return (hit.url, hit.fragment) if isinstance(hit, WebUrl) else None


# Session ids make every visit a new URL space (a crawler trap); the same page
# with another id is the same page.  `sid` alone is too common a name for
# other things, so it only counts when the value looks like a token.
_SESSION_PATH_RE = re.compile(r";(?:jsessionid|phpsessid|sessionid|sid)=[^/?#;]*", re.I)
_SESSION_PARAMS = {"jsessionid", "phpsessid", "sessionid", "session_id", "cfid", "cftoken", "aspsessionid"}
_TOKEN_RE = re.compile(r"^[0-9A-Za-z_-]{16,}$")


def strip_session_ids(path: str, query: str) -> tuple[str, str]:
    path = _SESSION_PATH_RE.sub("", path)
    if query:
        kept = []
        for pair in query.split("&"):
            name, _, value = pair.partition("=")
            lname = name.lower()
            if lname in _SESSION_PARAMS or lname.startswith("aspsessionid"):
                continue
            if lname in ("sid", "s") and _TOKEN_RE.match(value):
                continue
            kept.append(pair)
        query = "&".join(kept)
    return path, query


@lru_cache(maxsize=50_000)
def display_url(url: str) -> str:
    """A URL as people read it: /書表下載/申請書.odt, not /%E6%9B%B8….

    Only percent-escapes that decode to UTF-8 text are decoded, and never
    into characters that would change what the URL means when copied back
    (space, %, ?, #, /, & and controls stay escaped).  Non-UTF-8 bytes (old
    Big5 links) stay as they were.
    """
    if "%" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url

    def dec(text: str, keep: str) -> str:
        def one(m: re.Match[str]) -> str:
            chunk = m.group(0)
            try:
                decoded = bytes.fromhex(chunk.replace("%", "")).decode("utf-8")
            except (UnicodeDecodeError, ValueError):
                return chunk
            if any(c in keep or c <= " " or c == "\x7f" for c in decoded):
                return chunk
            return decoded

        return re.sub(r"(?:%[0-9A-Fa-f]{2})+", one, text)

    path = dec(parts.path, "%/?#")
    query = dec(parts.query, "%&=#+")
    frag = dec(parts.fragment, "%")
    return urlunsplit((parts.scheme, parts.netloc, path, query, frag))
