"""The answers head's pipeline end to end on a slice of CMRC 2018 train: the graph output that exposes the
head's features (added to a graph without it, found the same on the shipped one), the training windows
of every kind from qa's own first stage, the fit, and the head file read back by qa's AnswerReader."""

from __future__ import annotations

import json

from tests.train import needs_training_data
from tests.train import run_script as _run

pytestmark = needs_training_data


def test_features_windows_fit_and_read(tmp_path):
    import onnx

    from qa.search.reader import reader_files

    shipped, _ = reader_files()
    model = onnx.load(str(shipped))
    for o in [o for o in model.graph.output if o.name == "answer_features"]:
        model.graph.output.remove(o)
    for node in [n for n in model.graph.node if "answer_features" in n.output]:
        model.graph.node.remove(node)
    plain = tmp_path / "plain.onnx"
    onnx.save(model, str(plain))
    graph = tmp_path / "reader.onnx"
    out = _run("train/answer_features.py", "--graph", str(plain), "--out", str(graph))
    assert out.startswith("answer_features: ")
    assert "present" in _run("train/answer_features.py", "--graph", str(graph))  # re-running changes nothing

    windows = tmp_path / "windows.jsonl"
    out = _run("train/answer_windows.py", "--share", "0.01", "--limit", "12", "--check-share", "0.3", "--out", str(windows))  # fmt: skip
    rows = [json.loads(line) for line in windows.read_text(encoding="utf-8").splitlines()]
    kinds = {r["kind"] for r in rows}
    assert {"answer", "sibling", "first-stage", "no-sentence"} <= kinds, kinds
    assert {r["label"] for r in rows} == {0, 1} and any(r["check"] for r in rows)
    assert all(r["heading"] and r["text"] for r in rows)

    head = tmp_path / "answers_head.json"
    out = _run("train/answer_head.py", "--graph", str(graph), "--windows", str(windows), "--work", str(tmp_path), "--out", str(head))  # fmt: skip
    assert "| sibling |" in out
    meta = json.loads(head.read_text(encoding="utf-8"))
    assert len(meta["weights"]) == 384 and "CC BY-SA 4.0" in meta["licence"]

    from qa.config import Settings
    from qa.index.encoder import Encoder
    from qa.search.reader import AnswerReader

    settings = Settings.load({})
    enc = Encoder(settings).load()
    reader = AnswerReader(enc.tokenizer, enc.word_embeddings, 1, 256, graph, head)
    first = rows[0]
    (reading,) = reader.read(first["question"], [first["text"]], [first["heading"]])
    assert 0.0 <= reading.answers <= 1.0 and reading.answers != reading.graph_answers
