"""The dense views of each passage and their vectors: what is embedded, and each distinct text once.

In:  passages (qa.records.Passage), settings.sentence_vectors, an encoding function (the local
     Encoder in chunks, or a Ray cluster), and the vectors a previous build already has.
Out: `dense_views(passages, sentence_vectors)` → View records (owner passage, key, text), passage by
     passage; `embed_views(views, embed, dim, reuse)` → one float32 unit vector per view, and how
     many texts were embedded anew.

A passage has a view of its own (heading and text) and, with sentence_vectors on, one per sentence
when it has more than one: a question phrased like one sentence finds that sentence even when the
rest of its passage is about other things. (Sentence vectors pooled from the passage's own run
instead, "late chunking", cost nothing extra but lost most of that gain: DRCD dev dense R@1 0.788
against 0.926, fused 0.9518 against 0.9679. See docs/benchmarks.md, "Ingest speed".)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from qa.records import Passage
from qa.text import sentence_spans, to_simplified

__all__ = ["View", "dense_views", "embed_views", "embedding_text", "in_chunks", "keyword_text", "views_to_embed"]

# Texts per call to the encoder: small enough for a moving progress bar, large enough that the
# encoder still sorts each call's texts by length.
EMBED_CHUNK = 256


@dataclass(frozen=True)
class View:
    owner: int  # the passage id
    key: str  # hash of the text: a key the previous build has is not embedded again
    text: str  # what the model reads


def _headed(p: Passage) -> str:
    """The heading (unless the passage holds it already), then the passage text. The heading gives a
    passage the topic its own sentences leave implicit."""
    return f"{p.heading}\n{p.text}" if p.heading and p.heading not in p.text else p.text


def embedding_text(p: Passage) -> str:
    """What the dense index sees of a passage: heading and text in simplified characters.

    The article lead is left out on purpose: in a short passage its vector outweighed the passage's own words.
    """
    return to_simplified(_headed(p))


def keyword_text(p: Passage) -> str:
    """What the keyword index sees: the article's lead, then heading and text.

    A question names the event ("2020年度长三角地区主要领导座谈会……以什么为主题？"); only the lead
    passage says those words, the passage that answers says "会议……为主题". With the lead in every
    passage of its article, the event's words no longer single out the lead passage and the rest of
    the question picks the passage. The lead passage holds its lead twice, so it still wins questions
    about the lead itself (where, when, who).
    """
    return f"{p.context}\n{_headed(p)}" if p.context else _headed(p)


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def dense_views(passages, sentence_vectors: bool) -> list[View]:
    """Each passage's own view, then (if sentence_vectors) one per sentence of a passage of several."""
    views: list[View] = []
    for p in passages:
        text = embedding_text(p)
        views.append(View(p.id, text_key(text), text))
        spans = sentence_spans(p.text) if sentence_vectors else []
        if len(spans) > 1:
            for s, e in spans:
                sentence = to_simplified(p.text[s:e])
                views.append(View(p.id, text_key(sentence), sentence))
    return views


def views_to_embed(views: list[View], reuse: dict[str, np.ndarray] | None = None) -> int:
    """How many distinct texts a build must embed (the embedding step's total)."""
    return len({v.key for v in views if v.key not in (reuse or {})})


def in_chunks(encode: Callable[[list[str]], np.ndarray], advance: Callable[[int], None] = lambda n: None):
    """`encode` called on EMBED_CHUNK texts at a time, `advance` after each: a moving progress bar."""

    def embed(texts: list[str]) -> np.ndarray:
        parts = []
        for at in range(0, len(texts), EMBED_CHUNK):
            parts.append(encode(texts[at : at + EMBED_CHUNK]))
            advance(len(parts[-1]))
        return np.vstack(parts) if parts else np.zeros((0, 0), dtype=np.float32)

    return embed


def embed_views(
    views: list[View],
    embed: Callable[[list[str]], np.ndarray],
    dim: int,
    reuse: dict[str, np.ndarray] | None = None,
) -> tuple[np.ndarray, int]:
    """One vector per view, in order, and how many distinct texts were embedded anew.

    `embed(texts)` → their unit vectors (the local encoder `in_chunks`, or RayEmbedder.embed). A view
    whose key `reuse` holds is not embedded, and each distinct text is embedded once (a passage repeated
    across files, a sentence repeated across passages), the longest first, so that every batch the
    encoder makes holds texts of about one length.
    """
    reuse = reuse or {}
    todo: dict[str, str] = {}
    for v in views:
        if v.key not in reuse:
            todo.setdefault(v.key, v.text)
    keys = sorted(todo, key=lambda k: -len(todo[k]))
    fresh = dict(zip(keys, embed([todo[k] for k in keys]))) if keys else {}
    vectors = np.zeros((len(views), dim), dtype=np.float32)
    for i, v in enumerate(views):
        vectors[i] = fresh[v.key] if v.key in fresh else reuse[v.key]
    return vectors, len(keys)
