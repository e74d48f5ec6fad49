"""Example questions follow the collection and are answered by qa from the document each was drawn from
(QAService.examples): a candidate whose first card comes from another document is not shown."""

from __future__ import annotations


def test_an_example_is_shown_only_where_its_first_card_is_from_its_document(formats_service):
    candidates = [q for q, _ in formats_service._example_candidates(8)]
    shown = formats_service.examples()
    assert shown and set(shown) <= set(candidates)
    by_title = {f"{a.title}讲了什么？": a.doc_id for a in formats_service.documents()}
    looked_at = candidates[: candidates.index(shown[-1]) + 1]  # it stops once it has four
    for question in looked_at:
        first = formats_service.ask(question, top_k=1).hits[0].citation.doc_id
        assert (question in shown) == (first == by_title[question]), (question, first)
    assert len(shown) < len(looked_at), "the rule drops one here (poem.pdf's question is answered elsewhere)"


def test_the_seed_examples_are_the_seed_questions_answered_from_their_gold(service):
    shown = service.examples()
    assert len(shown) == 4 and all("长三角" in q or "会" in q for q in shown)
    question = shown[0]
    gold_doc = service.ask(question, top_k=1).hits[0].citation.doc_id
    assert service.answers_from(question, {gold_doc})
    others = {a.doc_id for a in service.documents()} - {gold_doc}
    assert not service.answers_from(question, others)  # the same question, claimed for other documents
