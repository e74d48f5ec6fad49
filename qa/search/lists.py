"""List answers: the enumeration that answers a list question, its items as cards and as quotes.

In:  the Searcher, a question that asks for several items (cues.is_list_question), its hits.
Out: `find_listing` → the Run (qa/search/enumerations.py) that answers it, or None;
     `with_list_cards` → the hits with every passage holding an item (and the lead) as a card, in
     document order, before the other hits; `list_extract` → 回答 (the lead and every item quoted
     verbatim, each with its [n] card marker) and the AnswerItems (text, card, file offsets).

Which list answers: the lists near the question's hits (runs_near: within 40 passages of each) are
scored by how much of the question's wording (IDF-weighted, as evidence coverage) stands in their lead
line, their section heading and their items, plus how high the passages holding them rank. A list must
hold at least MIN_COVERAGE of the question's wording, else the answer is the usual sentences.
"""

from __future__ import annotations

import dataclasses
import math
import re
from difflib import SequenceMatcher

from qa.records import AnswerItem, Hit, Passage
from qa.text import normalize

from .cues import tagged
from .enumerations import Run, cn_number, line_marker, runs_near
from .query import Question
from .series import BULLETS

__all__ = ["find_listing", "with_list_cards", "list_extract", "ListSearch"]

CANDIDATES = 12  # hits whose lists are read
RANK_WEIGHT = 0.3  # a list in the first passage gets this much more than one in a passage far down
MIN_COVERAGE = 0.3
FRAME_WEIGHT = 0.5  # … and this much more for the question's wording in its lead, the item above, its heading
# A list under an item answers when the item holds this share of the question beyond its own list's lead.
SUBLIST_SHARE = 0.15
SENTENCE_SHARE = 0.8  # … and at least this share of the best first-card sentence's (else: that sentence)
_MARKER = re.compile(
    rf"^\s*(?:[{re.escape(BULLETS)}]|\d{{1,2}}[.．、)）]|[a-h][)）]|[（(][一二三四五六七八九十\d]{{1,2}}[)）])\s*"
)
_ASKED_COUNT = re.compile(r"哪([两二三四五六七八九十])")
NOUN_WEIGHT = 1.0  # a list whose lead names what is asked ("哪些亮点" → "有不少亮点") gets this much more
LINK_CHARS = 12  # characters a lead shares with a sentence naming what is asked, to be read as restating it
_NOUN_AFTER = re.compile(
    r"(?:哪些|哪几|几个|包括什么|包含什么|有什么)(?:个|项|种|类|条|点|位|大)?(?P<x>[\u4e00-\u9fff]{1,6}?)(?:呢|吗|\?|？|$|，|,)"
)
# Words any list can be asked by: they name no particular list ("有哪些步骤" is asked of every procedure).
_GENERIC = frozenset(
    [
        "步骤",
        "方面",
        "内容",
        "部分",
        "情形",
        "情况",
        "事项",
        "要点",
        "类型",
        "种类",
        "方法",
        "方式",
        "措施",
        "要求",
        "问题",
        "东西",
        "工作",
        "特点",
        "原因",
        "条件",
        "阶段",
        "环节",
        "流程",
    ]
)
_NOUN_BEFORE = re.compile(r"(?P<x>[\u4e00-\u9fff]{2,4}?)(?:主要|都|分别|具体)?(?:有|包括|包含|分为|是)?(?:哪些|哪几)")


def _coverage(words: list[str], weights: list[float], text: str) -> float:
    folded = normalize(text)
    total = sum(weights) or 1.0
    return sum(w for word, w in zip(words, weights) if word in folded) / total


def asked_count(question: Question) -> int | None:
    """The number of items a question names: 哪两个 → 2, 哪三项 → 3; None where it names none."""
    m = _ASKED_COUNT.search(question.normalized)
    return cn_number(m.group(1)) if m else None


def list_noun(question: Question) -> str | None:
    """What the question asks a list of: "有哪些重点工作" → 重点工作, "分为哪几步" → 步, "亮点有哪些" → 亮点."""
    m = _NOUN_AFTER.search(question.normalized) or _NOUN_BEFORE.search(question.normalized)
    noun = m.group("x") if m else None
    if noun is not None and "的" in noun:
        noun = noun.rsplit("的", 1)[1]  # "会议的议程都有哪些": the regex's four characters are 议的议程
    if noun is None or noun in _GENERIC or len(noun) < 2 or noun[-1] in "有是在的":
        return None
    # "Run中有哪些" is no noun: jieba tags 中 a word of place (f), as it tags 之中, 以上.
    return None if tagged(noun)[0][1] == "f" else noun


def _names(passages, run: Run, noun: str | None, named: list[str]) -> bool:
    """Does the list's lead (or its section heading) name what is asked for, or restate a sentence of the
    ranked passages that names it? A summary says "紧扣一体化和高质量两个关键词抓好重点工作"; the list
    comes later, introduced by "要紧扣一体化和高质量两个关键词，……" and items that do not say 重点工作."""
    if not noun or run.lead is None:
        return False
    p, s, e = run.lead
    lead = normalize(passages[p].text[s:e])
    if noun in lead or noun in normalize(passages[run.items[0][0]].heading):
        return True
    for sentence in named:
        folded = normalize(sentence)
        if folded != lead and _shared(folded, lead) >= LINK_CHARS:
            return True
    return False


def _clauses(text: str, noun: str | None) -> list[str]:
    """The clauses of `text` (split at sentence ends and commas) that name `noun`."""
    if not noun:
        return []
    return [c for c in re.split(r"[。！？!?；;，,\n]", normalize(text)) if noun in c]


def _shared(a: str, b: str) -> int:
    m = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return m.size


def _span_text(passages, span: tuple[int, int, int] | None) -> str:
    if span is None:
        return ""
    p, s, e = span
    return passages[p].text[s:e]


def _frame(passages, run: Run) -> str:
    """What introduces a list: its lead line and its section heading. (Not the item above it: a list
    under "Optimizer->ZeRO1", itself under "Model state", is not what "Model state" introduces.)"""
    heading = passages[run.items[0][0]].heading
    return "\n".join([_span_text(passages, run.lead), heading])


def _run_text(passages, run: Run) -> str:
    # Items marked 第一步/步骤1/Step1 are steps whatever they say: "分为哪几个步骤" asks for them.
    steps = ["步骤"] if run.style == "step" else []
    return "\n".join([_span_text(passages, i) for i in run.items] + [_frame(passages, run)] + steps)


def _bare(text: str) -> str:
    """An item or lead without its marker, spaces and closing colon, folded: to compare one with another."""
    return _MARKER.sub("", normalize(text)).rstrip("：:").strip()


def _under(passages, run: Run, item: tuple[int, int, int]) -> bool:
    """Is `run` a list under `item` (its lead, or the line above its lead, is that item)?"""
    p, s, e = item
    first = run.items[0]
    if (first[0], first[1]) < (p, e):
        return False  # a series inside the item itself ("对其依法履职、秉公用权……"), not under it
    bare = _bare(passages[p].text[s:e])
    for span in (run.lead, run.parent):
        if span is None:
            continue
        if span is run.lead and line_marker(passages[span[0]].text, span[1]) == line_marker(
            passages[first[0]].text, first[1]
        ):
            continue  # "6. 文档编写" before "1. 验证……": the list after a list of the same kind, not under it
        if span[0] == p and s <= span[1] < e:
            return True
        if len(bare) >= 2 and _bare(_span_text(passages, span)) == bare:
            return True
    return False


def _sub_list(passages, best: Run, candidates: list[tuple[Run, float]], words, weights, wanted) -> Run | None:
    """A list under an item of `best` that the question names beyond `best`'s own lead: "项目层面的代码转换
    包含哪几个步骤" names the second of 论文复现's six steps, and asks for the steps listed under it."""
    frame = normalize(_frame(passages, best))
    total = sum(weights) or 1.0
    extras = []
    for item in best.items:
        folded = normalize(_span_text(passages, item))
        extras.append(sum(w for word, w in zip(words, weights) if word in folded and word not in frame) / total)
    named = max(extras, default=0.0)
    if named < SUBLIST_SHARE or extras.count(named) > 1:
        return None  # the question names no one item in particular
    item = best.items[extras.index(named)]
    under = [
        (score, run)
        for run, score in candidates
        if run.items != best.items and _under(passages, run, item) and wanted in (None, len(run.items))
    ]
    if under:
        return max(under, key=lambda u: u[0])[1]
    return None


def find_listing(searcher, question: Question, hits: list[Hit]) -> Run | None:
    """The list that answers `question`, or None (not a list question, or no list is about it)."""
    if not question.listing:
        return None
    passages = searcher.index.passages
    # The lists near the hits (the same search: no second ranking, so a list question costs no more).
    ranked = [h.passage.id for h in hits][:CANDIDATES]
    position = {pid: i for i, pid in enumerate(ranked)}
    words = [w for w in question.content if "哪" not in w and "什么" not in w]  # "哪些方面" asks, names nothing
    n = max(searcher.index.keyword.size, 1)
    dfs = searcher.index.keyword.document_frequency(words) if words else []
    weights = [math.log(1 + (n - df + 0.5) / (df + 0.5)) for df in dfs]
    best, best_score = None, 0.0
    seen: set[tuple] = set()
    noun = list_noun(question)
    if noun and len(noun) > 1:
        # What is asked for counts as one phrase: "重点工作" is not named by a list of 重点领域 that says 工作.
        inside = [noun.find(w) != -1 for w in words]
        weights = [w for w, i in zip(weights, inside) if not i] + [sum(w for w, i in zip(weights, inside) if i) or 1.0]
        words = [w for w, i in zip(words, inside) if not i] + [noun]
    named = [clause for pid in ranked for clause in _clauses(passages[pid].text, noun)]
    # The best sentence of the first cards, as the answer would quote it without a list: a list must be
    # about the question about as much ("哪些领域的成果占比超过90%" is answered inside one sentence).
    sentence = max((_coverage(words, weights, h.highlighted_sentence) for h in hits[:3]), default=0.0)
    wanted = asked_count(question)
    candidates: list[tuple[Run, float]] = []
    for pid in ranked:
        for run in runs_near(passages, pid):
            if run.items in seen:
                continue
            seen.add(run.items)
            if run.style == "series" and passages[run.items[0][0]].doc_id != passages[ranked[0]].doc_id:
                continue  # a series inside a sentence answers only from the document the ranking puts first
            coverage = _coverage(words, weights, _run_text(passages, run))
            names = _names(passages, run, noun, named)
            candidates.append((run, coverage + NOUN_WEIGHT * names))
            if not names and (coverage < MIN_COVERAGE or coverage < SENTENCE_SHARE * sentence):
                continue
            if wanted is not None and wanted != len(run.items):
                continue  # "哪两个关键词" is not answered by a list of four
            span = {p for p, _, _ in run.items} | ({run.lead[0]} if run.lead else set())
            near = min((position[p] for p in span if p in position), default=len(ranked))
            framed = FRAME_WEIGHT * _coverage(words, weights, _frame(passages, run))
            score = coverage + framed + RANK_WEIGHT * (1 - near / len(ranked)) + NOUN_WEIGHT * names
            if score > best_score:
                best, best_score = run, score
    for _ in range(2):  # a list under an item of a list under an item
        sub = best and _sub_list(passages, best, candidates, words, weights, wanted)
        if not sub:
            break
        best = sub
    return best


def with_list_cards(searcher, run: Run | None, hits: list[Hit], top_k: int) -> list[Hit]:
    """`hits` with the passages of `run` (lead and items) first, in document order, then the other
    hits: every item is quoted from a card of its own passage."""
    if run is None:
        return hits
    by_pid = {h.passage.id: h for h in hits}
    pids = sorted({p for p, _, _ in run.items} | ({run.lead[0]} if run.lead else set()))
    # Each card's highlight is the first item it holds (the lead on a card holding only the lead).
    spans = list(run.items) + ([run.lead] if run.lead else [])
    first: dict[int, tuple[int, int]] = {}
    for p, s, e in spans:
        first.setdefault(p, (s, e))
    cards = [
        dataclasses.replace(by_pid.get(p) or _card(searcher.index.passages[p], hits), highlight=first[p]) for p in pids
    ]
    rest = [h for h in hits if h.passage.id not in pids]
    out = cards + rest[: max(0, top_k - len(cards))]
    return [dataclasses.replace(h, rank=i, answer_span=None) for i, h in enumerate(out, start=1)]


def _card(passage: Passage, hits: list[Hit]) -> Hit:
    """A card for a passage holding an item that the search did not return."""
    score = min((h.score for h in hits), default=0.0)
    return Hit(0, score, passage, (0, len(passage.text)), None, None, passage.also_in)


def list_extract(run: Run, hits: list[Hit]) -> tuple[str, tuple[tuple[int, int, int], ...], tuple[AnswerItem, ...]]:
    """回答 for a list (the lead, then one item a line, each with its card marker), the (card, start,
    end) of each quote, and the items. An item whose passage is not among the cards (its citation did
    not hold in its file and was withheld) is left out."""
    card = {h.passage.id: h for h in hits}
    lines, sources, items = [], [], []
    if run.lead is not None and run.lead[0] in card:
        p, s, e = run.lead
        hit = card[p]
        lines.append(f"{hit.passage.text[s:e]}[{hit.rank}]")
        sources.append((hit.rank, s, e))
    for p, s, e in run.items:
        hit = card.get(p)
        if hit is None:
            continue
        text = hit.passage.text[s:e]
        lines.append(f"{text}[{hit.rank}]")
        sources.append((hit.rank, s, e))
        pieces = hit.passage.file_spans(s, e)
        items.append(AnswerItem(text, hit.rank, (s, e), pieces))
    return "\n".join(lines), tuple(sources), tuple(items)


class ListSearch:
    """A search (a callable giving hits) that, for a list question, finds the list that answers and
    makes its passages cards; `run` is that list afterwards (None: no list answers). The service calls
    it where it calls a search, so the cards' citations are checked against their files as any hit's."""

    def __init__(self, searcher, question: Question, search, top_k: int):
        self.searcher, self.question, self.search, self.top_k = searcher, question, search, top_k
        self.run: Run | None = None

    def __call__(self) -> list[Hit]:
        hits = self.search()
        self.run = find_listing(self.searcher, self.question, hits)
        return with_list_cards(self.searcher, self.run, hits, self.top_k)
