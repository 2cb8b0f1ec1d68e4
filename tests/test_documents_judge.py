"""checks/documents.py: each attachment rule judged once per document, reported on every linking page."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pikepdf
import pytest

import docmaker as dm
from checks import documents
from checks.documents import RULES, document_findings, missing_fields
from checks.model import Severity
from crawler.documents import DocumentFacts, read_document, too_large_facts

SITE = "https://www.example.gov.tw"
INFO = {"Title": "預算書", "Subject": "預算", "Author": "主計室"}
PAGES = [(f"{SITE}/news/1.html", "/news/", "秘書室"), (f"{SITE}/law/2.html", "/law/", "法制室")]
REQUIRED = ("title", "subject", "creator")

# document -> the rules it must raise (nothing else)
TABLE: dict[str, tuple[Any, set[str]]] = {
    "good tagged pdf": (lambda d: dm.pdf(d / "good.pdf", info=INFO, tagged=True), set()),
    "good odt": (lambda d: dm.odf(d / "good.odt"), set()),
    "good docx": (lambda d: dm.ooxml(d / "good.docx"), set()),
    "good xlsx": (lambda d: dm.ooxml(d / "good.xlsx", "xlsx"), set()),
    "good doc": (lambda d: dm.ole(d / "good.doc"), set()),
    "untagged pdf": (lambda d: dm.pdf(d / "u.pdf", info=INFO), {"attachment.untagged-pdf"}),
    "pdf without Info": (lambda d: dm.pdf(d / "n.pdf", tagged=True), {"attachment.metadata-missing"}),
    "scan": (lambda d: dm.pdf(d / "s.pdf", text=None, image=True, info=INFO, tagged=True), {"attachment.no-text"}),
    "untagged scan without Info": (
        lambda d: dm.pdf(d / "s2.pdf", text=None, image=True),
        {"attachment.no-text", "attachment.untagged-pdf", "attachment.metadata-missing"}),
    "odt without title": (lambda d: dm.odf(d / "t.odt", title=None), {"attachment.metadata-missing"}),
    "docx without core properties": (lambda d: dm.ooxml(d / "c.docx", core=False), {"attachment.metadata-missing"}),
    "html saved as pdf": (lambda d: _write(d / "e.pdf", dm.HTML_ERROR_PAGE), {"attachment.invalid"}),
    "zip that is no odf": (lambda d: dm.rezip(dm.odf(d / "z0.odt"), d / "z.odt", drop=("mimetype",)),
                           {"attachment.invalid"}),
    "truncated pdf": (lambda d: _write(d / "cut.pdf", dm.pdf(d / "w.pdf").read_bytes()[:300]),
                      {"attachment.invalid"}),
    "encrypted pdf": (lambda d: dm.pdf(d / "enc.pdf", encryption=pikepdf.Encryption(user="a", owner="b")), set()),
    "encrypted docx": (lambda d: dm.encrypted_ooxml(d / "enc.docx"), set()),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _read(path: Path) -> DocumentFacts:
    return read_document(path, url=f"{SITE}/files/{path.name}", ext=path.suffix[1:], content_type="",
                         declared_length=None, max_bytes=20_000_000)


@pytest.mark.parametrize("case", list(TABLE))
def test_rules_fire_exactly_where_expected(case: str, tmp_path: Path) -> None:
    maker, expected = TABLE[case]
    facts = _read(maker(tmp_path))
    for given in (facts, facts.to_dict() | {"pages": [p[0] for p in PAGES]}):  # the object or its jsonl row
        findings = document_findings(given, PAGES, REQUIRED)
        assert {f.rule for f in findings} == expected
        # one finding per rule per linking page, on that page, with its section and unit
        assert len(findings) == len(expected) * len(PAGES)
        for f in findings:
            assert (f.url, f.section, f.unit) in PAGES
            assert f.detail["target"] == facts.url and f.check == "attachments"
            rule = documents._RULE[f.rule]
            assert set(rule.detail) <= set(f.detail) and f.severity is rule.severity
            assert "/files/" in f.message


def test_messages_and_details(tmp_path: Path) -> None:
    facts = _read(dm.pdf(tmp_path / "申請書.pdf", text=None, image=True, info={"Author": "主計室"}))
    by_rule = {f.rule: f for f in document_findings(facts, PAGES[:1], REQUIRED)}
    meta = by_rule["attachment.metadata-missing"]
    assert meta.detail["fields"] == ["title", "subject"]
    assert meta.message == f"附件缺少文件摘要資訊（標題、主旨）：{SITE}/files/申請書.pdf"
    assert meta.severity is Severity.warning
    assert by_rule["attachment.no-text"].severity is Severity.warning
    assert by_rule["attachment.untagged-pdf"].severity is Severity.notice
    # people read the URL decoded; detail.target keeps it as fetched
    quoted = facts.replace(url=f"{SITE}/files/%E7%94%B3%E8%AB%8B%E6%9B%B8.pdf")
    f = document_findings(quoted, PAGES[:1], REQUIRED)[0]
    assert "/files/申請書.pdf" in f.message and f.detail["target"] == quoted.url
    invalid = _read(_write(tmp_path / "x.pdf", dm.HTML_ERROR_PAGE))
    (inv,) = document_findings(invalid, PAGES[:1], REQUIRED)
    assert inv.severity is Severity.error and inv.detail["reason"] == invalid.invalid_reason
    assert invalid.invalid_reason in inv.message


def test_fix_advice_depends_on_the_format() -> None:
    rule = documents._RULE["attachment.metadata-missing"]
    assert "LibreOffice" in rule.fix_for({"kind": "odf"}) and "Acrobat" in rule.fix_for({"kind": "pdf"})
    assert "Word" in rule.fix_for({"kind": "ooxml"})
    assert rule.fix_for({"kind": "other"}) == rule.fix
    assert all(r.title and not r.title.isascii() for r in RULES)
    assert "OCR" in documents._RULE["attachment.no-text"].fix
    assert "具標籤的 PDF" in documents._RULE["attachment.untagged-pdf"].fix


def test_required_metadata_names(tmp_path: Path) -> None:
    facts = _read(dm.odf(tmp_path / "a.odt", user_fields={"主題分類": "170"}))
    assert missing_fields(facts, ("title", "作者", "Category.Theme", "Category.Cake", "meta:generator")) == [
        "Category.Cake"]
    assert missing_fields(facts, ()) == []
    assert document_findings(_read(dm.pdf(tmp_path / "n.pdf", tagged=True)), PAGES, ()) == []


def test_documents_that_were_not_read_yield_no_finding() -> None:
    for facts in (too_large_facts(f"{SITE}/a.pdf", max_bytes=10),
                  DocumentFacts(url=f"{SITE}/a.pdf", ext="pdf", kind="pdf", status="unreadable"),
                  DocumentFacts(url=f"{SITE}/a.pdf", ext="pdf", kind="pdf", status="failed")):
        assert document_findings(facts, PAGES, REQUIRED) == []


def test_a_page_listed_twice_gets_one_finding() -> None:
    facts = {"url": f"{SITE}/a.pdf", "kind": "pdf", "status": "ok", "title": "t", "subject": "s", "creator": "c",
             "has_text": True, "tagged": False}
    findings = document_findings(facts, [PAGES[0], PAGES[0], PAGES[1]], REQUIRED)
    assert [f.url for f in findings] == [PAGES[0][0], PAGES[1][0]]
    assert document_findings(facts, [], REQUIRED) == []


def test_has_text_unknown_is_not_judged() -> None:
    facts = {"url": f"{SITE}/a.pdf", "kind": "pdf", "status": "ok", "title": "t", "subject": "s", "creator": "c",
             "has_text": None, "tagged": True}
    assert document_findings(facts, PAGES, REQUIRED) == []
