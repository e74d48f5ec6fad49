"""Fit the reader's answers head on frozen features of its graph: a logistic regression, checked by kind.

    python train/answer_features.py --graph qa/data/reader/reader.int8.onnx
    python train/answer_head.py --graph qa/data/reader/reader.int8.onnx --windows train/work/answer_windows.jsonl

In:  a reader graph with an `answer_features` output (train/answer_features.py) and the windows of
     train/answer_windows.py (JSONL: question, heading, text, label, kind, check).
Out: `--out` (default qa/data/reader/answers_head.json): weights over the features, a weight on the span
     score, a bias, the graph's sha256 and how the head was made; printed: windows by kind, accuracy
     and ranking (AUC of answering windows against each negative kind) on the held-apart questions,
     the graph's own head against the new one. Features are cached in `--work` per graph and windows.

Each window is read as qa reads it (AnswerReader over the bundled tokenizer and word-embedding table,
the heading before the text, the graph's own head only). Negatives of every kind weigh the same in
all (each kind's windows share one unit of weight; the answering windows as much as all negatives),
so the rarer changed-constraint windows count. The head reads the features, the graph's own answers
logit and the span score; only the features' weights are penalised (L2), so a strong penalty gives
back the graph's head recalibrated. The penalty is chosen by log loss on the held-apart questions; the
shipped head is then refitted on all windows with it. Only numpy.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

L2 = (1e-3, 1e-2, 1e-1, 1.0, 10.0)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def features(graph: Path, windows: list[dict], work: Path, tag: str) -> dict[str, np.ndarray]:
    """Per window: the answer features, the best span's score and the graph's own answers logit."""
    cache = work / f"answer_features-{sha256(graph)[:12]}-{tag}.npz"
    if cache.exists():
        return dict(np.load(cache))
    from qa.config import Settings
    from qa.index.encoder import Encoder
    from qa.search.reader import AnswerReader

    settings = Settings.load({})
    model = Encoder(settings).load()
    reader = AnswerReader(model.tokenizer, model.word_embeddings, settings.threads, settings.reader_max_tokens, graph, head=False)  # fmt: skip
    if not reader.has_features:
        raise SystemExit(f"{graph} has no answer_features output: run train/answer_features.py --graph {graph}")
    feats, span, logit = [], [], []
    started = time.monotonic()
    for n, w in enumerate(windows):
        best = None
        for _i, _where, score, own, f in reader.outputs(w["question"], [w["text"]], [w["heading"]]):
            if best is None or own > best[1]:  # a long passage: the window the graph is surest of
                best = (score, own, f)
        span.append(best[0] if np.isfinite(best[0]) else 0.0)
        logit.append(best[1])
        feats.append(best[2])
        if n % 1000 == 999:
            print(f"  {n + 1} windows, {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    out = {"features": np.asarray(feats, np.float32), "span": np.asarray(span, np.float32), "logit": np.asarray(logit, np.float32)}  # fmt: skip
    work.mkdir(parents=True, exist_ok=True)
    np.savez(cache, **out)
    return out


def design(f: dict[str, np.ndarray], rows: np.ndarray, span: bool) -> np.ndarray:
    """The features, then the graph's own answers logit, then (with `span`) the span score."""
    cols = [f["features"][rows], f["logit"][rows, None]] + ([f["span"][rows, None]] if span else [])
    return np.concatenate(cols, axis=1).astype(np.float64)


def sample_weights(labels: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    w = np.zeros(len(labels))
    negative = sorted({k for k, y in zip(kinds, labels) if y == 0})
    for k in negative:
        rows = (kinds == k) & (labels == 0)
        w[rows] = 0.5 / len(negative) / rows.sum()
    w[labels == 1] = 0.5 / max((labels == 1).sum(), 1)
    return w * len(labels)


def fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float, free: int) -> tuple[np.ndarray, float]:
    """Weighted L2 logistic regression by Newton's method on standardised columns, the last `free`
    columns not penalised; the weights and bias returned apply to the raw columns."""
    mean, std = x.mean(0), x.std(0) + 1e-6
    z = np.concatenate([(x - mean) / std, np.ones((len(x), 1))], axis=1)
    beta = np.zeros(z.shape[1])
    reg = np.full(z.shape[1], l2 * w.sum())
    reg[-1 - free :] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(z @ beta, -30, 30)))
        grad = z.T @ (w * (p - y)) + reg * beta
        hess = (z * (w * p * (1 - p))[:, None]).T @ z + np.diag(reg)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-6:
            break
    coef = beta[:-1] / std
    return coef, float(beta[-1] - coef @ mean)


def log_loss(p: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(-(w * (y * np.log(p) + (1 - y) * np.log(1 - p))).sum() / w.sum())


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    if not len(pos) or not len(neg):
        return float("nan")
    return float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())


def pairs_won(p: np.ndarray, labels: np.ndarray, kinds: np.ndarray, qids: np.ndarray, kind: str) -> float:
    """Share of (answering excerpt, window of `kind`) pairs of the same question where the answering
    excerpt reads higher: what ranking one question's candidates needs."""
    won = total = 0
    for q in np.unique(qids[kinds == kind]):
        mine = qids == q
        pos, neg = p[mine & (kinds == "answer")], p[mine & (kinds == kind)]
        won += int((pos[:, None] > neg[None, :]).sum())
        total += len(pos) * len(neg)
    return won / max(total, 1)


def by_kind(p_old: np.ndarray, p_new: np.ndarray, labels: np.ndarray, kinds: np.ndarray, qids: np.ndarray) -> str:
    lines = [
        "| kind | windows | accuracy (at 0.5), graph's head / new | AUC against all answering windows, graph's / new "
        "| same question: answering excerpt above it, graph's / new |"
    ]
    lines.append("|---|---|---|---|---|")
    for k in dict.fromkeys(kinds):
        rows = kinds == k
        y = labels[rows]
        acc = " / ".join(f"{float(((p[rows] >= 0.5) == (y == 1)).mean()):.4f}" for p in (p_old, p_new))
        ranking = pair = ""
        if y.max() == 0:
            ranking = " / ".join(f"{auc(p[labels == 1], p[rows]):.4f}" for p in (p_old, p_new))
            pair = " / ".join(f"{pairs_won(p, labels, kinds, qids, k):.4f}" for p in (p_old, p_new))
        lines.append(f"| {k} | {rows.sum()} | {acc} | {ranking} | {pair} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--graph", type=Path, default=ROOT / "qa" / "data" / "reader" / "reader.int8.onnx")
    p.add_argument("--windows", type=Path, default=ROOT / "train" / "work" / "answer_windows.jsonl")
    p.add_argument("--work", type=Path, default=ROOT / "train" / "work")
    p.add_argument("--out", type=Path, default=ROOT / "qa" / "data" / "reader" / "answers_head.json")
    p.add_argument("--no-span", action="store_true", help="the features alone, not the span score")
    args = p.parse_args(argv)
    lines = args.windows.read_text(encoding="utf-8").splitlines()
    windows = [json.loads(line) for line in lines]
    f = features(args.graph, windows, args.work, hashlib.sha256("\n".join(lines).encode()).hexdigest()[:12])
    labels = np.asarray([w["label"] for w in windows], np.float64)
    kinds = np.asarray([w["kind"] for w in windows])
    check = np.asarray([w["check"] for w in windows])
    span = not args.no_span
    fit_rows, check_rows = np.flatnonzero(~check), np.flatnonzero(check)
    x, xc = design(f, fit_rows, span), design(f, check_rows, span)
    weights = sample_weights(labels[fit_rows], kinds[fit_rows])
    check_weights = sample_weights(labels[check_rows], kinds[check_rows])
    best = None
    for l2 in L2:
        coef, bias = fit(x, labels[fit_rows], weights, l2, 1 + span)
        loss = log_loss(1 / (1 + np.exp(-(xc @ coef + bias))), labels[check_rows], check_weights)
        print(f"L2 {l2:g}: held-apart weighted log loss {loss:.4f}")
        best = min(best or (loss, l2, coef, bias), (loss, l2, coef, bias), key=lambda t: t[0])
    loss, l2, coef, bias = best
    p_new = 1 / (1 + np.exp(-(xc @ coef + bias)))
    p_old = 1 / (1 + np.exp(-f["logit"][check_rows]))
    print(f"held-apart questions ({len(check_rows)} windows), L2 {l2:g}:")
    qids = np.asarray([w["qid"] for w in windows])
    print(by_kind(p_old, p_new, labels[check_rows], kinds[check_rows], qids[check_rows]))
    everything = np.arange(len(windows))
    coef, bias = fit(design(f, everything, span), labels, sample_weights(labels, kinds), l2, 1 + span)
    counts = {str(k): int((kinds == k).sum()) for k in dict.fromkeys(kinds)}
    n = f["features"].shape[1]
    head = {
        "name": "qa answer reader: answers head",
        "graph_sha256": sha256(args.graph),
        "features": "the graph's answer_features output (train/answer_features.py)",
        "weights": [round(float(c), 7) for c in coef[:n]],
        "logit_weight": round(float(coef[n]), 7),
        "span_weight": round(float(coef[n + 1]), 7) if span else 0.0,
        "bias": round(float(bias), 7),
        "l2": l2,
        "windows": counts,
        "training_data": "CMRC 2018 train (ymcui/cmrc2018, CC BY-SA 4.0): the reader's training paragraphs only",
        "licence": "CC BY-SA 4.0, share-alike (derived from CMRC 2018 train); see LICENCE.md beside this file",
        "made_by": "train/answer_windows.py (seed 13), train/answer_head.py: weighted L2 logistic regression",
    }
    args.out.write_text(json.dumps(head, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(windows)} windows {counts}")


if __name__ == "__main__":
    main()
