"""Questions asked in English over Chinese text: the Chinese words they name, found without a glossary.

In:  an English question (no Chinese character in it) and candidate passages (the dense retriever's
     best ones for it).
Out: `PinyinNames.terms(question, passages)`: the Chinese strings of those passages whose toneless
     pinyin spells a capitalised name of the question, space-separated — "Xu Zhantang" → 徐展堂,
     "Zi Bu Yu … Yuan Mei" → 子不语 袁枚, "Guangxu" → 光绪. They join the question's keyword query.

The multilingual model bridges languages only roughly, and a name written in pinyin is the part of an
English question it bridges worst, while it is what singles out the passage. Pinyin comes from
pypinyin's dictionary (the commonest reading of each character, tones dropped); Japanese, Cantonese or
Korean romanisations ("Koji Akiyama", "Kowloon") do not spell the characters' Mandarin reading and
find nothing. A name must spell at least two characters and MIN_LETTERS letters, so one syllable
("Li", "Hong") matches nothing on its own.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["PinyinNames", "has_chinese", "name_spellings", "reading", "spelled", "MIN_LETTERS"]

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Za-z][A-Za-z\-']*")
MIN_LETTERS = 4


def has_chinese(text: str) -> bool:
    return bool(_CJK.search(text))


def name_spellings(question: str) -> list[str]:
    """Letters of each run of capitalised words and of its shorter runs (longest first), lower case,
    run by run: "Where is the Chong Mausoleum of the Guangxu Emperor" → where, chongmausoleum, chong,
    mausoleum, guangxuemperor, guangxu, emperor (those of at least MIN_LETTERS letters)."""
    runs: list[list[str]] = [[]]
    for w in _WORD.findall(question):
        if w[0].isupper():
            runs[-1].append(re.sub(r"[^a-z]", "", w.lower()))
        elif runs[-1]:
            runs.append([])
    out: dict[str, None] = {}
    for run in runs:
        for size in range(len(run), 0, -1):
            for i in range(len(run) - size + 1):
                letters = "".join(run[i : i + size])
                if len(letters) >= MIN_LETTERS:
                    out[letters] = None
    return list(out)


@lru_cache(maxsize=65536)
def reading(char: str) -> str:
    """The commonest toneless Mandarin reading of a character (pypinyin's dictionary lists it first;
    ü written u): 徐 → xu, 重 → zhong; "" for anything that is not a hanzi it knows."""
    from pypinyin.pinyin_dict import pinyin_dict

    marked = pinyin_dict.get(ord(char))
    if not marked:
        return ""
    first = marked.split(",")[0]
    return "".join(c for c in unicodedata.normalize("NFKD", first) if not unicodedata.combining(c))


@lru_cache(maxsize=4096)
def _readings(text: str) -> tuple[str, dict[int, int]]:
    """The text's readings joined ("|" for what is not a hanzi), and where each character starts in it."""
    first: dict[int, int] = {}
    parts: list[str] = []
    at = 0
    for k, ch in enumerate(text):
        first[at] = k
        r = reading(ch) or "|"
        parts.append(r)
        at += len(r)
    return "".join(parts), first


def spelled(letters: str, text: str) -> set[str]:
    """Runs of two or more characters of `text` whose readings, joined, are exactly `letters`."""
    joined, first = _readings(text)
    found: set[str] = set()
    hit = joined.find(letters)
    while hit >= 0:
        end = hit + len(letters)
        if hit in first and (end in first or end == len(joined)):
            i, j = first[hit], first.get(end, len(text))
            if j - i >= 2:
                found.add(text[i:j])
        hit = joined.find(letters, hit + 1)
    return found


class PinyinNames:
    """Finds the Chinese that a question's pinyin names spell in given passage texts."""

    def terms(self, question: str, texts: list[str]) -> str:
        """Chinese strings the question's names spell in these passage texts; a name found whole is
        not looked for again in its parts ("xuzhantang" found: "zhantang" is not tried)."""
        if has_chinese(question):
            return ""
        found: dict[str, None] = {}
        spelled_names: list[str] = []
        for letters in name_spellings(question):
            if any(letters in longer for longer in spelled_names):
                continue
            hits = set().union(*(spelled(letters, text) for text in texts)) if texts else set()
            if hits:
                spelled_names.append(letters)
                found.update(dict.fromkeys(sorted(hits)))
        return " ".join(found)
