"""The job runner (qa/collections/jobs.py): one worker thread per collection, jobs in order, and no idle
thread left behind once a collection has no job (a dropped collection used to keep one)."""

from __future__ import annotations

import threading
import time

from qa.collections.jobs import JobFile, Jobs
from qa.errors import IndexBusy


def _job_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("qa-job") and t.is_alive()]


def _wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_jobs_of_a_collection_run_in_order_and_leave_no_thread(tmp_path):
    jobs = Jobs(tmp_path / "jobs")
    before = len(_job_threads())
    order: list[str] = []
    gate = threading.Event()

    def work(name: str):
        def run(job):
            if name == "first":
                gate.wait(10)
            order.append(name)
            return name

        return run

    first, second = jobs.new("add", "a", []), jobs.new("add", "a", [])
    other = jobs.new("add", "b", [])
    jobs.submit(first, work("first"))
    jobs.submit(second, work("second"))
    jobs.submit(other, work("other"))
    assert _wait_for(lambda: other.state == "done")  # another collection's job does not wait for "a"
    assert second.state == "queued"
    gate.set()
    assert _wait_for(lambda: second.state == "done")
    assert order == ["other", "first", "second"]
    assert _wait_for(lambda: len(_job_threads()) == before), [t.name for t in _job_threads()]
    # a later job in the same collection gets a new worker
    later = jobs.new("add", "a", [])
    jobs.submit(later, work("later"))
    assert _wait_for(lambda: later.state == "done") and order[-1] == "later"
    assert _wait_for(lambda: len(_job_threads()) == before)


def test_a_failing_job_ends_its_worker_too(tmp_path):
    jobs = Jobs(tmp_path / "jobs")
    before = len(_job_threads())

    def boom(job):
        raise RuntimeError("disk on fire")

    job = jobs.new("add", "a", [])
    jobs.submit(job, boom, finished=lambda j: (_ for _ in ()).throw(OSError("audit log full")))
    assert _wait_for(lambda: job.state == "failed")
    assert _wait_for(lambda: len(_job_threads()) == before)


def test_each_file_of_a_job_shows_where_it_stands_as_the_build_moves(tmp_path):
    """The reading step names the file it reads: that file is being read, the one before it is read;
    past reading, every file of the build is at the build's step; at the end each file has its state."""
    jobs = Jobs(tmp_path)
    job = jobs.new("upload", "c", [JobFile("报告.pdf", stored="c.files/报告.pdf"), JobFile("notes.txt")])
    steps = jobs.progress(job)  # the BuildProgress an upload's build reports into
    stages = []
    with steps.step("reading", 3, "files") as advance:
        for name in ("old.md", "报告.pdf", "notes.txt"):  # the collection's files, not only the uploaded
            advance(1, name)
            stages.append([f.stage for f in job.files])
    with steps.step("embedding", 10, "texts") as advance:
        advance(4)
        stages.append([f.stage for f in job.files])
    assert stages == [[None, None], ["reading", None], ["read", "reading"], ["embedding", "embedding"]]
    assert job.embedded == 4 and (job.files_done, job.files_total) == (3, 3)


def test_a_failed_job_keeps_its_error_code_and_ends_every_file(tmp_path):
    jobs = Jobs(tmp_path)
    job = jobs.new("upload", "c", [JobFile("a.txt")])
    job.files[0].stage = "embedding"

    def work(job):
        raise IndexBusy("busy / busy")

    jobs.submit(job, work)
    for _ in range(100):
        if jobs.get(job.id).state == "failed":
            break
        time.sleep(0.05)
    done = jobs.get(job.id)
    assert (done.state, done.error_code) == ("failed", "index_busy")
    assert [(f.state, f.stage) for f in done.files] == [("failed", None)]
