"""The check the browser tests run on the interface's words (tests/web/interface_text.py): it fires on
the developer text the page, the admin tab and the widget used to show, and passes every message of
the table they now show (static/messages.js, qa/web/messages.py)."""

from __future__ import annotations

import pytest

from qa.errors import QAError
from qa.web.messages import ui_message, ui_messages
from tests.web.interface_text import plain_chinese_problems

# What a person saw before (issue 38), each of one kind the check must catch.
SEEN_BEFORE = [
    "令牌不正确。/ Wrong token: send `Authorization: Bearer <token>` with the read_token or admin_token",
    "知识库 '飞桨资料' 还没有文档：请先上传或用 qa ingest --collection 飞桨资料 添加。",
    "任务 20261207145312-3fa9c2d1：索引中",
    "注意改动：number: 585→558。 / A close source exists but the wording differs (similarity 0.94)",
    "common.complete",
    "未设置管理令牌（admin_token）。设置方法：QA_ADMIN_TOKEN=<足够长的随机字符串> qa serve",
]


@pytest.mark.parametrize("text", SEEN_BEFORE)
def test_the_check_catches_what_the_page_used_to_say(text):
    assert plain_chinese_problems(text), text


def test_every_message_of_the_table_is_plain_chinese():
    table = ui_messages()
    assert len(table) >= 20
    for code, text in table.items():
        assert not plain_chinese_problems(text), (code, text)
    # Chinese text with the odd Latin word, file name or number passes.
    assert not plain_chinese_problems("已索引 poem.pdf（30 个段落），支持 txt、md、pdf、docx 文件，相似度 94%")


def test_every_error_code_of_qa_has_its_words():
    """Each QAError subclass's code is in the table (else the page says the generic 出错了)."""

    def codes(cls):
        yield cls.code
        for sub in cls.__subclasses__():
            yield from codes(sub)

    table = ui_messages()
    missing = sorted({c for c in codes(QAError) if c not in table})
    assert not missing, missing
    assert ui_message("no_such_code") == table["qa_error"]
