"""Files → articles → passages of bounded length, each with its exact citation; duplicates marked."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .layout import Block, layout_articles
from .readers import SourceFile
from .records import Article, Citation, Paragraph, Passage
from .text import is_punct, normalize, sentence_spans

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


def split_file(source: SourceFile, max_chars: int, first_id: int = 0) -> tuple[list[Article], list[Passage], list[str]]:
    stem = source.path.stem
    layouts = layout_articles(source.text, stem)
    articles: list[Article] = []
    passages: list[Passage] = []
    repairs: list[str] = []
    for n, lay in enumerate(layouts, start=1):
        doc_id = f"{stem}-{n}"
        repairs.extend(f"{source.file}: {r}" for r in lay.repairs)
        paragraphs = tuple(
            Paragraph(k, b.kind, b.text, tuple(b.pieces)) for k, b in enumerate(lay.blocks, start=1)
        )
        article = Article(doc_id, source.file, lay.title, lay.source, lay.date, paragraphs)
        articles.append(article)
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
                passages.append(Passage(first_id + len(passages), cite, block.text[s:e], heading, pieces))
    return articles, passages, repairs


def _grams(text: str, n: int = 4) -> set[str]:
    t = "".join(c for c in normalize(text) if not is_punct(c))
    return {t[i : i + n] for i in range(max(len(t) - n + 1, 1))} if t else set()


def mark_duplicates(passages: list[Passage], threshold: float = 0.9) -> list[Passage]:
    """Mark passages whose text is already printed earlier (the same speech printed twice).

    A passage is a duplicate when at least `threshold` of its character 4-grams occur in earlier
    passages and one earlier passage holds most of them; that passage becomes its canonical, and
    the canonical lists the duplicate's citation in `also_in`.
    """
    grams = [_grams(p.text) for p in passages]
    seen: dict[str, list[int]] = {}
    canonical_of: dict[int, int] = {}
    for i, g in enumerate(grams):
        if len(g) >= 8:
            counts: dict[int, int] = {}
            covered = 0
            for gram in g:
                owners = seen.get(gram)
                if owners:
                    covered += 1
                    for o in owners:
                        counts[o] = counts.get(o, 0) + 1
            if counts and covered >= threshold * len(g):
                best = max(counts, key=lambda o: (counts[o], -o))
                if counts[best] >= 0.5 * len(g):
                    canonical_of[i] = canonical_of.get(best, best)
        for gram in g:
            seen.setdefault(gram, []).append(i)
    also: dict[int, list[Citation]] = {}
    for dup, canon in canonical_of.items():
        also.setdefault(canon, []).append(passages[dup].citation)
    out = []
    for i, p in enumerate(passages):
        if i in canonical_of:
            canon = canonical_of[i]
            out.append(replace(p, duplicate_of=passages[canon].id, also_in=(passages[canon].citation,)))
        else:
            out.append(replace(p, also_in=tuple(also.get(i, ()))))
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
