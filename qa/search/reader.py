"""The answer reader: reads a question with each candidate passage and marks the answer's exact span.

In:  a question and passage texts (the first stage's best candidates).
Out: one `Reading` per passage: how likely the passage answers (`answers`, 0–1, from the model's answers
     head), the best answer span as offsets inside that passage's text, and the span's score.

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

__all__ = ["AnswerReader", "Reading", "open_reader", "reader_files", "MAX_ANSWER_TOKENS"]

log = logging.getLogger(__name__)

MAX_ANSWER_TOKENS = 30  # as in training (train/train_reader.py)
MAX_QUESTION_TOKENS = 64
_PAD, _CLS, _SEP = 1, 0, 2


@dataclass(frozen=True)
class Reading:
    answers: float  # probability that the passage answers the question
    span: tuple[int, int] | None  # the answer inside the passage text; None for an empty passage
    span_score: float  # start + end logit of that span


def reader_files() -> tuple[Path, dict]:
    """The shipped graph and its description (layers, window, threshold, training data, licence)."""
    folder = Path(str(resources.files("qa.data").joinpath("reader")))
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

    def __init__(self, tokenizer, word_embeddings, threads: int, max_tokens: int = 256, graph: Path | None = None):
        import onnxruntime as ort

        shipped, self.meta = reader_files()
        graph = graph or shipped
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
            outputs = [o.name for o in self.session.get_outputs()]
            if outputs != ["start_logits", "end_logits", "answers_logit"]:
                raise ValueError(f"unexpected outputs {outputs}")
        except Exception as exc:  # noqa: BLE001 - a damaged file is reported, whatever onnxruntime raised
            raise ModelError(f"Could not load the answer reader {graph}: {exc}. Reinstall qa.") from exc
        self.tokenizer = tokenizer
        self.word_embeddings = word_embeddings
        self.max_tokens = max_tokens

    def windows(self, question: str, texts: list[str]):
        """(passage index, token ids, context offset, character offsets) per window; a passage longer than
        one window is read in windows that overlap by a third."""
        q_ids = self.tokenizer.encode(to_simplified(question), add_special_tokens=False).ids[:MAX_QUESTION_TOKENS]
        room = max(16, self.max_tokens - len(q_ids) - 4)
        stride = room // 3
        encoded = self.tokenizer.encode_batch([to_simplified(t) for t in texts], add_special_tokens=False)
        for i, enc in enumerate(encoded):
            at = 0
            while True:
                ids = enc.ids[at : at + room]
                yield i, [_CLS, *q_ids, _SEP, _SEP, *ids, _SEP], len(q_ids) + 3, enc.offsets[at : at + room]
                if at + room >= len(enc.ids):
                    break
                at += room - stride

    def read(self, question: str, texts: list[str]) -> list[Reading]:
        wins = list(self.windows(question, texts))
        best: list[Reading | None] = [None] * len(texts)
        if not wins:
            return [Reading(0.0, None, float("-inf")) for _ in texts]
        width = max(len(w[1]) for w in wins)
        ids = np.full((len(wins), width), _PAD, dtype=np.int64)
        mask = np.zeros((len(wins), width), dtype=np.int64)
        for row, (_, seq, _, _) in enumerate(wins):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        feed = {
            "inputs_embeds": np.ascontiguousarray(self.word_embeddings[ids], dtype=np.float32),
            "attention_mask": mask,
        }
        start, end, answers = self.session.run(None, feed)
        for row, (i, seq, first, offsets) in enumerate(wins):
            n = len(seq) - first - 1
            span, score = _best_span(start[row, first : first + n], end[row, first : first + n])
            reading = Reading(
                float(1 / (1 + np.exp(-answers[row]))),
                (offsets[span[0]][0], offsets[span[1]][1]) if n > 0 else None,
                score,
            )
            if best[i] is None or (reading.answers, reading.span_score) > (best[i].answers, best[i].span_score):
                best[i] = reading
        return [b or Reading(0.0, None, float("-inf")) for b in best]


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
    return AnswerReader(tokenizer, table, settings.threads, settings.reader_max_tokens)


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
