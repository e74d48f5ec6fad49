"""Re-quantise the shipped reader graph so that a window reads the same alone and in a padded batch.

In:  `--graph` (default qa/data/reader/reader.int8.onnx): the reader as train/export_reader.py writes it,
     onnxruntime's dynamic int8 quantisation after SmoothQuant, and calibration windows: questions of
     CMRC 2018 train read with their paragraph under its title, as qa's reader cuts them (never the dev
     or benchmark sets).
Out: `--fp32` (optional): the fp32 graph rebuilt from the int8 one, every MatMulInteger's weight turned
     back to int8 × scale (its zero point subtracted), SmoothQuant's per-channel Mul kept before it;
     `--out`: that graph statically quantised (QDQ, int8 weights per output channel, one fixed scale
     per activation tensor: its MinMax range on the calibration windows), the feed-forward output
     MatMuls left fp32 (`--keep-fp32`; their input, the GELU's output, has outliers one fixed scale
     cannot hold); or with `--method fp32` the fp32 graph itself. Inputs and outputs keep their names,
     so any further output (a new head) passes through. The input must be a dynamic int8 graph (an
     export_reader.py output), not this script's own output.

Why: dynamic quantisation takes each activation tensor's scale from the batch it is given, so a window's
reading moved with its neighbours and the padding. Fixed scales make a reading a function of the
window alone, and the windows of all candidates can run in one padded batch.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHIPPED = ROOT / "qa/data/reader/reader.int8.onnx"
CMRC_TRAIN = ROOT.parent / "shared/training/cmrc2018/cmrc2018_train.json"


def dequantise(model: onnx.ModelProto) -> onnx.ModelProto:
    """The fp32 graph the int8 one computes with exact activations: DynamicQuantizeLinear → MatMulInteger →
    Cast → Mul(scale) becomes one MatMul by the dequantised weight. Everything else is left as it was."""
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    producer = {o: n for n in graph.node for o in n.output}
    consumers: dict[str, list] = {}
    for n in graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    dropped, added, weights = set(), {}, []
    for node in graph.node:
        if node.op_type != "MatMulInteger":
            continue
        a_q, b_q, _a_zp, b_zp = node.input
        quantiser = producer[a_q]
        (cast,) = consumers[node.output[0]]
        (scaling,) = consumers[cast.output[0]]
        scales = producer[next(i for i in scaling.input if i != cast.output[0])]  # a_scale × b_scale
        b_scale = next(i for i in scales.input if i in inits)
        w = numpy_helper.to_array(inits[b_q]).astype(np.float32)
        zero = numpy_helper.to_array(inits[b_zp]).astype(np.float32)
        weight = (w - zero) * numpy_helper.to_array(inits[b_scale]).astype(np.float32)
        name = b_q.removesuffix("_quantized")
        weights.append(numpy_helper.from_array(weight, name))
        added[id(scaling)] = helper.make_node("MatMul", [quantiser.input[0], name], scaling.output, node.name.removesuffix("_quant"))  # fmt: skip
        dropped |= {id(quantiser), id(node), id(cast), id(scales)}
    nodes = [added.get(id(n), n) for n in graph.node if id(n) not in dropped]
    del graph.node[:]
    graph.node.extend(nodes)
    used = {i for n in graph.node for i in n.input}
    kept = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept + weights)
    onnx.checker.check_model(model)
    return model


def calibration_windows(reader, questions: int, skip: int = 0):
    """Token-id windows of CMRC 2018 train questions with their paragraph under its article's title."""
    data = json.loads(CMRC_TRAIN.read_text(encoding="utf-8"))["data"]
    seen = 0
    for article in data:
        for para in article["paragraphs"]:
            for qa in para["qas"][:1]:  # one question a paragraph: more paragraphs, the same count
                seen += 1
                if seen <= skip:
                    continue
                if seen > skip + questions:
                    return
                for _, ids, _, _ in reader.windows(qa["question"], [para["context"]], [article.get("title", "")]):
                    yield ids


def weighted_matmuls(model: onnx.ModelProto) -> list[str]:
    inits = {i.name for i in model.graph.initializer}
    return [n.name for n in model.graph.node if n.op_type == "MatMul" and n.input[1] in inits]


# The feed-forward output MatMuls. F1 on the first 400 CMRC 2018 dev questions: 79.25 the dynamic graph,
# 64.57 all int8 (MinMax; 67.66 Percentile 99.999), 78.94 with these fp32.
KEEP_FP32 = r"layer\.\d+/output/dense"
STRIDE = 1  # windows a calibration stride: a histogram takes windows of one length at a time


def quantise_static(fp32: Path, out: Path, windows: list, method: str, keep: tuple[str, ...] = (), cache: Path | None = None, uint8: bool = False) -> None:  # fmt: skip
    """QDQ int8 for every weighted MatMul but those whose name matches one of the regexes `keep` (left fp32)."""
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType
    from onnxruntime.quantization import quantize_static as quantize

    class Feeds(CalibrationDataReader):
        """The windows in strides: a histogram calibrator keeps every activation of a stride in memory."""

        def __init__(self):
            self.set_range(0, len(windows))

        def __len__(self):
            return len(windows)

        def set_range(self, start_index: int, end_index: int):
            self.feeds = iter(windows[start_index:end_index])

        def get_next(self):
            return next(self.feeds, None)

    calibrate = {"minmax": CalibrationMethod.MinMax, "percentile": CalibrationMethod.Percentile,
                 "entropy": CalibrationMethod.Entropy}[method]  # fmt: skip
    nodes = [n for n in weighted_matmuls(onnx.load(str(fp32))) if not any(re.search(k, n) for k in keep)]
    quantize(
        str(fp32), str(out), Feeds(), quant_format=QuantFormat.QDQ, op_types_to_quantize=["MatMul"],
        nodes_to_quantize=nodes, per_channel=True, activation_type=QuantType.QUInt8 if uint8 else QuantType.QInt8, weight_type=QuantType.QInt8,
        calibrate_method=calibrate, calibration_cache_path=cache, extra_options={"CalibPercentile": 99.999, "CalibStridedMinMax": STRIDE},
    )  # fmt: skip


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--graph", type=Path, default=SHIPPED, help="the dynamic int8 graph to start from")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--fp32", type=Path, help="also keep the dequantised fp32 graph here")
    p.add_argument("--method", choices=["minmax", "percentile", "entropy", "fp32"], default="minmax")
    p.add_argument(
        "--keep-fp32", action="append", help=f"MatMuls whose name matches this regex stay fp32 (default: {KEEP_FP32})"
    )
    p.add_argument("--cache", type=Path, help="calibration ranges: read if there (same --method), else written")
    p.add_argument("--uint8", action="store_true", help="uint8 activations (int8 weights) instead of int8")
    p.add_argument("--questions", type=int, default=200, help="CMRC 2018 train questions to calibrate on")
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT / "bench"))
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = args.fp32 or Path(tmp) / "reader.fp32.onnx"
        onnx.save(dequantise(onnx.load(str(args.graph))), str(fp32))
        if args.method == "fp32":
            onnx.save(onnx.load(str(fp32)), str(args.out))
        else:
            from reading import open_reader

            reader = open_reader(fp32, 256)
            windows = [
                {
                    "inputs_embeds": np.ascontiguousarray(reader.word_embeddings[np.asarray([ids])], np.float32),
                    "attention_mask": np.ones((1, len(ids)), np.int64),
                }
                for ids in calibration_windows(reader, args.questions)
            ]
            quantise_static(
                fp32, args.out, windows, args.method, tuple(args.keep_fp32 or [KEEP_FP32]), args.cache, args.uint8
            )
            print(f"calibrated on {len(windows)} windows ({args.questions} CMRC 2018 train questions)")
    print(f"{args.out}: {args.out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
