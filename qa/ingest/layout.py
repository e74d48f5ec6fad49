"""Page layout repair: raw lines → articles of logical paragraphs, each a list of file spans.

Real documents arrive with paragraphs broken mid-sentence by page breaks (sometimes with a photo
caption printed in between), fragments printed twice across a break, and several articles in one
file. This module undoes that, keeping for every paragraph the exact spans of the file it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.records import Spanned
from qa.text import SENTENCE_END, _tokenizer, normalize

from .boilerplate import is_boilerplate, snippet_prefix

__all__ = ["Block", "ArticleLayout", "layout_articles", "looks_like_heading"]

_CLOSERS = "”’」』）)】》\"'"
# A news lead names its source first: 晨报讯, 央视网消息（新闻联播）, 新华社北京6月5日电, 本报讯.
_LEAD = re.compile(r"^\S{1,12}?(讯|消息)(?=[\s（(：:，,【\[])|^(新华社|中新社|中新网)\S{0,20}?电|^本报(讯|记者)")
_CAPTION_END = re.compile(r"(新华社|中新社|摄|供图|图源|视觉中国|（图）|\(图\)|资料图）?)\s*$")
SOURCE_MAX = 100
_SOURCE = re.compile(r"^\s*(来源|來源|出处|稿源)\s*[：:]\s*(\S+)")
_CLOCK = re.compile(r"^\d{1,2}:\d{2}(:\d{2})?$")
# A dateline: a date alone, or with a clock time and then a site, source or author credit.
_DATELINE = re.compile(
    r"^\s*((?:19|20)\d\d\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2}\s*日?)"
    r"(\s*$|\s+\d{1,2}:\d{2}(:\d{2})?(\s+.{0,60})?$|\s+.{0,30}(来源|來源|作者|编辑|记者)\s*[：:])"
)
_LEAD_SOURCE = re.compile(r"^(\S{1,10}?)(讯|消息)")
_DATE = re.compile(r"((?:19|20)\d\d)\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
_LIST_ITEM = re.compile(r"^\s*([-*•·]|\d{1,2}[.、)]|#{1,6})\s")
# An indented list line keeps its indentation: in a Markdown or plain-text outline the depth of a bullet
# is its indentation alone (every level may use "- "), and the list finder reads it from the text.
_INDENTED_ITEM = re.compile(r"^[ \t\u3000]+(?:[-*+•·◦▪]|\d{1,2}[.、)）])[ \t\u3000]")
# Numbered section headings keep their comma: 第一，推动……; 一、……; （二）……
_ORDINAL = re.compile(
    r"^(第[一二三四五六七八九十百\d]+[，,、：:]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）])"
)
_CLAUSE_PUNCT = re.compile(r"[，,；;：:、]")
_CELL_GAP = re.compile(r"\S(\s{2,}|\t)\S")  # table cells: runs of spaces or tabs between words
_ORIGINAL_TITLE = re.compile(r"^(原标题|原題|原标题为)\s*[：:]")
# A page number or folio between two halves of a paragraph: 12, - 12 -, 第12页, 12/40.
_PAGE_NUMBER = re.compile(r"^[-—–\s]*(第\s*)?\d{1,4}(\s*页)?(\s*/\s*\d{1,4})?[-—–\s]*$")
_HEADING_MAX = 60
_MIN_BROKEN = 20  # a line cut by a page break is a full printed line, not a short fragment


@dataclass
class Block(Spanned):
    """A logical paragraph: one or more file spans whose concatenation is its text."""

    pieces: list[tuple[int, int]]
    text: str
    kind: str = "body"  # body | heading | line | list | meta | caption | boilerplate | row | record (structured.py)


@dataclass
class ArticleLayout:
    title: str
    source: str | None
    date: str | None
    blocks: list[Block] = field(default_factory=list)
    title_pieces: tuple[tuple[int, int], ...] = ()  # file spans of the headline; () for a fallback title
    repairs: list[str] = field(default_factory=list)  # what was joined or dropped, for the record


def _raw_lines(text: str) -> list[Block]:
    """One block per non-blank line; a search-snippet date prefix ("Jan 27, 2023 ... ") is a block of its own."""
    blocks = []
    pos = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            start = pos + (len(line) - len(line.lstrip()))
            if _INDENTED_ITEM.match(line):
                start, stripped = pos, line.rstrip()
            cut = snippet_prefix(stripped)
            if cut:
                prefix = stripped[:cut].rstrip()
                blocks.append(Block([(start, start + len(prefix))], prefix, "boilerplate"))
                start, stripped = start + cut, stripped[cut:]
            blocks.append(Block([(start, start + len(stripped))], stripped))
        pos += len(line) + 1
    return blocks


def _has_sentence_end(text: str) -> bool:
    return any(c in SENTENCE_END for c in text)


def _ends_sentence(text: str) -> bool:
    t = text.rstrip(_CLOSERS + " ")
    return bool(t) and t[-1] in SENTENCE_END


def _classify(block: Block) -> str:
    """Kind of one line on its own. Short lines without a sentence end are "short" until
    `_settle_short_lines` has seen what follows them."""
    t = block.text
    if block.kind == "boilerplate" or is_boilerplate(t):
        return "boilerplate"
    if _SOURCE.match(t) or _CLOCK.match(t):
        return "meta"
    if _DATELINE.match(t) and not _has_sentence_end(t):
        return "meta"
    if _LIST_ITEM.match(t) and len(t) <= _HEADING_MAX * 2:
        return "list"
    if _CAPTION_END.search(t) and _has_sentence_end(t):
        return "caption"
    if not _has_sentence_end(t) and len(t) <= _HEADING_MAX:
        return "short"
    return "body"


def looks_like_heading(text: str) -> bool:
    """A title, not a clause: no clause punctuation (a numbered heading keeps the comma after its
    number), no caption or original-headline formula."""
    if _ORIGINAL_TITLE.match(text) or _CAPTION_END.search(text) or _PAGE_NUMBER.match(text):
        return False
    rest = text[m.end() :] if (m := _ORDINAL.match(text)) else text
    return not _CLAUSE_PUNCT.search(rest) and not _CELL_GAP.search(text)


def _settle_short_lines(blocks: list[Block]) -> None:
    """A short line is a heading when it reads as a title and introduces text (a paragraph or a list
    follows it, past metadata, furniture and an "原标题：…" line), or when it opens the file (the
    headline, whatever its punctuation); any other
    short line (a list item, caption, table row, subhead over nothing, "原标题：…") is a line of text
    and becomes a passage. One backward pass: linear in the number of lines."""
    following: str | None = None  # kind of the next block that is not metadata or furniture
    after: list[str | None] = [None] * len(blocks)
    for i in range(len(blocks) - 1, -1, -1):
        after[i] = following
        b = blocks[i]
        if b.kind not in ("boilerplate", "meta") and not _ORIGINAL_TITLE.match(b.text):
            following = b.kind
    opens_file = True
    for i, b in enumerate(blocks):
        if b.kind == "short":
            introduces = after[i] in ("body", "list")
            headline = opens_file and not _ORIGINAL_TITLE.match(b.text)
            b.kind = "heading" if headline or (introduces and looks_like_heading(b.text)) else "line"
        if b.kind not in ("boilerplate", "meta"):
            opens_file = False


def _word_spans_join(left: str, right: str) -> bool:
    """True when jieba reads a word across the join: the break fell inside a word (统|筹, 企业|家)."""
    tail, head = left[-4:], right[:4]
    if not tail or not head or not tail[-1].isalnum() or not head[0].isalnum():
        return False
    pos = 0
    for word in _tokenizer().lcut(tail + head, HMM=False):
        if pos < len(tail) < pos + len(word):
            return True
        pos += len(word)
    return False


def _is_broken(block: Block) -> bool:
    """Prose cut in mid-clause: a full line of text (with punctuation inside, so not a title or a
    table row) that stops on a character, not on a sentence end or a colon."""
    t = block.text
    return (
        block.kind in ("body", "line")
        and len(t) >= _MIN_BROKEN
        and t[-1].isalnum()
        and not _ends_sentence(t)
        and bool(_CLAUSE_PUNCT.search(t) or _has_sentence_end(t))
    )


def _is_page_furniture(block: Block) -> bool:
    """What a page break leaves between two halves of a paragraph: a photo caption or a page number."""
    return block.kind == "caption" or bool(_PAGE_NUMBER.match(block.text)) or bool(_CAPTION_END.search(block.text))


def _continues(block: Block, nxt: Block, furniture_between: bool) -> bool:
    """Evidence that `nxt` continues the cut-off `block`: a word runs across the join (统筹推|进), or a
    caption or page number stands between them and `nxt` goes on as prose, not as a new section."""
    if nxt.kind not in ("body", "line") or _LEAD.match(nxt.text) or _ORDINAL.match(nxt.text):
        return False
    if _word_spans_join(block.text, nxt.text):
        return True
    # Without a word across the join, only a full paragraph line (not a short line) continues past furniture.
    return furniture_between and block.kind == "body" and nxt.kind == "body" and nxt.text[0].isalnum()


def _repeats_tail(prev: Block, block: Block) -> bool:
    """A short fragment printed again after a page break: it repeats the end of the paragraph before
    it, ends a sentence, and that paragraph was itself joined across a break or the fragment starts
    inside one of its words (场的重要桥梁。 after …国内市场的重要桥梁。)."""
    if prev.kind != "body" or len(block.text) > 30 or not _ends_sentence(block.text):
        return False
    frag, whole = normalize(block.text), normalize(prev.text)
    if len(frag) < 4 or len(whole) <= len(frag) or not whole.endswith(frag):
        return False
    return len(prev.pieces) > 1 or _word_spans_join(whole[: -len(frag)], frag)


def _repair(blocks: list[Block], repairs: list[str]) -> list[Block]:
    """Join paragraphs cut by page breaks and drop fragments repeated across them. Each block is
    looked at a bounded number of times: linear in the number of lines."""
    out: list[Block] = []
    used = [False] * len(blocks)
    for i, block in enumerate(blocks):
        if used[i]:
            continue
        if out and _repeats_tail(out[-1], block):
            repairs.append(f"dropped repeated fragment {block.text!r} at {block.start}")
            continue
        while _is_broken(block):
            j = _continuation(block, blocks, i, used)
            if j is None:
                break
            cont = blocks[j]
            used[j] = True
            repairs.append(f"joined page break at {block.end}→{cont.start}: …{block.text[-6:]}|{cont.text[:6]}…")
            block = Block(block.pieces + cont.pieces, block.text + cont.text, "body")
            block.kind = "body" if _classify(block) in ("short", "heading") else _classify(block)
        out.append(block)
    return out


def _continuation(block: Block, blocks: list[Block], i: int, used: list[bool]) -> int | None:
    """The next unused block, or the one after a caption/page number, when it continues `block`."""
    following = [j for j in range(i + 1, min(i + 6, len(blocks))) if not used[j]][:2]
    if not following:
        return None
    first = following[0]
    if _continues(block, blocks[first], False):
        return first
    if len(following) > 1 and _is_page_furniture(blocks[first]) and _continues(block, blocks[following[1]], True):
        return following[1]
    return None


def _article_starts(blocks: list[Block]) -> list[int]:
    """Indexes of headlines that open an article: the file start, or a headline followed (past
    list items, metadata, furniture and an "原标题：…" line only) by a news lead such as 晨报讯 or
    央视网消息. An "原标题：…" line is never a headline itself."""
    starts = [0] if blocks else []
    first = next((i for i, b in enumerate(blocks) if b.kind not in ("boilerplate", "meta")), 0)
    for i, b in enumerate(blocks):
        if i <= first or b.kind != "heading":
            continue
        for nxt in blocks[i + 1 : i + 14]:
            if nxt.kind == "body":
                if _LEAD.match(nxt.text):
                    starts.append(i)
                break
            if nxt.kind not in ("list", "meta", "heading", "boilerplate") and not _ORIGINAL_TITLE.match(nxt.text):
                break
    return starts


def _metadata(blocks: list[Block]) -> tuple[str | None, str | None]:
    """The article's source and date, from its first lines. The source is cut to SOURCE_MAX characters:
    every passage's citation carries it (a "来源：" line of a whole file must not)."""
    source = date = None
    for b in blocks[:16]:
        if source is None and (m := _SOURCE.match(b.text)):
            source = m.group(2)[:SOURCE_MAX]
        if date is None and b.kind in ("meta", "heading") and (m := _DATE.search(b.text)):
            date = f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    if source is None:
        for b in blocks[:16]:
            if b.kind == "body" and (m := _LEAD_SOURCE.match(b.text)):
                source = m.group(1).strip()
                break
    return source, date


def layout_articles(text: str, fallback_title: str) -> list[ArticleLayout]:
    blocks = _raw_lines(text)
    for b in blocks:
        b.kind = _classify(b)
    _settle_short_lines(blocks)
    repairs: list[str] = []
    blocks = _repair(blocks, repairs)
    starts = _article_starts(blocks) or [0]
    articles = []
    for n, s in enumerate(starts):
        e = starts[n + 1] if n + 1 < len(starts) else len(blocks)
        part = blocks[s:e]
        title, title_pieces = fallback_title, ()
        # The headline: the first block past any site furniture (a menu above it).
        k = next((k for k, b in enumerate(part) if b.kind != "boilerplate"), None)
        if k is not None and part[k].kind == "heading":
            title, title_pieces = part[k].text, tuple(part[k].pieces)
            part = part[:k] + part[k + 1 :]
        source, date = _metadata(part)
        articles.append(ArticleLayout(title=title, source=source, date=date, blocks=part, title_pieces=title_pieces))
    if articles:
        articles[0].repairs = repairs
    return articles
