"""The official `openai` Python client against a real `qa serve`, as a user's script would use it."""

from __future__ import annotations

import json
import urllib.request

import openai
import pytest

from qa.web.openai_api import MODEL_ID
from tests.conftest import ROOT
from tests.test_cli import WHO_HOSTED

FIRST = "习近平讲话中的第一项重点工作是什么？"


@pytest.fixture(scope="module")
def client(live_server):
    return openai.OpenAI(base_url=live_server + "/v1", api_key="unused", max_retries=0, timeout=120)


def _api_ask(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url + "/api/ask", json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=120) as r:
        return json.load(r)


def test_models_lists_the_one_model(client):
    assert [m.id for m in client.models.list()] == [MODEL_ID]


def test_non_streaming_answer_carries_citations_exactly_as_api_ask(client, live_server):
    question = "第二届长三角一体化发展高层论坛在哪里举行？"
    completion = client.chat.completions.create(model=MODEL_ID, messages=[{"role": "user", "content": question}])
    message = completion.choices[0].message
    assert message.role == "assistant" and completion.choices[0].finish_reason == "stop"
    assert "湖州" in message.content and "[1]" in message.content and "参考资料" in message.content
    extra = completion.model_extra
    assert extra["search_query"] == question
    api = _api_ask(live_server, {"question": question, "history": []})
    assert extra["citations"] == api["hits"]  # the hit objects of /api/ask, key for key
    hit = extra["citations"][0]
    text = (ROOT / hit["file"]).read_text(encoding="utf-8")
    # The hit's own pieces read back (a headline opens its article's first passage: two pieces).
    assert "".join(text[s:e] for s, e in hit["pieces"]) == hit["text"]


def test_the_reply_leads_with_the_short_answer(client, live_server):
    """答：袁家军 [1] and where it stands first, then the answer and 参考资料; `short_answer` as /api/ask has
    it, its card cited."""
    completion = client.chat.completions.create(model=MODEL_ID, messages=[{"role": "user", "content": WHO_HOSTED}])
    content = completion.choices[0].message.content
    api = _api_ask(live_server, {"question": WHO_HOSTED, "history": []})
    lead = f"答：袁家军 [1] {api['short_answer']['citation']}"
    assert content.startswith(f"{lead}\n\n{api['answer']}\n\n参考资料：\n[1] "), content
    short = completion.model_extra["short_answer"]
    assert short == api["short_answer"] and (short["text"], short["card"]) == ("袁家军", 1)
    hit = completion.model_extra["citations"][0]
    text = (ROOT / hit["file"]).read_text(encoding="utf-8")
    assert text[short["start"] : short["end"]] == "袁家军"


def test_streaming_chunks_join_to_the_answer_and_end_with_citations(client):
    question = "2020年度长三角地区主要领导座谈会在哪里举行？"
    stream = client.chat.completions.create(
        model=MODEL_ID, messages=[{"role": "user", "content": question}], stream=True
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "湖州" in content and "参考资料" in content
    assert len(chunks) > 3, "the message is streamed in pieces"
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert last.model_extra["citations"] and "湖州" in last.model_extra["citations"][0]["text"]
    assert all("citations" not in (c.model_extra or {}) for c in chunks[:-1])
    whole = client.chat.completions.create(model=MODEL_ID, messages=[{"role": "user", "content": question}])
    assert content == whole.choices[0].message.content


def test_three_turn_conversation_reads_follow_ups(client):
    messages = [{"role": "system", "content": "你是文档问答助手。"}, {"role": "user", "content": FIRST}]
    expected = [None, "第二，加大科技攻关力度", "第三，提升长三角城市发展质量"]
    for turn, follow_up in enumerate([None, "第二项呢？", "那第三项呢？"]):
        if follow_up:
            messages.append({"role": "user", "content": follow_up})
        completion = client.chat.completions.create(model=MODEL_ID, messages=messages)
        reply = completion.choices[0].message.content
        if expected[turn]:
            assert completion.model_extra["search_query"] != follow_up  # read from the conversation
            assert completion.model_extra["citations"][0]["text"].startswith(expected[turn])
            assert expected[turn] in reply
        messages.append({"role": "assistant", "content": reply})


def test_unknown_model_is_an_openai_error(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": FIRST}])
    error = caught.value.body
    assert error["code"] == "model_not_found" and error["type"] == "invalid_request_error" and error["message"]
