"""Corpora for bench/answers.py beyond the public dev splits: the benchmark's own sets and CMRC 2018
train's tune slice.

    news                  bench/news/: 220 invented news excerpts on 44 topics, each its own passage
                          under its headline｜outlet; 155 tuning questions, 65 held out by topic
    xquad-zh              the 240 XQuAD-zh paragraphs (../shared/training/xquad_zh), each whole paragraph
                          one passage, as the CMRC/DRCD dev paragraphs are; its 1,190 questions
                          (answerable) and bench/unanswerable/xquad_tune.jsonl's 125 (tuning)
    unanswerable-heldout  bench/unanswerable/heldout.jsonl (held out): 44 questions over the news corpus,
                          asked of it, and 29 over the formats files, asked of the formats index that
                          bench/formats.py builds (bench/cache/formats-index, through `qa ingest`'s code)

Rows are as figures() reads them: question, answers (empty when nothing answers) and pos (ids of the
passages that answer). Embeddings are cached in bench/cache/ like the others.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from retrieval import CachedQueries, _cached, _read_jsonl  # noqa: E402

from qa.config import Settings  # noqa: E402
from qa.index.encoder import Encoder  # noqa: E402
from qa.index.retrievers import DenseIndex, KeywordIndex  # noqa: E402
from qa.index.store import Index  # noqa: E402
from qa.index.views import dense_views, keyword_text  # noqa: E402
from qa.records import Citation, Passage  # noqa: E402
from qa.search.hybrid import Searcher  # noqa: E402

NEWS = ROOT / "bench" / "news"
UNANSWERABLE = ROOT / "bench" / "unanswerable"
XQUAD = ROOT.parent / "shared" / "training" / "xquad_zh" / "xquad.zh.json"
TRAINING = ROOT.parent / "shared" / "training" / "cmrc2018" / "cmrc2018_train.json"
OWN_CORPORA = ("news", "xquad-zh", "unanswerable-heldout")
WANT_NONE = "(want: no answer)"


def train_tune_rows() -> tuple[Path, list[dict], list[dict]]:
    """CMRC 2018 train's tune slice (the 5% of paragraphs the reader never trains on, train/reader_data.py)
    as passage and question rows like the benchmark folders'."""
    sys.path.insert(0, str(ROOT / "train"))
    from reader_data import is_tune

    passages, questions = [], []
    for article in json.loads(TRAINING.read_text(encoding="utf-8"))["data"]:
        for para in article["paragraphs"]:
            if not is_tune(para["id"], 0.05):
                continue
            passages.append({"id": para["id"], "title": article.get("title") or para["id"], "text": para["context"]})
            for qa in para["qas"]:
                answers = [a["text"] for a in qa["answers"]]
                questions.append({"id": qa["id"], "question": qa["question"], "answers": answers, "positive_ids": [para["id"]]})  # fmt: skip
    return TRAINING, passages, questions


def rows_index(name: str, file: Path, rows: list[dict], settings: Settings, encoder: Encoder) -> Index:
    """One passage per row (id, title, text), under its title, as bench/retrieval.py's public_index."""
    passages = [
        Passage(
            i,
            Citation(r["id"], str(file), r["title"], None, None, 1, 0, len(r["text"])),
            r["text"],
            r["title"],
            ((0, len(r["text"])),),
        )
        for i, r in enumerate(rows)
    ]
    return passages_index(name, file.parent, passages, settings, encoder)


def passages_index(name: str, folder: Path, passages: list[Passage], settings: Settings, encoder: Encoder) -> Index:
    """An in-memory index of `passages`: their dense views embedded once (cached in bench/cache/ by
    `name` and the model) and their keyword index."""
    views = dense_views(passages, settings.sentence_vectors)
    vectors = _cached(
        f"{name}-views-{encoder.weights_hash[:12]}",
        [v.text for v in views],
        lambda t: encoder.encode_passages(t, show_progress=True),
    )
    keyword = KeywordIndex.build(
        [keyword_text(p) for p in passages], settings.keyword_tokens, settings.bm25_k1, settings.bm25_b
    )
    dense = DenseIndex.build(vectors, np.asarray([v.owner for v in views]), settings.ann)
    return Index(folder, {"name": name}, [], passages, vectors, dense, keyword)


def news_index(settings: Settings, encoder: Encoder) -> tuple[Index, list[dict]]:
    """The news excerpts and their answerable questions (with `pos` and `heldout`)."""
    index = rows_index("news", NEWS / "passages.jsonl", _read_jsonl(NEWS / "passages.jsonl"), settings, encoder)
    pid_of = {p.doc_id: p.id for p in index.passages}
    rows = [
        {**q, "pos": {pid_of[x] for x in q["positive_ids"]}, "heldout": q["split"] == "heldout"}
        for q in _read_jsonl(NEWS / "questions.jsonl")
    ]
    return index, rows


def unanswerable(file: str, source: str | None = None) -> list[dict]:
    """bench/unanswerable/`file`'s questions (those of `source` only, when given) as rows with no answer."""
    found = _read_jsonl(UNANSWERABLE / file)
    return [{**r, "answers": [], "pos": set()} for r in found if source is None or r["source"] == source]


def xquad_index(settings: Settings, encoder: Encoder) -> tuple[Index, list[dict], list[dict]]:
    """XQuAD-zh's 240 paragraphs (id p000-p239 in reading order), its questions, and the unanswerable ones."""
    data = json.loads(XQUAD.read_text(encoding="utf-8"))["data"]
    paragraphs = [(a["title"], p) for a in data for p in a["paragraphs"]]
    rows = [{"id": f"p{i:03d}", "title": t, "text": p["context"]} for i, (t, p) in enumerate(paragraphs)]
    index = rows_index("xquad-zh", XQUAD, rows, settings, encoder)
    answerable = [
        {"id": qa["id"], "question": qa["question"], "answers": [a["text"] for a in qa["answers"]], "pos": {i}}
        for i, (_, p) in enumerate(paragraphs)
        for qa in p["qas"]
    ]
    return index, answerable, unanswerable("xquad_tune.jsonl")


def formats_searcher(encoder: Encoder) -> Searcher:
    """The formats index of bench/formats.py (built, or opened, through the same code as `qa ingest`)."""
    from formats import _settings

    from qa.service import QAService

    return QAService(_settings(), encoder=encoder).searcher


def own_sets(name: str, settings: Settings, encoder: Encoder, heldout: bool, heldout_only: bool) -> dict:
    """{label: (searcher, rows)} of corpus `name` (OWN_CORPORA): tuning sets unless `heldout_only`, held-out
    sets only with `heldout`."""
    out: dict[str, tuple[Searcher, list[dict]]] = {}
    if name == "news":
        index, rows = news_index(settings, encoder)
        asked = [r["question"] for r in rows + unanswerable("heldout.jsonl", "news")]
        searcher = Searcher(index, CachedQueries(encoder, asked, "news"), settings)
        label = f"news ({len(index.passages)} excerpts)"
        if not heldout_only:
            out[f"{label}, tuning"] = (searcher, [r for r in rows if not r["heldout"]])
        if heldout:
            out[f"{label}, held out"] = (searcher, [r for r in rows if r["heldout"]])
    elif name == "xquad-zh" and not heldout_only:
        index, rows, none = xquad_index(settings, encoder)
        searcher = Searcher(index, CachedQueries(encoder, [r["question"] for r in rows + none], "xquad-zh"), settings)
        out[f"xquad-zh ({len(index.passages)} paragraphs)"] = (searcher, rows)
        out[f"xquad-zh, unanswerable {WANT_NONE}"] = (searcher, none)
    elif name == "unanswerable-heldout" and heldout:
        index, rows = news_index(settings, encoder)
        none = unanswerable("heldout.jsonl", "news")
        asked = [r["question"] for r in rows + none]
        searcher = Searcher(index, CachedQueries(encoder, asked, "news"), settings)
        out[f"news, unanswerable, held out {WANT_NONE}"] = (searcher, none)
        formats = unanswerable("heldout.jsonl", "formats")
        out[f"formats, unanswerable, held out {WANT_NONE}"] = (formats_searcher(encoder), formats)
    return out
