"""Reading comprehension with the shipped answer reader: the gold paragraph is given, the reader marks the
answer. Prints CMRC 2018's official EM / F1 (bench/cmrc_metric.py) per set.

    python bench/reading.py                      # CMRC 2018 dev and DRCD dev, the shipped int8 reader
    python bench/reading.py --graph FILE.onnx    # another export of the reader (e.g. fp32, other layers)
    python bench/reading.py --limit 300          # the first 300 questions of each set
    python bench/reading.py --sets "CMRC 2018 dev" --batch 1     # one set, each window in a run of its own

Neither set was trained on (the reader trains on CMRC 2018 train: train/). DRCD is traditional Chinese;
the reader folds it to simplified character for character, so the span is cut from the original text.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cmrc_metric import score  # noqa: E402

BENCH = Path(__file__).resolve().parent.parent.parent / "shared" / "benchmarks"
SETS = {"CMRC 2018 dev": BENCH / "cmrc2018/cmrc2018_dev.json", "DRCD dev": BENCH / "drcd/DRCD_dev.json"}


def questions(path: Path):
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                yield qa["question"], para["context"], [a["text"] for a in qa["answers"]]


def open_reader(graph: Path | None, max_tokens: int):
    from tokenizers import Tokenizer

    from qa.config import Settings
    from qa.index.bundled_model import materialise
    from qa.index.onnx_model import embeddings_path, export
    from qa.search.reader import AnswerReader

    settings = Settings()
    folder = materialise(settings.path(settings.model_cache))
    export(folder, "onnx")
    table = np.load(embeddings_path(folder), mmap_mode="r")
    return AnswerReader(Tokenizer.from_file(str(folder / "tokenizer.json")), table, 2, max_tokens, graph)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--graph", type=Path, help="an ONNX export of the reader (default: the shipped one)")
    p.add_argument("--max-tokens", type=int, default=384, help="window size, question included")
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--batch", type=int, default=0, help="windows a run (1: each alone; default: the reader's)")
    p.add_argument("--sets", default=",".join(SETS), help="comma-separated, of: " + ", ".join(SETS))
    args = p.parse_args(argv)
    reader = open_reader(args.graph, args.max_tokens)
    reader.max_batch = args.batch or reader.max_batch
    print("| set | questions | EM | F1 | seconds |\n|---|---|---|---|---|")
    for name, path in SETS.items():
        if name not in args.sets.split(","):
            continue
        if not path.is_file():
            print(f"| {name} | missing: {path} | | | |")
            continue
        began, pairs = time.time(), []
        for i, (question, context, answers) in enumerate(questions(path)):
            if args.limit and i >= args.limit:
                break
            reading = reader.read(question, [context])[0]
            predicted = context[reading.span[0] : reading.span[1]] if reading.span else ""
            pairs.append((predicted, answers))
        figures = score(pairs)
        print(
            f"| {name} | {figures['n']} | {figures['em']} | {figures['f1']} | {time.time() - began:.0f} |", flush=True
        )


if __name__ == "__main__":
    main()
