"""What a question asks for, and whether a sentence offers something of that kind.

In:  a question; a candidate sentence.
Out: `asked_type(question)` → person | number | date | place | None, with the measure word the
     question names ("多少座车站" → 座); `offers(sentence, kind, question)` → whether the sentence
     holds a new item of that kind: one the question does not already name.

Cues, never filters: search adds them to a sentence's evidence (qa/search/evidence.py). Numbers
and dates are found by pattern; people and places by jieba's part-of-speech tags (nr, ns), which
are slow, so a sentence is tagged once and only for a question that asks for a person or a place.
"""

from __future__ import annotations

import re
from functools import lru_cache

from qa.text import normalize, pos_tagger

__all__ = ["asked_type", "offers", "is_list_question", "fits", "tagged", "NUMBER_PATTERN", "DATE_PATTERN"]

_DIGITS = "0-9〇零一二两三四五六七八九十百千万亿"
# Measure words and units a counted answer carries ("10座", "22.4公里", "三成", "45%").
_MEASURES = (
    "个|位|名|座|次|年|天|岁|种|项|条|家|所|部|本|张|件|块|只|台|辆|层|届|人|米|公里|千米|厘米|毫米|公斤|千克|克|吨|"
    "元|美元|港元|日元|英镑|欧元|倍|平方公里|平方米|公顷|亩|分钟|小时|秒|周|个月|字|首|场|集|章|卷|级|度|英尺|英里|架|艘|"
    "枚|颗|棵|间|栋|支|队|册|篇|门|套|份|期|轮|局|票|分|成|例|户|代|匹|头|尾|片|粒|瓶|杯|里|光年|磅|盎司|升|毫升|伏|瓦|"
    "千瓦|兆瓦|赫兹|字节|像素|%|％|‰"
)
NUMBER_PATTERN = _NUMBER = re.compile(
    rf"(?:[0-9]+(?:[.,][0-9]+)*|[{_DIGITS}]+)\s*(?:多|余|几)?\s*[万亿千百]?\s*(?:{_MEASURES})"
)
DATE_PATTERN = _DATE = re.compile(
    rf"(?:公元前?)?[0-9{_DIGITS}]{{2,4}}\s*年|[0-9一二三四五六七八九十]{{1,3}}\s*月(?:[0-9一二三四五六七八九十]{{1,3}}\s*[日号])?"
    rf"|[0-9一二三四五六七八九十]{{1,3}}\s*世纪|[0-9一二三四五六七八九十]{{2,4}}\s*年代|[春夏秋冬]季|(?:[初中末])期"
)

_ASKS = (
    ("person", re.compile(r"谁|哪一?位|什么人|何人|哪个人|哪些人|何许人")),
    (
        "date",
        re.compile(
            r"何时|什么时候|什么时间|哪一?年|哪一?天|几月|几号|何年|哪个月|哪个年代|哪个朝代|哪个世纪|什么年代|几几年"
        ),
    ),
    ("number", re.compile(rf"多少|几(?=[{_DIGITS}]?(?:{_MEASURES}))|多[大长高重远久宽深厚]|百分之几|几成")),
    (
        "place",
        re.compile(
            r"哪里|哪儿|何处|何地|什么地方|在哪(?![一个]?(?:事|件|次|场|方面|种|类|项|部|本|点))|哪[一个座所]?(?:个)?(?:国家?|城市?|省|州|地区?|县|岛|洲|区域|座城市)"
        ),
    ),
)
# 一条/一个/一种 is mostly the indefinite article ("是一条地铁线路"), not a count.
_ONE = tuple(f"一{m}" for m in _MEASURES.split("|"))
# 多少亿元 names 元; 几个小时 names 小时 and 几个月 个月, not the all-purpose 个 (longest measure first).
_LONGEST_FIRST = "|".join(sorted(_MEASURES.split("|"), key=len, reverse=True))
_ASKED_MEASURE = re.compile(rf"(?:多少|几)\s*[万亿千百]?\s*(?:个(?=小时|钟头|星期))?(?P<m>{_LONGEST_FIRST})")
# A question asking for several items: 有哪些, 哪几/哪两/哪三…, 分别, 几个方面, 包括什么, 主要有什么,
# 分为几步; in English "what are the (main/three) steps/parts …", "list …", "which … steps".
_LIST = re.compile(
    r"哪些|哪几|哪[两二三四五六七八九十]|分别是|分别有|分别为|列举|包括什么|包括哪|包含什么|包含哪|"
    r"几个?(?:方面|步骤|阶段|部分|环节|层面|原则|要点)|分为几|分成几|几步|主要有什么|有什么(?:步骤|方面|要求|措施|特点)|"
    r"几点(?:要求|意见|建议|原因|做法|经验|内容)"
)
_LIST_EN = re.compile(
    r"\b(?:what|which)\s+(?:are|were)\s+the\s+(?:\w+\s+){0,3}?(?:steps|parts|stages|phases|items|points|components|"
    r"types|kinds|features|tasks|measures|principles|aspects|ways|methods|elements|categories)\b|\blist\s+(?:the|all)\b",
    re.I,
)
_PERSON_TAGS = ("nr", "nrfg", "nrt")
_PLACE_TAGS = ("ns", "nsf")


def asked_type(question: str, normalized: bool = False) -> tuple[str | None, str | None]:
    """(kind the question asks for, or None; the measure word it names for a number, or None).
    normalize() folds traditional characters to simplified, so DRCD-style questions match too
    (`normalized`: the caller passes the question already normalised, qa/search/query.py)."""
    q = question if normalized else normalize(question)
    for kind, pattern in _ASKS:
        if pattern.search(q):
            m = _ASKED_MEASURE.search(q) if kind == "number" else None
            # 个 is the all-purpose counter: "多少个车站" is answered by "10座车站".
            return kind, (m.group("m") if m and m.group("m") != "个" else None)
    return None, None


def is_list_question(question: str) -> bool:
    """Does it ask for several items (哪些, 哪几, 分别是, 几个方面, 分为几步, 列举, "what are the … steps")?
    A bare 几个 asks for a number ("有几个车站"), 几点 for a time ("几点开会"): neither is a list."""
    q = normalize(question)
    return bool(_LIST.search(q) or _LIST_EN.search(q))


def offers(sentence: str, kind: str, question: str, measure: str | None = None) -> bool:
    """Does `sentence` hold an item of `kind` that `question` (normalised: Question.normalized) does
    not name itself?"""
    s = normalize(sentence)
    q = question
    if kind == "number":
        # The measure may stand after an all-purpose 个: "两个小时" answers 几个小时.
        return any(
            m.group(0) not in q
            and (measure is None or measure in s[m.start() : m.end() + len(measure)])
            and not m.group(0).startswith(_ONE)
            for m in _NUMBER.finditer(s)
        )
    if kind == "date":
        return any(m.group(0) not in q for m in _DATE.finditer(s))
    tags = _PERSON_TAGS if kind == "person" else _PLACE_TAGS
    return any(flag in tags and len(word) > 1 and word not in q for word, flag in tagged(s))


def fits(answer: str, kind: str | None) -> bool:
    """Can the short answer `answer` be an item of the kind asked for? Only clear mismatches are
    refused: a figure or a date for 谁/哪里, no figure for 多少/几, no date or figure for 何时."""
    a = normalize(answer)
    figure = bool(re.search(rf"[0-9{_DIGITS}]", a))
    dated = bool(_DATE.search(a)) or bool(re.fullmatch(r"[0-9]{2,4}", a))
    if kind == "number":
        # 多久一次 is answered by a frequency (每年), 多少 by a figure
        return figure or a in ("半", "一半", "大半") or bool(re.search(r"[数几]|^每", a))
    if kind == "date":
        return dated or figure or bool(re.search(r"今|昨|明|前|后|时|代|朝|期|初|末|当|年|月|日|季|节|晚|早|夜", a))
    if kind in ("person", "place"):
        if dated or _FIGURE_ONLY.fullmatch(a):
            return False
        # A name for 哪里, a place for 谁: every word of the span tagged as the other kind. jieba guesses
        # "place" for many names it does not know (郑连昌), so a place for 谁 must be one its dictionary
        # knows (杭州) or end like one (江北新区).
        other = _PLACE_TAGS if kind == "person" else _PERSON_TAGS
        words = [(word, flag) for word, flag in tagged(a) if word.strip()]
        if not words or not all(flag in other for _, flag in words):
            return True
        return kind == "person" and not (all(_known(w) for w, _ in words) or a.endswith(_PLACE_ENDS))
    return True


_PLACE_ENDS = tuple("省市县区州镇乡村岛山河湖江海湾路街港国")


def _known(word: str) -> bool:
    """Is `word` in jieba's dictionary with a tag (not a guess of its model for unknown words)?"""
    return word in pos_tagger().word_tag_tab


_FIGURE_ONLY = re.compile(rf"[0-9.,%％{_DIGITS}]+\s*(?:{_MEASURES})?")


# Sentences are tagged again and again: the same candidates come up for many questions.
@lru_cache(maxsize=4096)
def tagged(sentence: str) -> tuple[tuple[str, str], ...]:
    """jieba's (word, part-of-speech) pairs of a sentence, cached: tagging is ~20x slower than cutting."""
    return tuple((w.word, w.flag) for w in pos_tagger().cut(sentence))
