"""Background jobs: uploads and removals run off the request thread, one at a time per collection, with
their state on disk.

    index_dir/.jobs/<id>.json   one job: its state, step, counts and each file's outcome, rewritten
                                atomically (temp file + rename) as it moves

In:  a Job (what to do) and the work function. Out: Job records (`get`), also after a restart.
A job left `queued` or `running` by a process that is gone (killed mid-build) is reported `failed`
when the next server starts: its build never swapped in, so the previous index is the one answering.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from qa.errors import NotFound, QAError
from qa.index.progress import BuildProgress

__all__ = ["Job", "JobFile", "Jobs"]

# Progress is written to disk at most this often; the state changes (running, done, failed) always.
_SAVE_EVERY = 0.5


@dataclass
class JobFile:
    name: str  # as uploaded (or the doc id / file to remove)
    state: str = "queued"  # queued, indexed, unchanged, failed, removed
    error: str | None = None
    passages: int | None = None  # passages read from it (after the build)
    stored: str | None = None  # where the upload is kept: the `file` its citations name
    # While the job runs, where this file stands: reading, read (waiting for the steps after reading),
    # then the build's step (embedding, writing …), which every file of the build goes through together.
    stage: str | None = None


@dataclass
class Job:
    id: str
    action: str  # upload or remove
    collection: str
    state: str = "queued"  # queued, running, done, failed
    step: str | None = None  # the build step running now (reading, layout, embedding, …)
    step_done: int = 0
    step_total: int | None = None
    step_rate: float | None = None  # the running step's units per second so far
    eta_seconds: float | None = None  # the running step's time left at that rate
    files_done: int = 0  # files read by the build (the collection's files, not only the uploaded ones)
    files_total: int | None = None
    embedded: int = 0  # texts embedded so far (passages and their sentences; unchanged text is reused)
    passages: int | None = None  # passages in the collection once the job is done
    message: str | None = None
    error_code: str | None = None  # a failed job's error code (the page words it from it: static/messages.js)
    files: list[JobFile] = field(default_factory=list)
    created: float = field(default_factory=time.time)
    finished: float | None = None
    client: str = ""  # who asked for it (the address, as in the audit log)
    pid: int = field(default_factory=os.getpid)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("pid")
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Job:
        return cls(**{**d, "files": [JobFile(**f) for f in d.get("files", [])]})

    def advance(
        self, step: str, done: int, total: int | None, status: dict | None = None, item: str | None = None
    ) -> None:
        """BuildProgress's callback: where the build stands (`status`: its running step, rate and ETA;
        `item`: the file the reading step is at), and so where each of the job's files stands."""
        self.step, self.step_done, self.step_total = step, done, total
        current = (status or {}).get("current") or {}
        self.step_rate, self.eta_seconds = current.get("rate"), current.get("eta_seconds")
        if step == "reading":
            self.files_done, self.files_total = done, total
        elif step == "embedding":
            self.embedded = done
        for f in self.files:
            if f.state != "queued":
                continue
            if step != "reading":
                f.stage = step  # past reading, every file of the build is at the build's step
            elif item is not None and _stored_name(f) == item:
                f.stage = "reading"
            elif f.stage == "reading":
                f.stage = "read"  # the reader moved on to the next file


def _stored_name(f: JobFile) -> str:
    """The name the build reads the file under (the stored copy's), else the name it was uploaded as."""
    return Path(f.stored).name if f.stored else f.name


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Jobs:
    def __init__(self, folder: Path, orphaned: Callable[[Job], None] | None = None):
        """`orphaned(job)` is called for each job of a killed server that start-up marks failed (the audit
        log's closing line for it)."""
        self.folder = folder
        self._jobs: dict[str, Job] = {}
        self._saved: dict[str, float] = {}
        self._lock = threading.Lock()
        # One worker per collection: its jobs run one after the other (they would wait for its writer
        # lock anyway), and a slow job in one collection never holds back another collection's.
        # A worker ends when its collection has no job left (a dropped collection keeps no idle thread).
        self._workers: dict[str, ThreadPoolExecutor] = {}
        self._pending: dict[str, int] = {}
        self._orphaned = orphaned
        self.fail_orphans()

    def fail_orphans(self) -> list[str]:
        """Mark the unfinished jobs of processes that are gone as failed; returns their ids."""
        failed = []
        if not self.folder.is_dir():
            return failed
        for file in self.folder.glob("*.json"):
            try:
                job = Job.from_dict(json.loads(file.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError):
                continue
            if job.state in ("queued", "running") and (job.pid == os.getpid() or not _alive(job.pid)):
                if job.pid == os.getpid() and job.id in self._jobs:
                    continue
                job.state, job.finished = "failed", time.time()
                job.message = (
                    "服务在任务进行中停止，新索引没有换上，知识库仍是任务之前的样子；请重新上传。/ The server stopped "
                    "during this job; its build was never swapped in, the collection is as it was before. Upload again."
                )
                for f in job.files:
                    if f.state == "queued":
                        f.state = "failed"
                self._save(job, force=True)
                failed.append(job.id)
                if self._orphaned is not None:
                    self._orphaned(job)
        return failed

    def _save(self, job: Job, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._saved.get(job.id, 0.0) < _SAVE_EVERY:
            return
        self._saved[job.id] = now
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{job.id}.json.tmp"
        tmp.write_text(json.dumps(asdict(job), ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.folder / f"{job.id}.json")

    def new(self, action: str, collection: str, files: list[JobFile], client: str = "") -> Job:
        job = Job(id=time.strftime("%Y%m%d%H%M%S") + "-" + secrets.token_hex(4), action=action, collection=collection)
        job.files, job.client = files, client
        with self._lock:
            self._jobs[job.id] = job
        self._save(job, force=True)
        return job

    def submit(self, job: Job, work: Callable[[Job], str], finished: Callable[[Job], None] | None = None) -> None:
        """Run `work(job)` on its collection's worker thread; it returns the job's closing message. A QAError
        fails the job with its message; anything else fails it with the error's type (and is logged)."""

        def run() -> None:
            try:
                self._run(job, work, finished)
            finally:
                self._done(job.collection)

        with self._lock:
            worker = self._workers.get(job.collection)
            if worker is None:
                worker = self._workers[job.collection] = ThreadPoolExecutor(1, "qa-job")
            self._pending[job.collection] = self._pending.get(job.collection, 0) + 1
            worker.submit(run)

    def _run(self, job: Job, work: Callable[[Job], str], finished: Callable[[Job], None] | None) -> None:
        job.state = "running"
        self._save(job, force=True)
        try:
            job.message = work(job)
            job.state = "done"
        except QAError as exc:
            job.state, job.message, job.error_code = "failed", exc.message, exc.code
        except Exception as exc:  # a job must end in a state, whatever happened
            import logging

            logging.getLogger("qa").exception("job %s failed", job.id)
            job.state, job.message = "failed", f"{type(exc).__name__}: {exc}"
            job.error_code = "internal_error"
        for f in job.files:
            f.stage = None  # the job ended: each file's state says the rest
            if f.state == "queued":
                f.state = "failed" if job.state == "failed" else f.state
        job.finished = time.time()
        self._save(job, force=True)
        if finished is not None:
            finished(job)

    def _done(self, collection: str) -> None:
        """A job of `collection` ended: with none left, its worker thread ends after this job."""
        with self._lock:
            self._pending[collection] -= 1
            if self._pending[collection] == 0:
                del self._pending[collection]
                self._workers.pop(collection).shutdown(wait=False)

    def progress(self, job: Job) -> BuildProgress:
        """A BuildProgress that keeps `job` up to date (files read, texts embedded, rate, ETA)."""
        steps = BuildProgress()

        def on_advance(step: str, done: int, total: int | None, item: str | None = None) -> None:
            job.advance(step, done, total, steps.status(), item)
            self._save(job)

        steps.on_advance = on_advance
        return steps

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is not None:
            return job
        file = self.folder / f"{job_id}.json"
        if job_id.replace("-", "").isalnum() and file.is_file():
            return Job.from_dict(json.loads(file.read_text(encoding="utf-8")))
        raise NotFound(f"没有编号为 {job_id!r} 的任务。/ No job {job_id!r}.")
