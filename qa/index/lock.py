"""One writer at a time: a lock file per index, held by a build from reading sources to the swap.

Two `qa ingest` runs into the same index used to each build from the manifest they had read and
swap in their own result: the later swap silently dropped the other's folder. Under the lock the
second writer waits, then reads the index the first one left and adds its own inputs to it.

The lock is `embeddings/.<name>.lock` (an OS file lock via `filelock`: released by the kernel when
a process dies, so a killed build never leaves the index locked).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from qa.errors import IndexBusy, IndexWriteError

__all__ = ["writer_lock", "lock_path"]

log = logging.getLogger("qa")


def lock_path(index_path: Path) -> Path:
    return index_path.parent / f".{index_path.name}.lock"


@contextlib.contextmanager
def writer_lock(index_path: Path, timeout: float, say: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the index's write lock; wait up to `timeout` seconds (saying so) when another process holds it."""
    say = say or log.warning
    path = lock_path(index_path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(path))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            say(
                f"另一个进程正在写入索引 {index_path.name}，等待它完成（最多 {timeout:g} 秒）…… / "
                f"Another process is writing index {index_path.name}; waiting for it (up to {timeout:g} s)."
            )
            lock.acquire(timeout=timeout)
    except Timeout:
        raise IndexBusy(
            f"索引 {index_path.name} 被另一个进程占用超过 {timeout:g} 秒；等它结束后再试，或调大 lock_timeout。/ "
            f"Index {index_path.name} stayed locked by another process ({path}) for {timeout:g} s; "
            "try again when it finishes, or raise lock_timeout."
        ) from None
    except OSError as exc:
        raise IndexWriteError(
            f"无法在 {path.parent} 中写入（{exc.strerror or exc}）：索引文件夹需可写。/ "
            f"Cannot write in {path.parent} ({exc.strerror or exc}); the index folder must be writable."
        ) from None
    try:
        yield
    finally:
        lock.release()
