"""Real documents for the document tests, made on the spot.

PDFs with pikepdf (the library the reader uses, so the files are what qpdf
writes), ODF with odfpy, XLSX with openpyxl, DOCX/PPTX as the minimal OOXML
packages Word and PowerPoint accept, and the broken ones by hand: a PDF cut
in half, an HTML page named .pdf, ODF packages with the mimetype missing,
compressed or not first, a zip bomb dressed as .odt.

Legacy Office files (.doc/.xls/.ppt) are OLE2 compound files; olefile only
reads them (it can overwrite streams of an existing file, not create one),
and no well-kept Python library writes them, so `cfb()` writes a minimal
compound file by hand (MS-CFB version 3: 512-byte sectors, one FAT sector,
every stream padded to the 4,096-byte mini-stream cutoff so no mini stream is
needed) with a SummaryInformation property set (MS-OLEPS) in a chosen code
page — Big5 (cp950) as old Taiwanese documents have it.
"""
from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name

from tools.sampledocs import cfb_bytes, custom_xml, ole_bytes, ooxml_bytes

# ---- PDF ----------------------------------------------------------------------
_FONT = {"/Type": Name.Font, "/Subtype": Name.Type1, "/BaseFont": Name.Helvetica}


def pdf(path: Path, *, text: str | None = "Hello 2026", image: bool = False, pages: int = 1,
        info: dict[str, str] | None = None, xmp: dict[str, Any] | None = None, tagged: bool = False,
        marked_only: bool = False, ocr_invisible: bool = False, text_in_form: bool = False,
        encryption: pikepdf.Encryption | None = None, pad_bytes: int = 0, page_content: bytes | None = None) -> Path:
    """A PDF: `text` on every page (None = no text), an image (a scan), Info and XMP, tags.

    `ocr_invisible`: the text is drawn invisibly over the image (render mode 3), as OCR does.
    `text_in_form`: the text sits in a Form XObject the page draws.
    `pad_bytes`: an extra uncompressed stream of that size (for size caps).
    """
    doc = pikepdf.new()
    font = doc.make_indirect(Dictionary(_FONT))
    img = None
    if image:
        img = doc.make_stream(bytes(range(256)) * 16, Type=Name.XObject, Subtype=Name.Image, Width=64, Height=64,
                              ColorSpace=Name.DeviceGray, BitsPerComponent=8)
    form = None
    if text is not None and text_in_form:
        form = doc.make_stream(f"BT /F1 12 Tf 0 0 Td ({text}) Tj ET".encode("latin-1"), Type=Name.XObject,
                               Subtype=Name.Form, BBox=Array([0, 0, 500, 50]),
                               Resources=Dictionary(Font=Dictionary(F1=font)))
    for _ in range(pages):
        page = doc.add_blank_page(page_size=(595, 842))
        ops: list[bytes] = []
        resources = Dictionary()
        xobjects = Dictionary()
        if img is not None:
            xobjects.Im0 = img
            ops.append(b"q 595 0 0 842 0 0 cm /Im0 Do Q")
        if text is not None:
            if form is not None:
                xobjects.Fm0 = form
                ops.append(b"q 1 0 0 1 72 700 cm /Fm0 Do Q")
            else:
                resources.Font = Dictionary(F1=font)
                mode = b"3 Tr " if ocr_invisible else b""
                ops.append(b"BT " + mode + b"/F1 12 Tf 72 720 Td (" + text.encode("latin-1") + b") Tj ET")
        if len(xobjects.keys()):
            resources.XObject = xobjects
        page.Resources = resources
        page.Contents = doc.make_stream(page_content if page_content is not None else b"\n".join(ops))
    if info:
        doc.trailer.Info = doc.make_indirect(Dictionary({f"/{k}": pikepdf.String(v) for k, v in info.items()}))
    if xmp:
        with doc.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            for k, v in xmp.items():
                meta[k] = v
    if tagged or marked_only:
        doc.Root.MarkInfo = Dictionary(Marked=True)
    if tagged:
        elem = doc.make_indirect(Dictionary(Type=Name.StructElem, S=Name.P, Pg=doc.pages[0].obj, K=0))
        tree = doc.make_indirect(Dictionary(Type=Name.StructTreeRoot, K=Array([elem])))
        elem.P = tree
        doc.Root.StructTreeRoot = tree
    if pad_bytes:
        doc.Root.Padding = doc.make_stream(b"\x00" * pad_bytes)
    kwargs: dict[str, Any] = {"encryption": encryption} if encryption else {}
    if pad_bytes:
        kwargs["compress_streams"] = False
    doc.save(path, **kwargs)
    return path


def raw_pdf(path: Path, objects: list[bytes], *, root: int = 1, info: int | None = None) -> Path:
    """A PDF written byte by byte (objects numbered from 1), with a correct xref: for hostile shapes."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    trailer = b"<< /Size %d /Root %d 0 R" % (len(objects) + 1, root)
    if info:
        trailer += b" /Info %d 0 R" % info
    out.write(b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref)
    path.write_bytes(out.getvalue())
    return path


def stream_obj(data: bytes, extra: bytes = b"", *, flate: bool = False) -> bytes:
    if flate:
        data = zlib.compress(data, 9)
        extra += b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def raw_page_pdf(path: Path, content: bytes, *, flate: bool = False, info: bytes | None = None,
                 metadata: bytes | None = None, metadata_flate: bool = False) -> Path:
    """One page whose content stream is `content` (Helvetica as /F1), hand-written."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R" + (b" /Metadata 6 0 R" if metadata is not None else b"") + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >>"
        b" /Contents 4 0 R >>",
        stream_obj(content, flate=flate),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    if metadata is not None:
        objects.append(stream_obj(metadata, b" /Type /Metadata /Subtype /XML", flate=metadata_flate))
    info_n = None
    if info is not None:
        objects.append(info)
        info_n = len(objects)
    return raw_pdf(path, objects, info=info_n)


# ---- ODF ----------------------------------------------------------------------
def odf(path: Path, kind: str = "odt", *, title: str | None = "申請書", subject: str | None = "申請",
        creator: str | None = "秘書室", user_fields: dict[str, str] | None = None) -> Path:
    """A real ODF document written by odfpy (odt, ods or odp) with the given meta.xml fields."""
    from odf import dc, draw, meta, table, text
    from odf.opendocument import OpenDocumentPresentation, OpenDocumentSpreadsheet, OpenDocumentText

    if kind == "ods":
        doc = OpenDocumentSpreadsheet()
        t = table.Table(name="工作表1")
        row = table.TableRow()
        cell = table.TableCell()
        cell.addElement(text.P(text="資料"))
        row.addElement(cell)
        t.addElement(row)
        doc.spreadsheet.addElement(t)
    elif kind == "odp":
        doc = OpenDocumentPresentation()
        doc.presentation.addElement(draw.Page(name="page1", masterpagename=""))
    else:
        doc = OpenDocumentText()
        doc.text.addElement(text.P(text="本文"))
    if title is not None:
        doc.meta.addElement(dc.Title(text=title))
    if subject is not None:
        doc.meta.addElement(dc.Subject(text=subject))
    if creator is not None:
        doc.meta.addElement(meta.InitialCreator(text=creator))
    for name, value in (user_fields or {}).items():
        doc.meta.addElement(meta.UserDefined(name=name, text=value))
    doc.save(str(path))
    return path


def rezip(src: Path, dst: Path, *, drop: tuple[str, ...] = (), order: list[str] | None = None,
          compress: dict[str, int] | None = None, replace: dict[str, bytes] | None = None) -> Path:
    """Rewrite a zip package: members dropped, reordered, (un)compressed or replaced — broken ODF."""
    with zipfile.ZipFile(src) as zin:
        members = {i.filename: zin.read(i) for i in zin.infolist()}
        modes = {i.filename: i.compress_type for i in zin.infolist()}
    members.update(replace or {})
    names = order or list(members)
    names += [n for n in members if n not in names]
    with zipfile.ZipFile(dst, "w") as zout:
        for name in names:
            if name in drop or name not in members:
                continue
            mode = (compress or {}).get(name, modes.get(name, zipfile.ZIP_DEFLATED))
            zout.writestr(zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0)), members[name], compress_type=mode)
    return dst


def zip_bomb_odt(path: Path, unpacked: int = 40 * 1024 * 1024) -> Path:
    """A valid-looking .odt (mimetype first and stored, manifest, meta) whose content.xml unpacks to `unpacked`."""
    good = odf(path.with_name("bomb-base.odt"))
    with zipfile.ZipFile(good) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    with zipfile.ZipFile(path, "w") as zout:
        zout.writestr("mimetype", parts["mimetype"], compress_type=zipfile.ZIP_STORED)
        zout.writestr("META-INF/manifest.xml", parts["META-INF/manifest.xml"], compress_type=zipfile.ZIP_DEFLATED)
        zout.writestr("meta.xml", parts["meta.xml"], compress_type=zipfile.ZIP_DEFLATED)
        info = zipfile.ZipInfo("content.xml", (2026, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with zout.open(info, "w") as f:
            chunk = b"\x20" * (1 << 20)
            for _ in range(unpacked // len(chunk)):
                f.write(chunk)
    good.unlink()
    return path


# ---- OOXML --------------------------------------------------------------------
def ooxml(path: Path, kind: str = "docx", *, title: str | None = "申請書", subject: str | None = "申請",
          creator: str | None = "秘書室", core: bool = True, custom: dict[str, str] | None = None) -> Path:
    """A minimal Word (docx) or PowerPoint (pptx) package, or an openpyxl workbook (xlsx)."""
    if kind == "xlsx":
        import openpyxl

        wb = openpyxl.Workbook()
        wb.active["A1"] = "資料"
        wb.properties.title = title
        wb.properties.subject = subject
        wb.properties.creator = creator  # type: ignore[assignment]
        wb.save(path)
        if custom or not core:
            rezip(path, path.with_suffix(".tmp"), drop=() if core else ("docProps/core.xml",),
                  replace={"docProps/custom.xml": custom_xml(custom)} if custom else None)
            path.with_suffix(".tmp").replace(path)
        return path
    path.write_bytes(ooxml_bytes(kind, title=title, subject=subject, creator=creator, core=core, custom=custom))
    return path


# ---- OLE2 compound files (Office 97-2003), built by tools/sampledocs.py ---------
def cfb(path: Path, streams: dict[str, bytes]) -> Path:
    path.write_bytes(cfb_bytes(streams))
    return path


def ole(path: Path, kind: str = "doc", *, title: str | None = "申請書", subject: str | None = "申請",
        author: str | None = "秘書室", codepage: int = 950, encrypted: bool = False, summary: bool = True) -> Path:
    """A legacy Word/Excel/PowerPoint compound file with SummaryInformation."""
    path.write_bytes(ole_bytes(kind, title=title, subject=subject, author=author, codepage=codepage,
                               encrypted=encrypted, summary=summary))
    return path


def encrypted_ooxml(path: Path) -> Path:
    """What Office writes for a password-protected .docx: an OLE file with EncryptionInfo + EncryptedPackage."""
    return cfb(path, {"EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00" + b"\x00" * 64,
                      "EncryptedPackage": struct.pack("<Q", 1000) + bytes(range(256)) * 4})


HTML_ERROR_PAGE = ("<!DOCTYPE html><html lang=\"zh-Hant-TW\"><head><meta charset=\"utf-8\"><title>找不到檔案</title>"
                   "</head><body><h1>很抱歉，您要下載的檔案不存在</h1></body></html>").encode()
