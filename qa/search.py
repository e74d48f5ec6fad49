"""Hybrid search: dense and keyword candidates, fused, duplicates collapsed, best sentence marked."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import Settings
from .fusion import convex, ranks, rrf
from .records import Citation, Hit
from .store import Index
from .answer import best_sentence
from .text import keyword_tokens

__all__ = ["Searcher", "Ranked"]


@dataclass(frozen=True)
class Ranked:
    pid: int
    score: float
    dense_rank: int | None
    keyword_rank: int | None


class Searcher:
    def __init__(self, index: Index, encoder, settings: Settings):
        self.index = index
        self.encoder = encoder
        self.settings = settings

    def rank(self, question: str, mode: str = "fused", k: int | None = None,
             query_vector: np.ndarray | None = None) -> list[Ranked]:
        """Passage ids best first. mode: fused, dense or keyword (the last two for evaluation)."""
        s = self.settings
        n = max(k or s.candidates, s.candidates)
        dense: list[tuple[int, float]] = []
        if mode in ("fused", "dense"):
            if query_vector is None:
                query_vector = self.encoder.encode_queries([question])[0]
            dense = self.index.dense.search(query_vector, n)
        keyword: list[tuple[int, float]] = []
        all_kw = None
        if mode in ("fused", "keyword"):
            all_kw = self.index.keyword.scores(question)
            keyword = _top(all_kw, n)
        d_rank, k_rank = ranks(dense), ranks(keyword)
        if mode == "dense":
            fused = {pid: sc for pid, sc in dense}
        elif mode == "keyword":
            fused = {pid: sc for pid, sc in keyword}
        elif s.fusion == "convex":
            ids = list(set(d_rank) | set(k_rank))
            # Score every candidate with both retrievers so a miss is not a zero.
            d_scores = self.index.vectors[ids] @ query_vector
            fused = convex(dict(zip(ids, map(float, d_scores))), {i: float(all_kw[i]) for i in ids}, s.dense_weight)
        else:
            fused = rrf(dense, keyword, s.rrf_k, s.dense_weight)
        order = sorted(fused, key=lambda pid: (-fused[pid], pid))
        return [Ranked(pid, fused[pid], d_rank.get(pid), k_rank.get(pid)) for pid in order[: (k or len(order))]]

    def search(self, question: str, top_k: int) -> list[Hit]:
        passages = self.index.passages
        hits: list[Hit] = []
        seen_groups: set[int] = set()
        q_terms = _question_terms(question)
        for r in self.rank(question):
            p = passages[r.pid]
            group = p.duplicate_of if p.duplicate_of is not None else p.id
            if group in seen_groups:
                continue  # the same text printed twice: show it once, naming the other place
            seen_groups.add(group)
            also = _group_citations(passages, group, exclude=p.citation)
            hits.append(Hit(len(hits) + 1, r.score, p, best_sentence(p.text, q_terms), r.dense_rank, r.keyword_rank, also))
            if len(hits) >= top_k:
                break
        return hits


def _top(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    k = min(k, len(scores))
    if k <= 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


def _group_citations(passages, group: int, exclude: Citation) -> tuple[Citation, ...]:
    canonical = passages[group]
    cites = [canonical.citation, *canonical.also_in]
    return tuple(c for c in cites if c != exclude)


def _question_terms(question: str) -> set[str]:
    return set(keyword_tokens(question, "jieba+bigram"))
