"""Where a text can be in the corpus: normalised paragraphs joined, 3-gram lookup, offset maps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.records import Article, Citation, Paragraph
from qa.text import is_punct, quote_normalize_with_map

__all__ = ["GRAM", "NormalizedCorpus", "Place", "codepoints", "gram_keys"]

GRAM = 3
_GRAM_CAP = 1000  # a 3-gram printed more often than this says little about where a quote is from
_VOTE_BUDGET = 400_000  # most (gram, position) votes gathered for one quote: bounds the work
_DRIFT = 4  # diagonal drift (insertions - deletions) tolerated inside one place
_COMMON_SAMPLE = 50  # grams kept when every gram of a quote is over _GRAM_CAP


@dataclass
class Place:
    """Where (part of) a quote seems to come from: a paragraph and a corpus core span."""

    para: int
    c0: int  # corpus core offsets
    c1: int
    q0: int = 0  # quote core offsets it explains (for splice parts)
    q1: int = 0


def codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)


def gram_keys(cps: np.ndarray) -> np.ndarray:
    """One int64 per 3-gram: three code points (each < 2**21) packed side by side."""
    if len(cps) < GRAM:
        return np.zeros(0, dtype=np.int64)
    return (cps[:-2] << 42) | (cps[1:-1] << 21) | cps[2:]


class NormalizedCorpus:
    """Every non-empty paragraph normalised (qa.text.quote_normalize_with_map) and joined with line breaks
    into one string, `text`. Its punctuation-free "core" characters are cut into 3-grams held in a
    sorted array, so finding where a gram occurs is a binary search, not a scan of the corpus.
    Three coordinate systems: core offsets (3-grams), normalised offsets (`text`), and raw offsets
    into a paragraph's text, which `cite` turns into file offsets."""

    def __init__(self, articles: list[Article] | tuple[Article, ...]):
        self.paras: list[tuple[Article, Paragraph]] = []
        self._slot: dict[tuple[str, int], int] = {}  # (doc_id, paragraph number) → index in paras
        norms: list[str] = []
        maps: list[np.ndarray] = []
        for article in articles:
            for para in article.quotable():
                norm, nmap = quote_normalize_with_map(para.text)
                if not norm:
                    continue
                self._slot[(article.doc_id, para.number)] = len(self.paras)
                self.paras.append((article, para))
                norms.append(norm)
                maps.append(np.asarray(nmap, dtype=np.int32))
        # "\n" never survives normalisation, so it separates paragraphs and no match or 3-gram
        # crosses from one paragraph into the next.
        self.text = "\n".join(norms)
        lengths = np.array([len(n) + 1 for n in norms], dtype=np.int64)
        self._norm_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if norms else np.zeros(0, np.int64)
        # Offsets and code points are int32 (the corpus text would need 2**31 characters to overflow
        # them): five arrays a character, so at 1M passages 24 instead of 40 bytes a character.
        offset = np.int32 if len(self.text) < 2**31 else np.int64
        self._raw_of = np.full(len(self.text), -1, dtype=offset)  # normalised pos → paragraph offset
        for start, m in zip(self._norm_starts, maps):
            self._raw_of[start : start + len(m)] = m
        cps = codepoints(self.text)
        uniq = np.unique(cps)
        punct = np.array([c for c in uniq.tolist() if is_punct(chr(c))], dtype=np.int64)
        core = ~np.isin(cps, punct)
        self._core_to_norm = np.flatnonzero(core).astype(offset)
        core_cps = cps[core]
        del cps
        keys = gram_keys(core_cps)
        self._core = core_cps.astype(np.int32)  # code points are < 2**21
        del core_cps
        self._order = np.argsort(keys, kind="stable").astype(offset)  # sorted gram index → core offset
        self._keys = keys[self._order]
        self._core_starts = np.searchsorted(self._core_to_norm, self._norm_starts)

    # --- offsets ---------------------------------------------------------------------------------

    def para_of(self, norm_pos: int) -> int:
        return int(np.searchsorted(self._norm_starts, norm_pos, side="right")) - 1

    def _para_of_core(self, core_pos: int) -> int:
        return int(np.searchsorted(self._core_starts, core_pos, side="right")) - 1

    def raw_offsets(self, n0: int, n1: int) -> list[int]:
        """Paragraph text offset of each normalised character in [n0, n1)."""
        return self._raw_of[n0:n1].tolist()

    def cite(self, idx: int, r0: int, r1: int) -> Citation:
        """Paragraph offsets → file offsets through the paragraph's pieces (page-break repairs)."""
        article, para = self.paras[idx]
        return article.citation(para.number, _file_offset(para, r0), _file_offset(para, r1 - 1) + 1)

    def runs_on(self, first: Citation, second: Citation) -> bool:
        """Whether `first` ends its paragraph and `second` begins the next one of the same article
        (punctuation and space aside): one quotation running on across a paragraph break."""
        a = self._slot.get((first.doc_id, first.paragraph))
        b = self._slot.get((second.doc_id, second.paragraph))
        if a is None or b != a + 1 or first.doc_id != second.doc_id:
            return False
        pa, pb = self.paras[a][1], self.paras[b][1]
        rest = pa.text[_text_offset(pa, first.end) :]
        before = pb.text[: _text_offset(pb, second.start)]
        return all(is_punct(c) or c.isspace() for c in rest + before)

    def running_text(self, options: list[list]) -> list | None:
        """One match (anything with a `.citation`) per part, chosen from each part's `options`, such
        that every part runs on into the next across a paragraph break; None when there is none."""
        if not options:
            return None
        # Walk part by part keeping, for every option that can be reached, the chain that reaches it.
        chains = [[m] for m in options[0]]
        for part in options[1:]:
            reached = []
            for m in part:
                before = next((c for c in chains if self.runs_on(c[-1].citation, m.citation)), None)
                if before is not None:
                    reached.append([*before, m])
            if not reached:
                return None
            chains = reached
        return chains[0]

    def window(self, place: Place) -> tuple[int, int]:
        """Normalised span around the place's core span, padded, inside its paragraph."""
        p_n0 = int(self._norm_starts[place.para])
        p_n1 = p_n0 + self._para_norm_len(place.para)
        p_c0 = int(self._core_starts[place.para])
        p_c1 = (
            int(self._core_starts[place.para + 1]) - 1 if place.para + 1 < len(self._core_starts) else len(self._core)
        )
        c0 = max(p_c0, min(place.c0, p_c1 - 1))
        c1 = max(c0 + 1, min(place.c1, p_c1))
        pad = 6 + (c1 - c0) // 6
        n0 = int(self._core_to_norm[c0]) - pad
        n1 = int(self._core_to_norm[c1 - 1]) + 1 + pad
        return max(p_n0, n0), min(p_n1, n1)

    def _para_norm_len(self, idx: int) -> int:
        end = int(self._norm_starts[idx + 1]) - 1 if idx + 1 < len(self._norm_starts) else len(self.text)
        return end - int(self._norm_starts[idx])

    # --- lookups ---------------------------------------------------------------------------------

    def _lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For every 3-gram in `keys`, its range in the sorted gram array."""
        return np.searchsorted(self._keys, keys, side="left"), np.searchsorted(self._keys, keys, side="right")

    def occurrences(self, norm: str, keys: np.ndarray, lead: int) -> list[int]:
        """Normalised start of every occurrence of `norm` (3-gram `keys` of its core, `lead`
        punctuation characters before its first core character), via its rarest 3-gram."""
        if not len(keys) or not len(self._keys):
            return []
        lo, hi = self._lookup(keys)
        o = int(np.argmin(hi - lo))
        if hi[o] == lo[o]:
            return []
        starts = self._order[lo[o] : hi[o]] - o
        starts = starts[starts >= 0]
        candidates = (self._core_to_norm[starts] - lead).tolist()
        return [n for n in candidates if n >= 0 and self.text.startswith(norm, n)]

    def places(self, keys: np.ndarray, core_len: int, limit: int) -> list[Place]:
        """Up to `limit` places a quote (core 3-gram `keys`, `core_len` core characters) may come
        from, strongest first: every gram votes for a diagonal (corpus position - quote position);
        a cluster of votes, drift of a few characters allowed, is a place."""
        if not len(keys) or not len(self._keys):
            return []
        lo, hi = self._lookup(keys)
        counts = hi - lo
        usable = np.flatnonzero((counts > 0) & (counts <= _GRAM_CAP))
        if not len(usable):  # only very common grams: take a bounded sample of them
            usable = np.flatnonzero(counts > 0)[:_COMMON_SAMPLE]
            counts = np.minimum(counts, _GRAM_CAP)
        usable = usable[np.argsort(counts[usable], kind="stable")]
        usable = usable[np.cumsum(counts[usable]) <= _VOTE_BUDGET]
        if not len(usable):
            return []
        offs = np.repeat(usable, counts[usable])
        pos = np.concatenate([self._order[lo[o] : lo[o] + counts[o]] for o in usable.tolist()])
        diag = pos - offs
        order = np.argsort(diag, kind="stable")
        diag, offs, pos = diag[order], offs[order], pos[order]
        group = np.concatenate([[0], np.cumsum(np.diff(diag) > _DRIFT)])
        # Votes per group: distinct quote offsets (a gram printed twice nearby votes once).
        width = len(keys) + 1
        score = np.bincount(np.unique(group * width + offs) // width, minlength=int(group[-1]) + 1)
        ranked = np.argsort(-score, kind="stable")
        # Places with as many votes as the last one taken are just as likely: take them too (up to
        # twice the limit), so which of them is aligned does not depend on where they stand in the corpus.
        cut = score[ranked[min(limit, len(ranked)) - 1]]
        best = ranked[: max(limit, min(2 * limit, int(np.sum(score >= cut))))]
        bounds = np.searchsorted(group, np.stack([best, best + 1]))
        places = []
        for a, b in zip(bounds[0].tolist(), bounds[1].tolist()):
            d0, d1 = int(diag[a]), int(diag[b - 1])
            places.append(Place(self._para_of_core(pos[a]), d0, d1 + core_len))
        return places

    def runs(self, keys: np.ndarray, core: np.ndarray, min_len: int, gap: int, max_runs: int) -> list[Place]:
        """Greedy left-to-right cover of a quote (core code points `core`, their 3-gram `keys`) by
        its longest exact runs in the corpus, at least `min_len` long; each run is placed where it
        continues the previous one (at most `gap` characters on) when the text allows it."""
        lo, hi = self._lookup(keys)
        runs: list[Place] = []
        i, n = 0, len(core)
        while i <= n - GRAM:
            cand = self._order[lo[i] : hi[i]]
            k = GRAM
            while len(cand) and i + k < n:
                ahead = cand + k
                keep = cand[
                    (ahead < len(self._core)) & (self._core[np.minimum(ahead, len(self._core) - 1)] == core[i + k])
                ]
                if not len(keep):
                    break
                cand, k = keep, k + 1
            if k < min_len or not len(cand):
                i += 1
                continue
            pos = int(cand[0])
            if runs:  # prefer the occurrence that continues the previous run
                prev = runs[-1]
                near = cand[(cand >= prev.c1 - GRAM) & (cand <= prev.c1 + gap)]
                if len(near):
                    pos = int(near[0])
            runs.append(Place(self._para_of_core(pos), pos, pos + k, i, i + k))
            i += k
            if len(runs) > max_runs:
                break
        return runs


def _text_offset(para: Paragraph, file_offset: int) -> int:
    """File offset → offset into the paragraph's (repaired) text; the inverse of _file_offset."""
    k = 0
    for fs, fe in para.pieces:
        if file_offset <= fe:
            return k + max(0, file_offset - fs)
        k += fe - fs
    return len(para.text)


def _file_offset(para: Paragraph, k: int) -> int:
    for fs, fe in para.pieces:
        if k < fe - fs:
            return fs + k
        k -= fe - fs
    return para.pieces[-1][1]
