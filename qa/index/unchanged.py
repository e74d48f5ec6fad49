"""Files a previous build already read, taken from it instead of being read again.

    reading_key(settings)                 -> dict   what a file's reading and layout depend on (the manifest's "reading")
    Unchanged(previous, settings).take(f) -> GuardedFile | FileReport | None

In:  the previous Index (None: nothing to take) and the settings of this build.
Out: for a file whose bytes (sha256) the previous build read under the same reading key, what it made
of it: its articles, passages, repairs and report (marked unchanged), or the refusal it got (a
FileReport with the same reason); None for a file to read.

Every job of a collection builds from all its files: without this, one slow file (a scan OCR'd for
minutes, a file refused after max_file_seconds) was read again by every upload after it. Its text is
not embedded again either way (views.py reuses vectors by text); this spares the reading and layout.
"""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from pathlib import Path

from qa.files import file_sha256
from qa.ingest.guard import FileBounds, GuardedFile
from qa.ingest.readers import ocr
from qa.ingest.report import FileReport
from qa.ingest.sources import SourceFile

from .store import Index, library_versions

__all__ = ["Unchanged", "reading_key"]


def reading_key(settings, layout_version: int) -> dict:
    """Everything a file's reading and layout depend on besides its bytes: the file bounds (reader
    limits, time and memory, passage lengths), whether OCR is installed, the layout's version and the
    libraries'. A build under another key reads every file again."""
    bounds = dataclasses.asdict(FileBounds.of(settings))
    return {"bounds": bounds, "ocr": ocr.available(), "layout_version": layout_version, "versions": library_versions()}


class Unchanged:
    def __init__(self, previous: Index | None, settings, layout_version: int):
        manifest = previous.manifest if previous is not None else {}
        same = previous is not None and manifest.get("reading") == reading_key(settings, layout_version)
        self._previous = previous if same else None
        records = [*manifest.get("sources", []), *manifest.get("skipped", [])] if same else []
        self._records = {r.get("path"): r for r in records if isinstance(r, dict)}
        self._reports = {r.get("file"): r for r in manifest.get("file_reports", []) if isinstance(r, dict)}
        self._split: dict[str, tuple[list, list]] | None = None

    def take(self, path: Path) -> GuardedFile | FileReport | None:
        """What the previous build made of `path` if its bytes are the ones it read; else None."""
        record = self._records.get(str(path.resolve()))
        if record is None or file_sha256(path) != record.get("sha256"):
            return None
        report = FileReport.from_dict(self._reports.get(record["file"], {"file": record["file"], "format": "?"}))
        report.unchanged = True
        if "reason" in record:  # refused last time, for a reason its bytes still give
            report.error = record["reason"]
            return report
        articles, passages = self._of_file(record["file"])
        if not articles:
            return None
        text = ""
        if "text" in record:  # extracted text, kept by the index (build.extracted_text_name)
            try:
                text = (self._previous.folder / record["text"]).read_text(encoding="utf-8")
            except OSError:
                return None
        source = SourceFile(
            path=path.resolve(),
            file=record["file"],
            text=text,  # a plain-text file's own text is not needed again: its passages are laid out
            encoding=record.get("encoding"),
            sha256=record["sha256"],
            format=record.get("format", "txt"),
            extracted="text" in record,
            report=report,
        )
        prefix = f"{record['file']}: "
        repairs = [r for r in self._previous.manifest.get("repairs", []) if r.startswith(prefix)]
        return GuardedFile(source, articles, passages, repairs)

    def _of_file(self, file: str) -> tuple[list, list]:
        """The previous build's articles and passages of `file` (passages numbered from 0, their
        duplicate marks cleared: the new corpus marks them again)."""
        if self._split is None:
            self._split = {}
            for a in self._previous.articles:
                self._split.setdefault(a.file, ([], []))[0].append(a)
            for p in self._previous.passages:
                if p.citation.file in self._split:
                    self._split[p.citation.file][1].append(p)
        articles, passages = self._split.get(file, ([], []))
        fresh = [replace(p, id=k, duplicate_of=None, also_in=()) for k, p in enumerate(passages)]
        return articles, fresh
