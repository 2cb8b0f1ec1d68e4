"""Pure unit tests of the crawl's small parts (issue 15: no subprocess needed).

URL resolution and `link.malformed` reasons, people's URLs, URL shapes and
the trap guard, the dupefilter's HEAD/GET rule, config meaning checks, the
failure classifier, sections.
"""
from __future__ import annotations

import pytest
from scrapy import Request
from twisted.internet import error as txerror
from twisted.python.failure import Failure

from checks.model import FailureStatus, LinkOutcome, LinkResult
from checks.sections import Section, section_for
from checks.urls import Malformed, WebUrl, display_url, resolve
from crawler.config import Config, compile_bounded, default_axe_tags, load_config, parse_config, with_overrides
from crawler.dupefilter import AuditDupeFilter
from crawler.errors import ConfigError, UsageError
from crawler.guard import CHAIN_LIMIT, PATTERN_BUDGET, TOKEN_BUDGET, TrapGuard, url_shape
from crawler.outcomes import RedirectLoop, classify_failure, outcome_for_status
from crawler.store import Store

BASE = "https://www.example.gov.tw/news/list.html"


# ---- resolve(): one bad href is one finding, never a dropped page --------------
@pytest.mark.parametrize("href, expected", [
    ("a.html", "https://www.example.gov.tw/news/a.html"),
    ("/about/", "https://www.example.gov.tw/about/"),
    ("../x.pdf#p2", "https://www.example.gov.tw/x.pdf"),
    ("HTTPS://WWW.Example.GOV.tw/A", "https://www.example.gov.tw/A"),
    ("/s/a.html;jsessionid=0123456789ABCDEF", "https://www.example.gov.tw/s/a.html"),
    ("/q?PHPSESSID=abc&id=3", "https://www.example.gov.tw/q?id=3"),
])
def test_resolve_web_urls(href, expected):
    hit = resolve(href, BASE)
    assert isinstance(hit, WebUrl) and hit.url == expected


@pytest.mark.parametrize("href", ["#", "mailto:a@b.tw", "tel:0212345678", "javascript:void(0)", "data:text/plain,x",
                                  "line://msg/text/hi", "webcal://x/y.ics", "skype:someone?call", ""])
def test_resolve_not_fetched(href):
    assert resolve(href, BASE) is None


@pytest.mark.parametrize("href, fragment", [
    ("http://javascript:;", "主機名稱或連接埠"),
    ("http://h:80x/", "主機名稱或連接埠"),
    ("http://[::1/", "主機名稱或連接埠"),
    ("http://example.gov.tw:70000/", "主機名稱或連接埠"),
    ("javscript:;", "拼錯"),
    ("hjavascript:void(0)", "拼錯"),
    ("htttp://www.example.gov.tw/", "拼錯"),
    ("htps://www.example.gov.tw/", "拼錯"),
    ("http//www.example.gov.tw/", "拼錯"),
    ("file:///etc/shadow", "無法使用"),
    ("ftp://ftp.example.gov.tw/pub/a.zip", "無法使用"),
    ("http://exa mple.gov.tw/", "空白"),
    ("http:///nohost", "沒有主機"),
])
def test_resolve_malformed(href, fragment):
    hit = resolve(href, BASE)
    assert isinstance(hit, Malformed), hit
    assert fragment in hit.reason and hit.raw == href


def test_display_url_decodes_utf8_but_keeps_meaningful_escapes():
    url = "https://x.gov.tw/%E6%9B%B8%E8%A1%A8%E4%B8%8B%E8%BC%89/%E7%94%B3%E8%AB%8B%E6%9B%B8.odt"
    assert display_url(url) == "https://x.gov.tw/書表下載/申請書.odt"
    assert display_url("https://x.gov.tw/a%20b/%2Fc?q=%26&x=%E4%B8%AD") == "https://x.gov.tw/a%20b/%2Fc?q=%26&x=中"
    assert display_url("https://x.gov.tw/%B0%F2") == "https://x.gov.tw/%B0%F2"  # Big5 bytes stay escaped


# ---- URL shapes and the trap guard ---------------------------------------
def test_url_shapes():
    assert url_shape("http://h/cal/2026/11/").chain_key == url_shape("http://h/cal/2027/01/").chain_key
    assert url_shape("http://h/pager/3/").chain_key == "h/pager/{n}/"
    assert url_shape("http://h/news/20261101.html").chain_key == "h/news/{n}.html"
    token = url_shape("http://h/s/a8f3c2d9e7b1a4c6/page.html")
    assert token.has_token and token.chain_key == "h/s/{t}/page.html"
    assert not url_shape("http://h/about/history.html").has_token
    # alternating query-key sets: one chain, two patterns
    a, b = url_shape("http://h/q?a=1"), url_shape("http://h/q?b=1&a=2")
    assert a.chain_key == b.chain_key and a.pattern != b.pattern


def test_trap_guard_chain_and_budgets():
    guard = TrapGuard()
    assert guard.verdict("http://h/cal/2026/11/", CHAIN_LIMIT) is None
    assert "連續" in guard.verdict("http://h/cal/2026/12/", CHAIN_LIMIT + 1)
    assert "1,024" in guard.verdict("http://h/" + "a" * 1100, 0)
    assert "重複" in guard.verdict("http://h/a/b/a/b/a/b/a/b/", 0)
    for i in range(TOKEN_BUDGET):
        guard.admit(f"http://h/s/{i:04d}a8f3c2d9e7b1a4c6/p.html")
    assert "超過" in guard.verdict("http://h/s/ffffa8f3c2d9e7b1a4c6/p.html", 0)
    for i in range(PATTERN_BUDGET):
        guard.admit(f"http://h/news/{i}.html")
    assert "超過" in guard.verdict("http://h/news/99999.html", 0)
    # other shapes are not affected
    assert guard.verdict("http://h/about/index.html", 0) is None
    guard.record("http://h/news/99999.html", "x")
    assert guard.skipped == [{"url": "http://h/news/99999.html", "reason": "x", "pattern": "h/news/{n}.html"}]


# ---- the dupefilter: GET covers HEAD, HEAD may be upgraded once ---------------
def test_dupefilter_head_and_get():
    df = AuditDupeFilter()
    assert not df.request_seen(Request("http://h/a", method="HEAD"))
    assert df.request_seen(Request("http://h/a", method="HEAD"))
    assert not df.request_seen(Request("http://h/a"))  # upgraded to GET for a #fragment
    assert df.request_seen(Request("http://h/a"))
    assert not df.request_seen(Request("http://h/b"))
    assert df.request_seen(Request("http://h/b", method="HEAD"))  # a crawled page needs no check
    seeded = AuditDupeFilter(frozenset({"http://h/c"}))
    assert seeded.request_seen(Request("http://h/c", method="HEAD"))


@pytest.mark.parametrize("order", ["head-first", "get-first"])
def test_a_link_result_keeps_the_anchors_whichever_answer_comes_last(tmp_path, order):
    # A HEAD check and the GET a #fragment needed race: the anchors must stay.
    head = LinkResult("http://h/a", 200, LinkOutcome.ok)
    get = LinkResult("http://h/a", 200, LinkOutcome.ok, anchors=frozenset({"sec1"}))
    skipped = LinkResult("http://h/a", FailureStatus.skipped, LinkOutcome.skipped)
    store = Store(tmp_path / "s.sqlite")
    for result in ((head, get) if order == "head-first" else (get, head)) + (skipped,):
        store.add_link(result)
    store.commit()
    assert store.link_results()["http://h/a"] == get
    store.add_link(LinkResult("http://h/b", 200, LinkOutcome.ok))
    store.add_link(LinkResult("http://h/b", 404, LinkOutcome.broken))  # without anchors, the later answer wins
    store.commit()
    assert store.link_results()["http://h/b"].status == 404
    store.close()


# ---- config: meaning, not only type ---------------------------------------
@pytest.mark.parametrize("toml, key", [
    ("[links]\nretries = 1000000000\n", "links.retries"),
    ("[links]\ntimeout = 0\n", "links.timeout"),
    ("[freshness]\nmax_age_months = 100000000\n", "freshness.max_age_months"),
    ("[freshness]\nmax_age_months = 1e8\n", "freshness.max_age_months"),
    ("[crawl]\nconcurrency = 1000\n", "crawl.concurrency"),
    ("[crawl]\nexclude = ['(x+x+)+y']\n", "crawl.exclude"),
    ("[crawl]\nexclude = ['(unclosed']\n", "crawl.exclude"),
    ("[accessibility]\nspec = '2.2'\n", "accessibility.spec"),
    ("[accessibility]\nlevel = 'AAAA'\n", "accessibility.level"),
    ("[site]\nstart_urls = ['ftp://x.gov.tw/']\n", "site.start_urls"),
    ("[site]\nstart_urls = ['http://[::1']\n", "site.start_urls"),
    ("[attachments]\nrequired_metadata = ['colour']\n", "attachments.required_metadata"),
    ("[notify]\nsmtp_port = 0\n", "notify.smtp_port"),
    ("[[units]]\nname = '秘書室'\nemail = 'not-an-address'\n", "units[0].email"),
    ("[crawl]\nmax_pages = -5\n", "crawl.max_pages"),
    ("[nosuch]\nx = 1\n", "nosuch"),
    ("[links]\nretry = 1\n", "links.retry"),
])
def test_config_rejects_nonsense_naming_the_key(tmp_path, toml, key):
    p = tmp_path / "site.toml"
    p.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert key in str(e.value)
    assert not any(w in str(e.value) for w in ("got ", "unknown key")), "no English in messages"


def test_config_accepts_what_it_should(tmp_path):
    cfg = parse_config({"links": {"timeout": 2.5, "retries": 0}, "crawl": {"delay": 1}})
    assert cfg.links.timeout == 2.5 and cfg.crawl.delay == 1.0
    assert Config().accessibility.effective_tags == default_axe_tags("115.11", "AA")
    assert "wcag22aa" in default_axe_tags("115.11", "AA") and "wcag22aa" not in default_axe_tags("110.07", "AA")


def test_config_files_that_are_no_config(tmp_path):
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="巢狀"):
        load_config(deep)
    binary = tmp_path / "codes.csv"
    binary.write_bytes(b"\x00\xff\xfe" * 100)
    cfg = tmp_path / "v.toml"
    cfg.write_text(f"[metadata]\nvocabularies = {{theme = '{binary}'}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(cfg)
    cfg.write_text("[metadata]\nvocabularies = {theme = '/dev/zero'}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="不是一般檔案"):
        load_config(cfg)
    with pytest.raises(ConfigError, match="找不到"):
        load_config(tmp_path / "none.toml")


def test_command_line_overrides_are_checked():
    with pytest.raises(UsageError, match="--max-pages"):
        with_overrides(Config(), max_pages=-5)
    with pytest.raises(UsageError, match="URL"):
        with_overrides(Config(), start_url="not a url")
    with pytest.raises(UsageError, match="URL"):
        with_overrides(Config(), start_url="file:///etc/passwd")
    assert with_overrides(Config(), start_url="https://x.gov.tw/").site.start_urls == ("https://x.gov.tw/",)


def test_bounded_regexes():
    assert compile_bounded(r"/calendar/\?ym=\d+").search("/calendar/?ym=202611")
    with pytest.raises(ValueError):
        compile_bounded("(x+x+)+y")


def test_resume_fingerprint_ignores_output_only_settings():
    a = parse_config({"site": {"start_urls": ["https://x.gov.tw/"]}})
    b = parse_config({"site": {"start_urls": ["https://x.gov.tw/"]}, "notify": {"smtp_host": "mail"}})
    c = parse_config({"site": {"start_urls": ["https://y.gov.tw/"]}})
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()


# ---- the failure classifier --------------------------------------------------
@pytest.mark.parametrize("exc, status, outcome", [
    (txerror.DNSLookupError("nope"), FailureStatus.dns, LinkOutcome.broken),
    (txerror.ConnectionRefusedError(), FailureStatus.refused, LinkOutcome.broken),
    (txerror.TimeoutError(), FailureStatus.timeout, LinkOutcome.unreachable),
    (RedirectLoop("a → b → a"), FailureStatus.redirect_loop, LinkOutcome.broken),
    (ValueError("odd"), FailureStatus.error, LinkOutcome.broken),
])
def test_classify_failure(exc, status, outcome):
    got_status, got_outcome, text = classify_failure(Failure(exc))
    assert (got_status, got_outcome) == (status, outcome) and text


@pytest.mark.parametrize("code, outcome", [(200, "ok"), (301, "ok"), (404, "broken"), (410, "broken"),
                                           (429, "unreachable"), (503, "unreachable")])
def test_outcome_for_status(code, outcome):
    assert outcome_for_status(code) == outcome


# ---- sections ------------------------------------------------------------------
SECTIONS = (Section("/news/", "最新消息", "秘書室"), Section("/news/2026/", "本年消息", "第一課"))


@pytest.mark.parametrize("url, path, unit", [
    ("https://x/news/2026/a.html", "/news/2026/", "第一課"),  # longest prefix wins
    ("https://x/news/b.html", "/news/", "秘書室"),
    ("https://x/news", "/news/", "秘書室"),
    ("https://x/about/x.html", "/about/", "未指定"),
    ("https://x/", "/", "未指定"),
    ("https://x/privacy.html", "/", "未指定"),
    ("https://x/%E6%B3%95%E8%A6%8F/a.html", "/法規/", "未指定"),
])
def test_sections(url, path, unit):
    s = section_for(url, SECTIONS)
    assert (s.path, s.unit) == (path, unit)



def test_visible_text_fast_walk_equals_the_plain_walk():
    """Page.visible_text (lxml's iterwalk) gives exactly iter_visible's text
    on every page of the sample site and the check fixtures, hidden and
    invisible elements, comments and deep nesting included."""
    from pathlib import Path

    from checks.page import Page, iter_visible

    root = Path(__file__).resolve().parent.parent
    files = [*(root / "sample_site").rglob("*.html"), *(root / "tests" / "fixtures").rglob("*.html")]
    deep = "<html><body>" + "<div>x" * 3000 + "</div>" * 3000 + "<p style='display: NONE'>h</p><!-- c -->t</body></html>"
    pages = [f.read_bytes().decode("utf-8", "replace") for f in files] + [deep]
    assert len(pages) > 50
    for html in pages:
        page = Page(url="http://x/", html=html)
        plain = "".join(s if kind == "text" else "\n" for kind, s in iter_visible(page.body))
        assert page.visible_text == plain
