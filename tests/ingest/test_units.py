"""Passages built from the document's structure (qa/ingest/units.py): each rule where it must fire and
where it must not, on text other than the seeds; the whole formats corpus read back through `pieces`."""

from __future__ import annotations

import json
import re
import statistics

import pytest

from qa.ingest.passages import build_corpus
from qa.ingest.readers import ReadLimits
from qa.ingest.sources import find_sources, read_source
from qa.ingest.units import LAW_ARTICLE, is_lead_line
from tests.conftest import ROOT, SEEDS

FORMATS = ROOT.parent / "shared" / "corpora" / "formats"
NO_OCR = ReadLimits(ocr=False)
MAX, MIN = 300, 80


def passages_of(tmp_path, name: str, text: str, max_chars: int = MAX, min_chars: int = MIN):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    source = read_source(f)
    corpus = build_corpus([source], max_chars, min_chars)
    for p in corpus.passages:  # every passage reads back from the file, whatever it joined
        assert "".join(source.text[s:e] for s, e in p.pieces) == p.text
    return corpus.passages


PROSE = "复现论文时需要先确认官方代码可以复现论文中的结果，否则后续工作意义不大。" * 3  # 105 characters


def test_a_heading_joins_the_text_under_it(tmp_path):
    ps = passages_of(tmp_path, "guide.md", f"# 指南\n\n{PROSE}\n\n## 精度对齐\n\n{PROSE}\n")
    assert [p.text.split("\n")[0] for p in ps] == ["指南", "精度对齐"]
    assert ps[1].text == f"精度对齐\n{PROSE}" and ps[1].heading == "精度对齐"


def test_a_lead_line_stays_with_its_list(tmp_path):
    items = "".join(f"- 第{k}项检查：确认模型输出与参考实现在同一输入上的差异足够小\n" for k in "一二三")
    # Alone, the lead line would fit after the paragraph (210 characters) and its list would not.
    text = f"# 指南\n\n{PROSE * 2}\n\n对齐主要有以下几点：\n{items}"
    ps = passages_of(tmp_path, "lead.md", text)
    with_lead = [p for p in ps if "对齐主要有以下几点：" in p.text]
    assert len(with_lead) == 1 and with_lead[0].text.startswith("对齐主要有以下几点：")
    assert all(f"第{k}项检查" in with_lead[0].text for k in "一二三")


def test_a_lead_line_is_a_line_ending_with_a_colon():
    assert is_lead_line("主要有以下几点：") and is_lead_line("**示例：**") and is_lead_line("The steps:")
    assert not is_lead_line("会议时间：2024年4月25日") and not is_lead_line("主要有以下几点。")


def test_short_lines_of_a_section_merge_up_to_the_limit_and_not_across_headings(tmp_path):
    lines = "\n".join(f"- 第{k}步" for k in range(1, 7))
    ps = passages_of(tmp_path, "steps.md", f"# 安装\n\n{lines}\n\n# 卸载\n\n{lines}\n")
    assert len(ps) == 2 and [p.heading for p in ps] == ["安装", "卸载"]
    assert all(p.text.count("- 第") == 6 for p in ps)
    many = "\n".join(f"- 第{k}步：把下载好的安装包解压到本地目录里" for k in range(1, 31))
    long = passages_of(tmp_path, "many.md", f"# 安装\n\n{many}\n")
    assert len(long) > 1 and all(len(p.text) <= MAX for p in long)
    assert all(line.startswith(("- 第", "安装")) for p in long for line in p.text.split("\n"))  # cut between lines


def test_long_prose_paragraphs_stay_apart_and_short_ones_merge(tmp_path):
    ps = passages_of(tmp_path, "notes.md", f"# 笔记\n\n{PROSE}\n\n{PROSE}\n\n短句一。\n\n短句二。\n")
    assert [p.text.count("官方代码") for p in ps] == [3, 3]  # each long paragraph a passage of its own …
    assert ps[1].text.endswith("短句一。\n短句二。")  # … the short ones joined to the one before them


def test_a_law_article_stays_whole_with_its_items(tmp_path):
    article = "第五条 有下列情形之一的，当事人可以向人民检察院申请监督：\n"
    items = "".join(f"（{k}）认为人民法院的审判或者执行活动存在违法情形的；\n" for k in "一二三四")
    sixth = "第六条 当事人申请监督，应当提交监督申请书、身份证明以及相关法律文书，" * 3 + "并写明理由。"
    text = f"# 规则\n\n## 第二章 受 理\n\n{article}\n{items}\n{sixth}\n"
    ps = passages_of(tmp_path, "law.md", text)
    fifth = next(p for p in ps if "第五条" in p.text)
    assert all(f"（{k}）" in fifth.text for k in "一二三四") and "第六条" not in fifth.text
    assert LAW_ARTICLE.match("第六十九条　本法自公布之日起施行。")
    assert not LAW_ARTICLE.match("第三条路线是什么") and not LAW_ARTICLE.match("第一，推动高质量发展")


def test_a_law_chapter_line_is_a_heading_whatever_its_tag(tmp_path):
    body = "".join(
        f"<p>第{n}条　监察机关依照本法对所有行使公权力的公职人员进行监察，调查职务违法和职务犯罪。</p>" for n in "一二"
    )
    page = f"<html><body><article><h1>监察法</h1><p>第一章　总　则</p>{body}<p>第三章的内容很多，不在此列出。</p></article></body></html>"
    ps = passages_of(tmp_path, "law.html", page)
    assert ps[0].heading == "监察法\n第一章　总　则" and ps[0].text.startswith("监察法\n第一章　总　则\n第一条")
    assert not any(p.heading.endswith("第三章的内容很多，不在此列出。") for p in ps)  # a sentence, not a chapter line


def test_a_table_keeps_its_header_with_each_row_group(tmp_path):
    rows = "".join(f"| 算子{k} | 已对齐 | 前向与反向的误差都小于万分之一 |\n" for k in range(30))
    text = f"# 对齐结果\n\n| 算子 | 状态 | 说明 |\n|---|---|---|\n{rows}"
    ps = passages_of(tmp_path, "table.md", text)
    assert len(ps) > 1
    assert all("| 算子 | 状态 | 说明 |" in p.text.split("\n")[:2] for p in ps)
    assert sum(p.text.count("| 已对齐 |") for p in ps) == 30  # every row once


def test_news_paragraphs_stay_as_they_are_and_other_prose_merges(tmp_path):
    short = ["会议确定，下一次座谈会在江苏省召开。", "会议还审议了有关文件。", "与会代表进行了交流。"]
    news = "长三角座谈会召开\n来源：晨报\n2020-08-22\n" + "\n".join(short) + "\n"
    assert len(passages_of(tmp_path, "news.txt", news)) == 3
    assert len(passages_of(tmp_path, "notes.txt", "座谈会笔记\n" + "\n".join(short) + "\n")) == 1


def test_seed_passages_are_their_paragraphs():
    """The seeds are news: every paragraph, caption and list item (the eight "- 共同…" lines, which
    ordinal follow-ups lean on) stays a passage of its own, as before."""
    corpus = build_corpus([read_source(p) for p in find_sources([SEEDS])], MAX, MIN)
    assert len(corpus.passages) == 56 and not any(p.citation.paragraph_end for p in corpus.passages)
    assert sum(p.text.startswith("- 共同") for p in corpus.passages) == 7  # the first opens with the headline


@pytest.fixture(scope="module")
def formats():
    paths = [p for p in find_sources([FORMATS]) if p.suffix != ".jsonl"]
    sources = [read_source(p, NO_OCR) for p in paths]
    return sources, build_corpus(sources, MAX, MIN)


def test_every_passage_of_the_formats_corpus_reads_back(formats):
    sources, corpus = formats
    text = {s.file: s.text for s in sources}
    assert len({p.citation.file for p in corpus.passages}) == 12  # the intern slides need OCR
    for p in corpus.passages:
        assert "".join(text[p.citation.file][s:e] for s, e in p.pieces) == p.text
        assert (p.citation.start, p.citation.end) == (p.pieces[0][0], p.pieces[-1][1])
        assert 0 < len(p.text) <= MAX


def test_formats_passages_stand_on_their_own(formats):
    lengths = [len(p.text) for p in formats[1].passages]
    assert statistics.median(lengths) >= 80 and sum(n < 20 for n in lengths) <= 0.05 * len(lengths)


def test_slides_are_never_joined(formats):
    sources, corpus = formats
    deck = [p for p in corpus.passages if p.citation.format == "pptx"]
    assert deck and all(p.citation.page_end is None for p in deck)
    # Slide 4 is one passage: its title carried as heading, its text boxes under it.
    (slide,) = [p for p in deck if p.citation.page == 4 and p.text.startswith("概要\n")]
    assert slide.heading == "概要" and "背景简介" in slide.text and "特点：减少同步次数" in slide.text
    assert {s.path.name: s.slides for s in sources if s.format in ("pdf", "pptx")} == {
        "2024-4-25-meeting-minutes.pdf": False,
        "Paddle_Fluid框架执行逻辑_v1.2_陈威行.pptx": True,
        "paddle_contributor_remote_intern_program.pdf": True,  # landscape pages: slides printed to PDF
        "poem.pdf": False,
        "论文复现指南-新.pdf": False,
    }


def test_a_passage_across_a_page_break_says_where_it_ends(formats):
    _, corpus = formats
    guide = [p for p in corpus.passages if p.citation.file.endswith("论文复现指南-新.pdf")]
    spanning = [p for p in guide if p.citation.page_end is not None]
    assert spanning and all(p.citation.page_end == p.citation.page + 1 for p in spanning)
    assert all(p.citation.paragraph_end > p.citation.paragraph for p in spanning)


def test_expected_spans_are_in_a_passage_on_their_page(formats):
    squeeze = lambda t: re.sub(r"\s+", "", t)  # noqa: E731
    _, corpus = formats
    rows = [json.loads(line) for line in (FORMATS / "expected.jsonl").read_text(encoding="utf-8").splitlines() if line]
    checked = 0
    for row in rows:
        if not row.get("plain_text_layer_has_it", True):
            continue  # needs OCR
        page = row["page"] or row.get("slide")
        holders = [
            p
            for p in corpus.passages
            if p.citation.file.endswith(row["file"]) and squeeze(row["gold"]) in squeeze(p.text)
        ]
        assert holders, row
        if page is not None:
            assert any(p.citation.page <= page <= (p.citation.page_end or p.citation.page) for p in holders), row
        checked += 1
    assert checked == 24
