"""Hostile files uploaded to a real `qa serve` (QA_ADMIN_TOKEN set), each bounded by its own deadline: a
one-line file of 300,000 characters is refused quickly with bounded memory when it makes more passages
than max_file_passages (500 here: its 1,000 passages are never tokenised or embedded), and a 2 KB PDF
of 300 blank pages costs no OCR (a blank page shows no ink); a job reads only the collection's new or
changed files."""

from __future__ import annotations

import json
import time

import pytest

from tests.collections.conftest import Server, copy_seed_index
from tests.hostile_files import blank_pdf, one_line_text

ADMIN = "admin-token-for-hostile-ingest"


@pytest.fixture(scope="module")
def server(service, tmp_path_factory):
    folder = copy_seed_index(service, tmp_path_factory.mktemp("attacks-ingest") / "index")
    server = Server(
        folder, {"QA_ADMIN_TOKEN": ADMIN, "QA_MAX_FILE_SECONDS": "10", "QA_MAX_FILE_PASSAGES": "500"}
    ).start()
    yield server
    server.stop()


def _rss_mb(pid: int, field: str = "VmRSS") -> float:
    with open(f"/proc/{pid}/status") as f:
        line = next(line for line in f if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024


def _upload(server: Server, collection: str, files) -> dict:
    status, _, body = server.call("POST", f"/api/collections/{collection}/documents", token=ADMIN, files=files)
    assert status == 202, body
    return body["job"]


def test_a_one_line_file_is_refused_quickly_with_bounded_memory(server):
    """Before: the whole line was each of its 1,000 passages' lead, tokenised once per passage in the
    server, then embedded (the job ran for many minutes, the server grew by gigabytes)."""
    before = _rss_mb(server.proc.pid)
    job = _upload(server, "一行库", [("一行.txt", one_line_text(300_000))])
    job = server.wait_job(job["id"], token=ADMIN, timeout=60)
    error = job["files"][0]["error"] or ""
    assert job["state"] == "failed" and "max_file_passages" in error and "\n" not in error, job
    assert "一行库.files/一行.txt: it makes 1,000 passages" in error, error
    grown = _rss_mb(server.proc.pid) - before
    assert grown < 300, f"the server grew by {grown:.0f} MB"


def test_blank_pages_cost_no_ocr_and_a_later_job_reads_only_its_new_files(server):
    """300 blank pages (one page object listed 300 times, 2 KB): before, each went to OCR and added
    ocr_page_seconds to the file's time (the file ran for many minutes); and every later job of the
    collection read it again."""
    pdf = blank_pdf(300)
    assert len(pdf) < 2600
    note = "空白库的说明：本库用于检验空白页面。\n".encode()
    started = time.monotonic()
    job = _upload(server, "空白库", [("空白.pdf", pdf), ("说明.txt", note)])
    job = server.wait_job(job["id"], token=ADMIN, timeout=120)
    assert job["state"] == "done", job
    blank = job["files"][0]
    assert blank["state"] == "indexed" and not blank["passages"], job  # read (nothing on it), not refused
    assert time.monotonic() - started < 60, job

    later = _upload(server, "空白库", [("补充.txt", "补充说明：空白页面不送去识别。\n".encode())])
    later = server.wait_job(later["id"], token=ADMIN, timeout=120)
    assert later["state"] == "done" and later["files"][0]["state"] == "indexed", later
    # What the build says of each file: the two earlier ones were taken from the last build, not read.
    build = (server.index_dir / "空白库").resolve()
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    unchanged = {r["file"]: r["unchanged"] for r in manifest["file_reports"]}
    assert unchanged == {"空白库.files/空白.pdf": True, "空白库.files/说明.txt": True, "空白库.files/补充.txt": False}
