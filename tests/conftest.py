"""Shared fixtures: every test runs against a temporary index folder, never the repo's embeddings/."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
# The keys of a quote match in `qa verify --json` and POST /api/verify (docs/api.md, "JSON shapes").
QUOTE_MATCH_KEYS = {
    "doc_id",
    "file",
    "title",
    "paragraph",
    "start",
    "end",
    "page",
    "sheet",
    "row",
    "format",
    "source_text",
    "similarity",
    "normalizations",
    "diff",
    "flags",
    "citation",
}

# Tests share one temporary index folder (the seed index is built once per session); the variable is
# set before any qa import so subprocesses (qa serve, qa ask) inherit it too.
_SESSION_INDEX_DIR = Path(
    os.environ.get("QA_TEST_INDEX_DIR") or Path(os.environ.get("TMPDIR", "/tmp")) / f"qa-test-index-{os.getpid()}"
)
os.environ["QA_INDEX_DIR"] = str(_SESSION_INDEX_DIR)
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# Browser tests take their screenshots here; the pictures the docs show (docs/screenshots) are
# refreshed only on request (REFRESH_SCREENSHOTS=1), so a test run leaves the checkout as it was.
SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("REFRESH_SCREENSHOTS") == "1"
    else _SESSION_INDEX_DIR / "screenshots"
)


@pytest.fixture(scope="session")
def settings():
    from qa.config import Settings

    return Settings.load()


@pytest.fixture(scope="session")
def service(settings):
    from qa.service import QAService

    svc = QAService(settings)
    _ = svc.index  # build the seed index once for the session
    return svc


FORMATS = ROOT.parent / "shared" / "corpora" / "formats"


@pytest.fixture(scope="session")
def formats_service():
    """The one extra index of the session: a file of every format from the formats corpus, cut to its
    first two pages/slides (100 rows), without OCR and sentence vectors, so it builds in about a minute."""
    from qa.config import Settings
    from qa.service import QAService

    names = [
        "poem.pdf",
        "论文复现指南-新.pdf",
        "PaddlePaddle学习笔记——王欢.docx",
        "Paddle_Fluid框架执行逻辑_v1.2_陈威行.pptx",
        "langchain-ChatGLM_closed.xlsx",
        "中华人民共和国监察法_sxmu.html",
        "分布式训练技术原理.md",
        "sample-chinese.txt",
    ]
    overrides = {"index_name": "formats", "corpus": ",".join(str(FORMATS / n) for n in names), "max_pages": 2}
    svc = QAService(Settings.load({**overrides, "ocr": False, "sentence_vectors": False}))
    _ = svc.index
    return svc


@pytest.fixture(scope="session")
def seed_texts():
    from qa.ingest.sources import read_source

    return {p.relative_to(ROOT).as_posix(): read_source(p).text for p in sorted(SEEDS.glob("*.txt"))}


def run_qa(*args, input: str | None = None, env: dict | None = None, timeout: int = 300):
    """Run the real `python -m qa` in a subprocess; returns CompletedProcess with text output."""
    import subprocess

    return subprocess.run(
        [sys.executable, "-m", "qa", *args],
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(ROOT),
        env={**os.environ, **(env or {})},
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen) -> None:
    """Terminate, and kill what does not end within 20 s."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def smaps(pid: int | str = "self") -> dict[str, dict]:
    """Per file a process maps (/proc/<pid>/smaps): its kernel flags (rr = random read) and resident kB."""
    out: dict[str, dict] = {}
    path = None
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        fields = line.split()
        if not fields[0].endswith(":"):  # a mapping's header line: address perms offset dev inode path
            path = fields[5] if len(fields) > 5 else None
            if path:
                out.setdefault(path, {"flags": set(), "rss_kb": 0})
        elif path and fields[0] == "VmFlags:":
            out[path]["flags"].update(fields[1:])
        elif path and fields[0] == "Rss:":
            out[path]["rss_kb"] += int(fields[1])
    return out


@contextlib.contextmanager
def qa_serve(log: Path, env: dict[str, str], host: str = "127.0.0.1") -> Iterator[int]:
    """`python -m qa serve --host HOST` on a free port, the environment plus `env`; yields the port once
    /healthz answers on loopback (the first start may build the index), and stops the server afterwards."""
    port = free_port()
    cmd = [sys.executable, "-m", "qa", "serve", "--host", host, "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 600
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"qa serve did not start:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        yield port
    finally:
        stop_process(proc)
