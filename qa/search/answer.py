"""Extractive answers: the best-matching sentence of each hit, quoted with [n] citation markers."""

from __future__ import annotations

from qa.records import Hit
from qa.text import is_punct, keyword_tokens, normalize, sentence_spans

__all__ = ["best_sentence", "question_terms", "answer_text", "NO_ANSWER"]

NO_ANSWER = "没有在资料中找到与问题相关的内容。"


def question_terms(question: str) -> set[str]:
    return set(keyword_tokens(question, "jieba+bigram"))


def best_sentence(text: str, q_terms: set[str]) -> tuple[int, int]:
    """Span of the sentence of `text` sharing the most question words and bigrams (weighted by length)."""
    spans = sentence_spans(text) or [(0, len(text))]
    best, best_score = spans[0], -1.0
    for s, e in spans:
        terms = set(keyword_tokens(text[s:e], "jieba+bigram"))
        # Longer shared words say more than shared bigrams; prefer a sentence that covers the question.
        score = sum(len(t.lstrip("#")) for t in q_terms & terms)
        if score > best_score:
            best, best_score = (s, e), score
    return best


def answer_text(hits: list[Hit], max_sentences: int = 2) -> str:
    """An extractive answer: the best sentences quoted verbatim, each followed by its [n] marker."""
    if not hits:
        return NO_ANSWER
    parts: list[str] = []
    seen: set[str] = set()
    top = hits[0].score
    for hit in hits:
        if len(parts) >= max_sentences or (parts and hit.score < 0.6 * top):
            break
        sentence = hit.highlighted_sentence.strip()
        key = "".join(c for c in normalize(sentence) if not is_punct(c))
        if not key or key in seen:
            continue
        seen.add(key)
        parts.append(f"{sentence}[{hit.rank}]")
    return "".join(parts)
