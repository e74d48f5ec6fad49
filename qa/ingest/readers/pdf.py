"""PDF with pypdfium2: the text layer page by page, in visual reading order, repaired; pages whose text
layer is unusable are OCRed (qa[ocr]) or reported; headers and footers repeating across pages dropped."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from qa.errors import UndecodableSource
from qa.ingest.charstats import commonness, rare_cjk, unusable_share
from qa.ingest.layout import looks_like_heading
from qa.ingest.repair import repair_text
from qa.text import SENTENCE_END

from . import ocr
from .base import Document, ReadLimits, TextBlock, assemble

__all__ = ["read", "page_verdict", "has_ink"]

_EDGE = 0.07  # top and bottom share of the page where running headers and footers stand
# A page with no usable text layer is looked at before OCR: rendered at this scale (about 18 dpi, a
# few milliseconds), a page whose pixels all lie within _INK_SPREAD shades of each other shows nothing
# and needs no OCR. A scan is never that even: its glyphs, and the grain of its paper, spread them.
_INK_SCALE = 0.25
_INK_SPREAD = 8
_LIST = re.compile(r"^([•●○◦■◆▪·\-*]|\d{1,2}[.、)）]|[（(]\d{1,2}[)）])\s*")


@dataclass
class _Line:
    text: str
    left: float
    bottom: float
    right: float
    top: float

    @property
    def height(self) -> float:
        return max(self.top - self.bottom, 1.0)


def _lines(textpage) -> list[_Line]:
    """Text runs grouped into lines by vertical overlap, top to bottom, each left to right."""
    runs = []
    for i in range(textpage.count_rects()):
        left, bottom, right, top = textpage.get_rect(i)
        text = textpage.get_text_bounded(left, bottom, right, top)
        if text.strip():
            runs.append(_Line(text, left, bottom, right, top))
    runs.sort(key=lambda r: -r.top)
    lines: list[list[_Line]] = []
    for run in runs:
        middle = (run.top + run.bottom) / 2
        for line in lines:
            if line[0].bottom <= middle <= line[0].top:
                line.append(run)
                break
        else:
            lines.append([run])
    out = []
    for line in lines:
        line.sort(key=lambda r: r.left)
        text = re.sub(r"\s+", " ", "".join(r.text for r in line)).strip()
        out.append(
            _Line(
                text,
                min(r.left for r in line),
                min(r.bottom for r in line),
                max(r.right for r in line),
                max(r.top for r in line),
            )  # fmt: skip
        )
    out.sort(key=lambda ln: (-ln.top, ln.left))
    return out


def page_verdict(text: str) -> str:
    """'ok', 'suspect' (valid but rare code points: a broken font map such as 䇖 for 开) or 'unusable'
    (control characters, unassigned code points, or characters that do not make Chinese text)."""
    if unusable_share(text) > 0.05:
        return "unusable"
    share = commonness(text)
    if share is not None and share < 0.5 and len(text) >= 20:
        return "unusable"
    if len(rare_cjk(text)) >= 2:
        return "suspect"
    return "ok"


def _edge_key(line: _Line, height: float) -> str | None:
    if line.top < height * _EDGE or line.bottom > height * (1 - _EDGE):
        return re.sub(r"\d+", "#", line.text)
    return None


def _join(a: str, b: str) -> str:
    return f"{a} {b}" if a[-1:].isascii() and a[-1:].isalnum() and b[:1].isascii() and b[:1].isalnum() else a + b


def _paragraphs(lines: list[_Line], page: int, origin: str) -> list[TextBlock]:
    """Lines → paragraphs: a line that runs to the right margin without a sentence end continues on the next."""
    if not lines:
        return []
    margin = max(ln.right for ln in lines)
    width = margin - min(ln.left for ln in lines)
    blocks: list[TextBlock] = []
    prev: _Line | None = None
    for ln in lines:
        wrapped = (
            prev is not None
            and blocks
            and prev.right >= margin - 0.1 * width
            and prev.text[-1:] not in SENTENCE_END
            and prev.bottom - ln.top < 2.0 * prev.height
            and not _LIST.match(ln.text)
        )
        if wrapped:
            blocks[-1].text = _join(blocks[-1].text, ln.text)
        else:
            blocks.append(TextBlock(ln.text, "paragraph", page=page, origin=origin))
        prev = ln
    for b in blocks:
        if _LIST.match(b.text):
            b.kind = "list"
        elif len(b.text) <= 40 and not any(c in SENTENCE_END for c in b.text) and looks_like_heading(b.text):
            # A short line is a heading only when it reads as a title (the rule plain text follows):
            # "本次会议时间： 2024-04-25 14:00" or "主席：于佃海" are lines of text, not headings.
            b.kind = "heading"
    return blocks


def has_ink(page) -> bool:
    """Whether a pypdfium2 page shows anything at all (text, lines, an image) once rendered.

    An empty text layer alone does not make a page blank: a scan's text is in its image. A PDF of
    two thousand blank pages (a few kilobytes) would otherwise send each to OCR."""
    image = page.render(scale=_INK_SCALE).to_numpy()
    return image.size > 0 and int(image.max()) - int(image.min()) > _INK_SPREAD


def _ocr_page(page) -> list[_Line]:
    image = page.render(scale=2).to_numpy()
    height = image.shape[0]
    # Boxes come in pixels from the top; turn them into PDF points from the bottom like the text layer.
    return [
        _Line(text, x0 / 2, (height - y1) / 2, x1 / 2, (height - y0) / 2)
        for text, (x0, y0, x1, y1) in ocr.ocr_lines(image)
    ]


def _rare_warning(name: str, number: int, lines: list[_Line]) -> str:
    sample = "".join(rare_cjk("".join(ln.text for ln in lines))[:5])
    return (
        f"{name} page {number}: the text layer holds rare characters ({sample}), likely a broken font map; "
        f"indexed as is. {ocr.INSTALL_HINT} reads such pages by OCR"
    )


def read(data: bytes, name: str, limits: ReadLimits) -> Document:
    import pypdfium2 as pdfium
    from tqdm import tqdm

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise UndecodableSource(f"{name} is an encrypted PDF; save an unprotected copy and ingest that.") from None
        raise UndecodableSource(f"{name} is not a readable PDF ({exc}).") from None
    try:
        return _read(pdf, name, limits, pdfium, tqdm)
    finally:
        pdf.close()


def _inked(pdf, n: int, pdfium) -> bool:
    try:
        return has_ink(pdf[n])
    except pdfium.PdfiumError:
        return False  # it could not be read in pass 1 either (reported there)


def _read(pdf, name: str, limits: ReadLimits, pdfium, tqdm) -> Document:
    warnings: list[str] = []
    count = len(pdf)
    if count > limits.max_pages:
        warnings.append(f"{name}: {count} pages; only the first {limits.max_pages} are read (setting max_pages)")
        count = limits.max_pages
    # Pass 1: every page's text layer, repaired, and whether it can be used.
    pages: list[tuple[list[_Line], float, str]] = []
    landscape = 0
    for n in range(count):
        try:
            page = pdf[n]
            lines = _lines(page.get_textpage())
            height = page.get_height()
            landscape += page.get_width() > height
        except pdfium.PdfiumError as exc:
            warnings.append(f"{name} page {n + 1}: cannot be read ({exc}); skipped")
            pages.append(([], 0.0, "empty"))
            continue
        for ln in lines:
            ln.text, _ = repair_text(ln.text)
        lines = [ln for ln in lines if ln.text.strip()]
        pages.append((lines, height, page_verdict("".join(ln.text for ln in lines)) if lines else "empty"))
    # Pass 2: pages whose text layer is missing, unusable or suspect are OCRed when OCR is installed;
    # a page that shows nothing (no ink once rendered) is blank: nothing to OCR, nothing to report.
    todo = [n for n, (_, _, verdict) in enumerate(pages) if verdict != "ok" and _inked(pdf, n, pdfium)]
    ocr_pages: list[int] = []
    needs_ocr: list[int] = []
    origins = ["text layer"] * count
    if todo and limits.ocr and ocr.available():
        for n in tqdm(todo, desc=f"OCR {Path(name).name}", unit="页", disable=None):
            pages[n] = ([ln for ln in _ocr_page(pdf[n]) if ln.text], pages[n][1], "ocr")
            origins[n] = "ocr"
            ocr_pages.append(n + 1)
    else:
        for n in todo:
            lines, height, verdict = pages[n]
            if verdict == "suspect":
                warnings.append(_rare_warning(name, n + 1, lines))
            else:
                needs_ocr.append(n + 1)
                pages[n] = ([], height, verdict)
    if needs_ocr:
        warnings.append(
            f"{name}: pages {', '.join(map(str, needs_ocr))} have no usable text layer and need OCR; "
            f"install it with: {ocr.INSTALL_HINT}"
        )
    # Running headers and footers: the same line (digits aside) at a page edge on most pages.
    edge = Counter()
    for lines, height, _ in pages:
        edge.update({k for ln in lines if (k := _edge_key(ln, height))})
    repeated = {k for k, c in edge.items() if c >= 2 and c >= 0.5 * count}
    blocks: list[TextBlock] = []
    for n, (lines, height, _) in enumerate(pages):
        body = [ln for ln in lines if _edge_key(ln, height) not in repeated]
        blocks.extend(_paragraphs(body, n + 1, origins[n]))
    # A deck of slides printed to PDF: its pages are wider than tall.
    slides = count > 0 and landscape > count / 2
    return assemble(
        "pdf", blocks, pages=count, ocr_pages=ocr_pages, needs_ocr=needs_ocr, warnings=warnings, slides=slides
    )
