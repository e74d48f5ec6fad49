"""The embedding model behind dense retrieval: resolves settings.model to a folder and encodes text.

In:  settings.model, settings.encoder_backend, settings.threads.
Out: `encode_queries` / `encode_passages` → (n, dim) float32 unit vectors; `model_id` and `weights_hash`
     (what an index records, so vectors from another model or backend are never mixed).

The default, "bundled:multilingual-e5-small", is built locally from packaged weights
(see qa.index.bundled_model), so nothing reaches the network unless allow_download is on. For it,
encoder_backend picks the runtime: "onnx-int8" (the default: the graph exported locally once,
smoothed and quantised to int8 (qa.index.smoothing), run by onnxruntime; no torch import), "onnx" (the
same graph in fp32: torch's vectors) or "torch" (sentence-transformers).
Any other model runs on sentence-transformers.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from pathlib import Path

import numpy as np

from qa.errors import ModelError
from qa.files import file_sha256

__all__ = ["Encoder", "BUNDLED"]

BUNDLED = "bundled:multilingual-e5-small"
_WEIGHT_PATTERNS = ("*.safetensors", "pytorch_model*.bin")


def _weights_sha256(files: list[Path], root: Path) -> str:
    """One file: its own sha256 (matches `sha256sum`). Several: a digest of names and digests."""
    if not files:
        raise ModelError(f"No weights file (*.safetensors or pytorch_model*.bin) found under {root}.")
    if len(files) == 1:
        return file_sha256(files[0])
    h = hashlib.sha256()
    for f in sorted(files):
        h.update(f"{f.relative_to(root).as_posix()}\0{file_sha256(f)}\n".encode())
    return h.hexdigest()


class Encoder:
    """Lazily loaded embedding model (ONNX or sentence-transformers); thread-safe to share across requests."""

    def __init__(self, settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._model = None
        self._path: Path | None = None
        self._hash: str | None = None

    @property
    def backend(self) -> str:
        """The runtime actually used: an ONNX backend applies to the bundled model only."""
        return self.settings.encoder_backend if self.settings.model == BUNDLED else "torch"

    @property
    def model_id(self) -> str:
        name = self.settings.model
        if name == BUNDLED:
            return name
        folder = self.settings.path(name)
        return str(folder) if folder.is_dir() else name

    def _resolve(self) -> str:
        """A local folder to load from, or a hub id when downloads are allowed."""
        name = self.settings.model
        if name == BUNDLED:
            from .bundled_model import materialise

            self._path = materialise(self.settings.path(self.settings.model_cache))
            return str(self._path)
        folder = self.settings.path(name)
        if folder.is_dir():
            self._path = folder
            return str(folder)
        if not self.settings.allow_download:
            raise ModelError(
                f"Model {name!r} is not a local folder and downloads are off; set QA_ALLOW_DOWNLOAD=1 "
                f"or pass a folder holding a sentence-transformers model (or use {BUNDLED!r})."
            )
        return name

    def load(self):
        """Load the model now (e.g. to warm up a server); later calls are free."""
        with self._lock:
            if self._model is not None:
                return self._model
            if not self.settings.allow_download:
                # huggingface_hub reads these when first imported, so they must be set before.
                os.environ["HF_HUB_OFFLINE"] = "1"
                os.environ["TRANSFORMERS_OFFLINE"] = "1"
            source = self._resolve()
            if self.backend != "torch":
                from .onnx_model import MAX_BATCH, OnnxEncoder, export
                from .smoothing import INT8_MAX_BATCH

                batch = INT8_MAX_BATCH if self.backend == "onnx-int8" else MAX_BATCH
                self._model = OnnxEncoder(export(self._path, self.backend), self._path, self.settings.threads, batch)
                return self._model
            import torch
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # a "Loading weights" bar on every start is noise to users

            torch.set_num_threads(self.settings.threads)
            try:
                model = SentenceTransformer(source, device="cpu")
            except Exception as exc:  # noqa: BLE001 - any loader failure means the same to the user
                raise ModelError(f"Could not load the embedding model {self.model_id!r}: {exc}") from exc
            model.eval()
            self._model = model
            return model

    @property
    def dim(self) -> int:
        model = self.load()
        if self.backend != "torch":
            return model.dim
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get_dim())

    @property
    def weights_hash(self) -> str:
        if self._hash is None:
            self._hash = self._compute_hash()
        return self._hash

    def prefetch(self) -> None:
        """Start loading the model in a background thread: the runtime and tokenizer load (mostly
        outside the GIL) while the caller opens the index. Errors surface at the next `load()`."""
        if self._model is None:
            # Not a daemon: a process that ends (an error, an answer from the keyword side alone) while
            # onnxruntime is still creating its session inside this thread aborts ("terminate called
            # without an active exception", exit 134) if the interpreter tears the thread down.
            threading.Thread(target=self._load_quietly, name="qa-encoder-load", daemon=False).start()

    def _load_quietly(self) -> None:
        with contextlib.suppress(Exception):
            self.load()

    def _compute_hash(self) -> str:
        if self.settings.model == BUNDLED:
            if self._path is None:
                self._resolve()  # the hash is recorded beside the weights: no need to load the model
            meta = json.loads((self._path / "qa-model.json").read_text(encoding="utf-8"))
            if self.backend in ("torch", "onnx"):
                # fp32 under either runtime: the same vectors (cosine 0.9999999 on 100 CMRC passages),
                # so an index built by one is searched by the other without a rebuild.
                return meta["weights_sha256"]
            from .onnx_model import EXPORT_VERSION, INT8_RECIPE

            # int8 gives slightly other vectors: another hash, so an index is rebuilt rather than
            # mixing them. Derived, not hashed from the .onnx file, so that every machine exporting the
            # same weights agrees.
            tag = f"{meta['weights_sha256']}:{self.backend}:v{EXPORT_VERSION}" + (
                f":r{INT8_RECIPE}" if self.backend == "onnx-int8" else ""
            )
            return hashlib.sha256(tag.encode()).hexdigest()
        model = self.load()
        if self._path is not None:
            files = [f for pattern in _WEIGHT_PATTERNS for f in self._path.rglob(pattern)]
            return _weights_sha256(files, self._path)
        from huggingface_hub import try_to_load_from_cache

        for filename in ("model.safetensors", "pytorch_model.bin"):
            cached = try_to_load_from_cache(self.settings.model, filename)
            if isinstance(cached, str):
                return file_sha256(Path(cached))
        # Unusual hub layouts (sharded, renamed): fall back to the loaded parameters themselves.
        h = hashlib.sha256()
        for key, tensor in sorted(model.state_dict().items()):
            h.update(key.encode())
            h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        return h.hexdigest()

    def _encode(self, texts: list[str], prompt: str, batch_size: int, show_progress: bool) -> np.ndarray:
        model = self.load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.backend != "torch":
            return model.encode(list(texts), prompt)  # sorts by token count and batches by tokens itself
        import torch

        with torch.inference_mode():
            vectors = model.encode(
                list(texts),
                prompt_name=prompt if prompt in (model.prompts or {}) else None,
                batch_size=batch_size,
                show_progress_bar=show_progress,
                convert_to_numpy=True,
                normalize_embeddings=True,  # also for folders whose pipeline lacks a Normalize module
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32 unit vectors, with the model's "query" prompt if it defines one."""
        return self._encode(texts, "query", batch_size=32, show_progress=False)

    def encode_passages(self, texts: list[str], batch_size: int = 16, show_progress: bool = False) -> np.ndarray:
        """(n, dim) float32 unit vectors in input order, with the "passage" prompt if defined.

        sentence-transformers already batches by length (less padding) and restores the order.
        """
        return self._encode(texts, "passage", batch_size=batch_size, show_progress=show_progress)
