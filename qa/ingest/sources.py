"""Finding and decoding source files: UTF-8, and GB18030/GBK/Big5 as Chinese offices save them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from qa.config import project_root
from qa.errors import SourceNotFound, UndecodableSource

__all__ = ["SourceFile", "read_source", "find_sources", "display_path", "file_sha256", "SUFFIXES"]

SUFFIXES = (".txt", ".md")
MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute
    file: str  # as shown in citations: relative to the checkout, or absolute
    text: str  # decoded text; citation offsets index into this
    encoding: str
    sha256: str  # of the raw bytes: unchanged files are never re-embedded


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in 4 MiB chunks (model files are hundreds of MB)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def display_path(path: Path) -> str:
    path = path.resolve()
    try:
        return path.relative_to(project_root()).as_posix()
    except ValueError:
        return path.as_posix()


def decode_bytes(data: bytes, name: str) -> tuple[str, str]:
    """Decode bytes as UTF-8 if they are, else detect among the Chinese legacy encodings."""
    try:
        text = data.decode("utf-8-sig")
        encoding = "utf-8"
    except UnicodeDecodeError:
        if b"\x00" in data:
            raise UndecodableSource(
                f"{name} looks like a binary file (it contains NUL bytes); give a .txt or .md file."
            ) from None
        import charset_normalizer

        best = charset_normalizer.from_bytes(data, cp_isolation=["gb18030", "big5", "utf_16"]).best()
        if best is None:
            raise UndecodableSource(
                f"{name} is not UTF-8, GB18030/GBK or Big5 text; save it as UTF-8 and ingest it again."
            ) from None
        text, encoding = str(best), best.encoding
    if "\x00" in text:
        raise UndecodableSource(
            f"{name} looks like a binary file (it contains NUL characters); give a .txt or .md file."
        )
    # Offsets are counted on text with Unix line ends, so a CRLF file cites the same spans.
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


def read_source(path: Path) -> SourceFile:
    path = Path(path)
    if not path.exists():
        raise SourceNotFound(f"No such file: {path}. Check the path and try again.")
    if not path.is_file():
        raise SourceNotFound(f"{path} is not a file.")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UndecodableSource(
            f"{path} is {size // (1024 * 1024)} MiB; files over 50 MiB are not ingested. Split it first."
        )
    data = path.read_bytes()
    text, encoding = decode_bytes(data, str(path))
    return SourceFile(
        path=path.resolve(),
        file=display_path(path),
        text=text,
        encoding=encoding,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def find_sources(paths: list[Path]) -> list[Path]:
    """Expand folders to the .txt/.md files inside them (sorted); files are taken as given."""
    found: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES))
        elif p.exists():
            found.append(p)
        else:
            raise SourceNotFound(f"No such file or folder: {p}. Check the path and try again.")
    unique: dict[Path, Path] = {}
    for f in found:
        unique.setdefault(f.resolve(), f)
    return list(unique.values())
