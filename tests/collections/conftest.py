"""Collections under a real `qa serve`: each server gets its own index folder, seeded with a copy of
the session's seed index (a copied build and its symlink: no rebuild, no embedding), so uploads and
kills never touch the index other tests read."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.config import project_root
from tests.conftest import free_port, stop_process

FORMATS = project_root().parent / "shared" / "corpora" / "formats"


def copy_seed_index(service, folder: Path) -> Path:
    """A new index_dir holding a copy of the session's seed index (the default collection)."""
    build = service.index.path.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(build, folder / build.name)
    os.symlink(build.name, folder / service.settings.index_name)
    return folder


def seed_server(service, folder: Path, env: dict) -> Iterator[Server]:
    """For a fixture to `yield from`: a started Server over a copy of the seed index in `folder`, stopped
    when the fixture ends."""
    server = Server(copy_seed_index(service, folder / "index"), env).start()
    yield server
    server.stop()


class Server:
    """`python -m qa serve` on a free loopback port over `index_dir`; `env` adds settings (QA_*)."""

    def __init__(self, index_dir: Path, env: dict | None = None):
        self.index_dir = index_dir
        self.env = {**os.environ, "QA_INDEX_DIR": str(index_dir), **(env or {})}
        self.log = index_dir.parent / f"serve-{index_dir.name}.log"
        self.proc = None
        self.port = None

    def start(self, timeout: float = 600) -> Server:
        self.port = free_port()
        cmd = [sys.executable, "-m", "qa", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("a") as log:
            self.proc = subprocess.Popen(cmd, cwd=project_root(), env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                raise RuntimeError(f"qa serve did not start:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)

    def call(self, method: str, path: str, body=None, token: str | None = None, files=None, headers=None):
        """(status, headers, JSON body) of one request; `files`: [(name, bytes)] sent as multipart."""
        data, sent = None, dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if files is not None:
            boundary = "qa-test-boundary-7f3a"
            parts = []
            for name, content in files:
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
                    "Content-Type: application/octet-stream\r\n\r\n".encode()
                    + content
                    + b"\r\n"
                )
            data = b"".join(parts) + f"--{boundary}--\r\n".encode()
            sent["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        elif body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            sent["Content-Type"] = "application/json"
        url = self.url + urllib.request.quote(path, safe="/?=&")
        request = urllib.request.Request(url, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=120) as r:
                return r.status, dict(r.headers), json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), json.loads(e.read() or b"null")

    def wait_job(self, job_id: str, token: str | None = None, timeout: float = 600, until=None) -> dict:
        """Poll GET /api/jobs/{id} until it is done or failed (or `until(job)` holds); every state seen is kept."""
        deadline = time.monotonic() + timeout
        self.seen = []
        while time.monotonic() < deadline:
            status, _, job = self.call("GET", f"/api/jobs/{job_id}", token=token)
            assert status == 200, job
            self.seen.append(job)
            if (until and until(job)) or job["state"] in ("done", "failed"):
                return job
            time.sleep(0.2)
        raise AssertionError(f"job {job_id} did not finish: {self.seen[-1]}")


def error_code(body: dict) -> str:
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return body["error"]["code"]


@pytest.fixture
def server_factory(service, tmp_path):
    """Start servers over fresh copies of the seed index; every one is stopped at the end."""
    started: list[Server] = []

    def make(env: dict | None = None, index_dir: Path | None = None) -> Server:
        folder = index_dir or copy_seed_index(service, tmp_path / f"index{len(started)}")
        server = Server(folder, env).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()
