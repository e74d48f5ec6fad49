"""PPTX with python-pptx: per slide its title, text frames (grouped shapes included), tables and speaker
notes, in reading order (top to bottom, left to right); every block cites its slide."""

from __future__ import annotations

from .base import Document, ReadLimits, TextBlock, assemble
from .office import open_office

__all__ = ["read"]


def _shapes(shapes):
    """Shapes in reading order, group shapes opened."""
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    ordered = sorted(shapes, key=lambda s: ((s.top or 0) // 20000, s.left or 0))  # ~0.5 mm rows
    for shape in ordered:
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            yield from _shapes(shape.shapes)
        else:
            yield shape


def _slide_blocks(slide, number: int) -> list[TextBlock]:
    blocks: list[TextBlock] = []
    title_shape = slide.shapes.title
    if title_shape is not None and title_shape.has_text_frame and title_shape.text_frame.text.strip():
        blocks.append(TextBlock(title_shape.text_frame.text.strip(), "heading", page=number, origin="title"))
    for shape in _shapes(slide.shapes):
        if title_shape is not None and shape.shape_id == title_shape.shape_id:
            continue
        if shape.has_text_frame:
            # A text box is one block: its lines are often one sentence broken for the slide's width.
            lines = [p.text.strip() for p in shape.text_frame.paragraphs if p.text.strip()]
            text = "\n".join(lines)
            if text and not text.isdigit():  # a bare number is the slide number or a section number
                blocks.append(TextBlock(text, "paragraph", page=number, origin="text frame"))
        elif getattr(shape, "has_table", False) and shape.has_table:
            for row in shape.table.rows:
                cells = [c.text.strip() for c in row.cells if c.text.strip()]
                if cells:
                    blocks.append(TextBlock(" | ".join(cells), "table_row", page=number, origin="table"))
    if slide.has_notes_slide:
        notes = slide.notes_slide.notes_text_frame
        if notes is not None and notes.text.strip():
            blocks.append(TextBlock(notes.text.strip(), "paragraph", page=number, origin="notes"))
    return blocks


def read(data: bytes, name: str, limits: ReadLimits) -> Document:
    from pptx import Presentation

    deck = open_office(data, name, "PPTX", limits, Presentation)
    warnings: list[str] = []
    blocks: list[TextBlock] = []
    count = 0
    for number, slide in enumerate(deck.slides, start=1):
        if number > limits.max_pages:
            warnings.append(f"{name}: only the first {limits.max_pages} slides are read (setting max_pages)")
            break
        blocks.extend(_slide_blocks(slide, number))
        count = number
    return assemble("pptx", blocks, pages=count, warnings=warnings, slides=True)
