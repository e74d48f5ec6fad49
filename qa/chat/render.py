"""Plain-text answers: `qa ask`, the `qa chat` terminal and the OpenAI assistant message.

In:  an Answer (with search_query when asked in a conversation, short_answer when the answer reader
     found the exact answer).
Out: text: the short answer first where there is one (答：袁家军 [1]), then the extractive answer with
     its [n] markers, then a 参考资料 list naming each cited passage (title · source · paragraph,
     file:start-end); the terminal form adds the search query when it differs from the question, and
     each passage with its best sentence in 【】 and the short answer inside it in 〖〗.
`marked` writes a card's text with its highlighted sentence and the short answer marked, nested; the
page uses it with <mark> tags (qa/web/ui.py).
"""

from __future__ import annotations

from qa.records import Answer, Hit

__all__ = ["assistant_message", "terminal_answer", "short_answer_line", "item_lines", "card_text", "marked"]

# The card's highlighted sentence, and the short answer (a stronger mark, usually inside it).
HIGHLIGHT = ("【", "】")
SHORT = ("〖", "〗")


def marked(
    text: str,
    highlight: tuple[int, int],
    answer: tuple[int, int] | None = None,
    hl_marks: tuple[str, str] = HIGHLIGHT,
    short_marks: tuple[str, str] = SHORT,
    escape=str,
) -> str:
    """`text` (each piece passed through `escape`) with text[highlight] between `hl_marks` and
    text[answer] between `short_marks`, properly nested: an answer crossing the highlight's edge is
    closed and reopened there. Offsets are clamped to the text; an empty span marks nothing."""

    def clamp(span):
        s, e = (max(0, min(x, len(text))) for x in (span or (0, 0)))
        return (s, e) if s < e else (0, 0)

    hl, ans = clamp(highlight), clamp(answer)
    cuts = sorted({0, len(text), *hl, *ans})
    out, in_hl, in_ans = [], False, False
    for a, b in zip(cuts, cuts[1:]):
        now_hl, now_ans = hl[0] <= a < hl[1], ans[0] <= a < ans[1]
        if in_ans and (not now_ans or now_hl != in_hl):
            out.append(short_marks[1])
            in_ans = False
        if now_hl != in_hl:
            out.append(hl_marks[0] if now_hl else hl_marks[1])
            in_hl = now_hl
        if now_ans and not in_ans:
            out.append(short_marks[0])
            in_ans = True
        out.append(escape(text[a:b]))
    out += [short_marks[1]] * in_ans + [hl_marks[1]] * in_hl
    return "".join(out)


def _file_spans(file: str, pieces) -> str:
    return f"{file}:" + ",".join(f"{s}-{e}" for s, e in pieces)


def short_answer_line(answer: Answer, where: bool = True) -> str | None:
    """答：袁家军 [1] 《标题》（来源，第5段）（seeds/….txt:2003-2006）: the human citation of the place the
    answer stands (its own page), then its file offsets; None without a short answer. where=False
    leaves out the file offsets (the OpenAI message cites its cards in 参考资料)."""
    short = answer.short_answer
    if short is None:
        return None
    line = f"答：{short.text} [{short.card}]"
    if short.citation is not None:
        line += f" {short.citation.label()}"
    hit = next((h for h in answer.hits if h.rank == short.card), None)
    if where and hit is not None:
        line += f"（{_file_spans(hit.citation.file, short.pieces)}）"
    return line


def item_lines(answer: Answer) -> list[str]:
    """A list answer's items, numbered, each with its card and file offsets:
    "  1. 第一，推动长三角区域经济高质量发展 [2] 《…》（…，第5段）（seeds/004_….txt:1874-1891）"; [] for other answers."""
    cards = {h.rank: h for h in answer.hits}
    lines = []
    for n, item in enumerate(answer.answer_items, start=1):
        hit = cards.get(item.card)
        cited = f" {item.citation.label()}" if item.citation is not None else ""
        where = f"{cited}（{_file_spans(hit.citation.file, item.pieces)}）" if hit is not None else ""
        lines.append(f"  {n}. {item.text} [{item.card}]{where}")
    return lines


def card_text(hit: Hit, answer: Answer) -> str:
    """The card's text with its highlighted sentence in 【】 and, on the short answer's card, the
    answer in 〖〗."""
    short = answer.short_answer
    return marked(hit.passage.text, hit.highlight, short.span if short and short.card == hit.rank else None)


def _references(answer: Answer) -> list[str]:
    return [
        f"[{h.rank}] {h.citation.label()}（{h.citation.file}:{h.citation.start}-{h.citation.end}）" for h in answer.hits
    ]


def assistant_message(answer: Answer) -> str:
    """The assistant's reply in /v1/chat/completions: the short answer's line where there is one, the
    answer, blank line, 参考资料 with one line per hit."""
    refs = _references(answer)
    lead = short_answer_line(answer, where=False)
    return (f"{lead}\n\n" if lead else "") + answer.answer + ("\n\n参考资料：\n" + "\n".join(refs) if refs else "")


def terminal_answer(answer: Answer) -> str:
    lines = []
    if answer.search_query and answer.search_query != answer.question:
        lines.append(f"（按上文理解为：{answer.search_query}）")
    lead = short_answer_line(answer)
    if lead:
        lines.append(lead)
    lines.append(f"回答：{answer.answer}")
    if answer.answer_items:
        lines.append(f"共 {len(answer.answer_items)} 项：")
        lines.extend(item_lines(answer))
    for hit, ref in zip(answer.hits, _references(answer)):
        lines.append("")
        lines.append(ref)
        lines.append(f"    {card_text(hit, answer)}")
    return "\n".join(lines)
