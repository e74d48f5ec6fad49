"""Small typed records that flow through qa: passages, hits, answers. Each carries its citation."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

__all__ = [
    "TITLE_PARAGRAPH",
    "paragraph_label",
    "location_label",
    "Spanned",
    "Citation",
    "Copy",
    "Passage",
    "Paragraph",
    "Article",
    "Evidence",
    "Hit",
    "Answer",
    "AnswerItem",
    "ShortAnswer",
    "QuoteMatch",
    "QuotePart",
    "QuoteCheck",
]


TITLE_PARAGRAPH = 0  # a quotation of an article's headline is cited as its paragraph 0


def paragraph_label(number: int) -> str:
    """第N段, or 标题 for the headline."""
    return "标题" if number == TITLE_PARAGRAPH else f"第{number}段"


def _span(first: int, last: int | None) -> str:
    """3, or 3–5 where a span runs on to a later number."""
    return f"{first}–{last}" if last is not None and last != first else f"{first}"


def location_label(
    fmt: str,
    page: int | None,
    sheet: str | None,
    row: int | None,
    page_end: int | None = None,
    row_end: int | None = None,
) -> str:
    """Where in the document: 第N页 (PDF), 第N张幻灯片 (PPTX), 工作表·第N行 (XLSX), else "";
    第N–M页 … where a passage runs on (`page_end`, `row_end`)."""
    if sheet is not None:
        return f"{sheet}·第{_span(row, row_end)}行"
    if page is None:
        return ""
    return f"第{_span(page, page_end)}张幻灯片" if fmt == "pptx" else f"第{_span(page, page_end)}页"


@dataclass(frozen=True)
class Citation:
    """Where a piece of text stands: enough to open the file and read it back."""

    doc_id: str
    file: str  # path relative to the checkout, or absolute for files outside it
    title: str
    source: str | None
    date: str | None
    paragraph: int  # 1-based paragraph number inside the article; 0 = its headline (quotations only)
    start: int  # character offsets into the decoded file, or into the text extracted from it (PDF, DOCX …)
    end: int
    page: int | None = None  # PDF page or PPTX slide, 1-based; None for formats without pages
    sheet: str | None = None  # XLSX: the worksheet …
    row: int | None = None  # … and its 1-based row
    format: str = "txt"  # the reader that read the file: txt md pdf docx pptx xlsx html
    # Where a passage spans more than one page, row or paragraph, the last one; None where it does not.
    page_end: int | None = None
    row_end: int | None = None
    paragraph_end: int | None = None

    def location_label(self) -> str:
        """第N页 / 第N张幻灯片 / 工作表·第N行 (第N–M页 … over several), or "" where a format has no such place."""
        return location_label(self.format, self.page, self.sheet, self.row, self.page_end, self.row_end)

    def place(self) -> str:
        """The place a person cites: the page, slide or row where a format has them, else the paragraph
        (第N段, 第N–M段 over several; 标题 for the headline)."""
        if where := self.location_label():
            return where
        if self.paragraph == TITLE_PARAGRAPH:
            return paragraph_label(TITLE_PARAGRAPH)
        return f"第{_span(self.paragraph, self.paragraph_end)}段"

    def label(self) -> str:
        """The human citation, the one every surface prints (CLI, JSON `citation`, page, widget):
        《标题》第2页, 《标题》第3–5段, or with source and date 《标题》（晨报，2020-06-06，第5段）.
        The exact file span (`file`, `start`, `end`) is given beside it where a surface offers it."""
        title = f"《{self.title or self.doc_id}》"
        about = [x for x in (self.source, self.date) if x]
        return f"{title}（{'，'.join([*about, self.place()])}）" if about else f"{title}{self.place()}"

    def span_label(self) -> str:
        """The exact place in the file: file:start-end."""
        return f"{self.file}:{self.start}-{self.end}"

    def to_dict(self) -> dict:
        """Every key for every format: `page`, `sheet` and `row` are null where a format has no such place."""
        return asdict(self)


_PLACE_KEYS = ("page", "sheet", "row", "format")  # where a citation stands beyond its offsets


@dataclass(frozen=True)
class Copy(Citation):
    """Another place where a passage's text is printed, and how similar it is over the whole passage
    (1.0: the same text after normalisation; a near copy is at least 0.95)."""

    similarity: float = 1.0

    @classmethod
    def of(cls, citation: Citation, similarity: float) -> Copy:
        return cls(**{k: getattr(citation, k) for k in Citation.__dataclass_fields__}, similarity=similarity)


@dataclass(frozen=True)
class Passage:
    """A retrievable unit: part of one repaired paragraph, with its exact location.

    `pieces` are the file spans whose concatenation is `text`; there is more than one only where a
    page break was repaired (the text around a page-break artefact is joined).
    """

    id: int
    citation: Citation
    text: str
    heading: str = ""
    pieces: tuple[tuple[int, int], ...] = ()
    context: str = ""  # the article's lead sentence: who, what, where, when for every passage of it
    also_in: tuple[Copy, ...] = ()  # other places where the same text is printed
    duplicate_of: int | None = None  # id of the canonical passage when this one repeats it

    @property
    def doc_id(self) -> str:
        return self.citation.doc_id

    def file_spans(self, start: int, end: int) -> tuple[tuple[int, int], ...]:
        """The file spans holding text[start:end]: one, or several where it crosses a piece boundary."""
        pieces = self.pieces or ((self.citation.start, self.citation.end),)
        out, at = [], 0
        for a, b in pieces:
            lo, hi = max(start, at), min(end, at + (b - a))
            if lo < hi:
                out.append((a + lo - at, a + hi - at))
            at += b - a
        return tuple(out)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            **self.citation.to_dict(),
            "text": self.text,
            "heading": self.heading,
            "context": self.context,
            "pieces": [list(p) for p in self.pieces],
            "also_in": [c.to_dict() for c in self.also_in],
            "duplicate_of": self.duplicate_of,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Passage:
        cite = Citation(**{k: d[k] for k in Citation.__dataclass_fields__ if k in d})
        return cls(
            id=d["id"],
            citation=cite,
            text=d["text"],
            heading=d.get("heading", ""),
            context=d.get("context", ""),
            pieces=tuple(tuple(p) for p in d.get("pieces", ())),
            also_in=tuple(Copy(**c) for c in d.get("also_in", ())),
            duplicate_of=d.get("duplicate_of"),
        )


class Spanned:
    """Something made of file spans (`pieces`): its start is the first span's, its end the last's."""

    pieces: tuple[tuple[int, int], ...] | list[tuple[int, int]]

    @property
    def start(self) -> int:
        return self.pieces[0][0]

    @property
    def end(self) -> int:
        return self.pieces[-1][1]


@dataclass(frozen=True)
class Paragraph(Spanned):
    """A numbered, repaired paragraph of an article; `pieces` are its file spans (see Passage)."""

    number: int  # 1-based inside the article
    kind: str  # body heading line list meta caption row record (| title: the headline, for quotations only)
    text: str
    pieces: tuple[tuple[int, int], ...]
    page: int | None = None  # where it stands in a paged document (see Citation)
    sheet: str | None = None
    row: int | None = None

    def to_dict(self) -> dict:
        return {
            "paragraph": self.number,
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "pieces": [list(p) for p in self.pieces],
            "page": self.page,
            "sheet": self.sheet,
            "row": self.row,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Paragraph:
        return cls(
            d["paragraph"],
            d["kind"],
            d["text"],
            tuple(tuple(p) for p in d["pieces"]),
            d.get("page"),
            d.get("sheet"),
            d.get("row"),
        )


@dataclass(frozen=True)
class Article:
    """One article of a file: its title, metadata and numbered paragraphs (for reading in context)."""

    doc_id: str
    file: str
    title: str
    source: str | None
    date: str | None
    paragraphs: tuple[Paragraph, ...]
    title_pieces: tuple[tuple[int, int], ...] = ()  # where the headline stands in the file, if it does
    format: str = "txt"  # the reader that read the file (see Citation.format)

    def citation(self, paragraph: int, start: int, end: int, last: int | None = None) -> Citation:
        """Where text from `paragraph` (to paragraph `last`, for a passage of several) stands."""
        # The headline (paragraph 0) stands where the first paragraph does, on the first page.
        para = self.paragraphs[max(paragraph, 1) - 1] if self.paragraphs else None
        page, sheet, row = (para.page, para.sheet, para.row) if para else (None, None, None)
        if paragraph == TITLE_PARAGRAPH and page is not None:
            page = 1
        spans = {}
        if last is not None and last > paragraph and self.paragraphs:
            end_para = self.paragraphs[last - 1]
            spans = {
                "paragraph_end": last,
                "page_end": end_para.page if end_para.page != page else None,
                "row_end": end_para.row if end_para.row != row else None,
            }
        return Citation(
            self.doc_id,
            self.file,
            self.title,
            self.source,
            self.date,
            paragraph,
            start,
            end,
            page,
            sheet,
            row,
            self.format,
            **spans,
        )

    def citation_at(self, start: int, end: int) -> Citation | None:
        """Where the text at file offsets start–end stands: the paragraph (and so the page, slide or row)
        holding `start`. A passage can run over pages; a sentence inside it is cited on its own page.
        None where no paragraph holds `start` (the headline, a dateline)."""
        for para in self.paragraphs:
            if any(a <= start < b for a, b in para.pieces):
                return self.citation(para.number, start, end)
        return None

    def quotable(self) -> tuple[Paragraph, ...]:
        """Everything a quotation can come from: the headline (as paragraph 0) and the paragraphs.
        Headlines are not retrieved as passages, but people do quote them."""
        if not self.title_pieces:
            return self.paragraphs
        return (Paragraph(TITLE_PARAGRAPH, "title", self.title, self.title_pieces),) + self.paragraphs

    def to_dict(self) -> dict:
        return {
            "doc_id": self.doc_id,
            "file": self.file,
            "title": self.title,
            "source": self.source,
            "date": self.date,
            "title_pieces": [list(p) for p in self.title_pieces],
            "format": self.format,
            "paragraphs": [p.to_dict() for p in self.paragraphs],
        }

    @classmethod
    def from_dict(cls, d: dict) -> Article:
        return cls(
            doc_id=d["doc_id"],
            file=d["file"],
            title=d["title"],
            source=d.get("source"),
            date=d.get("date"),
            paragraphs=tuple(Paragraph.from_dict(p) for p in d["paragraphs"]),
            title_pieces=tuple(tuple(p) for p in d.get("title_pieces", ())),
            format=d.get("format", "txt"),
        )


@dataclass(frozen=True)
class Evidence:
    """How well a hit's highlighted sentence answers the question (qa/search/evidence.py)."""

    score: float  # the weighted sum of the parts below, added to the fused score when reranking
    dense: float  # cosine of the question to the sentence's own vector
    coverage: float  # share (IDF-weighted) of the question's content words inside the sentence
    cue: bool  # the sentence offers the kind of item the question asks for (a person, number …)


@dataclass(frozen=True)
class Hit:
    """A passage retrieved for a question, with how each retriever ranked it."""

    rank: int
    score: float
    passage: Passage
    highlight: tuple[int, int]  # best-matching sentence, offsets inside passage.text
    dense_rank: int | None
    keyword_rank: int | None
    also_in: tuple[Copy, ...] = ()
    evidence: Evidence | None = None  # how well the highlighted sentence answers; None where not measured
    # The answer reader's short answer inside passage.text, on the card it is quoted from; None elsewhere.
    answer_span: tuple[int, int] | None = None
    answer_score: float | None = None  # the reader's probability that this passage answers; None: not read
    # Where the highlighted sentence stands (its own page and paragraph, qa/places.py); None: not placed,
    # the card's citation stands for it.
    sentence: Citation | None = None

    @property
    def citation(self) -> Citation:
        return self.passage.citation

    @property
    def sentence_citation(self) -> Citation:
        """The highlighted sentence's citation, or the card's where it was not placed."""
        return self.sentence or self.citation

    @property
    def highlighted_sentence(self) -> str:
        s, e = self.highlight
        return self.passage.text[s:e]

    def to_dict(self) -> dict:
        return {
            "rank": self.rank,
            "score": round(float(self.score), 6),
            **self.citation.to_dict(),
            "text": self.passage.text,
            # The spans whose text this is, so a script can check any citation from the hit alone.
            "pieces": [list(p) for p in self.passage.pieces or ((self.citation.start, self.citation.end),)],
            # The human citation (one builder: Citation.label), of the card and of its highlighted sentence.
            "citation": self.citation.label(),
            "highlight": {
                "start": self.highlight[0],
                "end": self.highlight[1],
                "paragraph": self.sentence_citation.paragraph,
                "page": self.sentence_citation.page,
                "citation": self.sentence_citation.label(),
            },
            "dense_rank": self.dense_rank,
            "keyword_rank": self.keyword_rank,
            "also_in": [{**c.to_dict(), "citation": c.label()} for c in self.also_in],
            **({} if self.answer_score is None else {"answer_score": round(float(self.answer_score), 4)}),
            **(
                {}
                if self.answer_span is None
                else {"answer_span": {"start": self.answer_span[0], "end": self.answer_span[1]}}
            ),
        }


@dataclass(frozen=True)
class AnswerItem(Spanned):
    """A quoted piece of an answer: one item of a list answer (qa/search/lists.py), or the reader's
    short answer (ShortAnswer). Its text as the card has it, the card it is quoted from, its span inside
    that card's text and its file spans (`start`/`end`: the first piece's start and the last piece's end)."""

    text: str
    card: int  # the hit's rank
    span: tuple[int, int]  # inside that hit's passage text (a list item's also in answer_from)
    pieces: tuple[tuple[int, int], ...]  # its file spans (more than one where it crosses a page break)
    citation: Citation | None = None  # where it stands (its own page, qa/places.py); None: not placed

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "card": self.card,
            "start": self.start,
            "end": self.end,
            "pieces": [list(p) for p in self.pieces],
            "citation": None if self.citation is None else self.citation.label(),
        }


@dataclass(frozen=True)
class ShortAnswer(AnswerItem):
    """The answer reader's exact answer, with the reader's probability that its card answers."""

    score: float = field(default=0.0, kw_only=True)

    def to_dict(self) -> dict:
        d = super().to_dict()
        return {
            **{k: v for k, v in d.items() if k != "citation"},
            "score": round(float(self.score), 4),
            "citation": d["citation"],
        }


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    hits: tuple[Hit, ...] = field(default_factory=tuple)
    search_query: str | None = None  # what was searched, for a question asked in a conversation
    # Which card each sentence of `answer` is quoted from: (rank, start, end) inside that hit's text.
    answer_from: tuple[tuple[int, int, int], ...] = ()
    answered: bool = True  # False: no passage answers the question (the hits are the closest ones)
    short_answer: ShortAnswer | None = None  # the reader's exact answer, where it found one
    answer_items: tuple[AnswerItem, ...] = ()  # a list answer's items, in order; () for other answers

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            **({} if self.search_query is None else {"search_query": self.search_query}),
            "answer": self.answer,
            "answered": self.answered,
            "answer_from": [{"rank": r, "start": s, "end": e} for r, s, e in self.answer_from],
            "short_answer": None if self.short_answer is None else self.short_answer.to_dict(),
            "answer_items": [i.to_dict() for i in self.answer_items],
            "hits": [h.to_dict() for h in self.hits],
        }


@dataclass(frozen=True)
class QuoteMatch:
    """One place a quote (or part of it) is found, with what differs."""

    citation: Citation
    source_text: str
    similarity: float
    normalizations: list[str] = field(default_factory=list)
    diff: list[dict] = field(default_factory=list)  # [{"op", "quote", "source"}]
    flags: list[dict] = field(default_factory=list)  # [{"kind", "quote", "source"}]

    def to_dict(self) -> dict:
        c = self.citation
        # Where the match stands, in every format (page, sheet and row null where a format has none).
        where = {k: getattr(c, k) for k in _PLACE_KEYS}
        return {
            "doc_id": c.doc_id,
            "file": c.file,
            "title": c.title,
            "paragraph": c.paragraph,
            "start": c.start,
            "end": c.end,
            **where,
            "citation": c.label(),
            "source_text": self.source_text,
            "similarity": round(float(self.similarity), 4),
            "normalizations": list(self.normalizations),
            "diff": [dict(d) for d in self.diff],
            "flags": [dict(f) for f in self.flags],
        }


@dataclass(frozen=True)
class QuotePart:
    """A piece of a spliced quote and where it is found."""

    quote: str
    verdict: str
    matches: list[QuoteMatch] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"quote": self.quote, "verdict": self.verdict, "matches": [m.to_dict() for m in self.matches]}


@dataclass(frozen=True)
class QuoteCheck:
    """The verdict on a quote. `matches`: every place for exact/normalized (up to 20), the closest
    place(s) for altered, the best place of each part for spliced, the nearest candidates for
    not_found. `parts` is filled for spliced quotes, and for an exact/normalized quote that runs on
    across paragraph breaks (one part and one match per paragraph)."""

    quote: str
    verdict: str  # exact | normalized | altered | spliced | not_found
    matches: list[QuoteMatch] = field(default_factory=list)
    parts: list[QuotePart] = field(default_factory=list)
    message: str = ""

    def to_dict(self) -> dict:
        return {
            "quote": self.quote,
            "verdict": self.verdict,
            "matches": [m.to_dict() for m in self.matches],
            "parts": [p.to_dict() for p in self.parts],
            "message": self.message,
        }
