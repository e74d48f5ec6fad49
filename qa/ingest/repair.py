"""Repair of PDF text layers: radical and compatibility forms → ordinary characters; junk code points dropped.

Fonts in office PDFs often map glyphs to Kangxi radicals (⽆ U+2F46 for 无) or CJK compatibility
ideographs (U+F900–U+FAFF) instead of the ordinary characters they look like, and pypdfium2 puts
U+FFFE where it cannot map a glyph. Only those blocks are touched: full-width punctuation stays as
printed, or verbatim quote checks would break.
"""

from __future__ import annotations

import unicodedata

__all__ = ["repair_text"]

# CJK Radicals Supplement forms with no Unicode decomposition that print as a whole character
# (the simplified-component radicals). NFKC leaves these alone, so they are listed.
_RADICAL_SUPPLEMENT = {
    "⻔": "门", "⻓": "长", "⻋": "车", "⻅": "见", "⻆": "角", "⻘": "青", "⻝": "食", "⻢": "马",
    "⻬": "齐", "⻛": "风", "⻜": "飞", "⻉": "贝", "⻚": "页", "⻄": "西", "⻨": "麦",
    "⻩": "黄", "⻤": "鬼", "⻥": "鱼", "⻦": "鸟", "⻧": "卤", "⻰": "龙", "⻳": "龟", "⻮": "齿",
    "⻑": "長", "⻒": "镸", "⻖": "阝", "⻌": "辶", "⻍": "辶", "⺠": "民", "⺟": "母", "⺢": "水",
    "⺮": "竹", "⺶": "羊", "⻁": "虎", "⻂": "衤", "⻃": "覀", "⻊": "足", "⻣": "骨",
}  # fmt: skip


def _fixed(ch: str) -> str | None:
    """The replacement of one code point: a string (possibly empty), or None to keep it."""
    o = ord(ch)
    if 0x2F00 <= o <= 0x2FDF or 0xF900 <= o <= 0xFAFF or 0x2F800 <= o <= 0x2FA1F:
        # Kangxi radicals and compatibility ideographs: their (compatibility) decomposition is the character.
        return unicodedata.normalize("NFKC", ch)
    if ch in _RADICAL_SUPPLEMENT:
        return _RADICAL_SUPPLEMENT[ch]
    if ch in "\ufffe\uffff" or 0xE000 <= o <= 0xF8FF or o >= 0xF0000:
        return ""  # U+FFFE (an unmapped glyph) and private use: nothing a reader could cite
    return None


def repair_text(text: str) -> tuple[str, int]:
    """The text with radical/compatibility forms replaced and junk code points dropped; and how many
    characters were changed."""
    out: list[str] = []
    changed = 0
    for ch in text:
        fixed = _fixed(ch)
        if fixed is None:
            out.append(ch)
        else:
            out.append(fixed)
            changed += 1
    return "".join(out), changed
