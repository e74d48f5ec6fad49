"""Bad history and messages against the real server: a clear 4xx in the right error shape (or the
documented trimming), never a 500, and the server keeps answering."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlparse

import httpx
import pytest

QUESTION = "2020年度长三角地区主要领导座谈会在哪里举行？"


def post(url: str, path: str, body) -> httpx.Response:
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return httpx.post(url + path, content=data, headers={"Content-Type": "application/json"}, timeout=120)


def openai_error(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert set(error) == {"message", "type", "code"} and error["message"], error
    return error


def user(text):
    return {"role": "user", "content": text}


@pytest.mark.parametrize(
    "messages, status, code",
    [
        ([{"role": "tool", "content": "x"}, user(QUESTION)], 422, "invalid_input"),
        ([{"role": "function", "content": "x"}, user(QUESTION)], 422, "invalid_input"),
        ([user("")], 422, "empty_input"),
        ([user("   ？？ ")], 422, "empty_input"),
        ([user(None)], 422, "invalid_input"),
        ([user(12)], 422, "invalid_input"),
        ([user([{"type": "image_url", "image_url": {"url": "x"}}])], 422, "invalid_input"),
        ([user(""), {"role": "assistant", "content": "a"}, user(QUESTION)], 422, "empty_input"),
        ([user(QUESTION), {"role": "assistant", "content": "a"}], 422, "invalid_input"),
        ([], 422, "invalid_input"),
        ("hello", 422, "invalid_input"),
        ([user("长" * 3000)], 422, "input_too_long"),
    ],
)
def test_bad_messages_get_an_openai_error(live_server, messages, status, code):
    r = post(live_server, "/v1/chat/completions", {"model": "qa-extractive", "messages": messages})
    assert openai_error(r, status)["code"] == code


def test_malformed_and_oversized_bodies_on_v1(live_server):
    assert openai_error(post(live_server, "/v1/chat/completions", b"{not json"), 400)["code"] == "malformed_json"
    huge = {"model": "qa-extractive", "messages": [user("长" * 100_000)]}  # a 100,000-character turn: 300 KB
    assert openai_error(post(live_server, "/v1/chat/completions", huge), 413)["code"] == "body_too_large"
    assert openai_error(httpx.get(live_server + "/v1/chat/completions"), 405)["code"] == "method_not_allowed"


def test_a_thousand_turns_are_trimmed_to_the_last_ones(live_server):
    # 1,000 turns of short questions and answers fit in the 64 KiB body limit; longer ones get 413 above
    messages = []
    for i in range(1000):
        messages += [user(f"问{i}"), {"role": "assistant", "content": ""}][: 1 + (i % 4 == 0)]
    messages.append(user(QUESTION))
    r = post(live_server, "/v1/chat/completions", {"model": "qa-extractive", "messages": messages})
    assert r.status_code == 200, r.text
    assert "湖州" in r.json()["choices"][0]["message"]["content"]
    history = [{"question": f"问{i}", "answer": "答"} for i in range(1000)]
    r = post(live_server, "/api/ask", {"question": QUESTION, "history": history})
    assert r.status_code == 200 and r.json()["search_query"] == QUESTION


@pytest.mark.parametrize(
    "history, code",
    [
        ([{"question": ""}], "empty_input"),
        ([{"question": 5, "answer": ""}], "invalid_request"),
        ([{"answer": "only"}], "invalid_request"),
        (["not an object"], "invalid_request"),
        ({"question": QUESTION}, "invalid_request"),
        ([{"question": "长" * 2001}], "input_too_long"),
    ],
)
def test_bad_history_on_api_ask(live_server, history, code):
    r = post(live_server, "/api/ask", {"question": QUESTION, "history": history})
    assert r.status_code == 422, r.text
    assert r.json() == {"error": {"code": code, "message": r.json()["error"]["message"]}}


def test_client_gone_mid_stream_leaves_the_server_answering(live_server):
    body = json.dumps({"model": "qa-extractive", "stream": True, "messages": [user(QUESTION)]}).encode()
    where = urlparse(live_server)
    for _ in range(3):
        sock = socket.create_connection((where.hostname, where.port), timeout=60)
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        assert sock.recv(200).startswith(b"HTTP/1.1 200")  # the stream has begun: now hang up
        sock.close()
    r = post(live_server, "/v1/chat/completions", {"model": "qa-extractive", "messages": [user(QUESTION)]})
    assert r.status_code == 200 and "湖州" in r.json()["choices"][0]["message"]["content"]
    assert httpx.get(live_server + "/healthz").status_code == 200
