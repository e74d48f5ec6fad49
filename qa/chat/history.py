"""The earlier turns of a conversation, checked and bounded, from the HTTP API or OpenAI messages.

In:  `[{"question", "answer"}]` (POST /api/ask, oldest first) or OpenAI `messages`
     (`[{"role", "content"}]`, the last one the user's question).
Out: a tuple of Turn records, at most `max_turns` of them (older turns are dropped: follow-ups only
     ever lean on the last few), and for messages the question to answer.

Refused with InputError (HTTP 422): a turn that is not an object, a question that is not text or is
empty, an unknown role, content that is neither text nor a list of text parts, messages that do not
end with the user's question. A history question longer than max_question_chars is refused like a
question; an answer is only carried, never searched, so it is cut to `max_answer_chars`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from qa.errors import EmptyInput, InputError, InputTooLong

__all__ = ["Turn", "turns_from_history", "turns_from_messages", "ROLES"]

ROLES = ("system", "developer", "user", "assistant")  # developer: OpenAI's newer name for system
MAX_ANSWER_CHARS = 4000


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str = ""


def _text(value: object, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # OpenAI content parts: [{"type": "text", "text": "..."}]
        parts = []
        for part in value:
            if not (isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)):
                raise InputError(
                    f"{where} 只能是文字。/ {where}: only text content parts "
                    '({"type": "text", "text": "..."}) are accepted.'
                )
            parts.append(part["text"])
        return "".join(parts)
    raise InputError(f"{where} 必须是文字。/ {where} must be a string (or a list of text parts).")


def _question(value: object, where: str, max_chars: int) -> str:
    """The same rule as a question (qa.service): valid Unicode, at least one letter or digit, not too long."""
    text = _text(value, where).strip()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{where} 含有无效字符。/ {where} is not valid Unicode text (a lone surrogate).") from None
    if not any(unicodedata.category(c)[0] in "LN" for c in text):
        raise EmptyInput(f"{where} 是空的。/ {where} is empty: it has no letter or digit.")
    if len(text) > max_chars:
        raise InputTooLong(
            f"{where} 太长（{len(text)} 字，上限 {max_chars} 字）。/ {where} has {len(text)} characters; "
            f"the limit is {max_chars}."
        )
    return text


def turns_from_history(history: object, max_turns: int, max_chars: int) -> tuple[Turn, ...]:
    """POST /api/ask's `history`: a list of {"question", "answer"} objects, oldest first."""
    if history is None:
        return ()
    if not isinstance(history, list | tuple):
        raise InputError("history 必须是列表。/ history must be a list of {question, answer} objects.")
    turns = []
    for i, item in enumerate(history[-max_turns:] if max_turns else []):
        where = f"history[{len(history) - min(len(history), max_turns) + i}]"
        if isinstance(item, Turn):
            turns.append(item)
            continue
        if not isinstance(item, dict):
            raise InputError(f"{where} 必须是对象。/ {where} must be an object with question and answer.")
        answer = item.get("answer") or ""
        turns.append(
            Turn(
                _question(item.get("question"), f"{where}.question", max_chars),
                _text(answer, f"{where}.answer")[:MAX_ANSWER_CHARS],
            )
        )
    return tuple(turns)


def turns_from_messages(messages: object, max_turns: int, max_chars: int) -> tuple[str, tuple[Turn, ...]]:
    """OpenAI chat messages → (the question, the earlier turns). System messages are ignored (the
    answers are extractive; there is no model to instruct); an assistant message is the answer to the
    user message before it."""
    if not isinstance(messages, list) or not messages:
        raise InputError("messages 必须是非空列表。/ messages must be a non-empty list.")
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            raise InputError(f"messages[{i}] 必须是对象。/ messages[{i}] must be an object with role and content.")
        if m.get("role") not in ROLES:
            raise InputError(
                f"messages[{i}].role 不支持：{str(m.get('role'))[:40]!r}。/ messages[{i}].role must be one of "
                f"{', '.join(ROLES)}; got {str(m.get('role'))[:40]!r}."
            )
    talk = [(i, m) for i, m in enumerate(messages) if m["role"] in ("user", "assistant")]
    if not talk or talk[-1][1]["role"] != "user":
        raise InputError("最后一条消息必须是用户的问题。/ The last user or assistant message must be the user's.")
    # Only the last max_turns questions before the final one are kept: check only those.
    user_positions = [k for k, (_, m) in enumerate(talk) if m["role"] == "user"]
    keep_from = user_positions[max(0, len(user_positions) - 1 - max_turns)] if max_turns else user_positions[-1]
    for _, m in talk[:keep_from]:  # dropped turns must still be well-formed messages
        _text(m.get("content"), "content")
    turns: list[Turn] = []
    for i, m in talk[keep_from:-1]:
        if m["role"] == "user":
            turns.append(Turn(_question(m.get("content"), f"messages[{i}].content", max_chars)))
        elif turns:
            answer = _text(m.get("content") or "", f"messages[{i}].content")[:MAX_ANSWER_CHARS]
            turns[-1] = Turn(turns[-1].question, answer)
    i, last = talk[-1]
    return _text(last.get("content"), f"messages[{i}].content"), tuple(turns)
