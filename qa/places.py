"""The page and paragraph of a highlighted sentence and of a short answer, inside their passage.

A passage can run over several paragraphs and pages (a card cites 第1–2页); the sentence a card
highlights, and the short answer given beside 答：, stand on one of them. Their citations are found
from the file offsets of the sentence (Passage.file_spans) and the article's paragraph map
(Article.citation_at), so the page printed next to them is the page they are on.

In:  the hits and short answer of an answer; `article_of(doc_id)` -> Article | None.
Out: the same hits with `sentence` set, and the short answer and a list answer's items with `citation` set.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from .records import AnswerItem, Article, Citation, Hit, ShortAnswer

__all__ = ["place_answer", "place_items"]


def _at(article: Article | None, spans: tuple[tuple[int, int], ...], fallback: Citation) -> Citation:
    if not spans:
        return fallback
    start, end = spans[0][0], spans[-1][1]
    placed = article.citation_at(start, end) if article is not None else None
    return placed or dataclasses.replace(fallback, start=start, end=end)


def place_answer(
    hits: list[Hit], short: ShortAnswer | None, article_of: Callable[[str], Article | None]
) -> tuple[list[Hit], ShortAnswer | None]:
    """Each hit with the citation of its highlighted sentence; the short answer with its own."""
    articles: dict[str, Article | None] = {}

    def article(doc_id: str) -> Article | None:
        if doc_id not in articles:
            articles[doc_id] = article_of(doc_id)
        return articles[doc_id]

    placed = []
    for hit in hits:
        spans = hit.passage.file_spans(*hit.highlight)
        placed.append(dataclasses.replace(hit, sentence=_at(article(hit.citation.doc_id), spans, hit.citation)))
    if short is not None:
        card = next((h for h in placed if h.rank == short.card), None)
        if card is not None:
            short = dataclasses.replace(short, citation=_at(article(card.citation.doc_id), short.pieces, card.citation))
    return placed, short


def place_items(
    items: tuple[AnswerItem, ...], hits: list[Hit], article_of: Callable[[str], Article | None]
) -> tuple[AnswerItem, ...]:
    """A list answer's items, each with the citation of the place it stands (an item's own page and
    paragraph, not its card's first)."""
    cards = {h.rank: h for h in hits}
    placed = []
    for item in items:
        card = cards.get(item.card)
        if card is not None:
            item = dataclasses.replace(item, citation=_at(article_of(card.citation.doc_id), item.pieces, card.citation))
        placed.append(item)
    return tuple(placed)
