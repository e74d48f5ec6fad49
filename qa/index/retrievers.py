"""The two retrievers behind search: a FAISS dense index and a BM25 keyword index (bm25s)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from qa.errors import CorruptIndex
from qa.text import keyword_tokens

from .integrity import blocks
from .paging import mapped_by

__all__ = ["DenseIndex", "KeywordIndex", "AUTO_HNSW_FROM"]

# ann=auto: exact search below this many vectors, HNSW from it on (bench/scale.py: where flat search
# stops being fast enough; see docs/scale.md, "Search at scale").
AUTO_HNSW_FROM = 50_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 40
HNSW_EF_SEARCH = 128
PQ_SUBVECTORS = 48
IVFPQ_NPROBE = 32


class DenseIndex:
    """Inner product over L2-normalised vectors, which is cosine similarity.

    A passage has several vectors ("views"): the whole passage, and each of its sentences when it has
    more than one. A question phrased like one sentence finds that sentence even when the rest of the
    passage is about something else; a passage scores as its best view.
    """

    FILE = "dense.faiss"
    OWNERS = "owners.npy"

    def __init__(self, index, owners: np.ndarray, ranges: list[tuple[int, int]] | None = None):
        self.index = index
        self.owners = np.asarray(owners, dtype=np.int64)
        self.ranges = ranges or []  # where FAISS mapped dense.faiss, when load() had it mapped

    def mappings(self) -> list[tuple[int, int]]:
        """The FAISS storage's mapping (qa.index.paging): valid while this object holds the index."""
        return self.ranges

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    @property
    def passages(self) -> int:
        return int(self.owners.max()) + 1 if len(self.owners) else 0

    @classmethod
    def build(cls, vectors: np.ndarray, owners: np.ndarray, kind: str = "flat") -> DenseIndex:
        """kind: flat (exact), hnsw, ivf, ivfpq, or auto (flat below AUTO_HNSW_FROM vectors, hnsw above)."""
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = vectors.shape
        if kind == "auto":
            kind = "hnsw" if n >= AUTO_HNSW_FROM else "flat"
        if kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            index.hnsw.efSearch = HNSW_EF_SEARCH
        elif kind in ("ivf", "ivfpq") and n >= 1000:
            # Too few vectors cannot train the coarse quantiser; such a corpus stays flat.
            nlist = int(min(4 * np.sqrt(n), n // 39))
            quantizer = faiss.IndexFlatIP(dim)
            if kind == "ivf":
                index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
            else:
                # e5-small: 48 sub-vectors of 8 dimensions, one byte each: 48 bytes a vector, not 1,536.
                parts = next(m for m in (PQ_SUBVECTORS, 32, 24, 16, 8, 4, 2, 1) if dim % m == 0)
                index = faiss.IndexIVFPQ(quantizer, dim, nlist, parts, 8, faiss.METRIC_INNER_PRODUCT)
            sample = vectors if n <= 100_000 else vectors[np.random.default_rng(0).choice(n, 100_000, replace=False)]
            index.train(sample)
            index.nprobe = max(1, nlist // 8) if kind == "ivf" else min(nlist, IVFPQ_NPROBE)
        else:
            index = faiss.IndexFlatIP(dim)
        if n:
            index.add(vectors)
        return cls(index, owners)

    def save(self, folder: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(folder / self.FILE))
        np.save(folder / self.OWNERS, self.owners)

    @classmethod
    def load(cls, folder: Path) -> DenseIndex:
        import faiss

        try:
            owners = np.load(folder / cls.OWNERS, allow_pickle=False)
            index, ranges = mapped_by(lambda: _read_mapped(faiss, folder / cls.FILE), folder / cls.FILE)
            return cls(index, owners, ranges)
        except Exception as exc:  # faiss raises RuntimeError with C++ text on damaged files
            raise CorruptIndex(f"The dense index in {folder} cannot be read ({exc}).") from exc

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Best `k` passages as (passage id, best view score)."""
        views = min(self.size, 4 * k)
        if views <= 0:
            return []
        scores, ids = self.index.search(np.asarray(query, dtype=np.float32).reshape(1, -1), views)
        best: dict[int, float] = {}
        for i, s in zip(ids[0], scores[0]):
            if i >= 0:
                pid = int(self.owners[i])
                if pid not in best:
                    best[pid] = float(s)  # results come best first
        return sorted(best.items(), key=lambda kv: -kv[1])[:k]


def _read_mapped(faiss, path: Path):
    """The FAISS index at `path` with its vectors memory-mapped (flat and HNSW storage), so a process
    serving a large index holds only the pages its searches touch; index kinds that cannot be mapped
    are read into memory."""
    try:
        return faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)
    except RuntimeError:
        return faiss.read_index(str(path))


def _bm25s():
    import bm25s

    # bm25s sets its own logger to DEBUG on import and then logs every build: keep it quiet.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


class _BM25:
    """One bm25s model over token lists, saved as a folder of plain files.

    Loaded memory-mapped: a query reads the score columns of its own terms only, so an index of a
    million passages (3 GB of score arrays) is not read whole into every server."""

    TERM_BEST = "term_best.npy"

    def __init__(self, bm25, term_best: np.ndarray | None = None):
        self.bm25 = bm25
        self.vocab = bm25.vocab_dict
        if term_best is None:
            # Per term, the best score any one document gets for it (the score matrix holds a column
            # per term). Stored with the index: computed at load it would read every page.
            data, indptr = bm25.scores["data"], bm25.scores["indptr"]
            term_best = np.zeros(len(indptr) - 1, dtype=np.float32)
            filled = np.diff(indptr) > 0
            term_best[filled] = np.maximum.reduceat(data, indptr[:-1][filled])
        self.term_best = term_best

    @property
    def size(self) -> int:
        return int(self.bm25.scores["num_docs"])

    def mappings(self) -> list[np.ndarray]:
        """The score matrix's arrays, memory-mapped when `load` read them (for qa.index.paging)."""
        return [self.bm25.scores[name] for name in ("data", "indices", "indptr")]

    @classmethod
    def build(cls, token_lists: list[list[str]], k1: float, b: float) -> _BM25:
        bm25 = _bm25s().BM25(k1=k1, b=b)
        bm25.index(token_lists, show_progress=False)
        return cls(bm25)

    def save(self, path: Path) -> None:
        self.bm25.save(str(path), show_progress=False)
        np.save(path / self.TERM_BEST, self.term_best)

    @classmethod
    def load(cls, path: Path) -> _BM25:
        bm25 = _bm25s().BM25.load(str(path), mmap=True, show_progress=False, verbosity=0)
        term_best = np.load(path / cls.TERM_BEST, allow_pickle=False)
        _check_sparse(bm25.scores, len(bm25.vocab_dict))
        if term_best.shape != (len(bm25.scores["indptr"]) - 1,) or not np.isfinite(term_best).all():
            raise ValueError("its best scores per term do not fit its score matrix")
        return cls(bm25, term_best)

    def scores(self, tokens: list[str]) -> tuple[np.ndarray, float]:
        """BM25 score of every document, and an upper bound of them: each token scored as in the
        document that matches it best. Tokens the index has never seen count for nothing."""
        ids = [int(self.vocab[t]) for t in tokens if t in self.vocab]
        if not ids:
            return np.zeros(self.size, dtype=np.float32), 0.0
        return np.asarray(self.bm25.get_scores(ids), dtype=np.float32), float(self.term_best[ids].sum())


def _check_sparse(scores: dict, terms: int) -> None:
    """The score matrix must be a well-formed CSC matrix (one column per term, rows are documents):
    an out-of-range document id would otherwise fail on the first query that reaches it. The large
    arrays are read through their files in blocks (integrity.blocks), not through the mapping."""
    data, indices = scores["data"], scores["indices"]
    indptr = np.asarray(scores["indptr"])
    docs = int(scores["num_docs"])
    if (
        not 0 < len(indptr) <= terms + 1
        or len(data) != len(indices)
        or (len(indptr) and (indptr[0] != 0 or indptr[-1] != len(indices) or np.any(np.diff(indptr) < 0)))
        or any(len(b) and (b.min() < 0 or b.max() >= docs) for b in blocks(indices))
        or not all(np.isfinite(b).all() for b in blocks(data))
    ):
        raise ValueError("its score matrix is malformed (term or document ids out of range)")


class KeywordIndex:
    """BM25 over normalised text cut by jieba plus characters or bigrams (see text.keyword_tokens).

    What each passage is indexed with is `indexer.keyword_text`: its article's lead, heading and text.
    """

    FOLDER = "keyword"

    def __init__(self, bm25: _BM25, params: dict):
        self.bm25 = bm25
        self.params = params

    @property
    def size(self) -> int:
        return self.bm25.size

    def mappings(self) -> list[np.ndarray]:
        return self.bm25.mappings()

    @classmethod
    def build(cls, texts: list[str], mode: str, k1: float = 1.2, b: float = 0.5) -> KeywordIndex:
        return cls.from_tokens([keyword_tokens(t, mode) for t in texts], mode, k1, b)

    @classmethod
    def from_tokens(cls, token_lists: list[list[str]], mode: str, k1: float = 1.2, b: float = 0.5) -> KeywordIndex:
        """From each passage's tokens (`text.keyword_tokens(text, mode)`); at least one must have some."""
        return cls(_BM25.build(token_lists, k1, b), {"mode": mode, "k1": k1, "b": b})

    def save(self, folder: Path) -> None:
        path = folder / self.FOLDER
        self.bm25.save(path / "text")
        (path / "qa.json").write_text(json.dumps(self.params), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex:
        path = folder / cls.FOLDER
        try:
            params = json.loads((path / "qa.json").read_text(encoding="utf-8"))
            return cls(_BM25.load(path / "text"), params)
        except Exception as exc:
            raise CorruptIndex(f"The keyword index in {path} cannot be read ({exc}).") from exc

    def document_frequency(self, words: list[str]) -> list[int]:
        """How many passages hold each word (a column of the score matrix per term; 0 for a word the
        index has never seen). Words must be tokens as keyword_tokens makes them."""
        indptr, vocab = self.bm25.bm25.scores["indptr"], self.bm25.vocab
        return [int(indptr[vocab[w] + 1] - indptr[vocab[w]]) if w in vocab else 0 for w in words]

    def scores(self, query: str) -> tuple[np.ndarray, float]:
        """BM25 score of every passage for the query (zeros when no query token is known), and an upper
        bound of those scores: each query term scored as in the passage that matches it best.

        A top score far below the bound means the question shares few of its words with any passage
        (a paraphrase); fusion then leans on the dense retriever.
        """
        return self.bm25.scores(keyword_tokens(query, self.params["mode"]))
