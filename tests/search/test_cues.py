"""Question-type cues (qa/search/cues.py): each fires where it must and stays quiet where it must not.

The sentences are not from the seeds: CMRC/DRCD-like encyclopaedia and news text.
"""

from __future__ import annotations

import pytest

from qa.search.cues import asked_type, is_list_question, offers
from qa.text import normalize


@pytest.mark.parametrize(
    "question, kind, measure",
    [
        ("谁枪击了安倍晋三？", "person", None),
        ("《战国无双3》的主角是哪位武将？", "person", None),
        ("北京地铁19号线一期总共有多少个车站？", "number", None),  # 个: any counter
        ("这座桥全长多少公里？", "number", "公里"),
        ("座谈会一共开了几个小时？", "number", "小时"),  # 个 before a unit of time: the unit is asked
        ("二期工程的工期是多少个月？", "number", "个月"),
        ("这座桥的造价是多少亿元？", "number", "元"),
        ("该队在联赛中获得过几次冠军？", "number", "次"),
        ("珠穆朗玛峰有多高？", "number", None),
        ("徐展堂在哪一年随家人一起奔赴香港？", "date", None),
        ("第一届奥运会是什么时候举办的？", "date", None),
        ("梵语研究起源于哪里？", "place", None),
        ("该公司的总部位于哪个城市？", "place", None),
        ("会议在哪举行？", "place", None),
        ("改革的热情在哪一事件中受挫？", None, None),  # 在哪一事件: an event, not a place
        ("这项技术在哪个方面领先？", None, None),
        # no type: 什么 / 为什么 / 如何 ask for a thing, a reason or a way, not a typed item
        ("《战国无双3》是由哪两个公司合作开发的？", None, None),
        ("光合作用为什么需要阳光？", None, None),
        ("这部小说讲了什么故事？", None, None),
        ("如何申请护照？", None, None),
    ],
)
def test_the_kind_a_question_asks_for(question, kind, measure):
    assert asked_type(question) == (kind, measure)


@pytest.mark.parametrize(
    "sentence, kind, question, fires",
    [
        # a number with a measure word the question does not name
        ("北京地铁19号线一期共设10座车站，全长22.4公里。", "number", "北京地铁19号线一期有多少个车站？", True),
        # the only number is the question's own (19号线): nothing new is offered
        ("北京地铁19号线是一条南北向的地铁线路。", "number", "北京地铁19号线一期有多少个车站？", False),
        ("全线共有二十三座桥梁。", "number", "全线有多少座桥梁？", True),
        ("全线桥梁的设计由中铁公司承担。", "number", "全线有多少座桥梁？", False),
        # 几个小时 asks for hours: "两个小时" offers them, "两个大局" (a count of 个) does not
        ("会谈持续了两个小时。", "number", "会谈一共进行了几个小时？", True),
        ("双方强调要胸怀两个大局。", "number", "会谈一共进行了几个小时？", False),
        # a date that is new, and one that is the question's own
        ("徐展堂1950年随家人走难来香港。", "date", "徐展堂哪一年来到香港？", True),
        ("徐展堂1950年随家人走难来香港。", "date", "徐展堂1950年随家人去了哪一年的香港？", False),
        ("该条约于三月十二日签署。", "date", "该条约何时签署？", True),
        ("该条约的签署引发了广泛争议。", "date", "该条约何时签署？", False),
        # a person other than the one the question names (jieba tags 王建国 nr; it does not tag every
        # Japanese name: 山上彻也 is cut 山上/彻/也)
        ("警方当场逮捕了嫌疑人王建国，安倍晋三随后被送往医院。", "person", "谁枪击了安倍晋三？", True),
        ("消息传出后，安倍晋三的支持者深感震惊。", "person", "谁枪击了安倍晋三？", False),
        # a place
        ("该公司成立于1998年，总部位于深圳。", "place", "该公司的总部位于哪里？", True),
        ("该公司成立于1998年，主要生产电子产品。", "place", "该公司的总部位于哪里？", False),
    ],
)
def test_a_sentence_offers_a_new_item_of_the_asked_kind(sentence, kind, question, fires):
    _, measure = asked_type(question)
    assert offers(sentence, kind, normalize(question), measure) is fires


def test_a_named_measure_must_stand_after_the_number():
    """多少座车站 asks for 座: "全长22.4公里" alone is a number of the wrong kind."""
    question = "北京地铁19号线一期共有多少座车站？"
    _, measure = asked_type(question)
    assert measure == "座"
    assert offers("一期共设10座车站。", "number", normalize(question), measure)
    assert not offers("一期全长22.4公里。", "number", normalize(question), measure)


@pytest.mark.parametrize(
    "question, fires",
    [
        ("他导演的三部电影分别是什么？", True),
        ("长江流经哪些省份？", True),
        ("该乐队有哪几位成员？", True),
        ("他导演的第一部电影是什么？", False),
        ("有哪一部电影其中一幕的场景就在湾仔？", False),  # 有哪一部: one film
        ("52名美国人成为人质被拘禁了444天是哪个事件？", False),  # a number before 是哪 names no list
        ("长江全长多少公里？", False),
        # the forms of issue 34, on other text than the seeds
        ("光合作用主要分为哪几步？", True),
        ("这项改革包括哪几个方面？", True),
        ("新规定的主要内容包括什么？", True),
        ("垃圾分类分为几类？要分几步完成？", True),
        ("该计划分为几个阶段？", True),
        ("申请护照的流程有哪两个步骤？", True),
        ("该病毒主要有什么特点？", True),
        ("专家提出了几点建议？", True),
        ("What are the main steps of photosynthesis?", True),
        ("What are the three parts of the plan?", True),
        ("List the members of the band.", True),
        # … and where it must not: a count, a time, one item, a yes/no
        ("这条地铁有几个车站？", False),  # 几个 asks for a number
        ("明天几点开会？", False),  # 几点 asks for a time
        ("该计划的第一步是什么？", False),
        ("这是谁提出的方案？", False),
        ("What is the capital of France?", False),
        ("What are the odds of rain tomorrow?", False),
    ],
)
def test_list_questions(question, fires):
    assert is_list_question(question) is fires
