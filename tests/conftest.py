"""Shared fixtures: every test runs against a temporary index folder, never the repo's embeddings/."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
# The keys of a quote match in `qa verify --json` and POST /api/verify (README, "JSON shapes").
QUOTE_MATCH_KEYS = {
    "doc_id",
    "file",
    "title",
    "paragraph",
    "start",
    "end",
    "source_text",
    "similarity",
    "normalizations",
    "diff",
    "flags",
}

# Tests share one temporary index folder (the seed index is built once per session); the variable is
# set before any qa import so subprocesses (qa serve, qa ask) inherit it too.
_SESSION_INDEX_DIR = Path(
    os.environ.get("QA_TEST_INDEX_DIR") or Path(os.environ.get("TMPDIR", "/tmp")) / f"qa-test-index-{os.getpid()}"
)
os.environ["QA_INDEX_DIR"] = str(_SESSION_INDEX_DIR)
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


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
