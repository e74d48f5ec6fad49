"""Extractive answers: the sentences that answer, quoted verbatim, each with its [n] card marker.

In:  the question and its hits (each with its highlighted sentence and that sentence's evidence,
     qa/search/evidence.py).
Out: an Extract: the answer text, the card and span each quoted sentence came from, and whether any
     passage answers at all.

The answer leads with the highlighted sentence of the first card (the reranked best evidence),
joined to its neighbour when only that one offers the person, number, date or place asked for. A
question asking for several items (哪些, 三部……分别是, qa/search/cues.py) gathers the items' sentences
from the next cards too; any other question adds at most one more sentence, from a card about as
strong. When no card answers (`answers_nothing`), the answer says so plainly and the cards are still
shown as the closest passages.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from qa.records import AnswerItem, Hit, ShortAnswer
from qa.text import content_key, keyword_tokens, sentence_spans

from .cues import offers
from .lists import list_extract
from .query import Question, as_question

__all__ = [
    "reply",
    "short_answer",
    "reader_finds_none",
    "mark_short_answer",
    "answer_span",
    "best_sentence",
    "question_terms",
    "answers_nothing",
    "extract",
    "Extract",
    "NO_ANSWER",
    "NO_DIRECT_ANSWER",
]

NO_ANSWER = "没有在资料中找到与问题相关的内容。"
NO_DIRECT_ANSWER = "未找到直接回答该问题的段落。"
CLOSEST = "以下是最接近的段落。"
MAX_LIST_ITEMS = 4
# No passage answers (python bench/answers.py; CMRC 2018 / DRCD dev, the seeds, and the 30 questions
# of seeds/unanswerable_questions.jsonl): no sentence of the first cards is close in meaning to the
# question and none holds much of its wording (off topic) …
OFF_TOPIC_DENSE = 0.865
OFF_TOPIC_COVERAGE = 0.3
# … or a question asking for a number or a date that no sentence of the first three cards offers,
# with no sentence holding 60% of its wording (on topic, but the figure asked for is not there).
# 0.5 → 0.6 caught 19 of the 30 instead of 17 at 0.16% false on CMRC dev (0.09% before); 0.7 caught
# 20 but raised noisy CMRC's false no-answers to 0.88%. Asking the same of person and place
# questions caught none more: jieba tags some idioms as names (大展宏图 nr).
TYPED_COVERAGE = 0.6
SECOND_SENTENCE_AT = 0.6  # a second card is quoted only when its score is at least this share of the first's


def question_terms(question: str) -> set[str]:
    return set(keyword_tokens(question, "jieba+bigram"))


def best_sentence(text: str, q_terms: set[str]) -> tuple[int, int]:
    """Span of the sentence of `text` sharing the most question words and bigrams (weighted by length).
    Used where no evidence was computed (a pinned list item's passage, rerank_depth 0)."""
    spans = sentence_spans(text) or [(0, len(text))]
    best, best_score = spans[0], -1.0
    for s, e in spans:
        terms = set(keyword_tokens(text[s:e], "jieba+bigram"))
        # Longer shared words say more than shared bigrams; prefer a sentence that covers the question.
        score = sum(len(t.lstrip("#")) for t in q_terms & terms)
        if score > best_score:
            best, best_score = (s, e), score
    return best


@dataclass(frozen=True)
class Extract:
    text: str
    sources: tuple[tuple[int, int, int], ...]  # (card rank, start, end) of each quoted sentence, in order
    answered: bool  # False: no passage answers (none found, or none with enough evidence)
    items: tuple[AnswerItem, ...] = ()  # a list answer's items (qa/search/lists.py)


def answer_span(hit: Hit, question: Question | str) -> tuple[int, int]:
    """The span of `hit` the answer quotes: its highlighted sentence, joined to the sentence before
    it (else after it) when the question asks for a person, number, date or place that the
    highlighted sentence does not offer and that neighbour does. The highlight holds the question's
    words; the item asked for often stands beside it ("他……" after the sentence naming him). Measured
    with bench/answers.py: in 回答 +0.7 (CMRC dev) and +0.8 (DRCD dev) points, one more sentence in
    the 2-3% of answers where it fires."""
    q = as_question(question)
    kind = q.asks
    if kind is None or hit.evidence is None or hit.evidence.cue:
        return hit.highlight
    text = hit.passage.text
    start, end = hit.highlight
    spans = sentence_spans(text)
    at = next((i for i, (s, e) in enumerate(spans) if s <= start < e), None)
    if at is None:
        return hit.highlight
    for i in (at - 1, at + 1):
        if 0 <= i < len(spans) and offers(text[spans[i][0] : spans[i][1]], kind, q.normalized, q.measure):
            return min(start, spans[i][0]), max(end, spans[i][1])
    return hit.highlight


def answers_nothing(hits: list[Hit], question: Question) -> bool:
    """Does no hit answer the question (see the thresholds above)? A question without Chinese is never
    judged: across languages every cosine is lower, and the wording cannot match."""
    measured = [h.evidence for h in hits if h.evidence is not None]
    if not measured or not question.chinese:
        return False
    coverage = max(e.coverage for e in measured)
    if max(e.dense for e in measured) < OFF_TOPIC_DENSE and coverage < OFF_TOPIC_COVERAGE:
        return True
    typed = question.asks in ("number", "date") and not question.listing
    return typed and coverage < TYPED_COVERAGE and not any(e.cue for e in measured[:3])


def extract(
    hits: list[Hit],
    question: Question | str = "",
    no_answer: bool = True,
    max_sentences: int = 2,
    neighbour: bool = True,
) -> Extract:
    """The answer to `question` from `hits`. neighbour=False quotes each highlight alone (an ordinal
    follow-up's pinned list item is the answer by itself; its hit's evidence is of another sentence)."""
    if not hits:
        return Extract(NO_ANSWER, (), False)
    question = as_question(question)
    if no_answer and answers_nothing(hits, question):
        return Extract(NO_DIRECT_ANSWER + CLOSEST, (), False)
    listing = neighbour and question.listing  # a pinned list item (neighbour off) is quoted alone
    limit = MAX_LIST_ITEMS if listing else max_sentences
    parts: list[str] = []
    sources: list[tuple[int, int, int]] = []
    seen: set[str] = set()
    top = hits[0]
    for hit in hits:
        if len(parts) >= limit:
            break
        if parts and not listing and hit.score < SECOND_SENTENCE_AT * top.score:
            break
        if parts and listing and hit.evidence and top.evidence and hit.evidence.score < 0.9 * top.evidence.score:
            continue  # an item is a sentence about as answer-like as the first; the rest are only on topic
        span = answer_span(hit, question) if hit is top and neighbour and not listing else hit.highlight
        sentence = hit.passage.text[span[0] : span[1]].strip()
        key = content_key(sentence)
        if not key or key in seen:
            continue
        seen.add(key)
        if span != hit.highlight:  # a joined quote: its neighbour sentence is quoted too
            seen.update(content_key(sentence[a:b]) for a, b in sentence_spans(sentence))
        parts.append(f"{sentence}[{hit.rank}]")
        sources.append((hit.rank, *span))
    return Extract("".join(parts), tuple(sources), True)


_EDGE_PUNCTUATION = " \t\n\u3000。，、；：！？,.;:!?"


def short_answer(hits: list[Hit]) -> ShortAnswer | None:
    """The answer reader's exact answer, from the card that carries it (qa.search.hybrid marks one),
    without the spaces and sentence punctuation a token boundary can leave at either end."""
    for hit in hits:
        if hit.answer_span is not None and hit.answer_score is not None:
            s, e = hit.answer_span
            piece = hit.passage.text[s:e]
            text = piece.strip(_EDGE_PUNCTUATION)
            if text:
                start = s + piece.index(text)
                span = (start, start + len(text))
                return ShortAnswer(text, hit.rank, span, hit.passage.file_spans(*span), score=hit.answer_score)
    return None


def mark_short_answer(hits: list[Hit], short: ShortAnswer | None) -> list[Hit]:
    """`hits` with the short answer's span on its card alone, exactly as given (`short.span`, edges
    trimmed); no card carries a span when there is no short answer ("no passage answers", an ordinal
    follow-up's pinned item), so a page never marks an answer it does not give."""
    marked = []
    for hit in hits:
        span = short.span if short is not None and hit.rank == short.card else None
        marked.append(hit if hit.answer_span == span else dataclasses.replace(hit, answer_span=span))
    return marked


def reader_finds_none(hits: list[Hit], no_answer_at: float) -> bool:
    """Did the reader read candidates and find each less likely than `no_answer_at` to answer?"""
    read = [h.answer_score for h in hits if h.answer_score is not None]
    return bool(read) and max(read) < no_answer_at


def reply(
    hits: list[Hit], question: Question | str, settings, pinned: bool = False, listing=None
) -> tuple[Extract, ShortAnswer | None]:
    """回答 and the short answer, as `qa ask` gives them: the extract (an ordinal follow-up's pinned item
    alone), replaced by "no passage answers" when the reader read candidates and found none likely.
    A description question (what is X, what for, why, how) has no short answer: its answer is the
    sentence (docs/api.md); the hits carry no span for it (hybrid.Searcher.hits).
    With `listing` (the list that answers, qa/search/lists.py) 回答 is its lead and every item, and
    there is no short answer: the items are the answer ("分为三步：A，B，C" → A, B, C, not 三步)."""
    if listing is not None and not pinned:
        text, sources, items = list_extract(listing, hits)
        if items:
            return Extract(text, sources, True, items), None
    question = as_question(question)
    extracted = extract(hits, question, settings.no_answer, max_sentences=1 if pinned else 2, neighbour=not pinned)
    if settings.no_answer and reader_finds_none(hits, settings.reader_no_answer_at):
        extracted = Extract(NO_DIRECT_ANSWER + CLOSEST, (), False)
    short = None if pinned or not extracted.answered else short_answer(hits)
    return extracted, short
