"""Ingestion on the real seed corpus: page-break repair, article split, checkable citations, duplicates."""

from __future__ import annotations

from pathlib import Path

import pytest
from rapidfuzz import fuzz

from qa.errors import SourceNotFound, UndecodableSource
from qa.ingest.passages import build_corpus, chunk_spans, own_text
from qa.ingest.sources import find_sources, read_source
from qa.text import content_key
from tests.conftest import ROOT, SEEDS


@pytest.fixture(scope="module")
def corpus():
    return build_corpus([read_source(p) for p in find_sources([SEEDS])], 200)


def _paragraph_texts(corpus):
    return [p.text for a in corpus.articles for p in a.paragraphs]


@pytest.mark.parametrize(
    "joined", ["统筹推进疫情防控", "发挥长三角企业家联盟作用", "进行统筹谋划", "加快形成以国内大循环为主体"]
)
def test_page_breaks_inside_words_are_repaired(corpus, joined):
    assert any(joined in t for t in _paragraph_texts(corpus))


def test_repeated_fragment_is_dropped_and_caption_kept_apart(corpus):
    texts = _paragraph_texts(corpus)
    assert "场的重要桥梁。" not in texts
    assert sum(t.endswith("联通国际市场和国内市场的重要桥梁。") for t in texts) == 2  # both printings
    caption = [t for t in texts if t.endswith("新华社")]
    assert len(caption) == 1 and "统筹" not in caption[0]
    assert len(corpus.repairs) == 5


def test_articles_titles_and_metadata(corpus):
    arts = {a.title: a for a in corpus.articles}
    assert len(corpus.articles) == 3
    first, second, third = corpus.articles
    assert first.title == "把一体化发展「硬核」打造得更具竞争力" and first.source == "晨报"
    assert second.title == "共话高质量发展 共享一体化创新" and second.doc_id == "000_ee36ff66a312e937-2"
    assert third.source == "央视网" and third.date == "2020-08-22"
    assert third.title.startswith("习近平主持召开扎实推进长三角一体化发展座谈会")
    assert len(arts) == 3


def test_every_citation_reads_back_from_its_file(corpus, seed_texts):
    for p in corpus.passages:
        text = seed_texts[p.citation.file]
        assert "".join(text[s:e] for s, e in p.pieces) == p.text
        assert (p.citation.start, p.citation.end) == (p.pieces[0][0], p.pieces[-1][1])
        if len(p.pieces) == 1:
            assert text[p.citation.start : p.citation.end] == p.text
    opened = [p for p in corpus.passages if p.heading and p.text.startswith(p.heading + "\n")]
    # Each headline opens its article's first passage; in the speech's second printing each section
    # title opens its first passage.
    headlines = {a.doc_id: a.title for a in corpus.articles}
    assert sorted(p.heading for p in opened if p.heading == headlines[p.doc_id]) == sorted(headlines.values())
    assert len(opened) == 8 + len(headlines)
    straddling = [p for p in corpus.passages if len(p.pieces) > 1 and p not in opened]
    assert len(straddling) == 4


def test_passages_are_bounded_and_cover_the_body_text(corpus):
    assert all(0 < len(p.text) <= 200 for p in corpus.passages)
    body = "".join(p.text for a in corpus.articles for p in a.paragraphs if p.kind == "body")
    covered = "".join(p.text for p in corpus.passages)
    assert len(covered) >= len(body)


def _where(c):
    return (c.doc_id, c.paragraph, c.start, c.end)


def test_the_speech_printed_twice_is_marked_duplicate(corpus):
    """The second printing is cut into passages at other places (its section titles stand on lines of
    their own), so only the passages whose whole text is the same (≥ 0.95) are grouped: 8 of them at
    200 characters. (A pooled 4-gram count, used before, grouped 10 or more, some of them different text.)"""
    by_id = {p.id: p for p in corpus.passages}
    dups = [p for p in corpus.passages if p.duplicate_of is not None]
    second_printing = [p for p in dups if p.doc_id.startswith("004") and p.citation.paragraph >= 15]
    assert len(second_printing) >= 8
    for p in second_printing:
        canonical = by_id[p.duplicate_of]
        assert canonical.citation.paragraph < 14 and _where(p.citation) in {_where(c) for c in canonical.also_in}
        similarity = fuzz.ratio(content_key(own_text(p)), content_key(own_text(canonical))) / 100
        assert similarity >= 0.95 and p.also_in[0].similarity == pytest.approx(similarity, abs=1e-3)


def test_chunk_spans_cut_at_sentence_ends():
    text = "第一句话。第二句话比较长一些！第三句？" * 3
    spans = chunk_spans(text, 20)
    assert all(e - s <= 20 for s, e in spans)
    assert all(text[e - 1] in "。！？" for s, e in spans)
    long = "很长的句子没有句号，" * 30
    assert all(e - s <= 40 for s, e in chunk_spans(long, 40))


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "big5"])
def test_legacy_chinese_encodings_are_detected(tmp_path, encoding):
    text = (
        "會議指出，要共同優化和穩定產業鏈、供應鏈。共同打造世界級產業集群。"
        if encoding == "big5"
        else "会议指出，要共同优化和稳定产业链、供应链。共同打造世界级产业集群和标志性产业链。"
    )
    f = tmp_path / f"doc-{encoding}.txt"
    f.write_bytes(text.encode(encoding))
    src = read_source(f)
    assert src.text == text


def test_binary_and_missing_files_are_refused(tmp_path):
    binary = tmp_path / "image.txt"
    binary.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(UndecodableSource, match="binary"):
        read_source(binary)
    with pytest.raises(SourceNotFound):
        read_source(tmp_path / "nope.txt")
    with pytest.raises(SourceNotFound):
        find_sources([tmp_path / "missing-folder"])


def test_citation_file_is_relative_to_checkout(corpus):
    assert {p.citation.file for p in corpus.passages} == {
        "seeds/000_ee36ff66a312e937.txt",
        "seeds/004_57879f32f046822d.txt",
    }
    assert (ROOT / Path(corpus.passages[0].citation.file)).exists()
