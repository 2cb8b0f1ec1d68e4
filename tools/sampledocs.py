"""Real, reproducible documents for the bundled sample site and the benchmark site.

A government download list offers each form as ODF and PDF; the documents a
crawl reads must be real ones so that `attachment.*` judges what an office
would publish: a tagged PDF with a text layer and its own title, subject and
author; an ODF package with `mimetype` first and stored, a manifest and a
meta.xml.  The same bytes come out on every run (fixed zip timestamps, qpdf's
deterministic /ID), so the committed sample site can be checked against a
fresh build.  Legacy Office files (.doc/.xls/.ppt) are OLE2 compound files
written by hand (`cfb_bytes`: no well-kept library writes them).  The tests
build their broken documents on top of these (tests/docmaker.py).
"""
from __future__ import annotations

import io
import struct
import uuid
import zipfile
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name

_ZIP_DATE = (2026, 1, 1, 0, 0, 0)
_MEDIA = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "odf": "application/vnd.oasis.opendocument.formula",
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
    """A minimal valid ODF package of `kind` (odt, ods, odp, odf = formula) with the given meta.xml fields."""
    media = _MEDIA[kind]
    office_body = {
        "odt": f"<office:text><text:p>{_esc(body)}</text:p></office:text>",
        "ods": f"<office:spreadsheet><table:table table:name='工作表1'><table:table-row><table:table-cell>"
               f"<text:p>{_esc(body)}</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>",
        "odp": "<office:presentation><draw:page draw:name='page1'/></office:presentation>",
        "odf": "<office:formula><math xmlns='http://www.w3.org/1998/Math/MathML'><semantics><annotation "
               f"encoding='StarMath 5.0'>{_esc(body)}</annotation></semantics></math></office:formula>",
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


_W_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_P_MAIN = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"


def core_xml(title: str | None, subject: str | None, creator: str | None) -> bytes:
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


def custom_xml(props: dict[str, str]) -> bytes:
    items = "".join(
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{n}" name="{k}"><vt:lpwstr>{v}</vt:lpwstr>'
        "</property>" for n, (k, v) in enumerate(props.items(), 2))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
            'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">' + items
            + "</Properties>").encode("utf-8")


def ooxml_bytes(kind: str = "docx", *, title: str | None, subject: str | None, creator: str | None,
                core: bool = True, custom: dict[str, str] | None = None) -> bytes:
    """A minimal Word (docx) or PowerPoint (pptx) package with core (and custom) properties."""
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
    members: list[tuple[str, str | bytes]] = [
        ("[Content_Types].xml",
         '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
         '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
         '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
         '<Default Extension="xml" ContentType="application/xml"/>' + "".join(overrides) + "</Types>"),
        ("_rels/.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         + "".join(rels) + "</Relationships>"),
        (part, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + body),
    ]
    if core:
        members.append(("docProps/core.xml", core_xml(title, subject, creator)))
    if custom:
        members.append(("docProps/custom.xml", custom_xml(custom)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name, _ZIP_DATE), data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


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


def cfb_bytes(streams: dict[str, bytes]) -> bytes:
    """A minimal MS-CFB v3 compound file holding `streams` (root storage only).

    No well-kept Python library writes compound files (olefile only reads
    them), so this writes one by hand: 512-byte sectors, one FAT sector,
    every stream padded to the 4,096-byte mini-stream cutoff."""
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
    assert len(fat) <= 128, "one FAT sector is enough for these small files"
    fat_sector = struct.pack("<128I", *(fat + [_FREE] * (128 - len(fat))))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + b"\x00" * 6 + struct.pack("<IIIIIIIII", 0, 1, dir_start, 0, 4096, _END, 0, _END, 0)
              + struct.pack("<109I", fat_start, *([_FREE] * 108)))
    return header + b"".join(data_sectors) + fat_sector


def word_fib(encrypted: bool = False) -> bytes:
    """The start of a WordDocument stream: FibBase with wIdent 0xA5EC and fEncrypted."""
    return struct.pack("<HHHHHH", 0xA5EC, 0x00C1, 0, 0x0404, 0, 0x0100 if encrypted else 0)


def excel_workbook(encrypted: bool = False) -> bytes:
    """A BIFF8 globals substream start: BOF, (FILEPASS), EOF."""
    bof = struct.pack("<HH", 0x0809, 16) + struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0)
    filepass = struct.pack("<HH", 0x002F, 6) + b"\x01\x00\x01\x00\x00\x00" if encrypted else b""
    return bof + filepass + struct.pack("<HH", 0x000A, 0)


def ole_bytes(kind: str = "doc", *, title: str | None, subject: str | None, author: str | None,
              codepage: int = 950, encrypted: bool = False, summary: bool = True) -> bytes:
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
    return cfb_bytes(streams)


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
