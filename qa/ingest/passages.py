"""Files → articles → passages of bounded length, each with its exact citation; duplicates marked."""

from __future__ import annotations

from dataclasses import dataclass, replace

from qa.records import Article, Citation, Paragraph, Passage
from qa.text import is_punct, normalize, sentence_spans

from .layout import Block, layout_articles
from .sources import SourceFile
from .structured import layout_blocks

__all__ = ["Corpus", "build_corpus", "split_file", "chunk_spans"]

_SOFT_BREAKS = "，,、：:"
_INDEXED_KINDS = ("body", "list", "caption")


@dataclass(frozen=True)
class Corpus:
    articles: tuple[Article, ...]
    passages: tuple[Passage, ...]
    repairs: tuple[str, ...]


def chunk_spans(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Cut `text` at sentence ends into spans of at most about `max_chars` characters.

    Sentences are packed greedily; a sentence longer than the limit is cut at a comma, or hard at
    the limit when it has none. Spans cover the text except whitespace between them.
    """
    pieces: list[tuple[int, int]] = []
    for s, e in sentence_spans(text):
        while e - s > max_chars:
            cut = max(
                (k + 1 for k in range(s + max_chars // 2, s + max_chars) if text[k] in _SOFT_BREAKS),
                default=s + max_chars,
            )
            pieces.append((s, cut))
            s = cut
        pieces.append((s, e))
    spans: list[tuple[int, int]] = []
    for s, e in pieces:
        if spans and e - spans[-1][0] <= max_chars:
            spans[-1] = (spans[-1][0], e)
        else:
            spans.append((s, e))
    return spans


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
    and when, which later paragraphs ("会议指出……") leave out."""
    for block in blocks:
        if block.kind == "body":
            s, e = sentence_spans(block.text)[0]
            return block.text[s:e]
    return ""


def split_file(source: SourceFile, max_chars: int, first_id: int = 0) -> tuple[list[Article], list[Passage], list[str]]:
    stem = source.path.stem
    # Plain text is laid out from its lines; structured formats give their blocks (structured.py).
    layouts = layout_articles(source.text, stem) if source.blocks is None else layout_blocks(source.blocks, stem)
    articles: list[Article] = []
    passages: list[Passage] = []
    repairs: list[str] = []
    for n, lay in enumerate(layouts, start=1):
        doc_id = f"{stem}-{n}"
        repairs.extend(f"{source.file}: {r}" for r in lay.repairs)
        paragraphs = tuple(
            Paragraph(k, b.kind, b.text, tuple(b.pieces), *source.location(b.start))
            for k, b in enumerate(lay.blocks, start=1)
        )
        article = Article(
            doc_id, source.file, lay.title, lay.source, lay.date, paragraphs, lay.title_pieces, source.format
        )
        articles.append(article)
        lead = _lead_sentence(lay.blocks)
        heading = ""
        for para_no, block in enumerate(lay.blocks, start=1):
            if block.kind == "heading":
                heading = block.text
                continue
            if block.kind not in _INDEXED_KINDS:
                continue
            for s, e in chunk_spans(block.text, max_chars):
                pieces = _file_pieces(block, s, e)
                cite = article.citation(para_no, pieces[0][0], pieces[-1][1])
                passages.append(Passage(first_id + len(passages), cite, block.text[s:e], heading, pieces, lead))
    return articles, passages, repairs


def _key(text: str) -> str:
    return "".join(c for c in normalize(text) if not is_punct(c))


def _grams(key: str, n: int = 4) -> set[str]:
    return {key[i : i + n] for i in range(max(len(key) - n + 1, 1))} if key else set()


def _parents(keys: list[str], threshold: float) -> dict[int, int]:
    """For each duplicate passage, the passage that holds its text.

    Contained: its whole text stands inside a longer passage (a summary bullet repeating the opening
    of a paragraph) or an identical earlier one. Near copy: at least `threshold` of its character
    4-grams occur in earlier passages and one earlier passage holds half of them (the same speech
    printed twice, cut into passages at different places).
    """
    grams = [_grams(k) for k in keys]
    owners: dict[str, list[int]] = {}
    for i, g in enumerate(grams):
        for gram in g:
            owners.setdefault(gram, []).append(i)
    parent: dict[int, int] = {}
    for i, key in enumerate(keys):
        if len(key) < 6:
            continue
        rarest = min(grams[i], key=lambda gram: len(owners[gram]))
        holders = [j for j in owners[rarest] if j != i and key in keys[j] and (len(keys[j]) > len(key) or j < i)]
        if holders:
            parent[i] = min(holders, key=lambda j: (-len(keys[j]), j))
            continue
        if len(grams[i]) < 8:
            continue
        counts: dict[int, int] = {}
        covered = 0
        for gram in grams[i]:
            earlier = [o for o in owners[gram] if o < i]
            covered += bool(earlier)
            for o in earlier:
                counts[o] = counts.get(o, 0) + 1
        if counts and covered >= threshold * len(grams[i]):
            best = max(counts, key=lambda o: (counts[o], -o))
            if counts[best] >= 0.5 * len(grams[i]):
                parent[i] = best
    return parent


def _root(i: int, parent: dict[int, int]) -> int:
    seen = {i}
    while i in parent and parent[i] not in seen:
        i = parent[i]
        seen.add(i)
    return i


def mark_duplicates(passages: list[Passage], threshold: float = 0.9) -> list[Passage]:
    """Point every repeated passage at the one passage that stands for its group (`duplicate_of`);
    that passage lists the other places in `also_in`, and each repeat names it in its own."""
    parent = _parents([_key(p.text) for p in passages], threshold)
    root = {i: _root(i, parent) for i in parent}
    members: dict[int, list[Citation]] = {}
    for i, r in root.items():
        if r != i:
            members.setdefault(r, []).append(passages[i].citation)
    out = []
    for i, p in enumerate(passages):
        r = root.get(i, i)
        if r != i:
            out.append(replace(p, duplicate_of=passages[r].id, also_in=(passages[r].citation,)))
        else:
            out.append(replace(p, also_in=tuple(members.get(i, ()))))
    return out


def build_corpus(sources: list[SourceFile], max_chars: int) -> Corpus:
    articles: list[Article] = []
    passages: list[Passage] = []
    repairs: list[str] = []
    for source in sources:
        a, p, r = split_file(source, max_chars, first_id=len(passages))
        articles.extend(a)
        passages.extend(p)
        repairs.extend(r)
    return Corpus(tuple(articles), tuple(mark_duplicates(passages)), tuple(repairs))
