"""Quote ↔ source alignment: best source window, character diff, normalisations and change flags."""

from __future__ import annotations

import numpy as np
from rapidfuzz.distance import Levenshtein

from qa.text import _QUOTES, is_punct, pos_tagger, to_simplified

__all__ = ["NEGATIONS", "align", "char_normalization", "diff_segments", "change_flags"]

NEGATIONS = "不没未非无莫勿别"
_DIGITS = "0123456789０１２３４５６７８９"
_CN_NUMERALS = "〇零一二三四五六七八九十百千万亿两"
_NUM_INNER = ".．,，"  # inside a number only between two digits: 1,000 / 3.5
_NUM_SUFFIX = "%％‰"
_DATE_UNITS = "年月日号"
_NAME_TAGS = ("nr", "ns", "nt")  # person (nr, nrfg, nrt), place, organisation
_EDGE_SLACK = 3  # how far the window edges are re-tried after a global alignment
_SEMI_GLOBAL_MAX = 400  # longer quotes use the cheaper global alignment (one numpy pass per character)

# Segment: (op, quote_start, quote_end, source_start, source_end), raw offsets into the quote
# and into the paragraph text. op: equal | replace | insert (only in the quote) | delete (only
# in the source).
Segment = tuple[str, int, int, int, int]


def align(source: str, quote: str) -> tuple[int, int, list]:
    """The substring source[s:e] that best matches `quote`, and the opcodes from it to the quote."""
    if len(quote) <= _SEMI_GLOBAL_MAX:
        s, e = _best_span(source, quote)
    else:
        s, e = _trimmed_span(source, quote)
    return s, e, list(Levenshtein.opcodes(source[s:e], quote))


def _last_row(source: np.ndarray, quote: np.ndarray) -> np.ndarray:
    """Last row of the edit-distance table of `quote` against every substring of `source` that
    starts anywhere (Sellers): row[j] = fewest edits turning some source[s:j] into the quote.

    One numpy pass per quote character; the in-row deletions (min over k <= j of T[k] + j - k)
    come from a running minimum, so nothing is looped per source character.
    """
    steps = np.arange(len(source) + 1)
    row = np.zeros(len(source) + 1, dtype=np.int64)
    for ch in quote.tolist():
        t = row + 1  # the quote character has no source counterpart
        np.minimum(t[1:], row[:-1] + (source != ch), out=t[1:])
        row = np.minimum.accumulate(t - steps) + steps
    return row


def _best_span(source: str, quote: str) -> tuple[int, int]:
    """Semi-global alignment: the source substring nearest (fewest edits) to the quote.

    The end comes from one pass, the start from a second pass over the reversed prefix; among equal
    distances the longest span wins.
    """
    src, q = _codes(source), _codes(quote)
    row = _last_row(src, q)
    best = int(row.min())
    ends = np.flatnonzero(row == best)
    back = _last_row(src[: int(ends.max())][::-1], q[::-1])  # distances of spans ending at each end
    pick = None
    for e in ends.tolist():
        rev = _last_row(src[:e][::-1], q[::-1]) if e != int(ends.max()) else back
        lengths = np.flatnonzero(rev == best)
        if not len(lengths):
            continue
        # Equal edits over a longer span mean more characters in common (施直层 against
        # 施直达基层 beats 基层 for the same three edits).
        n = int(lengths.max())
        key = (-n, -e)
        if pick is None or key < pick[0]:
            pick = (key, e - n, e)
        if len(ends) > 4:
            break
    if pick is None or pick[2] <= pick[1]:
        return _trimmed_span(source, quote)
    return pick[1], pick[2]


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)


def _trimmed_span(source: str, quote: str) -> tuple[int, int]:
    """For long quotes: a global alignment against the padded window, its end deletions trimmed,
    then each edge re-tried a few characters either way (a tie can let the alignment swallow a
    padding character: xxABC vs ZBC as x→Z plus two deletions)."""
    ops = Levenshtein.opcodes(source, quote)
    s, e = 0, len(source)
    if len(ops) > 1 and ops[0].tag == "delete":
        s = ops[0].src_end
    if len(ops) > 1 and ops[-1].tag == "delete":
        e = ops[-1].src_start

    def cost(a: int, b: int) -> tuple[int, int]:
        return Levenshtein.distance(source[a:b], quote), abs((b - a) - len(quote))

    best = cost(s, e)
    for a in range(max(0, s - _EDGE_SLACK), min(e - 1, s + _EDGE_SLACK) + 1):
        c = cost(a, e)
        if c < best:
            best, s = c, a
    for b in range(max(s + 1, e - _EDGE_SLACK), min(len(source), e + _EDGE_SLACK) + 1):
        c = cost(s, b)
        if c < best:
            best, e = c, b
    return s, e


def char_normalization(q: str, s: str) -> str:
    """Name the normalisation that makes quote character `q` equal source character `s`."""
    if q in _QUOTES and s in _QUOTES:
        return "quote_marks"
    if q.lower() == s.lower():
        return "letter_case"
    if to_simplified(q) == to_simplified(s):
        return "traditional_simplified"
    if is_punct(q) or is_punct(s):
        return "punctuation_width"
    return "character_width"


def diff_segments(ops: list, qpos, spos) -> list[Segment]:
    """Opcodes over normalised text → segments over raw text; qpos/spos map normalised offsets
    (including the end offset) to raw offsets, so every raw character falls in one segment."""
    return [(op.tag, qpos(op.dest_start), qpos(op.dest_end), spos(op.src_start), spos(op.src_end)) for op in ops]


# --- flags -------------------------------------------------------------------------------------


def _expand(text: str, a: int, b: int, chars: str) -> tuple[int, int]:
    """Grow [a, b) over a whole number: digits, separators between digits, a trailing %."""

    def inside(i: int) -> bool:
        if not 0 <= i < len(text):
            return False
        if text[i] in chars:
            return True
        return text[i] in _NUM_INNER and 0 < i < len(text) - 1 and text[i - 1] in chars and text[i + 1] in chars

    while inside(a - 1):
        a -= 1
    while inside(b):
        b += 1
    if b < len(text) and text[b] in _NUM_SUFFIX and b > a:
        b += 1
    return a, b


def _is_date(text: str, a: int, b: int) -> bool:
    token = text[a:b]
    if b < len(text) and text[b] in _DATE_UNITS:
        return True
    if len(token) == 4 and token[:2] in ("19", "20") and token.isdigit():
        return True
    return "-" in text[max(0, a - 3) : b + 3] and any(c.isdigit() for c in token)


def _names(text: str) -> list[tuple[int, int]]:
    """Spans of person, place and organisation names jieba's tagger finds in a short text."""
    spans, pos = [], 0
    # Tag the simplified form (same length, so spans carry over): jieba's dictionary is simplified,
    # and unknown traditional runs send its HMM into a slow, poor guess.
    for word, tag in pos_tagger().cut(to_simplified(text)):
        if tag.startswith(_NAME_TAGS) and len(word) >= 2:
            spans.append((pos, pos + len(word)))
        pos += len(word)
    return spans


def _counterpart(segments: list[Segment], s_lo: int, s_hi: int) -> tuple[int, int]:
    """Quote span that the alignment pairs with source span [s_lo, s_hi)."""
    q_lo = q_hi = None
    for op, q0, q1, s0, s1 in segments:
        if s1 < s_lo or s0 > s_hi or (s0 == s1 and not s_lo <= s0 <= s_hi):
            continue
        if op == "equal":
            lo, hi = q0 + max(0, s_lo - s0), q0 + min(s1, s_hi) - s0
        else:
            lo, hi = q0, q1
        q_lo = lo if q_lo is None else min(q_lo, lo)
        q_hi = hi if q_hi is None else max(q_hi, hi)
    return (q_lo or 0), max(q_lo or 0, q_hi or 0)


def change_flags(segments: list[Segment], quote: str, source: str, max_ops: int = 40) -> list[dict]:
    """Changes a reader must not miss: numbers, dates, negations and names that differ.

    Each flag is {"kind", "quote", "source"}: the whole number on each side (not just the changed
    digit), the negation with the character it governs, the name as printed in the source.
    """
    flags: list[dict] = []

    def add(kind: str, q: str, s: str) -> None:
        flag = {"kind": kind, "quote": q, "source": s}
        if flag not in flags:
            flags.append(flag)

    changed = [seg for seg in segments if seg[0] != "equal"][:max_ops]
    for _op, q0, q1, s0, s1 in changed:
        both = quote[q0:q1] + source[s0:s1]
        chars = _DIGITS if any(c in _DIGITS for c in both) else _CN_NUMERALS
        # Arabic digits always count; Chinese numerals only when the change is nothing but
        # numerals (三省→四省), not a word that contains one (一体化, 统一), nor bare punctuation (「」).
        words = [c for c in both if not is_punct(c)]
        if any(c in _DIGITS for c in words) or (words and all(c in _CN_NUMERALS for c in words)):
            qa, qb = _expand(quote, q0, q1, chars)
            sa, sb = _expand(source, s0, s1, chars)
            add("number", quote[qa:qb], source[sa:sb])
            if _is_date(quote, qa, qb) or _is_date(source, sa, sb):
                add("date", quote[qa : qb + 1].strip(), source[sa : sb + 1].strip())
        if any(c in NEGATIONS for c in both):
            add("negation", quote[q0 : q1 + 1], source[s0 : s1 + 1])
        for lo, hi in _local_names(source, s0, s1):
            qa, qb = _counterpart(segments, lo, hi)
            add("name", quote[qa:qb], source[lo:hi])
        for lo, hi in _local_names(quote, q0, q1):
            add("name", quote[lo:hi], _source_counterpart(segments, lo, hi, source))
    return flags


def _local_names(text: str, a: int, b: int, margin: int = 6) -> list[tuple[int, int]]:
    """Names in `text` that overlap the changed span [a, b) (an empty span: touching it)."""
    lo = max(0, a - margin)
    window = text[lo : b + margin]
    out = []
    for x, y in _names(window):
        x, y = x + lo, y + lo
        if (x < b and y > a) if b > a else (x < a < y):
            out.append((x, y))
    return out


def _source_counterpart(segments: list[Segment], q_lo: int, q_hi: int, source: str) -> str:
    flipped = [(op, s0, s1, q0, q1) for op, q0, q1, s0, s1 in segments]
    a, b = _counterpart(flipped, q_lo, q_hi)
    return source[a:b]
