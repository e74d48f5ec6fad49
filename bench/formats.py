"""The formats corpus (../shared/corpora/formats): retrieval per format, and ingest throughput.

    python bench/formats.py                 # build/open the formats index (OCR on), R@1/R@5 per format
    python bench/formats.py --set sentence_vectors=false   # a cheaper index (passage vectors only)
    python bench/formats.py --throughput    # read every file without and with OCR: pages/s; then
                                            # keyword-only R@k on the OCR read (no embedding)

Questions: bench/formats_questions.jsonl (written before any measurement; gold spans verbatim from the
documents). A hit is relevant when it is a passage of the question's file that holds at least half of
the gold span where it stands (qa.evaluate.relevant_ids). The index is built through the same code as
`qa ingest`, in bench/cache/formats-index (unchanged text is never embedded twice, so a rerun only
embeds what changed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.config import Settings  # noqa: E402
from qa.evaluate import evaluate, relevant_ids  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "formats"
QUESTIONS = ROOT / "bench" / "formats_questions.jsonl"
FILES = sorted(p for p in CORPUS.iterdir() if p.name not in ("README.md", "expected.jsonl"))
OVERRIDES: dict = {}


def _settings(**over) -> Settings:
    base = {
        "index_dir": str(ROOT / "bench" / "cache" / "formats-index"),
        "index_name": "formats",
        "corpus": ",".join(map(str, FILES)),
    }
    return Settings.load({**base, **OVERRIDES, **over})


def _questions() -> list[dict]:
    return [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]


def _relevance(passages, articles):
    def relevant(row):
        mine = {p.id for p in passages if Path(p.citation.file).name == row["file"]}
        return relevant_ids(row["gold"], passages, articles) & mine

    return relevant


def _table(searcher, rows: list[dict], relevant, modes) -> None:
    by_format: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_format[row["format"]].append(row)
    print("\n| format | questions | " + " | ".join(f"{m} R@1 | {m} R@5" for m in modes) + " |")
    print("|---|---|" + "---|---|" * len(modes))
    for fmt, subset in [*sorted(by_format.items()), ("all", rows)]:
        sub = evaluate(searcher, subset, modes=modes, relevant=relevant)
        cells = [f"{sub[m]['R@1']:.2f} | {sub[m]['R@5']:.2f}" for m in modes]
        print(f"| {fmt} | {len(subset)} | " + " | ".join(cells) + " |", flush=True)
    result = evaluate(searcher, rows, modes=modes, relevant=relevant)
    print(f"\n{modes[-1]} misses at rank 1:", result[modes[-1]]["misses"])


def retrieval() -> None:
    from qa.service import QAService

    settings = _settings()
    started = time.monotonic()
    service = QAService(settings, progress=True, on_rebuild=lambda m: print(m, file=sys.stderr))
    index = service.index
    print(
        f"index: {len(index.passages)} passages from {len(index.manifest['sources'])} files "
        f"({time.monotonic() - started:.0f} s to build or open; sentence_vectors={settings.sentence_vectors})"
    )
    for r in index.manifest.get("file_reports", []):
        print(
            f"  {Path(r['file']).name}: {r['format']}, pages {r['pages']}, {r['characters']} chars, "
            f"{r['passages']} passages (median {r.get('median_chars', '?')} chars), OCR {r['ocr_pages']}, needs OCR {r['needs_ocr']}, error {r['error']}"
        )
    rows = _questions()
    relevant = _relevance(index.passages, index.articles)
    print(
        f"\n{len(rows)} questions; gold not in any passage of its file: {[r['question'] for r in rows if not relevant(r)]}"
    )
    _table(service.searcher, rows, relevant, ("keyword", "dense", "fused"))


def keyword_only(sources) -> None:
    """R@k of the keyword retriever alone (no embedding): the same corpus, keyword texts, BM25 index and
    Searcher code as `qa ask`, with the dense side left out."""
    import numpy as np

    from qa.index.build import keyword_text
    from qa.index.retrievers import KeywordIndex
    from qa.index.store import Index
    from qa.ingest.passages import build_corpus
    from qa.search.hybrid import Searcher

    settings = _settings()
    corpus = build_corpus(sources, settings.max_passage_chars, settings.min_passage_chars)
    keyword = KeywordIndex.build(
        [keyword_text(p) for p in corpus.passages], settings.keyword_tokens, settings.bm25_k1, settings.bm25_b
    )
    passages, articles = list(corpus.passages), list(corpus.articles)
    index = Index(Path("."), {}, articles, passages, np.zeros((0, 384), np.float32), None, keyword)
    rows = _questions()
    relevant = _relevance(passages, articles)
    print(
        f"\n{len(passages)} passages; gold not in any passage of its file: {[r['question'] for r in rows if not relevant(r)]}"
    )
    _table(Searcher(index, None, settings), rows, relevant, ("keyword",))


def throughput() -> None:
    from qa.ingest.sources import read_source

    sources = []
    for label, ocr in (("without OCR", False), ("with OCR", True)):
        limits = _settings(ocr=ocr).read_limits
        total_pages = total_seconds = pdf_seconds = 0.0
        pdf_pages = ocr_count = 0
        for f in FILES:
            started = time.monotonic()
            source = read_source(f, limits)
            seconds = time.monotonic() - started
            if ocr:
                sources.append(source)
            pages = source.report.pages or 1
            total_pages += pages if source.format in ("pdf", "pptx") else 1
            total_seconds += seconds
            if source.format == "pdf":
                pdf_pages += pages
                pdf_seconds += seconds
                ocr_count += len(source.report.ocr_pages)
            print(
                f"  {label}: {f.name}: {source.format}, {pages} pages/rows, {seconds:.2f} s, OCR pages {source.report.ocr_pages}"
            )
        print(
            f"{label}: PDF {pdf_pages} pages in {pdf_seconds:.1f} s = {pdf_pages / pdf_seconds:.2f} pages/s "
            f"({ocr_count} OCRed); all 12 files (PDF pages + slides + 1 per other file) {total_pages:.0f} in "
            f"{total_seconds:.1f} s = {total_pages / total_seconds:.2f} pages/s",
            flush=True,
        )
    keyword_only(sources)


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--throughput", action="store_true", help="reading speed, then keyword-only R@k")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a setting for the index")
    args = parser.parse_args()
    OVERRIDES.update(dict(item.split("=", 1) for item in args.set))
    throughput() if args.throughput else retrieval()
