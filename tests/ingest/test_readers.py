"""Readers on the real formats corpus (../shared/corpora/formats): every expected span on its page, and
each heuristic both where it must fire and on other text where it must not."""

from __future__ import annotations

import json
import re
from functools import cache

import pytest

from qa.ingest.charstats import commonness
from qa.ingest.readers import ReadLimits, read_document
from qa.ingest.readers.pdf import page_verdict
from qa.ingest.repair import repair_text
from qa.ingest.sources import read_source
from tests.conftest import ROOT, SEEDS

FORMATS = ROOT.parent / "shared" / "corpora" / "formats"
EXPECTED = [json.loads(line) for line in (FORMATS / "expected.jsonl").read_text(encoding="utf-8").splitlines() if line]
NO_OCR = ReadLimits(ocr=False)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@cache
def doc(name: str, limits: ReadLimits = NO_OCR):
    return read_document((FORMATS / name).read_bytes(), name, limits)


def text_at(document, page=None, sheet=None, row=None) -> str:
    """The extracted text of one page (slide, sheet row), or all of it for formats without pages."""
    if document.blocks is None or (page is None and sheet is None):
        return document.text
    return "\n".join(
        b.text
        for b in document.blocks
        if (b.page, b.sheet, b.row) == (page, sheet, row) or (sheet is None and b.page == page)
    )


@pytest.mark.parametrize(
    "row", [r for r in EXPECTED if r.get("plain_text_layer_has_it", True)], ids=lambda r: f"{r['file']}:{r['gold'][:8]}"
)
def test_expected_span_is_on_its_page(row):
    where = {"page": row["page"] or row.get("slide"), "sheet": row.get("sheet"), "row": row.get("row")}
    assert squeeze(row["gold"]) in squeeze(text_at(doc(row["file"]), **where))


@pytest.fixture(scope="module")
def ocred():
    """The two PDFs whose text layer fails, OCRed on the pages the expected spans stand on (3 pages)."""
    pytest.importorskip("rapidocr_onnxruntime", reason="the OCR extra: pip install 'qa[ocr]'")
    return {
        "paddle_contributor_remote_intern_program.pdf": doc(
            "paddle_contributor_remote_intern_program.pdf", ReadLimits(max_pages=2)
        ),
        "2024-4-25-meeting-minutes.pdf": doc("2024-4-25-meeting-minutes.pdf", ReadLimits(max_pages=1)),
    }


@pytest.mark.parametrize(
    "row", [r for r in EXPECTED if not r.get("plain_text_layer_has_it", True)], ids=lambda r: r["gold"][:10]
)
def test_spans_missing_from_the_text_layer_are_read_by_ocr(ocred, row):
    document = ocred[row["file"]]
    assert row["page"] in document.ocr_pages
    assert squeeze(row["gold"]) in squeeze(text_at(document, row["page"]))
    assert all(b.origin == "ocr" for b in document.blocks if b.page == row["page"])


def test_without_ocr_garbage_is_not_indexed_and_the_report_says_what_to_install():
    noise = doc("paddle_contributor_remote_intern_program.pdf")
    assert noise.text == "" and noise.needs_ocr == list(range(1, 13))
    assert any("pip install 'qa[ocr]'" in w and "1, 2, 3" in w for w in noise.warnings)
    # A text layer with rare code points from a broken font map is flagged by page, the rest indexed.
    minutes = doc("2024-4-25-meeting-minutes.pdf")
    assert [w.split(": ", 1)[0] for w in minutes.warnings] == [
        "2024-4-25-meeting-minutes.pdf page 1",
        "2024-4-25-meeting-minutes.pdf page 3",
    ]
    assert "讨论通过了使用微信群进行通知及沟通" in minutes.text


# -- text-layer checks: fire on broken layers, not on clean text ---------------------------------


def test_page_verdicts():
    assert page_verdict("\x18\x13\x1b\x17\x16\x15\x14\x19\x1a\x12\x08\x11.\x03\r\x04\x07\x07\n") == "unusable"
    assert page_verdict("飞桨䇖源社区治理专家委员会第一次会议，宣布䇖会，参会人䉯认") == "suspect"
    for name in ("poem.pdf", "论文复现指南-新.pdf"):
        pages = {b.page for b in doc(name).blocks}
        assert all(page_verdict(text_at(doc(name), p)) == "ok" for p in pages)
    for seed in sorted(SEEDS.glob("*.txt")):
        assert page_verdict(read_source(seed).text) == "ok"


def test_repair_maps_radicals_and_compatibility_forms_only():
    assert repair_text("⽆⼀⾎⻔\uf900") == ("无一血门豈", 5)
    assert repair_text("“引号”（括号）：，。！？《》·") == ("“引号”（括号）：，。！？《》·", 0)
    assert repair_text("正文\ufffe\ue000文字") == ("正文文字", 2)
    for seed in sorted(SEEDS.glob("*.txt")):
        text = read_source(seed).text
        assert repair_text(text) == (text, 0)


def test_running_headers_and_footers_are_dropped_but_repeated_body_lines_kept():
    guide = doc("论文复现指南-新.pdf")
    assert "2023/9/6" not in guide.text and "ku.baidu-int.com" not in guide.text
    assert guide.text.startswith("论文复现 - 经验分享")  # the page's own heading, in reading order
    poems = doc("poem.pdf")
    numbers = [int(m) for m in re.findall(r"(?m)^(\d+)、", poems.text)]
    assert numbers == list(range(1, 31))  # no poem taken for a footer
    assert "鸥鹭飞难辨，沙汀望莫分" in poems.text  # the line break inside the verse is joined without a space


# -- encodings ---------------------------------------------------------------------------------


def test_big5_is_not_taken_for_gb18030():
    src = read_source(FORMATS / "sample-chinese.txt")
    assert src.encoding == "big5" and src.text.startswith("維基大典（Wikipedia）者")
    assert commonness((FORMATS / "sample-chinese.txt").read_bytes().decode("gb18030")) < 0.5
    assert commonness(src.text) > 0.9


@pytest.mark.parametrize("bom_codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_a_bom_is_read(tmp_path, bom_codec):
    text = "长三角一体化发展。\n第二段文字。"
    bom = b"\xff\xfe" if bom_codec.endswith("le") else b"\xfe\xff"
    f = tmp_path / "utf16.txt"
    f.write_bytes(bom + text.encode(bom_codec))
    assert read_source(f).text == text


def test_utf8_cut_in_its_last_character_is_read_with_a_warning(tmp_path):
    f = tmp_path / "cut.txt"
    f.write_bytes("完整的句子。最后一个字被截断".encode()[:-1])
    src = read_source(f)
    assert src.text == "完整的句子。最后一个字被截" and src.encoding == "utf-8"
    assert any("last character is cut off" in w for w in src.report.warnings)
    whole = tmp_path / "whole.txt"
    whole.write_text("完整的句子。", encoding="utf-8")
    assert read_source(whole).report.warnings == []


def test_html_encoding_comes_from_the_bytes_not_the_meta_tag(tmp_path):
    page = '<html><head><meta charset="gb2312"><title>通知</title></head><body><p>关于召开年度会议的通知。会议于三月举行。</p></body></html>'
    f = tmp_path / "page.html"
    f.write_bytes(page.encode("utf-8"))
    assert "关于召开年度会议的通知" in read_source(f).text
    f.write_bytes(page.encode("gbk"))
    assert "关于召开年度会议的通知" in read_source(f).text


# -- structure per format ------------------------------------------------------------------------


def test_docx_custom_heading_styles_and_restored_numbering():
    blocks = doc("PaddlePaddle学习笔记——王欢.docx").blocks
    headings = [b.text for b in blocks if b.kind == "heading"]
    assert len(headings) == 50  # B1–B5: 3 + 6 + 24 + 14 + 3 paragraphs
    assert "3.1.1 Variable和Operator" in headings and "1、 背景" in headings
    items = [b.text for b in blocks if b.kind == "list"]
    # Numbered list items get Word's label back from the numbering part; the numbering restarts per list.
    assert len(items) == 100 and sum(bool(re.match(r"\d+[）、] ", t)) for t in items) == 88  # the other 12 are bullets
    assert items[:3] == ["1） 同事口头讲解；", "2） 部门内现有文档；", "3） 自己通过阅读代码、思考总结。"]
    assert any(b.kind == "table_row" and b.text.startswith("Feed/Fetch Var") for b in blocks)


def test_docx_without_heading_styles_has_no_headings(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("短的一行")
    d.add_paragraph("这是一个普通段落，没有标题样式。")
    d.add_heading("真正的标题", level=1)
    d.save(tmp_path / "plain.docx")
    document = read_document((tmp_path / "plain.docx").read_bytes(), "plain.docx")
    assert [(b.kind, b.text) for b in document.blocks] == [
        ("paragraph", "短的一行"),
        ("paragraph", "这是一个普通段落，没有标题样式。"),
        ("heading", "真正的标题"),
    ]


def test_pptx_cites_slides_and_xlsx_cites_sheet_and_row():
    deck = doc("Paddle_Fluid框架执行逻辑_v1.2_陈威行.pptx")
    assert deck.pages == 131 and {b.page for b in deck.blocks} <= set(range(1, 132))
    assert not any(b.text.isdigit() for b in deck.blocks)  # slide numbers are not passages
    sheet = doc("langchain-ChatGLM_closed.xlsx")
    third = next(b for b in sheet.blocks if b.row == 3)
    assert third.sheet == "Sheet1" and third.text.startswith("列1：1；title：当前的运行环境是什么，windows还是Linux；")


def test_html_keeps_the_body_and_drops_navigation():
    page = doc("中华人民共和国监察法_sxmu.html")
    assert "2018年3月20日，第十三届全国人大一次会议表决通过了" in page.text
    for boilerplate in ("添加收藏夹", "设为首页", "主办单位", "版权所有", "浏览次数"):
        assert boilerplate not in page.text
    assert sum(b.text.startswith("第") and "条" in b.text[:6] for b in page.blocks) >= 69


def test_markdown_structure_and_comments():
    rules = read_source(FORMATS / "人民检察院行政诉讼监督规则（试行）_2016-04-15.md")
    assert not rules.extracted  # citations index the file itself
    assert all(rules.text[b.start : b.end] == b.text for b in rules.blocks)
    assert "INFO END" not in "".join(b.text for b in rules.blocks)
    assert [b.text for b in rules.blocks if b.kind == "heading"][:2] == [
        "人民检察院行政诉讼监督规则（试行）",
        "第一章 总 则",
    ]
    md = tmp_md = "# 标题\n\n```python\nprint('代码')\n```\n\n| 列 | 值 |\n|---|---|\n| 甲 | 1 |\n"
    document = read_document(tmp_md.encode(), "x.md")
    assert [(b.kind, b.text) for b in document.blocks] == [
        ("heading", "标题"),
        ("paragraph", "print('代码')"),
        ("table_row", "| 列 | 值 |"),
        ("table_row", "| 甲 | 1 |"),
    ]
    assert md == document.text


def test_markdown_list_items_keep_their_indentation():
    """An outline of "- " lines nests by indentation alone: the item's block keeps it (the list finder
    reads depth from it), and still reads back from the file; other blocks are trimmed as before."""
    text = "# 并行\n\n- 数据并行\n    - FSDP\n        - 分片参数\n    - DDP\n\n  段落前的空格不留。\n"
    document = read_document(text.encode(), "x.md")
    assert [b.text for b in document.blocks] == [
        "并行",
        "- 数据并行",
        "    - FSDP",
        "        - 分片参数",
        "    - DDP",
        "段落前的空格不留。",
    ]
    assert all(text[b.start : b.end] == b.text for b in document.blocks)


def test_an_indented_item_of_plain_text_keeps_its_indentation_in_its_passage(tmp_path):
    from qa.ingest.passages import build_corpus

    path = tmp_path / "提纲.txt"
    path.write_text("工作提纲\n\n- 第一部分\n  - 要点甲\n  - 要点乙\n- 第二部分\n", encoding="utf-8")
    source = read_source(path)
    [passage] = build_corpus([source], 300).passages
    assert "\n  - 要点甲\n  - 要点乙\n- 第二部分" in passage.text
    assert "".join(source.text[s:e] for s, e in passage.pieces) == passage.text


def test_a_short_pdf_line_is_a_heading_only_when_it_reads_as_a_title():
    """The PDF reader's headings follow the plain-text rule: a short line without a sentence end is a
    heading when it reads as a title; a label with its value ("时间：…") or a clause is a line of text."""
    from qa.ingest.readers.pdf import _Line, _paragraphs

    texts = [
        "项目进展概况",
        "本次检查时间： 2023-11-02 09:30",
        "负责人：李明",
        "检查发现三处隐患，均已整改。",
        "下一步计划",
    ]
    lines = [_Line(t, 50, 700 - 40 * i, 50 + 12 * len(t), 712 - 40 * i) for i, t in enumerate(texts)]
    kinds = [(b.kind, b.text) for b in _paragraphs(lines, 1, "text layer")]
    assert kinds == [
        ("heading", "项目进展概况"),
        ("paragraph", "本次检查时间： 2023-11-02 09:30"),
        ("paragraph", "负责人：李明"),
        ("paragraph", "检查发现三处隐患，均已整改。"),
        ("heading", "下一步计划"),
    ]
