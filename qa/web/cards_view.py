"""The answer and its citation cards as HTML (pure string code, no gradio): the short answer with its
citation, the answer with [n] markers, each card with its highlighted sentence, context and citation.

In:  an Answer as a dict (Answer.to_dict(), the JSON of POST /api/ask) and the cited articles as dicts.
Out: HTML in which every string from a user or a document is escaped. Every citation printed is the
     JSON's `citation` (qa/records.py Citation.label, the one builder); the exact file span is on the
     copy button and at the foot of the context.
"""

from __future__ import annotations

import html
import re

from qa.chat.render import marked

__all__ = ["CSS", "answer_html", "short_answer_html", "cards_html", "copy_text", "context_html", "short_span"]

_CONTEXT = 2  # paragraphs shown on each side of a passage where no heading bounds its section
_SECTION = 30  # at most this many paragraphs are searched for the heading above and below a passage

CSS = """
.qa-answer { font-size: 1.08rem; line-height: 1.8; padding: .6rem .2rem; }
.qa-ref { color: #1d4ed8; font-weight: 600; font-size: .85em; vertical-align: super; }
.qa-card { border: 1px solid #d6dae1; border-radius: 10px; padding: .7rem .9rem; margin: .6rem 0;
           background: #fff; }
.qa-card summary { cursor: pointer; list-style: none; }
.qa-card summary::-webkit-details-marker { display: none; }
.qa-card-head { font-weight: 600; }
.qa-n { color: #1d4ed8; margin-right: .3rem; }
.qa-from { background: #dcfce7; color: #166534; border-radius: 4px; font-size: .8em; padding: 0 .35rem; margin-left: .4rem; white-space: nowrap; }
.qa-answer.qa-none { color: #92400e; }
.qa-meta { color: #5b6472; font-size: .85rem; margin: .15rem 0 .35rem; }
.qa-text { margin: .2rem 0; line-height: 1.7; }
mark.qa-hl { background: #fde68a; color: inherit; padding: 0 .1rem; border-radius: 3px; }
mark.qa-short { background: #f59e0b; color: #111827; font-weight: 700; padding: 0 .1rem; border-radius: 3px;
                box-shadow: inset 0 -2px 0 #b45309; }
.qa-short-answer { font-size: 1.2rem; padding: .4rem .2rem 0; }
.qa-short-answer .qa-short-text { font-weight: 700; background: #fef3c7; border-radius: 4px; padding: 0 .3rem; }
.qa-short-where { color: #5b6472; font-size: .8rem; margin-left: .4rem; word-break: break-all; }
.qa-open-hint { color: #1d4ed8; font-size: .8rem; }
.qa-card .qa-open-hint:empty::after { content: "▸ 展开上下文"; }
.qa-card details[open] .qa-open-hint:empty::after { content: "▾ 收起上下文"; }
.qa-q { color: #5b6472; font-size: .9rem; }
.qa-context { border-top: 1px dashed #d6dae1; margin-top: .5rem; padding-top: .4rem; }
.qa-para { margin: .35rem 0; line-height: 1.7; color: #4b5563; }
.qa-para.qa-target { color: #111827; background: #f1f5ff; border-left: 3px solid #1d4ed8; padding-left: .5rem; }
.qa-pn { color: #8a93a3; font-size: .8rem; margin-right: .4rem; }
.qa-cite { display: flex; gap: .5rem; align-items: center; margin-top: .4rem; font-size: .82rem; color: #5b6472; }
.qa-cite code { white-space: normal; word-break: break-all; }
.qa-cite .qa-span { display: none; }
.qa-cite-label { white-space: nowrap; }
.qa-file { color: #8a93a3; font-size: .78rem; margin-top: .4rem; word-break: break-all; }
.qa-copy { border: 1px solid #c3c9d4; border-radius: 6px; background: #f8fafc; padding: .1rem .5rem;
           cursor: pointer; white-space: nowrap; }
.qa-error { color: #b91c1c; background: #fef2f2; border: 1px solid #fecaca; border-radius: 8px; padding: .5rem .8rem; }
.qa-verdict { display: inline-block; font-weight: 700; font-size: 1.1rem; padding: .25rem .8rem; border-radius: 8px; }
.qa-v-exact, .qa-v-normalized { background: #dcfce7; color: #166534; }
.qa-v-altered, .qa-v-spliced { background: #fef3c7; color: #92400e; }
.qa-v-not_found { background: #fee2e2; color: #991b1b; }
.qa-flag { display: inline-block; background: #dc2626; color: #fff; font-weight: 700; border-radius: 6px;
           padding: .1rem .5rem; margin: .2rem .3rem .2rem 0; }
.qa-diff { font-size: 1.05rem; line-height: 1.9; padding: .4rem .6rem; background: #f9fafb; border-radius: 8px;
            margin: .4rem 0; }
.qa-diff del { background: #fee2e2; color: #991b1b; text-decoration: line-through; }
.qa-diff ins { background: #dcfce7; color: #166534; text-decoration: underline; }
.qa-legend { font-size: .8rem; color: #5b6472; }
"""

_MARK = re.compile(r"\[(\d{1,3})\]")
esc = html.escape


def _span(hit: dict) -> str:
    return f"{hit.get('file', '')}:{hit.get('start', '')}-{hit.get('end', '')}"


def copy_text(hit: dict) -> str:
    """What the copy button puts on the clipboard: the highlighted sentence's citation and the card's
    exact file span, 《标题》第2页（file:start-end）."""
    cite = (hit.get("highlight") or {}).get("citation") or hit.get("citation", "")
    return f"{cite}（{_span(hit)}）"


def short_answer_html(answer: dict) -> str:
    """答：袁家军 [1] 《标题》第2页 (the page the answer stands on); "" without a short answer."""
    short = answer.get("short_answer")
    if not short:
        return ""
    where = f'<span class="qa-short-where">{esc(short["citation"])}</span>' if short.get("citation") else ""
    return (
        f'<div class="qa-short-answer">答：<span class="qa-short-text">{esc(short["text"])}</span>'
        f'<span class="qa-ref">[{int(short["card"])}]</span>{where}</div>'
    )


def answer_html(answer: dict) -> str:
    text = _MARK.sub(r'<span class="qa-ref">[\1]</span>', esc(answer.get("answer") or "没有找到相关内容。"))
    css = "qa-answer" if answer.get("answered", True) else "qa-answer qa-none"
    question = f'<div class="qa-q">问：{esc(answer.get("question", ""))}</div>'
    return f'{question}{short_answer_html(answer)}<div class="{css}">{text}</div>'


def short_span(answer: dict, hit: dict) -> tuple[int, int] | None:
    """The short answer's span inside `hit["text"]` (whitespace at its edges left out), on its card only."""
    short, span = answer.get("short_answer"), hit.get("answer_span")
    if not short or not span or short.get("card") != hit.get("rank"):
        return None
    text, start, end = hit["text"], span["start"], span["end"]
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


_MARKS = {"hl_marks": ('<mark class="qa-hl">', "</mark>"), "short_marks": ('<mark class="qa-short">', "</mark>")}


def _highlighted(text: str, start: int, end: int, answer: tuple[int, int] | None = None) -> str:
    """`text`, escaped, with the highlighted sentence in <mark class="qa-hl"> and the short answer in
    <mark class="qa-short"> inside it."""
    return marked(text, (start, end), answer, escape=esc, **_MARKS)


def _section(paragraphs: list[dict], first: int, last: int) -> tuple[int, int]:
    """The paragraphs of the section a passage stands in: from the heading above it (or a few
    paragraphs before it, where none is near) to the paragraph before the next heading."""
    kinds = {p["paragraph"]: p.get("kind") for p in paragraphs}
    start = next((k for k in range(first, max(first - _SECTION, 0), -1) if kinds.get(k) == "heading"), None)
    if start is None:
        start = max(first - _CONTEXT, 1)
    end = next((k - 1 for k in range(last + 1, last + _SECTION) if kinds.get(k) == "heading"), None)
    return start, end if end is not None else last + _CONTEXT


def context_html(article: dict | None, hit: dict, short: tuple[int, int] | None = None) -> str:
    """The section the passage stands in; its paragraphs marked, the cited sentence highlighted (and
    `short`, the short answer's span inside the hit's text, inside that)."""
    if not article:
        return ""
    paragraphs = article.get("paragraphs", [])
    n = hit["paragraph"]
    last = hit.get("paragraph_end") or n
    start, end = _section(paragraphs, n, last)
    hl = hit.get("highlight") or {}
    sentence = hit["text"][hl.get("start", 0) : hl.get("end", 0)]
    marked_once = False
    rows = []
    for p in paragraphs:
        k = p["paragraph"]
        if not start <= k <= end:
            continue
        css = "qa-para qa-target" if n <= k <= last else "qa-para"
        at = p["text"].find(sentence) if sentence and n <= k <= last and not marked_once else -1
        if at >= 0:
            shift = at - hl.get("start", 0)
            answer = (short[0] + shift, short[1] + shift) if short else None
            if answer and p["text"][max(0, answer[0]) : answer[1]] != hit["text"][short[0] : short[1]]:
                answer = None  # the answer is not inside this paragraph's copy of the sentence
            body = _highlighted(p["text"], at, at + len(sentence), answer)
        else:
            body = esc(p["text"])
        marked_once = marked_once or at >= 0
        rows.append(f'<p class="{css}"><span class="qa-pn">第{k}段</span>{body}</p>')
    where = f'<div class="qa-file">文件中的位置：{esc(_span(hit))}</div>'
    return f'<div class="qa-context">{"".join(rows)}{where}</div>'


def cards_html(answer: dict, articles: dict[str, dict]) -> str:
    """Each hit as a card: [n] and its citation (第1–2页 where it runs over pages), the text with the
    highlighted sentence, the context on opening it, and at its foot the highlighted sentence's own
    citation with a copy button (which adds the exact file span, hidden in the page: the <code>'s text
    is what the chat's copy listener reads, its sanitiser dropping data-* attributes)."""
    cards = []
    answer_from = {s["rank"] for s in answer.get("answer_from", [])}
    for hit in answer.get("hits", []):
        badge = '<span class="qa-from">回答出自此段</span>' if hit["rank"] in answer_from else ""
        hl = hit.get("highlight") or {}
        short = short_span(answer, hit)
        sentence_cite = hl.get("citation") or hit.get("citation", "")
        cards.append(
            f'<div class="qa-card" id="qa-cite-{hit["rank"]}"><details><summary>'
            f'<div class="qa-card-head"><span class="qa-n">[{hit["rank"]}]</span>'
            f"{esc(hit.get('citation', ''))}{badge}</div>"
            f'<div class="qa-meta">相关度 {hit["score"]:.3f} <span class="qa-open-hint"></span></div>'
            f'<p class="qa-text">{_highlighted(hit["text"], hl.get("start", 0), hl.get("end", 0), short)}</p>'
            f"</summary>{context_html(articles.get(hit['doc_id']), hit, short)}</details>"
            f'<div class="qa-cite"><span class="qa-cite-label">划线句出处：</span><code>{esc(sentence_cite)}<span class="qa-span">（{esc(_span(hit))}）</span></code>'
            f'<button class="qa-copy" type="button" data-copy="{esc(copy_text(hit), quote=True)}">复制引文</button></div></div>'
        )
    return "".join(cards)
