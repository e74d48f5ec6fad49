"""Labelled quote-verification cases over a corpus, generated deterministically from a seed.

    python bench/quote_cases.py                      # JSONL to stdout, over seeds/
    python bench/quote_cases.py --out /tmp/cases.jsonl --seed 7

Each line is {"quote", "expected", "kind"}: verbatim substrings (some across repaired page
breaks), each normalisation (punctuation width, quote marks, spaces, traditional characters),
1-3 character edits, changed numbers, inserted or removed negations, splices of distant sentences
and fabricated sentences made of the corpus's own words.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.records import Article  # noqa: E402
from qa.text import IME_PAIRS, is_punct, quote_normalize_with_map, sentence_spans  # noqa: E402


def normalize(text: str) -> str:
    """The quote checker's normalisation (input-method pairs folded too)."""
    return quote_normalize_with_map(text)[0]


__all__ = ["generate_cases", "load_seed_articles", "KINDS"]

# kind → (expected verdict, number of cases at scale 1.0)
KINDS: dict[str, tuple[str, int]] = {
    "exact": ("exact", 60),
    "exact_page_break": ("exact", 24),
    "punctuation_width": ("normalized", 30),
    "quote_marks": ("normalized", 20),
    "whitespace": ("normalized", 20),
    "traditional": ("normalized", 30),
    "mixed_normalization": ("normalized", 10),
    "substitution": ("altered", 20),
    "insertion": ("altered", 15),
    "deletion": ("altered", 15),
    "number": ("altered", 35),
    "negation_inserted": ("altered", 20),
    "negation_removed": ("altered", 10),
    "splice": ("spliced", 40),
    "fabricated": ("not_found", 40),
}
# One kind per input-method pair (qa.text.IME_PAIRS): the quote typed in half-width mode. Pairs whose
# full-width mark the corpus never prints make no cases (the tests cover them on made-up text).
KINDS.update({f"ime {full}": ("normalized", 4) for full, _ in IME_PAIRS})

_NEGATIONS = "不没未非无莫勿别"
_NUMERALS = "〇零一二三四五六七八九十百千万亿两0123456789"
_WIDTH = {
    ",": "，",
    "，": ",",
    ";": "；",
    "；": ";",
    ":": "：",
    "：": ":",
    "(": "（",
    "（": "(",
    ")": "）",
    "）": ")",
    "?": "？",
    "？": "?",
    "!": "！",
    "！": "!",
}
_QUOTE_STYLES = [("「", "」"), ("『", "』"), ('"', '"'), ("“", "”")]
_TEMPLATES = [
    "{0}要{1}{2}，{3}{4}{5}。",
    "{0}{1}是{2}的{3}，要{4}{5}。",
    "{0}指出，{1}{2}要{3}{4}{5}。",
    "要把{0}{1}作为{2}{3}的{4}。",
    "{0}{1}必须{2}{3}，{4}{5}{6}。",
]


def load_seed_articles() -> list[Article]:
    from qa.ingest.passages import build_corpus
    from qa.ingest.sources import find_sources, read_source

    corpus = build_corpus([read_source(p) for p in find_sources([ROOT / "seeds"])], 200)
    return list(corpus.articles)


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


class _Corpus:
    def __init__(self, articles: list[Article]):
        self.units = [
            p.text
            for a in articles
            for p in a.paragraphs
            if p.kind in ("body", "list", "caption") and len(p.text) >= 20
        ]
        self.broken = [p for a in articles for p in a.paragraphs if len(p.pieces) > 1]
        self.paras = [p.text for a in articles for p in a.paragraphs]
        self.norm = "\n".join(normalize(t) for t in self.paras)
        self.core = "".join(c for c in self.norm if c == "\n" or not is_punct(c))
        self.norm_paras = self.norm.split("\n")
        self.chars = sorted({c for t in self.units for c in t if _is_cjk(c) and c not in _NEGATIONS + _NUMERALS})
        self.words = sorted(_words(self.units))

    def present(self, text: str) -> bool:
        return normalize(text) in self.norm

    def shares_run(self, text: str, n: int) -> bool:
        core = "".join(c for c in normalize(text) if not is_punct(c))
        return any(core[i : i + n] in self.core for i in range(max(1, len(core) - n + 1)))


def _words(units: list[str]) -> set[str]:
    from qa.text import _tokenizer

    tok = _tokenizer()
    return {w for t in units for w in tok.lcut(t) if 2 <= len(w) <= 4 and all(_is_cjk(c) for c in w)}


def _substring(rng: random.Random, text: str, lo: int, hi: int) -> str:
    n = rng.randint(lo, hi)
    if len(text) <= n:
        return text.strip()
    s = rng.randrange(0, len(text) - n + 1)
    return text[s : s + n].strip()


def _core_len(text: str) -> int:
    return sum(1 for c in text if not c.isspace() and not is_punct(c))


def _containing(rng: random.Random, units: list[str], chars: str, lo: int, hi: int) -> str | None:
    """A substring that contains one of `chars` (picked among their positions in some units)."""
    pool = units if len(units) <= 300 else rng.sample(units, 300)
    spots = [(t, i) for t in pool for i, c in enumerate(t) if c in chars]
    if not spots:
        return None
    text, i = rng.choice(spots)
    n = rng.randint(lo, hi)
    s = max(0, min(i - rng.randint(0, n - 1), len(text) - n))
    return text[s : s + n].strip()


def _positions(text: str, ok) -> list[int]:
    return [i for i, c in enumerate(text) if ok(c)]


def _make(kind: str, rng: random.Random, cx: _Corpus, s2t) -> str | None:
    units = cx.units
    if kind == "exact":
        return _substring(rng, rng.choice(units), 6, 80)
    if kind == "exact_page_break":
        para = rng.choice(cx.broken)
        cut = para.pieces[0][1] - para.pieces[0][0]
        n = rng.randint(4, 60)
        s = max(0, cut - rng.randint(1, n - 1))
        return para.text[s : s + n].strip()
    if kind == "punctuation_width":
        q = _containing(rng, units, "".join(_WIDTH), 8, 60)
        return q and "".join(_WIDTH.get(c, c) for c in q)
    if kind.startswith("ime "):
        full = kind[4:]
        q = _containing(rng, units, full[0], 8, 60)
        return q and q.replace(full, dict(IME_PAIRS)[full])
    if kind == "quote_marks":
        q = _containing(rng, units, "“”「」", 8, 50)
        if not q:
            return None
        o, c = rng.choice([style for style in _QUOTE_STYLES if style[0] not in q])
        return q.translate(str.maketrans({"“": o, "「": o, "『": o, "”": c, "」": c, "』": c}))
    if kind == "whitespace":
        q = _substring(rng, rng.choice(units), 8, 60)
        spots = [
            i
            for i in range(1, len(q))
            if not (q[i - 1].isascii() and q[i - 1].isalnum() and q[i].isascii() and q[i].isalnum())
        ]
        for i in sorted(rng.sample(spots, min(len(spots), rng.randint(1, 3))), reverse=True):
            q = q[:i] + rng.choice([" ", "  ", "\u3000", "\n"]) + q[i:]
        return q
    if kind == "traditional":
        q = _substring(rng, rng.choice(units), 8, 60)
        t = s2t.convert(q)
        return t if t != q else None
    if kind == "mixed_normalization":
        q = _containing(rng, units, "，,", 10, 60)
        if not q:
            return None
        t = s2t.convert("".join(_WIDTH.get(c, c) for c in q))
        i = rng.randrange(1, len(t))
        return t[:i] + " " + t[i:] if _is_cjk(t[i - 1]) and _is_cjk(t[i]) else t
    if kind in ("substitution", "insertion", "deletion"):
        q = _substring(rng, rng.choice(units), 12, 60)
        spots = _positions(q, lambda c: _is_cjk(c) and c not in _NEGATIONS + _NUMERALS)
        k = rng.randint(1, 3)
        if len(spots) < k + 4:
            return None
        for i in sorted(rng.sample(spots[1:-1], k), reverse=True):
            if kind == "substitution":
                q = q[:i] + rng.choice([c for c in rng.sample(cx.chars, 5) if c != q[i]]) + q[i + 1 :]
            elif kind == "insertion":
                q = q[:i] + rng.choice(cx.chars) + q[i:]
            else:
                q = q[:i] + q[i + 1 :]
        return q
    if kind == "number":
        q = _containing(rng, units, "0123456789", 10, 50)
        if not q:
            return None
        digits = _positions(q, str.isdigit)
        i = rng.choice(digits)
        j = i
        while j + 1 < len(q) and q[j + 1].isdigit():
            j += 1
        while i > 0 and q[i - 1].isdigit():
            i -= 1
        num = q[i : j + 1]
        choice = rng.random()
        if choice < 0.4:
            new = str(int(num) + 1) if not num.startswith("0") else num[:-1] + str((int(num[-1]) + 1) % 10)
        elif choice < 0.7 and len(set(num)) > 1 and len(num) >= 2:
            new = num[:-2] + num[-1] + num[-2] if num[-1] != num[-2] else num[-1] + num[1:-1] + num[0]
        else:
            new = str((int(num[0]) + rng.randint(1, 8)) % 10 or 1) + num[1:]
        return q[:i] + new + q[j + 1 :] if new != num else None
    if kind == "negation_inserted":
        q = _substring(rng, rng.choice(units), 10, 50)
        verbs = _positions(q, lambda c: c in "要能是会应可得把在有将")
        spots = verbs or _positions(q, _is_cjk)
        if not spots:
            return None
        i = rng.choice(spots)
        return q[:i] + ("没" if q[i] == "有" else "不") + q[i:]
    if kind == "negation_removed":
        q = _containing(rng, units, _NEGATIONS, 10, 50)
        negs = _positions(q or "", lambda c: c in _NEGATIONS)
        if not negs:
            return None
        i = rng.choice(negs)
        return q[:i] + q[i + 1 :]
    if kind == "splice":
        return _splice(rng, cx, clauses=rng.random() < 0.25)
    if kind == "fabricated":
        template = rng.choice(_TEMPLATES)
        return template.format(*rng.sample(cx.words, 7))
    raise ValueError(kind)


def _pieces(text: str, clauses: bool) -> list[str]:
    out = []
    for s, e in sentence_spans(text):
        sent = text[s:e]
        if clauses:
            out.extend(p + "，" for p in sent.replace(",", "，").split("，")[:-1])
        else:
            out.append(sent)
    return [p for p in out if 8 <= _core_len(p) <= 60]


def _splice(rng: random.Random, cx: _Corpus, clauses: bool) -> str | None:
    a, b = rng.sample(cx.units, 2)
    pa, pb = _pieces(a, clauses), _pieces(b, False)
    if not pa or not pb:
        return None
    x, y = rng.choice(pa), rng.choice(pb)
    nx, ny = normalize(x), normalize(y)
    # Distant: no paragraph (the seeds print one speech twice) holds both pieces.
    if any(nx in p and ny in p for p in cx.norm_paras):
        return None
    return x + y


def _valid(kind: str, expected: str, quote: str, cx: _Corpus) -> bool:
    if _core_len(quote) < 3:
        return False
    if expected == "exact":
        return any(quote in t for t in cx.paras)
    if expected == "normalized":
        return cx.present(quote) and not any(quote.strip() in t for t in cx.paras)
    if expected == "not_found":
        return not cx.shares_run(quote, 6)
    return not cx.present(quote)


def generate_cases(articles: list[Article], seed: int = 20200605, scale: float = 1.0) -> list[dict]:
    """Cases over `articles`: about 390 at scale 1.0, the same ones for the same seed."""
    import opencc

    s2t = opencc.OpenCC("s2t")
    cx = _Corpus(articles)
    rng = random.Random(seed)
    cases: list[dict] = []
    seen: set[str] = set()
    for kind, (expected, count) in KINDS.items():
        if kind == "exact_page_break" and not cx.broken:
            continue  # no repaired page break in this corpus
        want = max(1, round(count * scale))
        made = tries = 0
        while made < want and tries < want * 50:
            tries += 1
            quote = _make(kind, rng, cx, s2t)
            if not quote or quote in seen or not _valid(kind, expected, quote, cx):
                continue
            seen.add(quote)
            cases.append({"quote": quote, "expected": expected, "kind": kind})
            made += 1
    return cases


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="-", help="JSONL file to write (default: stdout)")
    ap.add_argument("--seed", type=int, default=20200605)
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the number of cases of each kind")
    args = ap.parse_args(argv)
    cases = generate_cases(load_seed_articles(), args.seed, args.scale)
    lines = "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases)
    if args.out == "-":
        sys.stdout.write(lines)
    else:
        Path(args.out).write_text(lines, encoding="utf-8")
        print(f"wrote {len(cases)} cases to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
