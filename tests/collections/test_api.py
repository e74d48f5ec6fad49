"""Collections through the HTTP API of a real `qa serve` (read_token and admin_token set): upload →
job → a question answered from the new document with a citation that reads back from the stored
file; re-upload is a no-op; delete → gone from answers and documents; 401/429 in the one shape; the
audit log; the access rules of AccessControl for a client that is not on the loopback address."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.collections.conftest import Server, error_code, seed_server

READ, ADMIN = "read-token-for-tests", "admin-token-for-tests"
FACT = "据《测试通报》，青溪县二〇二六年新建的观澜水库库容为四千七百万立方米，可灌溉农田十二万亩。\n"
QUESTION = "观澜水库的库容是多少？"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
NAME = "测试库"


@pytest.fixture(scope="module")
def server(service, tmp_path_factory):
    yield from seed_server(
        service, tmp_path_factory.mktemp("collections-api"), {"QA_READ_TOKEN": READ, "QA_ADMIN_TOKEN": ADMIN}
    )


def _file_text(server: Server, file: str) -> str:
    """An uploaded file is named by its place in the collection (`<name>.files/…`), under index_dir."""
    return (server.index_dir / file).read_text(encoding="utf-8")


def test_reading_needs_the_read_token(server):
    status, headers, body = server.call("POST", "/api/ask", {"question": QUESTION})
    assert (status, error_code(body)) == (401, "unauthorized") and headers["www-authenticate"] == "Bearer"
    status, _, body = server.call("POST", "/api/ask", {"question": QUESTION}, token="not-it")
    assert (status, error_code(body)) == (401, "unauthorized")
    status, _, body = server.call("GET", "/api/collections", token=READ)
    assert status == 200 and [c["name"] for c in body["collections"]] == ["seeds"]
    status, _, _ = server.call("GET", "/api/collections", token=ADMIN)  # the admin token reads too
    assert status == 200


def test_the_page_redirects_to_login_and_a_login_opens_it(server):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("GET", "/embed?collection=x")
    r = conn.getresponse()
    assert r.status == 303 and r.getheader("location") == "login?next=embed%3Fcollection%3Dx"
    conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("POST", "/api/login", json.dumps({"token": READ}), {"Content-Type": "application/json"})
    r = conn.getresponse()
    cookie = r.getheader("set-cookie")
    assert r.status == 200 and json.loads(r.read()) == {"role": "reader"}
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and READ not in cookie
    conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("GET", "/", headers={"Cookie": cookie.split(";")[0]})
    assert conn.getresponse().status == 200
    conn.close()
    # a reader's session does not write
    status, _, body = server.call("POST", "/api/collections", {"name": "x"}, headers={"Cookie": cookie.split(";")[0]})
    assert (status, error_code(body)) == (401, "unauthorized")


def test_writing_needs_the_admin_token(server):
    for token in (None, READ, "wrong"):
        status, _, body = server.call(
            "POST", f"/api/collections/{NAME}/documents", token=token, files=[("a.txt", b"x")]
        )
        assert (status, error_code(body)) == (401, "unauthorized"), token
    status, _, body = server.call("DELETE", "/api/collections/seeds/documents/anything", token=READ)
    assert (status, error_code(body)) == (401, "unauthorized")
    assert not (server.index_dir / f"{NAME}.files").exists()  # nothing was stored


def test_upload_is_answered_with_a_citation_that_reads_back_then_delete_removes_it(server):
    files = [("通报.docx", FACT.encode()), ("scan.txt", PNG)]  # a text file named .docx; a PNG named .txt
    status, _, body = server.call("POST", f"/api/collections/{NAME}/documents", token=ADMIN, files=files)
    assert status == 202, body
    job = server.wait_job(body["job"]["id"], token=ADMIN)
    assert job["state"] == "done", job
    good, bad = job["files"]
    assert good["state"] == "indexed" and good["passages"] == 1 and good["stored"].endswith(f"{NAME}.files/通报.txt")
    assert bad["state"] == "failed" and "images are not read" in bad["error"]
    assert job["passages"] == 1 and job["files_done"] == job["files_total"] == 1

    status, _, answer = server.call("POST", "/api/ask", {"question": QUESTION, "collection": NAME}, token=READ)
    assert status == 200, answer
    hit = answer["hits"][0]
    assert "四千七百万立方米" in hit["text"] and hit["file"] == good["stored"]
    assert hit["file"] == f"{NAME}.files/通报.txt"  # not the server's own folders
    file_text = _file_text(server, hit["file"])
    assert "".join(file_text[s:e] for s, e in hit["pieces"]) == hit["text"]  # the citation reads back
    status, _, seeds = server.call("POST", "/api/ask", {"question": QUESTION}, token=READ)
    assert status == 200 and all(h["file"].startswith("seeds/") for h in seeds["hits"])  # other collections untouched

    # the same bytes again, under another name: nothing to do
    status, _, body = server.call(
        "POST", f"/api/collections/{NAME}/documents", token=ADMIN, files=[("again.txt", FACT.encode())]
    )
    job = server.wait_job(body["job"]["id"], token=ADMIN)
    assert job["state"] == "done" and job["files"][0]["state"] == "unchanged" and job["embedded"] == 0

    status, _, listed = server.call("GET", "/api/collections", token=READ)
    assert {"name": NAME, "documents": 1, "passages": 1, "files": 1}.items() <= next(
        c for c in listed["collections"] if c["name"] == NAME
    ).items()

    # a second document, then delete the first: gone from answers and from the document list
    other = "青溪县的茶园面积为三万亩，主要出产绿茶。\n".encode()
    status, _, body = server.call(
        "POST", f"/api/collections/{NAME}/documents", token=ADMIN, files=[("茶园.txt", other)]
    )
    assert server.wait_job(body["job"]["id"], token=ADMIN)["state"] == "done"
    status, _, body = server.call("DELETE", f"/api/collections/{NAME}/documents/{hit['doc_id']}", token=ADMIN)
    assert status == 202, body
    job = server.wait_job(body["job"]["id"], token=ADMIN)
    assert job["state"] == "done" and job["files"][0]["state"] == "removed", job
    status, _, docs = server.call("GET", f"/api/documents?collection={NAME}", token=READ)
    assert [d["file"] for d in docs["documents"]] == [good["stored"].replace("通报.txt", "茶园.txt")]
    status, _, answer = server.call("POST", "/api/ask", {"question": QUESTION, "collection": NAME}, token=READ)
    assert status == 200 and all("四千七百万" not in h["text"] for h in answer["hits"])
    assert not (server.index_dir / good["stored"]).exists()

    status, _, body = server.call("POST", "/api/ask", {"question": QUESTION, "collection": "没有这个"}, token=READ)
    assert (status, error_code(body)) == (404, "not_found")


def test_an_upload_of_nothing_readable_fails_and_keeps_the_collection(server):
    status, _, before = server.call("GET", f"/api/documents?collection={NAME}", token=READ)
    files = [("broken.pdf", b"%PDF-1.4\n" + b"x" * 200)]
    status, _, body = server.call("POST", f"/api/collections/{NAME}/documents", token=ADMIN, files=files)
    job = server.wait_job(body["job"]["id"], token=ADMIN)
    assert job["state"] == "failed" and job["files"][0]["state"] == "failed", job
    assert "broken.pdf" in job["files"][0]["error"] and job["files"][0]["error"] == job["message"]
    assert not (server.index_dir / f"{NAME}.files" / "broken.pdf").exists()  # in no index: not kept
    status, _, after = server.call("GET", f"/api/documents?collection={NAME}", token=READ)
    assert status == 200 and after == before


def test_every_write_is_in_the_audit_log(server):
    rows = [json.loads(line) for line in (server.index_dir / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {"time", "client", "action", "collection", "files", "result"} <= set(rows[0])
    uploads = [r for r in rows if r["action"] == "upload" and r["collection"] == NAME]
    assert uploads[0]["files"] == ["通报.docx", "scan.txt"] and uploads[0]["result"].startswith("accepted")
    assert any(r["result"].startswith("done") for r in uploads)
    assert any(r["action"] == "remove" and r["result"].startswith("done") for r in rows)
    assert any(r["result"] == "refused: 401 unauthorized" and r["client"] == "127.0.0.1" for r in rows)
    text = (server.index_dir / "audit.jsonl").read_text(encoding="utf-8") + server.log.read_text()
    assert ADMIN not in text and READ not in text  # tokens are never written


def test_wrong_tokens_are_slowed_down(server):
    """Last in this module: it blocks 127.0.0.1 for a while."""
    codes = [server.call("GET", "/api/collections", token=f"guess{i}")[0] for i in range(6)]
    assert codes[:4] == [401] * 4 and codes[5] == 429
    status, headers, body = server.call("GET", "/api/collections", token=READ)  # even the right one must wait
    assert (status, error_code(body)) == (429, "too_many_attempts") and int(headers["retry-after"]) >= 1


def _call(app, client: str, method: str, path: str, headers=()) -> int:
    """Run one request through the real middleware from `client`; returns the status."""
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "root_path": "", "query_string": b"",
             "headers": list(headers), "client": (client, 5000)}  # fmt: skip
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"]


def test_without_admin_token_only_loopback_writes():
    from qa.web.auth import AccessControl, Guard

    async def inner(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    app = AccessControl(inner, Guard(read_token="", admin_token=""))
    assert _call(app, "127.0.0.1", "POST", "/api/collections/x/documents") == 200
    assert _call(app, "::1", "DELETE", "/api/collections/x/documents/d") == 200
    assert _call(app, "10.0.0.7", "POST", "/api/collections/x/documents") == 403
    assert _call(app, "10.0.0.7", "GET", "/api/jobs/1") == 403
    assert _call(app, "10.0.0.7", "POST", "/api/ask") == 200  # reading stays open
    assert _call(app, "10.0.0.7", "GET", "/") == 200
