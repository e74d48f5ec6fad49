"""Choose the answer reader's settings: how much its answer probability weighs in the ranking, how many
candidates it reads, and below which probability no passage answers.

    python bench/reader_sweep.py                          # the tuning sets below
    python bench/reader_sweep.py --corpora noisy-cmrc2018-train-tune,noisy-cmrc2018,noisy-drcd --limit 500

Tuning sets only: CMRC 2018 train's tune slice cut into excerpts (paragraphs the reader never trained on;
`noisy-cmrc2018-train-tune`), the tuning parts of the noisy CMRC 2018 / DRCD dev corpora (`noisy-cmrc2018`,
`noisy-drcd`: their held-out articles are never read as questions here), the news corpus's tuning part
(`news`), XQuAD-zh with its unanswerable tuning questions (`xquad-zh`; bench/own_corpora.py), the seeds'
questions and their 30 unanswerable questions. The held-out sets (bench/answers.py --heldout, the seeds'
held-out files, bench/unanswerable/heldout.jsonl) are not read here.

Each candidate's windows are read once and their outputs kept (`--save`; `--load` scores them again
without reading), so every table is printed for the graph's own answers head and, where a head file is
given (`--head`, default the shipped answers_head.json), for that head too.

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
import pickle
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from answers import noisy_index, seeds_rows, unanswerable_rows  # noqa: E402
from own_corpora import OWN_CORPORA, own_sets  # noqa: E402
from retrieval import CachedQueries  # noqa: E402

from qa.config import Settings  # noqa: E402
from qa.index.encoder import Encoder  # noqa: E402
from qa.search.answer import answers_nothing  # noqa: E402
from qa.search.hybrid import Searcher  # noqa: E402
from qa.search.query import analyse  # noqa: E402
from qa.search.reader import AnswersHead, load_head  # noqa: E402
from qa.service import QAService  # noqa: E402

WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 2.0, 5.0)
DEPTHS = (3, 5, 8)
THRESHOLDS = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5)


def collect(searcher: Searcher, rows: list[dict], depth: int) -> list[dict]:
    """Per question: the first `depth` candidates' scores and whether they answer, the rule of before's
    "no answer", and per candidate its windows' outputs (graph logit, span score, answer features), so
    that any answers head is scored without reading again."""
    reader = searcher.reader()
    out = []
    for row in rows:
        question = analyse(row["question"])  # once, as QAService.ask does
        ranked = searcher.rank(question, "fused", k=depth)
        hits = searcher.search(question, 5)
        windows: list[list] = [[] for _ in ranked]
        # As qa reads: each candidate under its heading, and only questions with Chinese in them.
        if ranked and question.chinese:
            for i, _span, score, logit, features in reader.outputs(*searcher.reading_inputs(question, ranked)):
                windows[i].append((logit, score, features))
        out.append(
            {
                "scores": np.asarray([r.score for r in ranked]),
                "windows": windows if any(windows) else None,
                "pos": np.asarray([r.pid in row.get("pos", ()) for r in ranked]),
                "old_none": answers_nothing(hits, question),
            }
        )
    return out


def with_head(items: list[dict], head: AnswersHead | None) -> list[dict]:
    """`items` with `probs`: per candidate the probability that it answers, by `head` (None: the graph's
    own), the window it is surest of as AnswerReader.read takes it; NaN where the question was not read."""
    out = []
    for it in items:
        probs = np.full(len(it["scores"]), np.nan)
        for i, wins in enumerate(it["windows"] or []):
            if wins:
                probs[i] = max(
                    head.probability(f, logit, score) if head else float(1 / (1 + np.exp(-logit)))
                    for logit, score, f in wins
                )
        out.append({**it, "probs": probs})
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


def tables(sets: dict[str, list[dict]], depth: int, title: str) -> None:
    print(f"\n## {title}\n\nR@1 by reader_weight (rows) and reader_depth (columns):")
    for name, items in sets.items():
        if not any(it["pos"].any() for it in items):  # unanswerable: no R@1
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
            cells = " | ".join(f"{r_at_1(items, 0.1, d, sure):.4f}" for d in DEPTHS)
            print(f"| 0.1, the reader's first where ≥ {sure} | {cells} |")
    for d in sorted({depth, *DEPTHS}):
        print(f"\nNo answer said (share of questions), by reader_no_answer_at, depth {d}:")
        print("| threshold | " + " | ".join(sets) + " |\n" + "|---" * (len(sets) + 1) + "|")
        for t in THRESHOLDS:
            print(f"| {t} | " + " | ".join(f"{none_rate(items, t, d):.4f}" for items in sets.values()) + " |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpora", default="noisy-cmrc2018-train-tune,seeds,unanswerable")
    ap.add_argument("--limit", type=int, help="the first N questions of each set")
    ap.add_argument("--head", type=Path, default=ROOT / "qa" / "data" / "reader" / "answers_head.json")
    ap.add_argument("--save", type=Path, help="keep the readings here (pickle) to score other heads with --load")
    ap.add_argument("--load", type=Path, help="readings kept by --save: score them, read nothing")
    args = ap.parse_args()
    settings = Settings.load({"answer_reader": "off"})
    sets: dict[str, list[dict]] = {}
    if args.load:
        with args.load.open("rb") as f:
            sets = pickle.load(f)
    for label, searcher, rows in [] if args.load else tuning_sets(args.corpora, settings):
        rows = rows[: args.limit] if args.limit else rows
        started = time.monotonic()
        sets[label] = collect(searcher, rows, max(DEPTHS))
        print(f"  {label}: {len(rows)} questions, {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
        if args.save:  # after each set: a long run keeps what it read
            with args.save.open("wb") as f:
                pickle.dump(sets, f)
    depth = settings.reader_depth
    tables({n: with_head(v, None) for n, v in sets.items()}, depth, "the graph's own answers head")
    head = load_head(args.head)
    if head is not None:
        tables({n: with_head(v, head) for n, v in sets.items()}, depth, f"the fitted answers head ({args.head.name})")


def tuning_sets(corpora: str, settings: Settings):
    """(label, searcher, rows) of each tuning set named in `corpora`; held-out parts are never given."""
    encoder = Encoder(settings)
    service = None
    for name in corpora.split(","):
        if name in ("seeds", "unanswerable"):
            service = service or QAService(settings)
            yield (
                name,
                service.searcher,
                seeds_rows(service, "questions.jsonl") if name == "seeds" else unanswerable_rows(),
            )
        elif name in OWN_CORPORA:
            for label, (searcher, rows) in own_sets(name, settings, encoder, heldout=False, heldout_only=False).items():
                yield label, searcher, rows
        else:
            dataset = name.removeprefix("noisy-")
            index, rows = noisy_index(dataset, settings, encoder)
            if dataset != "cmrc2018-train-tune":  # its held-out articles are never tuned on
                rows = [r for r in rows if not r["heldout"]]
            yield name, Searcher(index, CachedQueries(encoder, [r["question"] for r in rows], name), settings), rows


if __name__ == "__main__":
    main()
