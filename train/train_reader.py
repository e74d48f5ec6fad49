"""Train the answer reader: e5-small's first layers, a span head and an "answers" head.

In:  the folder written by reader_data.py (`train.npz`, `tune.npz`, evaluation `*.npz`) and `base.npz`
     from base_weights.py.
Out: under `--out`, for each `--layers` value: `reader_L<n>.safetensors` (the trained weights without the
     frozen word-embedding table, which qa takes from the bundled model at load time; fp16 with
     `--half`, split into shards of < 16 MB), `pred_L<n>_<split>.npz` (each window's best span, its
     score, the no-answer score and the answers logit) and a line of figures per epoch in `log.jsonl`.

The model reads `<s> question </s></s> window </s>`; the span head scores each token as the answer's
start and end, the answers head reads the first token and says whether the window answers at all
(trained on the sibling and hard-negative windows, so "on topic" is not enough). Deterministic for a
given `--seed` on CPU; on a GPU up to the nondeterminism of its kernels. Runs on CPU (`--device cpu`):
the CI test trains a few steps on a slice.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from base_weights import state_dict  # noqa: E402

MAX_ANSWER_TOKENS = 30
SHARD_BYTES = 15_000_000


class Reader(nn.Module):
    def __init__(self, config: dict):
        super().__init__()
        from transformers import BertConfig, BertModel

        self.config = config
        bert_config = BertConfig(**config, hidden_act="gelu", attn_implementation="eager")
        self.bert = BertModel(bert_config, add_pooling_layer=False)
        self.span = nn.Linear(config["hidden_size"], 2)
        self.answers = nn.Linear(config["hidden_size"], 1)

    def forward(self, attention_mask, input_ids=None, inputs_embeds=None):
        hidden = self.bert(input_ids=input_ids, inputs_embeds=inputs_embeds, attention_mask=attention_mask)
        hidden = hidden.last_hidden_state
        start, end = self.span(hidden).float().unbind(-1)
        blocked = (1 - attention_mask.float()) * -1e4
        return start + blocked, end + blocked, self.answers(hidden[:, 0]).float().squeeze(-1)


def load_split(path: Path) -> dict:
    z = np.load(path)
    out = {k: z[k] for k in z.files}
    out["bounds"] = np.concatenate([[0], np.cumsum(out["lengths"])])
    return out


def batches(split: dict, size: int, rng: random.Random, shuffle: bool, limit: int | None = None):
    """Index lists of about `size` windows of similar length (little padding), shuffled when training."""
    order = list(range(len(split["lengths"])))[:limit] if limit else list(range(len(split["lengths"])))
    if shuffle:
        rng.shuffle(order)
    chunks = [order[i : i + size * 50] for i in range(0, len(order), size * 50)]
    out = []
    for chunk in chunks:
        chunk.sort(key=lambda i: split["lengths"][i])
        out += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    if shuffle:
        rng.shuffle(out)
    return out


def tensors(split: dict, rows: list[int], device: str):
    width = int(max(split["lengths"][i] for i in rows))
    ids = np.full((len(rows), width), 1, dtype=np.int64)  # 1 = <pad> in the compact vocabulary too
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for r, i in enumerate(rows):
        a, b = split["bounds"][i], split["bounds"][i + 1]
        ids[r, : b - a] = split["ids"][a:b]
        mask[r, : b - a] = 1
    as_t = lambda a: torch.as_tensor(a, device=device)  # noqa: E731
    return as_t(ids), as_t(mask), as_t(split["start"][rows].astype(np.int64)), as_t(split["end"][rows].astype(np.int64)), as_t(split["answers"][rows].astype(np.float32))  # fmt: skip


def best_spans(start: torch.Tensor, end: torch.Tensor, context_start: torch.Tensor, lengths: torch.Tensor):
    """Best (start, end, score) per window with start ≤ end < start + MAX_ANSWER_TOKENS inside the window."""
    n, width = start.shape
    pos = torch.arange(width, device=start.device)
    inside = (pos[None, :] >= context_start[:, None]) & (pos[None, :] < lengths[:, None] - 1)
    s = start.masked_fill(~inside, -1e9)
    e = end.masked_fill(~inside, -1e9)
    pair = s[:, :, None] + e[:, None, :]
    offset = pos[None, :] - pos[:, None]
    allowed = (offset >= 0) & (offset < MAX_ANSWER_TOKENS)
    pair = pair.masked_fill(~allowed[None], -1e9).reshape(n, -1)
    score, flat = pair.max(dim=1)
    return flat // width, flat % width, score


@torch.no_grad()
def predict(model, split: dict, device: str, size: int = 64) -> dict[str, np.ndarray]:
    model.eval()
    n = len(split["lengths"])
    out = {k: np.zeros(n, dtype=np.float32) for k in ("score", "null", "answers")}
    out["best_start"] = np.zeros(n, dtype=np.int32)
    out["best_end"] = np.zeros(n, dtype=np.int32)
    for rows in batches(split, size, random.Random(0), shuffle=False):
        ids, mask, *_ = tensors(split, rows, device)
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=device.startswith("cuda")):
            start, end, answers = model(mask, input_ids=ids)
        cs = torch.as_tensor(split["context_start"][rows], device=device)
        ln = torch.as_tensor(split["lengths"][rows], device=device)
        bs, be, score = best_spans(start, end, cs, ln)
        out["best_start"][rows] = bs.cpu().numpy()
        out["best_end"][rows] = be.cpu().numpy()
        out["score"][rows] = score.cpu().numpy()
        out["null"][rows] = (start[:, 0] + end[:, 0]).cpu().numpy()
        out["answers"][rows] = answers.cpu().numpy()
    return out


def tune_figures(pred: dict, split: dict) -> dict[str, float]:
    """Token-level figures on windows with labels: span exact match on answering windows, and the answers
    head's accuracy at logit 0; where the split names its windows' kinds (rank_check), the accuracy of
    each kind and the AUC of the answering windows against all others."""
    answering = split["answers"] == 1
    exact = (pred["best_start"] == split["start"]) & (pred["best_end"] == split["end"])
    right = (pred["answers"] > 0) == answering
    out = {"span_em": float(exact[answering].mean()) if answering.any() else 0.0, "answers_acc": float(right.mean())}
    if "kind" in split and answering.any() and (~answering).any():
        for kind in sorted(set(split["kind"].tolist())):
            out[f"acc_{kind}"] = round(float(right[split["kind"] == kind].mean()), 4)
        pos, neg = pred["answers"][answering], pred["answers"][~answering]
        out["answers_auc"] = round(float((pos[:, None] > neg[None, :]).mean()), 4)
    return out


def held_apart_figures(model, data: dict, device: str) -> dict[str, float]:
    """tune_figures on the tune split and on rank_check (its figures prefixed), where they are loaded."""
    figures: dict[str, float] = {}
    for name, split in data.items():
        if name in ("tune", "rank_check"):
            found = tune_figures(predict(model, split, device), split)
            figures.update({(k if name == "tune" else f"{name}_{k}"): v for k, v in found.items()})
    return figures


def save_weights(model: Reader, path_stem: Path, half: bool) -> list[str]:
    from safetensors.torch import save_file

    sd = {k: v.detach().cpu() for k, v in model.state_dict().items() if "word_embeddings" not in k}
    if half:
        sd = {k: v.half() for k, v in sd.items()}
    shards, current, size = [], {}, 0
    for k, v in sd.items():
        nbytes = v.numel() * v.element_size()
        if current and size + nbytes > SHARD_BYTES:
            shards.append(current)
            current, size = {}, 0
        current[k], size = v.contiguous(), size + nbytes
    shards.append(current)
    names = []
    for i, shard in enumerate(shards):
        name = f"{path_stem.name}-{i}.safetensors"
        save_file(shard, str(path_stem.parent / name), metadata={"config": json.dumps(model.config)})
        names.append(name)
    return names


def train_one(args, layers: int, data: dict, log) -> None:
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    config, sd = state_dict(args.base, layers)
    model = Reader(config)
    missing, unexpected = model.bert.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()}, strict=False)
    assert not unexpected and all("position_ids" in m for m in missing), (missing, unexpected)
    if args.init:  # warm start: every tensor but the word embeddings from a shipped graph
        from warm_start import load_into

        load_into(model, args.init)
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)  # frozen: qa ships none of it
    model.to(args.device)
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    plan = [batches(data["train"], args.batch, rng, shuffle=True, limit=args.limit) for _ in range(args.epochs)]
    total = sum(len(p) for p in plan)
    if args.max_steps:
        total = min(total, args.max_steps)
    warmup = max(1, int(0.1 * total))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup)))
    )
    ce = nn.CrossEntropyLoss()
    bce = nn.BCEWithLogitsLoss()
    step, began, losses = 0, time.time(), []
    if args.init and args.start_figures:  # where the warm start begins, on the same figures as each epoch
        figures = {"layers": layers, "epoch": 0, "step": 0, **held_apart_figures(model, data, args.device)}
        print(json.dumps(figures), flush=True)
        log.write(json.dumps(figures) + "\n")
    for epoch, epoch_batches in enumerate(plan):
        model.train()
        for rows in epoch_batches:
            if step >= total:
                break
            ids, mask, s, e, answers = tensors(data["train"], rows, args.device)
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=args.device.startswith("cuda")):
                start, end, answers_logit = model(mask, input_ids=ids)
            if args.span_on_answering:  # the span head learns from answering windows only
                keep = answers > 0
                span_loss = (ce(start[keep], s[keep]) + ce(end[keep], e[keep])) / 2 if keep.any() else start.sum() * 0
            else:  # a window without the answer points at <s> (SQuAD 2.0's convention)
                span_loss = (ce(start, s) + ce(end, e)) / 2
            loss = span_loss + bce(answers_logit, answers)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimiser.step()
            schedule.step()
            losses.append(float(loss.detach()))
            step += 1
            if args.log_every and step % args.log_every == 0:
                print(f"L{layers} step {step}/{total} loss {np.mean(losses[-args.log_every :]):.4f}", flush=True)
        figures = {"layers": layers, "epoch": epoch + 1, "step": step, "seconds": round(time.time() - began, 1)}
        figures["loss_first"] = float(np.mean(losses[: max(1, min(20, len(losses) // 5))]))
        figures["loss_last"] = float(np.mean(losses[-max(1, min(20, len(losses) // 5)) :]))
        figures.update(held_apart_figures(model, data, args.device))
        print(json.dumps(figures), flush=True)
        log.write(json.dumps(figures) + "\n")
        log.flush()
        if step >= total:
            break
    for name, split in data.items():
        if name != "train":
            np.savez_compressed(args.out / f"pred_L{layers}_{name}.npz", **predict(model, split, args.device))
    if layers in (args.save or []):
        print("saved", save_weights(model, args.out / f"reader_L{layers}", args.half), flush=True)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--base", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--layers", type=int, nargs="+", default=[6])
    p.add_argument("--save", type=int, nargs="*", help="layer counts whose weights are written (default: all)")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--max-steps", type=int, default=0)
    p.add_argument("--limit", type=int, default=0, help="train on the first N windows only (tests)")
    p.add_argument("--eval", nargs="*", default=None, help="splits to predict (default: every .npz but train)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--half", action="store_true", help="write fp16 weights")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--init", type=Path, help="start from this int8 reader graph's weights (train/warm_start.py)")
    p.add_argument("--span-on-answering", action="store_true", help="no span loss on windows without the answer")
    p.add_argument("--start-figures", action="store_true", help="with --init: the figures before the first step")
    p.add_argument("--log-every", type=int, default=100)
    args = p.parse_args(argv)
    if args.save is None:
        args.save = args.layers
    torch.use_deterministic_algorithms(args.device == "cpu")
    args.out.mkdir(parents=True, exist_ok=True)
    names = (
        args.eval
        if args.eval is not None
        else [f.stem for f in args.data.glob("*.npz") if f.stem not in ("train", "base")]
    )
    data = {"train": load_split(args.data / "train.npz")}
    data.update({n: load_split(args.data / f"{n}.npz") for n in names})
    with (args.out / "log.jsonl").open("a") as log:
        for layers in args.layers:
            train_one(args, layers, data, log)


if __name__ == "__main__":
    main()
