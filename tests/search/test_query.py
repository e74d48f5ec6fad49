"""The question record (qa/search/query.py): analysed once per ask, and what it finds in a question.
Questions here are written for these tests (not the seeds)."""

from __future__ import annotations

import sys

import pytest

import qa.text
from qa.chat.history import Turn
from qa.search.query import analyse, figures_in


def _count_analyses(monkeypatch, question: str) -> dict[str, int]:
    """Spies on the functions that analyse text: counts jieba segmentations and normalisations of
    `question` itself, and every call of asked_type (the typing), wherever a module imported it."""
    counts = {"segment": 0, "normalize": 0, "type": 0}
    norm = qa.text.normalize(question)
    tokenizer = qa.text._tokenizer()
    lcut, normalize_with_map = tokenizer.lcut, qa.text.normalize_with_map

    def spy_lcut(text, *args, **kwargs):
        counts["segment"] += text in (question, norm)
        return lcut(text, *args, **kwargs)

    def spy_normalize(text, *args, **kwargs):
        counts["normalize"] += text == question
        return normalize_with_map(text, *args, **kwargs)

    monkeypatch.setattr(tokenizer, "lcut", spy_lcut)
    monkeypatch.setattr(qa.text, "normalize_with_map", spy_normalize)
    for name, module in list(sys.modules.items()):
        typed = getattr(module, "asked_type", None)
        if name.startswith("qa.") and callable(typed):

            def spy_type(*args, _typed=typed, **kwargs):
                counts["type"] += 1
                return _typed(*args, **kwargs)

            monkeypatch.setattr(module, "asked_type", spy_type)
    return counts


def test_one_ask_segments_normalises_and_types_the_question_once(news, monkeypatch):
    question = "青川大桥是哪一年开工建设的？"
    news.ask(question)  # warm: the index and the models are loaded before counting
    counts = _count_analyses(monkeypatch, question)
    answer = news.ask(question)
    assert "2019年" in answer.answer
    assert counts == {"segment": 1, "normalize": 1, "type": 1}, counts


def test_a_follow_up_is_analysed_once_as_resolved(news, monkeypatch):
    """A pronoun follow-up: the resolved question (previous + this one) once; its own words once."""
    history = [Turn("青川大桥全长多少米？")]
    resolved = "青川大桥全长多少米？ 它是哪一年开工建设的？"
    news.ask("它是哪一年开工建设的？", history=history)
    counts = _count_analyses(monkeypatch, resolved)
    answer = news.ask("它是哪一年开工建设的？", history=history)
    assert answer.search_query == resolved
    assert counts == {"segment": 1, "normalize": 1, "type": 2}, counts  # the resolved question, the focus


@pytest.mark.parametrize(
    "question, kind",
    [
        ("谁设计了这座水库？", "person"),
        ("水库在哪里？", "place"),
        ("水库哪一年建成？", "date"),
        ("水库有多少个泄洪孔？", "number"),
        ("水库有哪些功能？", "list"),
        ("Place用于描述什么？", "description"),
        ("为什么要建这座水库？", "description"),
        ("如何申请参观水库？", "description"),
        ("蓄能电站是什么？", "description"),
        ("What is a pumped storage station?", "description"),
        ("水库今年开放吗？", "yesno"),
        ("水库是否对外开放？", "yesno"),
        ("水库的名字是什么？", None),  # asks for a name, not a description
        # 为什么 is "why" (fires) unless 为 is the verb "be/as" after naming or becoming (must not)
        ("水库为什么要在汛期前放水？", "description"),
        ("这是为什么？", "description"),
        ("渔民因为什么反对建坝？", "description"),
        ("这种鱼在当地被称为什么？", None),
        ("水库在2010年改名为什么？", None),
        ("该物种后来被归类为什么科？", None),
        ("当地人俗称这座山为什么？", None),
        ("老人把这条河叫做什么？", None),
        ("库区移民大多做什么工作？", "description"),
        ("这座水库的总库容", None),
    ],
)
def test_the_kind_of_answer_asked_for(question, kind):
    assert analyse(question).kind == kind


def test_constraints_named_by_a_question():
    q = analyse("2016年第31任市长王建国任内修建了几座50米以上的大坝？")
    c = q.constraints
    assert c.years == {"2016"}
    assert c.ordinals == {(31, "任")}
    assert c.numbers == {"50米"}
    assert "王建国" in c.names
    assert q.kind == "number" and q.measure == "座"
    plain = analyse("水库的主要功能是什么？").constraints
    assert not plain and not plain.names


def test_a_decade_is_no_year_and_a_difference_no_figure():
    # fires: a year and a figure the passage must agree with
    plain = analyse("1950年东德鼓励哪一种艺术形式？游客有50,000人吗").constraints
    assert plain.years == {"1950"} and plain.numbers == {"50,000人"}
    # must not: 1950年代 is a decade; "多约50,000人" is a difference between two figures
    other = analyse("哪一种艺术形式在1950年代被鼓励？游客比射击节多约50,000人的是哪个节日？").constraints
    assert not other.years and not other.numbers
    assert figures_in("今年游客增加了3万人，达到50万人") == {"50万人"}


def test_ordinals_in_chinese_numerals_and_a_follow_up_keeps_what_was_typed():
    assert analyse("第三十一届运动会在哪里举办？").constraints.ordinals == {(31, "届")}
    q = analyse("那第二项呢？", resolved="水库第二项功能是什么？")
    assert q.text == "水库第二项功能是什么？" and q.asked == "那第二项呢？" and q.resolved == q.text
