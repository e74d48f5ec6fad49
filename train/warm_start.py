"""The shipped reader's weights, back as a PyTorch state dict, to start a training run from them.

In:  an int8 reader graph as train/export_reader.py writes it (qa/data/reader/reader.int8.onnx: dynamic
     int8 MatMuls after SmoothQuant).
Out: `graph_state_dict(graph)`: {name: fp32 array} for every tensor of train_reader.Reader but the word
     embeddings (the graph starts from `inputs_embeds`; training takes them from base.npz, frozen).

Each weight is the int8 one times its scale (train/requantise.dequantise), with SmoothQuant's per-channel
multiplication folded back in: the graph computes (x · m) @ W', so the Linear's weight is (diag(m) W')ᵀ.
The fp32 training weights of a shipped graph are not kept, so this is how a run warm-starts from it; the
int8 rounding stays in the starting point (tests/train/test_warm_start.py: the rebuilt model reads as
the dequantised graph to 1e-3).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Ops that only pick or reshape rows: a smoothing Mul before them still scales the MatMul's input.
_PASS_THROUGH = {"Gather", "Slice", "Squeeze", "Unsqueeze", "Reshape", "Identity"}


def graph_state_dict(graph: Path) -> dict[str, np.ndarray]:
    import onnx
    from onnx import numpy_helper
    from requantise import dequantise

    model = dequantise(onnx.load(str(graph)))
    inits = {i.name: numpy_helper.to_array(i).astype(np.float32) for i in model.graph.initializer}
    producer = {o: n for n in model.graph.node for o in n.output}
    state: dict[str, np.ndarray] = {}

    def smoothing(tensor: str) -> np.ndarray | None:
        node = producer.get(tensor)
        while node is not None and node.op_type in _PASS_THROUGH:
            node = producer.get(node.input[0])
        if node is None or node.op_type != "Mul":
            return None
        return next((inits[i] for i in node.input if i in inits and i.endswith("smoothing")), None)

    for node in model.graph.node:
        if node.op_type == "MatMul" and node.input[1] in inits:
            module = node.name.removeprefix("/reader/").rsplit("/", 1)[0].replace("/", ".")
            weight = inits[node.input[1]]
            scale = smoothing(node.input[0])
            if scale is not None:
                weight = scale[:, None] * weight
            state[f"{module}.weight"] = np.ascontiguousarray(weight.T)
    for name, value in inits.items():
        if name.startswith("reader.") and not name.endswith("_Transposed"):
            state[name.removeprefix("reader.")] = value
    return state


def load_into(model, graph: Path) -> None:
    """Overwrite every tensor of `model` (a train_reader.Reader) but the word embeddings with the graph's."""
    import torch

    state = graph_state_dict(graph)
    own = model.state_dict()
    wanted = {k for k in own if "word_embeddings" not in k and "position_ids" not in k}
    missing, extra = wanted - set(state), set(state) - set(own)
    if missing or extra:
        raise SystemExit(f"the graph {graph} does not fit the model: missing {sorted(missing)}, extra {sorted(extra)}")
    for name in wanted:
        if tuple(own[name].shape) != state[name].shape:
            raise SystemExit(f"{name}: the graph has {state[name].shape}, the model {tuple(own[name].shape)}")
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=False)


def graph_layers(graph: Path) -> int:
    """How many transformer layers the graph has."""
    import onnx

    names = {n.name for n in onnx.load(str(graph)).graph.node}
    return sum(1 for i in range(64) if any(f"/layer.{i}/" in n for n in names))
