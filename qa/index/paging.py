"""The pages of memory-mapped index files: read at random, and let go of after a request.

In:  the mappings of an open index: numpy.memmap arrays, mmap.mmap objects, and the address
     ranges of a file a library mapped itself (FAISS maps dense.faiss and does not hand the mapping
     out: `file_ranges` finds them in /proc/self/maps).
Out: nothing; the kernel is told (madvise) how those pages are used.

Why: a search touches scattered rows (a candidate's vector, a record's line, a term's column, a
quote's n-gram block, an HNSW node). Every page a process has touched in a file mapping counts in
its resident memory (RSS) for as long as it keeps the mapping, with up to 15 neighbours the kernel
maps along (fault-around) and, by default, read-ahead around each fault. At 1M passages 400
questions and 100 quote checks left 10 GB of index pages counted against one server although its
own memory was 0.9 GB (bench/serve_scale.py). So:

- advise_random (MADV_RANDOM) at open: no read-ahead into memory on a fault;
- release (MADV_DONTNEED) after a request once the process maps more file pages than the setting
  mapped_pages_mb: it stops mapping the index pages it read. They stay in the page cache, shared
  and sized by the kernel, so the next request maps them again with a minor fault; only this
  process's resident memory shrinks. Safe for these mappings because they are read-only views of
  files: a page let go of is read again as it was.

FAISS's mapping is known only by its address ranges in /proc/self/maps. `mapped_by` takes the
ranges of the file that appear while one load runs (loads serialised), so an index releases only
its own mapping, which lives as long as the FAISS object does: a range of an older mapping of the
same file could be another object's memory by the time it is released, and releasing that would
zero it. Where madvise is missing (not Linux) nothing changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import mmap
import threading
from functools import cache
from pathlib import Path

import numpy as np

__all__ = ["advise_random", "release", "mapped_by", "mapped_file_mb"]

_LOADING = threading.Lock()

_RANDOM = getattr(mmap, "MADV_RANDOM", None)
_DONTNEED = getattr(mmap, "MADV_DONTNEED", None)


def advise_random(mappings) -> None:
    """No read-ahead on the given mappings (see `_advise` for what a mapping may be)."""
    _advise(mappings, _RANDOM)


def release(mappings) -> None:
    """This process lets go of the pages of the given mappings that it has read."""
    _advise(mappings, _DONTNEED)


def mapped_file_mb() -> float:
    """MB of file pages this process has mapped (index files and libraries; /proc/self/statm's
    third field), or 0 where /proc is missing."""
    try:
        shared = int(Path("/proc/self/statm").read_text().split()[2])
    except (OSError, IndexError, ValueError):
        return 0.0
    return shared * mmap.PAGESIZE / (1 << 20)


def mapped_by(load, path: Path) -> tuple[object, list[tuple[int, int]]]:
    """load() (which maps `path`), and the mapping it made: the ranges of `path` that were not
    mapped before it ran. Valid for as long as what load() returned keeps the file mapped."""
    with _LOADING:
        before = set(file_ranges(path))
        loaded = load()
        return loaded, [r for r in file_ranges(path) if r not in before]


def file_ranges(path: Path) -> list[tuple[int, int]]:
    """(address, length) of every mapping of `path` in this process, from /proc/self/maps ([] where
    there is none). Valid only while the object that mapped the file keeps it mapped."""
    try:
        lines = Path("/proc/self/maps").read_text().splitlines()
    except OSError:
        return []
    target, ranges = str(Path(path).resolve()), []
    for line in lines:
        fields = line.split(maxsplit=5)
        if len(fields) == 6 and fields[5] == target:
            start, end = (int(x, 16) for x in fields[0].split("-"))
            ranges.append((start, end - start))
    return ranges


def _advise(mappings, advice: int | None) -> None:
    """mappings: numpy arrays (only memory-mapped ones are advised: through the mmap.mmap numpy
    keeps as `_mmap`), mmap.mmap objects, and (address, length) ranges from `file_ranges`."""
    if advice is None:
        return
    for m in mappings:
        if isinstance(m, np.memmap):
            m = getattr(m, "_mmap", None)
        if isinstance(m, mmap.mmap):
            if len(m):
                m.madvise(advice)
        elif isinstance(m, tuple):
            _libc().madvise(m[0], m[1], advice)


@cache
def _libc():
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    return libc
