"""List answers end to end (qa/search/lists.py through QAService.ask): every item of the list that
answers, in order, each quoted with its card, its file offsets reading back from the file; ordinal
follow-ups take their item from that list; the JSON carries `answer_items`.

The seed examples are those of issue 34; the formats corpus (a real PDF and DOCX) is other text.
"""

from __future__ import annotations

import re

import pytest


def read_back(service, answer, item) -> str:
    """The item's text as its file has it, from the item's own file spans."""
    hit = next(h for h in answer.hits if h.rank == item.card)
    text = service.document_text(hit.citation.doc_id)["text"]
    return "".join(text[s:e] for s, e in item.pieces)


def check_items(service, answer, expected: list[str]) -> None:
    assert [i.text for i in answer.answer_items] == expected
    for item in answer.answer_items:
        assert read_back(service, answer, item) == item.text
        assert (item.start, item.end) == (item.pieces[0][0], item.pieces[-1][1])
        assert f"{item.text}[{item.card}]" in answer.answer  # quoted verbatim with its card marker
        hit = next(h for h in answer.hits if h.rank == item.card)
        assert hit.passage.text[item.span[0] : item.span[1]] == item.text
    assert answer.short_answer is None  # the items are the answer


KEY_TASKS = ["第一，推动长三角区域经济高质量发展", "第二，加大科技攻关力度", "第三，提升长三角城市发展质量"]
KEY_TASKS.append("第四，增强欠发达区域高质量发展动能")


def test_the_four_key_tasks_one_a_paragraph_in_order_with_their_cards(service):
    answer = service.ask("长三角一体化发展有哪些重点工作？")
    check_items(service, answer, KEY_TASKS)
    assert [i.card for i in answer.answer_items] == [2, 3, 4, 5]  # each paragraph its own card
    assert answer.answer.index("第一，") < answer.answer.index("第四，")


def test_the_eight_bullets_under_the_headline_are_answered_whole(service):
    answer = service.ask("把一体化发展「硬核」打造得更具竞争力包括哪些内容？")
    texts = [i.text for i in answer.answer_items]
    assert len(texts) == 8, texts
    assert all(t.startswith("- 共同") for t in texts)
    check_items(service, answer, texts)
    assert len(answer.hits) >= 8  # more cards than top_k: every item's passage is one


def test_ordinal_follow_ups_take_their_item_from_the_list_answer(service):
    first = service.ask("长三角一体化发展有哪些重点工作？")
    history = [{"question": first.question, "answer": first.answer}]
    third = service.ask("那第三项呢？", history=history)
    assert third.answer.startswith("第三，提升长三角城市发展质量[1]")
    assert "三是" not in third.answer  # not the item of another list (三是战略实施成果已经显现)
    last = service.ask("最后一项是什么？", history=history)
    assert last.answer.startswith("第四，增强欠发达区域高质量发展动能[1]")


def test_a_question_that_asks_for_no_list_has_no_items(service):
    answer = service.ask("2020年度长三角地区主要领导座谈会在哪里举行？")
    assert answer.answer_items == ()
    assert answer.to_dict()["answer_items"] == []


def test_the_json_field(service):
    d = service.ask("长三角一体化发展有哪些重点工作？").to_dict()
    assert [set(i) for i in d["answer_items"]] == [{"text", "card", "start", "end", "pieces", "citation"}] * 4
    # answer_from quotes the same items as offsets inside the cards' text, the lead line first
    quoted = [(s["rank"], s["start"], s["end"]) for s in d["answer_from"]]
    cards = {h["rank"]: h for h in d["hits"]}
    for item in d["answer_items"]:
        hit = cards[item["card"]]
        at = hit["text"].index(item["text"])
        assert (item["card"], at, at + len(item["text"])) in quoted


@pytest.mark.parametrize(
    "question, expected",
    [
        # a count and its enumeration in one line of a PDF: the three steps, not 三步
        ("PaDiff主要分为哪几步？", ["实例化模型", "复制参数", "自动计算Diff"]),
        # numbered lines of a PDF
        ("论文复现大致包含哪几步？", ["1. 验证源代码的有效性", "2. 项目层面的代码转换", "3. 框架层面的代码迁移"]),
    ],
)
def test_lists_in_a_pdf_read_back_from_the_file(formats_service, question, expected):
    answer = formats_service.ask(question)
    got = [i.text for i in answer.answer_items]
    assert got[: len(expected)] == expected
    check_items(formats_service, answer, got)


def test_a_docx_list_across_passages_reads_back_from_the_file(formats_service):
    answer = formats_service.ask("Paddle框架的主要任务有哪些？")
    texts = [i.text for i in answer.answer_items]
    assert [re.match(r"\d", t).group() for t in texts] == [str(n) for n in range(1, 8)]
    assert len({i.card for i in answer.answer_items}) >= 2  # the seven items stand in two passages
    check_items(formats_service, answer, texts)


def test_a_markdown_outline_answers_with_the_list_under_the_item_asked_about(formats_service):
    # Every level of the outline is "- ": the depth is the indentation. "Model state" is one item of the
    # list under "ZeRO"; its own three items answer, not the items under its first item.
    answer = formats_service.ask("ZeRO针对Model state做了哪些优化？")
    texts = [i.text for i in answer.answer_items]
    assert texts == ["- Optimizer->ZeRO1", "- Gradient+Optimzer->ZeRO2", "- Parameter+Gradient+Optimizer->ZeRO3"]
    check_items(formats_service, answer, texts)


def test_a_series_inside_a_sentence_of_a_law_is_the_list(formats_service):
    answer = formats_service.ask("监察机关可以采取哪些调查措施？")
    texts = [i.text for i in answer.answer_items]
    assert texts == ["讯问", "询问", "留置", "搜查", "调取", "查封", "扣押", "勘验检查"]
    check_items(formats_service, answer, texts)
