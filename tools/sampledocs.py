"""Real, reproducible documents for the bundled sample site and the benchmark site.

A government download list offers each form as ODF and PDF; the documents a
crawl reads must be real ones so that `attachment.*` judges what an office
would publish: a tagged PDF with a text layer and its own title, subject and
author; an ODF package with `mimetype` first and stored, a manifest and a
meta.xml.  The same bytes come out on every run (fixed zip timestamps, qpdf's
deterministic /ID), so the committed sample site can be checked against a
fresh build.  The tests make their broken documents themselves
(tests/docmaker.py).
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name

_ZIP_DATE = (2026, 1, 1, 0, 0, 0)
_MEDIA = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}


def pdf_bytes(*, title: str | None, subject: str | None, creator: str | None, text: str = "Form 2026",
              tagged: bool = True, scan: bool = False) -> bytes:
    """A one-page A4 PDF.  `scan`: an image and no text layer; `tagged`: a structure tree."""
    doc = pikepdf.new()
    page = doc.add_blank_page(page_size=(595, 842))
    if scan:
        img = doc.make_stream(bytes(range(256)) * 16, Type=Name.XObject, Subtype=Name.Image, Width=64, Height=64,
                              ColorSpace=Name.DeviceGray, BitsPerComponent=8)
        page.Resources = Dictionary(XObject=Dictionary(Im0=img))
        page.Contents = doc.make_stream(b"q 595 0 0 842 0 0 cm /Im0 Do Q")
    else:
        font = doc.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
        page.Resources = Dictionary(Font=Dictionary(F1=font))
        page.Contents = doc.make_stream(b"BT /F1 12 Tf 72 720 Td (" + text.encode("latin-1") + b") Tj ET")
    info = {k: v for k, v in (("/Title", title), ("/Subject", subject), ("/Author", creator)) if v}
    if info:
        doc.trailer.Info = doc.make_indirect(Dictionary({k: pikepdf.String(v) for k, v in info.items()}))
    if tagged:
        doc.Root.MarkInfo = Dictionary(Marked=True)
        elem = doc.make_indirect(Dictionary(Type=Name.StructElem, S=Name.P, Pg=doc.pages[0].obj, K=0))
        tree = doc.make_indirect(Dictionary(Type=Name.StructTreeRoot, K=Array([elem])))
        elem.P = tree
        doc.Root.StructTreeRoot = tree
    out = io.BytesIO()
    doc.save(out, deterministic_id=True)
    return out.getvalue()


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def odf_bytes(kind: str = "odt", *, title: str | None, subject: str | None, creator: str | None,
              body: str = "申請書") -> bytes:
    """A minimal valid ODF package of `kind` (odt, ods, odp) with the given meta.xml fields."""
    media = _MEDIA[kind]
    office_body = {
        "odt": f"<office:text><text:p>{_esc(body)}</text:p></office:text>",
        "ods": f"<office:spreadsheet><table:table table:name='工作表1'><table:table-row><table:table-cell>"
               f"<text:p>{_esc(body)}</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>",
        "odp": "<office:presentation><draw:page draw:name='page1'/></office:presentation>",
    }[kind]
    ns = ("xmlns:office='urn:oasis:names:tc:opendocument:xmlns:office:1.0' "
          "xmlns:text='urn:oasis:names:tc:opendocument:xmlns:text:1.0' "
          "xmlns:table='urn:oasis:names:tc:opendocument:xmlns:table:1.0' "
          "xmlns:draw='urn:oasis:names:tc:opendocument:xmlns:drawing:1.0' "
          "xmlns:dc='http://purl.org/dc/elements/1.1/' "
          "xmlns:meta='urn:oasis:names:tc:opendocument:xmlns:meta:1.0'")
    content = f"<?xml version='1.0' encoding='UTF-8'?><office:document-content {ns} office:version='1.3'>" \
              f"<office:body>{office_body}</office:body></office:document-content>"
    fields = "".join(f"<{tag}>{_esc(v)}</{tag}>" for tag, v in (
        ("dc:title", title), ("dc:subject", subject), ("meta:initial-creator", creator)) if v)
    meta = f"<?xml version='1.0' encoding='UTF-8'?><office:document-meta {ns} office:version='1.3'>" \
           f"<office:meta>{fields}</office:meta></office:document-meta>"
    manifest = ("<?xml version='1.0' encoding='UTF-8'?>"
                "<manifest:manifest xmlns:manifest='urn:oasis:names:tc:opendocument:xmlns:manifest:1.0'"
                " manifest:version='1.3'>"
                f"<manifest:file-entry manifest:full-path='/' manifest:media-type='{media}'/>"
                "<manifest:file-entry manifest:full-path='content.xml' manifest:media-type='text/xml'/>"
                "<manifest:file-entry manifest:full-path='meta.xml' manifest:media-type='text/xml'/>"
                "</manifest:manifest>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        # ODF 1.3 §3.3: `mimetype` first, stored, no extra field
        z.writestr(zipfile.ZipInfo("mimetype", _ZIP_DATE), media, compress_type=zipfile.ZIP_STORED)
        for name, data in (("content.xml", content), ("meta.xml", meta), ("META-INF/manifest.xml", manifest)):
            z.writestr(zipfile.ZipInfo(name, _ZIP_DATE), data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
