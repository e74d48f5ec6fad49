"""Running the app under uvicorn, with the connection timeouts uvicorn itself lacks.

uvicorn (h11) has a keep-alive timeout (`timeout_keep_alive`, armed only after a response) and no
timeout for reading a request's head: a connection that sends half a request line, or nothing at
all, stays open for ever. GuardedH11 adds, per connection:

    idle        a connection that sends nothing is closed after keep_alive_seconds, as an idle
                keep-alive connection is;
    head        once a request has begun, its head (request line and headers) must be complete
                within read_timeout_seconds, or the client gets 408 in the one error shape and the
                connection is closed (a new deadline per request, not per byte: dripping bytes does
                not extend it);
    keep-alive  the idle close does not drop a request that has already reached the socket but not
                yet been read (the loop busy with other work): the socket is peeked first;
    400         a request h11 cannot parse (a garbled request line or header, a bad chunk) gets 400 in
                the one error shape, not uvicorn's plain text, and the connection is closed.

The body's own deadline is BodyLimit's (security.py), which sees the body as the app reads it.
"""

from __future__ import annotations

import json
import socket

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["GuardedH11", "run"]


def _error_response(status: str, code: str, message: str) -> bytes:
    """A whole HTTP/1.1 error response in the one error shape, for the answers uvicorn writes itself."""
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode()
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


def _timeout_response(seconds: float) -> bytes:
    return _error_response(
        "408 Request Timeout",
        "request_timeout",
        f"请求头没有在 {seconds:g} 秒内发完。/ The request headers did not arrive within {seconds:g} seconds; "
        "send the request again.",
    )


_BAD_REQUEST = _error_response(
    "400 Bad Request",
    "bad_request",
    "无法解析的 HTTP 请求。/ The request is not valid HTTP/1.1 (request line, headers or chunked body).",
)


class GuardedH11(H11Protocol):
    """uvicorn's h11 protocol with an idle deadline from the first byte and a deadline for each request head."""

    read_timeout = 10.0  # run() subclasses with the setting: uvicorn builds protocols with its own arguments

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._head_timer = None
        # A fresh connection is idle until its first byte: the same deadline as an idle keep-alive one.
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        waiting_for_head = self.conn.their_state is h11.IDLE and bool(self.conn.trailing_data[0])
        if waiting_for_head and self._head_timer is None and not self.transport.is_closing():
            self._head_timer = self.loop.call_later(self.read_timeout, self._head_timeout)
        elif not waiting_for_head:
            self._cancel_head_timer()

    def connection_lost(self, exc) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timeout(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.write(_timeout_response(self.read_timeout))
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request h11 cannot parse, in the one error shape instead of plain text."""
        if self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):  # no answer of the app's under way
            self.transport.write(_BAD_REQUEST)
        self.transport.close()

    def timeout_keep_alive_handler(self) -> None:
        if self._bytes_waiting():
            self.timeout_keep_alive_task = None  # a request is here; data_received will take it
            return
        super().timeout_keep_alive_handler()

    def _bytes_waiting(self) -> bool:
        sock = self.transport.get_extra_info("socket")
        if sock is None:
            return False
        try:
            with sock.dup() as peer:  # asyncio's socket wrapper has no recv; a duplicate shares the buffer
                return bool(peer.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
        except OSError:  # nothing there (BlockingIOError) or the connection is already gone
            return False


def run(app, settings) -> None:
    """Serve `app` on settings.host:port until interrupted, with the timeouts above."""
    import uvicorn

    protocol = type("GuardedH11", (GuardedH11,), {"read_timeout": settings.read_timeout_seconds})
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        root_path=settings.root_path,
        log_level="warning",
        http=protocol,
        timeout_keep_alive=settings.keep_alive_seconds,
        # uvicorn believes X-Forwarded-For from 127.0.0.1 by default; qa believes only trusted_proxies
        # (origin.Forwarded), so that a client cannot name its own address.
        proxy_headers=False,
    )
