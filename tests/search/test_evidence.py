"""Answer-bearing evidence and the extractive answer, on a small collection of short news excerpts on
one topic (written for this test, not the seeds): most excerpts are about the bridge, few answer a
given question. The real model, a real index built from files."""

from __future__ import annotations

import pytest

from qa.search.answer import NO_DIRECT_ANSWER
from qa.search.evidence import content_words
from qa.search.hybrid import Searcher
from qa.search.query import analyse
from qa.service import QAService


def _top_file(svc, question: str, **settings) -> tuple[str, str]:
    searcher = Searcher(svc.index, svc.encoder, svc.settings.replace(**settings)) if settings else svc.searcher
    hit = searcher.search(question, 5)[0]
    return hit.citation.file.rsplit("/", 1)[-1], hit.highlighted_sentence


@pytest.mark.parametrize(
    "question, file, phrase",
    [
        ("青川大桥全长多少米？", "02.txt", "1280米"),
        ("谁为青川大桥通车剪彩？", "03.txt", "李文华"),
        ("青川大桥是哪一年开工建设的？", "05.txt", "2019年"),
        ("青川大桥位于哪里？", "06.txt", "青川县城东部"),
        ("青川大桥有多少个桥墩？", "02.txt", "12个桥墩"),
    ],
)
def test_the_excerpt_that_answers_comes_first_with_the_answer_highlighted(news, question, file, phrase):
    top, sentence = _top_file(news, question)
    assert top == file
    assert phrase in sentence


def test_evidence_prefers_the_sentence_holding_the_answer_over_one_on_the_topic(news):
    """The cue fires on the sentence with a new number, not on the one that only names the bridge."""
    searcher = news.searcher
    asked = searcher.evidence.question(analyse("青川大桥全长多少米？"))
    assert asked.question.asks == "number" and asked.question.measure == "米"
    qvec = searcher.embed_question(asked.question)
    pid = {p.citation.file.rsplit("/", 1)[-1]: p.id for p in news.index.passages}
    answer = searcher.evidence.best(asked, pid["02.txt"], qvec).evidence
    topic = searcher.evidence.best(asked, pid["01.txt"], qvec).evidence
    assert answer.cue and not topic.cue
    assert answer.score > topic.score


def test_a_question_asking_for_no_kind_gets_no_cue_and_keeps_its_passage(news):
    """什么反应 asks for no person, number, date or place: no sentence gets a cue; the excerpt about
    the reaction stays first with or without the second stage."""
    question = "青川大桥通车后网友有什么反应？"
    assert news.searcher.evidence.question(analyse(question)).question.asks is None
    assert _top_file(news, question)[0] == "04.txt"
    assert _top_file(news, question, rerank_depth=0)[0] == "04.txt"


def test_content_words_leave_out_question_words():
    assert content_words("青川大桥全长多少米？") == ["青川", "大桥", "全长"]
    assert "什么" not in content_words("青川大桥通车后网友有什么反应？")


def test_a_list_question_gathers_items_from_several_cards(news):
    answer = news.ask("作家王明写过哪些小说？")
    assert answer.answered
    ranks = {rank for rank, _, _ in answer.answer_from}
    assert len(ranks) >= 3, answer.answer
    novels = [title for title in ("《春水》", "《秋山》", "《冬雪》") if title in answer.answer]
    assert len(novels) == 3, answer.answer
    for rank, start, end in answer.answer_from:  # every quoted sentence is cited where it stands
        hit = answer.hits[rank - 1]
        assert hit.passage.text[start:end] in answer.answer
        assert f"[{rank}]" in answer.answer


def test_a_question_for_one_item_leads_with_it_and_does_not_list(news):
    answer = news.ask("王明的第二部小说叫什么？")
    assert answer.answer.startswith("王明的第二部小说《秋山》")
    assert len(answer.answer_from) <= 2
    assert answer.answer_from[0][0] == 1


def test_nothing_answers_an_off_topic_question_and_the_closest_passages_are_still_shown(news):
    answer = news.ask("珠穆朗玛峰海拔有多高？")
    assert not answer.answered
    assert answer.answer.startswith(NO_DIRECT_ANSWER)
    assert answer.hits and answer.answer_from == ()
    assert answer.to_dict()["answered"] is False


def test_an_answerable_question_is_answered(news):
    answer = news.ask("青川大桥全长多少米？")
    assert answer.answered and "1280米" in answer.answer
    assert answer.to_dict()["answer_from"][0] == {
        "rank": 1,
        "start": answer.answer_from[0][1],
        "end": answer.answer_from[0][2],
    }


def test_a_figure_the_excerpts_do_not_give_is_not_answered(news):
    """On topic, but no excerpt gives a cost: the typed branch of the rule fires."""
    answer = news.ask("青川大桥的造价是多少亿元？")
    assert not answer.answered, answer.answer
    assert news.ask("青川大桥有多少个桥墩？").answered  # the figure is there: it must not fire


def test_a_list_question_is_not_judged_by_the_figure_rule(news):
    """哪几位 asks for names, not a figure: the typed branch leaves it alone."""
    assert news.ask("青川大桥通车仪式上有哪几位领导剪彩？").answered


def test_a_question_without_chinese_is_never_judged_unanswered(news):
    assert news.ask("How long is the Qingchuan bridge?").answered
    off = news.settings.replace(no_answer=False)
    assert QAService(off, encoder=news.encoder).ask("珠穆朗玛峰海拔有多高？").answered


def test_the_second_stage_reranks_chinese_questions_only(news):
    """It fires on a Chinese question (each candidate gets its best sentence and evidence) and leaves
    a question without Chinese in its fused order."""
    zh = news.searcher.rank("青川大桥全长多少米？", k=5)
    assert all(r.evidence is not None and r.highlight is not None for r in zh)
    en = news.searcher.rank("How long is the Qingchuan bridge?", k=5)
    plain = Searcher(news.index, news.encoder, news.settings.replace(rerank_depth=0))
    assert all(r.evidence is None for r in en)
    assert [r.pid for r in en] == [r.pid for r in plain.rank("How long is the Qingchuan bridge?", k=5)]


def test_an_ordinal_follow_up_quotes_only_the_item_it_asks_for(service):
    """ "第四项呢？" after "第一项…" pins the fourth item's passage: 回答 is that item alone, from card [1]."""
    history = [{"question": "习近平讲话中的第一项重点工作是什么？"}]
    answer = service.ask("第四项呢？", history=history)
    assert answer.answer.startswith("第四，增强欠发达区域高质量发展动能。[1]")
    assert answer.answer.count("[") == 1 and [r for r, _, _ in answer.answer_from] == [1]
    first = service.ask("习近平讲话中的第一项重点工作是什么？", history=[])  # not a follow-up: two sentences
    assert len(first.answer_from) == 2


def test_a_question_for_hours_is_not_answered_by_other_counts(news):
    """几个小时 asks for hours: the excerpts' 12个桥墩 and 1280米 are counts of something else, so the
    typed rule fires (it did not while 几个 was read as asking for any count); 几年 is answered by
    历时四年."""
    assert not news.ask("青川大桥的桥墩施工用了几个小时？").answered
    assert news.ask("青川大桥的建设历时几年？").answered
