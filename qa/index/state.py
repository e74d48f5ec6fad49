"""Opening an index: what stands on disk, whether it is stale or damaged, and (re)building it under
the writer lock when it must be; a stale index that cannot be rebuilt is served as it is."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

from qa.config import Settings
from qa.errors import CorruptIndex, IndexBusy, IndexOfAnotherVersion, IndexWriteError, QAError
from qa.files import file_sha256
from qa.ingest.report import FileReport
from qa.ingest.sources import display_path, find_sources

from .build import build_index, wanted_manifest
from .lock import writer_lock
from .store import MANIFEST, Index, read_manifest

__all__ = ["open_index", "index_state", "stale_reason", "unchanged_reports"]

log = logging.getLogger("qa")


def stale_reason(path: Path, settings: Settings, encoder) -> str | None:
    """Why the index at `path` must be rebuilt, or None when it is current."""
    manifest = read_manifest(path)
    wanted = wanted_manifest(settings, encoder)
    for key in ("model", "weights_hash", "chunking", "keyword", "ann"):
        if manifest.get(key) != wanted[key]:
            return f"its {key} changed ({manifest.get(key)!r} → {wanted[key]!r})"
    try:
        files = find_sources([Path(p) for p in manifest["inputs"]], settings.follow_symlinks)
    except QAError as exc:
        return f"a source is missing: {exc.message}"
    recorded = {s["path"]: s for s in [*manifest["sources"], *manifest.get("skipped", [])]}
    if {str(f.resolve()) for f in files} != set(recorded):
        return "files were added to or removed from its sources"
    for f in files:
        rec = recorded[str(f.resolve())]
        st = f.stat()
        if st.st_size == rec["bytes"] and st.st_mtime_ns == rec["mtime_ns"]:
            continue  # unchanged size and time: skip hashing large corpora
        if file_sha256(f) != rec["sha256"]:
            return f"{rec['file']} changed"
    return None


def index_state(
    settings: Settings, encoder, path: Path, add=(), first_inputs=()
) -> tuple[Index | None, list[Path], str | None]:
    """What stands at `path` and what it should cover: the index (None when missing or damaged), its
    inputs plus `add` (`first_inputs` plus `add` when there is no index yet), and why it must be
    (re)built, or None when it is current and covers them all."""
    add = [Path(p).resolve() for p in add]
    if not path.exists():
        inputs = list(dict.fromkeys([*first_inputs, *add]))
        return None, inputs, f"first use, from {', '.join(map(str, inputs))}"
    previous = None
    known = list(first_inputs)
    try:
        previous = Index.load(path)
        known = _moved([Path(p) for p in previous.manifest["inputs"]], first_inputs)
        reason = stale_reason(path, settings, encoder)
    except CorruptIndex as exc:
        previous = None
        reason = exc.message if isinstance(exc, IndexOfAnotherVersion) else f"it is damaged: {exc.message}"
        # rebuild what it covered, else from what we were given
        known = _moved(_recorded_inputs(path), first_inputs) or known
    inputs = list(dict.fromkeys([*known, *add]))
    if reason is None and set(inputs) != set(known):
        reason = f"new inputs: {', '.join(str(p) for p in inputs if p not in set(known))}"
    return previous, inputs, reason


def unchanged_reports(index: Index, paths, follow_symlinks: bool = False) -> list[FileReport]:
    """One report per file under `paths` when a re-ingest finds the index current: each file is marked
    unchanged and not re-read, with what its last read found (the manifest's report), warnings included."""
    known = {r["file"]: r for r in index.manifest.get("file_reports", [])}
    notes: list[str] = []
    reports = []
    for f in find_sources([Path(p) for p in paths], follow_symlinks, notes):
        file = display_path(f)
        last = known.get(file)
        report = FileReport.from_dict(last) if last else FileReport(file, f.suffix.lower().lstrip(".") or "?")
        reports.append(dataclasses.replace(report, unchanged=True))
    reports += [FileReport(n.split(":", 1)[0], "link", error=n.split(": ", 1)[1]) for n in notes]
    return reports


def _moved(recorded: list[Path], first_inputs) -> list[Path]:
    """Recorded inputs, each that is gone replaced by the configured corpus folder of the same name: the
    seeds shipped in the package move when qa is upgraded into a new venv or Python (…/python3.11/
    site-packages/qa/seeds → …/python3.12/…), and the index is rebuilt from where they stand now."""
    by_name = {Path(p).name: Path(p) for p in first_inputs if Path(p).exists()}
    return [p if p.exists() or p.name not in by_name else by_name[p.name] for p in recorded]


def _recorded_inputs(path: Path) -> list[Path]:
    """The inputs a damaged manifest still names, read leniently (its other fields may be garbage)."""
    try:
        inputs = json.loads((path / MANIFEST).read_text(encoding="utf-8")).get("inputs")
    except (OSError, ValueError, AttributeError):
        return []
    if not isinstance(inputs, list) or not all(isinstance(p, str) and p for p in inputs):
        return []
    return [Path(p) for p in inputs]


def open_index(settings: Settings, encoder, path: Path | None = None, progress: bool = False, on_rebuild=None) -> Index:
    """Load the index, building it from settings.corpus when missing and rebuilding it when stale or damaged.

    A stale index that cannot be rebuilt (read-only folder, disk full, another writer past
    lock_timeout) is served as it is, with a message: it still answers truly from the files as they
    were, and every citation is re-read from its source before it is shown (see service.py)."""
    path = path or settings.index_path
    say = on_rebuild or log.warning
    encoder.prefetch()  # the model loads beside the index: the first question needs both
    previous, inputs, reason = index_state(settings, encoder, path, first_inputs=settings.corpus_paths)
    if reason is None:
        return previous
    try:
        with writer_lock(path, settings.lock_timeout, say):
            # Another process may have rebuilt it while we waited for the lock.
            previous, inputs, reason = index_state(settings, encoder, path, first_inputs=settings.corpus_paths)
            if reason is None:
                return previous
            say(f"{'Rebuilding' if path.exists() else 'Building'} index {path.name}: {reason}")
            index, _ = build_index(settings, inputs, encoder, path, previous, progress)
            return index
    except (IndexWriteError, IndexBusy) as exc:
        if previous is None:  # nothing readable to fall back on: say why it needed building, and why it cannot
            raise type(exc)(f"{exc.message} / Index {path.name} must be (re)built: {reason}.") from exc
        say(
            f"索引 {path.name} 已过期（{reason}），但无法重建：{exc.message} 暂用旧索引回答。/ "
            f"Index {path.name} is stale ({reason}) and cannot be rebuilt now; answering from it as it is."
        )
        return previous
