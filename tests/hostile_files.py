"""Hostile files built on the spot (no binaries in the repository): small on disk, endless to read."""

from __future__ import annotations

import io
import zipfile


def spreadsheet_claiming_every_cell() -> bytes:
    """An XLSX of about 5 KB whose sheet declares <dimension ref="A1:XFD1048576"/>: a header in A1 and one
    cell at XFD1048576. A reader trusting the dimension pads a million rows to 16,384 cells each."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "名称"
    sheet["XFD1048576"] = "最后一格"
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert b'<dimension ref="A1:XFD1048576"/>' in z.read("xl/worksheets/sheet1.xml")
    return data


def docx_unzipping_to(mib: int) -> bytes:
    """A DOCX whose document.xml unzips to about `mib` MiB of short paragraphs (about 120 KB zipped)."""
    import docx

    out = io.BytesIO()
    docx.Document().save(out)
    paragraph = "<w:p><w:r><w:t>第一段文字，内容重复。</w:t></w:r></w:p>".encode()
    body = paragraph * (mib * 1024 * 1024 // len(paragraph))
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    xml = parts["word/document.xml"]
    start = xml.index(b"<w:body>") + len(b"<w:body>")
    parts["word/document.xml"] = xml[:start] + body + xml[start:]
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, content in parts.items():
            z.writestr(name, content)
    return packed.getvalue()
