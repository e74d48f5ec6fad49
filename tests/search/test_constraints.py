"""Constraint rules (qa/search/constraints.py, cues.fits): each fires where the passage or the short
answer breaks what the question names, and stays quiet on other text. Texts written for these tests."""

from __future__ import annotations

import pytest

from qa.search.constraints import disagrees, facts_of, in_passing, is_series, short_answer_fits
from qa.search.cues import fits
from qa.search.query import analyse


@pytest.mark.parametrize(
    "question, passage, fires",
    [
        # years
        ("2023年春节档电影票房是多少？", "2024年春节档电影总票房达到80亿元，创下新高。", True),
        ("2023年春节档电影票房是多少？", "2023年春节档电影总票房为67亿元。", False),
        ("2023年春节档电影票房是多少？", "春节档电影总票房为67亿元。", False),  # names no year
        # ordinals of what the question counts
        ("第31任市长是谁？", "第30任市长由张伟担任，任期四年。", True),
        ("第31任市长是谁？", "第31任市长由李明担任。第30任市长是张伟。", False),
        ("第31任市长是谁？", "该市第2次人口普查于1964年进行。", False),  # another kind of ordinal
        # figures in the question's measure word
        ("票房突破50亿元的电影有几部？", "今年票房突破30亿元的电影有两部。", True),
        ("票房突破50亿元的电影有几部？", "票房突破50亿元的电影共有三部。", False),
        ("票房突破50亿元的电影有几部？", "上映首日观众超过300万人次。", False),  # another measure
    ],
)
def test_a_passage_disagreeing_with_the_question(question, passage, fires):
    assert disagrees(analyse(question), facts_of(passage)) is fires


@pytest.mark.parametrize(
    "question, sentence, fires",
    [
        ("2023年春节档票房冠军是哪部电影？", "2022年春节档的票房冠军是《长津湖之水门桥》。", True),
        ("2023年春节档票房冠军是哪部电影？", "2023年春节档的票房冠军是《满江红》。", False),
        ("2023年春节档票房冠军是哪部电影？", "票房冠军是《满江红》。", False),
        ("春节档票房冠军是哪部电影？", "2022年春节档的票房冠军是《长津湖之水门桥》。", False),  # no year asked
    ],
)
def test_an_answering_sentence_about_another_year(question, sentence, fires):
    assert in_passing(analyse(question), sentence) is fires


@pytest.mark.parametrize(
    "answer, kind, ok",
    [
        ("张伟", "number", False),  # a name for 几个
        ("三座", "number", True),
        ("12", "number", True),
        ("1998年", "person", False),  # a date for 谁
        ("张伟", "person", True),
        ("市水利局", "person", True),
        ("湖州", "date", False),
        ("1998年5月", "date", True),
        ("去年春天", "date", True),
        ("300米", "place", False),
        ("江北新区", "place", True),
        ("吴桐", "place", False),  # a name for 哪里
        ("杭州", "place", True),
        ("杭州", "person", False),  # a place for 谁
        ("江北新区", "person", False),  # not in the dictionary, but worded as a place
        ("郑连昌", "person", True),  # a name jieba guesses is a place
        ("每年", "number", True),  # 多久一次: a frequency
        ("每当", "number", True),
        ("年初", "number", False),
    ],
)
def test_the_kind_of_a_short_answer(answer, kind, ok):
    assert fits(answer, kind) is ok


def _span(text: str, answer: str) -> tuple[int, int]:
    start = text.index(answer)
    return start, start + len(answer)


def test_a_short_answer_needs_the_person_the_question_names():
    """A report on one politician that mentions another's case decades earlier: the span is refused
    when the passage does not name the person asked about, and given when it does."""
    q = analyse("刺杀安倍晋三的凶手是谁？")
    other = "1960年，日本社会党委员长浅沼稻次郎在演讲时遭山口二矢刺杀。"
    assert not short_answer_fits(q, other, "", _span(other, "山口二矢"))
    this = "前首相安倍晋三在奈良演讲时遭山上彻也枪击身亡。"
    assert short_answer_fits(q, this, "", _span(this, "山上彻也"))
    # the span is only the person the question names: not an answer
    assert not short_answer_fits(q, this, "", _span(this, "安倍晋三"))
    # a name tagged where the passage words it otherwise keeps its first two characters: still given
    temple = analyse("鲤鱼门天后庙是谁建的？")
    text = "鲤鱼门天后古庙由李国华于1753年兴建。"
    assert temple.constraints.names and short_answer_fits(temple, text, "", _span(text, "李国华"))


def test_no_short_answer_for_descriptions_lists_and_yes_no():
    text = "Place用于描述训练所用的硬件，如CPU、GPU等。"
    span = _span(text, "训练所用的硬件")
    assert not short_answer_fits(analyse("Place用于描述什么？"), text, "", span)
    assert not short_answer_fits(analyse("Place支持哪些硬件？"), text, "", span)
    assert not short_answer_fits(analyse("Place能描述硬件吗？"), text, "", span)
    assert short_answer_fits(analyse("Place描述的是什么硬件"), text, "", span)  # other: a span


def test_a_short_answer_from_a_passage_of_another_year_or_ordinal_is_refused():
    q = analyse("2023年春节档电影总票房是多少？")
    other = "2024年春节档电影总票房达到80亿元，创下新高。"
    assert not short_answer_fits(q, other, "", _span(other, "80亿元"))
    passing = "据统计，2024年春节档电影总票房达到80亿元，较2023年有所增长。"
    assert not short_answer_fits(q, passing, "", _span(passing, "80亿元"))  # 2023 only in passing
    same = "2023年春节档电影总票房为67亿元。"
    assert short_answer_fits(q, same, "", _span(same, "67亿元"))
    mayor = analyse("第31任市长是谁？")
    text = "第30任市长由张伟担任。"
    assert not short_answer_fits(mayor, text, "", _span(text, "张伟"))


@pytest.mark.parametrize(
    "span, series",
    [
        ("苹果和香蕉", True),
        ("鼓、锣、钹和板", True),
        ("北京与上海", True),
        ("光荣和ω-force", True),
        ("中华人民共和国", False),  # 和 inside a word
        ("和平饭店", False),
        ("张伟", False),
        ("、张伟", False),  # an edge mark is no series
    ],
)
def test_a_series_inside_a_span(span, series):
    assert is_series(span) is series


def test_a_list_question_takes_a_series_but_never_one_item():
    text = "这款游戏由光荣和ω-force两家公司合作开发，于2008年发售。"
    q = analyse("这款游戏是由哪两家公司合作开发的？")
    assert q.kind == "list"
    assert short_answer_fits(q, text, "", _span(text, "光荣和ω-force"))
    assert not short_answer_fits(q, text, "", _span(text, "光荣"))


def test_a_list_question_asking_a_count_takes_the_count():
    text = "卫星电视台共分为三个地区播放版本，分别面向不同观众。"
    count = _span(text, "三个")
    assert short_answer_fits(analyse("卫星电视台共分为几个地区播放版本？"), text, "", count)
    assert not short_answer_fits(analyse("卫星电视台包括哪几个地区版本？"), text, "", count)  # which ones
