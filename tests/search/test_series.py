"""Series inside one sentence (qa/search/series.py): each form where it must be found, and other
sentences with the same punctuation where it must not. The texts are written for these tests."""

from __future__ import annotations

import pytest

from qa.search.series import series_in


def items(text: str) -> list[list[str]]:
    return [[text[s:e] for s, e in found] for _, found, _ in series_in(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        # 、 inside a clause: the first part is the noun phrase ending it, the last ends at 等
        ("法院依法收集的物证、书证、证人证言、鉴定意见等证据，可以使用。", [["物证", "书证", "证人证言", "鉴定意见"]]),
        ("本框架支持多种优化器，如SGD、Adam、Momentum等等。", [["SGD", "Adam", "Momentum"]]),
        # the last part ends where its noun phrase ends
        ("坚持以唯物论、辩证法、系统科学方法论为指导。", [["唯物论", "辩证法", "系统科学方法论"]]),
        ("可以给予警告、记过、降级、开除等处分。", [["警告", "记过", "降级", "开除"]]),
        # verb phrases: the first keeps its verb as the others do
        ("要加强基础设施建设、推进产业升级、提升服务水平。", [["加强基础设施建设", "推进产业升级", "提升服务水平"]]),
        # the last part keeps a verb or a measure word inside its name, and splits at 和 before 等
        (
            "会议审议了地铁三号线建设、机场快线、港口扩建和市图书馆改建。",
            [["地铁三号线建设", "机场快线", "港口扩建", "市图书馆改建"]],
        ),
        ("常见类型有甲型流感、乙型流感、2型糖尿病和高血压。", [["甲型流感", "乙型流感", "2型糖尿病", "高血压"]]),
        ("他擅长篮球、排球、游泳和田径等运动。", [["篮球", "排球", "游泳", "田径"]]),
        # 如 before the first part is no part of it, though the others are verb phrases
        ("有多种抗议方式，如罢工、拒绝交税、逃避兵役和静坐。", [["罢工", "拒绝交税", "逃避兵役", "静坐"]]),
        # two series in one clause: each ends at its 等
        (
            "法院、检察院、公安机关等机关发现人员涉嫌贪污、受贿、渎职等违法问题的，应当移送。",
            [["法院", "检察院", "公安机关"], ["贪污", "受贿", "渎职"]],
        ),
        # without 等, the last part split at a 和 word
        ("小区配有超市、药店、健身房和幼儿园。", [["超市", "药店", "健身房", "幼儿园"]]),
        # commas after 例如：
        (
            "其他相关技术，例如：零样本提示，受控生成，翻译提示，续写提示等。",
            [["零样本提示", "受控生成", "翻译提示", "续写提示"]],
        ),
        # a pair before a count of two
        ("该方案分为 离线训练 和 在线推理 两部分，前者在集群上运行。", [["离线训练", "在线推理"]]),
        # numbered inside one line, after a colon
        ("该阶段包含以下几步：1. 转换项目 2. 修正代码 3. 对齐结果", [["1. 转换项目", "2. 修正代码", "3. 对齐结果"]]),
        # a counted colon whose last part joins two with 和, titles in 《》 kept whole
        ("他的三部小说出版于1935年：《春潮》、《雪夜的歌》和 《远行》。", [["《春潮》", "《雪夜的歌》", "《远行》"]]),
        ("会议通过了三部法规：物业条例、供水条例与消防条例。", [["物业条例", "供水条例", "消防条例"]]),
        # a bracketed aside closing a part, and a conjunction opening the last, are no part of the items
        (
            "该学派由王立（1901-1960）、陈默（1898-1971）、赵楠（1910-1988）等学者创立。",
            [["王立", "陈默", "赵楠"]],
        ),
        ("展会上有机器人、无人机、智能手表、以及电动滑板。", [["机器人", "无人机", "智能手表", "电动滑板"]]),
        # a dash after a count stands for a colon; a pair split at its one 和 though jieba joins it to a name
        ("该市有 两所 大学 - 滨江大学和诺桑比亚大学。", [["滨江大学", "诺桑比亚大学"]]),
        ("专家给出了两种方案——增加投入和减少开支。", [["增加投入", "减少开支"]]),
        # a conjunction word, not a first character: 和平 keeps its 和
        ("报告强调和平、发展、合作的理念。", [["和平", "发展", "合作"]]),
    ],
)
def test_series_are_found(text, expected):
    assert items(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "北京、上海的代表参加了会议。",  # two parts only
        "他和她两个人都来了。",  # a pair, but nothing is divided into it
        "有下列行为之一的，由其所在学校、教育部门、上级机关或者有关部门责令改正：",  # a sentence leading a list
        "以三台机器为例，CPU、GPU、内存的占用有如下规律：",  # a clause introducing what follows its colon
        # clauses, each longer than a name
        "要加快推进长三角区域基础设施的互联互通建设、大力推进长三角区域产业结构的优化升级、持续提升区域公共服务的均等化水平。",
        "版本说明：1.5 版修复了问题，2.0 版增加了功能。",  # decimals, not numbered items
        "他说：今天天气很好，我们去公园散步，然后回家吃饭。",  # commas after a colon not introducing examples
        "该市设两部门：财政局和税务局。",  # 两部门 names departments, not a count of parts
        "该书分三部：上部写童年，中部写求学。",  # a counted colon with fewer parts than it names: no series
        "终场比分是 2 - 1，主队获胜。",  # a dash without a count before it
        "这是一个两位数：12和13。",  # 一个 counts nothing, 两位数 is no count
    ],
)
def test_other_sentences_hold_no_series(text):
    assert series_in(text) == ()


def test_a_slides_lines_may_hold_an_ascii_colon_or_brackets():
    from qa.search.lines import slide_lines

    text = "数据冒险\nWAR: write after read\nWAW: write after write\nRAW (真依赖)"
    [(_, found)] = slide_lines(text, "数据冒险")
    assert len(found) == 3


def test_a_slides_short_lines_are_a_list_after_the_line_before_them():
    from qa.search.lines import slide_lines

    text = "课程目录\n第一单元概述\n数据结构基础\n执行器的实现\n算子注册与执行\n讲师：张三"
    [(lead, found)] = slide_lines(text, "课程目录")
    assert text[lead[0] : lead[1]] == "课程目录"
    assert [text[s:e] for s, e in found] == ["第一单元概述", "数据结构基础", "执行器的实现", "算子注册与执行"]


@pytest.mark.parametrize(
    "text",
    [
        "程序\n数据\n执行器构造\n逻辑\n结果",  # a diagram's one-word labels
        "本节介绍执行器。\n它依次执行每个算子。\n然后返回结果。",  # sentences
        "x = numpy.random()\nexe.run(prog)\nloss = mean(h)",  # code
        "执行对象：Program\n核心逻辑：依次执行\n主要特点：简单直接",  # labels with their values
    ],
)
def test_other_slide_text_is_no_list(text):
    from qa.search.lines import slide_lines

    assert slide_lines(text) == ()


def test_a_counted_lead_takes_as_many_lines_as_it_names():
    from qa.search.lines import line_series

    text = "并行执行时要处理以下两种情况：\nWAR: write after read\nWAW: write after write\n静态单赋值，只能赋值一次"
    [(_, found)] = line_series(text)
    assert [text[s:e] for s, e in found] == ["WAR: write after read", "WAW: write after write"]


@pytest.mark.parametrize(
    "lead",
    [
        "第六条 当事人应当提出下列材料：",  # 第六条 is an article's number, not a count
        "应当在两个月内提交以下材料：",  # a span of time
    ],
)
def test_an_ordinal_or_a_span_of_time_is_no_count(lead):
    from qa.search.series import COUNT

    assert COUNT.search(lead) is None
