"""Enumerations in text: where list items open, and runs of them gathered across passages.

In:  a passage text (`openings`, `inline_series`); the index's passages and a passage id (`runs_near`).
Out: Openings (style, number, span of the item's head inside the text) and Runs: the items of one
     list in document order, each a (passage id, start, end), with the lead line that introduces it.

Forms recognised:
    di        第一，… 第二，…            (at a text start or after a sentence end, a colon or a line break)
    shi       一是… 二是…                (the same places)
    paren     （一）…（二）…  (1) (2) …   ①②…  第一步/步骤1/Step1
    num       1. 2. / 1、2、 / 1) …       (at the start of a line)
    alpha     a) b) …                     (at the start of a line)
    bullet    - • ● ▪ ◦ * … lines         (nested bullets use another glyph, or another indentation)
    inline    a series after its lead and a colon ("分为三步：A，B，C"): qa/search/series.py
    series    a series inside a sentence, the sentence its lead ("如A、B、C等", "分为A和B两部分"): series.py
    lines     lines without a marker after a lead announcing them ("有下列情形之一的：" …；…。): lines.py
    slide     a slide's short unpunctuated lines, three or more (its bullets have no glyph): lines.py
An item's head is its opening sentence (di, shi, paren) or its line (num, alpha, bullet): what an answer
quotes. Line items nest: by indentation where the text keeps it (an outline of "- " lines), else by the
order their styles first appear (1. → ◦ → ▪).
A run follows the items of one style with consecutive numbers through the passages of one document, in
order, over passages that continue an item without opening one (an item a long paragraph), so a list whose
items stand one a paragraph, or across pages, is read whole.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import lru_cache

from qa.records import Passage

from .lines import line_series, slide_lines
from .series import BULLETS, COUNT, SENTENCE_END, cn_number, past_marker, series_in

__all__ = ["Opening", "Run", "openings", "inline_series", "runs_near", "cn_number", "line_marker"]

_CN = "一二三四五六七八九十"
_CN_NUM = rf"[{_CN}]|十[{_CN}]"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
# Inline items (第一，/一是/（一）) open at a text start or after a sentence end, colon or line break.
_INLINE_AT = r"(?:^|(?<=[\n。！？!?；;：:]))[ \t\u3000]*"
_LINE_AT = r"(?:^|(?<=\n))[ \t\u3000]*"
_PATTERNS = (
    ("di", re.compile(_INLINE_AT + rf"第(?P<n>{_CN_NUM}|[1-9]\d?)(?:项|点|条|个|部分|方面)?[，,、：:．.]")),
    (
        "step",
        re.compile(
            _INLINE_AT
            + rf"(?:第(?P<n>{_CN_NUM}|[1-9]\d?)步|(?:步骤|[Ss]tep)\s*(?P<m>{_CN_NUM}|[1-9]\d?))[：:，,、.．]?"
        ),
    ),
    ("shi", re.compile(_INLINE_AT + rf"(?P<n>{_CN_NUM})是(?![的否不])")),
    ("paren", re.compile(_INLINE_AT + rf"[（(](?P<n>{_CN_NUM})[）)]")),
    ("pnum", re.compile(_INLINE_AT + r"[（(](?P<n>[1-9]\d?)[）)]")),
    ("circled", re.compile(_INLINE_AT + rf"(?P<c>[{_CIRCLED}])")),
    ("num", re.compile(_LINE_AT + r"(?P<n>[1-9]\d?)(?:[.．](?![\d.])|[、)）])")),
    ("alpha", re.compile(_LINE_AT + r"(?P<a>[a-h])[)）](?=[ \t\u3000]*\S)")),
    ("bullet", re.compile(_LINE_AT + rf"(?P<b>[{re.escape(BULLETS)}])(?=[ \t\u3000]*\S)")),
)
_LINE_STYLES = ("num", "alpha", "bullet")  # a line-start item's head is its line; the others' their sentence
_LINE_BULLET = re.compile(rf"(?:^|(?<=\n))[ \t\u3000]*[{re.escape(BULLETS)}]$")
_ITEM_MARKER = re.compile(
    rf"(?P<space>[ \t\u3000]*)(?P<kind>[{re.escape(BULLETS)}]|\d{{1,2}}[.．、)）]|[a-h][)）]|[（(](?:[{_CN}]+|\d+)[)）])"
)
MAX_GAP = 2  # passages continuing an item without opening one, before a run is read as ended
WINDOW = 40  # passages read either side of the one a run is looked for from


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
    parent: tuple[int, int, int] | None = None  # the line before the lead: the item a sub-list is under


def _head_end(text: str, start: int, line: bool, stop: int) -> int:
    """Where an item's head ends: its line's end (line styles) or its first sentence end."""
    end = stop
    newline = text.find("\n", start, stop)
    if newline != -1:
        end = newline
    if not line:
        for i in range(start, end):
            if text[i] in SENTENCE_END:
                end = i
                break
    while end > start and (text[end - 1].isspace() or text[end - 1] in "，,、：:"):
        end -= 1
    return end


def _indent(space: str) -> str:
    """The "@<columns>" of a line item's indentation (a tab four columns), "" where it has none."""
    width = sum(4 if c == "\t" else 1 for c in space)
    return f"@{width}" if width else ""


def _is_line(style: str) -> bool:
    return style.split(":")[0].split("@")[0] in _LINE_STYLES


def _indentation(style: str) -> int:
    return int(style.rpartition("@")[2]) if "@" in style else 0


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
            indent = _indent(m.group(0)[: at - m.start()]) if style in _LINE_STYLES else ""
            if style == "bullet":
                glyph = m.group("b")
                bullets[glyph] = bullets.get(glyph, 0) + 1
                found.append((at, m.end(), f"bullet:{glyph}{indent}", bullets[glyph]))
            elif style == "circled":
                found.append((at, m.end(), style, _CIRCLED.index(m.group("c")) + 1))
            elif style == "alpha":
                found.append((at, m.end(), style + indent, ord(m.group("a")) - ord("a") + 1))
            else:
                n = cn_number(m.group("n") or m.groupdict().get("m") or "")
                if n is None:
                    continue
                found.append((at, m.end(), style + indent, n))
            taken.add(at)
    found.sort()
    out = []
    for i, (at, _, style, n) in enumerate(found):
        stop = found[i + 1][0] if i + 1 < len(found) else len(text)
        end = _head_end(text, at, _is_line(style), stop)
        if end > at:
            out.append(Opening(style, n, at, end))
    return tuple(out)


def inline_series(text: str) -> list[tuple[tuple[int, int], list[Opening], int | None]]:
    """Series inside one sentence (qa/search/series.py): [(lead span, items, count named or None)].
    "PaDiff主要分为三步：实例化模型，复制参数，自动计算Diff" → lead "PaDiff主要分为三步", three items."""
    return tuple(
        (lead, [Opening("inline", i + 1, s, e) for i, (s, e) in enumerate(items)], count)
        for lead, items, count in series_in(text)
    )


def _lead_before(passages: list[Passage], pid: int, start: int) -> tuple[int, int, int] | None:
    """The sentence or line just before `start` in passage `pid`, else the last one of the passage before
    it in the same document: the line that introduces a list."""
    text = passages[pid].text
    before = _LINE_BULLET.sub("", text[:start].rstrip()).rstrip()  # not the bullet of the line `start` is in
    if not before and pid > 0 and passages[pid - 1].doc_id == passages[pid].doc_id:
        pid, text = pid - 1, passages[pid - 1].text
        before = text.rstrip()
    if not before:
        return None
    end = len(before)
    cut = max(before.rfind(c, 0, end - 1) for c in "\n。！？!?")
    s = past_marker(text, cut + 1)
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
    seen: set[tuple[int, int]] = set()  # file offsets of the items read: overlapping passages repeat them
    stack: list[str] = []  # the line styles of the outline at this point, outermost first

    def finish(style: str) -> None:
        """End the run of `style`, if one is open: a list of two or more items is kept."""
        if style not in open_runs:
            return
        items, _, _ = open_runs.pop(style)
        if len(items) >= 2:
            first = items[0]
            runs.append(_framed(passages, Run(tuple(items), _lead_before(passages, first[0], first[1]), style)))

    def close(style: str) -> None:
        """End the run of `style` and its level of the outline."""
        if style in stack:
            stack.remove(style)
        finish(style)

    for p in range(lo, hi + 1):
        passage = passages[p]
        if passage.duplicate_of is not None:
            continue  # a repeated passage repeats its items: the canonical one holds them
        for style in [s for s, (_, _, last) in open_runs.items() if p - last > MAX_GAP + 1]:
            close(style)
        for o in openings(passage.text):
            where = passage.file_spans(o.start, o.end)[:1]
            if where and where[0] in seen:
                continue
            seen.update(where)
            bullet = o.style.startswith("bullet")
            if _is_line(o.style):
                _nest(o.style, stack, close)
                for outer in stack[:-1]:  # an inner item continues the items it is under: no gap in them
                    if outer in open_runs:
                        items, n, _ = open_runs[outer]
                        open_runs[outer] = (items, n, p)
            current = open_runs.get(o.style)
            if current is not None and (o.number == current[1] + 1 or bullet):
                current[0].append((p, o.start, o.end))
                open_runs[o.style] = (current[0], o.number, p)
                continue
            if current is not None:
                finish(o.style)  # a restart at 1: another list at the same level of the outline
            if o.number == 1 or bullet:
                open_runs[o.style] = ([(p, o.start, o.end)], 1, p)
        for lead, items, count in inline_series(passage.text):
            # A series whose lead is the sentence holding it ("如A、B、C等") is "series"; one after its lead
            # and a colon, "inline".
            style = "series" if lead[1] > items[0].start else "inline"
            run = Run(tuple((p, o.start, o.end) for o in items), (p, *lead), style, count)
            runs.append(_framed(passages, run))
        runs.extend(_framed(passages, run) for run in _line_runs(passages, p, hi))
        if passage.citation.format == "pptx":
            for lead, spans in slide_lines(passage.text, passage.heading):
                runs.append(Run(tuple((p, s, e) for s, e in spans), (p, *lead) if lead else None, "slide"))
    for style in list(open_runs):
        close(style)
    return [_with_count(passages, r) for r in runs]


def _line_runs(passages: list[Passage], p: int, hi: int) -> list[Run]:
    """Lists of unmarked lines whose lead is in passage `p`; the lines may go on in the next passage (a
    lead closing one passage, its items opening the next)."""
    text, size = passages[p].text, len(passages[p].text)
    after = p + 1 if p < hi and passages[p + 1].duplicate_of is None else None
    if after is not None:
        text = text + "\n" + passages[after].text

    def place(s: int, e: int) -> tuple[int, int, int]:
        return (p, s, e) if s < size else (after, s - size - 1, e - size - 1)

    return [
        Run(tuple(place(s, e) for s, e in spans), (p, *lead), "lines")
        for lead, spans in line_series(text)
        if lead[0] < size
    ]


def _nest(style: str, stack: list[str], close) -> None:
    """Place a line item of `style` in the outline: a style already open is that level again (the
    levels opened under it end); a new one is a level under the last, after the levels indented deeper
    than it end. Without indentation this reads 1. → ◦ → ▪ → • as it is printed, whatever the glyphs."""
    if style in stack:
        for inner in stack[stack.index(style) + 1 :]:
            close(inner)
        return
    while stack and _indentation(stack[-1]) > _indentation(style):
        close(stack[-1])
    stack.append(style)


def _framed(passages: list[Passage], run: Run) -> Run:
    """`run` with its parent: the item just above its lead in the outline ("2. 项目层面的代码转换" above
    "◦ 该步骤包含以下几步：1. … 2. …"). A line above of the same level (the item before) is no parent."""
    if run.lead is None:
        return run
    p, s, _ = run.lead
    lead = line_marker(passages[p].text, s)
    first = run.items[0]
    if run.style != "inline" and lead is not None and lead == line_marker(passages[first[0]].text, first[1]):
        return dataclasses.replace(run, lead=None)  # the last item of the list before ("6. 文档编写" above "1. ……")
    above = _lead_before(passages, p, s)
    if above is None:
        return run
    parent = line_marker(passages[above[0]].text, above[1])
    if parent is None or (lead is not None and (parent[0] > lead[0] or parent == lead)):
        return run
    return dataclasses.replace(run, parent=above)


def line_marker(text: str, at: int) -> tuple[int, str] | None:
    """(indentation, kind of marker) of the line holding text[at]: kinds "•", "9.", "9）", "（一）", "a)"…;
    None for a line that is no list item."""
    line = text[text.rfind("\n", 0, at) + 1 :]
    m = _ITEM_MARKER.match(line)
    if m is None:
        return None
    kind = re.sub(r"\d+", "9", re.sub(rf"[{_CN}]+", "一", re.sub(r"^[a-h]", "a", m.group("kind"))))
    return (len(m.group("space").expandtabs(4)), kind)


def _with_count(passages: list[Passage], run: Run) -> Run:
    """A lead naming a count ("包含以下两个步骤") keeps that many items: the list it announces."""
    if run.lead is None or run.count is not None:
        return run
    pid, s, e = run.lead
    lead = passages[pid].text[s:e]
    if not (lead.endswith(("：", ":")) or "以下" in lead or "如下" in lead):
        return run  # "紧扣……两个关键词" names a count of something else
    m = COUNT.search(lead)
    n = cn_number(m.group("n")) if m else None
    if n is None or n > len(run.items):
        return run
    return dataclasses.replace(run, items=run.items[:n], count=n)
