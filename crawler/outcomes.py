"""One place that turns what Scrapy/Twisted saw into a typed link outcome.

SPEC rule table, `link.broken` `status` values: the HTTP status, or dns,
refused, timeout, redirect-loop, tls, too-many-redirects.  `link.unreachable`
is for failures that may be temporary (5xx, 429, timeouts) after retries.
"""
from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from twisted.internet import error as txerror
from twisted.python.failure import Failure

from checks.model import FailureStatus, LinkOutcome
from crawler.netguard import BlockedAddress

TEMPORARY_HTTP = frozenset({429}) | frozenset(range(500, 600))


class RedirectLoop(IgnoreRequest):
    """A redirect came back to a URL already in its own chain."""


class TooManyRedirects(IgnoreRequest):
    """More redirects than REDIRECT_MAX_TIMES."""


def outcome_for_status(status: int) -> LinkOutcome:
    if status < 400:
        return LinkOutcome.ok
    if status in TEMPORARY_HTTP:
        return LinkOutcome.unreachable
    return LinkOutcome.broken


def classify_failure(failure: Failure) -> tuple[FailureStatus, LinkOutcome, str]:
    """(status, outcome, the raw error for `detail.error`) for a failed request."""
    exc = failure.value
    text = f"{type(exc).__name__}: {exc}"[:300]
    if isinstance(exc, RedirectLoop):
        return FailureStatus.redirect_loop, LinkOutcome.broken, text
    if isinstance(exc, TooManyRedirects):
        return FailureStatus.too_many_redirects, LinkOutcome.broken, text
    if isinstance(exc, BlockedAddress):
        # a private or link-local address the audit may not reach (issue 11): never fetched
        return FailureStatus.blocked, LinkOutcome.unreachable, exc.reason
    if isinstance(exc, IgnoreRequest):
        # robots.txt (RobotsTxtMiddleware) or another deliberate skip: not a defect
        return FailureStatus.skipped, LinkOutcome.skipped, text
    if isinstance(exc, (CannotResolveHostError, txerror.DNSLookupError)):
        return FailureStatus.dns, LinkOutcome.broken, text
    if isinstance(exc, (DownloadConnectionRefusedError, txerror.ConnectionRefusedError)):
        return FailureStatus.refused, LinkOutcome.broken, text
    if isinstance(exc, (DownloadTimeoutError, txerror.TimeoutError, txerror.TCPTimedOutError)):
        return FailureStatus.timeout, LinkOutcome.unreachable, text
    if _is_tls(exc):
        return FailureStatus.tls, LinkOutcome.broken, text
    # ResponseNeverReceived etc. wrap the real reasons
    reasons = getattr(exc, "reasons", None)
    if reasons:
        for r in reasons:
            if isinstance(r, Failure):
                status, outcome, inner = classify_failure(r)
                if status is not FailureStatus.error:
                    return status, outcome, inner
    return FailureStatus.error, LinkOutcome.broken, text


def _is_tls(error: BaseException | None) -> bool:
    """TLS errors reach us wrapped (DownloadFailedError around an OpenSSL
    failure), so look at the whole chain and at the wrapped failures' text."""
    seen = 0
    exc = error
    while exc is not None and seen < 5:
        name, module = type(exc).__name__.lower(), type(exc).__module__.lower()
        if "ssl" in name or "tls" in name or "ssl" in module:
            return True
        text = str(exc)
        if "OpenSSL" in text or "SSL routines" in text or "certificate verify" in text:
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False
