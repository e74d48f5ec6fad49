"""An article's paragraphs → the units a passage is made of: sections, then groups packed to size.

In:  the laid-out blocks of one article (layout.py / structured.py) and, per block, its page;
     `slides`: whether each page is a slide (a PPTX, or a PDF of landscape pages).
Out: one Plan per passage: the parts (a block and the span of its text) whose file spans make the
     passage, and the section heading it is shown under.

The rules follow the document's own structure:
    section     a heading (or a run of headings) and the text under it, up to the next heading; on a
                slide, the slide: its first short line is its title
    group       a lead line ("主要有以下几点：") and the list under it; a law's 第X条 and its items
                (（一）…) and paragraphs; a table's rows (each passage of it repeats the header row)
    packing     groups of one section merge up to `max_chars` when one side is short (under
                `min_chars`) or neither is a paragraph of prose; a slide's groups merge up to the
                limit; a news article's paragraphs (and its list items) stay as they are
    splitting   a group over the limit is cut between its blocks, a block over it at sentence ends
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.text import SENTENCE_END

from .layout import Block

__all__ = ["Part", "Plan", "plan_article", "LAW_ARTICLE", "LAW_PART", "is_lead_line"]

INDEXED_KINDS = ("body", "line", "list", "caption", "row", "record")
LAW_ARTICLE = re.compile(r"^第[一二三四五六七八九十百千零〇\d]+条(\s|$)")
LAW_PART = re.compile(r"^第[一二三四五六七八九十百千零〇\d]+[编章节](\s|$)")  # 第一章　总　则
_LEAD_END = re.compile(r"[：:]\s*[*_]*\s*$")
_TITLE_MAX = 60  # a slide's first line longer than this is text, not its title
# Characters of headings a passage carries (its heading field, in its keyword and embedded text): of
# a long run of stacked headings the nearest ones that fit are kept (structured.py makes a longer
# heading text; plain-text headings are short lines).
HEADING_MAX = 200


@dataclass(frozen=True)
class Part:
    block: Block
    start: int  # span of block.text this part holds
    end: int


@dataclass
class Plan:
    parts: list[Part]
    heading: str  # the section's heading(s): keyword text of every passage of the section
    opened: int = 0  # how many leading parts are headings printed at the top of the passage


@dataclass
class _Group:
    blocks: list[Block]
    kind: str = "text"  # text | prose | lead | law | table
    header: Block | None = None  # a table's header row, repeated on every passage cut from it

    @property
    def size(self) -> int:
        return sum(len(b.text) + 1 for b in self.blocks) - 1


@dataclass
class _Section:
    headings: list[Block] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)


def is_lead_line(text: str) -> bool:
    """A line that announces what follows: it ends with a colon (主要有以下几点： / **示例：**)."""
    return bool(_LEAD_END.search(text))


def _is_prose(block: Block) -> bool:
    t = block.text.rstrip("”’」』）)】》\"' ")
    return block.kind == "body" and bool(t) and t[-1] in SENTENCE_END


def _sections(blocks: list[Block], pages: list[int | None], slides: bool) -> list[_Section]:
    """Headings open sections (consecutive headings stack); on slides each page opens one, titled by
    its first line when that line is short and ends no sentence (other headings on it are text)."""
    out: list[_Section] = [_Section()]
    page: object = object()
    for block, pg in zip(blocks, pages):
        if slides and pg != page:
            page = pg
            title = block.kind == "heading" or (len(block.text) <= _TITLE_MAX and not _is_prose(block))
            out.append(_Section([block] if title and "\n" not in block.text else []))
            if out[-1].headings:
                continue
        if block.kind == "heading" and not slides:
            if out[-1].blocks:
                out.append(_Section())
            out[-1].headings.append(block)
        elif block.kind == "heading" or block.kind in INDEXED_KINDS:
            out[-1].blocks.append(block)
    return [s for s in out if s.headings or s.blocks]


def _nearest(headings: list[Block]) -> str:
    """The headings joined by line breaks, the first ones left out while they pass HEADING_MAX."""
    texts = [h.text for h in headings]
    while len(texts) > 1 and sum(len(t) + 1 for t in texts) - 1 > HEADING_MAX:
        texts.pop(0)
    return "\n".join(texts)[:HEADING_MAX]


def _groups(blocks: list[Block], news: bool) -> list[_Group]:
    if news:  # a news article's paragraphs, captions, list items and lines stay as they are
        return [_Group([block], "prose") for block in blocks]
    groups: list[_Group] = []
    for block in blocks:
        last = groups[-1] if groups else None
        if LAW_ARTICLE.match(block.text):
            groups.append(_Group([block], "law"))
        elif block.kind in ("row", "record"):
            if last is not None and last.kind == "table" and last.blocks[-1].kind == block.kind:
                last.blocks.append(block)
            else:  # a spreadsheet record names its columns in every row: no header to repeat
                groups.append(_Group([block], "table", header=block if block.kind == "row" else None))
        elif last is not None and last.kind == "law" and not LAW_PART.match(block.text):
            last.blocks.append(block)  # a law article keeps its items and paragraphs
        elif is_lead_line(block.text):  # a lead inside a list (• 拉取源码：) opens a list of its own
            groups.append(_Group([block], "lead"))
        elif last is not None and last.kind == "lead" and block.kind in ("list", "line"):
            last.blocks.append(block)
        else:
            groups.append(_Group([block], "prose" if _is_prose(block) else "text"))
    for g in groups:
        if g.kind == "lead" and len(g.blocks) == 1:  # a colon with no list under it
            g.kind = "prose" if _is_prose(g.blocks[0]) else "text"
        if g.kind == "table" and len(g.blocks) == 1:
            g.header = None
    return groups


def _mergeable(current: list[_Group], group: _Group, size: int, limit: int, min_chars: int, mode: str) -> bool:
    if size + 1 + group.size > limit:
        return False
    if mode == "slide":
        return True
    standalone = ("prose", "law", "table")
    if mode == "news":  # a news paragraph is a unit of its own, however short
        return False
    if size < min_chars or group.size < min_chars:
        return True
    return current[-1].kind not in standalone and group.kind not in standalone


def _whole(block: Block) -> Part:
    return Part(block, 0, len(block.text))


def _split(group: _Group, limit: int, cap: int, chunk, current: list[Part], size: int) -> list[list[Part]]:
    """A group over the limit, packed on from `current` (of `size` characters, in a passage that may
    hold `cap`): its blocks up to the limit (a table's header row repeated at the top of each
    passage), a block over the limit cut at sentence ends by `chunk`. The last passage is returned
    last, still open."""
    out: list[list[Part]] = []
    header = group.header
    rows = group.blocks[1:] if header is not None else group.blocks
    if header is not None:
        if current:
            out.append(current)
            cap = limit
        current, size = [_whole(header)], len(header.text)
    for block in rows:
        if current and size + 1 + len(block.text) > cap:
            out.append(current)
            cap = limit
            current, size = ([_whole(header)], len(header.text)) if header is not None else ([], 0)
        if len(block.text) > cap - size - (1 if current else 0):
            spans = chunk(block.text, limit, limit - (cap - size - (1 if current else 0)))
            first, *rest = spans
            current.append(Part(block, *first))
            for s, e in rest:
                out.append(current)
                cap = limit
                current = [Part(block, s, e)]
            size = sum(p.end - p.start + 1 for p in current) - 1
            continue
        current.append(_whole(block))
        size += len(block.text) + (1 if len(current) > 1 else 0)
    out.append(current)
    return out


def plan_article(
    blocks: list[Block],
    pages: list[int | None],
    title: Block | None,
    max_chars: int,
    min_chars: int,
    chunk,
    slides: bool = False,
    news: bool = False,
) -> list[Plan]:
    """The passages of one article, in order. `title`: the headline block when it stands in the file
    (it opens the article's first passage); `chunk(text, limit, reserved)` cuts one block's text at
    sentence ends, keeping `reserved` characters free in its first piece."""
    mode = "slide" if slides else "news" if news else "doc"
    plans: list[Plan] = []
    for n, section in enumerate(_sections(blocks, pages, slides)):
        opening = ([title] if title is not None and n == 0 else []) + section.headings
        heading = _nearest(opening)
        reserved = sum(len(h.text) + 1 for h in opening)
        first_limit = max(max_chars - reserved, max_chars // 2)
        packed: list[list[Part]] = []
        current: list[_Group] = []
        size = 0
        for group in _groups(section.blocks, news):
            limit = first_limit if not packed else max_chars
            if current and _mergeable(current, group, size, limit, min_chars, mode):
                current.append(group)
                size += 1 + group.size
                continue
            parts = [_whole(b) for g in current for b in g.blocks]
            if group.size > max_chars if current else group.size > limit:
                # Too long for a passage: cut, and the text before it is filled up to the limit first
                # where it may merge with it (a slide's title with its long text box).
                merge = (
                    bool(current)
                    and group.kind not in ("lead", "table")  # a lead line never ends a passage
                    and _mergeable(current, group, 0, 10**9, min_chars, mode)
                )
                if current and not merge:
                    packed.append(parts)
                    parts, size = [], 0
                    limit = max_chars
                *done, last = _split(group, max_chars, limit, chunk, parts, size)
                packed.extend(done)
                packed.append(last)
                current, size = [], 0
                continue
            if current:
                packed.append(parts)
            current, size = [group], group.size
        if current:
            packed.append([_whole(b) for g in current for b in g.blocks])
        if not packed:
            packed = [[]]  # headings with nothing under them are a passage of their own
        later_heading = section.headings[-1].text if section.headings else ""
        for k, parts in enumerate(packed):
            if k == 0:
                plans.append(Plan([_whole(h) for h in opening] + parts, heading, len(opening)))
            else:
                plans.append(Plan(parts, later_heading))
    return [p for p in plans if p.parts]
