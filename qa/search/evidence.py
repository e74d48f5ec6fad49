"""Answer-bearing evidence: does one sentence of a passage answer the question, not just share its topic?

In:  the question (its query vector, its content words), the fused candidates (passage ids), the
     index (each sentence's stored vector, BM25 document frequencies).
Out: per candidate its best sentence (span) and that sentence's evidence score; search
     (qa/search/hybrid.py) reorders the first `rerank_depth` fused candidates by fused score + evidence.

A sentence's evidence is a weighted sum of three parts (weights: settings dense_evidence_weight,
coverage_weight, cue_weight, chosen with `python bench/answers.py --sweep` on the noisy corpus's
tuning part; character-bigram coverage was tried there too and never helped):
    dense     cosine of the question to the sentence's own vector (built at ingest with
              sentence_vectors; a one-sentence passage uses the passage's vector)
    coverage  the question's content words found inside this one sentence, weighted by how rare
              each is in the corpus (BM25's document frequency): words spread over a passage say
              "on topic", words together in one sentence say "answers"
    cue       the sentence offers the kind of item the question asks for and does not name itself:
              a person for 谁, a number with a measure word for 多少/几, a date for 何时/哪年, a
              place for 哪里 (qa/search/cues.py)
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass

import numpy as np

from qa.records import Evidence
from qa.text import _fold_table, keyword_tokens, sentence_spans

from .cues import offers
from .query import STOP_WORDS, Question

__all__ = ["Weighed", "SentenceEvidence", "EvidenceScorer", "content_words", "STOP_WORDS"]

_WS = re.compile(r"\s+")


def content_words(text: str) -> list[str]:
    """The jieba words of `text` (normalised, as the keyword index has them) that can stand in an
    answer sentence: question words, particles and single characters left out. For a question,
    Question.content holds them; this is for other text (a glossary's added Chinese terms)."""
    seen: dict[str, None] = {}
    for t in keyword_tokens(text, "jieba"):
        if t not in STOP_WORDS and (len(t) > 1 or t.isascii()) and t not in seen:
            seen[t] = None
    return list(seen)


def _fold(text: str) -> str:
    """normalize()'s folding (width, punctuation, traditional → simplified, case) without its offset
    map, which normalize() builds character by character in Python: twenty candidates' sentences are
    folded per question, and they are only searched for the question's words."""
    return _WS.sub("", text.translate(_fold_table()).lower())


@dataclass(frozen=True)
class Weighed:
    """A question's content words (and the Chinese terms added to it) with their IDF in this corpus."""

    question: Question
    words: tuple[str, ...]
    weights: tuple[float, ...]


@dataclass(frozen=True)
class SentenceEvidence:
    span: tuple[int, int]  # offsets inside the passage text
    evidence: Evidence


class EvidenceScorer:
    def __init__(self, index, settings):
        self.index = index
        self.settings = settings

    def question(self, question: Question, extra: str = "") -> Weighed:
        """The question's content words, and those of `extra` (added Chinese terms), weighed."""
        words = list(dict.fromkeys([*question.content, *(content_words(extra) if extra else [])]))
        return Weighed(question, tuple(words), tuple(self._idf(words)))

    def _idf(self, words: list[str]) -> list[float]:
        n = max(self.index.keyword.size, 1)
        return [math.log(1 + (n - df + 0.5) / (df + 0.5)) for df in self.index.keyword.document_frequency(words)]

    def sentences(self, q: Weighed, pid: int, query_vector: np.ndarray | None) -> list[SentenceEvidence]:
        """Every sentence of passage `pid` with its evidence."""
        s = self.settings
        passage = self.index.passages[pid]
        text = passage.text
        spans = sentence_spans(text) or [(0, len(text))]
        dense = self._sentence_scores(pid, query_vector, len(spans))
        # A headline opening the passage repeats the question's words and answers nothing: it is
        # the passage's topic, not a sentence of it.
        body = [i for i, (a, b) in enumerate(spans) if text[a:b] != passage.heading] or range(len(spans))
        spans, dense = [spans[i] for i in body], [dense[i] for i in body]
        total = sum(q.weights) or 1.0
        out = []
        for (a, b), d in zip(spans, dense):
            folded = _fold(text[a:b])
            coverage = sum(w for word, w in zip(q.words, q.weights) if word in folded) / total
            partial = s.dense_evidence_weight * d + s.coverage_weight * coverage
            out.append(SentenceEvidence((a, b), Evidence(partial, d, coverage, False)))
        if q.question.asks is not None and s.cue_weight > 0:
            out = self._with_cues(q, text, out)
        return out

    def _with_cues(self, q: Weighed, text: str, found: list[SentenceEvidence]) -> list[SentenceEvidence]:
        # Tagging people and places is slow: only the passage's two best sentences so far are tagged.
        order = sorted(range(len(found)), key=lambda i: -found[i].evidence.score)
        asked = q.question
        tagged = set(order[:2]) if asked.asks in ("person", "place") else set(order)
        out = []
        for i, found_i in enumerate(found):
            (a, b), e = found_i.span, found_i.evidence
            if i in tagged and offers(text[a:b], asked.asks, asked.normalized, asked.measure):
                e = dataclasses.replace(e, score=e.score + self.settings.cue_weight, cue=True)
            out.append(SentenceEvidence((a, b), e))
        return out

    def best(self, q: Weighed, pid: int, query_vector: np.ndarray | None) -> SentenceEvidence:
        return max(self.sentences(q, pid, query_vector), key=lambda found: found.evidence.score)

    def _sentence_scores(self, pid: int, query_vector: np.ndarray | None, count: int) -> list[float]:
        """Cosine of the question to each sentence's vector; the passage's own where sentences have
        none (one-sentence passages, sentence_vectors off), 0 without a query vector."""
        if query_vector is None:
            return [0.0] * count
        owners = self.index.dense.owners
        lo, hi = int(np.searchsorted(owners, pid, "left")), int(np.searchsorted(owners, pid, "right"))
        scores = np.asarray(self.index.vectors[lo:hi]) @ query_vector
        if hi - lo == count + 1:  # the passage's view, then one per sentence (qa.index.views)
            return scores[1:].tolist()
        return [float(scores.max()) if len(scores) else 0.0] * count
