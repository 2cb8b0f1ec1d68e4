"""site.toml: parsed once into a frozen `Config` (SPEC "Configuration").

Layers: defaults < site.toml < command-line flags.  Nothing else in the
project reads TOML or argv.  Unknown keys and wrong types are a ConfigError
naming the key (exit 2).
"""
from __future__ import annotations

import csv
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from checks.model import CheckSettings
from checks.sections import Section
from crawler.errors import ConfigError

DEFAULT_CITATION_KEYWORDS = ("資料來源", "來源", "出處", "引用自", "轉載自", "參考資料", "圖片來源", "Source")
DEFAULT_A11Y_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")


@dataclass(frozen=True)
class SiteConfig:
    name: str = ""
    agency: str = ""
    start_urls: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()


@dataclass(frozen=True)
class CrawlConfig:
    max_pages: int = 0
    max_depth: int = 0
    concurrency: int = 16
    delay: float = 0.0
    obey_robots: bool = True
    exclude: tuple[str, ...] = ()
    user_agent: str = "siteaudit (+https://example.invalid/contact)"


@dataclass(frozen=True)
class LinksConfig:
    check_external: bool = True
    timeout: float = 10
    retries: int = 2
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class FreshnessConfig:
    max_age_months: int = 2
    exempt: tuple[str, ...] = ()


@dataclass(frozen=True)
class MetadataConfig:
    required: tuple[str, ...] = ()
    vocabularies: tuple[tuple[str, str], ...] = ()  # (field, csv path)


@dataclass(frozen=True)
class CitationConfig:
    keywords: tuple[str, ...] = DEFAULT_CITATION_KEYWORDS


@dataclass(frozen=True)
class AccessibilityConfig:
    enabled: bool = True
    tags: tuple[str, ...] = DEFAULT_A11Y_TAGS
    browsers: int = 2
    locale: str = "zh_TW"


@dataclass(frozen=True)
class Config:
    site: SiteConfig = field(default_factory=SiteConfig)
    crawl: CrawlConfig = field(default_factory=CrawlConfig)
    links: LinksConfig = field(default_factory=LinksConfig)
    freshness: FreshnessConfig = field(default_factory=FreshnessConfig)
    metadata: MetadataConfig = field(default_factory=MetadataConfig)
    citation: CitationConfig = field(default_factory=CitationConfig)
    accessibility: AccessibilityConfig = field(default_factory=AccessibilityConfig)
    sections: tuple[Section, ...] = ()
    # where relative paths in the file (vocabularies) are resolved from
    base_dir: str = "."

    # ---- derived views -------------------------------------------------
    @property
    def allowed_hosts(self) -> tuple[str, ...]:
        if self.site.allowed_domains:
            return tuple(d.lower() for d in self.site.allowed_domains)
        return tuple(dict.fromkeys((urlsplit(u).hostname or "").lower() for u in self.site.start_urls if u))

    def check_settings(self) -> CheckSettings:
        vocab: dict[str, frozenset[str]] = {}
        for fld, path in self.metadata.vocabularies:
            vocab[_vocab_field(fld)] = _load_vocabulary(Path(self.base_dir) / path, fld)
        return CheckSettings(
            required_fields=self.metadata.required,
            vocabularies=vocab,
            max_age_months=self.freshness.max_age_months,
            freshness_exempt=tuple(re.compile(p) for p in self.freshness.exempt),
            citation_keywords=self.citation.keywords,
            a11y_enabled=self.accessibility.enabled,  # moda.* checks follow the accessibility stage
            own_names=tuple(n for n in dict.fromkeys(
                (self.site.agency, self.site.name, *(s.unit for s in self.sections))) if n and n != "未指定"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The config as used, for run.json."""

        def plain(v: Any) -> Any:
            if isinstance(v, tuple):
                return [plain(x) for x in v]
            if hasattr(v, "__dataclass_fields__"):
                return {f.name: plain(getattr(v, f.name)) for f in fields(v)}
            return v

        d = {f.name: plain(getattr(self, f.name)) for f in fields(self) if f.name != "base_dir"}
        d["metadata"]["vocabularies"] = {k: v for k, v in self.metadata.vocabularies}
        return d


_VOCAB_ALIASES = {"theme": "category.theme", "cake": "category.cake", "service": "category.service"}


def _vocab_field(name: str) -> str:
    n = name.strip().lower()
    return _VOCAB_ALIASES.get(n, n)


def _load_vocabulary(path: Path, fld: str) -> frozenset[str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as e:
        raise ConfigError(f"metadata.vocabularies.{fld}: 無法讀取代碼表 {path}（{e.strerror}）") from None
    if not rows or "code" not in rows[0]:
        raise ConfigError(f"metadata.vocabularies.{fld}: {path} 需要 code,name 欄位的 CSV")
    return frozenset(r["code"].strip() for r in rows if r.get("code"))


# ---- validation ---------------------------------------------------------

_TABLES: dict[str, type] = {
    "site": SiteConfig,
    "crawl": CrawlConfig,
    "links": LinksConfig,
    "freshness": FreshnessConfig,
    "metadata": MetadataConfig,
    "citation": CitationConfig,
    "accessibility": AccessibilityConfig,
}

# TOML type each key must have (tuples in the dataclasses are TOML arrays of strings).
_NUMBER = (int, float)


def _check_value(key: str, default: Any, value: Any) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: 應為 true/false（got {type(value).__name__}）")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: 應為整數（got {type(value).__name__}）")
        if value < 0:
            raise ConfigError(f"{key}: 不可為負數")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, _NUMBER):
            raise ConfigError(f"{key}: 應為數字（got {type(value).__name__}）")
        if value < 0:
            raise ConfigError(f"{key}: 不可為負數")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"{key}: 應為字串（got {type(value).__name__}）")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise ConfigError(f"{key}: 應為字串陣列")
        return tuple(value)
    raise ConfigError(f"{key}: unsupported")  # pragma: no cover - schema bug


def _parse_table(name: str, cls: type, raw: Any) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"[{name}]: 應為表格（table）")
    defaults = cls()
    known = {f.name for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        dotted = f"{name}.{key}"
        if key not in known:
            raise ConfigError(f"{dotted}: 未知的設定鍵（unknown key）")
        if name == "metadata" and key == "vocabularies":
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise ConfigError(f"{dotted}: 應為 {{欄位 = \"代碼表.csv\"}} 表格")
            values[key] = tuple(sorted(value.items()))
            continue
        values[key] = _check_value(dotted, getattr(defaults, key), value)
    return replace(defaults, **values)


def _parse_sections(raw: Any) -> tuple[Section, ...]:
    if not isinstance(raw, list):
        raise ConfigError("sections: 應為 [[sections]] 表格陣列")
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ConfigError(f"sections[{i}]: 應為表格")
        for key in item:
            if key not in ("path", "name", "unit"):
                raise ConfigError(f"sections[{i}].{key}: 未知的設定鍵（unknown key）")
        path = item.get("path")
        if not isinstance(path, str) or not path.startswith("/"):
            raise ConfigError(f"sections[{i}].path: 應為以 / 開頭的網址路徑")
        name, unit = item.get("name", path), item.get("unit", "未指定")
        if not isinstance(name, str) or not isinstance(unit, str):
            raise ConfigError(f"sections[{i}]: name 與 unit 應為字串")
        out.append(Section(path, name, unit))
    return tuple(out)


def _validate_regexes(cfg: Config) -> None:
    for key, patterns in (
        ("crawl.exclude", cfg.crawl.exclude),
        ("links.exclude", cfg.links.exclude),
        ("freshness.exempt", cfg.freshness.exempt),
    ):
        for p in patterns:
            try:
                re.compile(p)
            except re.error as e:
                raise ConfigError(f"{key}: 無效的正規表示式 {p!r}（{e}）") from None
    for u in cfg.site.start_urls + cfg.site.sitemaps:
        if urlsplit(u).scheme not in ("http", "https"):
            raise ConfigError(f"site.start_urls/sitemaps: 不是 http(s) 網址：{u!r}")
    if cfg.crawl.concurrency < 1:
        raise ConfigError("crawl.concurrency: 至少為 1")
    if cfg.accessibility.browsers < 1:
        raise ConfigError("accessibility.browsers: 至少為 1")
    if cfg.freshness.max_age_months < 1:
        raise ConfigError("freshness.max_age_months: 至少為 1")


def parse_config(data: dict[str, Any], base_dir: str = ".") -> Config:
    parts: dict[str, Any] = {}
    for key, raw in data.items():
        if key == "sections":
            parts["sections"] = _parse_sections(raw)
        elif key in _TABLES:
            parts[key] = _parse_table(key, _TABLES[key], raw)
        else:
            raise ConfigError(f"{key}: 未知的設定區塊（unknown key）")
    cfg = Config(base_dir=base_dir, **parts)
    _validate_regexes(cfg)
    if cfg.metadata.vocabularies:
        cfg.check_settings()  # load the vocabularies now: a bad path is a config error
    return cfg


def load_config(path: str | Path | None) -> Config:
    if path is None:
        return Config()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"找不到設定檔：{p}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"無法讀取設定檔 {p}：{e}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"設定檔 {p} 不是有效的 TOML：{e}") from None
    return parse_config(data, base_dir=str(p.parent))


def with_overrides(cfg: Config, **flags: Any) -> Config:
    """Apply command-line flags (None = not given) on top of the file."""
    crawl, links, a11y, site = cfg.crawl, cfg.links, cfg.accessibility, cfg.site
    if flags.get("start_url"):
        site = replace(site, start_urls=(flags["start_url"],))
    if flags.get("max_pages") is not None:
        crawl = replace(crawl, max_pages=flags["max_pages"])
    if flags.get("concurrency") is not None:
        if flags["concurrency"] < 1:
            raise ConfigError("--concurrency: 至少為 1")
        crawl = replace(crawl, concurrency=flags["concurrency"])
    if flags.get("no_external"):
        links = replace(links, check_external=False)
    if flags.get("no_a11y"):
        a11y = replace(a11y, enabled=False)
    return replace(cfg, site=site, crawl=crawl, links=links, accessibility=a11y)
