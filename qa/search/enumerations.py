"""Enumerations in text: where list items open, and runs of them gathered across passages.

In:  a passage text (`openings`, `inline_series`); the index's passages and a passage id (`runs_near`).
Out: Openings (style, number, span of the item's head inside the text) and Runs: the items of one
     list in document order, each a (passage id, start, end), with the lead line that introduces it.

Forms recognised:
    di        第一，… 第二，…            (at a text start or after a sentence end, a colon or a line break)
    shi       一是… 二是…                (the same places)
    paren     （一）…（二）…  (1) (2) …   ①②…  第一步/步骤1
    num       1. 2. / 1、2、 / 1) …       (at the start of a line)
    bullet    - • ● ▪ ◦ * … lines         (one glyph a list: nested bullets use another glyph)
    inline    a series after a colon in one sentence ("分为三步：A，B，C"), as many parts as a count
              before the colon names, else three or more parts split by 、 or ；
An item's head is its opening sentence (di, shi, paren) or its line (num, bullet): what an answer quotes.
A run follows the items of one style with consecutive numbers through the passages of one document, in
order, over passages that continue an item without opening one (an item a long paragraph), so a list whose
items stand one a paragraph, or across pages, is read whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from qa.records import Passage

__all__ = ["Opening", "Run", "openings", "inline_series", "runs_near", "cn_number"]

_CN = "一二三四五六七八九十"
_CN_NUM = rf"[{_CN}]|十[{_CN}]"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_BULLETS = "-•·●○◦▪■□◆◇*–▶►✓➢"
_SENTENCE_END = "。！？!?；;"
# Inline items (第一，/一是/（一）) open at a text start or after a sentence end, colon or line break.
_INLINE_AT = r"(?:^|(?<=[\n。！？!?；;：:]))[ \t\u3000]*"
_LINE_AT = r"(?:^|(?<=\n))[ \t\u3000]*"
_PATTERNS = (
    ("di", re.compile(_INLINE_AT + rf"第(?P<n>{_CN_NUM}|[1-9]\d?)(?:项|点|条|个|部分|方面)?[，,、：:．.]")),
    (
        "step",
        re.compile(_INLINE_AT + rf"(?:第(?P<n>{_CN_NUM}|[1-9]\d?)步|步骤\s*(?P<m>{_CN_NUM}|[1-9]\d?))[：:，,、.．]?"),
    ),
    ("shi", re.compile(_INLINE_AT + rf"(?P<n>{_CN_NUM})是(?![的否不])")),
    ("paren", re.compile(_INLINE_AT + rf"[（(](?P<n>{_CN_NUM})[）)]")),
    ("pnum", re.compile(_INLINE_AT + r"[（(](?P<n>[1-9]\d?)[）)]")),
    ("circled", re.compile(_INLINE_AT + rf"(?P<c>[{_CIRCLED}])")),
    ("num", re.compile(_LINE_AT + r"(?P<n>[1-9]\d?)(?:[.．](?![\d.])|[、)）])")),
    ("bullet", re.compile(_LINE_AT + rf"(?P<b>[{re.escape(_BULLETS)}])(?=[ \t\u3000]*\S)")),
)
_LINE_STYLES = ("num", "bullet")  # a line-start item's head is its line; the others' their sentence
# A count before a colon: "分为三步：" "包括以下两个方面：" "有4点："
_COUNT = re.compile(
    rf"(?P<n>[两{_CN}]|十[{_CN}]|[2-9]|1\d)\s*(?:个|大|项|种|类|条|点|步|部分|方面|阶段|环节|层面|方式)"
)
_SERIES_SPLIT = re.compile(r"[，,、；;]")
_SERIES_ONLY = re.compile(r"[、；;]")
MAX_GAP = 2  # passages continuing an item without opening one, before a run is read as ended
WINDOW = 40  # passages read either side of the one a run is looked for from


def cn_number(word: str) -> int | None:
    """一 → 1, 十二 → 12, 两 → 2, "7" → 7; None for anything else."""
    if word.isdigit():
        return int(word)
    if word == "两":
        return 2
    if word == "十":
        return 10
    if len(word) == 2 and word[0] == "十" and word[1] in _CN:
        return 10 + _CN.index(word[1]) + 1
    return _CN.index(word) + 1 if len(word) == 1 and word in _CN else None


@dataclass(frozen=True)
class Opening:
    style: str  # di step shi paren pnum circled num bullet:<glyph> inline
    number: int  # 1-based; a bullet's is its place among the bullets of its text
    start: int  # the item's head inside the text: from its marker …
    end: int  # … to its sentence end or line end (punctuation and spaces at the end left out)


@dataclass(frozen=True)
class Run:
    items: tuple[tuple[int, int, int], ...]  # (passage id, start, end) of each item's head
    lead: tuple[int, int, int] | None  # the sentence or line introducing the list
    style: str
    count: int | None = None  # the number of items the lead names ("三步"), if it names one


def _head_end(text: str, start: int, line: bool, stop: int) -> int:
    """Where an item's head ends: its line's end (line styles) or its first sentence end."""
    end = stop
    newline = text.find("\n", start, stop)
    if newline != -1:
        end = newline
    if not line:
        for i in range(start, end):
            if text[i] in _SENTENCE_END:
                end = i
                break
    while end > start and (text[end - 1].isspace() or text[end - 1] in "，,、：:"):
        end -= 1
    return end


@lru_cache(maxsize=8192)
def openings(text: str) -> tuple[Opening, ...]:
    """The list items opened in `text`, in order (an item's head never runs into the next item)."""
    found: list[tuple[int, int, str, int]] = []  # (marker start, marker end, style, number)
    bullets: dict[str, int] = {}
    taken: set[int] = set()
    for style, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            at = m.start() + len(m.group(0)) - len(m.group(0).lstrip(" \t\u3000"))
            if at in taken:
                continue
            if style == "bullet":
                glyph = m.group("b")
                bullets[glyph] = bullets.get(glyph, 0) + 1
                found.append((at, m.end(), f"bullet:{glyph}", bullets[glyph]))
            elif style == "circled":
                found.append((at, m.end(), style, _CIRCLED.index(m.group("c")) + 1))
            else:
                n = cn_number(m.group("n") or m.groupdict().get("m") or "")
                if n is None:
                    continue
                found.append((at, m.end(), style, n))
            taken.add(at)
    found.sort()
    out = []
    for i, (at, _, style, n) in enumerate(found):
        stop = found[i + 1][0] if i + 1 < len(found) else len(text)
        line = style in _LINE_STYLES or style.startswith("bullet")
        end = _head_end(text, at, line, stop)
        if end > at:
            out.append(Opening(style, n, at, end))
    return tuple(out)


@lru_cache(maxsize=8192)
def inline_series(text: str) -> list[tuple[tuple[int, int], list[Opening], int | None]]:
    """Series after a colon inside one sentence: [(lead span, items, count named or None)].
    "PaDiff主要分为三步：实例化模型，复制参数，自动计算Diff" → lead "PaDiff主要分为三步", three items."""
    out = []
    for line_start, line in _lines(text):
        for colon in re.finditer(r"[：:]", line):
            head = line[: colon.start()]
            lead_from = max(head.rfind(c) for c in _SENTENCE_END) + 1
            lead = head[lead_from:]
            count = _COUNT.search(lead)
            tail_end = len(line)
            for i in range(colon.end(), len(line)):
                if line[i] in "。！？!?":
                    tail_end = i
                    break
            n = cn_number(count.group("n")) if count else None
            if n is not None:
                parts = _parts(line, colon.end(), tail_end, _SERIES_SPLIT)
                ok = len(parts) == n
            else:
                # Without a count only a series of short parts split by 、 or ； is read as a list:
                # commas also split the clauses of any sentence after a colon.
                parts = _parts(line, colon.end(), tail_end, _SERIES_ONLY)
                ok = len(parts) >= 3 and all(e - s <= 24 for s, e in parts)
            if ok and lead.strip():
                lead_span = (_past_marker(line, lead_from) + line_start, line_start + colon.start())
                items = [Opening("inline", i + 1, line_start + s, line_start + e) for i, (s, e) in enumerate(parts)]
                out.append((lead_span, items, n))
    return tuple(out)


def _past_marker(text: str, at: int) -> int:
    """`at` moved past spaces and a bullet glyph: a lead line is quoted without its bullet."""
    while at < len(text) and (text[at].isspace() or text[at] in _BULLETS):
        at += 1
    return at


def _lines(text: str) -> list[tuple[int, str]]:
    at, out = 0, []
    for line in text.split("\n"):
        out.append((at, line))
        at += len(line) + 1
    return out


def _parts(line: str, start: int, end: int, split: re.Pattern) -> list[tuple[int, int]]:
    """The non-empty parts of line[start:end] between series separators, spaces trimmed."""
    parts, at = [], start
    for m in [*split.finditer(line, start, end), None]:
        stop = m.start() if m else end
        piece = line[at:stop]
        if piece.strip():
            s = at + len(piece) - len(piece.lstrip())
            parts.append((s, s + len(piece.strip())))
        at = m.end() if m else end
    return parts


def _lead_before(passages: list[Passage], pid: int, start: int) -> tuple[int, int, int] | None:
    """The sentence or line just before `start` in passage `pid`, else the last one of the passage before
    it in the same document: the line that introduces a list."""
    text = passages[pid].text
    before = text[:start].rstrip()
    if not before and pid > 0 and passages[pid - 1].doc_id == passages[pid].doc_id:
        pid, text = pid - 1, passages[pid - 1].text
        before = text.rstrip()
    if not before:
        return None
    end = len(before)
    cut = max(before.rfind(c, 0, end - 1) for c in "\n。！？!?")
    s = _past_marker(text, cut + 1)
    return (pid, s, end) if end > s else None


def runs_near(passages: list[Passage], pid: int, window: int = WINDOW) -> list[Run]:
    """Every list of two or more items in the document of passage `pid`, within `window` passages of
    it (passage ids are in document order), in document order."""
    doc = passages[pid].doc_id
    lo = hi = pid
    while lo > 0 and pid - lo < window and passages[lo - 1].doc_id == doc:
        lo -= 1
    while hi + 1 < len(passages) and hi - pid < window and passages[hi + 1].doc_id == doc:
        hi += 1
    runs: list[Run] = []
    open_runs: dict[str, tuple[list[tuple[int, int, int]], int, int]] = {}  # style → (items, last n, last pid)
    seen_heads: set[str] = set()
    depth: dict[str, int] = {}  # line styles by the order they first appear: outer levels first

    def close(style: str) -> None:
        items, _, _ = open_runs.pop(style)
        if len(items) >= 2:
            first = items[0]
            runs.append(Run(tuple(items), _lead_before(passages, first[0], first[1]), style))

    for p in range(lo, hi + 1):
        passage = passages[p]
        if passage.duplicate_of is not None:
            continue  # a repeated passage repeats its items: the canonical one holds them
        for style in [s for s, (_, _, last) in open_runs.items() if p - last > MAX_GAP + 1]:
            close(style)
        for o in openings(passage.text):
            head = passage.text[o.start : o.end]
            if head in seen_heads:
                continue  # a passage overlapping the one before repeats its items
            seen_heads.add(head)
            bullet = o.style.startswith("bullet")
            if bullet or o.style == "num":
                # Line items nest (1. → ◦ → ▪): the glyph first seen is the outer level, and an outer
                # item ends the inner lists opened under the item before it. Levels are counted afresh
                # where no line list is open: a document may use ◦ for a list of its own and later
                # under • (a PDF's two-level bullets).
                if not any(s == "num" or s.startswith("bullet") for s in open_runs):
                    depth.clear()
                level = depth.setdefault(o.style, len(depth))
                for inner in [s for s in open_runs if depth.get(s, -1) > level]:
                    close(inner)
            current = open_runs.get(o.style)
            if current is not None and (o.number == current[1] + 1 or bullet):
                current[0].append((p, o.start, o.end))
                open_runs[o.style] = (current[0], o.number, p)
                continue
            if current is not None:
                close(o.style)
            if o.number == 1 or bullet:
                open_runs[o.style] = ([(p, o.start, o.end)], 1, p)
        for lead, items, count in inline_series(passage.text):
            runs.append(Run(tuple((p, o.start, o.end) for o in items), (p, *lead), "inline", count))
    for style in list(open_runs):
        close(style)
    return [_with_count(passages, r) for r in runs]


def _with_count(passages: list[Passage], run: Run) -> Run:
    """A lead naming a count ("包含以下两个步骤") keeps that many items: the list it announces."""
    if run.lead is None or run.count is not None:
        return run
    pid, s, e = run.lead
    lead = passages[pid].text[s:e]
    if not (lead.endswith(("：", ":")) or "以下" in lead or "如下" in lead):
        return run  # "紧扣……两个关键词" names a count of something else
    m = _COUNT.search(lead)
    n = cn_number(m.group("n")) if m else None
    if n is None or n > len(run.items):
        return run
    return Run(run.items[:n], run.lead, run.style, n)
