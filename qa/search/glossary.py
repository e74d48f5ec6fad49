"""A corpus's own English → Chinese glossary, for questions asked in English (optional data).

In:  the index's input folders (a `glossary.tsv` at the top of one of them) or the setting
     `glossary_file`; lines "English term<TAB>Chinese term(s)", `#` starts a comment.
Out: a Glossary whose `terms(question)` gives the Chinese terms of the English phrases in a question,
     to add to its keyword query (and to the terms that pick the highlighted sentence).

A glossary is written by hand for one corpus (the seeds carry theirs: seeds/glossary.tsv) and applies
only to the index built from that folder. Corpora without one rely on the automatic path of
qa/search/crosslang.py.
"""

from __future__ import annotations

import re
from pathlib import Path

from qa.errors import InputError

__all__ = ["Glossary", "GLOSSARY_NAME", "corpus_glossary"]

GLOSSARY_NAME = "glossary.tsv"

_LATIN_WORDS = re.compile(r"[A-Za-z][A-Za-z\-']+")

# "In which city …?" asks for a name (合肥); the passage that answers rarely says 城市 or 市, while
# other passages do. Kinds of place and time right after which/what are not translated.
_ANSWER_KIND = re.compile(
    r"\b(which|what)\s+(?:cit(?:y|ies)|provinces?|countr(?:y|ies)|places?|years?|months?|days?|dates?)\b"
)


class Glossary:
    """English phrases → Chinese terms; longest phrase first ("yangtze river delta" before "delta")."""

    def __init__(self, rows: list[tuple[str, str]] = (), files: tuple[Path, ...] = ()):
        self.rows = sorted(((en.strip().lower(), zh.strip()) for en, zh in rows), key=lambda r: -len(r[0]))
        self.files = files

    def __bool__(self) -> bool:
        return bool(self.rows)

    @classmethod
    def read(cls, paths: list[Path]) -> Glossary:
        rows: list[tuple[str, str]] = []
        for path in paths:
            try:
                text = Path(path).read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"The glossary {path} cannot be read ({exc}); fix or remove it.") from None
            for n, line in enumerate(text.splitlines(), start=1):
                if not line.strip() or line.startswith("#"):
                    continue
                en, tab, zh = line.partition("\t")
                if not tab or not en.strip() or not zh.strip():
                    raise InputError(f"{path}:{n}: a glossary line is 'English<TAB>Chinese'; got {line!r}.")
                rows.append((en, zh))
        return cls(rows, tuple(Path(p) for p in paths))

    def terms(self, question: str) -> str:
        """Chinese terms for the English phrases of a question, space-separated ("" when none)."""
        if not self.rows or not _LATIN_WORDS.search(question):
            return ""
        text = " " + re.sub(r"[^a-z0-9\-' ]+", " ", _ANSWER_KIND.sub(r"\1", question.lower())) + " "
        found = []
        for en, zh in self.rows:
            needle = f" {en} "
            if needle in text:
                found.append(zh)
                text = text.replace(needle, " ")
        return " ".join(found)


def corpus_glossary(inputs: list[str | Path], glossary_file: str | Path | None = None) -> Glossary:
    """The glossary of an index: `glossary_file` when given, else every `glossary.tsv` standing at the
    top of one of its input folders (none: an empty glossary)."""
    if glossary_file:
        path = Path(glossary_file)
        if not path.is_file():
            raise InputError(f"No glossary file {path} (setting glossary_file). Give a TSV file or leave it empty.")
        return Glossary.read([path])
    found = [Path(p) / GLOSSARY_NAME for p in inputs if (Path(p) / GLOSSARY_NAME).is_file()]
    return Glossary.read(found)
