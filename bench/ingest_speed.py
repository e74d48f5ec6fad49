"""Ingest speed per encoder backend, against plain sentence-transformers encoding the same passages once.

    python bench/ingest_speed.py                          # 200 CMRC passages, backends torch, onnx, onnx-int8
    python bench/ingest_speed.py --passages 300 --backends onnx
    python bench/ingest_speed.py --one onnx-int8 --fresh    # one backend's row (kept in bench/cache)

The first N CMRC 2018 dev passages (../shared/benchmarks) are written one file each ("title\\n\\ntext").
Each backend runs in its own process: load the encoder, then `build_index` on the folder (everything
`qa ingest` does after start-up: reading, layout, keyword tokens, embedding passage and sentence
vectors, BM25, FAISS, writing), then plain sentence-transformers (`SentenceTransformer(folder)
.encode(passages, prompt_name="passage")`, torch fp32, its default batching) on the same passage texts
once. Prints per backend: seconds per build step, passage and sentence vectors/s and characters/s
(a sample of each, 48 passages and 144 sentences, encoded on its own after the build), peak RSS after the build, the ratio ingest / plain
encoding (both timed in that one process), and the cosine agreement with the torch model on 100
mixed texts (CMRC sentences and passages, seed sentences, English, traditional characters).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.config import Settings  # noqa: E402
from qa.index.build import build_index  # noqa: E402
from qa.index.encoder import Encoder  # noqa: E402
from qa.index.views import dense_views  # noqa: E402

CMRC = ROOT.parent / "shared" / "benchmarks" / "cmrc2018" / "passages.jsonl"
STEPS = ("reading", "layout", "keyword tokens", "embedding", "keyword index", "FAISS", "writing")


def _rows(n: int) -> list[dict]:
    lines = CMRC.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[:n]]


def mixed_texts() -> list[str]:
    """100 texts of every kind the encoder meets: CMRC passages and sentences, seed sentences, others."""
    rows = _rows(300)
    passages = [r["text"] for r in rows[::12]][:25]
    sentences = [s + "。" for r in rows[1::7] for s in r["text"].split("。") if len(s) > 8][:45]
    seeds = [
        s + "。"
        for p in sorted((ROOT / "seeds").glob("*.txt"))
        for s in p.read_text(encoding="utf-8").split("。")
        if 10 < len(s.strip()) < 200
    ][::9][:25]
    others = [
        "機器學習是人工智慧的一個分支，它讓電腦能夠從資料中學習規律。",
        "臺北市政府今天宣布，將在明年擴大公共運輸補助。",
        "颱風來臨前，民眾應檢查門窗是否牢固。",
        "Yangtze River Delta integration",
        "who chaired the symposium",
        "GDP growth 2020",
        "The meeting approved a list of key cooperation projects for the coming year.",
        "Mixed text 混合文本: the 长三角 region accounts for nearly a quarter of China's GDP.",
        "上海的 GDP 在 2020 年突破 3.8 万亿元，其中 the service sector 占比超过七成。",
        "长三角一体化",
        "合肥",
        "座谈会在哪里举行",
        "房住不炒",
        "hi",
        "什么是两山理念？",
    ]
    texts = passages + sentences + seeds + others
    assert len(texts) >= 100, len(texts)
    return texts[:100]


def run_one(backend: str, n: int, sample: int = 48) -> dict:
    """One backend, in this process: the figures of one row."""
    from sentence_transformers import SentenceTransformer

    rows = _rows(n)
    settings = Settings.load({"encoder_backend": backend})
    encoder = Encoder(settings)
    started = time.perf_counter()
    encoder.load()
    load_seconds = time.perf_counter() - started
    encoder.encode_passages(["预热 warm-up"])
    out: dict = {"backend": backend, "passages": n, "load_seconds": load_seconds}
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "docs"
        docs.mkdir()
        for i, r in enumerate(rows):
            (docs / f"{i:04d}.txt").write_text(f"{r['title']}\n\n{r['text']}\n", encoding="utf-8")
        index, report = build_index(settings, [docs], encoder, path=Path(tmp) / "idx" / "bench")
        out["ingest_seconds"] = report["seconds"]
        out["steps"] = {s["step"]: s["seconds"] for s in report["steps"]}
        out["vectors"] = report["vectors"]
        out["embedded"] = report["embedded"]
        out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        views = [v.text for v in dense_views(index.passages, False)]
        passage_views = set(views)
        sentences = [v.text for v in dense_views(index.passages, True) if v.text not in passage_views]
        for kind, group in (("passage", views[:sample]), ("sentence", sentences[: 3 * sample])):
            started = time.perf_counter()
            encoder.encode_passages(group)
            seconds = time.perf_counter() - started
            out[kind] = {
                "n": len(views if kind == "passage" else sentences),
                "vectors_s": len(group) / seconds,
                "chars_s": sum(map(len, group)) / seconds,
            }
    import torch

    torch.set_num_threads(settings.threads)
    folder = str(encoder._path)
    plain = SentenceTransformer(folder, device="cpu")
    plain.encode(["预热 warm-up"], prompt_name="passage")
    started = time.perf_counter()
    with torch.inference_mode():
        plain.encode([r["text"] for r in rows], prompt_name="passage", normalize_embeddings=True)
    out["plain_seconds"] = time.perf_counter() - started
    out["ratio"] = out["ingest_seconds"] / out["plain_seconds"]
    mixed = mixed_texts()
    with torch.inference_mode():
        reference = plain.encode(mixed, prompt_name="passage", normalize_embeddings=True)
        reference_q = plain.encode(mixed, prompt_name="query", normalize_embeddings=True)
    cos = np.concatenate(
        [(encoder.encode_passages(mixed) * reference).sum(1), (encoder.encode_queries(mixed) * reference_q).sum(1)]
    )
    out["agreement"] = {"texts": len(mixed), "min": float(cos.min()), "mean": float(cos.mean())}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--passages", type=int, default=200)
    ap.add_argument("--backends", default="torch,onnx,onnx-int8")
    ap.add_argument("--one", help="run one backend in this process, print its row as JSON (and keep it)")
    ap.add_argument("--fresh", action="store_true", help="with --one: measure even if a kept row exists")
    args = ap.parse_args()
    if args.one:
        # A backend's row is kept in bench/cache, so that backends measured in separate runs (on a
        # loaded machine, one at a time) make one table; every figure of a row comes from one process.
        kept = ROOT / "bench" / "cache" / f"ingest-speed-{args.one}-{args.passages}.json"
        if kept.exists() and not args.fresh:
            print(kept.read_text(encoding="utf-8").strip())
            return
        row = json.dumps(run_one(args.one, args.passages))
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text(row, encoding="utf-8")
        print(row)
        return
    results = []
    for backend in args.backends.split(","):
        done = subprocess.run(
            [sys.executable, __file__, "--one", backend, "--passages", str(args.passages)],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"  {backend}: done", file=sys.stderr)
    r0 = results[0]
    print(
        f"{r0['passages']} CMRC passages, one file each: {r0['vectors']} views "
        f"({r0['passage']['n']} passage, {r0['sentence']['n']} sentence vectors)\n"
    )
    print("| backend | passage vec/s | passage chars/s | sentence vec/s | sentence chars/s | ingest s | "
          "plain ST s | ratio | peak RSS MB | model load s | cos vs torch min / mean (100 texts) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        a = r["agreement"]
        print(
            f"| {r['backend']} | {r['passage']['vectors_s']:.1f} | {r['passage']['chars_s']:,.0f} | "
            f"{r['sentence']['vectors_s']:.1f} | {r['sentence']['chars_s']:,.0f} | {r['ingest_seconds']:.1f} | "
            f"{r['plain_seconds']:.1f} | **{r['ratio']:.2f}** | {r['peak_rss_mb']:,.0f} | {r['load_seconds']:.1f} | "
            f"{a['min']:.4f} / {a['mean']:.5f} |"
        )
    print("\nwhere ingest time goes (seconds per step):\n")
    print("| backend | " + " | ".join(STEPS) + " |")
    print("|---|" + "---|" * len(STEPS))
    for r in results:
        print(f"| {r['backend']} | " + " | ".join(f"{r['steps'].get(s, 0):.2f}" for s in STEPS) + " |")


if __name__ == "__main__":
    main()
