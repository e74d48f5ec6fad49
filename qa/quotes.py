"""Quote verification: is a pasted sentence really in the documents, verbatim, normalised, altered,
spliced together from several places, or not there at all, with the evidence for each verdict.

The index is built once in memory from the articles: every paragraph is normalised (width,
punctuation, quote marks, 繁→简, whitespace; see qa.text.normalize_with_map) and the results are
joined with line breaks into one string. Its punctuation-free "core" characters are cut into
3-grams held in a sorted numpy array, so a lookup is a binary search, not a scan of the corpus:

- exact/normalised: the rarest 3-gram of the quote gives the candidate positions; each is checked
  against the normalised text, then against the raw paragraph text to tell exact from normalised;
- fuzzy: every 3-gram of the quote votes for an alignment diagonal (source position - quote
  position); a cluster of votes is a place the quote (or part of it) comes from. One strong place
  is aligned character by character (altered); several places that each explain a part of the
  quote make it spliced; weak places are reported as the nearest candidates (not_found).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from rapidfuzz.distance import Levenshtein

from .align import align, change_flags, char_normalization, diff_segments
from .errors import EmptyInput, InputError, InputTooLong
from .records import Article, Citation, Paragraph
from .text import _QUOTES, is_punct, normalize_with_map

__all__ = ["QuoteChecker", "QuoteCheck", "QuoteMatch", "QuotePart", "VERDICTS"]

VERDICTS = ("exact", "normalized", "altered", "spliced", "not_found")

_GRAM = 3
_MAX_MATCHES = 20  # places listed for one quote or part (the message gives the full count)
_GRAM_CAP = 1000  # a 3-gram printed more often than this says little about where a quote is from
_VOTE_BUDGET = 400_000  # most (gram, position) votes gathered for one quote: bounds the work
_DRIFT = 4  # diagonal drift (insertions - deletions) tolerated inside one place
_MIN_PART = 5  # core characters a spliced part needs (shorter common runs are coincidence)
_MAX_PARTS = 1000  # bounded anyway: a 5,000-character quote has at most 1,000 parts of 5
_MERGE_GAP = 10  # exact runs this close, in order, in one paragraph belong to one (altered) place
_JOIN_COST = 2  # edits a splice reading is charged per join when weighed against one altered place
_ALTERED = 0.7  # similarity from which a single place counts as the (altered) source
_PART_FOUND = 0.8  # similarity an altered part of a spliced quote needs
_CANDIDATES = 6  # places aligned per quote
_NEAREST = 3  # candidates shown for not_found

@dataclass(frozen=True)
class QuoteMatch:
    """One place a quote (or part of it) is found, with what differs."""

    citation: Citation
    source_text: str
    similarity: float
    normalizations: list[str] = field(default_factory=list)
    diff: list[dict] = field(default_factory=list)  # [{"op", "quote", "source"}]
    flags: list[dict] = field(default_factory=list)  # [{"kind", "quote", "source"}]

    def to_dict(self) -> dict:
        c = self.citation
        return {
            "doc_id": c.doc_id,
            "file": c.file,
            "title": c.title,
            "paragraph": c.paragraph,
            "start": c.start,
            "end": c.end,
            "source_text": self.source_text,
            "similarity": round(float(self.similarity), 4),
            "normalizations": list(self.normalizations),
            "diff": [dict(d) for d in self.diff],
            "flags": [dict(f) for f in self.flags],
        }


@dataclass(frozen=True)
class QuotePart:
    """A piece of a spliced quote and where it is found."""

    quote: str
    verdict: str
    matches: list[QuoteMatch] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"quote": self.quote, "verdict": self.verdict, "matches": [m.to_dict() for m in self.matches]}


@dataclass(frozen=True)
class QuoteCheck:
    """The verdict on a quote. `matches`: every place for exact/normalized (up to 20), the closest
    place(s) for altered, the best place of each part for spliced, the nearest candidates for
    not_found. `parts` is filled for spliced quotes only."""

    quote: str
    verdict: str  # exact | normalized | altered | spliced | not_found
    matches: list[QuoteMatch] = field(default_factory=list)
    parts: list[QuotePart] = field(default_factory=list)
    message: str = ""

    def to_dict(self) -> dict:
        return {
            "quote": self.quote,
            "verdict": self.verdict,
            "matches": [m.to_dict() for m in self.matches],
            "parts": [p.to_dict() for p in self.parts],
            "message": self.message,
        }


@dataclass
class _Query:
    """A quote normalised: text, map to the raw quote, core (punctuation-free) 3-gram keys."""

    raw: str
    norm: str
    nmap: list[int]
    core_to_norm: np.ndarray
    keys: np.ndarray

    @property
    def core_len(self) -> int:
        return len(self.core_to_norm)

    def raw_pos(self, k: int) -> int:
        return self.nmap[k] if k < len(self.nmap) else len(self.raw)


@dataclass
class _Place:
    """Where (part of) the quote seems to come from: a paragraph and a corpus core span."""

    para: int
    c0: int  # corpus core offsets
    c1: int
    q0: int = 0  # quote core offsets it explains (for splice parts)
    q1: int = 0


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)


def _gram_keys(cps: np.ndarray) -> np.ndarray:
    if len(cps) < _GRAM:
        return np.zeros(0, dtype=np.int64)
    return (cps[:-2] << 42) | (cps[1:-1] << 21) | cps[2:]


class QuoteChecker:
    """Checks quotes against all paragraphs of `articles`; build once, call `check` many times."""

    def __init__(self, articles: list[Article] | tuple[Article, ...], max_chars: int = 5000):
        self.max_chars = max_chars
        self._paras: list[tuple[Article, Paragraph]] = []
        norms: list[str] = []
        maps: list[np.ndarray] = []
        for article in articles:
            for para in article.paragraphs:
                norm, nmap = normalize_with_map(para.text)
                if not norm:
                    continue
                self._paras.append((article, para))
                norms.append(norm)
                maps.append(np.asarray(nmap, dtype=np.int64))
        # One string; "\n" never survives normalisation, so it separates paragraphs and no match
        # or 3-gram crosses from one paragraph into the next.
        self._norm = "\n".join(norms)
        lengths = np.array([len(n) + 1 for n in norms], dtype=np.int64)
        self._norm_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if norms else np.zeros(0, np.int64)
        self._raw_of = np.full(len(self._norm), -1, dtype=np.int64)  # normalised pos → paragraph offset
        for start, m in zip(self._norm_starts, maps):
            self._raw_of[start : start + len(m)] = m
        cps = _codepoints(self._norm)
        uniq = np.unique(cps)
        punct = np.array([c for c in uniq.tolist() if is_punct(chr(c))], dtype=np.int64)
        core = ~np.isin(cps, punct)
        self._core_to_norm = np.flatnonzero(core)
        self._core = cps[core]
        keys = _gram_keys(self._core)
        self._order = np.argsort(keys, kind="stable")
        self._keys = keys[self._order]
        self._core_starts = np.searchsorted(self._core_to_norm, self._norm_starts)

    # --- public ---------------------------------------------------------------------------------

    def check(self, quote: str) -> QuoteCheck:
        text = self._validate(quote)
        q = self._query(text)
        found = self._exact(q)
        inner = _unwrap(text)
        if not found and inner and _core_chars(inner) >= 3:
            # “引文” pasted with its own quotation marks: the marks are not part of the source.
            found = self._exact(self._query(inner))
            if found:
                check = self._found(text, found)
                note = " 引文两端的引号不计入比对。 / The quotation marks around the quote were not compared."
                return QuoteCheck(check.quote, check.verdict, check.matches, [], check.message + note)
        if found:
            return self._found(text, found)
        places = self._places(q)
        if not places:
            return QuoteCheck(text, "not_found", [], [], _message("not_found", 0))
        candidates = self._candidates(q, places)
        best = candidates[0][0]
        parts = self._splice(q, best)
        if parts is not None:
            return QuoteCheck(text, "spliced", [p.matches[0] for p in parts], parts, _message("spliced", len(parts)))
        if best.similarity >= _ALTERED:
            ties = [self._align(q, place)[0] for m, place in candidates if m.similarity >= best.similarity - 1e-9]
            return QuoteCheck(text, "altered", ties, [], _message("altered", len(ties), ties[0]))
        nearest = [m for m, _ in candidates[:_NEAREST]]
        return QuoteCheck(text, "not_found", nearest, [], _message("not_found", len(nearest), best))

    # --- validation and queries ------------------------------------------------------------------

    def _validate(self, quote: str) -> str:
        if quote is None or not str(quote).strip():
            raise EmptyInput("引文为空，请粘贴要核对的句子。 / The quote is empty: paste the sentence to check.")
        if len(quote) > self.max_chars and len(quote.strip()) > self.max_chars:
            raise InputTooLong(
                f"引文过长（{len(quote.strip())} 字，上限 {self.max_chars} 字），请分段核对。 / "
                f"The quote is {len(quote.strip())} characters; the limit is {self.max_chars}. Check it in shorter parts."
            )
        text = quote.strip()
        if _core_chars(text) < 3:
            raise InputError(
                "引文太短（少于 3 个非标点字符），无法判断出处。 / The quote is too short to judge "
                "(fewer than 3 characters besides punctuation); paste a longer passage."
            )
        return text

    def _query(self, text: str) -> _Query:
        norm, nmap = normalize_with_map(text)
        cps = _codepoints(norm)
        core = np.array([not is_punct(c) for c in norm], dtype=bool)
        return _Query(text, norm, nmap, np.flatnonzero(core), _gram_keys(cps[core]))

    def _para_of(self, norm_pos: int) -> int:
        return int(np.searchsorted(self._norm_starts, norm_pos, side="right")) - 1

    # --- exact and normalised --------------------------------------------------------------------

    def _exact(self, q: _Query) -> list[QuoteMatch]:
        """Every place the normalised quote occurs, via the rarest of its 3-grams."""
        if not len(q.keys) or not len(self._keys):
            return []
        lo = np.searchsorted(self._keys, q.keys, side="left")
        hi = np.searchsorted(self._keys, q.keys, side="right")
        o = int(np.argmin(hi - lo))
        if hi[o] == lo[o]:
            return []
        lead = int(q.core_to_norm[0])  # punctuation before the first core character
        starts = self._order[lo[o] : hi[o]] - o
        starts = starts[starts >= 0]
        matches = []
        for n in (self._core_to_norm[starts] - lead).tolist():
            if n >= 0 and self._norm.startswith(q.norm, n):
                matches.append(self._match_at(q, n, n + len(q.norm)))
        matches.sort(key=lambda m: (bool(m.normalizations), m.citation.file, m.citation.start))
        return matches

    def _match_at(self, q: _Query, n0: int, n1: int) -> QuoteMatch:
        """An exact or normalised match of the whole quote at normalised span [n0, n1)."""
        idx = self._para_of(n0)
        article, para = self._paras[idx]
        raw = self._raw_of[n0:n1].tolist()
        r0, r1 = raw[0], raw[-1] + 1
        names: list[str] = []
        for k, (qi, si) in enumerate(zip(q.nmap, raw)):
            if q.raw[qi] != para.text[si]:
                names.append(char_normalization(q.raw[qi], para.text[si]))
            if k + 1 < len(raw) and q.raw[qi + 1 : q.nmap[k + 1]] != para.text[si + 1 : raw[k + 1]]:
                names.append("whitespace")
        names = sorted(set(names))
        source = para.text[r0:r1]
        diff = [{"op": "equal", "quote": q.raw, "source": source}]
        return QuoteMatch(self._cite(article, para, r0, r1), source, 1.0, names, diff, [])

    def _found(self, text: str, matches: list[QuoteMatch]) -> QuoteCheck:
        verdict = "normalized" if matches[0].normalizations else "exact"
        if verdict == "exact":
            shown = [m for m in matches if not m.normalizations] + [m for m in matches if m.normalizations]
        else:
            shown = matches
        return QuoteCheck(text, verdict, shown[:_MAX_MATCHES], [], _message(verdict, len(matches), matches[0]))

    # --- fuzzy: places, alignment, splices -------------------------------------------------------

    def _lookup(self, q: _Query) -> tuple[np.ndarray, np.ndarray]:
        """For every 3-gram of the quote, its range in the sorted gram array."""
        return np.searchsorted(self._keys, q.keys, side="left"), np.searchsorted(self._keys, q.keys, side="right")

    def _places(self, q: _Query) -> list[_Place]:
        """Places the whole quote may come from, strongest first: clusters of 3-gram votes for a
        diagonal (corpus position - quote position), drift of a few characters allowed."""
        if not len(q.keys) or not len(self._keys):
            return []
        lo, hi = self._lookup(q)
        counts = hi - lo
        usable = np.flatnonzero((counts > 0) & (counts <= _GRAM_CAP))
        if not len(usable):  # only very common grams: take a bounded sample of them
            usable = np.flatnonzero(counts > 0)[:50]
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
        width = len(q.keys) + 1
        score = np.bincount(np.unique(group * width + offs) // width, minlength=int(group[-1]) + 1)
        best = np.argsort(-score, kind="stable")[:_CANDIDATES]
        bounds = np.searchsorted(group, np.stack([best, best + 1]))
        places = []
        for a, b in zip(bounds[0].tolist(), bounds[1].tolist()):
            d0, d1 = int(diag[a]), int(diag[b - 1])
            para = int(np.searchsorted(self._core_starts, pos[a], side="right")) - 1
            places.append(_Place(para, d0, d1 + q.core_len))
        return places

    def _window(self, place: _Place) -> tuple[int, int]:
        """Normalised span around the place's core span, padded, inside its paragraph."""
        p_n0 = int(self._norm_starts[place.para])
        p_n1 = p_n0 + self._para_norm_len(place.para)
        p_c0 = int(self._core_starts[place.para])
        p_c1 = int(self._core_starts[place.para + 1]) - 1 if place.para + 1 < len(self._core_starts) else len(self._core)
        c0 = max(p_c0, min(place.c0, p_c1 - 1))
        c1 = max(c0 + 1, min(place.c1, p_c1))
        pad = 6 + (c1 - c0) // 6
        n0 = int(self._core_to_norm[c0]) - pad
        n1 = int(self._core_to_norm[c1 - 1]) + 1 + pad
        return max(p_n0, n0), min(p_n1, n1)

    def _para_norm_len(self, idx: int) -> int:
        end = int(self._norm_starts[idx + 1]) - 1 if idx + 1 < len(self._norm_starts) else len(self._norm)
        return end - int(self._norm_starts[idx])

    def _align(self, q: _Query, place: _Place, flags: bool = True) -> tuple[QuoteMatch, int]:
        """Align the quote inside the place's window; the match and its edit distance.
        Flags (names need jieba's tagger) are left out for candidates that may not be shown."""
        n0, n1 = self._window(place)
        s, e, ops = align(self._norm[n0:n1], q.norm)
        n0, n1 = n0 + s, n0 + e
        article, para = self._paras[self._para_of(n0)]
        raw = self._raw_of[n0:n1].tolist()
        r0, r1 = raw[0], raw[-1] + 1

        def spos(k: int) -> int:
            return raw[k] if k < len(raw) else r1

        segments = diff_segments(ops, q.raw_pos, spos)
        diff = [{"op": op, "quote": q.raw[a:b], "source": para.text[c:d]} for op, a, b, c, d in segments]
        names = set()
        for op, a, b, c, d in segments:
            if op == "equal":
                qs, ss = "".join(q.raw[a:b].split()), "".join(para.text[c:d].split())
                names.update(char_normalization(x, y) for x, y in zip(qs, ss) if x != y)
                if qs != q.raw[a:b] or ss != para.text[c:d]:
                    names.add("whitespace")
        flags = change_flags(segments, q.raw, para.text) if flags else []
        distance = Levenshtein.distance(self._norm[n0:n1], q.norm)
        similarity = 1.0 - distance / max(n1 - n0, len(q.norm))
        match = QuoteMatch(self._cite(article, para, r0, r1), para.text[r0:r1], similarity, sorted(names), diff, flags)
        return match, distance

    def _candidates(self, q: _Query, places: list[_Place]) -> list[tuple[QuoteMatch, _Place]]:
        """Align the whole quote at the strongest places (without flags); best similarity first."""
        out: dict[tuple, tuple[QuoteMatch, _Place]] = {}
        for place in places:
            m, _ = self._align(q, place, flags=False)
            out.setdefault((m.citation.file, m.citation.start, m.citation.end), (m, place))
        return sorted(out.values(), key=lambda mp: (-mp[0].similarity, mp[0].citation.file, mp[0].citation.start))

    def _runs(self, q: _Query) -> list[_Place]:
        """Greedy left-to-right cover of the quote by its longest exact runs in the corpus (core
        characters), each run placed next to the previous one when the text allows it."""
        lo, hi = self._lookup(q)
        runs: list[_Place] = []
        i, n = 0, q.core_len
        qc = _codepoints("".join(q.norm[k] for k in q.core_to_norm.tolist()))
        while i <= n - _GRAM:
            cand = self._order[lo[i] : hi[i]]
            k = _GRAM
            while len(cand) and i + k < n:
                ahead = cand + k
                keep = cand[(ahead < len(self._core)) & (self._core[np.minimum(ahead, len(self._core) - 1)] == qc[i + k])]
                if not len(keep):
                    break
                cand, k = keep, k + 1
            if k < _MIN_PART or not len(cand):
                i += 1
                continue
            pos = int(cand[0])
            if runs:  # prefer the occurrence that continues the previous run
                prev = runs[-1]
                near = cand[(cand >= prev.c1 - _GRAM) & (cand <= prev.c1 + _MERGE_GAP)]
                if len(near):
                    pos = int(near[0])
            para = int(np.searchsorted(self._core_starts, pos, side="right")) - 1
            runs.append(_Place(para, pos, pos + k, i, i + k))
            i += k
            if len(runs) > _MAX_PARTS * 4:
                break
        return runs

    def _splice(self, q: _Query, best: QuoteMatch) -> list[QuotePart] | None:
        """Parts of the quote found at different places, when that explains the quote with fewer
        edits than the best single place does; else None."""
        regions: list[_Place] = []
        for run in self._runs(q):
            prev = regions[-1] if regions else None
            if (
                prev is not None
                and prev.para == run.para
                and -_GRAM <= run.c0 - prev.c1 <= _MERGE_GAP
                and run.q0 - prev.q1 <= _MERGE_GAP
            ):
                regions[-1] = _Place(prev.para, prev.c0, run.c1, prev.q0, run.q1)
            else:
                regions.append(run)
        covered = sum(r.q1 - r.q0 for r in regions)
        if not 2 <= len(regions) <= _MAX_PARTS or covered < 0.8 * q.core_len:
            return None
        parts, cost = [], (q.core_len - covered) + _JOIN_COST * (len(regions) - 1)
        for region, (r0, r1) in zip(regions, _part_bounds(q, [(r.q0, r.q1) for r in regions])):
            part = self._part(q.raw[r0:r1].strip(), region)
            if part is None:
                return None
            parts.append(part[0])
            cost += part[1]
        single = Levenshtein.distance(_norm_of(best.source_text), q.norm)
        return parts if cost < single else None

    def _part(self, text: str, region: _Place) -> tuple[QuotePart, int] | None:
        if _core_chars(text) < 3:
            return None
        pq = self._query(text)
        found = self._exact(pq)
        if found:
            verdict = "normalized" if found[0].normalizations else "exact"
            return QuotePart(text, verdict, found[:_MAX_MATCHES]), 0
        m, distance = self._align(pq, region)
        if m.similarity < _PART_FOUND:
            return None
        return QuotePart(text, "altered", [m]), distance

    # --- citations ---------------------------------------------------------------------------------

    @staticmethod
    def _cite(article: Article, para: Paragraph, r0: int, r1: int) -> Citation:
        """Paragraph offsets → file offsets through the paragraph's pieces (page-break repairs)."""
        return article.citation(para.number, _file_offset(para, r0), _file_offset(para, r1 - 1) + 1)


def _file_offset(para: Paragraph, k: int) -> int:
    for fs, fe in para.pieces:
        if k < fe - fs:
            return fs + k
        k -= fe - fs
    return para.pieces[-1][1]


def _core_chars(text: str) -> int:
    return sum(1 for c in text if not c.isspace() and not is_punct(c))


def _unwrap(text: str) -> str | None:
    if len(text) >= 2 and text[0] in _QUOTES and text[-1] in _QUOTES:
        return text[1:-1].strip()
    return None


def _norm_of(text: str) -> str:
    return normalize_with_map(text)[0]


def _part_bounds(q: _Query, core_spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Raw quote spans of the parts: each part keeps the punctuation that follows it."""
    bounds = []
    for i, (a, b) in enumerate(core_spans):
        start = 0 if i == 0 else bounds[-1][1]
        if i + 1 == len(core_spans):
            end = len(q.raw)
        else:
            nxt = core_spans[i + 1][0]
            # Cut after the punctuation that closes this part, else where the next part starts.
            n_end = int(q.core_to_norm[min(b, q.core_len) - 1]) + 1
            n_next = int(q.core_to_norm[min(nxt, q.core_len - 1)])
            while n_end < n_next and is_punct(q.norm[n_end]):
                n_end += 1
            end = q.raw_pos(n_end)
        bounds.append((start, end))
    return bounds


def _message(verdict: str, count: int, match: QuoteMatch | None = None) -> str:
    where = f"（{match.citation.label()}）" if match is not None else ""
    if verdict == "exact":
        return f"原文逐字出现，共 {count} 处{where}。 / Found verbatim in {count} place(s)."
    if verdict == "normalized":
        kinds = "、".join(match.normalizations) if match else ""
        return (
            f"规范化后与原文一致，共 {count} 处{where}；差异仅在：{kinds}。 / "
            f"Matches {count} place(s) once normalised ({kinds})."
        )
    if verdict == "altered":
        flags = [f"{f['kind']}: {f['source']}→{f['quote']}" for f in match.flags] if match else []
        note = f"；注意改动：{'；'.join(flags)}" if flags else ""
        warn = f"; changed: {'; '.join(flags)}" if flags else ""
        return (
            f"与原文相近但有改动（相似度 {match.similarity:.2f}）{where}{note}。 / "
            f"A close source exists but the wording differs (similarity {match.similarity:.2f}){warn}."
        )
    if verdict == "spliced":
        return (
            f"引文由 {count} 段拼接而成，各段出处不相连。 / "
            f"The quote joins {count} parts that are not next to each other in the sources."
        )
    if count:
        return (
            f"未找到出处；最接近的 {count} 处相似度最高 {match.similarity:.2f}。 / "
            f"Not found; the nearest {count} candidate(s) reach similarity {match.similarity:.2f}."
        )
    return "未找到出处，也没有相近的段落。 / Not found, and no paragraph shares its wording."
