"""The message that comes with each quote verdict, in Chinese and English, naming the place found."""

from __future__ import annotations

from qa.records import QuoteMatch

__all__ = ["verdict_message"]


def verdict_message(verdict: str, count: int, match: QuoteMatch | None = None, last: QuoteMatch | None = None) -> str:
    """`count` places (or parts) found; `match` the first; `last` the last paragraph of one place
    running over paragraph breaks."""
    # The place in the human citation every surface prints (Citation.label).
    where = f"，见{match.citation.label()}" if match is not None else ""
    over = ""
    if last is not None and match is not None:  # one place running over paragraph breaks
        where = f"，见{match.citation.label()}起，至第{last.citation.paragraph}段"
        over = f", running on from paragraph {match.citation.paragraph} to {last.citation.paragraph}"
    if verdict == "exact":
        return f"原文逐字出现，共 {count} 处{where}。 / Found verbatim in {count} place(s){over}."
    if verdict == "normalized":
        kinds = "、".join(match.normalizations) if match else ""
        return (
            f"规范化后与原文一致，共 {count} 处{where}；差异仅在：{kinds}。 / "
            f"Matches {count} place(s) once normalised ({kinds}){over}."
        )
    if verdict == "altered":
        flags = [f"{f['kind']}: {f['source']}→{f['quote']}" for f in match.flags] if match else []
        note = f"；注意改动：{'；'.join(flags)}" if flags else ""
        warn = f"; changed: {'; '.join(flags)}" if flags else ""
        return (
            f"与原文相近但有改动（相似度 {match.similarity:.2f}）{where}{note}。 / "
            f"A close source exists but the wording differs (similarity {match.similarity:.2f}){warn}."
        )
    if verdict == "spliced":
        return (
            f"引文由 {count} 段拼接而成，各段出处不相连。 / "
            f"The quote joins {count} parts that are not next to each other in the sources."
        )
    if count:
        return (
            f"未找到出处；最接近的 {count} 处相似度最高 {match.similarity:.2f}。 / "
            f"Not found; the nearest {count} candidate(s) reach similarity {match.similarity:.2f}."
        )
    return "未找到出处，也没有相近的段落。 / Not found, and no paragraph shares its wording."
