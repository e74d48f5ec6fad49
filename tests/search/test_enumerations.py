"""Enumerations in text (qa/search/enumerations.py): each list form is found where it must be and not in
other text, and a list whose items stand in several passages is gathered whole, in order.

The texts are written for these tests (not the seeds): notes on a city plan, a recipe, a guide.
"""

from __future__ import annotations

import pytest

from qa.records import Citation, Passage
from qa.search.enumerations import inline_series, openings, runs_near


def heads(text: str) -> list[tuple[str, int, str]]:
    return [(o.style, o.number, text[o.start : o.end]) for o in openings(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "会议提出三项任务。第一，改善交通条件。要加快地铁建设。第二，扩大公园绿地。",
            [("di", 1, "第一，改善交通条件"), ("di", 2, "第二，扩大公园绿地")],
        ),
        (
            "今年的工作有两个特点。一是投入大幅增加，达到历史新高。二是覆盖面更广。",
            [("shi", 1, "一是投入大幅增加，达到历史新高"), ("shi", 2, "二是覆盖面更广")],
        ),
        ("（一）总体要求\n（二）主要目标", [("paren", 1, "（一）总体要求"), ("paren", 2, "（二）主要目标")]),
        ("(1) 洗净蔬菜；(2) 切成小块。", [("pnum", 1, "(1) 洗净蔬菜"), ("pnum", 2, "(2) 切成小块")]),
        ("①准备材料。②开始制作。", [("circled", 1, "①准备材料"), ("circled", 2, "②开始制作")]),
        (
            "1. 下载安装包\n2. 双击运行，按提示安装",
            [("num", 1, "1. 下载安装包"), ("num", 2, "2. 双击运行，按提示安装")],
        ),
        ("1、报名\n2、审核", [("num", 1, "1、报名"), ("num", 2, "2、审核")]),
        ("• 早睡早起\n• 适量运动", [("bullet:•", 1, "• 早睡早起"), ("bullet:•", 2, "• 适量运动")]),
        ("第一步：登录系统。第二步：填写表格。", [("step", 1, "第一步：登录系统"), ("step", 2, "第二步：填写表格")]),
    ],
)
def test_each_list_form_is_found(text, expected):
    assert heads(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "这是他第一次来到这座城市，第二天就离开了。",  # 第一次 / 第二天: no item
        "统一是发展的前提，这一是非问题不容含糊。",  # 一是 inside words
        "价格上涨了1.5倍，2020年达到顶峰。",  # numbers, not items
        "他说：1.5米的高度刚好。",
        "减号-不是列表，A-B 也不是。",  # a dash inside a line
    ],
)
def test_other_text_opens_no_item(text):
    assert openings(text) == ()


def test_inline_series_after_a_count_and_a_colon():
    text = "▪ 安装过程主要分为三步：下载源码，编译，运行测试"
    [(lead, items, count)] = inline_series(text)
    assert text[lead[0] : lead[1]] == "安装过程主要分为三步"
    assert [text[o.start : o.end] for o in items] == ["下载源码", "编译", "运行测试"]
    assert count == 3


@pytest.mark.parametrize(
    "text",
    [
        "安装过程主要分为三步：下载源码，编译",  # the count names three, two follow
        "他说：今天天气很好，我们去公园散步，然后回家吃饭。",  # clauses after a colon, no count
        "注意：本产品不适合儿童使用。",
    ],
)
def test_no_inline_series_where_the_parts_do_not_fit(text):
    assert inline_series(text) == ()


def test_an_uncounted_series_needs_short_parts_split_by_enumeration_commas():
    text = "主要产品：钢材、水泥、玻璃、木材。"
    [(_, items, count)] = inline_series(text)
    assert [text[o.start : o.end] for o in items] == ["钢材", "水泥", "玻璃", "木材"]
    assert count is None


def _passages(paragraphs: list[str], doc: str = "plan") -> list[Passage]:
    out, at = [], 0
    for i, text in enumerate(paragraphs):
        cite = Citation(doc, f"{doc}.txt", "城市规划", None, None, i + 1, at, at + len(text))
        out.append(Passage(i, cite, text))
        at += len(text) + 2
    return out


def test_a_list_one_item_a_paragraph_is_gathered_across_passages_with_its_lead():
    passages = _passages(
        [
            "市政府发布了新的城市规划。",
            "规划提出，未来五年要抓好以下重点任务。",
            "第一，完善交通网络。新建三条地铁线路，改造老旧道路。",
            "地铁线路的走向已经确定，沿线将设二十座车站。",  # continues item 1 without opening one
            "第二，建设生态公园。在城市东部建设湿地公园。",
            "第三，提升公共服务。新建学校和医院。",
            "此外，规划还对住房作出了安排。",
        ]
    )
    [run] = runs_near(passages, 1)
    assert [passages[p].text[s:e] for p, s, e in run.items] == [
        "第一，完善交通网络",
        "第二，建设生态公园",
        "第三，提升公共服务",
    ]
    assert [p for p, _, _ in run.items] == [2, 4, 5]
    lead_pid, s, e = run.lead
    assert passages[lead_pid].text[s:e] == "规划提出，未来五年要抓好以下重点任务。"


def test_a_restart_at_one_begins_another_list_and_other_documents_are_not_read():
    passages = _passages(["第一，甲。", "第二，乙。", "第一，丙。", "第二，丁。"]) + [
        Passage(4, Citation("other", "other.txt", "另一篇", None, None, 1, 0, 5), "第三，戊。")
    ]
    runs = runs_near(passages, 0)
    assert [[passages[p].text[s:e] for p, s, e in r.items] for r in runs] == [
        ["第一，甲", "第二，乙"],
        ["第一，丙", "第二，丁"],
    ]


def test_bullets_across_passages_and_a_lead_naming_a_count_keeps_that_many():
    passages = _passages(["使用前需要完成以下两个步骤：", "• 安装依赖", "• 下载模型", "• 常见问题见附录"])
    [run] = runs_near(passages, 0)
    assert [passages[p].text[s:e] for p, s, e in run.items] == ["• 安装依赖", "• 下载模型"]
    assert run.count == 2


def test_nested_bullets_end_where_an_outer_item_begins():
    text = "1. 准备\n◦ 买菜\n◦ 洗菜\n2. 烹饪\n◦ 炒菜"
    runs = runs_near(_passages([text]), 0)
    by_style = {r.style: [text[s:e] for _, s, e in r.items] for r in runs}
    assert by_style["num"] == ["1. 准备", "2. 烹饪"]
    assert by_style["bullet:◦"] == ["◦ 买菜", "◦ 洗菜"]  # 炒菜 is under item 2, alone: no list


def test_levels_are_counted_afresh_for_each_list():
    # ◦ is an outer list first, then the glyph under •: the • list keeps both its items.
    first = "准备工作：\n◦ 安装Python\n◦ 安装编辑器"
    later = "迁移包含以下两个步骤：\n• 拉取源码\n◦ 在终端执行克隆命令\n• 调用转换工具\n◦ 传入项目路径"
    passages = _passages([first, "其他说明。", "其他说明。", "其他说明。", "其他说明。", later])
    runs = runs_near(passages, 5)
    by_style = {}
    for r in runs:
        by_style.setdefault(r.style, []).append([passages[p].text[s:e] for p, s, e in r.items])
    assert by_style["bullet:•"] == [["• 拉取源码", "• 调用转换工具"]]
    assert by_style["bullet:◦"] == [["◦ 安装Python", "◦ 安装编辑器"]]  # each inner ◦ stands alone: no list


def _texts(passages, run) -> list[str]:
    return [passages[p].text[s:e] for p, s, e in run.items]


def test_an_outline_of_dashes_nests_by_indentation():
    text = "- 准备\n    - 买菜\n    - 洗菜\n- 烹饪\n    - 炒菜\n    - 装盘\n        - 摆盘要好看\n    - 上桌"
    passages = _passages([text])
    runs = {tuple(_texts(passages, r)) for r in runs_near(passages, 0)}
    assert runs == {("- 准备", "- 烹饪"), ("- 买菜", "- 洗菜"), ("- 炒菜", "- 装盘", "- 上桌")}


def test_without_indentation_a_glyph_is_the_level_it_is_printed_at():
    # A PDF's bullets: ◦ under 1., then ◦ again three levels down (1. → ▪ → • → ◦).
    text = "1. 验证\n◦ 下载数据\n◦ 比对结果\n2. 转换\n▪ 使用工具\n• 拉取源码\n◦ 执行克隆\n• 调用工具\n◦ 传入路径"
    passages = _passages([text])
    runs = [_texts(passages, r) for r in runs_near(passages, 0)]
    assert ["• 拉取源码", "• 调用工具"] in runs
    assert ["◦ 下载数据", "◦ 比对结果"] in runs
    assert ["1. 验证", "2. 转换"] in runs


def test_a_sub_list_knows_the_item_it_is_under():
    passages = _passages(["迁移分为两步：\n1. 转换项目\n2. 修正代码\n◦ 修正分为两种情形：\n• 显式报错\n• 隐式错误"])
    [inner] = [r for r in runs_near(passages, 0) if r.style == "bullet:•"]
    text = passages[0].text
    assert text[inner.lead[1] : inner.lead[2]] == "修正分为两种情形："
    assert text[inner.parent[1] : inner.parent[2]] == "2. 修正代码"


def test_a_list_after_a_list_of_the_same_kind_has_no_lead_in_its_last_item():
    passages = _passages(["1. 甲\n2. 乙\n3. 丙\n1. 丁\n2. 戊"])
    runs = runs_near(passages, 0)
    second = next(r for r in runs if _texts(passages, r) == ["1. 丁", "2. 戊"])
    assert second.lead is None  # "3. 丙" ends the first list; it does not introduce the second


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a) 遍历所有节点\nb) 剪掉无用分支", [("alpha", 1, "a) 遍历所有节点"), ("alpha", 2, "b) 剪掉无用分支")]),
        ("Step1:构造上下文\nStep2：选择内核", [("step", 1, "Step1:构造上下文"), ("step", 2, "Step2：选择内核")]),
        ("  - 缩进的条目", [("bullet:-@2", 1, "- 缩进的条目")]),
    ],
)
def test_more_list_forms_are_found(text, expected):
    assert heads(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "变量a)的值为空时返回。",  # a) inside a line
        "这是第一step的说明。",  # step inside a word
    ],
)
def test_other_text_opens_no_item_of_the_new_forms(text):
    assert openings(text) == ()


def test_unmarked_lines_after_a_lead_announcing_them_across_two_passages():
    passages = _passages(
        [
            "第六条 有下列理由之一的，应当在六个月内提出：",
            "有新的证据，足以推翻原判决的；\n原判决认定事实的主要证据系伪造的；\n审判人员有枉法裁判行为的。\n本条规定的期间为不变期间。",
        ]
    )
    [run] = runs_near(passages, 0)
    assert run.style == "lines"
    assert _texts(passages, run) == [
        "有新的证据，足以推翻原判决的",
        "原判决认定事实的主要证据系伪造的",
        "审判人员有枉法裁判行为的",
    ]
    assert [p for p, _, _ in run.items] == [1, 1, 1]


@pytest.mark.parametrize(
    "text",
    [
        "他说：\n今天的会开得很好；\n明天继续。",  # a colon, but no lead announcing a list
        "有下列情形之一的：\n这一行很长" + "很长" * 50 + "；\n短行；",  # lines too long to be items
    ],
)
def test_unmarked_lines_need_an_announcing_lead_and_short_lines(text):
    assert runs_near(_passages([text]), 0) == []


def test_short_lines_are_a_list_on_a_slide_only():
    text = "目录\n网络存储结构\n网络数据结构\n执行器实现与执行"
    slide = Passage(0, Citation("deck", "deck.pptx", "讲稿", None, None, 1, 0, len(text), page=2, format="pptx"), text)
    [run] = runs_near([slide], 0)
    assert run.style == "slide" and len(run.items) == 3
    assert runs_near(_passages([text]), 0) == []  # the same lines of a text file are headings, not a list


@pytest.mark.parametrize(
    "question, noun",
    [
        ("长三角一体化发展有哪些重点工作？", "重点工作"),
        ("第一次会议的议程都有哪些？", "议程"),  # not 议的议程
        ("C++ Executor Run中有哪些逻辑？", "逻辑"),
        ("Run中有哪些？", None),  # 中有 is no noun
        ("主要分为哪几步？", None),  # 步 alone names nothing in particular
    ],
)
def test_what_a_list_question_asks_a_list_of(question, noun):
    from qa.search.lists import list_noun
    from qa.search.query import analyse

    assert list_noun(analyse(question)) == noun
