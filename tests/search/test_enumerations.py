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
