"""Requests in Redis as tagged JSON: the scrapy-redis serializer interface
(`loads`, `dumps`), set by `queue_settings` as SCHEDULER_SERIALIZER (SPEC
"crawl --queue": the frontier in Redis).

Why not scrapy-redis's default (pickle): a frontier entry is read by every
worker, and unpickling data from a network service runs whatever code the
data names — anyone who can write to Redis would own every crawler machine.
JSON cannot do that.  Scrapy's request dicts hold bytes (headers, body) and
the spider's meta holds tuples (the trap key), which JSON lacks, so those are
tagged: bytes -> {"$b": base64}, tuple -> {"$t": [...]}, set -> {"$s": [...]},
and a dict that has non-string keys or a key starting with "$" -> {"$d":
[[k, v], ...]}.  Anything else (an object in meta) is an error at push time,
not a surprise on another machine.
"""
from __future__ import annotations

import base64
import json
from typing import Any


def _enc(v: Any) -> Any:
    if v is None or isinstance(v, (str, bool, int, float)):
        return v
    if isinstance(v, (bytes, bytearray)):
        return {"$b": base64.b64encode(bytes(v)).decode("ascii")}
    if isinstance(v, tuple):
        return {"$t": [_enc(x) for x in v]}
    if isinstance(v, list):
        return [_enc(x) for x in v]
    if isinstance(v, (set, frozenset)):
        return {"$s": [_enc(x) for x in sorted(v, key=repr)]}
    if isinstance(v, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in v):
            return {k: _enc(x) for k, x in v.items()}
        return {"$d": [[_enc(k), _enc(x)] for k, x in v.items()]}
    raise TypeError(f"cannot put a {type(v).__name__} in the Redis frontier: {v!r:.80}")


def _dec(v: Any) -> Any:
    if isinstance(v, list):
        return [_dec(x) for x in v]
    if isinstance(v, dict):
        if len(v) == 1:
            (tag, x), = v.items()
            if tag == "$b":
                return base64.b64decode(x)
            if tag == "$t":
                return tuple(_dec(y) for y in x)
            if tag == "$s":
                return {_dec(y) for y in x}
            if tag == "$d":
                return {_hashable(_dec(k)): _dec(y) for k, y in x}
        return {k: _dec(x) for k, x in v.items()}
    return v


def _hashable(v: Any) -> Any:
    return tuple(_hashable(x) for x in v) if isinstance(v, list) else v


def dumps(obj: Any) -> bytes:
    return json.dumps(_enc(obj), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(data: bytes | str) -> Any:
    return _dec(json.loads(data))
