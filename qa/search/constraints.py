"""Does a passage agree with what the question names: its years, ordinals, figures and people?

In:  a Question (qa/search/query.py: its Constraints and the kind of answer it asks for), a passage's
     text (and heading), a sentence of it, a short answer's span.
Out: `disagrees(q, facts)`: the passage names years / ordinals / figures of the question's sort, none of
     them the question's (ranking demotes it by `year_penalty`, hybrid.py); `in_passing(q, sentence)`:
     the sentence that answers names other years only, the asked one standing elsewhere in the passage;
     `short_answer_fits(q, text, heading, span)`: whether the reader's span may be given as the short answer.

News from many outlets repeats a topic year after year and person after person: "2023年春节档票房"
and "2024年春节档票房" share every word but the year, and a report on one politician mentions another's
case decades earlier. Embeddings and keyword overlap barely tell them apart; what the question names
literally does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.text import normalize, sentence_spans

from .cues import fits, tagged
from .query import Question, figures_in, ordinals_in, years_in

__all__ = ["Facts", "facts_of", "disagrees", "in_passing", "is_series", "short_answer_fits"]

_CLAUSE_END = re.compile(r"[，,；;：:]")
_SERIES = re.compile(r"[、，,;；/&]")
_CONJUNCTIONS = frozenset(["和", "与", "及", "以及", "跟", "或", "或者", "同"])
_MEASURE_TAIL = re.compile(r"[^0-9.,〇零一二两三四五六七八九十百千万亿多余几\s]+$")


@dataclass(frozen=True)
class Facts:
    """What a passage names, normalised: years, ordinals (31, 任), figures with their measure word."""

    years: frozenset[str]
    ordinals: frozenset[tuple[int, str]]
    numbers: frozenset[str]


def facts_of(text: str) -> Facts:
    norm = normalize(text)
    return Facts(frozenset(years_in(norm)), frozenset(ordinals_in(norm)), frozenset(figures_in(norm)))


def _measure(figure: str) -> str:
    m = _MEASURE_TAIL.search(figure)
    return m.group(0) if m else ""


def disagrees(q: Question, facts: Facts) -> bool:
    """The passage names years, or ordinals of what the question counts (第N任), or figures in the
    question's measure word, and none of them is the question's."""
    c = q.constraints
    if c.years and facts.years and not facts.years & c.years:
        return True
    if c.ordinals:
        asked_units = {unit for _, unit in c.ordinals}
        named = {o for o in facts.ordinals if o[1] in asked_units}
        if named and not named & c.ordinals:
            return True
    if c.numbers:
        units = {_measure(n) for n in c.numbers} - {""}
        named = {n for n in facts.numbers if _measure(n) in units}
        if named and not named & c.numbers:
            return True
    return False


def in_passing(q: Question, sentence: str) -> bool:
    """The answering sentence names years and none of the question's: the passage's mention of the
    asked year is elsewhere, about something else."""
    years = q.constraints.years
    if not years:
        return False
    named = years_in(normalize(sentence))
    return bool(named) and not named & years


def is_series(answer: str) -> bool:
    """Does a span name several items ("光荣和ω-force", "鼓、锣、钹和板")? A list question found no
    enumeration to answer it (qa/search/lists.py) may still be answered by a series inside one sentence;
    never by one item of it."""
    inner = answer.strip()[1:-1]
    if _SERIES.search(inner):
        return True
    # 和/与/及 standing as a word of its own: "光荣和ω-force", not "中华人民共和国" or "和平".
    return any(word in _CONJUNCTIONS and flag in ("c", "p") for word, flag in tagged(answer.strip())[1:-1])


def short_answer_fits(q: Question, text: str, heading: str, span: tuple[int, int]) -> bool:
    """May the reader's span of `text` be the short answer to `q`? Not for a description or a yes/no
    question (the sentence answers them), nor for a list question unless the span is itself a series
    (`is_series`) or the question asks a count (几个, not 哪几个); not when the span is not of the kind asked for (a
    name for 几个, a figure for 谁); not when the passage disagrees with the question's years, ordinals
    or figures, or its answering sentence is about another year; not when the passage (with its
    heading) lacks a person the question names, or the span is only that person."""
    answer = text[span[0] : span[1]]
    # A list question that asks a count (分为几个版本？) may be answered by the count where no list does.
    counted = q.asks == "number" and "哪几" not in q.normalized
    if q.kind in ("description", "yesno") or (q.kind == "list" and not counted and not is_series(answer)):
        return False
    if not fits(answer, q.asks):
        return False
    if disagrees(q, facts_of(text)):
        return False
    start, end = next(((a, b) for a, b in sentence_spans(text) if a <= span[0] < b), span)
    # The clause holding the answer speaks of its own year ("2024年票房达到80亿元，较2023年增长"),
    # else the sentence does.
    cut = _CLAUSE_END.split(text[start : span[0]])[-1] + _CLAUSE_END.split(text[span[0] : end])[0]
    if in_passing(q, cut) or (not years_in(normalize(cut)) and in_passing(q, text[start:end])):
        return False
    names = q.constraints.names
    if names:
        where = normalize(f"{heading} {text}")
        # A name's first two characters stand for it: jieba's person tags also catch "天后庙" (the
        # passage says 天后古庙) and split transliterations ("莱昂德罗" → 莱昂, 德罗).
        if not all(n[:2] in where for n in names) or normalize(answer) in names:
            return False
    return True
