"""Does the reader read a window the same alone and in a padded batch, and what does batching save?

    python bench/reader_batch.py                          # the shipped graph
    python bench/reader_batch.py --graph A.onnx --graph B.onnx --repeat 3 --questions 20

The inputs are what `qa ask` gives the reader on the 62 seed questions at reader_depth 8 (the seeds'
passages under their headings). Exactness: the first `--windows` windows read one per run, then shuffled
into padded batches of 5–8 mixed lengths; the largest change of the answers probability and how many best
spans moved. Speed: per question, the first 3 / 5 / 8 candidates read one window per run and all in one
batch, the graphs and the two ways interleaved, `--repeat` times; the median milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def seed_reads() -> list[tuple[str, list[str], list[str]]]:
    """(question, texts, headings) the reader is given for each seed question at depth 8."""
    os.environ["QA_READER_DEPTH"] = "8"
    from qa.service import QAService

    service = QAService()
    reader = service.searcher.reader()
    calls, real = [], reader.read
    reader.read = lambda q, texts, headings=None: calls.append((q, texts, headings)) or real(q, texts, headings)
    for line in (ROOT / "seeds/questions.jsonl").open(encoding="utf-8"):
        service.ask(json.loads(line)["question"])
    del os.environ["QA_READER_DEPTH"]
    return calls


def _readings(reader, windows, outputs):
    """(answers probability, best span) per window from its logits."""
    from qa.search.reader import _best_span

    got = []
    for (_, seq, first, _), (start, end, answers) in zip(windows, outputs):
        n = len(seq) - first - 1
        span, _ = _best_span(start[first : first + n], end[first : first + n])
        got.append((1 / (1 + np.exp(-answers)), span))
    return got


def exactness(reader, windows) -> dict:
    alone = _readings(reader, windows, [reader.logits([w[1]])[0] for w in windows])
    order = list(range(len(windows)))
    random.Random(7).shuffle(order)
    batched: list = [None] * len(windows)
    at, rng = 0, random.Random(11)
    while at < len(order):
        rows = order[at : at + rng.randint(5, 8)]
        outs = reader.logits([windows[k][1] for k in rows])  # one padded run
        for k, got in zip(rows, _readings(reader, [windows[k] for k in rows], outs)):
            batched[k] = got
        at += len(rows)
    delta = max(abs(a[0] - b[0]) for a, b in zip(alone, batched))
    moved = sum(a[1] != b[1] for a, b in zip(alone, batched))
    return {"windows": len(windows), "max_delta": float(delta), "spans_moved": moved}


def speed(readers: dict, calls, depths, repeat: int) -> dict:
    times = {(name, d, way): [] for name in readers for d in depths for way in ("alone", "batched")}
    for _ in range(repeat):
        for q, texts, heads in calls:
            for d in depths:
                for name, reader in readers.items():
                    seqs = [w[1] for w in reader.windows(q, texts[:d], heads[:d] if heads else None)]
                    for way in ("alone", "batched"):
                        began = time.perf_counter()
                        if way == "alone":
                            for s in seqs:
                                reader.logits([s])
                        else:
                            reader.logits(seqs)
                        times[(name, d, way)].append((time.perf_counter() - began) * 1000)
    return {k: statistics.median(v) for k, v in times.items()}


def main(argv=None) -> None:
    from reading import open_reader

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--graph", type=Path, action="append", help="a reader graph (default: the shipped one)")
    p.add_argument("--windows", type=int, default=100)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--questions", type=int, default=0, help="time only the first N seed questions")
    p.add_argument("--no-speed", action="store_true")
    args = p.parse_args(argv)
    calls = [c for c in seed_reads() if len(c[1]) >= 8]
    graphs = args.graph or [None]
    readers = {str(g or "shipped"): open_reader(g, 256) for g in graphs}
    for reader in readers.values():
        reader.max_batch = 16  # "alone" runs one window a call; "batched" all of a question's in one run
    lengths = [len(t) for _, texts, _ in calls for t in texts]
    print(f"{len(calls)} seed questions read at depth 8; passage chars median {statistics.median(lengths):.0f}")
    print(f"load average {os.getloadavg()}")
    for name, reader in readers.items():
        windows = [w for q, texts, heads in calls for w in reader.windows(q, texts, heads)][: args.windows]
        print(name, exactness(reader, windows), flush=True)
    if not args.no_speed:
        figures = speed(readers, calls[: args.questions or None], (3, 5, 8), args.repeat)
        print("| graph | depth | one run a window (ms) | one batch (ms) |\n|---|---|---|---|")
        for name in readers:
            for d in (3, 5, 8):
                print(f"| {name} | {d} | {figures[(name, d, 'alone')]:.1f} | {figures[(name, d, 'batched')]:.1f} |")
        print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
