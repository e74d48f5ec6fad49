"""Quote verification: is a pasted sentence really in the documents, verbatim, normalised, altered,
spliced together from several places, or not there at all, with the evidence for each verdict.

The corpus is indexed once (qa.quotes.ngram_index.NormalizedCorpus: paragraphs normalised and joined,
their punctuation-free 3-grams in a sorted array); the quote is normalised the same way.

- exact/normalised: the rarest 3-gram of the quote gives the candidate positions; each is checked
  against the normalised text, then against the raw paragraph text to tell exact from normalised;
- fuzzy: every 3-gram of the quote votes for an alignment diagonal (source position - quote
  position); a cluster of votes is a place the quote (or part of it) comes from. One strong place
  is aligned character by character (altered); several places that each explain a part of the
  quote make it spliced; weak places are reported as the nearest candidates (not_found).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import Levenshtein

from qa.errors import EmptyInput, InputError, InputTooLong
from qa.records import Article, QuoteCheck, QuoteMatch, QuotePart
from qa.text import _QUOTES, is_punct, quote_normalize_with_map

from .align import align, change_flags, char_normalization, diff_segments
from .messages import verdict_message
from .ngram_index import GRAM, NormalizedCorpus, Place, codepoints, gram_keys

# The result records live in qa.records; re-exported so `from qa.quotes.checker import QuoteCheck` still works.
__all__ = ["QuoteChecker", "QuoteCheck", "QuoteMatch", "QuotePart", "VERDICTS"]

VERDICTS = ("exact", "normalized", "altered", "spliced", "not_found")

_MAX_MATCHES = 20  # places listed for one quote or part (the message gives the full count)
_MIN_PART = 5  # core characters a spliced part needs (shorter common runs are coincidence)
_MAX_PARTS = 1000  # bounded anyway: a 5,000-character quote has at most 1,000 parts of 5
_MERGE_GAP = 10  # exact runs this close, in order, in one paragraph belong to one (altered) place
_JOIN_COST = 2  # edits a splice reading is charged per join when weighed against one altered place
_ALTERED = 0.7  # similarity from which a single place counts as the (altered) source
_PART_FOUND = 0.8  # similarity an altered part of a spliced quote needs
_CANDIDATES = 6  # places aligned per quote
_NEAREST = 3  # candidates shown for not_found


@dataclass
class _Query:
    """A quote normalised: text, map to the raw quote, core (punctuation-free) code points and
    their 3-gram keys."""

    raw: str
    norm: str
    nmap: list[int]
    core_to_norm: np.ndarray
    core: np.ndarray
    keys: np.ndarray

    @property
    def core_len(self) -> int:
        return len(self.core_to_norm)

    def raw_pos(self, k: int) -> int:
        return self.nmap[k] if k < len(self.nmap) else len(self.raw)


class QuoteChecker:
    """Checks quotes against all paragraphs of `articles`; build once, call `check` many times.
    `corpus`: their NormalizedCorpus when it is already at hand (an index build maps the one it wrote)."""

    def __init__(
        self,
        articles: list[Article] | tuple[Article, ...] = (),
        max_chars: int = 5000,
        corpus: NormalizedCorpus | None = None,
    ):
        self.max_chars = max_chars
        self._corpus = corpus if corpus is not None else NormalizedCorpus(articles)

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
        places = self._corpus.places(q.keys, q.core_len, _CANDIDATES)
        if not places:
            return QuoteCheck(text, "not_found", [], [], verdict_message("not_found", 0))
        candidates = self._candidates(q, places)
        best = candidates[0][0]
        parts = self._splice(q, best)
        if parts is not None:
            chain = self._run_on(parts)
            if chain:
                verdict = "normalized" if any(m.normalizations for m in chain) else "exact"
                return QuoteCheck(text, verdict, chain, parts, verdict_message(verdict, 1, chain[0], chain[-1]))
            return QuoteCheck(
                text, "spliced", [p.matches[0] for p in parts], parts, verdict_message("spliced", len(parts))
            )
        if best.similarity >= _ALTERED:
            ties = [self._align(q, place)[0] for m, place in candidates if m.similarity >= best.similarity - 1e-9]
            return QuoteCheck(text, "altered", ties, [], verdict_message("altered", len(ties), ties[0]))
        nearest = [m for m, _ in candidates[:_NEAREST]]
        return QuoteCheck(text, "not_found", nearest, [], verdict_message("not_found", len(nearest), best))

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
        norm, nmap = quote_normalize_with_map(text)
        core = np.array([not is_punct(c) for c in norm], dtype=bool)
        cps = codepoints(norm)[core]
        return _Query(text, norm, nmap, np.flatnonzero(core), cps, gram_keys(cps))

    # --- exact and normalised --------------------------------------------------------------------

    def _exact(self, q: _Query) -> list[QuoteMatch]:
        """Every place the normalised quote occurs."""
        lead = int(q.core_to_norm[0]) if q.core_len else 0  # punctuation before the first core character
        starts = self._corpus.occurrences(q.norm, q.keys, lead)
        matches = [self._match_at(q, n, n + len(q.norm)) for n in starts]
        matches.sort(key=lambda m: (bool(m.normalizations), m.citation.file, m.citation.start))
        return matches

    def _match_at(self, q: _Query, n0: int, n1: int) -> QuoteMatch:
        """An exact or normalised match of the whole quote at normalised span [n0, n1)."""
        idx = self._corpus.para_of(n0)
        para = self._corpus.para(idx)[1]
        raw = self._corpus.raw_offsets(n0, n1)
        r0, r1 = raw[0], raw[-1] + 1
        names: list[str] = []
        for k, (qi, si) in enumerate(zip(q.nmap, raw)):
            if q.raw[qi] != para.text[si]:
                names.append(char_normalization(q.raw[qi], para.text[si]))
            if k + 1 < len(raw):
                gap_q, gap_s = q.raw[qi + 1 : q.nmap[k + 1]], para.text[si + 1 : raw[k + 1]]
                if gap_q != gap_s:
                    # Skipped characters: spaces, or the second mark of …… / —— typed as one key (^ _).
                    doubled = any(c in "…—" for c in gap_q + gap_s)
                    names.append("punctuation_width" if doubled else "whitespace")
        names = sorted(set(names))
        source = para.text[r0:r1]
        diff = [{"op": "equal", "quote": q.raw, "source": source}]
        return QuoteMatch(self._corpus.cite(idx, r0, r1), source, 1.0, names, diff, [])

    def _found(self, text: str, matches: list[QuoteMatch]) -> QuoteCheck:
        verdict = "normalized" if matches[0].normalizations else "exact"
        if verdict == "exact":
            shown = [m for m in matches if not m.normalizations] + [m for m in matches if m.normalizations]
        else:
            shown = matches
        return QuoteCheck(text, verdict, shown[:_MAX_MATCHES], [], verdict_message(verdict, len(matches), matches[0]))

    # --- fuzzy: places, alignment, splices -------------------------------------------------------

    def _align(self, q: _Query, place: Place, flags: bool = True) -> tuple[QuoteMatch, int]:
        """Align the quote inside the place's window; the match and its edit distance.
        Flags (names need jieba's tagger) are left out for candidates that may not be shown."""
        n0, n1 = self._corpus.window(place)
        s, e, ops = align(self._corpus.text_at(n0, n1), q.norm)
        n0, n1 = n0 + s, n0 + e
        idx = self._corpus.para_of(n0)
        para = self._corpus.para(idx)[1]
        raw = self._corpus.raw_offsets(n0, n1)
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
        distance = Levenshtein.distance(self._corpus.text_at(n0, n1), q.norm)
        similarity = 1.0 - distance / max(n1 - n0, len(q.norm))
        cite = self._corpus.cite(idx, r0, r1)
        match = QuoteMatch(cite, para.text[r0:r1], similarity, sorted(names), diff, flags)
        return match, distance

    def _candidates(self, q: _Query, places: list[Place]) -> list[tuple[QuoteMatch, Place]]:
        """Align the whole quote at the strongest places (without flags); best similarity first."""
        out: dict[tuple, tuple[QuoteMatch, Place]] = {}
        for place in places:
            m, _ = self._align(q, place, flags=False)
            out.setdefault((m.citation.file, m.citation.start, m.citation.end), (m, place))
        return sorted(out.values(), key=lambda mp: (-mp[0].similarity, mp[0].citation.file, mp[0].citation.start))

    def _splice(self, q: _Query, best: QuoteMatch) -> list[QuotePart] | None:
        """Parts of the quote found at different places, when that explains the quote with fewer
        edits than the best single place does; else None."""
        regions: list[Place] = []
        for run in self._corpus.runs(q.keys, q.core, _MIN_PART, _MERGE_GAP, _MAX_PARTS * 4):
            prev = regions[-1] if regions else None
            if (
                prev is not None
                and prev.para == run.para
                and -GRAM <= run.c0 - prev.c1 <= _MERGE_GAP
                and run.q0 - prev.q1 <= _MERGE_GAP
            ):
                regions[-1] = Place(prev.para, prev.c0, run.c1, prev.q0, run.q1)
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

    def _run_on(self, parts: list[QuotePart]) -> list[QuoteMatch] | None:
        """One place per part, each part ending its paragraph and the next beginning the following
        one: the quote is the text as printed, across paragraph breaks, not a splice."""
        if any(p.verdict not in ("exact", "normalized") for p in parts):
            return None
        return self._corpus.running_text([p.matches for p in parts])

    def _part(self, text: str, region: Place) -> tuple[QuotePart, int] | None:
        if _core_chars(text) < 3:
            return None
        pq = self._query(text)
        found = self._exact(pq)
        bare = text.strip("".join({c for c in text if is_punct(c) or c.isspace()}))
        if not found and bare != text and _core_chars(bare) >= 3:
            # The cut between parts can leave a neighbour's punctuation (a list's "- ") on this part.
            found = self._exact(self._query(bare))
        if found:
            verdict = "normalized" if found[0].normalizations else "exact"
            return QuotePart(text, verdict, found[:_MAX_MATCHES]), 0
        m, distance = self._align(pq, region)
        if m.similarity < _PART_FOUND:
            return None
        return QuotePart(text, "altered", [m]), distance


def _core_chars(text: str) -> int:
    return sum(1 for c in text if not c.isspace() and not is_punct(c))


def _unwrap(text: str) -> str | None:
    if len(text) >= 2 and text[0] in _QUOTES and text[-1] in _QUOTES:
        return text[1:-1].strip()
    return None


def _norm_of(text: str) -> str:
    return quote_normalize_with_map(text)[0]


def _part_bounds(q: _Query, core_spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Raw quote spans of the parts: each part keeps the punctuation that follows it."""
    bounds = []
    for i, (_a, b) in enumerate(core_spans):
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
