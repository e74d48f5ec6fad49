"""Continue an enumeration: the passage at position n of the list the previous answer stood in.

In:  the index's passages, the passage the previous turn's answer came from, the position asked for
     (1-based, or followup.NEXT for "下一项").
Out: the id of the passage that holds that item, or None when no list is found.

Two kinds of list are recognised, in this order:
    marked    items opening with 第一，/第二、… or 一是/二是 … within the same article (found after the
              previous passage first, then before it: "那第三项呢" after "第二" reads on)
    siblings  paragraphs of the same article that open alike ("会议指出,要共同…" eight times over):
              the n-th of them, or the one after the previous passage's paragraph
"""

from __future__ import annotations

import re

from qa.records import Passage
from qa.text import normalize

from .followup import CN_DIGITS, NEXT

__all__ = ["continue_enumeration", "item_number"]

_ITEM = re.compile(
    r"(?:^|[。；;！？!?\n：:])\s*(?:第(?P<a>[一二三四五六七八九十])[，,、：:．.]|(?P<b>[一二三四五六七八九十])是)"
)
_PREFIX_CHARS = 5  # paragraphs opening with the same five characters are read as one list


def item_number(text: str) -> list[tuple[int, str]]:
    """The list items opened in `text`: (number, style) in order; style 'di' (第三，) or 'shi' (三是)."""
    out = []
    for m in _ITEM.finditer(text):
        digit = m.group("a") or m.group("b")
        out.append((CN_DIGITS.index(digit) + 1, "di" if m.group("a") else "shi"))
    return out


def _body(p: Passage) -> str:
    return p.text[len(p.heading) + 1 :] if p.heading and p.text.startswith(p.heading + "\n") else p.text


def _marked(passages: list[Passage], same_doc: list[int], prev: Passage, position: int) -> int | None:
    items = item_number(prev.text)
    style = items[0][1] if items else None
    target = position if position != NEXT else (items[-1][0] + 1 if items else None)
    if target is None:
        return None
    at = same_doc.index(prev.id)
    order = same_doc[at:] + same_doc[:at][::-1]  # read on first, then look back
    for pid in order:
        for n, s in item_number(passages[pid].text):
            if n == target and (style is None or s == style):
                return pid
    return None


def _siblings(passages: list[Passage], same_doc: list[int], prev: Passage, position: int) -> int | None:
    first_of_paragraph: dict[int, int] = {}
    for pid in same_doc:
        first_of_paragraph.setdefault(passages[pid].citation.paragraph, pid)
    prefix = normalize(_body(passages[first_of_paragraph[prev.citation.paragraph]]))[:_PREFIX_CHARS]
    if len(prefix) < _PREFIX_CHARS:
        return None
    siblings = [
        pid for para, pid in sorted(first_of_paragraph.items()) if normalize(_body(passages[pid])).startswith(prefix)
    ]
    if len(siblings) < 2:
        return None
    if position == NEXT:
        later = [pid for pid in siblings if passages[pid].citation.paragraph > prev.citation.paragraph]
        return later[0] if later else None
    return siblings[position - 1] if position <= len(siblings) else None


def continue_enumeration(passages: list[Passage], previous_pid: int, position: int) -> int | None:
    prev = passages[previous_pid]
    same_doc = [p.id for p in passages if p.doc_id == prev.doc_id]
    found = _marked(passages, same_doc, prev, position)
    return found if found is not None else _siblings(passages, same_doc, prev, position)
