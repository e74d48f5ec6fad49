"""The follow-up rules: each kind fires where it must, and a question naming its own topic is left alone."""

from __future__ import annotations

import pytest

from qa.chat.followup import LAST, NEXT, mentioned_ordinal, ordinal_number, resolve

PREVIOUS = "会议在共同强化公共服务便利共享方面提出了什么要求？"


@pytest.mark.parametrize(
    "question, kind, position",
    [
        ("那第三项呢？", "ordinal", 3),
        ("第二点是什么？", "ordinal", 2),
        ("三是什么", "ordinal", 3),
        ("下一项呢？", "ordinal", NEXT),
        ("And the third one?", "ordinal", 3),
        ("那营商环境方面呢？", "ellipsis", None),
        ("那浙江呢", "ellipsis", None),
        ("还有呢？", "ellipsis", None),
        ("他强调要紧扣哪两个关键词？", "pronoun", None),
        ("其中哪些领域的成果占比超过90%？", "pronoun", None),
        ("这次会议上有哪些人先后发言？", "pronoun", None),
        ("该会由谁主持？", "pronoun", None),
    ],
)
def test_follow_ups_fire(question, kind, position):
    f = resolve(question, PREVIOUS)
    assert f.kind == kind
    assert f.position == position
    assert f.search_query != question


@pytest.mark.parametrize(
    "question",
    [
        # no marker at all: a new topic
        "第二届长三角一体化发展高层论坛在哪里举行？",
        # an ordinal inside a question that names its own topic
        "习近平讲到长三角一体化工作的亮点时，第一个亮点是什么？",
        # 那…呢 around a question that asks its own question
        "那长三角科技成果联合竞价活动有多少项成果参加呢？",
        # 这次 + a topic the previous turn never spoke of
        "这次创新成果展的开幕式由哪几位领导共同启动？",
        # English without pronouns
        "What is one important purpose of integration, according to Xi Jinping?",
    ],
)
def test_a_question_naming_its_own_topic_stands_alone(question):
    f = resolve(question, PREVIOUS)
    assert f.kind == "standalone"
    assert f.search_query == question


def test_first_turn_is_searched_as_it_stands():
    f = resolve("那第三项呢？", None)
    assert (f.kind, f.search_query) == ("standalone", "那第三项呢？")


def test_ellipsis_fills_the_slot_of_the_previous_question():
    assert resolve("那营商环境方面呢？", PREVIOUS).search_query == "会议在营商环境方面提出了什么要求？"


def test_ellipsis_without_a_slot_keeps_the_previous_question_and_its_own_words():
    f = resolve("那浙江呢？", "李强表示上海将发挥什么作用？")
    assert f.search_query == "浙江 李强表示上海将发挥什么作用？"
    assert f.focus == "浙江"


def test_ordinal_swaps_the_previous_ordinal():
    assert (
        resolve("那第三项呢？", "习近平讲话中的第一项重点工作是什么？").search_query
        == "习近平讲话中的第三项重点工作是什么？"
    )
    assert resolve("三是什么？", "亮点一是什么？").search_query == "亮点三是什么？"
    assert resolve("And the third one?", "What was the first point?").search_query == "What was the third point?"


def test_ordinal_words():
    assert [ordinal_number(w) for w in ("第三", "三是", "第十二", "third", "next", "7", "abc")] == [
        3,
        3,
        12,
        3,
        NEXT,
        7,
        None,
    ]
    assert mentioned_ordinal("第一项重点工作是什么") == (1, "di")
    assert mentioned_ordinal("亮点一是什么") == (1, "shi")
    assert mentioned_ordinal("在哪里举行") is None


def test_english_pronoun_carries_context_and_english_question_without_one_does_not():
    assert resolve("What two key words did he stress?", "Who chaired the symposium in Hefei?").kind == "pronoun"
    assert resolve("Where was the forum held?", "Who chaired the symposium in Hefei?").kind == "standalone"


@pytest.mark.parametrize(
    "question, position",
    [
        ("最后一项是什么？", LAST),
        ("那最后一个呢", LAST),
        ("第二个亮点具体指什么？", 2),
        ("第三步具体是什么？", 3),
        ("那第四条指什么？", 4),
        ("And the last one?", LAST),
    ],
)
def test_ordinals_of_a_list_answer(question, position):
    f = resolve(question, "这份方案有哪些主要措施？")
    assert (f.kind, f.position) == ("ordinal", position)


@pytest.mark.parametrize(
    "question",
    [
        "第二届论坛在哪里举行？",  # an ordinal inside a question of its own
        "第二个亮点是谁提出的？",
        "最后一次会议在哪里召开？",
    ],
)
def test_a_question_naming_an_ordinal_with_its_own_ask_is_no_ordinal_follow_up(question):
    assert resolve(question, "这份方案有哪些主要措施？").kind != "ordinal"
