"""One input check in the core: a question or quote with no letter or digit is refused alike everywhere.

Only punctuation, only whitespace, only control characters (\\u0000) or only zero-width characters:
the service raises EmptyInput, the CLI prints one `错误：` line (or, in batch --json mode, one error
object per line) and the UI shows the message. The API's side is in tests/web/test_http_edges.py.
"""

from __future__ import annotations

import json

import pytest

from qa.errors import EmptyInput
from tests.conftest import run_qa

CONTENT_FREE = ["？？！", "\u0000", "\u0000\u0001\u001f", "\u200b", "\u200b\u200c\u200d\u2060\ufeff", "…—·★"]


@pytest.mark.parametrize("text", CONTENT_FREE, ids=[ascii(t) for t in CONTENT_FREE])
def test_service_refuses_content_free_questions_and_quotes(service, text):
    with pytest.raises(EmptyInput):
        service.ask(text)
    with pytest.raises(EmptyInput):
        service.verify(text)


def test_cli_refuses_them_alike(service):
    argv = run_qa("ask", "\u200b\u200d")
    assert argv.returncode == 2
    assert argv.stderr.startswith("错误：") and len(argv.stderr.strip().splitlines()) == 1
    for command, key in (("ask", "question"), ("verify", "quote")):
        r = run_qa(command, "-", "--json", input="\n".join(CONTENT_FREE) + "\n")
        rows = [json.loads(line) for line in r.stdout.splitlines()]
        assert [row[key] for row in rows] == CONTENT_FREE, r.stderr
        assert {row["error"]["code"] for row in rows} == {"empty_input"}
        assert r.returncode == 1


def test_ui_shows_the_same_refusal(service):
    from qa.web.ui import build_ui

    handlers = {f.fn.__name__: f.fn for f in build_ui(service).fns.values() if f.fn}  # js-only steps have none
    for text in CONTENT_FREE:
        _, turn, asked = handlers["on_send"](text, [])
        answer = turn[-1]["content"]  # the chat's reply to the turn: the refusal, and no cards
        assert asked == []  # a refused question is not an earlier question of the conversation
        assert 'class="qa-error"' in answer and "是空的" in answer and "qa-card" not in answer
        assert 'class="qa-error"' in handlers["on_check"](text)
