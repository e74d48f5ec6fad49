"""The `ann` setting: auto picks exact search for small indexes and HNSW for large ones; every kind finds the neighbours."""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from qa.index import retrievers
from qa.index.retrievers import DenseIndex


def _unit(n: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, 32)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_auto_is_flat_below_the_threshold_and_hnsw_from_it(monkeypatch):
    monkeypatch.setattr(retrievers, "AUTO_HNSW_FROM", 500)
    small = DenseIndex.build(_unit(499), np.arange(499), "auto")
    large = DenseIndex.build(_unit(500), np.arange(500), "auto")
    assert isinstance(small.index, faiss.IndexFlatIP)
    assert isinstance(large.index, faiss.IndexHNSWFlat) and large.index.hnsw.efSearch == retrievers.HNSW_EF_SEARCH


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf", "ivfpq"])
def test_every_kind_finds_a_stored_vector_first(kind):
    vectors = _unit(4000)
    dense = DenseIndex.build(vectors, np.arange(4000) // 2, kind)  # two views per passage
    assert dense.size == 4000 and dense.passages == 2000
    for row in (0, 1234, 3999):
        (best, score), *_ = dense.search(vectors[row], 5)
        assert best == row // 2 and score == pytest.approx(1.0, abs=0.05 if kind == "ivfpq" else 1e-5)
