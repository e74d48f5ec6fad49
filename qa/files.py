"""File helpers every stage uses: a file's sha256, and writing a file so that no reader ever sees
it half-written.

In:  a path; for writing, a function that fills a temporary path.
Out: the hex digest; the file, renamed into place whole (or left as it was).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["file_sha256", "write_atomically"]


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in 4 MiB chunks (model files are hundreds of MB)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def write_atomically(target: Path, write: Callable[[Path], object], mode: int = 0o644) -> None:
    """`write(tmp)` fills a temporary file beside `target`, which is then renamed over it: a crash or
    a concurrent writer never leaves a half-written file that looks finished, and the temporary file
    is gone either way. Errors (OSError from a read-only folder or a full disk) are the caller's."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        tmp.chmod(mode)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
