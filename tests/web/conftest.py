"""One real `qa serve` shared by the HTTP modules of tests/web (server start-up is slow on 2 cores).

It runs as the README's intranet set-up: an admin token and no read token, so reading is open and
writing needs the token. Its timeouts are short (read 1 s, keep-alive 2 s) so that the timeout tests
wait little, and Gradio's cache is a folder of the test's own, so a test can see what lands there.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import qa_serve

READ_TIMEOUT, KEEP_ALIVE = 1, 2


@dataclass
class Served:
    port: int
    admin_token: str
    gradio_cache: Path  # GRADIO_TEMP_DIR of the server
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="session")
def served(service, tmp_path_factory):
    """`python -m qa serve` on a free port over the session's seed index (built by `service` first)."""
    folder = tmp_path_factory.mktemp("served")
    token = f"admin-{secrets.token_hex(16)}"
    env = {
        "QA_READ_TIMEOUT_SECONDS": str(READ_TIMEOUT),
        "QA_KEEP_ALIVE_SECONDS": str(KEEP_ALIVE),
        "QA_EMBED_ORIGINS": "",
        "QA_ADMIN_TOKEN": token,
        "QA_READ_TOKEN": "",
        "GRADIO_TEMP_DIR": str(folder / "gradio-cache"),
    }
    with qa_serve(folder / "serve.log", env) as port:
        yield Served(port, token, folder / "gradio-cache", folder / "serve.log")
