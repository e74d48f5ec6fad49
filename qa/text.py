"""Chinese text handling: normalisation with an offset map, sentence spans, keyword tokens."""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import re
import threading
import unicodedata
from functools import lru_cache
from importlib import resources
from pathlib import Path

from qa.files import write_atomically

__all__ = [
    "TOKENIZER_VERSION",
    "normalize",
    "normalize_with_map",
    "quote_normalize_with_map",
    "IME_PAIRS",
    "to_simplified",
    "sentence_spans",
    "keyword_tokens",
    "SENTENCE_END",
    "is_punct",
]

# Sentence-final marks; closing quotes and brackets that follow them stay with the sentence.
SENTENCE_END = "。！？；…!?;"
_CLOSERS = "”’」』）)】》\"'"

# Width and quote-style folding. Punctuation folds to one canonical form so that a file typed
# with ASCII commas and one typed with full-width commas index the same way.
_QUOTES = "“”「」『』‘’〝〞＂＇\"'"
_PUNCT_FOLD = {
    "，": ",",
    "、": "、",
    "；": ";",
    "：": ":",
    "？": "?",
    "！": "!",
    "（": "(",
    "）": ")",
    "【": "[",
    "】": "]",
    "《": "<",
    "》": ">",
    "〈": "<",
    "〉": ">",
    "．": ".",
    "～": "~",
    "—": "-",
    "–": "-",
    "－": "-",
    "﹐": ",",
    "﹔": ";",
    "﹕": ":",
}


@lru_cache(maxsize=1)
def _t2s_table() -> dict[int, str]:
    """Traditional→simplified character table from OpenCC's dictionary.

    Character-level (not phrase-level) conversion keeps the text length, so offsets into the
    normalised text map straight back to the original: needed for exact citations.
    """
    import opencc

    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    table: dict[int, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, _, values = line.partition("\t")
        target = values.split(" ")[0] if values else ""
        if len(key) == 1 and len(target) == 1 and key != target:
            table[ord(key)] = target
    return table


def to_simplified(text: str) -> str:
    return text.translate(_t2s_table())


@lru_cache(maxsize=1)
def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for ch in _QUOTES:
        table[ord(ch)] = '"'
    for src, dst in _PUNCT_FOLD.items():
        table[ord(src)] = dst
    # Full-width ASCII variants (Ａ, １, ＃ ...) to their half-width forms.
    for code in range(0xFF01, 0xFF5F):
        table.setdefault(code, chr(code - 0xFEE0))
    table[0x3000] = " "  # ideographic space
    table.update(_t2s_table())
    return table


_WS = re.compile(r"\s+")


def normalize_with_map(text: str, lower: bool = True) -> tuple[str, list[int]]:
    """Normalise text and return, for every output character, its index in the input.

    Steps: width and punctuation folding, quote marks to '"', traditional→simplified, lower case,
    every run of whitespace dropped (Chinese has no word spaces; page layout adds them at random).
    Whitespace between two Latin letters or digits is kept as one space so English words stay apart.
    """
    folded = text.translate(_fold_table())
    if lower:
        folded = folded.lower()
    out: list[str] = []
    index: list[int] = []
    n = len(folded)
    i = 0
    while i < n:
        ch = folded[i]
        if ch.isspace():
            j = i
            while j < n and folded[j].isspace():
                j += 1
            if out and j < n and _is_latin(out[-1]) and _is_latin(folded[j]):
                out.append(" ")
                index.append(i)
            i = j
            continue
        out.append(ch)
        index.append(i)
        i += 1
    return "".join(out), index


# What a Chinese input method types for each key in full-width mode, against the key's half-width
# character (the pairs normalize() folds already are listed too, so the table is the whole story).
# A quote typed in the other mode differs from its source only by these: a `normalized` difference.
IME_PAIRS: tuple[tuple[str, str], ...] = (
    ("，", ","),
    ("。", "."),
    ("．", "."),
    ("、", "\\"),
    ("；", ";"),
    ("：", ":"),
    ("？", "?"),
    ("！", "!"),
    ("（", "("),
    ("）", ")"),
    ("【", "["),
    ("】", "]"),
    ("《", "<"),
    ("》", ">"),
    ("“", '"'),
    ("”", '"'),
    ("‘", "'"),
    ("’", "'"),
    ("～", "~"),
    ("·", "`"),
    ("￥", "$"),
    ("……", "^"),
    ("——", "_"),
)
# Folded for quotes only: keyword search drops punctuation anyway, and folding these in normalize()
# would change what jieba sees ("3.5" stays one token; 。 would join it).
_QUOTE_FOLD = str.maketrans({"。": ".", "、": "\\", "·": "`", "￥": "$", "…": "^", "^": "^", "—": "_", "-": "_"})
_DOUBLED = "^_"  # ……→^ and ——→_ : the full-width forms are two characters, the key's one


def quote_normalize_with_map(text: str) -> tuple[str, list[int]]:
    """normalize_with_map, with every input-method pair of IME_PAIRS folded (a doubled …… or ——
    counts as one mark), so a quote typed in half-width mode matches its full-width source."""
    norm, index = normalize_with_map(text)
    # normalize() turned — and － into "-"; read them back from the input so "—" and "-" fold alike.
    folded = "".join(ch if ch != "-" else text[index[k]] for k, ch in enumerate(norm)).translate(_QUOTE_FOLD)
    out: list[str] = []
    kept: list[int] = []
    for k, ch in enumerate(folded):
        if ch in _DOUBLED and out and out[-1] == ch and text[index[k]] in "…—" and text[kept[-1]] == text[index[k]]:
            continue
        out.append(ch)
        kept.append(index[k])
    return "".join(out), kept


def normalize(text: str, lower: bool = True) -> str:
    return normalize_with_map(text, lower)[0]


def content_key(text: str) -> str:
    """The normalised text without punctuation or spaces: what "the same words" compares (repeated
    passages, gold spans, answer strings, sentences already quoted)."""
    return "".join(c for c in normalize(text) if not is_punct(c))


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def is_punct(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PSZ"


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of `text` (end exclusive), covering all non-blank text.

    A sentence ends at 。！？；… (or ASCII !?;) plus any closing quotes or brackets after it, or at
    a line break. Leading whitespace is not part of a sentence.
    """
    spans: list[tuple[int, int]] = []
    n = len(text)
    start = 0
    i = 0
    while i < n:
        ch = text[i]
        if ch in SENTENCE_END or ch == "\n":
            j = i + 1
            while j < n and (text[j] in SENTENCE_END or text[j] in _CLOSERS):
                j += 1
            _push(text, start, j, spans)
            start = j
            i = j
            continue
        i += 1
    _push(text, start, n, spans)
    return spans


def _push(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


# --- keyword tokens --------------------------------------------------------------------------

# Bump when keyword_tokens() changes what it emits for the same text: indexes built before are stale.
TOKENIZER_VERSION = 2

_jieba_lock = threading.Lock()
_jieba = None


def _tokenizer():
    """A private jieba tokenizer with the domain dictionary (长三角, 一体化, 两山 ...)."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                words = resources.files("qa.data").joinpath("domain_dict.txt").read_text(encoding="utf-8")
                cache = _jieba_cache(jieba.__version__, words)
                if not _load_jieba_cache(tok, cache):
                    tok.load_userdict(io.StringIO(words))
                    _save_jieba_cache(tok, cache)
                _jieba = tok
    return _jieba


_pos_tagger = None


def pos_tagger():
    """jieba's part-of-speech tagger over the same private tokenizer (domain words included); built
    on first use: quote checks tag names (qa/quotes/align.py), search tags answer cues (qa/search/cues.py)."""
    global _pos_tagger
    if _pos_tagger is None:
        tok = _tokenizer()  # takes _jieba_lock itself
        with _jieba_lock:
            if _pos_tagger is None:
                import jieba.posseg

                _pos_tagger = jieba.posseg.POSTokenizer(tok)
    return _pos_tagger


# jieba keeps its prefix dictionary in a marshal file that takes about 1.3 s to load; the same
# dictionary (with the domain words added) loads from a pickle in about 0.3 s: a quarter of a cold
# `qa ask`. The cache is per user (a pickle is only read from a folder the user owns) and named by the
# jieba version and the domain dictionary, so a change to either makes a new one.
def _jieba_cache(version: str, words: str) -> Path:
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "qa"
    digest = hashlib.sha256(f"{version}\0{words}".encode()).hexdigest()[:16]
    return root / f"jieba-{digest}.pickle"


def _load_jieba_cache(tok, cache: Path) -> bool:
    try:
        if cache.stat().st_uid != os.getuid():
            return False
        with cache.open("rb") as f:
            tok.FREQ, tok.total = pickle.load(f)
    except Exception:  # noqa: BLE001 - missing, foreign or damaged: build the dictionary instead
        return False
    tok.initialized = True
    return True


def _save_jieba_cache(tok, cache: Path) -> None:
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        payload = pickle.dumps((tok.FREQ, tok.total), protocol=pickle.HIGHEST_PROTOCOL)
        write_atomically(cache, lambda tmp: tmp.write_bytes(payload), mode=0o600)
    except OSError:
        pass  # a read-only home or a full disk: every process builds the dictionary, as jieba would


def _useful(token: str) -> bool:
    return any(not is_punct(c) for c in token)


def keyword_tokens(text: str, mode: str = "jieba+bigram") -> list[str]:
    """Tokens for the BM25 index and for questions (the text is normalised first).

    jieba words carry meaning; character bigrams rescue words jieba splits differently in the
    question and the passage (common with traditional characters and names), so both are used.
    """
    norm = normalize(text)
    tokens: list[str] = []
    if "jieba" in mode:
        tokens.extend(t for t in _tokenizer().lcut(norm) if _useful(t))
    chars = [c for c in norm if not is_punct(c)]
    if "bigram" in mode:
        # No bigrams inside numbers or Latin words (jieba keeps those whole): "2020年度" must not
        # half-match "2021年度" through "20" and "02".
        tokens.extend("#" + a + b for a, b in zip(chars, chars[1:]) if not (_is_latin(a) and _is_latin(b)))
    if "char" in mode:
        tokens.extend("%" + c for c in chars)
    return tokens
