"""A question in its conversation → what is searched, and the hits (the service's entry point).

In:  the Searcher, the question, the earlier Turns (oldest first), top_k.
Out: a ResolvedTurn: the FollowUp (kind, search_query) and, for ordinal follow-ups, the passage that
     continues the previous answer's list; `hits(searcher, k)` searches and puts that passage first.

Every earlier question is resolved in turn (pure text rules, no search), so "那第三项呢？" after
"第二点是什么？" after "第一项重点工作是什么？" reads the whole chain. Only an ordinal follow-up
searches the past: the last turn that was not an ordinal is searched once, and the list is followed
from its top passage through the ordinal turns after it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from qa.records import Hit
from qa.search.hybrid import Ranked, Searcher
from qa.search.lists import find_listing
from qa.search.query import Question, analyse
from qa.text import sentence_spans

from .enumeration import continue_enumeration, item_number
from .followup import LAST, NEXT, FollowUp, mentioned_ordinal, resolve
from .history import Turn, turns_from_history

__all__ = ["ResolvedTurn", "resolve_turn", "resolve_history"]


@dataclass(frozen=True)
class ResolvedTurn:
    followup: FollowUp
    pinned: int | None = None  # passage id put first (an ordinal follow-up's list item)
    pinned_span: tuple[int, int] | None = None  # the item inside it, where the list answer gave it
    question: Question | None = None  # the resolved question, analysed once (qa/search/query.py)
    focus: Question | None = None  # the follow-up's own words, analysed once, where it has some

    def __post_init__(self):
        if self.question is None:
            object.__setattr__(self, "question", analyse(self.followup.question, resolved=self.followup.search_query))
        if self.focus is None and self.followup.focus:
            object.__setattr__(self, "focus", analyse(self.followup.focus))

    @property
    def search_query(self) -> str:
        return self.followup.search_query

    def ranked(self, searcher: Searcher, top_k: int) -> tuple[list[Ranked], str]:
        """Passages best first. A follow-up with words of its own (focus) is also searched alone, and
        the two fused scores added, the contextual one at the setting followup_context_weight: the previous question's
        words help find the topic but do not outvote what the follow-up asks for. The answer reader then
        reads the candidates once, with the rewritten question, where that is a question of its own
        (standalone, or the previous one with a word swapped); not a pinned list item: it is the answer.
        Also gives the Chinese terms added to the rewritten question's keyword query."""
        n = max(top_k, searcher.settings.candidates)
        full, added = searcher.rank_with_terms(self.question, k=n, read=False)
        if self.focus is not None:
            weight = searcher.settings.followup_context_weight
            score = {r.pid: weight * r.score for r in full}
            by_pid = {r.pid: r for r in full}
            for r in searcher.rank(self.focus, k=n, read=False):
                score[r.pid] = score.get(r.pid, 0.0) + r.score
                by_pid.setdefault(r.pid, r)
            full = [
                dataclasses.replace(by_pid[pid], score=score[pid])
                for pid in sorted(score, key=lambda pid: (-score[pid], pid))
            ]
        if self.pinned is not None:
            top = full[0].score if full else 1.0
            pinned = next((r for r in full if r.pid == self.pinned), Ranked(self.pinned, top, None, None))
            full = [dataclasses.replace(pinned, score=max(top, pinned.score))] + [
                r for r in full if r.pid != self.pinned
            ]
        elif self.focus is None and searcher.reads(self.question):
            # Read only a rewritten question that is a question: "浙江 李强表示上海将……发挥什么作用？"
            # (那浙江呢？ with the previous question behind it) asks about Shanghai, and reading it cost a
            # seed follow-up its first place (bench: qa eval seeds/followup_questions.jsonl).
            full = searcher.read(self.question, full)
        return full[:top_k], added

    def hits(self, searcher: Searcher, top_k: int) -> list[Hit]:
        passages = searcher.index.passages
        ranked, added = self.ranked(searcher, top_k)
        # The follow-up's own words help pick a sentence too ("他……" names whom the question means).
        plain = searcher.highlighter(self.question, added, also=self.followup.question)

        def highlight(r: Ranked) -> tuple[int, int]:
            # The list item asked for is the sentence to show (第二，加大科技攻关力度。), not the one
            # sharing the most words with the rewritten question.
            if r.pid == self.pinned and self.pinned_span is not None:
                return self.pinned_span
            if r.pid == self.pinned and (span := _item_sentence(passages[r.pid].text, self.followup.position)):
                return span
            return plain(r)

        # A pinned list item is the answer itself: no reader marks on it.
        return searcher.hits(self.question, ranked, highlight, reader_marks=self.pinned is None)


def _item_sentence(text: str, position: int | None) -> tuple[int, int] | None:
    """The sentence of `text` that opens list item `position` (any item for NEXT), or None."""
    for s, e in sentence_spans(text):
        numbers = [n for n, _ in item_number(text[s:e])]
        if numbers and (position in numbers or position == NEXT):
            return s, e
    return None


def _root(searcher: Searcher, pid: int) -> int:
    dup = searcher.index.passages[pid].duplicate_of
    return pid if dup is None else dup


def _list_anchor(searcher: Searcher, query: str, depth: int = 5) -> int | None:
    """The passage a list is followed from. Among the query's first `depth` hits, the first that opens
    the item the query names ("第一项…" → a passage holding 第一，; "一是…" → 一是), or whose next
    passage does (the top hit often names the list, "紧扣…两个关键词抓好重点工作", and the items
    follow it); else the first hit holding any item; else the top hit."""
    passages = searcher.index.passages
    ranked = [r.pid for r in searcher.rank(query, k=depth)]
    if not ranked:
        return None
    named = mentioned_ordinal(query)
    for wanted in [named, (named[0], None)] if named else []:  # the item as the query writes it, then any
        for pid in ranked:
            for candidate in (pid, pid + 1):
                if candidate < len(passages) and passages[candidate].doc_id == passages[pid].doc_id:
                    items = item_number(passages[candidate].text)
                    if any(n == wanted[0] and wanted[1] in (None, style) for n, style in items):
                        return candidate
    return next((pid for pid in ranked if item_number(passages[pid].text)), ranked[0])


def _listed_item(searcher: Searcher, query: str, positions: list[int | None]) -> tuple[int, int, int] | None:
    """The item an ordinal follow-up asks for, from the list the list question `query` was answered
    with (qa/search/lists.py: the same list, found the same way): (passage id, start, end), or None
    when no list answered it, the list is shorter, or the first follow-up asks for "the next" one."""
    asked = analyse(query)  # the earlier list question, analysed once here
    if not asked.listing:
        return None
    run = find_listing(searcher, asked, searcher.search(asked, searcher.settings.top_k))
    at = None
    for position in positions:
        if position is None or (position == NEXT and at is None) or run is None:
            return None
        at = at + 1 if position == NEXT else len(run.items) - 1 if position == LAST else position - 1
    if run is None or at is None or not 0 <= at < len(run.items):
        return None
    return run.items[at]


def resolve_turn(searcher: Searcher, question: str, history: tuple[Turn, ...]) -> ResolvedTurn:
    chain: list[FollowUp] = []
    previous = None
    for turn in (*history, Turn(question)):
        chain.append(resolve(turn.question, previous))
        previous = chain[-1].search_query
    last = chain[-1]
    if last.kind != "ordinal":
        return ResolvedTurn(last)
    start = len(chain) - 1
    while start > 0 and chain[start].kind == "ordinal":
        start -= 1
    if chain[start].kind == "ordinal":  # an ordinal as the very first question: no list to follow
        return ResolvedTurn(last)
    item = _listed_item(searcher, chain[start].search_query, [step.position for step in chain[start + 1 :]])
    if item is not None:
        return ResolvedTurn(last, item[0], (item[1], item[2]))
    anchor = _list_anchor(searcher, chain[start].search_query)
    if anchor is None:
        return ResolvedTurn(last)
    for step in chain[start + 1 :]:
        if step.position == LAST:  # only a list answer knows its last item
            return ResolvedTurn(last)
        found = continue_enumeration(searcher.index.passages, anchor, step.position)
        if found is None:
            return ResolvedTurn(last)
        anchor = _root(searcher, found)
    return ResolvedTurn(last, anchor)


def resolve_history(searcher: Searcher, question: str, history, settings) -> ResolvedTurn:
    """QAService's entry: `history` as the API gives it (or Turns), checked and trimmed, then resolved."""
    turns = turns_from_history(history, settings.max_history_turns, settings.max_question_chars)
    return resolve_turn(searcher, question, turns)
