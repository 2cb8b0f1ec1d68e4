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
import uuid
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name

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
_W_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_P_MAIN = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"


def _core_xml(title: str | None, subject: str | None, creator: str | None) -> bytes:
    parts = []
    for tag, value in (("dc:title", title), ("dc:subject", subject), ("dc:creator", creator)):
        if value is not None:
            parts.append(f"<{tag}>{value}</{tag}>")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' + "".join(parts) + "</cp:coreProperties>"
    ).encode("utf-8")


def _custom_xml(props: dict[str, str]) -> bytes:
    items = "".join(
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{n}" name="{k}"><vt:lpwstr>{v}</vt:lpwstr>'
        "</property>" for n, (k, v) in enumerate(props.items(), 2))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
            'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">' + items
            + "</Properties>").encode("utf-8")


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
                  replace={"docProps/custom.xml": _custom_xml(custom)} if custom else None)
            path.with_suffix(".tmp").replace(path)
        return path
    main, part, body = (
        (_W_MAIN, "word/document.xml",
         '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
         "<w:t>本文</w:t></w:r></w:p></w:body></w:document>")
        if kind == "docx" else
        (_P_MAIN, "ppt/presentation.xml",
         '<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>')
    )
    rels = ['<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            f'officeDocument" Target="{part}"/>']
    overrides = [f'<Override PartName="/{part}" ContentType="{main}"/>']
    if core:
        rels.append('<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
                    'metadata/core-properties" Target="docProps/core.xml"/>')
        overrides.append('<Override PartName="/docProps/core.xml" '
                         'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>')
    if custom:
        rels.append('<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    'relationships/custom-properties" Target="docProps/custom.xml"/>')
        overrides.append('<Override PartName="/docProps/custom.xml" '
                         'ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>' + "".join(overrides) + "</Types>")
        z.writestr("_rels/.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   + "".join(rels) + "</Relationships>")
        z.writestr(part, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + body)
        if core:
            z.writestr("docProps/core.xml", _core_xml(title, subject, creator))
        if custom:
            z.writestr("docProps/custom.xml", _custom_xml(custom))
    return path


# ---- OLE2 compound files (Office 97-2003) ---------------------------------------
_FREE, _END, _FATSECT, _NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_SUMMARY_FMTID = uuid.UUID("f29f85e0-4ff9-1068-ab91-08002b27b3d9").bytes_le


def summary_information(props: dict[int, str | int], codepage: int = 950) -> bytes:
    """A SummaryInformation property-set stream: pid -> str (VT_LPSTR in `codepage`) or int (VT_I4)."""
    codec = "utf-8" if codepage == 65001 else f"cp{codepage}"
    values: list[tuple[int, bytes]] = [(1, struct.pack("<IhH", 2, codepage if codepage < 32768 else codepage - 65536,
                                                       0))]
    for pid, value in props.items():
        if isinstance(value, int):
            values.append((pid, struct.pack("<Ii", 3, value)))
        else:
            raw = value.encode(codec) + b"\x00"
            raw += b"\x00" * (-len(raw) % 4)
            values.append((pid, struct.pack("<II", 0x1E, len(raw)) + raw))
    header_len = 8 + 8 * len(values)
    offsets, body = [], b""
    for pid, data in values:
        offsets.append((pid, header_len + len(body)))
        body += data
    section = struct.pack("<II", header_len + len(body), len(values))
    section += b"".join(struct.pack("<II", pid, off) for pid, off in offsets) + body
    head = struct.pack("<HHI", 0xFFFE, 0, 0x00020006) + b"\x00" * 16 + struct.pack("<I", 1)
    head += _SUMMARY_FMTID + struct.pack("<I", 48)
    return head + section


def cfb(path: Path, streams: dict[str, bytes]) -> Path:
    """A minimal MS-CFB v3 compound file holding `streams` (root storage only)."""
    sector = 512
    data_sectors: list[bytes] = []
    starts: dict[str, int] = {}
    fat: list[int] = []
    for name, data in streams.items():
        data = data + b"\x00" * (max(0, 4096 - len(data)))  # never below the mini-stream cutoff
        data += b"\x00" * (-len(data) % sector)
        starts[name] = len(data_sectors)
        n = len(data) // sector
        for i in range(n):
            data_sectors.append(data[i * sector:(i + 1) * sector])
            fat.append(len(data_sectors) if i < n - 1 else _END)
    # directory: root + one entry per stream, 4 entries per sector
    entries = [("Root Entry", 5, _END, 0, 1 if streams else _NOSTREAM, _NOSTREAM)]
    names = list(streams)
    for i, name in enumerate(names):
        right = i + 2 if i + 1 < len(names) else _NOSTREAM  # a chain of right siblings
        entries.append((name, 2, starts[name], max(4096, len(streams[name])), _NOSTREAM, right))
    dir_bytes = b""
    for name, typ, start, size, child, right in entries:
        raw = name.encode("utf-16-le") + b"\x00\x00"
        dir_bytes += (raw.ljust(64, b"\x00") + struct.pack("<HBB", len(raw), typ, 1)
                      + struct.pack("<III", _NOSTREAM, right, child) + b"\x00" * 16 + b"\x00" * 4 + b"\x00" * 16
                      + struct.pack("<IQ", start, size))
    dir_bytes += b"\x00" * (-len(dir_bytes) % sector)
    dir_start = len(data_sectors)
    n_dir = len(dir_bytes) // sector
    for i in range(n_dir):
        data_sectors.append(dir_bytes[i * sector:(i + 1) * sector])
        fat.append(len(data_sectors) if i < n_dir - 1 else _END)
    fat_start = len(data_sectors)
    fat.append(_FATSECT)
    assert len(fat) <= 128, "one FAT sector is enough for test files"
    fat_sector = struct.pack("<128I", *(fat + [_FREE] * (128 - len(fat))))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + b"\x00" * 6 + struct.pack("<IIIIIIIII", 0, 1, dir_start, 0, 4096, _END, 0, _END, 0)
              + struct.pack("<109I", fat_start, *([_FREE] * 108)))
    path.write_bytes(header + b"".join(data_sectors) + fat_sector)
    return path


def word_fib(encrypted: bool = False) -> bytes:
    """The start of a WordDocument stream: FibBase with wIdent 0xA5EC and fEncrypted."""
    return struct.pack("<HHHHHH", 0xA5EC, 0x00C1, 0, 0x0404, 0, 0x0100 if encrypted else 0)


def excel_workbook(encrypted: bool = False) -> bytes:
    """A BIFF8 globals substream start: BOF, (FILEPASS), EOF."""
    bof = struct.pack("<HH", 0x0809, 16) + struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0)
    filepass = struct.pack("<HH", 0x002F, 6) + b"\x01\x00\x01\x00\x00\x00" if encrypted else b""
    return bof + filepass + struct.pack("<HH", 0x000A, 0)


def ole(path: Path, kind: str = "doc", *, title: str | None = "申請書", subject: str | None = "申請",
        author: str | None = "秘書室", codepage: int = 950, encrypted: bool = False, summary: bool = True) -> Path:
    """A legacy Word/Excel/PowerPoint compound file with SummaryInformation."""
    streams: dict[str, bytes] = {}
    if kind == "doc":
        streams["WordDocument"] = word_fib(encrypted)
    elif kind == "xls":
        streams["Workbook"] = excel_workbook(encrypted)
    else:
        streams["PowerPoint Document"] = b"\x00" * 16
        streams["Current User"] = struct.pack("<HHI", 0, 0x0FF6, 20) + struct.pack(
            "<II", 20, 0xF3D1C4DF if encrypted else 0xE391C05F)
    if summary:
        props: dict[int, str | int] = {}
        for pid, value in ((2, title), (3, subject), (4, author)):
            if value is not None:
                props[pid] = value
        streams["\x05SummaryInformation"] = summary_information(props, codepage)
    return cfb(path, streams)


def encrypted_ooxml(path: Path) -> Path:
    """What Office writes for a password-protected .docx: an OLE file with EncryptionInfo + EncryptedPackage."""
    return cfb(path, {"EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00" + b"\x00" * 64,
                      "EncryptedPackage": struct.pack("<Q", 1000) + bytes(range(256)) * 4})


HTML_ERROR_PAGE = ("<!DOCTYPE html><html lang=\"zh-Hant-TW\"><head><meta charset=\"utf-8\"><title>找不到檔案</title>"
                   "</head><body><h1>很抱歉，您要下載的檔案不存在</h1></body></html>").encode()
