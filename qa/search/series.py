"""Series inside one sentence: the items a sentence lists without giving each a line of its own.

In:  a passage text.
Out: `series_in(text)` → [(lead span, item spans, count named or None)], in order of the text: the part of
     the sentence that introduces each series, and each item's span (start, end) inside the text.

Forms:
    after a colon   "分为三步：A，B，C"           as many parts as the count before the colon names
                    "主要产品：A、B、C"            three or more short parts split by 、 or ；
                    "例如：A，B，C"                three or more short parts split by commas, after 例如/如/
                                                   比如/包括/包含/诸如 (commas split the clauses of any
                                                   other sentence after a colon)
                    "包含以下几步：1. A 2. B 3. C" items numbered 1, 2, 3 … inside the line
    a pair          "分为 A 和 B 两部分": two parts joined by 和/与/及 before a count of two
    in a sentence   "如SGD、Adam、Adamax等"        three or more short parts split by 、, inside one clause:
                    "收集的物证、书证……等证据材料"  the first part starts where jieba's words stop being a
                                                   noun phrase (after 的, a verb, 如), the last ends at 等
                                                   or at the clause end, split once at a 和/与/及 word
Items are quoted as printed (a numbered item with its number); a trailing 等/等等 is left out.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .cues import tagged

__all__ = ["series_in", "cn_number", "COUNT", "BULLETS", "SENTENCE_END", "past_marker"]

_CN = "一二三四五六七八九十"
# A count before a colon: "分为三步：" "包括以下两个方面：" "有4点："
# (not an ordinal, 第六条, nor a span of time: 六个月, 两个小时)
COUNT = re.compile(
    rf"(?<![第十\d])(?P<n>[两{_CN}]|十[{_CN}]|[2-9]|1\d)\s*(?:个(?!月|小时|星期|工作日|百分点)|大|项|种|类|条|点|步|部分|部(?!门|长|队|署|位)|所|位(?!数)|家|名|座|方面|阶段|环节|层面|方式)"
)
SENTENCE_END = "。！？!?；;"
BULLETS = "-•·●○◦▪■□◆◇*–▶►✓➢"  # the glyphs a bullet line opens with (qa/search/enumerations.py too)
_SPLIT_ANY = re.compile(r"[，,、；;]")
_SPLIT_ENUM = re.compile(r"[、；;]")
_SPLIT_COMMA = re.compile(r"[，,]")
# Words after which a colon introduces examples: their commas separate items, not clauses.
_EXAMPLES = re.compile(r"(?:例如|比如|诸如|譬如|如|包括|包含|有)\s*$")
# "1. A 2. B", "1）A 2）B", "（1）A（2）B" inside one line
_NUMBERED = re.compile(
    r"(?:(?<=\s)|(?<=[：:，,；;])|^)(?:(?P<n>[1-9])(?:[.．](?!\d)|[)）、])|[（(](?P<p>[1-9])[)）])\s*"
)
_PAIR = re.compile(
    r"(?:分为|分成|包括|包含|由)\s*(?P<a>[^，,。；;：:、\s][^，,。；;：:、]{0,23}?)\s*(?:和|与|及|以及)\s*"
    r"(?P<b>[^，,。；;：:、\s][^，,。；;：:、]{0,23}?)\s*(?:这)?(?:两|二)(?:个|大|种|类|项)?(?:部分|方面|阶段|步|种|类|项)"
)
# A colon, or a dash standing for one after a count ("该城市有两所大学 - A和B", "……两种——A和B")
_COLON = re.compile(r"[：:]|\s[-–—]\s|——")
_CLAUSE = re.compile(r"[^，,。；;：:！？!?\n]+")
_PART_MAX = 16  # characters of one part of an uncounted series: names, not clauses
_COLON_PART_MAX = 24
# jieba tags a noun phrase's words with these; a verb, 的 or a preposition before them ends the phrase.
_PHRASE_TAGS = ("n", "nr", "ns", "nt", "nz", "nw", "eng", "vn", "an", "m", "x", "j", "l", "i", "a", "b", "f", "s")
_CONJUNCTIONS = frozenset(["和", "与", "及", "以及"])
_EXAMPLE_WORDS = frozenset(["如", "例如", "比如", "譬如", "诸如", "像", "包括", "包含"])  # "如非法抵制、拒绝交税……"


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


Series = tuple[tuple[int, int], tuple[tuple[int, int], ...], int | None]


@lru_cache(maxsize=8192)
def series_in(text: str) -> tuple[Series, ...]:
    """Every series of `text` (see the module docstring), in order."""
    found: list[Series] = []
    at = 0
    for line in text.split("\n"):
        found.extend(_after_colons(line, at))
        taken = [(items[0][0], items[-1][1]) for _, items, _ in found]
        for lead, items in _in_clauses(line, at):
            if not any(s <= items[0][0] < e for s, e in taken):
                found.append((lead, items, None))
        for m in _PAIR.finditer(line):
            items = ((at + m.start("a"), at + m.end("a")), (at + m.start("b"), at + m.end("b")))
            if not any(s <= items[0][0] < e for s, e in taken):
                sentence = _sentence(line, m.start(), m.end())  # its lead is the whole sentence ("……两部分，前者……")
                found.append(((at + sentence[0], at + sentence[1]), items, 2))
        at += len(line) + 1
    return tuple(sorted(found, key=lambda f: f[1][0]))


def _after_colons(line: str, at: int) -> list[Series]:
    out = []
    for colon in _COLON.finditer(line):
        dash = colon.group() not in "：:"
        head = line[: colon.start()]
        lead_from = max(head.rfind(c) for c in SENTENCE_END) + 1
        lead = head[lead_from:]
        if not lead.strip():
            continue
        tail_end = next((i for i in range(colon.end(), len(line)) if line[i] in "。！？!?"), len(line))
        count = COUNT.search(lead)
        n = cn_number(count.group("n")) if count else None
        n = n if n and n >= 2 else None  # "一个" counts nothing
        if dash and n is None:
            continue  # a dash introduces parts only after a count: "两所大学 - A和B"
        parts = _numbered(line, colon.end(), tail_end)
        if parts is None and n is not None:
            parts = _parts(line, colon.end(), tail_end, _SPLIT_ANY)
            if len(parts) == n - 1 >= 1:  # "三部著作：《A》、《B》和《C》": the last part is two
                parts = [*parts[:-1], *_at_conjunction(line, parts[-1])]
            parts = parts if len(parts) == n else None
        elif parts is None:
            parts = _uncounted(line, colon.end(), tail_end, examples=bool(_EXAMPLES.search(lead)))
        if parts and (n is None or len(parts) == n):
            lead_span = (past_marker(line, lead_from) + at, at + colon.start())
            out.append((lead_span, tuple((at + s, at + e) for s, e in parts), n))
    return out


def _uncounted(line: str, start: int, end: int, examples: bool) -> list[tuple[int, int]] | None:
    """Three or more short parts split by 、 or ；, or, after 例如/包括…, by commas."""
    parts = _parts(line, start, end, _SPLIT_ENUM)
    if len(parts) >= 3 and all(e - s <= _COLON_PART_MAX for s, e in parts):
        return _without_etc(line, parts)
    if examples:
        parts = _parts(line, start, end, _SPLIT_COMMA)
        if len(parts) >= 3 and all(e - s <= _PART_MAX for s, e in parts):
            return _without_etc(line, parts)
    return None


def _numbered(line: str, start: int, end: int) -> list[tuple[int, int]] | None:
    """Items numbered 1, 2, 3 … in line[start:end], each quoted with its number; None if fewer than two."""
    marks = [m for m in _NUMBERED.finditer(line, start, end)]
    expected, kept = 1, []
    for m in marks:
        if int(m.group("n") or m.group("p")) == expected:
            kept.append(m)
            expected += 1
    if len(kept) < 2 or kept[0].start() - start > 2:
        return None
    out = []
    for i, m in enumerate(kept):
        stop = kept[i + 1].start() if i + 1 < len(kept) else end
        piece = line[m.start() : stop].rstrip(" \t\u3000，,；;、")
        out.append((m.start(), m.start() + len(piece)))
    return out


def _in_clauses(line: str, at: int) -> list[tuple[tuple[int, int], tuple[tuple[int, int], ...]]]:
    """Series split by 、 inside one clause, with the sentence holding them as their lead. A clause may
    hold two ("人民法院、人民检察院、公安机关等国家机关……涉嫌贪污贿赂、失职渎职等……"): a series ends at 等."""
    out = []
    for clause in _CLAUSE.finditer(line):
        if clause.group().count("、") < 2 or line[clause.end() : clause.end() + 1] in ("：", ":"):
            continue  # (a clause before a colon introduces what follows it: "CPU、GPU、GC的执行有如下规律：")
        sentence = _sentence(line, clause.start(), clause.end())
        if line[sentence[1] :].strip() == "" and line.rstrip().endswith(("：", ":")):
            continue  # nor does a sentence ending in one ("……由其所在单位、主管部门……责令改正：")
        for group in _groups(line, _parts(line, clause.start(), clause.end(), _SPLIT_ENUM)):
            group = [_without_aside(line, _without_conjunction(line, part)) for part in group]
            first = _phrase_end(line, group[0], _verb_led(line, group[1]))
            parts = [first, *group[1:-1], *_last_parts(line, group[-1])]
            parts = [_without_aside(line, part) for part in parts]
            if all(0 < e - s <= _PART_MAX for s, e in parts):
                out.append(((at + sentence[0], at + sentence[1]), tuple((at + s, at + e) for s, e in parts)))
    return out


def _groups(line: str, parts: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """The clause's parts cut into series of three or more: one ends with the part holding 等 (the text
    after 等 opens the next)."""
    groups, current = [], []
    for s, e in parts:
        etc = line.find("等", s, e)
        if etc > s:
            current.append((s, etc + 1))
            groups.append(current)
            current = [(etc + 1, e)] if e > etc + 1 else []
        else:
            current.append((s, e))
    groups.append(current)
    return [g for g in groups if len(g) >= 3]


def _phrase_end(line: str, part: tuple[int, int], verb_led: bool) -> tuple[int, int]:
    """The first part of a series is the noun phrase ending it: "监察机关依法收集的物证" → 物证; with the
    verb before it where the other parts are verb phrases ("要加强基础设施建设、推进……" → 加强基础设施建设)."""
    s, e = part
    words = tagged(line[s:e])
    keep = len(words)
    while keep > 1 and _in_phrase(words[keep - 2]):
        keep -= 1
    if verb_led and keep > 1 and words[keep - 2][1] == "v" and words[keep - 2][0] not in _EXAMPLE_WORDS:
        keep -= 1
    return (e - sum(len(w) for w, _ in words[keep - 1 :]), e)


def _in_phrase(word: tuple[str, str]) -> bool:
    return word[1].startswith(_PHRASE_TAGS) and word[0] not in _CONJUNCTIONS and not word[0].isspace()


def _verb_led(line: str, part: tuple[int, int]) -> bool:
    """Does the part open with a verb and go on (推进产业结构优化升级), not stand as one verb (记过)?"""
    words = tagged(line[part[0] : part[1]])
    return len(words) > 1 and words[0][1] == "v"


def _last_parts(line: str, part: tuple[int, int]) -> list[tuple[int, int]]:
    """The last part ends at 等 ("电子数据等证据材料" → 电子数据); without one, where its noun phrase ends:
    at a preposition, a particle, an adverb or punctuation ("……社会主义思想为指导" → ……社会主义思想), not
    at a verb or a measure word inside a name (苏格兰国家美术馆扩建, 1型糖尿病), nor inside 《》 or quotes;
    and at a 和/与/及 word it is two parts ("组网和优化器")."""
    s, e = part
    etc = line.find("等", s, e)
    trim = etc <= s  # (a part ending at 等 ends there: only a 和 inside it is looked for)
    e = e if trim else etc
    words = tagged(line[s:e])
    at, cut, quoted = s, None, 0
    for i, (word, flag) in enumerate(words):
        quoted += sum(word.count(c) for c in "《“「") - sum(word.count(c) for c in "》”」")
        if 0 < i < len(words) - 1 and word in _CONJUNCTIONS and flag in ("c", "p") and not quoted:
            cut = cut or (at, at + len(word))
        elif trim and i and not quoted and _ends_phrase(word, flag):
            e = at
            break
        at += len(word)
    if cut and cut[1] < e:
        return [(s, cut[0]), (cut[1], e)]
    return [(s, e)]


def _at_conjunction(line: str, part: tuple[int, int]) -> list[tuple[int, int]]:
    """The part split in two at a 和/与/及/以及 word outside 《》 and quotes ("《A》和 《B》"), else itself."""
    s, e = part
    at, quoted = s, 0
    for i, (word, flag) in enumerate(tagged(line[s:e])):
        quoted += sum(word.count(c) for c in "《“「") - sum(word.count(c) for c in "》”」")
        if i and word in _CONJUNCTIONS and flag in ("c", "p") and not quoted:
            left, right = (s, at), (at + len(word), e)
            return [_trimmed(line, left), _trimmed(line, right)] if at + len(word) < e else [part]
        at += len(word)
    # jieba may join the conjunction to a foreign name (纽卡斯尔大学和诺桑比亚大学: 和诺桑); the count asks
    # for one more part, so a single 和/与/及 with two characters or more either side splits it
    bare = re.sub(r"《[^》]*》|“[^”]*”", lambda m: "《" * len(m.group()), line[s:e])
    joins = [i for i, c in enumerate(bare) if c in "和与及"]
    if len(joins) == 1 and 2 <= joins[0] <= len(bare) - 3:
        cut = s + joins[0]
        return [_trimmed(line, (s, cut)), _trimmed(line, (cut + 1, e))]
    return [part]


def _trimmed(line: str, part: tuple[int, int]) -> tuple[int, int]:
    s, e = part
    while s < e and line[s].isspace():
        s += 1
    while e > s and line[e - 1].isspace():
        e -= 1
    return (s, e)


_ASIDE = re.compile(r"\s*[（(][^（()）]{1,30}[)）]\s*$")


def _without_conjunction(line: str, part: tuple[int, int]) -> tuple[int, int]:
    """A part after the last 、 may open with its conjunction ("……、以及幻想成真"): it is no part of the item."""
    s, e = part
    words = tagged(line[s:e])
    if len(words) > 1 and words[0][1] == "c" and words[0][0] in (*_CONJUNCTIONS, "或", "或者"):
        return _trimmed(line, (s + len(words[0][0]), e))  # a word, so 和平 and 与会 keep their first character
    return part


def _without_aside(line: str, part: tuple[int, int]) -> tuple[int, int]:
    """A bracketed aside closing a part is no part of the item: 约瑟夫•熊彼特（1883-1950） → 约瑟夫•熊彼特."""
    s, e = part
    m = _ASIDE.search(line, s, e)
    return (s, m.start()) if m and m.start() > s + 1 else part


def _ends_phrase(word: str, flag: str) -> bool:
    """Does this word end a series' last noun phrase? A preposition (为), a particle (的), an adverb (互相)
    or a bracket or mark opening what follows."""
    return flag == "p" or flag.startswith(("u", "d")) or word in "（(［[【"


def _without_etc(line: str, parts: list[tuple[int, int]]) -> list[tuple[int, int]]:
    s, e = parts[-1]
    piece = line[s:e]
    for tail in ("等等", "等"):
        if piece.endswith(tail) and len(piece) > len(tail):
            return [*parts[:-1], (s, e - len(tail))]
    return parts


def _sentence(line: str, start: int, end: int) -> tuple[int, int]:
    """The sentence of `line` holding line[start:end], without its end mark."""
    s = max(line.rfind(c, 0, start) for c in SENTENCE_END) + 1
    stops = [i for i in (line.find(c, end) for c in SENTENCE_END) if i != -1]
    e = min(stops) if stops else len(line)
    s = past_marker(line, s)
    while e > s and line[e - 1].isspace():
        e -= 1
    return (s, e)


def past_marker(text: str, at: int) -> int:
    """`at` moved past spaces and a bullet glyph: a lead is quoted without its bullet."""
    while at < len(text) and (text[at].isspace() or text[at] in BULLETS):
        at += 1
    return at


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
