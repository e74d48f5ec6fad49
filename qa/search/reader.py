"""The answer reader: reads a question with each candidate passage and marks the answer's exact span.

In:  a question and passage texts (the first stage's best candidates), each with its heading as context.
Out: one `Reading` per passage: how likely the passage answers (`answers`, 0–1), the best answer span as
     offsets inside that passage's text, and the span's score.

`answers` comes from the graph's own answers head, or, with the setting `answers_head` on, from
`answers_head.json` beside the graph: a logistic head over the graph's `answer_features` output (the
first token's final hidden state), its own logit and the span score, refitted for ranking and "nothing
answers" (train/answer_windows.py, train/answer_head.py). `graph_answers` is always the graph's own.

The model is e5-small's first layers fine-tuned on CMRC 2018 train (CC BY-SA 4.0; `train/`), shipped as
an int8 ONNX graph in qa/data/reader/ without the word-embedding table: the rows come from the bundled
model's own table (memory-mapped, `qa.index.onnx_model.embeddings_path`), the same rows it was trained
on. Traditional characters are folded to simplified one for one before reading, so offsets hold.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from qa.errors import ModelError
from qa.text import to_simplified

__all__ = [
    "AnswerReader",
    "AnswersHead",
    "Reading",
    "load_head",
    "open_reader",
    "reader_files",
    "reader_windows",
    "MAX_ANSWER_TOKENS",
]

log = logging.getLogger(__name__)

MAX_ANSWER_TOKENS = 30  # as in training (train/train_reader.py)
MAX_QUESTION_TOKENS = 64
MAX_HEADING_CHARS = 48  # a passage's heading read before it (an article's title, a section's heading)
_CLS, _PAD, _SEP = 0, 1, 2
OUTPUTS = ["start_logits", "end_logits", "answers_logit"]
# Windows in one run. 1: the shipped graph's dynamic quantisation takes an activation scale from each run,
# so a window is run alone (in a batch a probability moved by up to 0.32). A graph with fixed scales
# (train/requantise.py) reads the same batched, but measured slower on two cores: docs/reader.md.
MAX_BATCH = 1


@dataclass(frozen=True)
class Reading:
    answers: float  # probability that the passage answers the question
    span: tuple[int, int] | None  # the answer inside the passage text; None for an empty passage
    span_score: float  # start + end logit of that span
    graph_answers: float = float("nan")  # the graph's own answers head (the same as `answers` without a head file)


def _folder() -> Path:
    return Path(str(resources.files("qa.data").joinpath("reader")))


def reader_files() -> tuple[Path, dict]:
    """The shipped graph and its description (layers, window, threshold, training data, licence)."""
    folder = _folder()
    meta_file, graph = folder / "reader.json", folder / "reader.int8.onnx"
    if not graph.is_file() or not meta_file.is_file():
        raise ModelError(f"The answer reader's weights are missing from {folder}; reinstall qa.")
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ModelError(f"The answer reader's description {meta_file} is damaged ({exc}); reinstall qa.") from exc
    return graph, meta


class AnswerReader:
    """An onnxruntime session over the shipped graph; `read` is safe to call from several threads.

    It shares the encoder's tokenizer and memory-mapped word-embedding table (`open_reader`), so loading
    it costs only the 15 MB graph."""

    def __init__(
        self,
        tokenizer,
        word_embeddings,
        threads: int,
        max_tokens: int = 256,
        graph: Path | None = None,
        head: Path | None | bool = None,
    ):
        """`head`: the answers head file (None: the shipped one where present; False: the graph's own)."""
        import onnxruntime as ort

        shipped, self.meta = reader_files()
        graph = graph or shipped
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
            outputs = [o.name for o in self.session.get_outputs()]
            if outputs[:3] != OUTPUTS:
                raise ValueError(f"unexpected outputs {outputs}")
        except Exception as exc:  # noqa: BLE001 - a damaged file is reported, whatever onnxruntime raised
            raise ModelError(f"Could not load the answer reader {graph}: {exc}. Reinstall qa.") from exc
        self.has_features = "answer_features" in outputs
        self.head = load_head(_folder() / "answers_head.json" if head is None else head) if head is not False else None
        if self.head is not None and not self.has_features:
            log.warning("The answers head is not used: the graph %s has no answer_features output", graph)
            self.head = None
        self.tokenizer = tokenizer
        self.word_embeddings = word_embeddings
        self.max_tokens = max_tokens
        self.max_batch = MAX_BATCH

    def windows(self, question: str, texts: list[str], headings: list[str] | None = None):
        """`reader_windows` with this reader's tokenizer and window size."""
        return reader_windows(self.tokenizer, question, texts, headings, self.max_tokens)

    def logits(
        self, seqs: list[list[int]], features: bool = True
    ) -> list[tuple[np.ndarray, np.ndarray, float, np.ndarray | None]]:
        """(start logits, end logits, answers logit, answer features or None where the graph has no such
        output or `features` is off) of each token-id window, the windows padded into batches of at most
        `max_batch` (MAX_BATCH), shortest first so that little of a batch is padding."""
        names = OUTPUTS + (["answer_features"] if features and self.has_features else [])
        order = sorted(range(len(seqs)), key=lambda k: len(seqs[k]))
        out: list = [None] * len(seqs)
        for at in range(0, len(order), self.max_batch):
            rows = order[at : at + self.max_batch]
            width = max(len(seqs[k]) for k in rows)
            ids = np.full((len(rows), width), _PAD, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, k in enumerate(rows):
                ids[r, : len(seqs[k])], mask[r, : len(seqs[k])] = seqs[k], 1
            feed = {"inputs_embeds": np.ascontiguousarray(self.word_embeddings[ids], dtype=np.float32), "attention_mask": mask}  # fmt: skip
            start, end, answers, *features = self.session.run(names, feed)
            for r, k in enumerate(rows):
                n = len(seqs[k])
                out[k] = (start[r, :n], end[r, :n], float(answers[r]), features[0][r] if features else None)
        return out

    def outputs(self, question: str, texts: list[str], headings: list[str] | None = None, features: bool = True):
        """Per window: (passage index, best span as text offsets or None, its score, the graph's answers
        logit, the answer features or None where the graph has no such output or `features` is off)."""
        windows = list(self.windows(question, texts, headings))
        for (i, seq, first, offsets), (start, end, logit, found) in zip(
            windows, self.logits([w[1] for w in windows], features)
        ):
            n = len(seq) - first - 1
            span, score = _best_span(start[first : first + n], end[first : first + n])
            yield i, (offsets[span[0]][0], offsets[span[1]][1]) if n > 0 else None, score, logit, found

    def read(self, question: str, texts: list[str], headings: list[str] | None = None) -> list[Reading]:
        """One reading per text; `headings` (one per text, "" for none) give each its context.

        The windows run in padded batches of `max_batch`: 1 (each alone) for the shipped graph, whose
        dynamic quantisation takes one activation scale per tensor from each run, so that in a batch a
        passage's probability moved with its neighbours and the padding (0.89 in a batch of three, 0.46
        alone, on a seed question). Alone it is a function of question, heading and text only."""
        best: list[Reading | None] = [None] * len(texts)
        # The features are fetched only for the refitted head: without it nothing reads them.
        for i, span, score, logit, features in self.outputs(question, texts, headings, self.head is not None):
            own = float(1 / (1 + np.exp(-logit)))
            answers = self.head.probability(features, logit, score) if self.head is not None else own
            reading = Reading(answers, span, score, own)
            if best[i] is None or (reading.answers, reading.span_score) > (best[i].answers, best[i].span_score):
                best[i] = reading
        return [b or Reading(0.0, None, float("-inf")) for b in best]


def reader_windows(tokenizer, question: str, texts: list[str], headings: list[str] | None, max_tokens: int):
    """(passage index, token ids, context offset, character offsets) per window; a passage longer than
    one window is read in windows that overlap by a third. A passage's heading, where given, is read
    as the line before its text ("heading：text", tokenized as one) in every window, as context only:
    the answer is sought in the text, and offsets are the text's. The reader's training data
    (train/reader_data.py --headings) is cut by this same function."""
    q_ids = tokenizer.encode(to_simplified(question), add_special_tokens=False).ids[:MAX_QUESTION_TOKENS]
    heads = [h[:MAX_HEADING_CHARS] + "：" if h else "" for h in headings or [""] * len(texts)]
    encoded = tokenizer.encode_batch([to_simplified(h + t) for h, t in zip(heads, texts)], add_special_tokens=False)
    for i, enc in enumerate(encoded):
        cut = len(heads[i])  # tokens starting before it are the heading's (one straddling it too)
        n_head = sum(1 for start, _ in enc.offsets if start < cut)
        head_ids = enc.ids[:n_head]
        text_ids = enc.ids[n_head:]
        offsets = [(s - cut, e - cut) for s, e in enc.offsets[n_head:]]
        first = len(q_ids) + 3 + n_head
        room = max(16, max_tokens - first - 1)
        stride = room // 3
        at = 0
        while True:
            ids = text_ids[at : at + room]
            yield i, [_CLS, *q_ids, _SEP, _SEP, *head_ids, *ids, _SEP], first, offsets[at : at + room]
            if at + room >= len(text_ids):
                break
            at += room - stride


@dataclass(frozen=True)
class AnswersHead:
    """A logistic head: weights over the graph's answer_features, over its own answers logit and over the
    span score, and a bias."""

    weights: np.ndarray
    logit_weight: float
    span_weight: float
    bias: float
    meta: dict

    def probability(self, features: np.ndarray, logit: float, span_score: float) -> float:
        span = span_score if np.isfinite(span_score) else 0.0
        z = float(features @ self.weights) + self.logit_weight * logit + self.span_weight * span + self.bias
        return float(1 / (1 + np.exp(-z)))


def load_head(path: Path | None) -> AnswersHead | None:
    """The head in `path` (answers_head.json), None where there is none or it cannot be read (logged)."""
    if path is None or not Path(path).is_file():
        return None
    try:
        meta = json.loads(Path(path).read_text(encoding="utf-8"))
        return AnswersHead(
            np.asarray(meta["weights"], dtype=np.float32),
            float(meta["logit_weight"]),
            float(meta["span_weight"]),
            float(meta["bias"]),
            meta,
        )
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("The answers head %s cannot be read (%s); the graph's own is used", path, exc)
        return None


def open_reader(encoder, settings) -> AnswerReader:
    """The reader over the bundled model's tokenizer and word-embedding table (the encoder's own when it
    runs the bundled model on ONNX; else the bundled model is materialised and exported for them)."""
    from qa.index.onnx_model import OnnxEncoder, embeddings_path, export

    model = encoder.load()
    if isinstance(model, OnnxEncoder):
        tokenizer, table = model.tokenizer, model.word_embeddings
    else:
        from tokenizers import Tokenizer

        from qa.index.bundled_model import materialise

        folder = materialise(settings.path(settings.model_cache))
        export(folder, "onnx")
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        table = np.load(embeddings_path(folder), mmap_mode="r")
    head = None if settings.answers_head else False
    return AnswerReader(tokenizer, table, settings.threads, settings.reader_max_tokens, head=head)


def _best_span(start: np.ndarray, end: np.ndarray) -> tuple[tuple[int, int], float]:
    """The (start, end) token pair with the highest start + end logit, end within MAX_ANSWER_TOKENS."""
    if len(start) == 0:
        return (0, 0), float("-inf")
    pair = start[:, None] + end[None, :]
    offset = np.arange(len(start))[None, :] - np.arange(len(start))[:, None]
    pair = np.where((offset >= 0) & (offset < MAX_ANSWER_TOKENS), pair, -np.inf)
    flat = int(np.argmax(pair))
    s, e = divmod(flat, len(start))
    return (s, e), float(pair[s, e])
