"""Export trained reader weights to the int8 ONNX graph qa ships.

In:  the `reader_L<n>-*.safetensors` shards written by train_reader.py (fp16 or fp32, without the word
     embeddings).
Out: `--out` (default qa/data/reader/reader.int8.onnx): a graph from `inputs_embeds` (float, batch ×
     tokens × 384, the rows of the bundled model's word-embedding table) and `attention_mask` to
     `start_logits`, `end_logits` (batch × tokens) and `answers_logit` (batch), every weighted MatMul
     int8 (onnxruntime's dynamic quantisation, per output channel); `--fp32` keeps an fp32 copy too.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_reader import Reader  # noqa: E402


def load(shards: list[Path]) -> Reader:
    from safetensors import safe_open

    state, config = {}, None
    for shard in shards:
        with safe_open(str(shard), "pt") as f:
            config = config or json.loads(f.metadata()["config"])
            state.update({k: f.get_tensor(k).float() for k in f.keys()})  # noqa: SIM118 - safe_open is not iterable
    model = Reader(config)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if "word_embeddings" not in m and "position_ids" not in m]
    if missing or unexpected:
        raise SystemExit(f"weights do not fit the model: missing {missing}, unexpected {unexpected}")
    return model.eval()


class FromEmbeddings(torch.nn.Module):
    def __init__(self, reader: Reader):
        super().__init__()
        self.reader = reader

    def forward(self, inputs_embeds, attention_mask):
        return self.reader(attention_mask, inputs_embeds=inputs_embeds)


def export(model: Reader, fp32_path: Path) -> None:
    from qa.index.onnx_model import TOKEN_AXES, export_from_embeddings

    outputs = {"start_logits": TOKEN_AXES, "end_logits": TOKEN_AXES, "answers_logit": {0: "batch"}}
    export_from_embeddings(FromEmbeddings(model), model.config["hidden_size"], fp32_path, outputs)


def calibration_feeds(data: Path, table, windows: int = 256, batch: int = 8):
    """Graph inputs from the first `windows` training windows (ids mapped back to the model's own)."""
    import numpy as np

    z = np.load(data / "train.npz")
    vocab = np.load(data / "vocab.npy")
    bounds = np.concatenate([[0], np.cumsum(z["lengths"])])
    for at in range(0, windows, batch):
        rows = range(at, min(at + batch, windows))
        width = max(int(z["lengths"][i]) for i in rows)
        ids = np.full((len(rows), width), 1, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for r, i in enumerate(rows):
            seq = vocab[z["ids"][bounds[i] : bounds[i + 1]]]
            ids[r, : len(seq)], mask[r, : len(seq)] = seq, 1
        yield {"inputs_embeds": np.ascontiguousarray(table[ids], dtype=np.float32), "attention_mask": mask}


def activation_ranges(fp32_path: Path, feeds) -> dict:
    """max |x| per channel of each weighted MatMul's input over the real tokens of the calibration windows."""
    import numpy as np
    import onnx
    import onnxruntime as ort

    from qa.index.smoothing import _weighted_matmuls

    model = onnx.load(str(fp32_path))
    names = sorted(_weighted_matmuls(model.graph))
    for name in names:
        model.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    outputs = [o.name for o in session.get_outputs()]
    ranges: dict = {}
    for feed in feeds:
        real = feed["attention_mask"].astype(bool)
        for name, value in zip(outputs, session.run(None, feed)):
            if name in names:
                peak = np.abs(value[real]).max(axis=0)
                ranges[name] = np.maximum(ranges[name], peak) if name in ranges else peak
    return ranges


def quantise(fp32_path: Path, out: Path, ranges: dict | None = None, alpha: float = 0.65) -> None:
    """int8 MatMuls (per output channel); with `ranges`, SmoothQuant first (qa/index/smoothing.py)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from qa.index.smoothing import smooth

    source = fp32_path
    with tempfile.TemporaryDirectory() as tmp:
        if ranges is not None:
            model = onnx.load(str(fp32_path))
            smooth(model, ranges, alpha)
            source = Path(tmp) / "smoothed.onnx"
            onnx.save(model, str(source))
        quantize_dynamic(str(source), str(out), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"])  # fmt: skip


def main(argv=None) -> None:
    here = Path(__file__).resolve().parent
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("shards", type=Path, nargs="+")
    p.add_argument("--out", type=Path, default=here.parent / "qa/data/reader/reader.int8.onnx")
    p.add_argument("--fp32", type=Path, help="also keep the fp32 graph here")
    p.add_argument("--smooth", type=Path, help="reader_data.py's folder: SmoothQuant on its first training windows")
    p.add_argument("--alpha", type=float, default=0.65)
    args = p.parse_args(argv)
    model = load(sorted(args.shards))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = args.fp32 or Path(tmp) / "reader.fp32.onnx"
        export(model, fp32)
        ranges = None
        if args.smooth:
            import numpy as np

            from qa.config import Settings
            from qa.index.bundled_model import materialise
            from qa.index.onnx_model import embeddings_path
            from qa.index.onnx_model import export as export_encoder

            folder = materialise(Settings().path(Settings().model_cache))
            export_encoder(folder, "onnx")
            table = np.load(embeddings_path(folder), mmap_mode="r")
            ranges = activation_ranges(fp32, calibration_feeds(args.smooth, table))
        quantise(fp32, args.out, ranges, args.alpha)
    print(f"{args.out}: {args.out.stat().st_size / 1e6:.1f} MB, {model.config['num_hidden_layers']} layers")


if __name__ == "__main__":
    main()
