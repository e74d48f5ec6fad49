"""How Chinese a text looks: the share of its characters among the common hanzi (qa/data/common_hanzi.txt).

A decoding or a PDF text layer can be valid Unicode and still be garbage: Big5 bytes read as
GB18030 give real but rare characters (蝴膀ㄥ…), a broken font map gives Extension A code points
(䇖 for 开). Ordinary Chinese text is made mostly of the few thousand most frequent characters.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from importlib import resources

from qa.text import to_simplified

__all__ = ["common_hanzi", "commonness", "rare_cjk", "is_cjk", "unusable_share"]

_TOP = 3000  # a character among the 3,000 most frequent counts as common


@lru_cache(maxsize=1)
def common_hanzi() -> frozenset[str]:
    table = resources.files("qa.data").joinpath("common_hanzi.txt").read_text(encoding="utf-8").strip()
    return frozenset(table[:_TOP])


def is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x3FFFF


def _scored(ch: str) -> bool:
    """Characters that say something about the decoding: not ASCII, not punctuation or spaces."""
    if ord(ch) < 0x80 or ch.isspace():
        return False
    cat = unicodedata.category(ch)
    return not (cat.startswith("P") or cat.startswith("Z") or cat in ("Nd", "Sm", "Sc"))


def commonness(text: str) -> float | None:
    """Share of the telling characters (hanzi, kana, Cyrillic, box drawing … — not ASCII, not
    punctuation) that are common hanzi, traditional forms counted as their simplified ones.
    None when the text has no telling characters."""
    common = common_hanzi()
    telling = [c for c in to_simplified(text) if _scored(c)]
    if not telling:
        return None
    return sum(c in common for c in telling) / len(telling)


def rare_cjk(text: str) -> list[str]:
    """CJK Extension A and B code points: valid, but in modern text almost always a broken font map."""
    return [c for c in text if 0x3400 <= ord(c) <= 0x4DBF or 0x20000 <= ord(c) <= 0x2A6DF]


def unusable_share(text: str) -> float:
    """Share of characters that no text should contain: control characters (other than line ends
    and tabs), unassigned and private-use code points, U+FFFD/U+FFFE."""
    if not text:
        return 0.0
    bad = 0
    for c in text:
        if c in "\n\r\t":
            continue
        cat = unicodedata.category(c)
        if cat in ("Cc", "Cn", "Co", "Cs") or c in "\ufffd\ufffe":
            bad += 1
    return bad / len(text)
