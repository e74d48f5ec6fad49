"""Ingest time as the input grows: layout, passages and duplicate grouping on generated news-like text.

    python bench/ingest_scale.py                  # 1, 2 and 4 MB
    python bench/ingest_scale.py --mb 2 8 32

The text repeats real sentences (CMRC 2018 dev contexts from ../shared/benchmarks, else the seeds) with
one character changed here and there, so duplicate grouping has real work, plus one line of 200,000
characters with no punctuation. Prints seconds, passages and grouped passages per size: a linear step
keeps seconds per MB flat. No embedding (that is the model's cost, not ingest's).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.ingest.passages import build_corpus  # noqa: E402
from qa.ingest.sources import read_source  # noqa: E402

CMRC = ROOT.parent / "shared" / "benchmarks" / "cmrc2018" / "passages.jsonl"


def _sentences() -> list[str]:
    if CMRC.exists():
        texts = [json.loads(line)["text"] for line in CMRC.read_text(encoding="utf-8").splitlines()]
    else:
        texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
    return [s + "。" for t in texts for s in t.split("。") if len(s) > 10]


def make_text(mb: float, rng: random.Random, sentences: list[str]) -> str:
    parts: list[str] = []
    size = 0
    while size < mb * 1_000_000 / 3:  # about 3 bytes a character in UTF-8
        para = "".join(rng.choice(sentences) for _ in range(rng.randint(2, 6)))
        if rng.random() < 0.3:
            i = rng.randrange(len(para))
            para = para[:i] + "新" + para[i + 1 :]
        parts.append(para)
        size += len(para) + 2
    parts.append(
        "".join(rng.choice("的一是在不了有和人这中大为上个国我以要他时来用们生到作地") for _ in range(200_000))
    )
    return "标题\n\n" + "\n\n".join(parts) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, nargs="+", default=[1, 2, 4])
    args = ap.parse_args()
    rng = random.Random(5)
    sentences = _sentences()
    print("| MB | characters | passages | grouped | seconds | seconds per MB |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for mb in args.mb:
            path = Path(tmp) / f"big-{mb}.txt"
            path.write_text(make_text(mb, rng, sentences), encoding="utf-8")
            source = read_source(path)
            started = time.perf_counter()
            corpus = build_corpus([source], 300)
            seconds = time.perf_counter() - started
            real_mb = path.stat().st_size / 1_000_000
            grouped = sum(p.duplicate_of is not None for p in corpus.passages)
            print(
                f"| {real_mb:.1f} | {len(source.text):,} | {len(corpus.passages):,} | {grouped:,} | "
                f"{seconds:.1f} | {seconds / real_mb:.1f} |"
            )


if __name__ == "__main__":
    main()
