"""The HTTP API over the real service on the seed index: answers, documents, one error shape, CSP, CORS."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from qa.config import Settings, project_root
from qa.errors import InputError
from qa.service import QAService
from qa.web.api import MAX_BODY_BYTES, create_app
from qa.web.cards_view import answer_html, cards_html
from qa.web.check_view import check_html
from tests.test_cli import WHO_HOSTED

ALLOWED = "http://allowed.example:8080"
DENIED = "http://evil.example"
QUESTION = "长三角地区主要领导座谈会在哪里举行？"


@pytest.fixture(scope="module")
def settings():
    return Settings.load({"embed_origins": ALLOWED})


@pytest.fixture(scope="module")
def service(settings):
    return QAService(settings)


@pytest.fixture(scope="module")
def client(service, settings):
    return TestClient(create_app(service, settings))


def file_text(path: str) -> str:
    return (project_root() / path).read_text(encoding="utf-8")


# -- endpoints ----------------------------------------------------------------------------------


def test_ask_answers_with_citations_from_the_corpus(client, service):
    r = client.post("/api/ask", json={"question": QUESTION})
    assert r.status_code == 200
    body = r.json()
    assert body["question"] == QUESTION
    assert "[1]" in body["answer"]
    assert body["hits"], "a question about the seeds must find passages"
    assert any("湖州" in h["text"] for h in body["hits"])
    for hit in body["hits"]:
        fields = {"rank", "score", "doc_id", "file", "title", "paragraph", "start", "end", "text", "highlight"}
        assert fields <= set(hit)
        text = file_text(hit["file"])
        # The span reads back as the text, except where a page break inside it was repaired: then the
        # passage's pieces (the file spans around the break) do.
        passage = next(
            p for p in service.index.passages if (p.doc_id, p.citation.start) == (hit["doc_id"], hit["start"])
        )
        assert hit["end"] == passage.citation.end and hit["text"] == passage.text
        assert "".join(text[s:e] for s, e in passage.pieces) == hit["text"]
        assert len(passage.pieces) > 1 or text[hit["start"] : hit["end"]] == hit["text"]
        hl = hit["highlight"]
        assert 0 <= hl["start"] < hl["end"] <= len(hit["text"])


def test_ask_top_k(client):
    r = client.post("/api/ask", json={"question": QUESTION, "top_k": 2})
    assert r.status_code == 200
    assert len(r.json()["hits"]) == 2


def test_verify_exact_and_altered(client):
    exact = client.post("/api/verify", json={"quote": "2020年度长三角地区主要领导座谈会在浙江湖州举行。"})
    assert exact.status_code == 200
    body = exact.json()
    assert body["verdict"] in ("exact", "normalized")
    match = body["matches"][0]
    assert match["source_text"] in file_text(match["file"])

    altered = client.post("/api/verify", json={"quote": "2020年度长三角地区主要领导座谈会在浙江杭州举行。"})
    assert altered.status_code == 200
    body = altered.json()
    assert body["verdict"] == "altered"
    ops = [d for d in body["matches"][0]["diff"] if d["op"] != "equal"]
    assert ops and any("杭" in d["quote"] for d in ops)


def test_documents_list_and_one_document(client, service):
    r = client.get("/api/documents")
    assert r.status_code == 200
    docs = r.json()["documents"]
    assert len(docs) == len(service.documents()) > 0
    for d in docs:
        assert set(d) == {"doc_id", "title", "source", "date", "file", "paragraph_count"}
        assert d["paragraph_count"] > 0

    one = client.get(f"/api/documents/{docs[0]['doc_id']}")
    assert one.status_code == 200
    article = one.json()
    assert article["doc_id"] == docs[0]["doc_id"]
    numbers = [p["paragraph"] for p in article["paragraphs"]]
    assert numbers == list(range(1, len(numbers) + 1))
    raw = file_text(article["file"])
    assert all(p["text"][:10] in raw for p in article["paragraphs"])


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok" and r.json()["passages"] > 0


def test_docs_are_local_only(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/api/ask" in page.text
    assert not re.search(r"https?://", page.text), "the docs page must not load anything from outside"
    schema = client.get("/openapi.json").json()
    assert {"/api/ask", "/api/verify", "/api/documents", "/api/documents/{doc_id}", "/healthz"} <= set(schema["paths"])


# -- one error shape ------------------------------------------------------------------------------


def _chunks(n_bytes: int):
    """A body without Content-Length (chunked), so only counting the stream can catch its size."""
    chunk = b"x" * 4096
    for _ in range(n_bytes // len(chunk) + 1):
        yield chunk


JSON = {"content-type": "application/json"}
ERROR_CASES = {
    "empty question": (("post", "/api/ask"), {"json": {"question": ""}}, 422, "empty_input"),
    "whitespace question": (("post", "/api/ask"), {"json": {"question": " \n\t　"}}, 422, "empty_input"),
    "punctuation only": (("post", "/api/ask"), {"json": {"question": "？？！"}}, 422, "empty_input"),
    "question too long": (("post", "/api/ask"), {"json": {"question": "长" * 3000}}, 422, "input_too_long"),
    "100,000-char question": (("post", "/api/ask"), {"json": {"question": "问" * 100_000}}, 413, "body_too_large"),
    "oversized body, chunked": (("post", "/api/ask"), {"content": "CHUNKED", "headers": JSON}, 413, "body_too_large"),
    "question not a string": (("post", "/api/ask"), {"json": {"question": 42}}, 422, "invalid_request"),
    "question is null": (("post", "/api/ask"), {"json": {"question": None}}, 422, "invalid_request"),
    "missing question": (("post", "/api/ask"), {"json": {}}, 422, "invalid_request"),
    "body is a list": (("post", "/api/ask"), {"json": [QUESTION]}, 422, "invalid_request"),
    "top_k a string": (("post", "/api/ask"), {"json": {"question": QUESTION, "top_k": "3"}}, 422, "invalid_request"),
    "top_k a bool": (("post", "/api/ask"), {"json": {"question": QUESTION, "top_k": True}}, 422, "invalid_request"),
    "top_k zero": (("post", "/api/ask"), {"json": {"question": QUESTION, "top_k": 0}}, 422, "invalid_request"),
    "top_k huge": (("post", "/api/ask"), {"json": {"question": QUESTION, "top_k": 10**6}}, 422, "invalid_request"),
    "malformed JSON": (("post", "/api/ask"), {"content": b'{"question": "', "headers": JSON}, 400, "malformed_json"),
    "not JSON at all": (("post", "/api/ask"), {"content": "问题".encode(), "headers": JSON}, 400, "malformed_json"),
    "no body": (("post", "/api/ask"), {"headers": JSON}, 422, "invalid_request"),
    "empty quote": (("post", "/api/verify"), {"json": {"quote": "  "}}, 422, "empty_input"),
    "quote not a string": (("post", "/api/verify"), {"json": {"quote": ["a"]}}, 422, "invalid_request"),
    "quote too long": (("post", "/api/verify"), {"json": {"quote": "引" * 6000}}, 422, "input_too_long"),
    "unknown document": (("get", "/api/documents/no-such-doc"), {}, 404, "not_found"),
    "unknown api route": (("get", "/api/nothing/here"), {}, 404, "not_found"),
    "wrong method": (("get", "/api/ask"), {}, 405, "method_not_allowed"),
    "wrong method on a document": (("post", "/api/documents/some-doc"), {}, 405, "method_not_allowed"),
    "disallowed preflight": (
        ("options", "/api/ask"),
        {"headers": {"Origin": DENIED, "Access-Control-Request-Method": "POST"}},
        403,
        "origin_not_allowed",
    ),
}


@pytest.mark.parametrize("case", list(ERROR_CASES), ids=list(ERROR_CASES))
def test_every_error_has_the_one_shape(client, case):
    (method, path), kwargs, status, code = ERROR_CASES[case]
    if kwargs.get("content") == "CHUNKED":
        kwargs = {**kwargs, "content": _chunks(MAX_BODY_BYTES + 1)}
    r = client.request(method.upper(), path, **kwargs)
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


@pytest.mark.parametrize(
    "payload",
    [
        b"null",
        b"0",
        b'"text"',
        b'{"question": {"nested": []}}',
        b'{"question": "\\ud800"}',
        b'{"question": "' + "长".encode() * 10 + b'", "top_k": 1.5}',
        b"[" * 5000,
        b"\xff\xfe",
    ],
)
def test_bad_input_is_never_a_500(client, payload):
    r = client.post("/api/ask", content=payload, headers=JSON)
    assert 400 <= r.status_code < 500, r.text
    assert set(r.json()["error"]) == {"code", "message"}


# -- embedding rules: CSP and CORS ------------------------------------------------------------------


def test_embed_page_csp_allows_only_configured_origins(client):
    r = client.get("/embed")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    ancestors = next(d for d in csp.split(";") if d.strip().startswith("frame-ancestors")).split()[1:]
    assert ancestors == ["'self'", ALLOWED]
    assert DENIED not in csp
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp
    assert "x-frame-options" not in r.headers  # it cannot list origins; CSP frame-ancestors does the job


def test_ui_page_csp_and_default_same_origin_only(service, client):
    assert f"frame-ancestors 'self' {ALLOWED}" in client.get("/").headers["content-security-policy"]
    default = Settings.load({"embed_origins": ""})
    plain = TestClient(create_app(service, default))
    assert plain.get("/embed").headers["content-security-policy"].endswith("frame-ancestors 'self'")
    assert plain.get("/").headers["content-security-policy"] == "frame-ancestors 'self'"


def test_cors_allowed_origin(client):
    pre = client.options(
        "/api/ask",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in pre.headers["access-control-allow-methods"]
    r = client.post("/api/ask", json={"question": QUESTION}, headers={"Origin": ALLOWED})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == ALLOWED
    assert "Origin" in r.headers["vary"]


def test_cors_disallowed_origin_gets_no_grant(client):
    r = client.post("/api/ask", json={"question": QUESTION}, headers={"Origin": DENIED})
    assert "access-control-allow-origin" not in r.headers
    r = client.get("/api/documents", headers={"Origin": DENIED})
    assert "access-control-allow-origin" not in r.headers


def test_bad_embed_origin_is_refused(service):
    with pytest.raises(InputError, match="embed_origins"):
        create_app(service, Settings.load({"embed_origins": "https://ok.example https://x.example;script-src *"}))


def test_works_under_a_root_path(service):
    settings = Settings.load({"root_path": "/qa"})
    client = TestClient(create_app(service, settings), root_path="/qa")
    page = client.get("/qa/embed")
    assert page.status_code == 200
    assert client.get("/qa/embed/embed.js").status_code == 200
    assert client.post("/qa/api/ask", json={"question": QUESTION}).status_code == 200
    # every link of the embed page is relative, so it resolves under any prefix
    assert not re.search(r'(src|href)="/', page.text)
    script = client.get("/qa/embed/embed.js").text
    assert not re.search(r"""["']/(api|embed)""", script)


# -- the UI renders data as text --------------------------------------------------------------------

PAYLOAD = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1">'


def test_ui_html_escapes_every_data_string():
    hit = {
        "rank": 1,
        "score": 0.5,
        "doc_id": PAYLOAD,
        "file": PAYLOAD,
        "title": PAYLOAD,
        "source": PAYLOAD,
        "date": PAYLOAD,
        "paragraph": 1,
        "start": 0,
        "end": 5,
        "text": PAYLOAD,
        "highlight": {"start": 0, "end": 8},
        "answer_span": {"start": 2, "end": 6},
        "also_in": [],
    }
    article = {"doc_id": PAYLOAD, "paragraphs": [{"paragraph": 1, "text": "前" + PAYLOAD}]}
    short = {"text": PAYLOAD, "card": 1, "start": 0, "end": 5, "pieces": [[0, 5]], "score": 0.9}
    answer = {"question": PAYLOAD, "answer": PAYLOAD + "[1]", "short_answer": short, "hits": [hit]}
    check = {
        "quote": PAYLOAD,
        "verdict": "altered",
        "message": PAYLOAD,
        "parts": [],
        "matches": [
            {
                "doc_id": PAYLOAD,
                "file": PAYLOAD,
                "title": PAYLOAD,
                "paragraph": 1,
                "start": 0,
                "end": 1,
                "source_text": PAYLOAD,
                "similarity": 0.9,
                "normalizations": [PAYLOAD],
                "diff": [{"op": "replace", "quote": PAYLOAD, "source": PAYLOAD}, {"op": "equal", "quote": PAYLOAD}],
                "flags": [{"kind": PAYLOAD, "quote": PAYLOAD, "source": PAYLOAD}],
            }
        ],
    }
    rendered = answer_html(answer) + cards_html(answer, {PAYLOAD: article}) + check_html(check)
    assert "<script" not in rendered and "<img" not in rendered
    assert "&lt;script&gt;" in rendered
    assert '<span class="qa-ref">[1]</span>' in rendered
    assert rendered.count('<mark class="qa-short">') == 2  # the short answer, in the card and its context


def test_the_page_leads_with_the_short_answer_marked_in_its_card(client, service):
    """答：袁家军[1] (with the human citation of where it stands) before the answer; in card 1, and in its context view, the
    span marked more strongly inside the highlighted sentence; in no other card."""
    body = client.post("/api/ask", json={"question": WHO_HOSTED}).json()
    short, hit = body["short_answer"], body["hits"][0]
    assert (short["text"], short["card"]) == ("袁家军", 1)
    text = file_text(hit["file"])
    assert text[short["start"] : short["end"]] == "袁家军" == "".join(text[s:e] for s, e in short["pieces"])
    span = hit["answer_span"]
    assert hit["text"][span["start"] : span["end"]] == "袁家军"
    assert hit["highlight"]["start"] <= span["start"] < span["end"] <= hit["highlight"]["end"]
    read = [h["answer_score"] for h in body["hits"] if "answer_score" in h]  # the cards the reader read
    assert len(read) == service.settings.reader_depth and all(0 <= p <= 1 for p in read)

    lead = answer_html(body)
    assert lead.index('class="qa-short-answer"') < lead.index('class="qa-answer"')
    assert '答：<span class="qa-short-text">袁家军</span><span class="qa-ref">[1]</span>' in lead
    assert f'<span class="qa-short-where">{short["citation"]}</span>' in lead and short["citation"].startswith("《")
    assert hit["file"] not in lead  # the file span is one click away (copy button, context), not beside 答：
    cards = cards_html(body, {hit["doc_id"]: service.document(hit["doc_id"]).to_dict()})
    first, *rest = cards.split('<div class="qa-card"')[1:]
    strong = r'<mark class="qa-hl">[^<]*<mark class="qa-short">袁家军</mark>[^<]*</mark>'
    assert len(re.findall(strong, first)) == 2, first  # the card's text and the paragraph in context
    assert "qa-short" not in "".join(rest)


def test_the_page_translates_gradios_own_words(client):
    """Gradio announced an answer to screen readers as the bare key "common.complete" (its zh-CN and en
    tables lack it): the page's config carries qa's translation for every Chinese locale and en."""
    translations = client.get("/config").json()["i18n_translations"]
    for locale in ("zh-CN", "zh-TW", "zh", "en"):
        assert translations[locale]["common.complete"] == "完成", locale
