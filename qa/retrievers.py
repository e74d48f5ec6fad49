"""The two retrievers behind search: a FAISS dense index and a BM25 keyword index (bm25s)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from .errors import CorruptIndex
from .text import keyword_tokens

__all__ = ["DenseIndex", "KeywordIndex"]

logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG


class DenseIndex:
    """Inner product over L2-normalised vectors, which is cosine similarity."""

    FILE = "dense.faiss"

    def __init__(self, index):
        self.index = index

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str = "flat") -> "DenseIndex":
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = vectors.shape
        if kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efSearch = 128
        elif kind == "ivf" and n >= 1000:
            # Too few vectors cannot train the coarse quantiser; such a corpus stays flat.
            nlist = int(min(4 * np.sqrt(n), n // 39))
            quantizer = faiss.IndexFlatIP(dim)
            index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
            index.train(vectors)
            index.nprobe = max(1, nlist // 8)
        else:
            index = faiss.IndexFlatIP(dim)
        if n:
            index.add(vectors)
        return cls(index)

    def save(self, folder: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(folder / self.FILE))

    @classmethod
    def load(cls, folder: Path) -> "DenseIndex":
        import faiss

        try:
            return cls(faiss.read_index(str(folder / cls.FILE)))
        except Exception as exc:  # faiss raises RuntimeError with C++ text on damaged files
            raise CorruptIndex(f"The dense index in {folder} cannot be read ({exc}).") from exc

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        k = min(k, self.size)
        if k <= 0:
            return []
        scores, ids = self.index.search(np.asarray(query, dtype=np.float32).reshape(1, -1), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]


class KeywordIndex:
    """BM25 over normalised text cut by jieba plus character bigrams (see text.keyword_tokens)."""

    FOLDER = "keyword"

    def __init__(self, bm25, mode: str):
        self.bm25 = bm25
        self.mode = mode
        self._vocab = set(bm25.vocab_dict)

    @property
    def size(self) -> int:
        return int(self.bm25.scores["num_docs"])

    @classmethod
    def build(cls, texts: list[str], mode: str) -> "KeywordIndex":
        import bm25s

        bm25 = bm25s.BM25()
        bm25.index([keyword_tokens(t, mode) for t in texts], show_progress=False)
        return cls(bm25, mode)

    def save(self, folder: Path) -> None:
        path = folder / self.FOLDER
        self.bm25.save(str(path), show_progress=False)
        (path / "qa.json").write_text(json.dumps({"mode": self.mode}), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "KeywordIndex":
        import bm25s

        path = folder / cls.FOLDER
        try:
            mode = json.loads((path / "qa.json").read_text(encoding="utf-8"))["mode"]
            bm25 = bm25s.BM25.load(str(path), show_progress=False, verbosity=0)
        except Exception as exc:
            raise CorruptIndex(f"The keyword index in {path} cannot be read ({exc}).") from exc
        return cls(bm25, mode)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for the query (zeros when no query token is known)."""
        tokens = [t for t in keyword_tokens(query, self.mode) if t in self._vocab]
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.bm25.get_scores(tokens), dtype=np.float32)
