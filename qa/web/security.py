"""Page security for the web adapter: who may frame the pages (CSP), who may call /api/* (CORS), body size.

Three small ASGI middlewares, each independent of FastAPI and of the service:

    SecurityHeaders   Content-Security-Policy `frame-ancestors 'self' <origins>` on every response; the
                      /embed page gets a strict policy (own scripts and styles only, fetch to itself only).
    ApiCors           CORS for /api/* that allows exactly the configured origins, nothing else.
    BodyLimit         refuses request bodies over a limit on /api/*, by Content-Length and by counting
                      the stream (a chunked upload has no Content-Length), with the one JSON error shape.
"""

from __future__ import annotations

import json
import re

from qa.errors import InputError

__all__ = ["check_origins", "frame_ancestors", "embed_policy", "SecurityHeaders", "ApiCors", "BodyLimit"]

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


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


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


def _add_headers(send, extra: list[tuple[bytes, bytes]]):
    async def wrapped(message):
        if message["type"] == "http.response.start":
            names = {k.lower() for k, _ in extra}
            kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
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


class ApiCors:
    """CORS on /api/*: an allowed Origin is echoed back; any other gets no CORS header (and a 403 preflight)."""

    methods = b"GET, POST, OPTIONS"

    def __init__(self, app, origins: list[str]):
        self.app = app
        self.origins = set(origins)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not _is_api(route_path(scope)):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers", []))
        origin = headers.get(b"origin", b"").decode("latin-1")
        allowed = origin in self.origins
        vary = [(b"vary", b"Origin")]
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
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
        if allowed:
            vary.append((b"access-control-allow-origin", origin.encode("latin-1")))
        await self.app(scope, receive, _add_headers(send, vary))


class BodyLimit:
    """Reads an /api/* request body up to `limit` bytes, then replays it; a larger body gets a 413."""

    def __init__(self, app, limit: int = 64 * 1024):
        self.app = app
        self.limit = limit

    def _too_large(self, send):
        return send_error(
            send,
            413,
            "body_too_large",
            f"请求体超过 {self.limit // 1024} KiB。/ The request body is larger than "
            f"{self.limit} bytes; send a shorter question or quote.",
        )

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not _is_api(route_path(scope)):
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None:
            try:
                if int(declared) > self.limit:
                    return await self._too_large(send)
            except ValueError:
                return await send_error(send, 400, "bad_request", "Content-Length 无效。/ Invalid Content-Length.")
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            size += len(message.get("body", b""))
            if size > self.limit:
                return await self._too_large(send)
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body, replayed = b"".join(chunks), False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
