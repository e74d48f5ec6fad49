"""CMRC 2018's official EM and F1 (cmrc2018_evaluate.py of ymcui/cmrc2018), re-implemented.

In:  a predicted answer string and the gold answer strings of one question.
Out: `em(prediction, answers)` and `f1(prediction, answers)`, each in [0, 1]; `score(pairs)` averages
     them over (prediction, answers) pairs and gives percentages as the papers report them.

The rules: text is lower-cased and stripped; "mixed segmentation" cuts Chinese characters and the
listed punctuation one by one and keeps runs of other characters (Latin words, numbers) whole; F1 is
the longest common *substring* of those segments (not subsequence), EM compares the texts with the
punctuation removed, each the best over the gold answers. One difference from the official script:
it splits the runs of other characters with NLTK's word_tokenize, which we do not depend on; here
they split at whitespace and at the boundary between letters/digits and other symbols.
"""

from __future__ import annotations

import re

__all__ = ["em", "f1", "score"]

_PUNCTUATION = set("-:_*^/\\~`+=，。：？！“”；’《》·、「」（）－～『』") | {"……"}
_HAN = re.compile(r"[\u4e00-\u9fa5]")
_WORD = re.compile(r"[a-z0-9]+|[^a-z0-9\s]")


def _segments(text: str, drop_punctuation: bool) -> list[str]:
    out: list[str] = []
    run = ""
    for ch in text.lower().strip():
        if drop_punctuation and ch in _PUNCTUATION:
            continue
        if _HAN.match(ch) or ch in _PUNCTUATION:
            out += _WORD.findall(run)
            run = ""
            out.append(ch)
        else:
            run += ch
    out += _WORD.findall(run)
    return out


def _without_punctuation(text: str) -> str:
    return "".join(ch for ch in text.lower().strip() if ch not in _PUNCTUATION)


def _longest_common_substring(a: list[str], b: list[str]) -> int:
    best = 0
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0] * (len(b) + 1)
        for j, y in enumerate(b, 1):
            if x == y:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def f1(prediction: str, answers: list[str]) -> float:
    pred = _segments(prediction, drop_punctuation=True)
    best = 0.0
    for answer in answers:
        gold = _segments(answer, drop_punctuation=True)
        common = _longest_common_substring(gold, pred)
        if common == 0:
            continue
        precision, recall = common / len(pred), common / len(gold)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def em(prediction: str, answers: list[str]) -> float:
    pred = _without_punctuation(prediction)
    return float(any(_without_punctuation(a) == pred for a in answers))


def score(pairs: list[tuple[str, list[str]]]) -> dict[str, float]:
    """{"em": %, "f1": %, "n": count} over (prediction, gold answers) pairs."""
    n = max(len(pairs), 1)
    return {
        "em": round(100 * sum(em(p, a) for p, a in pairs) / n, 2),
        "f1": round(100 * sum(f1(p, a) for p, a in pairs) / n, 2),
        "n": len(pairs),
    }
