"""Quote-verification latency: on the seeds, and on a corpus of 10,000+ paragraphs.

    python bench/verify_latency.py [--benchmarks ../shared/benchmarks] [--skip-large]

The large corpus is the seeds plus the CMRC 2018 and DRCD passages, read in place from the shared
benchmark folder (never copied into the repository). Each passage becomes an article whose file is
the .jsonl path; its text is cut at sentence ends into paragraphs of at most 120 characters (so the
~3,100 passages give 10,000+ paragraphs), and a paragraph's pieces are offsets into the passage's
"text" field. Timings are per `check` call; the first call (which loads jieba's tagger for name
flags) is timed separately. Targets: p50 <= 50 ms on the seeds, <= 200 ms on the large corpus.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quote_cases import generate_cases, load_seed_articles  # noqa: E402

from qa.errors import InputTooLong  # noqa: E402
from qa.ingest.passages import chunk_spans  # noqa: E402
from qa.quotes.checker import VERDICTS, QuoteChecker  # noqa: E402
from qa.records import Article, Paragraph  # noqa: E402

DEFAULT_BENCHMARKS = Path(__file__).resolve().parent.parent.parent / "shared" / "benchmarks"
_FILES = ("passages", "trial.passages", "test.passages")


def benchmark_articles(root: Path, paragraph_chars: int = 120) -> list[Article]:
    """Articles for the CMRC 2018 and DRCD passages: one per passage, split into paragraphs."""
    articles = []
    for dataset in ("cmrc2018", "drcd"):
        for name in _FILES:
            path = root / dataset / f"{name}.jsonl"
            if not path.exists():
                continue
            with path.open(encoding="utf-8") as f:
                for line in f:
                    rec = json.loads(line)
                    text = rec["text"]
                    spans = chunk_spans(text, paragraph_chars) if paragraph_chars else [(0, len(text))]
                    paras = tuple(Paragraph(k, "body", text[s:e], ((s, e),)) for k, (s, e) in enumerate(spans, start=1))
                    if paras:
                        articles.append(
                            Article(f"{dataset}:{rec['id']}", str(path), rec["title"], dataset, None, paras)
                        )
    return articles


def time_cases(checker: QuoteChecker, cases: list[dict]) -> dict:
    first = time.perf_counter()
    checker.check(next(c["quote"] for c in cases if c["expected"] == "altered"))
    cold = time.perf_counter() - first
    times, correct = [], 0
    by_verdict: dict[str, list[float]] = {}
    for case in cases:
        t0 = time.perf_counter()
        result = checker.check(case["quote"])
        times.append(time.perf_counter() - t0)
        by_verdict.setdefault(case["expected"], []).append(times[-1])
        correct += result.verdict == case["expected"]
    times.sort()
    return {
        "by_verdict": {
            v: (statistics.median(t) * 1000, sorted(t)[int(0.95 * (len(t) - 1))] * 1000) for v, t in by_verdict.items()
        },
        "n": len(times),
        "cold_ms": cold * 1000,
        "p50_ms": statistics.median(times) * 1000,
        "p95_ms": times[min(len(times) - 1, int(0.95 * len(times)))] * 1000,
        "max_ms": times[-1] * 1000,
        "accuracy": correct / len(times),
    }


def row(label: str, paragraphs: int, chars: int, build: float, r: dict) -> str:
    return (
        f"| {label} | {paragraphs:,} | {chars:,} | {build * 1000:.0f} | {r['n']} | {r['p50_ms']:.1f} | "
        f"{r['p95_ms']:.1f} | {r['max_ms']:.1f} | {r['cold_ms']:.0f} | {r['accuracy']:.4f} |"
    )


def measure(label: str, articles: list[Article], cases: list[dict]) -> tuple[str, dict]:
    t0 = time.perf_counter()
    checker = QuoteChecker(articles)
    build = time.perf_counter() - t0
    paragraphs = sum(len(a.paragraphs) for a in articles)
    chars = sum(len(p.text) for a in articles for p in a.paragraphs)
    r = time_cases(checker, cases)
    return row(label, paragraphs, chars, build, r), r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--benchmarks", type=Path, default=DEFAULT_BENCHMARKS)
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--seed", type=int, default=20200605)
    ap.add_argument(
        "--paragraph-chars",
        type=int,
        default=120,
        help="cut each benchmark passage into paragraphs of at most this many characters; 0 = one paragraph per passage",
    )
    args = ap.parse_args(argv)

    seeds = load_seed_articles()
    seed_cases = generate_cases(seeds, args.seed)
    print(
        "| corpus | paragraphs | characters | build ms | cases | p50 ms | p95 ms | max ms | first call ms | accuracy |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    line, small = measure("seeds", seeds, seed_cases)
    print(line, flush=True)
    results = [("seeds", small)]
    ok = small["p50_ms"] <= 50
    if not args.skip_large:
        extra = benchmark_articles(args.benchmarks, args.paragraph_chars)
        if not extra:
            print(f"no passages under {args.benchmarks}; pass --benchmarks", file=sys.stderr)
            return 1
        large = seeds + extra
        # Quotes from the seeds, then quotes drawn from the benchmark passages themselves.
        bench_cases = generate_cases(extra, args.seed, scale=0.5)
        line, big = measure("seeds + CMRC + DRCD, seed quotes", large, seed_cases)
        print(line, flush=True)
        line, big2 = measure("seeds + CMRC + DRCD, passage quotes", large, bench_cases)
        print(line, flush=True)
        ok = ok and big["p50_ms"] <= 200 and big2["p50_ms"] <= 200
        results += [("large, seed quotes", big), ("large, passage quotes", big2)]
    print("\np50 / p95 ms by expected verdict:\n")
    print("| corpus | " + " | ".join(VERDICTS) + " |")
    print("|---|" + "---|" * len(VERDICTS))
    for label, r in results:
        cells = [
            f"{r['by_verdict'][v][0]:.1f} / {r['by_verdict'][v][1]:.1f}" if v in r["by_verdict"] else "-"
            for v in VERDICTS
        ]
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("\nQuotes at the length limit, and over it (seeds):\n")
    print("| quote | characters | verdict | ms |")
    print("|---|---|---|---|")
    checker = QuoteChecker(seeds)
    text = "".join(p.text for a in seeds for p in a.paragraphs)
    for label, quote in (
        ("corpus text across paragraphs", text[:5000]),
        ("one word repeated", ("长三角" * 2000)[:5000]),
        ("one character repeated", "的" * 5000),
        ("over the limit", "长三角一体化发展" * 2500),
    ):
        t0 = time.perf_counter()
        try:
            verdict = checker.check(quote).verdict
        except InputTooLong:
            verdict = "refused (InputTooLong)"
        print(f"| {label} | {len(quote):,} | {verdict} | {(time.perf_counter() - t0) * 1000:.1f} |")
    print("\nPASS" if ok else "\nFAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
