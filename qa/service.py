"""QAService: the one object the CLI, the HTTP API and the UI call. It owns the index and the model."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from .config import Settings
from .errors import EmptyInput, InputError, InputTooLong, NotFound
from .index.build import build_index, index_state, open_index
from .index.encoder import Encoder
from .index.store import Index
from .records import Answer, Article
from .search.answer import answer_text
from .search.hybrid import Searcher
from .text import is_punct

__all__ = ["QAService"]

log = logging.getLogger("qa")


def _clean(text: object, what: str, limit: int) -> str:
    if not isinstance(text, str):
        raise EmptyInput(f"{what}必须是文字。/ The {what_en(what)} must be text.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(
            f"{what}含有无效字符（孤立的代理码位）。/ The {what_en(what)} is not valid Unicode text."
        ) from None
    text = text.strip()
    if not text or all(is_punct(c) for c in text):
        raise EmptyInput(f"{what}是空的：请输入内容。/ The {what_en(what)} is empty.")
    if len(text) > limit:
        raise InputTooLong(
            f"{what}太长（{len(text)} 字，上限 {limit} 字）：请缩短后再试。/ "
            f"The {what_en(what)} has {len(text)} characters; the limit is {limit}."
        )
    return text


def what_en(what: str) -> str:
    return {"问题": "question", "引文": "quote"}.get(what, "input")


class QAService:
    def __init__(self, settings: Settings | None = None, progress: bool = False, on_rebuild=None):
        self.settings = settings or Settings.load()
        self.encoder = Encoder(self.settings)
        self.progress = progress
        self.on_rebuild = on_rebuild
        self._lock = threading.RLock()
        self._index: Index | None = None
        self._searcher: Searcher | None = None
        self._quotes = None

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

    def ingest(self, paths: list[Path]) -> dict:
        """Add files or folders to the index; unchanged passages keep their embeddings."""
        with self._lock:
            path = self.settings.index_path
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
                }
            if previous is None and path.exists():
                log.warning("Rebuilding index %s: %s", path.name, reason)
            index, report = build_index(
                self.settings, inputs, self.encoder, path, previous, self.progress, added=list(paths)
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
        self.verify(self.index.passages[0].text[:12] + "不")

    # -- questions and quotes -----------------------------------------------------------------
    def ask(self, question: str, top_k: int | None = None) -> Answer:
        question = _clean(question, "问题", self.settings.max_question_chars)
        k = self.settings.top_k if top_k is None else top_k
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= 100:
            raise InputError(f"top_k 必须是 1 到 100 的整数。/ top_k must be an integer from 1 to 100; got {k!r}.")
        hits = self.searcher.search(question, k)
        return Answer(question, answer_text(hits), tuple(hits))

    @property
    def quotes(self):
        if self._quotes is None:
            from .quotes.checker import QuoteChecker

            with self._lock:
                if self._quotes is None:
                    self._quotes = QuoteChecker(self.index.articles, max_chars=self.settings.max_quote_chars)
        return self._quotes

    def verify(self, quote: str):
        if not isinstance(quote, str) or len(quote) <= self.settings.max_quote_chars:
            _clean(quote, "引文", self.settings.max_quote_chars)  # type and encoding; the checker judges the rest
        return self.quotes.check(quote)

    # -- documents ----------------------------------------------------------------------------
    def documents(self) -> list[Article]:
        return list(self.index.articles)

    def document(self, doc_id: str) -> Article:
        for article in self.index.articles:
            if article.doc_id == doc_id:
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
        """Example questions: from questions.jsonl beside the corpus when there is one, else from headings."""
        found: list[str] = []
        for folder in self.settings.corpus_paths:
            qfile = folder / "questions.jsonl" if folder.is_dir() else None
            if qfile and qfile.exists():
                for line in qfile.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        row = json.loads(line)
                        if row.get("kind", "factual") == "factual":
                            found.append(row["question"])
        if not found:
            found = [f"{a.title}讲了什么？" for a in self.index.articles]
        step = max(1, len(found) // n)  # spread over the set rather than the first few, which share a topic
        return found[::step][:n]

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
