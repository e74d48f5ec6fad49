"""Blocks of a structured document (Markdown, PDF, DOCX …) → the article layout passages are cut from.

Plain text goes through layout.py, whose heuristics recover headlines and paragraphs from bare lines
and repair page breaks. A structured reader already knows its headings, paragraphs and list items,
so its blocks enter directly: one article per file, titled by its first heading.
"""

from __future__ import annotations

from .layout import ArticleLayout, Block
from .readers import TextBlock
from .units import HEADING_MAX, LAW_PART

__all__ = ["layout_blocks"]

# Reader kinds → the paragraph kinds of layout.py (body, list, caption and row paragraphs are indexed).
_KIND = {"heading": "heading", "paragraph": "body", "list": "list", "table_row": "row", "caption": "caption"}


def _kind(block: TextBlock) -> str:
    if block.kind == "heading" and len(block.text) > HEADING_MAX:
        return "body"  # a Markdown `#` line holding a whole file heads nothing: it is text, cut into passages
    if block.kind == "table_row" and block.origin == "row":
        return "record"  # a spreadsheet row names its columns in every cell: no header row to repeat
    if block.kind == "paragraph" and len(block.text) <= 40 and LAW_PART.match(block.text):
        return "heading"  # a chapter of a law (第一章　总　则), whatever tag the page gave it
    return _KIND.get(block.kind, "body")


def layout_blocks(blocks: tuple[TextBlock, ...], fallback_title: str) -> list[ArticleLayout]:
    laid = [Block([(b.start, b.end)], b.text, _kind(b)) for b in blocks if b.end > b.start]
    # The first heading is the title (it opens the article's first passage, passages.split_file).
    title, title_pieces = fallback_title, ()
    if laid and laid[0].kind == "heading":
        title, title_pieces = laid[0].text, tuple(laid[0].pieces)
        laid = laid[1:]
    return [ArticleLayout(title=title, source=None, date=None, blocks=laid, title_pieces=title_pieces)]
