"""`siteaudit demo`: audit the bundled sample branch website, offline.

SPEC "Command line / demo": serve `sample_site/` on a loopback port, crawl it
with defaults (the sample's own `_site.toml` supplies the sections/units a
real office would configure), write the audit and return where it is.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from importlib import resources
from pathlib import Path

from crawler.audit import AuditResult, run_audit
from crawler.config import load_config, with_overrides
from crawler.siteserver import serve


def sample_site_root() -> Path:
    return Path(str(resources.files("sample_site")))


def run_demo(out: Path, *, no_a11y: bool = False, as_of: date | None = None,
             history_path: Path | None = None) -> AuditResult:
    root = sample_site_root()
    cfg = load_config(root / "_site.toml")
    with serve(root) as server:
        site = replace(cfg.site, start_urls=(server.url("/"),), sitemaps=(server.url("/sitemap.xml"),))
        cfg = with_overrides(replace(cfg, site=site), no_a11y=no_a11y)
        return run_audit(cfg, out, as_of or date.today(), progress=True,
                         history_path=history_path or (out / "history.sqlite"))
