"""Answers by the kind of question, end to end on real files: a description is answered by its
sentence with no short answer (the formats corpus's PaddlePaddle notes, a DOCX); a factual question
keeps its short answer."""

from __future__ import annotations


def test_a_description_is_answered_by_its_sentence_without_a_short_answer(formats_service):
    answer = formats_service.ask("Place用于描述什么？")
    assert answer.short_answer is None
    assert "Place用于描述，训练所用的硬件" in answer.answer, answer.answer
    # the quoted sentence reads back from the card it cites
    rank, start, end = answer.answer_from[0]
    card = answer.hits[rank - 1]
    assert card.passage.text[start:end].strip() in answer.answer
    assert all(h.answer_span is None for h in answer.hits)


def test_a_factual_question_on_other_text_keeps_its_short_answer(news):
    answer = news.ask("谁为青川大桥通车剪彩？")
    assert answer.short_answer is not None and "李文华" in answer.short_answer.text
