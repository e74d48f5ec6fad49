"""Finding source files and reading each into a SourceFile: its text, blocks and where they stand."""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from qa.config import checkout, data_root, package_dir
from qa.errors import SourceNotFound, UndecodableSource

from .readers import READERS, UNSUPPORTED, Document, ReadLimits, TextBlock, read_document
from .readers.plaintext import decode_bytes
from .report import FileReport

__all__ = [
    "SourceFile",
    "read_source",
    "find_sources",
    "display_path",
    "decode_bytes",
    "SUFFIXES",
    "MAX_FILE_BYTES",
]

SUFFIXES = tuple(READERS)
MAX_FILE_BYTES = 50 * 1024 * 1024  # the default of the setting max_file_mb


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute
    file: str  # as shown in citations: relative to data_dir or the package (display_path), or absolute
    text: str  # decoded (plain text, Markdown) or extracted text; citation offsets index into this
    encoding: str | None
    sha256: str  # of the raw bytes: unchanged files are never re-embedded
    format: str = "txt"
    blocks: tuple[TextBlock, ...] | None = None  # None: plain text, laid out line by line
    extracted: bool = False  # text is extracted, not the file itself: the index keeps a copy
    slides: bool = False  # each page is a slide (see readers.Document)
    report: FileReport = field(default_factory=lambda: FileReport("", "txt"), compare=False)

    def location(self, offset: int) -> tuple[int | None, str | None, int | None]:
        """(page, sheet, row) of the block holding `offset`; all None for plain text."""
        if not self.blocks:
            return None, None, None
        starts = [b.start for b in self.blocks]
        k = max(bisect.bisect_right(starts, offset) - 1, 0)
        b = self.blocks[k]
        return b.page, b.sheet, b.row


def display_path(path: Path) -> str:
    """How citations and reports name a file: a file uploaded into a collection by its place in the
    collection, `<name>.files/<file>`, never by the server's own folders; else relative to data_dir (the
    checkout, or where indexes and collections live), else to the package (the seeds shipped in the
    wheel: seeds/…) or the checkout qa runs from (whose qa/seeds links to its seeds/), else absolute."""
    path = Path(path).absolute()
    if path.parent.name.endswith(".files") and not path.parent.name.startswith("."):
        return f"{path.parent.name}/{path.name}"
    data = data_root()
    for root in (data, data.resolve(), package_dir(), checkout() or package_dir()):
        for candidate in (path.resolve(), path):
            if candidate.is_relative_to(root):
                return candidate.relative_to(root).as_posix()
    return path.resolve().as_posix()


def read_source(path: Path, limits: ReadLimits | None = None, max_bytes: int = MAX_FILE_BYTES) -> SourceFile:
    """Read one file with the reader for its type; SourceError when it cannot be read at all (its
    message names the file as display_path does: an upload never by the server's folders)."""
    path = Path(path)
    if not path.exists():
        raise SourceNotFound(f"No such file: {display_path(path)}. Check the path and try again.")
    if not path.is_file():
        raise SourceNotFound(f"{display_path(path)} is not a file.")
    size = path.stat().st_size
    if size > max_bytes:
        raise UndecodableSource(
            f"{display_path(path)} is {size / (1024 * 1024):.1f} MiB; files over {max_bytes // (1024 * 1024)} MiB are not "
            "ingested (setting max_file_mb). Split it first."
        )
    data = path.read_bytes()
    doc: Document = read_document(data, str(path), limits)
    file = display_path(path)
    report = FileReport(
        file=file,
        format=doc.format,
        pages=doc.pages,
        characters=len(doc.text),
        ocr_pages=list(doc.ocr_pages),
        needs_ocr=list(doc.needs_ocr),
        warnings=list(doc.warnings),
    )
    if not doc.text.strip():
        report.warnings.append("no text found in it")
    return SourceFile(
        path=path.resolve(),
        file=file,
        text=doc.text,
        encoding=doc.encoding,
        sha256=hashlib.sha256(data).hexdigest(),
        format=doc.format,
        blocks=None if doc.blocks is None else tuple(doc.blocks),
        extracted=doc.extracted,
        slides=doc.slides,
        report=report,
    )


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def find_sources(paths: list[Path], follow_symlinks: bool = False, notes: list[str] | None = None) -> list[Path]:
    """Expand folders to the files inside them that have a reader or a known unsupported type
    (sorted); files given by name are taken as given. Inside a folder, a symlink that leads out of
    it is skipped (and named in `notes`) unless `follow_symlinks`."""
    wanted = set(READERS) | set(UNSUPPORTED)
    found: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if not f.is_file() or f.suffix.lower() not in wanted:
                    continue
                if not follow_symlinks and not _inside(f, p):
                    if notes is not None:
                        notes.append(
                            f"{f}: a link to {f.resolve()}, outside {p}; not followed (setting follow_symlinks)"
                        )
                    continue
                found.append(f)
        elif p.exists():
            found.append(p)
        else:
            # Named as citations name it: a file of a collection dropped meanwhile is `<name>.files/<file>`.
            raise SourceNotFound(f"No such file or folder: {display_path(p)}. Check the path and try again.")
    unique: dict[Path, Path] = {}
    for f in found:
        unique.setdefault(f.resolve(), f)
    return list(unique.values())
