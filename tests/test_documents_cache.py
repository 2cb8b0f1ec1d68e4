"""crawler/doccache.py: the cross-run document cache (issue 13: conditional requests, content hash)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import docmaker as dm
from crawler.doccache import DocumentCache
from crawler.documents import READER_VERSION, DocumentFacts, failed_facts, read_document, too_large_facts

URL = "https://www.example.gov.tw/files/申請書.odt"


def _facts(tmp_path: Path, url: str = URL) -> DocumentFacts:
    doc = dm.odf(tmp_path / "a.odt")
    return read_document(doc, url=url, ext="odt", content_type="application/vnd.oasis.opendocument.text",
                         declared_length=None, max_bytes=20_000_000)


def test_conditional_headers_and_not_modified(tmp_path: Path) -> None:
    facts = _facts(tmp_path)
    with DocumentCache(tmp_path / "c.sqlite") as cache:
        assert cache.conditional_headers(URL) == {}
        assert cache.on_not_modified(URL) is None
        assert cache.store(URL, 'W/"abc"', "Tue, 05 Mar 2024 08:00:00 GMT", facts)
        assert cache.conditional_headers(URL) == {"If-None-Match": 'W/"abc"',
                                                  "If-Modified-Since": "Tue, 05 Mar 2024 08:00:00 GMT"}
    # next run: a new process opens the same file
    with DocumentCache(tmp_path / "c.sqlite") as cache:
        assert cache.on_not_modified(URL) == facts
        cache.store(URL, "", "Wed, 06 Mar 2024 08:00:00 GMT", facts)  # only Last-Modified now
        assert cache.conditional_headers(URL) == {"If-Modified-Since": "Wed, 06 Mar 2024 08:00:00 GMT"}


def test_lookup_by_hash(tmp_path: Path) -> None:
    facts = _facts(tmp_path)
    with DocumentCache(tmp_path / "c.sqlite") as cache:
        cache.store(URL, "", "", facts)
        hit = cache.lookup_by_hash(facts.sha256)
        assert hit == facts
        assert cache.lookup_by_hash(facts.sha256, ext="odt", content_type=facts.content_type) == facts
        assert cache.lookup_by_hash(facts.sha256, ext="pdf") is None  # same bytes, another promise
        assert cache.lookup_by_hash(facts.sha256, content_type="text/html") is None
        assert cache.lookup_by_hash("0" * 64) is None


def test_failures_are_never_stored(tmp_path: Path) -> None:
    with DocumentCache(tmp_path / "c.sqlite") as cache:
        assert not cache.store(URL, '"x"', "", failed_facts(URL, "連線逾時"))
        assert not cache.store(URL, '"x"', "", too_large_facts(URL, max_bytes=10))
        assert cache.conditional_headers(URL) == {} and len(cache) == 0


def test_a_new_reader_version_invalidates_old_entries(tmp_path: Path) -> None:
    facts = _facts(tmp_path)
    with DocumentCache(tmp_path / "c.sqlite", reader_version=READER_VERSION) as cache:
        cache.store(URL, '"v"', "", facts)
    with DocumentCache(tmp_path / "c.sqlite", reader_version=READER_VERSION + 1) as cache:
        assert cache.conditional_headers(URL) == {}  # so the document is downloaded and read again
        assert cache.on_not_modified(URL) is None
        assert cache.lookup_by_hash(facts.sha256) is None
        assert len(cache) == 0
    rows = sqlite3.connect(tmp_path / "c.sqlite").execute("SELECT COUNT(*) FROM documents").fetchone()
    assert rows == (0,)  # dropped, not only ignored


def test_a_damaged_cache_file_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with DocumentCache(path) as cache:
        assert cache.conditional_headers(URL) == {}
        assert cache.store(URL, '"v"', "", _facts(tmp_path))
    assert (tmp_path / "c.sqlite.corrupt").exists()
