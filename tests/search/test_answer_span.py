"""The answer quotes the sentence beside the highlight when only that one offers what is asked
(qa.search.answer.answer_span): where it must fire and where it must not. Text written for the test."""

from __future__ import annotations

import dataclasses

import pytest

from qa.records import Citation, Evidence, Hit, Passage
from qa.search.answer import answer_span, extract


def _passage(text: str, pid: int = 0) -> Passage:
    return Passage(pid, Citation(f"d{pid}", f"d{pid}.txt", "标题", None, None, 1, 0, len(text)), text)


def _hit(text: str, sentence: str, cue: bool = False) -> Hit:
    start = text.index(sentence)
    return Hit(1, 1.0, _passage(text), (start, start + len(sentence)), 1, 1, (), Evidence(0.3, 0.9, 0.8, cue))


BRIDGE = "工程师王建国于1998年提出了这一方案。他的方案让大桥的工期缩短了一半。"
LINE = "这条线路的车站数量在全市排名第二。全线共设10座车站，均为地下站。"


@pytest.mark.parametrize(
    "text, sentence, question, quoted",
    [
        # the name asked for stands in the sentence before the one holding the question's words
        (BRIDGE, "他的方案让大桥的工期缩短了一半。", "谁的方案让大桥的工期缩短了一半？", BRIDGE),
        # the count asked for stands in the sentence after it
        (LINE, "这条线路的车站数量在全市排名第二。", "这条线路一共有多少座车站？", LINE),
    ],
)
def test_the_neighbour_offering_the_asked_item_joins_the_quote(text, sentence, question, quoted):
    span = answer_span(_hit(text, sentence), question)
    assert text[span[0] : span[1]] == quoted


@pytest.mark.parametrize(
    "text, sentence, question, cue",
    [
        # the highlighted sentence offers a person itself
        (BRIDGE, "工程师王建国于1998年提出了这一方案。", "谁提出了这一方案？", True),
        # the question asks for no kind of item (什么)
        (BRIDGE, "他的方案让大桥的工期缩短了一半。", "他的方案让大桥的工期发生了什么变化？", False),
        # the neighbour offers a number, not the person asked for
        (LINE, "全线共设10座车站，均为地下站。", "谁设计了这条线路的车站？", False),
    ],
)
def test_the_quote_stays_the_highlight(text, sentence, question, cue):
    hit = _hit(text, sentence, cue)
    assert answer_span(hit, question) == hit.highlight


def test_the_answer_cites_the_joined_span_under_one_marker():
    hit = _hit(BRIDGE, "他的方案让大桥的工期缩短了一半。")
    answer = extract([hit], "谁的方案让大桥的工期缩短了一半？")
    assert answer.text == f"{BRIDGE}[1]"
    assert answer.sources == ((1, 0, len(BRIDGE)),)


def test_a_joined_neighbour_is_not_quoted_again_from_another_card():
    """The second card's highlight is the sentence the first quote already joined (the same text
    printed elsewhere): it is not repeated."""
    first = _hit(BRIDGE, "他的方案让大桥的工期缩短了一半。")
    elsewhere = "据报道，工程师王建国于1998年提出了这一方案。"
    second = dataclasses.replace(
        _hit(elsewhere, "工程师王建国于1998年提出了这一方案。"), rank=2, passage=_passage(elsewhere, 1)
    )
    answer = extract([first, second], "谁的方案让大桥的工期缩短了一半？")
    assert answer.text == f"{BRIDGE}[1]"


def test_a_pinned_item_is_quoted_alone():
    hit = _hit(BRIDGE, "他的方案让大桥的工期缩短了一半。")
    answer = extract([hit], "谁的方案让大桥的工期缩短了一半？", max_sentences=1, neighbour=False)
    assert answer.text == "他的方案让大桥的工期缩短了一半。[1]"
