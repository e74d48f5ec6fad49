"""The answer reader (qa/search/reader.py) in the search: the exact answer span with offsets that read back
from the file, the no-answer threshold, the off switch, and the fall-back when its weights cannot load.
A small news collection written for the tests (tests/search/conftest.py)."""

from __future__ import annotations

import logging
import shutil

import pytest

from qa.errors import ModelError
from qa.search import reader as reader_module
from qa.search.hybrid import Searcher
from qa.service import QAService


@pytest.mark.parametrize(
    "question, file, answer",
    [("谁为青川大桥通车剪彩？", "03.txt", "李文华"), ("青川大桥是哪一年开工建设的？", "05.txt", "2019年")],
)
def test_the_short_answer_is_the_exact_span_and_reads_back_from_the_file(news, question, file, answer):
    got = news.ask(question)
    short = got.short_answer
    # Short, holding the answer; not always exactly it: the tokenizer can merge a name's last character
    # with the next word (李文|华为|大桥), and a span ends only at a token's end.
    assert short is not None and answer in short.text and len(short.text) <= len(answer) + 6
    hit = got.hits[short.card - 1]
    assert hit.citation.file.endswith(file)
    source = (news.folder / file).read_text(encoding="utf-8")
    assert "".join(source[a:b] for a, b in short.pieces) == short.text
    assert source[short.start : short.end] == short.text
    # the card marks the span, inside its highlighted sentence
    s, e = hit.answer_span
    assert answer in hit.passage.text[s:e] and hit.highlight[0] <= s < e <= hit.highlight[1]
    assert got.to_dict()["short_answer"]["text"] == short.text


def test_the_short_answer_drops_punctuation_at_its_ends_only():
    from qa.records import Citation, Hit, Passage
    from qa.search.answer import short_answer

    text = "市长李文华为大桥剪彩。随后，大桥通车。"
    passage = Passage(0, Citation("d", "d.txt", "t", None, None, 1, 100, 100 + len(text)), text)

    def short(span):
        return short_answer([Hit(1, 1.0, passage, (0, 10), 1, 1, (), None, span, 0.9)])

    assert short((2, 11)).text == "李文华为大桥剪彩"  # fires: the full stop after it
    assert short((2, 11)).pieces == ((102, 110),)
    assert short((2, 5)).text == "李文华"  # must not: nothing at its ends
    assert short((10, 14)).text == "随后"  # a full stop before it and a comma after it go
    assert short((10, 11)) is None  # punctuation alone is no answer


def test_traditional_text_is_read_and_cut_from_the_original(service):
    reader = service.searcher.reader()
    text = "青川大橋全長1280米，由市路橋集團承建，歷時四年完工。"
    (reading,) = reader.read("青川大橋由誰承建？", [text])
    assert "市路橋集團" in text[reading.span[0] : reading.span[1]]


def test_a_long_passage_is_read_in_overlapping_windows(service):
    reader = service.searcher.reader()
    filler = "这是一段与问题无关的文字，用来把段落拉长。" * 30
    text = filler + "青川大桥由市路桥集团承建。"
    windows = [w for w in reader.windows("青川大桥由谁承建？", [text]) if w[0] == 0]
    assert len(windows) > 1
    (reading,) = reader.read("青川大桥由谁承建？", [text])
    assert "市路桥集团" in text[reading.span[0] : reading.span[1]]


def test_no_passage_answers_when_the_reader_finds_none_likely(news):
    """reader_no_answer_at (0 by default: bench/reader_sweep.py) set, as a collection of short news
    excerpts might: an unanswerable question is said so, an answerable one still answered."""
    svc = QAService(news.settings.replace(reader_no_answer_at=0.2), encoder=news.encoder)
    got = svc.ask("青川大桥的总设计师毕业于哪所大学？")
    assert not got.answered and got.short_answer is None
    assert got.hits, "the closest cards are still shown"
    assert svc.ask("谁为青川大桥通车剪彩？").answered


def test_off_switch_leaves_the_reader_out(news):
    off = QAService(news.settings.replace(answer_reader=False), encoder=news.encoder)
    got = off.ask("谁为青川大桥通车剪彩？")
    assert got.short_answer is None
    assert all(h.answer_score is None and h.answer_span is None for h in got.hits)
    assert off.searcher._reader is None  # never loaded
    assert "short_answer" in got.to_dict() and got.to_dict()["short_answer"] is None


def test_weights_that_cannot_load_fall_back_to_the_ranking_without_the_reader(news, tmp_path, monkeypatch, caplog):
    graph, meta = reader_module.reader_files()
    broken = tmp_path / "reader.int8.onnx"
    broken.write_bytes(graph.read_bytes()[:4096])  # a truncated download / damaged install
    shutil.copy(graph.with_name("reader.json"), tmp_path / "reader.json")
    monkeypatch.setattr(reader_module, "reader_files", lambda: (broken, meta))
    with pytest.raises(ModelError) as caught:
        reader_module.open_reader(news.encoder, news.settings)
    assert "\n" not in str(caught.value) or len(str(caught.value).splitlines()) <= 3
    searcher = Searcher(news.index, news.encoder, news.settings)
    with caplog.at_level(logging.WARNING):
        ranked = searcher.rank("谁为青川大桥通车剪彩？", k=5)
    assert "answer reader is off" in caplog.text
    off = Searcher(news.index, news.encoder, news.settings.replace(answer_reader=False))
    assert [r.pid for r in ranked] == [r.pid for r in off.rank("谁为青川大桥通车剪彩？", k=5)]
    assert all(r.reading is None for r in ranked)


def test_no_card_marks_an_answer_that_is_not_given(news):
    """The reader is sure of a card (≥ reader_threshold) but 回答 says no passage answers (here: a
    no-answer threshold above its probability): the short answer is null and no card carries a span.
    With an answer, the span on its card is the short answer's own, edges trimmed."""
    strict = QAService(news.settings.replace(reader_no_answer_at=0.9999), encoder=news.encoder)
    got = strict.ask("谁为青川大桥通车剪彩？")
    assert not got.answered and got.short_answer is None
    assert any(h.answer_score is not None and h.answer_score >= 0.5 for h in got.hits)
    assert all(h.answer_span is None for h in got.hits)
    assert all("answer_span" not in h for h in got.to_dict()["hits"])
    answered = news.ask("谁为青川大桥通车剪彩？")
    short = answered.short_answer
    assert [h.answer_span for h in answered.hits if h.answer_span] == [short.span]


def test_a_follow_up_is_read_once_where_its_rewritten_question_is_a_question(news, monkeypatch):
    """A follow-up naming its own topic is read once, as asked. One with words of its own before the
    previous question (它是哪一年开工建设的？ → "谁为青川大桥通车剪彩？ 它是……") is searched both ways and
    fused, and not read: that string asks two things at once."""
    reader = news.searcher.reader()
    asked = []
    real = reader.read
    monkeypatch.setattr(reader, "read", lambda q, *args: asked.append(q) or real(q, *args))
    history = [{"question": "谁为青川大桥通车剪彩？"}]
    got = news.ask("青川大桥是哪一年开工建设的？", history=history)
    assert asked == ["青川大桥是哪一年开工建设的？"] and got.short_answer is not None
    asked.clear()
    got = news.ask("它是哪一年开工建设的？", history=history)
    assert got.search_query != "它是哪一年开工建设的？"  # a pronoun follow-up: searched with its context
    assert asked == [] and got.short_answer is None
    assert all(h.answer_score is None for h in got.hits)


def test_a_heading_is_read_as_context_and_never_answers(service):
    """An excerpt that names its subject only in its heading: read under that heading the reader is sure
    it answers, under another heading sure it does not, and its span stands in the text either way."""
    reader = service.searcher.reader()
    text = "大桥位于县城东部，连接江北新区与老城区。"
    question = "青川大桥位于哪里？"
    (plain,) = reader.read(question, [text])
    (headed,) = reader.read(question, [text], ["青川大桥的位置"])
    (other,) = reader.read(question, [text], ["王明的第三部小说"])
    assert other.answers < plain.answers < 0.9 < headed.answers
    assert "县城东部" in text[headed.span[0] : headed.span[1]]
    # a heading holding an answer-like phrase is context only: the span stays inside the text
    (only,) = reader.read("青川大桥全长多少米？", ["大桥的建成让两岸居民的出行更加方便。"], ["青川大桥全长1280米"])
    assert 0 <= only.span[0] < only.span[1] <= len("大桥的建成让两岸居民的出行更加方便。")


def test_a_reading_does_not_depend_on_the_other_passages_read(news):
    """The same question and passage read alone, or among others of other lengths, give the same reading."""
    reader = news.searcher.reader()
    texts = [p.text for p in news.index.passages[:6]]
    headings = [p.heading for p in news.index.passages[:6]]
    together = reader.read("青川大桥由谁承建？", texts, headings)
    alone = [reader.read("青川大桥由谁承建？", [t], [h])[0] for t, h in zip(texts, headings)]
    assert [r.span for r in together] == [r.span for r in alone]
    assert [r.answers for r in together] == pytest.approx([r.answers for r in alone], abs=1e-6)


def _with_head(service):
    reader = service.searcher.reader()
    return reader_module.AnswerReader(reader.tokenizer, reader.word_embeddings, 1, reader.max_tokens, head=None)


def test_the_fitted_answers_head_is_the_one_for_this_graph_and_is_used(service):
    """qa/data/reader/answers_head.json was fitted on this graph's answer_features (train/answer_head.py:
    refit it whenever the graph changes). With `answers_head` on, a reading's `answers` is the head's;
    off (the default), the graph's own, which `graph_answers` keeps either way."""
    import hashlib

    fitted_reader, plain = _with_head(service), service.searcher.reader()
    assert fitted_reader.head is not None and fitted_reader.has_features and plain.head is None
    graph, _ = reader_module.reader_files()
    assert fitted_reader.head.meta["graph_sha256"] == hashlib.sha256(graph.read_bytes()).hexdigest()
    assert "CC BY-SA 4.0" in fitted_reader.head.meta["licence"]
    question, text = "青川大桥由谁承建？", "青川大桥全长1280米，由市路桥集团承建，历时四年完工。"
    (fitted,) = fitted_reader.read(question, [text])
    (own,) = plain.read(question, [text])
    assert own.answers == pytest.approx(own.graph_answers)
    assert fitted.graph_answers == pytest.approx(own.answers, abs=1e-6)
    assert fitted.answers != pytest.approx(own.answers, abs=1e-3) and fitted.span == own.span
    on = QAService(service.settings.replace(answers_head=True), encoder=service.encoder)
    assert on.searcher.reader().head is not None


@pytest.mark.parametrize(
    "question, heading, asked, other",
    [
        (
            "梧州港2022年的货物吞吐量是多少？",
            "梧州港",
            "2022年梧州港完成货物吞吐量5600万吨，同比增长8%，集装箱吞吐量也有所上升。",
            "2021年梧州港完成货物吞吐量5180万吨，创下历史新高，集装箱吞吐量也有所上升。",
        ),
        (
            "2018年枫林县的粮食总产量是多少？",
            "枫林县农业",
            "2018年，枫林县粮食总产量达到32万吨，比上年增加1.5万吨。",
            "枫林县位于丘陵地带，耕地面积较少。2016年，全县粮食总产量为29万吨。",
        ),
    ],
)
def test_the_head_reads_the_asked_year_clearly_above_another_years_report(service, question, heading, asked, other):
    """Two reports on one topic, the asked year's and another year's, under the same heading: the fitted
    head reads the asked year's at least 0.2 higher. (The graph's own head reads both at 0.98 or more,
    0.011 and 0.001 apart.)"""
    right, wrong = _with_head(service).read(question, [asked, other], [heading, heading])
    assert right.answers > wrong.answers + 0.2


def test_a_passage_reads_the_same_alone_and_padded_among_longer_and_shorter_ones(service):
    """All windows of all candidates run in one padded batch: with the graph's fixed activation scales
    (train/requantise.py) a passage's reading is the same alone and beside a shorter passage and a longer
    one (several windows), whichever stands first."""
    reader = service.searcher.reader()
    question = "青川大桥由谁承建？"
    text = "青川大桥全长1280米，由市路桥集团承建，历时四年完工，是县里第一座跨江大桥。"
    short = "大桥通车了。"
    long = "这是一段与问题无关的文字，用来把段落拉长。" * 30 + "大桥由省交通厅验收。"
    (alone,) = reader.read(question, [text], ["青川大桥"])
    assert len([w for w in reader.windows(question, [short, text, long]) if w[0] == 2]) > 1
    for texts in ([short, text, long], [long, short, text, short]):
        got = reader.read(question, texts, ["", "青川大桥", ""] if len(texts) == 3 else ["", "", "青川大桥", ""])
        among = got[texts.index(text)]
        assert among.span == alone.span and "市路桥集团" in text[among.span[0] : among.span[1]]
        assert among.answers == pytest.approx(alone.answers, abs=1e-4)
        assert among.span_score == pytest.approx(alone.span_score, abs=1e-3)  # a logit: not saturated
