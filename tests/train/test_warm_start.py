"""The reader's second training run: windows cut as qa reads them (under their headings, with the ranking
windows added), and a warm start from the shipped int8 graph whose rebuilt weights read as that graph."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.train import ROOT, TRAIN, needs_training_data
from tests.train import run_script as _run

pytestmark = needs_training_data


@pytest.fixture(scope="module")
def bundled():
    from qa.config import Settings
    from qa.index.bundled_model import materialise

    return materialise(Settings().path(Settings().model_cache))


def _ranking_windows(path: Path) -> list[dict]:
    """Two windows of a real training question: its answer's sentence (label 1) and the paragraph without
    it (label 0), in answer_windows.py's shape."""
    article = json.loads(TRAIN.read_text(encoding="utf-8"))["data"][0]
    para = article["paragraphs"][0]
    qa = para["qas"][0]
    answer = qa["answers"][0]["text"]
    at = para["context"].index(answer)
    holding = para["context"][max(0, at - 30) : at + len(answer) + 30]
    rest = para["context"].replace(holding, "")[:120]
    rows = [
        {
            "qid": qa["id"],
            "question": qa["question"],
            "heading": article["title"],
            "text": holding,
            "label": 1,
            "kind": "answer",
            "check": False,
        },  # fmt: skip
        {
            "qid": qa["id"],
            "question": qa["question"],
            "heading": article["title"],
            "text": rest,
            "label": 0,
            "kind": "sibling",
            "check": False,
        },  # fmt: skip
        {
            "qid": qa["id"],
            "question": qa["question"],
            "heading": article["title"],
            "text": holding,
            "label": 1,
            "kind": "answer-size",
            "check": True,
        },  # fmt: skip
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return rows


def test_windows_are_cut_as_qa_reads_them_with_the_ranking_windows(tmp_path, bundled):
    from tokenizers import Tokenizer

    from qa.search.reader import reader_windows

    rows = _ranking_windows(tmp_path / "windows.jsonl")
    data = tmp_path / "data"
    out = _run("train/reader_data.py", "--tokenizer", str(bundled / "tokenizer.json"), "--out", str(data), "--limit", "40", "--tune-share", "0.2", "--headings", "--max-len", "256", "--windows", str(tmp_path / "windows.jsonl"))  # fmt: skip
    assert "rank_check:" in out
    z = np.load(data / "train.npz")
    vocab = np.load(data / "vocab.npy")
    bounds = np.concatenate([[0], np.cumsum(z["lengths"])])
    kinds = z["kind"].tolist()
    assert kinds.count("rank-answer") == 1 and kinds.count("rank-sibling") == 1
    tokenizer = Tokenizer.from_file(str(bundled / "tokenizer.json"))
    tokenizer.no_padding()
    for kind, row in (("rank-answer", rows[0]), ("rank-sibling", rows[1])):
        i = kinds.index(kind)
        ids = vocab[z["ids"][bounds[i] : bounds[i + 1]]].tolist()
        (_, expected, first, _offsets), *more = reader_windows(tokenizer, row["question"], [row["text"]], [row["heading"]], 256)  # fmt: skip
        assert not more and ids == expected and z["context_start"][i] == first  # the very tokens qa reads
        answer = json.loads(TRAIN.read_text(encoding="utf-8"))["data"][0]["paragraphs"][0]["qas"][0]["answers"][0]["text"]  # fmt: skip
        if kind == "rank-answer":
            span = tokenizer.decode(ids[z["start"][i] : z["end"][i] + 1]).replace(" ", "")
            assert z["answers"][i] == 1 and answer.replace(" ", "") in span and len(span) <= len(answer) + 2
        else:
            assert z["answers"][i] == 0 and z["start"][i] == z["end"][i] == 0
    check = np.load(data / "rank_check.npz")
    assert check["kind"].tolist() == ["rank-answer-size"] and "offsets" in check.files


def test_warm_start_reads_as_the_shipped_graph_and_trains(tmp_path, bundled):
    import onnx
    import onnxruntime as ort
    import torch

    sys.path.insert(0, str(ROOT / "train"))
    from base_weights import state_dict
    from requantise import dequantise
    from train_reader import Reader, load_split, tensors
    from warm_start import graph_layers, load_into

    from qa.search.reader import reader_files

    graph, meta = reader_files()
    data = tmp_path / "data"
    _run("train/reader_data.py", "--tokenizer", str(bundled / "tokenizer.json"), "--out", str(data), "--limit", "30", "--tune-share", "0.2", "--headings", "--max-len", "256")  # fmt: skip
    _run("train/base_weights.py", "--vocab", str(data / "vocab.npy"), "--out", str(data / "base.npz"))
    layers = graph_layers(graph)
    assert layers == meta["layers"]
    config, sd = state_dict(data / "base.npz", layers)
    model = Reader(config)
    model.bert.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()}, strict=False)
    before = model.span.weight.detach().clone()
    load_into(model, graph)
    assert not torch.equal(before, model.span.weight)
    model.eval()
    fp32 = ort.InferenceSession(dequantise(onnx.load(str(graph))).SerializeToString(), providers=["CPUExecutionProvider"])  # fmt: skip
    table = model.bert.embeddings.word_embeddings.weight.detach().numpy()
    split = load_split(data / "tune.npz")
    for row in range(3):
        ids, mask, *_ = tensors(split, [row], "cpu")
        with torch.no_grad():
            start, _end, logit = model(mask, input_ids=ids)
        feed = {"inputs_embeds": table[ids.numpy()].astype(np.float32), "attention_mask": mask.numpy()}
        graph_start, _, graph_logit = fp32.run(["start_logits", "end_logits", "answers_logit"], feed)
        # SmoothQuant's scaling folded back: the rebuilt weights compute what the graph computes
        assert abs(float(graph_logit[0]) - logit.item()) < 1e-3
        assert np.abs(graph_start[0] - start[0].numpy()).max() < 1e-2

    runs = tmp_path / "runs"
    out = _run("train/train_reader.py", "--data", str(data), "--base", str(data / "base.npz"), "--out", str(runs), "--layers", str(layers), "--epochs", "1", "--max-steps", "2", "--batch", "4", "--lr", "1e-5", "--limit", "16", "--device", "cpu", "--log-every", "0", "--init", str(graph), "--start-figures", "--span-on-answering", "--save")  # fmt: skip
    log = [json.loads(line) for line in (runs / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == [0, 1], out
    # the warm start reads the tune windows well before a single step (a cold start reads ~none exactly)
    assert log[0]["span_em"] > 0.3, log[0]
