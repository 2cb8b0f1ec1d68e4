"""Shared fixtures: loopback servers for the crawl tests.

`sample_server` serves the bundled sample site once per test session (like
pytest-httpserver's session server); `site_server` builds a small site from a
dict of pages for one test and stops it afterwards.  Everything listens on
127.0.0.1 (127.0.0.2 is the "other host" in the confinement tests).
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.siteserver import SiteServer, serve
from crawlhelp import ROOT, make_site


@pytest.fixture(scope="session")
def sample_server() -> Iterator[SiteServer]:
    with serve(ROOT / "sample_site") as srv:
        yield srv


@pytest.fixture
def site_server(tmp_path: Path) -> Iterator[Any]:
    """site_server(pages, routes=None, host="127.0.0.1") -> a running SiteServer."""
    servers: list[SiteServer] = []

    def start(pages: dict[str, str | bytes], routes: dict[str, Any] | None = None,
              host: str = "127.0.0.1") -> SiteServer:
        root = make_site(tmp_path / f"site{len(servers)}", pages, routes)
        srv = serve(root, host=host)
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.close()


# Modules whose tests run siteaudit (or LibreOffice, git, a CI recipe) as a
# process: each test there costs a second or more.
PROCESS_MODULES = frozenset({
    "test_check_ci", "test_check_cli", "test_cli", "test_crawl_links", "test_crawl_site", "test_demo_expected",
    "test_reports_print", "test_sample_site", "test_schedule_docs", "test_setup_script",
})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`slow` (pyproject.toml) follows from what a test uses, so that
    `pytest -m "not slow"` is the pure checks, parsers, config and reports."""
    for item in items:
        module = item.path.stem
        fixtures = set(getattr(item, "fixturenames", ()))
        if (module in PROCESS_MODULES or item.get_closest_marker("browser")
                or fixtures & {"sample_server", "site_server"}):
            item.add_marker(pytest.mark.slow)
