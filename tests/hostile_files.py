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


def one_line_text(chars: int) -> bytes:
    """`chars` common hanzi on one line with no sentence end, comma or space (UTF-8): no cut for the
    lead sentence, no soft break for the chunker."""
    import random

    common = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而"
    pick = random.Random(chars).choice
    return "".join(pick(common) for _ in range(chars)).encode()


def blank_pdf(pages: int) -> bytes:
    """A PDF of `pages` blank pages, one page object listed `pages` times in the page tree (about 7 bytes
    a page): no text layer, nothing to see."""
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Count %d/Kids[%s]>>" % (pages, b" ".join([b"3 0 R"] * pages)),
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<<>>>>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out
