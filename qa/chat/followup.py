"""Is a question a follow-up, and what is searched for it: text rules over the previous question.

In:  the question and the previous turn's search query (itself already resolved), or None.
Out: a FollowUp: the kind of follow-up, the search query, and for ordinals the position asked for.

The kinds, in the order they are tried:
    ordinal    the whole question is an ordinal: "那第三项呢？" "第二点是什么？" "下一项呢？" "最后一项是什么？"
               "第二个亮点具体指什么？" "And the third one?"
               → the previous query with its ordinal swapped; the enumeration is continued in the
               article of the previous answer (enumeration.py)
    ellipsis   "那X呢？" "X方面呢？" "还有呢？" "What about X?" — X holds no question word
               → the previous query with its "…方面" slot filled by X, or X put before it
    pronoun    他/她/它/其/其中/该…/这次…/还…, he/she/it/they/them/the next one
               → the previous query, then the question
    standalone anything else, and a pronoun-like question that names its own topic
               ("这次创新成果展的开幕式…" when the previous turn never spoke of 创新成果展)
               → the question as it stands
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.text import _tokenizer  # the jieba tokenizer with the domain dictionary

__all__ = ["FollowUp", "resolve", "ordinal_number", "mentioned_ordinal", "CN_DIGITS", "NEXT", "LAST"]

CN_DIGITS = "一二三四五六七八九十"
EN_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
NEXT = 0  # position of "下一项" / "the next one": one after the previous answer's
LAST = -1  # position of "最后一项" / "the last one": the list's last item

_END = r"[\s？?。.!！]*$"
_ORDINAL_ZH = re.compile(
    r"^(?:那么?|还有|那个)?(?P<o>第[一二三四五六七八九十\d]{1,2}|[一二三四五六七八九十]是|下一|再下一|接下来一|最后一|最后)"
    r"(?:项|点|条|个|部分|方面|件|步)?(?:[\u4e00-\u9fff]{1,6}?(?=具体|指|是什么|呢))?"
    r"(?:呢|是什么|什么|是啥|是哪个|是哪项|是哪一项|讲了什么|说了什么|是什么内容|具体指什么|具体是什么|具体说了什么|"
    r"指什么|是指什么|具体内容是什么)?" + _END
)
_ORDINAL_EN = re.compile(
    r"^(?:and|what about|how about)?\s*(?:the\s+)?(?P<o>" + "|".join(EN_ORDINALS) + r"|next|last)"
    r"(?:\s+(?:one|point|item|task|part|thing))?" + _END,
    re.I,
)
_ELLIPSIS_ZH = re.compile(r"^(?:那么?|还有|那)?(?P<x>.{0,24}?)呢" + _END)
_ELLIPSIS_EN = re.compile(r"^(?:what about|how about|and)\s+(?P<x>.+?)" + _END, re.I)
_ASKS = re.compile(
    r"什么|哪|谁|几|多少|怎|如何|为何|为什么|是否|吗|何|\b(?:what|which|who|whom|where|when|how|why|whose)\b", re.I
)
_PRONOUN_ZH = re.compile(r"^(?:那么?|而)?(?:他们|她们|它们|他|她|它|其中|其|这些|那些|还)")
_DETERMINER_ZH = re.compile(
    r"(?:这次|这个|这项|这件|这位|这些|那次|那个|那些|该|此次|此|这)(?P<noun>[\u4e00-\u9fff]{1,6})"
)
_PRONOUN_EN = re.compile(
    r"\b(?:he|she|it|they|them|his|her|its|their|this one|that one|the next one|these|those)\b", re.I
)
_SLOT = re.compile(r"(?:在|对|从|就|于|，|,)(?P<slot>[^，,在对从就于]{1,24}?)方面")


@dataclass(frozen=True)
class FollowUp:
    question: str
    search_query: str
    kind: str  # standalone | ordinal | ellipsis | pronoun
    position: int | None = None  # ordinals: 1-based position asked for, NEXT for "下一项"
    focus: str | None = None  # the follow-up's own words, also searched alone (conversation.py)


def ordinal_number(word: str) -> int | None:
    """第三 / 三是 / 3 / third / next → 3 / 3 / 3 / 3 / NEXT; None when it is no ordinal."""
    w = word.lower().removeprefix("第").removesuffix("是")
    if w in ("next", "下一", "再下一", "接下来一"):
        return NEXT
    if w in ("last", "最后一", "最后"):
        return LAST
    if w in EN_ORDINALS:
        return EN_ORDINALS.index(w) + 1
    if w.isdigit():
        return int(w)
    if w == "十":
        return 10
    if len(w) == 2 and w[0] == "十" and w[1] in CN_DIGITS:
        return 10 + CN_DIGITS.index(w[1]) + 1
    if len(w) == 1 and w in CN_DIGITS:
        return CN_DIGITS.index(w) + 1
    return None


def mentioned_ordinal(text: str) -> tuple[int, str] | None:
    """The first ordinal a question names and how lists write it: 第一项 → (1, "di") for 第一，;
    一是 → (1, "shi"); the first … → (1, "di"). None when it names none."""
    m = re.search(r"第[一二三四五六七八九十\d]{1,2}|(?<![一二三四五六七八九十])[一二三四五六七八九十]是", text)
    if m:
        n = ordinal_number(m.group())
        return (n, "shi" if m.group().endswith("是") else "di") if n else None
    m = re.search(r"\b(?:" + "|".join(EN_ORDINALS) + r")\b", text, re.I)
    n = ordinal_number(m.group()) if m else None
    return (n, "di") if n else None


def _cn(n: int) -> str:
    return CN_DIGITS[n - 1] if 1 <= n <= 10 else str(n)


def _swap_ordinal(previous: str, n: int, english: bool) -> str:
    """The previous query asking for position n: its own ordinal replaced, or the ordinal added."""
    if english:
        words = "|".join(EN_ORDINALS)
        swapped, count = re.subn(
            rf"\b(?:{words})\b", EN_ORDINALS[n - 1] if n <= 10 else str(n), previous, count=1, flags=re.I
        )
        return swapped if count else f"{previous} {EN_ORDINALS[min(n, 10) - 1]}"
    swapped, count = re.subn(r"第[一二三四五六七八九十\d]{1,2}", f"第{_cn(n)}", previous, count=1)
    if not count:
        swapped, count = re.subn(
            r"(?<![一二三四五六七八九十])[一二三四五六七八九十]是", f"{_cn(n)}是", previous, count=1
        )
    return swapped if count else f"{previous} 第{_cn(n)}"


def _fill_slot(previous: str, x: str) -> str | None:
    """'会议在共同强化公共服务便利共享方面提出了什么要求' + '营商环境方面' → '会议在营商环境方面提出了什么要求'."""
    if not x.endswith("方面"):
        return None
    found = list(_SLOT.finditer(previous))
    if not found:
        return None
    m = found[-1]
    return previous[: m.start("slot")] + x.removesuffix("方面") + previous[m.end("slot") :]


def _names_own_topic(question: str, previous: str) -> bool:
    """这次/该/这个 + a noun of two or more characters the previous turn never used: the question
    brings its own topic ("这次创新成果展的开幕式…"), so it is not read as pointing back."""
    for m in _DETERMINER_ZH.finditer(question):
        words = _tokenizer().lcut(m.group("noun"))
        noun = words[0] if words else ""
        if len(noun) >= 2 and noun not in previous:
            return True
    return False


def resolve(question: str, previous: str | None) -> FollowUp:
    """The search for `question` after a turn whose search query was `previous` (None: first turn)."""
    q = question.strip()
    if not previous:
        return FollowUp(question, q, "standalone")
    english = not re.search(r"[\u4e00-\u9fff]", q)

    m = (_ORDINAL_EN if english else _ORDINAL_ZH).match(q)
    if m:
        n = ordinal_number(m.group("o"))
        if n is not None:
            query = previous if n in (NEXT, LAST) else _swap_ordinal(previous, n, english)
            return FollowUp(question, query, "ordinal", n)

    m = (_ELLIPSIS_EN if english else _ELLIPSIS_ZH).match(q)
    if m and not _ASKS.search(m.group("x")):
        x = m.group("x").strip().removesuffix("的")
        if not x or x in ("还有", "其他", "其它", "别的", "else", "anything else"):
            return FollowUp(question, previous, "ellipsis")
        filled = _fill_slot(previous, x)
        if filled:
            return FollowUp(question, filled, "ellipsis")
        return FollowUp(question, f"{x} {previous}", "ellipsis", focus=x)

    if english:
        if _PRONOUN_EN.search(q):
            return FollowUp(question, f"{previous} {q}", "pronoun", focus=q)
        return FollowUp(question, q, "standalone")
    if _names_own_topic(q, previous):
        return FollowUp(question, q, "standalone")
    if _PRONOUN_ZH.match(q) or _DETERMINER_ZH.search(q):
        return FollowUp(question, f"{previous} {q}", "pronoun", focus=q)
    return FollowUp(question, q, "standalone")
