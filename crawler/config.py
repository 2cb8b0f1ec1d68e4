"""site.toml: parsed once into a frozen `Config` (SPEC "Configuration").

Layers: defaults < site.toml < command-line flags.  Nothing else in the
project reads TOML or argv, and every default lives here (one source for
each fact).  Values are validated for meaning, not only type (issue 11):

* unknown keys and wrong types are a ConfigError naming the key (exit 2);
* numbers must lie in sane ranges (retries 0–10, a positive timeout,
  max_age_months 1–120, concurrency 1–256 …) so a typo cannot hang a run;
* regexes are compiled with the `regex` module and probed with a time bound:
  one that backtracks catastrophically is rejected, and every later match
  runs with a timeout (`safe_search`);
* vocabulary files must be regular UTF-8 files of at most 4 MB;
* axe tags must exist in the installed axe-core;
* start URLs, sitemaps and base URLs must be http(s) URLs that parse.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, get_type_hints
from urllib.parse import urlsplit

import regex

from checks.model import CheckSettings
from checks.sections import UNASSIGNED_UNIT, Section
from crawler.errors import ConfigError, UsageError


@dataclass(frozen=True)
class SiteConfig:
    name: str = ""
    agency: str = ""
    start_urls: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    own_names: tuple[str, ...] = ()


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
    timeout: float = 10.0
    retries: int = 2
    exclude: tuple[str, ...] = ()
    allow_private: bool = False


@dataclass(frozen=True)
class FreshnessConfig:
    max_age_months: int = 2
    exempt: tuple[str, ...] = ()


@dataclass(frozen=True)
class MetadataConfig:
    required: tuple[str, ...] = ()
    vocabularies: tuple[tuple[str, str], ...] = ()  # (field, csv path)


DEFAULT_CITATION_KEYWORDS = ("資料來源", "來源", "出處", "引用自", "轉載自", "參考資料", "圖片來源", "Source")


@dataclass(frozen=True)
class CitationConfig:
    keywords: tuple[str, ...] = DEFAULT_CITATION_KEYWORDS


@dataclass(frozen=True)
class AccessibilityConfig:
    enabled: bool = True
    spec: str = "115.11"
    level: str = "AA"
    tags: tuple[str, ...] = ()  # empty = those of spec + level (effective_tags)
    browsers: int = 2
    locale: str = "zh_TW"
    subresource_hosts: tuple[str, ...] = ()
    # The reviewer's site-level checks (checks/site.py), where a site does it
    # differently: the 導盲磚 keys every page should carry (default: those most
    # pages use) and the pages that hold 網站導覽, privacy, open data, search
    # and the three classification browses (a URL or path the home page links to).
    accesskeys: tuple[str, ...] = ()
    sitemap_page: str = ""
    privacy_page: str = ""
    open_info_page: str = ""
    search_page: str = ""
    theme_page: str = ""
    cake_page: str = ""
    service_page: str = ""

    @property
    def effective_tags(self) -> tuple[str, ...]:
        return self.tags or default_axe_tags(self.spec, self.level)

    @property
    def site_pages(self) -> dict[str, str]:
        pages = {"sitemap": self.sitemap_page, "privacy": self.privacy_page, "open-info": self.open_info_page,
                 "search": self.search_page, "theme": self.theme_page, "cake": self.cake_page,
                 "service": self.service_page}
        return {k: v for k, v in pages.items() if v}


@dataclass(frozen=True)
class AttachmentsConfig:
    documents: bool = True
    max_bytes: int = 20_000_000
    required_metadata: tuple[str, ...] = ("title", "subject", "creator")


@dataclass(frozen=True)
class NotifyConfig:
    smtp_host: str = "localhost"
    smtp_port: int = 25
    starttls: bool = False
    username: str = ""
    sender: str = ""
    subject: str = "{unit}網頁檢視清單（{date}）"


@dataclass(frozen=True)
class Unit:
    name: str
    email: str = ""


@dataclass(frozen=True)
class Config:
    site: SiteConfig = field(default_factory=SiteConfig)
    crawl: CrawlConfig = field(default_factory=CrawlConfig)
    links: LinksConfig = field(default_factory=LinksConfig)
    freshness: FreshnessConfig = field(default_factory=FreshnessConfig)
    metadata: MetadataConfig = field(default_factory=MetadataConfig)
    citation: CitationConfig = field(default_factory=CitationConfig)
    accessibility: AccessibilityConfig = field(default_factory=AccessibilityConfig)
    attachments: AttachmentsConfig = field(default_factory=AttachmentsConfig)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    sections: tuple[Section, ...] = ()
    units: tuple[Unit, ...] = ()
    # where relative paths in the file (vocabularies) are resolved from
    base_dir: str = "."

    # ---- derived views -------------------------------------------------
    @property
    def allowed_hosts(self) -> tuple[str, ...]:
        if self.site.allowed_domains:
            return tuple(d.lower() for d in self.site.allowed_domains)
        return tuple(dict.fromkeys((urlsplit(u).hostname or "").lower() for u in self.site.start_urls if u))

    @property
    def own_names(self) -> tuple[str, ...]:
        """The agency's own names: citing them needs no link (SPEC site.own_names)."""
        names = (self.site.agency, self.site.name, *self.site.own_names, *(s.unit for s in self.sections))
        return tuple(n for n in dict.fromkeys(names) if n and n != UNASSIGNED_UNIT)

    def check_settings(self) -> CheckSettings:
        vocab: dict[str, frozenset[str]] = {}
        for fld, path in self.metadata.vocabularies:
            vocab[_vocab_field(fld)] = _load_vocabulary(Path(self.base_dir) / path, fld)
        return CheckSettings(
            required_fields=self.metadata.required,
            vocabularies=vocab,
            max_age_months=self.freshness.max_age_months,
            # regex-module patterns: validated against catastrophic backtracking
            freshness_exempt=tuple(compile_bounded(p) for p in self.freshness.exempt),
            citation_keywords=self.citation.keywords,
            own_names=self.own_names,
            # moda.* checks follow the accessibility stage: off with --no-a11y
            a11y_enabled=self.accessibility.enabled,
            a11y_spec=self.accessibility.spec,
            a11y_level=self.accessibility.level,
            site_pages=self.accessibility.site_pages,
            site_accesskeys=self.accessibility.accesskeys,
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
        d["metadata"]["vocabularies"] = dict(self.metadata.vocabularies)
        d["accessibility"]["tags"] = list(self.accessibility.effective_tags)
        return d

    def fingerprint(self) -> str:
        """What identifies "the same audit" for --resume: the site and every
        setting that changes what is crawled or judged (not output-only ones)."""
        d = self.to_dict()
        d.pop("notify", None)
        d.pop("units", None)
        raw = json.dumps(d, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


# ---- the edition's default axe tags --------------------------------------

def default_axe_tags(spec: str, level: str) -> tuple[str, ...]:
    """axe tags for a 網站無障礙規範 edition and target level (checks/a11y_spec.py
    holds the edition tables)."""
    from checks.a11y_spec import default_tags

    return tuple(default_tags(spec, level))


# ---- vocabularies ----------------------------------------------------------

VOCABULARY_MAX_BYTES = 4 * 1024 * 1024
_VOCAB_ALIASES = {"theme": "category.theme", "cake": "category.cake", "service": "category.service"}


def _vocab_field(name: str) -> str:
    n = name.strip().lower()
    return _VOCAB_ALIASES.get(n, n)


def _load_vocabulary(path: Path, fld: str) -> frozenset[str]:
    key = f"metadata.vocabularies.{fld}"
    try:
        if not path.is_file():  # /dev/zero, a FIFO or a directory never hangs the run
            raise ConfigError(f"{key}：代碼表 {path} 不存在或不是一般檔案")
        if path.stat().st_size > VOCABULARY_MAX_BYTES:
            raise ConfigError(f"{key}：代碼表 {path} 超過 4 MB，請確認是否選錯檔案")
        raw = path.read_bytes()
    except OSError as e:
        raise ConfigError(f"{key}：無法讀取代碼表 {path}（{e.strerror}）") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{key}：代碼表 {path} 不是 UTF-8 文字檔（請另存為 UTF-8 的 CSV）") from None
    if "\x00" in text:
        raise ConfigError(f"{key}：代碼表 {path} 不是文字檔")
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or "code" not in rows[0]:
        raise ConfigError(f"{key}：{path} 需要有 code,name 欄位的 CSV")
    return frozenset(r["code"].strip() for r in rows if r.get("code"))


# ---- regexes with a time bound -------------------------------------------

REGEX_TIMEOUT = 0.05  # seconds per match
# Inputs that make a catastrophically backtracking pattern explode while any
# sane URL pattern answers at once.
_PROBES = ("a" * 40 + "!", "/" + "a/" * 30 + "!", "x" * 3000, "0" * 60 + "a", "https://" + "ab." * 40 + "!")


@lru_cache(maxsize=256)
def compile_bounded(pattern: str) -> regex.Pattern[str]:
    """Compile a user's regex; raise ValueError when it backtracks catastrophically."""
    compiled = regex.compile(pattern)
    for probe in _PROBES:
        try:
            compiled.search(probe, timeout=REGEX_TIMEOUT * 4)
        except TimeoutError:
            raise ValueError("這個正規表示式會造成大量回溯（例如 (a+)+），請改寫") from None
    return compiled


def safe_search(pattern: str, text: str) -> bool:
    """A bounded match: a pattern that still times out on some input counts as no match."""
    try:
        return compile_bounded(pattern).search(text, timeout=REGEX_TIMEOUT) is not None
    except (TimeoutError, ValueError, regex.error):
        return False


# ---- axe tags ------------------------------------------------------------

@lru_cache(maxsize=4)
def installed_axe_tags(axe_js: str) -> frozenset[str]:
    """Every tag the rules of the installed axe-core carry (read from axe.js)."""
    path = Path(axe_js)
    source = (path.parent / "axe.js") if (path.parent / "axe.js").is_file() else path
    text = source.read_text(encoding="utf-8", errors="replace")
    tags: set[str] = set()
    for m in re.finditer(r"tags:\s*\[([^\]]*)\]", text):
        tags.update(re.findall(r"[\"']([\w.\-]+)[\"']", m.group(1)))
    return frozenset(tags)


def _validate_axe_tags(tags: tuple[str, ...]) -> None:
    if not tags:
        return
    from crawler.a11y import find_axe_js

    axe_js = find_axe_js()
    if axe_js is None:
        return  # no axe installed: the run itself says so (exit 3) when accessibility is on
    known = installed_axe_tags(str(axe_js))
    unknown = [t for t in tags if t not in known]
    if unknown:
        raise ConfigError(f"accessibility.tags：axe-core 沒有這些標籤：{'、'.join(unknown)}"
                          "（常用：wcag2a、wcag2aa、wcag21a、wcag21aa、wcag22aa、best-practice）")


# ---- validation ------------------------------------------------------------

_TABLES: dict[str, type] = {
    "site": SiteConfig,
    "crawl": CrawlConfig,
    "links": LinksConfig,
    "freshness": FreshnessConfig,
    "metadata": MetadataConfig,
    "citation": CitationConfig,
    "accessibility": AccessibilityConfig,
    "attachments": AttachmentsConfig,
    "notify": NotifyConfig,
}

# (minimum, maximum) of each number; None = no bound on that side.
RANGES: dict[str, tuple[float | None, float | None]] = {
    "crawl.max_pages": (0, 10_000_000),
    "crawl.max_depth": (0, 1000),
    "crawl.concurrency": (1, 256),
    "crawl.delay": (0, 60),
    "links.timeout": (0.1, 300),
    "links.retries": (0, 10),
    "freshness.max_age_months": (1, 120),
    "accessibility.browsers": (1, 16),
    "attachments.max_bytes": (1_000, 2_000_000_000),
    "notify.smtp_port": (1, 65535),
}
_TYPE_ZH = {bool: "true 或 false", int: "整數", float: "數字", str: "字串"}


def _type_name(value: Any) -> str:
    return {bool: "布林值", int: "整數", float: "小數", str: "字串", list: "陣列", dict: "表格"}.get(
        type(value), "其他型別")


def _check_value(key: str, kind: Any, value: Any) -> Any:
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}：應為 true 或 false（目前是{_type_name(value)}）")
        return value
    if kind in (int, float):
        ok = isinstance(value, int) or (kind is float and isinstance(value, float))
        if isinstance(value, bool) or not ok:
            raise ConfigError(f"{key}：應為{_TYPE_ZH[kind]}（目前是{_type_name(value)}）")
        lo, hi = RANGES.get(key, (0, None))
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            bound = f"{lo:g} 到 {hi:g}" if hi is not None else f"至少 {lo:g}"
            raise ConfigError(f"{key}：{value!r} 超出合理範圍（應為 {bound}）")
        return float(value) if kind is float else value
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}：應為字串（目前是{_type_name(value)}）")
        return value
    if kind == tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise ConfigError(f"{key}：應為字串陣列，例如 [\"a\", \"b\"]")
        return tuple(value)
    raise ConfigError(f"{key}：不支援的設定")  # pragma: no cover - schema bug


def _parse_table(name: str, cls: type, raw: Any) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"[{name}]：應為表格")
    hints = get_type_hints(cls)
    values: dict[str, Any] = {}
    for key, value in raw.items():
        dotted = f"{name}.{key}"
        if key not in hints:
            raise ConfigError(f"{dotted}：沒有這個設定鍵（請檢查拼字）")
        if name == "metadata" and key == "vocabularies":
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise ConfigError(f"{dotted}：應為 {{欄位 = \"代碼表.csv\"}} 表格")
            values[key] = tuple(sorted(value.items()))
            continue
        values[key] = _check_value(dotted, hints[key], value)
    return cls(**values)


def _parse_sections(raw: Any) -> tuple[Section, ...]:
    if not isinstance(raw, list):
        raise ConfigError("sections：應為 [[sections]] 表格陣列")
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ConfigError(f"sections[{i}]：應為表格")
        for key in item:
            if key not in ("path", "name", "unit"):
                raise ConfigError(f"sections[{i}].{key}：沒有這個設定鍵（可用 path、name、unit）")
        path = item.get("path")
        if not isinstance(path, str) or not path.startswith("/"):
            raise ConfigError(f"sections[{i}].path：應為以 / 開頭的網址路徑")
        name, unit = item.get("name", path), item.get("unit", UNASSIGNED_UNIT)
        if not isinstance(name, str) or not isinstance(unit, str):
            raise ConfigError(f"sections[{i}]：name 與 unit 應為字串")
        out.append(Section(path, name, unit))
    return tuple(out)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _parse_units(raw: Any) -> tuple[Unit, ...]:
    if not isinstance(raw, list):
        raise ConfigError("units：應為 [[units]] 表格陣列")
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ConfigError(f"units[{i}]：應為表格")
        for key in item:
            if key not in ("name", "email"):
                raise ConfigError(f"units[{i}].{key}：沒有這個設定鍵（可用 name、email）")
        name, email = item.get("name"), item.get("email", "")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"units[{i}].name：應為單位名稱")
        if not isinstance(email, str) or (email and not _EMAIL.match(email)):
            raise ConfigError(f"units[{i}].email：不是有效的電子郵件地址：{email!r}")
        out.append(Unit(name.strip(), email.strip()))
    return tuple(out)


def check_web_url(key: str, url: str, *, usage: bool = False) -> str:
    """`url` when it is an http(s) URL with a host that parses; else a ConfigError
    (or UsageError for command-line values) naming `key`."""
    error = UsageError if usage else ConfigError
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok:
        raise error(f"{key}：不是有效的 http(s) 網址：{url!r}（只檢視 http:// 或 https:// 網站）")
    return url


def _validate(cfg: Config) -> None:
    for key, patterns in (
        ("crawl.exclude", cfg.crawl.exclude),
        ("links.exclude", cfg.links.exclude),
        ("freshness.exempt", cfg.freshness.exempt),
    ):
        for p in patterns:
            try:
                compile_bounded(p)
            except regex.error as e:
                raise ConfigError(f"{key}：無效的正規表示式 {p!r}（{e}）") from None
            except ValueError as e:
                raise ConfigError(f"{key}：{p!r}：{e}") from None
    for u in cfg.site.start_urls:
        check_web_url("site.start_urls", u)
    for u in cfg.site.sitemaps:
        check_web_url("site.sitemaps", u)
    a11y = cfg.accessibility
    from checks.a11y_spec import SpecError, validate

    try:
        validate(a11y.spec, a11y.level, a11y.tags, a11y.accesskeys)
    except SpecError as e:
        raise ConfigError(str(e)) from None
    _validate_axe_tags(a11y.tags)
    bad_fields = [f for f in cfg.attachments.required_metadata if f not in ("title", "subject", "creator",
                                                                         "keywords", "description")]
    if bad_fields:
        raise ConfigError(f"attachments.required_metadata：不認得 {'、'.join(bad_fields)}"
                          "（可用 title、subject、creator、keywords、description）")
    for host in (*cfg.site.allowed_domains, *a11y.subresource_hosts):
        if not host or "/" in host or " " in host:
            raise ConfigError(f"網域名稱有誤：{host!r}（只寫主機名稱，例如 www.example.gov.tw）")


def parse_config(data: dict[str, Any], base_dir: str = ".") -> Config:
    parts: dict[str, Any] = {}
    for key, raw in data.items():
        if key == "sections":
            parts["sections"] = _parse_sections(raw)
        elif key == "units":
            parts["units"] = _parse_units(raw)
        elif key in _TABLES:
            parts[key] = _parse_table(key, _TABLES[key], raw)
        else:
            raise ConfigError(f"{key}：沒有這個設定區塊（請檢查拼字）")
    cfg = Config(base_dir=base_dir, **parts)
    _validate(cfg)
    if cfg.metadata.vocabularies:
        cfg.check_settings()  # load the vocabularies now: a bad file is a config error
    return cfg


CONFIG_MAX_BYTES = 1024 * 1024


def load_config(path: str | Path | None) -> Config:
    if path is None:
        return Config()
    p = Path(path)
    try:
        if not p.exists():
            raise ConfigError(f"找不到設定檔：{p}")
        if not p.is_file():
            raise ConfigError(f"設定檔不是一般檔案：{p}")
        if p.stat().st_size > CONFIG_MAX_BYTES:
            raise ConfigError(f"設定檔超過 1 MB：{p}（請確認是否選錯檔案）")
        text = p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"設定檔 {p} 不是 UTF-8 文字檔") from None
    except OSError as e:
        raise ConfigError(f"無法讀取設定檔 {p}（{e.strerror}）") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"設定檔 {p} 不是有效的 TOML：{e}") from None
    except RecursionError:
        raise ConfigError(f"設定檔 {p} 巢狀層次過深，不是有效的設定檔") from None
    return parse_config(data, base_dir=str(p.parent))


def with_overrides(cfg: Config, **flags: Any) -> Config:
    """Apply command-line flags (None = not given) on top of the file."""
    crawl, links, a11y, site = cfg.crawl, cfg.links, cfg.accessibility, cfg.site
    if flags.get("start_url"):
        site = replace(site, start_urls=(check_web_url("URL", flags["start_url"], usage=True),))
    if flags.get("max_pages") is not None:
        if not 0 <= flags["max_pages"] <= 10_000_000:
            raise UsageError(f"--max-pages：應為 0 以上的整數（0 表示不限；收到 {flags['max_pages']}）")
        crawl = replace(crawl, max_pages=flags["max_pages"])
    if flags.get("concurrency") is not None:
        if not 1 <= flags["concurrency"] <= 256:
            raise UsageError(f"--concurrency：應為 1 到 256（收到 {flags['concurrency']}）")
        crawl = replace(crawl, concurrency=flags["concurrency"])
    if flags.get("no_external"):
        links = replace(links, check_external=False)
    if flags.get("no_a11y"):
        a11y = replace(a11y, enabled=False)
    if flags.get("browsers") is not None:
        if not 1 <= flags["browsers"] <= 16:
            raise UsageError(f"--browsers：應為 1 到 16（收到 {flags['browsers']}）")
        a11y = replace(a11y, browsers=flags["browsers"])
    return replace(cfg, site=site, crawl=crawl, links=links, accessibility=a11y)
