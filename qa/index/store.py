"""An index on disk: a folder of plain files plus a manifest, built aside and swapped in atomically.

    embeddings/<name>            symlink → the current build (replaced with one atomic rename)
    embeddings/.<name>-<stamp>/  a build: manifest.json, passages.jsonl, articles.jsonl (each with
                                 its line table, *.offsets.npy), vectors.npy, view_keys.json,
                                 dense.faiss, owners.npy, keyword/ (bm25s files),
                                 quotes/ (the quote checker's n-gram arrays)

    embeddings/.<name>.lock      held by the one process writing this index (see lock.py)
    embeddings/.<name>.hashes.json  cached sha256 of the large arrays, by (path, size, mtime)

A crash mid-build leaves only an unfinished .<name>-<stamp>.tmp folder; the symlink still points at
the previous build, which keeps answering. A failed write (disk full) removes its .tmp folder and
raises IndexWriteError; the next build, holding the lock, removes any left by killed runs.

The manifest records the size and sha256 of every other file of the build; `Index.load` checks
them (integrity.py) and the structure the files must have together, so damage is found when the
index is opened, not served.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.errors import CorruptIndex, IndexOfAnotherVersion, IndexWriteError
from qa.quotes.ngram_index import NormalizedCorpus
from qa.records import Article, Passage

from . import paging
from .integrity import record_files, verify_files, verify_structure
from .record_file import RecordFile, write_records
from .retrievers import DenseIndex, KeywordIndex

__all__ = [
    "Index",
    "FORMAT_VERSION",
    "write_index",
    "read_manifest",
    "hash_cache_path",
    "remove_unfinished_builds",
    "corpus_hash",
    "library_versions",
]

FORMAT_VERSION = 3  # 2: the manifest records size and sha256 of every file; 3: line tables, quotes/
MANIFEST = "manifest.json"
QUOTES = "quotes"


@dataclass
class Index:
    path: Path
    manifest: dict
    articles: Sequence[Article]  # RecordFile: read on demand when large (record_file.py)
    passages: Sequence[Passage]
    vectors: np.ndarray  # one row per dense view (see qa.index.views.dense_views), memory-mapped
    dense: DenseIndex
    keyword: KeywordIndex
    # The quote checker's arrays (memory-mapped), and the build folder the files are read from (`path`
    # is a link that may move on); None for an index put together in memory (bench/retrieval.py).
    quote_corpus: NormalizedCorpus | None = None
    folder: Path | None = None

    def dense_scores(self, query: np.ndarray, pids: list[int]) -> dict[int, float]:
        """Exact dense score (best view) of the given passages. A passage's views are one run of the
        sorted owners (verify_structure), so no table of them is built (at 1M passages it was a
        dictionary of a million lists)."""
        owners = self.dense.owners
        lo = np.searchsorted(owners, pids, side="left").tolist()
        hi = np.searchsorted(owners, pids, side="right").tolist()
        return {pid: float(np.max(self.vectors[a:b] @ query)) for pid, a, b in zip(pids, lo, hi)}

    def __post_init__(self):
        self._view_keys = None

    @property
    def view_keys(self) -> list[str]:
        """Hash of each view's text (unchanged text is never embedded twice); read when a rebuild
        asks for it, not by a server, which never needs them."""
        if self._view_keys is None:
            try:
                keys = json.loads((self.folder / "view_keys.json").read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CorruptIndex(f"view_keys.json of the index at {self.path} cannot be read ({exc}).") from exc
            if not isinstance(keys, list) or len(keys) != len(self.vectors):
                raise CorruptIndex(f"view_keys.json of the index at {self.path} does not match its vectors.")
            self._view_keys = keys
        return self._view_keys

    def article(self, doc_id: str) -> Article | None:
        i = self.quote_corpus.article_index(doc_id)
        return None if i is None else self.articles[i]

    @classmethod
    def load(cls, path: Path) -> Index:
        manifest = read_manifest(path)
        folder = path.resolve()
        verify_files(folder, manifest["files"], cache_file=hash_cache_path(path))
        try:
            index = cls.open(path, folder, manifest)
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            raise CorruptIndex(f"The index at {path} is damaged ({exc}).") from exc
        counts = {len(index.passages), manifest.get("passages"), index.dense.passages, index.keyword.size}
        views = {len(index.vectors), index.dense.size, len(index.dense.owners)}
        if len(counts) != 1 or len(views) != 1:
            raise CorruptIndex(
                f"The index at {path} is inconsistent (passage counts {sorted(map(str, counts))}, "
                f"vector counts {sorted(map(str, views))})."
            )
        verify_structure(index.passages, index.articles, index.vectors, index.dense.owners)
        return index

    @classmethod
    def open(
        cls,
        path: Path,
        folder: Path,
        manifest: dict,
        dense: DenseIndex | None = None,
        keyword: KeywordIndex | None = None,
    ) -> Index:
        """The build in `folder` (written by write_index), its large parts read on demand; `dense`
        and `keyword` when the caller already holds them (the build that just wrote them)."""
        articles = RecordFile(folder / "articles.jsonl", Article.from_dict)
        # Memory-mapped: a search reads the rows of its candidates only, so a large index is not
        # held in memory twice (FAISS has its own copy) or read whole at start.
        vectors = np.load(folder / "vectors.npy", mmap_mode="r", allow_pickle=False)
        index = cls(
            path,
            manifest,
            articles,
            RecordFile(folder / "passages.jsonl", Passage.from_dict),
            vectors,
            dense or DenseIndex.load(folder),
            keyword or KeywordIndex.load(folder),
            NormalizedCorpus.load(folder / QUOTES, articles),
            folder,
        )
        paging.advise_random(index.mappings())
        return index

    def mappings(self) -> list:
        """Every memory mapping of this index's files (qa.index.paging)."""
        quotes = self.quote_corpus.mappings() if self.quote_corpus is not None else []
        records = [m for r in (self.passages, self.articles) if isinstance(r, RecordFile) for m in r.mappings()]
        return [self.vectors, *records, *self.dense.mappings(), *self.keyword.mappings(), *quotes]

    def release_pages(self, keep_mb: float = 0) -> bool:
        """Let go of the index pages this process has read (they stay in the page cache) once its
        mapped file pages pass `keep_mb`: called after each request, so a server's resident memory
        stays its own plus that much. Returns whether it did."""
        if keep_mb > 0 and paging.mapped_file_mb() <= keep_mb:
            return False
        paging.release(self.mappings())
        return True


def hash_cache_path(path: Path) -> Path:
    return path.parent / f".{path.name}.hashes.json"


# What a manifest must hold, and of which type: a hand-edited manifest ("sources": "x") is damage
# found on opening, not a TypeError deep inside a staleness check.
_MANIFEST_TYPES = {
    "format_version": int,
    "passages": int,
    "inputs": list,
    "sources": list,
    "files": dict,
    "model": str,
    "weights_hash": str,
}
_SOURCE_TYPES = {"file": str, "path": str, "sha256": str, "bytes": int, "mtime_ns": int}


def _check_types(manifest: dict, file: Path) -> None:
    for key, kind in _MANIFEST_TYPES.items():
        value = manifest.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise CorruptIndex(f"The manifest {file} is damaged: {key!r} should be a {kind.__name__}, not {value!r}.")
    if not all(isinstance(p, str) for p in manifest["inputs"]):
        raise CorruptIndex(f"The manifest {file} is damaged: 'inputs' should list paths.")
    for s in manifest["sources"]:
        if not isinstance(s, dict) or any(not isinstance(s.get(k), t) for k, t in _SOURCE_TYPES.items()):
            raise CorruptIndex(f"The manifest {file} is damaged: a 'sources' entry is malformed ({s!r:.80}).")


def read_manifest(path: Path) -> dict:
    file = path / MANIFEST
    if not file.exists():
        raise CorruptIndex(f"No index manifest at {file}.")
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CorruptIndex(f"The manifest {file} cannot be read ({exc}).") from exc
    if not isinstance(manifest, dict):
        raise CorruptIndex(f"The manifest {file} is damaged: it is not a JSON object.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexOfAnotherVersion(
            f"The index at {path} was written by another version of qa (index format "
            f"{manifest.get('format_version')!r:.20}; this qa reads {FORMAT_VERSION})."
        )
    _check_types(manifest, file)
    return manifest


def corpus_hash(sources: list[dict]) -> str:
    h = hashlib.sha256()
    for s in sorted(sources, key=lambda s: s["file"]):
        h.update(f"{s['file']}\0{s['sha256']}\n".encode())
    return h.hexdigest()


def library_versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("qa", "faiss-cpu", "bm25s", "jieba", "sentence-transformers", "transformers", "torch", "numpy"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def write_index(
    path: Path,
    manifest: dict,
    articles: list[Article],
    passages: list[Passage],
    vectors: np.ndarray,
    view_keys: list[str],
    dense: DenseIndex,
    keyword: KeywordIndex,
    texts: dict[str, str] | None = None,
) -> Path:
    """Write a complete build beside `path`, then point `path` at it in one atomic rename.

    Call it holding the index's writer lock. Any failure (disk full, read-only folder) removes the
    unfinished folder and raises IndexWriteError; `path` keeps pointing at the previous build.

    `texts` maps a file name inside the build (texts/<sha256>.txt) to the text extracted from a PDF,
    DOCX … source: citations of those files index into it, so it is written with the same build."""
    parent = path.parent
    stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    final = parent / f".{path.name}-{stamp}"
    tmp = parent / f".{path.name}-{stamp}.tmp"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        remove_unfinished_builds(path)
        tmp.mkdir()
        write_records(tmp / "passages.jsonl", (p.to_dict() for p in passages))
        write_records(tmp / "articles.jsonl", (a.to_dict() for a in articles))
        np.save(tmp / "vectors.npy", np.asarray(vectors, dtype=np.float32))
        (tmp / "view_keys.json").write_text(json.dumps(view_keys), encoding="utf-8")
        dense.save(tmp)
        keyword.save(tmp)
        NormalizedCorpus(articles).save(tmp / QUOTES)
        for name, text in (texts or {}).items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_text(text, encoding="utf-8")
        # The manifest goes last: a folder without one is never a finished build. It records every
        # other file's size and sha256, so a later change to any of them is found on opening.
        manifest = {
            **manifest,
            "format_version": FORMAT_VERSION,
            "passages": len(passages),
            "files": record_files(tmp),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        for f in tmp.rglob("*"):
            if f.is_file():
                with f.open("rb") as fh:
                    os.fsync(fh.fileno())
        tmp.rename(final)
        _swap_symlink(path, final)
    except (OSError, RuntimeError) as exc:  # faiss reports a failed write as RuntimeError
        # numpy and faiss report a short write without an errno: the free space, measured before the
        # partial build is removed, tells a full disk apart.
        try:
            free = f"{shutil.disk_usage(parent).free:,} bytes free"
        except OSError:
            free = "free space unknown"
        shutil.rmtree(tmp, ignore_errors=True)
        if final.exists() and not (path.is_symlink() and path.resolve() == final.resolve()):
            shutil.rmtree(final, ignore_errors=True)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).strip().splitlines()[-1]
        reason = f"{reason}; {free}"
        raise IndexWriteError(
            f"无法写入索引 {path.name}（{reason}）；原有索引未改动。请腾出磁盘空间或换一个可写的 index_dir 后再试。/ "
            f"Could not write index {path.name} in {parent} ({reason}); the previous index is unchanged. "
            "Free disk space or choose a writable index_dir, then try again."
        ) from exc
    _remove_old_builds(path, keep=final)
    return final


def _swap_symlink(path: Path, target: Path) -> None:
    link_tmp = path.parent / f".{path.name}.link-{os.getpid()}"
    if link_tmp.is_symlink() or link_tmp.exists():
        link_tmp.unlink()
    os.symlink(target.name, link_tmp)
    if path.exists() and not path.is_symlink():
        # An index folder from elsewhere (copied in by hand): keep it aside rather than delete it.
        path.rename(path.parent / f".{path.name}-replaced-{int(time.time())}")
    os.replace(link_tmp, path)


def _builds(path: Path):
    build = re.compile(re.escape(f".{path.name}-") + r"\d{8}T\d{6}-\d+-\d+(\.tmp)?$")
    return [f for f in path.parent.iterdir() if build.match(f.name)]


def remove_unfinished_builds(path: Path) -> None:
    """Remove .tmp folders of killed builds. Only the holder of the writer lock may call this: no
    other build of this index can be running."""
    for old in _builds(path):
        if old.name.endswith(".tmp"):
            shutil.rmtree(old, ignore_errors=True)


def _remove_old_builds(path: Path, keep: Path) -> None:
    for old in _builds(path):
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
