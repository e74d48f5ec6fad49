"""An index on disk: a folder of plain files plus a manifest, built aside and swapped in atomically.

    embeddings/<name>            symlink → the current build (replaced with one atomic rename)
    embeddings/.<name>-<stamp>/  a build: manifest.json, passages.jsonl, articles.jsonl,
                                 vectors.npy, view_keys.json, dense.faiss,
                                 owners.npy, keyword/ (bm25s files)

A crash mid-build leaves only an unfinished .<name>-<stamp>.tmp folder; the symlink still points at
the previous build, which keeps answering.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.errors import CorruptIndex
from qa.records import Article, Passage

from .retrievers import DenseIndex, KeywordIndex

__all__ = ["Index", "FORMAT_VERSION", "write_index", "read_manifest", "corpus_hash", "library_versions"]

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


@dataclass
class Index:
    path: Path
    manifest: dict
    articles: list[Article]
    passages: list[Passage]
    vectors: np.ndarray  # one row per dense view (see indexer.dense_views)
    view_keys: list[str]  # hash of each view's text: unchanged text is never embedded twice
    dense: DenseIndex
    keyword: KeywordIndex

    def dense_scores(self, query: np.ndarray, pids: list[int]) -> dict[int, float]:
        """Exact dense score (best view) of the given passages."""
        if self._views_of is None:
            views: dict[int, list[int]] = {}
            for i, pid in enumerate(self.dense.owners):
                views.setdefault(int(pid), []).append(i)
            self._views_of = views
        return {pid: float(np.max(self.vectors[self._views_of[pid]] @ query)) for pid in pids}

    def __post_init__(self):
        self._views_of = None

    @classmethod
    def load(cls, path: Path) -> Index:
        manifest = read_manifest(path)
        folder = path.resolve()
        try:
            passages = [Passage.from_dict(json.loads(line)) for line in _lines(folder / "passages.jsonl")]
            articles = [Article.from_dict(json.loads(line)) for line in _lines(folder / "articles.jsonl")]
            vectors = np.load(folder / "vectors.npy", allow_pickle=False)
            view_keys = json.loads((folder / "view_keys.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CorruptIndex(f"The index at {path} is damaged ({exc}).") from exc
        dense = DenseIndex.load(folder)
        keyword = KeywordIndex.load(folder)
        counts = {len(passages), manifest.get("passages"), dense.passages, keyword.size}
        views = {len(vectors), len(view_keys), dense.size, len(dense.owners)}
        if len(counts) != 1 or len(views) != 1:
            raise CorruptIndex(
                f"The index at {path} is inconsistent (passage counts {sorted(map(str, counts))}, "
                f"vector counts {sorted(map(str, views))})."
            )
        return cls(path, manifest, articles, passages, vectors, view_keys, dense, keyword)


def _lines(path: Path):
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield line


def read_manifest(path: Path) -> dict:
    file = path / MANIFEST
    if not file.exists():
        raise CorruptIndex(f"No index manifest at {file}.")
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CorruptIndex(f"The manifest {file} cannot be read ({exc}).") from exc
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        raise CorruptIndex(f"The index at {path} was written by another version of qa.")
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


def _write_jsonl(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


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

    `texts` maps a file name inside the build (texts/<sha256>.txt) to the text extracted from a PDF,
    DOCX … source: citations of those files index into it, so it is written with the same build."""
    parent = path.parent
    parent.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    final = parent / f".{path.name}-{stamp}"
    tmp = parent / f".{path.name}-{stamp}.tmp"
    tmp.mkdir()
    _write_jsonl(tmp / "passages.jsonl", (p.to_dict() for p in passages))
    _write_jsonl(tmp / "articles.jsonl", (a.to_dict() for a in articles))
    np.save(tmp / "vectors.npy", np.asarray(vectors, dtype=np.float32))
    (tmp / "view_keys.json").write_text(json.dumps(view_keys), encoding="utf-8")
    dense.save(tmp)
    keyword.save(tmp)
    for name, text in (texts or {}).items():
        (tmp / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / name).write_text(text, encoding="utf-8")
    # The manifest goes last: a folder without one is never a finished build.
    manifest = {**manifest, "format_version": FORMAT_VERSION, "passages": len(passages)}
    (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    for f in tmp.rglob("*"):
        if f.is_file():
            with f.open("rb") as fh:
                os.fsync(fh.fileno())
    tmp.rename(final)
    _swap_symlink(path, final)
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


def _remove_old_builds(path: Path, keep: Path) -> None:
    build = re.compile(re.escape(f".{path.name}-") + r"\d{8}T\d{6}-\d+-\d+(\.tmp)?$")
    for old in path.parent.iterdir():
        if old == keep or not build.match(old.name):
            continue
        if old.name.endswith(".tmp") and _recent(old):
            continue  # another process may be building right now
        shutil.rmtree(old, ignore_errors=True)


def _recent(folder: Path) -> bool:
    try:
        return time.time() - folder.stat().st_mtime < 3600
    except OSError:
        return False
