"""The HTTP edges that depend on the server itself, against one real `qa serve` subprocess.

Body limits on Gradio's routes without reading the body, header and body read timeouts, idle and
keep-alive connections, and the Gradio page's own traffic through all of it. The server runs with
short timeouts (read 1 s, keep-alive 2 s) so that the waits stay short; the sockets' own timeouts
(30 s) only stop a test that would otherwise hang, which is how these tests failed before.
"""

from __future__ import annotations

import http.client
import json
import socket
import time

import pytest

from tests.web.conftest import KEEP_ALIVE, READ_TIMEOUT

HANG = 30  # a socket that hears nothing for this long: the server kept a connection it should have closed


@pytest.fixture(scope="module")
def server(served) -> int:
    """The port of the shared `qa serve` (tests/web/conftest.py: read timeout 1 s, keep-alive 2 s)."""
    return served.port


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(HANG)
    return sock


def response(sock: socket.socket) -> tuple[int, dict, dict]:
    """Status, headers and the JSON body of the next response on `sock`."""
    r = http.client.HTTPResponse(sock)
    r.begin()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, json.loads(r.read())


def closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def error_code(body: dict) -> str:
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return body["error"]["code"]


def head(method: str, path: str, *lines: str) -> bytes:
    return "\r\n".join([f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *lines, "", ""]).encode()


# -- body limit -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/gradio_api/queue/join", "/gradio_api/upload", "/api/ask"])
def test_a_101_mb_body_is_refused_before_it_is_sent(server, path):
    with connect(server) as sock:
        declared = 101 * 1024 * 1024
        sock.sendall(head("POST", path, "Content-Type: application/json", f"Content-Length: {declared}"))
        sock.sendall(b'{"data": ["' + b"x" * 1000)  # the other 101 MB never come
        status, headers, body = response(sock)
        assert (status, error_code(body)) == (413, "body_too_large")
        assert headers["connection"] == "close"
        assert closed_by_server(sock)


def test_a_chunked_body_is_cut_off_at_the_limit(server):
    with connect(server) as sock:
        sock.sendall(
            head("POST", "/gradio_api/queue/join", "Content-Type: application/json", "Transfer-Encoding: chunked")
        )
        chunk = b"x" * 8192
        for _ in range(9):  # 72 KiB, past the 64 KiB limit; no final chunk is ever sent
            sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        status, headers, body = response(sock)
        assert (status, error_code(body)) == (413, "body_too_large")
        assert closed_by_server(sock)


def test_the_gradio_page_traffic_still_works(server):
    """The page's own protocol (queue join + event stream) through the limits: a quote of the longest
    allowed length is checked, and a content-free question gets the same refusal as in the API."""
    from gradio_client import Client

    client = Client(f"http://127.0.0.1:{server}/", verbose=False)
    checked = client.predict("引" * 5000, api_name="/on_check")
    assert 'class="qa-check"' in checked
    _, turn, asked = client.predict("\u200b\u0000", [], api_name="/on_send")  # the chat tab's send
    # Only the new turn comes back (the transcript stays in the page), as content parts.
    answer = "".join(part["text"] for part in turn[-1]["content"])
    assert asked == [] and len(turn) == 2
    assert 'class="qa-error"' in answer and "是空的" in answer and "qa-card" not in answer


# -- read timeouts --------------------------------------------------------------------------------


def test_a_half_sent_request_head_gets_408_and_is_closed(server):
    with connect(server) as sock:
        sock.sendall(b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl")
        status, headers, body = response(sock)
        assert (status, error_code(body)) == (408, "request_timeout")
        assert headers["connection"] == "close"
        assert closed_by_server(sock)


def test_dripping_the_head_does_not_extend_its_deadline(server):
    """The whole head sent one byte every 0.1 s takes about 5 s: well past the 1 s deadline it has."""
    request = head("GET", "/healthz", "Accept: application/json", "X-Padding: " + "p" * 20)
    assert len(request) * 0.1 > 4 * READ_TIMEOUT
    with connect(server) as sock:
        try:
            for byte in request:
                sock.sendall(bytes([byte]))
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server gave up on us, as it should
        status, _, body = response(sock)
        assert (status, error_code(body)) == (408, "request_timeout")


def test_a_half_sent_body_gets_408_and_is_closed(server):
    with connect(server) as sock:
        sock.sendall(head("POST", "/api/ask", "Content-Type: application/json", "Content-Length: 100"))
        sock.sendall(b'{"question": "')
        status, headers, body = response(sock)
        assert (status, error_code(body)) == (408, "request_timeout")
        assert headers["connection"] == "close"
        assert closed_by_server(sock)


# -- idle and keep-alive connections ----------------------------------------------------------------


def test_a_connection_that_sends_nothing_is_closed(server):
    with connect(server) as sock:
        assert closed_by_server(sock)


def test_keep_alive_serves_several_requests_then_closes_when_idle(server):
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=HANG)
    conn.request(
        "POST", "/api/ask", body=json.dumps({"question": "湖州"}), headers={"Content-Type": "application/json"}
    )
    first = conn.getresponse()
    assert first.status == 200 and json.loads(first.read())["hits"]
    sock = conn.sock
    time.sleep(KEEP_ALIVE / 4)  # idle, but well within keep_alive_seconds
    conn.request("GET", "/healthz")
    second = conn.getresponse()
    assert second.status == 200 and json.loads(second.read())["status"] == "ok"
    assert conn.sock is sock, "the second request went over the same kept-alive connection"
    assert closed_by_server(sock)  # and once idle for keep_alive_seconds, the server closes it
    conn.close()
