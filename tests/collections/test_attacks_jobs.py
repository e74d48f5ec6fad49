"""Attacks on the write side of a real `qa serve` (QA_ADMIN_TOKEN set), each bounded by its own deadline:
a hostile file must not stall writes, two uploads at once must both land whole, every refused or
failed write is audited (bounded and rate-limited), look-alike collection names are refused, and no
answer or job names the server's own folders."""

from __future__ import annotations

import http.client
import json
import subprocess
import threading
import time
import urllib.parse

import pytest

from qa.collections.audit import REFUSED_PER_MINUTE
from tests.collections.conftest import Server, copy_seed_index, error_code
from tests.hostile_files import docx_unzipping_to, spreadsheet_claiming_every_cell

ADMIN = "admin-token-for-attacks"
ORPHAN = "20260101000000-0bad0bad"


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


@pytest.fixture(scope="module")
def server(service, tmp_path_factory):
    folder = copy_seed_index(service, tmp_path_factory.mktemp("attacks-jobs") / "index")
    # A job a killed server left running: start-up marks it failed, and must write its audit line.
    (folder / ".jobs").mkdir()
    orphan = {"id": ORPHAN, "action": "upload", "collection": "旧库", "state": "running", "client": "10.1.2.3",
              "files": [{"name": "旧.txt"}], "pid": _dead_pid()}  # fmt: skip
    (folder / ".jobs" / f"{ORPHAN}.json").write_text(json.dumps(orphan, ensure_ascii=False), encoding="utf-8")
    env = {"QA_ADMIN_TOKEN": ADMIN, "QA_MAX_FILE_SECONDS": "10", "QA_MAX_UPLOAD_MB": "1"}
    server = Server(folder, env).start()
    yield server
    server.stop()


def _upload(server: Server, collection: str, files, token: str | None = ADMIN):
    return server.call("POST", f"/api/collections/{collection}/documents", token=token, files=files)


def _audit(server: Server) -> list[dict]:
    log = server.index_dir / "audit.jsonl"
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []


def _declared_too_large(server: Server, collection: str) -> int:
    """An upload declaring 2 MiB (max_upload_mb is 1 here), answered before its body is sent."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.putrequest("POST", f"/api/collections/{urllib.parse.quote(collection)}/documents")
    for name, value in (("Authorization", f"Bearer {ADMIN}"), ("Content-Length", str(2 * 1024 * 1024)),
                        ("Content-Type", "multipart/form-data; boundary=x")):  # fmt: skip
        conn.putheader(name, value)
    conn.endheaders()
    status = conn.getresponse().status
    conn.close()
    return status


def _until(deadline: float, what, message: str):
    """Poll `what()` until it returns something true, or fail at `deadline` (time.monotonic())."""
    while time.monotonic() < deadline:
        if result := what():
            return result
        time.sleep(0.3)
    raise AssertionError(message)


def _finished(server: Server, job_id: str):
    status, _, job = server.call("GET", f"/api/jobs/{job_id}", token=ADMIN)
    assert status == 200, job
    return job if job["state"] in ("done", "failed") else None


def test_a_hostile_file_stalls_neither_its_collection_for_long_nor_any_other(server):
    """A 5 KB spreadsheet claiming every cell of a sheet and a DOCX unzipping to 40 MiB: each is read,
    or refused with a reason, within max_file_seconds (10 s here); meanwhile an upload into another
    collection is indexed. (Before the file guard the spreadsheet never finished, and every later job
    of every collection stayed queued.)"""
    started = time.monotonic()
    status, _, sheet = _upload(server, "表格库", [("claims.xlsx", spreadsheet_claiming_every_cell())])
    assert status == 202, sheet
    status, _, bomb = _upload(server, "炸弹库", [("bomb.docx", docx_unzipping_to(40))])
    assert status == 202, bomb
    status, _, other = _upload(server, "别的库", [("通知.txt", "别的库的通知：会议定于周五举行。\n".encode())])
    assert status == 202, other
    deadline = started + 120
    other_job = _until(deadline, lambda: _finished(server, other["job"]["id"]), "the other collection's job waited")
    assert other_job["state"] == "done", other_job
    sheet_job = _until(deadline, lambda: _finished(server, sheet["job"]["id"]), "the spreadsheet was never read")
    assert sheet_job["files"][0]["state"] == "indexed", sheet_job  # rows as the sheet holds them
    bomb_job = _until(deadline, lambda: _finished(server, bomb["job"]["id"]), "the DOCX was never refused")
    error = bomb_job["files"][0]["error"] or ""
    assert bomb_job["state"] == "failed" and "\n" not in error, bomb_job
    assert "max_file_seconds" in error or "max_file_memory_mb" in error or "max_file_chars" in error, error


def test_uploads_of_one_name_at_once_all_land_whole(server):
    """Three uploads of `same.txt` with different bytes at the same moment, into a collection none has
    created yet (even rounds) or one that exists (odd rounds): all accepted (no 409, no 500), and each
    job's stored file holds its own bytes."""
    for round_ in range(12):
        collection = f"同名库{round_}"
        if round_ % 2:
            assert server.call("POST", "/api/collections", {"name": collection}, token=ADMIN)[0] == 201
        # 400 KB each (one sentence, then blank lines: little to embed): writing takes long enough for
        # the requests to overlap
        texts = [f"第{round_}轮：水库的库容为{k}万立方米。".encode() + b"\n" * 400_000 for k in (100, 200, 300)]
        barrier = threading.Barrier(len(texts))
        answers: list = [None] * len(texts)

        def send(k: int, collection=collection, texts=texts, barrier=barrier, answers=answers) -> None:
            barrier.wait(10)
            answers[k] = _upload(server, collection, [("same.txt", texts[k])])

        threads = [threading.Thread(target=send, args=(k,)) for k in range(len(texts))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert [a[0] for a in answers] == [202] * len(texts), (round_, answers)
        for k, (_, _, body) in enumerate(answers):
            job = server.wait_job(body["job"]["id"], token=ADMIN, timeout=120)
            stored = job["files"][0]["stored"]
            assert job["state"] == "done" and job["files"][0]["state"] == "indexed", job
            assert (server.index_dir / stored).read_bytes() == texts[k], (round_, k, stored)  # its own bytes
        assert not [p for p in (server.index_dir / f"{collection}.files").iterdir() if p.name.startswith(".")]


def test_every_refused_or_failed_write_is_audited_bounded_and_rate_limited(server):
    before = len(_audit(server))
    status, _, body = server.call("POST", "/api/collections", {"name": "a/b"}, token=ADMIN)
    assert status == 422, body
    status, _, body = server.call("DELETE", "/api/collections/没有这个库", token=ADMIN)
    assert status == 404, body
    status, _, body = server.call("POST", "/api/collections", {"name": "seeds"}, token=ADMIN)
    assert status == 409, body
    assert _declared_too_large(server, "大文件库") == 413
    status, _, body = _upload(server, "无令牌库", [("a.txt", "文字".encode())], token=None)
    assert status == 401, body
    rows = _audit(server)[before:]
    results = [r["result"].split(" ")[:2] for r in rows]
    for status in ("422", "404", "409", "413", "401"):
        assert ["refused:", status] in results, (status, rows)
    assert any(r["collection"] == "没有这个库" and r["result"].startswith("refused: 404") for r in rows), rows

    # 100 refused writes with 15 KB paths: bounded lines, and at most REFUSED_PER_MINUTE of them
    size = (server.index_dir / "audit.jsonl").stat().st_size
    long = "库" * 5000  # 15 KB in UTF-8
    for _ in range(100):
        status, _, _ = server.call("POST", f"/api/collections/{long}/documents", token=None, files=[("a.txt", b"x")])
        assert status in (401, 422, 429)
    grown = (server.index_dir / "audit.jsonl").stat().st_size - size
    flood = _audit(server)[len(rows) + before :]
    assert len(flood) <= REFUSED_PER_MINUTE and grown < 40_000, (len(flood), grown)
    assert all(len(json.dumps(r, ensure_ascii=False)) < 2000 for r in flood)


def test_a_job_a_killed_server_left_gets_its_failed_audit_line(server):
    status, _, job = server.call("GET", f"/api/jobs/{ORPHAN}", token=ADMIN)
    assert status == 200 and job["state"] == "failed", job
    lines = [r for r in _audit(server) if r["result"].startswith("failed:") and r["collection"] == "旧库"]
    assert lines and lines[0]["client"] == "10.1.2.3" and lines[0]["files"] == ["旧.txt"], lines


def test_look_alike_collection_names_are_refused_or_folded(server):
    status, _, body = server.call("POST", "/api/collections", {"name": "аdmin"}, token=ADMIN)  # Cyrillic а
    assert (status, error_code(body)) == (422, "invalid_input") and "look-alike" in body["error"]["message"], body
    status, _, body = _upload(server, urllib.parse.quote("раураl"), [("a.txt", "文字。".encode())])  # mixed
    assert status == 422, body
    status, _, body = server.call("POST", "/api/collections", {"name": "ABC"}, token=ADMIN)
    assert status == 201, body
    status, _, body = server.call("POST", "/api/collections", {"name": "ＡＢＣ"}, token=ADMIN)  # full width: ABC
    assert (status, error_code(body)) == (409, "conflict"), body
    status, _, body = _upload(server, "ＡＢＣ", [("abc.txt", "全角名称的知识库里的一句话。\n".encode())])
    assert status == 202 and body["job"]["collection"] == "ABC", body
    assert server.wait_job(body["job"]["id"], token=ADMIN, timeout=120)["state"] == "done"
    status, _, listed = server.call("GET", "/api/collections")
    names = [c["name"] for c in listed["collections"]]
    assert "ABC" in names and "ＡＢＣ" not in names and "аdmin" not in names
    for name in ("AI政策", "Москва", "政策文件_2026"):  # one script, or Chinese with Latin: ordinary names
        status, _, body = server.call("POST", "/api/collections", {"name": name}, token=ADMIN)
        assert status == 201, (name, body)


def test_hits_and_job_messages_name_uploads_within_their_collection(server):
    files = [
        ("水库.txt", "青溪县观澜水库的库容为四千七百万立方米。\n".encode()),
        ("坏.pdf", b"%PDF-1.4\n" + b"x" * 200),
    ]
    status, _, body = _upload(server, "路径库", files)
    assert status == 202, body
    job = server.wait_job(body["job"]["id"], token=ADMIN, timeout=120)
    status, _, answer = server.call("POST", "/api/ask", {"question": "观澜水库的库容是多少？", "collection": "路径库"})
    assert status == 200, answer
    assert answer["hits"][0]["file"] == "路径库.files/水库.txt" == job["files"][0]["stored"], (answer, job)
    assert job["files"][1]["state"] == "failed" and "坏.pdf" in job["files"][1]["error"], job
    folder = str(server.index_dir.resolve())
    for shown in (json.dumps(job, ensure_ascii=False), json.dumps(answer, ensure_ascii=False)):
        assert folder not in shown and str(server.index_dir) not in shown
