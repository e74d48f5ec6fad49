"""Search at scale: build, size, serving memory, query latency and ANN recall at 10k / 100k / 1M passages.

    python bench/scale.py --sizes 10000 100000                  # flat, hnsw, ivfpq at each size
    python bench/scale.py --sizes 1000000 --ann flat,ivfpq,hnsw --keyword
    python bench/scale.py --sizes 100000 --search               # also the whole fused search (`qa ask`'s)

The text is real: every passage and sentence view of CMRC 2018 and DRCD (dev and held-out splits,
../shared/benchmarks; 38,052 texts), with the vectors bench/retrieval.py cached for them (same
model, computed once). To reach a size the texts are repeated with light perturbation: each copy
gets Gaussian noise on its vector (sigma 0.02 a dimension, renormalised: cosine about 0.93 to the
original) and, for the keyword side, 5% of its tokens dropped. One vector per passage here (an index
with sentence vectors holds about 6.8 vectors a CMRC-like passage: 100k passages are about 680k vectors).
Queries are 200 real CMRC/DRCD dev questions with their cached query vectors.

Per size and `ann` kind, printed as a table: build seconds, size on disk, RSS of a fresh process that
loads the index from disk (memory-mapped where FAISS allows: flat and HNSW storage) and serves the
queries, warm dense query p50/p95 in that process, and recall@10 of the ANN against flat (share of
flat's top-10 vectors the ANN also returns). `--keyword`: the bm25s index at that size (build,
disk, RSS when loaded memory-mapped, query p50/p95). `--search`: the whole fused search (dense +
keyword + fusion + duplicates + best sentence, `Searcher.search`) in one process, p50/p95.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH = ROOT.parent / "shared" / "benchmarks"
CACHE = ROOT / "bench" / "cache"
TORCH_HASH = "cd1caf181241"  # the cached public-set vectors: the torch fp32 encoder's weights hash
SPLITS = [("cmrc2018", "dev", ""), ("cmrc2018", "heldout", "trial."), ("drcd", "dev", ""), ("drcd", "heldout", "test.")]
NOISE = 0.02
QUERIES = 200


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def base_views() -> tuple[list[str], np.ndarray]:
    """Every passage and sentence view of the four public splits and its cached vector."""
    from qa.index.views import dense_views
    from qa.records import Citation, Passage

    texts, vectors = [], []
    for dataset, split, prefix in SPLITS:
        rows = _rows(BENCH / dataset / f"{prefix}passages.jsonl")
        passages = [
            Passage(i, Citation(r["id"], "x", r["title"], None, None, 1, 0, len(r["text"])), r["text"], r["title"])
            for i, r in enumerate(rows)
        ]
        views = [v.text for v in dense_views(passages, True)]
        (cached,) = CACHE.glob(f"{dataset}-{split}-views-{TORCH_HASH}-*.npy")
        v = np.load(cached)
        assert len(v) == len(views), (cached, len(v), len(views))
        texts += views
        vectors.append(v)
    return texts, np.concatenate(vectors)


def _dev_questions(dataset: str) -> tuple[list[str], int]:
    """QUERIES // 2 dev questions of a dataset, spread over it, and the step between them (which
    picks their cached vectors too)."""
    qs = [q["question"] for q in _rows(BENCH / dataset / "questions.jsonl") if q["question"].strip()]
    step = len(qs) // (QUERIES // 2)
    return qs[::step][: QUERIES // 2], step


def question_texts() -> list[str]:
    """The questions `queries` returns, without their (cached) vectors."""
    return [q for dataset in ("cmrc2018", "drcd") for q in _dev_questions(dataset)[0]]


def queries() -> tuple[list[str], np.ndarray]:
    out_q, out_v = [], []
    for dataset in ("cmrc2018", "drcd"):
        picked, step = _dev_questions(dataset)
        (cached,) = CACHE.glob(f"{dataset}-dev-queries-{TORCH_HASH}-*.npy")
        out_q += picked
        out_v.append(np.load(cached)[::step][: QUERIES // 2])
    return out_q, np.concatenate(out_v).astype(np.float32)


def scaled_vectors(base: np.ndarray, n: int) -> np.ndarray:
    """n vectors: the base ones, then perturbed copies (noise per dimension, renormalised)."""
    rng = np.random.default_rng(13)
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    for at in range(0, n, 65536):
        idx = np.arange(at, min(n, at + 65536))
        block = base[idx % len(base)].astype(np.float32)
        noisy = idx >= len(base)
        block[noisy] += rng.normal(0, NOISE, size=(int(noisy.sum()), base.shape[1])).astype(np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[idx] = block
    return out


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def serve_dense(folder: Path, kind: str, k: int = 10) -> None:
    """In a fresh process: load one FAISS index from disk, answer the queries, print JSON."""
    import faiss

    _, qv = queries()
    flags = faiss.IO_FLAG_MMAP_IFC if kind in ("flat", "hnsw") else faiss.IO_FLAG_MMAP
    try:
        index = faiss.read_index(str(folder / f"{kind}.faiss"), flags)
        mapped = True
    except RuntimeError:
        index, mapped = faiss.read_index(str(folder / f"{kind}.faiss")), False
    if kind == "hnsw":
        from qa.index.retrievers import HNSW_EF_SEARCH

        index.hnsw.efSearch = HNSW_EF_SEARCH
    elif kind == "ivfpq":
        from qa.index.retrievers import IVFPQ_NPROBE

        index.nprobe = IVFPQ_NPROBE
    # One query at a time: one thread (FAISS's OpenMP threads only spin-wait on a single query).
    faiss.omp_set_num_threads(1)
    ids = np.zeros((len(qv), k), dtype=np.int64)
    times = []
    for _ in range(2):  # the first round warms the pages and caches; the second is timed
        times = []
        for i, q in enumerate(qv):
            started = time.perf_counter()
            _, found = index.search(q.reshape(1, -1), k)
            times.append((time.perf_counter() - started) * 1000)
            ids[i] = found[0]
    np.save(folder / f"{kind}.ids.npy", ids)
    print(json.dumps({"rss_mb": _rss_mb(), "p50": statistics.median(times), "p95": percentile(times, 95),
                      "mmap": mapped}))  # fmt: skip


def serve_keyword(folder: Path) -> None:
    import bm25s

    from qa.text import keyword_tokens

    qs, _ = queries()
    bm25 = bm25s.BM25.load(str(folder / "bm25"), mmap=True)
    vocab = bm25.vocab_dict
    times = []
    for q in qs:
        ids = [int(vocab[t]) for t in keyword_tokens(q, "jieba+bigram+char") if t in vocab]
        started = time.perf_counter()
        scores = bm25.get_scores(ids)
        np.argpartition(-scores, 50)[:50]
        times.append((time.perf_counter() - started) * 1000)
    print(json.dumps({"rss_mb": _rss_mb(), "p50": statistics.median(times), "p95": percentile(times, 95)}))


def _child(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _disk_mb(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6


def keyword_tokens_for(texts: list[str], n: int) -> list[list[str]]:
    from qa.text import keyword_tokens

    cached = CACHE / f"scale-tokens-{len(texts)}.json"
    if cached.exists():
        base = json.loads(cached.read_text(encoding="utf-8"))
    else:
        base = [keyword_tokens(t, "jieba+bigram+char") for t in texts]
        cached.write_text(json.dumps(base, ensure_ascii=False), encoding="utf-8")
    rng = np.random.default_rng(7)
    out = []
    for i in range(n):
        tokens = base[i % len(base)]
        if i >= len(base) and tokens:
            keep = rng.random(len(tokens)) >= 0.05
            tokens = [t for t, kept in zip(tokens, keep) if kept]
        out.append(tokens)
    return out


def run_size(n: int, kinds: list[str], texts: list[str], base: np.ndarray, work: Path, keyword: bool,
             search: bool) -> list[str]:  # fmt: skip
    import faiss

    from qa.index.retrievers import DenseIndex

    folder = work / str(n)
    folder.mkdir(parents=True, exist_ok=True)
    vectors = scaled_vectors(base, n)
    rows = []
    built = {}
    for kind in kinds:
        started = time.perf_counter()
        dense = DenseIndex.build(vectors, np.arange(n), kind)
        seconds = time.perf_counter() - started
        faiss.write_index(dense.index, str(folder / f"{kind}.faiss"))
        built[kind] = dense
        served = _child("--serve-dense", str(folder), kind)
        rows.append((kind, seconds, _disk_mb(folder / f"{kind}.faiss"), served))
        print(f"  {n:,} {kind}: built in {seconds:.1f} s, {served}", file=sys.stderr)
        if not search:
            del built[kind]
    lines = []
    flat_ids = np.load(folder / "flat.ids.npy") if (folder / "flat.ids.npy").exists() else None
    for kind, seconds, disk, served in rows:
        ids = np.load(folder / f"{kind}.ids.npy")
        if flat_ids is not None:
            recall = np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(ids, flat_ids)])
            recall_cell = f"{recall:.4f}"
        else:
            recall_cell = "n/a"
        lines.append(f"| {n:,} | {kind} | {seconds:.1f} | {disk:,.0f} | {served['rss_mb']:,.0f}"
                     f"{'' if served['mmap'] else ' (not mapped)'} | {served['p50']:.2f} | {served['p95']:.2f} | "
                     f"{recall_cell} |")  # fmt: skip
    if keyword or search:
        from qa.index.retrievers import KeywordIndex

        started = time.perf_counter()
        token_lists = keyword_tokens_for(texts, n)
        tokenise = time.perf_counter() - started
        started = time.perf_counter()
        kw = KeywordIndex.from_tokens(token_lists, "jieba+bigram+char")
        seconds = time.perf_counter() - started
        del token_lists
        kw.bm25.bm25.save(str(folder / "bm25"), show_progress=False)
        served = _child("--serve-keyword", str(folder))
        lines.append(f"| {n:,} | bm25s (keyword) | {seconds:.1f} (+{tokenise:.0f} tokenising) | "
                     f"{_disk_mb(folder / 'bm25'):,.0f} | {served['rss_mb']:,.0f} | {served['p50']:.2f} | "
                     f"{served['p95']:.2f} | |")  # fmt: skip
        print(f"  {n:,} bm25s: built in {seconds:.1f} s, {served}", file=sys.stderr)
        if search:
            lines += fused_search(n, texts, vectors, built, kw)
    return lines


def fused_search(n: int, texts: list[str], vectors: np.ndarray, built: dict, kw) -> list[str]:
    """The whole search `qa ask` runs (query vectors cached), over an in-memory index of n passages."""
    from qa.config import Settings
    from qa.index.store import Index
    from qa.records import Citation, Passage
    from qa.search.hybrid import Searcher

    qs, qv = queries()
    by_text = dict(zip(qs, qv))

    class CachedQueries:
        def encode_queries(self, batch):
            from qa.text import to_simplified

            return np.stack([by_text.get(t, next(v for q, v in by_text.items() if to_simplified(q) == t))
                             for t in batch])  # fmt: skip

    passages = [
        Passage(i, Citation(f"p{i}", "x", "", None, None, 1, 0, len(texts[i % len(texts)])), texts[i % len(texts)])
        for i in range(n)
    ]
    lines = []
    import faiss

    faiss.omp_set_num_threads(1)
    for kind, dense in built.items():
        index = Index(Path("."), {}, [], passages, vectors, dense, kw)
        searcher = Searcher(index, CachedQueries(), Settings.load())
        for q in qs[:20]:
            searcher.search(q, 5)
        times = []
        for q in qs:
            started = time.perf_counter()
            searcher.search(q, 5)
            times.append((time.perf_counter() - started) * 1000)
        lines.append(f"| {n:,} | fused search, {kind} | | | {_rss_mb():,.0f} (all in one process) | "
                     f"{statistics.median(times):.1f} | {percentile(times, 95):.1f} | |")  # fmt: skip
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--ann", default="flat,hnsw,ivfpq", help="kinds, flat first (recall is measured against it)")
    ap.add_argument("--keyword", action="store_true", help="also build and serve bm25s at each size")
    ap.add_argument("--search", action="store_true", help="also time the whole fused search at each size")
    ap.add_argument("--work", type=Path, help="folder for the built indexes (default: a temporary one)")
    ap.add_argument("--serve-dense", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--serve-keyword", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_dense:
        serve_dense(Path(args.serve_dense[0]), args.serve_dense[1])
        return
    if args.serve_keyword:
        serve_keyword(Path(args.serve_keyword))
        return
    texts, base = base_views()
    print(f"{len(texts):,} real texts (CMRC 2018 + DRCD passages and sentences), {QUERIES} queries\n")
    lines = ["| passages | index | build s | disk MB | serving RSS MB | query p50 ms | query p95 ms | recall@10 vs flat |",
             "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        for n in args.sizes:
            lines += run_size(n, args.ann.split(","), texts, base, Path(tmp), args.keyword, args.search)
            print("\n".join(lines), flush=True)
            print(flush=True)


if __name__ == "__main__":
    main()
