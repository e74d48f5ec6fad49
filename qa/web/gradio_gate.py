"""The gate in front of the Gradio app: only the routes the page uses, only values it sends, qa's error shape.

In:  every request that reaches Gradio's own ASGI app (`blocks.app`), wherever that app is mounted.
Out: the request passed on unchanged, or refused in the one error shape {"error": {"code", "message"}};
     every error Gradio itself answers (its `{"detail": …}`, plain-text 500s) rewritten into that shape.

Why: Gradio copies any file a request names into its cache before it looks at the value. Every input
of every event goes through `processing_utils.async_move_files_to_cache`, which copies each object
with a "path" (a FileData) into the cache, and the check meant to stop a client naming server files,
`_check_allowed`, returns early unless `blocks.has_launched`, which only `Blocks.launch()` sets, never
`gr.mount_gradio_app`. `/gradio_api/file=<cache path>` then serves the copy: `/proc/self/environ`,
the admin token in it, was one request away. qa's page takes text only and produces no files, so:

    routes    an allow-list of what the page and gradio_client use: the page and its assets, the
              config and API info, the event queue (join, data, heartbeat, cancel, reset), `run/` for
              the events the page runs outside the queue, and `call/<api_name>`. Everything else is
              404, `/gradio_api/file=`, `/gradio_api/upload`, `proxy=`, `stream/` and any route a
              later Gradio adds included.
    events    the JSON body of an event must name an event handler that exists (a known fn_index or
              api_name; an unknown one was a KeyError and a plain-text 500), carry a list of values,
              one per input, nested at most MAX_DEPTH deep, and hold no object with a "path" or
              "meta" key anywhere: no FileData reaches Gradio, so nothing is ever copied.
    bounds    a join (queue/join, call/) past the client's or the queue's bound, a stream (queue/data,
              heartbeat, call/ results) past the client's, and queue/data for a session Gradio does
              not hold are answered here (page_queue.py): 429/503 with Retry-After, 404;
    errors    Gradio's error answers leave in the one shape; `run/` reports a handler's refusal of a
              value as 500, which leaves as the 422 it is; an exception no layer answered is logged
              and leaves as a 500 in the one shape; one in a stream already under way is one log
              line, and the stream is ended.
"""

from __future__ import annotations

import json
import logging
import re
from contextlib import ExitStack, nullcontext, suppress
from urllib.parse import parse_qs

from .page_queue import Limit, PageLimits, client_of
from .security import replay_body, route_path, send_error

__all__ = ["GradioGate", "install_gate", "MAX_DEPTH", "ROUTES"]

log = logging.getLogger("qa")

MAX_DEPTH = 32  # the page's deepest value (a chat turn's content parts) is 5 levels deep
_READ_LIMIT = 1024 * 1024  # a bound of its own, should the gate ever sit outside BodyLimit

# (method, path pattern, kind), paths relative to where Gradio is mounted. kind: "pass" goes through
# as it is; "event" is checked first (_check_event).
ROUTES = [
    ("GET", r"/(?:config/?|theme\.css|favicon\.ico|robots\.txt|(?:assets|static)/[^?#]+)?", "pass"),
    ("GET", r"/gradio_api/(?:info/?|queue/data|heartbeat/[^/]+|call/[^/]+/[^/]+)", "pass"),
    ("POST", r"/gradio_api/(?:cancel|reset)/?", "pass"),
    ("POST", r"/gradio_api/queue/join", "event"),
    ("POST", r"/gradio_api/run/[^/]+/?", "event"),
    ("POST", r"/gradio_api/call/[^/]+/?", "event"),
]
_ROUTES = [(method, re.compile(pattern), kind) for method, pattern, kind in ROUTES]
_CALL = re.compile(r"/gradio_api/call/([^/]+)/?")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    422: "invalid_request",
    429: "too_many_attempts",
    503: "unavailable",
}


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def install_gate(app, blocks, limits: PageLimits | None = None) -> None:
    """Put the gate in front of every Gradio app in `app`'s routes that serves `blocks` (call it after
    gr.mount_gradio_app, before the first request). No such app is an error: the page must not be
    served ungated because Gradio changed how it mounts. `limits`: the queue's and streams' bounds
    (page_queue.py); None = Gradio's own only."""
    from starlette.routing import Mount

    mounted = [r.app for r in app.routes if isinstance(r, Mount) and getattr(r.app, "blocks", None) is blocks]
    if not mounted:
        raise RuntimeError("install_gate: no mounted Gradio app serves these Blocks; mount it first.")
    for gradio_app in mounted:
        gradio_app.add_middleware(GradioGate, blocks=blocks, limits=limits)


def not_found(path: str) -> str:
    return f"没有这个页面或接口：{path}。/ No page or endpoint at {path}; GET /docs lists the API."


def _no_file() -> Refused:
    return Refused(
        422,
        "file_not_accepted",
        "此页面只接受文字，不接受文件。/ The page takes text only: a value holding an object with a "
        '"path" or "meta" key (a file) is refused. Upload documents with POST /api/collections/{name}/documents.',
    )


def _scan(value) -> None:
    """Refuses a value nested deeper than MAX_DEPTH or holding an object with "path" or "meta" (iterative:
    a deep value must not exhaust the stack here either)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Refused(
                400,
                "malformed_json",
                f"请求体嵌套超过 {MAX_DEPTH} 层。/ The request body is nested deeper than {MAX_DEPTH} levels.",
            )
        if isinstance(item, dict):
            if "path" in item or "meta" in item:
                raise _no_file()
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def _parse(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Refused(400, "malformed_json", "请求体不是有效的 JSON。/ The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise Refused(422, "invalid_request", "请求体必须是 JSON 对象。/ The body must be a JSON object.")
    _scan(data)
    if not isinstance(data.get("data"), list):
        raise Refused(422, "invalid_request", '"data" 必须是列表。/ "data" must be a list of input values.')
    return data


def _unknown_handler(what: str) -> Refused:
    return Refused(
        404,
        "not_found",
        f"没有这个事件处理函数：{what}。/ No event handler {what}; GET /gradio_api/info lists those that can be called.",
    )


def _check_event(blocks, path: str, body: bytes) -> None:
    """An event names a handler with a server function and sends one value per input, no file."""
    data = _parse(body)
    callable_fns = {i: fn for i, fn in blocks.fns.items() if fn.fn is not None}
    call = _CALL.fullmatch(path)
    if call:  # call/<api_name>: gradio_client's REST route, by name
        name = call.group(1)
        public = [fn for fn in callable_fns.values() if getattr(fn, "api_visibility", "public") != "private"]
        if not any(fn.api_name == name for fn in public):
            raise _unknown_handler(f"/{name[:80]}")
        return
    index = data.get("fn_index")
    if path.startswith("/gradio_api/run/"):  # the page runs its unqueued events here, and only those
        callable_fns = {i: fn for i, fn in callable_fns.items() if not fn.queue}
    if type(index) is not int or index not in callable_fns:
        raise _unknown_handler(f"fn_index {json.dumps(index)[:40]}")
    wanted = len(callable_fns[index].inputs)
    if len(data["data"]) != wanted:
        raise Refused(
            422,
            "invalid_request",
            f"需要 {wanted} 个输入值，收到 {len(data['data'])} 个。/ The event takes {wanted} input "
            f"value(s); {len(data['data'])} were sent.",
        )


async def _read(receive) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Refused(400, "bad_request", "客户端已断开。/ The client went away.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > _READ_LIMIT:
            raise Refused(
                413, "body_too_large", f"请求体超过 {_READ_LIMIT} 字节。/ The body is over {_READ_LIMIT} bytes."
            )
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


# What puts an event into Gradio's queue (gradio_client's call/ joins it too), and the streams that
# stay open while a client listens.
_JOINS = re.compile(r"/gradio_api/(?:queue/join|call/[^/]+/?)")
_STREAMS = re.compile(r"/gradio_api/(?:queue/data|heartbeat/[^/]+|call/[^/]+/[^/]+)")


class GradioGate:
    def __init__(self, app, blocks, limits: PageLimits | None = None):
        self.app = app
        self.blocks = blocks
        self.limits = limits

    def _admit(self, scope, method: str, path: str):
        """The page's bounds (page_queue.py): a Limit, or the stream place the request holds (a context)."""
        if self.limits is None:
            return nullcontext()
        client = client_of(scope)
        if method == "POST" and _JOINS.fullmatch(path):
            return self.limits.join(client)
        if method == "GET" and path == "/gradio_api/queue/data":
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            self.limits.check_session((query.get("session_hash") or [""])[0])
        if method == "GET" and _STREAMS.fullmatch(path):
            return self.limits.stream(client)
        return nullcontext()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":  # the page uses none; refuse any handshake
            return await send({"type": "websocket.close", "code": 1008})
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = route_path(scope) or "/"
        method = "GET" if scope["method"] == "HEAD" else scope["method"]
        kinds = {m: kind for m, pattern, kind in _ROUTES if pattern.fullmatch(path)}
        if method not in kinds:
            if kinds:
                allow = ", ".join(sorted(set(kinds) | ({"HEAD"} if "GET" in kinds else set())))
                message = f"{path} 不接受 {method} 请求，可用：{allow}。/ {path} does not take {method}; use {allow}."
                return await send_error(send, 405, "method_not_allowed", message, [(b"allow", allow.encode())])
            return await send_error(send, 404, "not_found", not_found(path))
        if kinds[method] == "event":
            try:
                body = await _read(receive)
                _check_event(self.blocks, path, body)
            except Refused as refused:
                return await send_error(send, refused.status, refused.code, refused.message)
            receive = replay_body(body, receive)
        with ExitStack() as held:
            try:
                held.enter_context(self._admit(scope, method, path))  # a join or a stream holds its place
            except Limit as limit:
                retry = [(b"retry-after", str(limit.retry_after).encode())] if limit.retry_after else []
                return await send_error(send, limit.status, limit.code, limit.message, retry)
            shaped = _OneShape(send, sync_run=path.startswith("/gradio_api/run/"))
            try:
                await self.app(scope, receive, shaped)
            except Exception as exc:
                if shaped.started:
                    # A stream that ended in an exception (a session Gradio dropped meanwhile): the client
                    # already has its answer's head; one line in the log, and the stream is ended cleanly.
                    log.warning("A Gradio stream on %s ended early: %s", path, type(exc).__name__)
                    return await _end_body(shaped)
                log.exception("Unhandled error in the Gradio app on %s", path)
                await send_error(
                    send, 500, "internal_error", "服务器内部错误，请查看服务日志。/ Internal error; see the server log."
                )


async def _end_body(send) -> None:
    with suppress(Exception):  # the client is gone already
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _gradio_message(body: bytes, encoded: bool) -> str:
    """What Gradio said in an error body ({"detail": str | [pydantic errors]} or {"error": str}), or ""."""
    if encoded:
        return ""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return body.decode("utf-8", "replace").strip()[:300]
    said = data.get("detail", data.get("error")) if isinstance(data, dict) else None
    if isinstance(said, list):  # FastAPI's validation errors
        said = "; ".join(
            f"{'.'.join(str(x) for x in e.get('loc', ()) if x != 'body') or 'body'}: {e.get('msg', 'invalid')}"
            for e in said[:5]
            if isinstance(e, dict)
        )
    return str(said)[:500] if said else ""


class _OneShape:
    """A `send` that passes a success through and turns an error answer into the one error shape."""

    def __init__(self, send, sync_run: bool):
        self.send = send
        self.sync_run = sync_run
        self.started = False
        self.held: dict | None = None
        self.body = b""

    async def __call__(self, message):
        if message["type"] == "http.response.start":
            self.started = True
            if message["status"] < 400:
                return await self.send(message)
            self.held = message
            return
        if self.held is None or message["type"] != "http.response.body":
            return await self.send(message)
        if len(self.body) < 65536:
            self.body += message.get("body", b"")
        if message.get("more_body", False):
            return
        await self._send_shaped()

    async def _send_shaped(self) -> None:
        status = self.held["status"]
        headers = self.held.get("headers", [])
        encoded = any(k.lower() == b"content-encoding" for k, _ in headers)
        said = _gradio_message(self.body, encoded)
        if status == 500 and self.sync_run:
            # `run/` answers every exception of the handler's input processing as 500: a value that
            # Gradio refused (not among the choices, not an index of the examples) is the client's.
            status = 422
        code = _CODES.get(status, "internal_error" if status >= 500 else "http_error")
        message = f"请求被拒绝（{status}）。/ Refused ({status})" + (f": {said}" if said else ".")
        kept = [(k, v) for k, v in headers if k.lower() in (b"allow", b"retry-after")]
        if status == 503 and not any(k.lower() == b"retry-after" for k, _ in kept):  # Gradio's "queue is full"
            kept.append((b"retry-after", b"5"))
        await send_error(self.send, status, code, message, kept)
