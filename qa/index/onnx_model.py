"""The bundled model as an ONNX graph, exported locally, and a torch-free encoder that runs it.

In:  the materialised sentence-transformers folder (qa.index.bundled_model.materialise).
Out: `<folder>/onnx/model.v2.onnx` (fp32; exported once, here, with torch, never downloaded),
     optionally `<folder>/onnx/model_int8.v2.r3.onnx` (every weighted MatMul in int8 after
     SmoothQuant: qa.index.smoothing),
     and `<folder>/onnx/word_embeddings.v2.npy`, the word-embedding table both graphs start from;
     `OnnxEncoder(path).encode(texts, prompt)` → (n, dim) float32 unit vectors, the same pipeline as
     the folder's sentence-transformers modules: tokenizer.json (truncation at 512 tokens), the
     transformer, mean pooling over real tokens, L2 normalisation.

The word-embedding table (250,002 × 384 floats, 384 MB, 82% of the model) is kept out of the graph
and memory-mapped: a lookup touches only the rows of the tokens it meets, so a process that asks one
question reads a few pages of it instead of parsing 470 MB of graph (about a second of start-up).
Only onnxruntime, tokenizers and numpy are imported to encode, so such a process never imports torch
either. Export imports torch and transformers, once.
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import numpy as np

from qa.errors import ModelError
from qa.files import write_atomically

__all__ = ["OnnxEncoder", "export", "onnx_path", "embeddings_path", "EXPORT_VERSION"]

# Bump when the exported graph changes (the index's weights hash names it).
EXPORT_VERSION = 2
# Bump when the int8 recipe changes (which MatMuls are quantised): its file and weights hash change.
INT8_RECIPE = 3
FILES = {"onnx": f"model.v{EXPORT_VERSION}.onnx", "onnx-int8": f"model_int8.v{EXPORT_VERSION}.r{INT8_RECIPE}.onnx"}
WORD_EMBEDDINGS = f"word_embeddings.v{EXPORT_VERSION}.npy"
# What earlier export versions and recipes left beside the model: removed when this one exports.
_OLD_FILES = ("model.onnx", "model_int8.onnx", "model_int8.v2.onnx", "model_int8.v2.r2.onnx")
# Texts are sorted by length and cut into batches of at most this many tokens (padding included):
# short sentences go in large batches, long passages in small ones, and little is spent on padding.
BATCH_TOKENS = 4096
MAX_BATCH = 64


def onnx_path(folder: Path, kind: str) -> Path:
    return Path(folder) / "onnx" / FILES[kind]


def embeddings_path(folder: Path) -> Path:
    return Path(folder) / "onnx" / WORD_EMBEDDINGS


def _export_fp32(folder: Path, target: Path) -> None:
    """The transformer from its input embeddings on (graph), and the word-embedding table (npy)."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(folder), attn_implementation="eager")
    model.eval()
    table = model.get_input_embeddings().weight.detach().cpu().numpy().astype(np.float32)
    write_atomically(embeddings_path(folder), lambda tmp: _save_npy(tmp, table))

    class LastHidden(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, inputs_embeds, attention_mask):
            return self.bert(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state

    export_from_embeddings(LastHidden(model), table.shape[1], target, {"last_hidden_state": TOKEN_AXES})


TOKEN_AXES = {0: "batch", 1: "tokens"}


def export_from_embeddings(module, hidden_size: int, target: Path, outputs: dict[str, dict[int, str]]) -> None:
    """Export `module(inputs_embeds, attention_mask)` as qa runs its graphs (the encoder here, the answer
    reader in train/export_reader.py): word-embedding rows (batch × tokens × hidden_size, float) and the
    mask in, `outputs` (name → its dynamic axes) out."""
    import torch

    with torch.inference_mode():
        torch.onnx.export(
            module,
            (torch.zeros(2, 8, hidden_size), torch.ones(2, 8, dtype=torch.long)),
            str(target),
            input_names=["inputs_embeds", "attention_mask"],
            output_names=list(outputs),
            dynamic_axes={"inputs_embeds": TOKEN_AXES, "attention_mask": TOKEN_AXES, **outputs},
            opset_version=17,
            dynamo=False,  # the TorchScript exporter: one self-contained file, no onnxscript rewrites
        )


def _save_npy(path: Path, array: np.ndarray) -> None:
    with path.open("wb") as f:  # a file object: np.save would add ".npy" to the temporary name
        np.save(f, array)


def export(folder: Path, kind: str = "onnx") -> Path:
    """The ONNX file of `kind` ("onnx" fp32 or "onnx-int8") for the model folder, made once (each
    file written beside its target and renamed into place: `qa.files.write_atomically`)."""
    target = onnx_path(folder, kind)
    if target.is_file() and embeddings_path(folder).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    for old in _OLD_FILES:  # an earlier version's graphs (v1 held the embedding table: 400+ MB each)
        (target.parent / old).unlink(missing_ok=True)
    source = export(folder, "onnx") if kind == "onnx-int8" else None
    from .smoothing import quantise_smoothed

    try:
        if source is None:
            write_atomically(target, lambda tmp: _export_fp32(folder, tmp))
        else:
            write_atomically(target, lambda tmp: quantise_smoothed(source, tmp, folder))
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001 - exporter failures arrive as many exception types
        raise ModelError(f"Could not export the embedding model in {folder} to ONNX ({kind}): {exc}") from exc
    finally:
        for leftover in target.parent.glob("*.tmp.data"):  # large-model side files of a failed export
            shutil.rmtree(leftover, ignore_errors=True)
    return target


class OnnxEncoder:
    """An onnxruntime session and the folder's tokenizer; `encode` is safe to call from several threads."""

    def __init__(self, model_file: Path, folder: Path, threads: int, max_batch: int = MAX_BATCH):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        # The tokenizer (17 MB of JSON) loads in another thread while onnxruntime reads the graph:
        # both run outside the GIL, so on two cores start-up takes the longer of the two, not the sum.
        loaded: dict = {}
        reader = threading.Thread(
            target=lambda: loaded.update(t=Tokenizer.from_file(str(Path(folder) / "tokenizer.json")))
        )
        reader.start()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - a damaged file is reported, whatever onnxruntime raised
            raise ModelError(
                f"Could not load the ONNX model {model_file}: {exc}. Delete it to export it again."
            ) from exc
        reader.join()
        if "t" not in loaded:
            raise ModelError(
                f"Could not read the tokenizer {Path(folder) / 'tokenizer.json'}; delete the folder to rebuild it."
            )
        self.tokenizer = loaded["t"]
        # Memory-mapped: the pages of the rows a text's tokens name are read, not the 384 MB table.
        self.word_embeddings = np.load(embeddings_path(folder), mmap_mode="r")
        max_len = json.loads((Path(folder) / "sentence_bert_config.json").read_text(encoding="utf-8"))["max_seq_length"]
        self.tokenizer.enable_truncation(max_len)
        self.tokenizer.no_padding()
        config = json.loads((Path(folder) / "config_sentence_transformers.json").read_text(encoding="utf-8"))
        self.prompts: dict[str, str] = config.get("prompts") or {}
        self.pad_id = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8")).get("pad_token_id", 1)
        self.dim = int(self.session.get_outputs()[0].shape[-1])
        self.max_batch = max_batch

    def token_ids(self, texts: list[str], prompt: str) -> list[list[int]]:
        prefix = self.prompts.get(prompt, "")
        return [e.ids for e in self.tokenizer.encode_batch([prefix + t for t in texts])]

    def batches(self, texts: list[str], prompt: str):
        """(positions, graph inputs) per batch: texts sorted by length, at most `max_batch` texts and
        BATCH_TOKENS tokens (padding included) each."""
        ids = self.token_ids(list(texts), prompt)
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        at = 0
        while at < len(order):
            longest = len(ids[order[at]])  # sorted longest first: the batch's first text sets its width
            size = max(1, min(self.max_batch, BATCH_TOKENS // max(longest, 1)))
            batch = order[at : at + size]
            at += size
            input_ids = np.full((len(batch), longest), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(batch), longest), dtype=np.int64)
            for row, i in enumerate(batch):
                input_ids[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = 1
            embeds = np.ascontiguousarray(self.word_embeddings[input_ids], dtype=np.float32)
            yield batch, {"inputs_embeds": embeds, "attention_mask": mask}

    def encode(self, texts: list[str], prompt: str) -> np.ndarray:
        """(n, dim) float32 unit vectors in input order."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for batch, feed in self.batches(texts, prompt):
            hidden = self.session.run(None, feed)[0]
            weights = feed["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            out[batch] = pooled
        return out
