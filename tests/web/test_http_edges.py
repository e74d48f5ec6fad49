"""HTTP edges on every route, the mounted Gradio app's included, in process (TestClient over the real app).

HEAD where GET is answered, `Allow` on every 405, unknown routes and methods in the one error shape,
the body limit on Gradio's routes, CORS exactly as embed_origins says, content-free input refused.
What depends on the server itself (timeouts, keep-alive, a 101 MB body) is in test_server.py.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from qa.config import Settings
from qa.web.api import create_app

ALLOWED = "http://allowed.example:8080"
LOCAL = "http://localhost:5173"  # what Gradio's own CORS middleware would grant, with credentials
QUESTION = "长三角地区主要领导座谈会在哪里举行？"
JOIN = "/gradio_api/queue/join"


@pytest.fixture(scope="module")
def client(service):
    """Default settings: no embed_origins, so same origin only."""
    return TestClient(create_app(service, Settings.load({"embed_origins": ""})))


@pytest.fixture(scope="module")
def allowing(service):
    return TestClient(create_app(service, Settings.load({"embed_origins": ALLOWED})))


def one_shape(r, status: int, code: str) -> dict:
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code and body["error"]["message"]
    return body


# -- content-free questions and quotes ----------------------------------------------------------------

CONTENT_FREE = {
    "punctuation": "？？！",
    "NUL": "\u0000",
    "control characters": "\u0000\u0001\u001f\u007f",
    "zero-width space": "\u200b",
    "zero-width joiners and BOM": "\u200b\u200c\u200d\u2060\ufeff",
    "whitespace": " \t\n\u3000",
    "symbols and dashes": "…—·★",
    "invisible around punctuation": "\u200b？\u0000",
}


@pytest.mark.parametrize("text", list(CONTENT_FREE.values()), ids=list(CONTENT_FREE))
def test_content_free_questions_and_quotes_are_refused_alike(client, service, text):
    one_shape(client.post("/api/ask", json={"question": text}), 422, "empty_input")
    one_shape(client.post("/api/verify", json={"quote": text}), 422, "empty_input")


def test_text_with_a_letter_or_digit_is_still_answered(client):
    assert client.post("/api/ask", json={"question": "\u200b湖州\u0000"}).status_code == 200
    assert client.post("/api/ask", json={"question": "2020"}).status_code == 200


# -- HEAD, 405 with Allow, unknown routes -----------------------------------------------------------

HEAD_PATHS = ["/healthz", "/api/documents", "/embed", "/embed/embed.js", "/docs", "/openapi.json", "/", "/config"]


@pytest.mark.parametrize("path", HEAD_PATHS)
def test_head_is_answered_where_get_is(client, path):
    get = client.get(path)
    head = client.head(path)
    assert get.status_code == 200
    assert head.status_code == 200, head.text
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]


METHOD_NOT_ALLOWED = {
    "POST /healthz": ("POST", "/healthz", "GET, HEAD"),
    "GET /api/ask": ("GET", "/api/ask", "POST"),
    "HEAD /api/verify": ("HEAD", "/api/verify", "POST"),
    "OPTIONS /api/ask": ("OPTIONS", "/api/ask", "POST"),
    "TRACE /api/ask": ("TRACE", "/api/ask", "POST"),
    "TRACE /api/documents": ("TRACE", "/api/documents", "GET, HEAD"),
    "PUT /api/documents/x": ("PUT", "/api/documents/x", "GET, HEAD"),
    "DELETE /embed": ("DELETE", "/embed", "GET, HEAD"),
    "POST /openapi.json": ("POST", "/openapi.json", "GET, HEAD"),
}


@pytest.mark.parametrize("case", list(METHOD_NOT_ALLOWED), ids=list(METHOD_NOT_ALLOWED))
def test_every_405_names_the_allowed_methods(client, case):
    method, path, allow = METHOD_NOT_ALLOWED[case]
    r = client.request(method, path)
    assert r.status_code == 405, r.text
    assert r.headers["allow"] == allow
    if method != "HEAD":
        one_shape(r, 405, "method_not_allowed")


def test_gradio_405_keeps_its_allow_in_the_one_shape(client):
    r = client.get(JOIN)
    one_shape(r, 405, "method_not_allowed")
    assert "POST" in r.headers["allow"]


UNKNOWN = [
    ("GET", "/api"),
    ("POST", "/api"),
    ("OPTIONS", "/api/nothing"),
    ("TRACE", "/api/documents/x/y"),
    ("GET", "/nothing/here"),
    ("POST", "/nothing"),
    ("PATCH", "/gradio_api/nothing"),
    ("GET", "/gradio_api/nothing"),
]


@pytest.mark.parametrize(("method", "path"), UNKNOWN, ids=[f"{m} {p}" for m, p in UNKNOWN])
def test_unknown_routes_answer_in_the_one_shape(client, method, path):
    body = one_shape(client.request(method, path), 404, "not_found")
    assert "detail" not in body


# -- body limit on every route --------------------------------------------------------------------


def _chunks(n_bytes: int):
    chunk = b"x" * 4096
    for _ in range(n_bytes // len(chunk) + 1):
        yield chunk


@pytest.mark.parametrize("path", [JOIN, "/gradio_api/upload", "/nothing", "/healthz"])
def test_body_limit_covers_gradio_and_unknown_routes(client, path):
    big = b'{"data": ["' + b"x" * 70_000 + b'"]}'
    one_shape(client.post(path, content=big, headers={"content-type": "application/json"}), 413, "body_too_large")
    chunked = client.post(path, content=_chunks(70_000), headers={"content-type": "application/json"})
    r = one_shape(chunked, 413, "body_too_large")
    assert r["error"]["message"]


def test_body_limit_is_the_setting(service):
    small = TestClient(create_app(service, Settings.load({"max_body_bytes": 1024})))
    body = {"question": QUESTION + "。" * 600}  # about 2 KB of UTF-8
    r = one_shape(small.post("/api/ask", json=body), 413, "body_too_large")
    assert "1024" in r["error"]["message"]
    assert small.post("/api/ask", json={"question": QUESTION}).status_code == 200


# -- CORS on every route ------------------------------------------------------------------------------


def _preflight(client, path, origin):
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )


@pytest.mark.parametrize("path", [JOIN, "/config", "/", "/api/ask"])
def test_default_is_same_origin_only_on_every_route(client, path):
    for origin in (LOCAL, "http://127.0.0.1:9999", "null", ALLOWED):
        one_shape(_preflight(client, path, origin), 403, "origin_not_allowed")
        r = client.get(path, headers={"Origin": origin})
        assert not [h for h in r.headers if h.lower().startswith("access-control-")], (origin, r.headers)


@pytest.mark.parametrize("path", [JOIN, "/config", "/api/ask"])
def test_listed_origins_and_only_they_are_granted_on_every_route(allowing, path):
    pre = _preflight(allowing, path, ALLOWED)
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == ALLOWED
    assert "access-control-allow-credentials" not in pre.headers
    one_shape(_preflight(allowing, path, LOCAL), 403, "origin_not_allowed")
    get = allowing.get("/config", headers={"Origin": ALLOWED})
    assert get.headers["access-control-allow-origin"] == ALLOWED
    assert "Origin" in get.headers["vary"]
    local = allowing.get("/config", headers={"Origin": LOCAL})
    assert not [h for h in local.headers if h.lower().startswith("access-control-")]


@pytest.mark.parametrize(("given", "sent"), [([], b"5"), ([(b"retry-after", b"120")], b"120")])
def test_every_429_says_when_to_come_back(given, sent):
    """A 429 from anywhere inside (Gradio, a library) gets Retry-After; qa's own value is kept. Other
    statuses get none. (qa's own 429s against a real server: tests/web/test_attacks_auth.py.)"""
    import asyncio

    from qa.web.security import SecurityHeaders

    def app_answering(status: int):
        async def inner(scope, receive, send):
            await send({"type": "http.response.start", "status": status, "headers": list(given)})
            await send({"type": "http.response.body", "body": b"{}"})

        return SecurityHeaders(inner, [])

    def headers_of(app) -> dict:
        sent_messages = []

        async def send(message):
            sent_messages.append(message)

        asyncio.run(app({"type": "http", "path": "/", "headers": []}, None, send))
        return dict(sent_messages[0]["headers"])

    assert headers_of(app_answering(429))[b"retry-after"] == sent
    assert b"retry-after" not in headers_of(app_answering(401)) or given


# -- issue 36: methods on write routes, /v1 without the read token, hosts, the API's waiting room ---------


@pytest.mark.parametrize("path", ["/api/collections", "/api/collections/seeds", "/api/collections/seeds/documents"])
def test_trace_on_a_write_route_is_405_not_401(client, path):
    """Before: TRACE counted as a write, so it got the access check's 401/403 instead of 405."""
    r = client.request("TRACE", path)
    one_shape(r, 405, "method_not_allowed")
    assert "TRACE" not in r.headers["allow"]


def test_v1_without_the_read_token_is_401_in_openais_shape(service):
    """Before: GET /v1/models redirected (303) to the login page, which no OpenAI client follows."""
    reading = TestClient(create_app(service, Settings.load({"embed_origins": "", "read_token": "r-token-36"})))
    for method, path in (("GET", "/v1/models"), ("POST", "/v1/chat/completions")):
        r = reading.request(method, path, follow_redirects=False, json={} if method == "POST" else None)
        assert r.status_code == 401, (path, r.status_code, r.headers)
        error = r.json()["error"]
        assert error["type"] and error["message"] and error["code"] == "unauthorized", error
    assert reading.get("/", follow_redirects=False).status_code == 303  # the page still goes to the login page
    assert reading.get("/v1/models", headers={"Authorization": "Bearer r-token-36"}).status_code == 200


@pytest.mark.parametrize("path", ["/api/documents", "/", "/embed", "/v1/models", "/docs", "/gradio_api/info"])
def test_a_host_of_no_own_name_is_421_and_allowed_hosts_adds_names(service, client, path):
    """Before: any Host was served (DNS rebinding). In process the client's own name (testserver) is the
    name the request arrived on; qa.intranet.example is served only once allowed_hosts lists it."""
    assert client.get(path).status_code == 200
    refused = client.get(path, headers={"Host": "qa.intranet.example"})
    assert refused.status_code == 421 and refused.json()["error"]["code"] == "misdirected_request"  # /v1: + type
    named = TestClient(
        create_app(service, Settings.load({"embed_origins": "", "allowed_hosts": "QA.intranet.example"}))
    )
    assert named.get(path, headers={"Host": "qa.intranet.example:8080"}).status_code == 200
    assert named.get(path, headers={"Host": "evil.example"}).status_code == 421
