"""Search on the real seed index: exact passages for known questions, ranks, highlights, duplicates; the
pure parts (fusion, normalisation, dense index kinds) on small inputs."""

from __future__ import annotations

import numpy as np
import pytest

from qa.errors import EmptyInput, InputError, InputTooLong, SourceNotFound
from qa.evaluate import evaluate, load_questions
from qa.index.retrievers import DenseIndex
from qa.index.views import keyword_text
from qa.search.fusion import convex, rrf
from qa.search.glossary import Glossary, corpus_glossary
from qa.text import keyword_tokens, normalize, normalize_with_map, sentence_spans
from tests.conftest import SEEDS


@pytest.mark.parametrize(
    "question, file, paragraph, phrase",
    [
        ("晨报讯说2020年度长三角地区主要领导座谈会于6月5日在哪里举行？", "000", 9, "浙江湖州举行"),
        ("第二届长三角一体化发展高层论坛在哪里举行？", "000", 1, "第二届长三角一体化发展高层论坛"),
        ("习近平是在哪个省调研期间召开这次座谈会的？", "004", 5, "在安徽调研期间"),
        ("要坚决防止什么炒房炒地的行为？", "004", 12, "圈地炒房炒地"),
        ("會議確定2021年度長三角地區主要領導座談會在哪裡召開？", "000", 25, "在江苏省召开"),
    ],
)
def test_known_questions_find_their_passage_first(service, question, file, paragraph, phrase):
    top = service.ask(question).hits[0]
    assert top.citation.file.startswith(f"seeds/{file}")
    assert top.citation.paragraph == paragraph
    assert phrase in top.passage.text


def test_hits_carry_ranks_scores_highlight_and_citation(service):
    answer = service.ask("长三角一体化发展战略实施一年多以来有哪些亮点？", top_k=5)
    assert len(answer.hits) == 5 and answer.answer.endswith("]")
    # A list answer's cards (the passages holding the list, in document order) come first; the rest best first.
    listed = max((rank for rank, _, _ in answer.answer_from), default=0) if answer.answer_items else 0
    scores = [h.score for h in answer.hits[listed:]]
    assert scores == sorted(scores, reverse=True)
    for h in answer.hits:
        s, e = h.highlight
        assert 0 <= s < e <= len(h.passage.text)
        assert h.dense_rank is not None or h.keyword_rank is not None
    assert "[1]" in answer.answer and answer.hits[0].highlighted_sentence.strip() in answer.answer


def test_speech_printed_twice_is_shown_once_and_names_the_other_place(service):
    hits = service.ask("面对严峻复杂的形势，要更好推动长三角一体化发展，必须深刻认识什么？", top_k=10).hits
    texts = [h.passage.text for h in hits]
    assert sum("必须深刻认识长三角区域在国家经济社会发展中的地位和作用" in t for t in texts) == 1
    top = hits[0]
    assert top.also_in and all(c.doc_id.startswith("004") for c in top.also_in)
    assert top.citation.paragraph < min(c.paragraph for c in top.also_in)  # the first printing is shown


@pytest.mark.parametrize(
    "bad, error",
    [
        ("", EmptyInput),
        ("  \n ", EmptyInput),
        ("？！。", EmptyInput),
        ("问" * 2001, InputTooLong),
        ("\ud800", InputError),
    ],
)
def test_bad_questions_raise_domain_errors(service, bad, error):
    with pytest.raises(error):
        service.ask(bad)


def test_seed_question_set_meets_the_targets(service):
    """The issue's targets on our question set: fused R@1 >= 0.9, R@5 = 1.0, MRR@10 above both
    retrievers alone (docs/benchmarks.md: fused 0.935 / 1.0 / 0.959, keyword MRR 0.892, dense 0.809)."""
    results = evaluate(service.searcher, load_questions(SEEDS / "questions.jsonl"))
    fused, keyword, dense = results["fused"], results["keyword"], results["dense"]
    print({m: {k: round(v, 3) for k, v in r.items() if k != "misses"} for m, r in results.items()})
    assert fused["MRR@10"] > max(keyword["MRR@10"], dense["MRR@10"])
    assert fused["R@1"] >= 0.9 and fused["R@5"] == 1.0, fused["misses"]


def test_held_out_seed_questions_stay_where_they_were_measured(service):
    """30 questions written by someone who had not seen the system's answers, after the settings were
    chosen, and run once (docs/benchmarks.md: fused R@1 0.800, R@5 0.933, MRR@10 0.860 vs keyword 0.811 and dense
    0.850). The issue's R@1 target is not met on them; this keeps them from slipping."""
    results = evaluate(service.searcher, load_questions(SEEDS / "heldout_questions.jsonl"))
    fused, keyword, dense = results["fused"], results["keyword"], results["dense"]
    assert fused["MRR@10"] > max(keyword["MRR@10"], dense["MRR@10"])
    assert fused["R@1"] >= 0.8 and fused["R@5"] >= 0.93, fused["misses"]


def test_a_question_naming_the_event_finds_the_passage_that_answers_it(service):
    """Only the lead says "2020年度长三角地区主要领导座谈会"; the theme is two paragraphs on ("会议……为主题").
    Every passage is keyword-indexed with its article's lead, so the event's words stop singling out the lead."""
    top = service.ask("2020年度长三角地区主要领导座谈会以什么为主题？").hits[0]
    assert "为主题" in top.passage.text and "座谈会" not in top.passage.text
    lead = top.passage.context
    assert "2020年度长三角地区主要领导座谈会" in lead and lead in keyword_text(top.passage)


def test_a_question_about_2020_prefers_passages_about_2020(service):
    """The 2021 symposium passage shares every word but the year; without the year check it came first."""
    top = service.ask("2020年度长三角地区主要领导座谈会在哪里举行？").hits[0]
    assert "2020年度" in top.passage.text and "浙江湖州" in top.passage.text
    plain = service.searcher.rank("2020年度长三角地区主要领导座谈会在哪里举行？", k=1)
    assert plain[0].pid == top.passage.id
    from qa.search.hybrid import Searcher

    without = Searcher(service.index, service.encoder, service.settings.replace(year_penalty=0.0))
    assert (
        "2021年度"
        in service.index.passages[without.rank("2020年度长三角地区主要领导座谈会在哪里举行？", k=1)[0].pid].text
    )


def test_the_year_check_fires_only_on_passages_naming_other_years(settings):
    """On CMRC text (not the seeds): a question naming no year changes nothing; one naming 1950 costs
    only the passage that names other years, never one naming 1950 or none."""
    from types import SimpleNamespace

    from qa.search.hybrid import Searcher
    from qa.search.query import analyse

    texts = ["徐展堂1950年随家人走难来香港。", "1954年父亲因肺病去世。", "他与母亲、弟妹相依为命。"]
    index = SimpleNamespace(passages=[SimpleNamespace(text=t) for t in texts], manifest={})
    searcher = Searcher(index, None, settings)
    fused = {0: 1.0, 1: 1.0, 2: 1.0}
    assert searcher._penalise_disagreeing(analyse("徐展堂在哪一年随家人一起奔赴香港？"), fused) == fused
    out = searcher._penalise_disagreeing(analyse("徐展堂1950年随家人去了哪里？"), fused)
    assert out == {0: 1.0, 1: pytest.approx(1.0 - settings.year_penalty), 2: 1.0}


def test_fusion_functions():
    dense = [(1, 0.9), (2, 0.8), (3, 0.7)]
    keyword = [(3, 12.0), (1, 5.0)]
    fused = rrf(dense, keyword, k=10, dense_weight=0.5)
    assert max(fused, key=fused.get) == 1 and set(fused) == {1, 2, 3}
    mixed = convex({1: 0.9, 2: 0.8, 3: 0.7}, {1: 5.0, 2: 0.0, 3: 12.0}, dense_weight=0.5)
    assert mixed[1] == pytest.approx(0.5 + 0.5 * 5 / 12) and mixed[3] == pytest.approx(0.5)
    assert convex({1: 0.5}, {1: 3.0}, 0.4) == {1: 1.0}  # a single candidate is not divided by zero
    # A weak keyword top (12 of a possible 48) is not stretched to a full match.
    weak = convex({1: 0.9, 2: 0.8, 3: 0.7}, {1: 5.0, 2: 0.0, 3: 12.0}, dense_weight=0.5, keyword_full=48.0)
    assert weak[3] == pytest.approx(0.5 * 12 / 48) and max(weak, key=weak.get) == 1


def test_keyword_bound_is_above_every_passage_score(service):
    keyword = service.index.keyword
    for question in ("长三角一体化发展", "帮公司渡过难关的政策，怎样才能真正落到实处？", "没有这个词xyz"):
        scores, bound = keyword.scores(question)
        assert bound >= scores.max() - 1e-4
    assert keyword.scores("长三角一体化发展 长三角一体化发展")[1] > keyword.scores("长三角一体化发展")[1]
    assert keyword.scores("zzqqxx")[1] == 0.0  # no known term: no bound


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_dense_index_kinds_return_owner_passages(kind):
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(1200, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    owners = np.arange(1200) // 2  # two views per passage
    index = DenseIndex.build(vectors, owners, kind)
    hits = index.search(vectors[10], 5)
    assert hits[0][0] == 5 and len({pid for pid, _ in hits}) == len(hits)


def test_normalisation_folds_width_quotes_script_and_space():
    assert normalize("会议指出，要“共同”育新機 開新局") == normalize('会议指出,要"共同"育新机开新局')
    text = "長三角 一體化，ABC"
    norm, index = normalize_with_map(text)
    assert norm == "长三角一体化,abc"
    assert [text[i] for i in index][:3] == ["長", "三", "角"]
    assert sentence_spans("第一句。第二句！“第三句？”尾巴") == [(0, 4), (4, 8), (8, 14), (14, 16)]


def test_keyword_tokens_keep_numbers_whole():
    assert not any(t in keyword_tokens("2020年度") for t in keyword_tokens("2021年度") if t.startswith("#2"))
    assert "长三角" in keyword_tokens("长三角一体化发展")


SEED_GLOSSARY = SEEDS / "glossary.tsv"


def test_english_questions_get_chinese_glossary_terms():
    glossary = Glossary.read([SEED_GLOSSARY])
    terms = glossary.terms("Where did Xi Jinping chair the Yangtze River Delta symposium?").split()
    assert {"习近平", "长三角", "座谈会", "主持"} <= set(terms)
    assert glossary.terms("纯中文问题") == ""
    # "which city" asks for a name: 城市 / 市 would match the wrong passages.
    assert "城市" not in glossary.terms("In which city did Xi Jinping chair the symposium?")
    assert "城市" in glossary.terms("How should cities renew their old towns?")


def test_a_glossary_belongs_to_its_corpus_folder(service, tmp_path):
    """The seed glossary applies to the index built from seeds/ and to no other: a folder without a
    glossary.tsv gets none, one with its own gets that, and the setting glossary_file names one."""
    assert service.searcher.glossary.files == (SEED_GLOSSARY,)
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.txt").write_text("标题\n\n正文。\n", encoding="utf-8")
    assert not corpus_glossary([other])
    assert corpus_glossary([other]).terms("Where did Xi Jinping chair the symposium?") == ""
    (other / "glossary.tsv").write_text("# comment\nrobot\t机器人\n", encoding="utf-8")
    assert corpus_glossary([other, SEEDS]).terms("Who built the robot?") == "机器人"
    assert corpus_glossary([other], SEED_GLOSSARY).files == (SEED_GLOSSARY,)
    (other / "glossary.tsv").write_text("robot 机器人\n", encoding="utf-8")
    with pytest.raises(InputError, match="English<TAB>Chinese"):
        corpus_glossary([other])
    with pytest.raises(InputError, match="glossary_file"):
        corpus_glossary([other], tmp_path / "missing.tsv")


def test_an_english_question_does_not_match_on_single_latin_letters(settings):
    """Single Latin letters and common words of an all-English question matched any passage holding
    Latin text and outvoted dense (English over CMRC articles: fused R@1 0.125 vs dense 0.45); names
    and glossary terms still count. A question with Chinese in it is scored as before, letters and all."""
    from types import SimpleNamespace

    from qa.index.retrievers import KeywordIndex
    from qa.search.hybrid import Searcher
    from qa.search.query import analyse

    texts = ["Autoliv 总部设在瑞典斯德哥尔摩。", "where is the a b c d e f g h i o q r t u v 字母表。", "其他内容。"]
    keyword = KeywordIndex.build(texts, "jieba+bigram+char")
    searcher = Searcher(SimpleNamespace(keyword=keyword), None, settings)
    english = "Where is Autoliv headquartered?"
    scores, _ = searcher._keyword_scores(analyse(english))
    unfiltered, _ = keyword.scores(english)
    assert scores[0] > 0 and scores[1] == 0 and unfiltered[1] > 0
    chinese = "Autoliv的总部在哪里？"
    mixed, mixed_bound = searcher._keyword_scores(analyse(chinese))
    same, same_bound = keyword.scores(f"{chinese} {searcher.glossary.terms(chinese)}")
    assert mixed_bound == same_bound and np.array_equal(mixed, same)


@pytest.mark.parametrize(
    "loader, text, problem",
    [
        ("questions", '{"question": "q", "gold": "g"}\nnot json\n', ":2: not a question line (Expecting value"),
        ("questions", '{"question": "q"}\n', ":1: not a question line (needs string fields"),
        ("questions", "[1, 2]\n", ":1: not a question line (not a JSON object)"),
        (
            "conversations",
            '{"turns": ["a"], "gold": "g"}\n{"turns": []}\n',
            ":2: not a conversation line (needs 'turns'",
        ),
        ("conversations", '"turns"\n', ":1: not a conversation line (not a JSON object)"),
    ],
)
def test_question_and_conversation_files_name_their_bad_line(tmp_path, loader, text, problem):
    from qa.chat.evaluation import is_conversation_file, load_conversations

    path = tmp_path / "set.jsonl"
    path.write_text(text, encoding="utf-8")
    load = load_questions if loader == "questions" else load_conversations
    with pytest.raises(InputError) as caught:
        load(path)
    assert problem in caught.value.message
    assert is_conversation_file(path) == text.startswith('{"turns"')
    with pytest.raises(SourceNotFound):
        load(tmp_path / "missing.jsonl")
