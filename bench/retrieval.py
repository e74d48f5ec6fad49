"""Retrieval quality on CMRC 2018 and DRCD (read from ../shared/benchmarks) and on the seed question set.

    python bench/retrieval.py                 # seeds + both public sets, the shipped settings
    python bench/retrieval.py --sweep         # also sweep fusion settings on the public sets
    python bench/retrieval.py --datasets drcd --limit 500
    python bench/retrieval.py --heldout       # also held-out seed questions, DRCD test and CMRC trial

Each public passage becomes one qa Passage (title as heading) and goes through the same keyword
tokeniser, embedding text, FAISS index, fusion and Searcher that `qa ask` uses. Passage and query
embeddings are cached in bench/cache/ (about 4 minutes a split on 2 cores the first time).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.config import Settings  # noqa: E402
from qa.evaluate import evaluate, format_table, load_questions  # noqa: E402
from qa.index.encoder import Encoder  # noqa: E402
from qa.index.retrievers import DenseIndex, KeywordIndex  # noqa: E402
from qa.index.store import Index  # noqa: E402
from qa.index.views import dense_views, keyword_text  # noqa: E402
from qa.records import Citation, Passage  # noqa: E402
from qa.search.hybrid import Searcher  # noqa: E402
from qa.service import QAService  # noqa: E402
from qa.text import to_simplified  # noqa: E402

BENCH = ROOT.parent / "shared" / "benchmarks"
CACHE = ROOT / "bench" / "cache"


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _cached(name: str, texts: list[str], fn) -> np.ndarray:
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = CACHE / f"{name}-{key}.npy"
    if path.exists():
        return np.load(path)
    CACHE.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    vectors = fn(texts)
    np.save(path, vectors)
    print(f"  embedded {len(texts)} texts for {name} in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return vectors


class CachedQueries:
    """Encoder stand-in for the Searcher that serves pre-computed query vectors (same model, same prompt)."""

    def __init__(self, encoder: Encoder, questions: list[str], name: str):
        vecs = _cached(
            f"{name}-queries-{encoder.weights_hash[:12]}", [to_simplified(q) for q in questions], encoder.encode_queries
        )
        self._by_text = {to_simplified(q): v for q, v in zip(questions, vecs)}
        self.encoder = encoder

    def load(self):
        return self.encoder.load()

    def encode_queries(self, texts):
        return np.stack(
            [self._by_text[t] if t in self._by_text else self.encoder.encode_queries([t])[0] for t in texts]
        )


# File prefix of the held-out splits, never used to choose settings: DRCD test and CMRC 2018 trial.
HELDOUT_PREFIX = {"drcd": "test.", "cmrc2018": "trial."}


def public_index(dataset: str, settings: Settings, encoder: Encoder, split: str = "dev") -> tuple[Index, list[dict]]:
    folder = BENCH / dataset
    prefix = "" if split == "dev" else HELDOUT_PREFIX[dataset]
    rows = _read_jsonl(folder / f"{prefix}passages.jsonl")
    file = str(folder / f"{prefix}passages.jsonl")
    passages = [
        Passage(
            i,
            Citation(r["id"], file, r["title"], None, None, 1, 0, len(r["text"])),
            r["text"],
            r["title"],
            ((0, len(r["text"])),),
        )
        for i, r in enumerate(rows)
    ]
    views = dense_views(passages, settings.sentence_vectors)
    owners = [v.owner for v in views]
    name = f"{dataset}-{split}-views-{encoder.weights_hash[:12]}"
    vectors = _cached(name, [v.text for v in views], lambda t: encoder.encode_passages(t, show_progress=True))
    keyword = KeywordIndex.build(
        [keyword_text(p) for p in passages], settings.keyword_tokens, settings.bm25_k1, settings.bm25_b
    )
    index = Index(
        folder,
        {"name": dataset},
        [],
        passages,
        vectors,
        DenseIndex.build(vectors, np.asarray(owners), settings.ann),
        keyword,
    )
    questions = [q for q in _read_jsonl(folder / f"{prefix}questions.jsonl") if q["question"].strip()]
    return index, questions


def run_public(
    dataset: str, settings: Settings, encoder: Encoder, limit: int | None, sweep: bool, split: str = "dev"
) -> dict:
    index, questions = public_index(dataset, settings, encoder, split)
    if limit:
        questions = questions[:limit]
    pid_of = {p.doc_id: p.id for p in index.passages}
    queries = CachedQueries(encoder, [q["question"] for q in questions], f"{dataset}-{split}")
    rows = [{"question": q["question"], "gold": "", "pos": {pid_of[x] for x in q["positive_ids"]}} for q in questions]

    def score(s: Settings, modes=("keyword", "dense", "fused")) -> dict:
        return evaluate(Searcher(index, queries, s), rows, modes, relevant=lambda r: r["pos"])

    results = score(settings)
    label = "dev" if split == "dev" else {"drcd": "test (held out)", "cmrc2018": "trial (held out)"}[dataset]
    print(format_table(_strip(results), f"{dataset} {label} ({len(rows)} questions, {len(index.passages)} passages)"))
    if sweep:
        print(f"\nfusion sweep on {dataset} (fused R@1 / MRR@10):")
        grid = [("rrf", {"rrf_k": k}) for k in (1, 3, 5, 10, 20, 60)]
        grid += [("convex", {"keyword_confident_at": c}) for c in (0.0, 0.4, 0.6, 0.8)]
        for fusion, params in grid:
            for w in (0.3, 0.35, 0.4, 0.5):
                m = score(settings.replace(fusion=fusion, dense_weight=w, **params), ("fused",))["fused"]
                label = " ".join(f"{k}={v}" for k, v in params.items())
                print(f"  {fusion:6} {label:26} w_dense={w:.2f}: R@1 {m['R@1']:.4f}  MRR@10 {m['MRR@10']:.4f}")
    return results


def _strip(results: dict) -> dict:
    return {m: {k: v for k, v in r.items() if k != "misses"} for m, r in results.items()}


def run_seeds(settings: Settings, heldout: bool = False) -> dict:
    service = QAService(settings)
    questions = load_questions(ROOT / "seeds" / "questions.jsonl")
    results = evaluate(service.searcher, questions)
    print(format_table(_strip(results), f"seeds ({len(questions)} questions, {len(service.index.passages)} passages)"))
    print("\nR@1 / R@5 by kind of question (keyword, dense, fused):\n")
    _by_kind(service, questions)
    for q in results["fused"]["misses"]:
        print(f"  fused miss@1: {q}")
    if heldout:
        # Written by someone who had not seen the system's answers, after the settings were chosen.
        later = load_questions(ROOT / "seeds" / "heldout_questions.jsonl")
        out = evaluate(service.searcher, later)
        print()
        print(format_table(_strip(out), f"seeds, held-out questions ({len(later)} questions)"))
        print()
        _by_kind(service, later)
        results = {"tuning": results, "heldout": out}
    return results


def _by_kind(service: QAService, questions: list[dict]) -> None:
    print("| kind | n | keyword | dense | fused |")
    print("|---|---|---|---|---|")
    for kind in dict.fromkeys(q.get("kind", "") for q in questions):
        subset = [q for q in questions if q.get("kind", "") == kind]
        r = evaluate(service.searcher, subset)
        cells = " | ".join(f"{r[m]['R@1']:.2f} / {r[m]['R@5']:.2f}" for m in ("keyword", "dense", "fused"))
        print(f"| {kind} | {len(subset)} | {cells} |")
    print()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default="seeds,cmrc2018,drcd")
    ap.add_argument("--limit", type=int, help="first N questions of each public set")
    ap.add_argument("--sweep", action="store_true", help="sweep fusion settings on the public sets")
    ap.add_argument("--json", type=Path, help="also write all results to this file")
    ap.add_argument(
        "--heldout",
        action="store_true",
        help="also run the held-out sets (seeds/heldout_questions.jsonl, DRCD test, CMRC trial), never used for tuning",
    )
    args = ap.parse_args()
    settings = Settings.load()
    encoder = Encoder(settings)
    print(
        f"settings: fusion={settings.fusion} dense_weight={settings.dense_weight} "
        f"keyword_confident_at={settings.keyword_confident_at} rrf_k={settings.rrf_k} "
        f"candidates={settings.candidates} keyword={settings.keyword_tokens} k1={settings.bm25_k1} "
        f"b={settings.bm25_b} sentence_vectors={settings.sentence_vectors} "
        f"max_passage_chars={settings.max_passage_chars}\n"
    )
    out = {}
    for name in args.datasets.split(","):
        started = time.monotonic()
        if name == "seeds":
            out[name] = run_seeds(settings, args.heldout)
        elif (BENCH / name).exists():
            out[name] = run_public(name, settings, encoder, args.limit, args.sweep)
            if args.heldout:
                out[name + "-heldout"] = run_public(name, settings, encoder, args.limit, False, "heldout")
        else:
            print(f"{BENCH / name} is not there; skipping {name}.")
            continue
        print(f"  ({time.monotonic() - started:.0f} s)\n")
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
