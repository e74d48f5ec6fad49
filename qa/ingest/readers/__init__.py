"""One reader per file format behind one interface, and the registry that picks it by file name.

    read(data: bytes, name: str, limits: ReadLimits) -> Document

A Document is the text citations index into and its blocks (text, kind, page / slide / sheet+row,
origin); see base.py. Adding a format is one new module here and one line in READERS.

    plaintext.py  .txt        UTF-8/UTF-16 BOM/GB18030/Big5, chosen by how Chinese the text reads
    markdown.py   .md         headings, lists, tables, code; HTML comments dropped
    pdf.py        .pdf        pypdfium2 text layer in reading order, repaired; OCR (ocr.py) where unusable
    word.py       .docx       python-docx: heading styles and outline levels, numbering restored, tables
    slides.py     .pptx       python-pptx: titles, text frames, tables, notes; cites the slide
    sheets.py     .xlsx       openpyxl read-only: each row "列名：值", cites sheet and row
    webpage.py    .html .htm  readability-lxml main content; encoding from the bytes
"""

from __future__ import annotations

from collections.abc import Callable

from qa.errors import UndecodableSource

from . import markdown, pdf, plaintext, sheets, slides, webpage, word
from .base import Document, ReadLimits, TextBlock

__all__ = ["READERS", "UNSUPPORTED", "Document", "ReadLimits", "TextBlock", "reader_for", "read_document"]

READERS: dict[str, Callable[[bytes, str, ReadLimits], Document]] = {
    ".txt": plaintext.read,
    ".md": markdown.read,
    ".markdown": markdown.read,
    ".pdf": pdf.read,
    ".docx": word.read,
    ".pptx": slides.read,
    ".xlsx": sheets.read,
    ".html": webpage.read,
    ".htm": webpage.read,
}

# Formats people try that have no reader, and what to do with them.
_SAVE_AS = "open it in Word/WPS and save it as DOCX (or print it to PDF), then ingest that"
UNSUPPORTED: dict[str, str] = {
    ".doc": f"legacy Word .doc is not supported; {_SAVE_AS}",
    ".wps": f"WPS .wps is not supported; {_SAVE_AS}",
    ".ppt": "legacy PowerPoint .ppt is not supported; save it as PPTX or PDF, then ingest that",
    ".xls": "legacy Excel .xls is not supported; save it as XLSX, then ingest that",
    ".et": "WPS .et is not supported; save it as XLSX, then ingest that",
    ".dps": "WPS .dps is not supported; save it as PPTX or PDF, then ingest that",
    ".rtf": f"RTF is not supported; {_SAVE_AS}",
    ".odt": f"OpenDocument text is not supported; {_SAVE_AS}",
}
for _image in (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp"):
    UNSUPPORTED[_image] = "images are not read on their own; put scans into a PDF (OCR reads its pages with qa[ocr])"


def reader_for(name: str) -> Callable[[bytes, str, ReadLimits], Document]:
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix in READERS:
        return READERS[suffix]
    if suffix in UNSUPPORTED:
        raise UndecodableSource(f"{name}: {UNSUPPORTED[suffix]}.")
    raise UndecodableSource(
        f"{name}: unsupported file type {suffix or '(no extension)'}; supported: {', '.join(sorted(READERS))}."
    )


def read_document(data: bytes, name: str, limits: ReadLimits | None = None) -> Document:
    """Read one file's bytes with the reader its name calls for. Empty files are refused here, once."""
    reader = reader_for(name)
    if not data.strip():
        raise UndecodableSource(f"{name} is empty; nothing to index.")
    return reader(data, name, limits or ReadLimits())
