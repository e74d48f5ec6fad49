"""How long the passages are, per file: are they units a person can read on their own?

    python bench/passage_sizes.py                       # the formats corpus (all files + README.md), OCR on
    python bench/passage_sizes.py --seeds               # the seed corpus
    python bench/passage_sizes.py --set max_passage_chars=400 --set min_passage_chars=60
    python bench/passage_sizes.py --show FILE_SUBSTRING # print that file's passages, to read the cards
    python bench/passage_sizes.py --keyword             # also keyword-only R@1/R@5 on the 53 formats questions

Prints one row per file: passages, median length in characters, share under 20 and under 40
characters, and the longest passage; for the formats corpus, also how many of its expected.jsonl
spans lie inside one passage on their page. The formats corpus is read once (OCR included) and kept in
bench/cache/formats-sources.pkl, keyed by each file's bytes and the readers' code, so a rerun only cuts passages again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.config import Settings  # noqa: E402
from qa.ingest.passages import build_corpus  # noqa: E402
from qa.ingest.sources import find_sources, read_source  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "formats"
CACHE = ROOT / "bench" / "cache" / "formats-sources.pkl"


def _sources(paths: list[Path], settings: Settings, cache: Path | None) -> list:
    readers = sorted((ROOT / "qa" / "ingest" / "readers").glob("*.py"))
    data = b"".join(p.read_bytes() for p in [*paths, *readers]) + repr(settings.read_limits).encode()
    key = hashlib.sha256(data).hexdigest()
    if cache is not None and cache.exists():
        stored_key, sources = pickle.loads(cache.read_bytes())
        if stored_key == key:
            return sources
    sources = [read_source(p, settings.read_limits) for p in paths]
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(pickle.dumps((key, sources)))
    return sources


def table(passages, files: list[str]) -> None:
    print("| file | passages | median chars | % < 20 | % < 40 | longest |")
    print("|---|---|---|---|---|---|")
    rows = [(Path(f).name, [len(p.text) for p in passages if p.citation.file == f]) for f in files]
    rows.append(("all", [len(p.text) for p in passages]))
    for name, lengths in rows:
        if not lengths:
            print(f"| {name} | 0 | – | – | – | – |")
            continue
        under20, under40 = (100 * sum(x < n for x in lengths) / len(lengths) for n in (20, 40))
        print(
            f"| {name} | {len(lengths)} | {statistics.median(lengths):.0f} | {under20:.1f} | {under40:.1f} "
            f"| {max(lengths)} |"
        )


def expected_on_page(passages) -> tuple[int, list[str]]:
    """How many expected.jsonl spans lie inside one passage of their file on their page (whitespace
    deleted on both sides, as the corpus README says), and the ones that do not."""
    squeeze = lambda t: re.sub(r"\s+", "", t)  # noqa: E731
    rows = [json.loads(line) for line in (CORPUS / "expected.jsonl").read_text(encoding="utf-8").splitlines() if line]
    missed = []
    for row in rows:
        page = row["page"] or row.get("slide")
        holders = [
            p for p in passages if p.citation.file.endswith(row["file"]) and squeeze(row["gold"]) in squeeze(p.text)
        ]
        if not any(
            page is None or p.citation.page <= page <= (p.citation.page_end or p.citation.page) for p in holders
        ):
            missed.append(f"{row['file']}: {row['gold']}")
    return len(rows) - len(missed), missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", action="store_true", help="the seed corpus instead of the formats corpus")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a setting")
    parser.add_argument("--show", metavar="FILE", help="print the passages of files whose name holds FILE")
    parser.add_argument("--keyword", action="store_true", help="keyword-only R@k on bench/formats_questions.jsonl")
    args = parser.parse_args()
    settings = Settings.load(dict(item.split("=", 1) for item in args.set))
    folder = ROOT / "seeds" if args.seeds else CORPUS
    paths = [p for p in find_sources([folder]) if p.suffix != ".jsonl"]
    sources = _sources(paths, settings, None if args.seeds else CACHE)
    corpus = build_corpus(sources, settings.max_passage_chars, settings.min_passage_chars)
    print(
        f"{len(corpus.passages)} passages from {len(sources)} files "
        f"(max_passage_chars={settings.max_passage_chars}, min_passage_chars={settings.min_passage_chars})\n"
    )
    table(corpus.passages, [s.file for s in sources])
    if not args.seeds:
        found, missed = expected_on_page(corpus.passages)
        print(
            f"\nexpected.jsonl spans inside one passage on their page: {found} of {found + len(missed)} {missed or ''}"
        )
    if args.keyword and not args.seeds:
        import formats  # bench/formats.py: the same corpus, keyword index and Searcher as `qa ask`

        formats.OVERRIDES.update(dict(item.split("=", 1) for item in args.set))
        formats.keyword_only([s for s in sources if s.path.name != "README.md"])
    if args.show:
        for p in corpus.passages:
            if args.show in p.citation.file:
                where = f"p{p.citation.page}" if p.citation.page else f"¶{p.citation.paragraph}"
                print(f"\n--- {p.id} {where} ({len(p.text)} chars)\n{p.text}")


if __name__ == "__main__":
    main()
