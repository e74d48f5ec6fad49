"""The plain-text answers (qa chat's terminal, the /v1 assistant message) with and without the answer
reader's short answer, over the real service; and the marking they share with the page."""

from __future__ import annotations

import html
import re

import pytest

from qa.chat.render import assistant_message, item_lines, marked, terminal_answer
from qa.config import Settings
from qa.service import QAService
from qa.web.cards_view import answer_html, cards_html
from tests.test_cli import WHO_HOSTED


@pytest.fixture(scope="module")
def reader_off(service):
    """The seed index (built by `service`) with QA_ANSWER_READER=off."""
    return QAService(Settings.load({"answer_reader": "off"}))


def test_marked_nests_the_answer_inside_the_highlight():
    text = "0123456789"
    assert marked(text, (2, 8), (4, 6)) == "01【23〖45〗67】89"
    assert marked(text, (2, 8), None) == marked(text, (2, 8), (5, 5)) == "01【234567】89"
    # an answer crossing the highlight's edge is closed and reopened there, so the marks nest
    assert marked(text, (2, 5), (4, 7)) == "01【23〖4〗】〖56〗789"
    assert marked(text, (0, 0), (3, 4)) == "012〖3〗456789"
    assert marked(text, (8, 99), (-3, 1)) == "〖0〗1234567【89】"  # offsets clamped to the text
    # each piece of text goes through `escape`, the marks do not (the page passes html.escape)
    assert marked("<b>", (0, 3), (1, 2), ("<m>", "</m>"), ("<s>", "</s>"), html.escape) == "<m>&lt;<s>b</s>&gt;</m>"


def test_terminal_and_assistant_message_lead_with_the_short_answer(service, seed_texts):
    answer = service.ask(WHO_HOSTED, history=[])  # as qa chat and /v1 ask: in a conversation
    short = answer.short_answer
    assert (short.text, short.card) == ("袁家军", 1)
    hit = answer.hits[0]
    assert "".join(seed_texts[hit.citation.file][s:e] for s, e in short.pieces) == "袁家军"
    lines = terminal_answer(answer).splitlines()
    cite = short.citation.label()  # the place the answer stands, then the exact span
    assert cite.startswith("《") and cite == body_citation(answer)
    assert lines[0] == f"答：袁家军 [1] {cite}（{hit.citation.file}:{short.start}-{short.end}）"
    assert lines[1] == f"回答：{answer.answer}" and "袁家军" in answer.answer
    assert re.search(r"【[^】]*〖袁家军〗[^】]*】", lines[4]), lines[4]
    message = assistant_message(answer)
    assert message.startswith(f"答：袁家军 [1] {cite}\n\n{answer.answer}\n\n参考资料：\n[1] ")


def body_citation(answer) -> str:
    return answer.to_dict()["short_answer"]["citation"]


def test_reader_off_no_short_answer_anywhere_and_the_output_as_before(reader_off):
    answer = reader_off.ask(WHO_HOSTED, history=[])
    body = answer.to_dict()
    assert answer.short_answer is None and body["short_answer"] is None
    assert not any(h.answer_score is not None or h.answer_span is not None for h in answer.hits)
    assert all("answer_score" not in h and "answer_span" not in h for h in body["hits"])
    assert answer.answer.startswith("昨日,在圆满完成座谈会各项议程后,举行了成果发布会。[1]")  # as before the reader
    text = terminal_answer(answer)
    assert text.startswith(f"回答：{answer.answer}\n") and "〖" not in text
    assert assistant_message(answer).startswith(f"{answer.answer}\n\n参考资料：\n[1] ")
    # the page: the question and the answer, nothing between them; one plain highlight per card
    assert answer_html(body).startswith(f'<div class="qa-q">问：{WHO_HOSTED}</div><div class="qa-answer">')
    page = answer_html(body) + cards_html(body, {})
    assert "qa-short" not in page
    assert page.count('<mark class="qa-hl">') == len(body["hits"])


def test_a_list_answer_prints_its_items_numbered_with_their_cards_and_file_offsets(service, seed_texts):
    answer = service.ask("长三角一体化发展有哪些重点工作？", history=[])
    lines = item_lines(answer)
    assert [re.match(r"  (\d)\. ", line).group(1) for line in lines] == ["1", "2", "3", "4"]
    out = terminal_answer(answer).splitlines()
    assert "共 4 项：" in out and lines[2] in out
    for line, item in zip(lines, answer.answer_items):
        m = re.fullmatch(r"  \d\. (.+) \[(\d+)\] (《.+）)（(.+):(\d+)-(\d+)）", line)
        assert m and m.group(1) == item.text and int(m.group(2)) == item.card
        assert m.group(3) == item.citation.label() and "段" in m.group(3)  # the item's own paragraph
        assert seed_texts[m.group(4)][int(m.group(5)) : int(m.group(6))] == item.text
    assert item_lines(service.ask("座谈会在哪里举行？", history=[])) == []
