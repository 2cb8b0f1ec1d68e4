"""Downloader middlewares: Scrapy's own, adjusted for a link checker.

- `AuditRedirectMiddleware`: a redirect chain is kept (Scrapy's
  `redirect_urls`), a loop and an over-long chain become distinct errors
  (SPEC: redirect-loop, too-many-redirects), and the redirected request is
  never dropped by the dupefilter (a link to /old that lands on an already
  crawled /new must still get an outcome).
- `BackoffRetryMiddleware`: Scrapy's retry with a pause before each retry:
  `Retry-After` when the server sends one (capped), else exponential backoff,
  so a struggling server is not hammered.
"""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest

from crawler.outcomes import RedirectLoop, TooManyRedirects

MAX_RETRY_AFTER = 30.0


class AuditRedirectMiddleware(RedirectMiddleware):
    def _redirect(self, redirected, request, reason):
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if redirected.url in chain:
            raise RedirectLoop(f"redirect loop: {' → '.join(chain + [redirected.url])}")
        try:
            out = super()._redirect(redirected, request, reason)
        except IgnoreRequest:
            raise TooManyRedirects(f"more than {self.max_redirect_times} redirects from {chain[0]}") from None
        out.dont_filter = True
        return out


def retry_after_seconds(value: bytes | str | None) -> float | None:
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    base_delay = 0.5

    def _delay(self, request, response=None) -> float:
        attempt = request.meta.get("retry_times", 0)
        if response is not None:
            ra = retry_after_seconds(response.headers.get(b"Retry-After"))
            if ra is not None:
                return min(ra, MAX_RETRY_AFTER)
        return min(self.base_delay * (2 ** attempt), MAX_RETRY_AFTER)

    # Scrapy ≥ 2.13 awaits coroutine middleware methods; the base class is typed as sync.
    async def process_response(self, request, response, spider=None):  # type: ignore[override]
        result = super().process_response(request, response)
        if result is not response:
            await asyncio.sleep(self._delay(request, response))
        return result

    async def process_exception(self, request, exception, spider=None):  # type: ignore[override]
        result = super().process_exception(request, exception)
        if result is not None:
            await asyncio.sleep(self._delay(request))
        return result
