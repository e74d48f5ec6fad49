"""Each file's reading and layout in a child process, bounded in time and memory.

    read_guarded(path, bounds: FileBounds) -> GuardedFile   its SourceFile and its split (articles, passages, repairs)

In:  a path and the bounds (settings max_file_seconds, ocr_page_seconds, max_file_seconds_total,
     max_file_memory_mb, max_file_chars, max_file_passages).
Out: what `read_source` and `split_file` make of it; a file past a bound raises UndecodableSource with a
one-line reason, and the batch goes on.

A reader or the layout can run for ever or allocate without end on a hostile file (a spreadsheet
declaring a million rows of sixteen thousand columns, a DOCX unzipping to 40 MiB of runs). The work runs
in a worker process: one that passes its time is killed; its address space is capped (RLIMIT_AS, set
to its size at the start of each file plus max_file_memory_mb), so an allocation past the cap fails.
Not signal.alarm: jobs run on threads, and a signal handler only ever runs on the main thread.

Workers are reused file after file (a few kept idle), so a batch of small files costs a round trip
over a socket per file, not a process start; a worker that was killed or ran out of memory is replaced,
and one left idle for `idle_seconds` exits, so the memory a large file or the OCR model took goes back.
The time a file may take grows by ocr_page_seconds per page OCR'd, never past max_file_seconds_total. Several threads (one job per collection, the
CLI) may read at once: each takes its own worker.
"""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path

from qa import errors
from qa.errors import SourceError, UndecodableSource
from qa.records import Article, Passage

from .passages import split_file
from .readers import ReadLimits, ocr
from .sources import SourceFile, display_path, read_source

__all__ = ["FileBounds", "GuardedFile", "read_guarded", "numbered"]

_IDLE_WORKERS = 4  # workers kept for the next file; more are started while more threads read at once


@dataclass(frozen=True)
class FileBounds:
    read: ReadLimits
    max_bytes: int
    max_passage_chars: int
    seconds: float = 60  # 0: no child process, no bounds but the readers' own
    ocr_page_seconds: float = 30
    memory_mb: int = 2048
    max_chars: int = 10_000_000
    min_passage_chars: int = 0
    max_passages: int = 5000
    seconds_total: float = 1200  # the ceiling of `seconds` plus its OCR'd pages' time
    idle_seconds: float = 60  # a worker left idle this long exits (its memory, an OCR model, goes back)

    @classmethod
    def of(cls, settings) -> FileBounds:
        return cls(
            settings.read_limits,
            settings.max_file_mb * 1024 * 1024,
            settings.max_passage_chars,
            settings.max_file_seconds,
            settings.ocr_page_seconds,
            settings.max_file_memory_mb,
            settings.max_file_chars,
            settings.min_passage_chars,
            settings.max_file_passages,
            settings.max_file_seconds_total,
        )


@dataclass(frozen=True)
class GuardedFile:
    source: SourceFile
    articles: list[Article]
    passages: list[Passage]  # numbered from 0; `numbered` renumbers them for their place in a corpus
    repairs: list[str]


def numbered(file: GuardedFile, first_id: int) -> tuple[list[Article], list[Passage], list[str]]:
    """The file's split with its passages numbered from `first_id` (split_file's result for that id)."""
    return file.articles, [replace(p, id=first_id + k) for k, p in enumerate(file.passages)], file.repairs


def _read_and_split(path: Path, bounds: FileBounds) -> GuardedFile:
    source = read_source(path, bounds.read, bounds.max_bytes)
    if len(source.text) > bounds.max_chars:
        raise UndecodableSource(
            f"{source.file}: it holds more than {bounds.max_chars:,} characters of text ({len(source.text):,}); "
            "refused (setting max_file_chars). Split it first."
        )
    articles, passages, repairs = split_file(source, bounds.max_passage_chars, min_chars=bounds.min_passage_chars)
    if len(passages) > bounds.max_passages:
        # Refused here, in the worker, before its keyword tokens and embedding (each passage's derived
        # texts are bounded, so these bound the file's whole share of that work).
        raise UndecodableSource(
            f"{source.file}: it makes {len(passages):,} passages, more than {bounds.max_passages:,}; refused "
            "(setting max_file_passages). Split it first."
        )
    return GuardedFile(source, articles, passages, repairs)


# -- the worker side ----------------------------------------------------------------------------------


def _address_space() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _out_of_memory(exc: BaseException | None) -> bool:
    """Whether `exc` is, or was raised while handling, a MemoryError (readers wrap what they catch)."""
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, MemoryError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def serve(fd: int) -> None:
    """A worker: read the files sent over the socket `fd` until it closes; each page about to be OCR'd is
    announced (it extends the file's time)."""
    conn = Connection(fd)
    run_ocr = ocr.ocr_lines

    def ocr_lines(image):
        conn.send(("ocr",))
        return run_ocr(image)

    ocr.ocr_lines = ocr_lines  # pdf.py calls it through the module: each page OCR'd is announced
    idle: float | None = None  # waits for its first file however long; after that, `idle_seconds`
    while True:
        try:
            if not conn.poll(idle):
                return  # idle too long: its memory (a large file's heap, the OCR model) goes back
            path, bounds = conn.recv()
            idle = bounds.idle_seconds
        except (EOFError, OSError):
            return
        cap = _address_space() + bounds.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, resource.RLIM_INFINITY))
        try:
            reply = ("done", _read_and_split(path, bounds))
        except Exception as exc:
            if _out_of_memory(exc):
                reply = ("memory",)
            elif isinstance(exc, errors.QAError):
                reply = ("error", type(exc).__name__, exc.message)
            else:  # a reader's own failure on a malformed file: the file is refused, not the batch
                reply = (
                    "error",
                    "UndecodableSource",
                    f"{display_path(path)}: could not be read ({type(exc).__name__}).",
                )
        finally:
            resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        try:
            conn.send(reply)
        except MemoryError:
            conn.send(("memory",))
        if reply[0] == "memory":
            return  # its heap may be left fragmented past use: a fresh worker takes over


# -- the parent side ----------------------------------------------------------------------------------


class _Worker:
    """`python -c 'serve(fd)'`, talking over a socket pair: a fresh interpreter (no state, locks or
    threads of the server forked into it), with the environment as it is now."""

    def __init__(self):
        mine, theirs = socket.socketpair()
        code = f"from {__name__} import serve; serve({theirs.fileno()})"
        self.process = subprocess.Popen(
            [sys.executable, "-c", code], pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, close_fds=True
        )
        theirs.close()
        self.conn = Connection(mine.detach())
        self.usable_until = float("inf")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait(5)
        self.conn.close()


class _Pool:
    def __init__(self):
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []

    def take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive() and time.monotonic() < worker.usable_until:
                    return worker
                worker.stop()
        return _Worker()

    def give_back(self, worker: _Worker, idle_seconds: float) -> None:
        """Keep `worker` for the next file; it exits by itself after `idle_seconds` without one, so it is
        only handed out in the first half of that (never while it may be exiting)."""
        worker.usable_until = time.monotonic() + idle_seconds / 2
        with self._lock:
            if len(self._idle) < _IDLE_WORKERS and worker.alive():
                self._idle.append(worker)
                return
        worker.stop()


_POOL = _Pool()


def read_guarded(path: Path, bounds: FileBounds) -> GuardedFile:
    """Read and lay out one file in a worker, within `bounds`; SourceError (one line) when it cannot be."""
    path = Path(path).absolute()  # the worker's folder is the forkserver's
    name = display_path(path)
    if not bounds.seconds:
        try:
            return _read_and_split(path, bounds)
        except SourceError as exc:
            raise type(exc)(exc.message.replace(str(path), name)) from None
    worker = _POOL.take()
    try:
        worker.conn.send((path, bounds))
        started = time.monotonic()
        deadline, ceiling = started + bounds.seconds, started + max(bounds.seconds_total, bounds.seconds)
        while True:
            if not worker.conn.poll(max(deadline - time.monotonic(), 0)):
                worker.stop()
                if deadline >= ceiling:
                    raise UndecodableSource(
                        f"{name}: reading it took longer than {ceiling - started:g} s, its OCR'd pages included; "
                        "refused (setting max_file_seconds_total)."
                    )
                raise UndecodableSource(
                    f"{name}: reading it took longer than {deadline - started:g} s; refused (setting "
                    "max_file_seconds, plus ocr_page_seconds per page OCR'd)."
                )
            try:
                reply = worker.conn.recv()
            except (EOFError, OSError):
                worker.stop()
                raise UndecodableSource(
                    f"{name}: its reader stopped (exit code {worker.process.returncode}), most likely past "
                    f"{bounds.memory_mb} MiB of memory; refused (setting max_file_memory_mb)."
                ) from None
            if reply[0] == "ocr":
                deadline = min(deadline + bounds.ocr_page_seconds, ceiling)  # never past the file's ceiling
                continue
            break
    except BaseException:
        worker.stop()
        raise
    if reply[0] == "memory":
        worker.stop()
        raise UndecodableSource(
            f"{name}: reading it needed more than {bounds.memory_mb} MiB of memory; refused (setting "
            "max_file_memory_mb)."
        )
    _POOL.give_back(worker, bounds.idle_seconds)
    if reply[0] == "error":
        error = getattr(errors, reply[1], None)
        error = error if isinstance(error, type) and issubclass(error, SourceError) else UndecodableSource
        raise error(reply[2].replace(str(path), name))  # readers name the file by its path: not the server's folders
    return reply[1]
