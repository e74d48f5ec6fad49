"""Every write attempt that does not succeed goes into the audit log, whichever layer answered it.

A plain ASGI middleware around the access check, the body limit and the routes: a write (auth.is_write)
answered 4xx (401, 403 and 429 by the access check, 413 by the body limit, 404, 409 and 422 by the
routes) or 5xx, or ending in an exception, is logged as `refused: <status> <code>` or `failed: …`,
at a bounded rate (AuditLog.refused). Writes that succeed are logged by their route, with what
they did (admin_api.py).
"""

from __future__ import annotations

import json
from urllib.parse import unquote

from qa.collections import AuditLog

from .auth import _client, is_write
from .security import route_path

__all__ = ["WriteAudit"]

_BODY = 4096  # bytes of an error answer read for its code


def _collection(path: str) -> str | None:
    parts = path.split("/")
    return unquote(parts[3]) if len(parts) > 3 and parts[1:3] == ["api", "collections"] and parts[3] else None


def _code(body: bytes) -> str:
    try:
        error = json.loads(body)["error"]
        return str(error.get("code") or error.get("type") or "")
    except (ValueError, KeyError, TypeError, AttributeError):
        return ""


class WriteAudit:
    def __init__(self, app, audit: AuditLog):
        self.app = app
        self.audit = audit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not is_write(scope["method"], route_path(scope)):
            return await self.app(scope, receive, send)
        path = route_path(scope)
        client, action, collection = _client(scope), f"{scope['method']} {path}", _collection(path)
        status, body = None, b""

        async def sending(message):
            nonlocal status, body
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and status and status >= 400:
                body += message.get("body", b"")[: max(_BODY - len(body), 0)]
                if not message.get("more_body"):  # logged before the client has the answer
                    outcome = "failed" if status >= 500 else "refused"
                    self.audit.refused(client, action, collection, [], f"{outcome}: {status} {_code(body)}".rstrip())
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            if status is None:
                self.audit.refused(client, action, collection, [], f"failed: 500 {type(exc).__name__}")
            raise
