"""The API's request bodies and the OpenAPI schema: every status the API sends, every limit it enforces.

request_models(settings)   AskRequest and VerifyRequest, with minLength/maxLength/pattern from the
                           settings and the service's input rule (documented, enforced by the service)
responses(*statuses)       the error responses of a route, each with the one error schema
AskResponse, VerifyResponse  the 200 bodies of /api/ask and /api/verify (docs/api.md, "JSON shapes"),
                           ShortAnswer the answer reader's exact answer inside AskResponse
document_honestly(app)     drops the `{"detail": [...]}` 422 FastAPI invents where none can be sent
"""

from typing import Annotated

from fastapi import FastAPI, Path, Query
from pydantic import AfterValidator, BaseModel, Field, StrictFloat, StrictInt, StrictStr, WithJsonSchema, create_model

from qa.collections.registry import NAME_PATTERN
from qa.config import Settings
from qa.service import MIN_QUOTE_CONTENT

__all__ = [
    "request_models",
    "responses",
    "document_honestly",
    "ErrorResponse",
    "AskResponse",
    "ShortAnswer",
    "VerifyResponse",
    "CollectionQuery",
    "CollectionName",
    "COLLECTION_RULE",
]


def _encodable(text: str) -> str:
    """JSON may carry lone surrogates (\\ud800) that no tokenizer accepts: refuse them as bad input."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains an unpaired surrogate (\\ud800-\\udfff); send valid Unicode text") from None
    return text


Text = Annotated[StrictStr, AfterValidator(_encodable)]


def _whole(value: int | float) -> int:
    """JSON Schema counts 24.0 as an integer, so the API does too; 1.5, "3" and true stay refused."""
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("must be a whole number")
        value = int(value)
    if not 1 <= value <= 100:
        raise ValueError("must be from 1 to 100")
    return value


TopK = Annotated[
    StrictInt | StrictFloat,
    AfterValidator(_whole),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 100}),
]


CONTENT = (
    "Whitespace, punctuation, symbols and invisible characters alone are refused (422 `empty_input`); "
    "longer than maxLength is refused (422 `input_too_long`)."
)


# Which collection to answer from (GET /api/collections lists them); none = the default one.
# The name rule is documented here and enforced by qa.collections (422 `invalid_input`), like the text limits.
_COLLECTION_DOC = "Collection to use (GET /api/collections); default: the seeds. Unknown: 404."
COLLECTION_RULE = {"pattern": NAME_PATTERN, "maxLength": 64}
COLLECTION = (StrictStr | None, Field(None, description=_COLLECTION_DOC, json_schema_extra=COLLECTION_RULE))
CollectionQuery = Annotated[StrictStr | None, Query(description=_COLLECTION_DOC, json_schema_extra=COLLECTION_RULE)]
CollectionName = Annotated[str, Path(description="A collection name.", json_schema_extra=COLLECTION_RULE)]


def request_models(settings: Settings) -> tuple[type[BaseModel], type[BaseModel]]:
    """The request bodies, with the limits the service enforces written into the schema.

    minLength/maxLength/pattern are documented, not enforced by pydantic: the service checks them
    (the length as sent, the content after trimming whitespace) and answers with its own codes, the same
    as the CLI and the UI get.
    """

    def text(description: str, limit: int, least: int):
        # The pattern is the service's own rule (qa.service._clean): `least` letters or digits somewhere.
        letter = r"[\p{L}\p{N}]"
        pattern = letter if least == 1 else rf"(?:[^\p{{L}}\p{{N}}]*{letter}){{{least}}}"
        extra = {"minLength": least, "maxLength": limit, "pattern": pattern}
        return (Text, Field(description=f"{description}. {CONTENT}", json_schema_extra=extra))

    turn = create_model(
        "HistoryTurn",
        question=text("an earlier question of the conversation", settings.max_question_chars, 1),
        answer=(Text, Field("", description="the answer given to it (carried, not searched)")),
    )
    ask = create_model(
        "AskRequest",
        question=text("问题 / the question, in Chinese or any language of the corpus", settings.max_question_chars, 1),
        top_k=(TopK | None, Field(None, description="How many passages to return (1-100).")),
        collection=COLLECTION,
        history=(
            list[turn] | None,
            Field(
                None,
                description="Earlier turns, oldest first; a follow-up (那第三项呢？ 他强调了什么？) is read from them. "
                f"Only the last max_history_turns ({settings.max_history_turns}) are used; older ones are dropped.",
            ),
        ),
    )
    verify = create_model(
        "VerifyRequest",
        quote=text(
            f"引文 / the quotation to check, with at least {MIN_QUOTE_CONTENT} letters or digits (fewer: 422 "
            "`invalid_input`)",
            settings.max_quote_chars,
            MIN_QUOTE_CONTENT,
        ),
        collection=COLLECTION,
    )
    return ask, verify


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable name, e.g. empty_input, body_too_large.")
    message: str = Field(description="What happened and what to do, in Chinese and English.")


class ErrorResponse(BaseModel):
    """The one error shape: every 4xx and 5xx answer of every route."""

    error: ErrorDetail


class Place(BaseModel):
    """Where a citation stands, in every format: one shape whatever the file was."""

    doc_id: str
    file: str = Field(description="Relative to the checkout, or absolute for files outside it.")
    title: str
    paragraph: int = Field(description="1-based paragraph of the article; 0 = its headline (quote matches).")
    start: int = Field(description="Character offset into the decoded file, or into the text extracted from it.")
    end: int
    page: int | None = Field(description="PDF page or PPTX slide, 1-based; null where a format has no pages.")
    sheet: str | None = Field(description="XLSX worksheet; null for every other format.")
    row: int | None = Field(description="XLSX row, 1-based; null for every other format.")
    format: str = Field(description="The reader that read the file: txt md pdf docx pptx xlsx html.")


class Spans(BaseModel):
    """Where a passage of more than one page, row or paragraph ends; its first is `page`, `row`, `paragraph`."""

    paragraph_end: int | None = Field(description="The last paragraph it holds; null when it holds one.")
    page_end: int | None = Field(description="The last page or slide it runs onto; null when it stays on one.")
    row_end: int | None = Field(description="The last XLSX row it holds; null when it holds one row or none.")


CITATION_DOC = (
    "The human citation, built once (Citation.label) and printed as is by the CLI, the page and the widget: "
    "《标题》第2页 (PDF; 第1–2页 over pages), 《标题》第3张幻灯片 (PPTX), 《标题》Sheet1·第5行 (XLSX), "
    "《标题》第3–5段 or, with a source or date, 《标题》（晨报，第5段） (other formats)."
)


class Copy(Place, Spans):
    source: str | None
    date: str | None
    citation: str = Field(description=CITATION_DOC)
    similarity: float = Field(description="1.0: the same text after normalisation; a near copy is at least 0.95.")


class Span(BaseModel):
    start: int
    end: int


class Highlight(Span):
    """The highlighted sentence, and where it stands: its own paragraph and page (a passage can run over
    several)."""

    paragraph: int = Field(description="The paragraph the sentence starts in.")
    page: int | None = Field(description="The page or slide the sentence starts on; null where a format has none.")
    citation: str = Field(description="The sentence's human citation (its own page): what the copy button copies.")


def _absent_when_unset(schema: dict) -> None:
    schema.pop("default", None)  # the key is left out, never null: no default to document


class Hit(Place, Spans):
    rank: int
    score: float
    source: str | None
    date: str | None
    text: str
    pieces: list[list[int]] = Field(description="File spans [start, end] whose concatenation is `text`.")
    citation: str = Field(description=CITATION_DOC + " For the whole passage (its page or paragraph range).")
    highlight: Highlight = Field(
        description="The best-matching sentence, as offsets into `text`; on the short answer's card, the sentence "
        "holding the short answer."
    )
    dense_rank: int | None
    keyword_rank: int | None
    also_in: list[Copy]
    answer_score: float = Field(
        None,
        description="The answer reader's probability (0-1) that this passage answers the question. Present only on "
        "the cards the reader read (the first reader_depth, Chinese questions, answer_reader on).",
        json_schema_extra=_absent_when_unset,
    )
    answer_span: Span = Field(
        None,
        description="The reader's exact answer (short_answer's text), as offsets into `text`. Present only on the "
        "card `short_answer` names; absent on every card when short_answer is null.",
        json_schema_extra=_absent_when_unset,
    )


class AnswerSource(BaseModel):
    rank: int = Field(description="The card (hit rank) the sentence is quoted from.")
    start: int = Field(description="Where the sentence starts inside that hit's `text`.")
    end: int


class ShortAnswer(BaseModel):
    """The answer reader's exact answer (e.g. 袁家军), where it found one."""

    text: str = Field(description="The answer, verbatim from the card's `text` (whitespace at its edges trimmed).")
    card: int = Field(description="The `rank` of the hit it stands in (the [n] of its card).")
    start: int = Field(
        description="Character offset into the decoded file (or the text extracted from it) where it starts, like a "
        "hit's `start`: `file_text[start:end] == text` unless it crosses a piece boundary (see `pieces`)."
    )
    end: int = Field(description="Character offset into the file where it ends.")
    pieces: list[list[int]] = Field(
        description="Its file spans [start, end]: one, or several where it crosses a piece boundary (a repaired "
        'page break); `"".join(file_text[s:e] for s, e in pieces) == text`.'
    )
    score: float = Field(description="The reader's probability (0-1) that its card answers the question.")
    citation: str | None = Field(
        description="The human citation of the place the answer stands (its own page, not the card's first); "
        "printed beside 答：."
    )


class AnswerItem(BaseModel):
    """One item of a list answer (第一，…/一是…/1. …/bullets/"分为三步：A，B，C"), in the list's order."""

    text: str = Field(description="The item's head, verbatim from its card's `text` (also quoted in `answer`).")
    card: int = Field(description="The `rank` of the hit it stands in (the [n] after it in `answer`).")
    start: int = Field(
        description="Character offset into the decoded file where it starts, like short_answer's: "
        "`file_text[start:end] == text` unless it crosses a piece boundary (see `pieces`). The same item in "
        "`answer_from` is given as offsets into the card's `text` instead."
    )
    end: int = Field(description="Character offset into the file where it ends.")
    pieces: list[list[int]] = Field(
        description='Its file spans [start, end]; `"".join(file_text[s:e] for s, e in pieces) == text`.'
    )
    citation: str | None = Field(
        description="The human citation of the place the item stands (its own page and paragraph, not its card's "
        "first), as `short_answer.citation` is built."
    )


class AskResponse(BaseModel):
    question: str
    answer: str
    answered: bool = Field(
        description="false when no passage answers the question: `answer` says so, `hits` are the closest passages."
    )
    answer_from: list[AnswerSource] = Field(description="The card each sentence of `answer` is quoted from, in order.")
    short_answer: ShortAnswer | None = Field(
        description="The exact answer the answer reader found, or null: none sure enough, no passage answers "
        "(`answered` false), a follow-up naming a list item, a question without Chinese, or answer_reader off."
    )
    answer_items: list[AnswerItem] = Field(
        [],
        description="A list question's answer (有哪些, 哪几步, 包括什么 …): every item of the list that answers "
        "it, in order, each with its card and file offsets; empty for any other answer.",
    )
    hits: list[Hit]
    search_query: str | None = Field(
        None, description="What was searched: the question, or a follow-up read with the earlier turns."
    )


class Segment(BaseModel):
    op: str = Field(description="equal | insert | delete | replace")
    quote: str
    source: str


class Flag(BaseModel):
    kind: str = Field(description="number | date | negation | name")
    quote: str
    source: str


class QuoteMatch(Place):
    citation: str = Field(description=CITATION_DOC)
    source_text: str
    similarity: float
    normalizations: list[str]
    diff: list[Segment]
    flags: list[Flag]


class QuotePart(BaseModel):
    quote: str
    verdict: str
    matches: list[QuoteMatch]


class VerifyResponse(BaseModel):
    quote: str
    verdict: str = Field(description="exact | normalized | altered | spliced | not_found")
    matches: list[QuoteMatch]
    parts: list[QuotePart]
    message: str


def responses(*statuses: int) -> dict:
    described = {
        400: "Malformed JSON or multipart, or an invalid Content-Length (`malformed_json`, `bad_request`).",
        401: "No token or a wrong one (`unauthorized`): reading with read_token set, writing with admin_token set.",
        403: "Writing from another machine while no admin_token is set (`forbidden`); a write, login or "
        "logout sent by a page of another origin, or a session cookie writing without Origin (`cross_origin`).",
        404: "No such document, collection or job (`not_found`).",
        405: "The path exists but not for this method (`method_not_allowed`); `Allow` lists the methods.",
        408: "The request body did not arrive within read_timeout_seconds (`request_timeout`).",
        413: "The body is larger than max_body_bytes (`body_too_large`).",
        409: "The collection exists already, or the request would empty it (`conflict`).",
        422: "Invalid request: a wrong type, a value out of range (`invalid_request`), an empty or too long "
        "question or quote (`empty_input`, `input_too_long`).",
        421: "The Host is none of the server's names (`misdirected_request`): add it to allowed_hosts.",
        429: "Too many wrong tokens, or logins, from this address (`too_many_attempts`); see Retry-After.",
        503: "The server is busy: max_concurrent_requests at work and max_waiting_requests waiting "
        "(`unavailable`, see Retry-After); or the index or the model cannot be used (`index_error`, "
        "`corrupt_index`, `model_error`).",
    }
    every = {405, 408, 413, 421, 503}
    return {s: {"model": ErrorResponse, "description": described[s]} for s in sorted(every | set(statuses))}


def document_honestly(app: FastAPI) -> None:
    """FastAPI documents a 422 `{"detail": [...]}` on every route with a parameter. Our validation errors
    leave in the one shape (documented per route where they can happen); where none can (a path string),
    the invented 422 and its unused schemas are dropped."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = build()
            for ops in schema["paths"].values():
                for op in ops.values():
                    default = op["responses"].get("422", {}).get("content", {}).get("application/json", {})
                    if default.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
                        del op["responses"]["422"]
            for name in ("HTTPValidationError", "ValidationError"):
                schema.get("components", {}).get("schemas", {}).pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi
