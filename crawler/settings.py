"""Scrapy settings: the project defaults (used by `scrapy crawl site`) and
`settings_for(config)`, the one function turning a `Config` into settings.

Scrapy does the crawling work: scheduler + dupefilter, RobotsTxtMiddleware
(every request, link checks included), AutoThrottle, JOBDIR resume, retries.
"""
from __future__ import annotations

from typing import Any

from crawler.config import Config

# The defaults of `scrapy crawl site` are the Config's (crawler/config.py is
# the one place defaults are written); settings_for() overrides them per audit.
_DEFAULTS = Config()

BOT_NAME = "siteaudit"
SPIDER_MODULES = ["crawler.spider"]
NEWSPIDER_MODULE = "crawler.spider"

ROBOTSTXT_OBEY = _DEFAULTS.crawl.obey_robots
USER_AGENT = _DEFAULTS.crawl.user_agent
CONCURRENT_REQUESTS = _DEFAULTS.crawl.concurrency
# Hosts other than the audited site (external link targets) get this many
# parallel requests at most: one external server is never hammered.
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_TIMEOUT = _DEFAULTS.links.timeout
RETRY_TIMES = _DEFAULTS.links.retries
REDIRECT_MAX_TIMES = 20
# A meta-refresh page is a page to audit; its target is one of its links.
METAREFRESH_ENABLED = False
# Don't let a huge file or page exhaust memory: pages above this are skipped.
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 0
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "WARNING"
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.0
AUTOTHROTTLE_MAX_DELAY = 10.0
AUTOTHROTTLE_TARGET_CONCURRENCY = float(_DEFAULTS.crawl.concurrency)
HTTPERROR_ALLOW_ALL = True
REFERER_ENABLED = True
# Breadth-first: pages near the home page first (what a reviewer cares about
# if a crawl is capped by max_pages), and the memory queue stays small.
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

# Link checks never reach link-local addresses, nor private ones unless the
# site itself is on one (issue 11): the resolver refuses them, the middleware
# fails the request as `blocked` before it is sent.
TWISTED_DNS_RESOLVER = "crawler.netguard.GuardedResolver"
DOWNLOADER_MIDDLEWARES = {
    "crawler.netguard.AddressGuardMiddleware": 50,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.middlewares.AuditRedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
}
SPIDER_MIDDLEWARES = {
    # Output flows from high numbers (the spider) to low (the engine): the
    # resume middleware adds the rebuilt frontier, then the guard judges it
    # with everything else.
    "crawler.resume.ResumeMiddleware": 660,
    "crawler.guard.ScopeGuardMiddleware": 650,
}
# The guard names over-long URLs as traps; Scrapy's own length filter would
# drop them silently first.
URLLENGTH_LIMIT = 0
DUPEFILTER_CLASS = "crawler.dupefilter.AuditDupeFilter"
# Only http(s) is ever fetched (issue 11): no file:, ftp:, s3: or data: handlers.
DOWNLOAD_HANDLERS = {"file": None, "s3": None, "ftp": None, "data": None}
ITEM_PIPELINES = {
    "crawler.pipelines.StorePipeline": 100,
    "crawler.pipelines.AccessibilityPipeline": 200,
}
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "crawler.progress.CrawlProgress": 500,
}
FEED_EXPORT_ENCODING = "utf-8"
# `scrapy crawl site -a url=…` (the Scrapy way): facts go to a state store in
# the working directory; `siteaudit crawl` sets its own under --out/.state.
SITEAUDIT_STATE_DB = ".siteaudit-state/audit.sqlite"


def settings_for(config: Any, state_dir: str, progress: bool = True, resume: bool = False,
                 a11y_factory: Any = None, doc_cache: str | None = None, policy: Any = None) -> dict[str, Any]:
    """Scrapy settings for one audit (cmdline priority over the module above).

    Every value comes from the Config (crawler/config.py holds the defaults);
    the crawl policy itself (scope, limits, excludes) is read by the guard
    from the spider's Config."""
    crawl, links = config.crawl, config.links
    s: dict[str, Any] = {
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "USER_AGENT": crawl.user_agent,
        "CONCURRENT_REQUESTS": crawl.concurrency,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(crawl.concurrency),
        "AUTOTHROTTLE_START_DELAY": crawl.delay,
        "DOWNLOAD_DELAY": crawl.delay,
        "DOWNLOAD_TIMEOUT": links.timeout,
        "RETRY_TIMES": links.retries,
        # The audited hosts get the configured concurrency; every other host
        # keeps CONCURRENT_REQUESTS_PER_DOMAIN.
        "DOWNLOAD_SLOTS": {h: {"concurrency": crawl.concurrency, "delay": crawl.delay} for h in config.allowed_hosts},
        "JOBDIR": f"{state_dir}/job",
        "SITEAUDIT_PROGRESS": progress,
        "SITEAUDIT_STATE_DB": f"{state_dir}/audit.sqlite",
        "SITEAUDIT_RESUME": resume,
        "SITEAUDIT_DOC_CACHE": doc_cache,
        # The private-address guard (crawler/netguard.py): one policy, shared
        # with the browser, decides each host once (resolve first, then decide).
        "NETGUARD_POLICY": policy,
        "SITEAUDIT_A11Y": a11y_factory is not None,
        "SITEAUDIT_A11Y_FACTORY": a11y_factory,
    }
    return s

# Findings report every failure; the log need not shout about each one.
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"
# A host that does not resolve will not resolve a second later: no retry.
RETRY_EXCEPTIONS = [
    "scrapy.exceptions.DownloadConnectionRefusedError",
    "scrapy.exceptions.DownloadFailedError",
    "scrapy.exceptions.DownloadTimeoutError",
    "scrapy.exceptions.ResponseDataLossError",
    "twisted.internet.error.ConnectionDone",
    "twisted.internet.error.ConnectError",
    "twisted.internet.error.ConnectionLost",
    "scrapy.core.downloader.handlers.http11.TunnelError",
]

# Scrapy starts CONCURRENT_ITEMS asyncio workers for *every* response's
# output; our pipelines are synchronous, so 100 (the default) is pure
# overhead — it was a tenth of the crawl's CPU on a 2,000-page site.
CONCURRENT_ITEMS = 4
# Scrapy parses each callback's source to warn about `return value` in
# generators, and its cache is keyed by bound methods that die per request:
# on a large crawl that re-parsing showed up in profiles.  Our callbacks
# return nothing.
WARN_ON_GENERATOR_RETURN_VALUE = False
