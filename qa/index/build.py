"""Building and refreshing an index: read sources, split, embed only what changed, write atomically."""

from __future__ import annotations

import contextlib
import logging
import statistics
import time
from pathlib import Path

import numpy as np

from qa.config import Settings
from qa.errors import CorruptIndex, EmptyCorpus, SourceError, UndecodableSource
from qa.files import file_sha256
from qa.ingest.guard import FileBounds, GuardedFile, numbered, read_guarded
from qa.ingest.passages import build_corpus
from qa.ingest.report import FileReport
from qa.ingest.sources import SourceFile, display_path, find_sources
from qa.text import TOKENIZER_VERSION, keyword_tokens

from .progress import BuildProgress
from .retrievers import DenseIndex, KeywordIndex
from .store import Index, corpus_hash, library_versions, read_manifest, write_index
from .unchanged import Unchanged, reading_key
from .views import dense_views, embed_views, in_chunks, keyword_text, views_to_embed

__all__ = [
    "build_index",
    "wanted_manifest",
    "BuildReport",
    "LAYOUT_VERSION",
]

log = logging.getLogger("qa")

# Bump when layout repair, chunking or the embedded views change for the same files and settings.
LAYOUT_VERSION = 15


class BuildReport(dict):
    """What a build did: passages, embedded (new vectors), reused, files, seconds, repairs,
    `file_reports`: one FileReport per file found (read, partly read or refused, and why), and `steps`:
    each build step's name, count, unit and seconds; `ray_workers`: the process ids of the Ray actors
    that embedded, when the embedding ran on Ray."""


def extracted_text_name(sha256: str) -> str:
    """Where the index keeps the text extracted from a PDF/DOCX/… source, inside the build folder."""
    return f"texts/{sha256}.txt"


def _file_record(path: Path, sha256: str) -> dict:
    st = path.stat()
    return {"file": display_path(path), "path": str(path.resolve()), "sha256": sha256, "bytes": st.st_size,
            "mtime_ns": st.st_mtime_ns}  # fmt: skip


def read_sources(
    settings: Settings,
    inputs: list[Path],
    steps: BuildProgress | None = None,
    split: dict | None = None,
    unchanged: Unchanged | None = None,
) -> tuple[list[SourceFile], list[FileReport], list[dict]]:
    """Read every file under `inputs`: the sources read, a report per file, and records of the files
    that could not be read (kept in the manifest, so an unchanged unreadable file does not make the
    index stale). One bad file never stops the batch. Each file is read and laid out within the bounds
    of qa/ingest/guard.py (time, memory, characters); `split` receives each source's GuardedFile.
    `unchanged`: what a previous build made of the files whose bytes it read (not read again: its
    reports say "unchanged"; a file it refused is refused again for the same reason)."""
    notes: list[str] = []
    files = find_sources(inputs, settings.follow_symlinks, notes)
    bounds = FileBounds.of(settings)
    sources: list[SourceFile] = []
    reports: list[FileReport] = []
    skipped: list[dict] = []
    with (steps or BuildProgress(bars=False)).step("reading", len(files), "files") as advance:
        for f in files:
            advance(1, f.name)  # the file it reads now: a job shows each file's state as it changes
            taken = unchanged.take(f) if unchanged is not None else None
            if isinstance(taken, FileReport):
                reports.append(taken)
                skipped.append({**_file_record(f, file_sha256(f)), "reason": taken.error})
                continue
            try:
                guarded = taken or read_guarded(f, bounds)
            except SourceError as exc:
                reports.append(FileReport(display_path(f), f.suffix.lower().lstrip(".") or "?", error=exc.message))
                skipped.append({**_file_record(f, file_sha256(f)), "reason": exc.message})
                continue
            source = guarded.source
            if split is not None:
                split[source.path] = guarded
            sources.append(source)
            reports.append(source.report)
    for note in notes:
        reports.append(FileReport(note.split(":", 1)[0], "link", error=note.split(": ", 1)[1]))
    return sources, reports, skipped


def wanted_manifest(settings: Settings, encoder) -> dict:
    """What the manifest of an index built now with these settings and model records about them."""
    return {
        "model": encoder.model_id,
        "weights_hash": encoder.weights_hash,
        "chunking": {
            "max_passage_chars": settings.max_passage_chars,
            "min_passage_chars": settings.min_passage_chars,
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


def build_index(
    settings: Settings,
    inputs: list[Path],
    encoder,
    path: Path | None = None,
    previous: Index | None = None,
    progress: bool = False,
    added: list[Path] = (),
    steps: BuildProgress | None = None,
    reuse_readings: bool = True,
) -> tuple[Index, BuildReport]:
    """Build the index at `path` from `inputs` (files or folders), reusing unchanged embeddings.

    Call it holding the index's writer lock (`lock.writer_lock`); `state.open_index` and the service do.
    `progress`: tqdm bars on stderr for each step (a terminal); otherwise one log line per step.
    `added` are the paths this ingest was asked to add: when not one file among them can be read, the
    build is refused (the index stays as it was) with every file's reason, rather than rebuilt without them.
    `steps`: a BuildProgress to report into (a background job counts passages embedded with it, and can
    read its `status()` with rate and ETA); by default one made from `progress`. The report's `steps`
    lists each step's count and seconds. `reuse_readings=False` reads every file again instead of taking
    an unchanged file's passages from `previous` (qa/index/unchanged.py): a rebuild because the index's
    passages no longer match their files must not copy those passages forward."""
    started = time.monotonic()
    steps = steps or BuildProgress(bars=progress)
    path = path or settings.index_path
    inputs = [Path(p).resolve() for p in inputs]
    read: dict[Path, GuardedFile] = {}
    unchanged = Unchanged(previous if reuse_readings else None, settings, LAYOUT_VERSION)
    sources, file_reports, skipped = read_sources(settings, inputs, steps, read, unchanged)
    wanted = {display_path(f) for f in find_sources([Path(p) for p in added], settings.follow_symlinks)}
    if wanted and not any(s.file in wanted for s in sources):
        raise UndecodableSource("; ".join(r.line() for r in file_reports if r.file in wanted))
    if not sources:
        if file_reports:
            raise UndecodableSource("; ".join(r.line() for r in file_reports))
        named = ", ".join(map(display_path, inputs))  # an upload by <name>.files/<file>, not the server's folders
        raise EmptyCorpus(f"{named} 中没有可索引的文件。/ No readable files in {named}; nothing to index.")
    with steps.step("layout", len(sources), "files") as advance:
        # Each file was laid out where it was read (guard.py); its passages are numbered here.
        corpus = build_corpus(
            sources,
            settings.max_passage_chars,
            settings.min_passage_chars,
            lambda s, _, first_id: numbered(read[s.path], first_id),
        )
        advance(len(sources))
    per_file: dict[str, list[int]] = {}
    for p in corpus.passages:
        per_file.setdefault(p.citation.file, []).append(len(p.text))
    for s in sources:
        lengths = per_file.get(s.file, [])
        s.report.passages = len(lengths)
        s.report.median_chars = int(statistics.median(lengths)) if lengths else 0
    extracted = {extracted_text_name(s.sha256): s.text for s in sources if s.extracted}
    with steps.step("keyword tokens", len(corpus.passages), "passages") as advance:
        token_lists = []
        for p in corpus.passages:
            token_lists.append(keyword_tokens(keyword_text(p), settings.keyword_tokens))
            advance(1)
    if not any(token_lists):
        raise EmptyCorpus(
            f"{', '.join(s.file for s in sources)} 没有可索引的文字（空文件或只有标点）。/ "
            f"{', '.join(s.file for s in sources)} hold no words to index (empty or punctuation only)."
        )
    views = dense_views(corpus.passages, settings.sentence_vectors)
    reuse: dict[str, np.ndarray] = {}
    if (
        previous is not None
        and previous.manifest.get("weights_hash") == encoder.weights_hash
        and previous.manifest.get("model") == encoder.model_id
    ):
        with contextlib.suppress(CorruptIndex):  # unreadable keys: everything is embedded again
            reuse = dict(zip(previous.view_keys, previous.vectors))
    todo = views_to_embed(views, reuse)
    if todo:
        log.info(
            "正在嵌入 %d 段文字（复用 %d 段）/ embedding %d texts (%d reused)",
            todo,
            len(views) - todo,
            todo,
            len(views) - todo,
        )
    ray_workers: list[int] = []
    with steps.step("embedding", todo, "texts") as advance:
        embed = in_chunks(encoder.encode_passages, advance)
        if settings.ray and todo:
            from .ray_embed import RayEmbedder  # the optional extra qa[ray]

            embedder = RayEmbedder(settings)
            embed = lambda texts: embedder.embed(texts, advance)  # noqa: E731
        vectors, embedded = embed_views(views, embed, encoder.dim, reuse)
        if settings.ray and todo:
            ray_workers = sorted(embedder.worker_pids)
    keys = [v.key for v in views]
    owners = [v.owner for v in views]

    manifest = {
        **wanted_manifest(settings, encoder),
        "reading": reading_key(settings, LAYOUT_VERSION),
        "name": path.name,
        "dim": int(vectors.shape[1]),
        "inputs": [str(p) for p in inputs],
        "sources": [
            {
                **_file_record(s.path, s.sha256),
                "file": s.file,
                "encoding": s.encoding,
                "format": s.format,
                **({"text": extracted_text_name(s.sha256)} if s.extracted else {}),
            }
            for s in sources
        ],
        "skipped": skipped,
        "file_reports": [r.to_dict() for r in file_reports],
        "corpus_hash": corpus_hash([{"file": s.file, "sha256": s.sha256} for s in sources]),
        "versions": library_versions(),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "articles": len(corpus.articles),
        "duplicates": sum(p.duplicate_of is not None for p in corpus.passages),
        "repairs": list(corpus.repairs),
    }
    with steps.step("keyword index", len(token_lists), "passages"):
        keyword = KeywordIndex.from_tokens(token_lists, settings.keyword_tokens, settings.bm25_k1, settings.bm25_b)
    with steps.step("FAISS", len(vectors), "vectors"):
        dense = DenseIndex.build(vectors, np.asarray(owners), settings.ann)
    with steps.step("writing", len(corpus.passages), "passages"):
        final = write_index(
            path, manifest, list(corpus.articles), list(corpus.passages), vectors, keys, dense, keyword, extracted
        )
    index = Index.open(path, final, read_manifest(final), dense, keyword)
    report = BuildReport(
        passages=len(corpus.passages),
        vectors=len(views),
        embedded=embedded,
        reused=len(views) - embedded,
        files=len(sources),
        seconds=round(time.monotonic() - started, 2),
        repairs=list(corpus.repairs),
        file_reports=file_reports,
        steps=list(steps.history),
        **({"ray_workers": ray_workers} if ray_workers else {}),
    )
    return index, report
