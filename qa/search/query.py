"""A question, analysed once: the record every stage of search and answering reads.

In:  the question as asked (and, for a conversation's follow-up, the question it was resolved to).
Out: `Question`: simplified and normalised text, its jieba words (one segmentation), keyword tokens,
     content words, the kind of answer asked for, the measure word, the constraints it names (years,
     numbers, ordinals, names), whether it has Chinese.

Ranking (hybrid.py), the evidence scorer (evidence.py), the answer (answer.py) and the conversation
(qa/chat/conversation.py) take this record; none of them re-derives any of it from the string.
`analyse` is the one place that segments, normalises and types a question (tests/search/
test_query.py counts it).

Kinds of answer (`Question.kind`):
    person, place, date, number   a short item, typed by the question word (qa/search/cues.py)
    list                          several items (cues.is_list_question)
    description                   what is X / what is it for / why / how: the answer is a sentence
    yesno                         吗 / 是否 / 是不是 / 有没有, English do/is/can …
    None                          anything else
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.text import _is_latin, _tokenizer, is_punct, normalize, pos_tagger, to_simplified

from .crosslang import has_chinese
from .cues import asked_type, is_list_question

__all__ = ["Question", "Constraints", "analyse", "as_question", "ordinals_in", "years_in", "figures_in", "STOP_WORDS"]

# Question words and particles: they say what is asked, not what the answer sentence contains.
_STOP_TEXT = (
    "什么 什么样 哪个 哪些 哪里 哪儿 哪位 哪年 哪一 哪种 多少 何时 何地 为何 如何 怎么 怎样 怎么样 为什么 是否 是不是 "
    "这个 那个 请问 一个 哪一年 哪一位 什么时候 多久 多大 多长 多高 多远 可以 分别 哪些人 哪一天 其中 以及 还是 成为"
)
STOP_WORDS = frozenset(_STOP_TEXT.split())  # single characters are left out anyway (content words)

_YEAR = re.compile(r"(?<!\d)(?:1[89]|20)\d\d(?!\d)")
_CN_NUM = "〇零一二两三四五六七八九十百"
# A figure after 多/少/增加… states a difference ("比漢諾瓦射擊節多約50,000人"), not a fact a passage names.
_DIFFERENCE = re.compile(r"(?:多|少|增加|减少|增长|下降|高出|低于|超出)了?约?$")
# 第31任 / 第三十一届 / 第2次: an ordinal and what it counts.
_ORDINAL = re.compile(rf"第\s*([0-9]+|[{_CN_NUM}]+)\s*(任|届|次|位|名|代|期|号|轮|场|季|集|章|条|款|批|个)")
# Description questions: what is X, what is it for, why, how. "X的名字是什么" asks for a name, not a
# description: a bare "是什么" counts only right after a term (no 的 in the question).
# 为什么 after a verb of naming or becoming is 为 + 什么 ("称为什么", "改名为什么", "被译为什么", "归类为
# 什么科": what it is called or became, a name), and so is one that ends the question after its object
# ("俗称大冠鹫为什么？"); 叫做什么 asks for a name too.
_AS_VERBS = "称名作译封成误类划定分化选列视誉改评命升降转更设立任奉尊认归"
_WHY = rf"(?<![{_AS_VERBS}])为什么(?![？?。\s]*$)|(?<=[是这那])为什么"
_DESCRIBE = re.compile(
    rf"用于|用来|有什么用|什么用途|什么作用|有何作用|的作用|的用途|的意义|有何意义|{_WHY}|为何|什么原因|的原因|"
    r"如何|怎样|怎么|什么是|是指什么|指的是什么|是什么意思|的含义|的特点|有什么特点|的区别|有什么区别|有何不同|"
    r"主要内容|讲了什么|说了什么|描述什么|描述了什么|的原理|有什么好处|的好处|的任务是什么|的目的是什么|负责什么|"
    r"(?<![叫称当])做什么"
)
_BARE_WHAT = re.compile(r"^[^的]{1,30}是(?:什么|啥)[？?。\s]*$")
_DESCRIBE_EN = re.compile(
    r"^\s*(?:what\s+(?:is|are|does|do)\b(?!.*\b(?:name|year|date|number)\b)|why\b|how\b(?!\s+(?:many|much|long|old|far|tall|high)\b))",
    re.I,
)
_YESNO = re.compile(r"吗[？?。\s]*$|是否|是不是|有没有|能不能|可不可以|会不会")
_YESNO_EN = re.compile(r"^\s*(?:is|are|was|were|do|does|did|can|could|will|would|has|have|should)\b", re.I)
_PERSON_TAGS = ("nr", "nrfg", "nrt")


@dataclass(frozen=True)
class Constraints:
    """What a question names that its answer's passage must agree with."""

    years: frozenset[str] = frozenset()  # "2020"
    ordinals: frozenset[tuple[int, str]] = frozenset()  # 第31任 → (31, "任")
    numbers: frozenset[str] = frozenset()  # figures with a measure word the question names: "50亿元"
    names: tuple[str, ...] = ()  # people the question names (jieba nr tags)

    def __bool__(self) -> bool:
        return bool(self.years or self.ordinals or self.numbers or self.names)


@dataclass(frozen=True)
class Question:
    text: str  # as asked
    simplified: str  # traditional characters folded to simplified (what the models read)
    normalized: str  # qa.text.normalize: width, punctuation, case folded, spaces gone
    words: tuple[str, ...]  # jieba words of the normalised text (punctuation left out)
    content: tuple[str, ...]  # words that can stand in an answer sentence (no question words)
    kind: str | None  # person | place | date | number | list | description | yesno | None
    asks: str | None  # the item a question word asks for: person | place | date | number | None
    measure: str | None  # the measure word a number question names (多少座 → 座)
    listing: bool  # asks for several items
    chinese: bool
    constraints: Constraints = field(default_factory=Constraints)
    resolved: str | None = None  # a follow-up: the question it was resolved to (this record's text)
    asked: str | None = None  # a follow-up: the question as the user typed it

    @property
    def describes(self) -> bool:
        return self.kind == "description"

    def keyword_tokens(self, mode: str) -> list[str]:
        """The question's keyword query tokens, as qa.text.keyword_tokens(text, mode) makes them, from
        the one segmentation."""
        tokens: list[str] = list(self.words) if "jieba" in mode else []
        chars = [c for c in self.normalized if not is_punct(c)]
        if "bigram" in mode:
            tokens.extend("#" + a + b for a, b in zip(chars, chars[1:]) if not (_is_latin(a) and _is_latin(b)))
        if "char" in mode:
            tokens.extend("%" + c for c in chars)
        return tokens


def _number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
    total, current = 0, 0
    for c in text:
        if c in digits:
            current = digits[c]
        elif c == "十":
            total += (current or 1) * 10
            current = 0
        elif c == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


def ordinals_in(normalized: str) -> set[tuple[int, str]]:
    """The ordinals a normalised text names: 第31任 / 第三十一任 → (31, "任")."""
    out = set()
    for m in _ORDINAL.finditer(normalized):
        n = _number(m.group(1))
        if n is not None:
            out.add((n, m.group(2)))
    return out


def figures_in(normalized: str) -> set[str]:
    """Figures with a measure word a normalised text names ("50亿元", "12个"), years and ordinals
    (2020年, 第2次) left out."""
    from .cues import NUMBER_PATTERN

    return {
        m.group(0)
        for m in NUMBER_PATTERN.finditer(normalized)
        if not _YEAR.search(m.group(0))
        and normalized[max(m.start() - 1, 0) : m.start()] != "第"
        and not _DIFFERENCE.search(normalized[max(m.start() - 3, 0) : m.start()])
    }


def years_in(normalized: str) -> set[str]:
    """Four-digit years 1800–2099 a normalised text names; a decade (1950年代) is not a year."""
    return {m.group(0) for m in _YEAR.finditer(normalized) if not normalized.startswith("年代", m.end())}


def _kind(normalized: str, asks: str | None, listing: bool, chinese: bool) -> str | None:
    if listing:
        return "list"
    if asks is not None:
        return asks
    if _DESCRIBE.search(normalized) or _BARE_WHAT.match(normalized) or (not chinese and _DESCRIBE_EN.match(normalized)):
        return "description"
    if _YESNO.search(normalized) or (not chinese and _YESNO_EN.match(normalized)):
        return "yesno"
    return None


def analyse(text: str, resolved: str | None = None) -> Question:
    """The record of a question. `resolved`: for a follow-up, the question it was resolved to (the
    record then describes that one, and keeps the typed text in `asked`)."""
    asked = text if resolved is not None else None
    text = resolved if resolved is not None else text
    norm = normalize(text)
    words = tuple(t for t in _tokenizer().lcut(norm) if any(not is_punct(c) for c in t))
    seen: dict[str, None] = {}
    for t in words:
        if t not in STOP_WORDS and (len(t) > 1 or t.isascii()) and t not in seen:
            seen[t] = None
    chinese = has_chinese(text)
    asks, measure = asked_type(norm, normalized=True)
    listing = is_list_question(norm)
    years = years_in(norm)
    ordinals = ordinals_in(norm)
    numbers = {n for n in figures_in(norm) if any(c.isdigit() for c in n)}
    names = _names(norm) if chinese else ()
    return Question(
        text=text,
        simplified=to_simplified(text),
        normalized=norm,
        words=words,
        content=tuple(seen),
        kind=_kind(norm, asks, listing, chinese),
        asks=asks,
        measure=measure,
        listing=listing,
        chinese=chinese,
        constraints=Constraints(frozenset(years), frozenset(ordinals), frozenset(numbers), names),
        resolved=resolved,
        asked=asked,
    )


def _names(normalized: str) -> tuple[str, ...]:
    """People a question names: jieba's person tags (nr), two characters or more, in order."""
    found: dict[str, None] = {}
    for w in pos_tagger().cut(normalized):
        if w.flag in _PERSON_TAGS and len(w.word) > 1:
            found[w.word] = None
    return tuple(found)


def as_question(question: Question | str) -> Question:
    """`question` as a record (analysed here when a caller passes a string: bench scripts, evaluation)."""
    return question if isinstance(question, Question) else analyse(question)
