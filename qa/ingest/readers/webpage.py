"""Saved web pages: the encoding decided from the bytes, the main content kept by readability-lxml.

readability-lxml was chosen over trafilatura by measurement on the corpus page (a table-laid-out
university site carrying the 监察法): readability kept all 175 paragraph lines of the law and none
of the navigation or footer (添加收藏夹, 设为首页, 主办单位, 版权所有, 浏览次数); trafilatura kept the
body as 8 table lines and all five of those (docs/formats.md, "HTML: which extractor").
"""

from __future__ import annotations

import re

from qa.errors import UndecodableSource

from .base import Document, ReadLimits, TextBlock, assemble
from .plaintext import decode_bytes

__all__ = ["read"]

_BLOCK_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "pre", "blockquote", "div", "td", "th", "dd", "dt"}
_HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_CJK_GAP = re.compile(r"(?<=[\u3001-\u9fff\uff00-\uffef]) (?=[\u3001-\u9fff\uff00-\uffef])")
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*[-\w]+", re.I)


def _clean(text: str) -> str:
    # HTML whitespace is not text: runs become one space, and none between two Chinese characters
    # (source line breaks between <span>s: "2018" + "年3月20日…" must stay one line).
    return _CJK_GAP.sub("", re.sub(r"[ \t\r\n\f\u00a0]+", " ", text)).strip()


def _leaf_blocks(root, max_blocks: int) -> list[TextBlock]:
    blocks: list[TextBlock] = []
    for el in root.iter():
        if len(blocks) >= max_blocks:
            break
        if not isinstance(el.tag, str) or el.tag not in _BLOCK_TAGS:
            continue
        if any(isinstance(d.tag, str) and d.tag in _BLOCK_TAGS for d in el.iterdescendants()):
            continue  # its block descendants are blocks of their own
        for br in el.iter("br"):
            br.tail = "\n" + (br.tail or "")
        kind = "heading" if el.tag in _HEADING_TAGS else "list" if el.tag == "li" else "paragraph"
        if el.tag == "tr":
            cells = [_clean(c.text_content()) for c in el if isinstance(c.tag, str)]
            text = " | ".join(c for c in cells if c)
            if text:
                blocks.append(TextBlock(text, "table_row", origin="html"))
            continue
        for line in el.text_content().split("\n"):
            if line := _clean(line):
                blocks.append(TextBlock(line, kind, origin="html"))
    return blocks


def read(data: bytes, name: str, limits: ReadLimits) -> Document:
    import lxml.html
    from readability import Document as Readable
    from readability.htmls import shorten_title

    warnings: list[str] = []
    if len(data) > limits.max_html_bytes:
        warnings.append(
            f"{name}: {len(data) // 1024} KiB of HTML; only the first {limits.max_html_bytes // 1024} KiB "
            "are read (setting max_html_mb)"
        )
        data = data[: limits.max_html_bytes]
    # Decided from the bytes: UTF-8 when they are UTF-8 whatever the <meta> says (pages declaring
    # gb2312 are often UTF-8), else the legacy encoding that reads as the most ordinary Chinese.
    html, encoding = decode_bytes(data, name, warnings)
    html = _META_CHARSET.sub(b"", html.encode("utf-8")).decode("utf-8")
    try:
        # The title from a plain lxml parse: readability's own short_title() would parse and clean the
        # whole page once more (its cleaning pass is most of the time on a page of many links).
        title = _clean(shorten_title(lxml.html.document_fromstring(html)) or "")
        root = lxml.html.fromstring(Readable(html).summary(html_partial=True))
    except Exception as exc:  # readability/lxml raise their own errors on pages with no body
        raise UndecodableSource(f"{name} has no readable HTML content ({type(exc).__name__}).") from None
    blocks = _leaf_blocks(root, limits.max_pages * 50)
    if title and not (blocks and blocks[0].text == title):
        blocks.insert(0, TextBlock(title, "heading", origin="html title"))
    return assemble("html", blocks, encoding=encoding, warnings=warnings)
