"""The OpenAPI schema says what the API really does: every status it sends, every limit it enforces.

schemathesis then generates requests from that schema (valid and invalid, a bounded number per
operation) and sends them to the real app over the real service; every answer must match the schema.
"""

from __future__ import annotations

import time

import hypothesis
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode

from qa.config import Settings
from qa.errors import InputError
from qa.web.api import create_app

EXAMPLES = 40  # per operation and generation mode: about 30 s on the 2-core machine
ADMIN_EXAMPLES = 20  # the admin run's writes start jobs (uploads): fewer cases keep it short
JOBS_SECONDS = 180  # the jobs of those writes (small generated files) end well within this
ASCII = SchemathesisConfig.from_dict({"generation": {"codec": "ascii"}})


@pytest.fixture(scope="module")
def app(service):
    return create_app(service, Settings.load({"embed_origins": ""}))


@pytest.fixture(scope="module")
def schema(app):
    return TestClient(app).get("/openapi.json").json()


def _statuses(schema, path, method):
    return {int(s) for s in schema["paths"][path][method]["responses"]}


def test_every_status_the_api_sends_is_documented(schema):
    common = {200, 405, 408, 413, 421, 503}
    assert _statuses(schema, "/api/ask", "post") == common | {400, 404, 422}  # 404: no such collection
    assert _statuses(schema, "/api/verify", "post") == common | {400, 404, 422}
    assert _statuses(schema, "/api/documents", "get") == common | {404}
    assert _statuses(schema, "/api/collections/{name}/documents", "post") == common - {200} | {
        202,
        400,
        401,
        403,
        404,
        422,
    }
    assert _statuses(schema, "/api/documents/{doc_id}", "get") == common | {404}
    assert _statuses(schema, "/healthz", "get") == common
    error = schema["components"]["schemas"]["ErrorResponse"]
    assert error["required"] == ["error"]
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            for status, response in op["responses"].items():
                if int(status) >= 400:
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref == "#/components/schemas/ErrorResponse", (method, path, status)


def test_the_answers_are_in_the_schema(schema):
    """The 200 bodies of /api/ask and /api/verify are described key for key (docs/api.md, "JSON shapes"); the
    place keys are required and nullable in every format, so a plain-text hit says "page": null."""
    from tests.conftest import QUOTE_MATCH_KEYS
    from tests.test_cli import HIT_KEYS

    defs = schema["components"]["schemas"]
    for path, name in (("/api/ask", "AskResponse"), ("/api/verify", "VerifyResponse")):
        ok = schema["paths"][path]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok["$ref"] == f"#/components/schemas/{name}"
    assert set(defs["Hit"]["required"]) == HIT_KEYS and set(defs["QuoteMatch"]["required"]) == QUOTE_MATCH_KEYS
    for key in ("page", "sheet", "row"):
        assert {"type": "null"} in defs["Hit"]["properties"][key]["anyOf"]


def test_the_short_answer_is_in_the_schema(schema, app):
    """short_answer (object or null) and the hits' answer_score/answer_span are described field by field,
    and a real answer that has them validates against the schema, every key described."""
    from jsonschema import Draft202012Validator

    from tests.test_cli import HIT_KEYS, READER_HIT_KEYS, WHO_HOSTED

    defs = schema["components"]["schemas"]
    ask = defs["AskResponse"]
    assert "short_answer" in ask["required"] and ask["properties"]["short_answer"]["description"]
    assert ask["properties"]["short_answer"]["anyOf"] == [
        {"$ref": "#/components/schemas/ShortAnswer"},
        {"type": "null"},
    ]
    short = defs["ShortAnswer"]
    assert (
        set(short["required"])
        == set(short["properties"])
        == {"text", "card", "start", "end", "pieces", "score", "citation"}
    )
    assert all(field.get("description") for field in short["properties"].values())
    assert "rank" in short["properties"]["card"]["description"]
    assert "file" in short["properties"]["start"]["description"]
    assert "piece boundary" in short["properties"]["pieces"]["description"]
    hit = defs["Hit"]
    assert not READER_HIT_KEYS & set(hit["required"])  # only where the reader read / answered
    assert hit["properties"]["answer_score"]["type"] == "number" and hit["properties"]["answer_score"]["description"]
    assert hit["properties"]["answer_span"]["$ref"] == "#/components/schemas/Span"

    body = TestClient(app).post("/api/ask", json={"question": WHO_HOSTED}).json()
    assert body["short_answer"]["text"] == "袁家军" and "answer_span" in body["hits"][0]
    validator = Draft202012Validator({"$ref": "#/components/schemas/AskResponse", "components": schema["components"]})
    assert not list(validator.iter_errors(body))
    assert set(body) == set(ask["properties"]) and set(body["short_answer"]) == set(short["properties"])
    assert all(HIT_KEYS <= set(h) <= set(hit["properties"]) for h in body["hits"])


def test_the_limits_are_in_the_schema(schema, service):
    bodies = schema["components"]["schemas"]
    question = bodies["AskRequest"]["properties"]["question"]
    assert (question["minLength"], question["maxLength"]) == (1, service.settings.max_question_chars)
    quote = bodies["VerifyRequest"]["properties"]["quote"]
    assert (quote["minLength"], quote["maxLength"]) == (3, service.settings.max_quote_chars)
    # "a letter or a digit somewhere" (three for a quote), in JSON Schema's (ECMA-262, Unicode) regex syntax
    assert question["pattern"] == r"[\p{L}\p{N}]"
    assert quote["pattern"] == r"(?:[^\p{L}\p{N}]*[\p{L}\p{N}]){3}"
    top_k = next(t for t in bodies["AskRequest"]["properties"]["top_k"]["anyOf"] if t.get("type") == "integer")
    assert (top_k["minimum"], top_k["maximum"]) == (1, 100)


def test_the_schema_follows_the_settings(service):
    settings = Settings.load({"max_question_chars": 50, "max_quote_chars": 80})
    bodies = TestClient(create_app(service, settings)).get("/openapi.json").json()["components"]["schemas"]
    assert bodies["AskRequest"]["properties"]["question"]["maxLength"] == 50
    assert bodies["VerifyRequest"]["properties"]["quote"]["maxLength"] == 80


def test_schemathesis_finds_no_failure(app):
    """Every operation, valid and invalid requests, all of schemathesis' checks: zero failures."""
    utf8 = [result.ok() for result in schemathesis.openapi.from_asgi("/openapi.json", app).get_all_operations()]
    # Invalid requests are made of ASCII text. To decide that a string violates a `pattern`,
    # schemathesis approximates \p{L} and \p{N} by Latin letters and 0-9, which is exact for ASCII
    # only: it would call "³" or "问" a pattern violation although both are a letter or digit.
    ascii_only = schemathesis.openapi.from_asgi("/openapi.json", app, config=ASCII).get_all_operations()
    invalid = {op.label: op for op in (result.ok() for result in ascii_only)}
    failures, sent = [], []
    # ask, verify, documents, a document, its extracted text, healthz; collections: list, create, drop,
    # upload, remove a document, a job, admin status, login, logout. Writes from the test client (not
    # loopback, no admin_token) are refused with the documented 403.
    assert len(utf8) == 15
    runs = [(op, GenerationMode.POSITIVE) for op in utf8]
    # Invalid requests need something to make invalid: the bodies of the POST routes (a GET's path
    # string cannot be invalid, and hypothesis would report the negative strategy as unsatisfiable).
    # POST /api/logout has no body either.
    with_body = [label for label in invalid if label.startswith("POST ") and label != "POST /api/logout"]
    runs += [(invalid[label], GenerationMode.NEGATIVE) for label in with_body]
    failures += _run(runs, EXAMPLES, lambda case: sent.append(case.call_and_validate().status_code))
    assert not failures, "\n\n".join(failures)
    assert len(sent) >= 4 * EXAMPLES  # at least the two POST routes' valid and invalid runs were all sent
    assert {200, 422} <= set(sent)


def _run(runs, examples: int, call) -> list[str]:
    """Each (operation, generation mode) run for `examples` cases through `call`; every failure, so that
    one operation's does not hide another's."""
    failures = []
    for operation, mode in runs:

        @hypothesis.settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        )
        @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
        def check(case):
            call(case)

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label} [{mode.value}]: {exc}")
    return failures


ADMIN = "schemathesis-admin-token"
WRITES = ("POST /api/collections", "DELETE /api/collections", "GET /api/jobs/", "GET /api/admin/status")


@pytest.fixture(scope="module")
def admin_app(service, tmp_path_factory):
    """The app with an admin token, over a copy of the seed index: the writes schemathesis makes with the
    token are accepted, and land in a folder of this test's own."""
    from tests.collections.conftest import copy_seed_index

    folder = copy_seed_index(service, tmp_path_factory.mktemp("openapi-admin") / "index")
    return create_app(service, Settings.load({"embed_origins": "", "admin_token": ADMIN, "index_dir": str(folder)}))


def test_schemathesis_finds_no_failure_with_the_admin_token(admin_app):
    """The write operations again, with the admin token, so that writes are accepted and exercised
    (collections created and dropped, uploads stored and indexed by their jobs): zero failures, no 5xx,
    and every job started ends."""
    token = {"Authorization": f"Bearer {ADMIN}"}
    writes = [r.ok() for r in schemathesis.openapi.from_asgi("/openapi.json", admin_app).get_all_operations()]
    writes = [op for op in writes if op.label.startswith(WRITES)]
    assert len(writes) == 6  # create, drop, upload, remove a document, a job, admin status
    runs = [(op, GenerationMode.POSITIVE) for op in writes]
    # Invalid bodies for creation only: an uploaded file is any bytes, so no multipart part is invalid.
    ascii_only = schemathesis.openapi.from_asgi("/openapi.json", admin_app, config=ASCII).get_all_operations()
    runs += [
        (op, GenerationMode.NEGATIVE) for op in (r.ok() for r in ascii_only) if op.label == "POST /api/collections"
    ]
    failures, sent, jobs = [], [], []

    def call(case):
        response = case.call_and_validate(headers=token)
        sent.append(response.status_code)
        if response.status_code == 202:
            jobs.append(response.json()["job"]["id"])

    failures += _run(runs, ADMIN_EXAMPLES, call)
    assert not failures, "\n\n".join(failures)
    assert not [s for s in sent if s >= 500]
    assert {201, 202} <= set(sent)  # a collection created, an upload accepted
    # Every job those uploads and removals started comes to an end (a file's failure is a job state).
    client, deadline, states = TestClient(admin_app), time.monotonic() + JOBS_SECONDS, {}
    while time.monotonic() < deadline and len(states) < len(jobs):
        for job in jobs:
            state = client.get(f"/api/jobs/{job}", headers=token).json()["state"]
            if state in ("done", "failed"):
                states[job] = state
        time.sleep(0.5)
    assert len(states) == len(jobs) and "done" in states.values(), states


def test_every_name_the_schemas_pattern_accepts_is_a_collection_name():
    """The schema's pattern and qa.collections' rule agree. Before: NFKC turned letters the pattern accepts
    into a letter and a mark (ŀ into l·) or into more characters (ﷺ into 18), and such names got 422."""
    import sys
    import unicodedata

    from qa.collections.registry import check_name

    # Every letter and digit the pattern takes that normalisation changes (the others cannot differ).
    letters = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c))[0] in "LN"]
    letters = [c for c in letters if unicodedata.normalize("NFKC", c) != c]
    assert len(letters) > 1000
    refused = []
    for c in letters:
        for name in (c, c * 64, f"x_{c}-1" if c.isascii() else f"{c}_-1"):
            try:
                check_name(name)
            except InputError:
                refused.append(name[:8])
    assert not refused, refused[:20]
    assert check_name("ŌQŀ1") == "ŌQŀ1"
    assert check_name("ＡＢＣ") == "ABC"  # where NFKC keeps the rule, it still folds: one collection
    with pytest.raises(InputError):
        check_name("аdmin")  # a Cyrillic а in a Latin name: the look-alike rule still fires


def test_a_list_answer_is_in_the_schema(schema, app):
    """answer_items (a list answer's items) is described field by field, and a real list answer validates."""
    from jsonschema import Draft202012Validator

    defs = schema["components"]["schemas"]
    item = defs["AnswerItem"]
    assert set(item["required"]) == set(item["properties"]) == {"text", "card", "start", "end", "pieces", "citation"}
    assert all(field.get("description") for field in item["properties"].values())
    assert "answer_from" in item["properties"]["start"]["description"]
    body = TestClient(app).post("/api/ask", json={"question": "长三角一体化发展有哪些重点工作？"}).json()
    assert len(body["answer_items"]) == 4 and body["short_answer"] is None
    validator = Draft202012Validator({"$ref": "#/components/schemas/AskResponse", "components": schema["components"]})
    assert not list(validator.iter_errors(body))
    assert all(set(i) == set(item["properties"]) for i in body["answer_items"])
