"""Fusing dense and keyword rankings: weighted reciprocal rank fusion or a convex sum of scores."""

from __future__ import annotations

import numpy as np

__all__ = ["rrf", "convex", "ranks", "top_scores"]


def ranks(scored: list[tuple[int, float]]) -> dict[int, int]:
    """1-based rank of each id in a best-first list."""
    return {pid: r for r, (pid, _) in enumerate(scored, start=1)}


def rrf(
    dense: list[tuple[int, float]], keyword: list[tuple[int, float]], k: int, dense_weight: float
) -> dict[int, float]:
    """Weighted reciprocal rank fusion: sum of w / (k + rank); an id a retriever missed gets nothing from it.

    Ranks ignore score scale, so BM25's unbounded scores and cosine similarities mix safely.
    """
    fused: dict[int, float] = {}
    for weight, scored in ((dense_weight, dense), (1.0 - dense_weight, keyword)):
        for rank, (pid, _) in enumerate(scored, start=1):
            fused[pid] = fused.get(pid, 0.0) + weight / (k + rank)
    return fused


def _minmax(scores: dict[int, float], full: float = 0.0) -> dict[int, float]:
    """Scores onto [0, 1]: the lowest is 0, the highest (or `full`, when that is higher) is 1."""
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(max(scores.values()), full)
    span = hi - lo
    return {pid: (s - lo) / span if span > 0 else 1.0 for pid, s in scores.items()}


def convex(
    dense: dict[int, float], keyword: dict[int, float], dense_weight: float, keyword_full: float = 0.0
) -> dict[int, float]:
    """Convex sum of min-max normalised scores over the same candidate ids.

    Both dicts should score the same ids (the union of candidates), so that a passage one retriever
    ranked low still gets its true score from it rather than zero. `keyword_full` is the keyword score
    that counts as a full match: when even the best passage falls well short of it (a paraphrase sharing
    few words with its answer), keyword scores stay low instead of being stretched to 1, and dense decides.
    """
    d, kw = _minmax(dense), _minmax(keyword, keyword_full)
    ids = set(d) | set(kw)
    return {pid: dense_weight * d.get(pid, 0.0) + (1.0 - dense_weight) * kw.get(pid, 0.0) for pid in ids}


def top_scores(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The k best (id, score) pairs of a score array, best first, zero scores left out."""
    k = min(k, len(scores))
    if k <= 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(int(i), float(scores[i])) for i in top if scores[i] > 0]
