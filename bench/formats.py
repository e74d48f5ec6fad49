"""The formats corpus (../shared/corpora/formats): retrieval per format, and ingest throughput.

    python bench/formats.py                 # build/open the formats index (OCR on), R@1/R@5 per format
    python bench/formats.py --throughput    # read every file without and with OCR: pages/s

Questions: bench/formats_questions.jsonl (written before any measurement; gold spans verbatim from the
documents). A hit is relevant when it is a passage of the question's file that holds at least half of
the gold span where it stands (qa.evaluate.relevant_ids). The index is built with the shipped
settings through the same code as `qa ingest`, in bench/cache/formats-index (unchanged text is
never embedded twice, so a rerun only embeds what changed).
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


def _settings(**over) -> Settings:
    return Settings.load(
        {
            "index_dir": str(ROOT / "bench" / "cache" / "formats-index"),
            "index_name": "formats",
            "corpus": ",".join(map(str, FILES)),
            **over,
        }  # fmt: skip
    )


def retrieval() -> None:
    from qa.service import QAService

    settings = _settings()
    started = time.monotonic()
    service = QAService(settings, progress=True, on_rebuild=lambda m: print(m, file=sys.stderr))
    index = service.index
    print(f"index: {len(index.passages)} passages from {len(index.manifest['sources'])} files "
          f"({time.monotonic() - started:.0f} s to build or open)")  # fmt: skip
    for r in index.manifest.get("file_reports", []):
        print(f"  {Path(r['file']).name}: {r['format']}, pages {r['pages']}, {r['characters']} chars, "
              f"{r['passages']} passages, OCR {r['ocr_pages']}, needs OCR {r['needs_ocr']}, "
              f"error {r['error']}, warnings {len(r['warnings'])}")  # fmt: skip
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    passages, articles = index.passages, index.articles

    def relevant(row):
        mine = {p.id for p in passages if Path(p.citation.file).name == row["file"]}
        return relevant_ids(row["gold"], passages, articles) & mine

    no_gold = [r["question"] for r in rows if not relevant(r)]
    results = evaluate(service.searcher, rows, relevant=relevant)
    by_format: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_format[row["format"]].append(row)
    print(f"\n{len(rows)} questions; gold span not found in any passage of its file: {len(no_gold)} {no_gold}")
    print("\n| format | questions | keyword R@1 | keyword R@5 | dense R@1 | dense R@5 | fused R@1 | fused R@5 |")
    print("|---|---|---|---|---|---|---|---|")
    for fmt, subset in [*sorted(by_format.items()), ("all", rows)]:
        sub = evaluate(service.searcher, subset, relevant=relevant) if fmt != "all" else results
        cells = [f"{sub[m]['R@1']:.2f} | {sub[m]['R@5']:.2f}" for m in ("keyword", "dense", "fused")]
        print(f"| {fmt} | {len(subset)} | " + " | ".join(cells) + " |")
    print("\nfused misses at rank 1:", results["fused"]["misses"])


def throughput() -> None:
    from qa.ingest.sources import read_source

    for label, ocr in (("without OCR", False), ("with OCR", True)):
        if ocr:
            os.environ.pop("QA_DISABLE_OCR", None)
        limits = _settings(ocr=ocr).read_limits
        total_pages = total_seconds = 0.0
        pdf_pages = pdf_seconds = ocr_count = 0
        for f in FILES:
            started = time.monotonic()
            source = read_source(f, limits)
            seconds = time.monotonic() - started
            pages = source.report.pages or 1
            total_pages += pages if source.format in ("pdf", "pptx") else 1
            total_seconds += seconds
            if source.format == "pdf":
                pdf_pages += pages
                pdf_seconds += seconds
                ocr_count += len(source.report.ocr_pages)
            print(f"  {label}: {f.name}: {source.format}, {pages} pages/rows, {seconds:.2f} s, "
                  f"OCR pages {source.report.ocr_pages}")  # fmt: skip
        print(f"{label}: PDF {pdf_pages} pages in {pdf_seconds:.1f} s = {pdf_pages / pdf_seconds:.2f} pages/s "
              f"({ocr_count} OCRed); all 12 files (PDF pages + slides + 1 per other file) {total_pages:.0f} in "
              f"{total_seconds:.1f} s = {total_pages / total_seconds:.2f} pages/s")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--throughput", action="store_true", help="measure reading speed instead of retrieval")
    args = parser.parse_args()
    throughput() if args.throughput else retrieval()
