"""The reader's context view shows the section a passage stands in (qa.web.cards_view.context_html; the widget's
embed.js does the same), and the card names all the paragraphs a passage holds."""

from __future__ import annotations

import re

from qa.ingest.passages import build_corpus
from qa.ingest.sources import find_sources, read_source
from qa.web.cards_view import cards_html, context_html, copy_text
from tests.conftest import ROOT, SEEDS

LAW = ROOT.parent / "shared" / "corpora" / "formats" / "人民检察院行政诉讼监督规则（试行）_2016-04-15.md"


def _hit(passage, sentence: str) -> dict:
    start = passage.text.index(sentence)
    return {
        **passage.citation.to_dict(),
        "citation": passage.citation.label(),
        "rank": 1,
        "score": 1.0,
        "text": passage.text,
        "highlight": {"start": start, "end": start + len(sentence)},
    }


def test_the_context_is_the_section_with_the_passage_marked():
    corpus = build_corpus([read_source(LAW)], 300, 80)
    article = corpus.articles[0].to_dict()
    fifth = next(p for p in corpus.passages if "第五条" in p.text)
    hit = _hit(fifth, "（二）认为再审判决、裁定确有错误的；")
    html = context_html(article, hit)
    first, last = fifth.citation.paragraph, fifth.citation.paragraph_end
    assert last is not None and last > first
    assert "第二章 受 理" in html and "第三章" not in html  # from its chapter heading to the next one
    assert html.count("qa-target") == last - first + 1  # every paragraph of the passage marked
    assert re.search(r"<mark[^>]*>（二）认为再审判决、裁定确有错误的；</mark>", html)
    assert f"第{first}–{last}段" in hit["citation"] and f"第{first}–{last}段" in cards_html({"hits": [hit]}, {})
    assert copy_text(hit).endswith(f"（{hit['file']}:{hit['start']}-{hit['end']}）")  # the exact span, one click away


def test_without_a_heading_near_the_context_is_the_neighbouring_paragraphs():
    corpus = build_corpus([read_source(p) for p in find_sources([SEEDS])], 300, 80)
    passage = next(p for p in corpus.passages if p.citation.paragraph == 13 and p.doc_id.endswith("-1"))
    sentence = passage.text[:10]
    article = next(a for a in corpus.articles if a.doc_id == passage.doc_id).to_dict()
    html = context_html(article, _hit(passage, sentence))
    assert re.findall(r"第(\d+)段", html) == ["11", "12", "13", "14", "15"]
    assert html.count("qa-target") == 1 and "–" not in _hit(passage, sentence)["citation"]
