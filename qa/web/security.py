"""Page security for the web adapter: who may frame the pages (CSP), who may call any route (CORS), body size.

Three small ASGI middlewares, each independent of FastAPI and of the service, over every route (the
mounted Gradio app's included):

    SecurityHeaders   Content-Security-Policy `frame-ancestors 'self' <origins>` on every response; the
                      /embed page gets a strict policy (own scripts and styles only, fetch to itself only);
                      a 429 from anywhere that does not say when to come back gets `Retry-After`.
    Cors              CORS that allows exactly the configured origins, nothing else: it answers every
                      preflight itself and drops any CORS header an inner app (Gradio) set.
    BodyLimit         refuses request bodies over a limit, by Content-Length and by counting the stream (a
                      chunked upload has no Content-Length), and bodies that do not arrive in time; one
                      JSON error shape, and the connection is closed so the rest is never read.
"""

from __future__ import annotations

import asyncio
import json
import re

from qa.errors import InputError

__all__ = [
    "check_origins",
    "frame_ancestors",
    "embed_policy",
    "SecurityHeaders",
    "Cors",
    "BodyLimit",
    "send_error",
    "replay_body",
]

# scheme://host[:port], nothing else: an origin is pasted into a header, so a ';' or a space must never pass.
_ORIGIN = re.compile(r"^https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$")


def check_origins(origins: list[str]) -> list[str]:
    """The configured origins, validated; raises InputError naming the bad one and the expected form."""
    for origin in origins:
        if not _ORIGIN.match(origin):
            raise InputError(
                f"embed_origins 中的 {origin!r} 不是来源（origin）。/ {origin!r} in embed_origins is not an origin: "
                "write scheme://host[:port] without a path, e.g. https://example.org, separated by spaces."
            )
    return [o.rstrip("/") for o in origins]


def frame_ancestors(origins: list[str]) -> str:
    return "frame-ancestors " + " ".join(["'self'", *origins])


def embed_policy(origins: list[str]) -> str:
    """The /embed page loads only its own files and talks only to its own server."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            frame_ancestors(origins),
        ]
    )


def route_path(scope) -> str:
    """The path inside the app, without the reverse proxy's root_path prefix (as Starlette routes it)."""
    path, root = scope.get("path", ""), scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("", "/"):
        return path[len(root) :] or "/"
    return path


def is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


CLOSE = [(b"connection", b"close")]
_UPLOAD = re.compile(
    r"^/api/collections/[^/]+/documents$"
)  # the rest of the request is not read: the connection cannot be reused


async def send_error(send, status: int, code: str, message: str, headers: list | None = None) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


RETRY_AFTER = b"5"  # seconds, for a 429 whose maker did not say (qa's own 429s all do)


def _add_headers(send, extra: list[tuple[bytes, bytes]]):
    async def wrapped(message):
        if message["type"] == "http.response.start":
            names = {k.lower() for k, _ in extra}
            kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
            if message["status"] == 429 and not any(k.lower() == b"retry-after" for k, _ in kept):
                kept.append((b"retry-after", RETRY_AFTER))
            message = {**message, "headers": kept + extra}
        await send(message)

    return wrapped


class SecurityHeaders:
    def __init__(self, app, origins: list[str]):
        self.app = app
        self.page = frame_ancestors(origins).encode()
        self.embed = embed_policy(origins).encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = route_path(scope)
        policy = self.embed if path == "/embed" or path.startswith("/embed/") else self.page
        extra = [
            (b"content-security-policy", policy),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        ]
        await self.app(scope, receive, _add_headers(send, extra))


class Cors:
    """CORS on every route: an allowed Origin is echoed back; any other gets no CORS header (and a 403 preflight).

    Gradio's own middleware grants any localhost origin with credentials; its CORS headers are removed
    here, so the configured list is the only rule (empty: same origin only, which needs no CORS).
    """

    methods = b"GET, POST, OPTIONS"

    def __init__(self, app, origins: list[str]):
        self.app = app
        self.origins = set(origins)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers", []))
        origin = headers.get(b"origin", b"").decode("latin-1")
        allowed = origin in self.origins
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            vary = [(b"vary", b"Origin")]
            if not allowed:
                return await send_error(
                    send,
                    403,
                    "origin_not_allowed",
                    f"来源 {origin!r} 不在 embed_origins 中。/ Origin {origin!r} is not in "
                    "embed_origins; add it there to call the API from that site.",
                    vary,
                )
            await send(
                {
                    "type": "http.response.start",
                    "status": 204,
                    "headers": vary
                    + [
                        (b"access-control-allow-origin", origin.encode("latin-1")),
                        (b"access-control-allow-methods", self.methods),
                        (b"access-control-allow-headers", b"Content-Type"),
                        (b"access-control-max-age", b"600"),
                    ],
                }
            )
            return await send({"type": "http.response.body", "body": b""})
        grant = [(b"access-control-allow-origin", origin.encode("latin-1"))] if allowed else []
        await self.app(scope, receive, _only_our_cors(send, grant))


def _only_our_cors(send, grant: list[tuple[bytes, bytes]]):
    async def wrapped(message):
        if message["type"] == "http.response.start":
            headers = message.get("headers", [])
            vary = [v for k, v in headers if k.lower() == b"vary" and v.lower() != b"origin"]
            kept = [(k, v) for k, v in headers if not k.lower().startswith(b"access-control-") and k.lower() != b"vary"]
            message = {**message, "headers": kept + [(b"vary", b", ".join([*vary, b"Origin"]))] + grant}
        await send(message)

    return wrapped


class BodyLimit:
    """Reads a request body up to `limit` bytes within `timeout` seconds, then replays it to the app.

    A larger body gets 413 as soon as the limit is passed (by Content-Length, or by counting a chunked
    stream); a body that has not arrived in time gets 408. Both close the connection, so the server
    never reads the rest.
    """

    def __init__(self, app, limit: int = 64 * 1024, timeout: float = 10.0, upload_limit: int | None = None):
        """`upload_limit`: the larger limit of document uploads (POST /api/collections/{name}/documents)."""
        self.app = app
        self.limit = limit
        self.timeout = timeout
        self.upload_limit = upload_limit or limit

    def _too_large(self, send, limit: int):
        return send_error(
            send,
            413,
            "body_too_large",
            f"请求体超过 {limit // 1024} KiB。/ The request body is larger than "
            f"{limit} bytes; send a shorter question or quote, or fewer or smaller files (max_upload_mb).",
            CLOSE,
        )

    def _too_slow(self, send):
        return send_error(
            send,
            408,
            "request_timeout",
            f"请求体没有在 {self.timeout:g} 秒内发完。/ The request body did not arrive within "
            f"{self.timeout:g} seconds; send it again.",
            CLOSE,
        )

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        upload = scope["method"] == "POST" and _UPLOAD.match(route_path(scope))
        limit = self.upload_limit if upload else self.limit
        if declared is not None:
            try:
                if int(declared) > limit:
                    return await self._too_large(send, limit)
            except ValueError:
                return await send_error(
                    send, 400, "bad_request", "Content-Length 无效。/ Invalid Content-Length.", CLOSE
                )
        chunks, size = [], 0
        deadline = asyncio.get_running_loop().time() + self.timeout
        while True:
            try:
                # One deadline for the whole body: a client dripping a byte a second does not extend it.
                message = await asyncio.wait_for(receive(), deadline - asyncio.get_running_loop().time())
            except TimeoutError:
                return await self._too_slow(send)
            if message["type"] == "http.disconnect":
                return
            size += len(message.get("body", b""))
            if size > limit:
                return await self._too_large(send, limit)
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        await self.app(scope, replay_body(b"".join(chunks), receive), send)


def replay_body(body: bytes, receive):
    """An ASGI receive that gives the already-read `body` once, then whatever `receive` gives (a
    disconnect): so that a middleware can read a body and still pass the request on."""
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
