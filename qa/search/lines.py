"""Lists of lines without a marker: the items a document gives a line each but no number or bullet.

In:  a passage text (and, for a slide, its title).
Out: `line_series(text)` → [(lead span, item spans)], `slide_lines(text, title)` → [(lead span or None,
     item spans)]: spans (start, end) inside the text, each item's line without its closing ；/。.

Forms:
    lines           "当事人以下列理由申请监督……：" then lines without a marker, each a clause ending in ；
                    and the last in 。: a lead announcing a list (下列, 以下, 如下, or a count) and ending
                    in a colon, then two or more such lines; after a lead naming a count ("处理以下两种
                    情况："), as many short lines as it names, whatever they end with (`line_series`)
    slide lines     a slide's short lines without punctuation, three or more one after another (a
                    slide's bullets carry no glyph in its text), after the slide's title (`slide_lines`)
"""

from __future__ import annotations

import re
from functools import lru_cache

from .series import BULLETS, COUNT, SENTENCE_END, cn_number, past_marker

__all__ = ["line_series", "slide_lines"]

# A line that opens with a list marker is an item of a marked list (qa/search/enumerations.py).
_STARTS_ITEM = re.compile(
    rf"^(?:[{re.escape(BULLETS)}]|\d{{1,2}}[.．、)）]|[（(][一二三四五六七八九十\d]+[)）]|第[一二三四五六七八九十])"
)
# A sentence, a label with its value (执行对象：Program), or code (x = f(y), a.b): no slide bullet.
_PUNCTUATED = re.compile(r"[。！？!?；;：，,、={}]|[A-Za-z_]\(|[a-z_]\.[a-z_]")


_ANNOUNCES = re.compile(r"(?:下列|以下|如下)")
_LINE_ITEM_MAX = 80


@lru_cache(maxsize=8192)
def line_series(text: str) -> tuple[tuple[tuple[int, int], tuple[tuple[int, int], ...]], ...]:
    """Lists of unmarked lines after a lead that announces them: [(lead span, item spans)]."""
    out = []
    lines = []
    at = 0
    for line in text.split("\n"):
        lines.append((at, line))
        at += len(line) + 1
    for k, (start, line) in enumerate(lines):
        lead = line.rstrip()
        count = COUNT.search(lead)
        if not lead.endswith(("：", ":")) or not (_ANNOUNCES.search(lead) or count):
            continue
        wanted = cn_number(count.group("n")) if count else None
        items = []
        for item_start, item in lines[k + 1 :]:
            body = item.strip()
            if not body or len(body) > _LINE_ITEM_MAX or _STARTS_ITEM.match(body):
                break
            if body[-1] not in "；;。" and wanted is None:
                break  # without a count, each item is a clause ending in ；, the last in 。
            s = item_start + len(item) - len(item.lstrip())
            items.append((s, s + len(body) - (body[-1] in "；;。，,")))
            if body[-1] == "。" or len(items) == wanted:
                break
        if wanted is not None and len(items) != wanted:
            continue  # "要处理以下两种情况：" then as many lines as it counts, whatever they end with
        if len(items) >= 2:
            lead_from = max(lead.rfind(c, 0, len(lead) - 1) for c in SENTENCE_END) + 1
            out.append(((start + past_marker(lead, lead_from), start + len(lead) - 1), tuple(items)))
    return tuple(out)


_SLIDE_ITEM = (4, 40)  # visible characters of a slide's bullet: not a diagram's one-word label, not a sentence


@lru_cache(maxsize=8192)
def slide_lines(text: str, title: str = "") -> tuple[tuple[tuple[int, int] | None, tuple[tuple[int, int], ...]], ...]:
    """Groups of three or more short unpunctuated lines of a slide: [(lead span or None, item spans)].
    The lead is the line before a group, where there is one; the slide's title is never an item."""
    out, group, before, previous = [], [], None, None
    at = 0
    for line in [*text.split("\n"), None]:
        body = (line or "").strip()
        visible = len("".join(body.split()))
        item = _SLIDE_ITEM[0] <= visible <= _SLIDE_ITEM[1] and not _PUNCTUATED.search(body)
        if line is not None and item and body != title.strip():
            s = at + len(line) - len(line.lstrip())
            if not group:
                before = previous
            group.append((s, s + len(body)))
        else:
            if len(group) >= 3:
                out.append((before, tuple(group)))
            group = []
        if line is not None:
            if body:
                s = at + len(line) - len(line.lstrip())
                previous = (s, s + len(body))
            at += len(line) + 1
    return tuple(out)
