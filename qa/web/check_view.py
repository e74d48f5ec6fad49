"""The quotation check as HTML for the Gradio page (核对引文): the verdict, where each match stands, the
diff of quote and source, the flagged changes (number, date, negation, name) and ignored differences.

In:  a QuoteCheck as a dict (QuoteCheck.to_dict(), the JSON of POST /api/verify).
Out: HTML in which every string from the user or a document is escaped. Every place is the match's
     `citation` (Citation.label, the one builder), the exact file span behind 查看原文; the words are
     Chinese only (the JSON's `message`, Chinese and English for programs, is not shown).
"""

from __future__ import annotations

import html

__all__ = ["check_html", "verdict_text", "VERDICTS", "FLAGS", "NORMALIZATIONS", "WORTH_READING"]

esc = html.escape

VERDICTS = {
    "exact": ("原文一致", "引文与原文逐字相同。"),
    "normalized": ("仅格式不同", "只有标点、全半角或繁简等写法差异，文字一致。"),
    "altered": ("引文有改动", "找到出处，但引文的文字与原文不同，请看下面的差异。"),
    "spliced": ("拼接引文", "引文由几处原文拼接而成。"),
    "not_found": ("未找到出处", "语料中没有这段引文的出处。"),
}

# A not-found quote's nearest paragraphs are shown open only from this similarity on; below it they
# share a few words at most (20–30% reads as noise) and wait, folded, under 最接近的段落.
WORTH_READING = 0.6

FLAGS = {"number": "数字改动", "date": "日期改动", "negation": "否定改动", "name": "名称改动"}
NORMALIZATIONS = {
    "quote_marks": "引号",
    "letter_case": "大小写",
    "traditional_simplified": "繁简",
    "punctuation_width": "标点全半角",
    "character_width": "全半角",
    "whitespace": "空白",
}


def _flag(flag) -> str:
    """A changed number, date, negation or name, as a red badge: 数字改动：原文 5 → 引文 6."""
    if not isinstance(flag, dict):
        return f'<span class="qa-flag">⚠ {esc(str(flag))}</span>'
    kind = str(flag.get("kind", ""))
    change = f"原文「{flag.get('source', '')}」→ 引文「{flag.get('quote', '')}」"
    return f'<span class="qa-flag">⚠ {esc(FLAGS.get(kind, kind))}：{esc(change)}</span>'


def _diff(ops: list[dict]) -> str:
    out = []
    for op in ops:
        quote, source = op.get("quote") or "", op.get("source") or ""
        if op.get("op") == "equal":
            out.append(esc(quote or source))
            continue
        if source:
            out.append(f'<del title="原文">{esc(source)}</del>')
        if quote:
            out.append(f'<ins title="引文">{esc(quote)}</ins>')
    return "".join(out)


def _changed(ops: list[dict]) -> bool:
    return any(op.get("op") != "equal" for op in ops)


def _match(m: dict) -> str:
    parts = [f'<div class="qa-card qa-match"><div class="qa-card-head">出处：{esc(m.get("citation", ""))}</div>']
    if m.get("similarity") is not None:
        parts.append(f'<div class="qa-meta">相似度 {float(m["similarity"]):.0%}</div>')
    if m.get("flags"):
        parts.append(f'<div class="qa-flags">{"".join(_flag(f) for f in m["flags"])}</div>')
    if m.get("diff") and _changed(m["diff"]):  # the legend only where something is struck or added
        parts.append(
            f'<div class="qa-diff">{_diff(m["diff"])}</div>'
            '<div class="qa-legend"><del>删去的原文</del> · <ins>引文新加</ins></div>'
        )
    if m.get("normalizations"):
        names = "、".join(NORMALIZATIONS.get(n, str(n)) for n in m["normalizations"])
        parts.append(f'<div class="qa-meta">已忽略的写法差异：{esc(names)}</div>')
    if m.get("source_text"):
        where = f"{m.get('file', '')}:{m.get('start', '')}-{m.get('end', '')}"
        parts.append(
            f'<details><summary class="qa-open-hint">▸ 查看原文</summary>'
            f'<p class="qa-text">{esc(m["source_text"])}</p><div class="qa-file">文件中的位置：{esc(where)}</div></details>'
        )
    return "".join(parts) + "</div>"


def verdict_text(check: dict) -> str:
    """The verdict explained in Chinese, with how many places were found."""
    verdict = str(check.get("verdict", ""))
    explain = VERDICTS.get(verdict, ("", "无法判断这段引文。"))[1]
    found = len(check.get("matches") or [])
    if verdict in ("exact", "normalized") and found:
        explain += f"共找到 {found} 处。"
    if verdict == "spliced":
        explain = f"引文由 {len(check.get('parts') or [])} 段拼接而成，各段出处不相连。"
    return explain


def _nearest(matches: list[dict]) -> str:
    """A not-found quote's nearest paragraphs: open where one is worth reading, else folded."""
    if not matches:
        return ""
    if float(matches[0].get("similarity") or 0) >= WORTH_READING:
        return "<p>最接近的段落：</p>" + "".join(_match(m) for m in matches)
    return (
        '<details class="qa-nearest"><summary class="qa-open-hint">▸ 最接近的段落（相似度很低，仅供参考）</summary>'
        f"{''.join(_match(m) for m in matches)}</details>"
    )


def check_html(check: dict) -> str:
    verdict = str(check.get("verdict", ""))
    label = VERDICTS.get(verdict, (verdict, ""))[0]
    parts = [
        f'<div class="qa-verdict qa-v-{esc(verdict, quote=True)}">{esc(label)}</div>',
        f"<p>{esc(verdict_text(check))}</p>",
    ]
    pieces = check.get("parts") or []
    for k, piece in enumerate(pieces, 1):  # a spliced quote: each piece with the place it comes from
        label = VERDICTS.get(piece.get("verdict", ""), ("", ""))[0]
        parts.append(f'<div class="qa-card-head">片段 {k}：「{esc(piece.get("quote", ""))}」 {esc(label)}</div>')
        parts += [_match(m) for m in piece.get("matches", [])[:1]]
    if not pieces and verdict == "not_found":
        parts.append(_nearest(check.get("matches", [])[:3]))
    elif not pieces:
        parts += [_match(m) for m in check.get("matches", [])[:3]]
    return f'<div class="qa-check">{"".join(parts)}</div>'
