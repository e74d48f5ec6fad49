"""Training and tuning examples for the answer reader, from openly licensed CMRC 2018 train.

In:  ../shared/training/cmrc2018/cmrc2018_train.json (CC BY-SA 4.0), optionally a benchmark's
     SQuAD-style JSON for the read-only evaluation features (`--eval NAME=PATH`), and the bundled
     model's tokenizer.json.
Out: one `.npz` per split under `--out`: token ids (remapped to a compact vocabulary), the question's
     length, the answer's token start/end (0/0 = no answer in this window), whether the window answers,
     and for evaluation features each token's character offsets in its context. `vocab.npy` lists the
     original token ids the compact vocabulary keeps (the rows of the frozen embedding table).

Each question gives the reader four kinds of window, so it learns "answers" against "on topic":
- its paragraph in 384-token windows (stride 128): the windows without the answer are negatives;
- a sentence-aligned excerpt of 40-300 characters that holds the answer (what qa's passages look like);
- an excerpt of the same paragraph without the answer (an on-topic sibling);
- an excerpt of another paragraph that shares most of the question's characters (a first-stage
  style hard negative).
Paragraphs are split into train and tune by a hash of their id (`--tune-share`), so tuning never
sees a paragraph the model trained on. Deterministic for a given `--seed`.

For the second version (ranking and "nothing answers"): `--headings` cuts every window as qa's reader
does (the article title as heading, `--max-len` 256), `--windows` adds train/answer_windows.py's windows
(its fit questions to train, kinds `rank-*`; its check questions to the `rank_check` split), and
`--base-share` keeps that share of the questions above, so that a warm-started run reads both kinds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # qa itself: its reader cuts the windows

MAX_LEN = 384
STRIDE = 128
MAX_QUESTION_TOKENS = 64
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")


def paragraphs(path: Path):
    """(paragraph id, context, [(question id, question, [(answer text, char start)])]) per paragraph."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    for article in data:
        for para in article["paragraphs"]:
            context = para["context"]
            qas = []
            for qa in para["qas"]:
                answers = []
                for ans in qa["answers"]:
                    text, start = ans["text"].strip(), int(ans["answer_start"])
                    if not text:
                        continue
                    if context[start : start + len(text)] != text:  # 21 misaligned starts in CMRC train
                        found = context.find(text)
                        if found < 0:
                            continue
                        start = found
                    answers.append((text, start))
                qas.append((qa["id"], qa["question"].strip(), answers))
            yield para["id"], context, qas


def titles(path: Path) -> dict[str, str]:
    """Each paragraph's article title (its heading when qa reads it)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    return {para["id"]: article.get("title", "") for article in data for para in article["paragraphs"]}


def share_of(text: str) -> float:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") / 2**32


def is_tune(paragraph_id: str, share: float) -> bool:
    digest = hashlib.sha256(paragraph_id.encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < share


def sentence_spans(text: str) -> list[tuple[int, int]]:
    spans, at = [], 0
    for part in _SENTENCE_END.split(text):
        if part:
            spans.append((at, at + len(part)))
            at += len(part)
    return spans


def excerpt(spans, rng: random.Random, must: tuple[int, int] | None, avoid: tuple[int, int] | None, size: int):
    """A run of whole sentences of about `size` characters holding `must` and not touching `avoid`."""
    if not spans:
        return None
    if must is not None:
        first = next((i for i, (s, e) in enumerate(spans) if s <= must[0] < e), None)
        last = next((i for i, (s, e) in enumerate(spans) if s < must[1] <= e), None)
        if first is None or last is None:
            return None
    else:
        first = last = rng.randrange(len(spans))
    while spans[last][1] - spans[first][0] < size:
        grow_left = first > 0 and (last == len(spans) - 1 or rng.random() < 0.5)
        if grow_left:
            first -= 1
        elif last < len(spans) - 1:
            last += 1
        else:
            break
    start, end = spans[first][0], spans[last][1]
    if avoid is not None and start < avoid[1] and avoid[0] < end:
        return None
    return start, end


class CharOverlap:
    """The paragraph sharing the most IDF-weighted Chinese characters with a question: a cheap stand-in
    for the first stage's keyword search, to find on-topic paragraphs that do not answer."""

    def __init__(self, texts: list[str]):
        chars = sorted({c for t in texts for c in t if "\u4e00" <= c <= "\u9fff"})
        self.column = {c: i for i, c in enumerate(chars)}
        self.has = np.zeros((len(chars), len(texts)), dtype=np.float32)
        for j, t in enumerate(texts):
            for c in set(t):
                if c in self.column:
                    self.has[self.column[c], j] = 1.0
        self.idf = np.log(len(texts) / (1.0 + self.has.sum(axis=1)))
        self.texts = texts

    def best_other(self, question: str, context: str) -> int:
        rows = sorted({self.column[c] for c in question if c in self.column})
        scores = (self.has[rows] * self.idf[rows, None]).sum(axis=0) if rows else np.zeros(len(self.texts))
        for j in np.argsort(-scores):
            if self.texts[j] != context:
                return int(j)
        return 0


class Encoder:
    """Question/context pairs to windows of token ids with character offsets (the bundled tokenizer).

    With `headings`, a window is cut exactly as qa's reader cuts it (qa.search.reader.reader_windows:
    "heading：context" after the question, `max_len` tokens, overlapping by a third); without, as the
    shipped weights were trained: the context alone in 384-token windows, stride 128."""

    def __init__(self, tokenizer_json: Path, headings: bool = False, max_len: int = MAX_LEN):
        from tokenizers import Tokenizer

        self.tok = Tokenizer.from_file(str(tokenizer_json))
        self.tok.no_padding()
        self.headings, self.max_len = headings, max_len

    def windows(self, question: str, context: str, heading: str = "", stride: int = STRIDE):
        if self.headings:
            from qa.search.reader import reader_windows

            for _, seq, first, offsets in reader_windows(self.tok, question, [context], [heading], self.max_len):
                yield seq, first, offsets
            return
        q_ids = self.tok.encode(question, add_special_tokens=False).ids[:MAX_QUESTION_TOKENS]
        c = self.tok.encode(context, add_special_tokens=False)
        room = MAX_LEN - len(q_ids) - 4  # <s> q </s></s> c </s>
        at = 0
        while True:
            ids = c.ids[at : at + room]
            offsets = c.offsets[at : at + room]
            seq = [0, *q_ids, 2, 2, *ids, 2]
            yield seq, len(q_ids) + 3, offsets
            if at + room >= len(c.ids):
                break
            at += room - stride


def label(offsets, first_token: int, span: tuple[int, int] | None) -> tuple[int, int]:
    """Token start/end of the character span inside this window, or (0, 0) when it is not inside."""
    if span is None:
        return 0, 0
    start = end = None
    for i, (s, e) in enumerate(offsets):
        if start is None and s <= span[0] < e:
            start = i
        if s < span[1] <= e:
            end = i
    if start is None or end is None or end < start:
        return 0, 0
    return first_token + start, first_token + end


def ranking_rows(enc: Encoder, path: Path, answers_of: dict[str, list[str]]) -> tuple[list, list]:
    """(training rows, check rows) of train/answer_windows.py's windows, each cut as qa reads it under its
    heading; an answering window's span is its question's first answer found in it (else it is left out)."""
    fit, check = [], []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        w = json.loads(line)
        span = None
        if w["label"]:
            at = next(((t, w["text"].find(t)) for t in answers_of.get(w["qid"], []) if t in w["text"]), None)
            if at is None:
                continue
            span = (at[1], at[1] + len(at[0]))
        for seq, first, offsets in enc.windows(w["question"], w["text"], w["heading"]):
            s, e = label(offsets, first, span)
            row = (seq, first, s, e, int(s > 0), w["qid"], "rank-" + w["kind"], offsets)
            (check if w["check"] else fit).append(row)
    return [r[:7] for r in fit], check


def build(args) -> None:
    rng = random.Random(args.seed)
    enc = Encoder(args.tokenizer, args.headings, args.max_len)
    paras = list(paragraphs(args.train))[: args.limit or None]
    title = titles(args.train) if args.headings else {}
    texts = [p[1] for p in paras]
    overlap = CharOverlap(texts)
    splits: dict[str, list] = {"train": [], "tune": []}
    for pid, context, qas in paras:
        split = "tune" if is_tune(pid, args.tune_share) else "train"
        spans = sentence_spans(context)
        heading = title.get(pid, "")
        for qid, question, answers in qas:
            if not answers or (split == "train" and share_of(qid) >= args.base_share):
                continue
            text, start = answers[0]
            gold = (start, start + len(text))
            rows = splits[split]
            for seq, first, offsets in enc.windows(question, context, heading):
                s, e = label(offsets, first, gold)
                row = (seq, first, s, e, int(s > 0), qid, "window")
                rows.append((*row, offsets) if split == "tune" else row)
            if split == "tune":
                continue
            for kind, must, avoid, source in (
                ("excerpt", gold, None, context),
                ("sibling", None, gold, context),
                ("hard", None, None, None),
            ):
                source_heading = heading
                if kind == "hard":
                    other = overlap.best_other(question, context)
                    source, source_heading = texts[other], title.get(paras[other][0], "")
                    if text in source:
                        continue
                    src_spans = sentence_spans(source)
                else:
                    src_spans = spans
                span = excerpt(src_spans, rng, must, avoid, rng.randint(40, 300))
                if span is None:
                    continue
                piece = source[span[0] : span[1]]
                if kind != "excerpt" and text in piece:
                    continue
                local = (gold[0] - span[0], gold[1] - span[0]) if kind == "excerpt" else None
                seq, first, offsets = next(enc.windows(question, piece, source_heading))
                s, e = label(offsets, first, local)
                if kind == "excerpt" and s == 0:
                    continue
                rows.append((seq, first, s, e, int(s > 0), qid, kind))
    evals = {}
    if args.windows:
        answers_of = {qid: [t for t, _ in answers] for _, _, qas in paras for qid, _, answers in qas}
        fit, evals["rank_check"] = ranking_rows(enc, args.windows, answers_of)
        splits["train"] += fit
    for spec in args.eval or []:
        name, path = spec.split("=", 1)
        rows = []
        eval_titles = titles(Path(path)) if args.headings else {}
        for pid, context, qas in paragraphs(Path(path)):
            for qid, question, _answers in qas:
                for seq, first, offsets in enc.windows(question, context, eval_titles.get(pid, "")):
                    rows.append((seq, first, 0, 0, 0, qid, "eval", offsets))
        evals[name] = rows
    vocab = sorted({t for rows in [*splits.values(), *evals.values()] for r in rows for t in r[0]} | {0, 1, 2, 3})
    remap = np.zeros(max(vocab) + 1, dtype=np.int32)
    remap[vocab] = np.arange(len(vocab), dtype=np.int32)
    args.out.mkdir(parents=True, exist_ok=True)
    np.save(args.out / "vocab.npy", np.asarray(vocab, dtype=np.int32))
    for name, rows in [*splits.items(), *evals.items()]:
        save(args.out / f"{name}.npz", rows, remap)
        kinds = Counter(r[6] for r in rows)
        print(f"{name}: {len(rows)} windows, {sum(r[4] for r in rows)} answering, {dict(kinds)}")
    print(f"vocabulary: {len(vocab)} of the model's token ids")


def save(path: Path, rows, remap: np.ndarray) -> None:
    lengths = np.asarray([len(r[0]) for r in rows], dtype=np.int32)
    flat = remap[np.concatenate([np.asarray(r[0], dtype=np.int64) for r in rows])].astype(np.int32)
    arrays = {
        "ids": flat,
        "lengths": lengths,
        "context_start": np.asarray([r[1] for r in rows], dtype=np.int32),
        "start": np.asarray([r[2] for r in rows], dtype=np.int32),
        "end": np.asarray([r[3] for r in rows], dtype=np.int32),
        "answers": np.asarray([r[4] for r in rows], dtype=np.int8),
        "qid": np.asarray([r[5] for r in rows]),
        "kind": np.asarray([r[6] for r in rows]),
    }
    if rows and len(rows[0]) > 7:
        arrays["offsets"] = np.concatenate([np.asarray(r[7], dtype=np.int32).reshape(-1, 2) for r in rows])
    np.savez_compressed(path, **arrays)


def main(argv=None) -> None:
    here = Path(__file__).resolve().parent
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--train", type=Path, default=here.parent.parent / "shared/training/cmrc2018/cmrc2018_train.json")
    p.add_argument("--tokenizer", type=Path, required=True)
    p.add_argument("--eval", action="append", help="NAME=PATH of a SQuAD-style file to featurise for evaluation")
    p.add_argument("--out", type=Path, default=here / "work")
    p.add_argument("--tune-share", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--limit", type=int, default=0, help="the first N paragraphs only (tests)")
    p.add_argument("--headings", action="store_true", help="cut windows as qa reads them, under the article title")
    p.add_argument("--max-len", type=int, default=MAX_LEN, help="tokens a window (qa reads 256)")
    p.add_argument("--base-share", type=float, default=1.0, help="train on this share of the questions (by id hash)")
    p.add_argument("--windows", type=Path, help="train/answer_windows.py's JSONL: ranking windows to add")
    build(p.parse_args(argv))


if __name__ == "__main__":
    main()
