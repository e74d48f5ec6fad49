"""The OpenAI-compatible surface: GET /v1/models and POST /v1/chat/completions over QAService.

In:  OpenAI chat requests (`model`, `messages`, `stream`; other sampling fields are accepted and
     ignored: the answer is extractive, there is nothing to sample).
Out: a chat.completion (or, with stream=true, Server-Sent Events of chat.completion.chunk objects and
     `data: [DONE]`) whose assistant message leads with the short answer where the answer reader found
     one (答：袁家军 [1]), then the extractive answer with [n] markers and a 参考资料 list. The response
     (in a stream: the final chunk before [DONE]) also carries `citations`, the hit objects exactly as
     POST /api/ask returns them, `search_query`, what was searched, and `short_answer` as /api/ask has it.

Earlier user/assistant messages are the conversation (qa.chat.history). Every error on /v1/* is
OpenAI's error object {"error": {"message", "type", "code"}}, keeping qa's own code and message;
errors that the shared middlewares send (413, 405, 404) get their `type` from OpenAIErrors.
"""

from __future__ import annotations

import json
import time
import uuid

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from qa.chat.history import turns_from_messages
from qa.chat.render import assistant_message
from qa.errors import InputError, NotFound, QAError

__all__ = ["add_openai_routes", "OpenAIErrors", "MODEL_ID", "error_type"]

MODEL_ID = "qa-extractive"
_CHUNK_CHARS = 24  # the message is streamed in pieces of about this many characters


class ModelNotFound(NotFound):
    code = "model_not_found"  # OpenAI's code for a model the server does not list


def error_type(status: int) -> str:
    return "invalid_request_error" if status < 500 else "server_error"


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": error_type(status), "code": code}}, status_code=status)


def _tokens(text: str) -> int:
    """A rough count for `usage` (there is no tokenizer of a generative model): one per CJK character
    or per Latin word."""
    return sum(1 for c in text if "\u3400" <= c <= "\u9fff") + len([w for w in text.split() if w.isascii()])


def _pieces(text: str) -> list[str]:
    return [text[i : i + _CHUNK_CHARS] for i in range(0, len(text), _CHUNK_CHARS)] or [""]


def _read_request(body: object, max_turns: int, max_chars: int):
    if not isinstance(body, dict):
        raise InputError("请求体必须是 JSON 对象。/ The body must be a JSON object.")
    model = body.get("model", MODEL_ID)
    if not isinstance(model, str):
        raise InputError("model 必须是字符串。/ model must be a string.")
    if model != MODEL_ID:
        raise ModelNotFound(
            f"没有模型 {model[:60]!r}。/ The model {model[:60]!r} does not exist; GET /v1/models lists {MODEL_ID!r}."
        )
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise InputError("stream 必须是 true 或 false。/ stream must be a boolean.")
    question, turns = turns_from_messages(body.get("messages"), max_turns, max_chars)
    return model, stream, question, turns


def add_openai_routes(app: FastAPI, service, collections=None) -> None:
    """`collections` (qa/collections): a request may name one in an extra body field `collection`."""
    settings = service.settings

    def service_for(body: dict):
        name = body.get("collection")
        if collections is None or name is None:
            return service
        if not isinstance(name, str):
            raise InputError("collection 必须是字符串。/ collection must be a string.")
        return collections.service(name)

    # Not in /openapi.json: this surface follows OpenAI's API and error object, not qa's (docs/api.md).
    @app.get("/v1/models", summary="OpenAI-compatible: the one model this server answers as", include_in_schema=False)
    def models() -> dict:
        return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "qa"}]}

    @app.post(
        "/v1/chat/completions",
        summary="OpenAI-compatible chat: extractive answers with citations",
        include_in_schema=False,
    )
    async def chat_completions(request: Request):
        try:
            try:
                body = json.loads(await request.body())
            except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: arrays nested too deep
                return _error(400, "malformed_json", "请求体不是有效的 JSON。/ The request body is not valid JSON.")
            model, stream, question, turns = _read_request(
                body, settings.max_history_turns, settings.max_question_chars
            )
            answer = await run_in_threadpool(service_for(body).ask, question, None, turns)
        except QAError as exc:
            return _error(exc.http_status, exc.code, exc.message)
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        content = assistant_message(answer)
        extra = {
            "citations": [h.to_dict() for h in answer.hits],
            "search_query": answer.search_query,
            "short_answer": None if answer.short_answer is None else answer.short_answer.to_dict(),
        }
        if not stream:
            prompt = _tokens(question) + sum(_tokens(t.question) + _tokens(t.answer) for t in turns)
            completion = _tokens(content)
            return {
                "id": completion_id,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                ],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                },
                **extra,
            }

        def chunk(delta: dict, finish: str | None = None, **more) -> str:
            data = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **more,
            }
            return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

        async def events():
            # The answer is complete before the first byte: a client that goes away mid-stream only
            # stops this generator (Starlette cancels it); nothing is left half-done on the server.
            yield chunk({"role": "assistant", "content": ""})
            for piece in _pieces(content):
                yield chunk({"content": piece})
            yield chunk({}, "stop", **extra)
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


class OpenAIErrors:
    """ASGI middleware: an error answer on /v1/* sent by the shared layers (body limit 413, method 405,
    unknown route 404, timeouts 408) in qa's shape {"error": {"code", "message"}} also gets OpenAI's
    `type`, so every /v1 error is one OpenAI error object."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        path, prefix = scope.get("path", ""), scope.get("root_path", "")
        if prefix and path.startswith(prefix):
            path = path[len(prefix) :]
        if scope["type"] != "http" or not path.startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        held: dict = {}

        async def relay(message):
            if message["type"] == "http.response.start" and message["status"] >= 400:
                held["start"] = message
                held["body"] = b""
                return
            if "start" in held and message["type"] == "http.response.body":
                held["body"] += message.get("body", b"")
                if message.get("more_body"):
                    return
                body = held.pop("body")
                start = held.pop("start")
                try:
                    data = json.loads(body)
                    error = data["error"]
                    if "type" not in error:
                        error["type"] = error_type(start["status"])
                        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
                except (ValueError, KeyError, TypeError):
                    pass
                headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode()))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, relay)
