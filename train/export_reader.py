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
            state.update({k: f.get_tensor(k).float() for k in f.keys()})
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
    embeds = torch.zeros(2, 8, model.config["hidden_size"])
    dynamic = {0: "batch", 1: "tokens"}
    with torch.inference_mode():
        torch.onnx.export(
            FromEmbeddings(model),
            (embeds, torch.ones(2, 8, dtype=torch.long)),
            str(fp32_path),
            input_names=["inputs_embeds", "attention_mask"],
            output_names=["start_logits", "end_logits", "answers_logit"],
            dynamic_axes={
                "inputs_embeds": dynamic,
                "attention_mask": dynamic,
                "start_logits": dynamic,
                "end_logits": dynamic,
                "answers_logit": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )


def quantise(fp32_path: Path, out: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32_path), str(out), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"])  # fmt: skip


def main(argv=None) -> None:
    here = Path(__file__).resolve().parent
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("shards", type=Path, nargs="+")
    p.add_argument("--out", type=Path, default=here.parent / "qa/data/reader/reader.int8.onnx")
    p.add_argument("--fp32", type=Path, help="also keep the fp32 graph here")
    args = p.parse_args(argv)
    model = load(sorted(args.shards))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = args.fp32 or Path(tmp) / "reader.fp32.onnx"
        export(model, fp32)
        quantise(fp32, args.out)
    print(f"{args.out}: {args.out.stat().st_size / 1e6:.1f} MB, {model.config['num_hidden_layers']} layers")


if __name__ == "__main__":
    main()
