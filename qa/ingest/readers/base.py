"""The one reader interface: file bytes in → a Document of text blocks, each knowing where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["KINDS", "ReadLimits", "TextBlock", "Document", "assemble"]

# heading | paragraph | list (list item) | table_row | caption
KINDS = ("heading", "paragraph", "list", "table_row", "caption")


@dataclass(frozen=True)
class ReadLimits:
    """Bounds on what one file may cost; each is a setting (qa/config.py)."""

    max_pages: int = 2000  # PDF pages / slides / sheet rows beyond this are not read
    max_unzipped_bytes: int = 200 * 1024 * 1024  # DOCX/PPTX/XLSX: total decompressed size (zip bombs)
    max_html_bytes: int = 5 * 1024 * 1024  # an HTML page larger than this is cut before extraction
    ocr: bool = True  # OCR pages without a usable text layer when rapidocr is installed


@dataclass
class TextBlock:
    """One block of a document's text and where it stands: offsets into Document.text, and its page
    (PDF page or slide, 1-based), or sheet and row (XLSX); `origin` says how the text was obtained."""

    text: str
    kind: str = "paragraph"
    start: int = 0
    end: int = 0
    page: int | None = None
    sheet: str | None = None
    row: int | None = None
    origin: str = "text"  # text | text layer | ocr | table | notes | …


@dataclass
class Document:
    """What a reader makes of one file.

    `text` is what citations index into. Plain text has `blocks=None`: its lines go through the
    page-break heuristics of layout.py as they always did. Every other reader gives its blocks
    directly, with offsets into `text`. `extracted` is True when `text` is not the file's own
    decoded text (PDF, DOCX …): the index then keeps a copy of it so citations can be read back.
    """

    format: str
    text: str
    blocks: list[TextBlock] | None = None
    extracted: bool = True
    encoding: str | None = None
    pages: int | None = None  # pages, slides or sheet rows read
    ocr_pages: list[int] = field(default_factory=list)  # pages whose text came from OCR
    needs_ocr: list[int] = field(default_factory=list)  # pages with no usable text and no OCR installed
    warnings: list[str] = field(default_factory=list)
    slides: bool = False  # each page is a slide (PPTX, a PDF of landscape pages): a passage never spans two


def assemble(fmt: str, blocks: list[TextBlock], **kw) -> Document:
    """Join blocks into one extracted text (a blank line between blocks) and set their offsets."""
    parts: list[str] = []
    pos = 0
    kept: list[TextBlock] = []
    for b in blocks:
        text = b.text.strip()
        if not text:
            continue
        if parts:
            parts.append("\n\n")
            pos += 2
        b.text, b.start, b.end = text, pos, pos + len(text)
        parts.append(text)
        pos += len(text)
        kept.append(b)
    return Document(format=fmt, text="".join(parts), blocks=kept, extracted=True, **kw)
