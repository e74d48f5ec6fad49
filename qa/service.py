"""QAService: the one object the CLI, the HTTP API and the UI call. It owns the index and the model.

Every citation it serves (a hit's passage, a quote match's paragraph) is first re-read from its
source file (index/citations.py). A citation the file does not bear out means the index is damaged
or a source changed: the index is rebuilt under the writer lock and the request answered again
from the new one. Where it cannot be rebuilt (read-only folder), the false citations are withheld.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import threading
import unicodedata
from pathlib import Path

from .chat.conversation import resolve_history
from .config import Settings
from .errors import CorruptIndex, EmptyInput, IndexBusy, IndexWriteError, InputError, InputTooLong, NotFound
from .index.build import build_index
from .index.citations import Cited, SourceTexts
from .index.encoder import Encoder
from .index.lock import writer_lock
from .index.state import index_state, open_index, unchanged_reports
from .index.store import Index
from .places import place_answer, place_items
from .records import Answer, Article, Hit, QuoteCheck
from .search.answer import mark_short_answer, reply
from .search.hybrid import Searcher
from .search.lists import ListSearch
from .search.query import analyse

__all__ = ["QAService"]

log = logging.getLogger("qa")


def _content_chars(text: str) -> int:
    """Letters and digits. Punctuation, symbols, spaces, control characters (\u0000) and format
    characters (zero-width \u200b, \ufeff) alone say nothing, so text of only those is refused alike."""
    return sum(1 for c in text if unicodedata.category(c)[0] in "LN")


# A quote needs this many letters or digits to be placed at all (the API schema states the same rule).
MIN_QUOTE_CONTENT = 3


def _clean(text: object, what: str, limit: int, least: int = 1) -> str:
    if not isinstance(text, str):
        raise EmptyInput(f"{what}必须是文字。/ The {what_en(what)} must be text.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(
            f"{what}含有无效字符（孤立的代理码位）。/ The {what_en(what)} is not valid Unicode text."
        ) from None
    if len(text) > limit:  # as sent (the API's maxLength), spaces and invisible characters included
        raise InputTooLong(
            f"{what}太长（{len(text)} 字，上限 {limit} 字）：请缩短后再试。/ "
            f"The {what_en(what)} has {len(text)} characters; the limit is {limit}."
        )
    text = text.strip()
    content = _content_chars(text)
    if not content:
        raise EmptyInput(
            f"{what}是空的（没有文字或数字）：请输入内容。/ The {what_en(what)} is empty: it has no letter or digit."
        )
    if content < least:
        raise InputError(
            f"{what}太短（少于 {least} 个字或数字），无法判断出处。/ The {what_en(what)} is too short to judge "
            f"(fewer than {least} letters or digits); paste a longer passage."
        )
    return text


def what_en(what: str) -> str:
    return {"问题": "question", "引文": "quote"}.get(what, "input")


class QAService:
    def __init__(self, settings: Settings | None = None, progress: bool = False, on_rebuild=None, encoder=None):
        """`encoder`: share one loaded model between services (one per collection, qa/collections)."""
        self.settings = settings or Settings.load()
        self.encoder = encoder or Encoder(self.settings)
        self.progress = progress
        self.on_rebuild = on_rebuild
        self._lock = threading.RLock()
        self._index: Index | None = None
        self._searcher: Searcher | None = None
        self._quotes = None
        self._sources: SourceTexts | None = None
        self._examples: tuple[Index, tuple[str, ...]] | None = None  # examples(), for the index they suit

    # -- index ------------------------------------------------------------------------------
    @property
    def index(self) -> Index:
        if self._index is None:
            with self._lock:
                if self._index is None:
                    self._set_index(
                        open_index(self.settings, self.encoder, progress=self.progress, on_rebuild=self.on_rebuild)
                    )
        return self._index

    @property
    def searcher(self) -> Searcher:
        _ = self.index  # opens (or builds) the index, which sets the searcher
        return self._searcher

    def _set_index(self, index: Index) -> None:
        self._index = index
        self._searcher = Searcher(index, self.encoder, self.settings)
        self._quotes = None
        self._sources = SourceTexts(index.manifest["sources"], index.path.resolve())

    def use_index(self, index: Index) -> None:
        """Answer from `index` from now on: a build swapped in by a collection job or another process."""
        with self._lock:
            self._set_index(index)

    def _say(self, message: str) -> None:
        (self.on_rebuild or log.warning)(message)

    def ingest(self, paths: list[Path], steps=None) -> dict:
        """Add files or folders to the index; unchanged passages keep their embeddings. `steps`: a
        BuildProgress to report into (a job's status reads its rate and ETA), else bars or lines.

        Holds the index's writer lock from reading the current index to the swap, so a concurrent
        ingest from another process waits and then adds to this one's result."""
        path = self.settings.index_path
        with self._lock, writer_lock(path, self.settings.lock_timeout, self._say):
            previous, inputs, reason = index_state(self.settings, self.encoder, path, add=paths)
            if reason is None:
                self._set_index(previous)
                n = len(previous.passages)
                return {
                    "passages": n,
                    "embedded": 0,
                    "reused": n,
                    "files": len(previous.manifest["sources"]),
                    "unchanged": True,
                    "file_reports": unchanged_reports(previous, paths, self.settings.follow_symlinks),
                }
            if previous is None and path.exists():
                log.warning("Rebuilding index %s: %s", path.name, reason)
            index, report = build_index(
                self.settings, inputs, self.encoder, path, previous, self.progress, added=list(paths), steps=steps
            )
            self._set_index(index)
            return dict(report, unchanged=False)

    def warm(self) -> None:
        """Load index and model now, so the first question is answered at full speed."""
        _ = self.index
        self.encoder.load()
        self.ask("长三角")
        # An altered quote loads jieba's part-of-speech tagger (name flags): ~0.4 s, better now than
        # on a user's first quote check.
        with contextlib.suppress(CorruptIndex):  # a stale read-only index may refuse this one verdict
            self.verify(self.index.passages[0].text[:12] + "不")

    # -- questions and quotes -----------------------------------------------------------------
    def ask(self, question: str, top_k: int | None = None, history=None) -> Answer:
        """With `history` (earlier turns, oldest first; [] for none) it is read in its conversation (qa.chat)."""
        question = _clean(question, "问题", self.settings.max_question_chars)
        k = self.settings.top_k if top_k is None else top_k
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= 100:
            raise InputError(f"top_k 必须是 1 到 100 的整数。/ top_k must be an integer from 1 to 100; got {k!r}.")
        turn = None if history is None else resolve_history(self.searcher, question, history, self.settings)
        # The question is analysed once (qa/search/query.py); every stage below reads that record.
        asked = analyse(question) if turn is None else turn.question
        search = (lambda: self.searcher.search(asked, k)) if turn is None else (lambda: turn.hits(self.searcher, k))
        # An ordinal follow-up ("那第三项呢？") pins the list item asked for: that item is the answer.
        pinned = turn is not None and turn.pinned is not None
        # A list question's answer is the list that answers it, every item's passage a card (qa/search/lists.py);
        # not a pinned item's turn, whose rewritten question still asks the list question before it.
        listed = None if pinned else ListSearch(self.searcher, asked, search, k)
        hits = self._served(listed or search, self._hit_claims, self._drop_false_hits)
        extracted, short = reply(hits, asked, self.settings, pinned, listing=listed.run if listed else None)
        # The page of the highlighted sentence and of the short answer: their own, not the card's first.
        hits, short = place_answer(mark_short_answer(hits, short), short, self.index.article)
        return Answer(
            question,
            extracted.text,
            tuple(hits),
            search_query=turn.search_query if turn else None,
            answer_from=extracted.sources,
            answered=extracted.answered,
            short_answer=short,
            answer_items=place_items(extracted.items, hits, self.index.article),
        )

    @property
    def quotes(self):
        if self._quotes is None:
            from .quotes.checker import QuoteChecker

            with self._lock:
                if self._quotes is None:
                    corpus = self.index.quote_corpus  # built at ingest, memory-mapped
                    self._quotes = QuoteChecker(corpus=corpus, max_chars=self.settings.max_quote_chars)
        return self._quotes

    def verify(self, quote: str):
        _clean(quote, "引文", self.settings.max_quote_chars, least=MIN_QUOTE_CONTENT)
        return self._served(lambda: self.quotes.check(quote), self._quote_claims, None)

    # -- every citation re-read from its source -------------------------------------------------
    def _served(self, produce, claims, drop_false):
        """produce(), once its citations hold in the source files. When one does not, rebuild the
        index and produce again; when the index cannot be rebuilt, drop_false(result, false claims)
        withholds them (or, without drop_false, the request fails: a verdict is never served on
        text that is not there)."""
        index = self.index
        try:
            return self._checked(index, produce, claims, drop_false)
        finally:
            # Past a budget, the index pages requests read stay in the page cache, not in this
            # process's resident memory (qa/index/paging.py): the index's the request began with,
            # and the rebuilt one's where a stale citation made it rebuild.
            for held in {id(index): index, id(self.index): self.index}.values():
                held.release_pages(self.settings.mapped_pages_mb)

    def _checked(self, index: Index, produce, claims, drop_false):
        result = produce()
        false = self._sources_now().false(claims(result))
        if not false:
            return result
        c = false[0]
        reason = f"a citation of {c.file} at {list(map(list, c.pieces))} no longer matches the file"
        try:
            self._rebuild(index, reason)
        except (IndexWriteError, IndexBusy) as exc:
            if drop_false is None:
                raise CorruptIndex(
                    f"引文出处与原文不符，且索引无法重建：{exc.message} / {reason}; the index cannot be rebuilt now."
                ) from exc
            self._say(f"已略去 {len(false)} 条与原文不符的引文（{reason}）；索引无法重建：{exc.message}")
            return drop_false(result, set(false))
        result = produce()
        false = self._sources_now().false(claims(result))
        if false:
            raise CorruptIndex(f"Citations still differ from their sources after a rebuild ({false[0].file}).")
        return result

    def _sources_now(self) -> SourceTexts:
        _ = self.index
        return self._sources

    def _rebuild(self, seen: Index, reason: str) -> None:
        """Rebuild the index `seen` from its recorded inputs (unless another thread already did)."""
        path = self.settings.index_path
        with self._lock, writer_lock(path, self.settings.lock_timeout, self._say):
            if self._index is not seen:
                return
            self._say(f"Rebuilding index {path.name}: it is damaged: {reason}")
            inputs = [Path(p) for p in self.index.manifest["inputs"]]
            # Its vectors are reused by text, its readings are not: they hold the damage.
            index, _ = build_index(
                self.settings, inputs, self.encoder, path, self.index, self.progress, reuse_readings=False
            )
            self._set_index(index)

    @staticmethod
    def _hit_claims(hits: list[Hit]) -> list[Cited]:
        return [
            Cited(h.passage.citation.file, h.passage.text, h.passage.pieces or ((h.citation.start, h.citation.end),))
            for h in hits
        ]

    @staticmethod
    def _drop_false_hits(hits: list[Hit], false: set[Cited]) -> list[Hit]:
        kept = [h for h, c in zip(hits, QAService._hit_claims(hits)) if c not in false]
        return [dataclasses.replace(h, rank=i) for i, h in enumerate(kept, start=1)]

    def _quote_claims(self, check: QuoteCheck) -> list[Cited]:
        """The paragraphs a quote check cites: each match's and each part's."""
        corpus = self.index.quote_corpus
        claims = []
        for m in [*check.matches, *(m for part in check.parts for m in part.matches)]:
            slot = corpus.slot(m.citation.doc_id, m.citation.paragraph)
            if slot is None:  # a match whose paragraph the index lacks cannot hold
                claims.append(Cited("", "", ()))
            else:
                article, para = corpus.para(slot)
                claims.append(Cited(article.file, para.text, para.pieces))
        return claims

    # -- documents ----------------------------------------------------------------------------
    def documents(self) -> list[Article]:
        return list(self.index.articles)

    def document(self, doc_id: str) -> Article:
        article = self.index.article(doc_id)
        if article is not None:
            return article
        raise NotFound(f"没有编号为 {doc_id!r} 的文档。/ No document {doc_id!r}; GET /api/documents lists them.")

    def document_text(self, doc_id: str) -> dict:
        """The text a document's citations index into: the decoded file (plain text, Markdown), or
        the text the index extracted from it (PDF, DOCX …, kept as texts/<sha256>.txt in the index)."""
        article = self.document(doc_id)
        index = self.index
        for source in index.manifest.get("sources", []):
            if source.get("file") != article.file:
                continue
            if source.get("text"):
                text = (index.path.resolve() / source["text"]).read_text(encoding="utf-8")
            else:
                from .ingest.sources import read_source

                text = read_source(Path(source["path"]), self.settings.read_limits).text
            return {"doc_id": doc_id, "file": article.file, "format": article.format, "text": text}
        raise NotFound(
            f"文档 {doc_id!r} 的来源不在索引清单中。/ The source of {doc_id!r} is not in the index manifest."
        )

    def examples(self, n: int = 4) -> list[str]:
        """Example questions for this collection, each one qa answers from the document it was drawn
        from (its first card comes from that document): from questions.jsonl beside the corpus when there
        is one (a question's document is where its `gold` sentence stands), else from headings. Fewer
        than `n`, or none, where too few pass. Worked out once per index (each costs a search)."""
        index = self.index
        if self._examples is not None and self._examples[0] is index:
            return list(self._examples[1])
        shown: list[str] = []
        for question, documents in self._example_candidates(2 * n):
            if self.answers_from(question, documents()):
                shown.append(question)
            if len(shown) == n:
                break
        self._examples = (index, tuple(shown))
        return shown

    def answers_from(self, question: str, doc_ids: set[str]) -> bool:
        """Does qa's first card for `question` come from one of `doc_ids`? (An example question that
        it answers from another document would mislead the person who clicks it.)"""
        try:
            hits = self.ask(question, top_k=1).hits
        except InputError:
            return False
        return bool(hits) and hits[0].citation.doc_id in doc_ids

    def _example_candidates(self, n: int):
        """(question, documents()): up to `n` questions spread over the set, each with a function giving
        the doc_ids it was drawn from."""
        rows: list[dict] = []
        for folder in self.settings.corpus_paths:
            qfile = folder / "questions.jsonl" if folder.is_dir() else None
            if qfile and qfile.exists():
                for line in qfile.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        row = json.loads(line)
                        if row.get("kind", "factual") == "factual":
                            rows.append(row)
        articles = self.index.articles
        total = len(rows) or len(articles)
        step = max(1, total // n)  # spread over the set rather than the first few, which share a topic
        if not rows:  # headings, read only for the articles shown (a large index keeps them on disk)
            for i in range(0, total, step):
                article = articles[i]
                yield f"{article.title}讲了什么？", (lambda doc=article.doc_id: {doc})
            return
        for row in rows[::step]:
            gold = row.get("gold") or ""
            yield row["question"], (lambda gold=gold: self._drawn_from(gold))

    def _drawn_from(self, gold: str) -> set[str]:
        """The documents that hold `gold` (as a quote check finds it, punctuation aside)."""
        with contextlib.suppress(InputError):
            check = self.verify(gold)
            if check.verdict in ("exact", "normalized"):
                return {m.citation.doc_id for m in check.matches}
        return set()

    def health(self) -> dict:
        index = self.index
        return {
            "status": "ok",
            "index": index.path.name,
            "passages": len(index.passages),
            "articles": len(index.articles),
            "model": index.manifest.get("model"),
            "weights_hash": index.manifest.get("weights_hash"),
            "built_at": index.manifest.get("built_at"),
        }
