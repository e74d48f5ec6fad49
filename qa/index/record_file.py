"""The records of an index build's JSON-lines files (passages.jsonl, articles.jsonl) as read-only sequences.

    write_records(path, dicts)        path (one JSON object a line) + path.offsets.npy (line starts)
    RecordFile(path, Passage.from_dict)  → a Sequence of Passage: len, [i], iteration

A small file is read whole, as it always was. A large one (from IN_MEMORY_BYTES) stays on disk: it
is memory-mapped and a record is parsed when it is asked for, found through the table of line starts
its build wrote beside it. A server over a million passages then holds only the records its answers
touch (the last CACHED_RECORDS read are kept), not 3 GB of Python objects (bench/serve_scale.py).

bm25s has a reader like this (bm25s.utils.corpus.JsonlCorpus), but it seeks one shared mmap and
reads a line from there, which two server threads at once would interleave; a slice of the mapping
has no position to share.
"""

from __future__ import annotations

import functools
import json
import mmap
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import CorruptIndex

__all__ = ["RecordFile", "write_records", "offsets_path", "IN_MEMORY_BYTES", "CACHED_RECORDS"]

IN_MEMORY_BYTES = 64 << 20  # files below this are parsed whole at load
CACHED_RECORDS = 4096


def offsets_path(path: Path) -> Path:
    return path.with_name(path.name + ".offsets.npy")


def write_records(path: Path, rows) -> int:
    """Write one JSON object a line, and the byte offset where each line starts; the number written."""
    starts = []
    at = 0
    with path.open("wb") as f:
        for row in rows:
            line = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
            starts.append(at)
            f.write(line)
            at += len(line)
    np.save(offsets_path(path), np.asarray(starts, dtype=np.int64))
    return len(starts)


class RecordFile(Sequence):
    """Records parsed by `parse` (e.g. Passage.from_dict) from one file written by write_records."""

    def __init__(self, path: Path, parse: Callable[[dict], Any]):
        self.path = path
        self._parse = parse
        starts = np.load(offsets_path(path), allow_pickle=False)
        size = path.stat().st_size
        self._items: list | None = None
        self._map = None
        if size and size < IN_MEMORY_BYTES:
            with path.open(encoding="utf-8") as f:
                self._items = [parse(json.loads(line)) for line in f]
            if len(self._items) != len(starts):
                raise CorruptIndex(f"{path.name} has {len(self._items)} lines; its offsets table {len(starts)}.")
            return
        self._ends = np.append(starts[1:], size).astype(np.int64)
        self._starts = starts.astype(np.int64)
        if size:
            with path.open("rb") as f:
                self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        self._read = functools.lru_cache(maxsize=CACHED_RECORDS)(self._read_uncached)

    @property
    def in_memory(self) -> bool:
        return self._items is not None

    def mappings(self) -> list:
        """The memory mapping of a file kept on disk (for qa.index.paging)."""
        return [self._map] if self._map is not None else []

    def __len__(self) -> int:
        return len(self._items) if self._items is not None else len(self._starts)

    def __getitem__(self, i):
        if self._items is not None:
            return self._items[i]
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        n = len(self._starts)
        if not -n <= i < n:
            raise IndexError(f"record {i} of {n}")
        return self._read(i % n)

    def _read_uncached(self, i: int):
        line = self._map[int(self._starts[i]) : int(self._ends[i])]
        try:
            return self._parse(json.loads(line))
        except (ValueError, KeyError, TypeError) as exc:
            raise CorruptIndex(f"Record {i} of {self.path.name} is damaged ({exc}).") from exc

    def __iter__(self) -> Iterator:
        if self._items is not None:
            yield from self._items
            return
        for row in self.dicts():
            yield self._parse(row)

    def fields(self, *names: str) -> Iterator[tuple]:
        """The named fields (`id`, `doc_id`) of every record, as tuples, without building the
        records of a file kept on disk."""
        if self._items is not None:
            return (tuple(getattr(r, n) for n in names) for r in self._items)
        return (tuple(d[n] for n in names) for d in self.dicts())

    def dicts(self) -> Iterator[dict]:
        """Every record as the plain dict it was written as, read front to back (no cache, no
        objects). On a file kept on disk it also proves the line table: every line starts where the
        table says (integrity.verify_structure reads every record this way when an index is opened)."""
        if self._items is not None:
            with self.path.open("rb") as f:
                yield from (json.loads(line) for line in f)
            return
        at, i = 0, 0
        with self.path.open("rb") as f:
            for line in f:
                if i >= len(self._starts) or self._starts[i] != at:
                    raise CorruptIndex(f"The line table of {self.path.name} does not match the file (line {i}).")
                yield json.loads(line)
                at, i = at + len(line), i + 1
        if i != len(self._starts):
            raise CorruptIndex(f"{self.path.name} has {i} lines; its line table {len(self._starts)}.")
