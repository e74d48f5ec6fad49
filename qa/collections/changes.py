"""Changing a collection: store an upload, add files, remove documents. Used by the CLI and by jobs.

    store_upload(collections, name, filename, data) -> StoredFile   type sniffed, saved in <name>.files/
    add_files(collections, name, paths, steps)      -> BuildReport-like dict
    remove_documents(collections, name, docs, steps) -> dict (files removed, doc ids gone)

Every change holds the collection's writer lock (qa/index/lock.py) from reading the current index to
the atomic swap, so two uploads, or an upload and a `qa ingest` from the shell, run one after the
other; readers answer from the previous build until the swap. The swapped-in build is adopted by
the collection's service after the lock is released (a reader rebuilding under the service lock
may be waiting for the writer lock).

A collection's index lists its files one by one (its manifest's `inputs`): a file saved into
<name>.files/ by an upload that never finished (a killed server) is not in the index and does not
make it stale, so the previous build keeps answering and a rerun adds it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from qa.errors import Conflict, InputError, NotFound, UndecodableSource
from qa.files import file_sha256
from qa.index.build import build_index
from qa.index.lock import writer_lock
from qa.index.progress import BuildProgress
from qa.index.state import index_state
from qa.index.store import Index
from qa.ingest.sources import find_sources

from .registry import Collections, check_name
from .sniff import sniff, stored_name

__all__ = ["StoredFile", "store_upload", "add_files", "remove_documents"]


@dataclass(frozen=True)
class StoredFile:
    name: str  # as uploaded
    path: Path | None  # where it is stored (None when refused)
    sha256: str | None
    unchanged: bool = False  # the collection holds these bytes already: nothing to do
    error: str | None = None


def _indexed_sha256(collections: Collections, name: str) -> dict[str, str]:
    """sha256 → path of every file the collection's current index was built from."""
    if not collections.has_index(name):
        return {}
    from qa.index.store import read_manifest

    manifest = read_manifest(collections.index_path(name))
    return {s["sha256"]: s["path"] for s in manifest["sources"]}


def store_upload(collections: Collections, name: str, filename: str, data: bytes) -> StoredFile:
    """Check one uploaded file (size, type from its bytes) and save it in the collection's files folder.

    Never raises for a bad file: the StoredFile carries its error, so the other files go on."""
    limit = collections.settings.max_file_mb * 1024 * 1024
    if len(data) > limit:
        return StoredFile(filename, None, None, error=f"{filename}: larger than max_file_mb ({len(data):,} bytes).")
    if not data.strip():
        return StoredFile(filename, None, None, error=f"{filename} is empty; nothing to index.")
    try:
        suffix = sniff(data, filename)
    except UndecodableSource as exc:
        return StoredFile(filename, None, None, error=exc.message)
    sha = hashlib.sha256(data).hexdigest()
    known = _indexed_sha256(collections, name).get(sha)
    if known:
        return StoredFile(filename, Path(known), sha, unchanged=True)
    folder = collections.files_dir(name)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / stored_name(filename, suffix)
    # Written whole under a name of this request's own, then linked to its real name: a link never
    # replaces a file, so of two uploads of one name at once each keeps its bytes (another file by
    # that name, indexed or on its way, keeps its own: its citations must still read back).
    fd, partial = tempfile.mkstemp(prefix=f".{target.stem[:40]}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        for candidate in (target, *(target.with_name(f"{target.stem}-{sha[:n]}{target.suffix}") for n in (8, 64))):
            try:
                os.link(partial, candidate)
                return StoredFile(filename, candidate, sha)
            except FileExistsError:
                if file_sha256(candidate) == sha:
                    return StoredFile(filename, candidate, sha)
    finally:
        os.unlink(partial)
    return StoredFile(filename, None, None, error=f"{filename}: other files hold its name; upload it under another.")


def add_files(collections: Collections, name: str, paths: list[Path], steps: BuildProgress | None = None) -> dict:
    """Add files or folders to collection `name` (creating it), re-embedding only new text.

    A folder given here is kept as a folder input (later files in it are picked up on rebuild); the
    files of an upload are added one by one."""
    name = check_name(name)
    if name != collections.default:
        collections.files_dir(name).mkdir(parents=True, exist_ok=True)
    settings = collections.settings_for(name)
    path = collections.index_path(name)
    first = settings.corpus_paths if name == collections.default else []
    with writer_lock(path, settings.lock_timeout, collections.on_rebuild):
        previous, inputs, reason = index_state(settings, collections.encoder, path, add=paths, first_inputs=first)
        if reason is None:
            n = len(previous.passages)
            report = {"passages": n, "embedded": 0, "reused": n, "files": len(previous.manifest["sources"])}
            report.update(unchanged=True, file_reports=[])
            return report
        index, report = build_index(
            settings, inputs, collections.encoder, path, previous, collections.progress, added=list(paths), steps=steps
        )
    collections.adopt(name, index)
    return dict(report, unchanged=False)


def _documents(index: Index, docs: list[str]) -> dict[str, list[str]]:
    """Source path → the doc ids asked for in it. A doc is named by its doc_id or by its file."""
    by_file = {s["file"]: s["path"] for s in [*index.manifest["sources"], *index.manifest.get("skipped", [])]}
    of_doc = {a.doc_id: by_file.get(a.file) for a in index.articles}
    chosen: dict[str, list[str]] = {}
    for doc in docs:
        source = of_doc.get(doc) or by_file.get(doc)
        if source is None:
            raise NotFound(
                f"知识库中没有文档 {doc!r}。/ No document {doc!r} in this collection; GET /api/documents lists them."
            )
        chosen.setdefault(source, []).append(doc)
    return chosen


def remove_documents(collections: Collections, name: str, docs: list[str], steps: BuildProgress | None = None) -> dict:
    """Remove documents (by doc_id or file) from a collection: its source files leave the index.

    A file holds every article read from it, so removing one doc_id removes its whole file (the
    result names every doc id that went). A file inside a folder input is left on disk: the folder is
    replaced in the inputs by its other files. An uploaded file is deleted from <name>.files/ after
    the swap. The last document cannot be removed: drop the collection instead."""
    if not docs:
        raise InputError("要删除哪个文档？/ Name at least one document (doc_id or file) to remove.")
    name = collections.require(name)
    settings = collections.settings_for(name)
    path = collections.index_path(name)
    with writer_lock(path, settings.lock_timeout, collections.on_rebuild):
        previous = Index.load(path) if collections.has_index(name) else None
        if previous is None:
            raise NotFound(f"知识库 {name!r} 还没有文档。/ Collection {name!r} has no documents to remove.")
        chosen = _documents(previous, docs)
        dropped = {Path(p) for p in chosen}
        inputs: list[Path] = []
        for given in map(Path, previous.manifest["inputs"]):
            if given.is_dir() and any(d.is_relative_to(given) for d in dropped):
                inputs += [f.resolve() for f in find_sources([given], settings.follow_symlinks)]
            elif given.resolve() not in dropped:
                inputs.append(given)
        inputs = [p for p in dict.fromkeys(inputs) if p.resolve() not in dropped]
        if not inputs:
            raise Conflict(
                f"这是知识库 {name!r} 的最后一个文档；要清空请删除整个知识库。/ That is the last document of "
                f"collection {name!r}; drop the collection instead."
            )
        index, report = build_index(
            settings, inputs, collections.encoder, path, previous, collections.progress, steps=steps
        )
        gone = sorted({a.doc_id for a in previous.articles} - {a.doc_id for a in index.articles})
    collections.adopt(name, index)
    # Deleted only once the new build answers: a reader still holding the old one finds the file
    # gone, and its citation check then finds the service already on the new build.
    uploads = collections.files_dir(name).resolve()
    for f in dropped:
        if f.is_relative_to(uploads):
            f.unlink(missing_ok=True)
    return dict(report, removed_files=sorted(str(p) for p in dropped), removed_docs=gone)
