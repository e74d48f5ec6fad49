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

__all__ = ["Block", "ArticleLayout", "layout_articles"]

_CLOSERS = "”’」』）)】》\"'"
_LEAD = re.compile(r"^\S{0,12}?(讯|消息)|^(新华社|本报|记者)")
_CAPTION_END = re.compile(r"(新华社|中新社|摄|供图|图源|视觉中国|（图）|\(图\))\s*$")
_SOURCE = re.compile(r"^\s*(来源|來源|出处|稿源)\s*[：:]\s*(\S+)")
_LEAD_SOURCE = re.compile(r"^(\S{1,10}?)(讯|消息)")
_DATE = re.compile(r"((?:19|20)\d\d)\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
_LIST_ITEM = re.compile(r"^\s*([-*•·]|\d{1,2}[.、)]|#{1,6})\s")
_HEADING_MAX = 60


@dataclass
class Block(Spanned):
    """A logical paragraph: one or more file spans whose concatenation is its text."""

    pieces: list[tuple[int, int]]
    text: str
    kind: str = "body"  # body | heading | list | meta | caption


@dataclass
class ArticleLayout:
    title: str
    source: str | None
    date: str | None
    blocks: list[Block] = field(default_factory=list)
    title_pieces: tuple[tuple[int, int], ...] = ()  # file spans of the headline; () for a fallback title
    repairs: list[str] = field(default_factory=list)  # what was joined or dropped, for the record


def _raw_lines(text: str) -> list[Block]:
    blocks = []
    pos = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            start = pos + (len(line) - len(line.lstrip()))
            blocks.append(Block([(start, start + len(stripped))], stripped))
        pos += len(line) + 1
    return blocks


def _has_sentence_end(text: str) -> bool:
    return any(c in SENTENCE_END for c in text)


def _ends_sentence(text: str) -> bool:
    t = text.rstrip(_CLOSERS + " ")
    return bool(t) and t[-1] in SENTENCE_END


def _classify(block: Block) -> str:
    t = block.text
    if _SOURCE.match(t) or (_DATE.search(t) and len(t) <= 25 and not _has_sentence_end(t)):
        return "meta"
    if _LIST_ITEM.match(t) and len(t) <= _HEADING_MAX * 2:
        return "list"
    if _CAPTION_END.search(t) and _has_sentence_end(t):
        return "caption"
    if not _has_sentence_end(t) and len(t) <= _HEADING_MAX:
        return "heading"
    return "body"


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
    # Prose that stops without a sentence end was cut by a page break.
    return block.kind == "body" and not _ends_sentence(block.text) and len(block.text) >= 20


def _repair(blocks: list[Block], repairs: list[str]) -> list[Block]:
    out: list[Block] = []
    i = 0
    pending = list(blocks)
    while i < len(pending):
        block = pending[i]
        prev = out[-1] if out else None
        # A short fragment repeated across a page break: the tail of the paragraph before it.
        if prev is not None and len(block.text) <= 30 and prev.kind == "body":
            frag = normalize(block.text)
            if len(frag) >= 2 and normalize(prev.text).endswith(frag):
                repairs.append(f"dropped repeated fragment {block.text!r} at {block.start}")
                i += 1
                continue
        if _is_broken(block):
            joined = _find_continuation(block, pending, i)
            if joined is not None:
                j = joined
                cont = pending[j]
                merged = Block(block.pieces + cont.pieces, block.text + cont.text, "body")
                merged.kind = _classify(merged) if _classify(merged) != "heading" else "body"
                repairs.append(f"joined page break at {block.end}→{cont.start}: …{block.text[-6:]}|{cont.text[:6]}…")
                # The merged paragraph may itself still be broken (two breaks in a row).
                pending = pending[:i] + [merged] + pending[i + 1 : j] + pending[j + 1 :]
                continue
        out.append(block)
        i += 1
    return out


def _find_continuation(block: Block, pending: list[Block], i: int) -> int | None:
    candidates = [j for j in range(i + 1, min(i + 3, len(pending)))]
    for j in candidates:
        if pending[j].kind in ("body", "heading") and _word_spans_join(block.text, pending[j].text):
            return j
    # No word straddles the break: take the next paragraph if it is body text, not a new section.
    if candidates and pending[candidates[0]].kind == "body" and not _LEAD.match(pending[candidates[0]].text):
        return candidates[0]
    return None


def _article_starts(blocks: list[Block]) -> list[int]:
    """Indexes of headlines that open an article: the file start, or a headline followed
    (past list items and metadata only) by a news lead such as 晨报讯 or 央视网消息."""
    starts = [0] if blocks else []
    for i, b in enumerate(blocks):
        if i == 0 or b.kind != "heading":
            continue
        for nxt in blocks[i + 1 : i + 14]:
            if nxt.kind == "body":
                if _LEAD.match(nxt.text):
                    starts.append(i)
                break
            if nxt.kind not in ("list", "meta", "heading"):
                break
    return starts


def _metadata(blocks: list[Block]) -> tuple[str | None, str | None]:
    source = date = None
    for b in blocks[:16]:
        if source is None and (m := _SOURCE.match(b.text)):
            source = m.group(2)
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
    repairs: list[str] = []
    blocks = _repair(blocks, repairs)
    starts = _article_starts(blocks) or [0]
    articles = []
    for n, s in enumerate(starts):
        e = starts[n + 1] if n + 1 < len(starts) else len(blocks)
        part = blocks[s:e]
        title, title_pieces = fallback_title, ()
        if part and part[0].kind == "heading":
            title, title_pieces = part[0].text, tuple(part[0].pieces)
            part = part[1:]
        source, date = _metadata(part)
        articles.append(ArticleLayout(title=title, source=source, date=date, blocks=part, title_pieces=title_pieces))
    if articles:
        articles[0].repairs = repairs
    return articles
