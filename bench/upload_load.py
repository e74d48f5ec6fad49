"""Readers during an upload: 8 clients ask continuously while a real `qa serve` indexes an upload.

    python bench/upload_load.py                          # 8 clients, test.txt (40 KB) into the default collection
    python bench/upload_load.py --clients 8 --file ../shared/corpora/formats/poem.pdf --settle 10

The server runs on 127.0.0.1 over a temporary index folder seeded with a copy of the built seed
index (built first if missing), with no tokens (writing from loopback). Each client is a thread
with one kept-alive connection asking the seed questions in turn. Phases: `before` (--settle
seconds), `during` (from the upload request until its job is done), `after` (--settle seconds).

Printed: per phase the requests, errors (no response, or a status other than 200), and latency
p50/p95/max; whether every answer came from a whole index (each hit's file is one the old or the
new index holds, and its span reads back from the file), the passage counts GET /api/collections
reported (only the old and the new count may appear), and the job's own time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.latency import percentile  # noqa: E402

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def seed_index_copy(folder: Path) -> Path:
    from qa.config import Settings
    from qa.service import QAService

    service = QAService(Settings.load())
    build = service.index.path.resolve()  # builds the seed index when missing
    shutil.copytree(build, folder / build.name)
    os.symlink(build.name, folder / service.settings.index_name)
    return folder


def call(conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    return r.status, json.loads(r.read() or b"null")


def multipart(name: str, data: bytes) -> tuple[bytes, dict]:
    boundary = "bench-upload-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


class Texts:
    """File texts as the citations index into them (plain text only: other formats are checked by the server)."""

    def __init__(self):
        self.cache: dict[str, str | None] = {}

    def holds(self, hit: dict) -> bool:
        if hit.get("format") not in (None, "txt") or hit.get("pieces"):
            return True
        file = hit["file"]
        if file not in self.cache:
            from qa.ingest.sources import read_source

            path = Path(file) if Path(file).is_absolute() else ROOT / file
            self.cache[file] = read_source(path).text if path.exists() else None
        text = self.cache[file]
        if text is None:
            return False
        # A passage whose page break was repaired leaves out what stood between its pieces (a caption, a
        # page number), and plain-text hits do not list their pieces: its text must be a subsequence of the span.
        span = iter(text[hit["start"] : hit["end"]])
        return all(c in span for c in hit["text"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--file", type=Path, default=ROOT.parent / "shared" / "corpora" / "formats" / "test.txt")
    parser.add_argument("--settle", type=float, default=10.0, help="seconds of load before and after the upload")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="qa-upload-load-"))
    index_dir = seed_index_copy(tmp / "index")
    port = free_port()
    env = {**os.environ, "QA_INDEX_DIR": str(index_dir), "QA_ADMIN_TOKEN": "", "QA_READ_TOKEN": ""}
    log = (tmp / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "qa", "serve", "--host", HOST, "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=5).read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"qa serve did not start; see {tmp / 'serve.log'}") from None
                time.sleep(0.5)
        run(args, port, index_dir)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


def run(args, port: int, index_dir: Path) -> None:
    lines = (ROOT / "seeds" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()]
    admin = http.client.HTTPConnection(HOST, port, timeout=600)
    _, listed = call(admin, "GET", "/api/collections")
    old_passages = listed["collections"][0]["passages"]
    _, docs = call(admin, "GET", "/api/documents")
    old_files = {d["file"] for d in docs["documents"]}

    phase = {"name": "before"}
    records: list[tuple[str, float, bool]] = []  # phase, seconds, ok
    wrong: list[str] = []
    counts: set[int] = set()
    stop = threading.Event()
    new_files: set[str] = set()

    def client(k: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=120)
        texts = Texts()
        i = k
        while not stop.is_set():
            body = json.dumps({"question": questions[i % len(questions)]}, ensure_ascii=False).encode()
            started = time.perf_counter()
            ok = False
            try:
                status, answer = call(conn, "POST", "/api/ask", body, {"Content-Type": "application/json"})
                ok = status == 200
                if ok:
                    for hit in answer["hits"]:
                        if hit["file"] not in old_files | new_files or not texts.holds(hit):
                            wrong.append(f"{hit['file']}:{hit['start']}-{hit['end']}")
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=120)
            records.append((phase["name"], time.perf_counter() - started, ok))
            i += args.clients

    def watcher() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=120)
        while not stop.is_set():
            status, body = call(conn, "GET", "/api/collections")
            if status == 200:
                counts.add(body["collections"][0]["passages"])
            time.sleep(0.1)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(args.clients)]
    threads.append(threading.Thread(target=watcher))
    for t in threads:
        t.start()
    time.sleep(args.settle)

    phase["name"] = "during"
    body, headers = multipart(args.file.name, args.file.read_bytes())
    started = time.perf_counter()
    status, accepted = call(admin, "POST", "/api/collections/seeds/documents", body, headers)
    assert status == 202, accepted
    job_id = accepted["job"]["id"]
    while True:
        _, job = call(admin, "GET", f"/api/jobs/{job_id}")
        stored = [f["stored"] for f in job["files"] if f.get("stored")]
        new_files.update(stored)
        if job["state"] in ("done", "failed"):
            break
        time.sleep(0.2)
    job_seconds = time.perf_counter() - started
    phase["name"] = "after"
    time.sleep(args.settle)
    stop.set()
    for t in threads:
        t.join()
    _, listed = call(admin, "GET", "/api/collections")
    new_passages = listed["collections"][0]["passages"]

    print(f"{args.clients} clients asking continuously; upload of {args.file.name} ({args.file.stat().st_size:,} bytes) "
          f"into the default collection: job {job['state']} in {job_seconds:.1f} s, {job['embedded']} texts embedded, "
          f"passages {old_passages} -> {new_passages}")  # fmt: skip
    print("| phase | requests | errors | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|---|")
    for name in ("before", "during", "after"):
        times = [s * 1000 for p, s, ok in records if p == name]
        errors = sum(1 for p, _, ok in records if p == name and not ok)
        if times:
            print(f"| {name} | {len(times)} | {errors} | {percentile(times, 50):.0f} | {percentile(times, 95):.0f} | "
                  f"{max(times):.0f} |")  # fmt: skip
    print(f"passage counts seen by GET /api/collections: {sorted(counts)} (old {old_passages}, new {new_passages})")
    print(f"answers citing a file neither index holds, or a span that does not read back: {len(wrong)}")
    for where in sorted(set(wrong))[:5]:
        print(f"  {where}")


if __name__ == "__main__":
    main()
