"""Attacks on the Gradio side of a real `qa serve` (admin token set, no read token), by a client with
no credentials: no request makes the server read a file it names, and nothing a client sends is a 5xx.

Before qa/web/gradio_gate.py, a FileData object (`{"path": "/proc/self/environ", "meta": {"_type":
"gradio.FileData"}}`) in any input of any event was copied into Gradio's cache, the error echoed the
copy's path, and `/gradio_api/file=<that path>` served it: the server's environment, admin token
included. The events are enumerated from the running app (`/config`, `/gradio_api/info`) and Gradio's
routes from Gradio's own route table, so an event or a route added later is attacked too. Every
request has its own timeout (HTTP_TIMEOUT; an event stream is read for at most STREAM_SECONDS).
"""

from __future__ import annotations

import http.client
import json
import re
import secrets
import socket
import time
import uuid
from pathlib import Path

import pytest

from qa.web.gradio_gate import ROUTES

HTTP_TIMEOUT = 30
STREAM_SECONDS = 20
DENIED = (404, 405)


def request(port: int, method: str, path: str, body=None, headers=None) -> tuple[int, dict, bytes]:
    """(status, headers, body) of one request; `body`: bytes as they are, anything else as JSON."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
    sent = dict(headers or {})
    if body is not None and not isinstance(body, bytes):
        body = json.dumps(body, ensure_ascii=False).encode()
        sent.setdefault("Content-Type", "application/json")
    try:
        conn.request(method, path, body=body, headers=sent)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def stream(port: int, path: str, until: bytes) -> bytes:
    """An event stream (SSE) read until a line holds `until`, the server ends it, or STREAM_SECONDS pass."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=STREAM_SECONDS)
    seen = b""
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        deadline = time.monotonic() + STREAM_SECONDS
        while time.monotonic() < deadline:
            line = r.readline()
            seen += line
            if not line or until in line:
                break
    except (TimeoutError, OSError):
        pass
    finally:
        conn.close()
    return seen


def one_shape(status: int, headers: dict, body: bytes) -> dict:
    assert headers.get("content-type", "").startswith("application/json"), (status, headers, body[:300])
    data = json.loads(body)
    assert set(data) == {"error"} and set(data["error"]) == {"code", "message"}, data
    assert data["error"]["code"] and data["error"]["message"]
    return data["error"]


@pytest.fixture(scope="module")
def secret(served, tmp_path_factory) -> tuple[Path, list[bytes]]:
    """A file only the server's user can read, and what must never come back: its text, the admin token
    (in /proc/self/environ), /etc/passwd's first entry."""
    path = tmp_path_factory.mktemp("secret") / f"secret-{uuid.uuid4().hex}.txt"
    canary = f"CANARY-{secrets.token_hex(12)}"
    path.write_text(canary)
    path.chmod(0o600)
    return path, [canary.encode(), served.admin_token.encode(), b"root:x:0:0"]


@pytest.fixture(scope="module")
def app_config(served) -> dict:
    status, _, body = request(served.port, "GET", "/config")
    assert status == 200
    return json.loads(body)


def _file_data(path: str) -> list:
    """The shapes of a file object Gradio copies: with FileData meta, the older bare one, and one inside a list."""
    return [
        {"path": path, "meta": {"_type": "gradio.FileData"}},
        {"path": path},
        [{"path": path, "meta": {"_type": "gradio.FileData"}, "orig_name": "x.txt"}],
    ]


def _leaks(served, answers: list[bytes], secrets_: list[bytes]) -> list[str]:
    """Every secret in the answers, or in what `/gradio_api/file=` serves for a path an answer mentions."""
    served_back = []
    for answer in answers:
        for path in set(re.findall(rb"/(?:tmp|proc|etc)/[^\s'\"\\,}]+", answer)):
            served_back.append(request(served.port, "GET", "/gradio_api/file=" + path.decode("utf-8", "replace"))[2])
    return sorted({s.decode() for s in secrets_ for text in [*answers, *served_back] if s in text})


def _copies(cache: Path, secrets_: list[bytes]) -> list[str]:
    """Files in Gradio's cache that hold a secret or are named like a file the attacks named."""
    files = [p for p in cache.rglob("*") if p.is_file()] if cache.exists() else []
    named = ("environ", "passwd")
    return [
        str(p)
        for p in files
        if p.name in named or p.name.startswith("secret-") or any(s in p.read_bytes() for s in secrets_)
    ]


def test_no_event_accepts_a_file_in_any_input_position(served, secret, app_config):
    """Every event of the page (from /config), each input position in turn holding a file object naming
    the secret, /proc/self/environ or /etc/passwd, through every route that runs an event: refused
    with 422 before Gradio sees it, nothing of the files comes back, and no copy lands in Gradio's cache."""
    path, secrets_ = secret
    deps = app_config["dependencies"]
    assert len(deps) >= 10 and {d.get("api_name") for d in deps} >= {"on_send", "on_check"}
    named = set(json.loads(request(served.port, "GET", "/gradio_api/info")[2])["named_endpoints"])
    assert {"/on_send", "/on_check"} <= named
    answers, statuses, codes = [], [], []
    for target in (str(path), "/proc/self/environ", "/etc/passwd"):
        for dep in deps:
            inputs = dep["inputs"] or [None]
            for position in range(len(inputs)):
                for file_data in _file_data(target):
                    data = ["湖州"] * len(inputs)
                    data[position] = file_data
                    session = uuid.uuid4().hex
                    runs = [
                        ("/gradio_api/queue/join", {"data": data, "fn_index": dep["id"], "session_hash": session}),
                        ("/gradio_api/run/predict", {"data": data, "fn_index": dep["id"], "session_hash": session}),
                    ]
                    if dep.get("api_name"):
                        runs.append((f"/gradio_api/call/{dep['api_name']}", {"data": data}))
                    for route, body in runs:
                        status, headers, answer = request(served.port, "POST", route, body)
                        answers.append(answer)
                        statuses.append((status, route, dep["id"], position))
                        if status == 200 and route.endswith("/join"):  # accepted: read what the event says
                            events = f"/gradio_api/queue/data?session_hash={session}"
                            answers.append(stream(served.port, events, b"process_completed"))
                        elif status == 200 and "/call/" in route:
                            answers.append(stream(served.port, f"{route}/{json.loads(answer)['event_id']}", b"event: "))
                        elif status < 500 and headers.get("content-type") == "application/json":
                            codes.append(json.loads(answer).get("error", {}).get("code"))
    assert not _leaks(served, answers, secrets_)
    assert not _copies(served.gradio_cache, secrets_)
    assert not [s for s in statuses if s[0] >= 500]
    # Every attempt refused at the door (none accepted and failing later, in the handler):
    assert codes == ["file_not_accepted"] * len(statuses)


def test_gradio_serves_no_file(served, secret):
    """`/gradio_api/file=` serves nothing, not even a file in Gradio's own cache (which it would serve as
    "created by the app"), nor a URL (it would fetch it: the server must not reach the network)."""
    path, secrets_ = secret
    planted = served.gradio_cache / uuid.uuid4().hex / "planted.txt"
    planted.parent.mkdir(parents=True)
    planted.write_bytes(secrets_[0])
    try:
        for route in (
            f"/gradio_api/file={planted}",
            f"/gradio_api/file/{planted}",
            f"/gradio_api/file={path}",
            "/gradio_api/file=/etc/passwd",
            "/gradio_api/file=http://127.0.0.1:9/x",
            "/gradio_api/proxy=http://127.0.0.1:9/x",
        ):
            for method in ("GET", "HEAD"):
                status, headers, body = request(served.port, method, route)
                assert status == 404, (method, route, status, body[:200])
                assert not any(s in body for s in secrets_)
                if method == "GET":
                    assert one_shape(status, headers, body)["code"] == "not_found"
        # The page's assets are served, but nothing outside their folders, however the path is spelled.
        up = "..%2F" * 12
        for route in (f"/static/{up}etc%2Fpasswd", f"/assets/{up}etc%2Fpasswd", f"/static/{up}{str(planted)[1:]}"):
            status, headers, body = request(served.port, "GET", route)
            assert 400 <= status < 500 and not any(s in body for s in secrets_), (route, status, body[:200])
            one_shape(status, headers, body)
    finally:
        planted.unlink()


def test_gradio_upload_is_closed(served, secret):
    """Gradio's upload writes into its cache for anyone; qa uploads through its own API, so it is closed,
    to a client with the admin token too."""
    _, secrets_ = secret
    boundary = "qa-attack-boundary"
    form = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="up.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\n{secrets_[0].decode()}\r\n--{boundary}--\r\n"
    ).encode()
    for headers in ({}, {"Authorization": f"Bearer {served.admin_token}"}):
        headers = {**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}
        for route in ("/gradio_api/upload", "/gradio_api/upload?upload_id=x"):
            status, answer_headers, body = request(served.port, "POST", route, form, headers)
            assert one_shape(status, answer_headers, body)["code"] == "not_found", (route, status)
    assert not _copies(served.gradio_cache, secrets_)


def _gradio_routes() -> list[tuple[str, str]]:
    """(method, path) of every route of Gradio's own app, from its route table and its OpenAPI schema
    (path parameters filled in): what a Gradio release serves, whatever qa's page uses."""
    import gradio as gr
    from gradio.routes import App

    with gr.Blocks() as blocks:
        gr.Textbox()
    app = App.create_app(blocks)
    found = [(m, r.path) for r in app.routes if hasattr(r, "path") for m in getattr(r, "methods", None) or ()]
    found += [(m.upper(), path) for path, ops in app.openapi()["paths"].items() for m in ops]
    return sorted({(m, re.sub(r"\{[^}]+\}", "x", path)) for m, path in found if m not in ("HEAD", "OPTIONS")})


def _allowed(method: str, path: str) -> bool:
    return any(m == method and re.fullmatch(p, path) for m, p, _ in ROUTES)


def _qa_answers_itself(service, routes: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (method, path) pairs that one of qa's own routes takes in full (GET /openapi.json is qa's, not
    Gradio's): they never reach Gradio."""
    from starlette.routing import Match, Mount

    from qa.config import Settings
    from qa.web.api import create_app

    own = [r for r in create_app(service, Settings.load({"embed_origins": ""})).routes if not isinstance(r, Mount)]
    scope = {"type": "http", "root_path": "", "query_string": b"", "headers": []}
    return {
        (m, p) for m, p in routes if any(r.matches({**scope, "method": m, "path": p})[0] is Match.FULL for r in own)
    }


def test_only_the_routes_the_page_uses_reach_gradio(served, service):
    """Every route of Gradio's route table outside qa's allow-list answers 404/405 in the one shape."""
    routes = _gradio_routes()
    closed = [(m, p) for m, p in routes if not _allowed(m, p)]
    assert ("POST", "/gradio_api/upload") in closed and ("GET", "/gradio_api/file=x") in closed
    assert len(routes) - len(closed) >= 8  # the page's own: /, config, assets, queue join and data, …
    qa_own = _qa_answers_itself(service, closed)
    assert ("GET", "/openapi.json") in qa_own  # qa's schema shadows Gradio's
    for method, path in sorted(set(closed) - qa_own):
        body = {"data": []} if method == "POST" else None
        status, headers, answer = request(served.port, method, path, body)
        assert status in DENIED, (method, path, status, answer[:200])
        one_shape(status, headers, answer)


BAD_HANDLERS = [999, -1, 10**30, "0", True, None, 1.5]


def test_an_unknown_event_handler_is_a_404_not_a_500(served, app_config):
    """fn_index 999 or -1 was a KeyError and a plain-text 500; an event with no server function (the
    page's browser-side steps) and an unknown api_name are unknown handlers too."""
    js_only = [d["id"] for d in app_config["dependencies"] if not d.get("backend_fn")]
    assert js_only  # the chat's append step, 新对话, …
    for fn_index in [*BAD_HANDLERS, *js_only]:
        for route in ("/gradio_api/queue/join", "/gradio_api/run/predict"):
            body = {"data": [], "fn_index": fn_index, "session_hash": "attacker"}
            status, headers, answer = request(served.port, "POST", route, body)
            assert (status, one_shape(status, headers, answer)["code"]) == (404, "not_found"), (route, fn_index)
    for name in ("nothing", "js_fn", "predict"):
        status, headers, answer = request(served.port, "POST", f"/gradio_api/call/{name}", {"data": []})
        assert (status, one_shape(status, headers, answer)["code"]) == (404, "not_found"), name


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _bad_bodies(on_check: int, load_example: int) -> list[tuple[str, object]]:
    deep_data = {"data": json.loads(_nested(500)), "fn_index": on_check, "session_hash": "s"}
    return [
        ("not JSON", b"{not json"),
        ("30,000 nested [", _nested(30_000)),
        ("500 nested [ in data", json.dumps(deep_data).encode()),
        ("invalid UTF-8", b'{"data": ["\xff\xfe"], "fn_index": 0}'),
        ("array", []),
        ("string", "x"),
        ("data not a list", {"data": "x", "fn_index": on_check, "session_hash": "s"}),
        ("too few values", {"data": [], "fn_index": on_check, "session_hash": "s"}),
        ("too many values", {"data": ["a", "b", "c"], "fn_index": on_check, "session_hash": "s"}),
        ("session_hash not text", {"data": ["湖州", None], "fn_index": on_check, "session_hash": 5}),
        ("no session_hash", {"data": ["湖州", None], "fn_index": on_check}),
        ("a file-like object with meta []", {"data": [{"path": "x", "meta": []}, None], "fn_index": on_check}),
        ("example index 999", {"data": [999], "fn_index": load_example, "session_hash": "s"}),
        ("example index text", {"data": ["x"], "fn_index": load_example, "session_hash": "s"}),
        ("example index null", {"data": [None], "fn_index": load_example, "session_hash": "s"}),
    ]


def test_malformed_gradio_requests_are_4xx_in_the_one_shape(served, app_config):
    """Whatever the body, every route that takes one answers 4xx in qa's shape: never Gradio's
    {"detail": …}, never a 5xx (a queued event's own failure comes back in its stream, not as a status)."""
    ids = {d.get("api_name"): d["id"] for d in app_config["dependencies"]}
    bodies = _bad_bodies(ids["on_check"], ids["load_example"])
    for name, body in bodies:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        for route in (
            "/gradio_api/queue/join",
            "/gradio_api/run/predict",
            "/gradio_api/call/on_check",
            "/gradio_api/cancel",
            "/gradio_api/reset",
        ):
            status, headers, answer = request(served.port, "POST", route, raw, {"Content-Type": "application/json"})
            if status == 200:
                continue  # e.g. call/on_check takes too few values and reports it in the event stream
            assert 400 <= status < 500, (name, route, status, answer[:300])
            one_shape(status, headers, answer)


def test_the_pages_own_events_still_run(served, app_config):
    """The gate must not fire on what the page sends: a quote checked through the queue, an example loaded."""
    ids = {d.get("api_name"): d["id"] for d in app_config["dependencies"]}
    picker = next(c for c in app_config["components"] if c.get("props", {}).get("elem_id") == "qa-collection")
    session = uuid.uuid4().hex
    quote = "2020年度长三角地区主要领导座谈会在浙江湖州举行。"
    body = {"data": [quote, picker["props"]["value"]], "fn_index": ids["on_check"], "session_hash": session}
    status, _, answer = request(served.port, "POST", "/gradio_api/queue/join", body)
    assert status == 200 and "event_id" in json.loads(answer)
    assert b"qa-verdict" in stream(served.port, f"/gradio_api/queue/data?session_hash={session}", b"process_completed")
    body = {"data": [0], "fn_index": ids["load_example"], "session_hash": session}
    status, _, answer = request(served.port, "POST", "/gradio_api/run/predict", body)
    assert status == 200 and json.loads(answer)["data"]


def test_v1_chat_completions_deep_nesting_is_a_400_in_openai_shape(served):
    """30,000 nested `[` was a RecursionError and a 500."""
    for body in (_nested(30_000), b'{"model": "qa-extractive", "messages": ' + _nested(30_000) + b"}"):
        status, headers, answer = request(
            served.port, "POST", "/v1/chat/completions", body, {"Content-Type": "application/json"}
        )
        assert status == 400, answer[:300]
        error = json.loads(answer)["error"]
        assert (error["type"], error["code"]) == ("invalid_request_error", "malformed_json") and error["message"]


def test_a_request_uvicorn_cannot_parse_gets_400_in_the_one_shape(served):
    """uvicorn answered a garbled request line, header or chunk in plain text."""
    for raw in (
        b"GARBAGE\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n",
        b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
    ):
        with socket.create_connection(("127.0.0.1", served.port), timeout=HTTP_TIMEOUT) as sock:
            sock.sendall(raw)
            r = http.client.HTTPResponse(sock)
            r.begin()
            status, headers, body = r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        assert status == 400, raw
        assert one_shape(status, headers, body)["code"] == "bad_request"


def test_the_gate_holds_wherever_gradio_is_mounted(service, tmp_path):
    """The gate sits on Gradio's own app, not on qa's routes: mounted at /ui behind a proxy prefix, a file
    object is still refused and `file=` still closed; and mounting without it is refused loudly."""
    import gradio as gr
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from qa.web.gradio_gate import install_gate
    from qa.web.ui import build_ui

    blocks = build_ui(service)
    app = gr.mount_gradio_app(FastAPI(), blocks, path="/ui", ssr_mode=False)
    install_gate(app, blocks)
    client = TestClient(app, root_path="/proxy")  # as uvicorn --root-path: the path keeps the prefix
    on_check = next(i for i, fn in blocks.fns.items() if fn.api_name == "on_check")
    secret = tmp_path / "secret.txt"
    secret.write_text("CANARY-mounted")
    body = {"data": [{"path": str(secret), "meta": {"_type": "gradio.FileData"}}, None], "fn_index": on_check}
    r = client.post("/proxy/ui/gradio_api/queue/join", json={**body, "session_hash": "s"})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "file_not_accepted")
    assert client.get(f"/proxy/ui/gradio_api/file={secret}").status_code == 404
    assert (
        client.post(
            "/proxy/ui/gradio_api/queue/join", json={**body, "data": ["湖州", None], "session_hash": "s"}
        ).status_code
        == 200
    )
    with pytest.raises(RuntimeError, match="no mounted Gradio app"):
        install_gate(FastAPI(), blocks)


def test_an_unexpected_handler_error_shows_no_text(service):
    """A handler's unexpected exception reaches the page as a bare error: its text (a path, a setting)
    stays in the server's log. gr.Error, a message meant for the user, is still shown."""
    import gradio as gr
    from gradio.utils import error_payload
    from starlette.routing import Mount

    from qa.config import Settings
    from qa.web.api import create_app

    app = create_app(service, Settings.load({"embed_origins": ""}))
    (blocks,) = [r.app.blocks for r in app.routes if isinstance(r, Mount) and hasattr(r.app, "blocks")]
    leaked = error_payload(RuntimeError("/root/.config/qa/admin_token"), blocks.show_error)
    assert "admin_token" not in json.dumps(leaked)
    assert "请重试" in json.dumps(error_payload(gr.Error("请重试"), blocks.show_error), ensure_ascii=False)
