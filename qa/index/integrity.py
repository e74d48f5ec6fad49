"""Proof that an index folder is what its build wrote: size and sha256 of every file, and the
structure the files must have together (every passage has vectors, owners in order, finite vectors,
every passage's article present).

The manifest's `files` table is written last by the build, so it covers every other file. Opening
an index checks every size, hashes the small files every time and the large arrays (vectors, FAISS,
bm25s) once: their hash is kept in a cache keyed by (path, size, mtime_ns, inode), so a server start
does not re-read hundreds of megabytes, and any rewrite of an array (which moves its mtime) is
hashed again.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np

from qa.errors import CorruptIndex
from qa.files import file_sha256, write_atomically

__all__ = ["record_files", "verify_files", "verify_structure", "blocks", "HASH_CACHE_MIN_BYTES"]

# Files at least this large are hashed once per (size, mtime) and the result cached; smaller ones
# (manifest-sized JSON, owners of a small corpus) are cheaper to hash than to look up.
HASH_CACHE_MIN_BYTES = 1 << 20


def record_files(folder: Path, skip: tuple[str, ...] = ("manifest.json",)) -> dict[str, dict]:
    """{relative path: {bytes, sha256}} of every file under `folder` except `skip`."""
    out = {}
    for f in sorted(folder.rglob("*")):
        rel = f.relative_to(folder).as_posix()
        if f.is_file() and rel not in skip:
            out[rel] = {"bytes": f.stat().st_size, "sha256": file_sha256(f)}
    return out


class _HashCache:
    """sha256 of large files keyed by (resolved path, size, mtime_ns, inode), in one JSON file."""

    def __init__(self, file: Path):
        self.file = file
        try:
            self.entries = json.loads(file.read_text(encoding="utf-8"))
            if not isinstance(self.entries, dict):
                self.entries = {}
        except (OSError, ValueError):
            self.entries = {}
        self.changed = False

    def sha256(self, path: Path) -> str:
        st = path.stat()
        key = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{st.st_ino}"
        if key not in self.entries:
            self.entries[key] = file_sha256(path)
            self.changed = True
        return self.entries[key]

    def save(self) -> None:
        """Write the cache, keeping only entries for files that still exist (a best effort: a
        read-only index folder just means hashing again next time)."""
        if not self.changed:
            return
        alive = {k: v for k, v in self.entries.items() if Path(k.split("|", 1)[0]).exists()}
        with contextlib.suppress(OSError):
            write_atomically(self.file, lambda tmp: tmp.write_text(json.dumps(alive), encoding="utf-8"))


def verify_files(folder: Path, recorded: dict, cache_file: Path | None = None) -> None:
    """Raise CorruptIndex unless every recorded file is present with its size and sha256, and no
    file is missing from the record."""
    if not isinstance(recorded, dict) or not recorded:
        raise CorruptIndex(f"The manifest in {folder} records no file hashes; the index predates them or was edited.")
    cache = _HashCache(cache_file) if cache_file else None
    for rel, want in recorded.items():
        f = folder / rel
        if (
            not isinstance(want, dict)
            or not isinstance(want.get("bytes"), int)
            or not isinstance(want.get("sha256"), str)
        ):
            raise CorruptIndex(f"The manifest's entry for {rel} is malformed.")
        try:
            size = f.stat().st_size
        except OSError:
            raise CorruptIndex(f"{rel} is missing from the index at {folder}.") from None
        if size != want["bytes"]:
            raise CorruptIndex(f"{rel} has {size} bytes; the build wrote {want['bytes']}.")
        got = cache.sha256(f) if cache and size >= HASH_CACHE_MIN_BYTES else file_sha256(f)
        if got != want["sha256"]:
            raise CorruptIndex(f"{rel} does not match the sha256 its build recorded (it was changed after the build).")
    if cache:
        cache.save()


def verify_structure(passages, articles, vectors: np.ndarray, owners: np.ndarray) -> None:
    """What must hold between the files of any build, whatever its hashes say. `passages` and
    `articles` are RecordFiles: a large one is read through once, field by field, not kept."""
    n = len(passages)
    ids = set()
    for i, (pid, doc_id) in enumerate(passages.fields("id", "doc_id")):
        if pid != i:
            raise CorruptIndex("passages.jsonl is out of order (passage ids do not count up from 0).")
        ids.add(doc_id)
    # qa.index.views.dense_views emits each passage's views together, in passage order.
    if len(owners) and (np.any(np.diff(owners) < 0) or owners[0] != 0 or owners[-1] != n - 1):
        raise CorruptIndex("owners.npy is out of order (vectors do not follow their passages).")
    if len(owners) and len(np.unique(owners)) != n:
        raise CorruptIndex("owners.npy leaves passages without a vector.")
    if not _all_finite(vectors):
        raise CorruptIndex("vectors.npy holds NaN or infinite values.")
    for (doc_id,) in articles.fields("doc_id"):
        ids.discard(doc_id)
    if ids:
        raise CorruptIndex(f"articles.jsonl lacks {len(ids)} article(s) that passages belong to.")


BLOCK_BYTES = 32 << 20


def blocks(array: np.ndarray):
    """`array` in blocks of rows of about BLOCK_BYTES. A memory-mapped array is read through
    its file, so a check of every value does not leave every page of a large index mapped into the
    process (they would count in its resident memory for as long as it serves)."""
    if not isinstance(array, np.memmap) or array.filename is None:
        yield np.asarray(array)
        return
    per_row = int(np.prod(array.shape[1:], dtype=np.int64))
    rows = max(1, BLOCK_BYTES // max(per_row * array.dtype.itemsize, 1))
    with open(array.filename, "rb") as f:
        f.seek(array.offset)
        for at in range(0, len(array), rows):
            yield np.fromfile(f, dtype=array.dtype, count=min(rows, len(array) - at) * per_row)


def _all_finite(vectors: np.ndarray) -> bool:
    """No NaN or infinity in `vectors`."""
    return all(bool(np.isfinite(block).all()) for block in blocks(vectors))
