"""crawler/documents.py read_document on real documents made by tests/docmaker.py (issue 13)."""
from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest

import docmaker as dm
from crawler.documents import DOCUMENT_EXTENSIONS, DocumentFacts, classification_key, read_document

CAP = 20_000_000


def read(path: Path, ext: str | None = None, content_type: str = "", declared: int | None = None,
         max_bytes: int = CAP) -> DocumentFacts:
    ext = ext if ext is not None else path.suffix[1:]
    return read_document(path, url=f"https://www.example.gov.tw/files/{path.name}", ext=ext,
                         content_type=content_type, declared_length=declared, max_bytes=max_bytes)


INFO = {"Title": "113年度預算書", "Subject": "預算", "Author": "主計室"}

# name -> (maker(dir) -> path, ext override or None, expected facts subset)
CASES: dict[str, tuple[Callable[[Path], Path], str | None, dict[str, Any]]] = {
    "text pdf with Info": (
        lambda d: dm.pdf(d / "a.pdf", info=INFO),
        None, {"status": "ok", "kind": "pdf", "title": "113年度預算書", "subject": "預算", "creator": "主計室",
               "has_text": True, "tagged": False, "page_count": 1}),
    "text pdf without Info": (
        lambda d: dm.pdf(d / "b.pdf"),
        None, {"status": "ok", "title": "", "subject": "", "creator": "", "has_text": True}),
    "pdf with XMP only": (
        lambda d: dm.pdf(d / "x.pdf", xmp={"dc:title": "XMP 標題", "dc:creator": ["人事室"],
                                          "dc:description": "說明"}),
        None, {"status": "ok", "title": "XMP 標題", "creator": "人事室", "subject": "說明"}),
    "scan (image only)": (
        lambda d: dm.pdf(d / "scan.pdf", text=None, image=True, info=INFO),
        None, {"status": "ok", "has_text": False, "tagged": False}),
    "scan with invisible OCR text": (
        lambda d: dm.pdf(d / "ocr.pdf", image=True, ocr_invisible=True),
        None, {"status": "ok", "has_text": True}),
    "text only inside a form xobject": (
        lambda d: dm.pdf(d / "form.pdf", text_in_form=True),
        None, {"status": "ok", "has_text": True}),
    "tagged pdf": (
        lambda d: dm.pdf(d / "tagged.pdf", tagged=True, info=INFO),
        None, {"status": "ok", "tagged": True, "has_text": True}),
    "marked but no structure tree": (
        lambda d: dm.pdf(d / "marked.pdf", marked_only=True),
        None, {"status": "ok", "tagged": False}),
    "html error page saved as pdf": (
        lambda d: _write(d / "err.pdf", dm.HTML_ERROR_PAGE),
        None, {"status": "invalid", "kind": "pdf"}),
    "truncated pdf": (
        lambda d: _write(d / "cut.pdf", dm.pdf(d / "whole.pdf", info=INFO).read_bytes()[:400]),
        None, {"status": "invalid"}),
    "empty file": (lambda d: _write(d / "empty.pdf", b""), None, {"status": "invalid"}),
    "encrypted pdf (user password)": (
        lambda d: dm.pdf(d / "enc.pdf", info=INFO, encryption=pikepdf.Encryption(user="secret", owner="owner")),
        None, {"status": "encrypted"}),
    "owner password only": (
        lambda d: dm.pdf(d / "owner.pdf", info=INFO, encryption=pikepdf.Encryption(
            user="", owner="owner", allow=pikepdf.Permissions(extract=False))),
        None, {"status": "ok", "title": "113年度預算書", "has_text": True}),
    "valid odt": (
        lambda d: dm.odf(d / "a.odt", user_fields={"Category.Theme": "170", "主題分類": "999"}),
        None, {"status": "ok", "kind": "odf", "title": "申請書", "subject": "申請", "creator": "秘書室",
               "classification": {"Category.Theme": "170"}}),
    "odt without meta title": (
        lambda d: dm.odf(d / "notitle.odt", title=None), None, {"status": "ok", "title": "", "subject": "申請"}),
    "ods": (lambda d: dm.odf(d / "a.ods", "ods"), None, {"status": "ok", "title": "申請書"}),
    "odp": (lambda d: dm.odf(d / "a.odp", "odp", creator=None), None, {"status": "ok", "creator": ""}),
    "zip that is no odf": (
        lambda d: _zip(d / "plain.odt", {"readme.txt": b"hello"}), None, {"status": "invalid"}),
    "odf without mimetype": (
        lambda d: dm.rezip(dm.odf(d / "s1.odt"), d / "nomime.odt", drop=("mimetype",)), None, {"status": "invalid"}),
    "odf with compressed mimetype": (
        lambda d: dm.rezip(dm.odf(d / "s2.odt"), d / "deflated.odt", compress={"mimetype": 8}),
        None, {"status": "invalid"}),
    "odf with mimetype not first": (
        lambda d: dm.rezip(dm.odf(d / "s3.odt"), d / "late.odt", order=["content.xml", "mimetype"]),
        None, {"status": "invalid"}),
    "odf without manifest": (
        lambda d: dm.rezip(dm.odf(d / "s4.odt"), d / "noman.odt", drop=("META-INF/manifest.xml",)),
        None, {"status": "invalid"}),
    "odf with a huge mimetype": (
        lambda d: dm.rezip(dm.odf(d / "s5.odt"), d / "hugemime.odt", replace={"mimetype": b"a" * 5_000_000},
                           compress={"mimetype": 0}), None, {"status": "invalid"}),
    "ods named odt": (lambda d: dm.odf(d / "sheet.ods", "ods"), "odt", {"status": "invalid"}),
    "docx with core properties": (
        lambda d: dm.ooxml(d / "a.docx", custom={"Category.Cake": "140"}),
        None, {"status": "ok", "kind": "ooxml", "title": "申請書", "creator": "秘書室",
               "classification": {"Category.Cake": "140"}}),
    "docx without core properties": (
        lambda d: dm.ooxml(d / "nocore.docx", core=False), None, {"status": "ok", "title": "", "creator": ""}),
    "xlsx with core properties": (lambda d: dm.ooxml(d / "a.xlsx", "xlsx"), None, {"status": "ok", "title": "申請書"}),
    "xlsx without core properties": (
        lambda d: dm.ooxml(d / "nocore.xlsx", "xlsx", core=False), None, {"status": "ok", "title": ""}),
    "pptx": (lambda d: dm.ooxml(d / "a.pptx", "pptx", subject=None), None, {"status": "ok", "subject": ""}),
    "docx that is not a zip": (lambda d: _write(d / "html.docx", dm.HTML_ERROR_PAGE), None, {"status": "invalid"}),
    "xlsx named docx": (lambda d: dm.ooxml(d / "book.xlsx", "xlsx"), "docx", {"status": "invalid"}),
    "odt named docx": (lambda d: dm.odf(d / "real.odt"), "docx", {"status": "invalid"}),
    "encrypted docx (OLE EncryptedPackage)": (
        lambda d: dm.encrypted_ooxml(d / "enc.docx"), None, {"status": "encrypted", "kind": "ooxml"}),
    "doc in Big5": (
        lambda d: dm.ole(d / "a.doc"),
        None, {"status": "ok", "kind": "ole", "title": "申請書", "subject": "申請", "creator": "秘書室"}),
    "xls without title (UTF-8 code page)": (
        lambda d: dm.ole(d / "a.xls", "xls", title=None, codepage=65001),
        None, {"status": "ok", "title": "", "creator": "秘書室"}),
    "ppt": (lambda d: dm.ole(d / "a.ppt", "ppt"), None, {"status": "ok", "title": "申請書"}),
    "doc without SummaryInformation": (
        lambda d: dm.ole(d / "nosum.doc", summary=False), None, {"status": "ok", "title": ""}),
    "encrypted doc": (lambda d: dm.ole(d / "enc.doc", encrypted=True), None, {"status": "encrypted"}),
    "encrypted xls": (lambda d: dm.ole(d / "enc.xls", "xls", encrypted=True), None, {"status": "encrypted"}),
    "encrypted ppt": (lambda d: dm.ole(d / "enc.ppt", "ppt", encrypted=True), None, {"status": "encrypted"}),
    "xls named doc": (lambda d: dm.ole(d / "book.xls", "xls"), "doc", {"status": "invalid"}),
    "docx named doc": (lambda d: dm.ooxml(d / "new.docx"), "doc", {"status": "invalid"}),
    "html saved as xls": (lambda d: _write(d / "report.xls", dm.HTML_ERROR_PAGE), None, {"status": "invalid"}),
    "rtf named doc": (lambda d: _write(d / "rtf.doc", b"{\\rtf1\\ansi hello}"), None, {"status": "invalid"}),
    "corrupt OLE": (lambda d: _write(d / "bad.doc", dm.ole(d / "ok.doc").read_bytes()[:600]),
                    None, {"status": "invalid"}),
    "zip bomb as odt": (lambda d: dm.zip_bomb_odt(d / "bomb.odt"), None, {"status": "invalid"}),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


@pytest.mark.parametrize("case", list(CASES))
def test_reader(case: str, tmp_path: Path) -> None:
    maker, ext, expected = CASES[case]
    facts = read(maker(tmp_path), ext=ext)
    got = facts.to_dict()
    assert {k: got[k] for k in expected} == expected, got
    assert got["status"] in ("ok", "invalid", "encrypted")
    if facts.status == "invalid":
        assert facts.invalid_reason and not facts.invalid_reason.isascii()  # a Chinese reason
    else:
        assert facts.invalid_reason == ""
    if facts.status == "encrypted":
        assert facts.notices and "密碼" in facts.notices[0]
    assert len(facts.sha256) == 64 or got["bytes"] == 0


def test_row_keys_are_the_contract() -> None:
    row = DocumentFacts(url="u", ext="pdf", kind="pdf", status="ok").to_dict()
    contract = {"url", "ext", "kind", "content_type", "bytes", "sha256", "status", "title", "subject", "creator",
                "properties", "classification", "has_text", "tagged", "page_count", "notices"}
    assert set(row) == contract | {"invalid_reason"}
    assert DocumentFacts.from_dict(row) == DocumentFacts(url="u", ext="pdf", kind="pdf", status="ok")


def test_reasons_say_what_the_file_is(tmp_path: Path) -> None:
    html = read(_write(tmp_path / "a.pdf", dm.HTML_ERROR_PAGE), content_type="text/html")
    assert "HTML 網頁" in html.invalid_reason and ".pdf" in html.invalid_reason
    assert "%%EOF" in read(_write(tmp_path / "c.pdf", dm.pdf(tmp_path / "w.pdf").read_bytes()[:300])).invalid_reason
    assert "mimetype" in read(dm.rezip(dm.odf(tmp_path / "s.odt"), tmp_path / "n.odt", drop=("mimetype",))
                              ).invalid_reason
    assert "試算表" in read(dm.odf(tmp_path / "x.ods", "ods"), ext="odt").invalid_reason
    assert ".docx" in read(dm.ooxml(tmp_path / "w.docx"), ext="doc").invalid_reason
    assert "zip bomb" in read(dm.zip_bomb_odt(tmp_path / "b.odt")).invalid_reason


def test_properties_and_classification_are_read(tmp_path: Path) -> None:
    facts = read(dm.pdf(tmp_path / "c.pdf", info={**INFO, "Category.Theme": "170", "施政分類": "140",
                                                   "DC.Category.Service": "E10"}))
    assert facts.classification == {"Category.Theme": "170", "Category.Cake": "140", "Category.Service": "E10"}
    assert facts.properties["Title"] == "113年度預算書"
    xmp = read(dm.pdf(tmp_path / "x.pdf", xmp={"dc:title": "t", "pdf:Keywords": "預算"}))
    assert xmp.properties["pdf:Keywords"] == "預算"
    assert [classification_key(n) for n in ("Category.Theme", "category_theme", "主題", "服務分類", "Theme")] == [
        "Category.Theme", "Category.Theme", "Category.Theme", "Category.Service", None]


def test_content_type_mismatch_is_a_notice_not_invalid(tmp_path: Path) -> None:
    facts = read(dm.pdf(tmp_path / "a.pdf", info=INFO), content_type="text/html; charset=utf-8")
    assert facts.status == "ok"
    assert any("Content-Type" in n for n in facts.notices)
    assert not read(dm.pdf(tmp_path / "b.pdf"), content_type="application/octet-stream").notices


def test_extension_from_content_type_when_the_url_has_none(tmp_path: Path) -> None:
    facts = read(dm.pdf(tmp_path / "download"), ext="", content_type="application/pdf")
    assert (facts.ext, facts.kind, facts.status) == ("pdf", "pdf", "ok")
    odt = read(dm.odf(tmp_path / "file"), ext="", content_type="application/vnd.oasis.opendocument.text")
    assert (odt.ext, odt.status) == ("odt", "ok")


def test_too_large_file_and_short_download(tmp_path: Path) -> None:
    doc = dm.pdf(tmp_path / "a.pdf", info=INFO)
    big = read(doc, max_bytes=100)
    assert big.status == "too-large" and "100 位元組" in big.notices[0]
    short = read(doc, declared=doc.stat().st_size + 1000)
    assert short.status == "failed" and "不完整" in short.notices[0]


def test_document_extensions() -> None:
    assert {"pdf", "odt", "ods", "odp", "doc", "docx", "xls", "xlsx", "ppt", "pptx"} == DOCUMENT_EXTENSIONS


# ---- hostile input: bounded work, one state ---------------------------------------
# Each of these would run for minutes or exhaust memory without its cap; the
# timeout mark is the hang guard (how fast a read is: bench, not tests).
hostile = pytest.mark.timeout(60)




@hostile
def test_ten_thousand_pages_are_bounded(tmp_path: Path) -> None:
    scan = read(dm.pdf(tmp_path / "many.pdf", text=None, image=True, pages=10_000))
    assert (scan.status, scan.has_text, scan.page_count) == ("ok", False, 10_000)


def test_text_on_a_late_page_is_found_by_sampling(tmp_path: Path) -> None:
    # 300 pages: the first 10 are empty, text from page 11 on: sampled pages find it
    with pikepdf.open(dm.pdf(tmp_path / "t.pdf", pages=300)) as doc:
        for i in range(10):
            doc.pages[i].Contents = doc.make_stream(b"")  # no text on the first ten
        doc.save(tmp_path / "late.pdf")
    assert read(tmp_path / "late.pdf").has_text is True


@hostile
def test_flate_bomb_in_content_stream_is_capped(tmp_path: Path) -> None:
    content = b"0 0 m 1 1 l S\n" * (20 * 1024 * 1024 // 14)  # 20 MB of drawing (cap: 8 MB a page), no text
    facts = read(dm.raw_page_pdf(tmp_path / "bomb.pdf", content, flate=True))
    assert facts.status == "ok" and facts.has_text is None  # not proven either way: not judged
    assert any("文字層檢查未完成" in n for n in facts.notices)


@hostile
def test_huge_xmp_is_skipped(tmp_path: Path) -> None:
    xmp = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>" + b" " * (50 * 1024 * 1024) + b"</x:xmpmeta>"
    facts = read(dm.raw_page_pdf(tmp_path / "xmp.pdf", b"BT /F1 12 Tf (x) Tj ET", metadata=xmp,
                                         metadata_flate=True,
                                         info=b"<< /Title (Budget) /Author (A) /Subject (S) >>"))
    assert (facts.status, facts.title, facts.has_text) == ("ok", "Budget", True)
    assert any("XMP" in n for n in facts.notices)


@hostile
def test_deeply_nested_objects(tmp_path: Path) -> None:
    nest = b"[" * 50_000 + b"]" * 50_000
    facts = read(dm.raw_page_pdf(tmp_path / "nest.pdf", b"BT /F1 12 Tf (x) Tj ET",
                                         info=b"<< /Title " + nest + b" /Author (A) >>"))
    assert facts.status in ("ok", "invalid")
    chain = b"<< /A " * 5000 + b"1" + b" >>" * 5000
    facts = read(dm.raw_page_pdf(tmp_path / "chain.pdf", b"BT /F1 12 Tf (x) Tj ET",
                                         info=b"<< /Title (t) /X " + chain + b" >>"))
    assert facts.status in ("ok", "invalid")


@hostile
def test_garbage_after_a_pdf_header(tmp_path: Path) -> None:
    data = b"%PDF-1.4\n" + bytes(range(256)) * 4000 + b"\n%%EOF\n"
    facts = read(_write(tmp_path / "g.pdf", data))
    assert facts.status == "invalid"


def test_zip_directory_with_too_many_entries(tmp_path: Path) -> None:
    data = bytearray(dm.odf(tmp_path / "a.odt").read_bytes())
    at = data.rfind(b"PK\x05\x06")
    data[at + 10:at + 12] = struct.pack("<H", 60_000)
    facts = read(_write(tmp_path / "many.odt", bytes(data)))
    assert facts.status == "invalid" and "項目" in facts.invalid_reason


def test_corrupt_and_truncated_zip(tmp_path: Path) -> None:
    good = dm.odf(tmp_path / "a.odt").read_bytes()
    assert read(_write(tmp_path / "t.odt", good[:900])).status == "invalid"
    bad = bytearray(good)
    i = bad.find(b"meta.xml")
    bad[i + 40:i + 60] = b"\xff" * 20
    assert read(_write(tmp_path / "c.odt", bytes(bad))).status == "invalid"


@hostile
def test_entity_expansion_in_meta_xml_is_not_expanded(tmp_path: Path) -> None:
    ents = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 10))
    lol = (f'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY e0 "lol">{ents}]>'
           '<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta><dc:title>&e9;</dc:title></office:meta>'
           "</office:document-meta>").encode()
    facts = read(dm.rezip(dm.odf(tmp_path / "a.odt"), tmp_path / "lol.odt", replace={"meta.xml": lol}))
    assert facts.status == "ok" and len(facts.title) < 1000


def test_meta_part_above_the_cap_is_unreadable(tmp_path: Path) -> None:
    office = b"urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    big = (b'<?xml version="1.0"?><office:document-meta xmlns:office="' + office + b'"><office:meta>'
           + b"<!-- x -->" * 600_000 + b"</office:meta></office:document-meta>")
    facts = read(dm.rezip(dm.odf(tmp_path / "a.odt"), tmp_path / "bigmeta.odt", replace={"meta.xml": big}))
    assert facts.status == "unreadable" and "meta.xml" in facts.notices[0]


@hostile
def test_a_20_mb_pdf_is_read_without_loading_it_whole(tmp_path: Path) -> None:
    doc = dm.pdf(tmp_path / "big.pdf", info=INFO, pages=50, pad_bytes=19_000_000)
    facts = read(doc)
    assert (facts.status, facts.has_text, facts.page_count) == ("ok", True, 50)
