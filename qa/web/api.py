"""HTTP adapter: the JSON API, the embeddable page and the Gradio UI over one QAService.

Domain errors (QAError) are translated here into HTTP statuses; every error, ours or the framework's,
leaves as one JSON shape: {"error": {"code": ..., "message": ...}}.
(No `from __future__ import annotations`: the request models are built per app, from its settings
(schema.py), and FastAPI must see the endpoint annotations as the classes themselves.)
"""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported anywhere

import html
import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Mount

from qa.config import SETTINGS, Settings
from qa.errors import NotFound, QAError

from .admin_api import install_admin
from .admission import Admission
from .auth import AccessControl
from .gradio_gate import install_gate
from .hosts import HostCheck
from .openai_api import OpenAIErrors, add_openai_routes
from .origin import Forwarded, check_proxies
from .page_queue import PageLimits
from .routing import MethodGuard
from .schema import AskResponse, CollectionQuery, VerifyResponse, document_honestly, request_models, responses
from .security import BodyLimit, Cors, SecurityHeaders, check_origins
from .server import run
from .write_audit import WriteAudit

__all__ = ["create_app", "serve", "MAX_BODY_BYTES"]

log = logging.getLogger("qa")

MAX_BODY_BYTES = next(s.default for s in SETTINGS if s.name == "max_body_bytes")  # the default limit
WEB = Path(__file__).parent / "static"


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _describe(errors: list[dict]) -> str:
    parts = []
    for e in errors[:5]:
        where = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "body"
        parts.append(f"{where}: {e.get('msg', 'invalid')}")
    return "请求无效。/ Invalid request: " + "; ".join(parts)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(QAError)
    async def qa_error(request: Request, exc: QAError):
        retry = getattr(exc, "retry_after", None)  # a 429 says when to come back
        headers = {"retry-after": str(retry)} if retry is not None else None
        return JSONResponse(exc.to_dict(), status_code=exc.http_status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return _error(400, "malformed_json", "请求体不是有效的 JSON。/ The request body is not valid JSON.")
        return _error(422, "invalid_request", _describe(errors))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message = str(exc.detail)
        if exc.status_code == 400:  # the framework could not parse the body (multipart, or JSON nested too deep)
            message = f"请求体无法解析。/ The request body could not be parsed: {message}"
        return _error(exc.status_code, code, message)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception):
        log.exception("Unhandled error on %s", request.url.path)
        return _error(500, "internal_error", "服务器内部错误，请查看服务日志。/ Internal error; see the server log.")


def _docs_page(app: FastAPI) -> str:
    """A plain list of the endpoints from the OpenAPI schema: no swagger-ui, nothing loaded from outside."""
    rows = []
    for path, ops in app.openapi()["paths"].items():
        for method, op in ops.items():
            rows.append(
                f"<li><code>{html.escape(method.upper())} {html.escape(path)}</code> — "
                f"{html.escape(op.get('summary', ''))}</li>"
            )
    return (
        "<!doctype html><meta charset=utf-8><title>qa API</title><h1>qa HTTP API</h1>"
        f'<ul>{"".join(rows)}</ul><p>Schema: <a href="openapi.json">openapi.json</a></p>'
    )


def create_app(service, settings: Settings) -> FastAPI:
    """FastAPI app: /api/*, /healthz, /embed, /docs, and the Gradio UI mounted at /."""
    import gradio as gr

    from .chat_ui import CHAT_CSS
    from .ui import CSS, build_ui

    origins = check_origins(settings.frame_origins)
    check_proxies(settings.proxy_addresses)  # at start, not at the first request (middleware is built lazily)
    # root_path is the server's business (uvicorn sets it per request); the app's links are all relative.
    app = FastAPI(title="qa", version="0.1.0", docs_url=None, redoc_url=None)
    _install_error_handlers(app)
    AskRequest, VerifyRequest = request_models(settings)
    # Collections (qa/collections): `collections.service(name)` is the QAService of one; None = the default.
    admin = install_admin(app, service, settings)
    collections = admin.collections

    @app.post(
        "/api/ask",
        summary="Answer a question with cited passages",
        responses={200: {"model": AskResponse, "description": "The answer and its hits."}, **responses(400, 404, 422)},
    )
    def ask(body: AskRequest) -> dict:
        history = [t.model_dump() for t in body.history or []]
        return collections.service(body.collection).ask(body.question, body.top_k, history=history).to_dict()

    @app.post(
        "/api/verify",
        summary="Check a quotation against the corpus",
        responses={200: {"model": VerifyResponse, "description": "The verdict and where."}, **responses(400, 404, 422)},
    )
    def verify(body: VerifyRequest) -> dict:
        return collections.service(body.collection).verify(body.quote).to_dict()

    @app.get("/api/documents", summary="List the documents", responses=responses(404))
    def documents(collection: CollectionQuery = None) -> dict:
        return {
            "documents": [
                {
                    "doc_id": a.doc_id,
                    "title": a.title,
                    "source": a.source,
                    "date": a.date,
                    "file": a.file,
                    "paragraph_count": len(a.paragraphs),
                }
                for a in collections.service(collection).documents()
            ]
        }

    @app.get("/api/documents/{doc_id}", summary="One document with numbered paragraphs", responses=responses(404))
    def document(doc_id: str, collection: CollectionQuery = None) -> dict:
        return collections.service(collection).document(doc_id).to_dict()

    @app.get(
        "/api/documents/{doc_id}/text",
        summary="The text a document's citations index into",
        responses=responses(404),
    )
    def document_text(doc_id: str, collection: CollectionQuery = None) -> dict:
        return collections.service(collection).document_text(doc_id)

    @app.get("/healthz", summary="Liveness and index facts", responses=responses())
    def healthz() -> dict:
        return service.health()

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def docs() -> str:
        return _docs_page(app)

    @app.get("/embed", include_in_schema=False)
    def embed() -> FileResponse:
        return FileResponse(WEB / "embed.html", media_type="text/html; charset=utf-8")

    @app.get("/embed/", include_in_schema=False)
    def embed_slash() -> RedirectResponse:
        return RedirectResponse("../embed")  # relative: right under any root_path

    @app.get("/embed/{name}", include_in_schema=False)
    def embed_asset(name: str) -> FileResponse:
        files = {p.name: p for p in WEB.iterdir() if p.is_file()}  # only files that are there: no traversal
        if name not in files:
            raise NotFound(f"没有这个文件：{name}。/ No embed asset {name!r}.")
        return FileResponse(files[name])

    add_openai_routes(app, service, collections)
    document_honestly(app)
    own_routes = [r for r in app.routes if not isinstance(r, Mount)]  # taken before Gradio is mounted at /
    # Added innermost first. Outermost: CSP on every answer; then the body is read (bounded in size and
    # time) before anything answers, so no answer leaves a body unread on a kept-alive connection;
    # then CORS, then methods and routes.
    app.add_middleware(MethodGuard, routes=own_routes)
    # The API's waiting room: after the body was read and access granted, so only admitted work waits.
    app.add_middleware(Admission, concurrent=settings.max_concurrent_requests, waiting=settings.max_waiting_requests)
    app.add_middleware(Cors, origins=origins)
    upload_limit = settings.max_upload_mb * 1024 * 1024
    app.add_middleware(
        BodyLimit, limit=settings.max_body_bytes, timeout=settings.read_timeout_seconds, upload_limit=upload_limit
    )
    app.add_middleware(AccessControl, guard=admin.guard)  # before the body is read: a refused upload is not read
    app.add_middleware(HostCheck, bind=settings.host, allowed=settings.host_names)  # no rebinding page reads
    app.add_middleware(WriteAudit, audit=admin.audit)  # every write refused or failed, by whichever layer
    app.add_middleware(OpenAIErrors)  # /v1/* errors of the layers inside (size, access) get OpenAI's `type`
    app.add_middleware(SecurityHeaders, origins=origins)
    app.add_middleware(Forwarded, trusted=settings.proxy_addresses)  # outermost: who is asking, at which origin

    blocks = build_ui(service, collections)
    # The page's queue is bounded in all and runs as many questions at once as the API (page_queue.py).
    blocks.queue(max_size=settings.page_queue_size, default_concurrency_limit=settings.max_concurrent_requests)
    limits = PageLimits(blocks, settings.page_queue_per_client, settings.page_queue_size, settings.streams_per_client)
    app = gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        root_path=settings.root_path or None,
        ssr_mode=False,
        # An unexpected exception's text (a path, a setting) stays in the server's log; the page's own
        # errors are domain errors rendered as messages, and gr.Error is shown either way.
        show_error=False,
        css=CSS + CHAT_CSS,
        footer_links=["settings"],
    )
    install_gate(app, blocks, limits)  # Gradio's own app takes only the page's routes and values, and no file
    return app


def serve(settings: Settings) -> None:
    """Build the service, warm it, print the URL and serve until interrupted."""
    from qa.service import QAService

    service = QAService(settings)
    service.warm()
    app = create_app(service, settings)
    url = f"http://{settings.host}:{settings.port}{settings.root_path.rstrip('/')}/"
    print(f"qa 已启动: {url}  （嵌入页 {url}embed，接口 {url}docs）", flush=True)
    if not settings.admin_token:  # say how writing is guarded: the admin tab says it too
        print(
            "管理：未设置 admin_token，只能在本机上传或删除文档；设置 QA_ADMIN_TOKEN 后可从其他电脑管理。", flush=True
        )
    run(app, settings)
