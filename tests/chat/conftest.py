"""One real `qa serve` for the conversation tests (the OpenAI client, bad input, streams cut off)."""

from __future__ import annotations

import pytest

from tests.conftest import qa_serve


@pytest.fixture(scope="session")
def live_server(service, tmp_path_factory):
    """`python -m qa serve` on a free loopback port over the session's seed index (built by `service`)."""
    log = tmp_path_factory.mktemp("chat-serve") / "serve.log"
    with qa_serve(log, {"QA_EMBED_ORIGINS": ""}) as port:
        yield f"http://127.0.0.1:{port}"
