"""Files → articles → passages of bounded length, each with its exact citation; duplicates marked."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from rapidfuzz import fuzz

from qa.records import Article, Copy, Paragraph, Passage
from qa.text import content_key, sentence_spans

from .layout import Block, layout_articles
from .sources import SourceFile
from .structured import layout_blocks
from .units import Plan, plan_article

__all__ = ["Corpus", "build_corpus", "split_file", "chunk_spans", "group_repeats", "own_text", "Grouping", "NEAR_COPY"]

_SOFT_BREAKS = "，,、：:"
NEAR_COPY = 0.95  # whole-passage similarity from which two passages print "the same text"
LEAD_MAX = 200  # characters of an article's lead kept for its passages: a news lead is one or two lines
_MIN_NEAR = 20  # characters a passage needs before a near copy (not only an equal one) can join it
_GRAM = 5
_BANDS, _ROWS = 4, 2  # MinHash values per passage: 4 bands of 2; a band is one bucket key
_MAX_COMPARISONS = 8  # candidates compared per passage
_BUCKET_SIZE = 4  # passages kept per MinHash value (a value shared by many passages says little)
_RNG = np.random.default_rng(20200605)
_MULTIPLIERS = _RNG.integers(1, 2**63, size=_BANDS * _ROWS, dtype=np.uint64) | np.uint64(1)
_OFFSETS = _RNG.integers(0, 2**63, size=_BANDS * _ROWS, dtype=np.uint64)


@dataclass(frozen=True)
class Corpus:
    articles: tuple[Article, ...]
    passages: tuple[Passage, ...]
    repairs: tuple[str, ...]


def chunk_spans(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Cut `text` at sentence ends into spans of at most about `max_chars` characters.

    Sentences are packed greedily; a sentence longer than the limit is cut at a comma, else at a
    space, or hard at the limit when it has neither (a line with no punctuation at all is still cut).
    Spans cover the text except whitespace between them.
    """
    pieces: list[tuple[int, int]] = []
    for s, e in sentence_spans(text):
        while e - s > max_chars:
            window = range(s + max_chars // 2, s + max_chars)
            cut = max((k + 1 for k in window if text[k] in _SOFT_BREAKS), default=None)
            nxt = cut
            if cut is None:
                space = max((k for k in window if text[k].isspace()), default=None)
                cut, nxt = (space, space + 1) if space is not None else (s + max_chars, s + max_chars)
            pieces.append((s, cut))
            s = nxt
            while s < e and text[s].isspace():
                s += 1
        if e > s:
            pieces.append((s, e))
    if pieces and pieces[0][0] and text[: pieces[0][0]].isspace():
        pieces[0] = (0, pieces[0][1])  # an indented list item keeps its indentation: its depth in an outline
    spans: list[tuple[int, int]] = []
    for s, e in pieces:
        if spans and e - spans[-1][0] <= max_chars:
            spans[-1] = (spans[-1][0], e)
        else:
            spans.append((s, e))
    return spans


def _chunks(text: str, max_chars: int, reserved: int) -> list[tuple[int, int]]:
    """chunk_spans, with `reserved` characters kept free in the first chunk (for its heading)."""
    if not reserved:
        return chunk_spans(text, max_chars)
    first = chunk_spans(text, max(max_chars - reserved, max_chars // 2))[:1]
    if not first:
        return []
    cut = first[0][1]
    return first + [(s + cut, e + cut) for s, e in chunk_spans(text[cut:], max_chars)]


def _file_pieces(block: Block, start: int, end: int) -> tuple[tuple[int, int], ...]:
    """Map a span of a block's joined text to the file spans it came from."""
    out = []
    offset = 0
    for fs, fe in block.pieces:
        length = fe - fs
        lo, hi = max(start, offset), min(end, offset + length)
        if lo < hi:
            out.append((fs + lo - offset, fs + hi - offset))
        offset += length
    return tuple(out)


def _lead_sentence(blocks: list[Block]) -> str:
    """The first sentence of the article's first body paragraph: a news lead names who, what, where
    and when, which later paragraphs ("会议指出……") leave out.

    At most LEAD_MAX characters (cut at a comma when there is one in its second half): every passage
    of the article carries it into its keyword text, so a line with no sentence end (a one-line file
    of a million characters) must not become the lead of each of its passages."""
    for block in blocks:
        if block.kind == "body":
            head = block.text[: LEAD_MAX * 4]  # its first sentence is all that is read of it
            s, e = sentence_spans(head)[0]
            if e - s > LEAD_MAX:
                e = s + chunk_spans(head[s:], LEAD_MAX)[0][1]
            return head[s:e]
    return ""


def _separator(text: str, end: int, start: int) -> list[tuple[int, int]]:
    """The file span that joins two parts of a passage: the first line break between them (else the
    first space), so the passage reads as the file does; none when they touch."""
    gap = text[end:start]
    for mark in ("\n", " ", "\u3000", "\t"):
        k = gap.find(mark)
        if k >= 0:
            return [(end + k, end + k + 1)]
    return []


def _plan_pieces(plan: Plan, text: str) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    for part in plan.parts:
        spans = list(_file_pieces(part.block, part.start, part.end))
        if pieces and spans:
            pieces.extend(_separator(text, pieces[-1][1], spans[0][0]))
        pieces.extend(spans)
    return pieces


def split_file(
    source: SourceFile, max_chars: int, first_id: int = 0, min_chars: int = 0
) -> tuple[list[Article], list[Passage], list[str]]:
    stem = source.path.stem
    # Plain text is laid out from its lines; structured formats give their blocks (structured.py).
    layouts = layout_articles(source.text, stem) if source.blocks is None else layout_blocks(source.blocks, stem)
    articles: list[Article] = []
    passages: list[Passage] = []
    repairs: list[str] = []
    for n, lay in enumerate(layouts, start=1):
        doc_id = f"{stem}-{n}"
        repairs.extend(f"{source.file}: {r}" for r in lay.repairs)
        places = [source.location(b.start) for b in lay.blocks]
        paragraphs = tuple(
            Paragraph(k, b.kind, b.text, tuple(b.pieces), *place)
            for k, (b, place) in enumerate(zip(lay.blocks, places), start=1)
        )
        article = Article(
            doc_id, source.file, lay.title, lay.source, lay.date, paragraphs, lay.title_pieces, source.format
        )
        articles.append(article)
        lead = _lead_sentence(lay.blocks)
        number = {id(b): k for k, b in enumerate(lay.blocks, start=1)}
        title = Block(list(lay.title_pieces), lay.title, "heading") if lay.title_pieces else None
        # A news article (plain text with a source or date line) keeps its paragraphs as they are.
        news = source.blocks is None and bool(lay.source or lay.date)
        plans = plan_article(
            lay.blocks, [p[0] for p in places], title, max_chars, min_chars, _chunks, source.slides, news
        )
        for plan in plans:
            pieces = tuple(_plan_pieces(plan, source.text))
            text = "".join(source.text[s:e] for s, e in pieces)
            # Cited at the first paragraph of text it holds (a heading that opens it is shown with it).
            body = [number[id(p.block)] for p in plan.parts[plan.opened :] if id(p.block) in number]
            first, last = (body[0], body[-1]) if body else (number.get(id(plan.parts[-1].block), 1),) * 2
            cite = article.citation(first, pieces[0][0], pieces[-1][1], last)
            passages.append(Passage(first_id + len(passages), cite, text, plan.heading, pieces, lead))
    return articles, passages, repairs


def _sketch(key: str) -> list[tuple[int, ...]]:
    """MinHash bands of the passage's character 5-grams: near copies share most MinHash values, so
    they meet in a bucket (one band: two values) without every pair being compared."""
    codes = np.frombuffer(key.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(codes) < _GRAM:
        return [(int(x),) for x in codes]
    grams = np.zeros(len(codes) - _GRAM + 1, dtype=np.uint64)
    for k in range(_GRAM):
        grams = grams * np.uint64(0x10FFFF) + codes[k : len(codes) - _GRAM + 1 + k]
    with np.errstate(over="ignore"):
        mixed = (grams[None, :] * _MULTIPLIERS[:, None] + _OFFSETS[:, None]) >> np.uint64(20)
    values = [int(v) for v in mixed.min(axis=1)]
    return [tuple(values[b * _ROWS : (b + 1) * _ROWS]) for b in range(_BANDS)]


@dataclass
class Grouping:
    """Which passage repeats which: `parent[i]` is the passage that stands for passage i's group, with
    their similarity; `comparisons` counts whole-passage similarity computations (bounded per passage)."""

    parent: dict[int, int]
    similarity: dict[int, float]
    comparisons: int


def group_repeats(texts: list[str], threshold: float = NEAR_COPY) -> Grouping:
    """Group passages that print the same text, in time linear in the corpus.

    Same text: equal after normalisation (width, script, quote marks, whitespace and punctuation
    folded away), found by hashing; or a near copy, at least `threshold` similar over the whole passage
    (rapidfuzz Indel ratio) to ONE passage that stands for a group, never pooled over several. Candidates
    for a near copy come from MinHash buckets, and each passage is compared with at most
    `_MAX_COMPARISONS` of them.
    """
    keys = [content_key(t) for t in texts]
    first: dict[str, int] = {}
    buckets: dict[tuple, list[int]] = {}
    parent: dict[int, int] = {}
    similarity: dict[int, float] = {}
    comparisons = 0
    for i, key in enumerate(keys):
        if not key:
            continue
        if key in first:
            parent[i], similarity[i] = first[key], 1.0
            continue
        first[key] = i
        if len(key) < _MIN_NEAR:
            continue  # too short for "nearly the same": only equal text groups
        sketch = _sketch(key)
        seen: set[int] = set()
        best, best_sim = None, threshold
        for slot, value in enumerate(sketch):
            for j in buckets.get((slot, value), ()):
                if j in seen or len(seen) >= _MAX_COMPARISONS or not _lengths_allow(len(key), len(keys[j]), threshold):
                    continue
                seen.add(j)
                comparisons += 1
                sim = fuzz.ratio(key, keys[j], score_cutoff=threshold * 100) / 100
                if sim >= best_sim:
                    best, best_sim = j, sim
        if best is not None:
            parent[i], similarity[i] = best, round(best_sim, 4)
            continue
        for slot, value in enumerate(sketch):
            members = buckets.setdefault((slot, value), [])
            if len(members) < _BUCKET_SIZE:
                members.append(i)
    return Grouping(parent, similarity, comparisons)


def _lengths_allow(a: int, b: int, threshold: float) -> bool:
    # Indel ratio = 1 - distance / (a + b) and distance >= |a - b|: lengths far apart cannot reach it.
    return abs(a - b) <= (1 - threshold) * (a + b)


def own_text(p: Passage) -> str:
    """The passage's text without the heading that opens it: the heading is a paragraph of its own
    (the second printing of a speech puts its section titles on lines of their own)."""
    opening = p.heading + "\n"
    return p.text[len(opening) :] if p.heading and p.text.startswith(opening) else p.text


def mark_duplicates(passages: list[Passage], threshold: float = NEAR_COPY) -> list[Passage]:
    """Point every repeated passage at the passage that stands for its group (`duplicate_of`); that
    passage lists the other places in `also_in`, and each repeat names it in its own; every entry
    carries its similarity to the passage it is listed on (exact copies 1.0), measured on their own
    text (`own_text`: without a heading that opens them)."""
    grouping = group_repeats([own_text(p) for p in passages], threshold)
    members: dict[int, list[Copy]] = {}
    for i, root in grouping.parent.items():
        members.setdefault(root, []).append(Copy.of(passages[i].citation, grouping.similarity[i]))
    out = []
    for i, p in enumerate(passages):
        root = grouping.parent.get(i)
        if root is not None:
            copy = Copy.of(passages[root].citation, grouping.similarity[i])
            out.append(replace(p, duplicate_of=passages[root].id, also_in=(copy,)))
        else:
            out.append(replace(p, also_in=tuple(members.get(i, ()))))
    return out


def build_corpus(sources: list[SourceFile], max_chars: int, min_chars: int = 0, split=None) -> Corpus:
    """Every file's articles and passages: passages at most about `max_chars` long, and lines, list
    items and paragraphs under `min_chars` joined with their neighbours in a section (units.py).
    `split`: what gives split_file's result for a file already laid out (qa/ingest/guard.py)."""
    articles: list[Article] = []
    passages: list[Passage] = []
    repairs: list[str] = []
    for source in sources:
        if split is None:
            a, p, r = split_file(source, max_chars, first_id=len(passages), min_chars=min_chars)
        else:
            a, p, r = split(source, max_chars, len(passages))
        articles.extend(a)
        passages.extend(p)
        repairs.extend(r)
    return Corpus(tuple(articles), tuple(mark_duplicates(passages)), tuple(repairs))
