"""SmoothQuant for the int8 encoder: move activation outliers into the weights before quantising.

In:  the fp32 ONNX graph (qa.index.onnx_model) and the calibration texts in qa/data/int8_calibration.txt.
Out: `quantise_smoothed(source, target, folder)` writes the int8 graph: before each MatMul that reads a
     constant weight W, its input X is multiplied by 1/s per channel and W's rows by s (X·W is unchanged
     in exact arithmetic); then onnxruntime's dynamic quantisation turns every such MatMul to int8.

Why: dynamic quantisation gives a whole activation tensor one int8 scale. In this model a few channels
reach 20–70 where the median channel is about 1 (the attention LayerNorm's output, the GELU's output),
so the other channels are rounded to a handful of levels. With s_j = max|X_j|^α / max|W_j|^(1−α)
(Xiao et al., "SmoothQuant", ICML 2023) the activation ranges even out and the weights, quantised per
output channel, absorb the difference. Measured against the fp32 graph on 520 CMRC texts it does not
see (passages and sentences): cosine min / mean 0.9939 / 0.99702 without smoothing, 0.9987 / 0.99931
with α = 0.65 and batches of at most 8 texts (one scale per batch: fewer texts, fewer outliers share it).
"""

from __future__ import annotations

import tempfile
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = ["quantise_smoothed", "calibration_texts", "ALPHA", "INT8_MAX_BATCH"]

# How much of each channel's range moves into the weights (0: none, 1: all). 0.6–0.7 agreed best with
# fp32 (0.5: cosine mean 0.99756, 0.65: 0.99910, 0.85: 0.99796, all with batches of 64).
ALPHA = 0.65
# At most this many texts share one activation scale in the int8 graph.
INT8_MAX_BATCH = 8


def calibration_texts() -> list[str]:
    text = resources.files("qa.data").joinpath("int8_calibration.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _weighted_matmuls(graph) -> dict[str, list]:
    """MatMul nodes that multiply by a constant weight, grouped by the activation they read (the query,
    key and value projections read one tensor and share one smoothing)."""
    constants = {init.name for init in graph.initializer}
    groups: dict[str, list] = {}
    for node in graph.node:
        if node.op_type == "MatMul" and node.input[1] in constants:
            groups.setdefault(node.input[0], []).append(node)
    return groups


def activation_ranges(source: Path, folder: Path, texts: list[str]) -> dict[str, np.ndarray]:
    """max |x| per channel of each MatMul input over the real tokens of `texts`, with either prompt."""
    import onnx

    from .onnx_model import OnnxEncoder

    model = onnx.load(str(source))
    names = sorted(_weighted_matmuls(model.graph))
    for name in names:  # the probe graph also returns each MatMul's input
        model.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    ranges: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory(dir=Path(source).parent) as tmp:
        probe = Path(tmp) / "probe.onnx"
        onnx.save(model, str(probe))
        encoder = OnnxEncoder(probe, folder, threads=2, max_batch=16)
        outputs = [o.name for o in encoder.session.get_outputs()]
        for prompt in ("passage", "query"):
            for _, feed in encoder.batches(texts, prompt):
                real = feed["attention_mask"].astype(bool)
                for name, value in zip(outputs, encoder.session.run(None, feed)):
                    if name in names:
                        peak = np.abs(value[real]).max(axis=0)
                        ranges[name] = np.maximum(ranges[name], peak) if name in ranges else peak
        del encoder
    return ranges


def smooth(model, ranges: dict[str, np.ndarray], alpha: float = ALPHA) -> None:
    """Insert the per-channel Mul before each weighted MatMul group and scale its weights, in place."""
    from onnx import helper, numpy_helper

    graph = model.graph
    weights = {init.name: init for init in graph.initializer}
    inserted = []
    for name, nodes in _weighted_matmuls(graph).items():
        arrays = [numpy_helper.to_array(weights[node.input[1]]) for node in nodes]
        weight_peak = np.max([np.abs(w).max(axis=1) for w in arrays], axis=0)
        scale = np.maximum(ranges[name], 1e-5) ** alpha / np.maximum(weight_peak, 1e-5) ** (1 - alpha)
        scale = np.clip(scale, 1e-3, 1e3).astype(np.float32)
        for node, array in zip(nodes, arrays):
            weights[node.input[1]].CopyFrom(numpy_helper.from_array(array * scale[:, None], node.input[1]))
            node.input[0] = f"{name}/smoothed"
        graph.initializer.append(numpy_helper.from_array((1.0 / scale).astype(np.float32), f"{name}/smoothing"))
        inserted.append(
            helper.make_node("Mul", [name, f"{name}/smoothing"], [f"{name}/smoothed"], name=f"{name}/Smooth")
        )
    for node in inserted:  # right after the node that makes its input: the graph stays in topological order
        producer = next((i for i, n in enumerate(graph.node) if node.input[0] in n.output), -1)
        graph.node.insert(producer + 1, node)


def quantise_smoothed(source: Path, target: Path, folder: Path) -> None:
    """The int8 graph of `source` (fp32) written to `target`: smoothed, then every weighted MatMul int8."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    ranges = activation_ranges(source, folder, calibration_texts())
    model = onnx.load(str(source))
    smooth(model, ranges)
    with tempfile.TemporaryDirectory(dir=Path(target).parent) as tmp:
        smoothed = Path(tmp) / "smoothed.onnx"
        onnx.save(model, str(smoothed))
        quantize_dynamic(str(smoothed), str(target), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"])  # fmt: skip
