"""Every citation re-read from its source before it is served.

A passage (or quoted paragraph) says "this text stands in file F at these spans". Before a hit or a
quote match is shown, the file is decoded again and the spans joined: they must give the same text.
Decoded texts are cached by (size, mtime_ns, inode) of the file, so a check costs one stat per
cited file; an edited file is decoded once more and its citations judged against the new text.

A PDF, DOCX … source is not extracted again (that may take OCR minutes, and depends on the settings
it was read with): its citations index into the text the build extracted (texts/<sha256>.txt, hashed
in the manifest like every file of the index), which stands for the source as long as the source's
own sha256 is still the one recorded.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from qa.errors import QAError
from qa.files import file_sha256
from qa.ingest.sources import read_source

__all__ = ["Cited", "SourceTexts"]


@dataclass(frozen=True)
class Cited:
    """A served claim: `text` stands in `file` (as cited) at the joined `pieces`."""

    file: str
    text: str
    pieces: tuple[tuple[int, int], ...]


class SourceTexts:
    """Decoded source files by the path the index recorded for each cited file name."""

    def __init__(self, sources: list[dict], folder: Path):
        self.records = {s["file"]: s for s in sources}
        self.folder = folder  # the build folder, for the extracted texts
        self._texts: dict[Path, tuple[tuple, str | None]] = {}
        self._lock = threading.Lock()

    def text(self, file: str) -> str | None:
        """The file's decoded text now, or None when it is gone or can no longer be read."""
        record = self.records.get(file)
        if record is None:
            return None
        path = Path(record["path"])
        try:
            st = path.stat()
        except OSError:
            return None
        key = (st.st_size, st.st_mtime_ns, st.st_ino)
        with self._lock:
            cached = self._texts.get(path)
        if cached and cached[0] == key:
            return cached[1]
        try:
            text = self._read(path, record)
        except (QAError, OSError, UnicodeDecodeError):
            text = None
        with self._lock:
            self._texts[path] = (key, text)
        return text

    def _read(self, path: Path, record: dict) -> str | None:
        if not record.get("text"):
            return read_source(path).text
        if file_sha256(path) != record["sha256"]:
            return None  # the source changed since its text was extracted
        return (self.folder / record["text"]).read_text(encoding="utf-8")

    def holds(self, cited: Cited) -> bool:
        text = self.text(cited.file)
        if text is None or not cited.pieces:
            return False
        if any(not 0 <= s <= e <= len(text) for s, e in cited.pieces):
            return False
        return "".join(text[s:e] for s, e in cited.pieces) == cited.text

    def false(self, claims) -> list[Cited]:
        """The claims their source files do not bear out."""
        return [c for c in claims if not self.holds(c)]
