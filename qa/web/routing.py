"""Methods and unknown routes, answered the same way on every route, the mounted Gradio app's included.

The Gradio app is mounted at "/", so without this any request that none of our routes takes in full
(a HEAD, a POST to /healthz, OPTIONS on /api/ask) falls through to Gradio and comes back as its
`{"detail": ...}` 404. MethodGuard, a plain ASGI middleware, sits in front:

    HEAD      runs as GET wherever GET is answered, and the body is dropped (headers kept);
    405       a path one of our routes takes, with a method it does not: 405 with `Allow`;
    404       any /api path no route takes, whatever the method;
    Gradio    its own 404 and 405 answers are rewritten into the one error shape (its `Allow` kept).
"""

from __future__ import annotations

import json

from starlette.routing import Match

from .security import is_api, route_path, send_error

__all__ = ["MethodGuard"]

_REWRITTEN = {404: "not_found", 405: "method_not_allowed"}


def _allow(methods: set[str]) -> str:
    if "GET" in methods:
        methods = methods | {"HEAD"}
    return ", ".join(sorted(methods))


def _not_found(path: str) -> str:
    return f"没有这个页面或接口：{path}。/ No page or endpoint at {path}; GET /docs lists the API."


def _not_allowed(method: str, path: str, allow: str) -> str:
    return f"{path} 不接受 {method} 请求，可用：{allow}。/ {path} does not take {method}; use {allow}."


class MethodGuard:
    def __init__(self, app, routes):
        """`routes`: our own routes (not the Gradio mount), each with .matches(scope) and .methods."""
        self.app = app
        self.routes = routes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        method = scope["method"]
        if method == "HEAD":
            scope, send = {**scope, "method": "GET"}, _headers_only(send)
        path = route_path(scope)
        full, allowed = False, set()
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                full = True
                break
            if match is Match.PARTIAL:
                allowed |= set(route.methods or ())
        if full:
            return await self.app(scope, receive, send)
        if allowed:
            allow = _allow(allowed)
            return await send_error(
                send, 405, "method_not_allowed", _not_allowed(method, path, allow), [(b"allow", allow.encode())]
            )
        if is_api(path):
            return await send_error(send, 404, "not_found", _not_found(path))
        await self.app(scope, receive, _one_error_shape(send, method, path))


def _headers_only(send):
    """A HEAD answer: the GET response's status and headers, no body, and done at its first body part."""
    done = False

    async def wrapped(message):
        nonlocal done
        if message["type"] == "http.response.start":
            return await send(message)
        if message["type"] == "http.response.body" and not done:
            done = True
            return await send({"type": "http.response.body", "body": b"", "more_body": False})
        if message["type"] != "http.response.body":
            await send(message)

    return wrapped


def _one_shape(body: bytes) -> bool:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False
    return isinstance(data, dict) and set(data) == {"error"} and isinstance(data["error"], dict)


def _one_error_shape(send, method: str, path: str):
    """Passes the inner app's response through, except a 404 or 405, which leaves in the one error shape."""
    held: dict | None = None
    body = b""

    async def wrapped(message):
        nonlocal held, body
        if message["type"] == "http.response.start" and message["status"] in _REWRITTEN:
            held = message
            return
        if held is None or message["type"] != "http.response.body":
            return await send(message)
        body += message.get("body", b"")[:65536]
        if message.get("more_body", False):
            return  # the inner body is replaced; wait for its end
        if _one_shape(body):  # the gate's own answer (gradio_gate.py) says more than "no such page"
            await send(held)
            return await send({"type": "http.response.body", "body": body})
        status = held["status"]
        allow = [(k, v) for k, v in held.get("headers", []) if k.lower() == b"allow"]
        text = (
            _not_found(path)
            if status == 404
            else _not_allowed(method, path, b", ".join(v for _, v in allow).decode("latin-1") or "GET")
        )
        body = json.dumps({"error": {"code": _REWRITTEN[status], "message": text}}, ensure_ascii=False).encode()
        keep = [(k, v) for k, v in held.get("headers", []) if k.lower() not in (b"content-length", b"content-type")]
        headers = [*keep, (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return wrapped
