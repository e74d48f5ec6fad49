"""Markdown: headings as structure, list items, table rows and code kept as text, HTML comments dropped.

Citations point into the file itself (offsets into its decoded text), so the markup that stays
inside a block (**bold**, [links](…)) is part of the cited text, as in the file.
"""

from __future__ import annotations

import re

from .base import Document, ReadLimits, TextBlock
from .plaintext import decode_bytes

__all__ = ["read"]

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST = re.compile(r"^\s*([-*+]|\d{1,3}[.)、])\s+")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def _lines(text: str):
    pos = 0
    for line in text.split("\n"):
        yield pos, line
        pos += len(line) + 1


def _block(text: str, start: int, end: int, kind: str) -> TextBlock | None:
    # Trim whitespace inside the span so the block text is exactly text[start:end]. A list item keeps
    # its indentation: it is the item's depth in an outline where every level is "- ".
    while start < end and text[start].isspace() and (kind != "list" or text[start] == "\n"):
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return TextBlock(text[start:end], kind, start, end) if start < end else None


def read(data: bytes, name: str, limits: ReadLimits) -> Document:
    warnings: list[str] = []
    text, encoding = decode_bytes(data, name, warnings)
    # Comments are blanked out with spaces, not removed, so offsets still index the file.
    masked = _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    blocks: list[TextBlock] = []
    fence_start: int | None = None
    for pos, line in _lines(masked):
        end = pos + len(line)
        if _FENCE.match(line):
            if fence_start is None:
                fence_start = end + 1
            else:
                blocks.append(_block(text, fence_start, pos, "paragraph"))  # code, kept as it is written
                fence_start = None
            continue
        if fence_start is not None or not line.strip() or _TABLE_RULE.match(line):
            continue
        if m := _HEADING.match(line):
            blocks.append(_block(text, pos + m.start(2), pos + m.end(2), "heading"))
        elif line.lstrip().startswith("|"):
            blocks.append(_block(text, pos, end, "table_row"))
        elif _LIST.match(line):
            blocks.append(_block(text, pos, end, "list"))
        else:
            blocks.append(_block(text, pos, end, "paragraph"))
    if fence_start is not None:
        blocks.append(_block(text, fence_start, len(text), "paragraph"))
    kept = [b for b in blocks if b is not None]
    return Document("md", text, blocks=kept, extracted=False, encoding=encoding, warnings=warnings)
