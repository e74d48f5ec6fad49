"""Retrieval evaluation: Recall@1/5/20 and MRR@10 for keyword-only, dense-only and fused search."""

from __future__ import annotations

import json
from pathlib import Path

from .errors import InputError, SourceNotFound
from .records import Article, Passage
from .search.hybrid import Searcher
from .text import content_key

__all__ = [
    "load_questions",
    "read_rows",
    "first_relevant",
    "relevant_ids",
    "metrics",
    "evaluate",
    "format_table",
    "MODES",
]

MODES = ("keyword", "dense", "fused")
CUTOFFS = (1, 5, 20)


def read_rows(path: Path, what: str, check) -> list[dict]:
    """The JSON objects of a JSONL file, blank lines skipped. `check(row)` returns what is wrong with a
    row (or None). A missing file, a line that is not JSON, not an object or fails the check is an
    InputError naming the file and line."""
    path = Path(path)
    if not path.exists():
        raise SourceNotFound(f"No {what} file {path}. It needs lines of {{{_NEEDS[what]}}}.")
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            problem = check(row) if isinstance(row, dict) else "not a JSON object"
        except ValueError as exc:
            problem = str(exc)
        if problem:
            raise InputError(f"{path}:{n}: not a {what} line ({problem}).")
        rows.append(row)
    return rows


_NEEDS = {"question": '"question": ..., "gold": ...', "conversation": '"turns": [...], "gold": ...'}


def load_questions(path: Path) -> list[dict]:
    def check(row: dict) -> str | None:
        if not isinstance(row.get("question"), str) or not isinstance(row.get("gold"), str):
            return "needs string fields 'question' and 'gold'"
        return None

    return read_rows(path, "question", check)


def first_relevant(pids, rel: set[int]) -> int | None:
    """The 1-based rank of the first relevant passage id, or None."""
    return next((i for i, pid in enumerate(pids, start=1) if pid in rel), None)


def relevant_ids(gold: str, passages: list[Passage], articles: list[Article] = (), n: int = 6) -> set[int]:
    """Passages that hold (part of) the gold span where it actually stands in the corpus.

    The gold is located in the articles' repaired paragraphs; a passage of the same paragraph is
    relevant when it covers at least half of that occurrence (or all of the passage lies inside it).
    Look-alike text elsewhere — "2021年度…座谈会" for a gold about "2020年度…座谈会" — does not count.
    Without articles (or when the gold is not found) it falls back to n-gram containment.
    """
    g = content_key(gold)
    paragraph_keys = {(a.doc_id, p.number): content_key(p.text) for a in articles for p in a.paragraphs}
    located: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for where, t in paragraph_keys.items():
        start = t.find(g)
        while g and start >= 0:
            located.setdefault(where, []).append((start, start + len(g)))
            start = t.find(g, start + 1)
    if located:
        out = set()
        spans_of = {(a.doc_id, p.number): p.pieces for a in articles for p in a.paragraphs}
        for p in passages:
            # A passage that opens with its heading also holds that heading where it stands.
            for where in located:
                other = where[0] == p.doc_id and where[1] != p.citation.paragraph
                if other and g in content_key(p.text) and _overlaps(spans_of[where], p.pieces):
                    out.add(p.id)
            spans = located.get((p.doc_id, p.citation.paragraph))
            if not spans:
                continue
            body = p.text[len(p.heading) + 1 :] if p.heading and p.text.startswith(p.heading + "\n") else p.text
            key = content_key(body)
            ps = paragraph_keys[(p.doc_id, p.citation.paragraph)].find(key)
            pe = ps + len(key)
            for gs, ge in spans:
                overlap = min(pe, ge) - max(ps, gs)
                if overlap > 0 and (overlap >= 0.5 * (ge - gs) or overlap == pe - ps):
                    out.add(p.id)
        return out
    grams = {g[i : i + n] for i in range(max(len(g) - n + 1, 1))}
    out = set()
    for p in passages:
        t = content_key(p.text)
        if g in t or sum(1 for x in grams if x in t) >= 0.5 * len(grams):
            out.add(p.id)
    return out


def _overlaps(a, b) -> bool:
    return any(s < e2 and s2 < e for s, e in a for s2, e2 in b)


def metrics(rank_of_first_relevant: list[int | None]) -> dict:
    n = len(rank_of_first_relevant) or 1
    out = {f"R@{k}": sum(1 for r in rank_of_first_relevant if r is not None and r <= k) / n for k in CUTOFFS}
    out["MRR@10"] = sum(1.0 / r for r in rank_of_first_relevant if r is not None and r <= 10) / n
    return out


def evaluate(searcher: Searcher, questions: list[dict], modes=MODES, relevant=None) -> dict:
    """Metrics per mode. `relevant(row)` gives the set of relevant ids (default: gold span match)."""
    passages = searcher.index.passages
    ranks: dict[str, list[int | None]] = {m: [] for m in modes}
    misses: dict[str, list[str]] = {m: [] for m in modes}
    for row in questions:
        rel = relevant(row) if relevant else relevant_ids(row["gold"], passages, searcher.index.articles)
        qvec = searcher.embed_question(row["question"]) if set(modes) & {"dense", "fused"} else None
        for mode in modes:
            order = searcher.rank(row["question"], mode, k=max(CUTOFFS), query_vector=qvec)
            first = first_relevant((r.pid for r in order), rel)
            ranks[mode].append(first)
            if first != 1:
                misses[mode].append(row["question"])
    return {m: {**metrics(ranks[m]), "questions": len(questions), "misses": misses[m]} for m in modes}


def format_table(results: dict, title: str = "") -> str:
    lines = []
    if title:
        lines.append(f"### {title}")
    lines.append("| retrieval | R@1 | R@5 | R@20 | MRR@10 |")
    lines.append("|---|---|---|---|---|")
    for mode, m in results.items():
        lines.append(f"| {mode} | {m['R@1']:.4f} | {m['R@5']:.4f} | {m['R@20']:.4f} | {m['MRR@10']:.4f} |")
    return "\n".join(lines)
