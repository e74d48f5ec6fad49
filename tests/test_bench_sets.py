"""The benchmark's own question sets are well formed (bench/news, bench/unanswerable): no model.

- news: every excerpt is 60-250 characters, every topic has 4-7 excerpts, every answerable question's
  gold string stands verbatim in each excerpt it names as answering, and the tuning and held-out
  questions are split by topic (the hash rule in bench/news/README.md);
- unanswerable: a question's `about` phrase is in its passage and none of its `absent` strings is (the
  XQuAD-zh paragraph, every excerpt of the news topic, or the formats file's extracted text with all
  whitespace deleted);
- no question is one of the seeds' questions.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import ROOT

NEWS = ROOT / "bench" / "news"
UNANSWERABLE = ROOT / "bench" / "unanswerable"
XQUAD = ROOT.parent / "shared" / "training" / "xquad_zh" / "xquad.zh.json"
FORMATS = ROOT.parent / "shared" / "corpora" / "formats"


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _held_out(topic: str) -> bool:
    return int(hashlib.sha256(f"news:{topic}".encode()).hexdigest()[:8], 16) % 3 == 0


def _squeeze(text: str) -> str:
    return "".join(text.split())


PASSAGES = _rows(NEWS / "passages.jsonl")
QUESTIONS = _rows(NEWS / "questions.jsonl")
TUNE_UNANSWERABLE = _rows(UNANSWERABLE / "xquad_tune.jsonl")
HELDOUT_UNANSWERABLE = _rows(UNANSWERABLE / "heldout.jsonl")


def test_news_excerpts_are_short_and_many_per_topic():
    assert len({p["id"] for p in PASSAGES}) == len(PASSAGES)
    for p in PASSAGES:
        assert 60 <= len(p["text"]) <= 250, p["id"]
        assert p["id"].startswith(p["topic"]) and p["title"]
    per_topic = Counter(p["topic"] for p in PASSAGES)
    assert len(per_topic) >= 40
    assert all(4 <= n <= 7 for n in per_topic.values())


def test_news_gold_answers_stand_in_their_answering_excerpts():
    text = {p["id"]: p["text"] for p in PASSAGES}
    assert len(QUESTIONS) >= 160 and len({q["id"] for q in QUESTIONS}) == len(QUESTIONS)
    for q in QUESTIONS:
        assert q["positive_ids"] and q["answers"]
        for pid in q["positive_ids"]:
            assert pid.startswith(q["topic"]), q["id"]
            assert any(a in text[pid] for a in q["answers"]), q["id"]


def test_news_splits_are_disjoint_by_topic():
    for q in QUESTIONS:
        assert q["split"] == ("heldout" if _held_out(q["topic"]) else "tune"), q["id"]
    tune = {q["topic"] for q in QUESTIONS if q["split"] == "tune"}
    held = {q["topic"] for q in QUESTIONS if q["split"] == "heldout"}
    assert tune and held and not tune & held
    assert 0.2 <= len(held) / len(tune | held) <= 0.45


def test_news_unanswerable_questions_name_nothing_their_topic_states():
    by_topic: dict[str, list[str]] = {}
    for p in PASSAGES:
        by_topic.setdefault(p["topic"], []).append(p["text"])
    news = [r for r in HELDOUT_UNANSWERABLE if r["source"] == "news"]
    assert news
    for r in news:
        assert r["about"] in by_topic, r["id"]
        for text in by_topic[r["about"]]:
            assert not any(a in text for a in r["absent"]), (r["id"], text)


def test_heldout_unanswerable_set_is_large_enough():
    assert len(HELDOUT_UNANSWERABLE) >= 60
    assert sum(r["source"] == "formats" for r in HELDOUT_UNANSWERABLE) >= 25
    assert len({r["id"] for r in HELDOUT_UNANSWERABLE}) == len(HELDOUT_UNANSWERABLE)
    assert len(TUNE_UNANSWERABLE) >= 120


@pytest.mark.skipif(not XQUAD.exists(), reason="XQuAD-zh is not in ../shared/training")
def test_xquad_unanswerable_questions_name_nothing_their_paragraph_states():
    data = json.loads(XQUAD.read_text(encoding="utf-8"))["data"]
    paragraphs = [(a["title"], p["context"]) for a in data for p in a["paragraphs"]]
    assert len(paragraphs) == 240
    for r in TUNE_UNANSWERABLE:
        title, context = paragraphs[r["paragraph"]]
        assert r["title"] == title and r["about"] in context, r["id"]
        assert not any(a in context for a in r["absent"]), r["id"]


@pytest.mark.skipif(not FORMATS.exists(), reason="the formats corpus is not in ../shared/corpora")
def test_formats_unanswerable_questions_name_nothing_their_file_states():
    from qa.ingest.readers import read_document

    rows = [r for r in HELDOUT_UNANSWERABLE if r["source"] == "formats"]
    texts = {}
    for name in sorted({r["file"] for r in rows}):
        assert not name.endswith(".pdf") or name in ("poem.pdf", "论文复现指南-新.pdf")  # text layer, no OCR
        texts[name] = _squeeze(read_document((FORMATS / name).read_bytes(), name).text)
    for r in rows:
        assert _squeeze(r["about"]) in texts[r["file"]], r["id"]
        assert not any(_squeeze(a) in texts[r["file"]] for a in r["absent"]), r["id"]


def test_no_question_is_a_seed_question():
    seeds = {r["question"] for f in (ROOT / "seeds").glob("*.jsonl") for r in _rows(f) if "question" in r}
    ours = [q["question"] for q in QUESTIONS] + [r["question"] for r in TUNE_UNANSWERABLE + HELDOUT_UNANSWERABLE]
    assert not seeds & set(ours)
    assert len(set(ours)) == len(ours)


def _in_order(text: str, items: list[str]) -> bool:
    at, squeezed = 0, _squeeze(text)
    for item in items:
        found = squeezed.find(_squeeze(item), at)
        if found == -1:
            return False
        at = found + 1
    return True


def test_the_xquad_list_questions_name_items_of_their_article_in_order():
    """bench/lists.py --heldout4: each question's items stand in its article (as the bench writes it), in order."""
    data = json.loads(XQUAD.read_text(encoding="utf-8"))["data"]
    rows = _rows(ROOT / "bench" / "lists_heldout4.jsonl")
    assert len(rows) >= 20
    for row in rows:
        article = data[int(row["file"].removeprefix("xquad_").removesuffix(".txt"))]
        text = "\n\n".join(p["context"] for p in article["paragraphs"])
        assert len(row["items"]) >= 2 and _in_order(text, row["items"]), row["question"]


@pytest.mark.parametrize("name", ["lists_questions.jsonl", "lists_heldout3.jsonl"])
def test_the_formats_list_questions_name_items_of_their_file_in_order(name):
    """Each list question's items stand in its file's text as qa reads it, in order (the text files and
    Markdown, HTML and DOCX; the PDFs and the PPTX take longer to read and are left to bench/lists.py)."""
    from qa.ingest.sources import read_source

    texts: dict[str, str] = {}
    checked = 0
    for row in _rows(ROOT / "bench" / name):
        if row["file"].endswith((".pdf", ".pptx")):
            continue
        if row["file"] not in texts:
            texts[row["file"]] = read_source(FORMATS / row["file"]).text
        assert _in_order(texts[row["file"]], row["items"]), row["question"]
        checked += 1
    assert checked >= 10
