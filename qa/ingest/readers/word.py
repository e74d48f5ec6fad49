"""DOCX with python-docx: headings by style (custom styles based on Heading N included) and by outline
level, automatic numbering restored from the numbering part, tables as rows."""

from __future__ import annotations

import re

from .base import Document, ReadLimits, TextBlock, assemble
from .office import open_office

__all__ = ["read"]

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_STYLE = re.compile(r"^(heading|标题)\s*\d", re.I)
_CHINESE_DIGITS = "〇一二三四五六七八九"


def _style_chain(style):
    while style is not None:
        yield style
        style = style.base_style


def _ppr_value(ppr, tag: str, attr: str = "val"):
    if ppr is None:
        return None
    el = ppr.find(f"{_W}{tag}")
    return None if el is None else el.get(f"{_W}{attr}")


def _is_heading(paragraph) -> bool:
    if _ppr_value(paragraph._p.pPr, "outlineLvl") not in (None, "9"):
        return True
    for style in _style_chain(paragraph.style):
        if _HEADING_STYLE.match(style.name or "") or style.name == "Title":
            return True
        if _ppr_value(style.element.pPr, "outlineLvl") not in (None, "9"):
            return True
    return False


def _num_pr(paragraph) -> tuple[str, int] | None:
    """(numId, level) of the paragraph's automatic numbering: its own, or its style's."""
    for ppr in [paragraph._p.pPr, *(s.element.pPr for s in _style_chain(paragraph.style))]:
        if ppr is None:
            continue
        num = ppr.find(f"{_W}numPr")
        if num is not None:
            num_id = _ppr_value(num, "numId")
            level = _ppr_value(num, "ilvl")
            if num_id is not None:
                return num_id, int(level or 0)
    return None


def _chinese(n: int) -> str:
    if n < 10:
        return _CHINESE_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CHINESE_DIGITS[tens]) + "十" + (_CHINESE_DIGITS[ones] if ones else "")


def _format(n: int, fmt: str) -> str:
    if fmt in ("chineseCounting", "chineseCountingThousand", "ideographTraditional", "chineseLegalSimplified"):
        return _chinese(n)
    if fmt == "lowerLetter":
        return chr(ord("a") + (n - 1) % 26)
    if fmt == "upperLetter":
        return chr(ord("A") + (n - 1) % 26)
    if fmt == "lowerRoman" or fmt == "upperRoman":
        vals = [(10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]
        out, k = "", n
        for v, s in vals:
            while k >= v:
                out, k = out + s, k - v
        return out if fmt == "lowerRoman" else out.upper()
    return str(n)


class _Numbering:
    """Counters of the numbering part: turns (numId, level) into the label Word shows ("1.2", "一、")."""

    def __init__(self, document):
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}  # numId → level → (fmt, text, start)
        self.counters: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract = {}
        for a in root.findall(f"{_W}abstractNum"):
            lv = {}
            for lvl in a.findall(f"{_W}lvl"):
                fmt = _ppr_value(lvl, "numFmt") or "decimal"
                text = _ppr_value(lvl, "lvlText") or ""
                start = int(_ppr_value(lvl, "start") or 1)
                lv[int(lvl.get(f"{_W}ilvl"))] = (fmt, text, start)
            abstract[a.get(f"{_W}abstractNumId")] = lv
        for num in root.findall(f"{_W}num"):
            aid = _ppr_value(num, "abstractNumId")
            if aid in abstract:
                self.levels[num.get(f"{_W}numId")] = abstract[aid]

    def label(self, num_id: str, level: int) -> str | None:
        levels = self.levels.get(num_id)
        if not levels or level not in levels:
            return None
        counts = self.counters.setdefault(num_id, [0] * 9)
        counts[level] += 1
        for deeper in range(level + 1, 9):
            counts[deeper] = 0
        fmt, text, _ = levels[level]
        if fmt in ("bullet", "none"):
            return None

        def value(m: re.Match) -> str:
            k = int(m.group(1)) - 1
            f, _, start = levels.get(k, ("decimal", "", 1))
            return _format(counts[k] + start - 1 if k < len(counts) else start, f)

        return re.sub(r"%(\d)", value, text).strip() or None


def _blocks(document, limits: ReadLimits) -> list[TextBlock]:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    numbering = _Numbering(document)
    blocks: list[TextBlock] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = item.text.strip()
            if not text:
                continue
            heading = _is_heading(item)
            num = _num_pr(item)
            label = numbering.label(*num) if num else None
            if label:
                text = f"{label} {text}"
            kind = "heading" if heading else ("list" if num else "paragraph")
            blocks.append(TextBlock(text, kind, origin="paragraph"))
        elif isinstance(item, Table):
            for row in item.rows:
                cells: list[str] = []
                for cell in row.cells:
                    t = cell.text.strip()
                    if t and (not cells or cells[-1] != t):  # merged cells repeat their text
                        cells.append(t)
                if cells:
                    blocks.append(TextBlock(" | ".join(cells), "table_row", origin="table"))
        if len(blocks) > limits.max_pages * 50:
            break
    return blocks


def read(data: bytes, name: str, limits: ReadLimits) -> Document:
    import docx

    document = open_office(data, name, "DOCX", limits, docx.Document)
    return assemble("docx", _blocks(document, limits))
