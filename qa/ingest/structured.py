"""Blocks of a structured document (Markdown, PDF, DOCX …) → the article layout passages are cut from.

Plain text goes through layout.py, whose heuristics recover headlines and paragraphs from bare lines
and repair page breaks. A structured reader already knows its headings, paragraphs and list items,
so its blocks enter directly: one article per file, titled by its first heading.
"""

from __future__ import annotations

from .layout import ArticleLayout, Block
from .readers import TextBlock

__all__ = ["layout_blocks"]

# Reader kinds → the paragraph kinds of layout.py (body, list and caption paragraphs are indexed).
_KIND = {"heading": "heading", "paragraph": "body", "list": "list", "table_row": "body", "caption": "caption"}


def layout_blocks(blocks: tuple[TextBlock, ...], fallback_title: str) -> list[ArticleLayout]:
    laid = [Block([(b.start, b.end)], b.text, _KIND.get(b.kind, "body")) for b in blocks if b.end > b.start]
    # The first heading is the title (it opens the article's first passage, passages.split_file).
    title, title_pieces = fallback_title, ()
    if laid and laid[0].kind == "heading":
        title, title_pieces = laid[0].text, tuple(laid[0].pieces)
        laid = laid[1:]
    # A heading with nothing under it before the next heading (a slide of headings, a table of
    # contents) would otherwise open no passage: it is indexed as body text.
    for i, b in enumerate(laid):
        if b.kind == "heading" and (i + 1 == len(laid) or laid[i + 1].kind == "heading"):
            b.kind = "body"
    return [ArticleLayout(title=title, source=None, date=None, blocks=laid, title_pieces=title_pieces)]
