"""Building and refreshing an index: read sources, split, embed only what changed, write atomically."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from pathlib import Path

import numpy as np

from qa.config import Settings
from qa.errors import CorruptIndex, QAError
from qa.ingest.passages import build_corpus
from qa.ingest.sources import file_sha256, find_sources, read_source
from qa.records import Passage
from qa.text import TOKENIZER_VERSION, sentence_spans, to_simplified

from .retrievers import DenseIndex, KeywordIndex
from .store import Index, corpus_hash, library_versions, read_manifest, write_index

__all__ = [
    "build_index",
    "open_index",
    "index_state",
    "stale_reason",
    "embedding_text",
    "keyword_text",
    "dense_views",
    "BuildReport",
    "LAYOUT_VERSION",
]

log = logging.getLogger("qa")

# Bump when layout repair, chunking or the embedded views change for the same files and settings.
LAYOUT_VERSION = 9


class BuildReport(dict):
    """What a build did: passages, embedded (new vectors), reused, files, seconds, repairs."""


def _headed(p: Passage) -> str:
    """The heading (unless the passage holds it already), then the passage text. The heading gives a
    passage the topic its own sentences leave implicit."""
    return f"{p.heading}\n{p.text}" if p.heading and p.heading not in p.text else p.text


def embedding_text(p: Passage) -> str:
    """What the dense index sees of a passage: heading and text in simplified characters.

    The article lead is left out on purpose: in a short passage its vector outweighed the passage's own words.
    """
    return to_simplified(_headed(p))


def keyword_text(p: Passage) -> str:
    """What the keyword index sees: the article's lead, then heading and text.

    A question names the event ("2020年度长三角地区主要领导座谈会……以什么为主题？"); only the lead
    passage says those words, the passage that answers says "会议……为主题". With the lead in every
    passage of its article, the event's words no longer single out the lead passage and the rest of
    the question picks the passage. The lead passage holds its lead twice, so it still wins questions
    about the lead itself (where, when, who).
    """
    return f"{p.context}\n{_headed(p)}" if p.context else _headed(p)


def dense_views(passages, sentence_vectors: bool) -> tuple[list[str], list[int]]:
    """Texts to embed and the passage each belongs to: the passage, and each sentence of a longer one."""
    texts: list[str] = []
    owners: list[int] = []
    for p in passages:
        texts.append(embedding_text(p))
        owners.append(p.id)
        spans = sentence_spans(p.text) if sentence_vectors else []
        if len(spans) > 1:
            for s, e in spans:
                texts.append(to_simplified(p.text[s:e]))
                owners.append(p.id)
    return texts, owners


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def _wanted_manifest(settings: Settings, encoder) -> dict:
    return {
        "model": encoder.model_id,
        "weights_hash": encoder.weights_hash,
        "chunking": {
            "max_passage_chars": settings.max_passage_chars,
            "layout_version": LAYOUT_VERSION,
            "sentence_vectors": settings.sentence_vectors,
        },
        "keyword": {
            "tokens": settings.keyword_tokens,
            "k1": settings.bm25_k1,
            "b": settings.bm25_b,
            "fields": "article lead + heading + text",
            "tokenizer": f"jieba + domain dictionary over normalised text, v{TOKENIZER_VERSION}",
        },
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
        if file_sha256(f) != rec["sha256"]:
            return f"{rec['file']} changed"
    return None


def build_index(
    settings: Settings,
    inputs: list[Path],
    encoder,
    path: Path | None = None,
    previous: Index | None = None,
    progress: bool = False,
) -> tuple[Index, BuildReport]:
    """Build the index at `path` from `inputs` (files or folders), reusing unchanged embeddings."""
    started = time.monotonic()
    path = path or settings.index_path
    inputs = [Path(p).resolve() for p in inputs]
    sources = [read_source(f) for f in find_sources(inputs)]
    if not sources:
        raise QAError(f"No .txt or .md files in {', '.join(map(str, inputs))}; nothing to index.")
    corpus = build_corpus(sources, settings.max_passage_chars)
    texts, owners = dense_views(corpus.passages, settings.sentence_vectors)
    keys = [_text_key(t) for t in texts]

    reuse: dict[str, np.ndarray] = {}
    if (
        previous is not None
        and previous.manifest.get("weights_hash") == encoder.weights_hash
        and previous.manifest.get("model") == encoder.model_id
    ):
        reuse = dict(zip(previous.view_keys, previous.vectors))
    todo = [i for i, key in enumerate(keys) if key not in reuse]
    vectors = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    if todo:
        log.info(
            "正在嵌入 %d 段文字（复用 %d 段）/ embedding %d texts (%d reused)",
            len(todo),
            len(texts) - len(todo),
            len(todo),
            len(texts) - len(todo),
        )
        vectors[todo] = encoder.encode_passages([texts[i] for i in todo], show_progress=progress)
    todo_set = set(todo)
    for i, key in enumerate(keys):
        if i not in todo_set:
            vectors[i] = reuse[key]

    manifest = {
        **_wanted_manifest(settings, encoder),
        "name": path.name,
        "dim": int(vectors.shape[1]),
        "inputs": [str(p) for p in inputs],
        "sources": [
            {
                "file": s.file,
                "path": str(s.path),
                "sha256": s.sha256,
                "encoding": s.encoding,
                "bytes": s.path.stat().st_size,
                "mtime_ns": s.path.stat().st_mtime_ns,
            }
            for s in sources
        ],
        "corpus_hash": corpus_hash([{"file": s.file, "sha256": s.sha256} for s in sources]),
        "versions": library_versions(),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "articles": len(corpus.articles),
        "duplicates": sum(p.duplicate_of is not None for p in corpus.passages),
        "repairs": list(corpus.repairs),
    }
    dense = DenseIndex.build(vectors, np.asarray(owners), settings.ann)
    keyword = KeywordIndex.build(
        [keyword_text(p) for p in corpus.passages], settings.keyword_tokens, settings.bm25_k1, settings.bm25_b
    )
    final = write_index(path, manifest, list(corpus.articles), list(corpus.passages), vectors, keys, dense, keyword)
    index = Index(
        path, read_manifest(final), list(corpus.articles), list(corpus.passages), vectors, keys, dense, keyword
    )
    report = BuildReport(
        passages=len(corpus.passages),
        vectors=len(texts),
        embedded=len(todo),
        reused=len(texts) - len(todo),
        files=len(sources),
        seconds=round(time.monotonic() - started, 2),
        repairs=list(corpus.repairs),
    )
    return index, report


def index_state(
    settings: Settings, encoder, path: Path, add=(), first_inputs=()
) -> tuple[Index | None, list[Path], str | None]:
    """What stands at `path` and what it should cover: the index (None when missing or damaged), its
    inputs plus `add` (`first_inputs` plus `add` when there is no index yet), and why it must be
    (re)built, or None when it is current and covers them all."""
    add = [Path(p).resolve() for p in add]
    if not path.exists():
        inputs = list(dict.fromkeys([*first_inputs, *add]))
        return None, inputs, f"first use, from {', '.join(map(str, inputs))}"
    previous = None
    known = list(first_inputs)
    try:
        previous = Index.load(path)
        known = [Path(p) for p in previous.manifest["inputs"]]
        reason = stale_reason(path, settings, encoder)
    except CorruptIndex as exc:
        reason = f"it is damaged: {exc.message}"
        # Not even the manifest: rebuild from what we were given.
        with contextlib.suppress(CorruptIndex, KeyError):
            known = [Path(p) for p in read_manifest(path)["inputs"]]
    inputs = list(dict.fromkeys([*known, *add]))
    if reason is None and set(inputs) != set(known):
        reason = f"new inputs: {', '.join(str(p) for p in inputs if p not in set(known))}"
    return previous, inputs, reason


def open_index(settings: Settings, encoder, path: Path | None = None, progress: bool = False, on_rebuild=None) -> Index:
    """Load the index, building it from settings.corpus when missing and rebuilding it when stale or damaged."""
    path = path or settings.index_path
    previous, inputs, reason = index_state(settings, encoder, path, first_inputs=settings.corpus_paths)
    if reason is None:
        return previous
    (on_rebuild or log.warning)(f"{'Rebuilding' if path.exists() else 'Building'} index {path.name}: {reason}")
    index, _ = build_index(settings, inputs, encoder, path, previous, progress)
    return index
