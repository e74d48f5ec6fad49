"""Where a text can be in the corpus: normalised paragraphs joined, 3-gram lookup, offset maps."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
    into one text, held as its code points. Its punctuation-free "core" characters are cut into
    3-grams held in a sorted array, so finding where a gram occurs is a binary search, not a scan of
    the corpus. Three coordinate systems: core offsets (3-grams), normalised offsets (the text), and
    raw offsets into a paragraph's text, which `cite` turns into file offsets.

    Built from articles (`NormalizedCorpus(articles)`), or written into an index build at ingest
    (`save`) and memory-mapped from it (`load`): 20 bytes a corpus character, about 4 GB at a million
    passages, of which a check reads a few pages."""

    ARRAYS = ("cps", "raw_of", "core_to_norm", "order", "keys", "norm_starts", "core_starts", "paras")

    def __init__(self, articles, arrays: dict[str, np.ndarray] | None = None):
        # articles: a sequence (list, or qa.index.record_file.RecordFile, read on demand)
        self.articles = articles
        self._docs: dict[str, int] | None = None  # doc_id → index in articles, built when first needed
        a = arrays if arrays is not None else _build_arrays(articles)
        self._cps = a["cps"]  # code point of every normalised character
        self._raw_of = a["raw_of"]  # normalised pos → paragraph offset
        self._core_to_norm = a["core_to_norm"]
        self._order = a["order"]  # sorted gram index → core offset
        self._keys = a["keys"]  # the sorted 3-gram keys
        self._norm_starts = a["norm_starts"]  # where each paragraph starts in the text
        self._core_starts = a["core_starts"]  # … and in the core
        self._paras = a["paras"]  # per paragraph: article index, position in quotable(), number

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in self.ARRAYS:
            np.save(folder / f"{name}.npy", getattr(self, f"_{name}"))

    @classmethod
    def load(cls, folder: Path, articles) -> NormalizedCorpus:
        """Map the arrays `save` wrote (a check then reads only the pages it needs)."""
        arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in cls.ARRAYS}
        n_text, n_core, n_paras = len(arrays["cps"]), len(arrays["core_to_norm"]), len(arrays["paras"])
        shapes = (
            len(arrays["raw_of"]) == n_text
            and len(arrays["order"]) == len(arrays["keys"]) == max(0, n_core - GRAM + 1)
            and len(arrays["norm_starts"]) == len(arrays["core_starts"]) == n_paras
            and (
                n_paras == 0 or (arrays["paras"].shape[1:] == (3,) and int(arrays["paras"][:, 0].max()) < len(articles))
            )
        )
        if not shapes:
            raise ValueError("the quote index arrays do not fit together")
        return cls(articles, arrays)

    def mappings(self) -> list[np.ndarray]:
        """The arrays, memory-mapped when `load` read them (for qa.index.paging)."""
        return [getattr(self, f"_{name}") for name in self.ARRAYS]

    @property
    def size(self) -> int:
        """Normalised characters (paragraph breaks included)."""
        return len(self._cps)

    def text_at(self, n0: int, n1: int) -> str:
        """The normalised text in [n0, n1)."""
        return np.ascontiguousarray(self._cps[max(0, n0) : max(0, n1)], dtype="<u4").tobytes().decode("utf-32-le")

    def para(self, idx: int) -> tuple[Article, Paragraph]:
        article_index, position, _ = (int(v) for v in self._paras[idx])
        article = self.articles[article_index]
        return article, article.quotable()[position]

    def article_index(self, doc_id: str) -> int | None:
        if self._docs is None:
            # A RecordFile reads one field of every record without building them.
            fields = getattr(self.articles, "fields", None)
            ids = (d for (d,) in fields("doc_id")) if fields else (a.doc_id for a in self.articles)
            self._docs = {d: i for i, d in enumerate(ids)}
        return self._docs.get(doc_id)

    def slot(self, doc_id: str, number: int) -> int | None:
        """The index of paragraph `number` of article `doc_id`, or None when it holds no text."""
        article = self.article_index(doc_id)
        if article is None:
            return None
        lo, hi = np.searchsorted(self._paras[:, 0], [article, article + 1]) if len(self._paras) else (0, 0)
        found = np.flatnonzero(self._paras[lo:hi, 2] == number)
        return int(lo + found[0]) if len(found) else None

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
        article, para = self.para(idx)
        return article.citation(para.number, _file_offset(para, r0), _file_offset(para, r1 - 1) + 1)

    def runs_on(self, first: Citation, second: Citation) -> bool:
        """Whether `first` ends its paragraph and `second` begins the next one of the same article
        (punctuation and space aside): one quotation running on across a paragraph break."""
        if first.doc_id != second.doc_id:
            return False
        a = self.slot(first.doc_id, first.paragraph)
        b = self.slot(second.doc_id, second.paragraph)
        if a is None or b != a + 1:
            return False
        pa, pb = self.para(a)[1], self.para(b)[1]
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
            int(self._core_starts[place.para + 1]) - 1
            if place.para + 1 < len(self._core_starts)
            else len(self._core_to_norm)
        )
        c0 = max(p_c0, min(place.c0, p_c1 - 1))
        c1 = max(c0 + 1, min(place.c1, p_c1))
        pad = 6 + (c1 - c0) // 6
        n0 = int(self._core_to_norm[c0]) - pad
        n1 = int(self._core_to_norm[c1 - 1]) + 1 + pad
        return max(p_n0, n0), min(p_n1, n1)

    def _para_norm_len(self, idx: int) -> int:
        end = int(self._norm_starts[idx + 1]) - 1 if idx + 1 < len(self._norm_starts) else len(self._cps)
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
        return [n for n in candidates if n >= 0 and self.text_at(n, n + len(norm)) == norm]

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
        last = len(self._core_to_norm) - 1
        while i <= n - GRAM:
            cand = self._order[lo[i] : hi[i]].astype(np.int64)
            k = GRAM
            while len(cand) and i + k < n:
                ahead = cand + k
                following = self._cps[self._core_to_norm[np.minimum(ahead, last)]]
                keep = cand[(ahead <= last) & (following == core[i + k])]
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


def _build_arrays(articles) -> dict[str, np.ndarray]:
    paras: list[tuple[int, int, int]] = []
    norms: list[str] = []
    maps: list[np.ndarray] = []
    for a, article in enumerate(articles):
        for position, para in enumerate(article.quotable()):
            norm, nmap = quote_normalize_with_map(para.text)
            if not norm:
                continue
            paras.append((a, position, para.number))
            norms.append(norm)
            maps.append(np.asarray(nmap, dtype=np.int32))
    # "\n" never survives normalisation, so it separates paragraphs and no match or 3-gram
    # crosses from one paragraph into the next.
    text = "\n".join(norms)
    del norms
    cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    del text
    lengths = np.array([len(m) + 1 for m in maps], dtype=np.int64)
    norm_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if maps else np.zeros(0, np.int64)
    # Offsets are int32 (the corpus text would need 2**31 characters to overflow them).
    offset = np.int32 if len(cps) < 2**31 else np.int64
    raw_of = np.full(len(cps), -1, dtype=offset)  # normalised pos → paragraph offset
    for start, m in zip(norm_starts, maps):
        raw_of[start : start + len(m)] = m
    del maps
    punct = np.array([c for c in np.unique(cps).tolist() if is_punct(chr(c))], dtype=np.uint32)
    core_to_norm = np.flatnonzero(~np.isin(cps, punct)).astype(offset)
    keys = gram_keys(cps[core_to_norm].astype(np.int64))
    order = np.argsort(keys, kind="stable").astype(offset)
    return {
        "cps": cps,
        "raw_of": raw_of,
        "core_to_norm": core_to_norm,
        "order": order,
        "keys": keys[order],
        "norm_starts": norm_starts,
        "core_starts": np.searchsorted(core_to_norm, norm_starts).astype(np.int64),
        "paras": np.asarray(paras, dtype=np.int32).reshape(-1, 3),
    }


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
