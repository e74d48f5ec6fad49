"""The reader's training pipeline end to end on a slice of the real CMRC 2018 train: examples, the packed
base weights, a few training steps on CPU (the loss must fall), the int8 export, and the exported graph
read by qa's own AnswerReader."""

from __future__ import annotations

import json

import numpy as np

from tests.train import needs_training_data
from tests.train import run_script as _run

pytestmark = needs_training_data


def test_train_a_few_steps_export_and_read(tmp_path):
    from qa.config import Settings
    from qa.index.bundled_model import materialise

    folder = materialise(Settings().path(Settings().model_cache))
    data = tmp_path / "data"
    out = _run("train/reader_data.py", "--tokenizer", str(folder / "tokenizer.json"), "--out", str(data), "--limit", "60", "--tune-share", "0.2")  # fmt: skip
    assert "train:" in out and "vocabulary:" in out
    _run("train/base_weights.py", "--vocab", str(data / "vocab.npy"), "--out", str(data / "base.npz"))
    runs = tmp_path / "runs"
    _run("train/train_reader.py", "--data", str(data), "--base", str(data / "base.npz"), "--out", str(runs), "--layers", "1", "--epochs", "1", "--max-steps", "16", "--batch", "8", "--lr", "3e-4", "--limit", "128", "--device", "cpu", "--log-every", "0")  # fmt: skip
    log = [json.loads(line) for line in (runs / "log.jsonl").read_text().splitlines()]
    assert log[-1]["step"] == 16
    assert log[-1]["loss_last"] < log[-1]["loss_first"], log
    tune = np.load(runs / "pred_L1_tune.npz")
    assert len(tune["score"]) == len(np.load(data / "tune.npz")["lengths"])
    graph = tmp_path / "reader.int8.onnx"
    _run("train/export_reader.py", *map(str, sorted(runs.glob("reader_L1-*.safetensors"))), "--out", str(graph))
    from tokenizers import Tokenizer

    from qa.index.onnx_model import embeddings_path, export
    from qa.search.reader import AnswerReader

    export(folder, "onnx")
    table = np.load(embeddings_path(folder), mmap_mode="r")
    reader = AnswerReader(Tokenizer.from_file(str(folder / "tokenizer.json")), table, 1, 128, graph)
    text = "浙江省举行了成果发布会。袁家军主持。"
    (reading,) = reader.read("谁主持了成果发布会？", [text])
    assert 0.0 <= reading.answers <= 1.0
    s, e = reading.span
    assert 0 <= s < e <= len(text)
