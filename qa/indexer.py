"""Building and refreshing an index: read sources, split, embed only what changed, write atomically."""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

import numpy as np

from .config import Settings
from .errors import CorruptIndex, QAError
from .ingest import build_corpus
from .readers import find_sources, read_source
from .records import Passage
from .retrievers import DenseIndex, KeywordIndex
from .store import Index, corpus_hash, library_versions, read_manifest, write_index

__all__ = ["build_index", "open_index", "stale_reason", "embedding_text", "BuildReport", "LAYOUT_VERSION"]

log = logging.getLogger("qa")

# Bump when layout repair or chunking changes what passages come out of the same files.
LAYOUT_VERSION = 1
KEYWORD_MODE = "jieba+bigram"


class BuildReport(dict):
    """What a build did: passages, embedded (new), reused, files, seconds, repairs."""


def embedding_text(p: Passage) -> str:
    # The section heading gives a short passage its topic ("第二，加大科技攻关力度" → its body).
    return f"{p.heading}\n{p.text}" if p.heading else p.text


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def _wanted_manifest(settings: Settings, encoder) -> dict:
    return {
        "model": encoder.model_id,
        "weights_hash": encoder.weights_hash,
        "chunking": {"max_passage_chars": settings.max_passage_chars, "layout_version": LAYOUT_VERSION},
        "keyword": {"mode": KEYWORD_MODE, "tokenizer": "jieba + domain dictionary, normalised text"},
        "ann": settings.ann,
    }


def stale_reason(path: Path, settings: Settings, encoder) -> str | None:
    """Why the index at `path` must be rebuilt, or None when it is current."""
    manifest = read_manifest(path)
    wanted = _wanted_manifest(settings, encoder)
    for key in ("model", "weights_hash", "chunking", "keyword", "ann"):
        if manifest.get(key) != wanted[key]:
            return f"its {key} changed ({manifest.get(key)!r} → {wanted[key]!r})"
    try:
        files = find_sources([Path(p) for p in manifest["inputs"]])
    except QAError as exc:
        return f"a source is missing: {exc.message}"
    recorded = {s["path"]: s for s in manifest["sources"]}
    if {str(f.resolve()) for f in files} != set(recorded):
        return "files were added to or removed from its sources"
    for f in files:
        rec = recorded[str(f.resolve())]
        st = f.stat()
        if st.st_size == rec["bytes"] and st.st_mtime_ns == rec["mtime_ns"]:
            continue  # unchanged size and time: skip hashing large corpora
        if hashlib.sha256(f.read_bytes()).hexdigest() != rec["sha256"]:
            return f"{rec['file']} changed"
    return None


def build_index(settings: Settings, inputs: list[Path], encoder, path: Path | None = None,
                previous: Index | None = None, progress: bool = False) -> tuple[Index, BuildReport]:
    """Build the index at `path` from `inputs` (files or folders), reusing unchanged embeddings."""
    started = time.monotonic()
    path = path or settings.index_path
    inputs = [Path(p).resolve() for p in inputs]
    sources = [read_source(f) for f in find_sources(inputs)]
    if not sources:
        raise QAError(f"No .txt or .md files in {', '.join(map(str, inputs))}; nothing to index.")
    corpus = build_corpus(sources, settings.max_passage_chars)
    texts = [embedding_text(p) for p in corpus.passages]

    reuse: dict[str, np.ndarray] = {}
    if previous is not None and previous.manifest.get("weights_hash") == encoder.weights_hash \
            and previous.manifest.get("model") == encoder.model_id:
        for p, vec in zip(previous.passages, previous.vectors):
            reuse[_text_key(embedding_text(p))] = vec
    todo = [i for i, t in enumerate(texts) if _text_key(t) not in reuse]
    vectors = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    if todo:
        log.info("embedding %d passages (%d reused)", len(todo), len(texts) - len(todo))
        vectors[todo] = encoder.encode_passages([texts[i] for i in todo], show_progress=progress)
    todo_set = set(todo)
    for i, t in enumerate(texts):
        if i not in todo_set:
            vectors[i] = reuse[_text_key(t)]

    manifest = {
        **_wanted_manifest(settings, encoder),
        "name": path.name,
        "dim": int(vectors.shape[1]),
        "inputs": [str(p) for p in inputs],
        "sources": [
            {"file": s.file, "path": str(s.path), "sha256": s.sha256, "encoding": s.encoding,
             "bytes": s.path.stat().st_size, "mtime_ns": s.path.stat().st_mtime_ns}
            for s in sources
        ],
        "corpus_hash": corpus_hash([{"file": s.file, "sha256": s.sha256} for s in sources]),
        "versions": library_versions(),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "articles": len(corpus.articles),
        "duplicates": sum(p.duplicate_of is not None for p in corpus.passages),
        "repairs": list(corpus.repairs),
    }
    dense = DenseIndex.build(vectors, settings.ann)
    keyword = KeywordIndex.build(texts, KEYWORD_MODE)
    final = write_index(path, manifest, list(corpus.articles), list(corpus.passages), vectors, dense, keyword)
    index = Index(path, read_manifest(final), list(corpus.articles), list(corpus.passages), vectors, dense, keyword)
    report = BuildReport(
        passages=len(texts), embedded=len(todo), reused=len(texts) - len(todo), files=len(sources),
        seconds=round(time.monotonic() - started, 2), repairs=list(corpus.repairs),
    )
    return index, report


def open_index(settings: Settings, encoder, path: Path | None = None, progress: bool = False,
               on_rebuild=None) -> Index:
    """Load the index, building it from settings.corpus when missing and rebuilding it when stale or damaged."""
    path = path or settings.index_path
    previous = None
    inputs = settings.corpus_paths
    if path.exists():
        try:
            previous = Index.load(path)
            inputs = [Path(p) for p in previous.manifest["inputs"]]
            reason = stale_reason(path, settings, encoder)
            if reason is None:
                return previous
        except CorruptIndex as exc:
            reason = f"it is damaged: {exc.message}"
            try:
                inputs = [Path(p) for p in read_manifest(path)["inputs"]]
            except (CorruptIndex, KeyError):
                pass
        message = f"Rebuilding index {path.name}: {reason}"
    else:
        message = f"Building index {path.name} from {', '.join(map(str, inputs))} (first use)"
    (on_rebuild or log.warning)(message)
    index, _ = build_index(settings, inputs, encoder, path, previous, progress)
    return index
