"""Hybrid search: dense and keyword candidates, fused, duplicates collapsed, best sentence marked."""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
from dataclasses import dataclass

import numpy as np

from qa.config import Settings
from qa.errors import ModelError
from qa.index.store import Index
from qa.records import Evidence, Hit
from qa.text import keyword_tokens, sentence_spans

from .answer import best_sentence, question_terms
from .constraints import disagrees, facts_of, in_passing, short_answer_fits
from .crosslang import PinyinNames
from .evidence import EvidenceScorer
from .fusion import convex, ranks, rrf, top_scores
from .glossary import Glossary, corpus_glossary
from .query import Question, as_question
from .reader import Reading, open_reader

__all__ = ["Searcher", "Ranked"]

log = logging.getLogger(__name__)
_LATIN_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-']*")
FACTS_CACHED = 4096  # passages whose facts are kept: the candidates of many recent questions


@dataclass(frozen=True)
class Ranked:
    pid: int
    score: float
    dense_rank: int | None
    keyword_rank: int | None
    # Set by the second stage (rerank_depth): the passage's best sentence and its evidence.
    highlight: tuple[int, int] | None = None
    evidence: Evidence | None = None
    # Set by the answer reader (reader_depth): its reading of the passage.
    reading: Reading | None = None


class Searcher:
    def __init__(self, index: Index, encoder, settings: Settings, glossary: Glossary | None = None):
        self.index = index
        self.encoder = encoder
        self.settings = settings
        if glossary is None:  # the corpus's own, if it has one (a glossary.tsv in an input folder)
            inputs = getattr(index, "manifest", {}).get("inputs", [])
            glossary = corpus_glossary(
                inputs, settings.path(settings.glossary_file) if settings.glossary_file else None
            )
        self.glossary = glossary
        self._pinyin = PinyinNames()
        # Years, ordinals and figures of the passages recently ranked for a constrained question: bounded,
        # where a dict filled as passages were seen grew with every candidate of a long-running server.
        self._facts = functools.lru_cache(maxsize=FACTS_CACHED)(lambda pid: facts_of(self.index.passages[pid].text))
        self.evidence = EvidenceScorer(index, settings)
        self._reader = None
        self._reader_error: str | None = None

    def embed_question(self, question: Question | str) -> np.ndarray:
        # Passages are embedded in simplified characters, so questions are too (DRCD-style traditional input).
        return self.encoder.encode_queries([as_question(question).simplified])[0]

    def rank(
        self,
        question: Question | str,
        mode: str = "fused",
        k: int | None = None,
        query_vector: np.ndarray | None = None,
        read: bool = True,
    ) -> list[Ranked]:
        """Passage ids best first. mode: fused, dense or keyword (the last two for evaluation). read=False
        leaves out the answer reader, for a caller that fuses rankings first and reads once (qa.chat).
        `question`: its record (qa/search/query.py); a string is analysed here (evaluation, bench)."""
        return self._rank(as_question(question), mode, k, query_vector, read)[0]

    def rank_with_terms(self, question: Question, k: int | None = None, read: bool = True) -> tuple[list[Ranked], str]:
        """rank() (fused), and the Chinese terms added to the question's keyword query (for highlighting)."""
        return self._rank(question, "fused", k, None, read)

    def _rank(
        self, question: Question, mode: str, k: int | None, query_vector: np.ndarray | None, read: bool = True
    ) -> tuple[list[Ranked], str]:
        """rank(), and the Chinese terms added to the question's keyword query (glossary, pinyin names)."""
        s = self.settings
        n = max(k or s.candidates, s.candidates)
        dense: list[tuple[int, float]] = []
        if mode in ("fused", "dense"):
            if query_vector is None:
                query_vector = self.embed_question(question)
            dense = self.index.dense.search(query_vector, n)
        keyword: list[tuple[int, float]] = []
        all_kw = None
        added = self.added_terms(question, dense)
        if mode in ("fused", "keyword"):
            all_kw, kw_bound = self._keyword_scores(question, added)
            keyword = top_scores(all_kw, n)
        d_rank, k_rank = ranks(dense), ranks(keyword)
        if mode == "dense":
            fused = {pid: sc for pid, sc in dense}
        elif mode == "keyword":
            fused = {pid: sc for pid, sc in keyword}
        elif s.fusion == "convex":
            ids = list(set(d_rank) | set(k_rank))
            # Score every candidate with both retrievers so a miss is not a zero.
            fused = convex(
                self.index.dense_scores(query_vector, ids),
                {i: float(all_kw[i]) for i in ids},
                s.dense_weight,
                s.keyword_confident_at * kw_bound,
            )
        else:
            fused = rrf(dense, keyword, s.rrf_k, s.dense_weight)
        if mode == "fused" and s.year_penalty > 0:
            fused = self._penalise_disagreeing(question, fused)
        ranked = self._by_group(fused, d_rank, k_rank)
        # The evidence is the question's Chinese words and what its question word asks for: a
        # question without Chinese has neither, and its cross-language sentence cosines alone
        # reordered the seeds' English questions for the worse (bench/answers.py).
        if mode == "fused" and s.rerank_depth > 0 and question.chinese:
            ranked = self._rerank(question, added, ranked, query_vector)
        if mode == "fused" and read and self.reads(question):
            ranked = self.read(question, ranked)
        return ranked[: (k or None)], added

    def reads(self, question: Question) -> bool:
        """Does the answer reader read this question's candidates? (On, loadable, and a Chinese question:
        it was trained on Chinese only.)"""
        s = self.settings
        return s.answer_reader and s.reader_depth > 0 and question.chinese and self.reader() is not None

    def reader(self):
        """The answer reader, loaded once; None (and one logged line) when its weights cannot be loaded,
        so questions are ranked and answered as without it."""
        if self._reader is None and self._reader_error is None:
            try:
                self._reader = open_reader(self.encoder, self.settings)
            except ModelError as exc:
                self._reader_error = str(exc)
                log.warning("The answer reader is off: %s", exc)
        return self._reader

    def read(self, question: Question, ranked: list[Ranked]) -> list[Ranked]:
        """The first reader_depth candidates by score + reader_weight × the reader's probability that the
        passage answers; the rest keep their order below them."""
        depth = self.settings.reader_depth
        head = ranked[:depth]
        weight = self.settings.reader_weight
        head = [
            dataclasses.replace(r, score=r.score + weight * rd.answers, reading=rd)
            for r, rd in zip(head, self.readings(question, head))
        ]
        head.sort(key=lambda r: (-r.score, r.pid))
        return head + ranked[depth:]

    def readings(self, question: Question | str, ranked: list[Ranked]) -> list[Reading]:
        return self.reader().read(*self.reading_inputs(question, ranked))

    def reading_inputs(self, question: Question | str, ranked: list[Ranked]) -> tuple[str, list[str], list[str]]:
        """What the reader reads of `ranked`: question, texts, headings (else the document's title)."""
        passages = [self.index.passages[r.pid] for r in ranked]
        headings = [p.heading or p.citation.title for p in passages]
        return as_question(question).simplified, [p.text for p in passages], headings

    def _rerank(self, question: Question, added: str, ranked: list[Ranked], query_vector) -> list[Ranked]:
        """The first rerank_depth candidates by fused score + their best sentence's evidence
        (qa/search/evidence.py); the rest keep their order below them. A candidate whose best sentence
        names other years than the question's, the asked one only in passing elsewhere in the passage,
        keeps 1 - year_penalty of its score (qa/search/constraints.py)."""
        depth = self.settings.rerank_depth
        keep = 1.0 - self.settings.year_penalty
        asked = self.evidence.question(question, added)
        head = []
        for r in ranked[:depth]:
            best = self.evidence.best(asked, r.pid, query_vector)
            score = r.score + best.evidence.score
            text = self.index.passages[r.pid].text
            if in_passing(question, text[best.span[0] : best.span[1]]):
                score *= keep
            head.append(dataclasses.replace(r, score=score, highlight=best.span, evidence=best.evidence))
        head.sort(key=lambda r: (-r.score, r.pid))
        return head + ranked[depth:]

    def added_terms(self, question: Question | str, dense: list[tuple[int, float]] = ()) -> str:
        """Chinese terms joining the keyword query: the corpus glossary's for the question's English
        phrases, and for a question with no Chinese, what its pinyin names spell in the dense
        retriever's candidates (setting pinyin_names; qa/search/crosslang.py)."""
        question = as_question(question)
        terms = self.glossary.terms(question.text)
        if self.settings.pinyin_names and dense and not question.chinese:
            passages = self.index.passages
            terms = f"{terms} {self._pinyin.terms(question.text, [passages[pid].text for pid, _ in dense])}"
        return terms.strip()

    def _keyword_scores(self, question: Question, added: str = "") -> tuple[np.ndarray, float]:
        keyword = self.index.keyword
        mode = keyword.params["mode"]
        if question.chinese:
            extra = keyword_tokens(added, mode) if added else []
            return keyword.bm25.scores(question.keyword_tokens(mode) + extra)
        # A question with no Chinese in it: its single letters and common English words match every
        # passage that holds some Latin text and outvoted the dense retriever (English questions over
        # CMRC articles: fused R@1 0.125 vs dense 0.45). Only names (capitalised words after the
        # first, numbers) and the added Chinese terms take part.
        names = " ".join(w for w in _LATIN_WORD.findall(question.text)[1:] if w[0].isupper() or w[0].isdigit())
        tokens = keyword_tokens(f"{names} {added}", mode)
        return keyword.bm25.scores([t for t in tokens if not (t[0] == "%" and t[1:].isascii())])

    def _penalise_disagreeing(self, question: Question, fused: dict[int, float]) -> dict[int, float]:
        """A question about 2020 is not answered by a passage that only speaks of 2021; one about the
        31st president (第31任) not by a passage naming only the 30th; one about 50亿元 not by a passage
        naming other sums in 亿元 (qa/search/constraints.py).

        Such passages lose `year_penalty` of their score. Embeddings barely tell 2020 from 2021, and
        keyword overlap on the words around the year ("年度长三角地区主要领导座谈会") is the same.
        """
        if not (question.constraints.years or question.constraints.ordinals or question.constraints.numbers):
            return fused
        keep = 1.0 - self.settings.year_penalty
        out = {}
        for pid, score in fused.items():
            out[pid] = score * keep if disagrees(question, self._facts(pid)) else score
        return out

    def _by_group(self, fused: dict[int, float], d_rank: dict[int, int], k_rank: dict[int, int]) -> list[Ranked]:
        """One entry per group of repeated passages, standing in for all of them: its best score and ranks."""
        passages = self.index.passages
        score: dict[int, float] = {}
        best_d: dict[int, int] = {}
        best_k: dict[int, int] = {}
        for pid, value in fused.items():
            dup = passages[pid].duplicate_of
            root = pid if dup is None else dup
            score[root] = max(score.get(root, value), value)
            for ranks_, best in ((d_rank, best_d), (k_rank, best_k)):
                if pid in ranks_:
                    best[root] = min(best.get(root, ranks_[pid]), ranks_[pid])
        order = sorted(score, key=lambda pid: (-score[pid], pid))
        return [Ranked(pid, score[pid], best_d.get(pid), best_k.get(pid)) for pid in order]

    def search(self, question: Question | str, top_k: int) -> list[Hit]:
        q = as_question(question)
        ranked, added = self._rank(q, "fused", top_k, None)
        return self.hits(q, ranked, self.highlighter(q, added))

    def highlighter(self, question: Question, added: str = "", also: str = ""):
        """The function giving a ranked candidate its highlighted sentence: the second stage's where it
        reached the candidate, else the sentence sharing the most of the question's words and bigrams
        (and those of `added` terms and `also`, a follow-up's own words) — English questions too."""
        terms: set[str] | None = None
        passages = self.index.passages

        def highlight(r: Ranked) -> tuple[int, int]:
            nonlocal terms
            if r.highlight is not None:
                return r.highlight
            if terms is None:
                extra = f"{added} {also}".strip()
                terms = set(question.keyword_tokens("jieba+bigram")) | (question_terms(extra) if extra else set())
            return best_sentence(passages[r.pid].text, terms)

        return highlight

    def hits(self, question: Question, ranked: list[Ranked], highlight, reader_marks: bool = True) -> list[Hit]:
        """The hits of `ranked`, each with its sentence `highlight(r)`; with `reader_marks`, the reader's
        answering card (`answering`) is highlighted at the sentence holding its answer, and carries the
        span where it may be the short answer to `question` (constraints.short_answer_fits: the kind
        asked for, the question's years, ordinals, figures and people); every card read carries its
        answer probability. Also used for the hits of a question in a conversation (qa.chat)."""
        passages = self.index.passages
        answering = self.answering(ranked) if reader_marks else None
        hits = []
        for rank, r in enumerate(ranked, start=1):
            p = passages[r.pid]
            span = answer_span = None
            if r is answering:
                reading = r.reading.span
                span = next((s for s in sentence_spans(p.text) if s[0] <= reading[0] < s[1]), None)
                if short_answer_fits(question, p.text, p.heading or p.citation.title, reading):
                    answer_span = reading
            span = span or highlight(r)
            score = None if r.reading is None else r.reading.answers
            hits.append(
                Hit(rank, r.score, p, span, r.dense_rank, r.keyword_rank, p.also_in, r.evidence, answer_span, score)
            )
        return hits

    def answering(self, ranked: list[Ranked]) -> Ranked | None:
        """The candidate the reader is surest answers, if it is sure enough (reader_threshold): its
        answer sentence is highlighted, and its span is the short answer where it fits the question."""
        read = [r for r in ranked if r.reading is not None and r.reading.span is not None]
        best = max(read, key=lambda r: r.reading.answers, default=None)
        return best if best is not None and best.reading.answers >= self.settings.reader_threshold else None
