"""Plain-text answers for a conversation: the OpenAI assistant message and the `qa chat` terminal.

In:  an Answer (with search_query when asked in a conversation).
Out: text: the extractive answer with its [n] markers, then a 参考资料 list naming each cited
     passage (title · source · paragraph, file:start-end); the terminal form adds the search query
     when it differs from the question, and each passage with its best sentence in 【】.
"""

from __future__ import annotations

from qa.records import Answer

__all__ = ["assistant_message", "terminal_answer"]


def _references(answer: Answer) -> list[str]:
    return [
        f"[{h.rank}] {h.citation.label()}（{h.citation.file}:{h.citation.start}-{h.citation.end}）" for h in answer.hits
    ]


def assistant_message(answer: Answer) -> str:
    """The assistant's reply in /v1/chat/completions: answer, blank line, 参考资料 with one line per hit."""
    refs = _references(answer)
    return answer.answer + ("\n\n参考资料：\n" + "\n".join(refs) if refs else "")


def terminal_answer(answer: Answer) -> str:
    lines = []
    if answer.search_query and answer.search_query != answer.question:
        lines.append(f"（按上文理解为：{answer.search_query}）")
    lines.append(f"回答：{answer.answer}")
    for hit, ref in zip(answer.hits, _references(answer)):
        s, e = hit.highlight
        text = hit.passage.text
        lines.append("")
        lines.append(ref)
        lines.append(f"    {text[:s]}【{text[s:e]}】{text[e:]}")
    return "\n".join(lines)
