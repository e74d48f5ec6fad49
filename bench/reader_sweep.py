"""Choose the answer reader's settings: how much its answer probability weighs in the ranking, how many
candidates it reads, and below which probability no passage answers.

    python bench/reader_sweep.py                          # the tuning sets below
    python bench/reader_sweep.py --corpora seeds,unanswerable

Tuning sets only: CMRC 2018 train's tune slice cut into excerpts (paragraphs the reader never trained on;
`noisy-cmrc2018-train-tune`), the seeds' questions and their 30 unanswerable questions. The held-out sets
(bench/answers.py --heldout, the seeds' held-out files) are not read here.

Per question the candidates are ranked as with the reader off (fused + second stage), the first
`--depth` are read once, and every weight and depth is then scored without searching again:
R@1 = the first card after `score + weight × probability` is an answering passage (also printed: the
other way of fusing, the reader's own first where it is sure). Candidates are read as qa reads them:
under their headings, and only for questions with Chinese in them. For the no-answer
threshold it prints, per threshold, the share of questions whose best probability among the candidates
read is below it, with the rule as it was (no_answer without the reader) counted in.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from answers import noisy_index, seeds_rows, unanswerable_rows  # noqa: E402
from retrieval import CachedQueries  # noqa: E402

from qa.config import Settings  # noqa: E402
from qa.index.encoder import Encoder  # noqa: E402
from qa.search.answer import answers_nothing  # noqa: E402
from qa.search.crosslang import has_chinese  # noqa: E402
from qa.search.hybrid import Searcher  # noqa: E402
from qa.service import QAService  # noqa: E402

WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 2.0, 5.0)
DEPTHS = (3, 5, 8)
THRESHOLDS = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2)


def collect(searcher: Searcher, rows: list[dict], depth: int) -> list[dict]:
    out = []
    for row in rows:
        ranked = searcher.rank(row["question"], "fused", k=depth)
        hits = searcher.search(row["question"], 5)
        # As qa reads: each candidate under its heading, and only questions with Chinese in them.
        readings = searcher.readings(row["question"], ranked) if ranked and has_chinese(row["question"]) else []
        out.append(
            {
                "scores": np.asarray([r.score for r in ranked]),
                "probs": np.asarray([rd.answers for rd in readings] or [np.nan] * len(ranked)),
                "pos": np.asarray([r.pid in row.get("pos", ()) for r in ranked]),
                "old_none": answers_nothing(hits, row["question"]),
            }
        )
    return out


def r_at_1(items: list[dict], weight: float, depth: int, sure: float | None = None) -> float:
    """R@1 with the first `depth` by score + weight × probability; with `sure`, the other way of fusing:
    the reader's own first where it is that sure and 0.1 surer than of the first so ranked."""
    hits = 0
    for it in items:
        if not len(it["scores"]):
            continue
        d = min(depth, len(it["scores"]))
        probs = np.nan_to_num(it["probs"][:d])  # a question not read keeps its order
        first = int(np.argmax(it["scores"][:d] + weight * probs))
        surest = int(np.argmax(probs))
        if sure is not None and probs[surest] >= sure and probs[surest] - probs[first] >= 0.1:
            first = surest
        hits += bool(it["pos"][first])
    return hits / max(len(items), 1)


def none_rate(items: list[dict], threshold: float, depth: int) -> float:
    said = 0
    for it in items:
        probs = it["probs"][:depth]
        read = probs[~np.isnan(probs)]  # a question not read (no Chinese in it) is not judged by the reader
        said += it["old_none"] or bool(read.size and read.max() < threshold)
    return said / max(len(items), 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpora", default="noisy-cmrc2018-train-tune,seeds,unanswerable")
    ap.add_argument("--limit", type=int)
    args = ap.parse_args()
    settings = Settings.load({"answer_reader": "off"})
    encoder = Encoder(settings)
    sets: dict[str, list[dict]] = {}
    service = None
    for name in args.corpora.split(","):
        if name in ("seeds", "unanswerable"):
            service = service or QAService(settings)
            searcher = service.searcher
            rows = seeds_rows(service, "questions.jsonl") if name == "seeds" else unanswerable_rows()
        else:
            dataset = name.removeprefix("noisy-")
            index, rows = noisy_index(dataset, settings, encoder)
            searcher = Searcher(index, CachedQueries(encoder, [r["question"] for r in rows], name), settings)
        rows = rows[: args.limit] if args.limit else rows
        sets[name] = collect(searcher, rows, max(DEPTHS))
        print(f"  {name}: {len(rows)} questions", file=sys.stderr)
    print("R@1 by reader_weight (rows) and reader_depth (columns):")
    for name, items in sets.items():
        if name == "unanswerable":
            continue
        print(
            f"\n{name}\n| weight | "
            + " | ".join(f"depth {d}" for d in DEPTHS)
            + " |\n"
            + "|---" * (len(DEPTHS) + 1)
            + "|"
        )
        for w in WEIGHTS:
            print(f"| {w} | " + " | ".join(f"{r_at_1(items, w, d):.4f}" for d in DEPTHS) + " |")
        for sure in (0.9, 0.99):
            print(
                f"| 0.1, the reader's first where ≥ {sure} |"
                + " | ".join(f"{r_at_1(items, 0.1, d, sure):.4f}" for d in DEPTHS)
                + " |"
            )
    depth = settings.reader_depth
    print(f"\nNo answer said (share of questions), by reader_no_answer_at, depth {depth}:")
    print("| threshold | " + " | ".join(sets) + " |\n" + "|---" * (len(sets) + 1) + "|")
    for t in THRESHOLDS:
        print(f"| {t} | " + " | ".join(f"{none_rate(items, t, depth):.4f}" for items in sets.values()) + " |")


if __name__ == "__main__":
    main()
