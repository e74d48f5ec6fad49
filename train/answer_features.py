"""Give the reader graph an `answer_features` output: the first token's hidden state its answers head reads.

    python train/answer_features.py --graph qa/data/reader/reader.int8.onnx            # in place
    python train/answer_features.py --graph in.onnx --out out.onnx

In:  a reader graph (train/export_reader.py's, int8 or fp32, quantised dynamically or with
     Quantize/Dequantize pairs) whose output `answers_logit` comes from a linear head.
Out: the same graph with one more output, `answer_features` (batch × hidden, float): the tensor that
     feeds the answers head's MatMul/Gemm, before any quantisation of it. Nothing else changes, so
     `start_logits`, `end_logits` and `answers_logit` read as before; a graph that has the output
     already is left as it is.

The only thing assumed of the graph is that `answers_logit` is a linear head over one float tensor:
walking back from that output to the first MatMul / Gemm / MatMulInteger / QLinearMatMul, its input
that is not a weight, followed back through (Dynamic)QuantizeLinear / DequantizeLinear, is the feature.
train/answer_head.py fits a new head on it; qa/search/reader.py applies it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

OUTPUT = "answer_features"
_LINEAR = {"MatMul", "Gemm", "MatMulInteger", "QLinearMatMul"}
_QUANTISE = {"DynamicQuantizeLinear", "QuantizeLinear", "DequantizeLinear"}


def head_input(model, logit: str = "answers_logit") -> str:
    """The name of the float tensor the answers head multiplies by its weights."""
    graph = model.graph
    producer = {out: node for node in graph.node for out in node.output}
    constant = {i.name for i in graph.initializer} | {
        out for node in graph.node if node.op_type == "Constant" for out in node.output
    }

    def is_weight(name: str) -> bool:  # an initializer, maybe through a DequantizeLinear / Transpose
        node = producer.get(name)
        if name in constant:
            return True
        weightish = node is not None and node.op_type in _QUANTISE | {"Transpose", "Cast"}
        return weightish and all(is_weight(i) for i in node.input if i)

    todo, seen = [logit], set()
    while todo:
        name = todo.pop(0)
        node = producer.get(name)
        if node is None or name in seen:
            continue
        seen.add(name)
        if node.op_type in _LINEAR:
            operands = [node.input[0], node.input[3]] if node.op_type == "QLinearMatMul" else node.input[:2]
            inputs = [i for i in operands if not is_weight(i)]
            if len(inputs) != 1:
                raise ValueError(f"{node.name}: expected one activation input, got {inputs}")
            feature = inputs[0]
            while feature in producer and producer[feature].op_type in _QUANTISE:
                feature = producer[feature].input[0]
            return feature
        todo.extend(i for i in node.input if i and i not in constant)
    raise ValueError(f"no linear head found behind {logit}")


def add_output(graph_path: Path, out: Path) -> str:
    import onnx

    model = onnx.load(str(graph_path))
    names = [o.name for o in model.graph.output]
    if OUTPUT in names:
        if out != graph_path:
            onnx.save(model, str(out))
        return "present"
    feature = head_input(model)
    if not any(OUTPUT in node.output for node in model.graph.node):
        model.graph.node.append(onnx.helper.make_node("Identity", [feature], [OUTPUT], name="answer_features_out"))
    model.graph.output.append(onnx.helper.make_tensor_value_info(OUTPUT, onnx.TensorProto.FLOAT, ["batch", None]))
    onnx.checker.check_model(model)
    onnx.save(model, str(out))
    return feature


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--graph", type=Path, required=True)
    p.add_argument("--out", type=Path, help="default: the graph itself")
    args = p.parse_args(argv)
    feature = add_output(args.graph, args.out or args.graph)
    print(f"{OUTPUT}: {feature}")


if __name__ == "__main__":
    main()
