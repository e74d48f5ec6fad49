"""A server killed with SIGKILL in the middle of an upload job: after a restart the previous index
answers, the job is reported failed, and the same upload run again completes. While the job holds
the collection's writer lock, `qa ingest` from the shell into the same collection refuses clearly."""

from __future__ import annotations

import os

from tests.collections.conftest import FORMATS
from tests.conftest import run_qa

BOOK = FORMATS / "test.txt"  # 40 KB, about 130 passages: embedding it takes long enough to be caught
SEED_QUESTION = "第二届长三角一体化发展高层论坛在哪里举行？"
BOOK_QUESTION = "《The Art of Asking ChatGPT for High-Quality Answers》这本书介绍了什么？"


def _documents(server) -> list[str]:
    status, _, body = server.call("GET", "/api/documents")
    assert status == 200
    return sorted({d["file"] for d in body["documents"]})


def test_kill_9_mid_upload_keeps_the_previous_index_and_fails_the_job(server_factory, tmp_path):
    server = server_factory()  # no tokens: writing from loopback
    before = _documents(server)
    build = os.readlink(server.index_dir / "seeds")
    status, _, body = server.call("POST", "/api/collections/seeds/documents", files=[("book.txt", BOOK.read_bytes())])
    assert status == 202, body
    job_id = body["job"]["id"]
    job = server.wait_job(job_id, until=lambda j: j["step"] == "embedding")
    assert job["state"] == "running", job

    # The shell waits for the server's job, then gives up clearly (lock_timeout 1 s here).
    cli = run_qa("ingest", "--collection", "seeds", "--set", "lock_timeout=1", str(FORMATS / "sample-chinese.txt"),
                 env={"QA_INDEX_DIR": str(server.index_dir)})  # fmt: skip
    assert cli.returncode == 2 and "Traceback" not in cli.stderr, cli.stderr
    assert "另一个进程正在写入索引 seeds" in cli.stderr and cli.stderr.strip().splitlines()[-1].startswith("错误：")

    server.kill9()
    assert os.readlink(server.index_dir / "seeds") == build  # the killed build never swapped in
    server.start()
    status, _, job = server.call("GET", f"/api/jobs/{job_id}")
    assert status == 200 and job["state"] == "failed" and "stopped during this job" in job["message"], job
    assert _documents(server) == before  # the previous index, whole
    status, _, answer = server.call("POST", "/api/ask", {"question": SEED_QUESTION})
    assert status == 200 and "浙江湖州" in answer["hits"][0]["text"]

    status, _, body = server.call("POST", "/api/collections/seeds/documents", files=[("book.txt", BOOK.read_bytes())])
    job = server.wait_job(body["job"]["id"])
    assert job["state"] == "done" and job["files"][0]["state"] == "indexed", job
    assert _documents(server) == sorted([*before, job["files"][0]["stored"]])
    status, _, answer = server.call("POST", "/api/ask", {"question": BOOK_QUESTION})
    assert status == 200 and answer["hits"][0]["file"] == job["files"][0]["stored"], answer["hits"][0]
    assert not [p for p in os.listdir(server.index_dir) if p.endswith(".tmp")]  # the killed build was cleaned up
