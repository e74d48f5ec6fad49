"""Follow-up evaluation: last-turn Recall@k of conversations, searched with and without context.

In:  the Searcher and a JSONL of conversations `{"id", "kind", "turns": [...], "gold"}` (the gold a
     verbatim span of the source answering the last turn).
Out: R@1/R@5/R@20/MRR@10 of the last turn, with context (the earlier turns resolved as `qa chat`
     and the API do) and without (the last question searched alone), overall and per kind.
"""

from __future__ import annotations

import json
from pathlib import Path

from qa.evaluate import CUTOFFS, first_relevant, metrics, read_rows, relevant_ids
from qa.search.hybrid import Searcher

from .conversation import resolve_turn
from .history import Turn

__all__ = ["load_conversations", "is_conversation_file", "evaluate_conversations", "format_conversation_table"]


def load_conversations(path: Path) -> list[dict]:
    def check(row: dict) -> str | None:
        turns = row.get("turns")
        if not (isinstance(turns, list) and turns and all(isinstance(t, str) for t in turns)):
            return "needs 'turns', a list of questions"
        return None

    return read_rows(path, "conversation", check)


def is_conversation_file(path: Path) -> bool:
    """True when the file's first line is a conversation (has "turns"). Anything else, unreadable
    lines included, is left to load_questions, which names what is wrong."""
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            try:
                first = json.loads(line)
            except ValueError:
                return False
            return isinstance(first, dict) and "turns" in first
    return False


def evaluate_conversations(searcher: Searcher, rows: list[dict]) -> dict:
    index = searcher.index
    k = max(CUTOFFS)
    ranks: dict[str, dict[str, list]] = {"with context": {}, "without context": {}}
    queries = []
    for row in rows:
        rel = relevant_ids(row["gold"], index.passages, index.articles)
        history = tuple(Turn(q) for q in row["turns"][:-1])
        turn = resolve_turn(searcher, row["turns"][-1], history)
        with_ctx = [h.passage.id for h in turn.hits(searcher, k)]
        alone = [h.passage.id for h in searcher.search(row["turns"][-1], k)]
        rank_with, rank_without = first_relevant(with_ctx, rel), first_relevant(alone, rel)
        for mode, r in (("with context", rank_with), ("without context", rank_without)):
            for group in ("all", row.get("kind", "other")):
                ranks[mode].setdefault(group, []).append(r)
        queries.append(
            {
                "id": row.get("id"),
                "kind": turn.followup.kind,
                "search_query": turn.search_query,
                "rank_with": rank_with,
                "rank_without": rank_without,
            }
        )
    out = {mode: {g: {**metrics(r), "questions": len(r)} for g, r in groups.items()} for mode, groups in ranks.items()}
    out["turns"] = queries
    return out


def format_conversation_table(results: dict, title: str = "") -> str:
    lines = [f"### {title}"] if title else []
    lines += [
        "| last turn | n | R@1 without context | R@5 without | R@1 with context | R@5 with | MRR@10 with |",
        "|---|---|---|---|---|---|---|",
    ]
    without, with_ = results["without context"], results["with context"]
    for group in ["all", *sorted(g for g in with_ if g != "all")]:
        a, b = without[group], with_[group]
        lines.append(
            f"| {group} | {b['questions']} | {a['R@1']:.4f} | {a['R@5']:.4f} | {b['R@1']:.4f} | "
            f"{b['R@5']:.4f} | {b['MRR@10']:.4f} |"
        )
    return "\n".join(lines)
